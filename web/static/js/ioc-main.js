// The leaders' operations screen (/ioc): the live operations map (reports and incidents,
// updated by server-sent events), the latest-events feed, the KPI dashboard with its
// click-through to the cases behind every number, and the H3 heatmap panel (ioc-heatmap.js,
// written separately, mounted into #heatmap-panel).
//
// Who: the API decides and the page follows it. Staff (admin, leader, officer, planner)
// get in; reports on the map and the live feed are for admin, leader and officer (the
// inbox and event APIs), planners get incidents, KPIs and heatmaps. Citizens and visitors
// see a sign-in prompt or a refusal and no data (no data call is made for them).
//
// <body data-access="granted|signed-out|denied">, data-ready="1" once the map and KPIs are
// loaded, data-view="map|panel" (phones), data-live (ioc-live.js). window.iocmapIoc is
// there for debugging and tests.

import * as api from "./api.js";
import { fill } from "./dom.js";
import { runGatedPage } from "./gate.js";
import { applyI18n, formatNumber, onLangChange, pick } from "./i18n.js";
import { CaseList } from "./ioc-cases.js";
import { mountHeatmapPanel } from "./ioc-heatmap.js";
import { applyIocI18n, t } from "./ioc-i18n.js";
import { KpiDashboard } from "./ioc-kpi.js";
import { OpsLayers, legend } from "./ioc-layers.js";
import { LiveFeed } from "./ioc-live.js";
import { createMap, fitToLayer } from "./map.js";
import { drawCommunes } from "./reports-layer.js";

/** The page's translate function (own keys, then the shared ones), called tr() in these modules. */
const tr = t;
const STAFF_ROLES = ["admin", "leader", "officer", "planner"];
const LIVE_ROLES = ["admin", "leader", "officer"];
const OPEN = new Set(["received", "assigned", "in_progress"]);
const KPI_REFRESH_MS = 1500;
const $ = (id) => document.getElementById(id);

class Lookups {
  constructor() {
    this.communes = new Map();
    this.categories = new Map();
    this.agencies = new Map();
    this.types = new Map();
    this.severities = new Map();
  }

  communeName = (code) => (this.communes.get(code) || code || "");
  categoryName = (code) => {
    const c = this.categories.get(code);
    return c ? pick(c, "name") : code || "";
  };
  agencyName = (code) => {
    const a = this.agencies.get(code);
    return a ? pick(a, "name") || code : code || "";
  };
  incidentType = (code) => {
    const k = this.types.get(code);
    return k ? pick(k, "label") : code || "";
  };
  severity = (level) => {
    const s = this.severities.get(Number(level));
    return s ? pick(s, "label") : String(level ?? "");
  };
}

class IocApp {
  constructor(user) {
    this.user = user;
    this.live = LIVE_ROLES.includes(user.role);
    this.lookups = new Lookups();
    for (const a of user.agencies || []) this.lookups.agencies.set(a.code, a);
    this.counters = { open: null, overdue: null, incidents: null, events: 0 };
    this.kpiTimer = null;

    this.map = createMap($("ioc-map"));
    new ResizeObserver(() => this.map.invalidateSize({ pan: false })).observe($("ioc-map"));
    this.layers = new OpsLayers(this.map, { tr, lookups: this.lookups });
    this.layers.canOpenInbox = this.live;
    this.cases = new CaseList($("ioc-cases"), {
      tr, api, lookups: this.lookups, layers: this.layers,
      chip: $("ioc-map-filter"), chipText: $("ioc-map-filter-text"),
      onShown: () => {},
    });
    this.kpi = new KpiDashboard($("ioc-kpi"), {
      tr, api, lookups: this.lookups,
      onDrill: (target) => this.drill(target),
    });
    this.kpi.onLoaded = (data) => this.kpiLoaded(data);
    this.feed = new LiveFeed({
      list: $("ioc-feed"), conn: $("ioc-conn"), connText: $("ioc-conn-text"), tr, api,
      communeName: this.lookups.communeName,
      onEvent: (e) => this.onEvent(e),
      onSelect: (e) => this.select(e),
      onReset: () => this.reloadAll(),
    });

    for (const tab of document.querySelectorAll(".ioc-tab")) {
      tab.addEventListener("click", () => this.showTab(tab.dataset.tab));
    }
    for (const button of document.querySelectorAll(".ioc-counter")) {
      button.addEventListener("click", () => this.counterClick(button.dataset.counter));
    }
    $("ioc-show-panel").addEventListener("click", () => this.setView("panel"));
    $("ioc-show-map").addEventListener("click", () => this.setView("map"));
    onLangChange(() => this.renderAll());
  }

