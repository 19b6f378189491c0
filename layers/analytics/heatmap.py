"""H3 heatmaps of reports and incidents, aggregated in PostgreSQL.

Each point stores its cell at every resolution (``h3_r5`` .. ``h3_r10``, computed with
``h3.latlng_to_cell`` when written), so a hexagon counts exactly the points inside it
(a fine cell's parent is not always the coarse cell containing the point).

Reports come from up to three parts added together, so a year over a million reports
does not scan half a million rows:

* ``analytics_report_cells`` (``layers.analytics.rollup``): per (resolution, month, cell)
  the count and a per-category vector, for the finished months inside the window
  (primary-key range scan);
* ``feedback_reports`` for the partial months at the window's edges and the current month
  (ix_feedback_reports_received_at);
* the open reports of the rollup months for the overdue share (partial index
  ix_feedback_reports_unsettled_received).

Questions filtered by status, agency or commune read the base table only.
Incidents (tens of thousands) are grouped directly (ix_incidents_occurred_at).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.hexgrid import cell_area_km2, cell_boundary_lonlat, cell_to_lonlat, cell_to_str
from layers.analytics import population, rollup
from layers.analytics.window import Window, full_months, month_instant, next_month
from layers.errors import InvalidInput

MAX_CELLS = 60_000
OPEN_SQL = "status IN ('received', 'assigned', 'in_progress')"
TOP = 3


@dataclass
class CellCount:
    cell: int
    n: int
    overdue: int
    top: list[tuple[str, int]]


def _categories(session: Session) -> tuple[int, dict[int, str]]:
    """(highest category id, id -> code): the rollup keeps a dense vector indexed by id."""
    codes: dict[int, str] = dict(session.execute(text("SELECT id, code FROM feedback_categories")).all())
    return (max(codes) if codes else 1), codes


def _raw_branch(w: Window, col: str, k: int, ranges: str, *, filters: bool) -> str:
    cats = ", ".join(f"count(*) FILTER (WHERE category_id = {i}) AS c{i}" for i in range(1, k + 1))
    where = f"({ranges})"
    if w.category_ids:
        where += " AND category_id = ANY(:cats)"
    if filters and w.agency_id is not None:
        where += " AND agency_id = :agency"
    if filters and w.statuses:
        where += " AND status = ANY(:statuses)"
    if filters and w.commune is not None:
        where += " AND commune_code = :commune"
    return (
        f"SELECT {col} AS cell, count(*) AS n, {cats}, "  # noqa: S608
        f"count(*) FILTER (WHERE {OPEN_SQL} AND due_at < :now) AS od "
        f"FROM feedback_reports WHERE {where} GROUP BY 1"
    )


def _reports_sql(session: Session, w: Window, k: int) -> tuple[str, dict[str, Any]]:
    """Rollup months + base-table edges, or the base table alone for status/agency/commune
    questions (the rollup does not keep those). ``k`` = highest category id (an int)."""
    col = f"h3_r{w.resolution}"  # resolution checked to be 5..10: never user text
    now = datetime.now(UTC)
    params: dict[str, Any] = {
        "start": w.start,
        "end": w.end,
        "now": now,
        "res": w.resolution,
        "cats": list(w.category_ids),
        "agency": w.agency_id,
        "statuses": list(w.statuses),
        "commune": w.commune,
    }
    months: list[Any] = []
    if w.agency_id is None and not w.statuses and w.commune is None:
        whole = full_months(w.start, w.end)
        months = rollup.complete_months(whole[0], whole[1], now) if whole else []
    if not months:
        branches = [_raw_branch(w, col, k, "received_at >= :start AND received_at < :end", filters=True)]
    else:
        rollup.ensure_built(session, months)
        params.update(
            m0=months[0], m1=months[-1], ta=month_instant(months[0]), tb=month_instant(next_month(months[-1]))
        )
        if w.category_ids:
            n = " + ".join(f"coalesce(cats[{int(i)}], 0)" for i in w.category_ids)
            sums = ", ".join(
                f"sum(coalesce(cats[{i}], 0)) AS c{i}" if i in w.category_ids else f"0 AS c{i}"
                for i in range(1, k + 1)
            )
        else:
            n = "n"
            sums = ", ".join(f"sum(coalesce(cats[{i}], 0)) AS c{i}" for i in range(1, k + 1))
        zeros = ", ".join(f"0 AS c{i}" for i in range(1, k + 1))
        overdue = (
            f"SELECT {col} AS cell, 0 AS n, {zeros}, count(*) AS od FROM feedback_reports "  # noqa: S608
            f"WHERE {OPEN_SQL} AND due_at < :now AND received_at >= :ta AND received_at < :tb"
            + (" AND category_id = ANY(:cats)" if w.category_ids else "")
            + " GROUP BY 1"
        )
        branches = [
            f"SELECT cell, sum({n}) AS n, {sums}, 0 AS od FROM analytics_report_cells "  # noqa: S608
            "WHERE resolution = :res AND month >= :m0 AND month <= :m1 GROUP BY cell",
            _raw_branch(
                w,
                col,
                k,
                "received_at >= :start AND received_at < :ta OR received_at >= :tb AND received_at < :end",
                filters=False,
            ),
            overdue,
        ]
    union = " UNION ALL ".join(f"({b})" for b in branches)
    cats = ", ".join(f"sum(c{i})::bigint AS c{i}" for i in range(1, k + 1))
    sql = (
        f"SELECT cell, sum(n)::bigint AS n, sum(od)::bigint AS od, {cats} "  # noqa: S608 (constants)
        f"FROM ({union}) x GROUP BY cell HAVING sum(n) > 0"
    )
    return sql, params


def _incidents_sql(w: Window) -> tuple[str, dict[str, Any]]:
    col = f"h3_r{w.resolution}"
    parts: list[str] = []
    params: dict[str, Any] = {"start": w.start, "end": w.end}
    if w.categories:
        parts.append("type = ANY(:types)")
        params["types"] = list(w.categories)
    if w.statuses:
        parts.append("status = ANY(:statuses)")
        params["statuses"] = list(w.statuses)
    if w.agency_id is not None:
        parts.append("agency_id = :agency")
        params["agency"] = w.agency_id
    if w.commune is not None:
        parts.append("commune_code = :commune")
        params["commune"] = w.commune
    where = "".join(f" AND {p}" for p in parts)
    sql = (
        f"WITH g AS (SELECT {col} AS cell, type AS k, count(*) AS n, "  # noqa: S608 (identifiers from constants; values bound)
        "count(*) FILTER (WHERE status <> 'closed') AS od FROM incidents "
        f"WHERE occurred_at >= :start AND occurred_at < :end{where} GROUP BY 1, 2) "
        "SELECT cell, sum(n)::bigint AS n, sum(od)::bigint AS od, "
        f"(array_agg(k ORDER BY n DESC, k))[1:{TOP}] AS top_k, "
        f"(array_agg(n::bigint ORDER BY n DESC, k))[1:{TOP}] AS top_n FROM g GROUP BY cell"
    )
    return sql, params


def cell_counts(session: Session, w: Window) -> list[CellCount]:
    """Counts per cell for a resolved window (see ``window.resolve``)."""
    if w.layer == "reports":
        k, codes = _categories(session)
        sql, params = _reports_sql(session, w, k)
    else:
        sql, params = _incidents_sql(w)
    # Enough memory to hash-aggregate thousands of cells × categories instead of sorting on disk.
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    rows = session.execute(text(sql), params).all()
    if len(rows) > MAX_CELLS:
        raise InvalidInput(
            f"Quá nhiều ô ({len(rows)}); chọn độ phân giải thấp hơn hoặc vùng nhỏ hơn / "
            "too many cells; choose a lower resolution or a smaller area",
            code="too_many_cells",
            cells=len(rows),
            max=MAX_CELLS,
        )
    if w.layer != "reports":
        return [
            CellCount(
                cell=int(r.cell),
                n=int(r.n),
                overdue=int(r.od),
                top=[(str(c), int(n)) for c, n in zip(r.top_k, r.top_n, strict=True)],
            )
            for r in rows
        ]
    if not rows:
        return []
    matrix = np.array([tuple(r)[3:] for r in rows], dtype=np.int64)  # cells × categories (id - 1)
    best = np.argsort(-matrix, axis=1, kind="stable")[:, :TOP]
    best_n = np.take_along_axis(matrix, best, axis=1)
    names = [codes.get(i + 1, str(i + 1)) for i in range(matrix.shape[1])]
    return [
        CellCount(
            cell=int(r[0]),
            n=int(r[1]),
            overdue=int(r[2]),
            top=[(names[i], n) for i, n in zip(b.tolist(), bn.tolist(), strict=True) if n > 0],
        )
        for r, b, bn in zip(rows, best, best_n, strict=True)
    ]


@lru_cache(maxsize=200_000)
def cell_shape(cell: int) -> tuple[tuple[tuple[float, float], ...], float, float, float]:
    """(outline ring, area km², centre lon, centre lat): cells never move, so cache them."""
    lon, lat = cell_to_lonlat(cell)
    ring = tuple((round(x, 6), round(y, 6)) for x, y in cell_boundary_lonlat(cell))
    return ring, cell_area_km2(cell), lon, lat


def in_bbox(cells: list[int], bbox: tuple[float, float, float, float] | None) -> np.ndarray:
    """Which cells' hexagons intersect the bbox (the map viewport), as a boolean mask."""
    if bbox is None:
        return np.ones(len(cells), dtype=bool)
    hexes = shapely.polygons([cell_shape(c)[0] for c in cells]) if cells else np.array([])
    return np.asarray(shapely.intersects(hexes, shapely.box(*bbox)), dtype=bool)


