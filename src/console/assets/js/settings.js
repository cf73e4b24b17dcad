// A bucket's Settings and Access tabs: every bucket setting the server keeps, each a form
// whose errors (the browser's checks, then the server's own message) appear next to what
// they concern, each with its raw document beside it; and, at the end, emptying and
// deleting the bucket. Controls the user may not use are not shown (the server still
// decides every request).

import { api, s3, s3xml, text, all, children, q, count, escapeXml, isMissing, session } from "./api.js";
import { h, field, messages, button, section, rawEditor, progressLine, clearErrors, badge } from "./ui.js";
import { navigate } from "./app.js";
import { deleteInBatches } from "./objects.js";

/** The stored document of `?query`, or null when the bucket has none. */
async function stored(bucket, query) {
  try { return await s3xml("GET", `/${bucket}?${query}`); } catch (e) { if (isMissing(e)) return null; throw e; }
}

async function storedText(bucket, query) {
  try { return await s3("GET", `/${bucket}?${query}`); } catch (e) { if (isMissing(e)) return ""; throw e; }
}

/**
 * A setting's section: a form made by `build(doc)` (returning {content, body()}), saved with
 * PUT ?query (body() may throw an Error with .field to place it), removed with DELETE, and
 * its raw document.
 */
async function settingSection(ctx, { title, query, get, put, del, build, type, xmlDocument = true }) {
  const { bucket } = ctx;
  const msg = messages(`${query}-message`);
  const sec = section(title, msg);
  sec.id = `setting-${query}`;
  if (!get) { sec.append(h("p.muted", "You may not read this setting.")); return sec; }
  let doc;
  try { doc = xmlDocument ? await stored(bucket, query) : null; } catch (e) { msg.say(e.message); return sec; }
  const made = build(doc);
  const form = h("form", { id: `${query}-form`, on: { submit: async (e) => {
    e.preventDefault();
    msg.clear();
    clearErrors(form);
    let payload;
    try { payload = made.body(); } catch (err) {
      if (err.field) err.field.error.textContent = err.message; else msg.say(err.message);
      return;
    }
    try {
      await s3("PUT", `/${bucket}?${query}`, { body: payload, headers: type ? { "content-type": type } : {} });
      msg.say(`${title}: saved`, "ok");
      await raw.refresh();
    } catch (err) {
      const target = made.fieldFor?.(err) ;
      if (target) target.error.textContent = err.message; else msg.say(err.message);
    }
  } } }, made.content);
  if (put) form.append(h("div.form-actions", h("button", { type: "submit" }, "Save"),
    del ? button("Remove", async () => {
      if (!confirm(`Remove the bucket's ${title.toLowerCase()}?`)) return;
      try { await s3("DELETE", `/${bucket}?${query}`); msg.say(`${title}: removed`, "ok"); }
      catch (err) { msg.say(err.message); }
    }) : null));
  else for (const el of form.querySelectorAll("input, select, textarea")) el.disabled = true;
  const raw = rawEditor(title, {
    load: () => storedText(bucket, query),
    save: async (body) => { await s3("PUT", `/${bucket}?${query}`, { body }); msg.say(`${title}: saved`, "ok"); },
    readOnly: !put,
  });
  sec.append(form, raw);
  return sec;
}

class FieldError extends Error { constructor(f, m) { super(m); this.field = f; } }

function number(f, { min = 0, optional = true } = {}) {
  const v = f.input.value.trim();
  if (v === "" && optional) return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new FieldError(f, `A whole number of at least ${min}`);
  return n;
}

// Settings tab.

function versioning(doc) {
  const status = text(doc, "Status") || "Off (never enabled)";
  const choice = field("Versioning", h("select#versioning-status",
    h("option", { value: "Enabled" }, "Enabled: every overwrite and delete keeps the old version"),
    h("option", { value: "Suspended" }, "Suspended: new writes replace the null version")));
  choice.input.value = text(doc, "Status") === "Suspended" ? "Suspended" : "Enabled";
  return {
    content: [h("p", "Now: ", h("strong#versioning-now", status)), choice],
    body: () => `<VersioningConfiguration><Status>${choice.input.value}</Status></VersioningConfiguration>`,
  };
}

