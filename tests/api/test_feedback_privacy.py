"""No public output ever carries the reporter's personal data or the report's secrets."""

import json

import pytest

from layers.feedback.ratelimit import ip_hash
from tests.layers.feedback.helpers import TOWN, image_bytes, near

SECRETS = {"name": "Trần Bí Mật", "phone": "0987 654 321", "email": "bimat@example.vn"}
KEY = "idem-secret-key-12345"
FORBIDDEN_KEYS = {"reporter", "reporter_name", "reporter_phone", "reporter_email", "reporter_user_id",
                  "reporter_ip_hash", "private_token", "private_token_hash", "private_url", "token_nonce",
                  "idempotency_key_hash", "request_hash", "share_contact", "citizen_comment"}


@pytest.fixture(autouse=True)
def media_dir(settings, tmp_path):
    settings.media_dir = tmp_path / "media"
    settings.feedback_anon_limit = 1000


@pytest.fixture
def secret_report(client):
    body = {"category": "roads", "title": "Đường hỏng", "description": "Mô tả", "lon": TOWN[0],
            "lat": TOWN[1], "reporter_name": SECRETS["name"], "reporter_phone": SECRETS["phone"],
            "reporter_email": SECRETS["email"], "share_contact": True}
    r = client.post("/api/v1/reports", data={"report": json.dumps(body)},
                    files=[("photos", ("a.jpg", image_bytes(), "image/jpeg"))],
                    headers={"Idempotency-Key": KEY})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["reporter"]["phone"] == SECRETS["phone"]  # the reporter sees it, once
    return created


def _walk_keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _walk_keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_keys(v)


def assert_public(response, token):
    assert response.status_code == 200, response.text
    text = response.text
    for secret in (*SECRETS.values(), KEY, token, ip_hash("testclient")):
        assert secret not in text
    assert "0987654321" not in text.replace(" ", "")
    leaked = FORBIDDEN_KEYS & set(_walk_keys(response.json()))
    assert not leaked, leaked


def test_every_public_endpoint_hides_the_reporter(client, secret_report):
    code, token = secret_report["code"], secret_report["private_token"]
    lon, lat = near(TOWN, 5)
    for response in (
        client.get(f"/api/v1/reports/{code}"),
        client.get("/api/v1/reports"),
        client.get("/api/v1/reports", params={"category": "roads", "limit": 200}),
        client.get("/api/v1/reports/geojson"),
        client.get("/api/v1/reports/nearby", params={"lon": lon, "lat": lat, "category": "roads"}),
        client.post(f"/api/v1/reports/{code}/support"),
    ):
        assert_public(response, token)
    listed = client.get("/api/v1/reports").json()["items"]
    assert code in [i["code"] for i in listed]  # the check above really looked at it


def test_a_signed_in_citizen_sees_only_public_data_of_others(client, secret_report, make_user, token_for):
    headers = token_for(make_user("citizen"))
    assert_public(client.get(f"/api/v1/reports/{secret_report['code']}", headers=headers),
                  secret_report["private_token"])


def test_officers_see_the_contact_only_when_the_reporter_agreed(client, secret_report, make_user, token_for):
    officer = token_for(make_user("officer", agency_codes=["phong-ktht"]))
    shared = client.get(f"/api/v1/inbox/{secret_report['code']}", headers=officer).json()
    assert shared["reporter"]["phone"] == SECRETS["phone"]
    body = {"category": "roads", "title": "Không chia sẻ", "description": "Mô tả", "lon": TOWN[0],
            "lat": TOWN[1], "reporter_name": SECRETS["name"], "reporter_phone": SECRETS["phone"]}
    code = client.post("/api/v1/reports", json=body).json()["code"]
    staff = client.get(f"/api/v1/inbox/{code}", headers=officer)
    assert staff.status_code == 200
    assert SECRETS["name"] not in staff.text and SECRETS["phone"] not in staff.text
    assert staff.json()["reporter"] == {"name": None, "phone": None, "email": None, "share_contact": False}
    inbox = client.get("/api/v1/inbox", headers=officer)
    assert code in inbox.text and SECRETS["phone"] in inbox.text  # only the consenting report's
    assert inbox.text.count(SECRETS["phone"]) == 1
