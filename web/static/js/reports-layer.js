// Citizen reports on a map, coloured by status (red ring = overdue).
//
// The public map (no `source` given) asks the server for what to draw in the current view
// (`/api/v1/reports/clusters?bbox=&zoom=`): numbered clusters counted in the database at
// district and commune zoom (a million reports never become a million markers), the
// reports themselves up close or when the view holds few. A cluster's ring shows its share
// of each status; clicking it zooms in on it. Other maps (the officers' inbox) pass their
// own GeoJSON `source` of points (capped by the server), clustered in the browser.
// Either way the view is reloaded on `moveend` with a debounce, and a request still on its
// way is aborted by the next one. Clicking a report opens a popup built from its public
// record (code, category, status, time left / overdue, agency), or calls `onOpen(code)`.

import { api, errorText } from "./api.js";
import { el } from "./dom.js";
import { formatNumber, onLangChange, t } from "./i18n.js";
import { centreOn, clusterLayer, featureLabel, geoJsonLayer, nodeMarker, viewBbox } from "./map.js";
import {
  STATUSES, STATUS_COLOURS, agencyName, categoryChip, deadlineChip, reportCluster, reportDot, statusBadge, statusLabel,
} from "./report-view.js";

const DEBOUNCE_MS = 250;
export const MAX_POINTS = 5000;
export const CLUSTERS_URL = "/api/v1/reports/clusters";
/** From this zoom on the server always sends reports, never clusters (layers/feedback/clusters.py). */
const ALWAYS_POINTS_ZOOM = 19;

function shortCount(count) {
  if (count >= 1e6) return `${(count / 1e6).toFixed(1)}M`;
  if (count >= 1000) return `${Math.floor(count / 1000)}k`;
  return String(count);
}

/** A server cluster: its count on a ring coloured by the share of each status. */
function serverCluster(props) {
  const stops = [];
  let at = 0;
  for (const status of STATUSES) {
    const n = (props.statuses || {})[status];
    if (!n) continue;
    const end = at + (n / props.count) * 100;
    stops.push(`${STATUS_COLOURS[status]} ${at}% ${end}%`);
    at = end;
  }
  const node = el("span", {
    className: "report-cluster server-cluster",
    dataset: { count: String(props.count), cell: props.cell, status: props.status || "" },
    title: t("layer.cluster", { count: formatNumber(props.count) }),
  }, el("span", { className: "report-cluster-count" }, shortCount(props.count)));
  node.tabIndex = 0;
  node.setAttribute("role", "button");
  node.setAttribute("aria-label", node.title);
  node.style.pointerEvents = "auto"; // Leaflet turns pointer events off on non-interactive markers
  node.style.background = stops.length ? `conic-gradient(${stops.join(", ")})` : "#64748b";
  return node;
}

export class ReportsLayer {
  /**
   * @param map the Leaflet map
   * @param source GeoJSON endpoint (public list, or the inbox map)
   * @param params () => URLSearchParams entries of the current filter
   * @param onOpen optional: called with a report code instead of showing a popup
   * @param onStatus called with a short text about what is shown (count, truncation, errors)
   */
  constructor(map, { source = null, params = () => [], onOpen = null, onStatus = () => {} } = {}) {
    this.map = map;
    this.serverClusters = source === null;
    this.source = source || CLUSTERS_URL;
    this.clusterMarkers = [];
    this.lastTruncated = false;
    this.params = params;
    this.onOpen = onOpen;
    this.onStatus = onStatus;
    this.layer = null;
    this.on = true;
    this.timer = null;
    this.controller = null;
    this.seq = 0;
    this.lastCount = null;
    map.on("moveend", () => this.schedule());
    onLangChange(() => this.report());
  }

  async start() {
    this.layer = await clusterLayer(this.map, {
      marker: reportDot,
      cluster: reportCluster,
      title: (p) => `${p.code} · ${statusLabel(p.status)}`,
      onClick: (props) => {
        if (this.onOpen) {
          this.onOpen(props.code);
          return null;
        }
        return this.popup(props);
      },
    });
    await this.reload();
  }

  show(on) {
    this.on = on;
    if (this.layer) this.layer.show(on);
    if (!on) this.clearClusters();
    if (on) this.reload();
    else this.onStatus("");
  }

