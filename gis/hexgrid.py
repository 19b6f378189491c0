"""H3 hexagon cells for points: the only place that speaks h3's (lat, lng) order.

Everything else in the code base passes (lon, lat) and gets cells back as 64-bit integers
(h3 keeps the top bit zero, so a cell fits a signed PostgreSQL BIGINT).
"""

from __future__ import annotations

import math

import h3

#: The resolutions stored with every report: r5 (~250 km²) for the district overview
#: down to r10 (~0.015 km², a street block) for the street view.
RESOLUTIONS: tuple[int, ...] = (5, 6, 7, 8, 9, 10)


def _check(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"not a WGS84 lon/lat: {lon!r}, {lat!r}")


def lonlat_to_cell(lon: float, lat: float, resolution: int) -> int:
    """The H3 cell containing a lon/lat point, as an integer."""
    _check(lon, lat)
    return int(h3.str_to_int(h3.latlng_to_cell(lat, lon, resolution)))


def lonlat_to_cells(
    lon: float, lat: float, resolutions: tuple[int, ...] = RESOLUTIONS
) -> dict[int, int]:
    """Cells of one point at several resolutions: {resolution: cell}."""
    _check(lon, lat)
    return {r: int(h3.str_to_int(h3.latlng_to_cell(lat, lon, r))) for r in resolutions}


def cell_to_lonlat(cell: int) -> tuple[float, float]:
    """The centre of a cell as (lon, lat)."""
    lat, lng = h3.cell_to_latlng(h3.int_to_str(cell))
    return (lng, lat)


def cell_boundary_lonlat(cell: int) -> list[tuple[float, float]]:
    """The closed outline of a cell as a GeoJSON-ready ring of (lon, lat)."""
    ring = [(lng, lat) for lat, lng in h3.cell_to_boundary(h3.int_to_str(cell))]
    return [*ring, ring[0]]


def cell_resolution(cell: int) -> int:
    return int(h3.get_resolution(h3.int_to_str(cell)))


# ---- added for the analytics (heatmaps, hotspots): grid geometry of integer cells ----------


def cell_to_str(cell: int) -> str:
    """The cell's canonical hexadecimal id (what h3-js and the API speak)."""
    return str(h3.int_to_str(cell))


def str_to_cell(value: str) -> int:
    """Parse a hexadecimal cell id; ``ValueError`` when it is not a valid H3 cell."""
    if not isinstance(value, str) or not 1 <= len(value) <= 16 or not h3.is_valid_cell(value.lower()):
        raise ValueError(f"not an H3 cell: {value!r}")
    return int(h3.str_to_int(value.lower()))


def cell_area_km2(cell: int) -> float:
    """The cell's exact area in km² (cells of one resolution differ by up to ~2x)."""
    return float(h3.cell_area(h3.int_to_str(cell), "km^2"))


def grid_neighbours(cell: int, k: int = 1) -> list[int]:
    """The cells within ``k`` steps of ``cell`` (grid_disk), the cell itself excluded."""
    return [int(h3.str_to_int(c)) for c in h3.grid_disk(h3.int_to_str(cell), k) if h3.str_to_int(c) != cell]


def geometry_to_cells(geometry: dict[str, object], resolution: int) -> set[int]:
    """Cells whose centre lies inside a GeoJSON (lon, lat) Polygon or MultiPolygon."""
    return {int(h3.str_to_int(c)) for c in h3.geo_to_cells(geometry, resolution)}
