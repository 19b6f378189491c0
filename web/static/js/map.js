// The Leaflet map and every coordinate conversion of the page.
//
// GeoJSON and the API speak [lon, lat]; Leaflet speaks [lat, lng]. This module is the
// only place that turns one into the other, so no other module builds a LatLng.

import * as L from "leaflet";

import { t } from "./i18n.js";

/** Centroid of Đắk Mil district, used until the district layer gives real bounds. */
export const DAK_MIL = Object.freeze({ lon: 107.67, lat: 12.517 });
const START_ZOOM = 11;

export function lonLatToLatLng(lon, lat) {
  return L.latLng(lat, lon);
}

export function latLngToLonLat(latlng) {
  return { lon: latlng.lng, lat: latlng.lat };
}

/** The map with no base layer: our own vector layers draw on the page background. */
export function createMap(container) {
  const map = L.map(container, {
    center: lonLatToLatLng(DAK_MIL.lon, DAK_MIL.lat),
    zoom: START_ZOOM,
    minZoom: 7,
    maxZoom: 19,
    zoomSnap: 0.25,
    zoomDelta: 0.5,
    wheelPxPerZoomLevel: 90,
    preferCanvas: false, // SVG paths carry class names that tests and CSS rely on
    attributionControl: true, // Leaflet's own prefix; data sources are listed (as text) in the layer switcher
  });
  L.control.scale({ metric: true, imperial: false, position: "bottomleft" }).addTo(map);
  new CoordinatesControl({ position: "bottomright" }).addTo(map);
  return map;
}

/** Fit the view to a layer (anything with getBounds) when it has a non-empty extent. */
export function fitToLayer(map, layer, { animate = false, maxZoom, padding = 24 } = {}) {
  const bounds = layer.getBounds();
  if (!bounds.isValid()) return false;
  map.fitBounds(bounds, { ...fitPadding(padding), animate, maxZoom });
  return true;
}

/** Leaflet's fitBounds padding from a number or {topLeft: [x, y], bottomRight: [x, y]} in px. */
function fitPadding(padding) {
  if (typeof padding === "number") return { padding: [padding, padding] };
  return { paddingTopLeft: padding.topLeft || [0, 0], paddingBottomRight: padding.bottomRight || [0, 0] };
}

/**
 * A Leaflet layer for a GeoJSON FeatureCollection (coordinates lon,lat as RFC 7946).
 * `style(feature)` gives Leaflet path options; `onEachFeature(feature, layer)` wires events.
 */
export function geoJsonLayer(collection, { style, onEachFeature } = {}) {
  return L.geoJSON(collection, { style, onEachFeature });
}

export function layerGroup() {
  return L.layerGroup();
}

/**
 * A permanent, non-interactive text label for a feature: at its label point
 * (properties label_lon/label_lat, a point on the surface computed by PostGIS) or, when
 * absent, at the centre of its drawn shape. The text goes in with textContent.
 */
export function featureLabel(feature, pathLayer, text, { className = "", color, priority = 0 } = {}) {
  const p = feature.properties || {};
  const at = Number.isFinite(p.label_lon) && Number.isFinite(p.label_lat)
    ? lonLatToLatLng(p.label_lon, p.label_lat)
    : pathLayer.getBounds().getCenter();
  const el = document.createElement("span");
  el.className = "map-label-text";
  el.textContent = text;
  if (p.code != null) el.dataset.code = String(p.code);
  el.dataset.priority = String(priority);
  if (color) el.style.setProperty("--label-color", color);
  return L.marker(at, {
    icon: L.divIcon({ className: `map-label ${className}`.trim(), html: el, iconSize: null }),
    interactive: false,
    keyboard: false,
  });
}

/**
 * Hide labels that would overlap one already shown (greedy, in priority order: layers
 * drawn later first, then document order). Cheap: a few dozen rectangles per view change.
 */
export function declutterLabels(map) {
  const spans = [...map.getContainer().querySelectorAll(".map-label-text")];
  spans.sort((a, b) => Number(b.dataset.priority || 0) - Number(a.dataset.priority || 0));
  const kept = [];
  for (const span of spans) {
    span.classList.remove("is-hidden");
    const r = span.getBoundingClientRect();
    const clash = kept.some((k) => r.left < k.right + 2 && r.right + 2 > k.left
      && r.top < k.bottom + 1 && r.bottom + 1 > k.top);
    if (clash) span.classList.add("is-hidden");
    else kept.push(r);
  }
}

/** The optional OpenStreetMap base layer (off by default, needs Internet). */
export function osmBaseLayer() {
  return L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution: "© OpenStreetMap contributors",
    crossOrigin: true,
  });
}

