// The cases behind a number: a KPI click fetches its `link` (GET /api/v1/analytics/cases,
// or the incidents map API for incidents by type), lists the cases (code, status, category
// or type, commune, agency, date) and filters the live map to exactly them; a row click
// zooms to the case and opens its popup. "Clear" gives the live map back.
//
// <body data-cases="<count>"> once a list is shown (tests); the list has one <li> per case.

import { el, fill } from "./dom.js";
import { formatDateTime, formatNumber } from "./i18n.js";
import { incidentBadge } from "./ioc-layers.js";
import { statusBadge } from "./report-view.js";

/** A feature of either endpoint as a flat case: {kind, code, status, lon, lat, ...}. */
export function toCase(feature) {
  const p = feature.properties || {};
  const kind = p.type_of_case || (/^SC-/.test(p.code || "") ? "incident" : "report");
  const g = feature.geometry || {};
  const point = g.type === "Point" ? g.coordinates : [p.lon, p.lat];
  return {
    ...p,
    kind,
    code: p.code || feature.id,
    commune: p.commune_code || p.commune,
    incident_type: kind === "incident" ? p.type : undefined,
    when: p.received_at || p.occurred_at,
    lon: Number(point[0]),
    lat: Number(point[1]),
    geometry: kind === "incident" ? feature.geometry : undefined,
    overdue: p.overdue_now ?? p.overdue,
  };
}

export class CaseList {
  constructor(root, { tr, api, lookups, layers, chip, chipText, onShown }) {
    Object.assign(this, { root, tr, api, lookups, layers, chip, chipText, onShown });
    this.current = null; // {url, label, cases, meta}
    this.seq = 0;
    this.error = null;
    this.chip.querySelector("button").addEventListener("click", () => this.clear());
    this.render();
  }

  async open({ url, label }) {
    const seq = ++this.seq;
    this.current = { url, label, cases: null, meta: null };
    this.error = null;
    this.render();
    try {
      const data = await this.api.api(url);
      if (seq !== this.seq) return;
      this.current.cases = (data.features || []).map(toCase);
      this.current.meta = data.meta || null;
      this.layers.setFilter(this.current.cases);
    } catch (err) {
      if (seq !== this.seq) return;
      this.error = this.api.errorText(err);
    }
    this.render();
    document.body.dataset.cases = String(this.current.cases ? this.current.cases.length : 0);
    if (this.onShown) this.onShown(this.current);
  }

  clear() {
    this.seq += 1;
    this.current = null;
    this.layers.clearFilter();
    delete document.body.dataset.cases;
    this.render();
  }

  render() {
    const { tr } = this;
    const c = this.current;
    this.chip.hidden = !(c && c.cases);
    if (c && c.cases) this.chipText.textContent = tr("ioc.map_filtered", { label: c.label, count: formatNumber(c.cases.length) });
    if (!c) {
      fill(this.root, el("h2", { className: "ioc-panel-title" }, tr("ioc.cases_title")),
        el("p", { className: "muted" }, tr("ioc.cases_hint")));
      return;
    }
    const head = [
      el("div", { className: "ioc-cases-head" },
        el("h2", { className: "ioc-panel-title", id: "cases-title" }, c.label),
        el("button", { type: "button", className: "button button-small", id: "cases-clear" }, tr("ioc.cases_clear"))),
    ];
    head[0].querySelector("#cases-clear").addEventListener("click", () => this.clear());
    if (this.error) {
      fill(this.root, ...head, el("p", { className: "form-error", role: "alert" }, this.error));
      return;
    }
    if (!c.cases) {
      fill(this.root, ...head, el("p", { className: "muted" }, tr("ioc.cases_loading")));
      return;
    }
    const count = c.cases.length;
    const facts = [el("span", { id: "cases-count" }, tr("ioc.cases_count", { count: formatNumber(count) }))];
    if (c.meta && c.meta.truncated) facts.push(" · ", tr("ioc.cases_truncated", { count: formatNumber(count) }));
    if (c.meta && c.meta.start) {
      facts.push(" · ", tr("ioc.cases_period", { from: formatDateTime(c.meta.start), to: formatDateTime(c.meta.as_of || c.meta.end) }));
    }
    const list = el("ul", { className: "ioc-case-list", id: "cases-list" },
      count ? c.cases.map((x) => this.row(x)) : el("li", { className: "muted" }, tr("ioc.cases_empty")));
    fill(this.root, ...head, el("p", { className: "muted small" }, facts), list);
  }

  row(c) {
    const { tr, lookups } = this;
    const what = c.kind === "incident" ? lookups.incidentType(c.incident_type) : lookups.categoryName(c.category);
    const badge = c.kind === "incident" ? incidentBadge(c.status, tr) : statusBadge(c.status);
    const button = el("button", { type: "button", className: "ioc-case" },
      el("span", { className: "ioc-case-top" }, el("span", { className: "report-code" }, c.code), badge,
        c.overdue ? el("span", { className: "tag tag-warn" }, tr("ioc.overdue")) : null),
      el("span", { className: "ioc-case-meta muted" },
        [what, c.commune ? lookups.communeName(c.commune) : null, c.agency ? lookups.agencyName(c.agency) : null,
          c.when ? formatDateTime(c.when) : null].filter(Boolean).join(" · ")));
    button.addEventListener("click", () => {
      this.layers.focus(c.kind, c.code);
      document.body.dataset.view = "map";
    });
    return el("li", { dataset: { code: c.code, kind: c.kind, status: c.status } }, button);
  }
}
