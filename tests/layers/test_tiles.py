"""Vector tiles built in PostGIS: decoded with mapbox-vector-tile and checked against
positions and counts computed independently (tests/layers/tile_data.py)."""

import random

import pytest
from shapely.geometry import LineString, Point, Polygon
from sqlalchemy import func, select, text

from layers.errors import InvalidInput, NotFound
from layers.features import FeatureRow, restore_version, write_version
from layers.tiles import service
from layers.tiles.cache import CachedTile, TileCache
from layers.tiles.clusters import clusters_exist, ensure_clusters
from layers.tiles.models import LayerPointCluster
from layers.tiles.service import TileRuntime
from layers.tiles.settings import get_tile_settings
from tests.layers.tile_data import attr, decode, make_layer, pixel_in, tile_of

POINT_ATTRS = [attr("name"), attr("n", "integer"), attr("w", "number", popup=False),
               attr("ok", "boolean"), attr("note", popup=False)]
TOWN = (107.615, 12.448)


def runtime(**settings):
    return TileRuntime(settings=get_tile_settings(cache_mb=0, **settings), cache=None)


def tile_bytes(db, layer, z, x, y, mode="product", rt=None, store=True):
    """The tile as the API serves it: the catalogue row read by ``tile_layer`` (with the
    version's tile store), or with ``store=False`` the ORM layer (read layer_features)."""
    rt = rt or runtime()
    source = service.tile_layer(db, layer.slug, "admin") if store else layer
    plan = service.plan_tile(source, z, x, y, mode, rt.settings)
    assert (plan.store_table is not None) == store
    tile, _ = service.get_tile(db, plan, rt)
    return plan, tile


def scattered(n, seed, spread=0.02, centre=TOWN):
    rng = random.Random(seed)
    return [(centre[0] + rng.uniform(-spread, spread), centre[1] + rng.uniform(-spread, spread))
            for _ in range(n)]


@pytest.fixture
def points(db):
    """Five named points around Đắk Mil town, one per corner and one in the middle."""
    coords = [TOWN, (107.60, 12.44), (107.63, 12.44), (107.60, 12.46), (107.63, 12.46)]
    feats = [(Point(lon, lat), {"name": f"Điểm {i}", "n": i * 10, "w": i + 0.5, "ok": i % 2 == 0,
                                "note": "không hiện / hidden"})
             for i, (lon, lat) in enumerate(coords)]
    return make_layer(db, "tile-points", "Point", feats, attributes=POINT_ATTRS), coords


def test_full_tile_puts_each_point_at_its_pixel_with_every_attribute(db, points):
    layer, coords = points
    z = 15
    x, y = tile_of(*TOWN, z)
    plan, tile = tile_bytes(db, layer, z, x, y, mode="full")
    layers = decode(tile.data)
    assert set(layers) == {"tile-points"}
    feats = {f["id"]: f for f in layers["tile-points"]["features"]}
    assert layers["tile-points"]["extent"] == 4096
    inside = {fid: c for fid, c in enumerate(coords, start=1)
              if all(0 <= v <= 4096 for v in pixel_in(*c, z, x, y))}
    assert set(feats) == set(inside) and len(inside) >= 1
    for fid, (lon, lat) in inside.items():
        px, py = pixel_in(lon, lat, z, x, y)
        gx, gy = feats[fid]["geometry"]["coordinates"]
        assert abs(gx - px) <= 1 and abs(gy - py) <= 1, (fid, gx, gy, px, py)
        i = fid - 1
        assert feats[fid]["properties"] == {"name": f"Điểm {i}", "n": i * 10, "w": i + 0.5,
                                            "ok": i % 2 == 0, "note": "không hiện / hidden"}
    assert tile.features == len(inside) and not plan.thinned


