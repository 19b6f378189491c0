// The layer catalogue: the switcher (#layer-switcher) and the drawing of each layer.
//
// GET /api/v1/layers lists the layers the caller may see, each with its style (styles.js),
// attribute schema and feature count. Small layers are drawn from their features_url
// (GeoJSON), large ones from vector tiles (layer-view.js). Administrative units keep their
// labels and open the details panel; features of other layers open a popup built from the
// layer's attribute schema. Paths get class names "feature layer-<slug> <level>
// <level>-<code>" (e.g. "commune commune-24664") so CSS and tests can find them. All text
// goes in with textContent.

import { api, errorText } from "./api.js";
import { el as node, swatch } from "./dom.js";
import { onLangChange, pick, t } from "./i18n.js";
import { drawsFromTiles, fidClass, tileView } from "./layer-view.js";
import {
  declutterLabels, ensurePane, featureLabel, fitToLayer, layerGroup, onFeatureClick, osmBaseLayer,
  styledGeoJsonLayer,
} from "./map.js";
import { featurePopup } from "./popup.js";
import { featureStyle, geometryKind, legendEntries, normaliseStyle } from "./styles.js";

const SELECTED_COLOR = "#d97706";
// Leaflet's path defaults, restated so that resetting a style after a highlight is complete.
const DEFAULT_STYLE = Object.freeze({
  color: "#3388ff", weight: 3, opacity: 1, fillColor: null, fillOpacity: 0.2, dashArray: null,
});
const TILE_PANE = "vectortiles";

export class LayerManager {
  /**
   * @param map Leaflet map
   * @param switcher the #layer-switcher element
   * @param onSelect called with {feature, meta} when a feature is selected, null when cleared
   */
  constructor(map, switcher, { onSelect = () => {} } = {}) {
    this.map = map;
    this.switcher = switcher;
    this.onSelect = onSelect;
    this.catalogue = []; // layer records from the API, in catalogue order
    this.entries = new Map(); // slug -> {meta, on, data, pending, geo, group, loading, error}
    this.selected = null; // {slug, code, path}
    this.loadSeq = 0;
    this.osm = { layer: null, on: false, failed: false, loaded: false };
    this.catalogueError = null;
    this.loaded = false;
    map.on("zoomend", () => this.syncZoomRanges());
    map.on("moveend", () => this.declutter());
    onLangChange(() => this.render());
  }

  /** (Re)load the catalogue for the current user and draw the layers that are on. */
  async loadCatalogue() {
    const seq = ++this.loadSeq;
    let metas;
    try {
      metas = await api("/api/v1/layers");
      this.catalogueError = null;
    } catch (err) {
      if (seq !== this.loadSeq) return;
      this.catalogueError = errorText(err);
      this.render();
      throw err;
    }
    if (seq !== this.loadSeq) return;

    const previous = this.entries;
    const reselect = this.selected ? { slug: this.selected.slug, code: this.selected.code } : null;
    this.clearSelection({ notify: false });
    for (const entry of previous.values()) this.removeFromMap(entry);

    // a layer created but not yet published has nothing to draw
    metas = metas.filter((meta) => meta.version > 0);
    this.catalogue = metas;
    this.loaded = true;
    this.entries = new Map(metas.map((meta) => {
      const before = previous.get(meta.slug);
      return [meta.slug, {
        meta, on: before ? before.on : Boolean(meta.default_on), style: normaliseStyle(meta.style, geometryKind(meta.geometry_type)),
        tiles: drawsFromTiles(meta), data: null, pending: null, geo: null, group: null, loading: false,
        error: null,
      }];
    }));
    this.render();
    await Promise.all([...this.entries.values()].filter((e) => e.on).map((e) => this.draw(e, seq)));
    if (seq !== this.loadSeq) return;
    this.restack();
    if (reselect && !this.selectByCode(reselect.slug, reselect.code)) this.onSelect(null);
  }

  /** Fit the view to a layer's features (the district outline on start). */
  fitTo(slug) {
    const entry = this.entries.get(slug);
    if (entry && entry.geo) fitToLayer(this.map, entry.geo);
    return Boolean(entry && entry.geo);
  }

