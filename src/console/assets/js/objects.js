// A bucket's view: its breadcrumb (every part a link), its tabs (each an address), and the
// Objects tab: folders and objects listed a page at a time with a count, a search that lists
// by prefix on the server, uploads with true progress (a refused one says why and is marked
// failed), and bulk work — select, delete (DeleteObjects, a thousand keys a request, a
// result per object), delete a folder, share links for a selection.

import { api, s3, s3xml, text, children, all, enc, q, bytes, count, when, escapeXml, session } from "./api.js";
import { h, messages, table, row, button, badge, progressLine, tabs } from "./ui.js";
import { current, leave } from "./app.js";
import { versionsTab } from "./versions.js";
import { settingsTab, accessTab } from "./settings.js";
import { migrationTab } from "./migration.js";
import { metricsTab } from "./metrics.js";
import { eventsTab } from "./events.js";

export const TABS = [
  ["objects", "Objects"], ["versions", "Versions"], ["settings", "Settings"],
  ["access", "Access"], ["origin", "Origin & migration"], ["metrics", "Metrics"], ["events", "Events"],
];

/** The address of a bucket's folder (and tab). */
export function bucketHref(bucket, prefix = "", tab = "objects") {
  return `/console/b/${q(bucket)}/${enc(prefix)}${tab === "objects" ? "" : `?tab=${tab}`}`;
}

function crumbs(bucket, prefix) {
  const parts = prefix.split("/").filter(Boolean);
  const items = [h("li", h("a", { href: "/console", data: { nav: "" } }, "Buckets")),
    h("li", h("a", { href: bucketHref(bucket), data: { nav: "" } }, bucket))];
  let at = "";
  for (const p of parts) {
    at += `${p}/`;
    items.push(h("li", h("a", { href: bucketHref(bucket, at), data: { nav: "" } }, p)));
  }
  items[items.length - 1].firstChild.setAttribute("aria-current", "location");
  return h("nav.crumbs", { "aria-label": "Breadcrumb" }, h("ol", items));
}

export async function bucketView(view, bucket, prefix, tab, g) {
  const rights = await api(`rights?bucket=${q(bucket)}&prefix=${q(prefix)}`);
  if (!current(g)) return;
  const shown = TABS.filter(([name]) => name !== "origin" || rights.getOrigin || rights.originStatus);
  view.append(crumbs(bucket, prefix),
    h("h1#bucket-title", { tabindex: -1 }, bucket, prefix ? h("span.prefix", ` / ${prefix}`) : ""),
    tabs(shown.map(([name, label]) => [name, label, bucketHref(bucket, name === "objects" ? prefix : "", name)]), tab));
  const body = h("div.tab-body", { id: `tab-${tab}` });
  view.append(body);
  const ctx = { bucket, prefix, rights, g };
  const draw = { objects: objectsTab, versions: versionsTab, settings: settingsTab, access: accessTab,
    origin: migrationTab, metrics: metricsTab, events: eventsTab }[tab];
  if (!draw) { body.append(h("p", "No such tab.")); return; }
  await draw(body, ctx);
}

/** Files over this go up as a multipart upload, in parts of PART bytes. */
const MULTIPART_OVER = 64 * 1024 * 1024;
const PART = 16 * 1024 * 1024;

/** One PUT with upload progress; resolves to the XMLHttpRequest, rejects with the S3 error. */
function put(url, body, onProgress, type, csrf) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.setRequestHeader("x-csrf-token", csrf);
    if (type) xhr.setRequestHeader("content-type", type);
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) onProgress(e.loaded); });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) { resolve(xhr); return; }
      const doc = new DOMParser().parseFromString(xhr.responseText || "<x/>", "application/xml");
      const code = text(doc, "Code");
      if (text(doc, "Message") === "Sign in to the console first") window.dispatchEvent(new CustomEvent("signed-out"));
      reject(new Error(code ? `${code}: ${text(doc, "Message")}` : `HTTP ${xhr.status}`));
    });
    xhr.addEventListener("error", () => reject(new Error("The connection failed")));
    leave(() => xhr.abort());
    xhr.send(body);
  });
}

