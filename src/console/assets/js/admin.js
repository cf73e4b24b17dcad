// Administration, for the configuration's users (the server refuses anyone else): runtime
// users (created with a key whose secret is shown once, disabled, removed, given a second
// key for rotation), their identity policies, groups with members and policies; and the
// server page.

import { api, count, when, bytes, duration } from "./api.js";
import { h, field, messages, table, row, button, section, facts, clearErrors, badge } from "./ui.js";
import { current, leave } from "./app.js";

/** A secret shown once, with a copy button and the warning that it will not be shown again. */
function secretOnce(made) {
  const secret = h("input#new-secret", { readOnly: true, value: made.secret_key, "aria-label": "Secret key" });
  return h("div#secret-once.card.warn-box", { role: "alert" },
    h("p", h("strong", `Access key for ${made.user}: `), h("code#new-access-key", made.access_key)),
    h("p", "Secret key — shown this once, copy it now: "), secret,
    button("Copy", () => navigator.clipboard?.writeText(secret.value)));
}

function policyEditor(kind, name, msg, after) {
  const pname = field("Policy name", h("input", { class: "policy-name" }));
  const doc = field("Policy (IAM JSON)", h("textarea.raw", { rows: 8, spellcheck: false }));
  doc.input.value = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["arn:aws:s3:::example", "arn:aws:s3:::example/*"] }] }, null, 2);
  const form = h("form.policy-form", { on: { submit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    if (!pname.input.value) { pname.error.textContent = "A name is needed"; return; }
    try { JSON.parse(doc.input.value); } catch (err) { doc.error.textContent = `Not JSON: ${err.message}`; return; }
    try {
      await api(`admin/v1/${kind}/${encodeURIComponent(name)}/policies/${encodeURIComponent(pname.input.value)}`, { method: "PUT", body: doc.input.value });
      msg.say(`Policy ${pname.input.value} attached to ${name}`, "ok");
      await after();
    } catch (err) { doc.error.textContent = err.message; }
  } } }, pname, doc, h("button", { type: "submit" }, "Attach policy"));
  return form;
}

async function policiesOf(kind, name, msg, after) {
  const { policies } = await api(`admin/v1/${kind}/${encodeURIComponent(name)}/policies`);
  return h("ul.policies", Object.entries(policies).map(([p, d]) => h("li", h("details", h("summary", p), h("pre", d)),
    button("Detach", async () => {
      try { await api(`admin/v1/${kind}/${encodeURIComponent(name)}/policies/${encodeURIComponent(p)}`, { method: "DELETE" }); msg.say(`Detached ${p}`, "ok"); await after(); }
      catch (e) { msg.say(e.message); }
    }, { "aria-label": `Detach ${p} from ${name}` }))));
}