  /** Turn a catalogue layer on or off (as the switcher's checkbox does). */
  async setVisible(slug, on) {
    const entry = this.entries.get(slug);
    if (!entry) return;
    entry.on = on;
    if (on) {
      await this.draw(entry, this.loadSeq);
      this.restack();
    } else {
      if (this.selected && this.selected.slug === slug) this.clearSelection();
      this.removeFromMap(entry);
      this.declutter();
    }
    this.render();
  }

  /** The layer's GeoJSON, fetched once (concurrent callers share the request). */
  ensureData(entry) {
    if (entry.data) return Promise.resolve(entry.data);
    if (!entry.pending) {
      entry.loading = true;
      entry.error = null;
      this.render();
      entry.pending = api(entry.meta.features_url)
        .then((data) => {
          entry.data = data;
          return data;
        })
        .catch((err) => {
          entry.error = errorText(err);
          throw err;
        })
        .finally(() => {
          entry.loading = false;
          entry.pending = null;
        });
    }
    return entry.pending;
  }

  async draw(entry, seq) {
    if (entry.tiles && !entry.group) {
      await this.buildTiles(entry);
      if (entry.tiles && entry.group) {
        if (seq !== this.loadSeq || !entry.on) return;
        if (this.inZoomRange(entry.meta) && !this.map.hasLayer(entry.group)) entry.group.addTo(this.map);
        this.render();
        return;
      }
    }
    try {
      await this.ensureData(entry);
    } catch {
      this.render();
      return;
    }
    if (seq !== this.loadSeq || !entry.on) return;
    if (!entry.group) this.build(entry);
    if (this.inZoomRange(entry.meta) && !this.map.hasLayer(entry.group)) entry.group.addTo(this.map);
    this.render();
  }

  /**
   * A large layer from vector tiles; when Leaflet.VectorGrid cannot be loaded the layer
   * falls back to GeoJSON (entry.tiles becomes false).
   */
  async buildTiles(entry) {
    entry.loading = true;
    this.render();
    try {
      ensurePane(this.map, TILE_PANE, 450);
      entry.geo = await tileView(this.map, entry.meta, entry.style, { pane: TILE_PANE });
      entry.group = layerGroup();
      entry.group.addLayer(entry.geo);
    } catch {
      entry.tiles = false;
      entry.geo = null;
    } finally {
      entry.loading = false;
    }
  }

  /** Build the Leaflet layers (paths and labels) of one catalogue layer. */
  build(entry) {
    const { meta } = entry;
    const labels = [];
    entry.geo = styledGeoJsonLayer(entry.data, {
      style: (feature) => this.baseStyle(meta, feature),
      onFeature: (feature, path) => {
        const p = feature.properties || {};
        if (!isAdminUnit(p)) {
          path.on({
            mouseover: () => this.styleFeature(meta.slug, path, "hover"),
            mouseout: () => this.styleFeature(meta.slug, path),
          });
          onFeatureClick(path, this.map, () => featurePopup(meta, p));
          return;
        }
        if (p.short_name) {
          labels.push(featureLabel(feature, path, p.short_name, {
            className: `label-${meta.slug}`, color: meta.style && meta.style.color,
            priority: this.catalogue.indexOf(meta),
          }));
        }
        path.on({
          mouseover: () => this.styleFeature(meta.slug, path, "hover"),
          mouseout: () => this.styleFeature(meta.slug, path),
          click: () => this.select(meta.slug, path),
        });
      },
    });
    entry.group = layerGroup();
    entry.group.addLayer(entry.geo);
    for (const label of labels) entry.group.addLayer(label);
  }

