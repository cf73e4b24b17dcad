// The Origin & migration tab: the bucket's origin as a form (a plain HTTP server, or an
// S3-compatible bucket with its credentials — the kind that can be listed, backfilled,
// listed through, written through and verified), with the server's objections next to the
// field they concern and its raw document; then, while an origin is set, the migration as
// it goes: per-rule counters and their chart, the backfill, delta and verification jobs with
// true progress (objects, bytes, rate, time left when an earlier pass gives the total,
// failures with their reasons), the cut-over verdict with its reasons, and the report.

import { s3, s3xml, text, all, children, q, bytes, count, when, duration, escapeXml, isMissing } from "./api.js";
import { h, field, messages, table, row, button, section, rawEditor, progressLine, clearErrors, badge } from "./ui.js";
import { leave, current, navigate } from "./app.js";
import { lineChart } from "./metrics.js";

const REDACTED = "******";
/** Addresses a cloud's instance metadata answers on: an origin there is almost surely a mistake. */
const METADATA = /^(169\.254\.|\[?fd00:ec2::254|metadata\.google\.internal|100\.100\.100\.200)/i;

function originForm(ctx, doc, msg, onSaved) {
  const rule = doc?.getElementsByTagName("OriginRule")[0];
  const cond = rule?.getElementsByTagName("OriginCondition")[0];
  const priv = rule?.getElementsByTagName("PrivateHost")[0];
  const kind = h("select#origin-kind", h("option", { value: "http" }, "A web server (HTTP)"), h("option", { value: "s3" }, "An S3-compatible bucket"));
  kind.value = priv ? "s3" : "http";
  const mode = field("Mode", h("select#origin-mode", h("option", { value: "Mirror" }, "Mirror: pull on a miss and keep"),
    h("option", { value: "Proxy" }, "Proxy: redirect, copy behind"), h("option", { value: "Redirect" }, "Redirect only")));
  mode.input.value = text(rule, "OriginType") || "Mirror";
  const prefix = field("Only keys starting with", h("input#origin-prefix", { value: text(cond, "Prefix") }));
  const suffix = field("and ending with", h("input#origin-suffix", { value: text(cond, "Suffix") }));
  const protocol = field("Protocol", h("select#origin-protocol", ["HTTP", "HTTPS", "FOLLOW"].map((p) => h("option", p))));
  protocol.input.value = text(rule, "Protocol") || "HTTPS";
  // A web server.
  const host = field("Host", h("input#origin-host", { placeholder: "origin.example.com", value: priv ? "" : text(rule, "HostName") }));
  const standby = field("Standby host", h("input#origin-standby", { value: text(rule, "StandbyHostName_1") }));
  const header = field("Extra header", h("input#origin-header", { placeholder: "x-from: originstore" }));
  // An S3 bucket.
  const [endpointValue, bucketValue] = (text(priv, "Host") || "").split(/\/(.*)/s);
  const endpoint = field("Endpoint", h("input#origin-endpoint", { placeholder: "old.example.com:9000", value: endpointValue || "" }));
  const bucket = field("Bucket", h("input#origin-bucket", { value: bucketValue || "" }));
  const region = field("Region", h("input#origin-region", { value: text(priv, "Region") || "us-east-1" }));
  const accessKey = field("Access key", h("input#origin-access-key", { value: text(priv, "SecretId"), autocomplete: "off" }));
  const secretKey = field("Secret key", h("input#origin-secret-key", { type: "password", autocomplete: "new-password",
    placeholder: priv ? "unchanged" : "" }));
  const listThrough = h("input#origin-list-through", { type: "checkbox", checked: text(rule, "ListThrough") === "true" });
  const writeThrough = h("input#origin-write-through", { type: "checkbox", checked: text(rule, "WriteThrough") === "true" });
  // Both.
  const maxAge = field("Revalidate copies older than (s)", h("input#origin-max-age", { type: "number", min: 0, value: text(rule, "MaxAgeSeconds") }));
  const rps = field("Origin requests per second", h("input#origin-rps", { type: "number", min: 1, value: text(rule, "RequestsPerSecond") }));
  const conc = field("Concurrent origin requests", h("input#origin-concurrency", { type: "number", min: 1, value: text(rule, "Concurrency") }));
  const warn = h("p#origin-host-warning.warn", { role: "alert" });
  const httpPart = h("fieldset#origin-http", h("legend", "Web server"), host, standby, header);
  const s3Part = h("fieldset#origin-s3", h("legend", "S3-compatible bucket"), endpoint, bucket, region, accessKey, secretKey,
    h("label.check", listThrough, " List through: listings include the origin's keys"),
    h("label.check", writeThrough, " Write through: writes and deletes here reach the origin first (reversible migration)"));
  const sync = () => {
    httpPart.hidden = kind.value !== "http";
    s3Part.hidden = kind.value !== "s3";
    const name = (kind.value === "http" ? host : endpoint).input.value.trim();
    warn.textContent = METADATA.test(name)
      ? "This is a cloud metadata address: an origin there would hand out the machine's credentials. The server refuses to fetch from it unless its network policy allows it." : "";
  };
  kind.addEventListener("change", sync);
  host.input.addEventListener("input", sync);
  endpoint.input.addEventListener("input", sync);
  sync();
  const v = (f) => escapeXml(f.input.value.trim());
  const build = () => {
    const s3Kind = kind.value === "s3";
    if (s3Kind && !endpoint.input.value.trim()) throw Object.assign(new Error("The origin's endpoint is needed"), { field: endpoint });
    if (!s3Kind && !host.input.value.trim()) throw Object.assign(new Error("The origin's host is needed"), { field: host });
    const [hk, ...hv] = header.input.value.split(":");
    const extra = !s3Kind && hk.trim() ? `<HttpHeader><NewHttpHeaders><Header><Key>${escapeXml(hk.trim())}</Key><Value>${escapeXml(hv.join(":").trim())}</Value></Header></NewHttpHeaders></HttpHeader>` : "";
    const fresh = maxAge.input.value ? `<Freshness><MaxAgeSeconds>${v(maxAge)}</MaxAgeSeconds></Freshness>` : "";
    const throttle = rps.input.value || conc.input.value
      ? `<Throttle>${rps.input.value ? `<RequestsPerSecond>${v(rps)}</RequestsPerSecond>` : ""}${conc.input.value ? `<Concurrency>${v(conc)}</Concurrency>` : ""}</Throttle>` : "";
    const through = s3Kind ? `${listThrough.checked ? "<ListThrough>true</ListThrough>" : ""}${writeThrough.checked ? "<WriteThrough>true</WriteThrough>" : ""}` : "";
    const hostInfo = s3Kind
      ? `<HostInfo><PrivateHost><Host>${v(endpoint)}${bucket.input.value.trim() ? `/${v(bucket)}` : ""}</Host><CredentialProvider>`
        + `<AuthorizationAlgorithm>AWS4-HMAC-SHA256</AuthorizationAlgorithm><Region>${v(region)}</Region>`
        + `<SecretId>${v(accessKey)}</SecretId><SecretKey>${secretKey.input.value ? escapeXml(secretKey.input.value) : REDACTED}</SecretKey>`
        + "</CredentialProvider></PrivateHost></HostInfo>"
      : `<HostInfo><HostName>${v(host)}</HostName>${standby.input.value.trim() ? `<StandbyHostName_1>${v(standby)}</StandbyHostName_1>` : ""}</HostInfo>`;
    return `<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>${v(mode)}</OriginType>`
      + `<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>${v(prefix)}</Prefix><Suffix>${v(suffix)}</Suffix></OriginCondition>`
      + `<OriginParameter><Protocol>${v(protocol)}</Protocol>${extra}${fresh}${throttle}${through}</OriginParameter>`
      + `<OriginInfo>${hostInfo}</OriginInfo></OriginRule></OriginConfiguration>`;
  };
  /** The field a server message is about. */
  const fieldFor = (m) => (/Host|host/.test(m) ? (kind.value === "s3" ? endpoint : host) : /Region/.test(m) ? region
    : /SecretId|SecretKey|credential/i.test(m) ? accessKey : /Throttle|RequestsPerSecond|Concurrency/.test(m) ? rps
      : /Freshness|MaxAge/.test(m) ? maxAge : /Prefix/.test(m) ? prefix : null);
  const form = h("form#origin-form", { on: { submit: async (e) => {
    e.preventDefault();
    msg.clear();
    clearErrors(form);
    try {
      await s3("PUT", `/${ctx.bucket}?origin`, { body: build() });
      msg.say("Origin saved", "ok");
      await onSaved();
    } catch (err) {
      const f = err.field || fieldFor(err.message);
      if (f) f.error.textContent = err.message; else msg.say(err.message);
    }
  } } }, field("The origin is", kind), warn, mode, h("div.inline", prefix, suffix), protocol, httpPart, s3Part,
  h("div.inline", maxAge, rps, conc),
  ctx.rights.putOrigin ? h("div.form-actions", h("button", { type: "submit" }, "Save origin"),
    doc ? button("Remove origin", async () => {
      if (!confirm("Remove the bucket's origin? Objects already here stay.")) return;
      try { await s3("DELETE", `/${ctx.bucket}?origin`); msg.say("Origin removed", "ok"); await onSaved(); } catch (err) { msg.say(err.message); }
    }, { id: "origin-remove" }) : null) : null);
  return form;
}

/** Rate and time left of a job from its start, its last update, what it did and (when known) of how many. */
function pace(job, done, total, doneBytes) {
  const secs = (new Date(text(job, "UpdatedAt")) - new Date(text(job, "StartedAt"))) / 1000;
  const parts = [];
  if (secs > 0) parts.push(`${(done / secs).toFixed(done / secs < 10 ? 1 : 0)} keys/s`, `${bytes(doneBytes / secs)}/s`);
  if (total && secs > 0 && done > 0 && text(job, "State") === "Running") parts.push(`about ${duration(((total - done) * secs) / done)} left`);
  return parts.join(", ");
}

const ENDED_BADLY = new Set(["Failed", "Cancelled", "CompletedWithFailures"]);

function jobLine(bar, job, done, total, summary) {
  const state = text(job, "State");
  const running = state === "Running";
  const percent = running ? (total ? Math.min(99, Math.round((100 * done) / total)) : null)
    : state === "Completed" ? 100 : total ? Math.round((100 * done) / total) : 0;
  const error = text(job, "Error");
  bar.set(percent, `${state}: ${summary}${error ? ` — ${error}` : ""}`, ENDED_BADLY.has(state) ? "failed" : running ? "" : "done");
}

function failureList(id, job) {
  const items = [...children(job, "Failure").map((f) => `${text(f, "Key")}: ${text(f, "Reason")}`),
    ...children(job, "Mismatch").map((m) => `${text(m, "Key")}: ${text(m, "Differs")}`)];
  return h(`ul#${id}.failures`, items.map((t) => h("li", t)));
}

async function statusPanel(ctx, body) {
  const { bucket } = ctx;
  const msg = messages("migration-message");
  const rules = table(["Rule", "Hits", "Misses", "Filled", "Pulled", "Last failure", "Origin hosts"], [], { id: "migration" });
  const chartBox = h("div#chart", { role: "img", "aria-label": "Misses and fills over time" });
  const chart = lineChart(chartBox, [["Misses", "#c60"], ["Fills", "#06c"]], "count");
  let lastTotals = {};
  // Backfill.
  const bfPrefix = field("Prefix", h("input#backfill-prefix"));
  const bfManifest = field("Manifest key (a list of keys in this bucket; for web-server origins)", h("input#backfill-manifest"));
  const bfConc = field("Concurrency", h("input#backfill-concurrency", { type: "number", min: 1, max: 64, value: 8 }));
  const bfBar = progressLine("backfill-progress", "Backfill");
  const bfFailures = h("div");
  const backfillForm = h("form#backfill-form", { on: { submit: async (e) => {
    e.preventDefault();
    msg.clear();
    clearErrors(backfillForm);
    const source = bfManifest.input.value ? `<Source>Manifest</Source><ManifestKey>${escapeXml(bfManifest.input.value)}</ManifestKey>` : "<Source>List</Source>";
    try {
      await s3("PUT", `/${bucket}?origin-backfill`, { body: `<Backfill><Prefix>${escapeXml(bfPrefix.input.value)}</Prefix><Concurrency>${escapeXml(bfConc.input.value)}</Concurrency>${source}</Backfill>` });
      msg.say("Backfill started", "ok");
      await poll();
    } catch (err) { (/[Mm]anifest/.test(err.message) ? bfManifest : bfPrefix).error.textContent = err.message; }
  } } }, h("div.inline", bfPrefix, bfManifest, bfConc), ctx.rights.migrate ? h("div.form-actions", h("button", { type: "submit" }, "Start backfill"),
    button("Cancel backfill", async () => { try { await s3("DELETE", `/${bucket}?origin-backfill`); await poll(); } catch (err) { msg.say(err.message); } }, { id: "backfill-cancel" })) : null);
  // Passes.
  const passes = {};
  for (const [kind, title] of [["Delta", "Delta pass"], ["Verify", "Verification"]]) {
    passes[kind] = { bar: progressLine(`${kind.toLowerCase()}-progress`, title), list: h("div") };
  }
  const start = (kind, doc) => async () => {
    msg.clear();
    try { await s3("PUT", `/${bucket}?origin-${kind}`, { body: doc }); msg.say(`${kind === "delta" ? "Delta pass" : "Verification"} started`, "ok"); await poll(); }
    catch (err) { msg.say(err.message); }
  };
  const passButtons = ctx.rights.migrate ? h("p.toolbar", button("Run a delta pass", start("delta", "<Delta/>"), { id: "delta-start" }), " ",
    button("Verify copies", start("verify", "<Verify/>"), { id: "verify-start" }), " ",
    button("Verify and repair", start("verify", "<Verify><Repair>true</Repair></Verify>"), { id: "verify-repair" })) : null;
  const verdict = h("strong#cutover-verdict");
  const reasons = h("ul#cutover-reasons", { "aria-label": "Why not yet" });
  const report = h("p", "Report of every key: ",
    h("a#report-csv", { href: `/console/s3/${bucket}?origin-report&format=csv`, download: `${bucket}-migration.csv` }, "CSV"), " · ",
    h("a#report-jsonl", { href: `/console/s3/${bucket}?origin-report&format=jsonl`, download: `${bucket}-migration.jsonl` }, "JSON Lines"));
  body.append(section("Migration", msg, rules, chartBox),
    section("Cut-over", h("p", "Verdict: ", verdict), reasons, report),
    section("Backfill", backfillForm, bfBar, bfFailures),
    section("Delta and verification", passButtons, passes.Delta.bar, passes.Delta.list, passes.Verify.bar, passes.Verify.list));

  async function poll() {
    let doc;
    try { doc = await s3xml("GET", `/${bucket}?origin-status`); } catch (e) { msg.say(e.message); return; }
    if (!current(ctx.g)) return;
    let misses = 0, fills = 0;
    rules.querySelector("tbody").replaceChildren(...all(doc, "Rule").map((r) => {
      misses += Number(text(r, "Misses"));
      fills += Number(text(r, "Filled"));
      const failure = r.getElementsByTagName("LastFailure")[0];
      return row([`${text(r, "RulePriority")} ${text(r, "Prefix")}`, count(text(r, "Hits")), count(text(r, "Misses")), count(text(r, "Filled")),
        bytes(text(r, "BytesPulled")), failure ? `${text(failure, "Key")}: ${text(failure, "Reason")} (${when(text(failure, "Time"))})` : "",
        all(r, "Host").map((x) => `${text(x, "Name")} (${text(x, "Breaker")})`).join(", ")], { data: { rule: text(r, "RulePriority") } });
    }));
    chart.add([misses, fills]);
    const backfill = doc.getElementsByTagName("Backfill")[0];
    if (backfill) {
      const done = ["Filled", "AlreadyLocal", "Failed"].reduce((a, n) => a + Number(text(backfill, n)), 0);
      const listed = Number(text(backfill, "Listed"));
      const total = lastTotals.backfill && lastTotals.backfill >= listed ? lastTotals.backfill : null;
      jobLine(bfBar, backfill, done, total, `${count(text(backfill, "Filled"))} filled, ${count(text(backfill, "AlreadyLocal"))} already local, `
        + `${count(text(backfill, "Failed"))} failed, ${bytes(text(backfill, "Bytes"))}; ${pace(backfill, done, total, Number(text(backfill, "Bytes")))}`);
      if (text(backfill, "State") !== "Running") lastTotals.backfill = done;
      bfFailures.replaceChildren(failureList("backfill-failures", backfill));
    }
    for (const kind of ["Delta", "Verify"]) {
      const pass = children(doc.documentElement, kind)[0];
      if (!pass) continue;
      const done = all(pass, "Count").reduce((a, c) => a + Number(text(c, "Keys")), 0);
      const total = lastTotals[kind] && lastTotals[kind] >= done ? lastTotals[kind] : null;
      const counts = all(pass, "Count").map((c) => `${count(text(c, "Keys"))} ${text(c, "Class")}`).join(", ");
      jobLine(passes[kind].bar, pass, done, total, `${counts || "nothing yet"}; ${count(text(pass, "Pulled"))} pulled, ${count(text(pass, "Failed"))} failed`
        + `${text(pass, "Clean") === "true" ? " (clean)" : ""}; ${pace(pass, done, total, Number(text(pass, "Bytes")))}`);
      if (text(pass, "State") !== "Running") lastTotals[kind] = done;
      passes[kind].list.replaceChildren(failureList(kind === "Verify" ? "verify-mismatches" : "delta-failures", pass));
    }
    const cut = doc.getElementsByTagName("Cutover")[0];
    const v = text(cut, "Verdict");
    verdict.replaceChildren(v, " ", v === "Ready" ? badge("Safe to switch the old store off", "ok") : badge("Not yet", "warn"));
    verdict.firstChild.textContent = v;
    reasons.replaceChildren(...all(cut, "Reason").map((r) => h("li", r.textContent)));
  }
  await poll();
  const timer = setInterval(poll, 1000);
  leave(() => clearInterval(timer));
}

export async function migrationTab(body, ctx) {
  const msg = messages("origin-message");
  const holder = h("div");
  body.append(section("Origin", msg, holder));
  const status = h("div");
  body.append(status);
  async function draw() {
    let doc = null;
    try { doc = await s3xml("GET", `/${ctx.bucket}?origin`); } catch (e) { if (!isMissing(e)) { msg.say(e.message); return; } }
    if (!current(ctx.g)) return;
    if (!doc && status.childElementCount) { navigate(location.pathname + location.search, { replace: true }); return; }
    holder.replaceChildren(doc ? "" : h("p.muted#no-origin", "No origin: a miss here is a plain 404."),
      originForm(ctx, doc, msg, draw),
      rawEditor("OriginConfiguration", { load: () => s3("GET", `/${ctx.bucket}?origin`).catch((e) => { if (isMissing(e)) return ""; throw e; }),
        save: async (b) => { await s3("PUT", `/${ctx.bucket}?origin`, { body: b }); msg.say("Origin saved", "ok"); await draw(); },
        readOnly: !ctx.rights.putOrigin }));
    // The migration's status exists only while an origin is set: no polling of a 404.
    if (doc && !status.childElementCount && ctx.rights.originStatus) await statusPanel(ctx, status);
  }
  await draw();
}