async function uploadOne(ctx, file, list, csrf) {
  const name = file.webkitRelativePath || file.name;
  const line = progressLine(`upload-${list.children.length}`, `Upload of ${name}`);
  line.querySelector("progress").dataset.file = name;
  const li = h("li", h("span.name", name), " ", line);
  list.append(li);
  const path = `/${ctx.bucket}/${enc(ctx.prefix + name)}`;
  const show = (done) => line.set(Math.round((100 * done) / Math.max(1, file.size)), `${bytes(done)} of ${bytes(file.size)}`);
  try {
    if (file.size > MULTIPART_OVER) {
      const created = await s3xml("POST", `${path}?uploads`, { headers: file.type ? { "content-type": file.type } : {} });
      const id = q(text(created, "UploadId"));
      const parts = [];
      let done = 0;
      try {
        for (let start = 0, n = 1; start < file.size; start += PART, n++) {
          const chunk = file.slice(start, start + PART);
          const xhr = await put(`/console/s3${path}?partNumber=${n}&uploadId=${id}`, chunk, (l) => show(done + l), null, csrf);
          done += chunk.size;
          parts.push(`<Part><PartNumber>${n}</PartNumber><ETag>${escapeXml(xhr.getResponseHeader("etag"))}</ETag></Part>`);
        }
        await s3("POST", `${path}?uploadId=${id}`, { body: `<CompleteMultipartUpload>${parts.join("")}</CompleteMultipartUpload>` });
      } catch (e) {
        s3("DELETE", `${path}?uploadId=${id}`).catch(() => {});
        throw e;
      }
    } else {
      await put(`/console/s3${path}`, file, show, file.type, csrf);
    }
    line.set(100, `Uploaded, ${bytes(file.size)}`, "done");
    return true;
  } catch (e) {
    line.set(line.querySelector("progress").value, `Failed: ${e.message}`, "failed");
    li.classList.add("failed");
    return false;
  }
}