@pytest.mark.parametrize("store", [True, False], ids=["store", "features"])
def test_point_tiles_hold_the_envelope_full_and_the_buffer_too_in_product(db, store):
    """Full tiles: exactly the points in the tile (as OGC tile servers serve them); product
    tiles at full-detail zoom also those within the 64-unit buffer around it."""
    pts = scattered(400, seed=7, spread=0.05)
    layer = make_layer(db, "tile-count", "Point", [(Point(p), {"name": "x"}) for p in pts],
                       attributes=[attr("name")], max_zoom=13)
    z = 13
    tiles = {tile_of(*p, z) for p in pts}
    assert len(tiles) >= 4
    for x, y in tiles:
        inside = sum(1 for p in pts if all(0 <= v <= 4096 for v in pixel_in(*p, z, x, y)))
        buffered = sum(1 for p in pts if all(-64 <= v < 4096 + 64 for v in pixel_in(*p, z, x, y)))
        _, tile = tile_bytes(db, layer, z, x, y, mode="full", store=store)
        assert len(decode(tile.data)["tile-count"]["features"]) == inside == tile.features
        plan, tile = tile_bytes(db, layer, z, x, y, store=store)
        assert not plan.thinned
        assert len(decode(tile.data)["tile-count"]["features"]) == buffered == tile.features
    assert buffered > inside or any(  # the buffer mattered somewhere
        sum(1 for p in pts if all(-64 <= v < 4096 + 64 for v in pixel_in(*p, z, x, y)))
        > sum(1 for p in pts if all(0 <= v <= 4096 for v in pixel_in(*p, z, x, y))) for x, y in tiles)


def test_product_tile_carries_only_popup_attributes_and_fid(db, points):
    layer, _ = points
    z = 16  # full-detail zoom: not thinned
    x, y = tile_of(*TOWN, z)
    plan, tile = tile_bytes(db, layer, z, x, y)
    assert not plan.thinned
    (feat,) = decode(tile.data)["tile-points"]["features"]
    assert feat["id"] == 1
    assert feat["properties"] == {"name": "Điểm 0", "n": 0, "ok": True}


def test_tile_outside_the_layer_is_empty(db, points):
    layer, _ = points
    for mode in ("product", "full"):
        _, tile = tile_bytes(db, layer, 10, 0, 0, mode=mode)
        assert tile.data == b"" and tile.features == 0


def test_bad_tile_coordinates_are_not_found(db, points):
    layer, _ = points
    settings = get_tile_settings()
    for z, x, y in [(23, 0, 0), (-1, 0, 0), (3, 8, 0), (3, 0, 8), (3, -1, 0)]:
        with pytest.raises(NotFound) as err:
            service.plan_tile(layer, z, x, y, "product", settings)
        assert err.value.code == "tile_out_of_range"


@pytest.fixture
def dense(db):
    """A dense cloud of 1,500 points in town, a lighter cloud, and 30 scattered points."""
    pts = (scattered(1500, seed=1, spread=0.002) + scattered(300, seed=2, spread=0.01, centre=(107.66, 12.47))
           + scattered(30, seed=3, spread=0.15))
    feats = [(Point(p), {"name": f"P{i}", "n": i, "w": 1.5, "ok": True, "note": "-"}) for i, p in enumerate(pts)]
    return make_layer(db, "tile-dense", "Point", feats, attributes=POINT_ATTRS), pts


def test_thinned_tile_counts_sum_to_the_true_number_of_points(db, dense):
    layer, pts = dense
    for z in (6, 9, 11, 13):
        for x, y in {tile_of(*p, z) for p in pts}:
            plan, tile = tile_bytes(db, layer, z, x, y)
            assert plan.thinned
            layers = decode(tile.data)
            clusters = layers.get("clusters", {"features": []})["features"]
            singles = layers.get("tile-dense", {"features": []})["features"]
            expected = sum(1 for p in pts if tile_of(*p, z) == (x, y))
            assert sum(f["properties"]["count"] for f in clusters) + len(singles) == expected
            assert tile.points == expected
            assert all(f["properties"]["count"] > 1 for f in clusters)
            assert len(clusters) + len(singles) <= 32 * 32


def test_thinning_merges_dense_points_but_keeps_single_points_as_features(db, dense):
    layer, pts = dense
    z = 11
    x, y = tile_of(*TOWN, z)
    _, tile = tile_bytes(db, layer, z, x, y)
    layers = decode(tile.data)
    biggest = max(layers["clusters"]["features"], key=lambda f: f["properties"]["count"])
    assert biggest["properties"]["count"] > 100
    assert set(biggest["properties"]) == {"count"} and not biggest.get("id")  # no feature id
    # the cluster sits at the mean of its points: near the centre of the dense cloud
    px, py = pixel_in(*TOWN, z, x, y)
    gx, gy = biggest["geometry"]["coordinates"]
    assert abs(gx - px) < 64 and abs(gy - py) < 64
    for single in layers["tile-dense"]["features"]:
        i = single["id"] - 1
        assert single["properties"] == {"name": f"P{i}", "n": i, "ok": True}
        ex, ey = pixel_in(*pts[i], z, x, y)
        sx, sy = single["geometry"]["coordinates"]
        assert abs(sx - ex) <= 1 and abs(sy - ey) <= 1


