"""Residents per H3 cell, estimated from the communes' census population.

Source: ``admin_units.pop_2019`` (GSO, census of 1 April 2019) of the communes valid on
that date. A cell's residents = its area × the density of the commune containing its
centre (areal interpolation; people are assumed evenly spread within a commune, which
over-counts forests and under-counts town centres). Cells whose centre lies in no such
commune get no figure, and the response says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.orm import Session

CENSUS_DATE = date(2019, 4, 1)
SOURCE = "GSO, Tổng điều tra dân số 1/4/2019 (admin_units.pop_2019) / GSO population census of 1 April 2019"
METHOD = (
    "dân số ô = diện tích ô × mật độ của xã chứa tâm ô / cell residents = cell area × "
    "density of the commune containing the cell centre"
)
_TTL = 600.0


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    density_km2: float
    geom: BaseGeometry


_cache: dict[str, tuple[float, list[Commune]]] = {}


def communes(session: Session) -> list[Commune]:
    """Communes with a population figure (cached per database for ten minutes)."""
    key = str(session.get_bind().engine.url)
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < _TTL:
        return hit[1]
    rows = session.execute(
        text("""
        SELECT u.code, u.name, u.pop_2019::float8 / (ST_Area(u.geom::geography) / 1e6) AS density,
               ST_AsBinary(u.geom) AS wkb
        FROM admin_units u
        WHERE u.level = 'commune' AND u.pop_2019 IS NOT NULL AND u.geom IS NOT NULL
          AND (u.valid_from IS NULL OR u.valid_from <= :on) AND (u.valid_to IS NULL OR u.valid_to >= :on)
        ORDER BY u.code"""),
        {"on": CENSUS_DATE},
    ).all()
    out = [Commune(r.code, r.name, float(r.density), shapely.from_wkb(bytes(r.wkb))) for r in rows]
    for c in out:
        shapely.prepare(c.geom)
    _cache[key] = (time.monotonic(), out)
    return out


def densities(session: Session, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Residents per km² at each (lon, lat); NaN where no commune with a figure covers it."""
    result = np.full(len(lons), np.nan)
    for c in communes(session):
        inside = shapely.contains_xy(c.geom, lons, lats) & np.isnan(result)
        result[inside] = c.density_km2
    return result
