// One case in the officers' inbox: everything staff may see (internal notes, hidden content
// flagged, the reporter's contact only when they agreed), the transitions allowed from its
// status as buttons, a form for each (assignee, agency, reason, original report, public
// and internal notes, response templates), and moderation of its text and photos.
//
// The allowed moves mirror layers/feedback/workflow.py (ALLOWED); the server checks them
// again and its refusal is shown verbatim.

import { api, errorText } from "./api.js";
import { el, fill, setOptions } from "./dom.js";
import { formatDateTime, formatNumber, getLang, t } from "./i18n.js";
import { icon } from "./icons.js";
import {
  agencyName, answerFacts, categoryChip, deadlineChip, deadlineWhen, factList, photoStrip, rejectReasonLabel,
  routingText, statusBadge, timelineList,
} from "./report-view.js";

export const ALLOWED = Object.freeze({
  received: ["assigned", "transferred", "rejected", "duplicate"],
  assigned: ["in_progress", "assigned", "transferred", "rejected", "duplicate"],
  in_progress: ["resolved", "assigned", "transferred", "rejected", "duplicate"],
  resolved: ["closed"],
  closed: [],
  rejected: [],
  duplicate: [],
});
/** Steps whose public note the citizen must get (the server requires it too). */
const NOTE_REQUIRED = new Set(["resolved", "rejected", "transferred", "duplicate"]);
const REJECT_REASONS = ["not_in_competence", "insufficient_information", "other"];
const CODE = /^DM-[0-9]{4}-[0-9]{6,9}$/;

export class CasePanel {
  /**
   * @param root the #case-view element
   * @param user the signed-in staff account
   * @param onChanged called with the updated report after a transition or moderation
   * @param onClose called when the officer leaves the case
   */
  constructor(root, { user, categories = () => [], onChanged = () => {}, onClose = () => {}, onLocate = () => {} } = {}) {
    this.root = root;
    this.categories = categories;
    this.user = user;
    this.onChanged = onChanged;
    this.onClose = onClose;
    this.onLocate = onLocate;
    this.report = null;
    this.action = null; // {to} or {moderate: "text"|"photo", photoId, hidden}
    this.templates = new Map(); // "agency|category" -> [templates]
    this.seq = 0;
  }

  async open(code) {
    const seq = ++this.seq;
    this.action = null;
    this.root.hidden = false;
    this.root.dataset.code = code;
    fill(this.root, el("p", { className: "muted case-loading" }, t("inbox.loading_case")));
    try {
      const report = await api(`/api/v1/inbox/${encodeURIComponent(code)}`);
      if (seq !== this.seq) return;
      this.report = report;
      this.render();
    } catch (err) {
      if (seq !== this.seq) return;
      this.report = null;
      fill(this.root, this.backButton(), el("p", { className: "form-error" }, errorText(err)));
    }
  }

  /** A live event about this case from someone else: offer to reload it (never reload under the user). */
  noticeChange(event) {
    const r = this.report;
    if (!r || event.id !== r.code || (event.status && event.status === r.status)) return;
    if (Date.now() - (this.ownChangeAt || 0) < 5000) return; // the echo of this panel's own step
    const slot = this.root.querySelector("#case-changed");
    if (!slot || !slot.hidden) return;
    const reload = el("button", { type: "button", className: "button button-small" }, t("inbox.refresh"));
    reload.addEventListener("click", () => this.open(r.code));
    fill(slot, el("span", {}, t("inbox.case_changed")), reload);
    slot.hidden = false;
  }

  close() {
    this.seq += 1;
    this.report = null;
    this.root.hidden = true;
    delete this.root.dataset.code;
  }

  backButton() {
    const back = el("button", { type: "button", className: "button button-small case-back", id: "case-back" },
      icon("back", { size: 16 }), el("span", {}, t("inbox.back")));
    back.addEventListener("click", () => this.onClose());
    return back;
  }

  locateButton() {
    const button = el("button", { type: "button", className: "button button-small case-locate", id: "case-locate",
      title: t("inbox.on_map"), "aria-label": t("inbox.on_map") },
      icon("map", { size: 16 }), el("span", {}, t("inbox.on_map")));
    button.addEventListener("click", () => this.onLocate(this.report));
    return button;
  }

