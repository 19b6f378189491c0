// The KPI dashboard: GET /api/v1/analytics/kpi for a period (7, 30, 90 days or 12 months
// back from now) against the previous period of the same length, as cards (value, arrow,
// delta), a breakdown by agency, commune or category (table + Chart.js bars) and incidents
// by status. Every number is a button: onDrill({url, label}) lists the cases behind it and
// filters the map (the API gives each number its `link` to /api/v1/analytics/cases, which
// uses the very same definition, so the list always has as many rows as the number says).
//
// Chart.js is the classic UMD build (global Chart, see ioc.html); without it the tables
// still carry every number. Cards carry data-metric and data-value for tests.

import { el, fill, setOptions } from "./dom.js";
import { formatDate, formatDateTime, formatNumber } from "./i18n.js";
import { INCIDENT_COLOURS, INCIDENT_STATUSES } from "./ioc-layers.js";

const PERIODS = [7, 30, 90, 365];
const REPORT_CARDS = ["open", "overdue", "due_this_week", "on_time_rate", "median_handling_hours", "satisfaction",
  "received", "resolved"];
const TABLE_METRICS = ["open", "overdue", "due_this_week", "on_time_rate", "median_handling_hours", "satisfaction"];
const BREAKDOWNS = ["agency", "commune", "category"];
/** +1: more is better, -1: less is better, 0: neither. */
const GOOD = { open: -1, overdue: -1, due_this_week: 0, on_time_rate: 1, median_handling_hours: -1, satisfaction: 1,
  received: 0, resolved: 1, incidents_active: -1, incidents_total: 0 };
const MAX_BARS = 12;
const COUNTS = new Set(["open", "overdue", "due_this_week", "received", "resolved"]);

/** ISO date (YYYY-MM-DD) of an instant in Viet Nam, for formatDate. */
function vnDay(iso) {
  const when = new Date(iso);
  return new Date(when.getTime() + 7 * 3600_000).toISOString().slice(0, 10);
}

export class KpiDashboard {
  constructor(root, { tr, api, onDrill, lookups }) {
    Object.assign(this, { root, tr, api, onDrill, lookups });
    this.days = 30;
    this.by = "agency";
    this.metric = "open";
    this.data = null;
    this.error = null;
    this.seq = 0;
    this.charts = [];
  }

  /** Period instants: now back `days` days (the server compares with the period before). */
  period() {
    const end = new Date();
    const start = new Date(end.getTime() - this.days * 86400_000);
    return { start: start.toISOString(), end: end.toISOString() };
  }

  async refresh() {
    const seq = ++this.seq;
    const { start, end } = this.period();
    this.root.setAttribute("aria-busy", "true");
    try {
      const data = await this.api.api(`/api/v1/analytics/kpi?${new URLSearchParams({ start, end })}`);
      if (seq !== this.seq) return;
      this.data = data;
      this.error = null;
      this.loadedAt = new Date().toISOString();
    } catch (err) {
      if (seq !== this.seq) return;
      this.error = this.api.errorText(err);
    } finally {
      if (seq === this.seq) this.root.setAttribute("aria-busy", "false");
    }
    this.render();
    if (this.onLoaded && this.data) this.onLoaded(this.data);
  }

  // ---- formatting ----------------------------------------------------------------------------

  format(metric, value) {
    const { tr } = this;
    if (value === null || value === undefined) return tr("ioc.no_value");
    if (metric === "on_time_rate") return `${formatNumber(value * 100, 0)} %`;
    if (metric === "median_handling_hours") return tr("ioc.hours", { value: formatNumber(value, 1) });
    if (metric === "satisfaction") return tr("ioc.rating", { value: formatNumber(value, 1) });
    return formatNumber(value);
  }

  delta(metric, trend) {
    if (trend.change === null || trend.change === undefined) return "";
    const sign = trend.change > 0 ? "+" : trend.change < 0 ? "−" : "±";
    const abs = Math.abs(trend.change);
    if (metric === "on_time_rate") return `${sign}${formatNumber(abs * 100, 1)} ${this.tr("ioc.pp")}`;
    if (metric === "median_handling_hours" || metric === "satisfaction") return `${sign}${formatNumber(abs, 1)}`;
    const pct = trend.change_pct !== null && trend.change_pct !== undefined
      ? ` (${sign}${formatNumber(Math.abs(trend.change_pct), 0)} %)` : "";
    return `${sign}${formatNumber(abs)}${pct}`;
  }

