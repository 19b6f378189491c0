"""The tile store (``layers.tiles.store``): tiles read from it are the tiles read from
``layer_features``, feature for feature; it follows the layer's versions, restores and
deletion inside their transactions."""

import pytest
from shapely.geometry import LineString, Point, Polygon
from sqlalchemy import text

from layers import layer_admin
from layers.features import FeatureRow, restore_version, write_version
from layers.tiles import service, store
from tests.layers.test_tiles import TOWN, runtime, scattered, tile_bytes
from tests.layers.tile_data import attr, decode, make_layer, tile_of

LONG = "tên thuộc tính rất dài vượt quá sáu mươi ba byte của PostgreSQL " * 2  # > 63 bytes
ATTRS = [attr("name"), attr("n", "integer"), attr("w", "number", popup=False), attr("ok", "boolean"),
         attr("when", "datetime", popup=False), attr("__odd"), attr(LONG, popup=False),
         attr('quote"d', "integer")]


def props(i: int) -> dict:
    p = {"name": f"Đối tượng {i}", "n": i, "w": i / 3, "ok": i % 3 == 0, "when": f"2026-01-{i % 28 + 1:02d}",
         "__odd": f"o{i}", LONG: "dài", 'quote"d': -i}
    if i % 7 == 0:
        p["n"] = 1e30  # beyond int8: NULL in a tile, from either source
    if i % 11 == 0:
        p["w"] = "không phải số"  # wrong type: NULL
    if i % 13 == 0:
        del p["name"]
    return p


def features(kind: str, n: int = 300) -> list:
    out = []
    for i, (lon, lat) in enumerate(scattered(n, seed=3, spread=0.03)):
        if kind == "Point":
            g = Point(lon, lat)
        elif kind == "LineString":
            g = LineString([(lon, lat), (lon + 0.002, lat + 0.001), (lon + 0.003, lat - 0.001)])
        else:
            d = 0.0005 + (i % 5) * 0.0004
            g = Polygon([(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)])
        out.append((g, props(i)))
    return out


def as_set(tile) -> dict:
    layers = decode(tile.data)
    return {name: sorted((f["id"], repr(sorted(f["properties"].items())), repr(f["geometry"]))
                         for f in layer["features"]) for name, layer in layers.items()}


@pytest.mark.parametrize("kind", ["Point", "LineString", "Polygon"])
def test_tiles_from_the_store_equal_tiles_from_layer_features(db, kind):
    layer = make_layer(db, f"store-{kind.lower()}", kind, features(kind), attributes=ATTRS, max_zoom=16)
    compared = 0
    for z in (12, 14, 16):
        x0, y0 = tile_of(*TOWN, z)
        for x, y in ((x0, y0), (x0 + 1, y0), (x0, y0 - 1)):
            for mode in ("full", "product"):
                plan, fast = tile_bytes(db, layer, z, x, y, mode=mode)
                if plan.thinned:
                    continue
                _, slow = tile_bytes(db, layer, z, x, y, mode=mode, store=False)
                assert as_set(fast) == as_set(slow), (z, x, y, mode)
                assert (fast.features, fast.subpixel) == (slow.features, slow.subpixel)
                compared += fast.features
    assert compared > 300
    # The odd names travelled, and the out-of-range / wrongly typed values are absent.
    x, y = tile_of(*TOWN, 12)
    _, tile = tile_bytes(db, layer, 12, x, y, mode="full")
    feats = {f["id"]: f["properties"] for f in decode(tile.data)[layer.slug]["features"]}
    assert feats[2]["__odd"] == "o1" and feats[2][LONG] == "dài" and feats[2]['quote"d'] == -1
    assert "n" not in feats[8] and "w" not in feats[12] and "name" not in feats[14]
    assert feats[2]["n"] == 1 and feats[2]["ok"] is False and feats[1]["ok"] is True


