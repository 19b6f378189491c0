// The holidays tab: the calendar of one year, add a day, remove a day.

import { api, errorText } from "./api.js";
import { confirmAction } from "./confirm.js";
import { clearErrors, fieldError, showApiError } from "./admin-form.js";
import { tr } from "./admin-i18n.js";
import { el, fill, setOptions } from "./dom.js";
import { formatDate, pick } from "./i18n.js";

export class HolidaysTab {
  constructor(ctx) {
    this.ctx = ctx;
    this.days = [];
    this.table = document.getElementById("hol-table");
    this.form = document.getElementById("hol-form");
    this.yearInput = document.getElementById("hol-year");
    this.yearInput.value = String(new Date().getFullYear());
    document.getElementById("hol-year-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.reload();
    });
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.add();
    });
    this.table.addEventListener("click", (e) => {
      const del = e.target.closest("button[data-delete]");
      if (del) this.remove(del.dataset.delete);
    });
  }

  year() {
    const year = Number(this.yearInput.value);
    return Number.isInteger(year) && year >= 2000 && year <= 2999 ? year : new Date().getFullYear();
  }

  async load() {
    this.days = await api(`/api/v1/feedback/holidays?year=${this.year()}`);
  }

  async reload() {
    const error = document.getElementById("hol-error");
    error.hidden = true;
    try {
      await this.load();
    } catch (err) {
      error.hidden = false;
      error.textContent = tr("admin.load_failed", { message: errorText(err) });
    }
    this.render();
  }

  render() {
    const kind = this.form.elements.kind;
    setOptions(kind, [["off", tr("admin.hol_kind_off")], ["workday", tr("admin.hol_kind_workday")]], kind.value || "off");
    fill(document.getElementById("hol-count"), tr("admin.hol_count", { count: this.days.length }));
    const head = el("thead", {}, el("tr", {},
      ["admin.hol_day", "admin.hol_kind", "admin.hol_name_vi", "admin.hol_name_en", "admin.hol_provisional", "admin.actions"]
        .map((key) => el("th", { scope: "col" }, tr(key)))));
    const rows = this.days.map((d) => el("tr", { dataset: { day: d.day, kind: d.kind } },
      el("td", { className: "nowrap" }, formatDate(d.day)),
      el("td", {}, tr(d.kind === "workday" ? "admin.hol_kind_workday" : "admin.hol_kind_off")),
      el("td", {}, d.name_vi),
      el("td", {}, d.name_en),
      el("td", {}, d.provisional ? tr("admin.yes") : tr("admin.no")),
      el("td", {}, el("button", { type: "button", className: "button button-small button-danger", dataset: { delete: d.day } }, tr("admin.delete")))));
    const body = rows.length ? rows : [el("tr", {}, el("td", { colSpan: 6, className: "muted" }, tr("admin.hol_empty")))];
    fill(this.table, head, el("tbody", {}, body));
  }

  async add() {
    const f = this.form.elements;
    clearErrors(this.form);
    if (!f.day.value) {
      fieldError(this.form, "day", tr("admin.fix_fields"));
      return;
    }
    const day = {
      day: f.day.value, kind: f.kind.value, name_vi: f.name_vi.value.trim(), name_en: f.name_en.value.trim(),
      provisional: f.provisional.checked,
    };
    const button = document.getElementById("hol-save");
    button.disabled = true;
    try {
      await api("/api/v1/feedback/holidays", { method: "PUT", body: { days: [day] } });
      this.yearInput.value = day.day.slice(0, 4);
      for (const name of ["day", "name_vi", "name_en"]) f[name].value = "";
      f.provisional.checked = false;
      await this.reload();
      this.ctx.status(tr("admin.saved"));
    } catch (err) {
      showApiError(this.form, err);
    } finally {
      button.disabled = false;
    }
  }

  async remove(day) {
    const d = this.days.find((x) => x.day === day);
    const label = d ? `${formatDate(day)} — ${pick(d, "name")}` : day;
    const ok = await confirmAction({ title: tr("admin.delete"), message: tr("admin.confirm_delete", { code: label }), ok: tr("admin.delete") });
    if (!ok) return;
    try {
      await api(`/api/v1/feedback/holidays?day=${encodeURIComponent(day)}`, { method: "DELETE" });
      await this.reload();
      this.ctx.status(tr("admin.deleted"));
    } catch (err) {
      this.ctx.status(errorText(err), "error");
    }
  }
}
