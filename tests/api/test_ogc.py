"""OGC API - Features over HTTP (TestClient): documents, links, paging, filters, errors,
HTML, and that internal layers never show to anonymous callers or citizens."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely
from shapely.geometry import Point, shape
from sqlalchemy import text

from layers import catalog
from layers.features import FeatureRow, write_version
from tests.layers.ogc_data import N_POINTS, SCRIPT, lonlat, make_layers

F1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf"


@pytest.fixture
def ogc(db):
    names = make_layers(db)
    db.commit()
    return names


def _rels(doc):
    return {link["rel"]: link for link in doc["links"]}


def _items(client, slug, **params):
    r = client.get(f"/ogc/collections/{slug}/items", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    return r.json()


# ---- landing, conformance, OpenAPI ------------------------------------------------------

def test_landing_page_links_to_service_desc_conformance_and_data(client):
    r = client.get("/ogc")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    rels = _rels(r.json())
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert rels["service-desc"]["href"].endswith("/ogc/api")
    assert rels["service-doc"]["type"] == "text/html"
    assert rels["conformance"]["href"].endswith("/ogc/conformance")
    assert rels["data"]["href"].endswith("/ogc/collections")
    assert rels["self"]["href"].startswith("http")
    assert client.get("/ogc/").json() == r.json()  # OWSLib adds a trailing slash


def test_conformance_declares_core_geojson_html_oas30_and_filtering(client):
    classes = client.get("/ogc/conformance").json()["conformsTo"]
    for part in ("core", "geojson", "html", "oas30"):
        assert f"{F1}/{part}" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in classes


def test_openapi_document_describes_each_visible_collection(client, ogc):
    r = client.get("/ogc/api")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = r.json()
    assert doc["openapi"].startswith("3.0")
    assert doc["servers"][0]["url"].endswith("/ogc")
    items = doc["paths"][f"/collections/{ogc.points}/items"]["get"]
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[-1] for p in items["parameters"]}
    assert {"bbox", "limit", "offset", "datetime", "filter", "ten", "so_hoc_sinh"} <= names
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert (limit["default"], limit["maximum"]) == (10, 10000)
    assert f"/collections/{ogc.hidden}/items" not in doc["paths"]
    for path in doc["paths"].values():  # every $ref resolves
        for param in path["get"]["parameters"]:
            if "$ref" in param:
                assert param["$ref"].rsplit("/", 1)[-1] in doc["components"]["parameters"]
        for response in path["get"]["responses"].values():
            assert response["$ref"].rsplit("/", 1)[-1] in doc["components"]["responses"]


def test_openapi_html_is_the_swagger_page(client):
    r = client.get("/ogc/api", params={"f": "html"})
    assert r.status_code == 200 and "swagger" in r.text.lower()


# ---- collections ------------------------------------------------------------------------

def test_collections_list_public_layers_with_extent_and_crs(client, ogc):
    doc = client.get("/ogc/collections").json()
    by_id = {c["id"]: c for c in doc["collections"]}
    assert {"communes", ogc.points, ogc.empty} <= set(by_id)
    c = by_id[ogc.points]
    assert c["itemType"] == "feature"
    assert c["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
    assert c["extent"]["spatial"]["bbox"][0] == pytest.approx([107.6, 12.44, 107.619, 12.449])
    assert c["extent"]["temporal"]["interval"] == [["2024-01-01T03:00:00Z", "2024-07-18T03:00:00Z"]]
    rels = {(link["rel"], link["type"]) for link in c["links"]}
    assert ("items", "application/geo+json") in rels and ("items", "text/html") in rels
    assert "temporal" not in by_id["communes"]["extent"]


def test_collection_title_follows_accept_language(client, ogc):
    vi = client.get(f"/ogc/collections/{ogc.points}").json()
    en = client.get(f"/ogc/collections/{ogc.points}", headers={"Accept-Language": "en-GB,en"}).json()
    assert vi["title"] == "Trường học Đắk Mil"
    assert en["title"] == "Trường học Đắk Mil (EN)"


@pytest.mark.parametrize("role", [None, "citizen"])
def test_internal_layer_is_invisible_everywhere_to_anonymous_and_citizens(
        client, ogc, make_user, token_for, role):
    headers = token_for(make_user(role)) if role else {}
    ids = [c["id"] for c in client.get("/ogc/collections", headers=headers).json()["collections"]]
    assert ogc.hidden not in ids
    for path in ("", "/items", "/items/1", "/queryables", "/items?f=html"):
        r = client.get(f"/ogc/collections/{ogc.hidden}{path}", headers=headers)
        assert r.status_code == 404, path
        assert r.json()["code"] == "layer_not_found"
        assert "Bí mật" not in r.text
    # an unknown parameter on a hidden layer must not reveal it either (404, not 400)
    assert client.get(f"/ogc/collections/{ogc.hidden}/items?nope=1", headers=headers).status_code == 404
    assert ogc.hidden not in client.get("/ogc/api", headers=headers).text


def test_internal_layer_is_served_to_staff(client, ogc, make_user, token_for):
    headers = token_for(make_user("planner"))
    ids = [c["id"] for c in client.get("/ogc/collections", headers=headers).json()["collections"]]
    assert ogc.hidden in ids
    doc = client.get(f"/ogc/collections/{ogc.hidden}/items", headers=headers).json()
    assert doc["numberReturned"] == 5
    assert doc["features"][0]["properties"]["ten"] == "Bí mật 0"


def test_unknown_collection_is_404(client):
    r = client.get("/ogc/collections/khong-co/items")
    assert r.status_code == 404 and r.json()["code"] == "layer_not_found"


# ---- items ------------------------------------------------------------------------------

def test_items_default_page_is_ten_features_in_fid_order_with_geojson_geometry(client, ogc):
    doc = _items(client, ogc.points)
    assert doc["type"] == "FeatureCollection"
    assert doc["numberReturned"] == 10 and len(doc["features"]) == 10
    assert doc["numberMatched"] == N_POINTS  # unfiltered: the stored count, free
    assert doc["timeStamp"].endswith("Z")
    first = doc["features"][0]
    assert first["id"] == 1
    assert first["properties"]["ten"] == "Trường Nguyễn Du số 0"
    assert first["geometry"] == {"type": "Point", "coordinates": list(lonlat(0))}


def test_paging_follows_next_links_through_every_feature_once(client, ogc):
    seen = []
    url = f"/ogc/collections/{ogc.points}/items?limit=70"
    pages = 0
    while url:
        r = client.get(url)
        assert r.status_code == 200
        doc = r.json()
        seen += [f["id"] for f in doc["features"]]
        url = next((link["href"] for link in doc["links"] if link["rel"] == "next"), None)
        pages += 1
    assert pages == 3
    assert seen == list(range(1, N_POINTS + 1))


def test_prev_link_steps_back_and_first_page_has_none(client, ogc):
    first = _items(client, ogc.points, limit=50)
    assert "prev" not in _rels(first)
    doc = _items(client, ogc.points, limit=50, offset=120)
    rels = _rels(doc)
    assert parse_qs(urlsplit(rels["prev"]["href"]).query)["offset"] == ["70"]
    assert parse_qs(urlsplit(rels["next"]["href"]).query)["offset"] == ["170"]
    last = _items(client, ogc.points, limit=50, offset=180)
    assert last["numberReturned"] == 20 and "next" not in _rels(last)


def test_paging_links_keep_the_filters(client, ogc):
    doc = _items(client, ogc.points, limit=5, loai="Mầm non", bbox="107.5,12.4,107.7,12.5")
    query = parse_qs(urlsplit(_rels(doc)["next"]["href"]).query)
    assert query["loai"] == ["Mầm non"]
    assert query["bbox"] == ["107.5,12.4,107.7,12.5"]
    assert query["offset"] == ["5"] and query["limit"] == ["5"]


def test_bbox_keeps_only_features_inside(client, ogc):
    # columns 0..4 (lon 107.600..107.604) and rows 0..1 (lat 12.440..12.441): 10 points
    doc = _items(client, ogc.points, bbox="107.5995,12.4395,107.6045,12.4415", limit=100)
    assert doc["numberReturned"] == 10
    assert doc["numberMatched"] == 10  # the whole selection fitted in one page
    for f in doc["features"]:
        x, y = f["geometry"]["coordinates"]
        assert 107.5995 <= x <= 107.6045 and 12.4395 <= y <= 12.4415


def test_filtered_full_page_omits_number_matched(client, ogc):
    doc = _items(client, ogc.points, bbox="107.5,12.4,107.7,12.5", limit=10)
    assert "numberMatched" not in doc
    assert "next" in _rels(doc)


def test_bbox_outside_the_data_gives_an_empty_collection(client, ogc):
    doc = _items(client, ogc.points, bbox="100,10,100.1,10.1")
    assert doc["features"] == [] and doc["numberReturned"] == 0 and doc["numberMatched"] == 0


@pytest.mark.parametrize("value, expected", [
    ("2024-01-05T03:00:00Z", [5]),                          # instant
    ("2024-01-05", [5]),                                      # a Vietnamese calendar day
    ("2024-01-05T00:00:00Z/2024-01-07T03:00:00Z", [5, 6, 7]),  # closed interval
    ("../2024-01-02T03:00:00Z", [1, 2]),                      # open start
    ("2024-07-16T00:00:00+07:00/..", [198, 199, 200]),        # open end
    ("2024-07-16T00:00:00+07:00/", [198, 199, 200]),          # empty end is open too
])
def test_datetime_filters_on_the_time_field(client, ogc, value, expected):
    doc = _items(client, ogc.points, datetime=value, limit=1000)
    assert [f["id"] for f in doc["features"]] == expected


@pytest.mark.parametrize("params, count", [
    ({"loai": "Mầm non"}, 50),
    ({"so_hoc_sinh": "105"}, 1),
    ({"dien_tich": "1003.5"}, 1),
    ({"cong_lap": "true"}, 100),
    ({"ten": "Trường Nguyễn Du số 42"}, 1),
    ({"ten": "không có"}, 0),
    ({"loai": "Tiểu học", "cong_lap": "false"}, 0),  # even i are Tiểu học and public
    ({"ngay": "2024-01-03"}, 1),
])
def test_property_equality_filters(client, ogc, params, count):
    doc = _items(client, ogc.points, limit=1000, **params)
    assert doc["numberReturned"] == count


def test_cql2_filter_over_http(client, ogc):
    doc = _items(client, ogc.points, limit=1000, **{
        "filter": "so_hoc_sinh >= 290 AND loai LIKE 'Tiểu%' AND S_INTERSECTS(geometry, BBOX(107,12,108,13))",
        "filter-lang": "cql2-text"})
    assert [f["properties"]["so_hoc_sinh"] for f in doc["features"]] == [292, 296]


@pytest.mark.parametrize("params, code", [
    ({"foo": "bar"}, "unknown_parameter"),
    ({"limit": "0"}, "bad_limit"),
    ({"limit": "10001"}, "bad_limit"),
    ({"limit": "ten"}, "bad_limit"),
    ({"offset": "-1"}, "bad_offset"),
    ({"bbox": "1,2,3"}, "bad_bbox"),
    ({"bbox": "a,b,c,d"}, "bad_bbox"),
    ({"bbox": "108,12,107,13"}, "bad_bbox"),
    ({"bbox": "107,12,200,13"}, "bad_bbox"),
    ({"bbox": "nan,12,108,13"}, "bad_bbox"),
    ({"datetime": "hôm qua"}, "bad_datetime"),
    ({"datetime": "2024-01-05T10:00:00"}, "bad_datetime"),
    ({"datetime": "2024-02-01T00:00:00Z/2024-01-01T00:00:00Z"}, "bad_datetime"),
    ({"so_hoc_sinh": "nhiều"}, "bad_number"),
    ({"cong_lap": "có"}, "bad_boolean"),
    ({"f": "xml"}, "bad_format"),
    ({"filter": "ten = "}, "bad_filter"),
    ({"filter": "khong_co = 1"}, "unknown_queryable"),
    ({"filter": "ten = 'a'", "filter-lang": "cql2-json"}, "bad_filter_lang"),
    ({"bbox-crs": "EPSG:3857", "bbox": "1,2,3,4"}, "unsupported_crs"),
])
def test_bad_or_unknown_parameters_are_400_with_a_code(client, ogc, params, code):
    r = client.get(f"/ogc/collections/{ogc.points}/items", params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == code
    assert " / " in body["detail"]  # Vietnamese / English


def test_repeated_parameter_is_400(client, ogc):
    r = client.get(f"/ogc/collections/{ogc.points}/items?limit=1&limit=2")
    assert r.status_code == 400 and r.json()["code"] == "repeated_parameter"


def test_datetime_on_a_layer_without_time_is_400(client, ogc):
    r = client.get(f"/ogc/collections/{ogc.empty}/items", params={"datetime": "2024-01-01"})
    assert r.status_code == 400 and r.json()["code"] == "no_time_dimension"


def test_unknown_parameter_on_other_resources_is_400(client, ogc):
    for path in ("/ogc", "/ogc/conformance", "/ogc/collections", f"/ogc/collections/{ogc.points}",
                 f"/ogc/collections/{ogc.points}/items/1", f"/ogc/collections/{ogc.points}/queryables"):
        r = client.get(path, params={"bogus": "1"})
        assert r.status_code == 400, path
        assert r.json()["code"] == "unknown_parameter"


def test_layer_without_features_answers_an_empty_page(client, ogc):
    doc = _items(client, ogc.empty)
    assert doc["features"] == [] and doc["numberMatched"] == 0


# ---- single item ------------------------------------------------------------------------

def test_single_item_by_fid(client, ogc):
    r = client.get(f"/ogc/collections/{ogc.points}/items/43")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    doc = r.json()
    assert doc["id"] == 43 and doc["properties"]["ten"] == "Trường Nguyễn Du số 42"
    assert shape(doc["geometry"]).equals_exact(shapely.Point(lonlat(42)), 1e-9)
    assert {"self", "alternate", "collection"} <= set(_rels(doc))


@pytest.mark.parametrize("fid", ["0", "201", "abc", "1.5", "-1", "99999999999999999999999"])
def test_missing_or_malformed_feature_id_is_404(client, ogc, fid):
    r = client.get(f"/ogc/collections/{ogc.points}/items/{fid}")
    assert r.status_code == 404 and r.json()["code"] == "feature_not_found"


# ---- queryables -------------------------------------------------------------------------

def test_queryables_is_a_json_schema_of_the_attributes(client, ogc):
    r = client.get(f"/ogc/collections/{ogc.points}/queryables")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/schema+json")
    doc = r.json()
    assert doc["type"] == "object" and doc["$schema"].startswith("https://json-schema.org/")
    props = doc["properties"]
    assert props["so_hoc_sinh"]["type"] == "integer"
    assert props["dien_tich"]["type"] == "number"
    assert props["cong_lap"]["type"] == "boolean"
    assert props["ngay"] == {"title": "Ngày", "type": "string", "format": "date-time",
                             "x-ogc-role": "primary-instant"}
    assert props["geometry"]["format"] == "geometry-point"
    assert props["ten"]["title"] == "Tên trường"


# ---- HTML and negotiation ---------------------------------------------------------------

def test_browser_gets_html_and_f_json_overrides_it(client, ogc):
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    r = client.get(f"/ogc/collections/{ogc.points}/items", headers=browser)
    assert r.headers["content-type"].startswith("text/html")
    assert "Trường Nguyễn Du số 0" in r.text
    r = client.get(f"/ogc/collections/{ogc.points}/items?f=json", headers=browser)
    assert r.headers["content-type"].startswith("application/geo+json")
    r = client.get("/ogc/collections", headers={"Accept": "application/json"})
    assert r.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("path", ["", "/conformance", "/collections", "/collections/{points}",
                                  "/collections/{points}/queryables", "/collections/{points}/items",
                                  "/collections/{points}/items/8"])
def test_every_resource_has_an_html_page(client, ogc, path):
    r = client.get("/ogc" + path.format(points=ogc.points), params={"f": "html"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.text.lstrip().startswith("<!doctype html>")


def test_html_escapes_feature_properties(client, ogc):
    for path in ("/items", "/items/8"):  # fid 8 is i == 7, whose note is a script tag
        r = client.get(f"/ogc/collections/{ogc.points}{path}", params={"f": "html"})
        assert r.status_code == 200
        assert SCRIPT not in r.text
        assert "&lt;script&gt;" in r.text or "\\u003cscript\\u003e" in r.text
        assert "<script>alert" not in r.text


def test_collection_extent_follows_a_new_version(client, db, ogc):
    before = client.get(f"/ogc/collections/{ogc.points}").json()["extent"]
    layer = catalog.get_layer(db, ogc.points, "admin")
    when = datetime(2025, 3, 1, tzinfo=UTC)
    write_version(db, layer, [FeatureRow(Point(107.7, 12.5), {"ten": "Mới", "ngay": when}, when)],
                  attributes=layer.attributes)
    db.commit()
    after = client.get(f"/ogc/collections/{ogc.points}").json()["extent"]
    assert before["temporal"]["interval"][0][0] == "2024-01-01T03:00:00Z"
    assert after["temporal"]["interval"] == [["2025-03-01T00:00:00Z", "2025-03-01T00:00:00Z"]]
    assert after["spatial"]["bbox"] == [[107.7, 12.5, 107.7, 12.5]]
    assert _items(client, ogc.points)["numberMatched"] == 1


def test_temporal_extent_follows_a_change_of_time_field(client, db, ogc):
    assert client.get(f"/ogc/collections/{ogc.points}").json()["extent"]["temporal"]
    layer = catalog.get_layer(db, ogc.points, "admin")
    layer.attributes = [*layer.attributes, {"name": "ngay_khac", "type": "datetime", "label_vi": "Ngày khác"}]
    layer.time_field = "ngay_khac"
    db.execute(text("UPDATE layer_features SET dt = :t WHERE layer_id = :l"),
               {"t": datetime(2030, 1, 1, tzinfo=UTC), "l": layer.id})
    db.commit()
    extent = client.get(f"/ogc/collections/{ogc.points}").json()["extent"]
    assert extent["temporal"]["interval"] == [["2030-01-01T00:00:00Z", "2030-01-01T00:00:00Z"]]
