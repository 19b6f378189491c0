// The public statistics page (/stats): how many citizens' reports each agency, commune and
// category received and resolved over a period, how many on time, how fast, how many are
// overdue now and how satisfied the citizens were; monthly trends as charts. No sign-in.
//
// The view (period, grouping, sort, trend group) is in the query string, so a link shares
// it. <body data-ready="1"> once set up; data-state="loading|ready|empty|error" for the
// table and data-trend="loading|ready|error" for the charts. DOM nodes and textContent only.

import { api, errorText } from "./api.js";
import { el, fill, setOptions } from "./dom.js";
import { applyI18n, formatDateTime, onLangChange, t, toggleLang } from "./i18n.js";
import { TrendCharts, chartsAvailable } from "./stats-charts.js";
import * as fmt from "./stats-format.js";
import {
  GROUPS, defaultDir, parseState, presetRange, rangeProblem, stateQuery, summaryQuery, todayInVietnam, trendQuery,
} from "./stats-period.js";
import { StatsTable } from "./stats-table.js";

const $ = (id) => document.getElementById(id);

/** The district-wide cards: [key, label key, value writer, small print]. */
const KPIS = [
  ["received", "stats.col_received", (m) => fmt.count(m.received),
    (m) => t("stats.kpi_received_sub", { rejected: fmt.count(m.rejected), duplicate: fmt.count(m.duplicate) })],
  ["resolved", "stats.col_resolved", (m) => fmt.count(m.resolved),
    (m) => t("stats.kpi_resolved_sub", { n: fmt.count(m.resolved_unconfirmed) })],
  ["on_time_pct", "stats.col_on_time", (m) => fmt.pct(m.on_time_pct), () => t("stats.kpi_on_time_sub")],
  ["median_hours", "stats.col_median", (m) => fmt.duration(m.median_hours),
    (m) => t("stats.kpi_median_sub", { p90: fmt.duration(m.p90_hours) })],
  ["overdue_now", "stats.col_overdue", (m) => fmt.count(m.overdue_now),
    (m) => t("stats.kpi_overdue_sub", { open: fmt.count(m.open) })],
  ["satisfaction", "stats.col_satisfaction", (m) => fmt.rating(m.satisfaction),
    (m) => t("stats.kpi_ratings_sub", { count: m.ratings, n: fmt.count(m.ratings) })],
  ["dispute_rate_pct", "stats.col_dispute", (m) => fmt.pct(m.dispute_rate_pct), () => t("stats.kpi_dispute_sub")],
];

/** The explanation box, in order; {min} is the API's minimum case count. */
const METHOD = ["period", "received", "resolved", "on_time", "time", "overdue", "satisfaction", "dispute",
  "small", "rank"];

class StatsPage {
  constructor() {
    this.state = parseState(window.location.search, todayInVietnam());
    this.summary = null;
    this.trend = null;
    this.requests = { summary: null, trend: null };
    this.table = new StatsTable($("stats-table"), {
      onSort: (key) => this.sortBy(key),
      onPick: (group) => this.pickTrend(group.key, { scroll: true }),
    });
    this.charts = new TrendCharts({
      volume: $("chart-volume"), onTime: $("chart-on-time"), table: $("trend-table"), caption: $("trend-caption"),
    });
    this.wire();
  }

