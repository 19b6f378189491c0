// Layer styles: the one renderer shared by the main map and the planner's preview.
//
// A layer's `style` (the catalogue's JSONB, saved by the planner with PATCH) is a JSON
// object. The server only checks that it is an object of at most 20 kB, so everything
// here is read defensively: a missing or malformed member falls back to a default and
// never breaks the drawing.
//
//   {
//     "type": "single" | "categorised" | "graduated",   // absent: "single"
//     "color": "#1d4ed8",        // stroke: lines, polygon outlines, point outlines
//     "weight": 2,               // stroke width in px (0–20)
//     "opacity": 1,              // stroke opacity (0–1)
//     "dashArray": "6 4",        // optional dashed stroke
//     "fill": false,             // optional: outline only (polygons)
//     "fillColor": "#3b82f6",    // fill of polygons and points ("single")
//     "fillOpacity": 0.5,        // 0–1
//     "radius": 6,               // point size in px (2–30)
//     "shape": "circle",         // point symbol: circle | square | triangle | diamond
//     "field": "loai",           // attribute read by "categorised" and "graduated"
//     "categories": [{"value": "Chợ", "color": "#e11d48", "label": "Chợ"}],
//     "classes": [{"min": 0, "max": 250, "color": "#dbeafe", "label": "0 – 250"}],
//     "method": "equal" | "quantile", "ramp": "blues", "palette": "bold",  // how they were made
//     "default": {"color": "#94a3b8", "label": "Khác"}  // features matching no category/class
//   }
//
// The class colour (category or graduated class) is the FILL of polygons and points and
// the STROKE of lines. Classes are min ≤ v < max, the last one min ≤ v ≤ max.
// The default layers store plain Leaflet path options ({color, weight, fillColor,
// fillOpacity, dashArray}); with no "type" they are a "single" style, kept as they are.
//
// Pure functions only: no DOM, no Leaflet.

export const STYLE_TYPES = ["single", "categorised", "graduated"];
export const SHAPES = ["circle", "square", "triangle", "diamond"];
export const METHODS = ["equal", "quantile"];
export const MAX_CATEGORIES = 30;
export const MAX_CLASSES = 9;

/** Qualitative palettes for categories (colour-blind-aware first). */
export const PALETTES = {
  bold: ["#2563eb", "#dc2626", "#16a34a", "#f59e0b", "#9333ea", "#0891b2", "#db2777",
    "#65a30d", "#ea580c", "#4f46e5", "#0d9488", "#b45309"],
  tableau: ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
    "#ff9da7", "#9c755f", "#bab0ac"],
  pastel: ["#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69", "#fccde5",
    "#ffffb3", "#bc80bd", "#ccebc5"],
};

/** Sequential ramps for graduated styles (light → dark). */
export const RAMPS = {
  blues: ["#eff6ff", "#93c5fd", "#2563eb", "#1e3a8a"],
  greens: ["#f0fdf4", "#86efac", "#16a34a", "#14532d"],
  reds: ["#fef2f2", "#fca5a5", "#dc2626", "#7f1d1d"],
  oranges: ["#fff7ed", "#fdba74", "#ea580c", "#7c2d12"],
  purples: ["#faf5ff", "#d8b4fe", "#9333ea", "#581c87"],
  heat: ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c", "#800026"],
  viridis: ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"],
};

/** What a layer with no style yet looks like, by geometry kind. */
const DEFAULTS = Object.freeze({
  point: { color: "#ffffff", weight: 1.5, opacity: 1, fillColor: "#2563eb", fillOpacity: 0.9, radius: 7 },
  line: { color: "#2563eb", weight: 3, opacity: 0.9, fillColor: "#2563eb", fillOpacity: 0.3, radius: 6 },
  polygon: { color: "#1d4ed8", weight: 1.5, opacity: 1, fillColor: "#3b82f6", fillOpacity: 0.45, radius: 6 },
});
const OTHER_COLOR = "#94a3b8";
const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** "Point" | "MultiLineString" | … → "point" | "line" | "polygon" (unknown: "polygon"). */
export function geometryKind(geometryType) {
  const g = String(geometryType || "").toLowerCase();
  if (g.includes("point")) return "point";
  if (g.includes("line")) return "line";
  return "polygon";
}

export function isColor(value) {
  return typeof value === "string" && HEX.test(value);
}

/** A valid colour as "#rrggbb" (what <input type="color"> accepts), else the fallback. */
function color(value, fallback) {
  if (!isColor(value)) return fallback;
  const hex = value.toLowerCase();
  return hex.length === 4 ? `#${hex.slice(1).split("").map((c) => c + c).join("")}` : hex;
}

function num(value, fallback, lo, hi) {
  const n = typeof value === "number" ? value : Number.parseFloat(value);
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : fallback;
}

