// The track page (/track): follow a report by its code (?code=DM-2026-000123), or open the
// reporter's own view through the private link (#token=..., kept in the fragment so it
// never reaches server logs or Referer headers). Public view: status, agency and why it
// went there, deadline with time left or overdue, photos and the public timeline. Private
// view adds the reporter's contact and, after resolution, confirm or dispute with a rating.
//
// <body data-ready="1"> once the page is set up; data-view="public"|"private" once a report
// is shown. DOM nodes and textContent only.

import { api, ApiError, errorText } from "./api.js";
import { AuthControl } from "./auth.js";
import { el, fill } from "./dom.js";
import { applyI18n, formatDateTime, formatNumber, onLangChange, t, toggleLang } from "./i18n.js";
import { icon, pinNode } from "./icons.js";
import { centreOn, createMap, nodeMarker } from "./map.js";
import { forgetReports, myReports } from "./my-reports.js";
import { drawCommunes } from "./reports-layer.js";
import {
  OPEN_STATUSES, agencyName, answerFacts, categoryChip, deadlineChip, deadlineLine, factList, photoStrip,
  rejectReasonLabel, routingText, statusBadge, timelineList,
} from "./report-view.js";

const CODE = /^DM-[0-9]{4}-[0-9]{6,9}$/;
const $ = (id) => document.getElementById(id);

