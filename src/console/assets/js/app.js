// The console's shell: who is signed in, the address bar as the page's state (every view has
// an address; Back and Forward work; a deep link survives a reload and a sign-in), and the
// view of the current address drawn from nothing each time (nothing follows you from one
// bucket to the next). Views register what must stop when they are left (timers, uploads'
// listeners) with `leave`.

import { api, session } from "./api.js";
import { h, field, messages } from "./ui.js";
import { bucketsView } from "./buckets.js";
import { bucketView } from "./objects.js";
import { objectView } from "./object.js";
import { adminView, serverView } from "./admin.js";

const $ = (id) => document.getElementById(id);
let leaving = [];
/** Bumped at every navigation: a view's late answer for an older address is dropped. */
export let generation = 0;

/** Run `fn` when the current view is left. */
export function leave(fn) { leaving.push(fn); }

/** Is the view that started at generation `g` still the one shown? */
export function current(g) { return g === generation; }

export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", href); else history.pushState(null, "", href);
  render();
}

/** The page's toast line (for what concerns the whole page: sign-in, sign-out). */
export function toast(msg, kind = "ok") {
  const t = $("toasts");
  t.textContent = msg;
  t.className = kind;
  clearTimeout(t.timer);
  if (msg) t.timer = setTimeout(() => { t.textContent = ""; }, 6000);
}

function route() {
  const path = decodeURIComponent(location.pathname).replace(/^\/console\/?/, "");
  const params = new URLSearchParams(location.search);
  if (path === "" ) return [bucketsView];
  if (path === "admin") return [adminView];
  if (path === "server") return [serverView];
  let m = path.match(/^b\/([^/]+)\/?(.*)$/);
  if (m) return [bucketView, m[1], m[2], params.get("tab") || "objects"];
  m = path.match(/^o\/([^/]+)\/(.+)$/);
  if (m) return [objectView, m[1], m[2], params.get("versionId")];
  return [notFound];
}

function notFound(view) {
  view.append(h("h1", { tabindex: -1 }, "Not found"), h("p", "This console address names nothing."),
    h("a", { href: "/console", data: { nav: "" } }, "Back to the buckets"));
}

export async function render() {
  for (const fn of leaving) { try { fn(); } catch { /* already gone */ } }
  leaving = [];
  generation += 1;
  const g = generation;
  const view = $("view");
  view.replaceChildren();
  if (!session.csrf) { signInView(view); return; }
  $("nav-admin").hidden = !session.admin;
  $("nav-server").hidden = !session.admin;
  for (const a of document.querySelectorAll("#nav a")) {
    a.toggleAttribute("aria-current", location.pathname === a.getAttribute("href"));
  }
  const [draw, ...args] = route();
  try {
    await draw(view, ...args, g);
  } catch (e) {
    if (current(g)) view.append(h("p.message.error", { role: "alert" }, e.message));
  }
  // Focus the new view's heading, so keyboard and screen-reader users start there.
  if (current(g)) view.querySelector("h1")?.focus({ preventScroll: false });
}

function signedIn(who) {
  Object.assign(session, { csrf: who.csrf, user: who.user, accessKey: who.accessKey, admin: who.admin });
  $("user").textContent = who.user;
  $("who").hidden = false;
  $("nav").hidden = false;
}

function signInView(view) {
  $("who").hidden = true;
  $("nav").hidden = true;
  const msg = messages("sign-in-message");
  const ak = field("Access key", h("input#access-key", { name: "accessKey", autocomplete: "username", required: true }));
  const sk = field("Secret key", h("input#secret-key", { name: "secretKey", type: "password", autocomplete: "current-password", required: true }));
  const form = h("form#sign-in.card", { on: { submit: async (e) => {
    e.preventDefault();
    msg.clear();
    try {
      const who = await api("session", { method: "POST", body: { accessKey: ak.input.value, secretKey: sk.input.value } });
      sk.input.value = "";
      signedIn(who);
      render();
    } catch (err) {
      sk.input.value = "";
      msg.say(err.detail || err.message);
    }
  } } }, ak, sk, h("button", { type: "submit" }, "Sign in"));
  view.append(h("section#sign-in-view", { "aria-labelledby": "sign-in-title" },
    h("h1#sign-in-title", { tabindex: -1 }, "Sign in"), msg, form));
  ak.input.focus();
}

async function init() {
  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[data-nav]");
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(a.getAttribute("href"));
  });
  window.addEventListener("popstate", () => render());
  window.addEventListener("signed-out", () => {
    if ($("sign-in-view")) return;
    $("who").hidden = true;
    render();
    toast("Your session has ended: sign in again to go on where you were.", "error");
  });
  $("sign-out").addEventListener("click", async () => {
    try { await api("session", { method: "DELETE" }); } catch { /* ended already */ }
    session.csrf = null;
    navigate("/console");
    toast("Signed out");
  });
  try { signedIn(await api("session")); } catch { /* not signed in */ }
  render();
}

init();
