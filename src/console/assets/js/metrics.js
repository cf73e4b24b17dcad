// Charts (uPlot, vendored: time on the x axis, values on the y axis, a legend) and the
// Metrics tab: a bucket's usage and, when it has an origin, its hits, misses and fills,
// sampled every two seconds while the tab is open.

import { api, s3xml, text, all, q, bytes, count, isMissing } from "./api.js";
import { h, messages, facts, section } from "./ui.js";
import { leave, current } from "./app.js";

/**
 * A line chart in `box` of named series ([label, colour]); `.add(values)` appends one
 * sample taken now. `unit`: "count" or "bytes" (how the y axis reads).
 */
export function lineChart(box, series, unit = "count", keep = 120) {
  const data = [[], ...series.map(() => [])];
  const width = () => Math.max(280, Math.min(900, box.clientWidth || 600));
  const fmt = unit === "bytes" ? (v) => bytes(v) : (v) => count(Math.round(v));
  let plot = null;
  const make = () => {
    if (!window.uPlot) { box.textContent = "The chart library did not load."; return null; }
    return new window.uPlot({
      width: width(), height: 200,
      series: [{ label: "Time" }, ...series.map(([label, stroke]) => ({ label, stroke, width: 2, value: (_, v) => (v === null ? "" : fmt(v)) }))],
      axes: [{ label: "Time" }, { label: unit === "bytes" ? "Bytes" : "Count", values: (_, ticks) => ticks.map(fmt), size: 70 }],
      scales: { x: { time: true } },
      legend: { live: true },
    }, data, box);
  };
  const onResize = () => plot?.setSize({ width: width(), height: 200 });
  window.addEventListener("resize", onResize);
  leave(() => { window.removeEventListener("resize", onResize); plot?.destroy(); });
  return {
    add(values) {
      data[0].push(Date.now() / 1000);
      values.forEach((v, i) => data[i + 1].push(v));
      if (data[0].length > keep) for (const d of data) d.shift();
      if (!plot) plot = make(); else plot.setData(data);
    },
  };
}

export async function metricsTab(body, ctx) {
  const { bucket } = ctx;
  const msg = messages("metrics-message");
  const summary = h("div#metrics-summary");
  const usageBox = h("div#usage-chart", { role: "img", "aria-label": "Bytes stored over time" });
  const originBox = h("div#origin-chart", { role: "img", "aria-label": "Origin hits, misses and fills over time" });
  body.append(msg, section("Now", summary), section("Bytes stored", usageBox));
  const usage = lineChart(usageBox, [["Bytes", "#06c"]], "bytes");
  let origin = null;
  async function sample() {
    try {
      const u = await api(`usage?bucket=${q(bucket)}`);
      if (!current(ctx.g)) return;
      const rows = [["Bytes", `${bytes(u.bytes)} (${count(u.bytes)})`], ["Object versions", count(u.objects)]];
      if (u.quota) rows.push(["Quota", [u.quota.maxBytes !== null ? bytes(u.quota.maxBytes) : null, u.quota.maxObjects !== null ? `${count(u.quota.maxObjects)} objects` : null].filter(Boolean).join(", ")]);
      usage.add([u.bytes]);
      if (ctx.rights.originStatus && ctx.hasOrigin !== false) {
        try {
          const doc = await s3xml("GET", `/${bucket}?origin-status`);
          const sum = (n) => all(doc, "Rule").reduce((a, r) => a + Number(text(r, n)), 0);
          if (!origin) { body.append(section("Origin", originBox)); origin = lineChart(originBox, [["Hits", "#080"], ["Misses", "#c60"], ["Fills", "#06c"]]); }
          origin.add([sum("Hits"), sum("Misses"), sum("Filled")]);
          rows.push(["Origin hits / misses / fills", `${count(sum("Hits"))} / ${count(sum("Misses"))} / ${count(sum("Filled"))}`], ["Bytes pulled", bytes(sum("BytesPulled"))]);
        } catch (e) { if (isMissing(e)) ctx.hasOrigin = false; else throw e; }
      }
      summary.replaceChildren(facts(rows));
    } catch (e) { msg.say(e.message); }
  }
  await sample();
  const timer = setInterval(sample, 2000);
  leave(() => clearInterval(timer));
}
