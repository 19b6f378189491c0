"""Signing in and out from the map's header, for every role."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD, ROLES
from tests.web.mapui import READY, PageLog, expect_anonymous, login, open_map

ROLE_LABELS_VI = {
    "admin": "Quản trị", "leader": "Lãnh đạo", "planner": "Quy hoạch",
    "officer": "Cán bộ xử lý", "citizen": "Người dân",
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_sees_its_role_and_signs_out(
    page: Page, page_log: PageLog, live_server: str, committed_users: dict[str, str], role: str
) -> None:
    open_map(page, live_server)
    expect_anonymous(page)

    with page.expect_request(lambda r: r.url.endswith("/api/v1/layers") and r.method == "GET"):
        login(page, committed_users[role], PASSWORD)  # the catalogue is reloaded for the user
    badge = page.locator("#user-badge")
    expect(badge).to_be_visible()
    expect(badge).to_have_attribute("data-role", role)
    expect(page.locator("#user-name")).to_have_text(f"Người dùng {role}")
    expect(page.locator("#user-role")).to_have_text(ROLE_LABELS_VI[role])
    expect(page.locator("#login-form")).to_be_hidden()
    page.wait_for_selector(READY, state="attached")
    expect(page.locator("#map path.commune.layer-communes")).to_have_count(10)

    with page.expect_response("**/api/v1/auth/logout") as logout:
        page.click("#logout-button")
    assert logout.value.status == 204  # the X-CSRF-Token header was sent and accepted
    expect_anonymous(page)
    assert page_log.console_errors == []
    assert page_log.page_errors == []


def test_the_role_name_follows_the_language(
    page: Page, live_server: str, committed_users: dict[str, str]
) -> None:
    open_map(page, live_server)
    login(page, committed_users["officer"], PASSWORD)
    expect(page.locator("#user-role")).to_have_text("Cán bộ xử lý")
    page.click("#lang-toggle")
    expect(page.locator("#user-role")).to_have_text("Case officer")
    expect(page.locator("#logout-button")).to_have_text("Sign out")


def test_a_session_survives_a_reload_and_logout_ends_it(
    page: Page, page_log: PageLog, live_server: str, committed_users: dict[str, str]
) -> None:
    open_map(page, live_server)
    login(page, committed_users["leader"], PASSWORD)
    expect(page.locator("#user-badge")).to_have_attribute("data-role", "leader")

    page.reload()
    page.wait_for_selector(READY, state="attached")
    expect(page.locator("#user-badge")).to_have_attribute("data-role", "leader")

    page.click("#logout-button")
    expect_anonymous(page)
    page.reload()
    page.wait_for_selector(READY, state="attached")
    expect_anonymous(page)
    assert page_log.console_errors == []  # an anonymous visitor never asks /auth/me


def test_a_stale_session_hint_falls_back_to_anonymous(page: Page, live_server: str) -> None:
    # the page believes it was signed in (localStorage) but has no session cookie
    page.goto(f"{live_server}/static/css/app.css")
    page.evaluate("localStorage.setItem('iocmap.signedIn', '1')")
    open_map(page, live_server)
    expect_anonymous(page)
    assert page.evaluate("localStorage.getItem('iocmap.signedIn')") is None
    expect(page.locator("#map path.commune.layer-communes")).to_have_count(10)


def test_a_wrong_password_shows_the_servers_error_message(
    page: Page, live_server: str, committed_users: dict[str, str]
) -> None:
    # the server's message for bad credentials, asked directly (an unknown user, so no
    # failure is counted against a real account)
    r = httpx.post(f"{live_server}/api/v1/auth/login",
                   json={"username": "khong-co-nguoi-nay", "password": "sai"})
    assert r.status_code == 401 and r.json()["code"] == "bad_credentials"
    message = r.json()["detail"]

    open_map(page, live_server)
    login(page, committed_users["citizen"], "mat-khau-sai")
    error = page.locator("#login-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(message)
    expect_anonymous(page)
    expect(page.locator("#login-form")).to_be_visible()

    # and the right password then works from the same form
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#user-badge")).to_have_attribute("data-role", "citizen")
    page.click("#logout-button")
    expect_anonymous(page)


def test_an_empty_form_is_refused_without_asking_the_server(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    open_map(page, live_server)
    page.click("#login-toggle")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_have_text("Nhập tên đăng nhập và mật khẩu.")
    assert not any(u.endswith("/api/v1/auth/login") for u in page_log.requests)
