// The planner's map: the selected layer as published, or the preview of a file before
// publishing, drawn with the style being edited (the same renderer as the main map).

import { api } from "./api.js";
import { el, fill, swatch } from "./dom.js";
import { formatNumber, onLangChange, pick, t } from "./i18n.js";
import { drawsFromTiles, geoJsonView, tileView } from "./layer-view.js";
import { createMap, ensurePane, fitToBbox, fitToLayer, styledGeoJsonLayer } from "./map.js";
import { geometryKind, legendEntries } from "./styles.js";

const TILE_PANE = "vectortiles";
// The district and commune outlines, for orientation only (no base map is loaded).
const CONTEXT = [
  ["communes", { color: "#94a3b8", weight: 1, opacity: 0.9, fill: false, className: "context-outline" }],
  ["district", { color: "#b91c1c", weight: 2, opacity: 0.7, fill: false, dashArray: "6 4", className: "context-outline" }],
];
// room for the zoom buttons and the banner (top left) and the legend (bottom right)
const FIT = { maxZoom: 16, padding: { topLeft: [64, 64], bottomRight: [250, 48] } };

export class PlannerMap {
  /**
   * @param container the map element
   * @param legend the legend box over the map
   * @param banner the line saying what the map shows (published version or preview)
   */
  constructor(container, { legend, banner }) {
    this.map = createMap(container);
    new ResizeObserver(() => this.map.invalidateSize({ pan: false })).observe(container);
    ensurePane(this.map, TILE_PANE, 450);
    this.legend = legend;
    this.banner = banner;
    this.meta = null;
    this.style = null;
    this.context = null; // the district outline
    this.current = null; // {view, data} of the published version
    this.preview = null; // {view, data, total}
    this.seq = 0;
    onLangChange(() => this.render());
  }

  /** The district and commune outlines for orientation (not interactive). */
  async loadContext() {
    for (const [slug, style] of CONTEXT) {
      try {
        const data = await api(`/api/v1/layers/${slug}/features`);
        this.context = styledGeoJsonLayer(data, { style: () => ({ ...style, interactive: false }) }).addTo(this.map);
      } catch {
        // not there (or hidden): the map simply has no such outline
      }
    }
    if (!this.current && !this.preview) this.fitContext();
  }

  /** With nothing of the layer to show, the view is the district. */
  fitContext() {
    if (this.context) fitToLayer(this.map, this.context, { padding: 24 });
  }

  /** Show a layer's published features; resolves with its GeoJSON (null for tile layers). */
  async showLayer(meta, style) {
    const seq = ++this.seq;
    this.clearPreview({ silent: true });
    this.removeCurrent();
    this.meta = meta;
    this.style = style;
    this.render();
    if (!meta.version || !meta.feature_count) {
      this.fitContext();
      return null;
    }
    let view;
    let data = null;
    if (drawsFromTiles(meta)) {
      try {
        view = await tileView(this.map, meta, style, { pane: TILE_PANE });
      } catch {
        view = null;
      }
    }
    if (!view) {
      data = await api(meta.features_url);
      if (seq !== this.seq) return data;
      view = geoJsonView(this.map, meta, data, style);
    }
    if (seq !== this.seq) return data;
    this.current = { view, data };
    if (!this.preview) view.addTo(this.map);
    if (!(data && fitToLayer(this.map, view, FIT))) fitToBbox(this.map, meta.bbox, FIT);
    this.render();
    return data;
  }

  /** Show the first features of a file being previewed, instead of the published ones. */
  showPreview(meta, collection, total, style) {
    this.clearPreview({ silent: true });
    this.meta = meta;
    this.style = style;
    const view = geoJsonView(this.map, meta, collection, style, { classes: "preview" });
    this.preview = { view, data: collection, total };
    if (this.current) this.map.removeLayer(this.current.view);
    view.addTo(this.map);
    fitToLayer(this.map, view, FIT);
    this.render();
  }

  clearPreview({ silent = false } = {}) {
    if (!this.preview) return;
    this.map.removeLayer(this.preview.view);
    this.preview = null;
    if (this.current && !this.map.hasLayer(this.current.view)) this.current.view.addTo(this.map);
    if (!silent) this.render();
  }

  /** Nothing selected: only the district. */
  clear() {
    this.seq += 1;
    this.clearPreview({ silent: true });
    this.removeCurrent();
    this.meta = null;
    this.render();
    this.fitContext();
  }

  removeCurrent() {
    if (this.current) this.map.removeLayer(this.current.view);
    this.current = null;
  }

  /** Redraw with another style (every change in the style editor). */
  restyle(style) {
    this.style = style;
    if (this.current) this.current.view.restyle(style);
    if (this.preview) this.preview.view.restyle(style);
    this.renderLegend();
  }

  render() {
    this.renderBanner();
    this.renderLegend();
  }

  renderBanner() {
    const meta = this.meta;
    const banner = this.banner;
    banner.hidden = !meta;
    if (!meta) return;
    if (this.preview) {
      banner.dataset.mode = "preview";
      const shown = this.preview.data.features.length;
      fill(banner, t("map_mode.preview", { shown: formatNumber(shown), total: formatNumber(this.preview.total) }));
    } else if (meta.version) {
      banner.dataset.mode = "current";
      fill(banner, t("map_mode.current", { version: meta.version, count: formatNumber(meta.feature_count || 0) }));
    } else {
      banner.dataset.mode = "empty";
      fill(banner, t("map_mode.empty"));
    }
  }

  renderLegend() {
    const box = this.legend;
    if (!this.meta || !this.style || (!this.current && !this.preview)) {
      box.hidden = true;
      return;
    }
    const shape = geometryKind(this.meta.geometry_type) === "point" ? "dot" : "box";
    const style = this.style;
    const list = el("ul");
    for (const row of legendEntries(style)) {
      const label = row.other ? style.default.label || t("legend.other") : row.label || pick(this.meta, "title");
      list.append(el("li", {}, swatch(row.color, { shape, stroke: style.color }), el("span", {}, label)));
    }
    const field = style.type !== "single" ? style.field : null;
    fill(box, el("h4", {}, pick(this.meta, "title")), field ? el("p", { className: "muted small" }, field) : null, list);
    box.hidden = false;
  }
}
