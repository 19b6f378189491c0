// The officers' inbox (/officer): cases of the officer's agencies (all for leaders and
// admins) with filters (status, overdue, due soon, category, commune, mine), a map of the
// same cases, bulk assignment, and the case panel (case-panel.js) to act on one case.
//
// Citizens and visitors see why they cannot use it (every API call checks the role again).
// <body data-access> is "granted", "signed-out" or "denied"; <body data-ready="1"> once the
// first page of the inbox has loaded; data-pane is "map" or "case".
// window.iocmapInbox = {app} is there for debugging.

import { api, errorText } from "./api.js";
import { el, fill, setOptions } from "./dom.js";
import { runGatedPage } from "./gate.js";
import { applyI18n, formatNumber, onLangChange, pick, t } from "./i18n.js";
import { icon } from "./icons.js";
import { centreOn, createMap, fitToLayer } from "./map.js";
import { CasePanel } from "./case-panel.js";
import { ReportsLayer, drawCommunes } from "./reports-layer.js";
import { STATUSES, categoryName, deadlineChip, statusBadge, statusLabel, statusLegend } from "./report-view.js";

const STAFF_ROLES = ["officer", "leader", "admin"];
const DEFAULT_STATUSES = ["received", "assigned", "in_progress", "resolved"];
const PAGE = 50;
const SOON_HOURS = 48;
const SORTS = ["due_at", "-received_at", "received_at", "-due_at"];
const CODE = /^DM-[0-9]{4}-[0-9]{6,9}$/;
const $ = (id) => document.getElementById(id);

