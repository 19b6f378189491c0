"""Geometry helpers for administrative units: unions of predecessors, geodesic areas."""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Iterable, Mapping

import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

_GEOD = Geod(ellps="WGS84")


def nfc(text: str | None) -> str | None:
    """Vietnamese text is stored in NFC so equal names compare equal."""
    return unicodedata.normalize("NFC", text) if text is not None else None


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """Store every area as a MultiPolygon so one column type fits all units."""
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    polys = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon)]
    if not polys:
        raise ValueError(f"not an area: {geom.geom_type}")
    return MultiPolygon(polys)


def geodesic_area_km2(geom: BaseGeometry) -> float:
    """Area on the WGS84 ellipsoid, in km² (lon/lat input)."""
    area, _ = _GEOD.geometry_area_perimeter(geom)
    return abs(area) / 1e6


def union_by_key(
    geoms: Iterable[BaseGeometry], keys: Iterable[Hashable]
) -> dict[Hashable, MultiPolygon]:
    """Dissolve areas by key, e.g. old communes into the new commune that absorbed them."""
    groups: dict[Hashable, list[BaseGeometry]] = {}
    for geom, key in zip(geoms, keys, strict=True):
        groups.setdefault(key, []).append(geom)
    return {k: as_multipolygon(shapely.union_all(v).buffer(0)) for k, v in groups.items()}


def dissolve(geoms: Iterable[BaseGeometry]) -> MultiPolygon:
    """The outline of a set of areas (the district as the union of its communes)."""
    return as_multipolygon(shapely.union_all(list(geoms)).buffer(0))


def group_keys(mapping: Mapping[str, str]) -> dict[str, list[str]]:
    """Invert an old -> new mapping into new -> [old, ...], sorted for stable output."""
    out: dict[str, list[str]] = {}
    for old, new in sorted(mapping.items()):
        out.setdefault(new, []).append(old)
    return out
