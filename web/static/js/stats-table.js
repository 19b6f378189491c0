// The statistics table: one row per agency, commune or category and a headline row for
// the whole district, sortable by any column. Every number cell carries the API's raw
// value in data-value ("" when withheld) so what is shown can be checked against the API.
// A group under the minimum case count shows its counts, no rank and no rates, and says
// why; a rate withheld for a small base of its own shows the dash with the reason as title.

import { el, fill } from "./dom.js";
import * as fmt from "./stats-format.js";
import { getLang, t } from "./i18n.js";

/** The columns in order: key, label key, how to write the value, whether it is a rate. */
export const COLUMNS = [
  { key: "rank", label: "stats.col_rank", write: fmt.count },
  { key: "name" }, // labelled by the grouping: agency, commune or category
  { key: "received", label: "stats.col_received", write: fmt.count },
  { key: "resolved", label: "stats.col_resolved", write: fmt.count },
  { key: "on_time_pct", label: "stats.col_on_time", write: fmt.pct, rate: true },
  { key: "median_hours", label: "stats.col_median", write: fmt.duration, rate: true, hours: true },
  { key: "p90_hours", label: "stats.col_p90", write: fmt.duration, rate: true, hours: true },
  { key: "overdue_now", label: "stats.col_overdue", write: fmt.count },
  { key: "satisfaction", label: "stats.col_satisfaction", write: fmt.rating, rate: true },
  { key: "dispute_rate_pct", label: "stats.col_dispute", write: fmt.pct, rate: true },
];

/** Rows in the order asked for; withheld values always last, then the API's own order. */
export function sortGroups(groups, sort, dir) {
  const sign = dir === "desc" ? -1 : 1;
  const value = (g) => (sort === "name" ? fmt.groupName(g) : g[sort]);
  return groups
    .map((g, index) => ({ g, index }))
    .sort((a, b) => {
      const va = value(a.g);
      const vb = value(b.g);
      const noA = va === null || va === undefined;
      const noB = vb === null || vb === undefined;
      if (noA || noB) return noA && noB ? a.index - b.index : noA ? 1 : -1;
      if (va !== vb) return sign * (typeof va === "string" ? va.localeCompare(vb, getLang()) : va - vb);
      return a.index - b.index;
    })
    .map(({ g }) => g);
}

export class StatsTable {
  /** `onSort(key)` when a header is pressed; `onPick(group)` when a group's trend is asked for. */
  constructor(table, { onSort, onPick }) {
    this.table = table;
    this.onSort = onSort;
    this.onPick = onPick;
  }

  render(data, { sort, dir, captionText }) {
    const minCases = data.min_cases;
    fill(this.table,
      el("caption", { id: `${this.table.id}-caption` }, captionText),
      el("thead", {}, el("tr", {}, ...COLUMNS.map((c) => this.headerCell(c, sort, dir, data.group_by)))),
      el("tbody", { className: "stats-total" }, this.row(
        { key: "", name_vi: t("stats.district_total"), name_en: t("stats.district_total"), rank: null, ...data.total },
        minCases, { total: true })),
      el("tbody", { className: "stats-groups" },
        ...sortGroups(data.groups, sort, dir).map((g) => this.row(g, minCases, {}))));
  }

  headerCell(column, sort, dir, groupBy) {
    const active = column.key === sort;
    const ariaSort = active ? (dir === "desc" ? "descending" : "ascending") : null;
    const button = el("button", { type: "button", className: "sort-button", dataset: { sort: column.key } },
      el("span", {}, t(column.label || `stats.group_${groupBy}`)),
      el("span", { className: "sort-mark", "aria-hidden": "true" }, active ? (dir === "desc" ? "▼" : "▲") : "↕"));
    button.addEventListener("click", () => this.onSort(column.key));
    return el("th", {
      scope: "col",
      className: column.key === "name" ? "col-name" : "col-num",
      "aria-sort": ariaSort,
      dataset: { col: column.key },
    }, button);
  }

  row(g, minCases, { total }) {
    const withheldReason = t("stats.withheld_metric", { min: minCases });
    const nameCell = el("th", { scope: "row", className: "col-name", dataset: { col: "name" } });
    if (total) {
      nameCell.append(el("span", { className: "group-name" }, fmt.groupName(g)));
    } else {
      const pick = el("button", { type: "button", className: "group-name link-button", title: t("stats.show_trend") },
        fmt.groupName(g));
      pick.addEventListener("click", () => this.onPick(g));
      nameCell.append(pick);
    }
    if (g.suppressed) {
      nameCell.append(el("span", { className: "suppressed-note" }, t("stats.suppressed_row", { min: minCases })));
    }
    const cells = COLUMNS.filter((c) => c.key !== "name").map((c) => {
      const value = c.key === "rank" && total ? null : g[c.key];
      const withheld = c.rate && value === null && (g.suppressed_metrics || []).includes(c.key);
      const cell = el("td", {
        className: `col-num${withheld ? " is-withheld" : ""}`,
        dataset: { col: c.key, value: value === null || value === undefined ? "" : String(value) },
        title: withheld ? withheldReason : c.hours ? fmt.exactHours(value) : null,
      }, c.key === "rank" && total ? "" : c.write(value));
      if (withheld) cell.append(el("span", { className: "visually-hidden" }, ` (${withheldReason})`));
      return cell;
    });
    cells.splice(1, 0, nameCell); // rank, name, numbers
    return el("tr", {
      className: total ? "total-row" : g.suppressed ? "is-suppressed" : "",
      dataset: { key: g.key, suppressed: String(Boolean(g.suppressed)) },
    }, ...cells);
  }
}
