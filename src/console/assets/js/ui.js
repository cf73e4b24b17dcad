// The page's building blocks: an element builder, messages that belong to the part of the
// page they concern (and replace each other), fields with their error beside them, tables,
// progress, tabs, and the raw-document editor every setting has.

/** h("tag#id.class", {attributes, on: {event: fn}}, ...children) */
export function h(spec, attrs = {}, ...kids) {
  const tag = spec.match(/^[a-z0-9]+/)[0];
  const el = document.createElement(tag);
  const classes = [];
  for (const [, sigil, name] of spec.slice(tag.length).matchAll(/([#.])([\w-]+)/g)) {
    if (sigil === "#") el.id = name; else classes.push(name);
  }
  if (classes.length) el.className = classes.join(" ");
  if (attrs === null || typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs)) {
    kids.unshift(attrs);
    attrs = {};
  }
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "on") for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === "data") Object.assign(el.dataset, v);
    else if (k === "text") el.textContent = v;
    else if (k in el && !k.includes("-") && k !== "list") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, kids);
  return el;
}

function append(el, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    el.append(k instanceof Node ? k : String(k));
  }
}

/** A message area: one message at a time, replaced by the next, cleared by clear(). */
export function messages(id) {
  const el = h(`p#${id}.message`, { role: "status", "aria-live": "polite" });
  el.hidden = true;
  el.say = (msg, kind = "error") => {
    el.textContent = msg;
    el.className = `message ${kind}`;
    el.hidden = !msg;
  };
  el.clear = () => el.say("");
  return el;
}

/** A labelled field with its error beside it: returns the wrapper; .input and .error. */
export function field(label, input, { hint, id } = {}) {
  input.id = input.id || id || `f-${Math.random().toString(36).slice(2, 9)}`;
  const error = h(`span.field-error`, { id: `${input.id}-error`, role: "alert" });
  input.setAttribute("aria-describedby", error.id);
  const wrap = h("div.field", h("label", { for: input.id }, label), input,
    hint ? h("small.hint", hint) : null, error);
  wrap.input = input;
  wrap.error = error;
  return wrap;
}

export function clearErrors(root) {
  for (const e of root.querySelectorAll(".field-error")) e.textContent = "";
}

export function button(label, onClick, attrs = {}) {
  return h("button", { type: "button", ...attrs, on: { click: onClick } }, label);
}

/** A table: headers (strings) and rows (arrays of cells); .body is the tbody. */
export function table(headers, rows = [], attrs = {}) {
  const body = h("tbody");
  for (const r of rows) body.append(r instanceof Node ? r : row(r));
  const t = h("table", attrs, h("thead", h("tr", headers.map((x) => h("th", { scope: "col" }, x)))), body);
  t.body = body;
  return h("div.table-wrap", t);
}

export function row(cells, attrs = {}) {
  return h("tr", attrs, cells.map((c) => (c instanceof Node && c.tagName === "TD" ? c : h("td", c))));
}

/** A definition list from [term, value] pairs. */
export function facts(pairs) {
  return h("dl.facts", pairs.flatMap(([k, v]) => [h("dt", k), h("dd", v ?? "")]));
}

/** A section with a heading. */
export function section(title, ...kids) {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h(`section.panel#${id}`, { "aria-labelledby": `${id}-title` }, h(`h2#${id}-title`, title), ...kids);
}

/**
 * A raw document view: the stored document in a textarea, saved as is (the server validates
 * it and says what is wrong next to it).
 */
export function rawEditor(label, { load, save, readOnly }) {
  const area = h("textarea.raw", { rows: 8, spellcheck: false, readOnly });
  const f = field(label, area);
  const saveButton = readOnly ? null : button("Save document", async () => {
    f.error.textContent = "";
    try { await save(area.value); } catch (e) { f.error.textContent = e.message; }
  });
  const details = h("details.raw-doc", h("summary", `${label} (raw document)`), f, saveButton);
  details.addEventListener("toggle", async () => {
    if (details.open) { try { area.value = await load(); } catch (e) { f.error.textContent = e.message; } }
  });
  details.refresh = async () => { if (details.open) area.value = await load(); };
  return details;
}

/** A progress line: bar, text, and whether it failed. */
export function progressLine(id, label) {
  const bar = h(`progress#${id}`, { max: 100, "aria-label": label });
  const state = h(`span#${id}-state`);
  const wrap = h("div.progress-line", bar, " ", state);
  wrap.set = (percent, msg, kind = "") => {
    if (percent === null) bar.removeAttribute("value"); else bar.value = percent;
    bar.className = kind;
    state.textContent = msg;
  };
  return wrap;
}

/** Tabs as links (each one an address): [name, label, href]. */
export function tabs(list, current) {
  return h("nav.tabs", { "aria-label": "Bucket" },
    list.map(([name, label, href]) => h("a", {
      href, data: { nav: "", tab: name }, "aria-current": name === current ? "page" : null,
    }, label)));
}

export function badge(label, kind = "") {
  return h(`span.badge${kind ? "." + kind : ""}`, label);
}