/** Where a pointer event or a feature centre is, as lon/lat, for display. */
function formatLonLat(latlng) {
  const { lon, lat } = latLngToLonLat(latlng);
  return t("map.coords", { lat: lat.toFixed(5), lon: lon.toFixed(5) });
}

const CoordinatesControl = L.Control.extend({
  onAdd(map) {
    const div = L.DomUtil.create("div", "leaflet-control coords-control");
    div.id = "map-coords";
    div.setAttribute("aria-hidden", "true");
    map.on("mousemove", (e) => {
      div.textContent = formatLonLat(e.latlng);
    });
    map.on("mouseout", () => {
      div.textContent = "";
    });
    return div;
  },
});

// ---- catalogue layers drawn with a layer style (styles.js) ----------------------------

const SVG_NS = "http://www.w3.org/2000/svg";
// Symbols drawn in a 20 x 20 box, scaled to the point radius.
const SHAPE_PATHS = {
  square: "M3 3H17V17H3Z",
  triangle: "M10 2L18.5 17H1.5Z",
  diamond: "M10 1L19 10L10 19L1 10Z",
};

/** An SVG point symbol (square, triangle, diamond) built from DOM nodes, as a Leaflet icon. */
function symbolIcon(options, className) {
  const size = Math.round(options.radius * 2 + options.weight * 2);
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 20 20");
  svg.setAttribute("width", String(size));
  svg.setAttribute("height", String(size));
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", SHAPE_PATHS[options.shape]);
  path.setAttribute("class", className || "");
  path.setAttribute("fill", options.fillColor);
  path.setAttribute("fill-opacity", String(options.fillOpacity));
  path.setAttribute("stroke", options.color);
  path.setAttribute("stroke-opacity", String(options.opacity ?? 1));
  path.setAttribute("stroke-width", String((options.weight * 20) / size));
  path.setAttribute("vector-effect", "non-scaling-stroke");
  svg.append(path);
  return L.divIcon({ html: svg, className: "symbol-marker", iconSize: [size, size] });
}

/**
 * A GeoJSON layer drawn with per-feature path options (`style(feature)` returns the
 * output of styles.featureStyle plus a className). Points become circle markers, or
 * SVG symbols for the other shapes; `onFeature(feature, layer)` wires events.
 */
export function styledGeoJsonLayer(collection, { style, onFeature } = {}) {
  return L.geoJSON(collection, {
    style: (feature) => style(feature),
    pointToLayer: (feature, at) => {
      const options = style(feature);
      if (options.shape && options.shape !== "circle" && SHAPE_PATHS[options.shape]) {
        return L.marker(at, { icon: symbolIcon(options, options.className), keyboard: false });
      }
      return L.circleMarker(at, options);
    },
    onEachFeature: onFeature,
  });
}

/** Apply new path options to one drawn feature (a path, circle marker or symbol marker). */
export function restyleFeature(layer, options) {
  if (layer.setStyle) {
    layer.setStyle(options);
    if (layer.setRadius && Number.isFinite(options.radius)) layer.setRadius(options.radius);
  } else if (layer.setIcon && SHAPE_PATHS[options.shape]) {
    layer.setIcon(symbolIcon(options, options.className));
  }
}

/** Open a popup with `content` (a DOM node) where the pointer clicked a layer. */
export function onFeatureClick(layer, map, content) {
  layer.on("click", (e) => {
    const node = content(e);
    if (node) L.popup({ maxWidth: 340, minWidth: 200, className: "feature-popup" })
      .setLatLng(e.latlng).setContent(node).openOn(map);
  });
}

/** Fit the view to a [minx, miny, maxx, maxy] lon/lat box. */
export function fitToBbox(map, bbox, { maxZoom = 16, animate = false, padding = 32 } = {}) {
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every(Number.isFinite)) return false;
  const [minx, miny, maxx, maxy] = bbox;
  map.fitBounds(L.latLngBounds(lonLatToLatLng(minx, miny), lonLatToLatLng(maxx, maxy)),
    { ...fitPadding(padding), maxZoom, animate });
  return true;
}

/** A map pane at `zIndex` (created once): vector tiles sit above the GeoJSON overlay pane. */
export function ensurePane(map, name, zIndex) {
  if (!map.getPane(name)) map.createPane(name).style.zIndex = String(zIndex);
  return name;
}

let vectorGrid = null;

/**
 * Leaflet.VectorGrid (npm leaflet.vectorgrid, served under /vendor), loaded on first use.
 * It is a UMD bundle that extends a global `L`: it gets a mutable copy of the Leaflet
 * module namespace (the classes are shared, so its layers are ordinary Leaflet layers).
 */
