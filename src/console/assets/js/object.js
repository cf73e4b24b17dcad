// An object's view (/console/o/{bucket}/{key}): what it is (size, type, ETag, checksums,
// metadata, its version, its lock), its tags (edited in place), a download, a share link
// with its expiry, its delete, and its versions with restore.

import { api, s3, s3raw, s3xml, text, all, enc, q, bytes, when, escapeXml } from "./api.js";
import { h, messages, facts, table, button, section, field, clearErrors } from "./ui.js";
import { current, navigate } from "./app.js";
import { bucketHref } from "./objects.js";
import { versionRow } from "./versions.js";

export async function objectView(view, bucket, key, versionId, g) {
  const rights = await api(`rights?bucket=${q(bucket)}&prefix=${q(key.slice(0, key.lastIndexOf("/") + 1))}`);
  const folder = key.slice(0, key.lastIndexOf("/") + 1);
  const msg = messages("object-message");
  const path = `/${bucket}/${enc(key)}${versionId ? `?versionId=${q(versionId)}` : ""}`;
  view.append(h("nav.crumbs", { "aria-label": "Breadcrumb" }, h("ol",
    h("li", h("a", { href: "/console", data: { nav: "" } }, "Buckets")),
    h("li", h("a", { href: bucketHref(bucket), data: { nav: "" } }, bucket)),
    folder ? h("li", h("a", { href: bucketHref(bucket, folder), data: { nav: "" } }, folder)) : null,
    h("li", h("span", { "aria-current": "page" }, key.slice(folder.length))))),
  h("h1#object-title", { tabindex: -1 }, key.slice(folder.length) || key), msg);
  let res;
  try {
    res = await s3raw("HEAD", path, { headers: { "x-amz-checksum-mode": "ENABLED" } });
  } catch (e) {
    msg.say(e.status === 404 ? "No such object (it may have been deleted)" : e.message);
    return;
  }
  if (!current(g)) return;
  const hd = (n) => res.headers.get(n);
  const rows = [["Key", key], ["Size", `${bytes(hd("content-length"))} (${hd("content-length")} bytes)`],
    ["Type", hd("content-type")], ["ETag", hd("etag")], ["Last modified", when(hd("last-modified"))]];
  if (hd("x-amz-version-id")) rows.push(["Version", hd("x-amz-version-id")]);
  if (hd("x-amz-object-lock-mode")) rows.push(["Retention", `${hd("x-amz-object-lock-mode")} until ${when(hd("x-amz-object-lock-retain-until-date"))}`]);
  if (hd("x-amz-object-lock-legal-hold")) rows.push(["Legal hold", hd("x-amz-object-lock-legal-hold")]);
  for (const [name, value] of res.headers) {
    if (name.startsWith("x-amz-meta-")) rows.push([`Metadata ${name.slice(11)}`, value]);
    if (name.startsWith("x-amz-checksum-") && name !== "x-amz-checksum-type") rows.push([name.slice(15).toUpperCase(), value]);
  }
  const expiry = h("select#share-expiry", h("option", { value: 3600 }, "1 hour"), h("option", { value: 86400 }, "1 day"), h("option", { value: 604800 }, "7 days"));
  const shareUrl = h("input#share-url", { readOnly: true, "aria-label": "Share link" });
  const share = h("div#share.inline", h("label", { for: "share-expiry" }, "Share for"), expiry,
    button("Make a share link", async () => {
      try {
        const made = await api(`presign?bucket=${q(bucket)}&key=${q(key)}&expires=${expiry.value}`);
        shareUrl.value = made.url;
        shareUrl.select();
      } catch (e) { msg.say(e.message); }
    }, { id: "make-share" }), shareUrl,
    button("Copy", () => navigator.clipboard?.writeText(shareUrl.value)));
  const actions = h("p.toolbar",
    h("a.button#download", { href: `/console/s3${path}`, download: key.split("/").pop() }, "Download"), " ",
    rights.deleteObject && !versionId ? button("Delete", async () => {
      if (!confirm(`Delete ${key}?`)) return;
      try { await s3("DELETE", `/${bucket}/${enc(key)}`); navigate(bucketHref(bucket, folder)); }
      catch (e) { msg.say(e.message); }
    }, { id: "delete-object" }) : "");
  view.append(actions, section("Details", facts(rows)), section("Share", share));

  // Tags, edited as rows.
  const tagRows = h("div#tag-rows");
  const addTag = (k = "", v = "") => tagRows.append(h("div.inline.tag-row",
    field("Key", h("input.tag-key", { value: k })), field("Value", h("input.tag-value", { value: v })),
    button("Remove", (e) => e.target.closest(".tag-row").remove())));
  const tagMsg = messages("tags-message");
  const tagForm = h("form#object-tags", { on: { submit: async (e) => {
    e.preventDefault();
    clearErrors(tagForm);
    const tags = [...tagRows.querySelectorAll(".tag-row")].map((r) => [r.querySelector(".tag-key").value, r.querySelector(".tag-value").value]).filter(([k]) => k);
    const doc = `<Tagging><TagSet>${tags.map(([k, v]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`).join("")}</TagSet></Tagging>`;
    try { await s3("PUT", `${path}${versionId ? "&" : "?"}tagging`, { body: doc }); tagMsg.say("Tags saved", "ok"); }
    catch (err) { tagMsg.say(err.message); }
  } } }, tagRows, button("Add a tag", () => addTag()), rights.putObject ? h("button", { type: "submit" }, "Save tags") : null);
  try {
    for (const t of all(await s3xml("GET", `${path}${versionId ? "&" : "?"}tagging`), "Tag")) addTag(text(t, "Key"), text(t, "Value"));
  } catch { /* no tags readable */ }
  view.append(section("Tags", tagMsg, tagForm));

  // This key's versions.
  if (rights.listVersions) {
    const vmsg = messages("key-versions-message");
    const list = table(["Name", "Version", "Size", "Modified", ""], [], { id: "key-versions" });
    const fill = async () => {
      const doc = await s3xml("GET", `/${bucket}?versions&prefix=${q(key)}`);
      list.querySelector("tbody").replaceChildren(...[...doc.documentElement.children]
        .filter((e) => (e.tagName === "Version" || e.tagName === "DeleteMarker") && text(e, "Key") === key)
        .map((v) => versionRow(bucket, v, rights, vmsg, fill)));
    };
    view.append(section("Versions", vmsg, list));
    await fill();
  }
}
