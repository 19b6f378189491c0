// Drawing one catalogue layer with its style: GeoJSON for small layers, vector tiles for
// large ones. Shared by the main map (layers.js) and the planner's map (planner-map.js),
// so a style looks the same in both.

import { clusterPopup, featurePopup } from "./popup.js";
import { onFeatureClick, restyleFeature, styledGeoJsonLayer, vectorTileLayer } from "./map.js";
import { featureStyle, geometryKind } from "./styles.js";

/** Layers with more features than this are drawn from /tiles (when VectorGrid loads). */
export const TILE_THRESHOLD = 5000;
const CLUSTER_LAYER = "clusters";
const HOVER = { weightPlus: 1.5, fillPlus: 0.2 };

export function drawsFromTiles(meta) {
  return Number(meta.feature_count || 0) > TILE_THRESHOLD;
}

/** Class names of a feature's path: "feature layer-<slug>" (+ a class per category). */
export function featureClassName(slug, extra = "") {
  return `feature layer-${slug}${extra ? ` ${extra}` : ""}`;
}

/** "fid-<n>": the feature's id (1..n in a layer version) as a class, for CSS and tests. */
export function fidClass(feature) {
  const id = feature && feature.id;
  return id === undefined || id === null ? "" : `fid-${String(id).replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

function kindOf(feature, meta) {
  return geometryKind((feature && feature.geometry && feature.geometry.type) || meta.geometry_type);
}

/**
 * A GeoJSON view of a layer. `style` comes from styles.normaliseStyle. Returns the
 * Leaflet layer with `restyle(style)` and `highlight(path, on)`.
 */
export function geoJsonView(map, meta, data, style, { popups = true, classes = "" } = {}) {
  let current = style;
  const optionsFor = (feature) => ({
    ...featureStyle(current, feature.properties, kindOf(feature, meta)),
    className: featureClassName(meta.slug, [classes, fidClass(feature)].filter(Boolean).join(" ")),
  });
  const layer = styledGeoJsonLayer(data, {
    style: optionsFor,
    onFeature: (feature, path) => {
      path.on({
        mouseover: () => hover(path, true),
        mouseout: () => hover(path, false),
      });
      if (popups) onFeatureClick(path, map, () => featurePopup(meta, feature.properties));
    },
  });
  function hover(path, on) {
    if (!path.setStyle) return;
    const base = optionsFor(path.feature);
    path.setStyle(on ? {
      ...base, weight: base.weight + HOVER.weightPlus,
      fillOpacity: Math.min(0.9, base.fillOpacity + HOVER.fillPlus),
    } : base);
  }
  layer.restyle = (next) => {
    // a circle marker cannot turn into a symbol marker (or back): redraw the features then
    const rebuild = (next.shape === "circle") !== (current.shape === "circle");
    current = next;
    if (rebuild) {
      layer.clearLayers();
      layer.addData(data);
    } else {
      layer.eachLayer((path) => restyleFeature(path, optionsFor(path.feature)));
    }
  };
  return layer;
}

/**
 * A vector-tile view of a layer: product tiles (popup attributes, dense points merged
 * into "clusters" at low zoom), or full tiles when the style reads an attribute the
 * popup does not show (product tiles would not carry it).
 */
export async function tileView(map, meta, style, { popups = true, pane } = {}) {
  let current = style;
  const popupFields = new Set((meta.attributes || []).filter((a) => a.popup).map((a) => a.name));
  const full = current.type !== "single" && current.field && !popupFields.has(current.field);
  // v= changes with each version, so no browser cache serves tiles of the version before
  const url = `/tiles/${meta.slug}/{z}/{x}/{y}.mvt?v=${meta.version}${full ? "&detail=full" : ""}`;
  // VectorGrid calls a style with (properties, zoom) and merges it over L.Path's defaults
  // (fill: false): the geometry kind comes from the catalogue, and fill is always stated.
  const kind = geometryKind(meta.geometry_type);
  const styles = () => ({
    [meta.slug]: (properties) => ({
      ...featureStyle(current, properties, kind),
      fill: kind !== "line" && current.fill !== false,
      className: featureClassName(meta.slug),
    }),
    [CLUSTER_LAYER]: (properties) => {
      const count = Number(properties.count) || 2;
      const base = featureStyle(current, {}, "point");
      return {
        ...base, fill: true, fillColor: current.type === "single" ? current.fillColor : "#64748b",
        fillOpacity: 0.75, color: "#ffffff", weight: 1.5,
        radius: Math.min(22, base.radius + 2.5 * Math.log2(count)),
        className: featureClassName(meta.slug, "cluster"),
      };
    },
  });
  const layer = await vectorTileLayer(url, {
    styles: styles(),
    pane,
    bounds: meta.bbox,
    minZoom: meta.min_zoom,
    maxZoom: meta.max_zoom,
    onClick: popups ? (properties, e) => (isCluster(e)
      ? clusterPopup(meta, Number(properties.count))
      : featurePopup(meta, properties)) : null,
  });
  layer.restyle = (next) => {
    current = next;
    layer.options.vectorTileLayerStyles = styles();
    layer.redraw();
  };
  layer.isTiles = true;
  return layer;
}

function isCluster(e) {
  const options = (e && e.layer && e.layer.options) || {};
  return String(options.className || "").split(" ").includes("cluster");
}
