"""KPIs for leaders, with the previous period for trends, broken down by agency, commune
and category, and the cases behind every number.

Definitions (one place, used by both the numbers and the case lists, so a click-through
always lists exactly the counted cases). ``T`` = the period's end, capped at now ("as of"):

* received: reports received in the period;
* open: reports received before T and not yet done at T (backlog; done = resolved_at for
  resolved/closed reports, closed_at for rejected/duplicate ones);
* overdue: open at T and past their due time at T;
* due_this_week: open at T and due within 7 days after T;
* resolved / resolved_on_time → on_time_rate: reports resolved in the period, and the share
  resolved no later than due (rejections and duplicates are not counted as handled);
* median_handling_hours: median calendar hours from receipt to resolution, same reports;
* satisfaction: mean citizen rating (1-5) given in the period, with the count of ratings;
* incidents: incidents that occurred in the period, by current status; active = occurred
  before T and not closed at T.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.analytics.window import Window
from layers.errors import InvalidInput

DONE_AT = (
    "CASE WHEN status IN ('resolved', 'closed') THEN resolved_at "
    "WHEN status IN ('rejected', 'duplicate') THEN closed_at END"
)
_OPEN_AT = "received_at < :{e} AND (done_at IS NULL OR done_at >= :{e})"
_RESOLVED_IN = "status IN ('resolved', 'closed') AND resolved_at >= :{s} AND resolved_at < :{t}"
#: metric -> condition on the rows of ``_BASE`` with placeholders {s} start, {t} end, {e} as-of.
REPORT_METRICS: dict[str, str] = {
    "received": "received_at >= :{s} AND received_at < :{t}",
    "open": _OPEN_AT,
    "overdue": _OPEN_AT + " AND due_at < :{e}",
    "due_this_week": _OPEN_AT + " AND due_at >= :{e} AND due_at < :{e} + interval '7 days'",
    "resolved": _RESOLVED_IN,
    "resolved_on_time": _RESOLVED_IN + " AND resolved_at <= due_at",
    "resolved_late": _RESOLVED_IN + " AND resolved_at > due_at",
    "rated": "citizen_rating IS NOT NULL AND citizen_feedback_at >= :{s} AND citizen_feedback_at < :{t}",
}
INCIDENT_METRICS: dict[str, str] = {
    "incidents": "occurred_at >= :{s} AND occurred_at < :{t}",
    "incidents_active": "occurred_at < :{e} AND (closed_at IS NULL OR closed_at >= :{e})",
}
GROUPS = {"agency": "agency_id", "commune": "commune_code", "category": "category_id"}


def _base(w: Window) -> tuple[str, dict[str, Any]]:
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


def _instants(w: Window, now: datetime) -> dict[str, datetime]:
    span = w.end - w.start
    return {
        "s1": w.start,
        "t1": w.end,
        "e1": min(w.end, now),
        "s0": w.start - span,
        "t0": w.start,
        "e0": min(w.start, now),
    }


def _aggregates() -> str:
    cols = []
    for suffix in ("1", "0"):
        keys = {"s": f"s{suffix}", "t": f"t{suffix}", "e": f"e{suffix}"}
        for name, cond in REPORT_METRICS.items():
            cols.append(f"count(*) FILTER (WHERE {cond.format(**keys)}) AS {name}_{suffix}")
        resolved = _RESOLVED_IN.format(**keys)
        cols.append(
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - "
            f"received_at) / 3600.0) FILTER (WHERE {resolved}) AS median_hours_{suffix}"
        )
        cols.append(
            f"avg(citizen_rating) FILTER (WHERE {REPORT_METRICS['rated'].format(**keys)}) "
            f"AS satisfaction_{suffix}"
        )
    return ", ".join(cols)


def _trend(cur: float | None, prev: float | None, link: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": cur, "previous": prev}
    if cur is not None and prev is not None:
        out["change"] = round(cur - prev, 4)
        out["change_pct"] = round(100 * (cur - prev) / prev, 1) if prev else None
    else:
        out["change"] = out["change_pct"] = None
    if link:
        out["link"] = link
    return out


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def _round(v: Any, digits: int = 2) -> float | None:
    return round(float(v), digits) if v is not None else None


def cases_link(metric: str, w: Window, **extra: str | None) -> str:
    query = {
        "metric": metric,
        "start": w.start.isoformat(),
        "end": w.end.isoformat(),
        "agency": w.agency,
        "commune": w.commune,
    }
    query.update(extra)
    pairs = [(k, v) for k, v in query.items() if v is not None]
    pairs += [("category", c) for c in w.categories if "category" not in extra]
    return "/api/v1/analytics/cases?" + urlencode(pairs)


def _metrics(row: Any, w: Window, **link_extra: str | None) -> dict[str, Any]:
    def link(metric: str) -> str:
        return cases_link(metric, w, **link_extra)

    out = {
        name: _trend(int(row[f"{name}_1"]), int(row[f"{name}_0"]), link(name))
        for name in ("received", "open", "overdue", "due_this_week", "resolved", "rated")
    }
    out["on_time_rate"] = _trend(
        _rate(row["resolved_on_time_1"], row["resolved_1"]),
        _rate(row["resolved_on_time_0"], row["resolved_0"]),
        link("resolved"),
    )
    out["on_time_rate"]["late_link"] = link("resolved_late")
    out["median_handling_hours"] = _trend(
        _round(row["median_hours_1"], 1), _round(row["median_hours_0"], 1), link("resolved")
    )
    out["satisfaction"] = _trend(_round(row["satisfaction_1"]), _round(row["satisfaction_0"]), link("rated"))
    return out


def _names(session: Session) -> dict[str, dict[Any, str]]:
    return {
        "agency": dict(session.execute(text("SELECT id, code FROM agencies")).all()),
        "agency_name": dict(session.execute(text("SELECT id, name_vi FROM agencies")).all()),
        "category": dict(session.execute(text("SELECT id, code FROM feedback_categories")).all()),
        "category_name": dict(session.execute(text("SELECT id, name_vi FROM feedback_categories")).all()),
    }


def report_kpis(session: Session, w: Window, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    base, params = _base(w)
    params.update(_instants(w, now))
    sql = (
        f"WITH r AS ({base}) SELECT agency_id, commune_code, max(commune_name) AS commune_name, "  # noqa: S608 (identifiers from constants; values bound)
        f"category_id, GROUPING(agency_id) AS ga, GROUPING(commune_code) AS gc, GROUPING(category_id) AS gk, "
        f"{_aggregates()} FROM r GROUP BY GROUPING SETS ((), (agency_id), (commune_code), (category_id))"
    )
    rows = session.execute(text(sql), params).mappings().all()
    names = _names(session)
    out: dict[str, Any] = {"by_agency": [], "by_commune": [], "by_category": []}
    for row in rows:
        if row["ga"] and row["gc"] and row["gk"]:
            out["totals"] = _metrics(row, w)
        elif not row["ga"]:
            code = names["agency"].get(row["agency_id"])
            out["by_agency"].append(
                {
                    "code": code,
                    "name": names["agency_name"].get(row["agency_id"]),
                    **_metrics(row, w, agency=code),
                }
            )
        elif not row["gc"]:
            out["by_commune"].append(
                {
                    "code": row["commune_code"],
                    "name": row["commune_name"],
                    **_metrics(row, w, commune=row["commune_code"]),
                }
            )
        else:
            code = names["category"].get(row["category_id"])
            out["by_category"].append(
                {
                    "code": code,
                    "name": names["category_name"].get(row["category_id"]),
                    **_metrics(row, w, category=code),
                }
            )
    if "totals" not in out:  # no report at all before the end
        empty: dict[str, Any] = {f"{m}_{s}": 0 for m in REPORT_METRICS for s in "10"}
        empty.update({f"{m}_{s}": None for m in ("median_hours", "satisfaction") for s in "10"})
        out["totals"] = _metrics(empty, w)
    for key in ("by_agency", "by_commune", "by_category"):
        out[key].sort(key=lambda g: (-g["received"]["value"], str(g["code"])))
    return out


def incident_kpis(session: Session, w: Window, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    params: dict[str, Any] = _instants(w, now)
    where = ["occurred_at < :t1"]
    if w.agency_id is not None:
        where.append("agency_id = :agency")
        params["agency"] = w.agency_id
    if w.commune:
        where.append("commune_code = :commune")
        params["commune"] = w.commune
    cols = ", ".join(
        f"count(*) FILTER (WHERE {cond.format(s=f's{x}', t=f't{x}', e=f'e{x}')}) AS {name}_{x}"
        for name, cond in INCIDENT_METRICS.items()
        for x in "10"
    )
    rows = (
        session.execute(
            text(
                f"SELECT status, agency_id, type, GROUPING(agency_id) AS ga, GROUPING(type) AS gt, {cols} "  # noqa: S608
                f"FROM incidents WHERE {' AND '.join(where)} "
                "GROUP BY GROUPING SETS ((status), (agency_id, status), (type, status))"
            ),
            params,
        )
        .mappings()
        .all()
    )
    agencies: dict[int, str] = dict(session.execute(text("SELECT id, code FROM agencies")).all())
    by_status: dict[str, Any] = {}
    by_agency: dict[str, dict[str, Any]] = {}
    by_type: dict[str, dict[str, Any]] = {}
    active = [0, 0]
    for row in rows:
        cur, prev = int(row["incidents_1"]), int(row["incidents_0"])
        if row["ga"] and row["gt"]:
            by_status[row["status"]] = _trend(cur, prev, cases_link("incidents", w, status=row["status"]))
            active[0] += int(row["incidents_active_1"])
            active[1] += int(row["incidents_active_0"])
        elif not row["ga"]:
            code = agencies.get(row["agency_id"], "?")
            by_agency.setdefault(code, {})[row["status"]] = _trend(cur, prev)
        else:
            by_type.setdefault(row["type"], {})[row["status"]] = _trend(cur, prev)
    return {
        "by_status": by_status,
        "total": _trend(
            sum(v["value"] for v in by_status.values()),
            sum(v["previous"] for v in by_status.values()),
            cases_link("incidents", w),
        ),
        "active": _trend(active[0], active[1], cases_link("incidents_active", w)),
        "by_agency": by_agency,
        "by_type": by_type,
    }


def kpis(session: Session, w: Window, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    inst = _instants(w, now)
    return {
        "period": {"start": w.start, "end": w.end, "as_of": inst["e1"]},
        "previous_period": {"start": inst["s0"], "end": inst["t0"], "as_of": inst["e0"]},
        "filters": {"agency": w.agency, "commune": w.commune, "category": list(w.categories)},
        "reports": report_kpis(session, w, now),
        "incidents": incident_kpis(session, w, now),
        "definitions": {
            k: v.format(s="start", t="end", e="as_of")
            for k, v in {**REPORT_METRICS, **INCIDENT_METRICS}.items()
        },
    }


# ---- the cases behind a number ---------------------------------------------------------

MAX_CASES = 5000


def cases(
    session: Session,
    metric: str,
    w: Window,
    *,
    previous: bool = False,
    status: str | None = None,
    now: datetime | None = None,
    limit: int = MAX_CASES,
) -> dict[str, Any]:
    """The reports (or incidents) counted by ``metric``, as GeoJSON points with public facts."""
    now = now or datetime.now(UTC)
    inst = _instants(w, now)
    keys = {"s": "s0", "t": "t0", "e": "e0"} if previous else {"s": "s1", "t": "t1", "e": "e1"}
    if metric in REPORT_METRICS:
        base, params = _base(w)
        params.update(inst)
        cond = REPORT_METRICS[metric].format(**keys)
        sql = (
            f"WITH r AS ({base.replace('SELECT ', 'SELECT id, code, geom, ', 1)}) "  # noqa: S608 (identifiers from constants; values bound)
            f"SELECT r.code, r.status, r.received_at, r.due_at, r.resolved_at, r.commune_code, "
            f"c.code AS category, a.code AS agency, ST_X(r.geom) AS lon, ST_Y(r.geom) AS lat "
            "FROM r JOIN feedback_categories c ON c.id = r.category_id "
            "JOIN agencies a ON a.id = r.agency_id "
            f"WHERE {cond} ORDER BY r.received_at DESC LIMIT :limit"
        )
        kind = "report"
    elif metric in INCIDENT_METRICS:
        params = dict(inst)
        where = [INCIDENT_METRICS[metric].format(**keys)]
        if w.agency_id is not None:
            where.append("i.agency_id = :agency")
            params["agency"] = w.agency_id
        if w.commune:
            where.append("i.commune_code = :commune")
            params["commune"] = w.commune
        if status:
            where.append("i.status = :status")
            params["status"] = status
        sql = (
            "SELECT i.code, i.status, i.type, i.severity, i.occurred_at, i.closed_at, i.commune_code, "  # noqa: S608 (identifiers from constants; values bound)
            "a.code AS agency, ST_X(i.point) AS lon, ST_Y(i.point) AS lat FROM incidents i "
            f"JOIN agencies a ON a.id = i.agency_id WHERE {' AND '.join(where)} "
            "ORDER BY i.occurred_at DESC LIMIT :limit"
        )
        kind = "incident"
    else:
        raise InvalidInput(
            f"Chỉ số không hợp lệ / unknown metric: {metric}",
            code="bad_metric",
            allowed=[*REPORT_METRICS, *INCIDENT_METRICS],
        )
    params["limit"] = min(limit, MAX_CASES) + 1
    rows = session.execute(text(sql), params).mappings().all()
    truncated = len(rows) > min(limit, MAX_CASES)
    features = []
    for r in rows[: min(limit, MAX_CASES)]:
        props = {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in r.items()
            if k not in ("lon", "lat")
        }
        props["type_of_case"] = kind
        props["url"] = f"/api/v1/inbox/{r['code']}" if kind == "report" else f"/api/v1/incidents/{r['code']}"
        if kind == "report":
            props["overdue_now"] = (
                r["status"] in ("received", "assigned", "in_progress") and r["due_at"] < now
            )
        features.append(
            {
                "type": "Feature",
                "id": r["code"],
                "geometry": {"type": "Point", "coordinates": [round(r["lon"], 6), round(r["lat"], 6)]},
                "properties": props,
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "meta": {
            "metric": metric,
            "previous": previous,
            "count": len(features),
            "truncated": truncated,
            "definition": (REPORT_METRICS | INCIDENT_METRICS)[metric].format(s="start", t="end", e="as_of"),
            "start": inst[keys["s"]].isoformat(),
            "end": inst[keys["t"]].isoformat(),
            "as_of": inst[keys["e"]].isoformat(),
        },
    }


def default_window_days() -> timedelta:
    return timedelta(days=30)
