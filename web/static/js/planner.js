// The planner page (/planner): the layer list, creating a layer, and for the selected
// layer the tabs data (upload → preview → publish), style, metadata and versions, beside
// a map that shows the layer (or the file being previewed) with the style being edited.
//
// The page is for planners and admins; anyone else sees why and a link back to the map
// (every API call behind it checks the role again). <body data-access> is "granted",
// "signed-out" or "denied"; <body data-ready="1"> once the layer list has loaded.
// window.iocmapPlanner = {map, app} is there for debugging and tests.

import { api, errorText } from "./api.js";
import { AuthControl, roleLabel } from "./auth.js";
import { el, fill } from "./dom.js";
import { applyI18n, formatNumber, onLangChange, pick, t, toggleLang } from "./i18n.js";
import { drawsFromTiles } from "./layer-view.js";
import { CreateForm, MetadataForm } from "./layer-form.js";
import { PlannerMap } from "./planner-map.js";
import { StyleEditor } from "./style-editor.js";
import { geometryKind, legendEntries, normaliseStyle } from "./styles.js";
import { UploadPanel, geometryLabel } from "./upload.js";
import { VersionsPanel } from "./versions.js";

const PLANNER_ROLES = ["planner", "admin"];
const TABS = ["data", "style", "meta", "versions"];
const SAMPLE_LIMIT = 5000;

const $ = (id) => document.getElementById(id);

class PlannerApp {
  constructor() {
    this.catalogue = [];
    this.layer = null; // the selected layer: catalogue entry merged with its /admin record
    this.tab = "data";
    this.previewResult = null;
    this.features = null; // the selected layer's published GeoJSON features (small layers)
    this.sampleCache = null;
    this.started = false;

    this.map = new PlannerMap($("planner-map"), { legend: $("planner-legend"), banner: $("map-mode") });
    this.createForm = new CreateForm($("create-form"), {
      onCreated: (layer) => this.afterCreate(layer),
      onCancel: () => this.showEmpty(),
    });
    this.upload = new UploadPanel($("tab-data"), {
      onPreview: (result) => this.showPreview(result),
      onClearPreview: () => this.clearPreview(),
      onPublished: () => this.reloadLayer({ tab: "data" }),
    });
    this.styleEditor = new StyleEditor($("tab-style"), {
      onChange: (style) => this.map.restyle(style),
      onSaved: (layer) => this.mergeLayer(layer),
    });
    this.metadata = new MetadataForm($("tab-meta"), {
      onSaved: (layer) => this.mergeLayer(layer),
      onDeleted: (slug) => this.afterDelete(slug),
    });
    this.versions = new VersionsPanel($("tab-versions"), {
      onRestored: () => this.reloadLayer({ tab: "versions" }),
    });

    $("new-layer").addEventListener("click", () => this.openCreate());
    $("layer-filter").addEventListener("input", () => this.renderList());
    for (const button of document.querySelectorAll(".tabs [data-tab]")) {
      button.addEventListener("click", () => this.showTab(button.dataset.tab));
    }
    $("visibility-toggle").addEventListener("change", () => this.toggleVisibility());
    window.addEventListener("hashchange", () => {
      const slug = slugFromHash();
      if (slug && (!this.layer || this.layer.slug !== slug)) this.select(slug);
    });
    onLangChange(() => {
      this.renderList();
      this.renderHead();
    });
  }

  async start() {
    if (this.started) return;
    this.started = true;
    this.map.loadContext();
    await this.loadCatalogue();
    const slug = slugFromHash();
    if (slug && this.catalogue.some((m) => m.slug === slug)) await this.select(slug);
    else this.showEmpty();
    document.body.dataset.ready = "1";
  }

  async loadCatalogue() {
    try {
      this.catalogue = await api("/api/v1/layers");
      $("list-error").hidden = true;
    } catch (err) {
      $("list-error").hidden = false;
      $("list-error").textContent = errorText(err);
    }
    this.renderList();
  }