def test_full_detail_zoom_and_full_mode_keep_every_point(db, dense):
    layer, pts = dense
    for z, mode in ((16, "product"), (11, "full")):
        x, y = tile_of(*TOWN, z)
        plan, tile = tile_bytes(db, layer, z, x, y, mode=mode)
        assert not plan.thinned
        lo, hi = (-64, 4096 + 64) if mode == "product" else (0, 4096)
        expected = sum(1 for p in pts if all(lo <= v <= hi for v in pixel_in(*p, z, x, y)))
        assert len(decode(tile.data)["tile-dense"]["features"]) == expected == tile.features


def test_full_detail_zoom_follows_the_layer_max_zoom(db, dense):
    layer, _ = dense
    layer.max_zoom = 12
    x, y = tile_of(*TOWN, 12)
    assert not service.plan_tile(layer, 12, x, y, "product", get_tile_settings()).thinned
    assert service.plan_tile(layer, 11, x // 2, y // 2, "product", get_tile_settings()).thinned


def test_pyramid_is_built_once_per_version_and_replaced_by_a_new_version(db, dense):
    layer, pts = dense
    assert not clusters_exist(db, layer.id, layer.version)
    assert service.prepare_layer(db, layer) > 0
    assert service.prepare_layer(db, layer) == 0  # already there
    first = layer.version
    write_version(db, layer, [FeatureRow(Point(TOWN), {"name": "mới"})], attributes=[attr("name")])
    x, y = tile_of(*TOWN, 10)
    _, tile = tile_bytes(db, layer, 10, x, y)
    (single,) = decode(tile.data)["tile-dense"]["features"]
    assert single["properties"] == {"name": "mới"}
    versions = set(db.scalars(select(LayerPointCluster.version).where(LayerPointCluster.layer_id == layer.id)))
    assert versions == {layer.version}
    restore_version(db, layer, first)
    _, tile = tile_bytes(db, layer, 10, x, y)
    assert tile.points == sum(1 for p in pts if tile_of(*p, 10) == (x, y))


def test_pyramid_of_an_empty_version_is_empty(db):
    layer = make_layer(db, "tile-empty", "Point", [], attributes=[])
    assert ensure_clusters(db, layer.id, layer.version) == 0
    _, tile = tile_bytes(db, layer, 5, 25, 14)
    assert tile.data == b""


def test_pyramid_rows_go_with_the_layer(db, dense):
    layer, _ = dense
    service.prepare_layer(db, layer)
    db.delete(layer)
    db.flush()
    assert db.scalar(select(func.count()).select_from(LayerPointCluster)
                     .where(LayerPointCluster.layer_id == layer.id)) == 0


def test_too_dense_full_tile_is_refused_not_truncated(db, dense):
    layer, _ = dense
    x, y = tile_of(*TOWN, 12)
    with pytest.raises(InvalidInput) as err:
        tile_bytes(db, layer, 12, x, y, mode="full", rt=runtime(max_features=100))
    assert err.value.code == "tile_too_dense"
    assert err.value.extra["max_features"] == 100


@pytest.fixture
def shapes(db):
    # a zigzag edge of 200 vertices ~45 m apart, with ~55 m teeth: 3 MVT units at zoom 9
    # (kept by full tiles), under the 4-unit simplification tolerance (dropped by product)
    ring = [(107.60 + 0.0005 * (i % 2), 12.44 + 0.0004 * i) for i in range(200)]
    wiggly = Polygon([*ring, (107.58, 12.52), (107.58, 12.44)])
    tiny = Polygon([(107.70, 12.50), (107.70001, 12.50), (107.70001, 12.50001)])
    road = LineString([(107.55 + 0.0005 * i, 12.45 + 0.0003 * (i % 3)) for i in range(100)])
    feats = [(wiggly, {"kind": "wiggly"}), (tiny, {"kind": "tiny"}), (road, {"kind": "road"})]
    return make_layer(db, "tile-shapes", "Geometry", feats, attributes=[attr("kind")], max_zoom=18)


def _vertices(geometry):
    coords = geometry["coordinates"]
    while isinstance(coords[0][0], list):
        coords = [c for part in coords for c in part]
    return len(coords)


def test_product_tiles_simplify_lines_and_polygons_at_low_zoom(db, shapes):
    z = 9
    x, y = tile_of(107.60, 12.45, z)
    _, full = tile_bytes(db, shapes, z, x, y, mode="full")
    plan, product = tile_bytes(db, shapes, z, x, y)
    assert plan.simplify_m and not plan.thinned
    full_feats = {f["properties"]["kind"]: f for f in decode(full.data)["tile-shapes"]["features"]}
    prod_feats = {f["properties"]["kind"]: f for f in decode(product.data)["tile-shapes"]["features"]}
    assert set(prod_feats) == set(full_feats) >= {"wiggly", "road"}
    assert _vertices(prod_feats["wiggly"]["geometry"]) < _vertices(full_feats["wiggly"]["geometry"])


def test_shapes_too_small_to_draw_are_counted_not_hidden(db, shapes):
    z = 8
    x, y = tile_of(107.70, 12.50, z)
    for mode in ("product", "full"):
        _, tile = tile_bytes(db, shapes, z, x, y, mode=mode)
        kinds = {f["properties"]["kind"] for f in decode(tile.data)["tile-shapes"]["features"]}
        assert "tiny" not in kinds
        assert tile.subpixel == 1
    _, tile = tile_bytes(db, shapes, 18, *tile_of(107.700005, 12.500003, 18))
    assert [f["properties"]["kind"] for f in decode(tile.data)["tile-shapes"]["features"]] == ["tiny"]
    assert tile.subpixel == 0


@pytest.mark.parametrize("geometry", [Point(TOWN), Point(TOWN).buffer(0.0005)], ids=["point", "polygon"])
@pytest.mark.parametrize("z, mode", [(14, "full"), (14, "product"), (12, "product")])
def test_unusual_attribute_names_and_values_survive(db, geometry, z, mode):
    long_name = "tên_rất_dài_" + "x" * 60
    attrs = [attr("Tên đường"), attr('a"b'), attr(long_name), attr("__geom"), attr("n", "integer"),
             attr("big", "integer"), attr("h3", "integer"), attr("r", "integer"), attr("f", "number"),
             attr("g", "number"), attr("huge", "number"), attr("flag", "boolean"), attr("obj", "json"), *(attr(name) for name in ("s", "c", "lf", "e", "count", "fid", "select"))]
    props = {"Tên đường": "Nguyễn Tất Thành", 'a"b': "quote", long_name: "dài", "__geom": "not a geometry",
             "n": "not a number", "h3": 9_000_000_000_000_000_001, "r": 1.5, "f": 2.5, "g": "x", "flag": "yes",
             "obj": {"k": [1, 2]},
             **{name: name.upper() for name in ("s", "c", "lf", "e", "count", "fid", "select")}}
    layer = make_layer(db, "tile-odd", geometry.geom_type, [(geometry, props)], attributes=attrs)
    # numbers beyond int8 and float8 (JSON allows them; the COPY writer cannot produce them)
    db.execute(text("UPDATE layer_features SET properties = properties "
                    "|| '{\"big\": 100000000000000000000, \"huge\": 1e400}' WHERE layer_id = :l"), {"l": layer.id})
    x, y = tile_of(*TOWN, z)
    _, tile = tile_bytes(db, layer, z, x, y, mode=mode, store=False)  # the rows were changed
    (feat,) = decode(tile.data)["tile-odd"]["features"]
    # values that do not match their declared type are left out, never a server error
    assert feat["properties"] == {"Tên đường": "Nguyễn Tất Thành", 'a"b': "quote", long_name: "dài",
                                  "__geom": "not a geometry", "h3": 9_000_000_000_000_000_001, "r": 2, "f": 2.5,
                                  "obj": '{"k": [1, 2]}', **{name: name.upper() for name in ("s", "c", "lf", "e", "count", "fid", "select")}}
    assert feat["id"] == 1


def test_tilejson_describes_the_layer_for_both_modes(db, dense):
    layer, pts = dense
    settings = get_tile_settings()
    doc = service.tilejson(db, layer, base_url="http://h", mode="product", settings=settings)
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == ["http://h/tiles/tile-dense/{z}/{x}/{y}.mvt"]
    assert (doc["minzoom"], doc["maxzoom"]) == (0, 22)
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    assert doc["bounds"] == pytest.approx([min(lons), min(lats), max(lons), max(lats)])
    assert doc["bounds"][0] <= doc["center"][0] <= doc["bounds"][2] and 0 <= doc["center"][2] <= 22
    main, clusters = doc["vector_layers"]
    assert main["id"] == "tile-dense" and main["fields"] == {"name": "String", "n": "Number", "ok": "Boolean"}
    assert clusters == {**clusters, "id": "clusters", "maxzoom": 15, "fields": {"count": "Number"}}
    assert doc["iocmap"]["thinned_below_zoom"] == 16
    full = service.tilejson(db, layer, base_url="http://h", mode="full", settings=settings)
    assert full["tiles"] == ["http://h/tiles/tile-dense/{z}/{x}/{y}.mvt?detail=full"]
    assert [v["id"] for v in full["vector_layers"]] == ["tile-dense"]
    assert set(full["vector_layers"][0]["fields"]) == {"name", "n", "w", "ok", "note"}
    assert doc["attribution"] == "thử nghiệm &lt;test&gt; — CC0"


def test_tilejson_of_an_empty_layer_covers_the_world(db):
    layer = make_layer(db, "tile-nothing", "Polygon", [], attributes=[], min_zoom=3, max_zoom=14)
    doc = service.tilejson(db, layer, base_url="", mode="product", settings=get_tile_settings())
    assert doc["bounds"][0] == -180 and doc["center"][2] == 3
    assert [v["id"] for v in doc["vector_layers"]] == ["tile-nothing"]


def test_etag_and_cache_key_change_with_version_mode_and_popup_fields(db, points):
    layer, _ = points
    settings = get_tile_settings()
    a = service.plan_tile(layer, 10, 1, 2, "product", settings)
    assert a.etag == service.plan_tile(layer, 10, 1, 2, "product", settings).etag
    assert a.etag != service.plan_tile(layer, 10, 1, 2, "full", settings).etag
    assert a.etag != service.plan_tile(layer, 10, 1, 3, "product", settings).etag
    layer.attributes = [{**a_, "popup": False} for a_ in layer.attributes]
    b = service.plan_tile(layer, 10, 1, 2, "product", settings)
    assert b.etag != a.etag and b.key != a.key
    layer.version += 1
    assert service.plan_tile(layer, 10, 1, 2, "product", settings).key[:2] == (layer.id, layer.version)


def test_repeat_tiles_come_from_the_cache_until_a_new_version(db, points):
    layer, _ = points
    rt = TileRuntime(settings=get_tile_settings(), cache=TileCache(1 << 20))
    x, y = tile_of(*TOWN, 16)
    plan = service.plan_tile(layer, 16, x, y, "product", rt.settings)
    first, cached = service.get_tile(db, plan, rt)
    assert not cached
    again, cached = service.get_tile(db, plan, rt)
    assert cached and again == first
    write_version(db, layer, [FeatureRow(Point(TOWN), {"name": "v2"})], attributes=POINT_ATTRS)
    plan2 = service.plan_tile(layer, 16, x, y, "product", rt.settings)
    tile, cached = service.get_tile(db, plan2, rt)
    assert not cached and decode(tile.data)["tile-points"]["features"][0]["properties"] == {"name": "v2"}


def test_cache_evicts_least_recently_used_by_bytes():
    cache = TileCache(max_bytes=3000, max_item_bytes=1500)
    tile = CachedTile(b"x" * 600, 1, 1, 0)
    for k in "abc":
        assert cache.put(k, tile)
    assert cache.get("a") is not None  # a is now the most recent
    assert cache.put("d", tile)  # evicts b, the least recently used
    assert cache.get("b") is None and cache.get("a") is not None
    assert cache.bytes <= 3000 and len(cache) == 3
    assert not cache.put("huge", CachedTile(b"x" * 2000, 1, 1, 0))
    assert cache.hits == 2 and cache.misses == 1


def test_thinned_tiles_read_one_pyramid_row(db, dense):
    layer, _ = dense
    service.prepare_layer(db, layer)
    x, y = tile_of(*TOWN, 11)
    plan = db.execute(text(
        "EXPLAIN SELECT * FROM layer_point_clusters WHERE layer_id = :l AND version = :v "
        "AND z = 11 AND tx = :x AND ty = :y"), {"l": layer.id, "v": layer.version, "x": x, "y": y}).scalars()
    assert "layer_point_clusters_pkey" in "\n".join(plan)


def test_numbers_beyond_int8_fall_back_to_the_guarded_sql_for_that_version_only(db, points):
    """Tiles are first built without the int8/float8 range tests (they cost more than the
    rest of a full point tile); a version holding such a number is then served, and
    remembered, with them. The other layers keep the fast SQL. (A version with a tile store
    holds the guarded values already: see test_tile_store_*.)"""
    from layers.tiles import render

    layer, _ = points
    z = 15
    x, y = tile_of(*TOWN, z)
    _, tile = tile_bytes(db, layer, z, x, y, mode="full", store=False)
    assert {f["id"]: f["properties"]["n"] for f in decode(tile.data)["tile-points"]["features"]}[1] == 0
    assert (layer.id, layer.version) not in render._OUT_OF_RANGE
    db.execute(text("UPDATE layer_features SET properties = properties || '{\"n\": 1e30}' "
                    "WHERE layer_id = :l AND fid = 1"), {"l": layer.id})
    for _ in range(2):  # the second time straight to the guarded SQL
        _, odd = tile_bytes(db, layer, z, x, y, mode="full", store=False)
        feats = {f["id"]: f["properties"] for f in decode(odd.data)["tile-points"]["features"]}
        assert "n" not in feats[1] and feats[1]["name"] == "Điểm 0"
        assert all(props["n"] == (fid - 1) * 10 for fid, props in feats.items() if fid != 1)
        assert (layer.id, layer.version) in render._OUT_OF_RANGE
    assert db.execute(text("SELECT 1")).scalar() == 1  # the transaction is still usable


@pytest.mark.parametrize("store", [True, False], ids=["store", "features"])
def test_product_tiles_below_max_zoom_leave_out_shapes_under_two_pixels(db, store):
    """At zoom 12 two screen pixels (of a 256-pixel tile) are ~76 m: a 40 m square and a
    50 m line are counted as too small to draw; a 120 m square is drawn. Full tiles and the
    max zoom draw every one."""
    lon, lat = TOWN
    m = 1 / 111_000  # degrees per metre, near enough at this latitude
    shapes = make_layer(db, "tile-small", "Polygon", [
        (Polygon([(lon, lat), (lon + 40 * m, lat), (lon + 40 * m, lat + 40 * m), (lon, lat + 40 * m)]),
         {"kind": "small"}),
        (Polygon([(lon + 200 * m, lat), (lon + 320 * m, lat), (lon + 320 * m, lat + 120 * m),
                  (lon + 200 * m, lat + 120 * m)]), {"kind": "big"}),
        (LineString([(lon, lat + 300 * m), (lon + 50 * m, lat + 300 * m)]), {"kind": "short line"}),
    ], attributes=[attr("kind")], max_zoom=16)
    x, y = tile_of(lon + 100 * m, lat + 100 * m, 12)
    _, tile = tile_bytes(db, shapes, 12, x, y, store=store)
    assert [f["properties"]["kind"] for f in decode(tile.data)["tile-small"]["features"]] == ["big"]
    assert (tile.features, tile.subpixel) == (1, 2)
    _, full = tile_bytes(db, shapes, 12, x, y, mode="full", store=store)
    assert len(decode(full.data)["tile-small"]["features"]) == 3 and full.subpixel == 0
    _, top = tile_bytes(db, shapes, 16, *tile_of(lon + 10 * m, lat + 10 * m, 16), store=store)
    assert "small" in {f["properties"]["kind"] for f in decode(top.data)["tile-small"]["features"]}
    assert top.subpixel == 0
