"""HTTP behaviour of /tiles: status codes, media type, ETag/304, visibility, TileJSON."""

import httpx
import pytest
from shapely.geometry import Point

from layers.features import FeatureRow, write_version
from layers.tiles.cache import TileCache
from layers.tiles.service import TileRuntime
from layers.tiles.settings import get_tile_settings
from tests.layers.tile_data import attr, decode, make_layer, pixel_in, tile_of

TOWN = (107.615, 12.448)
MVT = "application/vnd.mapbox-vector-tile"


@pytest.fixture
def layer(db):
    feats = [(Point(TOWN), {"name": "Chợ Đắk Mil", "secret": "nội bộ"}),
             (Point(107.62, 12.45), {"name": "Trường học", "secret": "nội bộ"})]
    return make_layer(db, "api-tiles", "Point", feats,
                      attributes=[attr("name"), attr("secret", popup=False)], max_zoom=18)


@pytest.fixture
def internal(db):
    return make_layer(db, "api-tiles-noi-bo", "Point", [(Point(TOWN), {"name": "kho"})],
                      attributes=[attr("name")], visibility="internal")


def url(slug, z, lonlat=TOWN, query=""):
    x, y = tile_of(*lonlat, z)
    return f"/tiles/{slug}/{z}/{x}/{y}.mvt{query}"


def test_tile_is_an_mvt_with_features_where_they_belong(client, layer):
    z = 17
    r = client.get(url("api-tiles", z))
    assert r.status_code == 200
    assert r.headers["content-type"] == MVT
    assert r.headers["cache-control"] == "public, max-age=60"
    (feat,) = decode(r.content)["api-tiles"]["features"]
    x, y = tile_of(*TOWN, z)
    px, py = pixel_in(*TOWN, z, x, y)
    gx, gy = feat["geometry"]["coordinates"]
    assert abs(gx - px) <= 1 and abs(gy - py) <= 1
    assert feat["properties"] == {"name": "Chợ Đắk Mil"} and feat["id"] == 1
    assert r.headers["x-tile-features"] == "1"


def test_full_detail_tiles_carry_every_attribute(client, layer):
    r = client.get(url("api-tiles", 17, query="?detail=full"))
    (feat,) = decode(r.content)["api-tiles"]["features"]
    assert feat["properties"] == {"name": "Chợ Đắk Mil", "secret": "nội bộ"}


def test_low_zoom_point_tiles_say_they_are_thinned(client, layer):
    r = client.get(url("api-tiles", 8))
    assert r.status_code == 200
    assert r.headers["x-tile-thinned"] == "1" and r.headers["x-tile-points"] == "2"
    layers = decode(r.content)
    assert sum(f["properties"]["count"] for f in layers["clusters"]["features"]) == 2


def test_empty_tile_is_204_without_body(client, layer):
    r = client.get("/tiles/api-tiles/10/0/0.mvt")
    assert r.status_code == 204 and r.content == b""
    assert "etag" in r.headers


