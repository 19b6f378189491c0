// How the statistics page writes its numbers, in the current language: counts, shares,
// ratings, handling times (the API gives calendar hours; people read "2 ngày 3 giờ") and
// months. A withheld value (null from the API) is always the same dash.

import { formatDate, formatNumber, getLang, t } from "./i18n.js";

export const DASH = "—";

export function count(value) {
  return value === null || value === undefined ? DASH : formatNumber(value);
}

export function pct(value) {
  return value === null || value === undefined ? DASH : t("stats.pct", { n: formatNumber(value, 1) });
}

export function rating(value) {
  return value === null || value === undefined ? DASH : t("stats.rating_value", { n: formatNumber(value, 1) });
}

/** Calendar hours as a person says them: "45 phút", "18 giờ", "2 ngày 3 giờ", "16 ngày". */
export function duration(hours) {
  if (hours === null || hours === undefined) return DASH;
  if (hours < 1) return t("stats.minutes", { n: formatNumber(Math.max(1, Math.round(hours * 60))) });
  if (hours < 24) return t("stats.hours", { n: formatNumber(Math.round(hours)) });
  let days = Math.floor(hours / 24);
  let rest = Math.round(hours - days * 24);
  if (rest === 24) {
    days += 1;
    rest = 0;
  }
  if (days >= 10 || rest === 0) {
    const n = days >= 10 ? Math.round(hours / 24) : days;
    return t("stats.days", { n: formatNumber(n), count: n });
  }
  return t("stats.days_hours", { d: formatNumber(days), h: formatNumber(rest), count: days });
}

/** The exact figure behind a duration, for its tooltip. */
export function exactHours(hours) {
  return hours === null || hours === undefined ? "" : t("stats.exact_hours", { n: formatNumber(hours, 1) });
}

/** "03/2025" in Vietnamese, "Mar 2025" in English. */
export function month(yyyymm) {
  const [y, m] = yyyymm.split("-").map(Number);
  if (getLang() === "vi") return `${String(m).padStart(2, "0")}/${y}`;
  return new Intl.DateTimeFormat("en-GB", { month: "short", year: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, 1)));
}

export function period(start, end) {
  return start === end ? formatDate(start) : t("stats.period_range", { start: formatDate(start), end: formatDate(end) });
}

/** A group's name in the current language. */
export function groupName(group) {
  return (getLang() === "en" ? group.name_en : group.name_vi) || group.name_vi || group.key;
}