  render() {
    const r = this.report;
    if (!r) return;
    this.root.dataset.code = r.code;
    this.root.dataset.status = r.status;
    const head = el("header", { className: "case-head" },
      el("div", { className: "case-toolbar" }, this.backButton(),
        el("span", { className: "report-code", id: "case-code" }, r.code), this.locateButton()),
      el("div", { className: "result-badges" }, statusBadge(r.status), deadlineChip(r.deadline),
        r.escalated ? el("span", { className: "tag tag-warn" }, t("inbox.escalated", { n: r.dispute_count })) : null,
        r.text_hidden ? el("span", { className: "tag" }, t("inbox.text_hidden")) : null),
      el("h2", { className: "case-title" }, r.title),
      categoryChip(r.category));
    const actions = this.actionBar();
    const body = el("div", { className: "case-body" },
      r.description ? el("p", { className: "result-description" }, r.description) : null,
      r.photos.length ? this.photos() : null,
      factList([
        [t("track.received"), formatDateTime(r.received_at)],
        [t("track.deadline"), deadlineWhen(r.deadline), "deadline"],
        [t("track.commune"), r.commune.name],
        [t("track.address"), r.address],
        [t("track.place"), r.location.precision === "commune" ? t("track.place_commune")
          : `${r.location.lat.toFixed(6)}, ${r.location.lon.toFixed(6)}`],
        [t("track.agency"), agencyName(r.agency), "agency"],
        [t("inbox.why"), routingText(r.routing), "why"],
        [t("inbox.assignee"), r.assignee ? (r.assignee.full_name ? `${r.assignee.full_name} (${r.assignee.username})` : r.assignee.username) : t("inbox.unassigned"), "assignee"],
        [t("track.supporters"), formatNumber(r.supporters)],
        [t("track.reject_reason"), r.reject_reason ? rejectReasonLabel(r.reject_reason) : null],
        [t("track.duplicate_of"), r.duplicate_of],
        [t("track.rating_given"), r.citizen_rating ? t("track.stars", { n: r.citizen_rating }) : null],
        [t("inbox.citizen_comment"), r.citizen_comment],
        ...answerFacts(r.answers, this.categories().find((c) => c.code === r.category.code)),
      ]),
      this.contact(),
      el("section", { className: "result-section" },
        el("h3", { className: "section-title" }, t("track.timeline")),
        timelineList(r.timeline, { staff: true })));
    const changed = el("p", { id: "case-changed", className: "note case-changed", role: "status", hidden: true });
    fill(this.root, head, changed, actions, el("div", { id: "action-slot" }), body);
    if (this.action) this.showForm();
  }

  contact() {
    const c = this.report.reporter;
    const box = el("section", { className: "contact-box", id: "case-contact", dataset: { shared: String(c.share_contact) } },
      el("h3", { className: "section-title" }, t("inbox.contact")));
    if (!c.share_contact) box.append(el("p", { className: "muted" }, t("inbox.contact_private")));
    else box.append(factList([[t("citizen.name"), c.name], [t("citizen.phone"), c.phone], [t("citizen.email"), c.email]]));
    return box;
  }

  photos() {
    const strip = photoStrip(this.report);
    for (const link of [...strip.children]) {
      const id = Number(link.dataset.photo);
      const hidden = link.classList.contains("is-hidden");
      const toggle = el("button", { type: "button", className: "photo-moderate", dataset: { photo: String(id) } },
        t(hidden ? "inbox.photo_show" : "inbox.photo_hide"));
      toggle.addEventListener("click", () => this.start({ moderate: "photo", photoId: id, hidden: !hidden }));
      const cell = el("span", { className: "photo-cell" });
      link.replaceWith(cell);
      cell.append(link, toggle);
    }
    return strip;
  }

  actionBar() {
    const r = this.report;
    const bar = el("div", { className: "case-actions", id: "case-actions" });
    const moves = ALLOWED[r.status] || [];
    moves.forEach((to, i) => {
      const label = to === "assigned" && r.status !== "received" ? t("move.reassign") : t(`move.${to}`);
      const button = el("button", { type: "button", className: `button ${i === 0 ? "button-primary" : ""}`,
        dataset: { action: to } }, label);
      button.addEventListener("click", () => this.start({ to }));
      bar.append(button);
    });
    const hide = el("button", { type: "button", className: "button button-quiet-dark", dataset: { action: "moderate-text" } },
      t(r.text_hidden ? "inbox.text_show" : "inbox.text_hide"));
    hide.addEventListener("click", () => this.start({ moderate: "text", hidden: !r.text_hidden }));
    bar.append(hide);
    if (!moves.length) bar.prepend(el("span", { className: "muted small" }, t("inbox.no_moves")));
    return bar;
  }

