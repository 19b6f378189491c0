"""The public reports map (/report) in real Chromium: numbered clusters counted by the server
at district zoom, a click on a cluster zooms in, the reports themselves with their popups
up close, and every view asked for with its bbox and zoom."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, text

from tests.layers.feedback.cluster_data import NORTH, insert_reports, scatter
from tests.web.feedback_ui import set_map_view
from tests.web.mapui import PageLog

N = 260  # more than layers.feedback.clusters.FEW, so the district view shows clusters


@pytest.fixture
def committed_reports(engine: Engine) -> Iterator[list[str]]:
    with engine.begin() as conn:
        codes = insert_reports(conn, scatter(NORTH, N, 0.03, seed=31), prefix="DM-1998")
    yield codes
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM feedback_reports WHERE code = ANY(:c)"), {"c": codes})


def open_report_page(page: Page, base: str) -> None:
    page.goto(f"{base}/report")
    page.wait_for_selector("body[data-ready='1']", state="attached")


def test_the_district_view_shows_numbered_clusters_and_a_click_zooms_in(
    page: Page, live_server: str, committed_reports: list[str], page_log: PageLog,
) -> None:
    open_report_page(page, live_server)
    set_map_view(page, "iocmapReport", NORTH[0], NORTH[1], 11)
    expect(page.locator("body")).to_have_attribute("data-reports-mode", "clusters")
    circles = page.locator("#report-map .server-cluster")
    expect(circles.first).to_be_visible()
    counts = [int(c) for c in circles.evaluate_all("els => els.map(e => e.dataset.count)")]
    shown = int(page.locator("body").get_attribute("data-reports-shown") or 0)
    assert sum(counts) == shown >= N
    assert page.locator("#report-map .report-dot").count() == 0  # clusters, not 260 markers
    biggest = circles.nth(counts.index(max(counts)))
    expect(biggest.locator(".report-cluster-count")).to_have_text(str(max(counts)) if max(counts) < 1000 else
                                                                  f"{max(counts) // 1000}k")
    with page.expect_request(lambda r: "/api/v1/reports/clusters" in r.url and "zoom=13" in r.url):
        biggest.click()
    assert page.evaluate("() => window.iocmapReport.map.getZoom()") == 13
    expect(page.locator("#report-map .server-cluster, #report-map .report-dot").first).to_be_visible()
    views = [u for u in page_log.requests if "/api/v1/reports/clusters" in u]
    assert any("zoom=11" in u for u in views)
    assert all("bbox=" in u for u in views)
    assert not page_log.page_errors and not page_log.console_errors


def test_up_close_the_reports_show_with_their_popups(
    page: Page, live_server: str, committed_reports: list[str],
) -> None:
    open_report_page(page, live_server)
    code = committed_reports[0]
    lon, lat = page.evaluate(
        "async (c) => { const r = await (await fetch(`/api/v1/reports/${c}`)).json();"
        " return [r.location.lon, r.location.lat]; }", code)
    set_map_view(page, "iocmapReport", lon, lat, 19)
    expect(page.locator("body")).to_have_attribute("data-reports-mode", "points")
    dot = page.locator(f"#report-map .report-dot[data-code='{code}']")
    expect(dot).to_be_visible()
    dot.click()
    popup = page.locator(".report-popup")
    expect(popup).to_contain_text(code)
    expect(popup.locator(".status-badge")).to_be_visible()
