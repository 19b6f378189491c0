"""The cases behind a KPI: the reports or incidents a metric counted, as GeoJSON points."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.analytics.kpi.definitions import INCIDENT_METRICS, REPORT_METRICS, base_query, instants
from layers.analytics.window import Window
from layers.errors import InvalidInput

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
    inst = instants(w, now)
    keys = {"s": "s0", "t": "t0", "e": "e0"} if previous else {"s": "s1", "t": "t1", "e": "e1"}
    if metric in REPORT_METRICS:
        base, params = base_query(w)
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