export function loadVectorGrid() {
  if (!vectorGrid) {
    vectorGrid = new Promise((resolve, reject) => {
      if (!window.L) window.L = { ...L };
      const script = document.createElement("script");
      script.src = "/vendor/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js";
      script.onload = () => (window.L.vectorGrid ? resolve(window.L) : reject(new Error("VectorGrid")));
      script.onerror = () => {
        vectorGrid = null;
        reject(new Error("VectorGrid"));
      };
      document.head.append(script);
    });
  }
  return vectorGrid;
}

/**
 * A layer drawn from our Mapbox Vector Tiles. `styles` maps MVT layer names to
 * (properties, zoom, dimension) → path options; `onClick(properties, event)` returns the
 * popup content (a DOM node) or null. Tiles are SVG so paths carry their class names.
 */
export async function vectorTileLayer(url, { styles, onClick, minZoom, maxZoom, bounds, pane } = {}) {
  const LV = await loadVectorGrid();
  const options = {
    rendererFactory: LV.svg.tile,
    vectorTileLayerStyles: styles,
    interactive: Boolean(onClick),
    maxNativeZoom: 22,
    fetchOptions: { credentials: "same-origin" },
  };
  if (pane) options.pane = pane;
  if (Number.isFinite(minZoom)) options.minZoom = minZoom;
  if (Number.isFinite(maxZoom)) options.maxZoom = maxZoom;
  if (Array.isArray(bounds) && bounds.length === 4) {
    options.bounds = L.latLngBounds(lonLatToLatLng(bounds[0], bounds[1]), lonLatToLatLng(bounds[2], bounds[3]));
  }
  const layer = LV.vectorGrid.protobuf(url, options);
  // Leaflet >= 1.8 takes the position of a click on a small circle marker from its
  // getLatLng(); VectorGrid's point symbolizers are drawn in tile pixels and have no
  // LatLng, so the click would throw. Without getLatLng the pointer position is used.
  const createSymbol = layer._createLayer;
  layer._createLayer = function createLayer(...args) {
    const symbol = createSymbol.apply(this, args);
    if (symbol && symbol.getLatLng) symbol.getLatLng = null;
    return symbol;
  };
  // Leaflet 1.9.4's GridLayer.redraw() takes the tile zoom from map.getZoom() without
  // rounding it, so with fractional zoom (zoomSnap 0.25) it asks for tiles like /11.5/x/y.
  layer.redraw = function redraw() {
    if (this._map) {
      this._removeAllTiles();
      const tileZoom = this._clampZoom(Math.round(this._map.getZoom()));
      if (tileZoom !== this._tileZoom) {
        this._tileZoom = tileZoom;
        this._updateLevels();
      }
      this._update();
    }
    return this;
  };
  if (onClick) {
    layer.on("click", (e) => {
      const node = onClick((e.layer && e.layer.properties) || {}, e);
      if (node) L.popup({ maxWidth: 340, minWidth: 200, className: "feature-popup" })
        .setLatLng(e.latlng).setContent(node).openOn(layer._map);
    });
  }
  return layer;
}

// ---- citizen feedback: a draggable pin, DOM-drawn markers, clustered points -------------

/**
 * A draggable marker drawn by `node` (a DOM element whose tip sits at `anchor` px from its
 * top left). `onMove({lon, lat})` runs after each drag. Returns a small handle, so callers
 * never touch Leaflet coordinates.
 */
export function draggablePin(map, lon, lat, { node, size = [36, 48], anchor = [18, 46], title = "", onMove = () => {} } = {}) {
  const marker = L.marker(lonLatToLatLng(lon, lat), {
    icon: L.divIcon({ html: node, className: "pin-marker", iconSize: size, iconAnchor: anchor }),
    draggable: true, autoPan: true, title, alt: title, zIndexOffset: 1000,
  }).addTo(map);
  marker.on("dragend", () => onMove(latLngToLonLat(marker.getLatLng())));
  return {
    moveTo: (x, y) => marker.setLatLng(lonLatToLatLng(x, y)),
    position: () => latLngToLonLat(marker.getLatLng()),
    element: () => marker.getElement(),
    remove: () => marker.remove(),
  };
}

/** Call `fn({lon, lat})` where the map itself (not a marker) is clicked or tapped. */
export function onMapTap(map, fn) {
  map.on("click", (e) => fn(latLngToLonLat(e.latlng)));
}

