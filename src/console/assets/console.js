// The originstore console: plain modern JavaScript, no build step. Every action is an S3
// request to /console/s3/... authorised by the session cookie (the server applies the same
// access rules as to any S3 client); changes carry the session's CSRF token, kept in memory
// only (never in the page's storage).

let csrf = null;
let bucket = null;
let prefix = "";
let continuation = null;

const $ = (id) => document.getElementById(id);

function say(text, ok = false) {
  $("message").textContent = text;
  $("message").className = ok ? "ok" : "";
}

function show(view) {
  for (const id of ["sign-in-view", "buckets-view", "objects-view"]) {
    $(id).hidden = id !== view;
  }
  $("who").hidden = view === "sign-in-view";
}

function xml(text) {
  return new DOMParser().parseFromString(text, "application/xml");
}

function text(node, name) {
  const el = node.getElementsByTagName(name)[0];
  return el ? el.textContent : "";
}

/** An S3 request as the signed-in user; throws the S3 error message on failure. */
async function s3(method, path, { body, headers = {} } = {}) {
  const h = { ...headers };
  if (method !== "GET" && method !== "HEAD") h["x-csrf-token"] = csrf;
  const res = await fetch("/console/s3" + path, { method, body, headers: h, credentials: "same-origin" });
  const body_text = method === "HEAD" ? "" : await res.text();
  if (!res.ok) {
    const doc = body_text ? xml(body_text) : null;
    throw new Error(doc ? `${text(doc, "Code")}: ${text(doc, "Message")}` : `HTTP ${res.status}`);
  }
  return body_text;
}

function enc(key) {
  return key.split("/").map(encodeURIComponent).join("/");
}

async function signedIn(session) {
  csrf = session.csrf;
  $("user").textContent = session.accessKey;
  await listBuckets();
}

async function listBuckets() {
  const doc = xml(await s3("GET", "/"));
  const rows = $("buckets");
  rows.replaceChildren();
  for (const b of doc.getElementsByTagName("Bucket")) {
    const name = text(b, "Name");
    const tr = document.createElement("tr");
    const open = document.createElement("button");
    open.type = "button";
    open.textContent = name;
    open.className = "open-bucket";
    open.addEventListener("click", () => openBucket(name, ""));
    const del = document.createElement("button");
    del.type = "button";
    del.textContent = "Delete";
    del.setAttribute("aria-label", `Delete bucket ${name}`);
    del.addEventListener("click", async () => {
      if (!confirm(`Delete the empty bucket ${name}?`)) return;
      try { await s3("DELETE", `/${name}`); say(`Deleted ${name}`, true); await listBuckets(); }
      catch (e) { say(e.message); }
    });
    const count = document.createElement("span");
    const size = document.createElement("span");
    const cells = [open, count, size, document.createTextNode(text(b, "CreationDate")), del];
    for (const c of cells) { const td = document.createElement("td"); td.append(c); tr.append(td); }
    rows.append(tr);
    bucketSummary(name, count, size);
  }
  show("buckets-view");
  await serverInfo();
}

/** Objects and bytes of a bucket's first 1000 keys ("1000+" beyond). */
async function bucketSummary(name, count, size) {
  try {
    const doc = xml(await s3("GET", `/${name}?list-type=2&max-keys=1000`));
    const sizes = [...doc.getElementsByTagName("Size")].map((n) => Number(n.textContent));
    const more = text(doc, "IsTruncated") === "true" ? "+" : "";
    count.textContent = `${sizes.length}${more}`;
    size.textContent = `${bytes(sizes.reduce((a, b) => a + b, 0))}${more}`;
  } catch (e) { count.textContent = "?"; }
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

let lastRequests = null;
async function serverInfo() {
  const res = await fetch("/console/api/server", { credentials: "same-origin" });
  if (!res.ok) return;
  const info = await res.json();
  const rate = lastRequests === null ? "" : ` (${Math.max(0, (info.requests - lastRequests.n) / ((Date.now() - lastRequests.t) / 1000)).toFixed(1)}/s)`;
  lastRequests = { n: info.requests, t: Date.now() };
  const dl = $("server");
  dl.replaceChildren();
  for (const [k, v] of [["Version", info.version], ["Uptime", `${info.uptimeSeconds} s`],
                        ["Data directory", info.dataDirectory],
                        ["Disk", `${bytes(info.diskFreeBytes)} free of ${bytes(info.diskTotalBytes)}`],
                        ["Requests", `${info.requests}${rate}`]]) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    dl.append(dt, dd);
  }
}

