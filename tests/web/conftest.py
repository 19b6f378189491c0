"""Browser fixtures: Debian's Chromium driven by Playwright against the live test server.

The browser is never downloaded (``playwright install`` is not possible here): the
system Chromium at /usr/bin/chromium is required, and its absence is a failure, not a
skip — ``make setup-test`` installs it. Every page records its console errors, page
errors and requests; any request to a host other than the test server is aborted, so a
page that depended on the Internet would fail visibly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, sync_playwright

from tests.web.mapui import LOCAL_HOSTS, PageLog

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
