// The citizens' page (/report): the map with the reports already sent (clustered, coloured
// by status) and the report form beside it (below it on a phone).
//
// <body data-ready="1"> once the categories, communes and map are ready (tests wait for it);
// window.iocmapReport = {map, form, reports} is there for debugging and tests.

import { errorText } from "./api.js";
import { AuthControl } from "./auth.js";
import { el, fill } from "./dom.js";
import { applyI18n, onLangChange, t, toggleLang } from "./i18n.js";
import { createMap, fitToLayer, osmBaseLayer } from "./map.js";
import { ReportForm } from "./report-form.js";
import { ReportsLayer, drawCommunes } from "./reports-layer.js";
import { statusLegend } from "./report-view.js";

/** The district seat (Đắk Mil town), where the pin waits until the citizen places it. */
const PIN_START = Object.freeze({ lon: 107.62237, lat: 12.44957 });
const $ = (id) => document.getElementById(id);

function setReportsStatus(message, kind = "info") {
  const chip = $("reports-status");
  chip.hidden = !message;
  chip.textContent = message || "";
  chip.dataset.kind = kind;
}

/** The optional OpenStreetMap background (needs Internet): off by default, off again when it fails. */
function osmSwitch(map) {
  const input = $("osm-toggle");
  let layer = null;
  let loaded = false;
  input.addEventListener("change", () => {
    if (!input.checked) {
      if (layer) map.removeLayer(layer);
      return;
    }
    if (!layer) {
      layer = osmBaseLayer();
      layer.on("tileload", () => { loaded = true; });
      layer.on("tileerror", () => {
        if (loaded || !input.checked) return;
        input.checked = false;
        map.removeLayer(layer);
        setReportsStatus(t("layers.osm_failed"), "warn");
      });
    }
    layer.addTo(map);
    layer.bringToBack();
  });
}

function renderLegend() {
  fill($("legend-body"), statusLegend());
}

async function start() {
  applyI18n(document);
  $("lang-toggle").addEventListener("click", toggleLang);
  renderLegend();
  onLangChange(renderLegend);

  const map = createMap($("report-map"));
  new ResizeObserver(() => map.invalidateSize({ pan: false })).observe($("report-map"));
  // a popup is taller than the overlays' strip: give it the whole map while it is open
  map.on("popupopen", () => $("report-map").parentElement.classList.add("has-popup"));
  map.on("popupclose", () => $("report-map").parentElement.classList.remove("has-popup"));
  const reports = new ReportsLayer(map, { onStatus: setReportsStatus });
  const form = new ReportForm(map, { start: PIN_START, onSubmitted: () => reports.reload() });
  const auth = new AuthControl($("auth"), { onChange: (user) => form.setUser(user) });
  window.iocmapReport = { map, form, reports, auth };
  $("reports-toggle").addEventListener("change", (e) => reports.show(e.target.checked));
  osmSwitch(map);

  try {
    const [outlines] = await Promise.all([drawCommunes(map), form.load(), auth.restore().then((u) => form.setUser(u))]);
    fitToLayer(map, outlines, { padding: 12 });
    await reports.start();
    document.body.dataset.ready = "1";
  } catch (err) {
    const box = $("page-error");
    box.hidden = false;
    fill(box, el("span", {}, t("citizen.load_failed", { message: errorText(err) })));
    document.body.dataset.ready = "error";
  }
}

start();