class InboxApp {
  constructor(user) {
    this.user = user;
    this.items = [];
    this.total = 0;
    this.offset = 0;
    this.selected = new Set();
    this.categories = [];
    this.communes = [];
    this.statuses = new Set(DEFAULT_STATUSES);
    this.seq = 0;
    this.knownAssignees = new Set();
    this.knownAgencies = new Map();
    this.casePanel = new CasePanel($("case-view"), {
      user,
      categories: () => this.categories,
      onChanged: (report) => this.changed(report),
      onClose: () => this.closeCase(),
      onLocate: (report) => {
        this.closeCase();
        document.body.classList.add("show-inbox-map");
        centreOn(this.map, report.location.lon, report.location.lat, 17);
      },
    });
    this.map = createMap($("inbox-map"));
    new ResizeObserver(() => this.map.invalidateSize({ pan: false })).observe($("inbox-map"));
    this.layer = new ReportsLayer(this.map, {
      source: "/api/v1/inbox/map",
      params: () => this.query({ paging: false }),
      onOpen: (code) => this.openCase(code),
      onStatus: (message, kind) => {
        const chip = $("inbox-map-status");
        chip.hidden = !message;
        chip.textContent = message || "";
        chip.dataset.kind = kind || "info";
      },
    });

    for (const id of ["filter-category", "filter-commune", "filter-overdue", "filter-soon", "filter-mine", "filter-sort"]) {
      $(id).addEventListener("change", () => this.reload());
    }
    $("inbox-refresh").addEventListener("click", () => this.reload({ keepCase: true }));
    $("inbox-more").addEventListener("click", () => this.loadPage(this.offset + PAGE));
    $("select-all").addEventListener("change", (e) => this.selectAll(e.target.checked));
    $("bulk-assign").addEventListener("click", () => this.bulkAssign());
    $("open-code-button").addEventListener("click", () => this.openTyped());
    $("open-code").addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.openTyped();
    });
    $("show-map").addEventListener("click", () => document.body.classList.add("show-inbox-map"));
    $("hide-map").addEventListener("click", () => document.body.classList.remove("show-inbox-map"));
    onLangChange(() => this.renderAll());
  }

  async start() {
    const [categories, communes, rules] = await Promise.all([
      api("/api/v1/feedback/categories"),
      api("/api/v1/communes"),
      api("/api/v1/feedback/routing-rules").catch(() => []),
    ]);
    this.categories = categories;
    this.communes = (communes.features || []).map((f) => ({ code: f.properties.code, name: f.properties.name }))
      .sort((a, b) => a.name.localeCompare(b.name, "vi"));
    for (const rule of rules) if (rule.agency) this.knownAgencies.set(rule.agency.code, rule.agency);
    for (const agency of this.user.agencies || []) this.knownAgencies.set(agency.code, agency);
    this.knownAssignees.add(this.user.username);
    this.renderAll();
    const outlines = await drawCommunes(this.map);
    fitToLayer(this.map, outlines, { padding: 12 });
    await Promise.all([this.loadPage(0), this.layer.start()]);
    this.listen();
    const hash = new URLSearchParams(window.location.hash.slice(1)).get("case");
    if (hash && CODE.test(hash)) this.openCase(hash);
  }

  renderAll() {
    const agencies = this.user.agencies || [];
    $("inbox-scope").textContent = ["leader", "admin"].includes(this.user.role) ? t("inbox.scope_all")
      : agencies.map((a) => pick(a, "name")).join(", ");
    this.renderStatusChips();
    setOptions($("filter-category"), [["", t("inbox.all_categories")], ...this.categories.map((c) => [c.code, categoryName(c)])],
      $("filter-category").value);
    setOptions($("filter-commune"), [["", t("inbox.all_communes")], ...this.communes.map((c) => [c.code, c.name])],
      $("filter-commune").value);
    setOptions($("filter-sort"), SORTS.map((s) => [s, t(`inbox.sort_${s.replace("-", "desc_")}`)]), $("filter-sort").value || "due_at");
    fill($("inbox-legend"), statusLegend());
    this.renderList();
    this.renderDatalists();
    if (this.casePanel.report) this.casePanel.render();
  }

  renderStatusChips() {
    fill($("status-filter"), ...STATUSES.map((s) => {
      const on = this.statuses.has(s);
      const chip = el("button", { type: "button", className: `status-chip status-${s}`, dataset: { status: s },
        "aria-pressed": String(on) }, statusLabel(s));
      chip.addEventListener("click", () => {
        if (this.statuses.has(s)) this.statuses.delete(s);
        else this.statuses.add(s);
        this.renderStatusChips();
        this.reload();
      });
      return chip;
    }));
  }

  renderDatalists() {
    setOptions($("assignee-options"), [...this.knownAssignees].sort().map((u) => [u, u]));
    setOptions($("agency-options"), [...this.knownAgencies.values()].sort((a, b) => a.code.localeCompare(b.code))
      .map((a) => [a.code, pick(a, "name")]));
  }

  /** The filter as query parameters (the list pages; the map takes the same filter). */
  query({ paging = true, offset = 0 } = {}) {
    const q = [];
    for (const s of STATUSES) if (this.statuses.has(s)) q.push(["status", s]);
    if ($("filter-category").value) q.push(["category", $("filter-category").value]);
    if ($("filter-commune").value) q.push(["commune", $("filter-commune").value]);
    if ($("filter-overdue").checked) q.push(["overdue", "true"]);
    if ($("filter-soon").checked) q.push(["due_within_hours", String(SOON_HOURS)]);
    if ($("filter-mine").checked) q.push(["assignee", "me"]);
    if (paging) q.push(["sort", $("filter-sort").value || "due_at"], ["limit", String(PAGE)], ["offset", String(offset)]);
    return q;
  }

  async reload({ keepCase = false, keepSelection = false } = {}) {
    if (!keepSelection) this.selected.clear();
    await Promise.all([this.loadPage(0), this.layer.reload()]);
    if (keepSelection) {
      const shown = new Set(this.items.map((r) => r.code));
      for (const code of [...this.selected]) if (!shown.has(code)) this.selected.delete(code);
      this.renderBulk();
    }
    if (keepCase && this.casePanel.report) this.casePanel.open(this.casePanel.report.code);
  }

  /**
   * Live updates (server-sent events of the agency's reports): new and moved reports refresh
   * the list and the map a moment later, keeping the selection. The open case is not
   * reloaded under the officer's hands; the case panel says it changed instead.
   */
  listen() {
    if (!window.EventSource) return;
    const source = new EventSource("/api/v1/events");
    source.addEventListener("open", () => {
      document.body.dataset.live = "1";
      $("inbox-live").hidden = false;
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) {
        delete document.body.dataset.live;
        $("inbox-live").hidden = true;
      }
    });
    source.addEventListener("message", (e) => {
      let event;
      try {
        event = JSON.parse(e.data);
      } catch {
        return;
      }
      if (!event || typeof event.kind !== "string" || !event.kind.startsWith("report.")) return;
      clearTimeout(this.liveTimer);
      this.liveTimer = setTimeout(() => this.reload({ keepSelection: true }), 1200);
      this.casePanel.noticeChange(event);
    });
    this.events = source;
  }

  async loadPage(offset) {
    if (!this.statuses.size) {
      this.items = [];
      this.total = 0;
      this.renderList();
      return;
    }
    const seq = ++this.seq;
    $("inbox-list").setAttribute("aria-busy", "true");
    try {
      const page = await api(`/api/v1/inbox?${new URLSearchParams(this.query({ offset }))}`);
      if (seq !== this.seq) return;
      this.items = offset ? [...this.items, ...page.items] : page.items;
      this.total = page.total;
      this.offset = offset;
      for (const r of page.items) {
        if (r.assignee) this.knownAssignees.add(r.assignee.username);
        this.knownAgencies.set(r.agency.code, r.agency);
      }
      $("inbox-error").hidden = true;
    } catch (err) {
      if (seq !== this.seq) return;
      $("inbox-error").hidden = false;
      $("inbox-error").textContent = errorText(err);
    } finally {
      $("inbox-list").setAttribute("aria-busy", "false");
    }
    this.renderList();
    this.renderDatalists();
  }

  renderList() {
    const list = $("inbox-list");
    const current = this.casePanel.report && this.casePanel.report.code;
    list.replaceChildren(...this.items.map((r) => this.row(r, r.code === current)));
    if (!this.items.length) list.append(el("li", { className: "inbox-empty muted" }, t("inbox.empty")));
    $("inbox-total").textContent = t("inbox.total", { count: formatNumber(this.total) });
    $("inbox-more").hidden = this.items.length >= this.total;
    this.renderBulk();
  }

  row(r, current) {
    const check = el("input", { type: "checkbox", className: "row-check", checked: this.selected.has(r.code),
      "aria-label": t("inbox.select_case", { code: r.code }) });
    check.addEventListener("change", () => {
      if (check.checked) this.selected.add(r.code);
      else this.selected.delete(r.code);
      this.renderBulk();
    });
    const open = el("button", { type: "button", className: "row-open" },
      el("span", { className: "row-top" },
        el("span", { className: "report-code" }, r.code), statusBadge(r.status), deadlineChip(r.deadline)),
      el("span", { className: "row-title" }, r.title),
      el("span", { className: "row-meta" },
        icon(r.category.icon, { size: 14 }), categoryName(r.category), " · ", r.commune.name,
        r.assignee ? ` · ${r.assignee.username}` : "",
        r.supporters ? el("span", { className: "row-support" }, icon("users", { size: 14 }), formatNumber(r.supporters)) : null,
        r.escalated ? el("span", { className: "tag tag-warn" }, t("inbox.escalated_short")) : null));
    open.addEventListener("click", () => this.openCase(r.code));
    return el("li", { className: `inbox-row${current ? " is-current" : ""}${r.deadline.overdue ? " is-overdue" : ""}`,
      dataset: { code: r.code, status: r.status } }, check, open);
  }

  selectAll(on) {
    for (const r of this.items) {
      if (on) this.selected.add(r.code);
      else this.selected.delete(r.code);
    }
    this.renderList();
  }

  renderBulk() {
    const n = this.selected.size;
    $("bulk-bar").hidden = !n;
    $("bulk-count").textContent = t("inbox.selected", { count: n });
    $("select-all").checked = n > 0 && this.items.every((r) => this.selected.has(r.code));
  }

  async bulkAssign() {
    const assignee = $("bulk-assignee").value.trim().toLowerCase();
    const error = $("bulk-error");
    if (!assignee) {
      error.hidden = false;
      error.textContent = t("inbox.need_assignee");
      return;
    }
    $("bulk-assign").disabled = true;
    error.hidden = true;
    try {
      const done = await api("/api/v1/inbox/assign", { method: "POST", body: { codes: [...this.selected], assignee } });
      this.selected.clear();
      $("bulk-assignee").value = "";
      await this.reload({ keepCase: true });
      this.flash(t("inbox.bulk_done", { count: done.items.length, who: assignee }));
    } catch (err) {
      error.hidden = false;
      error.textContent = errorText(err);
    } finally {
      $("bulk-assign").disabled = false;
    }
  }

  flash(message) {
    const box = $("inbox-error");
    box.hidden = false;
    box.classList.add("is-ok");
    box.textContent = message;
    setTimeout(() => {
      box.classList.remove("is-ok");
      box.hidden = true;
    }, 4000);
  }

  openTyped() {
    const code = $("open-code").value.trim().toUpperCase();
    if (CODE.test(code)) this.openCase(code);
    else {
      $("inbox-error").hidden = false;
      $("inbox-error").textContent = t("track.bad_code");
    }
  }

  openCase(code) {
    document.body.dataset.pane = "case";
    history.replaceState(null, "", `#case=${encodeURIComponent(code)}`);
    this.casePanel.open(code);
    for (const row of $("inbox-list").children) row.classList.toggle("is-current", row.dataset.code === code);
  }

  closeCase() {
    this.casePanel.close();
    document.body.dataset.pane = "map";
    history.replaceState(null, "", window.location.pathname);
    for (const row of $("inbox-list").querySelectorAll(".is-current")) row.classList.remove("is-current");
    this.map.invalidateSize({ pan: false });
  }

  /** A case moved: refresh its row in place and the map (the filter may now exclude it). */
  changed(report) {
    const i = this.items.findIndex((r) => r.code === report.code);
    if (i >= 0) this.items[i] = report;
    if (report.assignee) this.knownAssignees.add(report.assignee.username);
    this.renderList();
    this.renderDatalists();
    this.layer.reload();
  }
}

async function start() {
  applyI18n(document);
  await runGatedPage({
    roles: STAFF_ROLES, prefix: "inbox", text: t,
    keys: {
      signedOutTitle: "inbox.gate_signed_out_title", signedOut: "inbox.gate_signed_out",
      deniedTitle: "inbox.gate_denied_title", denied: "inbox.gate_denied",
    },
    create: (user) => {
      const app = new InboxApp(user);
      window.iocmapInbox = { app, map: app.map };
      return app;
    },
    failed: (err) => {
      $("inbox-error").hidden = false;
      $("inbox-error").textContent = errorText(err);
    },
  });
}

start();
