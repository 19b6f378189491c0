"""Incidents over HTTP: who may record and change them, the timeline, links, the map layer."""

from datetime import UTC, datetime, timedelta

import h3
import pytest

from tests.layers.incidents.helpers import OUTSIDE, TOWN, square


@pytest.fixture(autouse=True)
def media_dir(settings, tmp_path):
    settings.media_dir = tmp_path / "media"
    settings.feedback_anon_limit = 1000


@pytest.fixture
def leader(make_user, token_for):
    return token_for(make_user("leader", full_name="Lãnh Đạo"))


@pytest.fixture
def officer(make_user, token_for):
    return token_for(make_user("officer", agency_codes=["ubnd-24664"]))


def fire(**kw):
    body = {
        "type": "fire",
        "title": "Cháy nhà kho gần chợ",
        "severity": "high",
        "geometry": {"type": "Point", "coordinates": list(TOWN)},
        "agency": "ubnd-24664",
    }
    body.update(kw)
    return body


def create(client, headers, **kw):
    r = client.post("/api/v1/incidents", json=fire(**kw), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_an_officer_records_a_point_incident_with_cells_and_its_commune(client, officer):
    inc = create(client, officer, severity=3)
    assert inc["code"].startswith("SC-") and inc["status"]["code"] == "reported"
    assert inc["severity"] == {"level": 3, "name": "high", "label_vi": "Cao", "label_en": "High"}
    assert inc["type"]["label_vi"] == "Cháy"
    assert [c["code"] for c in inc["communes"]] == ["24664"]
    for res in range(5, 11):
        assert inc["h3"][f"r{res}"] == h3.latlng_to_cell(TOWN[1], TOWN[0], res)
    assert inc["timeline"][0]["kind"] == "created" and inc["timeline"][0]["to_status"] == "reported"
    assert inc["can_edit"] is True and inc["allowed_transitions"] == ["closed", "contained", "responding"]


def test_an_area_incident_is_stored_as_multipolygon_and_lists_the_communes_it_touches(client, leader):
    area = square(*TOWN, half=0.05)  # ~11 km wide around the town: several communes
    inc = create(client, leader, type="flood", geometry=area, severity=4)
    assert inc["geometry"]["type"] == "MultiPolygon" and inc["is_area"] is True
    assert 100 < inc["area_km2"] < 130
    codes = [c["code"] for c in inc["communes"]]
    assert "24664" in codes and len(codes) >= 2
    assert all(c["overlap_km2"] > 0 for c in inc["communes"])
    listed = client.get("/api/v1/incidents/map", headers=leader).json()
    feature = next(f for f in listed["features"] if f["id"] == inc["code"])
    assert feature["geometry"]["type"] == "MultiPolygon" and feature["properties"]["type"] == "flood"


def test_the_timeline_records_status_changes_edits_and_notes(client, leader):
    code = create(client, leader)["code"]
    r = client.post(f"/api/v1/incidents/{code}/transitions", json={"to": "responding"}, headers=leader)
    assert r.status_code == 200 and r.json()["status"]["code"] == "responding"
    r = client.patch(
        f"/api/v1/incidents/{code}", json={"severity": 4, "note": "Lan sang nhà bên"}, headers=leader
    )
    assert r.status_code == 200 and r.json()["severity"]["level"] == 4
    r = client.post(f"/api/v1/incidents/{code}/notes", json={"note": "Xe cứu hỏa đã đến"}, headers=leader)
    r = client.post(
        f"/api/v1/incidents/{code}/transitions", json={"to": "closed", "note": "Đã dập tắt"}, headers=leader
    )
    timeline = r.json()["timeline"]
    assert [t["kind"] for t in timeline] == ["created", "status", "edit", "note", "status"]
    assert timeline[2]["data"] == {"changed": ["severity"], "before": {"severity": 3}}
    assert timeline[4]["from_status"] == "responding" and timeline[4]["to_status"] == "closed"
    assert timeline[4]["note"] == "Đã dập tắt" and timeline[1]["actor"]
    assert r.json()["closed_at"] is not None


@pytest.mark.parametrize(
    "path, to, note, status, code",
    [
        ([], "reported", None, 409, "transition_not_allowed"),
        ([("closed", "báo nhầm")], "contained", None, 409, "transition_not_allowed"),
        ([], "closed", None, 422, "missing_field"),
        ([("closed", "báo nhầm")], "responding", None, 422, "missing_field"),
        ([], "extinguished", None, 422, "bad_status"),
    ],
)
def test_disallowed_moves_are_refused(client, leader, path, to, note, status, code):
    inc = create(client, leader)["code"]
    for step, text in path:
        assert (
            client.post(
                f"/api/v1/incidents/{inc}/transitions", json={"to": step, "note": text}, headers=leader
            ).status_code
            == 200
        )
    r = client.post(f"/api/v1/incidents/{inc}/transitions", json={"to": to, "note": note}, headers=leader)
    assert r.status_code == status and r.json()["code"] == code


def test_a_closed_incident_can_be_reopened_with_a_reason(client, leader):
    inc = create(client, leader)["code"]
    client.post(f"/api/v1/incidents/{inc}/transitions", json={"to": "closed", "note": "xong"}, headers=leader)
    r = client.post(
        f"/api/v1/incidents/{inc}/transitions", json={"to": "responding", "note": "Cháy lại"}, headers=leader
    )
    assert r.status_code == 200 and r.json()["closed_at"] is None


def test_officers_act_only_for_their_agencies(client, officer, make_user, token_for):
    r = client.post("/api/v1/incidents", json=fire(agency="phong-ktht"), headers=officer)
    assert r.status_code == 403 and r.json()["code"] == "not_your_agency"
    other = token_for(make_user("officer", agency_codes=["phong-ktht"]))
    code = create(client, officer)["code"]
    r = client.post(f"/api/v1/incidents/{code}/transitions", json={"to": "responding"}, headers=other)
    assert r.status_code == 403 and r.json()["code"] == "not_responsible_agency"
    view = client.get(f"/api/v1/incidents/{code}", headers=other).json()
    assert view["can_edit"] is False and view["allowed_transitions"] == []
    # an officer of exactly one agency may leave the agency out
    body = fire()
    del body["agency"]
    assert (
        client.post("/api/v1/incidents", json=body, headers=officer).json()["agency"]["code"] == "ubnd-24664"
    )


def test_planners_read_but_cannot_write_and_citizens_see_nothing(client, leader, make_user, token_for):
    code = create(client, leader)["code"]
    planner = token_for(make_user("planner"))
    assert client.get(f"/api/v1/incidents/{code}", headers=planner).status_code == 200
    assert client.post("/api/v1/incidents", json=fire(), headers=planner).status_code == 403
    citizen = token_for(make_user("citizen"))
    for path in ("/api/v1/incidents", f"/api/v1/incidents/{code}", "/api/v1/incidents/map"):
        assert client.get(path, headers=citizen).status_code == 403
        assert client.get(path).status_code == 401


def test_citizen_reports_are_linked_and_unlinked_by_tracking_code(client, leader):
    r = client.post(
        "/api/v1/reports",
        json={
            "category": "roads",
            "title": "Khói lớn",
            "description": "Cháy",
            "lon": TOWN[0],
            "lat": TOWN[1],
        },
    )
    report = r.json()["code"]
    inc = create(client, leader, reports=[report])
    assert [x["code"] for x in inc["reports"]] == [report]
    assert set(inc["reports"][0]) >= {"code", "status", "category", "lon", "lat"}
    assert "reporter" not in str(inc["reports"])
    r = client.post(f"/api/v1/incidents/{inc['code']}/reports", json={"reports": [report]}, headers=leader)
    assert len(r.json()["reports"]) == 1  # linking twice changes nothing
    r = client.post(
        f"/api/v1/incidents/{inc['code']}/reports", json={"reports": ["DM-2020-999999"]}, headers=leader
    )
    assert r.status_code == 422 and r.json()["code"] == "unknown_report"
    r = client.delete(f"/api/v1/incidents/{inc['code']}/reports", params={"report": report}, headers=leader)
    assert r.status_code == 200 and r.json()["reports"] == []
    assert r.json()["timeline"][-1]["kind"] == "unlink"
    r = client.delete(f"/api/v1/incidents/{inc['code']}/reports", params={"report": report}, headers=leader)
    assert r.status_code == 404 and r.json()["code"] == "report_not_linked"


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[107.6, 12.4], [107.62, 12.42], [107.62, 12.4], [107.6, 12.42], [107.6, 12.4]]],
}