  /** ▲ / ▼ / = with a class saying whether the move is good, bad or neutral. */
  trend(metric, trend) {
    const { tr } = this;
    const change = trend.change;
    if (change === null || change === undefined) {
      return el("span", { className: "ioc-trend is-none" }, tr("ioc.trend_prev", { value: this.format(metric, trend.previous) }));
    }
    const dir = change > 0 ? "up" : change < 0 ? "down" : "same";
    const good = GOOD[metric] || 0;
    const tone = dir === "same" || !good ? "neutral" : (dir === "up") === (good > 0) ? "good" : "bad";
    const arrow = dir === "up" ? "▲" : dir === "down" ? "▼" : "=";
    const text = dir === "same" ? tr("ioc.trend_same") : this.delta(metric, trend);
    return el("span", { className: `ioc-trend is-${tone}`, dataset: { dir },
      title: tr("ioc.trend_title", { value: this.format(metric, trend.previous) }) },
    el("span", { className: "ioc-arrow", "aria-hidden": "true" }, arrow), " ", text,
    el("span", { className: "ioc-trend-prev" }, ` · ${tr("ioc.trend_prev", { value: this.format(metric, trend.previous) })}`));
  }

  /** A number that opens the cases behind it. */
  drillButton(label, url, content, extra = {}) {
    const button = el("button", { type: "button", className: "ioc-drill", ...extra }, content);
    if (url) button.addEventListener("click", () => this.onDrill({ url, label }));
    else button.disabled = true;
    return button;
  }

  card(metric, trend, label, url) {
    return this.drillButton(label, url, [
      el("span", { className: "ioc-card-label" }, label),
      el("span", { className: "ioc-card-value" }, this.format(metric, trend.value)),
      this.trend(metric, trend),
    ], { className: "ioc-drill ioc-card", dataset: { metric, value: String(trend.value ?? "") } });
  }

  // ---- rendering -----------------------------------------------------------------------------

  render() {
    const { tr } = this;
    for (const chart of this.charts) chart.destroy();
    this.charts = [];
    const controls = this.controls();
    if (this.error && !this.data) {
      fill(this.root, controls, el("p", { className: "form-error" }, tr("ioc.load_failed", { message: this.error })));
      return;
    }
    if (!this.data) {
      fill(this.root, controls, el("p", { className: "muted" }, tr("layer.loading_one")));
      return;
    }
    const d = this.data;
    const totals = d.reports.totals;
    const inc = d.incidents;
    const periodText = tr("ioc.period_range", {
      from: formatDate(vnDay(d.period.start)), to: formatDate(vnDay(d.period.as_of)),
      pfrom: formatDate(vnDay(d.previous_period.start)), pto: formatDate(vnDay(d.previous_period.end)),
    });
    const reportCards = REPORT_CARDS.map((m) => this.card(m, totals[m], tr(`ioc.kpi.${m}`), totals[m].link));
    const incidentCards = [
      this.card("incidents_active", inc.active, tr("ioc.kpi.incidents_active"), inc.active.link),
      this.card("incidents_total", inc.total, tr("ioc.kpi.incidents_total"), inc.total.link),
      ...INCIDENT_STATUSES.map((s) => {
        const trend = inc.by_status[s] || { value: 0, previous: 0, change: 0, change_pct: null };
        const url = trend.link || this.incidentCasesUrl({ status: s });
        const card = this.card(`incidents_${s}`, trend, tr(`ioc.inc_status.${s}`), url);
        card.style.setProperty("--accent-line", INCIDENT_COLOURS[s]);
        card.classList.add("ioc-card-status");
        return card;
      }),
    ];
    const chartBox = el("div", { className: "ioc-chart-box" }, el("canvas", { id: "kpi-chart", role: "img" }));
    const incChartBox = el("div", { className: "ioc-chart-box ioc-chart-small" },
      el("canvas", { id: "kpi-incident-chart", role: "img" }));
    fill(this.root,
      controls,
      el("p", { className: "ioc-period muted small", id: "kpi-period" }, periodText),
      el("p", { className: "muted small" }, tr("ioc.drill_hint")),
      el("h3", { className: "ioc-section-title" }, tr("ioc.kpi_reports")),
      el("div", { className: "ioc-cards", id: "kpi-report-cards" }, reportCards),
      el("h3", { className: "ioc-section-title" }, tr("ioc.kpi_incidents")),
      el("div", { className: "ioc-cards", id: "kpi-incident-cards" }, incidentCards),
      incChartBox,
      el("h3", { className: "ioc-section-title", id: "kpi-breakdown-title" },
        tr("ioc.chart_by", { metric: tr(`ioc.kpi.${this.metric}`), by: tr(`ioc.by_${this.by}`).toLowerCase() })),
      chartBox,
      this.table(),
      this.incidentTable(),
      el("p", { className: "muted small ioc-updated" }, tr("ioc.kpi_updated", { time: formatDateTime(this.loadedAt) })));
    this.drawCharts(chartBox.firstChild, incChartBox.firstChild);
  }