// The bucket's usage, and its quota when it has one.
async function bucketUsage() {
  const line = $("bucket-usage");
  line.textContent = "";
  const res = await fetch(`/console/api/usage?bucket=${encodeURIComponent(bucket)}`, { credentials: "same-origin" });
  if (!res.ok) return;
  const u = await res.json();
  let text = `Usage: ${bytes(u.bytes)} in ${u.objects} object version${u.objects === 1 ? "" : "s"}`;
  if (u.quota) {
    const limits = [];
    if (u.quota.maxBytes !== null) limits.push(bytes(u.quota.maxBytes));
    if (u.quota.maxObjects !== null) limits.push(`${u.quota.maxObjects} objects`);
    text += `; quota: ${limits.join(", ")}`;
  }
  line.textContent = text;
}

async function openBucket(name, at) {
  bucket = name;
  prefix = at;
  continuation = null;
  $("bucket-title").textContent = name;
  $("prefix-title").textContent = at;
  $("objects").replaceChildren();
  $("share").hidden = true;
  $("details").hidden = true;
  show("objects-view");
  await bucketUsage();
  await listObjects();
  await loadOrigin();
  await migration();
}

async function listObjects() {
  let q = `?list-type=2&delimiter=%2F&prefix=${encodeURIComponent(prefix)}`;
  if (continuation) q += `&continuation-token=${encodeURIComponent(continuation)}`;
  const doc = xml(await s3("GET", `/${bucket}${q}`));
  const rows = $("objects");
  for (const p of doc.getElementsByTagName("CommonPrefixes")) {
    const name = text(p, "Prefix");
    const tr = document.createElement("tr");
    tr.dataset.name = name;
    const open = document.createElement("button");
    open.type = "button";
    open.className = "open-folder";
    open.textContent = name.slice(prefix.length);
    open.addEventListener("click", () => openBucket(bucket, name));
    const td = document.createElement("td");
    td.append(open);
    tr.append(td, document.createElement("td"), document.createElement("td"), document.createElement("td"));
    rows.append(tr);
  }
  for (const o of doc.getElementsByTagName("Contents")) {
    const key = text(o, "Key");
    const tr = document.createElement("tr");
    tr.dataset.name = key;
    const link = document.createElement("a");
    link.href = `/console/s3/${bucket}/${enc(key)}`;
    link.textContent = key.slice(prefix.length);
    link.setAttribute("download", key.split("/").pop());
    const share = document.createElement("button");
    share.type = "button";
    share.textContent = "Share";
    share.setAttribute("aria-label", `Share ${key}`);
    share.addEventListener("click", async () => {
      const expires = $("share-expiry").value;
      const res = await fetch(`/console/api/presign?bucket=${encodeURIComponent(bucket)}&key=${encodeURIComponent(key)}&expires=${expires}`, { credentials: "same-origin" });
      if (!res.ok) { say("Cannot share this object"); return; }
      $("share-url").value = (await res.json()).url;
      $("share").hidden = false;
    });
    const del = document.createElement("button");
    del.type = "button";
    del.textContent = "Delete";
    del.setAttribute("aria-label", `Delete ${key}`);
    del.addEventListener("click", async () => {
      if (!confirm(`Delete ${key}?`)) return;
      try { await s3("DELETE", `/${bucket}/${enc(key)}`); say(`Deleted ${key}`, true); await openBucket(bucket, prefix); }
      catch (e) { say(e.message); }
    });
    const details = document.createElement("button");
    details.type = "button";
    details.textContent = "Details";
    details.setAttribute("aria-label", `Details of ${key}`);
    details.addEventListener("click", () => showDetails(key));
    const actions = document.createElement("span");
    actions.append(details, " ", share, " ", del);
    const cells = [link, document.createTextNode(text(o, "Size")), document.createTextNode(text(o, "LastModified")), actions];
    for (const c of cells) { const td = document.createElement("td"); td.append(c); tr.append(td); }
    rows.append(tr);
  }
  continuation = text(doc, "NextContinuationToken") || null;
  $("more").hidden = !continuation;
  applyFilter();
}

