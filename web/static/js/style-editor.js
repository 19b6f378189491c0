// The style editor (#tab-style): single symbol, categorised by an attribute, graduated by
// a numeric attribute. Every change is shown at once on the planner's map (onChange);
// "Save" stores the style JSON of styles.js with PATCH /api/v1/layers/{slug}.

import { api, errorText } from "./api.js";
import { el, fill, setOptions } from "./dom.js";
import { formatNumber, onLangChange, t } from "./i18n.js";
import { attributeLabel } from "./popup.js";
import {
  MAX_CATEGORIES, METHODS, PALETTES, RAMPS, SHAPES, categoriesFrom, classesFrom, fieldValues, geometryKind,
  normaliseStyle,
} from "./styles.js";

const NUMERIC = new Set(["integer", "number"]);
const DASH = "6 4";

export class StyleEditor {
  /**
   * @param root the #tab-style panel
   * @param onChange called with the working style after every edit (the map redraws)
   * @param onSaved called with the layer record returned by PATCH
   */
  constructor(root, { onChange = () => {}, onSaved = () => {} } = {}) {
    this.root = root;
    this.onChange = onChange;
    this.onSaved = onSaved;
    this.$ = (id) => root.querySelector(`#${id}`);
    this.layer = null;
    this.saved = null;
    this.style = null;
    this.sample = () => ({ features: [], source: null });

    for (const radio of root.querySelectorAll("input[name='style-type']")) {
      radio.addEventListener("change", () => radio.checked && this.setType(radio.value));
    }
    this.$("style-field").addEventListener("change", () => this.regenerate());
    for (const id of ["style-palette", "style-method", "style-classes", "style-ramp"]) {
      this.$(id).addEventListener("change", () => this.regenerate());
    }
    this.$("style-generate").addEventListener("click", () => this.regenerate());
    const live = [
      ["style-fill", "fillColor", String], ["style-color", "color", String], ["style-weight", "weight", Number],
      ["style-fill-opacity", "fillOpacity", Number], ["style-radius", "radius", Number],
      ["style-shape", "shape", String],
    ];
    for (const [id, key, cast] of live) {
      this.$(id).addEventListener("input", () => {
        this.style[key] = cast(this.$(id).value);
        this.syncOutputs();
        this.changed();
      });
    }
    this.$("style-dashed").addEventListener("change", () => {
      if (this.$("style-dashed").checked) this.style.dashArray = DASH;
      else delete this.style.dashArray;
      this.changed();
    });
    this.$("style-save").addEventListener("click", () => this.save());
    this.$("style-reset").addEventListener("click", () => {
      this.style = structuredClone(this.saved);
      this.syncControls();
      this.changed({ dirty: false });
    });
    this.fillChoices();
    onLangChange(() => {
      this.fillChoices();
      if (this.layer) this.syncControls();
    });
  }

  fillChoices() {
    setOptions(this.$("style-palette"), Object.keys(PALETTES).map((k) => [k, t(`palette.${k}`)]), this.$("style-palette").value);
    setOptions(this.$("style-ramp"), Object.keys(RAMPS).map((k) => [k, t(`ramp.${k}`)]), this.$("style-ramp").value);
    setOptions(this.$("style-method"), METHODS.map((k) => [k, t(`method.${k}`)]), this.$("style-method").value);
    setOptions(this.$("style-shape"), SHAPES.map((k) => [k, t(`shape.${k}`)]), this.$("style-shape").value);
  }

  /**
   * Edit the style of `layer`. `sample()` returns {features, source} — the preview's or
   * the published features — from which categories and classes are computed.
   */
  setLayer(layer, sample, { working = null } = {}) {
    this.layer = layer;
    this.sample = sample;
    this.saved = normaliseStyle(layer.style, geometryKind(layer.geometry_type));
    // unsaved edits survive a reload of the same layer (e.g. styling the preview, then publishing)
    this.style = working ? structuredClone(working) : structuredClone(this.saved);
    this.syncControls();
    this.setStatus(working && this.isDirty() ? t("style.unsaved") : null);
  }

