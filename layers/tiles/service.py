"""Entry points for the API: plan a tile, serve it from the cache or build it, TileJSON."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from layers.db import session_scope
from layers.models import Layer, LayerVersion
from layers.tiles import store
from layers.tiles.cache import CachedTile, TileCache
from layers.tiles.clusters import ensure_clusters
from layers.tiles.plan import Mode, TileLayer, TilePlan, is_point_layer, plan_tile, tile_layer
from layers.tiles.render import Rendered, render_clusters, render_features
from layers.tiles.settings import TileSettings, get_tile_settings
from layers.tiles.tilejson import tilejson

__all__ = ["CachedTile", "Mode", "TileLayer", "TilePlan", "TileRuntime", "get_tile", "plan_tile",
           "prepare_layer", "tile_layer", "tilejson"]


@dataclass
class TileRuntime:
    """Settings plus the process's tile cache (None when disabled)."""

    settings: TileSettings
    cache: TileCache | None

    @classmethod
    def from_settings(cls, settings: TileSettings | None = None) -> TileRuntime:
        settings = settings or get_tile_settings()
        cache = None
        if settings.cache_mb > 0:
            cache = TileCache(int(settings.cache_mb * 1024 * 1024), settings.cache_max_tile_kb * 1024)
        return cls(settings=settings, cache=cache)


def _render(session: Session, plan: TilePlan, settings: TileSettings,
            writer: sessionmaker[Session] | None) -> Rendered:
    if not plan.thinned:
        return render_features(session, plan, settings.max_features)
    rendered = render_clusters(session, plan)
    if rendered.unbuilt:
        # First thinned tile of this version (the render saw no pyramid in its own
        # snapshot): build it, or wait (advisory lock) for the request already building
        # it; either way render again, so a tile asked for during the build is never
        # answered (and cached) empty.
        if writer is None:
            ensure_clusters(session, plan.layer_id, plan.version)
        else:
            with session_scope(writer) as build:
                ensure_clusters(build, plan.layer_id, plan.version)
        rendered = render_clusters(session, plan)
    return rendered


def get_tile(session: Session, plan: TilePlan, runtime: TileRuntime,
             writer: sessionmaker[Session] | None = None) -> tuple[CachedTile, bool]:
    """The tile's bytes and counts, and whether they came from the cache.

    ``session`` may be an autocommit one (``layers.db.read_sessionmaker``: every tile is a
    single statement); the thinning pyramid, built once per version under a transaction
    advisory lock, is then built in a transaction of ``writer``.
    """
    cache = runtime.cache
    if cache is not None:
        hit = cache.get(plan.key)
        if hit is not None:
            return hit, True
    r = _render(session, plan, runtime.settings, writer)
    tile = CachedTile(data=r.data, features=r.features, points=r.points, subpixel=r.subpixel)
    if cache is not None:
        cache.put(plan.key, tile)
    return tile, False


def prepare_layer(session: Session, layer: Layer) -> int:
    """Build what the current version's tiles need ahead of the first request: its tile
    store if missing (a version written by ``write_version`` has one) and, for a point
    layer, the thinning pyramid; returns the pyramid rows written, 0 when none were."""
    if not layer.version:
        return 0
    if layer.version not in store.stored_versions(session, layer.id):
        version = session.get(LayerVersion, (layer.id, layer.version))
        store.build(session, layer.id, layer.version, version.attributes if version else layer.attributes)
    if not is_point_layer(layer):
        return 0
    return ensure_clusters(session, layer.id, layer.version)
