// Calendar arithmetic of the heatmap's time control, in Viet Nam's calendar (UTC+7, no DST).
//
// Days travel as "YYYY-MM-DD" strings (what <input type="date"> speaks); the API gets
// instants at local midnight ("2025-03-01T00:00:00+07:00"), the same calendar as the
// server's monthly rollup, so a month frame reads whole rollup months.

const DAY_MS = 86_400_000;
export const VN_OFFSET = "+07:00";
export const STEPS = ["week", "month"];
/** Frames beyond this are refused (five years of weeks; the API's limit is five years). */
export const MAX_FRAMES = 270;

function toDate(day) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function toDay(date) {
  return date.toISOString().slice(0, 10);
}

export function isDay(value) {
  return typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(toDate(value).getTime());
}

/** Today in Viet Nam. */
export function todayVN(now = new Date()) {
  return toDay(new Date(now.getTime() + 7 * 3_600_000));
}

export function addDays(day, n) {
  return toDay(new Date(toDate(day).getTime() + n * DAY_MS));
}

export function addMonths(day, n) {
  const d = toDate(day);
  return toDay(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1)));
}

export function monthStart(day) {
  return `${day.slice(0, 7)}-01`;
}

/** The Monday of the day's week (ISO weeks). */
export function weekStart(day) {
  const dow = (toDate(day).getUTCDay() + 6) % 7; // Monday = 0
  return addDays(day, -dow);
}

/** Local midnight of a day as an ISO 8601 instant with the Vietnamese offset. */
export function instant(day) {
  return `${day}T00:00:00${VN_OFFSET}`;
}

/**
 * The frames of [from, to] (both days included) stepping by week or month: calendar weeks
 * (Monday-Sunday) or months, the first and last clipped to the chosen period. Each frame is
 * {start, end} with `end` exclusive.
 */
export function frames(from, to, step) {
  if (!isDay(from) || !isDay(to) || from > to || !STEPS.includes(step)) return [];
  const after = addDays(to, 1);
  const out = [];
  let cursor = step === "week" ? weekStart(from) : monthStart(from);
  while (cursor < after && out.length < MAX_FRAMES) {
    const next = step === "week" ? addDays(cursor, 7) : addMonths(cursor, 1);
    out.push({ start: cursor < from ? from : cursor, end: next > after ? after : next });
    cursor = next;
  }
  return out;
}

/** The default period: the last twelve months up to today (the current month included). */
export function defaultPeriod(today = todayVN()) {
  return { from: addMonths(monthStart(today), -11), to: today };
}