  start(action) {
    this.action = action;
    this.showForm();
  }

  /** The form of the chosen step, under the action buttons. */
  async showForm() {
    const slot = this.root.querySelector("#action-slot");
    const a = this.action;
    if (!slot || !a) return;
    for (const b of this.root.querySelectorAll("#case-actions [data-action]")) {
      b.setAttribute("aria-pressed", String(b.dataset.action === (a.to || `moderate-${a.moderate}`)));
    }
    const form = el("form", { className: "action-form", id: "action-form", dataset: { action: a.to || `moderate-${a.moderate}` } });
    form.noValidate = true;
    const title = a.to ? (a.to === "assigned" && this.report.status !== "received" ? t("move.reassign") : t(`move.${a.to}`))
      : t(a.moderate === "text" ? (a.hidden ? "inbox.text_hide" : "inbox.text_show") : (a.hidden ? "inbox.photo_hide" : "inbox.photo_show"));
    form.append(el("h3", { className: "action-title" }, title));
    if (a.to) this.moveFields(form, a.to);
    else {
      form.append(field("moderation-reason", t("inbox.moderation_reason"),
        el("textarea", { id: "moderation-reason", rows: 2, maxLength: 1000, required: true })));
      form.append(el("p", { className: "field-help" }, t("inbox.moderation_help")));
    }
    const error = el("p", { className: "form-error", id: "action-error", role: "alert", hidden: true });
    const cancel = el("button", { type: "button", className: "button" }, t("common.cancel"));
    cancel.addEventListener("click", () => {
      this.action = null;
      form.remove();
      for (const b of this.root.querySelectorAll("#case-actions [aria-pressed]")) b.setAttribute("aria-pressed", "false");
    });
    const submit = el("button", { type: "submit", className: "button button-primary", id: "action-submit" }, t("inbox.confirm"));
    form.append(error, el("div", { className: "form-actions" }, cancel, submit));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.send(form);
    });
    form.addEventListener("input", () => {
      error.hidden = true;
    });
    fill(slot, form);
    const first = form.querySelector("input, select, textarea");
    if (first) first.focus();
    if (a.to && a.to !== "closed") await this.loadTemplates(form);
  }

  moveFields(form, to) {
    if (to === "assigned" || to === "transferred") {
      const help = to === "assigned" ? t("inbox.assignee_help") : t("inbox.assignee_optional");
      form.append(field("action-assignee", t("inbox.assignee"),
        el("input", { id: "action-assignee", type: "text", autocapitalize: "none", spellcheck: false,
          autocomplete: "off", maxLength: 64, placeholder: t("inbox.assignee_placeholder") }), help));
      form.querySelector("#action-assignee").setAttribute("list", "assignee-options");
    }
    if (to === "transferred") {
      const input = el("input", { id: "action-agency", type: "text", autocapitalize: "none", spellcheck: false,
        autocomplete: "off", maxLength: 64, required: true, placeholder: "ubnd-24664" });
      input.setAttribute("list", "agency-options");
      form.append(field("action-agency", t("inbox.agency"), input, t("inbox.agency_help")));
    }
    if (to === "rejected") {
      const select = el("select", { id: "action-reason", required: true });
      setOptions(select, [["", t("citizen.choose")], ...REJECT_REASONS.map((r) => [r, rejectReasonLabel(r)])]);
      form.append(field("action-reason", t("inbox.reason"), select));
    }
    if (to === "duplicate") {
      form.append(field("action-duplicate", t("inbox.duplicate_of"),
        el("input", { id: "action-duplicate", type: "text", maxLength: 24, required: true, placeholder: "DM-2026-000123",
          autocapitalize: "characters", spellcheck: false })));
    }
    if (to === "closed") form.append(el("p", { className: "field-help" }, t("inbox.close_help")));
    if (to !== "closed") {
      const templates = el("select", { id: "template-select", disabled: true });
      setOptions(templates, [["", t("inbox.templates_loading")]]);
      templates.addEventListener("change", () => this.useTemplate(templates.value, form));
      form.append(field("template-select", t("inbox.template"), templates));
    }
    form.append(field("public-note", NOTE_REQUIRED.has(to) ? `${t("inbox.public_note")} *` : t("inbox.public_note"),
      el("textarea", { id: "public-note", rows: 3, maxLength: 4000, required: NOTE_REQUIRED.has(to) }),
      t("inbox.public_note_help")));
    form.append(field("internal-note", t("inbox.internal_note"),
      el("textarea", { id: "internal-note", rows: 2, maxLength: 4000 }), t("inbox.internal_note_help")));
  }

  async loadTemplates(form) {
    const r = this.report;
    const key = `${r.agency.code}|${r.category.code}`;
    const select = form.querySelector("#template-select");
    if (!select) return;
    try {
      if (!this.templates.has(key)) {
        const q = new URLSearchParams({ agency: r.agency.code, category: r.category.code });
        this.templates.set(key, await api(`/api/v1/feedback/templates?${q}`));
      }
      const list = this.templates.get(key);
      setOptions(select, [["", list.length ? t("inbox.template_pick") : t("inbox.template_none")],
        ...list.map((tpl) => [tpl.code, tpl.title])]);
      select.disabled = !list.length;
    } catch (err) {
      setOptions(select, [["", errorText(err)]]);
    }
  }

  useTemplate(code, form) {
    const r = this.report;
    const tpl = (this.templates.get(`${r.agency.code}|${r.category.code}`) || []).find((x) => x.code === code);
    if (!tpl) return;
    const body = getLang() === "en" && tpl.body_en ? tpl.body_en : tpl.body_vi;
    const note = form.querySelector("#public-note");
    note.value = body;
    note.focus();
  }

  async send(form) {
    const a = this.action;
    const error = form.querySelector("#action-error");
    const value = (id) => {
      const node = form.querySelector(`#${id}`);
      return node ? node.value.trim() : "";
    };
    let path;
    let body;
    if (a.to) {
      body = { to: a.to, public_note: value("public-note") || null, internal_note: value("internal-note") || null };
      if (value("action-assignee")) body.assignee = value("action-assignee").toLowerCase();
      if (a.to === "transferred") body.agency = value("action-agency");
      if (a.to === "rejected") body.reason_code = value("action-reason") || null;
      if (a.to === "duplicate") body.duplicate_of = value("action-duplicate").toUpperCase();
      const missing = [];
      if (NOTE_REQUIRED.has(a.to) && !body.public_note) missing.push(t("inbox.need_public_note"));
      if (a.to === "transferred" && !body.agency) missing.push(t("inbox.need_agency"));
      if (a.to === "rejected" && !body.reason_code) missing.push(t("inbox.need_reason"));
      if (a.to === "duplicate" && !CODE.test(body.duplicate_of)) missing.push(t("inbox.need_duplicate"));
      if (missing.length) {
        error.hidden = false;
        error.textContent = missing.join(" ");
        return;
      }
      path = `/api/v1/reports/${encodeURIComponent(this.report.code)}/transitions`;
    } else {
      const reason = value("moderation-reason");
      if (reason.length < 3) {
        error.hidden = false;
        error.textContent = t("inbox.need_moderation_reason");
        return;
      }
      body = { target: a.moderate, hidden: a.hidden, reason };
      if (a.moderate === "photo") body.photo_id = a.photoId;
      path = `/api/v1/reports/${encodeURIComponent(this.report.code)}/moderation`;
    }
    const submit = form.querySelector("#action-submit");
    submit.disabled = true;
    this.ownChangeAt = Date.now();
    error.hidden = true;
    try {
      this.report = await api(path, { method: "POST", body });
      this.action = null;
      this.render();
      this.onChanged(this.report);
      const status = this.root.querySelector(".case-head");
      if (status) status.scrollIntoView({ block: "nearest" });
    } catch (err) {
      error.hidden = false;
      error.textContent = errorText(err);
      submit.disabled = false;
    }
  }
}

function field(id, label, control, help) {
  return el("div", { className: "field" },
    el("label", { className: "field-label", for: id }, label), control,
    help ? el("p", { className: "field-help" }, help) : null);
}