async function showDetails(key) {
  const res = await fetch(`/console/s3/${bucket}/${enc(key)}`, {
    method: "HEAD", credentials: "same-origin", headers: { "x-amz-checksum-mode": "ENABLED" },
  });
  const rows = [["Key", key], ["Size", res.headers.get("content-length")], ["ETag", res.headers.get("etag")],
                ["Type", res.headers.get("content-type")], ["Last modified", res.headers.get("last-modified")]];
  for (const [name, value] of res.headers) {
    if (name.startsWith("x-amz-meta-")) rows.push([name.slice(11), value]);
    if (name.startsWith("x-amz-checksum-") && name !== "x-amz-checksum-type") rows.push([name.slice(15).toUpperCase(), value]);
  }
  try {
    const tags = xml(await s3("GET", `/${bucket}/${enc(key)}?tagging`));
    for (const t of tags.getElementsByTagName("Tag")) rows.push([`tag ${text(t, "Key")}`, text(t, "Value")]);
  } catch (e) { /* no tags readable */ }
  const dl = $("details-list");
  dl.replaceChildren();
  for (const [k, v] of rows) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v ?? "";
    dl.append(dt, dd);
  }
  $("details").hidden = false;
}

/** Every version and delete marker under the prefix (a versioned bucket's history). */
async function listVersions() {
  const doc = xml(await s3("GET", `/${bucket}?versions&prefix=${encodeURIComponent(prefix)}`));
  const rows = $("versions");
  rows.replaceChildren();
  const entries = [...doc.documentElement.children].filter((e) => e.tagName === "Version" || e.tagName === "DeleteMarker");
  for (const v of entries) {
    const key = text(v, "Key");
    const id = text(v, "VersionId");
    const marker = v.tagName === "DeleteMarker";
    const tr = document.createElement("tr");
    tr.dataset.name = key;
    tr.dataset.kind = marker ? "marker" : "version";
    const name = document.createElement(marker ? "span" : "a");
    name.textContent = key.slice(prefix.length) + (text(v, "IsLatest") === "true" ? " (latest)" : "");
    if (!marker) name.href = `/console/s3/${bucket}/${enc(key)}?versionId=${encodeURIComponent(id)}`;
    const del = document.createElement("button");
    del.type = "button";
    del.textContent = "Delete version";
    del.setAttribute("aria-label", `Delete version ${id} of ${key}`);
    del.addEventListener("click", async () => {
      if (!confirm(`Delete version ${id} of ${key} for good?`)) return;
      try { await s3("DELETE", `/${bucket}/${enc(key)}?versionId=${encodeURIComponent(id)}`); await listVersions(); }
      catch (e) { say(e.message); }
    });
    const cells = [name, document.createTextNode(marker ? `${id} (delete marker)` : id),
                   document.createTextNode(marker ? "" : text(v, "Size")), document.createTextNode(text(v, "LastModified")), del];
    for (const c of cells) { const td = document.createElement("td"); td.append(c); tr.append(td); }
    rows.append(tr);
  }
}

function applyFilter() {
  const f = $("filter").value.toLowerCase();
  for (const tr of $("objects").children) {
    tr.hidden = f !== "" && !tr.dataset.name.toLowerCase().includes(f);
  }
}

/** One PUT of `body` with progress callbacks; resolves to the XMLHttpRequest. */
function put(url, body, onProgress, type) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("x-csrf-token", csrf);
    if (type) xhr.setRequestHeader("content-type", type);
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) onProgress(e.loaded); });
    xhr.addEventListener("load", () => (xhr.status >= 200 && xhr.status < 300 ? resolve(xhr) : reject(new Error(`HTTP ${xhr.status}`))));
    xhr.addEventListener("error", () => reject(new Error("network error")));
    xhr.send(body);
  });
}

/** Files over this go up as a multipart upload, in parts of PART bytes. */
const MULTIPART_OVER = 64 * 1024 * 1024;
const PART = 16 * 1024 * 1024;