def tables(db, layer) -> list[str]:
    return list(db.scalars(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'tile_store' AND tablename LIKE :p "
        "ORDER BY tablename"), {"p": f"l{layer.id}\\_v%"}))


def test_store_follows_versions_restores_and_deletion(db):
    layer = make_layer(db, "store-life", "Point", features("Point", 20), attributes=ATTRS)
    assert tables(db, layer) == [f"l{layer.id}_v1"]
    options = db.scalar(text("SELECT reloptions FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                        {"t": store.table_name(layer.id, 1)})
    assert "parallel_workers=0" in options
    assert db.scalar(text("SELECT count(*) FROM pg_indexes WHERE schemaname = 'tile_store' "
                          "AND tablename = :t AND indexdef LIKE '%gist (geom_3857)%'"),
                     {"t": f"l{layer.id}_v1"}) == 1
    for _ in range(2):
        write_version(db, layer, [FeatureRow(g, p) for g, p in features("Point", 30)], attributes=ATTRS)
    # v3 current, v2 kept (tile requests of the moment may still read it), v1 dropped.
    assert tables(db, layer) == [f"l{layer.id}_v2", f"l{layer.id}_v3"]
    assert store.stored_versions(db, layer.id) == [2, 3]
    restore_version(db, layer, 1)
    assert tables(db, layer) == [f"l{layer.id}_v1", f"l{layer.id}_v3"]
    x, y = tile_of(*TOWN, 8)  # one tile holds all
    plan, tile = tile_bytes(db, layer, 8, x, y, mode="full")
    assert plan.store_table == store.table_name(layer.id, 1) and tile.features == 20
    db.flush()
    layer_admin.delete_layer(db, layer.slug)
    assert tables(db, layer) == [] and store.stored_versions(db, layer.id) == []


def test_a_failed_write_leaves_no_store_behind(db):
    layer = make_layer(db, "store-fail", "Point", features("Point", 5), attributes=ATTRS)

    def rows():
        yield from (FeatureRow(g, p) for g, p in features("Point", 5))
        raise RuntimeError("the file ended badly")

    with pytest.raises(RuntimeError), db.begin_nested():
        write_version(db, layer, rows(), attributes=ATTRS, batch=2)
    db.expire_all()
    assert tables(db, layer) == [f"l{layer.id}_v1"] and store.stored_versions(db, layer.id) == [1]


def test_a_changed_schema_or_a_missing_store_reads_layer_features(db):
    layer = make_layer(db, "store-schema", "Point", features("Point", 40), attributes=ATTRS)
    x, y = tile_of(*TOWN, 13)
    _, before = tile_bytes(db, layer, 13, x, y, mode="full")
    # A planner retypes an attribute in the metadata: the store no longer matches it.
    layer.attributes = [dict(a, type="string") if a["name"] == "n" else a for a in ATTRS]
    db.flush()
    plan = service.plan_tile(service.tile_layer(db, layer.slug, None), 13, x, y, "full", runtime().settings)
    assert plan.store_table is None
    _, tile = tile_bytes(db, layer, 13, x, y, mode="full", store=False)
    values = [f["properties"].get("n") for f in decode(tile.data)[layer.slug]["features"]]
    assert "1" in values and all(isinstance(v, str) for v in values if v is not None)
    # Without its store (a version written before stores existed) the same tile comes from
    # layer_features, and ensure_current builds the store back.
    layer.attributes = ATTRS
    db.execute(text(f"DROP TABLE {store.table_name(layer.id, layer.version)}"))
    db.execute(text("DELETE FROM layer_tile_stores WHERE layer_id = :l"), {"l": layer.id})
    assert service.tile_layer(db, layer.slug, None).store is None
    _, slow = tile_bytes(db, layer, 13, x, y, mode="full", store=False)
    assert as_set(slow) == as_set(before)
    assert store.ensure_current(db) >= 1
    _, fast = tile_bytes(db, layer, 13, x, y, mode="full")
    assert as_set(fast) == as_set(before)
