"""Submitting and following reports over HTTP, including every kind of bad input."""

import io
import json
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from layers.feedback import media as media_module
from layers.feedback.models import Photo, Report
from tests.layers.feedback.helpers import OUTSIDE, TOWN, gps_exif, image_bytes, media_files, near

BASE = {"category": "roads", "title": "Ổ gà lớn trước chợ", "description": "Sâu khoảng 20 cm.",
        "lon": TOWN[0], "lat": TOWN[1]}


@pytest.fixture(autouse=True)
def media_dir(settings, tmp_path):
    settings.media_dir = tmp_path / "media"
    settings.feedback_anon_limit = 1000
    return settings.media_dir


def post(client, *, photos=None, headers=None, **body):
    data = {**BASE, **body}
    if photos is None:
        return client.post("/api/v1/reports", json=data, headers=headers)
    files = [("photos", (f"anh-{i}.jpg", b, "image/jpeg")) for i, b in enumerate(photos)]
    return client.post("/api/v1/reports", data={"report": json.dumps(data)}, files=files, headers=headers)


def count(db, model=Report):
    return db.scalar(select(func.count()).select_from(model))


def test_a_json_submission_returns_a_tracking_code_and_a_private_link(client):
    r = post(client)
    assert r.status_code == 201, r.text
    body = r.json()
    assert re.fullmatch(r"DM-\d{4}-\d{6}", body["code"])
    assert r.headers["location"] == f"/api/v1/reports/{body['code']}"
    assert body["status"] == "received" and body["agency"]["code"] == "phong-ktht"
    assert body["routing"]["explanation_vi"] and body["deadline"]["working_days"] == 10
    assert body["deadline"]["overdue"] is False and body["deadline"]["seconds_left"] > 0
    assert body["private_url"] == f"/api/v1/reports/private/{body['private_token']}"
    followed = client.get(f"/api/v1/reports/{body['code']}")
    assert followed.status_code == 200
    assert [t["action"] for t in followed.json()["timeline"]] == ["created"]
    mine = client.get(body["private_url"])
    assert mine.status_code == 200 and mine.json()["code"] == body["code"]


def test_a_multipart_submission_stores_clean_photos_and_serves_them(client, media_dir):
    r = post(client, photos=[image_bytes("JPEG", size=(300, 200), exif=gps_exif()), image_bytes("PNG")])
    assert r.status_code == 201, r.text
    photos = r.json()["photos"]
    assert len(photos) == 2 and len(media_files(media_dir)) == 4
    full = client.get(photos[0]["url"])
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
    assert full.headers["x-content-type-options"] == "nosniff"
    image = Image.open(io.BytesIO(full.content))
    assert image.size == (300, 200) and len(image.getexif()) == 0
    assert b"SecretPhoneMaker" not in full.content
    thumb = client.get(photos[0]["thumb_url"])
    assert thumb.status_code == 200 and len(thumb.content) < len(full.content)


@pytest.mark.parametrize("photo, code", [
    (b"plain text pretending to be a JPEG" * 20, "photo_unsupported_type"),
    (image_bytes("JPEG", size=(400, 300))[:700], "photo_corrupt"),
    (b"\xff\xd8" + b"\0" * (10 * 1024 * 1024), "photo_too_large"),
])
def test_a_bad_photo_refuses_the_report_and_stores_nothing(client, db, media_dir, photo, code):
    before = (count(db), count(db, Photo))
    r = post(client, photos=[image_bytes(), photo])
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code and r.json()["photo"] == 2
    assert "Ảnh số 2" in r.json()["detail"]
    assert (count(db), count(db, Photo)) == before
    assert media_files(media_dir) == []


def test_more_than_five_photos_are_refused(client, db):
    before = count(db)
    r = post(client, photos=[image_bytes()] * 6)
    assert r.status_code == 422 and r.json()["code"] == "too_many_photos"
    assert count(db) == before