  baseStyle(meta, feature) {
    const entry = this.entries.get(meta.slug);
    const kind = geometryKind((feature && feature.geometry && feature.geometry.type) || meta.geometry_type);
    const p = (feature && feature.properties) || {};
    const style = { ...DEFAULT_STYLE, ...featureStyle(entry ? entry.style : normaliseStyle(meta.style, kind), p, kind) };
    // A fill with opacity 0 still catches clicks in SVG: outline-only layers get no fill,
    // so they never hide the layers beneath them from the pointer.
    if (style.fillOpacity === 0 && style.fill === undefined) style.fill = false;
    const classes = ["feature", `layer-${meta.slug}`];
    if (p.level && p.code) classes.push(cssIdent(p.level), `${cssIdent(p.level)}-${cssIdent(p.code)}`);
    if (p.geometry_complete === false) classes.push("geometry-incomplete");
    const fid = fidClass(feature);
    if (fid) classes.push(fid);
    style.className = classes.join(" ");
    return style;
  }

  styleFeature(slug, path, state) {
    const entry = this.entries.get(slug);
    if (!entry || !path.setStyle) return;
    const base = this.baseStyle(entry.meta, path.feature);
    delete base.className; // fixed when the path is created
    const { weight, fillOpacity } = base;
    const isSelected = this.selected && this.selected.path === path;
    if (isSelected) {
      path.setStyle({
        ...base, color: SELECTED_COLOR, weight: weight + 2, fillColor: SELECTED_COLOR,
        fillOpacity: Math.min(0.4, fillOpacity + 0.15), dashArray: null,
      });
    } else if (state === "hover") {
      const most = isAdminUnit(path.feature.properties || {}) ? 0.45 : 0.9;
      path.setStyle({ ...base, weight: weight + 1.5, fillOpacity: Math.min(most, fillOpacity + 0.2) });
    } else {
      path.setStyle(base);
    }
  }

  select(slug, path) {
    const previous = this.selected;
    this.selected = { slug, code: path.feature && path.feature.properties && path.feature.properties.code, path };
    if (previous && previous.path !== path) this.styleFeature(previous.slug, previous.path);
    this.styleFeature(slug, path);
    this.restack();
    this.onSelect(this.selectedInfo());
  }

  selectedInfo() {
    if (!this.selected) return null;
    const entry = this.entries.get(this.selected.slug);
    return { feature: this.selected.path.feature, meta: entry ? entry.meta : null };
  }

  /** Select a drawn feature by its code (GSO code for administrative units). */
  selectByCode(slug, code) {
    const path = this.findPath(slug, (p) => p.code === code);
    if (path) this.select(slug, path);
    return Boolean(path);
  }

  findPath(slug, predicate) {
    const entry = this.entries.get(slug);
    if (!entry || !entry.geo || entry.tiles) return null;
    let found = null;
    entry.geo.eachLayer((path) => {
      if (!found && predicate((path.feature && path.feature.properties) || {})) found = path;
    });
    return found;
  }

  clearSelection({ notify = true } = {}) {
    const previous = this.selected;
    this.selected = null;
    if (previous) {
      this.styleFeature(previous.slug, previous.path);
      this.restack();
    }
    if (notify) this.onSelect(null);
  }

  /**
   * Show an administrative unit that may live in another layer (a 2025 successor or a
   * predecessor): find the layer holding it, turn it on, select it and bring it into view.
   */
  async revealUnit(predicate) {
    for (const entry of this.entries.values()) {
      if (entry.tiles || entry.meta.group !== "boundaries") continue;
      try {
        await this.ensureData(entry);
      } catch {
        continue;
      }
      const feature = (entry.data.features || []).find((f) => predicate(f.properties || {}));
      if (!feature) continue;
      await this.setVisible(entry.meta.slug, true);
      const path = this.findPath(entry.meta.slug, (p) => predicate(p));
      if (path) {
        this.select(entry.meta.slug, path);
        fitToLayer(this.map, path, { animate: true, maxZoom: 13 });
      }
      return true;
    }
    this.render();
    return false;
  }

  removeFromMap(entry) {
    if (entry.group && this.map.hasLayer(entry.group)) this.map.removeLayer(entry.group);
  }

  inZoomRange(meta) {
    const z = this.map.getZoom();
    return z >= (meta.min_zoom ?? 0) && z <= (meta.max_zoom ?? 99);
  }