  controls() {
    const { tr } = this;
    const period = el("select", { id: "kpi-period-select", "aria-label": tr("ioc.period") });
    setOptions(period, PERIODS.map((n) => [String(n), tr(`ioc.period_${n}`)]), String(this.days));
    period.addEventListener("change", () => {
      this.days = Number(period.value);
      this.refresh();
    });
    const by = el("div", { className: "ioc-segmented", role: "group", "aria-label": tr("ioc.by") },
      BREAKDOWNS.map((b) => {
        const button = el("button", { type: "button", className: "ioc-seg", dataset: { by: b },
          "aria-pressed": String(this.by === b) }, tr(`ioc.by_${b}`));
        button.addEventListener("click", () => {
          this.by = b;
          this.render();
        });
        return button;
      }));
    const metric = el("select", { id: "kpi-metric-select", "aria-label": tr("ioc.metric") });
    setOptions(metric, TABLE_METRICS.map((m) => [m, tr(`ioc.kpi.${m}`)]), this.metric);
    metric.addEventListener("change", () => {
      this.metric = metric.value;
      this.render();
    });
    return el("div", { className: "ioc-kpi-controls" },
      el("label", { className: "ioc-field" }, el("span", {}, tr("ioc.period")), period),
      el("label", { className: "ioc-field" }, el("span", {}, tr("ioc.metric")), metric),
      el("div", { className: "ioc-field" }, el("span", {}, tr("ioc.by")), by));
  }

  groups() {
    return (this.data && this.data.reports[`by_${this.by}`]) || [];
  }

  groupName(g) {
    if (this.by === "category") return this.lookups.categoryName(g.code) || g.name || g.code;
    if (this.by === "agency") return this.lookups.agencyName(g.code) || g.name || g.code;
    return g.name || this.lookups.communeName(g.code) || g.code || "?";
  }

  table() {
    const { tr } = this;
    const groups = this.groups();
    if (!groups.length) return el("p", { className: "muted", id: "kpi-table" }, tr("ioc.group_none"));
    const head = el("tr", {}, el("th", { scope: "col" }, tr(`ioc.by_${this.by}`)),
      TABLE_METRICS.map((m) => el("th", { scope: "col", className: m === this.metric ? "is-current" : "" }, tr(`ioc.kpi.${m}`))));
    const rows = groups.map((g) => {
      const name = this.groupName(g);
      return el("tr", { dataset: { group: g.code || "" } },
        el("th", { scope: "row" }, name),
        TABLE_METRICS.map((m) => el("td", { dataset: { metric: m, value: String(g[m].value ?? "") } },
          this.drillButton(`${tr(`ioc.kpi.${m}`)} · ${name}`, g[m].link,
            [el("span", { className: "ioc-cell-value" }, this.format(m, g[m].value)), this.trendMini(m, g[m])]))));
    });
    return el("div", { className: "ioc-table-wrap" },
      el("table", { className: "ioc-table", id: "kpi-table" }, el("thead", {}, head), el("tbody", {}, rows)));
  }

  trendMini(metric, trend) {
    if (trend.change === null || trend.change === undefined || trend.change === 0) return "";
    const good = GOOD[metric] || 0;
    const up = trend.change > 0;
    const tone = !good ? "neutral" : up === good > 0 ? "good" : "bad";
    return el("span", { className: `ioc-trend-mini is-${tone}`, title: this.tr("ioc.trend_title",
      { value: this.format(metric, trend.previous) }) }, up ? "▲" : "▼");
  }

