// What the statistics page (/stats) shows, as plain data: the period (a preset or custom
// dates, in Vietnamese calendar days like the API), the grouping, the sort and the group
// whose trend is drawn. The state lives in the query string so a shared link opens the
// same view: /stats?period=custom&start=2025-01-01&end=2025-06-30&group=commune.
// Pure functions on ISO date strings: no DOM, no fetch.

export const PRESETS = ["month", "30d", "year", "12m", "custom"];
export const GROUPS = ["agency", "commune", "category"];
export const SORTS = ["rank", "name", "received", "resolved", "on_time_pct", "median_hours", "p90_hours",
  "overdue_now", "satisfaction", "dispute_rate_pct"];
export const DEFAULT_PRESET = "12m";
export const DEFAULT_SORT = "rank";
const MAX_DAYS = 5 * 366; // the API's longest period
const MIN_TREND_MONTHS = 12; // a short period still gets a year of context in the charts
const MAX_TREND_MONTHS = 60;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const GROUP_KEY = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Today's date in Viet Nam (the API's calendar), YYYY-MM-DD, whatever the device's zone. */
export function todayInVietnam(now = new Date()) {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Asia/Ho_Chi_Minh", year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(now);
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

function toDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function toIso(day) {
  return day.toISOString().slice(0, 10);
}

/** A real calendar day written YYYY-MM-DD (2025-02-30 is not). */
export function isDay(value) {
  return typeof value === "string" && ISO_DAY.test(value) && toIso(toDate(value)) === value;
}

export function addDays(iso, days) {
  const day = toDate(iso);
  day.setUTCDate(day.getUTCDate() + days);
  return toIso(day);
}

/** The first day of iso's month, moved by `shift` months. */
export function monthStart(iso, shift = 0) {
  const [y, m] = iso.split("-").map(Number);
  return toIso(new Date(Date.UTC(y, m - 1 + shift, 1)));
}

/** Calendar days from start to end, both included. */
export function daysBetween(start, end) {
  return Math.round((toDate(end) - toDate(start)) / 86_400_000) + 1;
}

/** [start, end] of a preset period ending today. */
export function presetRange(preset, today) {
  switch (preset) {
    case "month": return [monthStart(today), today];
    case "30d": return [addDays(today, -29), today];
    case "year": return [`${today.slice(0, 4)}-01-01`, today];
    default: return [monthStart(today, -11), today]; // "12m": this month and the eleven before
  }
}

/** Why custom dates cannot be asked for (an i18n key), or null when they can. */
export function rangeProblem(start, end) {
  if (!isDay(start) || !isDay(end)) return "stats.bad_dates";
  if (start > end) return "stats.start_after_end";
  if (daysBetween(start, end) > MAX_DAYS) return "stats.too_long";
  return null;
}

/**
 * The page state from a query string. A link with broken custom dates falls back to the
 * default period and says so (`problem`), rather than showing nothing.
 */
export function parseState(search, today) {
  const q = new URLSearchParams(search);
  const state = {
    preset: PRESETS.includes(q.get("period")) ? q.get("period") : DEFAULT_PRESET,
    group: GROUPS.includes(q.get("group")) ? q.get("group") : "agency",
    sort: SORTS.includes(q.get("sort")) ? q.get("sort") : DEFAULT_SORT,
    dir: q.get("dir") === "desc" ? "desc" : q.get("dir") === "asc" ? "asc" : null,
    trend: GROUP_KEY.test(q.get("trend") || "") ? q.get("trend") : null,
    problem: null,
  };
  if (!q.has("period") && (q.has("start") || q.has("end"))) state.preset = "custom";
  if (state.preset === "custom") {
    const start = q.get("start") || "";
    const end = q.get("end") || "";
    state.problem = rangeProblem(start, end);
    if (state.problem) state.preset = DEFAULT_PRESET;
    else [state.start, state.end] = [start, end];
  }
  if (state.preset !== "custom") [state.start, state.end] = presetRange(state.preset, today);
  state.dir = state.dir || defaultDir(state.sort);
  return state;
}

/** Names and ranks read best ascending; amounts and rates largest first. */
export function defaultDir(sort) {
  return sort === "rank" || sort === "name" ? "asc" : "desc";
}

/** The query string of a state (defaults left out to keep shared links short). */
export function stateQuery(state) {
  const q = new URLSearchParams();
  q.set("period", state.preset);
  if (state.preset === "custom") {
    q.set("start", state.start);
    q.set("end", state.end);
  }
  q.set("group", state.group);
  if (state.sort !== DEFAULT_SORT || state.dir !== defaultDir(state.sort)) {
    q.set("sort", state.sort);
    q.set("dir", state.dir);
  }
  if (state.trend) q.set("trend", state.trend);
  return q.toString();
}

/** The API's query for the table: /api/v1/stats?<this>. */
export function summaryQuery(state) {
  return new URLSearchParams({ start: state.start, end: state.end, group_by: state.group }).toString();
}

/**
 * The months the charts cover: those of the period, at least a year and at most five,
 * ending with the period's last month. The trend API counts whole months.
 */
export function trendWindow(start, end) {
  const span = (Number(end.slice(0, 4)) - Number(start.slice(0, 4))) * 12
    + Number(end.slice(5, 7)) - Number(start.slice(5, 7)) + 1;
  return { months: Math.min(MAX_TREND_MONTHS, Math.max(MIN_TREND_MONTHS, span)), until: end.slice(0, 7) };
}

/** The API's query for the charts: /api/v1/stats/trend?<this>, narrowed to one group when chosen. */
export function trendQuery(state) {
  const { months, until } = trendWindow(state.start, state.end);
  const q = new URLSearchParams({ months: String(months), until });
  if (state.trend) q.set(state.group, state.trend);
  return q.toString();
}
