"""Admins issue, list and revoke Open311 API keys; the secret is shown once and stored hashed."""

import pytest
from sqlalchemy import select

from layers import apikeys
from layers.apikeys import ApiKey


@pytest.fixture
def admin(make_user, token_for):
    return token_for(make_user("admin"))


def test_an_admin_issues_a_key_shown_once_and_stored_hashed(client, db, admin):
    r = client.post("/api/v1/apikeys", json={"name": "Ứng dụng phản ánh Đắk Mil", "note": "Sở TT&TT"},
                    headers=admin)
    assert r.status_code == 201, r.text
    body = r.json()
    secret = body["key"]
    assert secret.startswith("dmk_") and len(secret) > 40 and body["prefix"] == secret[:12]
    row = db.scalar(select(ApiKey).where(ApiKey.id == body["id"]))
    assert row.key_hash == apikeys.key_hash(secret) and secret not in (row.key_hash, row.prefix)
    listed = client.get("/api/v1/apikeys", headers=admin)
    assert listed.status_code == 200
    assert secret not in listed.text and "key_hash" not in listed.text
    mine = next(k for k in listed.json() if k["id"] == body["id"])
    assert mine["active"] is True and mine["note"] == "Sở TT&TT" and mine["last_used_at"] is None


def test_revoking_is_immediate_and_repeatable(client, admin):
    made = client.post("/api/v1/apikeys", json={"name": "thu-hoi"}, headers=admin).json()
    first = client.delete(f"/api/v1/apikeys/{made['id']}", headers=admin)
    assert first.status_code == 200 and first.json()["active"] is False
    again = client.delete(f"/api/v1/apikeys/{made['id']}", headers=admin)
    assert again.json()["revoked_at"] == first.json()["revoked_at"]
    assert client.delete("/api/v1/apikeys/999999", headers=admin).status_code == 404


@pytest.mark.parametrize("body, status, code", [
    ({"name": "1abc"}, 422, "bad_key_name"),
    ({"name": "a<script>"}, 422, "bad_key_name"),
    ({"name": "x"}, 422, "invalid_input"),
    ({"name": "ok-name", "secret": "mine"}, 422, "invalid_input"),
])
def test_bad_key_requests_are_refused(client, admin, body, status, code):
    r = client.post("/api/v1/apikeys", json=body, headers=admin)
    assert r.status_code == status and r.json()["code"] == code


def test_key_names_are_unique_ignoring_case(client, admin):
    assert client.post("/api/v1/apikeys", json={"name": "Trung-Tam"}, headers=admin).status_code == 201
    r = client.post("/api/v1/apikeys", json={"name": "trung-tam"}, headers=admin)
    assert r.status_code == 409 and r.json()["code"] == "key_name_taken"


@pytest.mark.parametrize("role", ["leader", "planner", "officer", "citizen"])
def test_only_admins_manage_keys(client, make_user, token_for, role):
    headers = token_for(make_user(role))
    assert client.get("/api/v1/apikeys", headers=headers).status_code == 403
    assert client.post("/api/v1/apikeys", json={"name": "khong-duoc"}, headers=headers).status_code == 403
    assert client.get("/api/v1/apikeys").status_code == 401


def test_use_is_recorded_at_most_once_a_minute(db):
    from datetime import UTC, datetime, timedelta

    issued = apikeys.create_key(db, "dem-luot")
    t0 = datetime(2026, 3, 10, tzinfo=UTC)
    assert apikeys.authenticate(db, issued.secret, t0).last_used_at == t0
    assert apikeys.authenticate(db, issued.secret, t0 + timedelta(seconds=30)).last_used_at == t0
    later = t0 + timedelta(minutes=2)
    assert apikeys.authenticate(db, issued.secret, later).last_used_at == later
