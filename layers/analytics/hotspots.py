"""Hotspots: Getis-Ord Gi* on the H3 grid (PySAL ``esda.G_Local``).

* Study area: every cell of the resolution whose centre lies in the district (plus any
  cell holding data), with zero counts where nothing happened; a Gi* over only the
  non-empty cells would compare busy cells with busy cells.
* Weights: binary, neighbours = ``h3.grid_disk(cell, 1)``, the cell itself included
  (that is the "star"); no row standardisation.
* Significance: z-scores with two-sided normal p-values (no permutations: analytic, fast,
  deterministic), then Benjamini-Hochberg false-discovery-rate adjustment over all cells,
  because hundreds of simultaneous tests would otherwise flag ~10 % of pure noise at 90 %.
  Classes: hot/cold at 99 % (q ≤ 0.01), 95 % (q ≤ 0.05), 90 % (q ≤ 0.10), else not significant.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from sqlalchemy import text
from sqlalchemy.orm import Session

from gis.hexgrid import cell_to_str, geometry_to_cells, grid_neighbours
from layers.analytics.heatmap import cell_shape, cell_table, in_bbox
from layers.analytics.window import Window
from layers.errors import InvalidInput

LEVELS = ((0.01, 99), (0.05, 95), (0.10, 90))
MIN_CELLS = 30
MAX_STUDY_CELLS = 60_000
_TTL = 600.0
_area_cache: dict[tuple[str, int], tuple[float, frozenset[int]]] = {}


@dataclass
class GiStar:
    cells: list[int]
    counts: np.ndarray
    z: np.ndarray
    p: np.ndarray
    q: np.ndarray


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (monotone, capped at 1)."""
    n = len(p)
    if n == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def gi_star(cells: list[int], counts: np.ndarray) -> GiStar:
    """Gi* z-scores and p-values of ``counts`` on ``cells`` (neighbours by grid_disk k=1)."""
    from esda.getisord import G_Local  # heavy import (numba, scipy): only when asked
    from libpysal.weights import W

    index = {c: i for i, c in enumerate(cells)}
    neighbours: dict[int, list[int]] = {}
    for i, c in enumerate(cells):
        neighbours[i] = [i, *(index[n] for n in grid_neighbours(c) if n in index)]
    weights = {i: [1.0] * len(ns) for i, ns in neighbours.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands / disconnected parts are expected at the edges
        w = W(neighbours, weights, silence_warnings=True)
        g = G_Local(counts.astype(float), w, transform="B", star=None, permutations=0)
    z = np.nan_to_num(np.asarray(g.Zs, dtype=float))
    p = 2 * stats.norm.sf(np.abs(z))
    return GiStar(cells=cells, counts=counts, z=z, p=p, q=bh_adjust(p))


def classify(z: float, q: float) -> tuple[str, int | None]:
    for alpha, confidence in LEVELS:
        if q <= alpha:
            return ("hot" if z > 0 else "cold"), confidence
    return "not_significant", None


def study_area(session: Session, resolution: int) -> frozenset[int]:
    """Cells whose centre is in the district (cached per database and resolution)."""
    key = (str(session.get_bind().engine.url), resolution)
    hit = _area_cache.get(key)
    if hit and time.monotonic() - hit[0] < _TTL:
        return hit[1]
    # The district outline (abolished in 2025, its land unchanged); else the communes' union.
    geojson = session.scalar(
        text("""
        SELECT ST_AsGeoJSON(coalesce(
            (SELECT geom FROM admin_units WHERE level = 'district' AND geom IS NOT NULL
             ORDER BY valid_from DESC NULLS LAST LIMIT 1),
            (SELECT ST_Multi(ST_Union(geom)) FROM admin_units WHERE level = 'commune'
             AND geom IS NOT NULL AND (valid_to IS NULL OR valid_to >= CURRENT_DATE))), 6)""")
    )
    cells: frozenset[int] = frozenset()
    if geojson:
        import orjson

        cells = frozenset(geometry_to_cells(orjson.loads(geojson), resolution))
    _area_cache[key] = (time.monotonic(), cells)
    return cells


def hotspots(session: Session, w: Window) -> dict[str, Any]:
    """Gi* hot and cold spots of a resolved window, as GeoJSON hexagons."""
    started = time.perf_counter()
    table = cell_table(session, w)
    counts = dict(zip(table.cells.tolist(), table.n.tolist(), strict=True))
    cells = sorted(study_area(session, w.resolution) | counts.keys())
    if len(cells) > MAX_STUDY_CELLS:
        raise InvalidInput(
            "Quá nhiều ô cho phân tích điểm nóng; chọn độ phân giải thấp hơn / too many "
            "cells for hotspot analysis; choose a lower resolution",
            code="too_many_cells",
            cells=len(cells),
            max=MAX_STUDY_CELLS,
        )
    if len(cells) < MIN_CELLS:
        raise InvalidInput(
            f"Cần ít nhất {MIN_CELLS} ô; chọn độ phân giải cao hơn / at least "
            f"{MIN_CELLS} cells are needed; choose a finer resolution",
            code="too_few_cells",
            cells=len(cells),
            min=MIN_CELLS,
        )
    y = np.array([counts.get(c, 0) for c in cells], dtype=float)
    result = (
        gi_star(cells, y)
        if y.sum() > 0
        else GiStar(cells, y, np.zeros(len(y)), np.ones(len(y)), np.ones(len(y)))
    )
    mask = in_bbox(cells, w.bbox)
    features, summary = [], {"hot": {90: 0, 95: 0, 99: 0}, "cold": {90: 0, 95: 0, 99: 0}}
    for i, cell in enumerate(cells):
        if not mask[i]:
            continue
        label, confidence = classify(float(result.z[i]), float(result.q[i]))
        if confidence is not None:
            summary[label][confidence] += 1
        if label == "not_significant" and y[i] == 0:
            continue  # keep the payload small: empty, unremarkable cells are implied
        features.append(
            {
                "type": "Feature",
                "id": cell_to_str(cell),
                "geometry": {"type": "Polygon", "coordinates": [cell_shape(cell)[0]]},
                "properties": {
                    "h3": cell_to_str(cell),
                    "count": int(y[i]),
                    "z": round(float(result.z[i]), 3),
                    "p": float(f"{result.p[i]:.4g}"),
                    "q": float(f"{result.q[i]:.4g}"),
                    "class": label,
                    "confidence": confidence,
                    "class_label": f"{label}_{confidence}" if confidence else label,
                },
            }
        )
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
            "study_cells": len(cells),
            "total": int(y.sum()),
            "method": "Getis-Ord Gi* (PySAL esda.G_Local, star, binary weights)",
            "neighbours": "h3.grid_disk k=1 (the cell and its 6 neighbours)",
            "p_values": "two-sided, normal approximation",
            "correction": "Benjamini-Hochberg false discovery rate",
            "significance_levels": {"99": 0.01, "95": 0.05, "90": 0.10},
            "significance_note_vi": "Điểm nóng/lạnh với độ tin cậy 90/95/99 % (đã hiệu chỉnh FDR)",
            "significance_note_en": "Hot/cold spots at 90/95/99 % confidence (FDR-adjusted)",
            "summary": summary,
            "seconds": round(time.perf_counter() - started, 3),
        },
    }
