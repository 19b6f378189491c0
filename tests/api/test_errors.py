def test_unknown_route_is_json_404(client):
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_oversized_body_is_413_before_parsing(client):
    r = client.post("/api/v1/auth/login", content=b"x" * 2_000_000,
                    headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


def test_oversized_chunked_body_is_413(client):
    def chunks():
        for _ in range(40):
            yield b"y" * 50_000

    r = client.post("/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_unknown_fields_are_refused(client):
    r = client.post("/api/v1/auth/login", json={"username": "a", "password": "b", "is_admin": True})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][-1] == "is_admin"


def test_malformed_json_is_422(client):
    r = client.post("/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_input"


def test_openapi_describes_every_route(client):
    spec = client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary") or op.get("description"), f"{method} {path} undocumented"
    assert client.get("/docs").status_code == 200


def test_health_is_503_when_database_is_down(settings):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from layers.db import make_engine

    dead = make_engine("postgresql+psycopg://nobody@/nodb?host=/nonexistent&port=1")
    with TestClient(create_app(settings, engine=dead)) as c:
        r = c.get("/healthz")
    assert r.status_code == 503
    assert r.json()["code"] == "database_unavailable"
