"""Web-Mercator (XYZ, WebMercatorQuad) tile maths: validation, bounds, per-zoom sizes.

Pure numbers, no database: ``layers.tiles`` turns these into SQL parameters. Tile ``y``
counts from the north edge (XYZ / Google scheme, what Leaflet and MapLibre request).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gis.errors import GisError

MAX_ZOOM = 22
# MVT grid: 4096 units per tile side, 64 units of buffer so lines and point symbols that
# cross a tile edge are drawn whole by both tiles.
EXTENT = 4096
BUFFER = 64
# Half the width of the Web-Mercator world in metres (EPSG:3857 x runs -ORIGIN..ORIGIN).
ORIGIN = 20037508.342789244
WORLD = 2 * ORIGIN
MAX_LAT = 85.0511287798066
# Point thinning merges the points of each cell of a CLUSTER_GRID x CLUSTER_GRID grid per
# tile: 128 units of 4096, i.e. 32 screen pixels of a 256-pixel tile, about the size of a
# cluster marker (smaller cells only draw markers on top of each other, and cost more to
# encode). A power of two, so the cells of zoom z are the tiles of zoom z + CLUSTER_SHIFT.
CLUSTER_SHIFT = 5
CLUSTER_GRID = 1 << CLUSTER_SHIFT
# Lines and polygons are simplified (Douglas-Peucker) with this many tile units of
# tolerance: a quarter of a screen pixel, invisible, but it drops most vertices of
# detailed boundaries at low zoom before they are clipped and encoded.
SIMPLIFY_UNITS = 4.0
# Below a layer's max zoom, product tiles leave out lines and polygons whose bounding box is
# under two screen pixels of a 256-pixel tile on its longer side (they are counted as too
# small to draw): 100,000 parcels put 25,000 features of ~2 pixels into one zoom-12 tile,
# a 691 KiB texture; without the third under 2 pixels it stays under 500 KiB.
MIN_DRAWN_UNITS = 32.0


class TileOutOfRange(GisError):
    """z/x/y does not name a tile of the WebMercatorQuad matrix."""

    code = "tile_out_of_range"


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    def __str__(self) -> str:
        return f"{self.z}/{self.x}/{self.y}"


def tile(z: int, x: int, y: int) -> Tile:
    """A validated tile: 0 <= z <= MAX_ZOOM and 0 <= x, y < 2**z."""
    if not 0 <= z <= MAX_ZOOM:
        raise TileOutOfRange(
            f"Mức thu phóng phải từ 0 đến {MAX_ZOOM} / zoom must be 0..{MAX_ZOOM}, got {z}")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise TileOutOfRange(
            f"Ô {z}/{x}/{y} nằm ngoài lưới / tile {z}/{x}/{y} is outside the grid: "
            f"x and y must be 0..{n - 1} at zoom {z}")
    return Tile(z, x, y)


def tile_size_m(z: int) -> float:
    """Side of a tile of zoom ``z`` in EPSG:3857 metres."""
    return WORLD / (1 << z)


def unit_m(z: int, extent: int = EXTENT) -> float:
    """Side of one MVT unit (1/extent of a tile) at zoom ``z``, in metres."""
    return tile_size_m(z) / extent


def tile_bounds_3857(t: Tile) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of the tile in EPSG:3857; same as PostGIS ST_TileEnvelope."""
    size = tile_size_m(t.z)
    minx = -ORIGIN + t.x * size
    maxy = ORIGIN - t.y * size
    return (minx, maxy - size, minx + size, maxy)


def simplify_tolerance_m(z: int, extent: int = EXTENT) -> float:
    """Douglas-Peucker tolerance for lines and polygons drawn at zoom ``z``."""
    return unit_m(z, extent) * SIMPLIFY_UNITS


def min_drawn_m(z: int, extent: int = EXTENT) -> float:
    """Smallest bounding-box side (metres) of a line or polygon drawn in a product tile."""
    return unit_m(z, extent) * MIN_DRAWN_UNITS


def cluster_cell_m(z: int) -> float:
    """Side of a point-thinning cell in tiles of zoom ``z``, in metres."""
    return tile_size_m(z + CLUSTER_SHIFT)


def lonlat_to_3857(lon: float, lat: float) -> tuple[float, float]:
    """Spherical Web Mercator; latitudes are clamped to the square world's edge."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    x = lon * ORIGIN / 180.0
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * ORIGIN / math.pi
    return x, y


def lonlat_to_tile(lon: float, lat: float, z: int) -> Tile:
    """The tile of zoom ``z`` that contains (lon, lat)."""
    x, y = lonlat_to_3857(lon, lat)
    n = 1 << z
    tx = min(n - 1, max(0, math.floor((x + ORIGIN) / WORLD * n)))
    ty = min(n - 1, max(0, math.floor((ORIGIN - y) / WORLD * n)))
    return Tile(z, tx, ty)


def zoom_to_fit(bbox: tuple[float, float, float, float], min_zoom: int = 0,
                max_zoom: int = MAX_ZOOM, pixels: int = 512) -> int:
    """The largest zoom at which ``bbox`` (lon/lat) fits in about ``pixels`` screen pixels."""
    minx, miny = lonlat_to_3857(bbox[0], bbox[1])
    maxx, maxy = lonlat_to_3857(bbox[2], bbox[3])
    span = max(maxx - minx, maxy - miny)
    # at zoom z the world is 256 * 2**z pixels wide
    zoom = max_zoom if span <= 0 else math.floor(math.log2(pixels / 256 * WORLD / span))
    return max(min_zoom, min(max_zoom, zoom))