async function uploadMultipart(path, file, bar) {
  const created = xml(await s3("POST", `${path}?uploads`, { headers: file.type ? { "content-type": file.type } : {} }));
  const id = encodeURIComponent(text(created, "UploadId"));
  const parts = [];
  let done = 0;
  for (let start = 0, n = 1; start < file.size; start += PART, n++) {
    const chunk = file.slice(start, start + PART);
    const xhr = await put(`/console/s3${path}?partNumber=${n}&uploadId=${id}`, chunk,
      (loaded) => { bar.value = Math.round((100 * (done + loaded)) / file.size); });
    done += chunk.size;
    parts.push(`<Part><PartNumber>${n}</PartNumber><ETag>${xhr.getResponseHeader("etag")}</ETag></Part>`);
  }
  await s3("POST", `${path}?uploadId=${id}`, { body: `<CompleteMultipartUpload>${parts.join("")}</CompleteMultipartUpload>` });
}

/** Upload one file with a progress bar (XMLHttpRequest reports upload progress). */
async function upload(file) {
  const name = file.webkitRelativePath || file.name;
  const li = document.createElement("li");
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", `Upload of ${name}`);
  bar.dataset.file = name;
  li.append(`${name} `, bar);
  $("uploads").append(li);
  const path = `/${bucket}/${enc(prefix + name)}`;
  if (file.size > MULTIPART_OVER) {
    await uploadMultipart(path, file, bar);
  } else {
    await put(`/console/s3${path}`, file, (loaded) => { bar.value = Math.round((100 * loaded) / Math.max(1, file.size)); }, file.type);
  }
  bar.value = 100;
}

