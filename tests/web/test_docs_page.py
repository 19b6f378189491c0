"""The documentation pages render in a browser that cannot reach the Internet (the web
conftest aborts every request to a host other than the test server and records it)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.web.mapui import PageLog

OPERATION = ".opblock"


def _operation(page: Page, method: str, path: str):
    return page.locator(f".opblock-{method} .opblock-summary-path[data-path='{path}']")


def test_docs_renders_every_operation_offline(page: Page, page_log: PageLog, live_server: str) -> None:
    spec = httpx.get(f"{live_server}/openapi.json").json()
    n_operations = sum(1 for ops in spec["paths"].values() for m in ops if m in ("get", "post", "put",
                                                                             "patch", "delete"))
    page.goto(f"{live_server}/docs")
    expect(_operation(page, "get", "/api/v1/communes")).to_be_visible()
    expect(_operation(page, "post", "/api/v1/auth/token")).to_have_count(1)
    expect(page.locator(OPERATION)).to_have_count(n_operations)
    expect(page.locator(".info .title")).to_contain_text("iocmap API")
    assert page_log.external_requests == []
    assert page_log.page_errors == []
    assert any(u.endswith("/vendor/swagger-ui-dist/swagger-ui-bundle.js") for u in page_log.requests)


def test_an_operation_can_be_tried_from_docs(page: Page, page_log: PageLog, live_server: str) -> None:
    page.goto(f"{live_server}/docs#/health/healthz_healthz_get")
    block = page.locator(".opblock-get", has=page.locator(".opblock-summary-path[data-path='/healthz']"))
    expect(block).to_be_visible()
    if block.locator(".try-out__btn").count() == 0:
        block.locator(".opblock-summary").click()
    block.locator(".try-out__btn").click()
    block.locator(".execute").click()
    live = block.locator(".live-responses-table tbody")
    expect(live.locator(".response-col_status")).to_contain_text("200")
    expect(live.locator(".response-col_description")).to_contain_text('"status": "ok"')
    assert page_log.external_requests == []


def test_ogc_swagger_page_renders_the_collections_offline(page: Page, page_log: PageLog,
                                                         live_server: str) -> None:
    page.goto(f"{live_server}/ogc/api?f=html")
    expect(_operation(page, "get", "/collections/communes/items")).to_be_visible()
    assert page_log.external_requests == []
    assert page_log.page_errors == []


def test_ogc_items_page_draws_features_with_local_leaflet_offline(page: Page, page_log: PageLog,
                                                                 live_server: str) -> None:
    page.goto(f"{live_server}/ogc/collections/communes/items?f=html&limit=10")
    expect(page.locator("#map.leaflet-container")).to_be_visible()
    expect(page.locator("#map path.leaflet-interactive")).to_have_count(10)
    # the OpenStreetMap background is offered, off by default: no tile is requested
    expect(page.locator("#map .leaflet-control-layers")).to_have_count(1)
    expect(page.locator("#map img.leaflet-tile")).to_have_count(0)
    assert page_log.external_requests == []
    assert page_log.page_errors == []
    assert page_log.console_errors == []
