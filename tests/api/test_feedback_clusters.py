"""GET /api/v1/reports/clusters: the public map's clusters and points, counts, privacy, bad input."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from layers.feedback import clusters
from layers.feedback.ratelimit import ip_hash
from tests.layers.feedback.cluster_data import NORTH, REPORTER, TOWN, insert_reports, scatter
from tests.layers.feedback.helpers import image_bytes

URL = "/api/v1/reports/clusters"
DISTRICT = "107.45,12.25,107.95,12.80"
CLUSTER_KEYS = {"kind", "cell", "count", "status", "category", "statuses", "categories"}
POINT_KEYS = {"kind", "code", "status", "category", "icon", "precision", "supporters", "overdue"}
KEY = "idem-map-secret-98765"


@pytest.fixture(autouse=True)
def media_dir(settings, tmp_path):
    settings.media_dir = tmp_path / "media"
    settings.feedback_anon_limit = 1000


@pytest.fixture
def many(db):
    return insert_reports(db, scatter(TOWN, 250, 0.04, seed=21) + scatter(NORTH, 150, 0.03, seed=22))


@pytest.fixture
def secret_report(client):
    """A report sent through the API with contact details, a photo and an Idempotency-Key."""
    body = {"category": "roads", "title": "Đường hỏng", "description": "Mô tả", "lon": TOWN[0], "lat": TOWN[1],
            **{k: v for k, v in REPORTER.items()}, "share_contact": True}
    r = client.post("/api/v1/reports", data={"report": json.dumps(body)},
                    files=[("photos", ("a.jpg", image_bytes(), "image/jpeg"))], headers={"Idempotency-Key": KEY})
    assert r.status_code == 201, r.text
    return r.json()


def test_cluster_counts_add_up_to_every_public_report(client, db, many):
    r = client.get(URL, params={"bbox": DISTRICT, "zoom": 11})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    truth = db.scalar(text("SELECT count(*) FROM feedback_reports"))
    assert fc["meta"]["mode"] == "clusters" and fc["meta"]["resolution"] == 6
    assert sum(f["properties"]["count"] for f in fc["features"]) == fc["meta"]["total"] == truth
    for f in fc["features"]:
        p = f["properties"]
        assert p["kind"] == "cluster" and sum(p["statuses"].values()) == p["count"]
        assert p["status"] == max(p["statuses"], key=p["statuses"].get)
        assert f["geometry"]["type"] == "Point"


def test_filters_narrow_the_counts(client, db, many):
    r = client.get(URL, params=[("bbox", DISTRICT), ("zoom", 12), ("category", "waste"),
                                ("status", "received"), ("status", "assigned"), ("status", "in_progress")])
    assert r.status_code == 200, r.text
    truth = db.scalar(text("SELECT count(*) FROM feedback_reports r JOIN feedback_categories c ON c.id = "
                           "r.category_id WHERE c.code = 'waste' AND r.status IN ('received', 'assigned', "
                           "'in_progress')"))
    fc = r.json()
    assert fc["meta"]["total"] == truth > 0
    got = sum(f["properties"]["count"] if f["properties"]["kind"] == "cluster" else 1 for f in fc["features"])
    assert got == truth


def test_street_zoom_returns_the_reports_with_their_public_fields(client, many):
    box = f"{TOWN[0] - 0.01},{TOWN[1] - 0.01},{TOWN[0] + 0.01},{TOWN[1] + 0.01}"
    fc = client.get(URL, params={"bbox": box, "zoom": 17}).json()
    assert fc["meta"]["mode"] == "points" and fc["features"]
    assert {f["properties"]["kind"] for f in fc["features"]} == {"report"}
    assert all(set(f["properties"]) == POINT_KEYS for f in fc["features"])
    assert {f["id"] for f in fc["features"]} <= set(many)


@pytest.mark.parametrize("zoom", [11, 14, 17])
def test_no_cluster_or_point_carries_the_reporters_data(client, many, secret_report, zoom):
    r = client.get(URL, params={"bbox": DISTRICT if zoom < 17 else
                                f"{TOWN[0] - 0.002},{TOWN[1] - 0.002},{TOWN[0] + 0.002},{TOWN[1] + 0.002}",
                                "zoom": zoom})
    assert r.status_code == 200, r.text
    body = r.text
    for secret in (*REPORTER.values(), KEY, secret_report["private_token"], ip_hash("testclient"), "Mô tả",
                   "Đường hỏng"):
        assert secret not in body
    allowed = CLUSTER_KEYS | POINT_KEYS
    for f in r.json()["features"]:
        assert set(f["properties"]) <= allowed
    if zoom == 17:
        assert secret_report["code"] in {f["id"] for f in r.json()["features"]}


def test_a_view_with_few_reports_shows_points_even_zoomed_out(client, db):
    codes = insert_reports(db, scatter(NORTH, 12, 0.01, seed=23))
    fc = client.get(URL, params={"bbox": DISTRICT, "zoom": 10}).json()
    assert fc["meta"]["mode"] == "points"
    assert {f["id"] for f in fc["features"]} == set(codes)
    assert clusters.FEW >= 12


@pytest.mark.parametrize(("params", "code"), [
    ({"zoom": 11}, "invalid_input"),
    ({"bbox": DISTRICT}, "invalid_input"),
    ({"bbox": DISTRICT, "zoom": 23}, "invalid_input"),
    ({"bbox": DISTRICT, "zoom": -1}, "invalid_input"),
    ({"bbox": DISTRICT, "zoom": "eleven"}, "invalid_input"),
    ({"bbox": "107.5,12.3,107.9", "zoom": 11}, "bad_bbox"),
    ({"bbox": "107.9,12.3,107.5,12.7", "zoom": 11}, "bad_bbox"),
    ({"bbox": "nan,12.3,107.9,12.7", "zoom": 11}, "bad_bbox"),
    ({"bbox": "107.5,-95,107.9,12.7", "zoom": 11}, "bad_bbox"),
    ({"bbox": "a,b,c,d", "zoom": 11}, "bad_bbox"),
    ({"bbox": DISTRICT, "zoom": 11, "status": "lost"}, "bad_status"),
    ({"bbox": DISTRICT, "zoom": 11, "category": "nope"}, "unknown_category"),
])
def test_bad_bbox_zoom_and_filters_are_precise_422s(client, params, code):
    r = client.get(URL, params=params)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    if code == "invalid_input":
        assert r.json()["errors"][0]["loc"][-1] in {"bbox", "zoom"}
