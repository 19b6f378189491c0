// The citizen's report form (report.html): the place (pin, "my location", or the commune
// when GPS is poor), the category with its extra questions, title, description, up to 5
// photos, optional contact; open reports of the same category nearby are offered for a
// "me too" before a duplicate is sent; the submission carries an Idempotency-Key kept
// across retries of the same form, so a retry after a lost answer never files twice.
//
// Server refusals (outside the district, too many photos, rate limit, ...) are shown as
// the server wrote them. DOM nodes and textContent only.

import { api, ApiError, errorText } from "./api.js";
import { el, fill, setOptions } from "./dom.js";
import { formatDateTime, formatNumber, onLangChange, pick, t } from "./i18n.js";
import { icon, pinNode } from "./icons.js";
import { accuracyCircle, centreOn, draggablePin, onMapTap } from "./map.js";
import { privateLink, rememberReport } from "./my-reports.js";
import {
  agencyName, categoryName, deadlineLine, routingText, statusBadge,
} from "./report-view.js";

export const MAX_PHOTOS = 5;
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
const PHOTO_TYPES = new Set(["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"]);
const PHOTO_NAME = /\.(jpe?g|png|webp|heic|heif)$/i;
const TITLE_MIN = 3;
const POOR_GPS_METRES = 100;
const LOCATE_ZOOM = 17;

const $ = (id) => document.getElementById(id);