/** Centre the map on a point, at `zoom` or the current zoom. */
export function centreOn(map, lon, lat, zoom, { animate = true } = {}) {
  map.setView(lonLatToLatLng(lon, lat), zoom ?? map.getZoom(), { animate });
}

/** The current view as [minLon, minLat, maxLon, maxLat] (for `bbox=` query parameters). */
export function viewBbox(map) {
  const b = map.getBounds();
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
    clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)];
}

/** A translucent circle of `metres` around a point (GPS accuracy), added to the map. */
export function accuracyCircle(map, lon, lat, metres) {
  return L.circle(lonLatToLatLng(lon, lat), {
    radius: metres, className: "accuracy-circle", interactive: false, weight: 1,
  }).addTo(map);
}

/** A fixed marker drawn by a DOM node (not draggable), added to the map. */
export function nodeMarker(map, lon, lat, node, { size = [28, 28], anchor, title = "", className = "node-marker" } = {}) {
  return L.marker(lonLatToLatLng(lon, lat), {
    icon: L.divIcon({ html: node, className, iconSize: size, iconAnchor: anchor }),
    title, alt: title, keyboard: false, interactive: false,
  }).addTo(map);
}

/** Open a popup with the DOM `node` at a point. */
export function popupAt(map, lon, lat, node, { className = "feature-popup" } = {}) {
  const popup = L.popup({ maxWidth: 300, minWidth: 220, className, autoPanPaddingTopLeft: [12, 56], autoPanPaddingBottomRight: [12, 12] })
    .setLatLng(lonLatToLatLng(lon, lat)).setContent(node).openOn(map);
  // content filled in later (a fetched record) grows the popup: re-place and re-pan it
  const resized = new ResizeObserver(() => {
    if (popup.isOpen()) popup.update();
  });
  resized.observe(node);
  popup.on("remove", () => resized.disconnect());
  return popup;
}

let markerCluster = null;

/** Leaflet.markercluster (npm, under /vendor), loaded on first use like VectorGrid above. */
export function loadMarkerCluster() {
  if (!markerCluster) {
    markerCluster = new Promise((resolve, reject) => {
      if (!window.L) window.L = { ...L };
      const script = document.createElement("script");
      script.src = "/vendor/leaflet.markercluster/dist/leaflet.markercluster.js";
      script.onload = () => (window.L.markerClusterGroup ? resolve(window.L) : reject(new Error("markercluster")));
      script.onerror = () => {
        markerCluster = null;
        reject(new Error("markercluster"));
      };
      document.head.append(script);
    });
  }
  return markerCluster;
}

/**
 * Clustered point markers for GeoJSON FeatureCollections of points. `marker(properties)`
 * returns the DOM node of one point, `cluster(count, children)` that of a cluster
 * (`children()` lists the properties of its points), `onClick(properties, {lon, lat})` the
 * popup content or null. Returns {setData(collection), show(on), count()}.
 */
export async function clusterLayer(map, { marker, cluster, onClick, title = () => "", size = [22, 22], radius = 56 } = {}) {
  const LM = await loadMarkerCluster();
  const group = LM.markerClusterGroup({
    maxClusterRadius: radius,
    showCoverageOnHover: false,
    spiderfyOnMaxZoom: true,
    chunkedLoading: true,
    iconCreateFunction: (c) => {
      const count = c.getChildCount();
      const edge = count < 10 ? 34 : count < 100 ? 40 : count < 1000 ? 46 : 52;
      return L.divIcon({
        html: cluster(count, () => c.getAllChildMarkers().map((m) => m.options.properties)),
        className: "cluster-marker", iconSize: [edge, edge],
      });
    },
  }).addTo(map);
  let shown = 0;
  return {
    setData(collection) {
      const markers = [];
      for (const f of (collection && collection.features) || []) {
        if (!f.geometry || f.geometry.type !== "Point") continue;
        const [lon, lat] = f.geometry.coordinates;
        const m = L.marker(lonLatToLatLng(lon, lat), {
          icon: L.divIcon({ html: marker(f.properties), className: "point-marker", iconSize: size }),
          properties: f.properties, title: title(f.properties), alt: title(f.properties),
        });
        if (onClick) {
          m.on("click", () => {
            const node = onClick(f.properties, { lon, lat });
            if (node) popupAt(map, lon, lat, node);
          });
        }
        markers.push(m);
      }
      group.clearLayers();
      group.addLayers(markers);
      shown = markers.length;
    },
    show(on) {
      if (on && !map.hasLayer(group)) group.addTo(map);
      if (!on && map.hasLayer(group)) group.remove();
    },
    count: () => shown,
  };
}
