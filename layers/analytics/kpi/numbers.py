"""The KPI numbers of a window and of the previous period of the same length, by agency,
commune and category, each with a link to the cases behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.analytics.kpi.definitions import (
    INCIDENT_METRICS,
    REPORT_METRICS,
    RESOLVED_IN,
    base_query,
    instants,
)
from layers.analytics.window import Window


def _aggregates() -> str:
    cols = []
    for suffix in ("1", "0"):
        keys = {"s": f"s{suffix}", "t": f"t{suffix}", "e": f"e{suffix}"}
        for name, cond in REPORT_METRICS.items():
            cols.append(f"count(*) FILTER (WHERE {cond.format(**keys)}) AS {name}_{suffix}")
        resolved = RESOLVED_IN.format(**keys)
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
    base, params = base_query(w)
    params.update(instants(w, now))
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
    params: dict[str, Any] = instants(w, now)
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
    inst = instants(w, now)
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


def default_window_days() -> timedelta:
    return timedelta(days=30)
