"""Thinned tiles asked for by several workers while the version's pyramid is being built.

The pyramid (``layer_point_clusters``) is built by the first thinned tile of a version
under a transaction-scoped advisory lock. These tests use committed data and sessions of
their own (one per thread, as two uvicorn workers would have), because the race is
between transactions: the rolled-back ``db`` fixture cannot show it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from shapely.geometry import Point
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from layers.db import make_sessionmaker, session_scope
from layers.tiles import service
from layers.tiles.cache import CachedTile
from layers.tiles.clusters import clusters_exist
from layers.tiles.service import TileRuntime
from layers.tiles.settings import get_tile_settings
from tests.layers.test_tiles import TOWN, scattered
from tests.layers.tile_data import attr, decode, make_layer, tile_of

# The first key of the pyramid's two-int advisory lock ("ti"), see layers.tiles.clusters.
LOCK_NAMESPACE = 0x7469
WAIT_S = 60


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def committed_points(factory: sessionmaker[Session]) -> Iterator[tuple[str, int, int, list[tuple[float, float]]]]:
    """A committed point layer (a dense cloud in town plus scattered points), removed afterwards."""
    slug = f"tile-race-{uuid.uuid4().hex[:10]}"
    pts = scattered(1200, seed=11, spread=0.003) + scattered(40, seed=12, spread=0.1)
    feats = [(Point(p), {"name": f"P{i}"}) for i, p in enumerate(pts)]
    with session_scope(factory) as s:
        layer = make_layer(s, slug, "Point", feats, attributes=[attr("name")], max_zoom=16)
        layer_id, version = layer.id, layer.version
    try:
        yield slug, layer_id, version, pts
    finally:
        with session_scope(factory) as s:  # the pyramid rows go with the layer (ON DELETE CASCADE)
            s.execute(text("DELETE FROM layers WHERE id = :id"), {"id": layer_id})


def worker_runtime() -> TileRuntime:
    """A worker's own settings and tile cache (each uvicorn worker process has one)."""
    return TileRuntime.from_settings(get_tile_settings(cache_mb=8))


def serve(factory: sessionmaker[Session], slug: str, z: int, x: int, y: int, rt: TileRuntime,
          before_commit: Callable[[], None] = lambda: None) -> tuple[CachedTile, bool]:
    """What the tile route does, in a transaction of its own; ``before_commit`` runs inside it."""
    with session_scope(factory) as s:
        layer = service.tile_layer(s, slug, None)
        plan = service.plan_tile(layer, z, x, y, "product", rt.settings)
        assert plan.thinned
        result = service.get_tile(s, plan, rt)
        before_commit()
    return result


def waiting_on_pyramid_lock(factory: sessionmaker[Session], layer_id: int) -> int:
    """Backends waiting (not granted) on the pyramid lock of this layer."""
    with session_scope(factory) as s:
        return int(s.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = :ns AND objid = :layer AND objsubid = 2"),
            {"ns": LOCK_NAMESPACE, "layer": layer_id}).scalar_one())


def tile_points(tile: CachedTile, slug: str) -> int:
    layers = decode(tile.data)
    clusters = layers.get("clusters", {"features": []})["features"]
    singles = layers.get(slug, {"features": []})["features"]
    return sum(f["properties"]["count"] for f in clusters) + len(singles)


def run(target: Callable[[], Any], results: dict[str, Any], name: str) -> threading.Thread:
    def body() -> None:
        try:
            results[name] = target()
        except BaseException as exc:  # re-raised by the test in the main thread
            results[name] = exc
    thread = threading.Thread(target=body, name=name, daemon=True)
    thread.start()
    return thread


def test_a_tile_asked_for_while_another_worker_builds_the_pyramid_waits_for_it_and_is_not_empty(
    factory: sessionmaker[Session], committed_points: tuple[str, int, int, list[tuple[float, float]]]
) -> None:
    slug, layer_id, version, pts = committed_points
    z = 12
    x, y = tile_of(*TOWN, z)
    expected = sum(1 for p in pts if tile_of(*p, z) == (x, y))
    assert expected > 1000
    built, release = threading.Event(), threading.Event()
    first_rt, second_rt = worker_runtime(), worker_runtime()
    results: dict[str, Any] = {}

    def hold_the_lock() -> None:
        """The first worker has built the pyramid in its transaction and not committed yet."""
        built.set()
        assert release.wait(WAIT_S)

    try:
        first = run(lambda: serve(factory, slug, z, x, y, first_rt, hold_the_lock), results, "first")
        assert built.wait(WAIT_S), results.get("first")
        with session_scope(factory) as s:  # not visible to anybody else yet
            assert not clusters_exist(s, layer_id, version)
        second = run(lambda: serve(factory, slug, z, x, y, second_rt), results, "second")
        deadline = time.monotonic() + WAIT_S
        while waiting_on_pyramid_lock(factory, layer_id) == 0:
            assert second.is_alive(), results.get("second")
            assert time.monotonic() < deadline, "the second request never waited on the pyramid lock"
            time.sleep(0.05)
        assert "second" not in results  # really blocked while the first transaction is open
    finally:
        release.set()
    first.join(WAIT_S)
    second.join(WAIT_S)
    assert not first.is_alive() and not second.is_alive()
    for name in ("first", "second"):
        if isinstance(results[name], BaseException):
            raise results[name]
        tile, cached = results[name]
        assert not cached
        assert tile.data, f"{name} request got an empty tile"
        assert tile.points == expected == tile_points(tile, slug), name
    # and the second worker's cache holds the real tile, not an empty one for the whole version
    tile, cached = serve(factory, slug, z, x, y, second_rt)
    assert cached and tile.points == expected == tile_points(tile, slug)
    with session_scope(factory) as s:
        assert clusters_exist(s, layer_id, version)


def test_tiles_of_a_fresh_version_asked_for_at_once_all_carry_every_point(
    factory: sessionmaker[Session], committed_points: tuple[str, int, int, list[tuple[float, float]]]
) -> None:
    """Several workers, several thinned zooms, no choreography: nobody sees an empty tile."""
    slug, _, _, pts = committed_points
    tiles = [(z, *tile_of(*TOWN, z)) for z in (9, 11, 12, 13, 14)]
    start = threading.Barrier(len(tiles) * 2)
    results: dict[str, Any] = {}

    def ask(z: int, x: int, y: int) -> tuple[CachedTile, bool]:
        start.wait(WAIT_S)
        return serve(factory, slug, z, x, y, worker_runtime())

    threads = [run(lambda t=t: ask(*t), results, f"{t}-{i}") for t in tiles for i in range(2)]
    for thread in threads:
        thread.join(WAIT_S)
    assert not any(thread.is_alive() for thread in threads)
    for (z, x, y) in tiles:
        expected = sum(1 for p in pts if tile_of(*p, z) == (x, y))
        for i in range(2):
            result = results[f"{(z, x, y)}-{i}"]
            if isinstance(result, BaseException):
                raise result
            tile, _ = result
            assert tile.points == expected == tile_points(tile, slug), (z, x, y, i)
