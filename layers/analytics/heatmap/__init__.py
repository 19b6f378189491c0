"""H3 heatmaps of reports and incidents: counts per hexagon aggregated in PostgreSQL
(``counts``), drawn as GeoJSON hexagons with rates per km² and per 1,000 residents.

Each point stores its cell at every resolution (``h3_r5`` .. ``h3_r10``, computed with
``h3.latlng_to_cell`` when written), so a hexagon counts exactly the points inside it
(a fine cell's parent is not always the coarse cell containing the point).

``heatmap_json`` is the HTTP path: the FeatureCollection serialised once with orjson, each
hexagon's outline pasted from a per-cell cache of ready JSON (cells never move), so a year
at resolution 9 (~6,000 hexagons) costs little more than its SQL. ``heatmap`` gives the same
content as Python objects (briefing maps, tests); the ``top_categories`` entries are shared
between features: read them, do not change them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import orjson
import shapely
from sqlalchemy.orm import Session

from gis.hexgrid import cell_area_km2, cell_boundary_lonlat, cell_to_lonlat, cell_to_str
from layers.analytics import population
from layers.analytics.heatmap.counts import (
    MAX_CELLS,
    TOP,
    CellCount,
    CellTable,
    cell_counts,
    cell_table,
    clear_cache,
)
from layers.analytics.window import Window

__all__ = [
    "MAX_CELLS",
    "TOP",
    "CellCount",
    "CellTable",
    "cell_counts",
    "cell_shape",
    "cell_table",
    "clear_cache",
    "heatmap",
    "heatmap_json",
    "in_bbox",
]


@lru_cache(maxsize=200_000)
def cell_shape(cell: int) -> tuple[tuple[tuple[float, float], ...], float, float, float]:
    """(outline ring, area km², centre lon, centre lat): cells never move, so cache them."""
    lon, lat = cell_to_lonlat(cell)
    ring = tuple((round(x, 6), round(y, 6)) for x, y in cell_boundary_lonlat(cell))
    return ring, cell_area_km2(cell), lon, lat


@lru_cache(maxsize=200_000)
def _cell_json(cell: int) -> tuple[str, orjson.Fragment, float]:
    """(id string, outline as a ready GeoJSON geometry, rounded area): serialised once per cell."""
    ring, area, _, _ = cell_shape(cell)
    geometry = orjson.dumps({"type": "Polygon", "coordinates": [ring]})
    return cell_to_str(cell), orjson.Fragment(geometry), round(area, 4)


def in_bbox(cells: list[int], bbox: tuple[float, float, float, float] | None) -> np.ndarray:
    """Which cells' hexagons intersect the bbox (the map viewport), as a boolean mask."""
    if bbox is None:
        return np.ones(len(cells), dtype=bool)
    hexes = shapely.polygons([cell_shape(c)[0] for c in cells]) if cells else np.array([])
    return np.asarray(shapely.intersects(hexes, shapely.box(*bbox)), dtype=bool)


class _TopItems(dict[int, dict[str, Any]]):
    """``{"code", "count"}`` objects by top key, made once per distinct (category, count)."""

    def __init__(self, table: CellTable) -> None:
        super().__init__()
        self.width, self.names = table.width, table.names

    def __missing__(self, key: int) -> dict[str, Any]:
        item = self[key] = {"code": self.names[key % self.width], "count": key // self.width}
        return item


def _hexagons(session: Session, w: Window) -> tuple[list[int], list[dict[str, Any]], dict[str, Any]]:
    """The cells, each one's properties (without geometry) and the collection's ``meta``."""
    table = cell_table(session, w)
    if w.bbox is not None:
        table = table.select(in_bbox(table.cells.tolist(), w.bbox))
    cells = table.cells.tolist()
    shapes = [cell_shape(c) for c in cells]
    lons, lats = np.array([s[2] for s in shapes]), np.array([s[3] for s in shapes])
    density = population.densities(session, lons, lats).tolist() if cells else []
    items = _TopItems(table)
    od_key, share_key = ("overdue", "overdue_share") if w.layer == "reports" else ("active", "active_share")
    props: list[dict[str, Any]] = []
    columns = (table.n.tolist(), table.od.tolist(), table.top_keys.tolist(), density)
    for cell, shape, n, od, keys, dens in zip(cells, shapes, *columns, strict=True):
        h3_id, _, area_rounded = _cell_json(cell)
        area = shape[1]
        residents = area * dens if dens == dens else None  # NaN: no commune with a figure
        props.append(
            {
                "h3": h3_id,
                "count": n,
                od_key: od,
                share_key: round(od / n, 4),
                "top_categories": [items[k] for k in keys if k],
                "area_km2": area_rounded,
                "per_km2": round(n / area, 3),
                "residents_est": round(residents, 1) if residents is not None else None,
                "per_1000_residents": round(1000 * n / residents, 3) if residents else None,
            }
        )
    missing_pop = sum(1 for p in props if p["per_1000_residents"] is None)
    meta = {
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
        "cells": len(props),
        "total": int(table.n.sum()),
        "population": {
            "available": bool(props) and missing_pop < len(props),
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
    }
    return cells, props, meta


def heatmap(session: Session, w: Window) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of hexagons with counts and normalised rates."""
    cells, props, meta = _hexagons(session, w)
    features = [
        {
            "type": "Feature",
            "id": p["h3"],
            "geometry": {"type": "Polygon", "coordinates": [cell_shape(c)[0]]},
            "properties": p,
        }
        for c, p in zip(cells, props, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features, "meta": meta}


def heatmap_json(session: Session, w: Window) -> bytes:
    """``heatmap`` serialised as RFC 7946 JSON, the outlines pasted from the cell cache."""
    cells, props, meta = _hexagons(session, w)
    features = [
        {"type": "Feature", "id": p["h3"], "geometry": _cell_json(c)[1], "properties": p}
        for c, p in zip(cells, props, strict=True)
    ]
    return orjson.dumps({"type": "FeatureCollection", "features": features, "meta": meta})
