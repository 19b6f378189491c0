// Citizen reports on a map: clustered markers coloured by status (red ring = overdue).
//
// Points come from a GeoJSON endpoint limited to the current view (`bbox=`) and to the
// server's cap (5000 newest), reloaded on `moveend` with a debounce and cancellation; a
// million reports never become a million markers. Clicking a report opens a popup built
// from its public record (code, category, status, time left / overdue, agency), or calls
// `onOpen(code)` instead (the officers' inbox opens the case).

import { api, errorText } from "./api.js";
import { el } from "./dom.js";
import { formatNumber, onLangChange, t } from "./i18n.js";
import { clusterLayer, featureLabel, geoJsonLayer, viewBbox } from "./map.js";
import {
  agencyName, categoryChip, deadlineChip, reportCluster, reportDot, statusBadge, statusLabel,
} from "./report-view.js";

const DEBOUNCE_MS = 250;
export const MAX_POINTS = 5000;

export class ReportsLayer {
  /**
   * @param map the Leaflet map
   * @param source GeoJSON endpoint (public list, or the inbox map)
   * @param params () => URLSearchParams entries of the current filter
   * @param onOpen optional: called with a report code instead of showing a popup
   * @param onStatus called with a short text about what is shown (count, truncation, errors)
   */
  constructor(map, { source = "/api/v1/reports/geojson", params = () => [], onOpen = null, onStatus = () => {} } = {}) {
    this.map = map;
    this.source = source;
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
    try {
      const data = await api(`${this.source}?${query}`, { signal: controller.signal });
      if (seq !== this.seq) return;
      this.layer.setData(data);
      this.lastCount = this.layer.count();
      this.error = null;
    } catch (err) {
      if (err.name === "AbortError" || seq !== this.seq) return;
      this.error = errorText(err);
    }
    this.report();
    document.body.dataset.reportsShown = String(this.lastCount ?? 0);
  }

  report() {
    if (!this.on) return;
    if (this.error) this.onStatus(t("layer.failed", { message: this.error }), "error");
    else if (this.lastCount === null) this.onStatus(t("layer.loading"));
    else if (this.lastCount >= MAX_POINTS) this.onStatus(t("layer.truncated", { count: formatNumber(MAX_POINTS) }), "warn");
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
