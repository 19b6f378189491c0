// The categories tab: table, create and edit form (extra questions as a JSON list).

import { api } from "./api.js";
import { clearErrors, fieldError, intValue, showApiError, textOrNull } from "./admin-form.js";
import { tr } from "./admin-i18n.js";
import { el, fill } from "./dom.js";
import { pick } from "./i18n.js";
import { icon } from "./icons.js";

const ICONS = ["road", "lightbulb", "trash", "droplet", "water", "building", "traffic-cone", "shield",
  "sprout", "school", "health", "document", "other"];

export class CategoriesTab {
  /** @param ctx the page state shared by the tabs (categories, rules, agencies, status()) */
  constructor(ctx) {
    this.ctx = ctx;
    this.table = document.getElementById("cat-table");
    this.form = document.getElementById("cat-form");
    this.editing = null; // code of the category being edited, null for a new one
    const list = document.getElementById("icon-options");
    fill(list, ICONS.map((name) => el("option", { value: name })));
    document.getElementById("cat-new").addEventListener("click", () => this.open(null));
    this.form.querySelector(".form-cancel").addEventListener("click", () => this.close());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.save();
    });
    this.table.addEventListener("click", (e) => {
      const button = e.target.closest("button[data-edit]");
      if (button) this.open(button.dataset.edit);
    });
  }

  async load() {
    this.ctx.categories = await api("/api/v1/feedback/categories?include_inactive=true");
  }

  /** The agency a category goes to by its own rule (category-wide, no commune). */
  agencyOf(code) {
    const rule = this.ctx.rules
      .filter((r) => r.active && r.category === code && !r.commune_code)
      .sort((a, b) => a.priority - b.priority)[0];
    if (!rule) return tr("admin.none");
    if (rule.target === "commune_committee") return tr("admin.cat_by_commune");
    const agency = rule.agency && this.ctx.agencies.get(rule.agency.code);
    return agency ? pick(agency, "name") : rule.agency ? pick(rule.agency, "name") : tr("admin.none");
  }

  render() {
    const head = el("thead", {}, el("tr", {},
      ["admin.code", "admin.cat_name_vi", "admin.cat_name_en", "admin.cat_icon", "admin.cat_agency",
        "admin.cat_deadline", "admin.cat_questions", "admin.active", "admin.actions"]
        .map((key) => el("th", { scope: "col" }, tr(key)))));
    const rows = this.ctx.categories.map((c) => el("tr", { dataset: { code: c.code, active: String(c.active) } },
      el("td", { className: "mono" }, c.code),
      el("td", { className: "cat-name-vi" }, c.name_vi),
      el("td", { className: "cat-name-en" }, c.name_en),
      el("td", { className: "cat-icon" }, icon(c.icon, { size: 18 }), " ", c.icon),
      el("td", { className: "cat-agency" }, this.agencyOf(c.code)),
      el("td", { className: "cat-deadline" }, tr("admin.cat_deadline_value", { days: c.deadline_days })),
      el("td", {}, c.extra_questions.length ? tr("admin.cat_questions_count", { count: c.extra_questions.length }) : tr("admin.none")),
      el("td", { className: "cat-active" }, c.active ? tr("admin.yes") : tr("admin.no")),
      el("td", {}, el("button", { type: "button", className: "button button-small", dataset: { edit: c.code } }, tr("admin.edit")))));
    const body = rows.length ? rows : [el("tr", {}, el("td", { colSpan: 9, className: "muted" }, tr("admin.cat_empty")))];
    fill(this.table, head, el("tbody", {}, body));
    if (!this.form.hidden) this.renderTitle();
  }

  renderTitle() {
    fill(document.getElementById("cat-form-title"),
      this.editing ? tr("admin.cat_edit", { code: this.editing }) : tr("admin.cat_new"));
  }

  open(code) {
    this.editing = code;
    const c = code ? this.ctx.categories.find((x) => x.code === code) : null;
    const f = this.form.elements;
    clearErrors(this.form);
    f.code.value = c ? c.code : "";
    f.code.disabled = Boolean(c);
    for (const name of ["name_vi", "name_en", "icon", "description_vi", "description_en"]) {
      f[name].value = c ? c[name] ?? "" : "";
    }
    f.deadline_days.value = c ? String(c.deadline_days) : "15";
    f.sort_order.value = c ? String(c.sort_order) : "";
    f.extra_questions.value = JSON.stringify(c ? c.extra_questions : [], null, 2);
    f.active.checked = c ? c.active : true;
    this.form.hidden = false;
    this.renderTitle();
    (c ? f.name_vi : f.code).focus();
  }

  close() {
    this.form.hidden = true;
    this.editing = null;
  }

  /** The form as a request body; null (with the error shown) when the JSON does not parse. */
  values() {
    const form = this.form;
    const body = {
      name_vi: form.elements.name_vi.value.trim(),
      name_en: form.elements.name_en.value.trim(),
      icon: form.elements.icon.value.trim(),
      description_vi: textOrNull(form, "description_vi"),
      description_en: textOrNull(form, "description_en"),
      deadline_days: intValue(form, "deadline_days"),
      active: form.elements.active.checked,
    };
    if (form.elements.sort_order.value.trim()) body.sort_order = intValue(form, "sort_order");
    let questions;
    try {
      questions = JSON.parse(form.elements.extra_questions.value.trim() || "[]");
    } catch (err) {
      fieldError(form, "extra_questions", tr("admin.bad_json", { message: err.message }));
      return null;
    }
    if (!Array.isArray(questions)) {
      fieldError(form, "extra_questions", tr("admin.not_a_list"));
      return null;
    }
    body.extra_questions = questions;
    if (!this.editing) body.code = form.elements.code.value.trim();
    return body;
  }

  async save() {
    clearErrors(this.form);
    const body = this.values();
    if (!body) return;
    const button = document.getElementById("cat-save");
    button.disabled = true;
    try {
      if (this.editing) {
        await api(`/api/v1/feedback/categories/${encodeURIComponent(this.editing)}`, { method: "PATCH", body });
      } else {
        await api("/api/v1/feedback/categories", { method: "POST", body });
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
}