function objectLock(doc) {
  const enabled = text(doc, "ObjectLockEnabled") === "Enabled";
  const mode = field("Default retention", h("select#lock-mode", h("option", { value: "" }, "None"),
    h("option", { value: "GOVERNANCE" }, "Governance (those allowed may bypass)"), h("option", { value: "COMPLIANCE" }, "Compliance (no one may shorten it)")));
  const days = field("Days", h("input#lock-days", { type: "number", min: 1 }));
  const years = field("or years", h("input#lock-years", { type: "number", min: 1 }));
  mode.input.value = text(doc, "Mode");
  days.input.value = text(doc, "Days");
  years.input.value = text(doc, "Years");
  return {
    content: [h("p", enabled ? "Object Lock is on: versions can be retained and held." : "Object Lock is off. Saving turns it on (versioning must be enabled); it cannot be turned off again."),
      mode, h("div.inline", days, years)],
    body: () => {
      let rule = "";
      if (mode.input.value) {
        const d = number(days), y = number(years);
        if ((d === null) === (y === null)) throw new FieldError(days, "Give the retention in days or in years (one of them)");
        rule = `<Rule><DefaultRetention><Mode>${mode.input.value}</Mode>${d !== null ? `<Days>${d}</Days>` : `<Years>${y}</Years>`}</DefaultRetention></Rule>`;
      }
      return `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`;
    },
  };
}

/** Rows of inputs that can be added and removed: `make(values)` returns the row's fields. */
function rows(id, make, initial, addLabel) {
  const box = h(`div#${id}.rows`);
  const add = (values = {}) => {
    const fields = make(values);
    const r = h("fieldset.row-set", fields, button("Remove", () => r.remove(), { class: "remove" }));
    r.fields = fields;
    box.append(r);
  };
  for (const v of initial) add(v);
  return { box, add, all: () => [...box.querySelectorAll(".row-set")], addButton: button(addLabel, () => add(), { id: `${id}-add` }) };
}

function tagging(doc) {
  const r = rows("bucket-tags", (v) => [field("Key", h("input.tag-key", { value: v.key || "" })), field("Value", h("input.tag-value", { value: v.value || "" }))],
    all(doc, "Tag").map((t) => ({ key: text(t, "Key"), value: text(t, "Value") })), "Add a tag");
  return {
    content: [r.box, r.addButton],
    body: () => `<Tagging><TagSet>${r.all().map((x) => {
      const [k, v] = x.fields;
      if (!k.input.value) throw new FieldError(k, "A tag needs a key");
      return `<Tag><Key>${escapeXml(k.input.value)}</Key><Value>${escapeXml(v.input.value)}</Value></Tag>`;
    }).join("")}</TagSet></Tagging>`,
  };
}

const METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"];
const list = (v) => v.split(",").map((s) => s.trim()).filter(Boolean);

function cors(doc) {
  const r = rows("cors-rules", (v) => [
    field("Allowed origins", h("input.cors-origins", { value: v.origins || "", placeholder: "https://app.example.com, *" })),
    h("div.methods", { role: "group", "aria-label": "Allowed methods" }, METHODS.map((m) => h("label.check", h("input", { type: "checkbox", value: m, checked: (v.methods || ["GET"]).includes(m) }), ` ${m}`))),
    field("Allowed headers", h("input.cors-headers", { value: v.headers || "" })),
    field("Exposed headers", h("input.cors-expose", { value: v.expose || "" })),
    field("Max age (s)", h("input.cors-age", { type: "number", min: 0, value: v.age || "" })),
  ], all(doc, "CORSRule").map((c) => ({
    origins: all(c, "AllowedOrigin").map((x) => x.textContent).join(", "),
    methods: all(c, "AllowedMethod").map((x) => x.textContent),
    headers: all(c, "AllowedHeader").map((x) => x.textContent).join(", "),
    expose: all(c, "ExposeHeader").map((x) => x.textContent).join(", "),
    age: text(c, "MaxAgeSeconds"),
  })), "Add a rule");
  return {
    content: [r.box, r.addButton],
    body: () => `<CORSConfiguration>${r.all().map((x) => {
      const [origins, methods, headers, expose, age] = x.fields;
      if (!list(origins.input.value).length) throw new FieldError(origins, "At least one origin (or *)");
      const ms = [...methods.querySelectorAll("input:checked")].map((c) => c.value);
      if (!ms.length) throw new FieldError(origins, "Choose at least one method");
      const a = number(age);
      return `<CORSRule>${list(origins.input.value).map((o) => `<AllowedOrigin>${escapeXml(o)}</AllowedOrigin>`).join("")}`
        + ms.map((m) => `<AllowedMethod>${m}</AllowedMethod>`).join("")
        + list(headers.input.value).map((o) => `<AllowedHeader>${escapeXml(o)}</AllowedHeader>`).join("")
        + list(expose.input.value).map((o) => `<ExposeHeader>${escapeXml(o)}</ExposeHeader>`).join("")
        + (a !== null ? `<MaxAgeSeconds>${a}</MaxAgeSeconds>` : "") + "</CORSRule>";
    }).join("")}</CORSConfiguration>`,
  };
}

