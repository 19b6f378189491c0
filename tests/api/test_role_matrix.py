"""Each role gets exactly what it should on every protected endpoint.

The matrix is read from the routes themselves (their ``RequireRoles`` dependency); a
route without one must say it is public with the ``Public`` marker, so a new endpoint
cannot be left unguarded by accident.
"""

import pytest
from fastapi.routing import iter_route_contexts

from api.deps import Public, RequireRoles
from tests.conftest import ROLES

SAMPLE_PATH = {"username": "admin", "code": "24664", "slug": "communes", "n": "1",
               "job_id": "00000000-0000-0000-0000-000000000000", "key_id": "1"}


def _guards(dependant, kind=RequireRoles):
    for dep in dependant.dependencies:
        if isinstance(dep.call, kind):
            yield dep.call
        yield from _guards(dep, kind)


def protected_routes(app):
    out = []
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or not route.include_in_schema:
            continue  # mounts (static files) and the HTML page
        guards = list(_guards(dependant))
        for method in route.methods:
            if guards:
                allowed = frozenset.intersection(*(g.roles for g in guards))
                out.append((method, route.path, allowed))
            else:
                assert list(_guards(dependant, Public)), f"{method} {route.path}: neither guarded nor Public"
    return out


def _url(path):
    return path.format(**SAMPLE_PATH)


def test_every_route_is_either_public_or_guarded(app):
    assert protected_routes(app), "expected some protected routes"


def test_role_matrix(app, client, make_user, token_for):
    headers = {role: token_for(make_user(role)) for role in ROLES}
    checked = 0
    for method, path, allowed in protected_routes(app):
        anon = client.request(method, _url(path))
        assert anon.status_code == 401, f"anonymous {method} {path}: {anon.status_code}"
        for role in ROLES:
            if method == "POST" and path.endswith("/logout"):
                continue  # would revoke the token used by the rest of the matrix
            r = client.request(method, _url(path), headers=headers[role], json={})
            if role in allowed:
                assert r.status_code not in (401, 403), f"{role} {method} {path}: {r.status_code} {r.text}"
            else:
                assert r.status_code == 403, f"{role} {method} {path}: {r.status_code}"
                assert r.json()["code"] == "forbidden"
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize("role", ["leader", "planner", "officer", "citizen"])
def test_non_admins_cannot_read_personal_data_of_others(client, make_user, token_for, role):
    make_user("citizen", username="nguoi-dan-a", email="a@example.vn", phone="0912345678")
    r = client.get("/api/v1/users/nguoi-dan-a", headers=token_for(make_user(role)))
    assert r.status_code == 403
    assert "0912345678" not in r.text


def test_admin_manages_accounts(client, make_user, token_for):
    headers = token_for(make_user("admin"))
    r = client.post("/api/v1/users", headers=headers, json={
        "username": "Can-Bo-1", "password": "mat-khau-dai-du", "role": "officer",
        "agencies": ["ubnd-24664", "phong-ktht"], "full_name": "Trần Thị B"})
    assert r.status_code == 201, r.text
    assert r.json()["username"] == "can-bo-1"
    assert {a["code"] for a in r.json()["agencies"]} == {"ubnd-24664", "phong-ktht"}
    r = client.patch("/api/v1/users/can-bo-1", headers=headers, json={"role": "leader"})
    assert r.json()["role"] == "leader"
    assert "can-bo-1" in [u["username"] for u in client.get("/api/v1/users", headers=headers).json()]


@pytest.mark.parametrize("body, code", [
    ({"username": "x", "password": "mat-khau-dai-du", "role": "officer"}, "invalid_input"),
    ({"username": "hop-le", "password": "ngan", "role": "officer"}, "invalid_input"),
    ({"username": "hop-le", "password": "mat-khau-dai-du", "role": "superuser"}, "bad_role"),
    ({"username": "hop-le", "password": "mat-khau-dai-du", "role": "officer", "agencies": ["khong-co"]},
     "unknown_agency"),
    ({"username": "bad name!", "password": "mat-khau-dai-du", "role": "officer"}, "bad_username"),
    ({"username": "hop-le", "password": "mat-khau-dai-du", "role": "officer", "email": "not-an-email"},
     "invalid_input"),
    ({"username": "hop-le", "password": "mat-khau-dai-du", "role": "officer", "is_admin": True},
     "invalid_input"),
])
def test_bad_account_input_is_422_and_nothing_is_created(client, make_user, token_for, body, code):
    headers = token_for(make_user("admin"))
    r = client.post("/api/v1/users", headers=headers, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    assert client.get("/api/v1/users/hop-le", headers=headers).status_code == 404


def test_duplicate_username_is_409(client, make_user, token_for):
    headers = token_for(make_user("admin"))
    existing = make_user("citizen")
    r = client.post("/api/v1/users", headers=headers, json={
        "username": existing.username, "password": "mat-khau-dai-du", "role": "officer"})
    assert r.status_code == 409 and r.json()["code"] == "username_taken"
