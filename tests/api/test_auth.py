from tests.conftest import PASSWORD


def _token(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_password_flow_token_works_as_bearer(client, make_user):
    user = make_user("planner", full_name="Nguyễn Văn A")
    r = _token(client, user.username)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and len(body["access_token"]) > 30
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["user"]["role"] == "planner"
    assert me.json()["user"]["full_name"] == "Nguyễn Văn A"


def test_username_is_case_insensitive(client, make_user):
    user = make_user("leader")
    assert _token(client, user.username.upper()).status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_401(client, make_user):
    user = make_user()
    wrong = _token(client, user.username, "sai-mat-khau")
    unknown = _token(client, "khong-ton-tai", "sai-mat-khau")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "bad_credentials"


def test_missing_form_fields_are_422(client):
    assert client.post("/api/v1/auth/token", data={"username": "x"}).status_code == 422


def test_repeated_failures_lock_the_account(client, make_user):
    user = make_user()
    for _ in range(5):
        assert _token(client, user.username, "sai-mat-khau").status_code == 401
    locked = _token(client, user.username)  # even the right password
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert int(locked.headers["Retry-After"]) > 0


def test_success_resets_the_failure_counter(client, make_user):
    user = make_user()
    for _ in range(4):
        _token(client, user.username, "sai-mat-khau")
    assert _token(client, user.username).status_code == 200
    for _ in range(4):
        _token(client, user.username, "sai-mat-khau")
    assert _token(client, user.username).status_code == 200


def test_disabled_account_is_refused_and_its_tokens_die(client, make_user, token_for):
    admin = make_user("admin")
    user = make_user("officer")
    user_headers = token_for(user)
    r = client.patch(f"/api/v1/users/{user.username}", json={"is_active": False}, headers=token_for(admin))
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert client.get("/api/v1/auth/me", headers=user_headers).status_code == 401
    refused = _token(client, user.username)
    assert refused.status_code == 401 and refused.json()["code"] == "account_disabled"


def test_invalid_or_malformed_bearer_is_401(client):
    for header in ("Bearer nope", "Basic dXNlcjpwYXNz", "Bearer"):
        r = client.get("/api/v1/layers", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.headers["WWW-Authenticate"] == "Bearer"


def test_browser_login_sets_a_safe_cookie_and_needs_csrf_for_changes(client, make_user):
    user = make_user("citizen")
    r = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
    assert r.status_code == 200
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    csrf = r.json()["csrf_token"]
    assert client.get("/api/v1/auth/me").json()["user"]["username"] == user.username
    no_csrf = client.post("/api/v1/auth/logout")
    assert no_csrf.status_code == 403 and no_csrf.json()["code"] == "csrf_failed"
    wrong = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_secure_cookie_flag_when_configured(app, client, make_user):
    app.state.settings.secure_cookies = True
    user = make_user()
    r = client.post("/api/v1/auth/login", json={"username": user.username, "password": PASSWORD})
    assert "secure" in r.headers["set-cookie"].lower()


def test_bearer_logout_revokes_the_token(client, make_user, token_for):
    headers = token_for(make_user())
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_passwords_are_stored_as_argon2_hashes(db, make_user):
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