@pytest.mark.parametrize(
    "change, code",
    [
        ({"type": "volcano"}, "unknown_incident_type"),
        ({"severity": 5}, "bad_severity"),
        ({"severity": "extreme"}, "bad_severity"),
        ({"geometry": {"type": "Point", "coordinates": list(OUTSIDE)}}, "outside_district"),
        ({"geometry": {"type": "LineString", "coordinates": [[107.6, 12.4], [107.7, 12.5]]}}, "bad_geometry"),
        ({"geometry": {"type": "Point", "coordinates": [12.44, 107.62]}}, "bad_coordinates"),
        ({"geometry": {"type": "Point", "coordinates": ["a", "b"]}}, "bad_geometry"),
        ({"geometry": BOWTIE}, "invalid_polygon"),
        ({"geometry": square(*TOWN, half=0.5)}, "area_too_large"),
        ({"agency": "khong-co"}, "unknown_agency"),
        ({"title": "  "}, "invalid_input"),
        ({"occurred_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, "bad_occurred_at"),
        ({"occurred_at": "2026-01-01T10:00:00"}, "invalid_input"),
        ({"reports": ["DM-2026-000001", "DM-2026-000001"]}, "repeated_codes"),
        ({"extra": 1}, "invalid_input"),
    ],
)
def test_bad_input_is_a_422_and_nothing_is_stored(client, leader, change, code):
    before = client.get("/api/v1/incidents", headers=leader).json()["total"]
    r = client.post("/api/v1/incidents", json=fire(**change), headers=leader)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    assert client.get("/api/v1/incidents", headers=leader).json()["total"] == before


def test_lists_filter_by_status_type_and_time(client, leader):
    a = create(client, leader)["code"]
    b = create(client, leader, type="landslide", occurred_at="2026-01-05T08:00:00+07:00")["code"]
    client.post(f"/api/v1/incidents/{a}/transitions", json={"to": "responding"}, headers=leader)
    page = client.get("/api/v1/incidents", params={"status": "responding"}, headers=leader).json()
    codes = [i["code"] for i in page["items"]]
    assert a in codes and b not in codes
    page = client.get("/api/v1/incidents", params={"type": "landslide"}, headers=leader).json()
    codes = [i["code"] for i in page["items"]]
    assert b in codes and a not in codes
    page = client.get("/api/v1/incidents", params={"end": "2026-02-01T00:00:00+07:00"}, headers=leader).json()
    assert b in [i["code"] for i in page["items"]] and a not in [i["code"] for i in page["items"]]
    assert client.get("/api/v1/incidents", params={"status": "x"}, headers=leader).status_code == 422
    assert client.get("/api/v1/incidents", params={"bbox": "1,2,3"}, headers=leader).status_code == 422
    assert client.get("/api/v1/incidents/SC-2026-999999", headers=leader).status_code == 404


def test_the_catalogue_names_every_type_in_vietnamese(client, leader):
    cat = client.get("/api/v1/incidents/types", headers=leader).json()
    assert len(cat["types"]) == 11 and all(t["label_vi"] for t in cat["types"])
    assert [s["name"] for s in cat["severities"]] == ["low", "medium", "high", "critical"]
