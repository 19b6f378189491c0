// Layer metadata: the "new layer" form (POST /api/v1/layers) and the metadata tab
// (PATCH /api/v1/layers/{slug}: titles, descriptions, group, source, licence, zooms,
// time field, attribute labels and popup flags), plus deleting a layer.

import { api, errorText } from "./api.js";
import { confirmAction } from "./confirm.js";
import { el, fill, setOptions } from "./dom.js";
import { onLangChange, pick, t } from "./i18n.js";

export const GROUPS = ["infrastructure", "planning", "boundaries", "incidents", "feedback", "other"];

function fillGroups(root) {
  for (const select of root.querySelectorAll("select[data-options='groups']")) {
    setOptions(select, GROUPS.map((g) => [g, t(`group.${g}`)]), select.value || "infrastructure");
  }
}

function text(form, name) {
  const value = form.elements[name].value.trim();
  return value || null;
}

/** The "new layer" form. */
export class CreateForm {
  /**
   * @param form the #create-form element
   * @param onCreated called with the new layer record
   * @param onCancel called when the planner gives up
   */
  constructor(form, { onCreated = () => {}, onCancel = () => {} } = {}) {
    this.form = form;
    this.onCreated = onCreated;
    fillGroups(form);
    onLangChange(() => fillGroups(form));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    form.querySelector("#create-cancel").addEventListener("click", () => onCancel());
    // suggest a slug from the Vietnamese title until the planner types one
    const slug = form.elements.slug;
    slug.addEventListener("input", () => { slug.dataset.touched = "1"; });
    form.elements.title_vi.addEventListener("input", () => {
      if (!slug.dataset.touched) slug.value = slugify(form.elements.title_vi.value);
    });
  }

  open() {
    this.form.reset();
    delete this.form.elements.slug.dataset.touched;
    fillGroups(this.form);
    this.showError(null);
    this.form.hidden = false;
    this.form.elements.title_vi.focus();
  }

  async submit() {
    const f = this.form;
    const slug = f.elements.slug.value.trim();
    const title = f.elements.title_vi.value.trim();
    if (!slug || !title) {
      this.showError(t("create.required"));
      return;
    }
    if (!/^[a-z0-9][a-z0-9_-]{1,63}$/.test(slug)) {
      this.showError(t("create.bad_slug"));
      f.elements.slug.focus();
      return;
    }
    const body = {
      slug,
      title_vi: title,
      group: f.elements.group.value,
      visibility: f.elements.visibility.value,
      default_on: f.elements.default_on.checked,
    };
    for (const name of ["title_en", "description_vi", "description_en", "source", "licence"]) {
      const value = text(f, name);
      if (value) body[name] = value;
    }
    const button = f.querySelector("#create-submit");
    button.disabled = true;
    this.showError(null);
    try {
      const layer = await api("/api/v1/layers", { method: "POST", body });
      this.form.hidden = true;
      this.onCreated(layer);
    } catch (err) {
      this.showError(errorText(err));
    } finally {
      button.disabled = false;
    }
  }

  showError(message) {
    const node = this.form.querySelector("#create-error");
    node.hidden = !message;
    node.textContent = message || "";
  }
}