class TrackPage {
  constructor() {
    this.report = null;
    this.token = null;
    this.map = null;
    this.marker = null;
    this.supported = new Set();
    this.categories = new Map(); // code -> category with its extra questions (labels of answers)
    $("track-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.search();
    });
    $("respond-form").addEventListener("change", () => {
      $("respond-error").hidden = true;
    });
    $("respond-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.respond();
    });
    $("support-button").addEventListener("click", () => this.support());
    $("forget-mine").addEventListener("click", () => {
      forgetReports(); // a shared phone: the private links go with the list
      this.renderMine();
    });
    window.addEventListener("hashchange", () => this.route());
    onLangChange(() => {
      this.renderMine();
      if (this.report) this.render();
    });
    this.buildStars();
  }

  /** Open what the address asks for: a private token, a code, or nothing yet. */
  async route() {
    const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
    const code = new URLSearchParams(window.location.search).get("code");
    if (token) await this.openPrivate(token);
    else if (code) {
      $("track-code").value = code;
      await this.openCode(code);
    }
    this.renderMine();
  }

  async search() {
    const code = $("track-code").value.trim().toUpperCase();
    $("track-code").value = code;
    if (!CODE.test(code)) {
      this.showError(t("track.bad_code"));
      return;
    }
    history.replaceState(null, "", `/track?code=${encodeURIComponent(code)}`);
    await this.openCode(code);
  }

  async openCode(code) {
    this.token = null;
    await this.load(`/api/v1/reports/${encodeURIComponent(code.trim().toUpperCase())}`);
  }

  async openPrivate(token) {
    this.token = token;
    await this.load(`/api/v1/reports/private/${encodeURIComponent(token)}`);
  }

  async load(path) {
    this.showError(null);
    document.body.dataset.loading = "1";
    try {
      this.report = await api(path);
      this.render();
    } catch (err) {
      this.report = null;
      $("track-result").hidden = true;
      delete document.body.dataset.view;
      this.showError(err instanceof ApiError && err.status === 404
        ? (this.token ? t("track.bad_link") : t("track.not_found")) : errorText(err));
    } finally {
      delete document.body.dataset.loading;
    }
  }

  showError(message) {
    const box = $("track-error");
    box.hidden = !message;
    box.textContent = message || "";
  }

  renderMine() {
    const mine = myReports();
    $("my-reports").hidden = !mine.length;
    $("my-reports-list").replaceChildren(...mine.map((r) => el("li", { dataset: { code: r.code } },
      el("a", { href: `/track#token=${encodeURIComponent(r.token)}`, className: "my-report" },
        el("span", { className: "report-code" }, r.code),
        el("span", { className: "my-report-title" }, r.title || ""),
        el("span", { className: "muted small" }, r.at ? formatDateTime(r.at) : "")))));
  }

  render() {
    const r = this.report;
    const isPrivate = Boolean(this.token);
    document.body.dataset.view = isPrivate ? "private" : "public";
    $("track-result").hidden = false;
    $("track-result").dataset.code = r.code;
    $("track-result").dataset.status = r.status;
    $("private-banner").hidden = !isPrivate;
    $("result-code").textContent = r.code;
    fill($("result-badges"), statusBadge(r.status), deadlineChip(r.deadline),
      r.escalated ? el("span", { className: "tag tag-warn" }, t("track.escalated")) : null);
    $("result-title").textContent = r.title;
    fill($("result-category"), categoryChip(r.category));
    $("result-description").textContent = r.description || (r.text_hidden ? t("track.text_hidden") : "");
    fill($("result-photos"), r.photos.length ? photoStrip(r) : null);
    fill($("result-facts"), factList([
      [t("track.received"), formatDateTime(r.received_at), "received"],
      [t("track.commune"), r.commune.name, "commune"],
      [t("track.address"), r.address, "address"],
      [t("track.place"), r.location.precision === "commune" ? t("track.place_commune") : `${r.location.lat.toFixed(5)}, ${r.location.lon.toFixed(5)}`, "place"],
      [t("track.supporters"), formatNumber(r.supporters), "supporters"],
      [t("track.resolved"), r.resolved_at ? formatDateTime(r.resolved_at) : null, "resolved"],
      [t("track.closed"), r.closed_at ? formatDateTime(r.closed_at) : null, "closed"],
      [t("track.closure"), r.closure ? t(`closure.${r.closure}`) : null, "closure"],
      [t("track.reject_reason"), r.reject_reason ? rejectReasonLabel(r.reject_reason) : null, "reject"],
      [t("track.duplicate_of"), r.duplicate_of ? el("a", { href: `/track?code=${encodeURIComponent(r.duplicate_of)}` }, r.duplicate_of) : null, "duplicate"],
      [t("track.rating_given"), r.citizen_rating ? t("track.stars", { n: r.citizen_rating }) : null, "rating"],
      ...answerFacts(r.answers, this.categories.get(r.category.code)),
    ]));
    this.loadCategory(r);
    fill($("result-agency"), icon("building2", { size: 18 }), el("strong", { dataset: { agency: r.agency.code } }, agencyName(r.agency)));
    $("result-routing").textContent = routingText(r.routing);
    $("result-deadline").textContent = deadlineLine(r.deadline);
    fill($("result-timeline"), timelineList(r.timeline));
    this.renderSupport();
    this.renderPrivate();
    this.renderMap();
  }

  /** The category's question labels, fetched once when the report has answers to show. */
  async loadCategory(r) {
    const code = r.category.code;
    if (!Object.keys(r.answers || {}).length || this.categories.has(code)) return;
    this.categories.set(code, null);
    try {
      this.categories.set(code, await api(`/api/v1/feedback/categories/${encodeURIComponent(code)}`));
      if (this.report && this.report.category.code === code) this.render();
    } catch {
      // the codes stay as labels
    }
  }

  renderSupport() {
    const r = this.report;
    const open = OPEN_STATUSES.includes(r.status) && !this.token;
    $("support-box").hidden = !open;
    $("support-count").textContent = t("track.support_count", { count: formatNumber(r.supporters) });
    const done = this.supported.has(r.code);
    $("support-button").disabled = done;
    fill($("support-button").querySelector(".button-label"), t(done ? "track.supported" : "citizen.me_too"));
  }

  async support() {
    const r = this.report;
    $("support-button").disabled = true;
    try {
      const result = await api(`/api/v1/reports/${encodeURIComponent(r.code)}/support`, { method: "POST" });
      r.supporters = result.supporters;
      this.supported.add(r.code);
      this.render();
    } catch (err) {
      $("support-button").disabled = false;
      this.showError(errorText(err));
    }
  }

  renderPrivate() {
    const r = this.report;
    const isPrivate = Boolean(this.token);
    $("my-contact").hidden = !isPrivate;
    if (isPrivate) {
      const c = r.reporter || {};
      const none = !c.name && !c.phone && !c.email;
      fill($("contact-facts"), none ? el("p", { className: "muted" }, t("track.no_contact")) : factList([
        [t("citizen.name"), c.name], [t("citizen.phone"), c.phone], [t("citizen.email"), c.email],
        [t("track.shared"), t(c.share_contact ? "track.shared_yes" : "track.shared_no")],
      ]));
    }
    const respond = isPrivate && r.can_respond;
    $("respond-section").hidden = !respond;
    if (respond) $("respond-until").textContent = t("track.respond_until", { date: formatDateTime(r.respond_until) });
  }

  renderMap() {
    const r = this.report;
    if (!this.map) {
      this.map = createMap($("track-map"));
      new ResizeObserver(() => this.map.invalidateSize({ pan: false })).observe($("track-map"));
      drawCommunes(this.map).catch(() => {}); // context only: the marker matters
    }
    if (this.marker) this.marker.remove();
    this.marker = nodeMarker(this.map, r.location.lon, r.location.lat, pinNode(),
      { size: [36, 48], anchor: [18, 46], className: "pin-marker", title: r.code });
    centreOn(this.map, r.location.lon, r.location.lat, r.location.precision === "commune" ? 12 : 16, { animate: false });
  }

  buildStars() {
    const box = $("rating").querySelector(".stars");
    box.replaceChildren(...[1, 2, 3, 4, 5].map((n) => el("label", { className: "star", for: `rating-${n}`, title: String(n) },
      el("input", { type: "radio", name: "rating", value: String(n), id: `rating-${n}`, className: "visually-hidden" }),
      el("span", { className: "star-shape", "aria-hidden": "true" }, "★"),
      el("span", { className: "visually-hidden" }, String(n)))));
  }

  async respond() {
    const form = $("respond-form");
    const outcome = (form.querySelector("input[name='outcome']:checked") || {}).value;
    const rating = Number((form.querySelector("input[name='rating']:checked") || {}).value);
    const box = $("respond-error");
    if (!outcome || !rating) {
      box.hidden = false;
      box.textContent = t(!outcome ? "track.need_outcome" : "track.need_rating");
      return;
    }
    box.hidden = true;
    const button = $("respond-submit");
    button.disabled = true;
    try {
      const comment = $("respond-comment").value.trim() || null;
      this.report = await api(`/api/v1/reports/private/${encodeURIComponent(this.token)}/feedback`,
        { method: "POST", body: { outcome, rating, comment } });
      form.reset();
      this.render();
      $("track-result").scrollIntoView({ block: "start" });
    } catch (err) {
      box.hidden = false;
      box.textContent = errorText(err);
    } finally {
      button.disabled = false;
    }
  }
}

async function start() {
  applyI18n(document);
  $("lang-toggle").addEventListener("click", toggleLang);
  const auth = new AuthControl($("auth"));
  const page = new TrackPage();
  window.iocmapTrack = { page, auth };
  await auth.restore();
  await page.route();
  document.body.dataset.ready = "1";
}

start();