export async function objectsTab(body, ctx) {
  const { bucket, prefix, rights } = ctx;
  const msg = messages("objects-message");
  const usage = h("p#bucket-usage.muted");
  const showUsage = () => api(`usage?bucket=${q(bucket)}`).then((u) => {
    let line = `Usage: ${bytes(u.bytes)} in ${count(u.objects)} object version${u.objects === 1 ? "" : "s"}`;
    if (u.quota) {
      const limits = [];
      if (u.quota.maxBytes !== null) limits.push(bytes(u.quota.maxBytes));
      if (u.quota.maxObjects !== null) limits.push(`${count(u.quota.maxObjects)} objects`);
      line += `; quota: ${limits.join(", ")}`;
    }
    usage.textContent = line;
  }).catch(() => {});

  // Uploads.
  const uploads = h("ul#uploads", { "aria-label": "Uploads" });
  async function uploadAll(files) {
    msg.clear();
    if (!files.length) return;
    const results = await Promise.all(files.map((f) => uploadOne(ctx, f, uploads, session.csrf)));
    const failed = results.filter((r) => !r).length;
    if (failed) msg.say(`${failed} of ${files.length} upload${files.length === 1 ? "" : "s"} failed: see each file's line`);
    else msg.say(`Uploaded ${files.length} file${files.length === 1 ? "" : "s"}`, "ok");
    await reload();
  }
  const files = h("input#files", { type: "file", multiple: true });
  const folder = h("input#folder", { type: "file", multiple: true, webkitdirectory: true });
  const drop = h("p#drop-zone", "…or drop files here");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); uploadAll([...e.dataTransfer.files]); });
  const upload = rights.putObject ? h("form#upload.card", { on: { submit: (e) => {
    e.preventDefault();
    uploadAll([...files.files, ...folder.files]);
  } } }, h("label", { for: "files" }, "Files"), files, h("label", { for: "folder" }, "or a folder"), folder,
  h("button", { type: "submit" }, "Upload"), drop) : null;

  // Search: a prefix listed on the server, within this folder.
  const search = h("input#filter", { type: "search", placeholder: "Name starts with…", "aria-label": "Search this folder by name" });
  let searchTimer = null;
  search.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(reload, 250); });
  leave(() => clearTimeout(searchTimer));

  // The listing.
  const selectAll = h("input#select-all", { type: "checkbox", "aria-label": "Select every listed item" });
  const list = table([selectAll, "Name", "Size", "Modified", h("span.visually-hidden", "Actions")], [], { id: "objects-table" });
  const tbody = list.querySelector("tbody");
  const shownCount = h("span#listed-count");
  const more = button("Load more", () => page(), { id: "more", hidden: true });
  let token = null;
  let listed = 0;
  const selected = () => [...tbody.querySelectorAll("input.pick:checked")].map((c) => c.closest("tr").dataset);
  const bulk = h("div#bulk.toolbar", { hidden: true });
  const updateBulk = () => {
    const n = selected().length;
    bulk.hidden = n === 0;
    bulk.querySelector(".count").textContent = `${count(n)} selected`;
  };
  selectAll.addEventListener("change", () => {
    for (const c of tbody.querySelectorAll("input.pick")) c.checked = selectAll.checked;
    updateBulk();
  });
  const bulkBar = progressLine("bulk-progress", "Bulk operation");
  bulkBar.hidden = true;
  const results = h("ul#bulk-results", { "aria-label": "Results" });
  bulk.append(h("span.count"), " ",
    rights.deleteObject ? button("Delete selected", () => deleteSelected(), { id: "delete-selected" }) : null, " ",
    button("Share links", () => shareSelected(), { id: "share-selected" }));

  async function page() {
    const at = prefix + search.value;
    let path = `/${bucket}?list-type=2&delimiter=%2F&max-keys=1000&prefix=${q(at)}`;
    if (token) path += `&continuation-token=${q(token)}`;
    const doc = await s3xml("GET", path);
    if (!current(ctx.g)) return;
    for (const p of all(doc, "CommonPrefixes")) {
      const name = text(p, "Prefix");
      tbody.append(row([
        h("input.pick", { type: "checkbox", "aria-label": `Select ${name}` }),
        h("a.open-folder", { href: bucketHref(bucket, name), data: { nav: "" } }, name.slice(prefix.length)),
        "", "",
        rights.deleteObject ? button("Delete folder", () => deleteFolder(name), { "aria-label": `Delete folder ${name}` }) : "",
      ], { data: { name, folder: "1" } }));
      listed++;
    }
    for (const o of children(doc.documentElement, "Contents")) {
      const key = text(o, "Key");
      const actions = h("span.actions",
        h("a", { href: `/console/s3/${bucket}/${enc(key)}`, download: key.split("/").pop(), "aria-label": `Download ${key}` }, "Download"),
        rights.deleteObject ? button("Delete", () => deleteKeys([key], `Delete ${key}?`), { "aria-label": `Delete ${key}` }) : "");
      tbody.append(row([
        h("input.pick", { type: "checkbox", "aria-label": `Select ${key}` }),
        h("a.open-object", { href: `/console/o/${q(bucket)}/${enc(key)}`, data: { nav: "" } }, key.slice(prefix.length)),
        bytes(text(o, "Size")), when(text(o, "LastModified")), actions,
      ], { data: { name: key } }));
      listed++;
    }
    token = text(doc, "NextContinuationToken") || null;
    more.hidden = !token;
    shownCount.textContent = `${count(listed)} item${listed === 1 ? "" : "s"} shown${token ? "; more to load" : ""}`;
    if (!listed) tbody.append(row([h("td", { colSpan: 5 }, search.value ? "Nothing starts with that." : "This folder is empty.")]));
  }
  tbody.addEventListener("change", (e) => { if (e.target.classList.contains("pick")) updateBulk(); });

  async function reload() {
    showUsage();
    token = null;
    listed = 0;
    tbody.replaceChildren();
    selectAll.checked = false;
    updateBulk();
    try { await page(); } catch (e) { msg.say(e.message); }
  }

  /** Every key under `p`, a page at a time. */
  async function keysUnder(p) {
    const keys = [];
    let t = null;
    do {
      const doc = await s3xml("GET", `/${bucket}?list-type=2&max-keys=1000&prefix=${q(p)}${t ? `&continuation-token=${q(t)}` : ""}`);
      for (const o of children(doc.documentElement, "Contents")) keys.push(text(o, "Key"));
      t = text(doc, "NextContinuationToken") || null;
    } while (t);
    return keys;
  }

  async function deleteKeys(keys, question) {
    if (!confirm(question)) return;
    msg.clear();
    results.replaceChildren();
    bulkBar.hidden = false;
    const failures = await deleteInBatches(bucket, keys, (done) =>
      bulkBar.set(Math.round((100 * done) / keys.length), `${count(done)} of ${count(keys.length)}`));
    for (const [key, why] of failures) results.append(h("li.failed", `${key}: ${why}`));
    const deleted = keys.length - failures.length;
    bulkBar.set(100, `${count(deleted)} deleted, ${count(failures.length)} failed`, failures.length ? "failed" : "done");
    msg.say(failures.length ? `Deleted ${count(deleted)}; ${count(failures.length)} could not be deleted (listed below)`
      : keys.length === 1 ? `Deleted ${keys[0]}` : `Deleted ${count(deleted)} objects`, failures.length ? "error" : "ok");
    await reload();
  }

  async function deleteFolder(p) {
    const keys = await keysUnder(p);
    await deleteKeys(keys, `Delete the folder ${p} and the ${count(keys.length)} object(s) in it?`);
  }

  async function deleteSelected() {
    const keys = [];
    for (const d of selected()) {
      if (d.folder) keys.push(...await keysUnder(d.name)); else keys.push(d.name);
    }
    await deleteKeys(keys, `Delete ${count(keys.length)} object(s)?`);
  }

  async function shareSelected() {
    const keys = [];
    for (const d of selected()) {
      if (d.folder) keys.push(...await keysUnder(d.name)); else keys.push(d.name);
    }
    const expires = document.getElementById("share-expiry")?.value || 3600;
    const lines = [];
    results.replaceChildren();
    for (const key of keys) {
      try {
        const { url } = await api(`presign?bucket=${q(bucket)}&key=${q(key)}&expires=${expires}`);
        lines.push(url);
        results.append(h("li", h("a", { href: url }, key)));
      } catch (e) { results.append(h("li.failed", `${key}: ${e.message}`)); }
    }
    const file = new Blob([lines.join("\n") + "\n"], { type: "text/plain" });
    const link = h("a#share-list", { href: URL.createObjectURL(file), download: `${bucket}-links.txt` }, "Download the links as a text file");
    results.prepend(h("li", link));
    msg.say(`${count(lines.length)} share link(s), valid ${Number(expires) / 3600} h`, "ok");
  }

  const expiry = h("select#share-expiry", { "aria-label": "Share links expire after" },
    h("option", { value: 3600 }, "Links valid 1 hour"), h("option", { value: 86400 }, "1 day"), h("option", { value: 604800 }, "7 days"));
  body.append(usage, msg, upload, uploads,
    h("div.toolbar", search, shownCount, expiry), bulk, bulkBar, results, list, more);
  if (!rights.list) { msg.say("You may not list this bucket; open an object by its address instead."); return; }
  await reload();
  if (ctx.prefix === "" && !rights.putObject && !rights.deleteObject) body.prepend(badge("Read only", "info"));
}

/** Delete `keys` with DeleteObjects, a thousand a request; `[key, reason]` of each failure. */
export async function deleteInBatches(bucket, keys, onProgress, versions = null) {
  const failures = [];
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const objects = batch.map((k, j) => `<Object><Key>${escapeXml(k)}</Key>${versions ? `<VersionId>${escapeXml(versions[i + j])}</VersionId>` : ""}</Object>`).join("");
    try {
      const doc = await s3xml("POST", `/${bucket}?delete`, { body: `<Delete><Quiet>true</Quiet>${objects}</Delete>` });
      for (const e of all(doc, "Error")) failures.push([text(e, "Key"), `${text(e, "Code")}: ${text(e, "Message")}`]);
    } catch (e) {
      for (const k of batch) failures.push([k, e.message]);
    }
    onProgress(Math.min(keys.length, i + batch.length));
  }
  return failures;
}