def heatmap(session: Session, w: Window) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of hexagons with counts and normalised rates."""
    counts = cell_counts(session, w)
    mask = in_bbox([c.cell for c in counts], w.bbox)
    counts = [c for c, keep in zip(counts, mask, strict=True) if keep]
    shapes = [cell_shape(c.cell) for c in counts]
    lons = np.array([s[2] for s in shapes])
    lats = np.array([s[3] for s in shapes])
    density = population.densities(session, lons, lats) if counts else np.array([])
    features: list[dict[str, Any]] = []
    for c, (ring, area, _lon, _lat), dens in zip(counts, shapes, density, strict=True):
        residents = float(area * dens) if np.isfinite(dens) else None
        features.append(
            {
                "type": "Feature",
                "id": cell_to_str(c.cell),
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "h3": cell_to_str(c.cell),
                    "count": c.n,
                    ("overdue" if w.layer == "reports" else "active"): c.overdue,
                    ("overdue_share" if w.layer == "reports" else "active_share"): round(c.overdue / c.n, 4),
                    "top_categories": [{"code": k, "count": n} for k, n in c.top],
                    "area_km2": round(area, 4),
                    "per_km2": round(c.n / area, 3),
                    "residents_est": round(residents, 1) if residents is not None else None,
                    "per_1000_residents": round(1000 * c.n / residents, 3) if residents else None,
                },
            }
        )
    missing_pop = sum(1 for f in features if f["properties"]["per_1000_residents"] is None)
    return {
        "type": "FeatureCollection",
        "features": features,
        "meta": {
            "layer": w.layer,
            "resolution": w.resolution,
            "start": w.start.isoformat(),
            "end": w.end.isoformat(),
            "category": list(w.categories),
            "status": list(w.statuses),
            "agency": w.agency,
            "commune": w.commune,
            "bbox": list(w.bbox) if w.bbox else None,
            "bbox_semantics": "hexagons intersecting the bbox, with all their points",
            "time_field": "received_at" if w.layer == "reports" else "occurred_at",
            "cells": len(features),
            "total": sum(c.n for c in counts),
            "population": {
                "available": bool(features) and missing_pop < len(features),
                "cells_without_population": missing_pop,
                "source": population.SOURCE,
                "method": population.METHOD,
                "note_vi": None
                if missing_pop == 0
                else "Một số ô không có số liệu dân số (ngoài các xã có số liệu năm 2019)",
                "note_en": None
                if missing_pop == 0
                else "Some cells have no population figure (outside the communes with 2019 figures)",
            },
        },
    }