def test_a_failure_after_the_files_are_written_leaves_no_file_and_no_row(client, db, media_dir, monkeypatch):
    real = media_module._write_atomic
    calls = []

    def flaky(target, data):
        calls.append(target)
        if len(calls) == 3:
            raise OSError("disk full")
        real(target, data)

    monkeypatch.setattr(media_module, "_write_atomic", flaky)
    before = (count(db), count(db, Photo))
    r = post(client, photos=[image_bytes(), image_bytes()])
    assert r.status_code == 500 and r.json()["code"] == "internal_error"
    assert "disk full" not in r.text
    assert len(calls) == 3
    assert (count(db), count(db, Photo)) == before
    assert media_files(media_dir) == []


def test_outside_the_district_is_422_and_nothing_is_stored(client, db):
    before = count(db)
    r = post(client, lon=OUTSIDE[0], lat=OUTSIDE[1])
    assert r.status_code == 422 and r.json()["code"] == "outside_district"
    assert "ngoài địa bàn" in r.json()["detail"]
    assert count(db) == before


@pytest.mark.parametrize("change, code", [
    ({"category": "khong-co"}, "unknown_category"),
    ({"colour": "red"}, "invalid_input"),
    ({"lon": 200}, "invalid_input"),
    ({"lat": "north"}, "invalid_input"),
    ({"title": "x" * 201}, "invalid_input"),
    ({"description": "x" * 5001}, "invalid_input"),
    ({"lon": None, "lat": None}, "location_required"),
    ({"lon": None, "lat": None, "commune_code": "abc"}, "invalid_input"),
    ({"answers": {"nope": 1}}, "unknown_answer"),
    ({"reporter_email": "not-an-email"}, "bad_email"),
    ({"title": "Nul\u0000byte"}, "bad_text"),
])
def test_bad_fields_are_422_with_a_code(client, db, change, code):
    before = count(db)
    r = post(client, **change)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    assert count(db) == before


def test_a_multipart_body_without_a_report_part_or_with_extra_fields_is_422(client):
    r = client.post("/api/v1/reports", files=[("photos", ("a.jpg", image_bytes(), "image/jpeg"))])
    assert r.status_code == 422 and r.json()["code"] == "report_part_required"
    r = client.post("/api/v1/reports", data={"report": json.dumps(BASE), "extra": "1"},
                    files=[("photos", ("a.jpg", image_bytes(), "image/jpeg"))])
    assert r.status_code == 422 and r.json()["code"] == "unknown_field"
    r = client.post("/api/v1/reports", data={"report": "{not json"},
                    files=[("photos", ("a.jpg", image_bytes(), "image/jpeg"))])
    assert r.status_code == 422 and r.json()["code"] == "invalid_input"


def test_other_content_types_are_415(client):
    r = client.post("/api/v1/reports", content=b"category=roads", headers={"content-type": "text/plain"})
    assert r.status_code == 415 and r.json()["code"] == "unsupported_media_type"


def test_html_in_text_is_stored_and_returned_as_json_text(client):
    title = '<script>alert("x")</script><b>Đèn</b>'
    r = post(client, title=title)
    assert r.status_code == 201
    got = client.get(f"/api/v1/reports/{r.json()['code']}")
    assert got.headers["content-type"].startswith("application/json")
    assert got.json()["title"] == title


def test_the_same_idempotency_key_never_creates_a_second_report(client, db):
    headers = {"Idempotency-Key": "7f1c2a3b-retry-0001"}
    first = post(client, headers=headers, photos=[image_bytes()])
    again = post(client, headers=headers, photos=[image_bytes()])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["code"] == first.json()["code"]
    assert again.json()["private_token"] == first.json()["private_token"]
    assert again.headers["idempotent-replayed"] == "true"
    assert db.scalar(select(func.count()).select_from(Report).where(Report.code == first.json()["code"])) == 1
    other = post(client, headers=headers, title="Một nội dung khác hẳn")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


def test_anonymous_submissions_are_rate_limited_with_retry_after(client, settings, db):
    settings.feedback_anon_limit = 5
    for _ in range(5):
        assert post(client).status_code == 201
    before = count(db)
    r = post(client)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0
    body = r.json()
    assert body["code"] == "rate_limited" and body["retry_after"] == int(r.headers["retry-after"])
    assert body["limit"] == 5 and "thử lại" in body["detail"]
    assert count(db) == before