  wire() {
    $("period-presets").addEventListener("change", (e) => this.choosePreset(e.target.value));
    $("period-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.applyCustom();
    });
    const tabs = [...$("group-tabs").querySelectorAll("[role=tab]")];
    for (const tab of tabs) tab.addEventListener("click", () => this.chooseGroup(tab.dataset.group));
    $("group-tabs").addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity }[e.key];
      if (step === undefined) return;
      e.preventDefault();
      const at = GROUPS.indexOf(this.state.group);
      const next = Number.isFinite(step) ? (at + step + GROUPS.length) % GROUPS.length : step < 0 ? 0 : GROUPS.length - 1;
      this.chooseGroup(GROUPS[next]);
      tabs[next].focus();
    });
    $("trend-scope").addEventListener("change", (e) => this.pickTrend(e.target.value || null));
    $("stats-retry").addEventListener("click", () => this.loadAll());
    window.addEventListener("popstate", () => {
      this.state = parseState(window.location.search, todayInVietnam());
      this.loadAll();
    });
    onLangChange(() => this.renderAll());
  }

  // ---- changes asked for by the reader ---------------------------------------------------

  /** Record the view in the address (a new history entry for a new question). */
  remember(push = true) {
    const url = `/stats?${stateQuery(this.state)}`;
    if (push) window.history.pushState(null, "", url);
    else window.history.replaceState(null, "", url);
  }

  choosePreset(preset) {
    this.showPeriodError(null);
    if (preset === "custom") {
      $("custom-range").hidden = false;
      $("custom-start").value = this.state.start;
      $("custom-end").value = this.state.end;
      $("custom-start").focus();
      return;
    }
    $("custom-range").hidden = true;
    [this.state.start, this.state.end] = presetRange(preset, todayInVietnam());
    this.state.preset = preset;
    this.remember();
    this.loadAll();
  }

  applyCustom() {
    const start = $("custom-start").value;
    const end = $("custom-end").value;
    const problem = rangeProblem(start, end);
    this.showPeriodError(problem ? t(problem) : null);
    if (problem) return;
    Object.assign(this.state, { preset: "custom", start, end });
    this.remember();
    this.loadAll();
  }

  chooseGroup(group) {
    if (group === this.state.group) return;
    this.state.group = group;
    const hadTrend = Boolean(this.state.trend);
    this.state.trend = null; // a key of another grouping means nothing here
    this.remember();
    this.renderControls();
    this.loadSummary();
    if (hadTrend) this.loadTrend();
  }

  sortBy(key) {
    const same = key === this.state.sort;
    this.state.sort = key;
    this.state.dir = same ? (this.state.dir === "asc" ? "desc" : "asc") : defaultDir(key);
    this.remember(false);
    this.renderTable();
    const header = $("stats-table").querySelector(`[data-sort="${key}"]`);
    if (header) header.focus();
  }

  pickTrend(key, { scroll = false } = {}) {
    this.state.trend = key || null;
    this.remember(false);
    this.renderScopeOptions(this.summary ? this.summary.groups : []);
    this.loadTrend();
    if (scroll) $("trend-title").scrollIntoView({ block: "start", behavior: "smooth" });
  }

  showPeriodError(message) {
    $("period-error").hidden = !message;
    $("period-error").textContent = message || "";
  }

  // ---- loading ---------------------------------------------------------------------------

  loadAll() {
    this.renderControls();
    this.loadSummary();
    this.loadTrend();
  }

  /** One request of a kind at a time: a newer question cancels the older answer. */
  async fetchLatest(kind, path) {
    if (this.requests[kind]) this.requests[kind].abort();
    const controller = new AbortController();
    this.requests[kind] = controller;
    try {
      return { data: await api(path, { signal: controller.signal }) };
    } catch (err) {
      if (err.name === "AbortError") return { stale: true };
      return { error: err };
    } finally {
      if (this.requests[kind] === controller) this.requests[kind] = null;
    }
  }

  async loadSummary() {
    document.body.dataset.state = "loading";
    $("kpis").setAttribute("aria-busy", "true");
    const result = await this.fetchLatest("summary", `/api/v1/stats?${summaryQuery(this.state)}`);
    if (result.stale) return;
    this.summary = result.data || null;
    this.summaryError = result.error || null;
    this.renderSummary();
  }

  async loadTrend() {
    document.body.dataset.trend = "loading";
    const result = await this.fetchLatest("trend", `/api/v1/stats/trend?${trendQuery(this.state)}`);
    if (result.stale) return;
    this.trend = result.data || null;
    this.trendError = result.error || null;
    this.renderTrend();
  }

  // ---- drawing ---------------------------------------------------------------------------

  renderAll() {
    this.renderControls();
    this.renderSummary();
    this.renderTrend();
  }

  renderControls() {
    const s = this.state;
    for (const input of $("period-presets").querySelectorAll("input")) input.checked = input.value === s.preset;
    if (s.preset === "custom") {
      $("custom-range").hidden = false;
      $("custom-start").value = s.start;
      $("custom-end").value = s.end;
    } else {
      $("custom-range").hidden = true;
    }
    if (s.problem) {
      this.showPeriodError(t("stats.bad_link", { problem: t(s.problem) }));
      s.problem = null; // said once; the next change clears it
    }
    $("period-text").textContent = fmt.period(s.start, s.end);
    for (const tab of $("group-tabs").querySelectorAll("[role=tab]")) {
      const selected = tab.dataset.group === s.group;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      if (selected) $("table-panel").setAttribute("aria-labelledby", tab.id);
    }
    $("json-link").href = `/api/v1/stats?${summaryQuery(s)}`;
    this.renderMethod();
  }

  renderSummary() {
    if (!this.summary && !this.summaryError) return; // nothing asked yet
    $("kpis").setAttribute("aria-busy", "false");
    const data = this.summary;
    $("stats-error").hidden = Boolean(data);
    if (!data) {
      document.body.dataset.state = "error";
      $("stats-error-text").textContent = errorText(this.summaryError);
      $("kpis").hidden = true;
      $("stats-empty").hidden = true;
      $("table-scroll").hidden = true;
      $("table-caption").hidden = true;
      $("table-notes").textContent = "";
      $("generated-at").textContent = "";
      this.renderScopeOptions([]);
      return;
    }
    const empty = data.total.received === 0;
    document.body.dataset.state = empty ? "empty" : "ready";
    $("period-text").textContent = fmt.period(data.start, data.end);
    $("generated-at").textContent = t("stats.generated_at", { time: formatDateTime(data.generated_at) });
    $("kpis").hidden = empty;
    $("stats-empty").hidden = !empty;
    $("table-scroll").hidden = empty;
    $("table-caption").hidden = empty;
    this.renderKpis(data);
    this.renderTable();
    $("table-notes").textContent = empty ? "" : t("stats.table_note", { min: data.min_cases });
    this.renderScopeOptions(data.groups);
    this.renderMethod();
  }

  renderKpis(data) {
    const m = data.total;
    fill($("kpi-grid"), ...KPIS.map(([key, label, value, sub]) => el("div", {
      className: `kpi${m[key] === null ? " is-withheld" : ""}`, dataset: { kpi: key, value: m[key] === null ? "" : String(m[key]) },
    },
    el("dt", { className: "kpi-label" }, t(label)),
    el("dd", { className: "kpi-value", title: m[key] === null ? t("stats.withheld_metric", { min: data.min_cases }) : null },
      value(m)),
    el("dd", { className: "kpi-sub" }, sub(m)))));
  }

  renderTable() {
    const data = this.summary;
    if (!data) return;
    const caption = t(`stats.caption_${data.group_by}`, { period: fmt.period(data.start, data.end) });
    this.table.render(data, { sort: this.state.sort, dir: this.state.dir, captionText: caption });
    $("table-caption").textContent = caption;
  }

  /** The trend's group picker: the whole district, or one group of the table. */
  renderScopeOptions(groups) {
    const options = [["", t("stats.district_total")],
      ...[...groups].sort((a, b) => fmt.groupName(a).localeCompare(fmt.groupName(b), "vi"))
        .map((g) => [g.key, fmt.groupName(g)])];
    const key = this.state.trend;
    if (key && !options.some(([value]) => value === key)) options.push([key, key]);
    setOptions($("trend-scope"), options, key || "");
  }

  scopeName() {
    const key = this.state.trend;
    if (!key) return t("stats.district_total");
    const group = this.summary && this.summary.groups.find((g) => g.key === key);
    return group ? fmt.groupName(group) : key;
  }

  renderTrend() {
    if (!this.trend && !this.trendError) return;
    const missing = !chartsAvailable();
    $("charts-missing").hidden = !missing;
    if (missing) $("trend-data").open = true;
    $("trend-error").hidden = Boolean(this.trend);
    if (!this.trend) {
      document.body.dataset.trend = "error";
      $("trend-error").textContent = t("stats.trend_failed", { message: errorText(this.trendError) });
      $("trend-empty").hidden = true;
      $("trend-window").textContent = "";
      this.charts.clear();
      return;
    }
    const trend = this.trend;
    $("trend-window").textContent = t("stats.trend_window", {
      scope: this.scopeName(), first: fmt.month(trend.first), last: fmt.month(trend.last),
    });
    $("trend-empty").hidden = trend.series.some((m) => m.received > 0);
    $("chart-on-time-note").textContent = t("stats.chart_on_time_note", { min: trend.min_cases });
    this.charts.render(trend);
    document.body.dataset.trend = "ready";
  }

  renderMethod() {
    const min = this.summary ? this.summary.min_cases : null;
    const minText = min === null ? "…" : String(min);
    fill($("method-list"), ...METHOD.flatMap((item) => [
      el("dt", { dataset: { method: item } }, t(`stats.method_${item}_term`)),
      el("dd", {}, t(`stats.method_${item}`, { min: minText })),
    ]));
  }
}

function start() {
  applyI18n(document);
  $("lang-toggle").addEventListener("click", toggleLang);
  const page = new StatsPage();
  window.iocmapStats = { page };
  page.remember(false); // the address in its full form, whatever the link left out or got wrong
  page.loadAll();
  document.body.dataset.ready = "1";
}

// Chart.js is a deferred classic script: it has run before a module script runs.
start();