  /**
   * The preview (or its end) changed the attributes and geometry type the editor works
   * with. A layer with no stored style gets the defaults of its real geometry, unless the
   * planner has already edited.
   */
  adopt(layer) {
    const untouched = !this.isDirty();
    this.layer = layer;
    if (untouched && !(layer.style && Object.keys(layer.style).length)) {
      this.saved = normaliseStyle({}, geometryKind(layer.geometry_type));
      this.style = structuredClone(this.saved);
    }
    this.syncControls();
    if (this.style.type !== "single" && !this.fieldsFor(this.style.type).some((a) => a.name === this.style.field)) {
      this.setType(this.style.type);
    }
  }

  /** The working style (what the map shows). */
  current() {
    return this.style;
  }

  kind() {
    return geometryKind(this.layer && this.layer.geometry_type);
  }

  attributes() {
    return (this.layer && Array.isArray(this.layer.attributes) ? this.layer.attributes : [])
      .filter((a) => a && a.name && a.type !== "json");
  }

  fieldsFor(type) {
    const attrs = this.attributes();
    return type === "graduated" ? attrs.filter((a) => NUMERIC.has(a.type)) : attrs;
  }

  setType(type) {
    const s = this.style;
    s.type = type;
    if (type === "single") {
      delete s.field;
      delete s.categories;
      delete s.classes;
      delete s.default;
    } else {
      const fields = this.fieldsFor(type);
      if (!fields.some((a) => a.name === s.field)) s.field = fields.length ? fields[0].name : "";
      s.default = s.default || { color: "#94a3b8" };
      if (type === "categorised") {
        delete s.classes;
        s.palette = s.palette || "bold";
      } else {
        delete s.categories;
        s.method = s.method || "equal";
        s.ramp = s.ramp || "blues";
      }
      this.syncControls();
      this.regenerate();
      return;
    }
    this.syncControls();
    this.changed();
  }

  /** Recompute categories or classes from the sample's values of the chosen field. */
  regenerate() {
    const s = this.style;
    if (s.type === "single") return;
    s.field = this.$("style-field").value;
    const { features, source } = this.sample();
    const values = fieldValues(features, s.field);
    if (s.type === "categorised") {
      s.palette = this.$("style-palette").value || "bold";
      s.categories = categoriesFrom(values, s.palette);
      const distinct = new Set(values.filter((v) => v !== undefined).map((v) => (v === null ? null : String(v)))).size;
      if (distinct > MAX_CATEGORIES) s.default = { ...s.default, label: t("legend.other") };
      else delete s.default.label;
    } else {
      s.method = this.$("style-method").value || "equal";
      s.ramp = this.$("style-ramp").value || "blues";
      const n = Number(this.$("style-classes").value) || 5;
      s.classes = classesFrom(values, { n, method: s.method, ramp: s.ramp });
    }
    fill(this.$("style-sample"), features.length
      ? t(source === "preview" ? "style.sample_preview" : "style.sample_current", { count: formatNumber(features.length) })
      : t("style.no_sample"));
    this.renderRows();
    this.changed();
  }

  // ---- controls <-> style ---------------------------------------------------------------

  syncControls() {
    const s = this.style;
    for (const radio of this.root.querySelectorAll("input[name='style-type']")) radio.checked = radio.value === s.type;
    const kind = this.kind();
    this.root.dataset.styleType = s.type;
    this.root.dataset.kind = kind;
    this.$("style-classify").hidden = s.type === "single";
    const fields = this.fieldsFor(s.type === "single" ? "categorised" : s.type);
    setOptions(this.$("style-field"), fields.map((a) => [a.name, fieldLabel(a)]), s.field);
    for (const node of this.root.querySelectorAll(".only-categorised")) node.hidden = s.type !== "categorised";
    for (const node of this.root.querySelectorAll(".only-graduated")) node.hidden = s.type !== "graduated";
    for (const node of this.root.querySelectorAll(".only-single")) node.hidden = s.type !== "single" || kind === "line";
    for (const node of this.root.querySelectorAll(".only-point")) node.hidden = kind !== "point";
    const fillOpacity = this.$("style-fill-opacity");
    fillOpacity.closest(".range-row").hidden = kind === "line";
    this.root.querySelector("label[for='style-fill-opacity']").hidden = kind === "line";
    if (s.palette) this.$("style-palette").value = s.palette;
    if (s.method) this.$("style-method").value = s.method;
    if (s.ramp) this.$("style-ramp").value = s.ramp;
    if (s.classes && s.classes.length) this.$("style-classes").value = String(s.classes.length);
    this.$("style-fill").value = s.fillColor;
    this.$("style-color").value = s.color;
    this.$("style-weight").value = String(s.weight);
    this.$("style-fill-opacity").value = String(s.fillOpacity);
    this.$("style-radius").value = String(s.radius);
    this.$("style-shape").value = s.shape;
    this.$("style-dashed").checked = Boolean(s.dashArray);
    this.syncOutputs();
    this.renderRows();
    const locked = !this.fieldsFor("categorised").length;
    for (const radio of this.root.querySelectorAll("input[name='style-type']:not([value='single'])")) radio.disabled = locked;
  }