function lifecycle(doc) {
  const r = rows("lifecycle-rules", (v) => [
    field("Rule name", h("input.lc-id", { value: v.id || "" })),
    field("Prefix", h("input.lc-prefix", { value: v.prefix || "" })),
    h("label.check", h("input.lc-enabled", { type: "checkbox", checked: v.enabled !== false }), " Enabled"),
    field("Expire objects after (days)", h("input.lc-days", { type: "number", min: 1, value: v.days || "" })),
    field("Remove old versions after (days)", h("input.lc-noncurrent", { type: "number", min: 1, value: v.noncurrent || "" })),
    field("Abort unfinished uploads after (days)", h("input.lc-abort", { type: "number", min: 1, value: v.abort || "" })),
  ], all(doc, "Rule").map((x) => ({
    id: text(x, "ID"), prefix: text(x, "Prefix"), enabled: text(x, "Status") === "Enabled",
    days: text(children(x, "Expiration")[0], "Days"), noncurrent: text(x, "NoncurrentDays"), abort: text(x, "DaysAfterInitiation"),
  })), "Add a rule");
  return {
    content: [r.box, r.addButton],
    body: () => `<LifecycleConfiguration>${r.all().map((x) => {
      const [id, prefix, enabled, days, noncurrent, abort] = x.fields;
      const d = number(days, { min: 1 }), n = number(noncurrent, { min: 1 }), a = number(abort, { min: 1 });
      if (d === null && n === null && a === null) throw new FieldError(days, "A rule needs at least one action");
      return `<Rule>${id.input.value ? `<ID>${escapeXml(id.input.value)}</ID>` : ""}<Filter><Prefix>${escapeXml(prefix.input.value)}</Prefix></Filter>`
        + `<Status>${enabled.querySelector("input").checked ? "Enabled" : "Disabled"}</Status>`
        + (d !== null ? `<Expiration><Days>${d}</Days></Expiration>` : "")
        + (n !== null ? `<NoncurrentVersionExpiration><NoncurrentDays>${n}</NoncurrentDays></NoncurrentVersionExpiration>` : "")
        + (a !== null ? `<AbortIncompleteMultipartUpload><DaysAfterInitiation>${a}</DaysAfterInitiation></AbortIncompleteMultipartUpload>` : "")
        + "</Rule>";
    }).join("")}</LifecycleConfiguration>`,
  };
}

const EVENT_GROUPS = [["s3:ObjectCreated:*", "Created"], ["s3:ObjectRemoved:*", "Removed"], ["s3:ObjectTagging:*", "Tagging"],
  ["s3:ObjectAcl:Put", "ACL"], ["s3:LifecycleExpiration:*", "Expired"], ["s3:ObjectCreated:Origin", "Origin fills"]];

