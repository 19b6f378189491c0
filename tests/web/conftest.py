"""Browser fixtures: Debian's Chromium driven by Playwright against the live test server.

The browser is never downloaded (``playwright install`` is not possible here): the
system Chromium at /usr/bin/chromium is required, and its absence is a failure, not a
skip — ``make setup-test`` installs it. Every page records its console errors, page
errors and requests; any request to a host other than the test server is aborted, so a
page that depended on the Internet would fail visibly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, expect, sync_playwright

from tests.conftest import PASSWORD
from tests.web.mapui import LOCAL_HOSTS, PageLog

# CI machines have 2 cores: a page that renders in 1 s on a quiet machine can take 6 s
# under load, so assertions wait as long as actions do (Playwright's default is 5 s).
expect.set_options(timeout=15_000)

CHROMIUM = os.environ.get("IOCMAP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 820}


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: the browser tests need Debian's chromium "
            "(`apt-get install chromium`, done by `make setup-test`); "
            "`playwright install` is not used.",
            pytrace=False,
        )
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


def _block_external(route: Route) -> None:
    if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
        route.continue_()
    else:
        route.abort("internetdisconnected")


@pytest.fixture
def viewport() -> dict[str, int]:
    """Override in a test module (or parametrize indirectly) for other screen sizes."""
    return DESKTOP


@pytest.fixture
def context(browser: Browser, page_log: PageLog, viewport: dict[str, int]) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    ctx.set_default_timeout(15_000)
    ctx.route("**/*", _block_external)
    ctx.on("request", lambda r: page_log.requests.append(r.url))
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, page_log: PageLog) -> Page:
    pg = context.new_page()
    pg.on("console", lambda m: page_log.console_errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: page_log.page_errors.append(str(e)))
    return pg


# ---- catalogue layers made for a browser test (and removed after it) -------------------------


class LayerApi:
    """The planner API as a test uses it to prepare layers; every layer it knows of is deleted
    at the end of the test (the live server sees committed data, shared by later tests)."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60)
        r = self.http.post("/api/v1/auth/token", data={"username": username, "password": password})
        r.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        self.slugs: list[str] = []

    @staticmethod
    def new_slug(prefix: str = "pw") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    def track(self, slug: str) -> str:
        """Delete this layer (made through the page) when the test ends."""
        self.slugs.append(slug)
        return slug

    def create(self, slug: str, **fields: Any) -> dict[str, Any]:
        self.track(slug)
        r = self.http.post("/api/v1/layers", json={"slug": slug, "title_vi": fields.pop("title_vi", slug), **fields})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def upload(self, slug: str, name: str, data: bytes, **form: str) -> dict[str, Any]:
        r = self.http.post(f"/api/v1/layers/{slug}/uploads", files={"file": (name, data)}, data=form)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def patch(self, slug: str, **changes: Any) -> dict[str, Any]:
        r = self.http.patch(f"/api/v1/layers/{slug}", json=changes)
        assert r.status_code == 200, r.text
        return dict(r.json())

    def admin(self, slug: str) -> dict[str, Any]:
        r = self.http.get(f"/api/v1/layers/{slug}/admin")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def close(self) -> None:
        for slug in self.slugs:
            self.http.delete(f"/api/v1/layers/{slug}")
        self.http.close()


@pytest.fixture
def layer_api(live_server: str, committed_users: dict[str, str]) -> Iterator[LayerApi]:
    api = LayerApi(live_server, committed_users["planner"], PASSWORD)
    yield api
    api.close()
