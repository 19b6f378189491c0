// How a citizen report looks wherever it appears: status badges and colours, the deadline
// (time left or overdue), facts, photos, the timeline, and the map symbols of reports.
// Shared by the report form, the track page, the officers' inbox and the reports layer.
// DOM nodes and textContent only: titles, notes and names are citizens' and officers' text.

import { el } from "./dom.js";
import { formatDateTime, formatNumber, pick, t } from "./i18n.js";
import { icon } from "./icons.js";

/** The statuses of layers/feedback/models.py, in workflow order. */
export const STATUSES = ["received", "assigned", "in_progress", "resolved", "closed", "rejected", "duplicate"];
/** Being worked on: the deadline clock runs and "me too" is offered. */
export const OPEN_STATUSES = ["received", "assigned", "in_progress"];
export const STATUS_COLOURS = Object.freeze({
  received: "#2563eb",
  assigned: "#7c3aed",
  in_progress: "#d97706",
  resolved: "#16a34a",
  closed: "#475569",
  rejected: "#b91c1c",
  duplicate: "#94a3b8",
});
const SOON_SECONDS = 24 * 3600;

export function statusLabel(status) {
  return STATUSES.includes(status) ? t(`status.${status}`) : String(status || "");
}

/** A coloured pill with the status name; `data-status` for CSS and tests. */
export function statusBadge(status) {
  const badge = el("span", { className: `status-badge status-${status}`, dataset: { status } },
    el("span", { className: "status-dot", "aria-hidden": "true" }), statusLabel(status));
  badge.style.setProperty("--status", STATUS_COLOURS[status] || "#64748b");
  return badge;
}

export function categoryName(category) {
  return category ? pick(category, "name") : "";
}

export function categoryChip(category) {
  return el("span", { className: "category-chip", dataset: { category: category.code } },
    icon(category.icon, { size: 16 }), categoryName(category));
}

export function agencyName(agency) {
  return agency ? pick(agency, "name") : "";
}

/** The stored explanation of why the report went to its agency, in the page's language. */
export function routingText(routing) {
  return routing ? pick(routing, "explanation") : "";
}

/** A span of time in words: "3 ngày 4 giờ", "5 giờ 10 phút", "12 phút". */
export function duration(seconds) {
  const total = Math.max(0, Math.round(Math.abs(seconds) / 60));
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const minutes = total % 60;
  if (days >= 3) return t("duration.days", { d: days });
  if (days > 0) return t("duration.days_hours", { d: days, h: hours });
  if (hours > 0) return t("duration.hours_minutes", { h: hours, m: minutes });
  return t("duration.minutes", { m: Math.max(1, minutes) });
}

/**
 * The deadline in words and its kind: "overdue", "soon" (under a day), "ok" while open;
 * "on_time" / "late" once handled; "none" when closed without handling.
 */
export function deadlineState(deadline) {
  if (!deadline) return { kind: "none", text: "" };
  if (deadline.seconds_left !== null && deadline.seconds_left !== undefined) {
    const left = deadline.seconds_left;
    if (left < 0) return { kind: "overdue", text: t("deadline.overdue", { time: duration(left) }) };
    return { kind: left < SOON_SECONDS ? "soon" : "ok", text: t("deadline.left", { time: duration(left) }) };
  }
  if (deadline.on_time === true) return { kind: "on_time", text: t("deadline.on_time") };
  if (deadline.on_time === false) return { kind: "late", text: t("deadline.late") };
  return { kind: "none", text: t("deadline.stopped") };
}

export function deadlineChip(deadline) {
  const state = deadlineState(deadline);
  return el("span", { className: `deadline-chip deadline-${state.kind}`, dataset: { kind: state.kind } },
    icon(state.kind === "overdue" ? "alert" : "clock", { size: 14 }), state.text);
}

/** "Hạn xử lý: 12/03/2026 23:59 (5 ngày làm việc)". */
export function deadlineLine(deadline) {
  return t("deadline.due", { date: formatDateTime(deadline.due_at), days: deadline.working_days });
}

/** "12/03/2026 23:59 (5 ngày làm việc)", for a list of facts labelled "Hạn xử lý". */
export function deadlineWhen(deadline) {
  return t("deadline.when", { date: formatDateTime(deadline.due_at), days: deadline.working_days });
}

export function rejectReasonLabel(code) {
  return code ? t(`reject.${code}`) : "";
}

/** A definition list of [label, value] pairs; values may be nodes; empty values are skipped. */
export function factList(pairs, className = "facts") {
  const dl = el("dl", { className });
  for (const [label, value, key] of pairs) {
    if (value === null || value === undefined || value === "") continue;
    dl.append(el("dt", { dataset: key ? { fact: key } : undefined }, label),
      el("dd", { dataset: key ? { fact: key } : undefined }, value));
  }
  return dl;
}

/**
 * The answers to a category's extra questions as fact rows [label, value, key]: the
 * question's label and the chosen values' names when the category is known, else the codes.
 */
export function answerFacts(answers, category) {
  const questions = new Map(((category && category.extra_questions) || []).map((q) => [q.code, q]));
  return Object.entries(answers || {}).map(([code, value]) => {
    const q = questions.get(code);
    const names = new Map(((q && q.values) || []).map((v) => [v.key, pick(v, "name")]));
    const shown = [].concat(value).map((v) => names.get(v) ?? String(v)).join(", ");
    return [q ? pick(q, "label") : code, shown, `answer-${code}`];
  });
}