/** A random Idempotency-Key: crypto.randomUUID where the page is a secure context. */
export function newIdempotencyKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class ReportForm {
  /**
   * @param map the Leaflet map of the page (the pin lives on it)
   * @param start {lon, lat} where the unset pin waits (the district seat)
   * @param onSubmitted called with the created report (to refresh the reports layer)
   */
  constructor(map, { start, onSubmitted = () => {} } = {}) {
    this.map = map;
    this.start = start;
    this.onSubmitted = onSubmitted;
    this.form = $("report-form");
    this.categories = [];
    this.communes = []; // [{code, name}]
    this.point = null; // {lon, lat} once the citizen placed the pin
    this.place = null; // {state: "inside"|"outside"|"checking"|"error", commune}
    this.photos = []; // [{file, url}]
    this.nearby = []; // open reports of the same category within 50 m
    this.nearbyMeta = null; // {radius, days} of the last answer
    this.preview = null; // where the report would go (routing preview), or {error}
    this.supported = new Set(); // codes this browser said "me too" to
    this.newAnyway = false; // the citizen saw the nearby reports and still files a new one
    this.key = newIdempotencyKey();
    this.busy = false;
    this.accuracy = null;
    this.seq = { place: 0, preview: 0, nearby: 0 };

    this.pin = draggablePin(map, start.lon, start.lat, {
      node: pinNode(), title: t("citizen.pin_title"),
      onMove: (p) => this.setPoint(p, { source: "drag" }),
    });
    this.pin.element().classList.add("is-unset");
    onMapTap(map, (p) => {
      if (this.communeMode()) return;
      this.setPoint(p, { source: "tap" });
    });

    $("locate-button").addEventListener("click", () => this.locate());
    $("commune-mode").addEventListener("change", () => this.changeMode());
    $("commune-select").addEventListener("change", () => this.placeChanged());
    $("category-grid").addEventListener("change", () => this.categoryChanged());
    $("description-input").addEventListener("input", () => this.countChars());
    $("photo-input").addEventListener("change", (e) => this.addPhotos(e.target.files));
    $("anonymous-toggle").addEventListener("change", () => this.syncContact());
    $("nearby-new").addEventListener("click", () => {
      this.newAnyway = true;
      this.renderNearby();
      this.submit();
    });
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    $("new-report").addEventListener("click", () => this.reset());
    for (const id of ["copy-code", "copy-link"]) {
      $(id).addEventListener("click", () => this.copy(id));
    }
    onLangChange(() => this.renderAll());
  }

  /** Categories and communes from the API; the form is usable when both arrived. */
  async load() {
    const [categories, communes] = await Promise.all([
      api("/api/v1/feedback/categories"),
      api("/api/v1/communes"),
    ]);
    this.categories = categories;
    this.communes = (communes.features || []).map((f) => ({ code: f.properties.code, name: f.properties.name }))
      .sort((a, b) => a.name.localeCompare(b.name, "vi"));
    this.renderAll();
  }

  renderAll() {
    this.renderCategories();
    this.renderQuestions();
    this.renderCommunes();
    this.renderPlace();
    this.renderPreview();
    this.renderNearby();
    this.renderPhotos();
    this.countChars();
    this.syncContact();
    this.pin.element().title = t("citizen.pin_title");
  }

  // ---- place ---------------------------------------------------------------------------

  communeMode() {
    return $("commune-mode").checked;
  }

  setPoint(p, { source } = {}) {
    this.point = { lon: round6(p.lon), lat: round6(p.lat) };
    this.pin.moveTo(this.point.lon, this.point.lat);
    this.pin.element().classList.remove("is-unset");
    if (source !== "gps" && this.accuracy) {
      this.accuracy.remove();
      this.accuracy = null;
      $("gps-note").hidden = true;
    }
    this.newAnyway = false;
    this.placeChanged();
  }

  changeMode() {
    const on = this.communeMode();
    $("commune-fields").hidden = !on;
    this.form.dataset.location = on ? "commune" : "point";
    this.pin.element().classList.toggle("is-muted", on);
    this.placeChanged();
  }

  /** Look up the commune under the pin, then the routing preview and the nearby reports. */
  async placeChanged() {
    this.clearError();
    if (!this.communeMode() && this.point) {
      const seq = ++this.seq.place;
      this.place = { state: "checking" };
      this.renderPlace();
      try {
        const found = await api(`/api/v1/communes/containing?lon=${this.point.lon}&lat=${this.point.lat}`);
        if (seq !== this.seq.place) return;
        this.place = { state: "inside", commune: { code: found.properties.code, name: found.properties.name } };
      } catch (err) {
        if (seq !== this.seq.place) return;
        this.place = err instanceof ApiError && err.status === 404
          ? { state: "outside", message: errorText(err) } : { state: "error", message: errorText(err) };
      }
    }
    this.renderPlace();
    this.refreshPreview();
    this.refreshNearby();
  }

  renderPlace() {
    const out = $("location-readout");
    if (this.communeMode()) {
      const code = $("commune-select").value;
      const commune = this.communes.find((c) => c.code === code);
      out.dataset.state = commune ? "commune" : "unset";
      fill(out, icon("building2", { size: 18 }),
        el("span", {}, commune ? t("citizen.place_commune", { name: commune.name }) : t("citizen.pick_commune")));
      return;
    }
    if (!this.point) {
      out.dataset.state = "unset";
      fill(out, icon("pin", { size: 18 }), el("span", {}, t("citizen.place_unset")));
      return;
    }
    const coords = el("span", { className: "coords" }, `${this.point.lat.toFixed(5)}, ${this.point.lon.toFixed(5)}`);
    const state = this.place ? this.place.state : "checking";
    out.dataset.state = state;
    if (state === "inside") {
      fill(out, icon("pin", { size: 18 }), el("span", {}, el("strong", {}, this.place.commune.name), " · ", coords));
    } else if (state === "outside") {
      fill(out, icon("alert", { size: 18 }), el("span", {}, t("citizen.place_outside"), " · ", coords));
    } else if (state === "error") {
      fill(out, icon("alert", { size: 18 }), el("span", {}, this.place.message));
    } else {
      fill(out, icon("pin", { size: 18 }), el("span", {}, t("citizen.place_checking"), " · ", coords));
    }
  }

  renderCommunes() {
    const select = $("commune-select");
    const chosen = select.value;
    setOptions(select, [["", t("citizen.pick_commune")], ...this.communes.map((c) => [c.code, c.name])], chosen);
  }

  /** "My location": the browser's GPS fix, with its accuracy drawn and a hint when poor. */
  locate() {
    const button = $("locate-button");
    const note = $("gps-note");
    if (!("geolocation" in navigator)) {
      this.showGpsNote(t("citizen.gps_unsupported"), "error");
      return;
    }
    button.disabled = true;
    button.dataset.busy = "1";
    fill(button.querySelector(".button-label"), t("citizen.locating"));
    navigator.geolocation.getCurrentPosition((pos) => {
      this.doneLocating();
      if (this.communeMode()) {
        $("commune-mode").checked = false;
        this.changeMode();
      }
      const { longitude: lon, latitude: lat, accuracy } = pos.coords;
      if (this.accuracy) this.accuracy.remove();
      this.accuracy = Number.isFinite(accuracy) && accuracy > 5 ? accuracyCircle(this.map, lon, lat, accuracy) : null;
      centreOn(this.map, lon, lat, Math.max(this.map.getZoom(), LOCATE_ZOOM));
      this.setPoint({ lon, lat }, { source: "gps" });
      if (Number.isFinite(accuracy) && accuracy > POOR_GPS_METRES) {
        this.showGpsNote(t("citizen.gps_poor", { metres: formatNumber(Math.round(accuracy)) }), "warn");
      } else {
        note.hidden = true;
      }
    }, (err) => {
      this.doneLocating();
      const key = err.code === 1 ? "citizen.gps_denied" : err.code === 3 ? "citizen.gps_timeout" : "citizen.gps_failed";
      this.showGpsNote(t(key), "error");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }

  doneLocating() {
    const button = $("locate-button");
    button.disabled = false;
    delete button.dataset.busy;
    fill(button.querySelector(".button-label"), t("citizen.my_location"));
  }

  showGpsNote(message, kind) {
    const note = $("gps-note");
    note.hidden = false;
    note.dataset.kind = kind;
    note.textContent = message;
  }

  // ---- category, extra questions, routing preview ----------------------------------------

  category() {
    const code = (this.form.querySelector("input[name='category']:checked") || {}).value;
    return this.categories.find((c) => c.code === code) || null;
  }

  renderCategories() {
    const grid = $("category-grid");
    const chosen = this.category();
    grid.replaceChildren(...this.categories.map((c) => {
      const input = el("input", { type: "radio", name: "category", value: c.code, id: `category-${c.code}`,
        className: "visually-hidden", checked: Boolean(chosen && chosen.code === c.code) });
      return el("label", { className: "category-tile", for: `category-${c.code}`, dataset: { category: c.code } },
        input, el("span", { className: "category-icon" }, icon(c.icon, { size: 24 })),
        el("span", { className: "category-name" }, categoryName(c)));
    }));
    const hint = $("category-hint");
    hint.hidden = !chosen;
    hint.textContent = chosen ? pick(chosen, "description") : "";
  }

  categoryChanged() {
    this.clearError();
    this.newAnyway = false;
    this.renderCategories();
    this.renderQuestions();
    this.refreshPreview();
    this.refreshNearby();
  }

  /** Inputs for the category's extra questions (Open311 datatypes); values kept on re-render. */
  renderQuestions() {
    const box = $("extra-questions");
    const keep = this.answers({ raw: true });
    box.replaceChildren();
    const category = this.category();
    const questions = (category && category.extra_questions) || [];
    box.hidden = !questions.length;
    for (const q of questions) {
      const id = `answer-${q.code}`;
      const label = `${pick(q, "label")}${q.required ? " *" : ""}`;
      let control;
      if (q.datatype === "singlevaluelist") {
        control = el("select", { id, name: id, dataset: { question: q.code, datatype: q.datatype } });
        setOptions(control, [["", t("citizen.choose")], ...q.values.map((v) => [v.key, pick(v, "name")])], keep[q.code]);
      } else if (q.datatype === "multivaluelist") {
        control = el("div", { id, className: "choice-list", dataset: { question: q.code, datatype: q.datatype } },
          ...q.values.map((v) => el("label", { className: "check" },
            el("input", { type: "checkbox", value: v.key, checked: (keep[q.code] || []).includes(v.key) }),
            pick(v, "name"))));
      } else if (q.datatype === "text") {
        control = el("textarea", { id, rows: 2, maxLength: 2000, value: keep[q.code] || "",
          dataset: { question: q.code, datatype: q.datatype } });
      } else {
        const type = q.datatype === "number" ? "number" : q.datatype === "datetime" ? "datetime-local" : "text";
        control = el("input", { id, type, value: keep[q.code] ?? "", dataset: { question: q.code, datatype: q.datatype },
          inputMode: q.datatype === "number" ? "decimal" : undefined, maxLength: q.datatype === "string" ? 500 : undefined,
          step: q.datatype === "number" ? "any" : undefined, min: q.datatype === "number" ? "0" : undefined });
      }
      const field = el("div", { className: "field" },
        q.datatype === "multivaluelist" ? el("span", { className: "field-label" }, label)
          : el("label", { className: "field-label", for: id }, label), control);
      box.append(field);
    }
  }

  /** The answers as the API wants them ({code: value}); `raw` keeps input strings. */
  answers({ raw = false } = {}) {
    const out = {};
    for (const node of $("extra-questions").querySelectorAll("[data-question]")) {
      const code = node.dataset.question;
      if (node.dataset.datatype === "multivaluelist") {
        const picked = [...node.querySelectorAll("input:checked")].map((i) => i.value);
        if (picked.length || raw) out[code] = picked;
      } else if (node.value !== "") {
        if (raw) out[code] = node.value;
        else if (node.dataset.datatype === "number") out[code] = Number(node.value);
        else if (node.dataset.datatype === "datetime") out[code] = `${node.value.length === 16 ? `${node.value}:00` : node.value}+07:00`;
        else out[code] = node.value.trim();
      }
    }
    return out;
  }

  /** Where the report would go and its deadline, for the place and category chosen so far. */
  locationQuery() {
    if (this.communeMode()) {
      const code = $("commune-select").value;
      return code ? { commune_code: code } : null;
    }
    if (!this.point || !this.place || this.place.state !== "inside") return null;
    return { lon: this.point.lon, lat: this.point.lat };
  }

  async refreshPreview() {
    const category = this.category();
    const where = this.locationQuery();
    const seq = ++this.seq.preview;
    if (!category || !where) {
      this.preview = null;
      this.renderPreview();
      return;
    }
    try {
      const preview = await api(`/api/v1/feedback/routing/preview?${new URLSearchParams({ category: category.code, ...where })}`);
      if (seq !== this.seq.preview) return;
      this.preview = preview;
    } catch (err) {
      if (seq !== this.seq.preview) return;
      this.preview = { error: errorText(err) };
    }
    this.renderPreview();
  }

  renderPreview() {
    const box = $("route-preview");
    const p = this.preview;
    box.hidden = !p;
    if (!p) return;
    if (p.error) {
      box.dataset.state = "error";
      fill(box, el("p", { className: "route-error" }, p.error));
      return;
    }
    box.dataset.state = "ok";
    box.dataset.agency = p.agency.code;
    fill(box,
      el("p", { className: "route-line" }, icon("building2", { size: 18 }),
        el("span", {}, t("citizen.route_to"), " ", el("strong", { id: "route-agency" }, agencyName(p.agency)))),
      el("p", { className: "route-line" }, icon("clock", { size: 18 }),
        el("span", {}, t("citizen.route_deadline", { days: p.deadline_days, date: formatDateTime(p.due_at) }))),
      el("p", { className: "route-why" }, routingText(p.routing)));
  }

  // ---- "me too" ---------------------------------------------------------------------------

  /** Open reports of the chosen category within 50 m of the pin, last 30 days. */
  async refreshNearby() {
    const category = this.category();
    const seq = ++this.seq.nearby;
    if (!category || this.communeMode() || !this.point || !this.place || this.place.state !== "inside") {
      this.nearby = [];
      this.renderNearby();
      return this.nearby;
    }
    try {
      const found = await api(`/api/v1/reports/nearby?${new URLSearchParams({ lon: this.point.lon, lat: this.point.lat, category: category.code })}`);
      if (seq !== this.seq.nearby) return this.nearby;
      this.nearby = found.items;
      this.nearbyMeta = { radius: found.radius_m, days: found.days };
    } catch {
      if (seq !== this.seq.nearby) return this.nearby;
      this.nearby = [];
    }
    this.renderNearby();
    return this.nearby;
  }

  renderNearby({ attention = false } = {}) {
    const panel = $("nearby-panel");
    const list = $("nearby-list");
    panel.hidden = !this.nearby.length;
    panel.classList.toggle("is-attention", attention);
    if (!this.nearby.length) {
      list.replaceChildren();
      return;
    }
    const meta = this.nearbyMeta || { radius: 50, days: 30 };
    fill($("nearby-title"), t("citizen.nearby_title", { count: this.nearby.length }));
    fill($("nearby-hint"), t("citizen.nearby_hint", { radius: Math.round(meta.radius), days: meta.days }));
    list.replaceChildren(...this.nearby.map((r) => this.nearbyItem(r)));
    $("nearby-new").hidden = this.newAnyway;
    $("nearby-chosen").hidden = !this.newAnyway;
  }

  nearbyItem(r) {
    const done = this.supported.has(r.code);
    const thumb = r.photos && r.photos.length
      ? el("img", { className: "nearby-thumb", src: r.photos[0].thumb_url, alt: "", loading: "lazy", width: 56, height: 56 })
      : el("span", { className: "nearby-thumb is-empty" }, icon(r.category.icon, { size: 22 }));
    const action = done
      ? el("p", { className: "support-done", role: "status" }, icon("check", { size: 16 }),
        t("citizen.support_done", { count: formatNumber(r.supporters) }))
      : el("button", { type: "button", className: "button button-primary support-button" }, icon("users", { size: 16 }),
        el("span", {}, t("citizen.me_too")));
    if (!done) action.addEventListener("click", () => this.support(r, action));
    return el("li", { className: "nearby-item", dataset: { code: r.code } },
      thumb,
      el("div", { className: "nearby-text" },
        el("p", { className: "nearby-name" }, r.title),
        el("p", { className: "nearby-meta" }, statusBadge(r.status), el("span", { className: "report-code" }, r.code)),
        el("p", { className: "nearby-meta" }, t("citizen.nearby_meta", {
          metres: formatNumber(Math.round(r.distance_m)), count: formatNumber(r.supporters) })),
        el("div", { className: "nearby-actions" }, action,
          el("a", { className: "link", href: `/track?code=${encodeURIComponent(r.code)}`, target: "_blank", rel: "noopener" },
            t("citizen.view_report")))));
  }

  async support(report, button) {
    button.disabled = true;
    try {
      const result = await api(`/api/v1/reports/${encodeURIComponent(report.code)}/support`, { method: "POST" });
      report.supporters = result.supporters;
      this.supported.add(report.code);
      this.renderNearby();
      const done = $("nearby-list").querySelector(`[data-code="${report.code}"] .support-done`);
      if (done) done.focus?.();
    } catch (err) {
      button.disabled = false;
      this.showError(errorText(err));
    }
  }

  // ---- text, photos, contact -----------------------------------------------------------------

  countChars() {
    const n = $("description-input").value.length;
    $("description-count").textContent = t("citizen.chars", { count: formatNumber(n), max: formatNumber(5000) });
  }

  /** Add chosen files after checking count, size and type, with a message per refusal. */
  addPhotos(fileList) {
    const problems = [];
    for (const file of [...fileList]) {
      if (this.photos.length >= MAX_PHOTOS) {
        problems.push(t("citizen.photo_too_many", { max: MAX_PHOTOS, name: file.name }));
        continue;
      }
      if (!PHOTO_TYPES.has(file.type) && !PHOTO_NAME.test(file.name)) {
        problems.push(t("citizen.photo_bad_type", { name: file.name }));
        continue;
      }
      if (file.size > MAX_PHOTO_BYTES) {
        problems.push(t("citizen.photo_too_big", { name: file.name, size: mb(file.size), max: MAX_PHOTO_BYTES / (1024 * 1024) }));
        continue;
      }
      if (file.size === 0) {
        problems.push(t("citizen.photo_empty", { name: file.name }));
        continue;
      }
      this.photos.push({ file, url: URL.createObjectURL(file) });
    }
    $("photo-input").value = "";
    const box = $("photo-error");
    box.hidden = !problems.length;
    box.replaceChildren(...problems.map((p) => el("span", { className: "error-line" }, p)));
    this.renderPhotos();
  }

  removePhoto(index) {
    const [gone] = this.photos.splice(index, 1);
    if (gone) URL.revokeObjectURL(gone.url);
    $("photo-error").hidden = true;
    this.renderPhotos();
  }

  renderPhotos() {
    const list = $("photo-list");
    list.replaceChildren(...this.photos.map((p, i) => {
      const img = el("img", { src: p.url, alt: p.file.name, width: 84, height: 84 });
      img.addEventListener("error", () => img.replaceWith(el("span", { className: "photo-name" }, p.file.name)), { once: true });
      const remove = el("button", { type: "button", className: "photo-remove", title: t("citizen.photo_remove"),
        "aria-label": t("citizen.photo_remove") }, icon("close", { size: 14 }));
      remove.addEventListener("click", () => this.removePhoto(i));
      return el("li", { className: "photo-item" }, img, remove);
    }));
    const full = this.photos.length >= MAX_PHOTOS;
    $("photo-add").classList.toggle("is-disabled", full);
    $("photo-input").disabled = full;
    $("photo-count").textContent = t("citizen.photo_count", { count: this.photos.length, max: MAX_PHOTOS });
  }

  syncContact() {
    const anonymous = $("anonymous-toggle").checked;
    $("contact-fields").classList.toggle("is-disabled", anonymous);
    for (const id of ["name-input", "phone-input", "email-input", "share-contact"]) {
      $(id).disabled = anonymous;
      if (anonymous) {
        if ($(id).type === "checkbox") $(id).checked = false;
        else $(id).value = "";
      }
    }
  }

  setUser(user) {
    const note = $("account-note");
    note.hidden = !user;
    if (user) note.textContent = t("citizen.signed_in_note", { name: user.full_name || user.username });
  }

  // ---- submission ------------------------------------------------------------------------------

  /** What is missing or wrong before anything is sent: [message, element to focus]. */
  problems() {
    const out = [];
    const where = this.communeMode() ? $("commune-select").value : this.point;
    if (!where) out.push([t(this.communeMode() ? "citizen.need_commune" : "citizen.need_place"), this.communeMode() ? $("commune-select") : $("locate-button")]);
    if (!this.category()) out.push([t("citizen.need_category"), $("category-grid").querySelector("input") || $("category-grid")]);
    const category = this.category();
    for (const q of (category && category.extra_questions) || []) {
      const value = this.answers()[q.code];
      if (q.required && (value === undefined || (Array.isArray(value) && !value.length))) {
        out.push([t("citizen.need_answer", { question: pick(q, "label") }), $(`answer-${q.code}`)]);
      }
    }
    if ($("title-input").value.trim().length < TITLE_MIN) out.push([t("citizen.need_title", { min: TITLE_MIN }), $("title-input")]);
    if (!$("description-input").value.trim()) out.push([t("citizen.need_description"), $("description-input")]);
    return out;
  }

  body() {
    const anonymous = $("anonymous-toggle").checked;
    const text = (id) => $(id).value.trim() || null;
    const body = {
      category: this.category().code,
      title: $("title-input").value.trim(),
      description: $("description-input").value.trim(),
      address: text("address-input"),
      answers: this.answers(),
      anonymous,
      share_contact: !anonymous && $("share-contact").checked,
    };
    if (this.communeMode()) body.commune_code = $("commune-select").value;
    else Object.assign(body, { lon: this.point.lon, lat: this.point.lat });
    if (!anonymous) {
      body.reporter_name = text("name-input");
      body.reporter_phone = text("phone-input");
      body.reporter_email = text("email-input");
    }
    return body;
  }

  async submit() {
    if (this.busy) return;
    this.clearError();
    const problems = this.problems();
    if (problems.length) {
      this.showError(problems.map((p) => p[0]));
      const target = problems[0][1];
      if (target) {
        target.scrollIntoView({ block: "center", behavior: "smooth" });
        target.focus({ preventScroll: true });
      }
      return;
    }
    this.setBusy(true);
    try {
      // Last look for the same problem nearby: "me too" instead of a duplicate.
      if (!this.communeMode() && !this.newAnyway) {
        const nearby = await this.refreshNearby();
        if (nearby.length) {
          this.renderNearby({ attention: true });
          this.showError(t("citizen.nearby_first"));
          $("nearby-panel").scrollIntoView({ block: "start", behavior: "smooth" });
          $("nearby-panel").focus({ preventScroll: true });
          return;
        }
      }
      const data = new FormData();
      data.append("report", JSON.stringify(this.body()));
      for (const p of this.photos) data.append("photos", p.file, p.file.name);
      const created = await api("/api/v1/reports", { method: "POST", body: data, headers: { "Idempotency-Key": this.key } });
      this.showDone(created);
      this.onSubmitted(created);
    } catch (err) {
      this.showServerError(err);
    } finally {
      this.setBusy(false);
    }
  }

  setBusy(busy) {
    this.busy = busy;
    const button = $("submit-button");
    button.disabled = busy;
    this.form.setAttribute("aria-busy", String(busy));
    fill(button.querySelector(".button-label"), t(busy ? "citizen.sending" : "citizen.send"));
  }

  /** The server's own message, verbatim; with its field list for schema errors. */
  showServerError(err) {
    const lines = [errorText(err)];
    if (err instanceof ApiError && Array.isArray(err.body && err.body.errors)) {
      for (const e of err.body.errors.slice(0, 5)) {
        lines.push(`${(e.loc || []).filter((p) => p !== "body" && p !== "report").join(".")}: ${e.msg}`);
      }
    }
    if (err instanceof ApiError && err.status === 0) lines.push(t("citizen.retry_safe"));
    const error = this.showError(lines);
    if (err instanceof ApiError && err.code === "idempotency_key_reused" && err.body && err.body.report_code) {
      error.append(el("a", { className: "link", href: `/track?code=${encodeURIComponent(err.body.report_code)}` },
        t("citizen.open_existing", { code: err.body.report_code })));
      this.key = newIdempotencyKey(); // that report exists; an edited form is a new request
    }
    error.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  showError(lines) {
    const box = $("form-error");
    box.hidden = false;
    box.replaceChildren(...[].concat(lines).map((line) => el("span", { className: "error-line" }, line)));
    return box;
  }

  clearError() {
    $("form-error").hidden = true;
    $("form-error").replaceChildren();
  }

  /** The confirmation: tracking code, private link, agency and deadline. */
  showDone(report) {
    rememberReport({ code: report.code, token: report.private_token, title: report.title });
    const link = privateLink(report.private_token);
    this.form.hidden = true;
    const done = $("report-done");
    done.hidden = false;
    done.dataset.code = report.code;
    $("done-code").textContent = report.code;
    $("done-link").value = link;
    $("done-private").href = link;
    $("done-track").href = `/track?code=${encodeURIComponent(report.code)}`;
    fill($("done-agency"), t("citizen.done_agency", { agency: agencyName(report.agency) }));
    fill($("done-deadline"), deadlineLine(report.deadline));
    fill($("done-why"), routingText(report.routing));
    document.body.dataset.submitted = report.code;
    done.scrollIntoView({ block: "start" });
    done.focus({ preventScroll: true });
  }

  async copy(id) {
    const value = id === "copy-code" ? $("done-code").textContent : $("done-link").value;
    const button = $(id);
    try {
      await navigator.clipboard.writeText(value);
      button.dataset.copied = "1";
      fill(button.querySelector(".button-label"), t("citizen.copied"));
    } catch {
      if (id === "copy-link") $("done-link").select();
    }
  }

  /** A fresh form (new Idempotency-Key) after a successful submission. */
  reset() {
    for (const p of this.photos) URL.revokeObjectURL(p.url);
    this.form.reset();
    this.photos = [];
    this.nearby = [];
    this.supported.clear();
    this.newAnyway = false;
    this.point = null;
    this.place = null;
    this.preview = null;
    this.key = newIdempotencyKey();
    this.pin.element().classList.add("is-unset");
    if (this.accuracy) {
      this.accuracy.remove();
      this.accuracy = null;
    }
    $("gps-note").hidden = true;
    $("report-done").hidden = true;
    this.form.hidden = false;
    delete document.body.dataset.submitted;
    for (const id of ["copy-code", "copy-link"]) {
      delete $(id).dataset.copied;
      fill($(id).querySelector(".button-label"), t(id === "copy-code" ? "citizen.copy_code" : "citizen.copy_link"));
    }
    this.changeMode();
    this.renderAll();
    this.form.scrollIntoView({ block: "start" });
  }
}

function round6(v) {
  return Math.round(v * 1e6) / 1e6;
}

/** Megabytes with one decimal, rounded up: a file just over the limit never reads as "10.0". */
function mb(bytes) {
  return formatNumber(Math.ceil((bytes / (1024 * 1024)) * 10) / 10, 1);
}