function escapeXml(v) {
  return v.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** The form as an OriginConfiguration of one rule. */
function originXml() {
  const v = (id) => escapeXml($(id).value.trim());
  const standby = v("origin-standby") ? `<StandbyHostName_1>${v("origin-standby")}</StandbyHostName_1>` : "";
  const rewrite = v("origin-rewrite-from")
    ? `<FileInfo><PrefixConfiguration><Prefix>${v("origin-rewrite-from")}</Prefix><ReplacedWithPrefix>${v("origin-rewrite-to")}</ReplacedWithPrefix></PrefixConfiguration></FileInfo>` : "";
  const [hk, hv] = $("origin-header").value.split(":").map((x) => escapeXml((x || "").trim()));
  const header = hk ? `<HttpHeader><NewHttpHeaders><Header><Key>${hk}</Key><Value>${hv || ""}</Value></Header></NewHttpHeaders></HttpHeader>` : "";
  const freshness = v("origin-max-age") ? `<Freshness><MaxAgeSeconds>${v("origin-max-age")}</MaxAgeSeconds></Freshness>` : "";
  const listThrough = $("origin-list-through").checked ? "<ListThrough>true</ListThrough>" : "";
  return `<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>${v("origin-mode")}</OriginType>`
    + `<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>${v("origin-prefix")}</Prefix><Suffix>${v("origin-suffix")}</Suffix></OriginCondition>`
    + `<OriginParameter><Protocol>${v("origin-protocol")}</Protocol>${header}${freshness}${listThrough}</OriginParameter>`
    + `<OriginInfo><HostInfo><HostName>${v("origin-host")}</HostName>${standby}</HostInfo>${rewrite}</OriginInfo></OriginRule></OriginConfiguration>`;
}

async function saveOrigin(body) {
  $("origin-error").textContent = "";
  $("origin-host-error").textContent = "";
  try {
    await s3("PUT", `/${bucket}?origin`, { body });
    say("Origin saved", true);
    await loadOrigin();
  } catch (err) {
    // The server names the element at fault: show the message next to its field.
    const target = /Host/.test(err.message) ? "origin-host-error" : "origin-error";
    $(target).textContent = err.message;
  }
}

async function loadOrigin() {
  let doc = null;
  try { doc = xml(await s3("GET", `/${bucket}?origin`)); } catch (e) { /* none */ }
  $("origin-xml").value = doc ? new XMLSerializer().serializeToString(doc) : "";
  const rule = doc?.getElementsByTagName("OriginRule")[0];
  const set = (id, v) => { $(id).value = v; };
  set("origin-mode", rule ? text(rule, "OriginType") : "Mirror");
  set("origin-prefix", rule ? text(rule.getElementsByTagName("OriginCondition")[0], "Prefix") : "");
  set("origin-suffix", rule ? text(rule.getElementsByTagName("OriginCondition")[0], "Suffix") : "");
  set("origin-protocol", rule ? text(rule, "Protocol") || "FOLLOW" : "HTTP");
  set("origin-host", rule ? text(rule, "HostName") : "");
  set("origin-max-age", rule ? text(rule, "MaxAgeSeconds") : "");
  $("origin-list-through").checked = rule ? text(rule, "ListThrough") === "true" : false;
}

const samples = [];
async function migration() {
  if (!bucket) return;
  let doc;
  try { doc = xml(await s3("GET", `/${bucket}?origin-status`)); } catch (e) { $("migration").replaceChildren(); return; }
  const rows = $("migration");
  rows.replaceChildren();
  let fills = 0, pulled = 0;
  for (const r of doc.getElementsByTagName("Rule")) {
    const tr = document.createElement("tr");
    const failure = r.getElementsByTagName("LastFailure")[0];
    const breakers = [...r.getElementsByTagName("Breaker")].map((b) => b.textContent).join(", ");
    fills += Number(text(r, "Filled"));
    pulled += Number(text(r, "BytesPulled"));
    for (const v of [`${text(r, "RulePriority")} ${text(r, "Prefix")}`, text(r, "Hits"), text(r, "Misses"), text(r, "Filled"),
                     bytes(Number(text(r, "BytesPulled"))), failure ? `${text(failure, "Key")}: ${text(failure, "Reason")}` : "", breakers]) {
      const td = document.createElement("td"); td.textContent = v; tr.append(td);
    }
    tr.dataset.rule = text(r, "RulePriority");
    rows.append(tr);
  }
  samples.push([fills, pulled]);
  if (samples.length > 60) samples.shift();
  drawChart();
  const backfill = doc.getElementsByTagName("Backfill")[0];
  if (backfill) {
    const listed = Number(text(backfill, "Listed"));
    const done = Number(text(backfill, "Filled")) + Number(text(backfill, "AlreadyLocal")) + Number(text(backfill, "Failed"));
    const state = text(backfill, "State");
    $("backfill-progress").value = state === "Running" ? (listed ? Math.round((100 * done) / listed) : 0) : 100;
    $("backfill-state").textContent = `${state}: ${text(backfill, "Filled")} filled, ${text(backfill, "AlreadyLocal")} already local, ${text(backfill, "Failed")} failed`
      + (state === "Completed" ? " — every listed key is here" : "");
    const failures = $("backfill-failures");
    failures.replaceChildren();
    for (const f of backfill.getElementsByTagName("Failure")) {
      const li = document.createElement("li"); li.textContent = `${text(f, "Key")}: ${text(f, "Reason")}`; failures.append(li);
    }
  }
  for (const [element, id] of [["Delta", "delta-state"], ["Verify", "verify-state"]]) {
    const pass = [...doc.documentElement.children].find((c) => c.tagName === element);
    $(id).textContent = pass
      ? `${element === "Delta" ? "Delta pass" : "Verification"} ${text(pass, "State")}${text(pass, "Clean") === "true" ? " (clean)" : ""}: `
        + [...pass.getElementsByTagName("Count")].map((c) => `${text(c, "Keys")} ${text(c, "Class")}`).join(", ")
        + `, ${text(pass, "Pulled")} pulled, ${text(pass, "Failed")} failed`
      : "";
    if (element === "Verify") {
      const list = $("verify-mismatches");
      list.replaceChildren();
      for (const m of pass ? pass.getElementsByTagName("Mismatch") : []) {
        const li = document.createElement("li"); li.textContent = `${text(m, "Key")}: ${text(m, "Differs")}`; list.append(li);
      }
    }
  }
  const cutover = doc.getElementsByTagName("Cutover")[0];
  $("cutover-verdict").textContent = cutover ? text(cutover, "Verdict") : "";
  const reasons = $("cutover-reasons");
  reasons.replaceChildren();
  for (const r of cutover ? cutover.getElementsByTagName("Reason") : []) {
    const li = document.createElement("li"); li.textContent = r.textContent; reasons.append(li);
  }
}

async function startPass(kind, body) {
  try { await s3("PUT", `/${bucket}?origin-${kind}`, { body }); say(`${kind === "delta" ? "Delta pass" : "Verification"} started`, true); await migration(); }
  catch (err) { say(err.message); }
}

function drawChart() {
  const svg = $("chart");
  const ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  for (const [i, color] of [[0, "#06c"], [1, "#c60"]]) {
    const max = Math.max(1, ...samples.map((s) => s[i]));
    const points = samples.map((s, x) => `${(x * 320) / 60},${78 - (s[i] * 74) / max}`).join(" ");
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points);
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", color);
    svg.append(line);
  }
}