/**
 * A complete, valid style object from whatever is stored (null, {}, legacy Leaflet
 * options, or our own format) for a layer of geometry `kind` (point | line | polygon).
 * The editor starts from this; so does the renderer.
 */
export function normaliseStyle(raw, kind = "polygon") {
  const s = raw && typeof raw === "object" && !Array.isArray(raw) ? raw : {};
  const type = STYLE_TYPES.includes(s.type) ? s.type : "single";
  const base = DEFAULTS[kind] || DEFAULTS.polygon;
  const legacy = isLegacyStyle(s);
  const stroke = color(s.color, base.color);
  const out = {
    type,
    color: stroke,
    weight: num(s.weight, base.weight, 0, 20),
    opacity: num(s.opacity, base.opacity, 0, 1),
    // Leaflet fills with the stroke colour and opacity 0.2 when the options say nothing
    fillColor: color(s.fillColor, legacy ? stroke : base.fillColor),
    fillOpacity: num(s.fillOpacity, legacy ? 0.2 : base.fillOpacity, 0, 1),
    radius: num(s.radius, base.radius, 2, 30),
    shape: SHAPES.includes(s.shape) ? s.shape : "circle",
  };
  if (typeof s.dashArray === "string" && /^[\d.\s,]{1,40}$/.test(s.dashArray)) out.dashArray = s.dashArray;
  if (s.fill === false) out.fill = false;
  if (type !== "single") {
    out.field = typeof s.field === "string" ? s.field : "";
    const other = s.default && typeof s.default === "object" ? s.default : {};
    out.default = { color: color(other.color, OTHER_COLOR) };
    if (typeof other.label === "string") out.default.label = other.label;
  }
  if (type === "categorised") {
    out.palette = PALETTES[s.palette] ? s.palette : "bold";
    out.categories = (Array.isArray(s.categories) ? s.categories : [])
      .filter((c) => c && typeof c === "object" && "value" in c)
      .slice(0, 200)
      .map((c, i) => ({
        value: c.value === null ? null : String(c.value),
        color: color(c.color, paletteColor(out.palette, i)),
        label: typeof c.label === "string" ? c.label : displayValue(c.value),
      }));
  }
  if (type === "graduated") {
    out.method = METHODS.includes(s.method) ? s.method : "equal";
    out.ramp = RAMPS[s.ramp] ? s.ramp : "blues";
    out.classes = (Array.isArray(s.classes) ? s.classes : [])
      .filter((c) => c && Number.isFinite(Number(c.min)) && Number.isFinite(Number(c.max)))
      .slice(0, 50)
      .map((c, i, all) => ({
        min: Number(c.min),
        max: Number(c.max),
        color: color(c.color, rampColors(out.ramp, all.length)[i]),
        label: typeof c.label === "string" ? c.label : `${formatBreak(Number(c.min))} – ${formatBreak(Number(c.max))}`,
      }));
  }
  return out;
}

/** Whether a stored style is the legacy form (plain Leaflet options, no "type"). */
export function isLegacyStyle(raw) {
  return Boolean(raw && typeof raw === "object" && !("type" in raw) && Object.keys(raw).length);
}

/** The colour a feature's class gives it (null: the style has no classes). */
export function classColor(style, properties) {
  if (style.type === "single") return null;
  const value = properties ? properties[style.field] : undefined;
  if (style.type === "categorised") {
    const key = value === null || value === undefined ? null : String(value);
    const hit = style.categories.find((c) => c.value === key);
    return hit ? hit.color : style.default.color;
  }
  const v = typeof value === "number" ? value : Number.parseFloat(value);
  if (value === null || value === "" || !Number.isFinite(v)) return style.default.color;
  const classes = style.classes;
  for (let i = 0; i < classes.length; i += 1) {
    const c = classes[i];
    const last = i === classes.length - 1;
    if (v >= c.min && (v < c.max || (last && v <= c.max))) return c.color;
  }
  return style.default.color;
}

/**
 * Leaflet path options for one feature: `style` from normaliseStyle(), `kind` from
 * geometryKind(). Points also get `radius` and `shape`.
 */
export function featureStyle(style, properties, kind) {
  const hit = classColor(style, properties);
  const out = {
    color: style.color,
    weight: style.weight,
    opacity: style.opacity,
    fillColor: style.fillColor,
    fillOpacity: style.fillOpacity,
    dashArray: style.dashArray || null,
  };
  if (style.fill === false) out.fill = false;
  if (kind === "line") {
    out.fill = false;
    if (hit) out.color = hit;
  } else if (hit) {
    out.fillColor = hit;
  }
  if (kind === "point") {
    out.radius = style.radius;
    out.shape = style.shape;
    out.fill = true;
  }
  return out;
}