  renderList() {
    const list = $("layer-list");
    const query = $("layer-filter").value.trim().toLowerCase();
    list.replaceChildren();
    const shown = this.catalogue.filter((m) => !query
      || [m.slug, m.title_vi, m.title_en].some((v) => String(v || "").toLowerCase().includes(query)));
    if (!shown.length) list.append(el("li", { className: "muted empty-row" }, t(this.catalogue.length ? "planner.no_match" : "planner.no_layers")));
    for (const meta of shown) {
      const selected = this.layer && this.layer.slug === meta.slug;
      const kind = geometryKind(meta.geometry_type);
      const look = normaliseStyle(meta.style, kind);
      const icon = el("span", { className: `geom-icon geom-${kind}`, "aria-hidden": "true" });
      icon.style.borderColor = look.type === "single" ? look.color : "#475569";
      icon.style.backgroundColor = look.type === "single" ? look.fillColor : "";
      if (look.type !== "single") {
        const colors = legendEntries(look).filter((r) => !r.other).map((r) => r.color).slice(0, 4);
        icon.style.background = `conic-gradient(${colors.map((c, i) => `${c} ${(i * 100) / colors.length}% ${((i + 1) * 100) / colors.length}%`).join(", ")})`;
      }
      const button = el("button", { type: "button", className: "layer-row", title: meta.slug, "aria-current": selected ? "true" : "false" },
        icon,
        el("span", { className: "layer-row-text" },
          el("span", { className: "layer-row-title" }, pick(meta, "title")),
          el("span", { className: "layer-row-meta" },
            el("span", { className: `pill ${meta.visibility === "public" ? "pill-public" : "pill-internal"}`, dataset: { visibility: meta.visibility } },
              t(`visibility.short_${meta.visibility}`)),
            el("span", {}, meta.version
              ? `${t("planner.version_short", { version: meta.version })} · ${t("planner.features", { count: formatNumber(meta.feature_count || 0) })}`
              : t("planner.no_data")))));
      button.addEventListener("click", () => this.select(meta.slug));
      list.append(el("li", { dataset: { slug: meta.slug } }, button));
    }
  }

  openCreate() {
    this.layer = null;
    this.map.clear();
    this.renderList();
    $("work-empty").hidden = true;
    $("layer-panel").hidden = true;
    this.createForm.open();
    history.replaceState(null, "", "#new");
  }

  showEmpty() {
    this.layer = null;
    this.map.clear();
    $("create-form").hidden = true;
    $("layer-panel").hidden = true;
    $("work-empty").hidden = false;
    this.renderList();
  }

  async afterCreate(layer) {
    await this.loadCatalogue();
    await this.select(layer.slug, { tab: "data" });
  }

  async afterDelete(slug) {
    this.catalogue = this.catalogue.filter((m) => m.slug !== slug);
    history.replaceState(null, "", location.pathname);
    this.showEmpty();
    await this.loadCatalogue();
  }

  /** Select a layer: its full record (GET …/admin), then the tabs and the map. */
  async select(slug, { tab } = {}) {
    const seq = (this.selectSeq = (this.selectSeq || 0) + 1);
    const meta = this.catalogue.find((m) => m.slug === slug);
    if (!meta) return;
    let admin;
    try {
      admin = await api(`/api/v1/layers/${slug}/admin`);
    } catch (err) {
      $("list-error").hidden = false;
      $("list-error").textContent = errorText(err);
      return;
    }
    if (seq !== this.selectSeq) return;
    const working = this.layer && this.layer.slug === slug && this.styleEditor.isDirty() ? this.styleEditor.current() : null;
    this.layer = { ...meta, ...admin };
    this.previewResult = null;
    this.features = null;
    this.sampleCache = null;
    history.replaceState(null, "", `#layer=${encodeURIComponent(slug)}`);
    $("work-empty").hidden = true;
    $("create-form").hidden = true;
    $("layer-panel").hidden = false;
    this.renderList();
    this.renderHead();
    this.upload.setLayer(this.layer);
    this.metadata.setLayer(this.layer);
    this.styleEditor.setLayer(this.layer, () => this.sample(), { working });
    this.versions.load(this.layer);
    this.showTab(tab || (this.layer.version ? this.tab : "data"));
    document.body.dataset.layer = slug;
    try {
      const data = await this.map.showLayer(this.layer, this.styleEditor.current());
      if (seq === this.selectSeq) this.features = data ? data.features : null;
    } catch (err) {
      $("list-error").hidden = false;
      $("list-error").textContent = errorText(err);
    }
  }

  /** After publishing or restoring: new version, counts and attributes. */
  async reloadLayer({ tab } = {}) {
    if (!this.layer) return;
    const slug = this.layer.slug;
    await this.loadCatalogue();
    await this.select(slug, { tab });
  }

  /** A PATCH answered the new record: keep the map and the other tabs in step. */
  mergeLayer(record) {
    // updated in place: the map's popups hold this very record
    Object.assign(this.layer, record);
    const entry = this.catalogue.find((m) => m.slug === record.slug);
    if (entry) Object.assign(entry, record);
    this.renderList();
    this.renderHead();
    this.metadata.setLayer(this.layer);
    this.styleEditor.layer = { ...this.styleEditor.layer, ...record };
  }

  renderHead() {
    const layer = this.layer;
    if (!layer) return;
    fill($("layer-title"), pick(layer, "title"));
    const parts = [layer.slug, geometryLabel(layer.geometry_type === "Geometry" ? null : layer.geometry_type)];
    parts.push(layer.version ? t("planner.version_long", { version: layer.version, count: formatNumber(layer.feature_count || 0) })
      : t("planner.no_data"));
    if (layer.version && drawsFromTiles(layer)) parts.push(t("planner.from_tiles"));
    fill($("layer-subtitle"), parts.filter((p) => p && p !== "—").join(" · "));
    const toggle = $("visibility-toggle");
    toggle.checked = layer.visibility === "public";
    fill($("visibility-label"), t(`visibility.${layer.visibility}`));
    toggle.closest(".switch").dataset.visibility = layer.visibility;
    $("layer-locked").hidden = layer.kind !== "admin_units";
  }

