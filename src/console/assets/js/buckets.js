// The buckets view: every bucket the user may list (its own, and those others granted it),
// which are public, their usage, a bucket made with or without Object Lock, and a bucket
// opened by name.

import { api, s3, q, bytes, count, when } from "./api.js";
import { h, field, messages, table, row, badge, section } from "./ui.js";
import { navigate, current } from "./app.js";

/** S3's bucket naming rule, written so that it is valid with the `v` flag browsers use. */
const BUCKET_PATTERN = "[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]";

export async function bucketsView(view, g) {
  const msg = messages("buckets-message");
  const name = field("Name", h("input#bucket-name", { required: true, pattern: BUCKET_PATTERN, autocomplete: "off" }),
    { hint: "3–63 lower-case letters, digits, dots and hyphens" });
  const acl = field("Access", h("select#bucket-acl",
    h("option", { value: "private" }, "Private"),
    h("option", { value: "public-read" }, "Public: anyone may list and read")));
  const lock = h("input#bucket-lock", { type: "checkbox" });
  const create = h("form#create-bucket.inline", { on: { submit: async (e) => {
    e.preventDefault();
    msg.clear();
    name.error.textContent = "";
    const headers = { "x-amz-acl": acl.input.value };
    if (lock.checked) headers["x-amz-bucket-object-lock-enabled"] = "true";
    try {
      await s3("PUT", `/${name.input.value}`, { headers });
      msg.say(`Created ${name.input.value}`, "ok");
      name.input.value = "";
      await fill();
    } catch (err) { name.error.textContent = err.message; }
  } } }, name, acl, h("label.check", lock, " Object Lock (versions kept, retention)"), h("button", { type: "submit" }, "Create bucket"));

  const byName = field("Bucket", h("input#open-name", { required: true, autocomplete: "off" }));
  const open = h("form#open-bucket.inline", { on: { submit: (e) => {
    e.preventDefault();
    navigate(`/console/b/${q(byName.input.value)}/`);
  } } }, byName, h("button", { type: "submit" }, "Open"));

  const list = table(["Name", "Access", "Usage", "Created"], [], { id: "buckets-table" });
  view.append(h("h1", { tabindex: -1 }, "Buckets"), msg, list,
    section("Create a bucket", create), section("Open a bucket by name", open));

  async function fill() {
    const { buckets } = await api("buckets");
    if (!current(g)) return;
    list.querySelector("tbody").replaceChildren(...buckets.map((b) => {
      const usage = h("span", "…");
      api(`usage?bucket=${q(b.name)}`).then((u) => {
        usage.textContent = `${bytes(u.bytes)} · ${count(u.objects)} object${u.objects === 1 ? "" : "s"}`;
      }).catch(() => { usage.textContent = "—"; });
      return row([
        h("a.open-bucket", { href: `/console/b/${q(b.name)}/`, data: { nav: "" } }, b.name),
        h("span", b.public ? badge("Public", "warn") : badge("Private"), b.mine ? "" : badge("Shared with you", "info")),
        usage,
        when(b.created),
      ], { data: { bucket: b.name } });
    }));
    if (!buckets.length) list.querySelector("tbody").append(row([h("td", { colSpan: 4 }, "No bucket yet.")]));
  }
  await fill();

}