export async function adminView(view, g) {
  const msg = messages("admin-message");
  const shown = h("div#secret-holder");
  const users = table(["User", "State", "Keys", "Created", h("span.visually-hidden", "Actions")], [], { id: "users-table" });
  const detail = h("div#user-detail");
  const groups = table(["Group", "Members", "Policies", h("span.visually-hidden", "Actions")], [], { id: "groups-table" });
  const newUser = field("New user", h("input#new-user", { autocomplete: "off", required: true }));
  const create = h("form#create-user.inline", { on: { submit: async (e) => {
    e.preventDefault();
    clearErrors(create);
    try {
      const made = await api("admin/v1/users", { method: "POST", body: { name: newUser.input.value } });
      shown.replaceChildren(secretOnce(made));
      msg.say(`Created ${made.user}`, "ok");
      newUser.input.value = "";
      await fill();
    } catch (err) { newUser.error.textContent = err.message; }
  } } }, newUser, h("button", { type: "submit" }, "Create user"));
  const newGroup = field("New group", h("input#new-group", { autocomplete: "off", required: true }));
  const createGroup = h("form#create-group.inline", { on: { submit: async (e) => {
    e.preventDefault();
    clearErrors(createGroup);
    try { await api("admin/v1/groups", { method: "POST", body: { name: newGroup.input.value } }); newGroup.input.value = ""; await fill(); }
    catch (err) { newGroup.error.textContent = err.message; }
  } } }, newGroup, h("button", { type: "submit" }, "Create group"));
  view.append(h("h1", { tabindex: -1 }, "Users, keys and policies"), msg, shown,
    section("Users", create, users, detail), section("Groups", createGroup, groups));

  async function showUser(u) {
    const keys = u.admin ? [] : (await api(`admin/v1/users/${encodeURIComponent(u.name)}/keys`)).keys;
    const reopen = async () => { await fill(); await showUser((await api("admin/v1/users")).users.find((x) => x.name === u.name) || u); };
    detail.replaceChildren(section(`User ${u.name}`,
      u.admin ? h("p", "A user of the configuration file: managed there, not here.") : [
        table(["Access key", "Created", ""], keys.map((k) => row([h("code", k.access_key), when(k.created * 1000),
          button("Remove key", async () => {
            if (!confirm(`Remove the key ${k.access_key}? Clients using it stop at once.`)) return;
            try { await api(`admin/v1/keys/${encodeURIComponent(k.access_key)}`, { method: "DELETE" }); await reopen(); } catch (e) { msg.say(e.message); }
          }, { "aria-label": `Remove key ${k.access_key}` })]))),
        button("Add a key", async () => {
          try { const made = await api(`admin/v1/users/${encodeURIComponent(u.name)}/keys`, { method: "POST" }); shown.replaceChildren(secretOnce(made)); await reopen(); }
          catch (e) { msg.say(e.message); }
        }, { id: "add-key" }),
        h("h3", "Policies"), await policiesOf("users", u.name, msg, reopen), policyEditor("users", u.name, msg, reopen),
      ]));
    detail.querySelector("h2")?.setAttribute("tabindex", "-1");
    detail.querySelector("h2")?.focus();
  }

  async function fill() {
    const [{ users: list }, { groups: glist }] = await Promise.all([api("admin/v1/users"), api("admin/v1/groups")]);
    if (!current(g)) return;
    users.querySelector("tbody").replaceChildren(...list.map((u) => row([
      button(u.name, () => showUser(u), { class: "link open-user", "aria-label": `Open user ${u.name}` }),
      u.admin ? badge("Configuration", "info") : u.enabled ? badge("Enabled", "ok") : badge("Disabled", "warn"),
      count(u.access_keys.length), u.created ? when(u.created * 1000) : "",
      u.admin ? "" : h("span.actions",
        button(u.enabled ? "Disable" : "Enable", async () => {
          try { await api(`admin/v1/users/${encodeURIComponent(u.name)}/${u.enabled ? "disable" : "enable"}`, { method: "POST" }); await fill(); } catch (e) { msg.say(e.message); }
        }, { "aria-label": `${u.enabled ? "Disable" : "Enable"} ${u.name}` }), " ",
        button("Remove", async () => {
          if (!confirm(`Remove the user ${u.name} and its keys?`)) return;
          try { await api(`admin/v1/users/${encodeURIComponent(u.name)}`, { method: "DELETE" }); detail.replaceChildren(); await fill(); } catch (e) { msg.say(e.message); }
        }, { "aria-label": `Remove ${u.name}` })),
    ], { data: { user: u.name } })));
    groups.querySelector("tbody").replaceChildren(...glist.map((gr) => {
      const member = h("input", { "aria-label": `Add a member to ${gr.name}`, placeholder: "user name", class: "member-name" });
      return row([gr.name,
        h("span", [...gr.members].map((m) => h("span.chip", m, button("×", async () => {
          try { await api(`admin/v1/groups/${encodeURIComponent(gr.name)}/members/${encodeURIComponent(m)}`, { method: "DELETE" }); await fill(); } catch (e) { msg.say(e.message); }
        }, { "aria-label": `Remove ${m} from ${gr.name}` }))), member,
        button("Add", async () => {
          try { await api(`admin/v1/groups/${encodeURIComponent(gr.name)}/members/${encodeURIComponent(member.value)}`, { method: "PUT" }); await fill(); } catch (e) { msg.say(e.message); }
        }, { "aria-label": `Add the member to ${gr.name}` })),
        Object.keys(gr.policies).join(", ") || "none",
        h("span.actions", button("Policies", async () => {
          detail.replaceChildren(section(`Group ${gr.name}`, await policiesOf("groups", gr.name, msg, fill), policyEditor("groups", gr.name, msg, fill)));
        }), " ", button("Remove", async () => {
          if (!confirm(`Remove the group ${gr.name}?`)) return;
          try { await api(`admin/v1/groups/${encodeURIComponent(gr.name)}`, { method: "DELETE" }); await fill(); } catch (e) { msg.say(e.message); }
        }, { "aria-label": `Remove group ${gr.name}` })),
      ], { data: { group: gr.name } });
    }));
  }
  await fill();
}

export async function serverView(view, g) {
  const msg = messages("server-message");
  const box = h("div#server");
  view.append(h("h1", { tabindex: -1 }, "Server"), msg, box);
  let last = null;
  async function fill() {
    try {
      const info = await api("server");
      if (!current(g)) return;
      const rate = last ? ` (${Math.max(0, (info.requests - last.n) / ((Date.now() - last.t) / 1000)).toFixed(1)} per second)` : "";
      last = { n: info.requests, t: Date.now() };
      box.replaceChildren(facts([["Version", info.version], ["Up for", duration(info.uptimeSeconds)],
        ["Data directory", info.dataDirectory], ["Disk", `${bytes(info.diskFreeBytes)} free of ${bytes(info.diskTotalBytes)}`],
        ["Requests served", `${count(info.requests)}${rate}`], info.node ? ["Cluster node", info.node] : null].filter(Boolean)));
    } catch (e) { msg.say(e.message); }
  }
  await fill();
  const timer = setInterval(fill, 5000);
  leave(() => clearInterval(timer));
  // Notification targets: what waits, what was delivered, dead letters, the last error.
  const targets = table(["Target", "Kind", "Waiting", "Delivered", "Dead letters", "Lag", "Last error", ""], [], { id: "targets-table" });
  const tmsg = messages("targets-message");
  view.append(section("Notification targets", tmsg, targets));
  async function fillTargets() {
    const { targets: list } = await api("notify-targets");
    if (!current(g)) return;
    targets.querySelector("tbody").replaceChildren(...list.map((t) => row([t.id, t.kind, count(t.waiting), count(t.delivered),
      count(t.dead_letters), duration(t.lag_seconds || 0), t.last_error || "", t.dead_letters ? button("Redrive", async () => {
        try { const r = await api(`admin/v1/notify/targets/${encodeURIComponent(t.id)}/redrive`, { method: "POST" }); tmsg.say(`${r.requeued} dead letter(s) queued again`, "ok"); await fillTargets(); }
        catch (e) { tmsg.say(e.message); }
      }, { "aria-label": `Redrive ${t.id}` }) : ""], { data: { target: t.id } })));
    if (!list.length) targets.querySelector("tbody").append(row([h("td", { colSpan: 8 }, "No target: declare them in [[notify.targets]].")]));
  }
  await fillTargets();
  const ttimer = setInterval(fillTargets, 5000);
  leave(() => clearInterval(ttimer));
}