  schedule() {
    if (!this.on) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), DEBOUNCE_MS);
  }

  /** Fetch the points in view (cancelling an older request still on its way). */
  async reload() {
    if (!this.layer || !this.on) return;
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    const seq = ++this.seq;
    const query = new URLSearchParams(this.params());
    query.set("bbox", viewBbox(this.map).map((v) => v.toFixed(5)).join(","));
    if (this.serverClusters) query.set("zoom", String(Math.round(this.map.getZoom())));
    try {
      const data = await api(`${this.source}?${query}`, { signal: controller.signal });
      if (seq !== this.seq) return;
      if (this.serverClusters) this.draw(data);
      else {
        this.layer.setData(data);
        this.lastCount = this.layer.count();
        this.lastTruncated = this.lastCount >= MAX_POINTS;
      }
      this.error = null;
    } catch (err) {
      if (err.name === "AbortError" || seq !== this.seq) return;
      this.error = errorText(err);
    }
    this.report();
    document.body.dataset.reportsShown = String(this.lastCount ?? 0);
  }

  clearClusters() {
    for (const marker of this.clusterMarkers) marker.remove();
    this.clusterMarkers = [];
  }

  /** Draw the server's answer: clusters as numbered circles, or the reports as dots. */
  draw(data) {
    const meta = data.meta || {};
    const features = data.features || [];
    const reports = features.filter((f) => f.properties.kind === "report");
    this.layer.setData({ type: "FeatureCollection", features: reports });
    this.clearClusters();
    for (const f of features) {
      if (f.properties.kind !== "cluster") continue;
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      const edge = p.count < 10 ? 34 : p.count < 100 ? 40 : p.count < 1000 ? 46 : 52;
      const node = serverCluster(p);
      // a plain DOM control on a non-interactive marker: the click must not reach the map
      // (on the report page a map tap moves the pin)
      const zoomIn = (event) => {
        event.stopPropagation();
        const zoom = Math.round(this.map.getZoom());
        centreOn(this.map, lon, lat, Math.min(ALWAYS_POINTS_ZOOM, zoom + (zoom < 12 ? 2 : 1)));
      };
      node.addEventListener("click", zoomIn);
      node.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") zoomIn(event);
      });
      this.clusterMarkers.push(nodeMarker(this.map, lon, lat, node, {
        size: [edge, edge], title: node.title, className: "cluster-marker",
      }));
    }
    this.lastCount = meta.total ?? reports.length;
    this.lastTruncated = Boolean(meta.truncated);
    document.body.dataset.reportsMode = meta.mode || "";
  }

  report() {
    if (!this.on) return;
    if (this.error) this.onStatus(t("layer.failed", { message: this.error }), "error");
    else if (this.lastCount === null) this.onStatus(t("layer.loading"));
    else if (this.lastTruncated) this.onStatus(t("layer.truncated", { count: formatNumber(this.lastCount) }), "warn");
    else this.onStatus(t("layer.count", { count: formatNumber(this.lastCount) }));
  }

  /** The popup: the light map properties at once, the public record when it arrives. */
  popup(props) {
    const body = el("div", { className: "popup report-popup", dataset: { code: props.code } },
      el("p", { className: "popup-layer" }, t("layer.popup_kind")),
      el("h3", { className: "popup-title report-code" }, props.code),
      el("div", { className: "popup-badges" }, statusBadge(props.status)),
      el("p", { className: "muted popup-loading" }, t("layer.loading_one")));
    api(`/api/v1/reports/${encodeURIComponent(props.code)}`).then((report) => {
      body.replaceChildren(
        el("p", { className: "popup-layer" }, t("layer.popup_kind")),
        el("h3", { className: "popup-title" }, report.title),
        el("p", { className: "report-code muted" }, report.code),
        el("div", { className: "popup-badges" }, statusBadge(report.status), deadlineChip(report.deadline)),
        el("dl", { className: "popup-fields" },
          el("dt", {}, t("track.category")), el("dd", {}, categoryChip(report.category)),
          el("dt", {}, t("track.agency")), el("dd", { dataset: { fact: "agency" } }, agencyName(report.agency)),
          el("dt", {}, t("track.commune")), el("dd", {}, report.commune.name),
          el("dt", {}, t("track.supporters")), el("dd", {}, formatNumber(report.supporters))),
        el("a", { className: "popup-link", href: `/track?code=${encodeURIComponent(report.code)}` }, t("layer.open_track")),
      );
    }).catch((err) => {
      const loading = body.querySelector(".popup-loading");
      if (loading) loading.textContent = errorText(err);
    });
    return body;
  }
}

/** Commune outlines with their names: the only base the map needs offline. */
export async function drawCommunes(map) {
  const communes = await api("/api/v1/communes");
  const outlines = geoJsonLayer(communes, {
    style: () => ({ color: "#1e3a8a", weight: 1.6, opacity: 0.75, fillColor: "#93c5fd", fillOpacity: 0.06,
      interactive: false, className: "fb-commune" }),
  }).addTo(map);
  outlines.eachLayer((path) => featureLabel(path.feature, path, path.feature.properties.name,
    { className: "label-fb-communes" }).addTo(map));
  return outlines;
}
