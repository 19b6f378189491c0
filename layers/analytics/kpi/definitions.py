"""What each KPI counts, as SQL conditions shared by the numbers and the case lists (so a
click-through always lists exactly the counted cases); see the package docstring."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from layers.analytics.window import Window

DONE_AT = (
    "CASE WHEN status IN ('resolved', 'closed') THEN resolved_at "
    "WHEN status IN ('rejected', 'duplicate') THEN closed_at END"
)
OPEN_AT = "received_at < :{e} AND (done_at IS NULL OR done_at >= :{e})"
RESOLVED_IN = "status IN ('resolved', 'closed') AND resolved_at >= :{s} AND resolved_at < :{t}"
#: metric -> condition on the rows of ``base_query`` with placeholders {s} start, {t} end, {e} as-of.
REPORT_METRICS: dict[str, str] = {
    "received": "received_at >= :{s} AND received_at < :{t}",
    "open": OPEN_AT,
    "overdue": OPEN_AT + " AND due_at < :{e}",
    "due_this_week": OPEN_AT + " AND due_at >= :{e} AND due_at < :{e} + interval '7 days'",
    "resolved": RESOLVED_IN,
    "resolved_on_time": RESOLVED_IN + " AND resolved_at <= due_at",
    "resolved_late": RESOLVED_IN + " AND resolved_at > due_at",
    "rated": "citizen_rating IS NOT NULL AND citizen_feedback_at >= :{s} AND citizen_feedback_at < :{t}",
}
INCIDENT_METRICS: dict[str, str] = {
    "incidents": "occurred_at >= :{s} AND occurred_at < :{t}",
    "incidents_active": "occurred_at < :{e} AND (closed_at IS NULL OR closed_at >= :{e})",
}
GROUPS = {"agency": "agency_id", "commune": "commune_code", "category": "category_id"}


def base_query(w: Window) -> tuple[str, dict[str, Any]]:
    where = ["received_at < :t1"]
    params: dict[str, Any] = {}
    if w.agency_id is not None:
        where.append("agency_id = :agency")
        params["agency"] = w.agency_id
    if w.commune:
        where.append("commune_code = :commune")
        params["commune"] = w.commune
    if w.category_ids:
        where.append("category_id = ANY(:cats)")
        params["cats"] = list(w.category_ids)
    sql = (
        f"SELECT agency_id, commune_code, commune_name, category_id, received_at, due_at, status, "  # noqa: S608 (identifiers from constants; values bound)
        f"resolved_at, citizen_rating, citizen_feedback_at, {DONE_AT} AS done_at "
        f"FROM feedback_reports WHERE {' AND '.join(where)}"
    )
    return sql, params


def instants(w: Window, now: datetime) -> dict[str, datetime]:
    span = w.end - w.start
    return {
        "s1": w.start,
        "t1": w.end,
        "e1": min(w.end, now),
        "s0": w.start - span,
        "t0": w.start,
        "e0": min(w.start, now),
    }