  syncZoomRanges() {
    for (const entry of this.entries.values()) {
      if (!entry.on || !entry.group) continue;
      const want = this.inZoomRange(entry.meta);
      if (want && !this.map.hasLayer(entry.group)) entry.group.addTo(this.map);
      if (!want) this.removeFromMap(entry);
    }
    this.restack();
    this.render();
  }

  /** Filled layers in catalogue order, then outline-only layers on top of them. */
  restack() {
    const ordered = [...this.entries.values()].sort(
      (a, b) => isOutline(a.meta) - isOutline(b.meta)
        || this.catalogue.indexOf(a.meta) - this.catalogue.indexOf(b.meta),
    );
    for (const entry of ordered) {
      if (entry.geo && this.map.hasLayer(entry.group)) entry.geo.bringToFront();
    }
    // the selected outline is drawn above everything, so no neighbour hides part of it
    if (this.selected && this.map.hasLayer(this.selected.path)) this.selected.path.bringToFront();
    this.declutter();
  }

  declutter() {
    cancelAnimationFrame(this.declutterFrame);
    this.declutterFrame = requestAnimationFrame(() => declutterLabels(this.map));
  }

  // ---- the optional OpenStreetMap base layer ---------------------------------------

  setOsm(on) {
    this.osm.on = on;
    if (on) {
      this.osm.failed = false;
      this.osm.loaded = false;
      if (!this.osm.layer) {
        this.osm.layer = osmBaseLayer();
        this.osm.layer.on("tileload", () => { this.osm.loaded = true; });
        this.osm.layer.on("tileerror", () => {
          if (!this.osm.loaded && this.osm.on) this.osmFailed();
        });
      }
      this.osm.layer.addTo(this.map);
      this.osm.layer.bringToBack();
    } else if (this.osm.layer) {
      this.map.removeLayer(this.osm.layer);
    }
    document.body.classList.toggle("has-basemap", on);
    this.render();
  }

  osmFailed() {
    this.setOsm(false);
    this.osm.failed = true;
    this.render();
  }

  // ---- the switcher --------------------------------------------------------------

  render() {
    const root = this.switcher;
    const focused = root.contains(document.activeElement) ? document.activeElement.id : null;
    root.replaceChildren();
    this.renderInto(root);
    if (focused) document.getElementById(focused)?.focus();
  }

  renderInto(root) {

    if (this.catalogueError) {
      root.append(el("p", { className: "layer-error", role: "alert" }, t("app.load_failed", { message: this.catalogueError })));
    } else if (!this.catalogue.length) {
      root.append(el("p", { className: "muted" }, t(this.loaded ? "layers.empty" : "layers.loading")));
    }

    const groups = new Map();
    for (const meta of this.catalogue) {
      if (!groups.has(meta.group)) groups.set(meta.group, []);
      groups.get(meta.group).push(this.entries.get(meta.slug));
    }
    for (const [group, entries] of groups) {
      const fieldset = el("fieldset", { className: "layer-group" });
      fieldset.dataset.group = group;
      const key = `group.${group}`;
      fieldset.append(el("legend", {}, t(key) === key ? group : t(key)));
      for (const entry of entries) fieldset.append(this.renderItem(entry));
      root.append(fieldset);
    }

    const base = el("fieldset", { className: "layer-group base-group" });
    base.append(el("legend", {}, t("layers.base_heading")));
    const osmInput = el("input", { type: "checkbox", id: "base-osm" });
    osmInput.dataset.base = "osm";
    osmInput.checked = this.osm.on;
    osmInput.addEventListener("change", () => this.setOsm(osmInput.checked));
    const osmLabel = el("label", { className: "layer-toggle", htmlFor: "base-osm" });
    osmLabel.append(osmInput, el("span", { className: "swatch swatch-tiles" }), el("span", { className: "layer-title" }, t("layers.osm")));
    base.append(el("div", { className: "layer-item" }, osmLabel));
    const note = el("p", { id: "osm-note", className: "layer-note", role: "status" }, t("layers.osm_failed"));
    note.hidden = !this.osm.failed;
    base.append(note);
    root.append(base);
    const credits = [...new Set(this.catalogue.map(layerCredits).filter(Boolean))];
    if (credits.length) {
      const box = el("div", { className: "layer-credits", id: "layer-credits" });
      box.append(el("h3", {}, t("layers.credits")));
      for (const line of credits) box.append(el("p", {}, line));
      root.append(box);
    }
  }

