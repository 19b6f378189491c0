// The live operations map's own layers: citizen reports (dots coloured by status, red ring
// when overdue) and incidents (points and affected areas coloured by status, sized by
// severity). Every drawn case is kept by its public code, so a live event adds or recolours
// ONE pin instead of reloading the map, and a KPI click-through can show only the cases
// behind a number (setFilter) and go back (clearFilter).
//
// Every SVG path carries data-code / data-status / data-kind for CSS and tests. Popups are
// DOM nodes filled with textContent. Leaflet is reached through map.js only (it alone
// converts lon/lat): a pin is a one-feature GeoJSON layer, an area a GeoJSON geometry.

import { el } from "./dom.js";
import { formatDateTime, formatNumber, pick } from "./i18n.js";
import {
  centreOn, fitToBbox, fitToLayer, geoJsonLayer, layerGroup, popupAt, restyleFeature, styledGeoJsonLayer,
} from "./map.js";
import { STATUS_COLOURS, statusBadge } from "./report-view.js";

export const INCIDENT_COLOURS = Object.freeze({
  reported: "#dc2626",
  responding: "#ea580c",
  contained: "#ca8a04",
  closed: "#64748b",
});
export const INCIDENT_STATUSES = Object.keys(INCIDENT_COLOURS);
const OPEN_REPORT = new Set(["received", "assigned", "in_progress"]);
// What live events change. A list or detail response that was requested before a live
// event arrived must not undo it (it was read before that change committed).
const LIVE_FIELDS = ["status", "severity", "agency", "due_at", "overdue"];

function withoutLiveFields(p) {
  return Object.fromEntries(Object.entries(p).filter(([k]) => !LIVE_FIELDS.includes(k)));
}

function liveFields(p) {
  return Object.fromEntries(Object.entries(p).filter(([k, v]) => LIVE_FIELDS.includes(k) && v !== undefined));
}

/** Options of an upsert: `live` (a live event) or `since` (when the response was requested). */
function stale(known, since) {
  return Boolean(known) && since !== null && known.liveAt > since;
}

function noteLive(entry, p, live) {
  if (!entry || !live) return entry;
  entry.liveAt = performance.now();
  entry.live = { ...(entry.live || {}), ...liveFields(p) };
  return entry;
}

/** An incident status pill (the shared statusBadge knows report statuses only). */
export function incidentBadge(status, tr) {
  const badge = el("span", { className: `status-badge inc-status-${status}`, dataset: { status } },
    el("span", { className: "status-dot", "aria-hidden": "true" }), tr(`ioc.inc_status.${status}`));
  badge.style.setProperty("--status", INCIDENT_COLOURS[status] || "#64748b");
  return badge;
}

/** Tag the drawn SVG paths of a pin or an area (Leaflet makes new ones on every add). */
function mark(layer, props) {
  layer.eachLayer((path) => {
    const node = path.getElement && path.getElement();
    if (!node) return;
    node.dataset.code = props.code;
    node.dataset.kind = props.kind;
    node.dataset.status = props.status;
  });
}

function pointFeature(lon, lat) {
  return { type: "Feature", geometry: { type: "Point", coordinates: [lon, lat] }, properties: {} };
}

export class OpsLayers {
  /**
   * @param map the Leaflet map
   * @param t the page's translate function
   * @param lookups {communeName(code), categoryName(code), incidentType(code), agencyName(code)}
   */
  constructor(map, { tr, lookups }) {
    this.map = map;
    this.tr = tr;
    this.lookups = lookups;
    this.reports = new Map(); // code -> {props, layer, area}
    this.incidents = new Map();
    this.reportGroup = layerGroup().addTo(map);
    this.incidentGroup = layerGroup().addTo(map);
    this.filter = null; // Set of codes shown while a click-through is active
    this.extra = layerGroup().addTo(map); // cases of a click-through that are not live pins
  }

  /** A circle pin at lon/lat drawn with `style()`; a click opens `popup()` there. */
  pin(props, style, className) {
    const layer = styledGeoJsonLayer(pointFeature(props.lon, props.lat), { style: () => ({ ...style(), className }) });
    layer.on("click", () => this.openPopup(props));
    return layer;
  }

  openPopup(props) {
    const node = props.kind === "incident" ? this.incidentPopup(props) : this.reportPopup(props);
    popupAt(this.map, props.lon, props.lat, node);
  }