  async start() {
    const [communes, categories, kinds] = await Promise.all([
      api.api("/api/v1/communes"),
      api.api("/api/v1/feedback/categories").catch(() => []),
      api.api("/api/v1/incidents/types").catch(() => ({ types: [], severities: [] })),
    ]);
    for (const f of communes.features || []) this.lookups.communes.set(f.properties.code, f.properties.name);
    for (const c of categories) this.lookups.categories.set(c.code, c);
    for (const k of kinds.types || []) this.lookups.types.set(k.code, k);
    for (const s of kinds.severities || []) this.lookups.severities.set(s.level, s);
    const outlines = await drawCommunes(this.map);
    fitToLayer(this.map, outlines, { padding: 12 });
    this.renderAll();
    this.mountHeatmap();
    await Promise.all([this.loadPins(), this.kpi.refresh()]);
    if (this.live) await this.feed.start();
    else {
      this.feed.setState("unavailable");
      this.feed.render();
    }
  }

  mountHeatmap() {
    try {
      const map = this.map;
      this.heatmap = mountHeatmapPanel({ map, panel: document.getElementById("heatmap-panel"), t, api });
    } catch (err) {
      fill($("heatmap-panel"), api.errorText(err));
    }
  }

  async loadPins() {
    const since = performance.now();  // live events after this outrank the lists
    const jobs = [api.api("/api/v1/incidents/map?active=true").then((fc) => this.layers.setIncidents(fc, since))];
    if (this.live) jobs.push(api.api("/api/v1/inbox/map").then((fc) => this.layers.setReports(fc, since)));
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r) => r.status === "rejected");
    const chip = $("ioc-map-status");
    chip.hidden = !failed;
    if (failed) {
      chip.dataset.kind = "error";
      chip.textContent = tr("ioc.load_failed", { message: api.errorText(failed.reason) });
    }
    document.body.dataset.pins = String(this.layers.reports.size + this.layers.incidents.size);
  }

  async reloadAll() {
    await Promise.all([this.loadPins(), this.kpi.refresh()]);
  }

  renderAll() {
    applyIocI18n(document);
    fill($("ioc-legend"), legend(tr));
    this.renderCounters();
    this.kpi.render();
    this.feed.render();
    this.cases.render();
  }

  // ---- counters ------------------------------------------------------------------------------

  kpiLoaded(data) {
    for (const g of data.reports.by_agency || []) {
      if (!this.lookups.agencies.has(g.code)) this.lookups.agencies.set(g.code, { code: g.code, name_vi: g.name });
    }
    this.kpiData = data;
    this.counters.open = data.reports.totals.open.value;
    this.counters.overdue = data.reports.totals.overdue.value;
    this.counters.incidents = data.incidents.active.value;
    this.renderCounters();
  }

  renderCounters() {
    for (const name of ["open", "overdue", "incidents", "events"]) {
      const value = this.counters[name];
      const node = $(`counter-${name}`);
      const text = value === null || value === undefined ? "–" : formatNumber(value);
      if (node.textContent !== text && node.textContent !== "–") {
        node.parentNode.classList.remove("is-bumped");
        void node.parentNode.offsetWidth; // restart the animation
        node.parentNode.classList.add("is-bumped");
      }
      node.textContent = text;
      node.dataset.value = value === null || value === undefined ? "" : String(value);
    }
    $("ioc-counters").querySelector('[data-counter="open"]').hidden = !this.live;
    $("ioc-counters").querySelector('[data-counter="overdue"]').hidden = !this.live;
    $("ioc-counters").querySelector('[data-counter="events"]').hidden = !this.live;
  }

  counterClick(name) {
    const data = this.kpiData;
    if (name === "events") {
      this.showTab("live");
      return;
    }
    if (!data) return;
    const link = name === "open" ? data.reports.totals.open.link
      : name === "overdue" ? data.reports.totals.overdue.link : data.incidents.active.link;
    const label = tr(name === "incidents" ? "ioc.counter_incidents" : `ioc.counter_${name}`);
    this.drill({ url: link, label });
  }

  // ---- live events ---------------------------------------------------------------------------

  /** One event: the pin appears or changes colour, the counters move, the KPIs follow. */
  onEvent(e) {
    const c = this.counters;
    c.events += 1;
    if (e.type === "report") {
      const due = e.due_at ? new Date(e.due_at) : null;
      this.layers.upsertReport({
        code: e.id, status: e.status, lon: e.lon, lat: e.lat, category: e.category, commune: e.commune,
        agency: e.agency, due_at: e.due_at, received_at: e.kind === "report.created" ? e.at : undefined,
        overdue: OPEN.has(e.status) && due !== null && due < new Date(),
      }, { live: true });
      if (c.open !== null) {
        if (e.kind === "report.created" && OPEN.has(e.status)) c.open += 1;
        else if (e.kind === "report.status_changed") c.open += Number(OPEN.has(e.status)) - Number(OPEN.has(e.from_status));
      }
    } else if (e.type === "incident") {
      this.layers.upsertIncident({
        code: e.id, status: e.status, lon: e.lon, lat: e.lat, incident_type: e.incident_type,
        severity: e.severity, commune: e.commune, agency: e.agency,
        occurred_at: e.kind === "incident.created" ? e.at : undefined,
      }, null, { live: true });
      if (c.incidents !== null) {
        if (e.kind === "incident.created" && e.status !== "closed") c.incidents += 1;
        else if (e.kind === "incident.status_changed") {
          c.incidents += Number(e.status !== "closed") - Number(e.from_status !== "closed");
        }
      }
      if (e.kind !== "incident.status_changed") this.loadIncident(e.id);
    }
    this.renderCounters();
    document.body.dataset.pins = String(this.layers.reports.size + this.layers.incidents.size);
    clearTimeout(this.kpiTimer);
    this.kpiTimer = setTimeout(() => this.kpi.refresh(), KPI_REFRESH_MS);
  }

  /** Title, area geometry and dates of a new or edited incident (events carry no text). */
  async loadIncident(code) {
    try {
      const since = performance.now();  // a status change arriving meanwhile outranks this answer
      const d = await api.api(`/api/v1/incidents/${encodeURIComponent(code)}`);
      this.layers.upsertIncident({
        code: d.code, title: d.title, status: d.status.code, severity: d.severity.level,
        incident_type: d.type.code, agency: d.agency.code, commune: d.commune_code,
        occurred_at: d.occurred_at, area_km2: d.area_km2,
      }, d.geometry, { since });
    } catch {
      // the point from the event stays on the map
    }
  }

  /** A feed item was clicked: zoom to the case and open its popup. */
  select(e) {
    this.setView("map");
    if (!this.layers.focus(e.type, e.id)) {
      if (this.layers.filter) this.cases.clear();
      if (e.type === "incident") this.layers.upsertIncident({ code: e.id, status: e.status, lon: e.lon, lat: e.lat,
        incident_type: e.incident_type, severity: e.severity, commune: e.commune, agency: e.agency });
      else this.layers.upsertReport({ code: e.id, status: e.status, lon: e.lon, lat: e.lat, category: e.category,
        commune: e.commune, agency: e.agency, due_at: e.due_at });
      this.layers.focus(e.type, e.id);
    }
  }

  // ---- click-through -------------------------------------------------------------------------

  drill(target) {
    if (!target.url) return;
    this.showTab("cases");
    this.cases.open(target);
  }

  showTab(name) {
    for (const tab of document.querySelectorAll(".ioc-tab")) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(on));
      const panel = document.getElementById(tab.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    }
    document.body.dataset.tab = name;
    if (name === "kpi") this.kpi.render(); // charts measure their box when visible
  }

  setView(view) {
    document.body.dataset.view = view;
    if (view === "map") this.map.invalidateSize({ pan: false });
  }
}

async function start() {
  applyI18n(document);
  applyIocI18n(document);
  await runGatedPage({
    roles: STAFF_ROLES, prefix: "ioc", text: tr,
    keys: {
      signedOutTitle: "ioc.gate_signed_out_title", signedOut: "ioc.gate_signed_out",
      deniedTitle: "ioc.gate_denied_title", denied: "ioc.gate_denied",
    },
    create: (user) => {
      const app = new IocApp(user);
      window.iocmapIoc = app;
      return app;
    },
    failed: (err) => {
      const chip = $("ioc-map-status");
      chip.hidden = false;
      chip.dataset.kind = "error";
      chip.textContent = tr("ioc.load_failed", { message: api.errorText(err) });
    },
  });
}

start();