/** Bucket notifications: each row a target (by its ARN), events, prefix and suffix. */
function notifications(targets) {
  return (doc) => {
    const configs = ["QueueConfiguration", "TopicConfiguration", "CloudFunctionConfiguration"]
      .flatMap((name) => all(doc, name)).map((c) => ({
        arn: text(c, "Queue") || text(c, "Topic") || text(c, "CloudFunction"),
        events: all(c, "Event").map((e) => e.textContent),
        prefix: all(c, "FilterRule").filter((r) => text(r, "Name").toLowerCase() === "prefix").map((r) => text(r, "Value"))[0] || "",
        suffix: all(c, "FilterRule").filter((r) => text(r, "Name").toLowerCase() === "suffix").map((r) => text(r, "Value"))[0] || "",
      }));
    const r = rows("notify-rules", (v) => [
      field("Target", h("select.notify-target", targets.map((t) => h("option", { value: t.arn, selected: t.arn === v.arn }, `${t.id} (${t.kind})`)))),
      h("div.methods", { role: "group", "aria-label": "Events" }, EVENT_GROUPS.map(([e, label]) =>
        h("label.check", h("input", { type: "checkbox", value: e, checked: (v.events || ["s3:ObjectCreated:*"]).includes(e) }), ` ${label}`))),
      field("Keys starting with", h("input.notify-prefix", { value: v.prefix || "" })),
      field("and ending with", h("input.notify-suffix", { value: v.suffix || "" })),
    ], configs, "Add a destination");
    return {
      content: [targets.length ? null : h("p.muted", "The server has no notification target: an administrator declares them in [[notify.targets]] of its configuration."),
        r.box, targets.length ? r.addButton : null],
      body: () => `<NotificationConfiguration>${r.all().map((x) => {
        const [target, events, prefix, suffix] = x.fields;
        const chosen = [...events.querySelectorAll("input:checked")].map((c) => c.value);
        if (!chosen.length) throw new FieldError(target, "Choose at least one kind of event");
        const rules = [["prefix", prefix.input.value], ["suffix", suffix.input.value]].filter(([, v]) => v)
          .map(([n, v]) => `<FilterRule><Name>${n}</Name><Value>${escapeXml(v)}</Value></FilterRule>`).join("");
        return `<QueueConfiguration><Queue>${escapeXml(target.input.value)}</Queue>${chosen.map((e) => `<Event>${e}</Event>`).join("")}`
          + (rules ? `<Filter><S3Key>${rules}</S3Key></Filter>` : "") + "</QueueConfiguration>";
      }).join("")}</NotificationConfiguration>`,
    };
  };
}

/** The quota, through the admin API (administrators only). */
async function quotaSection(bucket) {
  const msg = messages("quota-message");
  const sec = section("Quota", msg);
  sec.id = "setting-quota";
  let current;
  try { current = await api(`admin/v1/buckets/${q(bucket)}/quota`); } catch (e) { msg.say(e.message); return sec; }
  const maxBytes = field("Most bytes", h("input#quota-bytes", { type: "number", min: 0, value: current.quota?.max_bytes ?? "" }), { hint: "empty: no bound" });
  const maxObjects = field("Most object versions", h("input#quota-objects", { type: "number", min: 0, value: current.quota?.max_objects ?? "" }));
  const form = h("form#quota-form", { on: { submit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    msg.clear();
    try {
      const b = number(maxBytes), o = number(maxObjects);
      if (b === null && o === null) await api(`admin/v1/buckets/${q(bucket)}/quota`, { method: "DELETE" });
      else await api(`admin/v1/buckets/${q(bucket)}/quota`, { method: "PUT", body: { max_bytes: b ?? undefined, max_objects: o ?? undefined } });
      msg.say("Quota saved", "ok");
    } catch (err) { if (err.field) err.field.error.textContent = err.message; else msg.say(err.message); }
  } } }, h("p.muted", `Used now: ${count(current.usage.bytes)} bytes in ${count(current.usage.objects)} object versions`),
  h("div.inline", maxBytes, maxObjects), h("button", { type: "submit" }, "Save quota"));
  sec.append(form);
  return sec;
}

