"""The OpenAPI document declares how to sign in, so /docs can authorise guarded calls."""

from __future__ import annotations


def test_guarded_operations_declare_the_password_flow_and_public_ones_do_not(client):
    spec = client.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["iocmap"]
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    ops = spec["paths"]
    assert ops["/api/v1/users"]["get"]["security"] == [{"iocmap": []}]  # admin only
    assert "security" not in ops["/api/v1/communes"]["get"]  # public


def test_a_token_from_the_declared_flow_opens_a_guarded_operation(client, make_user):
    from tests.conftest import PASSWORD

    user = make_user("admin")
    token = client.post("/api/v1/auth/token",
                        data={"username": user.username, "password": PASSWORD}).json()["access_token"]
    assert client.get("/api/v1/users", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/users").status_code == 401
