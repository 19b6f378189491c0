// The H3 heatmap panel of the IOC page: hexagons of reports or incidents coloured by count,
// per km² or per 1,000 residents, filtered by category, status, agency and period, stepped
// week by week or month by month and played as an animation, with Getis-Ord Gi* hot and
// cold spots drawn as a separate layer with their own legend.
//
//   mountHeatmapPanel({ map, panel, t, api }) -> { refresh, destroy, state }
//
// map: the Leaflet map; panel: the <section> to fill; t: the page's i18n function; api: the
// api.js module (or its api() function). The hexagons are on the map only while the panel is
// shown (its `hidden` attribute, i.e. its tab, is watched) and "show the heatmap" is ticked. Every request is cancellable (AbortController):
// stepping fast aborts the frames nobody will see, and the next frame is fetched while the
// current one is shown, so playing swaps layers without a blank map in between.

import { el, fill, setOptions, swatch } from "./dom.js";
import { formatDate, formatNumber, onLangChange, pick } from "./i18n.js";
import { makeTr } from "./ioc-heatmap-i18n.js";
import {
  classBreaks, classOf, colourOf, HOTSPOT_CLASSES, hotspotClass, NO_DATA,
} from "./ioc-heatmap-legend.js";
import { addDays, defaultPeriod, frames, instant, isDay, STEPS } from "./ioc-heatmap-time.js";
import { ensurePane, geoJsonLayer, onFeatureClick } from "./map.js";

const RESOLUTIONS = [5, 6, 7, 8, 9, 10];
/** Mean hexagon area per resolution (km²), to say what a level means. */
const HEX_AREA = { 5: "252 km²", 6: "36 km²", 7: "5,2 km²", 8: "0,74 km²", 9: "0,11 km²", 10: "0,015 km²" };
const METRICS = ["count", "per_km2", "per_1000_residents"];
const REPORT_STATUSES = ["received", "assigned", "in_progress", "resolved", "closed", "rejected", "duplicate"];
/** From this resolution on only the viewport (padded) is asked for: the district has ~12,000 r9 cells. */
const BBOX_FROM_RES = 9;
const FRAME_MS = 1100;
const CACHE_SIZE = 40;
const CACHE_TTL_MS = 60_000;

/** The resolution for a map zoom; mirrors ZOOM_TO_RESOLUTION in api/routes/analytics.py. */
export function resolutionForZoom(zoom) {
  const z = Math.round(zoom);
  if (z <= 9) return 5;
  if (z <= 11) return 6;
  if (z === 12) return 7;
  if (z === 13) return 8;
  if (z <= 15) return 9;
  return 10;
}

/** Requests by URL: shared, reused for a minute, abortable unless still wanted. */
class Loader {
  constructor(call) {
    this.call = call;
    this.entries = new Map();
  }

  get(url) {
    let entry = this.entries.get(url);
    if (entry && entry.done && Date.now() - entry.at > CACHE_TTL_MS) entry = undefined;
    if (entry) {
      this.entries.delete(url); // most recently used last
      this.entries.set(url, entry);
      return entry.promise;
    }
    const controller = new AbortController();
    entry = { controller, done: false, at: Date.now() };
    entry.promise = this.call(url, { signal: controller.signal }).then(
      (data) => {
        entry.done = true;
        entry.at = Date.now();
        return data;
      },
      (err) => {
        if (this.entries.get(url) === entry) this.entries.delete(url);
        throw err;
      },
    );
    this.entries.set(url, entry);
    while (this.entries.size > CACHE_SIZE) {
      const [oldest, old] = this.entries.entries().next().value;
      if (!old.done) old.controller.abort();
      this.entries.delete(oldest);
    }
    return entry.promise;
  }

  /** Abort every request in flight that is not among `wanted`. */
  keepOnly(wanted) {
    for (const [url, entry] of this.entries) {
      if (!entry.done && !wanted.has(url)) {
        entry.controller.abort();
        this.entries.delete(url);
      }
    }
  }