def test_if_none_match_gives_304_and_a_new_version_a_new_etag(client, db, layer):
    first = client.get(url("api-tiles", 17))
    etag = first.headers["etag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        r = client.get(url("api-tiles", 17), headers={"If-None-Match": header})
        assert r.status_code == 304 and r.content == b"", header
        assert r.headers["etag"] == etag
    assert client.get(url("api-tiles", 17), headers={"If-None-Match": '"other"'}).status_code == 200
    write_version(db, layer, [FeatureRow(Point(TOWN), {"name": "Chợ mới"})], attributes=[attr("name")])
    r = client.get(url("api-tiles", 17), headers={"If-None-Match": etag})
    assert r.status_code == 200 and r.headers["etag"] != etag
    assert decode(r.content)["api-tiles"]["features"][0]["properties"] == {"name": "Chợ mới"}


def test_repeat_tiles_are_served_from_the_cache(app, client, layer):
    app.state.tiles = TileRuntime(settings=get_tile_settings(), cache=TileCache(1 << 20))
    a = client.get(url("api-tiles", 17))
    b = client.get(url("api-tiles", 17))
    assert (a.headers["x-tile-cache"], b.headers["x-tile-cache"]) == ("miss", "hit")
    assert a.content == b.content


@pytest.mark.parametrize("path", ["/tiles/api-tiles/23/0/0.mvt", "/tiles/api-tiles/3/8/0.mvt",
                                  "/tiles/api-tiles/3/0/8.mvt", "/tiles/api-tiles/3/-1/0.mvt",
                                  "/tiles/api-tiles/0/0/1.mvt"])
def test_tiles_outside_the_grid_are_404_with_a_json_body(client, layer, path):
    r = client.get(path)
    assert r.status_code == 404
    assert r.json()["code"] == "tile_out_of_range"


@pytest.mark.parametrize("path", ["/tiles/api-tiles/a/0/0.mvt", "/tiles/api-tiles/1/0/1.5.mvt",
                                  "/tiles/api-tiles/1/0/0.mvt?detail=everything"])
def test_malformed_tile_requests_are_422(client, layer, path):
    r = client.get(path)
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_input"


def test_too_dense_full_tile_is_422_not_truncated(app, client, layer):
    app.state.tiles = TileRuntime(settings=get_tile_settings(max_features=1), cache=None)
    r = client.get(url("api-tiles", 12, query="?detail=full"))
    assert r.status_code == 422
    assert r.json()["code"] == "tile_too_dense" and r.json()["max_features"] == 1


@pytest.mark.parametrize("path", ["/tiles/khong-co/10/0/0.mvt", "/tiles/khong-co.json",
                                  "/tiles/Bad%20Slug/1/0/0.mvt"])
def test_unknown_or_malformed_layer_names_are_refused(client, path):
    r = client.get(path)
    assert r.status_code in (404, 422)
    assert r.json()["code"] in ("layer_not_found", "invalid_input")


def test_unknown_layer_answers_layer_not_found(client):
    r = client.get("/tiles/khong-co/10/0/0.mvt")
    assert r.status_code == 404 and r.json()["code"] == "layer_not_found"


@pytest.mark.parametrize("role", [None, "citizen"])
def test_internal_layers_are_invisible_to_citizens_and_visitors(client, internal, make_user, token_for, role):
    headers = token_for(make_user(role)) if role else {}
    for path in (url("api-tiles-noi-bo", 14), url("api-tiles-noi-bo", 5), "/tiles/api-tiles-noi-bo.json",
                 url("api-tiles-noi-bo", 23)):
        r = client.get(path, headers=headers)
        assert r.status_code == 404, path
        assert r.json()["code"] == "layer_not_found"
        assert "kho" not in r.text


@pytest.mark.parametrize("role", ["officer", "planner", "leader", "admin"])
def test_staff_see_internal_tiles_privately_cached(client, internal, make_user, token_for, role):
    r = client.get(url("api-tiles-noi-bo", 14), headers=token_for(make_user(role)))
    assert r.status_code == 200
    assert r.headers["cache-control"].startswith("private")
    assert "Authorization" in r.headers["vary"]
    assert decode(r.content)["api-tiles-noi-bo"]["features"][0]["properties"] == {"name": "kho"}


def test_tilejson_points_at_the_tiles(client, layer):
    r = client.get("/tiles/api-tiles.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == ["http://testserver/tiles/api-tiles/{z}/{x}/{y}.mvt"]
    assert doc["maxzoom"] == 18 and doc["vector_layers"][0]["fields"] == {"name": "String"}
    assert doc["bounds"] == pytest.approx([107.615, 12.448, 107.62, 12.45])
    full = client.get("/tiles/api-tiles.json?detail=full").json()
    assert full["tiles"][0].endswith("?detail=full")
    assert full["vector_layers"][0]["fields"] == {"name": "String", "secret": "String"}


def test_default_commune_boundaries_are_served_as_tiles(client):
    r = client.get(url("communes", 10))
    assert r.status_code == 200
    features = decode(r.content)["communes"]["features"]
    assert len(features) >= 5
    assert {f["geometry"]["type"] for f in features} <= {"Polygon", "MultiPolygon"}


def test_live_server_serves_tiles_and_revalidates(live_server):
    with httpx.Client(base_url=live_server, timeout=30) as http:
        r = http.get(url("district", 9))
        assert r.status_code == 200 and r.headers["content-type"] == MVT
        assert decode(r.content)["district"]["features"]
        again = http.get(url("district", 9), headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
