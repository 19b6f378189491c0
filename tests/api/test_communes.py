import pytest


def test_communes_are_rfc7946_geojson(client):
    r = client.get("/api/v1/communes", params={"date": "2025-06-30"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 10
    lon, lat = fc["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 107.3 < lon < 108.0 and 12.2 < lat < 12.8  # lon, lat order


def test_communes_default_to_today_which_is_after_the_reform(client):
    assert len(client.get("/api/v1/communes").json()["features"]) == 4


def test_one_commune_by_code(client):
    r = client.get("/api/v1/communes/24670", params={"date": "2024-05-01"})
    assert r.status_code == 200
    assert r.json()["properties"]["name"] == "Xã Đắk R'La"
    assert r.json()["properties"]["successors"][0]["name"] == "Xã Đắk Mil"


def test_unknown_commune_code_is_404_with_code(client):
    r = client.get("/api/v1/communes/99999")
    assert r.status_code == 404
    assert r.json()["code"] == "commune_not_found"


@pytest.mark.parametrize("code", ["abc", "1", "123456", "24664;drop"])
def test_malformed_commune_code_is_422(client, code):
    r = client.get(f"/api/v1/communes/{code}")
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_input"


def test_containing_point(client):
    r = client.get("/api/v1/communes/containing", params={"lon": 107.62237, "lat": 12.44957, "date": "2024-01-01"})
    assert r.status_code == 200
    assert r.json()["properties"]["code"] == "24664"


def test_containing_outside_district_is_404(client):
    r = client.get("/api/v1/communes/containing", params={"lon": 105.85, "lat": 21.03})
    assert r.status_code == 404
    assert r.json()["code"] == "outside_district"


@pytest.mark.parametrize("params", [
    {"lon": "abc", "lat": "12.4"},
    {"lon": "107.6", "lat": "north"},
    {"lon": "181", "lat": "12.4"},
    {"lon": "107.6", "lat": "-90.5"},
    {"lon": "nan", "lat": "12.4"},
    {"lon": "inf", "lat": "12.4"},
    {"lon": "107.6"},
    {"lon": "107.6", "lat": "12.4", "date": "2024-13-40"},
    {"lon": "107.6", "lat": "12.4", "date": "0001-01-01"},
])
def test_bad_coordinates_or_date_are_422(client, params):
    r = client.get("/api/v1/communes/containing", params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) >= {"detail", "code"}


def test_district_outline_and_its_abolition(client):
    assert len(client.get("/api/v1/district", params={"date": "2024-01-01"}).json()["features"]) == 1
    assert client.get("/api/v1/district", params={"date": "2026-01-01"}).json()["features"] == []


def test_layer_catalogue_and_features(client):
    layers = {layer["slug"]: layer for layer in client.get("/api/v1/layers").json()}
    assert {"district", "communes", "communes_2025"} <= set(layers)
    r = client.get(layers["communes"]["features_url"])
    assert r.status_code == 200 and len(r.json()["features"]) == 10
    assert client.get("/api/v1/layers/no-such-layer/features").status_code == 404
