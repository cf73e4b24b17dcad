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
    const cells = [open, document.createTextNode(text(b, "CreationDate")), del];
    for (const c of cells) { const td = document.createElement("td"); td.append(c); tr.append(td); }
    rows.append(tr);
  }
  show("buckets-view");
}

async function openBucket(name, at) {
  bucket = name;
  prefix = at;
  continuation = null;
  $("bucket-title").textContent = name;
  $("prefix-title").textContent = at;
  $("objects").replaceChildren();
  $("share").hidden = true;
  show("objects-view");
  await listObjects();
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
      const res = await fetch(`/console/api/presign?bucket=${encodeURIComponent(bucket)}&key=${encodeURIComponent(key)}&expires=3600`, { credentials: "same-origin" });
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
    const actions = document.createElement("span");
    actions.append(share, " ", del);
    const cells = [link, document.createTextNode(text(o, "Size")), document.createTextNode(text(o, "LastModified")), actions];
    for (const c of cells) { const td = document.createElement("td"); td.append(c); tr.append(td); }
    rows.append(tr);
  }
  continuation = text(doc, "NextContinuationToken") || null;
  $("more").hidden = !continuation;
  applyFilter();
}

function applyFilter() {
  const f = $("filter").value.toLowerCase();
  for (const tr of $("objects").children) {
    tr.hidden = f !== "" && !tr.dataset.name.toLowerCase().includes(f);
  }
}

/** Upload one file with a progress bar (XMLHttpRequest reports upload progress). */
function upload(file) {
  return new Promise((resolve, reject) => {
    const li = document.createElement("li");
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", `Upload of ${file.name}`);
    bar.dataset.file = file.name;
    li.append(`${file.name} `, bar);
    $("uploads").append(li);
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", `/console/s3/${bucket}/${enc(prefix + file.name)}`);
    xhr.setRequestHeader("x-csrf-token", csrf);
    if (file.type) xhr.setRequestHeader("content-type", file.type);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) { bar.value = 100; resolve(); }
      else reject(new Error(`${file.name}: HTTP ${xhr.status}`));
    });
    xhr.addEventListener("error", () => reject(new Error(`${file.name}: network error`)));
    xhr.send(file);
  });
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
  $("copy-share").addEventListener("click", () => navigator.clipboard?.writeText($("share-url").value));
  $("upload").addEventListener("submit", async (e) => {
    e.preventDefault();
    const files = [...$("files").files];
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
