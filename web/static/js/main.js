// Wires the page together: language, map, layer catalogue, details panel, sign-in.
//
// When the default layers have drawn, <body data-ready="1"> is set (tests wait for it;
// it goes back to "0" while the catalogue reloads after sign-in or sign-out), and
// window.iocmap = {map, layers, auth} is there for debugging.

import { errorText } from "./api.js";
import { AuthControl } from "./auth.js";
import { applyI18n, onLangChange, t, toggleLang } from "./i18n.js";
import { InfoPanel } from "./info.js";
import { LayerManager } from "./layers.js";
import { createMap } from "./map.js";

const START_LAYER = "district";
const narrow = window.matchMedia("(max-width: 760px)");

function setStatus(message, kind = "info") {
  const status = document.getElementById("map-status");
  status.hidden = !message;
  status.textContent = message || "";
  status.dataset.kind = kind;
}

function setSidebar(open) {
  document.body.classList.toggle("sidebar-open", open);
  document.getElementById("sidebar-toggle").setAttribute("aria-expanded", String(open));
}

async function reloadCatalogue(layers, afterLoad = () => {}) {
  document.body.dataset.ready = "0";
  try {
    await layers.loadCatalogue();
    setStatus(null);
    afterLoad();
    document.body.dataset.ready = "1";
  } catch (err) {
    setStatus(t("app.load_failed", { message: errorText(err) }), "error");
    document.body.dataset.ready = "error";
  }
}

async function start() {
  applyI18n(document);
  document.getElementById("lang-toggle").addEventListener("click", toggleLang);
  document.getElementById("sidebar-toggle").addEventListener("click", () => {
    setSidebar(!document.body.classList.contains("sidebar-open"));
  });
  document.getElementById("sidebar-close").addEventListener("click", () => setSidebar(false));

  const map = createMap(document.getElementById("map"));
  // The sidebar changes width between layouts: keep Leaflet's idea of the size right.
  new ResizeObserver(() => map.invalidateSize({ pan: false })).observe(document.getElementById("map"));

  let layers = null;
  const info = new InfoPanel(document.getElementById("info-panel"), {
    onReveal: (predicate) => layers.revealUnit(predicate),
    onClear: () => layers.clearSelection(),
  });
  layers = new LayerManager(map, document.getElementById("layer-switcher"), {
    onSelect: (selection) => {
      info.show(selection);
      if (selection && narrow.matches) setSidebar(true);
      if (selection && !narrow.matches) {
        document.getElementById("info-section").scrollIntoView({ block: "nearest" });
      }
    },
  });
  layers.render();

  const auth = new AuthControl(document.getElementById("auth"), {
    onChange: () => reloadCatalogue(layers),
  });
  window.iocmap = { map, layers, auth };

  setStatus(t("app.loading"));
  const unsubscribe = onLangChange(() => {
    if (document.body.dataset.ready !== "1") setStatus(t("app.loading"));
  });
  await auth.restore();
  await reloadCatalogue(layers, () => layers.fitTo(START_LAYER));
  unsubscribe();
}

start();