  clear() {
    for (const entry of this.entries.values()) if (!entry.done) entry.controller.abort();
    this.entries.clear();
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isAbort(err) {
  return err && (err.name === "AbortError" || err.code === "aborted");
}

/** A number for legends and popups: integers as such, small rates with two or three digits. */
function fmt(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (Number.isInteger(value) || Math.abs(value) >= 100) return formatNumber(value, 0);
  return formatNumber(value, Math.abs(value) >= 1 ? 1 : Math.abs(value) >= 0.1 ? 2 : 3);
}

function percent(share) {
  return `${formatNumber(100 * share, share > 0 && share < 0.1 ? 1 : 0)} %`;
}

export function mountHeatmapPanel({ map, panel, t, api }) {
  const tr = makeTr(t);
  const call = typeof api === "function" ? api : api.api;
  const errorText = (api && api.errorText) || ((err) => String(err && err.message ? err.message : err));
  const loader = new Loader(call);
  const period = defaultPeriod();
  const state = {
    enabled: true,
    layer: "reports",
    resolution: "auto",
    metric: "count",
    category: "",
    status: "",
    agency: "",
    from: period.from,
    to: period.to,
    step: "month",
    frame: -1, // -1: the whole period
    hotspots: false,
    lockScale: false,
    playing: false,
  };
  const lists = { categories: [], incidentTypes: [], incidentStatuses: [], agencies: [] };
  let frameList = frames(state.from, state.to, state.step);
  let lockedBreaks = null;
  let fetchedBbox = null; // the padded bbox of the last request at a fine resolution
  let seq = 0;
  let heat = null; // { fc, layer, index: Map(h3 -> properties), breaks }
  let spots = null; // { fc, layer, index } or { error }
  let viewTimer = null;
  let playRun = 0;

  // Above the overlay pane (commune outlines, case areas) and below the pins (markerPane 600).
  // Each pane's <svg> lets clicks through where it has no hexagon (ioc-heatmap.css), else it
  // would hide every vector of the panes beneath it from the pointer.
  ensurePane(map, "heatmap", 410);
  ensurePane(map, "hotspots", 420);

  // ---- the panel ----------------------------------------------------------------------------

  const label = (key) => el("span", { dataset: { heatI18n: key } });
  const field = (id, key, control) => el("label", { className: "heat-field", for: id }, label(key), control);
  const select = (id) => el("select", { id, className: "heat-select" });
  const iconButton = (id, key, glyph) => {
    const b = el("button", { id, type: "button", className: "button heat-step-button" }, glyph);
    b.dataset.heatI18nTitle = key;
    return b;
  };

  const ui = {
    enabled: el("input", { id: "heat-enabled", type: "checkbox", checked: true }),
    layer: select("heat-layer"),
    resolution: select("heat-resolution"),
    metric: select("heat-metric"),
    category: select("heat-category"),
    status: select("heat-status"),
    agency: select("heat-agency"),
    from: el("input", { id: "heat-from", type: "date", className: "heat-date", value: state.from }),
    to: el("input", { id: "heat-to", type: "date", className: "heat-date", value: state.to }),
    step: select("heat-step"),
    prev: iconButton("heat-prev", "heat.prev", "◀"),
    play: el("button", { id: "heat-play", type: "button", className: "button button-primary heat-play" }),
    next: iconButton("heat-next", "heat.next", "▶"),
    whole: el("button", { id: "heat-whole", type: "button", className: "button heat-whole" }, label("heat.whole")),
    range: el("input", { id: "heat-frame-range", type: "range", min: "0", max: "0", step: "1", value: "0" }),
    frameLabel: el("p", { id: "heat-frame-label", className: "heat-frame-label" }),
    lock: el("input", { id: "heat-lock", type: "checkbox" }),
    hotspots: el("input", { id: "heat-hotspots", type: "checkbox" }),
    message: el("p", { id: "heat-message", className: "heat-message", role: "status", "aria-live": "polite" }),
    legend: el("div", { id: "heat-legend", className: "heat-legend" }),
    population: el("p", { id: "heat-population", className: "heat-population", hidden: true }),
    hotLegend: el("div", { id: "heat-hot-legend", className: "heat-hot-legend", hidden: true }),
  };
  ui.range.setAttribute("aria-labelledby", "heat-frame-label");

  fill(
    panel,
    el("h2", { className: "heat-title" }, label("heat.title")),
    el("label", { className: "heat-check heat-enable", for: "heat-enabled" }, ui.enabled, label("heat.enable")),
    el(
      "form",
      { className: "heat-form", novalidate: true },
      el("div", { className: "heat-grid" },
        field("heat-layer", "heat.layer", ui.layer),
        field("heat-metric", "heat.metric", ui.metric),
        field("heat-resolution", "heat.resolution", ui.resolution)),
      el("fieldset", { className: "heat-fieldset" },
        el("legend", {}, label("heat.filters")),
        el("div", { className: "heat-grid" },
          field("heat-category", "heat.category", ui.category),
          field("heat-status", "heat.status", ui.status),
          field("heat-agency", "heat.agency", ui.agency))),
      el("fieldset", { className: "heat-fieldset heat-time" },
        el("legend", {}, label("heat.period")),
        el("div", { className: "heat-grid" },
          field("heat-from", "heat.from", ui.from),
          field("heat-to", "heat.to", ui.to),
          field("heat-step", "heat.step", ui.step)),
        el("div", { className: "heat-player" }, ui.prev, ui.play, ui.next, ui.whole),
        ui.range,
        ui.frameLabel),
      el("div", { className: "heat-checks" },
        el("label", { className: "heat-check", for: "heat-lock" }, ui.lock, label("heat.lock_scale")),
        el("label", { className: "heat-check", for: "heat-hotspots" }, ui.hotspots, label("heat.hotspots"))),
    ),
    ui.message,
    ui.legend,
    ui.population,
    ui.hotLegend,
  );
  panel.classList.add("heat-panel");

  function currentResolution() {
    return state.resolution === "auto" ? resolutionForZoom(map.getZoom()) : Number(state.resolution);
  }

  function fillSelects() {
    setOptions(ui.layer, [["reports", tr("heat.layer.reports")], ["incidents", tr("heat.layer.incidents")]], state.layer);
    setOptions(ui.resolution, [
      ["auto", tr("heat.resolution.auto", { res: resolutionForZoom(map.getZoom()) })],
      ...RESOLUTIONS.map((r) => [String(r), tr("heat.resolution.fixed", { res: r, size: HEX_AREA[r] })]),
    ], String(state.resolution));
    setOptions(ui.metric, METRICS.map((m) => [m, tr(`heat.metric.${m}`)]), state.metric);
    const all = [["", tr("heat.all")]];
    const categories = state.layer === "reports"
      ? lists.categories.map((c) => [c.code, pick(c, "name")])
      : lists.incidentTypes.map((c) => [c.code, pick(c, "label")]);
    setOptions(ui.category, [...all, ...categories], state.category);
    const statuses = state.layer === "reports"
      ? REPORT_STATUSES.map((s) => [s, t(`status.${s}`)])
      : lists.incidentStatuses.map((s) => [s.code, pick(s, "label")]);
    setOptions(ui.status, [...all, ...statuses], state.status);
    setOptions(ui.agency, [...all, ...lists.agencies.map((a) => [a.code, pick(a, "name")])], state.agency);
    setOptions(ui.step, STEPS.map((s) => [s, tr(`heat.step.${s}`)]), state.step);
  }

  function relabel() {
    for (const node of panel.querySelectorAll("[data-heat-i18n]")) node.textContent = tr(node.dataset.heatI18n);
    for (const node of panel.querySelectorAll("[data-heat-i18n-title]")) {
      node.title = tr(node.dataset.heatI18nTitle);
      node.setAttribute("aria-label", node.title);
    }
    fillSelects();
    renderControls();
    renderLegend();
    renderHotLegend();
  }

  function renderControls() {
    const n = frameList.length;
    ui.range.max = String(Math.max(0, n - 1));
    ui.range.value = String(Math.max(0, state.frame));
    ui.range.disabled = !n;
    ui.prev.disabled = !n || state.frame === 0;
    ui.next.disabled = !n || state.frame === n - 1;
    ui.play.disabled = !n;
    ui.whole.setAttribute("aria-pressed", String(state.frame < 0));
    ui.play.textContent = state.playing ? `❚❚ ${tr("heat.pause")}` : `▶ ${tr("heat.play")}`;
    ui.play.setAttribute("aria-pressed", String(state.playing));
    const win = currentWindow();
    ui.frameLabel.textContent = !win
      ? tr("heat.bad_period")
      : state.frame < 0
        ? tr("heat.frame_whole", { from: formatDate(win.start), to: formatDate(addDays(win.end, -1)) })
        : tr("heat.frame", { i: state.frame + 1, n, from: formatDate(win.start), to: formatDate(addDays(win.end, -1)) });
    for (const key of ["category", "status", "agency"]) ui[key].disabled = !state.enabled;
    Object.assign(panel.dataset, {
      frame: state.frame < 0 ? "whole" : String(state.frame),
      frames: String(n),
      playing: state.playing ? "1" : "0",
      resolution: String(currentResolution()),
    });
    const opts = ui.resolution.options[0];
    if (opts) opts.textContent = tr("heat.resolution.auto", { res: resolutionForZoom(map.getZoom()) });
  }

  // ---- questions to the API -----------------------------------------------------------------

  function currentWindow(frame = state.frame) {
    if (!isDay(state.from) || !isDay(state.to) || state.from > state.to) return null;
    if (frame < 0) return { start: state.from, end: addDays(state.to, 1) };
    return frameList[frame] || null;
  }

  /** The viewport padded by half its size, snapped outwards to a 0.05° grid (cache-friendly). */
  function paddedBbox() {
    const b = map.getBounds();
    const dx = (b.getEast() - b.getWest()) / 2;
    const dy = (b.getNorth() - b.getSouth()) / 2;
    const snap = (v, up) => (up ? Math.ceil(v / 0.05) : Math.floor(v / 0.05)) * 0.05;
    return [
      Math.max(-180, snap(b.getWest() - dx, false)), Math.max(-90, snap(b.getSouth() - dy, false)),
      Math.min(180, snap(b.getEast() + dx, true)), Math.min(90, snap(b.getNorth() + dy, true)),
    ].map((v) => Number(v.toFixed(2)));
  }

  function url(kind, win, bbox) {
    const q = new URLSearchParams({
      layer: state.layer, resolution: String(currentResolution()), start: instant(win.start), end: instant(win.end),
    });
    if (state.category) q.set("category", state.category);
    if (state.status) q.set("status", state.status);
    if (state.agency) q.set("agency", state.agency);
    if (bbox) q.set("bbox", bbox.join(","));
    return `/api/v1/analytics/${kind}?${q}`;
  }

  function wanted(frame, bbox) {
    const win = currentWindow(frame);
    if (!win) return [];
    return [url("h3", win, bbox), ...(state.hotspots ? [url("hotspots", win, bbox)] : [])];
  }

  // ---- drawing ------------------------------------------------------------------------------

  function metricValue(p) {
    return state.metric === "count" ? p.count : p[state.metric];
  }

  function drawHeat(fc) {
    const values = fc.features.map((f) => metricValue(f.properties));
    let breaks = classBreaks(values);
    if (state.lockScale) {
      if (lockedBreaks) breaks = lockedBreaks;
      else lockedBreaks = breaks;
    }
    const dim = state.hotspots;
    const index = new Map(fc.features.map((f) => [f.properties.h3, f.properties]));
    const layer = geoJsonLayer(fc, {
      style: (f) => {
        const cls = classOf(metricValue(f.properties), breaks);
        return {
          pane: "heatmap", // a path option too: set before the layer is added, it picks the pane
          className: `heat-hex heat-class-${cls}`,
          fillColor: colourOf(cls, breaks.length),
          fillOpacity: dim ? 0.3 : 0.72,
          color: "#7c2d12",
          opacity: dim ? 0.25 : 0.45,
          weight: 0.6,
        };
      },
      onEachFeature: (f, lyr) => {
        lyr.on("add", () => {
          const node = lyr.getElement && lyr.getElement();
          if (node) {
            node.dataset.h3 = f.properties.h3;
            node.dataset.count = String(f.properties.count);
          }
        });
        onFeatureClick(lyr, map, () => popupFor(f.properties.h3));
      },
    });
    // Add the new layer before removing the old one: no blank frame between the two.
    if (active()) layer.addTo(map);
    if (heat) heat.layer.remove();
    heat = { fc, layer, index, breaks };
    Object.assign(panel.dataset, {
      cells: String(fc.features.length),
      total: String(fc.meta ? fc.meta.total : values.length),
      shownResolution: String(fc.meta ? fc.meta.resolution : currentResolution()),
    });
    renderLegend();
  }

  function drawSpots(result) {
    if (spots && spots.layer) spots.layer.remove();
    spots = null;
    if (!result) {
      panel.dataset.hotState = "off";
      renderHotLegend();
      return;
    }
    if (result.error) {
      spots = { error: result.error };
      panel.dataset.hotState = "error";
      renderHotLegend();
      return;
    }
    const significant = result.features.filter((f) => hotspotClass(f.properties));
    const layer = geoJsonLayer({ type: "FeatureCollection", features: significant }, {
      style: (f) => {
        const c = hotspotClass(f.properties);
        return {
          pane: "hotspots",
          className: `heat-spot heat-spot-${c.key}`,
          fillColor: c.colour,
          fillOpacity: 0.75,
          color: c.kind === "hot" ? "#67000d" : "#08306b",
          weight: c.confidence === 99 ? 2.5 : 1.5,
          dashArray: c.confidence === 90 ? "4 3" : null,
        };
      },
      onEachFeature: (f, lyr) => {
        lyr.on("add", () => {
          const node = lyr.getElement && lyr.getElement();
          if (node) node.dataset.h3 = f.properties.h3;
        });
        onFeatureClick(lyr, map, () => popupFor(f.properties.h3));
      },
    });
    if (active()) layer.addTo(map);
    spots = { fc: result, layer, index: new Map(result.features.map((f) => [f.properties.h3, f.properties])) };
    panel.dataset.hotState = "ready";
    renderHotLegend();
  }

  function renderLegend() {
    if (!heat) {
      fill(ui.legend);
      ui.population.hidden = true;
      return;
    }
    const { breaks, fc } = heat;
    const rows = breaks.map((b, i) => {
      const lo = i === 0 ? null : breaks[i - 1];
      const text = lo === null ? `≤ ${fmt(b)}` : `${fmt(lo)} – ${fmt(b)}`;
      return el("li", { className: `heat-legend-row heat-legend-class-${i}` }, swatch(colourOf(i, breaks.length)), text);
    });
    const pop = fc.meta && fc.meta.population;
    const missing = pop ? pop.cells_without_population : 0;
    if (state.metric === "per_1000_residents" && missing > 0 && fc.features.length) {
      rows.push(el("li", { className: "heat-legend-row heat-legend-nodata" }, swatch(NO_DATA), tr("heat.legend.no_population")));
    }
    fill(
      ui.legend,
      el("h3", { className: "heat-legend-title" }, tr(`heat.legend.${state.metric}`)),
      fc.features.length
        ? el("ul", { className: "heat-legend-list" }, rows)
        : el("p", { className: "heat-legend-empty" }, tr("heat.legend.empty")),
      el("p", { className: "heat-legend-note" },
        tr(state.lockScale && lockedBreaks ? "heat.legend.locked" : "heat.legend.classes")),
    );
    // Say plainly when the population figures behind "per 1,000 residents" are missing.
    if (state.metric === "per_1000_residents" && pop) {
      const notes = [];
      if (!pop.available && fc.features.length) notes.push(tr("heat.population_missing"));
      else if (missing > 0) notes.push(tr("heat.population_partial", { n: missing }));
      notes.push(tr("heat.population_source", { source: pop.source }));
      ui.population.textContent = notes.join(" ");
      ui.population.dataset.missing = !pop.available ? "all" : missing > 0 ? "some" : "none";
      ui.population.hidden = false;
    } else {
      ui.population.hidden = true;
    }
  }

  function renderHotLegend() {
    if (!state.hotspots) {
      ui.hotLegend.hidden = true;
      fill(ui.hotLegend);
      return;
    }
    ui.hotLegend.hidden = false;
    const head = el("h3", { className: "heat-legend-title" }, tr("heat.hot.legend"));
    if (!spots) {
      fill(ui.hotLegend, head, el("p", {}, tr("heat.loading")));
      return;
    }
    if (spots.error) {
      fill(ui.hotLegend, head, el("p", { className: "heat-error" }, tr("heat.hot.error", { message: errorText(spots.error) })));
      return;
    }
    const meta = spots.fc.meta || {};
    const summary = meta.summary || { hot: {}, cold: {} };
    const sum = (o) => Object.values(o || {}).reduce((a, b) => a + Number(b), 0);
    const hot = sum(summary.hot);
    const cold = sum(summary.cold);
    fill(
      ui.hotLegend,
      head,
      el("ul", { className: "heat-legend-list" },
        HOTSPOT_CLASSES.map((c) => el("li", { className: `heat-legend-row heat-hot-row-${c.key}` },
          swatch(c.colour, { stroke: c.kind === "hot" ? "#67000d" : "#08306b" }), tr(`heat.hot.${c.key}`)))),
      el("p", { className: "heat-hot-summary" },
        hot + cold ? tr("heat.hot.summary", { hot, cold, cells: meta.study_cells ?? "–" }) : tr("heat.hot.none")),
      el("p", { className: "heat-hot-method" }, tr("heat.hot.method", { res: meta.resolution ?? currentResolution() })),
      el("p", { className: "heat-legend-note" }, tr("heat.hot.note")),
    );
  }

  function categoryLabel(code) {
    const list = state.layer === "reports" ? lists.categories : lists.incidentTypes;
    const found = list.find((c) => c.code === code);
    return found ? pick(found, state.layer === "reports" ? "name" : "label") : code;
  }

  /** The popup of a hexagon: its counts and rates, and its Gi* class when hotspots are shown. */
  function popupFor(h3) {
    const p = heat && heat.index.get(h3);
    const s = spots && spots.index && spots.index.get(h3);
    const rows = [];
    const row = (key, value, cls) => rows.push(el("div", { className: `heat-popup-row ${cls}` },
      el("dt", {}, tr(key)), el("dd", {}, value)));
    if (p) {
      row("heat.popup.count", fmt(p.count), "heat-popup-count");
      if ("overdue_share" in p) row("heat.popup.overdue_share", percent(p.overdue_share), "heat-popup-overdue");
      if ("active_share" in p) row("heat.popup.active_share", percent(p.active_share), "heat-popup-active");
      row("heat.popup.per_km2", fmt(p.per_km2), "heat-popup-km2");
      row("heat.popup.per_1000",
        p.per_1000_residents === null ? tr("heat.popup.no_population") : fmt(p.per_1000_residents),
        "heat-popup-pop");
    } else if (s) {
      row("heat.popup.count", fmt(s.count), "heat-popup-count");
    }
    const top = p && p.top_categories && p.top_categories.length
      ? el("div", { className: "heat-popup-top" },
        el("p", { className: "heat-popup-subtitle" }, tr("heat.popup.top")),
        el("ol", {}, p.top_categories.map((c) => el("li", { dataset: { code: c.code } },
          `${categoryLabel(c.code)}: ${fmt(c.count)}`))))
      : null;
    let gi = null;
    if (s) {
      const c = hotspotClass(s);
      gi = el("p", { className: `heat-popup-gi heat-popup-gi-${s.class_label}` }, tr("heat.popup.hotspot", {
        label: c ? tr(`heat.hot.${c.key}`) : tr("heat.popup.not_significant"),
        z: formatNumber(s.z, 2),
        q: s.q < 0.001 ? "< 0,001" : formatNumber(s.q, 3),
      }));
    }
    const node = el("div", { className: "heat-popup", dataset: { h3 } },
      el("h3", { className: "heat-popup-title" }, tr("heat.popup.title", { h3 })),
      el("dl", {}, rows), top, gi);
    return node;
  }

  // ---- loading ------------------------------------------------------------------------------

  function message(text, kind = "") {
    ui.message.textContent = text;
    ui.message.className = `heat-message ${kind}`;
  }

  function removeLayers() {
    if (heat) heat.layer.remove();
    if (spots && spots.layer) spots.layer.remove();
  }

  function active() {
    return state.enabled && !panel.hidden;
  }

  /** Show the current frame; resolves when it is drawn (or superseded by a newer question). */
  async function refresh() {
    const mine = ++seq;
    renderControls();
    if (!active()) {
      loader.keepOnly(new Set());
      removeLayers();
      state.playing = false;
      panel.dataset.state = panel.hidden ? "hidden" : "off";
      return;
    }
    const win = currentWindow();
    if (!win) {
      loader.keepOnly(new Set());
      panel.dataset.state = "error";
      message(tr("heat.bad_period"), "heat-error");
      return;
    }
    const bbox = currentResolution() >= BBOX_FROM_RES ? paddedBbox() : null;
    fetchedBbox = bbox;
    const [heatUrl, hotUrl] = wanted(state.frame, bbox);
    const nextFrame = state.frame >= 0 && state.frame < frameList.length - 1 ? state.frame + 1 : null;
    const ahead = nextFrame === null ? [] : wanted(nextFrame, bbox);
    loader.keepOnly(new Set([heatUrl, hotUrl, ...ahead].filter(Boolean)));
    panel.dataset.state = "loading";
    message(tr("heat.loading"), "heat-loading");
    if (state.hotspots && !spots) renderHotLegend();
    try {
      const hotPromise = hotUrl
        ? loader.get(hotUrl).catch((err) => (isAbort(err) ? null : { error: err }))
        : null;
      const fc = await loader.get(heatUrl);
      if (mine !== seq) return;
      drawHeat(fc);
      const what = tr(`heat.summary.${state.layer}`);
      message(tr("heat.summary", { cells: formatNumber(fc.features.length), total: formatNumber(fc.meta ? fc.meta.total : 0), what }));
      if (hotPromise) {
        panel.dataset.hotState = "loading";
        const hot = await hotPromise;
        if (mine !== seq || hot === null) return; // superseded, or aborted for a newer question
        drawSpots(hot);
      } else {
        drawSpots(null);
      }
      panel.dataset.state = "ready";
    } catch (err) {
      if (isAbort(err) || mine !== seq) return;
      panel.dataset.state = "error";
      message(tr("heat.error", { message: errorText(err) }), "heat-error");
      return;
    }
    for (const next of ahead) loader.get(next).catch(() => {}); // prefetch: ready when stepped to
  }

  async function play() {
    if (state.playing || !frameList.length) return;
    const run = ++playRun; // a pause and a new play while this one sleeps must not run two loops
    state.playing = true;
    if (state.frame < 0 || state.frame >= frameList.length - 1) state.frame = 0;
    await refresh();
    while (state.playing && run === playRun) {
      await sleep(FRAME_MS);
      if (!state.playing || run !== playRun) return;
      if (state.frame >= frameList.length - 1) break;
      state.frame += 1;
      await refresh(); // waits for the data (usually prefetched) before the next tick
    }
    if (run === playRun) {
      state.playing = false;
      renderControls();
    }
  }

  function pause() {
    playRun += 1;
    state.playing = false;
    renderControls();
  }

  function changed(reset = {}) {
    Object.assign(state, reset);
    lockedBreaks = null;
    refresh();
  }

  // ---- events -------------------------------------------------------------------------------

  ui.enabled.addEventListener("change", () => {
    state.enabled = ui.enabled.checked;
    if (!state.enabled) pause();
    refresh();
  });
  ui.layer.addEventListener("change", () => {
    state.layer = ui.layer.value;
    state.category = "";
    state.status = "";
    fillSelects();
    changed();
  });
  ui.resolution.addEventListener("change", () => changed({ resolution: ui.resolution.value }));
  ui.metric.addEventListener("change", () => {
    state.metric = ui.metric.value;
    lockedBreaks = null;
    if (heat) drawHeat(heat.fc); // the rates come with every hexagon: no new request
  });
  for (const key of ["category", "status", "agency"]) {
    ui[key].addEventListener("change", () => changed({ [key]: ui[key].value }));
  }
  const periodChanged = () => {
    state.from = ui.from.value;
    state.to = ui.to.value;
    state.step = ui.step.value;
    frameList = frames(state.from, state.to, state.step);
    if (state.frame >= frameList.length) state.frame = frameList.length - 1;
    changed();
  };
  ui.from.addEventListener("change", periodChanged);
  ui.to.addEventListener("change", periodChanged);
  ui.step.addEventListener("change", () => {
    state.frame = state.frame < 0 ? -1 : 0;
    periodChanged();
  });
  ui.prev.addEventListener("click", () => {
    pause();
    state.frame = state.frame < 0 ? frameList.length - 1 : Math.max(0, state.frame - 1);
    refresh();
  });
  ui.next.addEventListener("click", () => {
    pause();
    state.frame = state.frame < 0 ? 0 : Math.min(frameList.length - 1, state.frame + 1);
    refresh();
  });
  ui.whole.addEventListener("click", () => {
    pause();
    state.frame = -1;
    refresh();
  });
  ui.play.addEventListener("click", () => (state.playing ? pause() : play()));
  ui.range.addEventListener("input", () => {
    pause();
    state.frame = Number(ui.range.value);
    refresh();
  });
  ui.lock.addEventListener("change", () => {
    state.lockScale = ui.lock.checked;
    lockedBreaks = state.lockScale && heat ? heat.breaks : null;
    renderLegend();
  });
  ui.hotspots.addEventListener("change", () => {
    state.hotspots = ui.hotspots.checked;
    if (!state.hotspots) drawSpots(null);
    if (heat) drawHeat(heat.fc); // dim the counts under the hotspots (or undo it)
    refresh();
  });
  panel.querySelector(".heat-form").addEventListener("submit", (e) => e.preventDefault());

  function onView() {
    clearTimeout(viewTimer);
    viewTimer = setTimeout(() => {
      renderControls();
      if (!active()) return;
      const res = currentResolution();
      const shown = heat && heat.fc.meta ? heat.fc.meta.resolution : null;
      if (res !== shown) {
        lockedBreaks = null;
        refresh();
        return;
      }
      if (res >= BBOX_FROM_RES && fetchedBbox) {
        const b = map.getBounds();
        const [w, s, e, n] = fetchedBbox;
        if (b.getWest() < w || b.getSouth() < s || b.getEast() > e || b.getNorth() > n) refresh();
      }
    }, 250);
  }
  map.on("zoomend moveend", onView);
  const offLang = onLangChange(relabel);
  const observer = new MutationObserver(() => refresh());
  observer.observe(panel, { attributes: true, attributeFilter: ["hidden"] });

  async function loadLists() {
    const [cats, kinds, rules] = await Promise.allSettled([
      call("/api/v1/feedback/categories"),
      call("/api/v1/incidents/types"),
      call("/api/v1/feedback/routing-rules"),
    ]);
    if (cats.status === "fulfilled" && Array.isArray(cats.value)) lists.categories = cats.value;
    if (kinds.status === "fulfilled" && kinds.value) {
      lists.incidentTypes = kinds.value.types || [];
      lists.incidentStatuses = kinds.value.statuses || [];
    }
    if (rules.status === "fulfilled" && Array.isArray(rules.value)) {
      const byCode = new Map();
      for (const rule of rules.value) if (rule.agency) byCode.set(rule.agency.code, rule.agency);
      lists.agencies = [...byCode.values()].sort((a, b) => pick(a, "name").localeCompare(pick(b, "name")));
    }
    fillSelects();
  }

  relabel();
  loadLists();
  refresh();

  return {
    refresh,
    state,
    destroy() {
      pause();
      clearTimeout(viewTimer);
      seq += 1;
      loader.clear();
      removeLayers();
      map.off("zoomend moveend", onView);
      observer.disconnect();
      offLang();
      fill(panel);
    },
  };
}