/** Empty the bucket (every version and delete marker), then delete it. */
function dangerZone(ctx) {
  const { bucket, rights } = ctx;
  const msg = messages("danger-message");
  const bar = progressLine("empty-progress", "Emptying the bucket");
  bar.hidden = true;
  const results = h("ul#empty-results");
  async function empty() {
    let keys = [], versions = [];
    let markers = null;
    const canVersions = rights.listVersions;
    do {
      const path = canVersions ? `/${bucket}?versions&max-keys=1000${markers ? `&key-marker=${q(markers[0])}&version-id-marker=${q(markers[1])}` : ""}`
        : `/${bucket}?list-type=2&max-keys=1000${markers ? `&continuation-token=${q(markers)}` : ""}`;
      const doc = await s3xml("GET", path);
      for (const v of [...doc.documentElement.children].filter((e) => ["Version", "DeleteMarker", "Contents"].includes(e.tagName))) {
        keys.push(text(v, "Key"));
        versions.push(text(v, "VersionId") || "null");
      }
      const more = text(doc, "IsTruncated") === "true";
      markers = !more ? null : canVersions ? [text(doc, "NextKeyMarker"), text(doc, "NextVersionIdMarker")] : text(doc, "NextContinuationToken");
      bar.set(null, `Listed ${count(keys.length)}…`);
    } while (markers);
    return { keys, versions };
  }
  const emptyButton = rights.deleteObject ? button("Empty bucket", async () => {
    msg.clear();
    results.replaceChildren();
    bar.hidden = false;
    const { keys, versions } = await empty();
    if (!confirm(`Delete all ${count(keys.length)} object versions and delete markers in ${bucket}? This cannot be undone.`)) { bar.hidden = true; return; }
    const failures = await deleteInBatches(bucket, keys, (n) => bar.set(Math.round((100 * n) / Math.max(1, keys.length)), `${count(n)} of ${count(keys.length)}`),
      rights.deleteVersion ? versions : null);
    for (const [k, why] of failures.slice(0, 100)) results.append(h("li.failed", `${k}: ${why}`));
    bar.set(100, `${count(keys.length - failures.length)} deleted, ${count(failures.length)} failed`, failures.length ? "failed" : "done");
    msg.say(failures.length ? `${count(failures.length)} could not be deleted (the first are listed)` : `${bucket} is empty`, failures.length ? "error" : "ok");
  }, { id: "empty-bucket" }) : null;
  const deleteButton = rights.deleteBucket ? button("Delete bucket", async () => {
    msg.clear();
    if (!confirm(`Delete the bucket ${bucket}?`)) return;
    try { await s3("DELETE", `/${bucket}`); navigate("/console"); }
    catch (e) { msg.say(e.code === "BucketNotEmpty" ? `${bucket} still holds objects or versions: empty it first` : e.message); }
  }, { id: "delete-bucket" }) : null;
  if (!emptyButton && !deleteButton) return null;
  return h("section#danger.panel.danger", { "aria-labelledby": "danger-title" }, h("h2#danger-title", "Empty or delete"), msg,
    h("p.toolbar", emptyButton, " ", deleteButton), bar, results);
}

export async function settingsTab(body, ctx) {
  const r = ctx.rights;
  const sections = await Promise.all([
    settingSection(ctx, { title: "Versioning", query: "versioning", get: r.getVersioning, put: r.putVersioning, build: versioning }),
    settingSection(ctx, { title: "Object Lock", query: "object-lock", get: r.getObjectLock, put: r.putObjectLock, build: objectLock }),
    settingSection(ctx, { title: "Tags", query: "tagging", get: r.getTagging, put: r.putTagging, del: true, build: tagging }),
    settingSection(ctx, { title: "CORS", query: "cors", get: r.getCors, put: r.putCors, del: true, build: cors }),
    settingSection(ctx, { title: "Lifecycle", query: "lifecycle", get: r.getLifecycle, put: r.putLifecycle, del: true, build: lifecycle }),
    api("notify-targets").then(({ targets }) => settingSection(ctx, { title: "Notifications", query: "notification",
      get: r.getNotification, put: r.putNotification, build: notifications(targets) })),
  ]);
  body.append(...sections);

  if (session.admin) body.append(await quotaSection(ctx.bucket));
  const danger = dangerZone(ctx);
  if (danger) body.append(danger);
}

// Access tab.