  syncOutputs() {
    this.$("style-weight-value").value = this.$("style-weight").value;
    this.$("style-fill-opacity-value").value = Number(this.$("style-fill-opacity").value).toFixed(2);
    this.$("style-radius-value").value = this.$("style-radius").value;
  }

  /** One row per category or class: its colour (editable) and label. */
  renderRows() {
    const list = this.$("style-rows");
    const s = this.style;
    const rows = s.type === "categorised" ? s.categories || [] : s.type === "graduated" ? s.classes || [] : [];
    list.replaceChildren();
    rows.forEach((row, i) => {
      const input = el("input", { type: "color", value: row.color, className: "row-color", "aria-label": row.label });
      input.addEventListener("input", () => {
        row.color = input.value;
        this.changed();
      });
      const text = el("input", { type: "text", value: row.label, className: "row-label", maxLength: 200 });
      text.addEventListener("change", () => {
        row.label = text.value.trim() || row.label;
        this.changed();
      });
      const li = el("li", { dataset: { index: String(i) } }, input, text);
      if (s.type === "categorised") li.dataset.value = row.value === null ? "" : row.value;
      else li.dataset.min = String(row.min);
      list.append(li);
    });
    if (s.type !== "single") {
      const other = el("input", { type: "color", value: s.default.color, className: "row-color", "aria-label": t("legend.other") });
      other.addEventListener("input", () => {
        s.default.color = other.value;
        this.changed();
      });
      list.append(el("li", { className: "row-other" }, other, el("span", { className: "muted" }, t("style.other_values"))));
    }
  }

  changed({ dirty = true } = {}) {
    this.setStatus(dirty && this.isDirty() ? t("style.unsaved") : null);
    this.onChange(this.style);
  }

  isDirty() {
    return JSON.stringify(serialise(this.style)) !== JSON.stringify(serialise(this.saved));
  }

  async save() {
    if (!this.layer) return;
    const button = this.$("style-save");
    button.disabled = true;
    try {
      const layer = await api(`/api/v1/layers/${this.layer.slug}`, { method: "PATCH", body: { style: serialise(this.style) } });
      this.layer = { ...this.layer, ...layer };
      this.saved = normaliseStyle(layer.style, this.kind());
      this.setStatus(t("style.saved"), "ok");
      this.onSaved(layer);
    } catch (err) {
      this.setStatus(errorText(err), "error");
    } finally {
      button.disabled = false;
    }
  }

  setStatus(message, kind = "info") {
    const node = this.$("style-status");
    node.hidden = !message;
    node.textContent = message || "";
    node.dataset.kind = kind;
  }
}

/** The stored form of a style: only the members its type uses. */
export function serialise(style) {
  const out = {
    type: style.type, color: style.color, weight: style.weight, opacity: style.opacity,
    fillColor: style.fillColor, fillOpacity: style.fillOpacity, radius: style.radius, shape: style.shape,
  };
  if (style.dashArray) out.dashArray = style.dashArray;
  if (style.fill === false) out.fill = false;
  if (style.type !== "single") {
    out.field = style.field;
    out.default = { ...style.default };
  }
  if (style.type === "categorised") {
    out.palette = style.palette;
    out.categories = (style.categories || []).map(({ value, color, label }) => ({ value, color, label }));
  }
  if (style.type === "graduated") {
    out.method = style.method;
    out.ramp = style.ramp;
    out.classes = (style.classes || []).map(({ min, max, color, label }) => ({ min, max, color, label }));
  }
  return out;
}

function fieldLabel(attr) {
  const label = attributeLabel(attr);
  return label === attr.name ? attr.name : `${label} (${attr.name})`;
}
