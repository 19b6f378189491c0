// The routing tab: rules table, create / edit / delete, and the "try routing" box.

import { api, errorText } from "./api.js";
import { confirmAction } from "./confirm.js";
import { clearErrors, generalError, intValue, showApiError, textOrNull } from "./admin-form.js";
import { tr } from "./admin-i18n.js";
import { el, fill, setOptions } from "./dom.js";
import { formatDateTime, pick } from "./i18n.js";

export class RulesTab {
  constructor(ctx) {
    this.ctx = ctx;
    this.table = document.getElementById("rule-table");
    this.form = document.getElementById("rule-form");
    this.preview = document.getElementById("preview-form");
    this.editing = null;
    document.getElementById("rule-new").addEventListener("click", () => this.open(null));
    this.form.querySelector(".form-cancel").addEventListener("click", () => this.close());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.save();
    });
    this.form.elements.target.addEventListener("change", () => this.syncTarget());
    this.table.addEventListener("click", (e) => {
      const edit = e.target.closest("button[data-edit]");
      if (edit) this.open(edit.dataset.edit);
      const del = e.target.closest("button[data-delete]");
      if (del) this.remove(del.dataset.delete);
    });
    this.preview.addEventListener("submit", (e) => {
      e.preventDefault();
      this.tryRouting();
    });
  }

  async load() {
    this.ctx.rules = await api("/api/v1/feedback/routing-rules");
  }

  categoryName(code) {
    if (!code) return tr("admin.any");
    const c = this.ctx.categories.find((x) => x.code === code);
    return c ? `${pick(c, "name")} (${code})` : code;
  }

  targetText(rule) {
    if (rule.target === "commune_committee") return tr("admin.rule_target_commune");
    const agency = rule.agency && this.ctx.agencies.get(rule.agency.code);
    return agency ? pick(agency, "name") : rule.agency ? pick(rule.agency, "name") : tr("admin.none");
  }

  render() {
    const head = el("thead", {}, el("tr", {},
      ["admin.code", "admin.rule_category", "admin.rule_commune", "admin.rule_target", "admin.rule_priority",
        "admin.active", "admin.actions"].map((key) => el("th", { scope: "col" }, tr(key)))));
    const rows = this.ctx.rules.map((r) => el("tr", { dataset: { code: r.code } },
      el("td", { className: "mono" }, r.code),
      el("td", {}, this.categoryName(r.category)),
      el("td", {}, r.commune_code || tr("admin.any")),
      el("td", { className: "rule-target" }, this.targetText(r)),
      el("td", {}, String(r.priority)),
      el("td", {}, r.active ? tr("admin.yes") : tr("admin.no")),
      el("td", { className: "row-actions" },
        el("button", { type: "button", className: "button button-small", dataset: { edit: r.code } }, tr("admin.edit")),
        el("button", { type: "button", className: "button button-small button-danger", dataset: { delete: r.code } }, tr("admin.delete")))));
    const body = rows.length ? rows : [el("tr", {}, el("td", { colSpan: 7, className: "muted" }, tr("admin.rule_empty")))];
    fill(this.table, head, el("tbody", {}, body));
    this.renderOptions();
    if (!this.form.hidden) this.renderTitle();
  }

  /** Category, target and agency choices (they follow the language and the loaded lists). */
  renderOptions() {
    const cats = this.ctx.categories.map((c) => [c.code, `${pick(c, "name")} (${c.code})`]);
    const f = this.form.elements;
    setOptions(f.category, [["", tr("admin.any")], ...cats], f.category.value);
    setOptions(f.target, [["agency", tr("admin.rule_target_agency")], ["commune_committee", tr("admin.rule_target_commune")]],
      f.target.value || "agency");
    const agencies = [...this.ctx.agencies.values()].map((a) => [a.code, `${pick(a, "name")} (${a.code})`]);
    setOptions(f.agency, [["", tr("admin.none")], ...agencies], f.agency.value);
    const pc = document.getElementById("preview-category");
    setOptions(pc, cats, pc.value);
  }

  renderTitle() {
    fill(document.getElementById("rule-form-title"),
      this.editing ? tr("admin.rule_edit", { code: this.editing }) : tr("admin.rule_new"));
  }

  syncTarget() {
    this.form.elements.agency.disabled = this.form.elements.target.value !== "agency";
  }

  open(code) {
    this.editing = code;
    const r = code ? this.ctx.rules.find((x) => x.code === code) : null;
    const f = this.form.elements;
    clearErrors(this.form);
    f.code.value = r ? r.code : "";
    f.code.disabled = Boolean(r);
    f.category.value = r && r.category ? r.category : "";
    f.commune_code.value = r && r.commune_code ? r.commune_code : "";
    f.target.value = r ? r.target : "agency";
    f.agency.value = r && r.agency ? r.agency.code : "";
    f.priority.value = r ? String(r.priority) : "100";
    f.note_vi.value = r && r.note_vi ? r.note_vi : "";
    f.note_en.value = r && r.note_en ? r.note_en : "";
    f.active.checked = r ? r.active : true;
    this.syncTarget();
    this.form.hidden = false;
    this.renderTitle();
    (r ? f.category : f.code).focus();
  }

  close() {
    this.form.hidden = true;
    this.editing = null;
  }

  values() {
    const form = this.form;
    const body = {
      category: textOrNull(form, "category"),
      commune_code: textOrNull(form, "commune_code"),
      target: form.elements.target.value,
      agency: form.elements.target.value === "agency" ? textOrNull(form, "agency") : null,
      priority: intValue(form, "priority"),
      active: form.elements.active.checked,
      note_vi: textOrNull(form, "note_vi"),
      note_en: textOrNull(form, "note_en"),
    };
    if (!this.editing) body.code = form.elements.code.value.trim();
    return body;
  }

  async save() {
    clearErrors(this.form);
    const button = document.getElementById("rule-save");
    button.disabled = true;
    try {
      const body = this.values();
      if (this.editing) {
        await api(`/api/v1/feedback/routing-rules/${encodeURIComponent(this.editing)}`, { method: "PATCH", body });
      } else {
        await api("/api/v1/feedback/routing-rules", { method: "POST", body });
      }
      this.close();
      await this.load();
      this.ctx.changed();
      this.ctx.status(tr("admin.saved"));
    } catch (err) {
      showApiError(this.form, err);
    } finally {
      button.disabled = false;
    }
  }

  async remove(code) {
    const ok = await confirmAction({ title: tr("admin.delete"), message: tr("admin.confirm_delete", { code }), ok: tr("admin.delete") });
    if (!ok) return;
    try {
      await api(`/api/v1/feedback/routing-rules/${encodeURIComponent(code)}`, { method: "DELETE" });
      if (this.editing === code) this.close();
      await this.load();
      this.ctx.changed();
      this.ctx.status(tr("admin.deleted"));
    } catch (err) {
      this.ctx.status(errorText(err), "error");
    }
  }

  async tryRouting() {
    const form = this.preview;
    clearErrors(form);
    const result = document.getElementById("preview-result");
    result.hidden = true;
    const params = new URLSearchParams({ category: document.getElementById("preview-category").value });
    const commune = document.getElementById("preview-commune").value.trim();
    const lon = document.getElementById("preview-lon").value.trim();
    const lat = document.getElementById("preview-lat").value.trim();
    if (commune) params.set("commune_code", commune);
    if (lon && lat) {
      params.set("lon", lon);
      params.set("lat", lat);
    }
    if (!commune && !(lon && lat)) {
      generalError(form, tr("admin.preview_need_place"));
      return;
    }
    try {
      const p = await api(`/api/v1/feedback/routing/preview?${params}`);
      const item = (key, value, name) => [el("dt", {}, tr(key)), el("dd", { dataset: { field: name } }, value)];
      fill(result,
        item("admin.preview_agency", pick(p.agency, "name"), "agency"),
        item("admin.preview_rule", p.rule || tr("admin.preview_rule_none"), "rule"),
        item("admin.preview_commune", p.commune.name ? `${p.commune.name} (${p.commune.code})` : tr("admin.none"), "commune"),
        item("admin.preview_why", pick(p.routing, "explanation"), "why"),
        item("admin.preview_due", tr("admin.preview_due_value", { days: p.deadline_days, due: formatDateTime(p.due_at) }), "due"));
      result.dataset.rule = p.rule || "";
      result.hidden = false;
    } catch (err) {
      showApiError(form, err);
    }
  }
}
