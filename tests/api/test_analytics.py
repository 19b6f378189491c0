"""Analytics over HTTP: the H3 heatmap, hotspots, KPIs and their case lists; staff only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import h3
import orjson
import pytest
from sqlalchemy import text

from tests.layers.analytics.helpers import insert_reports, random_points, report_row

NOW = datetime.now(UTC)


@pytest.fixture
def reports(db):
    db.execute(text("DELETE FROM incident_reports"))
    db.execute(text("DELETE FROM feedback_reports"))
    rows = [
        report_row(
            float(x),
            float(y),
            NOW - timedelta(days=5 + i % 40),
            category="waste" if i % 3 else "roads",
            due_in=timedelta(days=2),
        )
        for i, (x, y) in enumerate(random_points(120, seed=9))
    ]
    insert_reports(db, rows)
    db.commit()
    return rows


@pytest.fixture
def planner(make_user, token_for):
    return token_for(make_user("planner"))


def window():
    return {"start": (NOW - timedelta(days=60)).isoformat(), "end": NOW.isoformat()}


@pytest.mark.parametrize("resolution", [5, 7, 9, 10])
def test_the_heatmap_is_geojson_hexagons_counting_the_points_inside(client, planner, reports, resolution):
    r = client.get(
        "/api/v1/analytics/h3",
        params={"layer": "reports", "resolution": resolution, **window()},
        headers=planner,
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    counts = {f["properties"]["h3"]: f["properties"]["count"] for f in fc["features"]}
    expected: dict[str, int] = {}
    for row in reports:
        cell = h3.latlng_to_cell(row["lat"], row["lon"], resolution)
        expected[cell] = expected.get(cell, 0) + 1
    assert counts == expected and fc["meta"]["total"] == 120
    props = fc["features"][0]["properties"]
    assert {"h3", "count", "overdue_share", "top_categories", "per_km2", "per_1000_residents"} <= set(props)
    assert props["overdue_share"] == 1.0  # all open and due two days after receipt


def test_zoom_picks_the_resolution_and_an_explicit_one_wins(client, planner, reports):
    r = client.get("/api/v1/analytics/h3", params={"zoom": 13, **window()}, headers=planner)
    assert r.json()["meta"]["resolution"] == 8
    r = client.get("/api/v1/analytics/h3", params={"zoom": 13, "resolution": 6, **window()}, headers=planner)
    assert r.json()["meta"]["resolution"] == 6


@pytest.mark.parametrize(
    "params, code",
    [
        ({"resolution": 4}, "bad_resolution"),
        ({"resolution": 11}, "bad_resolution"),
        ({"layer": "people"}, "bad_layer"),
        ({"category": "volcano"}, "unknown_category"),
        ({"bbox": "107,12,106,13"}, "bad_bbox"),
        ({"start": "yesterday"}, "invalid_input"),
        ({"start": "2026-01-01T00:00:00"}, "invalid_input"),
        ({"status": "lost"}, "bad_status"),
    ],
)
def test_bad_heatmap_questions_are_422(client, planner, params, code):
    r = client.get("/api/v1/analytics/h3", params=params, headers=planner)
    assert r.status_code == 422 and r.json()["code"] == code


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/analytics/h3",
        "/api/v1/analytics/hotspots",
        "/api/v1/analytics/kpi",
        "/api/v1/analytics/cases?metric=open",
    ],
)
def test_only_staff_get_analytics(client, make_user, token_for, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers=token_for(make_user("citizen"))).status_code == 403
    assert client.get(path, headers=token_for(make_user("officer"))).status_code == 200


def test_hotspots_state_their_significance(client, planner, reports):
    r = client.get("/api/v1/analytics/hotspots", params={"resolution": 8, **window()}, headers=planner)
    assert r.status_code == 200
    meta = r.json()["meta"]
    assert meta["significance_levels"] == {"99": 0.01, "95": 0.05, "90": 0.1}
    assert "Benjamini" in meta["correction"] and meta["total"] == 120
    assert all(f["properties"]["class"] in ("hot", "cold", "not_significant") for f in r.json()["features"])
    summary = meta["summary"]
    assert set(summary) == {"hot", "cold"} and set(summary["hot"]) == {"90", "95", "99"}


def test_the_http_heatmap_is_the_layers_collection(client, planner, reports, db):
    """The endpoint sends the layer's own serialisation: same hexagons, properties and meta."""
    from layers.analytics import heatmap
    from layers.analytics import window as analytics_window

    params = {"layer": "reports", "resolution": 9, "category": "waste", **window()}
    r = client.get("/api/v1/analytics/h3", params=params, headers=planner)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    w = analytics_window.resolve(db, analytics_window.Window(
        layer="reports", resolution=9, categories=("waste",),
        start=datetime.fromisoformat(params["start"]), end=datetime.fromisoformat(params["end"])))
    built = heatmap.heatmap(db, w)
    body = r.json()
    assert body["features"] == orjson.loads(orjson.dumps(built["features"]))
    assert body["meta"] == orjson.loads(orjson.dumps(built["meta"])) and body["meta"]["total"] == 80


def test_kpi_numbers_link_to_their_cases(client, planner, reports):
    r = client.get("/api/v1/analytics/kpi", params=window(), headers=planner)
    assert r.status_code == 200
    totals = r.json()["reports"]["totals"]
    assert totals["received"]["value"] == 120 and totals["overdue"]["value"] == 120
    cases = client.get(totals["overdue"]["link"], headers=planner)
    assert cases.status_code == 200 and len(cases.json()["features"]) == 120
    assert {g["code"] for g in r.json()["reports"]["by_category"]} == {"roads", "waste"}
    assert "incidents" in r.json() and r.json()["incidents"]["active"]["value"] == 0


def test_bad_kpi_questions_are_422(client, planner):
    assert (
        client.get("/api/v1/analytics/cases", params={"metric": "joy"}, headers=planner).json()["code"]
        == "bad_metric"
    )
    r = client.get("/api/v1/analytics/kpi", params={"agency": "khong-co"}, headers=planner)
    assert r.status_code == 422 and r.json()["code"] == "unknown_agency"
    r = client.get(
        "/api/v1/analytics/kpi",
        params={"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
        headers=planner,
    )
    assert r.status_code == 422 and r.json()["code"] == "bad_period"
    r = client.get(
        "/api/v1/analytics/cases", params={"metric": "incidents", "status": "lost"}, headers=planner
    )
    assert r.status_code == 422 and r.json()["code"] == "bad_status"


def test_briefing_exports_download_as_files(client, planner, reports):
    r = client.get("/api/v1/analytics/briefing.html", params={**window(), "title": "Họp giao ban"}, headers=planner)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "attachment" in r.headers["content-disposition"] and "Họp giao ban" in r.text
    r = client.get("/api/v1/analytics/kpi.csv", params={**window(), "table": "category"}, headers=planner)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbfcode,name,received")
    r = client.get("/api/v1/analytics/kpi.xlsx", params=window(), headers=planner)
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = client.get("/api/v1/analytics/kpi.csv", params={"table": "x"}, headers=planner)
    assert r.status_code == 422 and r.json()["code"] == "bad_table"