  renderItem(entry) {
    const { meta } = entry;
    const item = el("div", { className: "layer-item" });
    item.dataset.slug = meta.slug;
    const id = `layer-${meta.slug}`;
    const input = el("input", { type: "checkbox", id });
    input.dataset.layer = meta.slug;
    input.checked = entry.on;
    input.addEventListener("change", () => this.setVisible(meta.slug, input.checked));

    const label = el("label", { className: "layer-toggle", htmlFor: id });
    label.append(input, layerSwatch(meta, entry.style), el("span", { className: "layer-title" }, pick(meta, "title")));
    if (meta.visibility === "internal") label.append(el("span", { className: "tag" }, t("layers.internal")));
    if (entry.loading) label.append(el("span", { className: "spinner", "aria-hidden": "true" }));
    item.append(label);

    const description = pick(meta, "description");
    if (description) item.append(el("p", { className: "layer-desc" }, description));
    if (entry.style.type !== "single") item.append(layerLegend(meta, entry.style));
    if (entry.on && entry.group && !this.inZoomRange(meta)) {
      item.append(el("p", { className: "layer-note" }, t("layers.zoom_hint", { min: meta.min_zoom, max: meta.max_zoom })));
    }
    const credits = layerCredits(meta);
    if (credits) item.title = credits;
    if (entry.error) {
      item.append(el("p", { className: "layer-error", role: "alert" },
        t("layers.failed", { title: pick(meta, "title"), message: entry.error })));
    }
    return item;
  }
}

/** The switcher's swatch: outline and fill of a "single" style, a ring of colours otherwise. */
function layerSwatch(meta, style) {
  const kind = geometryKind(meta.geometry_type);
  const box = el("span", { className: `swatch swatch-${kind}` });
  if (style.type === "single") {
    box.style.borderColor = style.color;
    if (style.fill !== false && style.fillOpacity !== 0) box.style.backgroundColor = style.fillColor;
    if (style.dashArray) box.style.borderStyle = "dashed";
  } else {
    const colors = legendEntries(style).filter((r) => !r.other).map((r) => r.color).slice(0, 6);
    box.style.background = colors.length > 1 ? `linear-gradient(90deg, ${colors.join(", ")})` : colors[0] || "";
    box.style.borderColor = style.color;
  }
  return box;
}

/** The categories or classes of a layer's style, under its switcher entry. */
function layerLegend(meta, style) {
  const list = node("ul", { className: "layer-legend", dataset: { layer: meta.slug } });
  const shape = geometryKind(meta.geometry_type) === "point" ? "dot" : "box";
  for (const row of legendEntries(style)) {
    if (row.other && !style.default.label) continue;
    list.append(node("li", {}, swatch(row.color, { shape }), node("span", {}, row.other ? style.default.label : row.label)));
  }
  return list;
}

function isAdminUnit(p) {
  return Boolean(p.level && p.code);
}

function layerCredits(meta) {
  return [meta.source && t("layers.source", { source: meta.source }),
    meta.licence && t("layers.licence", { licence: meta.licence })].filter(Boolean).join(" · ");
}

function isOutline(meta) {
  const style = meta.style || {};
  return style.fill === false || style.fillOpacity === 0 ? 1 : 0;
}

/** Class-name-safe form of a data value. */
function cssIdent(value) {
  return String(value).replace(/[^A-Za-z0-9_-]/g, "_");
}

/** Create an element; `text` is set with textContent, never parsed as HTML. */
function el(tag, props = {}, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key.includes("-") || key === "role") node.setAttribute(key, value);
    else node[key] = value;
  }
  if (text !== undefined && typeof text === "string") node.textContent = text;
  else if (text instanceof Node) node.append(text);
  return node;
}
