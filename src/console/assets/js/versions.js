// The Versions tab: every version and delete marker under the folder, a thousand at a time
// with "Load more" past that (key and version markers), each readable, restorable (copied
// over the current version, as S3 restores) or deletable for good.

import { s3, s3xml, text, enc, q, bytes, count, when } from "./api.js";
import { h, messages, table, row, button, badge } from "./ui.js";
import { current } from "./app.js";

/** Make version `id` of `key` the current one again: a copy of it over the key. */
export async function restoreVersion(bucket, key, id) {
  await s3("PUT", `/${bucket}/${enc(key)}`, {
    headers: { "x-amz-copy-source": `/${bucket}/${enc(key)}?versionId=${q(id)}` },
  });
}

/** One row of a version or delete marker; `after` runs when it changed something. */
export function versionRow(bucket, v, rights, msg, after, prefixLength = 0) {
  const key = text(v, "Key");
  const id = text(v, "VersionId");
  const marker = v.tagName === "DeleteMarker";
  const latest = text(v, "IsLatest") === "true";
  const name = marker ? h("span", key.slice(prefixLength))
    : h("a", { href: `/console/s3/${bucket}/${enc(key)}?versionId=${q(id)}`, download: key.split("/").pop() }, key.slice(prefixLength));
  const restore = !marker && !latest && rights.putObject
    ? button("Restore", async () => {
      try { await restoreVersion(bucket, key, id); msg.say(`Restored ${key} to version ${id}`, "ok"); await after(); }
      catch (e) { msg.say(e.message); }
    }, { "aria-label": `Restore version ${id} of ${key}` }) : "";
  const del = rights.deleteVersion ? button("Delete for good", async () => {
    if (!confirm(`Delete version ${id} of ${key} for good?`)) return;
    try { await s3("DELETE", `/${bucket}/${enc(key)}?versionId=${q(id)}`); msg.say(`Deleted version ${id} of ${key}`, "ok"); await after(); }
    catch (e) { msg.say(e.message); }
  }, { "aria-label": `Delete version ${id} of ${key}` }) : "";
  return row([
    h("span", name, latest ? badge("Current") : "", marker ? badge("Delete marker", "warn") : ""),
    h("code.version", id), marker ? "" : bytes(text(v, "Size")), when(text(v, "LastModified")),
    h("span.actions", restore, " ", del),
  ], { data: { name: key, version: id, kind: marker ? "marker" : "version" } });
}

export async function versionsTab(body, ctx) {
  const { bucket, prefix, rights } = ctx;
  const msg = messages("versions-message");
  const list = table(["Name", "Version", "Size", "Modified", h("span.visually-hidden", "Actions")], [], { id: "versions-table" });
  const tbody = list.querySelector("tbody");
  const shown = h("span#versions-count");
  let markers = null;
  let n = 0;
  const more = button("Load more", () => page(), { id: "versions-more", hidden: true });
  async function page() {
    let path = `/${bucket}?versions&max-keys=1000&prefix=${q(prefix)}`;
    if (markers) path += `&key-marker=${q(markers[0])}&version-id-marker=${q(markers[1])}`;
    const doc = await s3xml("GET", path);
    if (!current(ctx.g)) return;
    for (const v of [...doc.documentElement.children].filter((e) => e.tagName === "Version" || e.tagName === "DeleteMarker")) {
      tbody.append(versionRow(bucket, v, rights, msg, reload, prefix.length));
      n++;
    }
    const truncated = text(doc, "IsTruncated") === "true";
    markers = truncated ? [text(doc, "NextKeyMarker"), text(doc, "NextVersionIdMarker")] : null;
    more.hidden = !truncated;
    shown.textContent = `${count(n)} version${n === 1 ? "" : "s"} shown${truncated ? "; more to load" : ""}`;
    if (!n) tbody.append(row([h("td", { colSpan: 5 }, "No version here.")]));
  }
  async function reload() { markers = null; n = 0; tbody.replaceChildren(); await page(); }
  body.append(msg, h("p", shown), list, more);
  if (!rights.listVersions) { msg.say("You may not list this bucket's versions."); return; }
  try { await reload(); } catch (e) { msg.say(e.message); }

}
