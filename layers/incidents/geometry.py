"""What an operator drew for an incident: a GeoJSON Point, Polygon or MultiPolygon in WGS84.

Refused rather than repaired: the operator sees why (self-intersection, too many vertices,
too large) and redraws, because a silently "fixed" flood outline can be wrong on the map
that leaders decide from. Polygons are stored as MultiPolygon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from layers.errors import InvalidInput

MAX_VERTICES = 20_000
MAX_AREA_KM2 = 5_000.0  # the district is ~680 km²; an outline beyond this is a mistake
_GEOD = Geod(ellps="WGS84")
KINDS = ("Point", "Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Drawn:
    geom: BaseGeometry  # Point or MultiPolygon
    anchor: Point  # the point itself, or a point inside the area
    area_km2: float | None

    @property
    def is_area(self) -> bool:
        return not isinstance(self.geom, Point)

    def geojson(self) -> dict[str, Any]:
        return dict(mapping(self.geom))


def _bad(message: str, code: str = "bad_geometry", **extra: Any) -> InvalidInput:
    return InvalidInput(message, code=code, **extra)


def _coordinates_ok(geom: BaseGeometry) -> bool:
    coords = shapely.get_coordinates(geom)
    return bool(len(coords)) and bool(
        (abs(coords[:, 0]) <= 180).all()
        and (abs(coords[:, 1]) <= 90).all()
        and all(math.isfinite(float(v)) for v in coords.ravel())
    )


def parse(geometry: dict[str, Any]) -> Drawn:
    """Validate a GeoJSON geometry (lon, lat) and derive the anchor point and area."""
    if not isinstance(geometry, dict) or geometry.get("type") not in KINDS:
        raise _bad(
            "Hình học phải là Point, Polygon hoặc MultiPolygon (GeoJSON) / the geometry must "
            "be a GeoJSON Point, Polygon or MultiPolygon",
            allowed=list(KINDS),
        )
    try:
        geom = shape(geometry)
    except Exception:
        raise _bad("Không đọc được tọa độ GeoJSON / unreadable GeoJSON coordinates") from None
    if geom.is_empty:
        raise _bad("Hình học rỗng / empty geometry", code="empty_geometry")
    if shapely.get_num_coordinates(geom) > MAX_VERTICES:
        raise _bad(
            f"Quá nhiều đỉnh (tối đa {MAX_VERTICES}) / too many vertices (at most {MAX_VERTICES})",
            code="too_many_vertices",
            max=MAX_VERTICES,
        )
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    if not _coordinates_ok(geom):
        raise _bad(
            "Tọa độ ngoài phạm vi WGS84 (kinh độ, vĩ độ) / coordinates out of WGS84 range (lon, lat order)",
            code="bad_coordinates",
        )
    if isinstance(geom, Point):
        return Drawn(geom=geom, anchor=geom, area_km2=None)
    if not geom.is_valid:
        raise _bad(
            f"Vùng không hợp lệ: {explain_validity(geom)} / invalid polygon: {explain_validity(geom)}",
            code="invalid_polygon",
        )
    multi = MultiPolygon([geom]) if isinstance(geom, Polygon) else geom
    area = abs(_GEOD.geometry_area_perimeter(multi)[0]) / 1e6
    if area <= 0:
        raise _bad("Vùng có diện tích bằng 0 / the area is zero", code="empty_geometry")
    if area > MAX_AREA_KM2:
        raise _bad(
            f"Vùng quá lớn ({area:.0f} km², tối đa {MAX_AREA_KM2:.0f}) / the area is too large",
            code="area_too_large",
            area_km2=round(area, 1),
            max_km2=MAX_AREA_KM2,
        )
    centroid = multi.centroid
    anchor = centroid if multi.contains(centroid) else multi.representative_point()
    return Drawn(geom=multi, anchor=anchor, area_km2=round(area, 4))