def test_signed_in_citizens_are_not_rate_limited(client, settings, make_user, token_for):
    settings.feedback_anon_limit = 1
    headers = token_for(make_user("citizen"))
    assert [post(client, headers=headers).status_code for _ in range(3)] == [201, 201, 201]
    mine = client.get("/api/v1/reports/mine", headers=headers)
    assert mine.status_code == 200 and len(mine.json()) == 3


def test_a_commune_can_be_chosen_when_gps_is_poor(client):
    r = post(client, lon=None, lat=None, commune_code="24670", category="street_lighting")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["location"]["precision"] == "commune" and body["commune"]["code"] == "24670"
    assert body["agency"]["code"] == "ubnd-24670"


def test_nearby_and_me_too(client):
    code = post(client).json()["code"]
    lon, lat = near(TOWN, 20)
    r = client.get("/api/v1/reports/nearby", params={"lon": lon, "lat": lat, "category": "roads"})
    assert r.status_code == 200
    assert [i["code"] for i in r.json()["items"]] == [code]
    assert 15 < r.json()["items"][0]["distance_m"] < 25
    first = client.post(f"/api/v1/reports/{code}/support")
    again = client.post(f"/api/v1/reports/{code}/support")
    assert first.json() == {"code": code, "supporters": 1, "added": True}
    assert again.json() == {"code": code, "supporters": 1, "added": False}
    assert client.get(f"/api/v1/reports/{code}").json()["supporters"] == 1


@pytest.mark.parametrize("params", [{"lon": 107.6}, {"lon": "x", "lat": 12}, {"lon": 0, "lat": 95}])
def test_nearby_validates_coordinates(client, params):
    assert client.get("/api/v1/reports/nearby", params=params).status_code == 422


def test_unknown_codes_and_tokens_are_404_and_malformed_ones_422(client):
    assert client.get("/api/v1/reports/DM-2026-999999").json()["code"] == "report_not_found"
    assert client.get("/api/v1/reports/not-a-code").status_code == 422
    assert client.get("/api/v1/reports/private/" + "x" * 40).status_code == 404
    assert client.post("/api/v1/reports/DM-2026-999999/support").status_code == 404


def test_the_public_list_pages_and_filters(client):
    codes = [post(client).json()["code"] for _ in range(3)]
    r = client.get("/api/v1/reports", params={"limit": 2, "category": "roads"})
    assert r.status_code == 200 and len(r.json()["items"]) == 2 and r.json()["next_offset"] == 2
    assert r.json()["items"][0]["code"] == codes[-1]
    fc = client.get("/api/v1/reports/geojson", params={"bbox": "107.5,12.3,107.8,12.6"})
    assert fc.headers["content-type"].startswith("application/geo+json")
    assert set(codes) <= {f["id"] for f in fc.json()["features"]}
    assert client.get("/api/v1/reports", params={"bbox": "1,2,3"}).json()["code"] == "bad_bbox"
    assert client.get("/api/v1/reports", params={"status": "nope"}).json()["code"] == "bad_status"


def test_categories_and_the_routing_preview_are_public(client):
    cats = client.get("/api/v1/feedback/categories").json()
    assert len(cats) == 13 and {"roads", "street_lighting", "other"} <= {c["code"] for c in cats}
    assert all(c["name_vi"] and c["name_en"] and c["icon"] and c["deadline_days"] for c in cats)
    r = client.get("/api/v1/feedback/routing/preview",
                   params={"category": "street_lighting", "lon": TOWN[0], "lat": TOWN[1]})
    assert r.status_code == 200 and r.json()["agency"]["code"] == "ubnd-24664"
    assert r.json()["rule"] == "default-street_lighting"
    assert client.get("/api/v1/feedback/routing-rules").status_code == 200
    assert client.get("/api/v1/feedback/holidays", params={"year": 2026}).status_code == 200


def test_the_openapi_document_describes_both_submission_bodies(client):
    spec = client.get("/openapi.json").json()
    content = spec["paths"]["/api/v1/reports"]["post"]["requestBody"]["content"]
    assert content["application/json"]["schema"]["properties"]["category"]
    assert content["multipart/form-data"]["schema"]["properties"]["photos"]["maxItems"] == 5