/** Thumbnails linking to the full photos (hidden ones flagged for staff). */
export function photoStrip(report) {
  const strip = el("div", { className: "photo-strip" });
  for (const photo of report.photos || []) {
    const img = el("img", { src: photo.thumb_url, alt: t("photo.alt", { code: report.code }), loading: "lazy",
      width: 96, height: 96 });
    const link = el("a", { href: photo.url, target: "_blank", rel: "noopener", className: "photo-thumb",
      dataset: { photo: String(photo.id) } }, img);
    if (photo.hidden) {
      link.classList.add("is-hidden");
      link.append(el("span", { className: "photo-flag" }, t("photo.hidden")));
    }
    strip.append(link);
  }
  return strip;
}

function actionLabel(entry) {
  const key = `timeline.${entry.action}`;
  const label = t(key);
  return label === key ? entry.action : label;
}

/**
 * The report's history, oldest first. Public entries show the public note only; staff
 * entries (with `actor`/`internal_note`) add who did it and the internal note.
 */
export function timelineList(entries, { staff = false } = {}) {
  const list = el("ol", { className: "timeline" });
  for (const entry of entries || []) {
    const item = el("li", { className: `timeline-item action-${entry.action}`, dataset: { action: entry.action } });
    if (entry.to_status) item.style.setProperty("--status", STATUS_COLOURS[entry.to_status] || "#64748b");
    const head = el("div", { className: "timeline-head" },
      el("strong", { className: "timeline-action" }, actionLabel(entry)),
      el("time", { dateTime: entry.at, className: "timeline-time" }, formatDateTime(entry.at)));
    item.append(head);
    const meta = [];
    if (entry.from_status && entry.to_status && entry.from_status !== entry.to_status) {
      meta.push(t("timeline.status_change", { from: statusLabel(entry.from_status), to: statusLabel(entry.to_status) }));
    }
    if (entry.to_agency && entry.action !== "created") {
      meta.push(entry.from_agency ? t("timeline.agency_change", { from: entry.from_agency, to: entry.to_agency })
        : t("timeline.to_agency", { to: entry.to_agency }));
    } else if (entry.to_agency) {
      meta.push(t("timeline.to_agency", { to: entry.to_agency }));
    }
    if (entry.reason_code) meta.push(t("timeline.reason", { reason: rejectReasonLabel(entry.reason_code) }));
    if (staff) {
      const who = entry.actor ? entry.actor : t(`actor.${entry.actor_kind}`);
      meta.push(t("timeline.by", { who }));
      if (entry.data && entry.data.assignee) meta.push(t("timeline.assignee", { who: entry.data.assignee }));
      if (entry.data && entry.data.rating) meta.push(t("timeline.rating", { rating: entry.data.rating }));
    } else if (entry.actor_kind) {
      meta.push(t(`actor.${entry.actor_kind}`));
    }
    if (meta.length) item.append(el("p", { className: "timeline-meta" }, meta.join(" · ")));
    if (entry.public_note) item.append(el("p", { className: "timeline-note" }, entry.public_note));
    if (staff && entry.internal_note) {
      item.append(el("p", { className: "timeline-note is-internal" },
        el("span", { className: "internal-tag" }, t("timeline.internal")), entry.internal_note));
    }
    list.append(item);
  }
  return list;
}

// ---- map symbols ------------------------------------------------------------------------

/** One report on the map: a dot in its status colour, ringed in red when overdue. */
export function reportDot(props) {
  const dot = el("span", { className: `report-dot status-${props.status}${props.overdue ? " is-overdue" : ""}`,
    dataset: { code: props.code, status: props.status } });
  dot.style.setProperty("--status", STATUS_COLOURS[props.status] || "#64748b");
  dot.append(icon(props.icon, { size: 12 }));
  return dot;
}

/** A cluster of reports: the count, on a ring coloured by the share of each status. */
export function reportCluster(count, children) {
  const props = children();
  const tally = new Map();
  let overdue = 0;
  for (const p of props) {
    tally.set(p.status, (tally.get(p.status) || 0) + 1);
    if (p.overdue) overdue += 1;
  }
  let at = 0;
  const stops = [];
  for (const status of STATUSES) {
    const n = tally.get(status);
    if (!n) continue;
    const end = at + (n / props.length) * 100;
    stops.push(`${STATUS_COLOURS[status]} ${at}% ${end}%`);
    at = end;
  }
  const node = el("span", { className: `report-cluster${overdue ? " has-overdue" : ""}`,
    dataset: { count: String(count), overdue: String(overdue) },
    title: overdue ? t("layer.cluster_overdue", { count: formatNumber(count), overdue: formatNumber(overdue) })
      : t("layer.cluster", { count: formatNumber(count) }) },
  el("span", { className: "report-cluster-count" }, count >= 1000 ? `${Math.floor(count / 1000)}k` : String(count)));
  node.style.background = stops.length ? `conic-gradient(${stops.join(", ")})` : "#64748b";
  return node;
}

/** The legend of status colours (for the maps of reports). */
export function statusLegend(statuses = STATUSES) {
  const list = el("ul", { className: "status-legend" });
  for (const status of statuses) {
    const dot = el("span", { className: "status-dot", "aria-hidden": "true" });
    dot.style.setProperty("--status", STATUS_COLOURS[status]);
    list.append(el("li", { dataset: { status } }, dot, statusLabel(status)));
  }
  const ring = el("span", { className: "status-dot is-overdue", "aria-hidden": "true" });
  list.append(el("li", { dataset: { status: "overdue" } }, ring, t("layer.overdue")));
  return list;
}
