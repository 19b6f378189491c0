"""Helpers for the vector-tile tests: layers with known features, and tile maths written
independently of ``gis.tiles`` so the tests do not check the code against itself."""

from __future__ import annotations

import math
from typing import Any

import mapbox_vector_tile
from shapely.geometry.base import BaseGeometry

from layers.features import FeatureRow, write_version
from layers.models import Layer

EXTENT = 4096


def attr(name: str, kind: str = "string", popup: bool = True) -> dict[str, Any]:
    return {"name": name, "type": kind, "label_vi": name, "label_en": name, "popup": popup}


def make_layer(db, slug: str, geometry_type: str, features: list[tuple[BaseGeometry, dict[str, Any]]], *,
               attributes: list[dict[str, Any]], visibility: str = "public", min_zoom: int = 0,
               max_zoom: int = 22) -> Layer:
    layer = Layer(slug=slug, title_vi=f"Lớp {slug}", title_en=f"Layer {slug}", layer_group="other",
                  kind="upload", geometry_type=geometry_type, visibility=visibility, style={}, options={},
                  default_on=False, sort_order=100, min_zoom=min_zoom, max_zoom=max_zoom, attributes=[],
                  source="thử nghiệm <test>", licence="CC0")
    db.add(layer)
    db.flush()
    write_version(db, layer, [FeatureRow(g, p) for g, p in features], attributes=attributes)
    db.flush()
    return layer


def world_fraction(lon: float, lat: float) -> tuple[float, float]:
    """(lon, lat) as a fraction of the Web-Mercator world, y from the north edge."""
    lat_r = math.radians(lat)
    return (lon + 180.0) / 360.0, (1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    fx, fy = world_fraction(lon, lat)
    return math.floor(fx * 2**z), math.floor(fy * 2**z)


def pixel_in(lon: float, lat: float, z: int, x: int, y: int) -> tuple[float, float]:
    """MVT coordinates (0..4096, y down) of (lon, lat) in tile z/x/y."""
    fx, fy = world_fraction(lon, lat)
    return (fx * 2**z - x) * EXTENT, (fy * 2**z - y) * EXTENT


def decode(data: bytes) -> dict[str, Any]:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True}) if data else {}
