// Colour classes of the heatmap and of the Gi* hotspots: pure functions, no DOM.

/** Sequential yellow-orange-red (ColorBrewer YlOrRd, 5 classes), light = few. */
export const COLOURS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"];
/** Cells with no value for the metric (no population figure for per 1,000 residents). */
export const NO_DATA = "#cbd5e1";

/** Gi* classes, diverging red (hot) / blue (cold) by confidence (ColorBrewer RdBu). */
export const HOTSPOT_CLASSES = [
  { key: "hot_99", kind: "hot", confidence: 99, colour: "#b2182b" },
  { key: "hot_95", kind: "hot", confidence: 95, colour: "#ef8a62" },
  { key: "hot_90", kind: "hot", confidence: 90, colour: "#fddbc7" },
  { key: "cold_90", kind: "cold", confidence: 90, colour: "#d1e5f0" },
  { key: "cold_95", kind: "cold", confidence: 95, colour: "#67a9cf" },
  { key: "cold_99", kind: "cold", confidence: 99, colour: "#2166ac" },
];

/** Round to two significant digits so legend numbers read well (1234 -> 1200, 0.0456 -> 0.046). */
export function nice(value) {
  if (!Number.isFinite(value) || value === 0) return value;
  const digits = Math.max(0, 1 - Math.floor(Math.log10(Math.abs(value))));
  const factor = 10 ** Math.min(digits, 6);
  return Math.round(value * factor) / factor;
}

/**
 * Upper bounds of up to `n` classes from the quantiles of `values` (finite numbers), rounded
 * and deduplicated; the last bound is the maximum itself so every value falls in a class.
 * Quantiles, not equal intervals: counts per hexagon are heavily skewed (a few town cells
 * hold most reports), and equal intervals would paint nearly everything the lightest colour.
 */
export function classBreaks(values, n = COLOURS.length) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!sorted.length) return [];
  const max = sorted[sorted.length - 1];
  const bounds = [];
  for (let i = 1; i < n; i += 1) {
    const q = nice(sorted[Math.min(sorted.length - 1, Math.floor((i / n) * sorted.length))]);
    if (q < max && (!bounds.length || q > bounds[bounds.length - 1])) bounds.push(q);
  }
  bounds.push(max);
  return bounds;
}

/** The class index (0-based) of a value given upper bounds; -1 for no value. */
export function classOf(value, breaks) {
  if (value === null || value === undefined || !Number.isFinite(value) || !breaks.length) return -1;
  const i = breaks.findIndex((b) => value <= b);
  return i === -1 ? breaks.length - 1 : i;
}

/** The colour of class i among `count` classes: spread over the palette, dark = many. */
export function colourOf(i, count) {
  if (i < 0) return NO_DATA;
  if (count <= 1) return COLOURS[COLOURS.length - 1];
  return COLOURS[Math.round((i * (COLOURS.length - 1)) / (count - 1))];
}

export function hotspotClass(properties) {
  return HOTSPOT_CLASSES.find((c) => c.kind === properties.class && c.confidence === properties.confidence) || null;
}
