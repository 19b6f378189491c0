"""Layer management over HTTP: planners create, upload, preview, version and delete layers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point
from sqlalchemy import text

from api.app import create_app
from layers.models import ImportJob
from tests.layers.ingest_files import as_latin1, point_feature, shapefile_zip, zip_of

WGS84_PRJ = ('GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
             'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]')


def fc(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


@pytest.fixture
def planner(make_user, token_for):
    return token_for(make_user("planner"))


@pytest.fixture
def slug(client, planner):
    r = client.post("/api/v1/layers", headers=planner, json={
        "slug": "cho-dak-mil", "title_vi": "Chợ", "title_en": "Markets", "group": "infrastructure"})
    assert r.status_code == 201, r.text
    return "cho-dak-mil"


def counts(db):
    return db.execute(text("SELECT (SELECT count(*) FROM layers), (SELECT count(*) FROM layer_versions), "
                           "(SELECT count(*) FROM layer_features), (SELECT count(*) FROM import_jobs)")).one()


def post_file(client, headers, slug, name, data, endpoint="uploads", **form):
    return client.post(f"/api/v1/layers/{slug}/{endpoint}", headers=headers,
                       files={"file": (name, data, "application/octet-stream")}, data=form)


def test_planner_creates_a_layer_and_sees_its_admin_view(client, planner, slug):
    r = client.get(f"/api/v1/layers/{slug}/admin", headers=planner)
    body = r.json()
    assert r.status_code == 200
    assert (body["kind"], body["visibility"], body["version"], body["group"]) == ("upload", "internal", 0,
                                                                                  "infrastructure")
    assert body["created_by"].startswith("planner-")


@pytest.mark.parametrize("payload, status, code", [
    ({"slug": "cho-dak-mil", "title_vi": "x"}, 409, "slug_taken"),
    ({"slug": "Bad Slug", "title_vi": "x"}, 422, "bad_slug"),
    ({"slug": "ok-slug"}, 422, "invalid_input"),
    ({"slug": "ok-slug", "title_vi": "x", "group": "parks"}, 422, "invalid_input"),
    ({"slug": "ok-slug", "title_vi": "x", "is_admin": True}, 422, "invalid_input"),
    ({"slug": "ok-slug", "title_vi": "x", "min_zoom": 12, "max_zoom": 5}, 422, "invalid_layer_field"),
])
def test_bad_create_requests_are_refused_and_create_nothing(client, db, planner, slug, payload, status, code):
    before = counts(db)
    r = client.post("/api/v1/layers", headers=planner, json=payload)
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert counts(db) == before


def test_citizens_and_officers_cannot_manage_layers(client, make_user, token_for, slug):
    for role in ("citizen", "officer", "leader"):
        headers = token_for(make_user(role))
        assert client.patch(f"/api/v1/layers/{slug}", headers=headers, json={"visibility": "public"}).status_code == 403
        assert post_file(client, headers, slug, "a.geojson", fc()).status_code == 403


def test_geojson_upload_is_imported_and_published_by_visibility(client, db, planner, slug):
    r = post_file(client, planner, slug, "cho.geojson", fc(point_feature(107.65, 12.45, ten="Chợ Đắk Mil"),
                                                          point_feature(107.66, 12.46, ten="Chợ Đức Mạnh")))
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and r.json()["report"]["features_imported"] == 2
    assert client.get(f"/api/v1/layers/{slug}/features").status_code == 404  # internal: hidden from visitors
    features = client.get(f"/api/v1/layers/{slug}/features", headers=planner).json()["features"]
    assert [f["properties"]["ten"] for f in features] == ["Chợ Đắk Mil", "Chợ Đức Mạnh"]
    r = client.patch(f"/api/v1/layers/{slug}", headers=planner, json={
        "visibility": "public", "attributes": [{"name": "ten", "label_vi": "Tên chợ", "label_en": "Name"}]})
    assert r.status_code == 200 and r.json()["attributes"][0]["label_vi"] == "Tên chợ"
    assert client.get(f"/api/v1/layers/{slug}/features").status_code == 200


def test_tcvn3_shapefile_upload_over_http_keeps_vietnamese_names(client, planner, slug, tmp_path):
    gdf = gpd.GeoDataFrame({"ten": [as_latin1("Chợ Đắk Mil")]}, geometry=[Point(107.65, 12.45)], crs=4326)
    path = shapefile_zip(tmp_path, gdf, "cho", encoding="latin1", prj=WGS84_PRJ)
    r = post_file(client, planner, slug, "cho.zip", path.read_bytes())
    assert r.status_code == 200, r.text
    assert r.json()["report"]["encoding"] == "tcvn3"
    features = client.get(f"/api/v1/layers/{slug}/features", headers=planner).json()["features"]
    assert features[0]["properties"]["ten"] == "Chợ Đắk Mil"


def test_bad_uploads_are_precise_4xx_and_leave_the_database_unchanged(client, db, planner, slug, tmp_path):
    post_file(client, planner, slug, "v1.geojson", fc(point_feature(107.6, 12.4, ten="v1")))
    before = counts(db)
    gdf = gpd.GeoDataFrame({"ten": ["a"]}, geometry=[Point(107.6, 12.4)], crs=4326)
    real_zip = shapefile_zip(tmp_path, gdf, "a", prj=WGS84_PRJ).read_bytes()
    cases = [
        ("a.geojson", real_zip, {}, "format_mismatch"),
        ("a.csv", b"ten,lon,lat\nA,107.6,12.4\n", {}, "crs_required"),
        ("a.csv", b"ten,lon,lat\nA,107.6,12.4\n", {"crs": "EPSG:99999999"}, "unknown_crs"),
        ("a.csv", b"ten,lon,lat\nA,107.6,12.4\n", {"crs": "EPSG:4326", "encoding": "klingon"}, "unknown_encoding"),
        ("slip.zip", zip_of(tmp_path / "s.zip", {"../x.shp": b"1"}).read_bytes(), {}, "unsafe_zip_member"),
        ("a.docx", b"PK\x03\x04", {}, "unsupported_format"),
        ("a.geojson", b"", {}, "empty_file"),
        ("a.geojson", fc({"type": "Feature", "properties": {}, "geometry": None}), {}, "no_valid_features"),
    ]
    for name, data, form, code in cases:
        r = post_file(client, planner, slug, name, data, **form)
        assert r.status_code == 422, (name, code, r.text)
        assert r.json()["code"] == code, r.text
        assert r.json()["detail"] and "/" in r.json()["detail"]  # Vietnamese / English
        assert counts(db) == before, code
    r = post_file(client, planner, slug, "a.geojson", fc(point_feature(1, 1)), geometry="circle")
    assert r.status_code == 422 and r.json()["code"] == "invalid_input"
    assert counts(db) == before


def test_crs_required_body_suggests_crs_for_the_ui(client, planner, slug):
    r = post_file(client, planner, slug, "moc.csv", b"x,y\n420000,1376000\n")
    body = r.json()
    assert body["code"] == "crs_required" and body["suggestions"][0] == "VN2000-TM3-108.5"
    r = post_file(client, planner, slug, "moc.csv", b"x,y\n420000,1376000\n", crs="VN2000-TM3-108.5")
    assert r.status_code == 200 and r.json()["report"]["crs"]["source"] == "stated"


def test_preview_validates_without_writing(client, db, planner, slug):
    before = counts(db)
    features = [point_feature(107.6 + i / 1000, 12.4, n=i) for i in range(80)]
    features.append({"type": "Feature", "properties": {"n": 99}, "geometry": None})
    r = post_file(client, planner, slug, "xem.geojson", fc(*features), endpoint="preview")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["feature_count"] == 80 and len(body["features"]["features"]) == 50
    assert body["report"]["rejected"] == [{"row": 81, "code": "null_geometry", "message": "Không có hình học / "
                                                                                         "no geometry"}]
    assert body["attributes"] == [{"name": "n", "type": "integer", "label_vi": "n", "label_en": "n", "popup": True}]
    assert body["features"]["features"][0]["geometry"] == {"type": "Point", "coordinates": [107.6, 12.4]}
    assert counts(db) == before


def test_background_upload_answers_202_and_the_job_reports_progress_and_result(client, db, planner, slug):
    r = post_file(client, planner, slug, "lon.geojson", fc(*[point_feature(107.6, 12.4, n=i) for i in range(30)]),
                  background="true")
    assert r.status_code == 202, r.text
    url = r.json()["status_url"]
    assert r.headers["location"] == url
    job = client.get(url, headers=planner).json()  # the TestClient ran the background task already
    assert job["status"] == "done", job
    assert (job["progress"], job["total"]) == (30, 30)
    assert job["result"]["version"] == 1 and job["result"]["report"]["features_imported"] == 30
    assert job["finished_at"] is not None
    assert client.get(f"/api/v1/layers/{slug}/admin", headers=planner).json()["version"] == 1


def test_failed_background_job_is_marked_failed_and_changes_nothing(client, db, planner, slug):
    before = counts(db)
    r = post_file(client, planner, slug, "hong.geojson", b"PK\x03\x04 not json", background="true")
    assert r.status_code == 202
    job = client.get(r.json()["status_url"], headers=planner).json()
    assert job["status"] == "failed" and job["result"]["code"] == "format_mismatch"
    assert "ZIP" in job["message"]
    after = counts(db)
    assert after[:3] == before[:3] and after[3] == before[3] + 1


def test_large_uploads_go_to_the_background_by_size(app, client, planner, slug):
    app.state.settings = app.state.settings.model_copy(update={"import_background_bytes": 100})
    r = post_file(client, planner, slug, "a.geojson", fc(*[point_feature(107.6, 12.4)] * 5))
    assert r.status_code == 202


def test_unknown_and_stale_jobs(client, db, planner):
    assert client.get("/api/v1/import-jobs/not-a-uuid", headers=planner).json()["code"] == "job_not_found"
    db.add(ImportJob(id="11111111-1111-1111-1111-111111111111", layer_slug="x", status="running", progress=5,
                     result={}, created_at=datetime.now(UTC) - timedelta(days=1)))
    db.commit()
    job = client.get("/api/v1/import-jobs/11111111-1111-1111-1111-111111111111", headers=planner).json()
    assert job["status"] == "failed" and job["result"]["code"] == "job_interrupted"


def test_upload_limit_is_raised_for_upload_paths_only(settings, engine, test_sessionmaker, make_user, planner, slug):
    app = create_app(settings.model_copy(update={"max_body_bytes": 1000, "upload_max_bytes": 50_000}), engine=engine)
    app.state.sessionmaker = test_sessionmaker
    with TestClient(app) as c:
        big = fc(*[point_feature(107.6, 12.4, ten="x" * 100)] * 20)
        assert 1000 < len(big) < 50_000
        assert post_file(c, planner, slug, "a.geojson", big).status_code == 200
        r = post_file(c, planner, slug, "a.geojson", big * 20)
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
        r = c.patch(f"/api/v1/layers/{slug}", headers=planner, json={"description_vi": "x" * 2000})
        assert r.status_code == 413


def test_versions_diff_restore_and_detail_over_http(client, planner, slug):
    post_file(client, planner, slug, "v1.geojson", fc(point_feature(107.6, 12.4, ten="A")))
    post_file(client, planner, slug, "v2.geojson", fc(point_feature(107.6, 12.4, ten="A"),
                                                      point_feature(107.7, 12.5, ten="B")))
    versions = client.get(f"/api/v1/layers/{slug}/versions", headers=planner).json()
    assert [(v["version"], v["current"], v["feature_count"]) for v in versions] == [(2, True, 2), (1, False, 1)]
    diff = client.get(f"/api/v1/layers/{slug}/versions/diff?a=1&b=2", headers=planner).json()
    assert diff["feature_count_change"] == 1 and diff["features"]["only_in_b"] == 1
    assert client.get(f"/api/v1/layers/{slug}/versions/diff?a=1", headers=planner).status_code == 422
    assert client.get(f"/api/v1/layers/{slug}/versions/diff?a=1&b=7", headers=planner).json()["code"] == \
        "version_not_found"
    detail = client.get(f"/api/v1/layers/{slug}/versions/1", headers=planner).json()
    assert detail["report"]["filename"] == "v1.geojson"
    r = client.post(f"/api/v1/layers/{slug}/versions/1/restore", headers=planner)
    assert r.status_code == 200 and r.json()["current"]
    features = client.get(f"/api/v1/layers/{slug}/features", headers=planner).json()
    assert features["version"] == 1 and len(features["features"]) == 1


def test_default_layers_are_locked_but_stylable(client, db, planner):
    before = counts(db)
    assert client.delete("/api/v1/layers/communes", headers=planner).json()["code"] == "default_layer_locked"
    r = post_file(client, planner, "communes", "a.geojson", fc(point_feature(107.6, 12.4)))
    assert (r.status_code, r.json()["code"]) == (409, "default_layer_locked")
    r = client.post("/api/v1/layers/communes/versions/1/restore", headers=planner)
    assert r.status_code == 409
    assert counts(db) == before
    r = client.patch("/api/v1/layers/communes", headers=planner, json={"style": {"color": "#123456"}})
    assert r.status_code == 200 and r.json()["style"] == {"color": "#123456"}


def test_delete_layer(client, db, planner, slug):
    post_file(client, planner, slug, "v1.geojson", fc(point_feature(107.6, 12.4)))
    assert client.delete(f"/api/v1/layers/{slug}", headers=planner).status_code == 204
    assert client.get(f"/api/v1/layers/{slug}/admin", headers=planner).json()["code"] == "layer_not_found"
    assert client.delete(f"/api/v1/layers/{slug}", headers=planner).status_code == 404
    assert post_file(client, planner, "khong-co", "a.geojson", fc()).json()["code"] == "layer_not_found"