  /** Incidents by agency (agency tab) or by type (category tab), each count clickable. */
  incidentTable() {
    const { tr } = this;
    if (!this.data || this.by === "commune") return "";
    const inc = this.data.incidents;
    const byAgency = this.by === "agency";
    const table = byAgency ? inc.by_agency : inc.by_type;
    const keys = Object.keys(table || {});
    if (!keys.length) return "";
    const head = el("tr", {}, el("th", { scope: "col" }, tr(byAgency ? "ioc.agency" : "ioc.type")),
      INCIDENT_STATUSES.map((s) => el("th", { scope: "col" }, tr(`ioc.inc_status.${s}`))));
    const rows = keys.map((key) => {
      const name = byAgency ? this.lookups.agencyName(key) : this.lookups.incidentType(key);
      return el("tr", { dataset: { group: key } }, el("th", { scope: "row" }, name),
        INCIDENT_STATUSES.map((s) => {
          const trend = table[key][s] || { value: 0, previous: 0, change: 0 };
          const url = byAgency ? this.incidentCasesUrl({ status: s, agency: key })
            : this.incidentMapUrl({ status: s, type: key });
          return el("td", { dataset: { status: s, value: String(trend.value) } },
            this.drillButton(`${tr(`ioc.inc_status.${s}`)} · ${name}`, url,
              [el("span", { className: "ioc-cell-value" }, formatNumber(trend.value)), this.trendMini("incidents_total", trend)]));
        }));
    });
    return el("div", { className: "ioc-table-wrap" },
      el("h3", { className: "ioc-section-title" }, tr(byAgency ? "ioc.inc_by_agency" : "ioc.inc_by_type")),
      el("table", { className: "ioc-table", id: "kpi-incident-table" }, el("thead", {}, head), el("tbody", {}, rows)));
  }

  /** The cases behind an incident count: same period and definition as the KPI. */
  incidentCasesUrl({ status, agency }) {
    const p = this.data.period;
    const q = new URLSearchParams({ metric: "incidents", start: p.start, end: p.end });
    if (agency) q.set("agency", agency);
    if (status) q.set("status", status);
    return `/api/v1/analytics/cases?${q}`;
  }

  /** Incidents of a type: the incidents map API (occurred_at in the period, current status). */
  incidentMapUrl({ status, type }) {
    const p = this.data.period;
    const q = new URLSearchParams({ start: p.start, end: p.end, type });
    if (status) q.set("status", status);
    return `/api/v1/incidents/map?${q}`;
  }

  drawCharts(canvas, incCanvas) {
    const { tr } = this;
    const Chart = window.Chart;
    if (!Chart) {
      canvas.replaceWith(el("p", { className: "muted small" }, tr("ioc.chart_unavailable")));
      incCanvas.parentNode.hidden = true;
      return;
    }
    const common = { responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } };
    const groups = this.groups().slice(0, MAX_BARS);
    const m = this.metric;
    const scale = (v) => (v === null || v === undefined ? null : m === "on_time_rate" ? Math.round(v * 1000) / 10 : v);
    const chart = new Chart(canvas, {
      type: "bar",
      data: {
        labels: groups.map((g) => this.groupName(g)),
        datasets: [
          { label: tr("ioc.chart_current"), data: groups.map((g) => scale(g[m].value)), backgroundColor: "#2563eb" },
          { label: tr("ioc.chart_previous"), data: groups.map((g) => scale(g[m].previous)), backgroundColor: "#cbd5e1" },
        ],
      },
      options: {
        ...common,
        indexAxis: "y",
        onClick: (_evt, elements) => {
          if (!elements.length) return;
          const g = groups[elements[0].index];
          if (g && g[m].link) this.onDrill({ url: g[m].link, label: `${tr(`ioc.kpi.${m}`)} · ${this.groupName(g)}` });
        },
        scales: { x: { beginAtZero: true, ticks: { precision: COUNTS.has(m) ? 0 : undefined } } },
      },
    });
    canvas.parentNode.style.height = `${Math.max(160, 40 + groups.length * 34)}px`;
    canvas.setAttribute("aria-label", tr("ioc.chart_by", { metric: tr(`ioc.kpi.${m}`), by: tr(`ioc.by_${this.by}`) }));
    this.charts.push(chart);
    const inc = this.data.incidents.by_status;
    const incChart = new Chart(incCanvas, {
      type: "bar",
      data: {
        labels: INCIDENT_STATUSES.map((s) => tr(`ioc.inc_status.${s}`)),
        datasets: [
          { label: tr("ioc.chart_current"), data: INCIDENT_STATUSES.map((s) => (inc[s] ? inc[s].value : 0)),
            backgroundColor: INCIDENT_STATUSES.map((s) => INCIDENT_COLOURS[s]) },
          { label: tr("ioc.chart_previous"), data: INCIDENT_STATUSES.map((s) => (inc[s] ? inc[s].previous : 0)),
            backgroundColor: "#cbd5e1" },
        ],
      },
      options: {
        ...common,
        onClick: (_evt, elements) => {
          if (!elements.length) return;
          const s = INCIDENT_STATUSES[elements[0].index];
          this.onDrill({ url: (inc[s] && inc[s].link) || this.incidentCasesUrl({ status: s }), label: tr(`ioc.inc_status.${s}`) });
        },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    incCanvas.setAttribute("aria-label", tr("ioc.chart_incidents"));
    this.charts.push(incChart);
  }
}