async function init() {
  $("sign-in").addEventListener("submit", async (e) => {
    e.preventDefault();
    const res = await fetch("/console/api/session", {
      method: "POST",
      headers: { "content-type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ accessKey: $("access-key").value, secretKey: $("secret-key").value }),
    });
    $("secret-key").value = "";
    if (!res.ok) { say("The access key or the secret key is wrong"); return; }
    say("");
    await signedIn(await res.json());
  });
  $("sign-out").addEventListener("click", async () => {
    await fetch("/console/api/session", { method: "DELETE", headers: { "x-csrf-token": csrf }, credentials: "same-origin" });
    csrf = null;
    show("sign-in-view");
    say("Signed out", true);
  });
  $("create-bucket").addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = $("bucket-name").value;
    try {
      await s3("PUT", `/${name}`, { headers: { "x-amz-acl": $("bucket-acl").value } });
      say(`Created ${name}`, true);
      $("bucket-name").value = "";
      await listBuckets();
    } catch (err) { say(err.message); }
  });
  $("back-to-buckets").addEventListener("click", () => listBuckets());
  $("more").addEventListener("click", () => listObjects());
  $("filter").addEventListener("input", applyFilter);
  $("show-versions").addEventListener("change", async () => {
    const on = $("show-versions").checked;
    $("versions-table").hidden = !on;
    if (on) { try { await listVersions(); } catch (e) { say(e.message); } }
  });
  $("copy-share").addEventListener("click", () => navigator.clipboard?.writeText($("share-url").value));
  const drop = $("drop-zone");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const files = [...e.dataTransfer.files];
    try { await Promise.all(files.map(upload)); say(`Uploaded ${files.length} file(s)`, true); await openBucket(bucket, prefix); }
    catch (err) { say(err.message); }
  });
  $("origin-form").addEventListener("submit", async (e) => { e.preventDefault(); await saveOrigin(originXml()); });
  $("origin-save-xml").addEventListener("click", () => saveOrigin($("origin-xml").value));
  $("origin-remove").addEventListener("click", async () => {
    try { await s3("DELETE", `/${bucket}?origin`); say("Origin removed", true); await loadOrigin(); }
    catch (err) { say(err.message); }
  });
  $("backfill-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const manifest = $("backfill-manifest").value;
    const source = manifest ? `<Source>Manifest</Source><ManifestKey>${escapeXml(manifest)}</ManifestKey>` : "<Source>List</Source>";
    const body = `<Backfill><Prefix>${escapeXml($("backfill-prefix").value)}</Prefix><Concurrency>${$("backfill-concurrency").value}</Concurrency>${source}</Backfill>`;
    try { await s3("PUT", `/${bucket}?origin-backfill`, { body }); say("Backfill started", true); await migration(); }
    catch (err) { say(err.message); }
  });
  $("delta-start").addEventListener("click", () => startPass("delta", "<Delta/>"));
  $("verify-start").addEventListener("click", () => startPass("verify", "<Verify/>"));
  $("verify-repair").addEventListener("click", () => startPass("verify", "<Verify><Repair>true</Repair></Verify>"));
  $("backfill-cancel").addEventListener("click", async () => {
    try { await s3("DELETE", `/${bucket}?origin-backfill`); await migration(); } catch (err) { say(err.message); }
  });
  setInterval(() => { if (!$("objects-view").hidden) migration(); }, 1000);
  setInterval(() => { if (!$("buckets-view").hidden) serverInfo(); }, 5000);
  $("upload").addEventListener("submit", async (e) => {
    e.preventDefault();
    const files = [...$("files").files, ...$("folder").files];
    try {
      await Promise.all(files.map(upload));
      say(`Uploaded ${files.length} file(s)`, true);
      await openBucket(bucket, prefix);
    } catch (err) { say(err.message); }
  });
  const res = await fetch("/console/api/session", { credentials: "same-origin" });
  if (res.ok) await signedIn(await res.json());
  else show("sign-in-view");
}

init();