/** Legend rows: [{label, color, other?}] (a "single" style has one row, label null). */
export function legendEntries(style) {
  if (style.type === "single") return [{ label: null, color: style.fill === false ? style.color : style.fillColor }];
  const rows = style.type === "categorised"
    ? style.categories.map((c) => ({ label: c.label, color: c.color }))
    : style.classes.map((c) => ({ label: c.label, color: c.color }));
  rows.push({ label: style.default.label || null, color: style.default.color, other: true });
  return rows;
}

// ---- building classes from data --------------------------------------------------

export function paletteColor(palette, i) {
  const colors = PALETTES[palette] || PALETTES.bold;
  return colors[i % colors.length];
}

/** The values of one attribute over a list of GeoJSON features. */
export function fieldValues(features, field) {
  return (features || []).map((f) => (f && f.properties ? f.properties[field] : undefined));
}

/**
 * Categories for the distinct values (most frequent first, at most MAX_CATEGORIES; the
 * rest fall to the default colour), coloured from a palette.
 */
export function categoriesFrom(values, palette = "bold") {
  const counts = new Map();
  for (const v of values) {
    if (v === undefined) continue;
    const key = v === null ? null : String(v);
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  const keys = [...counts.keys()].sort((a, b) => counts.get(b) - counts.get(a)
    || String(a ?? "").localeCompare(String(b ?? ""), "vi"));
  return keys.slice(0, MAX_CATEGORIES).map((value, i) => ({
    value, color: paletteColor(palette, i), label: displayValue(value),
  }));
}

function numbers(values) {
  return values
    .map((v) => (typeof v === "number" ? v : (typeof v === "string" && v.trim() ? Number(v) : NaN)))
    .filter(Number.isFinite);
}

/** n class breaks (n + 1 numbers) of equal width over [min, max]. */
export function equalBreaks(values, n) {
  const xs = numbers(values);
  if (!xs.length) return [];
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  if (lo === hi) return [lo, hi];
  return Array.from({ length: n + 1 }, (_, i) => (i === n ? hi : lo + ((hi - lo) * i) / n));
}

/** Quantile breaks: each class holds about the same number of values; duplicates merged. */
export function quantileBreaks(values, n) {
  const xs = numbers(values).sort((a, b) => a - b);
  if (!xs.length) return [];
  const breaks = [xs[0]];
  for (let i = 1; i < n; i += 1) {
    const q = xs[Math.min(xs.length - 1, Math.floor((i * xs.length) / n))];
    if (q > breaks[breaks.length - 1]) breaks.push(q);
  }
  const top = xs[xs.length - 1];
  if (top > breaks[breaks.length - 1] || breaks.length === 1) breaks.push(top);
  return breaks;
}

/** Graduated classes over the values: method "equal" | "quantile", n classes, a ramp. */
export function classesFrom(values, { n = 5, method = "equal", ramp = "blues" } = {}) {
  const count = Math.max(2, Math.min(MAX_CLASSES, Math.round(n) || 5));
  const breaks = method === "quantile" ? quantileBreaks(values, count) : equalBreaks(values, count);
  if (breaks.length < 2) return [];
  const colors = rampColors(ramp, breaks.length - 1);
  return breaks.slice(0, -1).map((min, i) => {
    const lo = roundBreak(min);
    const hi = roundBreak(breaks[i + 1]);
    return { min: lo, max: hi, color: colors[i], label: `${formatBreak(lo)} – ${formatBreak(hi)}` };
  });
}

/** n colours spread evenly along a ramp (interpolated in RGB). */
export function rampColors(ramp, n) {
  const stops = RAMPS[ramp] || RAMPS.blues;
  if (n <= 0) return [];
  if (n === 1) return [stops[stops.length - 1]];
  return Array.from({ length: n }, (_, i) => {
    const at = (i / (n - 1)) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(at));
    return mix(stops[k], stops[k + 1], at - k);
  });
}

function rgb(hex) {
  const h = hex.length === 4 ? hex.slice(1).split("").map((c) => c + c).join("") : hex.slice(1);
  return [0, 2, 4].map((i) => Number.parseInt(h.slice(i, i + 2), 16));
}

function mix(a, b, t) {
  const [x, y] = [rgb(a), rgb(b)];
  return `#${x.map((v, i) => Math.round(v + (y[i] - v) * t).toString(16).padStart(2, "0")).join("")}`;
}

/** "#rrggbb" → "rgb(r, g, b)", the form getComputedStyle reports (tests, swatches). */
export function hexToRgb(hex) {
  const [r, g, b] = rgb(hex);
  return `rgb(${r}, ${g}, ${b})`;
}

/** Round a break to 3 significant digits past the integer part, so labels stay short. */
function roundBreak(v) {
  if (Number.isInteger(v)) return v;
  const mag = Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 1 ? 100 : 10000;
  return Math.round(v * mag) / mag;
}

function formatBreak(v) {
  return Number.isFinite(v) ? String(v) : "?";
}

function displayValue(value) {
  return value === null || value === undefined || value === "" ? "∅" : String(value);
}