function policy(_doc, bucket, textValue) {
  const area = field("Policy (JSON)", h("textarea#policy-text.raw", { rows: 12, spellcheck: false }));
  area.input.value = textValue;
  const template = button("Fill in: anyone may read objects", () => {
    area.input.value = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::${bucket}/*`] }] }, null, 2);
  }, { id: "policy-template" });
  return {
    content: [area, template],
    body: () => {
      try { JSON.parse(area.input.value); } catch (e) { throw new FieldError(area, `Not JSON: ${e.message}`); }
      return area.input.value;
    },
    fieldFor: () => area,
  };
}

function acl(doc) {
  const grants = all(doc, "Grant").map((g) => `${text(g, "URI").split("/").pop() || text(g, "ID").slice(0, 12) || "?"}: ${text(g, "Permission")}`);
  const choice = field("Canned ACL", h("select#acl-canned",
    ["private", "public-read", "public-read-write", "authenticated-read"].map((v) => h("option", { value: v }, v))));
  const publicRead = grants.some((g) => g.startsWith("AllUsers: READ"));
  choice.input.value = grants.some((g) => g.startsWith("AllUsers: WRITE")) ? "public-read-write" : publicRead ? "public-read"
    : grants.some((g) => g.startsWith("AuthenticatedUsers")) ? "authenticated-read" : "private";
  return {
    content: [h("p", "Grants now: ", h("span#acl-grants", grants.join("; ") || "none")), choice],
    canned: () => choice.input.value,
  };
}

function ownership(doc) {
  const choice = field("Object ownership", h("select#ownership",
    h("option", { value: "BucketOwnerEnforced" }, "Bucket owner enforced (ACLs off)"),
    h("option", { value: "BucketOwnerPreferred" }, "Bucket owner preferred"),
    h("option", { value: "ObjectWriter" }, "Object writer")));
  choice.input.value = text(doc, "ObjectOwnership") || "ObjectWriter";
  return {
    content: [choice],
    body: () => `<OwnershipControls><Rule><ObjectOwnership>${choice.input.value}</ObjectOwnership></Rule></OwnershipControls>`,
  };
}

const SWITCHES = [["BlockPublicAcls", "Refuse new public ACLs"], ["IgnorePublicAcls", "Ignore public ACLs"],
  ["BlockPublicPolicy", "Refuse public policies"], ["RestrictPublicBuckets", "Restrict a public policy to the owner"]];

function publicBlock(doc) {
  const boxes = SWITCHES.map(([name, label]) => h("label.check", h("input", { type: "checkbox", id: `pab-${name}`, checked: text(doc, name) === "true" }), ` ${label}`));
  return {
    content: [h("div.checks", boxes)],
    body: () => `<PublicAccessBlockConfiguration>${SWITCHES.map(([name]) => `<${name}>${document.getElementById(`pab-${name}`).checked}</${name}>`).join("")}</PublicAccessBlockConfiguration>`,
  };
}

export async function accessTab(body, ctx) {
  const { bucket, rights: r } = ctx;
  const { buckets } = await api("buckets");
  const me = buckets.find((b) => b.name === bucket);
  body.append(h("p#public-status", me?.public ? badge("Public", "warn") : badge("Private"),
    me?.public ? " Anyone on the network can read from this bucket." : " Only the owner and those granted access can read it."));
  let policyText = "";
  if (r.getPolicy) { try { policyText = await s3("GET", `/${bucket}?policy`); } catch (e) { if (!isMissing(e)) throw e; } }
  const sections = await Promise.all([
    settingSection(ctx, { title: "Bucket policy", query: "policy", get: r.getPolicy, put: r.putPolicy, del: true, type: "application/json", xmlDocument: false,
      build: (doc) => policy(doc, bucket, policyText) }),
    settingSection(ctx, { title: "Object ownership", query: "ownershipControls", get: r.getOwnership, put: r.putOwnership, del: true, build: ownership }),
    settingSection(ctx, { title: "Block Public Access", query: "publicAccessBlock", get: r.getPublicAccessBlock, put: r.putPublicAccessBlock, del: true, build: publicBlock }),
  ]);
  body.append(...sections);
  // The ACL is set with a canned ACL header, not a document.
  const msg = messages("acl-message");
  const sec = section("Access control list", msg);
  sec.id = "setting-acl";
  if (r.getAcl) {
    const made = acl(await stored(bucket, "acl"));
    const form = h("form#acl-form", { on: { submit: async (e) => {
      e.preventDefault();
      msg.clear();
      try { await s3("PUT", `/${bucket}?acl`, { headers: { "x-amz-acl": made.canned() } }); msg.say("ACL saved", "ok"); }
      catch (err) { msg.say(err.message); }
    } } }, made.content, r.putAcl ? h("button", { type: "submit" }, "Save") : null);
    sec.append(form, rawEditor("Access control list", { load: () => s3("GET", `/${bucket}?acl`),
      save: async (b) => { await s3("PUT", `/${bucket}?acl`, { body: b }); msg.say("ACL saved", "ok"); }, readOnly: !r.putAcl }));
  } else sec.append(h("p.muted", "You may not read this setting."));
  body.append(sec);
}