/** The metadata tab of one layer. */
export class MetadataForm {
  /**
   * @param root the #tab-meta panel
   * @param onSaved called with the layer record returned by PATCH
   * @param onDeleted called with the slug after a confirmed delete
   */
  constructor(root, { onSaved = () => {}, onDeleted = () => {} } = {}) {
    this.root = root;
    this.form = root.querySelector("#meta-form");
    this.onSaved = onSaved;
    this.onDeleted = onDeleted;
    this.layer = null;
    fillGroups(this.form);
    onLangChange(() => {
      fillGroups(this.form);
      if (this.layer) this.renderAttributes();
      if (this.layer) this.fillTimeFields();
    });
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.save();
    });
    root.querySelector("#layer-delete").addEventListener("click", () => this.remove());
  }

  setLayer(layer) {
    this.layer = layer;
    const f = this.form.elements;
    for (const name of ["title_vi", "title_en", "description_vi", "description_en", "source", "licence"]) {
      f[name].value = layer[name] || "";
    }
    f.group.value = layer.group;
    f.min_zoom.value = String(layer.min_zoom);
    f.max_zoom.value = String(layer.max_zoom);
    f.default_on.checked = Boolean(layer.default_on);
    this.fillTimeFields();
    this.renderAttributes();
    this.status(null);
    this.error(null);
    this.root.querySelector("#danger-zone").hidden = layer.kind === "admin_units";
  }

  fillTimeFields() {
    const attrs = (this.layer.attributes || []).filter((a) => a.type === "datetime" || a.type === "string");
    setOptions(this.form.elements.time_field, [["", t("meta.no_time_field")], ...attrs.map((a) => [a.name, a.name])],
      this.layer.time_field || "");
  }

  renderAttributes() {
    const table = this.root.querySelector("#attr-table");
    const attrs = this.layer.attributes || [];
    if (!attrs.length) {
      fill(table, el("tbody", {}, el("tr", {}, el("td", { className: "muted" }, t("meta.no_attributes")))));
      return;
    }
    const head = el("tr", {}, ...["meta.attr_name", "meta.attr_label_vi", "meta.attr_label_en", "meta.attr_popup"]
      .map((k) => el("th", {}, t(k))));
    const body = el("tbody");
    for (const a of attrs) {
      const tr = el("tr", { dataset: { field: a.name } },
        el("td", {}, el("code", {}, a.name), el("span", { className: "type" }, t(`type.${a.type}`))),
        el("td", {}, el("input", { name: "label_vi", value: a.label_vi || "", maxLength: 200, "aria-label": `${a.name} — ${t("meta.attr_label_vi")}` })),
        el("td", {}, el("input", { name: "label_en", value: a.label_en || "", maxLength: 200, "aria-label": `${a.name} — ${t("meta.attr_label_en")}` })),
        el("td", { className: "center" }, el("input", { type: "checkbox", name: "popup", checked: Boolean(a.popup), "aria-label": `${a.name} — ${t("meta.attr_popup")}` })));
      body.append(tr);
    }
    fill(table, el("thead", {}, head), body);
  }

  /** Only what changed is sent. */
  changes() {
    const f = this.form.elements;
    const layer = this.layer;
    const out = {};
    for (const name of ["title_vi", "title_en"]) {
      const value = f[name].value.trim();
      if (value !== layer[name]) out[name] = value;
    }
    for (const name of ["description_vi", "description_en", "source", "licence"]) {
      const value = f[name].value.trim() || null;
      if (value !== (layer[name] || null)) out[name] = value;
    }
    if (f.group.value !== layer.group) out.group = f.group.value;
    for (const name of ["min_zoom", "max_zoom"]) {
      const value = Number.parseInt(f[name].value, 10);
      if (Number.isFinite(value) && value !== layer[name]) out[name] = value;
    }
    if (f.default_on.checked !== Boolean(layer.default_on)) out.default_on = f.default_on.checked;
    const time = f.time_field.value || null;
    if (time !== (layer.time_field || null)) out.time_field = time;
    const edits = [];
    for (const tr of this.root.querySelectorAll("#attr-table tbody tr[data-field]")) {
      const attr = (layer.attributes || []).find((a) => a.name === tr.dataset.field);
      if (!attr) continue;
      const edit = { name: attr.name };
      const vi = tr.querySelector("input[name='label_vi']").value.trim() || attr.name;
      const en = tr.querySelector("input[name='label_en']").value.trim() || attr.name;
      const popup = tr.querySelector("input[name='popup']").checked;
      if (vi !== attr.label_vi) edit.label_vi = vi;
      if (en !== attr.label_en) edit.label_en = en;
      if (popup !== Boolean(attr.popup)) edit.popup = popup;
      if (Object.keys(edit).length > 1) edits.push(edit);
    }
    if (edits.length) out.attributes = edits;
    return out;
  }

  async save() {
    const f = this.form.elements;
    if (!f.title_vi.value.trim() || !f.title_en.value.trim()) {
      this.error(t("meta.titles_required"));
      return;
    }
    const changes = this.changes();
    if (!Object.keys(changes).length) {
      this.status(t("meta.nothing_changed"));
      return;
    }
    const button = this.root.querySelector("#meta-save");
    button.disabled = true;
    this.error(null);
    try {
      const layer = await api(`/api/v1/layers/${this.layer.slug}`, { method: "PATCH", body: changes });
      this.layer = { ...this.layer, ...layer };
      this.onSaved(layer); // the page refreshes this form from the saved record
      this.status(t("meta.saved"));
    } catch (err) {
      this.error(errorText(err));
    } finally {
      button.disabled = false;
    }
  }

  async remove() {
    const layer = this.layer;
    const ok = await confirmAction({
      title: t("delete.confirm_title", { title: pick(layer, "title") }),
      message: t("delete.confirm_message", { slug: layer.slug, versions: layer.version }),
      ok: t("delete.confirm_ok"),
    });
    if (!ok) return;
    try {
      await api(`/api/v1/layers/${layer.slug}`, { method: "DELETE" });
      this.onDeleted(layer.slug);
    } catch (err) {
      this.error(errorText(err));
    }
  }

  status(message) {
    const node = this.root.querySelector("#meta-status");
    node.hidden = !message;
    node.textContent = message || "";
  }

  error(message) {
    const node = this.root.querySelector("#meta-error");
    node.hidden = !message;
    node.textContent = message || "";
  }
}

/** "Trường học THCS" → "truong-hoc-thcs" (Vietnamese letters without their marks). */
export function slugify(value) {
  return value.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "d")
    .toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
}
