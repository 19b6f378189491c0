// The monthly trend charts of the statistics page, drawn with Chart.js (the UMD build from
// /vendor, loaded by a classic <script>: its ES module build imports a package we do not
// serve). Received vs resolved per month as bars, the on-time share per month as a line
// with gaps where a month has too few resolved cases to give a share. The numbers are
// also written into a plain table under the charts for screen readers and for copying.

import { el, fill } from "./dom.js";
import * as fmt from "./stats-format.js";
import { t } from "./i18n.js";

const COLOURS = { received: "#1d4ed8", resolved: "#16a34a", onTime: "#d97706" };

/** Whether Chart.js is there (the vendor file may be missing on a broken install). */
export function chartsAvailable() {
  return typeof window.Chart === "function";
}

function reducedMotion() {
  return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
}

export class TrendCharts {
  constructor({ volume, onTime, table, caption }) {
    this.canvases = { volume, onTime };
    this.table = table;
    this.caption = caption; // the table's caption repeated above its scrolling box
    this.charts = {};
  }

  render(trend) {
    const labels = trend.series.map((m) => fmt.month(m.month));
    const span = { first: fmt.month(trend.first), last: fmt.month(trend.last) };
    this.canvases.volume.setAttribute("aria-label", t("stats.chart_volume_label", span));
    this.canvases.onTime.setAttribute("aria-label", t("stats.chart_on_time_label", span));
    this.draw("volume", {
      type: "bar",
      data: {
        labels,
        datasets: [
          { label: t("stats.col_received"), data: trend.series.map((m) => m.received), backgroundColor: COLOURS.received,
            borderRadius: 3, maxBarThickness: 28 },
          { label: t("stats.col_resolved"), data: trend.series.map((m) => m.resolved), backgroundColor: COLOURS.resolved,
            borderRadius: 3, maxBarThickness: 28 },
        ],
      },
      options: this.options({ y: { beginAtZero: true, ticks: { precision: 0 } } }),
    });
    this.draw("onTime", {
      type: "line",
      data: {
        labels,
        datasets: [{
          label: t("stats.col_on_time"), data: trend.series.map((m) => m.on_time_pct),
          borderColor: COLOURS.onTime, backgroundColor: COLOURS.onTime, pointRadius: 4, spanGaps: false, tension: 0.2,
        }],
      },
      options: this.options({ y: { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } }, {
        label: (ctx) => `${ctx.dataset.label}: ${fmt.pct(ctx.parsed.y)}`,
      }),
    });
    this.renderTable(trend);
  }

  options(scales, tooltipCallbacks = {}) {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: reducedMotion() ? false : { duration: 300 },
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 14, boxHeight: 10 } },
        tooltip: { callbacks: tooltipCallbacks },
      },
      scales: { x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true } }, ...scales },
    };
  }

  draw(name, config) {
    const old = this.charts[name];
    if (old) old.destroy();
    delete this.charts[name];
    if (chartsAvailable()) this.charts[name] = new window.Chart(this.canvases[name], config);
  }

  renderTable(trend) {
    const head = ["stats.col_month", "stats.col_received", "stats.col_resolved", "stats.col_on_time",
      "stats.col_median", "stats.col_overdue"];
    const caption = t("stats.trend_table_caption", { first: fmt.month(trend.first), last: fmt.month(trend.last) });
    this.caption.textContent = caption;
    fill(this.table,
      el("caption", {}, caption),
      el("thead", {}, el("tr", {}, ...head.map((key) => el("th", { scope: "col" }, t(key))))),
      el("tbody", {}, ...trend.series.map((m) => el("tr", { dataset: { month: m.month } },
        el("th", { scope: "row" }, fmt.month(m.month)),
        el("td", { dataset: { col: "received" } }, fmt.count(m.received)),
        el("td", { dataset: { col: "resolved" } }, fmt.count(m.resolved)),
        el("td", { dataset: { col: "on_time_pct" } }, fmt.pct(m.on_time_pct)),
        el("td", { dataset: { col: "median_hours" } }, fmt.duration(m.median_hours)),
        el("td", { dataset: { col: "overdue_now" } }, fmt.count(m.overdue_now))))));
  }

  clear() {
    for (const chart of Object.values(this.charts)) chart.destroy();
    this.charts = {};
    this.table.replaceChildren();
    this.caption.textContent = "";
  }
}
