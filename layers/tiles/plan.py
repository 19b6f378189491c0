"""What one tile of one layer contains, decided before any SQL runs.

The plan fixes the MVT attributes, whether points are thinned, the simplification
tolerance, the cache key and the ETag. Everything that changes the bytes of a tile is
in the key, so the ETag is known (and ``If-None-Match`` answered) without building it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session

from gis import tiles as tm
from layers.catalog import visible_to
from layers.db import fetch_row
from layers.errors import NotFound
from layers.tiles.settings import TileSettings

Mode = Literal["product", "full"]
POINT_TYPES = frozenset({"point", "multipoint"})
# The thinning pyramid holds zooms 0..CLUSTER_TOP (cells of zoom CLUSTER_TOP + 5 = 20,
# about 38 m at the equator); from CLUSTER_TOP + 1 = 16 up, tiles carry every point.
CLUSTER_TOP = 15
CLUSTER_LAYER = "clusters"
# Bump when the SQL changes what a tile looks like, so clients and caches refetch.
RENDER_REVISION = 3


class LayerLike(Protocol):
    """What tiles need of a catalogue layer (an ORM ``Layer`` or a ``TileLayer``)."""

    @property
    def id(self) -> int: ...
    @property
    def slug(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def visibility(self) -> str: ...
    @property
    def geometry_type(self) -> str: ...
    @property
    def attributes(self) -> list[dict[str, Any]]: ...
    @property
    def min_zoom(self) -> int: ...
    @property
    def max_zoom(self) -> int: ...


@dataclass(frozen=True)
class TileLayer:
    """The catalogue columns a tile request reads, without the ORM (see ``tile_layer``)."""

    id: int
    slug: str
    version: int
    visibility: str
    geometry_type: str
    attributes: list[dict[str, Any]]
    min_zoom: int
    max_zoom: int
    # The registry columns of the current version's tile store, None when it has none.
    store: list[dict[str, str]] | None = None


# The tile route runs hundreds of times per map view; a plain row costs about half of an
# ORM entity (0.33 vs 0.65 ms of CPU), a third of a cached tile's budget, and a row read
# straight from psycopg (``fetch_row``) a third of that again.
_LAYER_SQL = """
    SELECT l.id, l.slug, l.version, l.visibility, l.geometry_type, l.attributes, l.min_zoom, l.max_zoom,
           s.columns
    FROM layers l LEFT JOIN layer_tile_stores s ON s.layer_id = l.id AND s.version = l.version
    WHERE l.slug = :slug AND l.visibility = ANY(:visible)
"""


def tile_layer(session: Session, slug: str, role: str | None) -> TileLayer:
    """``catalog.get_layer`` for tiles: the same visibility rule and the same 404."""
    row = fetch_row(session, _LAYER_SQL, {"slug": slug, "visible": list(visible_to(role))})
    if row is None:
        raise NotFound(f"Không có lớp dữ liệu / no such layer: {slug}", code="layer_not_found")
    return TileLayer(*row)


@dataclass(frozen=True)
class Attribute:
    name: str
    type: str


@dataclass(frozen=True)
class TilePlan:
    layer_id: int
    slug: str
    version: int
    geometry_type: str
    tile: tm.Tile
    mode: Mode
    thinned: bool
    attributes: tuple[Attribute, ...]
    simplify_m: float | None
    etag: str
    # Product tiles of lines/polygons below max zoom: the smallest bbox side drawn (metres).
    min_size_m: float | None = None
    # The version's tile-store table and, per attribute above, its column there; None when
    # the version has no store or it lacks one of the attributes (read layer_features).
    store_table: str | None = None
    store_columns: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[Any, ...]:
        """The tile cache key: layer, version, z, x, y and everything else shaping the bytes."""
        return (self.layer_id, self.version, self.tile.z, self.tile.x, self.tile.y, self.etag)

    @property
    def points_only(self) -> bool:
        return self.geometry_type in POINT_TYPES


def is_point_layer(layer: LayerLike) -> bool:
    return (layer.geometry_type or "").lower() in POINT_TYPES


def full_detail_zoom(layer: LayerLike, settings: TileSettings) -> int:
    """Below this zoom a point layer's product tiles are thinned; from it up, nothing is."""
    return max(0, min(layer.max_zoom, settings.full_detail_zoom, CLUSTER_TOP + 1))


def tile_attributes(layer: LayerLike, mode: Mode) -> tuple[Attribute, ...]:
    """Full tiles carry every attribute; product tiles only those the popup shows."""
    return tuple(
        Attribute(str(a["name"]), str(a.get("type") or "string"))
        for a in (layer.attributes or [])
        if a.get("name") and (mode == "full" or a.get("popup"))
    )


def _store(layer: LayerLike, attributes: tuple[Attribute, ...]) -> tuple[str | None, tuple[str, ...]]:
    columns = getattr(layer, "store", None)
    if columns is None or not layer.version:
        return None, ()
    by_attribute = {(c["name"], c["type"]): c["column"] for c in columns}
    try:
        picked = tuple(by_attribute[(a.name, a.type)] for a in attributes)
    except KeyError:  # the schema changed since the store was built
        return None, ()
    return f"tile_store.l{int(layer.id)}_v{int(layer.version)}", picked


def plan_tile(layer: LayerLike, z: int, x: int, y: int, mode: Mode, settings: TileSettings) -> TilePlan:
    """Validate z/x/y (404 ``tile_out_of_range`` outside the grid) and plan the tile."""
    try:
        t = tm.tile(z, x, y)
    except tm.TileOutOfRange as exc:
        raise NotFound(exc.message, code=exc.code, zoom_range=[0, tm.MAX_ZOOM]) from exc
    geometry_type = (layer.geometry_type or "").lower()
    attributes = tile_attributes(layer, mode)
    thinned = mode == "product" and geometry_type in POINT_TYPES and z < full_detail_zoom(layer, settings)
    simplify = (tm.simplify_tolerance_m(z)
                if mode == "product" and geometry_type not in POINT_TYPES and z < layer.max_zoom
                else None)
    min_size = tm.min_drawn_m(z) if simplify is not None else None
    store_table, store_columns = _store(layer, attributes)
    # The store changes the order of features in the tile (not their content): its own ETag.
    shape = repr((RENDER_REVISION, mode, geometry_type, thinned, simplify,
                  [(a.name, a.type) for a in attributes], store_table is not None)).encode()
    digest = hashlib.blake2b(shape, digest_size=6).hexdigest()
    etag = f'"{layer.id}-{layer.version}-{mode[0]}{digest}-{z}-{x}-{y}"'
    return TilePlan(layer_id=layer.id, slug=layer.slug, version=layer.version,
                    geometry_type=geometry_type, tile=t, mode=mode, thinned=thinned,
                    attributes=attributes, simplify_m=simplify, etag=etag,
                    store_table=store_table, store_columns=store_columns, min_size_m=min_size)