  // ---- reports -----------------------------------------------------------------------------

  /** Replace the reports with a list requested at `since` (performance.now()), keeping what
   * live events changed after that. */
  setReports(collection, since = -Infinity) {
    const live = this.liveAfter(this.reports, since);
    this.reportGroup.clearLayers();
    this.reports.clear();
    for (const f of collection.features || []) {
      if (!f.geometry || f.geometry.type !== "Point") continue;
      const [lon, lat] = f.geometry.coordinates;
      this.upsertReport({ ...f.properties, lon, lat });
    }
    for (const old of live) this.keepLive(old, this.reports, this.reportGroup, (p) => this.upsertReport(p));
  }

  /** Entries a live event changed after `since`. */
  liveAfter(entries, since) {
    return [...entries.values()].filter((e) => e.liveAt > since);
  }

  /** After a list reload: reapply an entry's live changes, or put it back if the list lacked it. */
  keepLive(old, entries, group, upsert) {
    const fresh = entries.get(old.props.code);
    if (!fresh) {
      entries.set(old.props.code, old);
      this.show(old, group);
      return;
    }
    upsert({ code: old.props.code, ...old.live });
    fresh.liveAt = old.liveAt;
    fresh.live = old.live;
  }

  /** Add a report or update its status (a live event, or a row of the map endpoint). */
  upsertReport(p, { live = false, since = null } = {}) {
    const known = this.reports.get(p.code);
    if (stale(known, since)) p = withoutLiveFields(p);
    return noteLive(this.applyReport(known, p), p, live);
  }

