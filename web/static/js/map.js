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
export function fitToLayer(map, layer, { animate = false, maxZoom } = {}) {
  const bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], animate, maxZoom });
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