  showTab(tab) {
    this.tab = TABS.includes(tab) ? tab : "data";
    for (const button of document.querySelectorAll(".tabs [data-tab]")) {
      const on = button.dataset.tab === this.tab;
      button.setAttribute("aria-selected", String(on));
      button.classList.toggle("is-active", on);
    }
    for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.dataset.panel !== this.tab;
  }

  async toggleVisibility() {
    const toggle = $("visibility-toggle");
    const visibility = toggle.checked ? "public" : "internal";
    toggle.disabled = true;
    try {
      const layer = await api(`/api/v1/layers/${this.layer.slug}`, { method: "PATCH", body: { visibility } });
      this.mergeLayer(layer);
    } catch (err) {
      toggle.checked = !toggle.checked;
      $("list-error").hidden = false;
      $("list-error").textContent = errorText(err);
    } finally {
      toggle.disabled = false;
    }
  }

  // ---- preview ---------------------------------------------------------------------------

  showPreview(result) {
    this.previewResult = result;
    // the preview's schema and geometry type drive the style editor until publishing
    const previewLayer = {
      ...this.layer, attributes: result.attributes, geometry_type: result.geometry_type,
    };
    this.styleEditor.adopt(previewLayer);
    this.map.showPreview(previewLayer, result.features, result.feature_count, this.styleEditor.current());
  }

  clearPreview() {
    if (!this.previewResult) return;
    this.previewResult = null;
    if (this.layer) this.styleEditor.adopt({ ...this.styleEditor.layer, attributes: this.layer.attributes, geometry_type: this.layer.geometry_type });
    this.map.clearPreview();
    this.map.restyle(this.styleEditor.current());
  }

  /** Features to build categories and classes from: the preview, else the published data. */
  sample() {
    if (this.previewResult) return { features: this.previewResult.features.features, source: "preview" };
    if (this.features) return { features: this.features, source: "current" };
    if (this.sampleCache && this.sampleCache.slug === this.layer.slug) return this.sampleCache.value;
    if (this.layer && this.layer.version) this.fetchSample(this.layer.slug);
    return { features: [], source: null };
  }

  /** Large (tiled) layers: a sample of features from the OGC API, fetched once. */
  async fetchSample(slug) {
    if (this.sampleCache && this.sampleCache.slug === slug) return;
    this.sampleCache = { slug, value: { features: [], source: null } };
    try {
      const page = await api(`/ogc/collections/${encodeURIComponent(slug)}/items?limit=${SAMPLE_LIMIT}`);
      this.sampleCache.value = { features: page.features || [], source: "current" };
      if (this.layer && this.layer.slug === slug && this.styleEditor.current().type !== "single") this.styleEditor.regenerate();
    } catch {
      // no sample: the editor says there are no values to classify
    }
  }
}

function slugFromHash() {
  const match = /^#layer=([a-z0-9_-]{1,64})$/.exec(location.hash);
  return match ? match[1] : null;
}

/** Who may use the page: the gate says why not, with a way back to the map. */
function gate(user) {
  const body = document.body;
  if (!user) {
    body.dataset.access = "signed-out";
    fill($("gate-title"), t("gate.signed_out_title"));
    fill($("gate-message"), t("gate.signed_out"));
  } else if (!PLANNER_ROLES.includes(user.role)) {
    body.dataset.access = "denied";
    fill($("gate-title"), t("gate.denied_title"));
    fill($("gate-message"), t("gate.denied", { role: roleLabel(user.role) }));
  } else {
    body.dataset.access = "granted";
  }
  const granted = body.dataset.access === "granted";
  $("planner-gate").hidden = granted;
  $("planner-app").hidden = !granted;
  return granted;
}

async function start() {
  applyI18n(document);
  $("lang-toggle").addEventListener("click", toggleLang);
  let app = null;
  const enter = async (user) => {
    if (!gate(user)) {
      document.body.dataset.ready = "1";
      return;
    }
    if (!app) {
      app = new PlannerApp();
      window.iocmapPlanner = { map: app.map.map, app };
    }
    document.body.dataset.ready = "0";
    await app.start();
    document.body.dataset.ready = "1";
  };
  const auth = new AuthControl($("auth"), {
    onChange: (user) => {
      if (user && app) location.reload(); // another account: start clean
      else if (!user) gate(null);
      else enter(user);
    },
  });
  onLangChange(() => gate(auth.user));
  const user = await auth.restore();
  await enter(user);
}

start();