  applyReport(known, p) {
    if (known) {
      Object.assign(known.props, Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined && v !== null)));
      if (!OPEN_REPORT.has(known.props.status)) known.props.overdue = false;
      const style = this.reportStyle(known.props);
      known.layer.eachLayer((path) => restyleFeature(path, style));
      mark(known.layer, known.props);
      return known;
    }
    if (!Number.isFinite(p.lon) || !Number.isFinite(p.lat)) return null;
    const props = { ...p, kind: "report" };
    const layer = this.pin(props, () => this.reportStyle(props), "ioc-pin ioc-report");
    const entry = { props, layer, area: false };
    this.reports.set(p.code, entry);
    this.show(entry, this.reportGroup);
    return entry;
  }

  reportStyle(p) {
    const colour = STATUS_COLOURS[p.status] || "#64748b";
    return { radius: 7, weight: p.overdue ? 3 : 1.5, color: p.overdue ? "#b91c1c" : "#ffffff", opacity: 1,
      fillColor: colour, fillOpacity: 0.92 };
  }

  reportPopup(p) {
    const { tr, lookups } = this;
    const rows = [
      [tr("ioc.status"), statusBadge(p.status)],
      p.category ? [tr("ioc.category"), lookups.categoryName(p.category)] : null,
      p.commune ? [tr("ioc.commune"), lookups.communeName(p.commune)] : null,
      p.agency ? [tr("ioc.agency"), lookups.agencyName(p.agency)] : null,
      p.received_at ? [tr("ioc.received"), formatDateTime(p.received_at)] : null,
      p.due_at ? [tr("ioc.due"), formatDateTime(p.due_at)] : null,
    ].filter(Boolean);
    return el("div", { className: "popup ioc-popup", dataset: { code: p.code, kind: "report" } },
      el("p", { className: "popup-layer" }, tr("ioc.report")),
      el("h3", { className: "popup-title report-code" }, p.code),
      p.overdue ? el("p", { className: "ioc-popup-warn" }, tr("ioc.overdue")) : null,
      el("dl", { className: "popup-fields" }, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
      this.canOpenInbox ? el("a", { className: "popup-link", href: `/officer#case=${encodeURIComponent(p.code)}` },
        tr("ioc.open_case")) : null);
  }

  // ---- incidents ---------------------------------------------------------------------------

  /** Replace the incidents with a list requested at `since` (see setReports). */
  setIncidents(collection, since = -Infinity) {
    const live = this.liveAfter(this.incidents, since);
    this.incidentGroup.clearLayers();
    this.incidents.clear();
    for (const f of collection.features || []) this.upsertIncident(f.properties, f.geometry);
    for (const old of live) this.keepLive(old, this.incidents, this.incidentGroup, (p) => this.upsertIncident(p));
  }

  /** Add an incident, or update its status, severity and (when given) its geometry. */
  upsertIncident(p, geometry = null, { live = false, since = null } = {}) {
    const known = this.incidents.get(p.code);
    if (stale(known, since)) p = withoutLiveFields(p);
    const entry = this.applyIncident(known, p, geometry);
    if (entry && known && entry !== known) {  // redrawn as an area: keep what live events said
      entry.liveAt = known.liveAt;
      entry.live = known.live;
    }
    return noteLive(entry, p, live);
  }

  applyIncident(known, p, geometry) {
    if (known) {
      Object.assign(known.props, Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined && v !== null)));
      if (geometry && geometry.type !== "Point" && !known.area) {
        this.incidentGroup.removeLayer(known.layer);
        this.extra.removeLayer(known.layer);
        this.incidents.delete(p.code);
        return this.upsertIncident(known.props, geometry);
      }
      this.restyleIncident(known);
      return known;
    }
    const props = { ...p, kind: "incident" };
    let layer;
    let area = false;
    if (geometry && geometry.type !== "Point") {
      area = true;
      layer = geoJsonLayer(geometry, { style: () => ({ ...this.incidentStyle(props, true), className: "ioc-area" }) });
      layer.on("click", () => this.openPopup(props));
    } else {
      const [lon, lat] = geometry ? geometry.coordinates : [p.lon, p.lat];
      if (!Number.isFinite(lon) || !Number.isFinite(lat)) return null;
      props.lon = lon;
      props.lat = lat;
      layer = this.pin(props, () => this.incidentStyle(props, false), "ioc-pin ioc-incident");
    }
    if (!Number.isFinite(props.lon) || !Number.isFinite(props.lat)) return null; // an area needs its anchor
    const entry = { props, layer, area };
    this.incidents.set(p.code, entry);
    this.show(entry, this.incidentGroup);
    return entry;
  }

  incidentStyle(p, area) {
    const colour = INCIDENT_COLOURS[p.status] || "#64748b";
    const sev = Number(p.severity) || 1;
    if (area) return { color: colour, weight: 1 + sev * 0.5, opacity: 0.95, fillColor: colour, fillOpacity: 0.22,
      dashArray: p.status === "closed" ? "4 4" : null };
    return { radius: 6 + sev * 2, weight: 2.5, color: "#111827", opacity: 0.9, fillColor: colour, fillOpacity: 0.9 };
  }

  restyleIncident(entry) {
    const style = this.incidentStyle(entry.props, entry.area);
    entry.layer.eachLayer((path) => restyleFeature(path, style));
    mark(entry.layer, entry.props);
  }

  incidentPopup(p) {
    const { tr, lookups } = this;
    const rows = [
      [tr("ioc.status"), incidentBadge(p.status, tr)],
      [tr("ioc.type"), lookups.incidentType(p.incident_type || p.type)],
      p.severity ? [tr("ioc.severity"), lookups.severity(p.severity)] : null,
      p.commune ? [tr("ioc.commune"), lookups.communeName(p.commune)] : null,
      p.agency ? [tr("ioc.agency"), lookups.agencyName(p.agency)] : null,
      p.occurred_at ? [tr("ioc.occurred"), formatDateTime(p.occurred_at)] : null,
      p.area_km2 ? [tr("ioc.area"), tr("ioc.area_km2", { value: formatNumber(p.area_km2, 2) })] : null,
    ].filter(Boolean);
    return el("div", { className: "popup ioc-popup", dataset: { code: p.code, kind: "incident" } },
      el("p", { className: "popup-layer" }, tr("ioc.incident")),
      el("h3", { className: "popup-title" }, p.title || p.code),
      el("p", { className: "report-code muted" }, p.code),
      el("dl", { className: "popup-fields" }, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])));
  }

  // ---- showing, focusing, filtering --------------------------------------------------------

  show(entry, group) {
    const visible = !this.filter || this.filter.has(entry.props.code);
    if (visible && !group.hasLayer(entry.layer)) group.addLayer(entry.layer);
    if (!visible && group.hasLayer(entry.layer)) group.removeLayer(entry.layer);
    if (visible) mark(entry.layer, entry.props);
  }

  entry(kind, code) {
    return (kind === "incident" ? this.incidents : this.reports).get(code) || null;
  }

  /** Zoom to a case and open its popup. */
  focus(kind, code, { zoom = 16 } = {}) {
    const entry = this.entry(kind, code);
    if (!entry) return false;
    const group = kind === "incident" ? this.incidentGroup : this.reportGroup;
    if (!group.hasLayer(entry.layer) && !this.extra.hasLayer(entry.layer)) group.addLayer(entry.layer);
    if (entry.area) fitToLayer(this.map, entry.layer, { maxZoom: zoom, padding: 24 });
    else centreOn(this.map, entry.props.lon, entry.props.lat, Math.max(this.map.getZoom(), zoom), { animate: false });
    mark(entry.layer, entry.props);
    this.openPopup(entry.props);
    return true;
  }

  /**
   * Show only `cases` (the features of a click-through): live pins outside it are hidden,
   * cases not drawn yet (closed, or beyond the live map's statuses) are added for the time
   * being. Returns the bounds of the shown cases.
   */
  setFilter(cases) {
    this.clearFilter();
    this.filter = new Set(cases.map((c) => c.code));
    for (const c of cases) {
      if (!this.entry(c.kind, c.code)) {
        const entry = c.kind === "incident" ? this.upsertIncident(c, c.geometry) : this.upsertReport(c);
        if (entry) {
          entry.temporary = true;
          (c.kind === "incident" ? this.incidentGroup : this.reportGroup).removeLayer(entry.layer);
          this.extra.addLayer(entry.layer);
          mark(entry.layer, entry.props);
        }
      }
    }
    for (const entry of this.reports.values()) if (!entry.temporary) this.show(entry, this.reportGroup);
    for (const entry of this.incidents.values()) if (!entry.temporary) this.show(entry, this.incidentGroup);
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    for (const c of cases) {
      if (!Number.isFinite(c.lon) || !Number.isFinite(c.lat)) continue;
      box[0] = Math.min(box[0], c.lon);
      box[1] = Math.min(box[1], c.lat);
      box[2] = Math.max(box[2], c.lon);
      box[3] = Math.max(box[3], c.lat);
    }
    if (box[0] <= box[2]) fitToBbox(this.map, box, { maxZoom: 15, padding: 32 });
    document.body.dataset.mapFilter = String(this.filter.size);
  }

  clearFilter() {
    if (!this.filter) return;
    this.filter = null;
    this.extra.clearLayers();
    for (const [code, entry] of [...this.reports]) if (entry.temporary) this.reports.delete(code);
    for (const [code, entry] of [...this.incidents]) if (entry.temporary) this.incidents.delete(code);
    for (const entry of this.reports.values()) this.show(entry, this.reportGroup);
    for (const entry of this.incidents.values()) this.show(entry, this.incidentGroup);
    delete document.body.dataset.mapFilter;
  }

  /** Live counts of what is drawn (the counters use the KPI numbers; this is for tests). */
  counts() {
    let open = 0;
    let overdue = 0;
    for (const { props } of this.reports.values()) {
      if (OPEN_REPORT.has(props.status)) open += 1;
      if (props.overdue) overdue += 1;
    }
    return { reports: this.reports.size, open, overdue, incidents: this.incidents.size };
  }
}

/** The legend: report statuses and incident statuses. */
export function legend(tr) {
  const item = (colour, text, shape) => {
    const dot = el("span", { className: `ioc-legend-dot ioc-legend-${shape}`, "aria-hidden": "true" });
    dot.style.background = colour;
    return el("li", {}, dot, text);
  };
  return el("div", { className: "ioc-legend-body" },
    el("p", { className: "ioc-legend-head" }, tr("ioc.legend_reports")),
    el("ul", {}, ["received", "assigned", "in_progress", "resolved", "closed"]
      .map((s) => item(STATUS_COLOURS[s], tr(`status.${s}`), "dot")),
    item("#ffffff", tr("ioc.overdue"), "ring")),
    el("p", { className: "ioc-legend-head" }, tr("ioc.legend_incidents")),
    el("ul", {}, INCIDENT_STATUSES.map((s) => item(INCIDENT_COLOURS[s], tr(`ioc.inc_status.${s}`), "big"))));
}

/** The name of a bilingual record or the code itself. */
export function nameOr(record, code) {
  return record ? pick(record, "name") || pick(record, "label") || code : code;
}
