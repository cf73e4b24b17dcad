// The Events tab: the bucket's events as they happen, read from the live stream
// (GET /{bucket}?events, newline-delimited JSON) while the tab is open, newest first.

import { q, bytes, when } from "./api.js";
import { h, messages, table, row, field } from "./ui.js";
import { leave } from "./app.js";

const KEEP = 200;

export async function eventsTab(body, ctx) {
  const msg = messages("events-message");
  const prefix = field("Only keys starting with", h("input#events-prefix"));
  const list = table(["Time", "Event", "Key", "Size", "By"], [], { id: "events-table" });
  const tbody = list.querySelector("tbody");
  const state = h("p#events-state.muted", "Connecting…");
  body.append(msg, h("form#events-form.inline", { on: { submit: (e) => { e.preventDefault(); start(); } } },
    prefix, h("button", { type: "submit" }, "Follow")), state, list);
  if (!ctx.rights.listenEvents) { msg.say("You may not list this bucket, so not follow its events."); return; }
  let controller = null;
  leave(() => controller?.abort());
  async function start() {
    controller?.abort();
    controller = new AbortController();
    tbody.replaceChildren();
    const signal = controller.signal;
    try {
      const res = await fetch(`/console/s3/${ctx.bucket}?events&prefix=${q(prefix.input.value)}`, { credentials: "same-origin", signal });
      if (!res.ok) { msg.say(`The stream was refused (HTTP ${res.status})`); return; }
      state.textContent = "Following: new events appear here as they happen.";
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, end).trim();
          buffer = buffer.slice(end + 1);
          if (!line) continue;
          const r = JSON.parse(line).Records?.[0];
          if (!r) continue;
          const key = decodeURIComponent(r.s3.object.key.replaceAll("+", " "));
          tbody.prepend(row([when(r.eventTime), r.eventName, key, r.s3.object.size === undefined ? "" : bytes(r.s3.object.size),
            r.userIdentity?.principalId || ""], { data: { event: r.eventName, key } }));
          while (tbody.children.length > KEEP) tbody.lastChild.remove();
        }
      }
      state.textContent = "The stream ended.";
    } catch (e) {
      if (e.name !== "AbortError") msg.say(e.message);
    }
  }
  start();
}
