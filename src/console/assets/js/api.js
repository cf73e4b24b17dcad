// Requests the page makes, as the signed-in user: the S3 API under /console/s3, the
// console's own API under /console/api, the admin API under /console/api/admin. A request
// refused because the session ended sends "signed-out" (the app returns to sign-in, keeping
// the address); every other refusal throws an ApiError with the server's code and message.

export const session = { csrf: null, user: null, accessKey: null, admin: false };

/** The server's refusal when no session is live (src/console/mod.rs: SIGN_IN_FIRST). */
const SIGN_IN_FIRST = "Sign in to the console first";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(code ? `${code}: ${message}` : message);
    this.status = status;
    this.code = code;
    this.detail = message;
  }
}

export function xml(textValue) {
  return new DOMParser().parseFromString(textValue, "application/xml");
}

/** The text of the first `name` element under `node` ("" when none). */
export function text(node, name) {
  const el = node?.getElementsByTagName(name)[0];
  return el ? el.textContent : "";
}

/** The direct children of `node` named `name`. */
export function children(node, name) {
  return node ? [...node.children].filter((c) => c.tagName === name) : [];
}

export function all(node, name) {
  return node ? [...node.getElementsByTagName(name)] : [];
}

export const enc = (key) => key.split("/").map(encodeURIComponent).join("/");
export const q = encodeURIComponent;

export function escapeXml(v) {
  return String(v).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function ended() {
  const was = session.csrf;
  session.csrf = null;
  if (was) window.dispatchEvent(new CustomEvent("signed-out"));
}

async function refusal(res, body) {
  let code = "", message = `HTTP ${res.status}`;
  if (body.trim().startsWith("<")) {
    const doc = xml(body);
    code = text(doc, "Code");
    message = text(doc, "Message") || message;
  } else if (body.trim().startsWith("{")) {
    try { const j = JSON.parse(body); code = j.code || ""; message = j.message || message; } catch { /* not JSON */ }
  }
  if (message === SIGN_IN_FIRST) ended();
  return new ApiError(res.status, code, message);
}

function headersFor(method, headers = {}) {
  const h = { ...headers };
  if (method !== "GET" && method !== "HEAD") h["x-csrf-token"] = session.csrf;
  return h;
}

/** An S3 request; resolves to the Response (its body unread) or throws an ApiError. */
export async function s3raw(method, path, { body, headers } = {}) {
  const res = await fetch("/console/s3" + path, { method, body, headers: headersFor(method, headers), credentials: "same-origin" });
  if (!res.ok) throw await refusal(res, method === "HEAD" ? "" : await res.text());
  return res;
}

/** An S3 request; resolves to the body's text. */
export async function s3(method, path, options = {}) {
  const res = await s3raw(method, path, options);
  return method === "HEAD" ? "" : res.text();
}

/** An S3 request whose answer is XML, parsed. */
export async function s3xml(method, path, options = {}) {
  return xml(await s3(method, path, options));
}

/** The console's own API (JSON both ways). */
export async function api(path, { method = "GET", body } = {}) {
  const headers = headersFor(method, body === undefined ? {} : { "content-type": "application/json" });
  const res = await fetch("/console/api/" + path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : (typeof body === "string" ? body : JSON.stringify(body)),
  });
  const t = await res.text();
  if (!res.ok) throw await refusal(res, t);
  return t ? JSON.parse(t) : {};
}

/** Is this the refusal of a setting that is not there (NoSuchCORSConfiguration, ...)? */
export function isMissing(e) {
  return e instanceof ApiError && e.status === 404 && e.code !== "NoSuchBucket";
}

// Formatting.

export function bytes(n) {
  n = Number(n);
  if (!Number.isFinite(n)) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(n < 10 ? 2 : 1) : n} ${units[i]}`;
}

export function count(n) {
  return Number(n).toLocaleString("en");
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** A time as people read it: "3 minutes ago" with the exact local time beside. */
export function when(value) {
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return "";
  const secs = Math.round((d.getTime() - Date.now()) / 1000);
  const abs = Math.abs(secs);
  const [n, unit] = abs < 60 ? [secs, "second"] : abs < 3600 ? [Math.round(secs / 60), "minute"]
    : abs < 86400 ? [Math.round(secs / 3600), "hour"] : abs < 2592000 ? [Math.round(secs / 86400), "day"]
      : [null, null];
  const exact = d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
  return n === null ? exact : `${relative.format(n, unit)} (${exact})`;
}

export function duration(secs) {
  secs = Math.max(0, Math.round(secs));
  if (secs < 60) return `${secs} s`;
  if (secs < 3600) return `${Math.floor(secs / 60)} min ${secs % 60} s`;
  return `${Math.floor(secs / 3600)} h ${Math.floor((secs % 3600) / 60)} min`;
}
