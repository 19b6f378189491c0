"""The H3 heatmap panel of the IOC page (/ioc, tab "Bản đồ nhiệt") in real Chromium against
the live server: the hexagons drawn are the API's, resolution, filters and measure redraw
them, the time control steps and plays month by month, Gi* hotspots come with their own
legend stating method and significance, popups give count, overdue share and top categories.

The reports are committed in the first quarter of 2023 (far from other tests' "now") around
one spot, so the heatmap of that period is this test's data; the page's numbers are compared
with the API's answer to the same question, not with hand-made expectations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import h3
import numpy as np
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, text

from layers.db import make_sessionmaker, session_scope
from tests.layers.analytics.helpers import insert_reports, report_row
from tests.web.feedback_ui import FeedbackApi, sign_in
from tests.web.mapui import PageLog

READY = "body[data-access='granted'][data-ready='1']"
PANEL = "#heatmap-panel"
FROM, TO = "2023-01-01", "2023-03-31"  # Vietnamese days, both included
CENTRE = (107.665, 12.472)


@pytest.fixture
def fb(live_server: str, engine: Engine) -> Iterator[FeedbackApi]:
    api = FeedbackApi(live_server, engine)
    yield api
    api.close()


@pytest.fixture
def heat_reports(engine: Engine) -> Iterator[list[dict[str, Any]]]:
    """240 committed reports in Jan-Mar 2023: most around one spot (a hotspot), the rest spread;
    roads and waste; a third still open long after their deadline (overdue)."""
    rng = np.random.default_rng(2023)
    rows = []
    for i in range(240):
        clustered = i % 4 != 0
        lon = CENTRE[0] + (rng.normal(0, 0.004) if clustered else rng.uniform(-0.09, 0.03))
        lat = CENTRE[1] + (rng.normal(0, 0.004) if clustered else rng.uniform(-0.06, 0.025))
        when = datetime(2023, 1, 2, 3, tzinfo=UTC) + timedelta(hours=int(rng.integers(0, 86 * 24)))
        rows.append(
            report_row(
                float(lon), float(lat), when,
                category="roads" if i % 3 else "waste",
                status="received" if i % 3 == 0 else "closed",
                resolved_after=None if i % 3 == 0 else timedelta(days=2),
                code=f"DM-2023-{880000 + i:06d}",
            )
        )
    with session_scope(make_sessionmaker(engine)) as s:
        s.execute(text("DELETE FROM feedback_reports WHERE code = ANY(:c)"), {"c": [r["code"] for r in rows]})
        insert_reports(s, rows)
    yield rows
    with session_scope(make_sessionmaker(engine)) as s:
        s.execute(text("DELETE FROM feedback_reports WHERE code = ANY(:c)"), {"c": [r["code"] for r in rows]})


def api_heatmap(fb: FeedbackApi, user: str, **params: Any) -> dict[str, int]:
    q = {"layer": "reports", "start": f"{FROM}T00:00:00+07:00", "end": "2023-04-01T00:00:00+07:00", **params}
    r = fb.http.get("/api/v1/analytics/h3", params=q, headers=fb.auth(user))
    assert r.status_code == 200, r.text
    return {f["properties"]["h3"]: f["properties"]["count"] for f in r.json()["features"]}


def drawn(page: Page) -> dict[str, int]:
    """The hexagons on the map: h3 id -> count (data attributes of the SVG paths)."""
    return dict(page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '#ioc-map path.heat-hex')].map((p) => [p.dataset.h3, Number(p.dataset.count)]))"""))


def wait_ready(page: Page) -> None:
    page.wait_for_selector(f"{PANEL}[data-state='ready']", state="attached")


def choose(page: Page, selector: str, value: str) -> None:
    """Change a control and wait until the panel has drawn the answer."""
    page.evaluate(f"() => document.querySelector('{PANEL}').dataset.state = 'stale'")
    if page.locator(selector).evaluate("(e) => e.tagName") == "SELECT":
        page.select_option(selector, value)
    else:
        page.fill(selector, value)
        page.dispatch_event(selector, "change")
    wait_ready(page)


def open_heatmap(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/ioc")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    sign_in(page, username)
    page.wait_for_selector(READY, state="attached", timeout=30_000)
    page.click("#tab-btn-heat")
    wait_ready(page)
    choose(page, "#heat-resolution", "8")
    choose(page, "#heat-from", FROM)
    choose(page, "#heat-to", TO)


@pytest.fixture
def leader(committed_users: dict[str, str]) -> str:
    return committed_users["leader"]


def test_the_hexagons_are_the_apis_and_follow_resolution_filters_and_measure(
    page: Page, live_server: str, fb: FeedbackApi, heat_reports: list[dict[str, Any]], leader: str,
    page_log: PageLog,
) -> None:
    open_heatmap(page, live_server, leader)
    expected = api_heatmap(fb, leader, resolution=8)
    assert sum(expected.values()) == 240 and len(expected) > 5
    assert drawn(page) == expected
    expect(page.locator("#heat-message")).to_contain_text("240")
    legend = page.locator("#heat-legend")
    expect(legend).to_contain_text("Số lượng mỗi ô")
    assert legend.locator(".heat-legend-row").count() >= 2  # class breaks with colours
    page.screenshot(path="/tmp/ioc-heatmap.png")

    choose(page, "#heat-resolution", "7")
    assert drawn(page) == api_heatmap(fb, leader, resolution=7)

    choose(page, "#heat-category", "waste")
    waste = api_heatmap(fb, leader, resolution=7, category="waste")
    assert drawn(page) == waste and sum(waste.values()) == 80
    choose(page, "#heat-status", "received")
    assert drawn(page) == api_heatmap(fb, leader, resolution=7, category="waste", status="received")
    choose(page, "#heat-category", "")
    choose(page, "#heat-status", "")
    assert any("category=waste" in u for u in page_log.requests)

    # The measure: rates come with every hexagon, the legend says which one is shown.
    page.select_option("#heat-metric", "per_km2")
    expect(legend).to_contain_text("trên 1 km²")
    page.select_option("#heat-metric", "per_1000_residents")
    expect(legend).to_contain_text("trên 1.000 dân")
    expect(page.locator("#heat-population")).to_be_visible()
    expect(page.locator("#heat-population")).to_contain_text("2019")

    # Automatic resolution follows the zoom (mirrors the server's table).
    choose(page, "#heat-resolution", "auto")
    page.evaluate("() => window.iocmapIoc.map.setZoom(13, { animate: false })")
    page.wait_for_selector(f"{PANEL}[data-shown-resolution='8'][data-state='ready']", state="attached")
    assert not page_log.page_errors, page_log.page_errors


def test_stepping_and_playing_go_through_the_period_month_by_month(
    page: Page, live_server: str, fb: FeedbackApi, heat_reports: list[dict[str, Any]], leader: str,
    page_log: PageLog,
) -> None:
    open_heatmap(page, live_server, leader)
    panel = page.locator(PANEL)
    expect(panel).to_have_attribute("data-frames", "3")  # Jan, Feb, Mar
    expect(panel).to_have_attribute("data-frame", "whole")
    label = page.locator("#heat-frame-label")

    page.click("#heat-next")
    expect(panel).to_have_attribute("data-frame", "0")
    wait_ready(page)
    expect(label).to_contain_text("1/3")
    january = api_heatmap(fb, leader, resolution=8, end="2023-02-01T00:00:00+07:00")
    assert drawn(page) == january
    # The next month was asked for while January was shown (prefetch), not when stepped to.
    page.wait_for_function("""() => performance.getEntriesByType('resource').some(
        (e) => e.name.includes('/analytics/h3') && e.name.includes('start=2023-02-01'))""")

    page.click("#heat-next")
    expect(panel).to_have_attribute("data-frame", "1")
    wait_ready(page)
    february = api_heatmap(fb, leader, resolution=8, start="2023-02-01T00:00:00+07:00",
                           end="2023-03-01T00:00:00+07:00")
    assert drawn(page) == february
    page.click("#heat-prev")
    expect(panel).to_have_attribute("data-frame", "0")

    # Play: the frames advance by themselves and stop at the last one.
    page.click("#heat-play")
    expect(panel).to_have_attribute("data-playing", "1")
    expect(page.locator("#heat-play")).to_contain_text("Dừng")
    expect(panel).to_have_attribute("data-frame", "2", timeout=15_000)
    expect(panel).to_have_attribute("data-playing", "0", timeout=15_000)
    wait_ready(page)
    expect(label).to_contain_text("3/3")
    march = api_heatmap(fb, leader, resolution=8, start="2023-03-01T00:00:00+07:00")
    assert drawn(page) == march
    assert sum(january.values()) + sum(february.values()) + sum(march.values()) == 240

    # Week by week: 13 or 14 calendar weeks, the first one clipped to 1 January.
    choose(page, "#heat-step", "week")
    assert int(panel.get_attribute("data-frames") or 0) in (13, 14)
    page.click("#heat-whole")
    expect(panel).to_have_attribute("data-frame", "whole")
    wait_ready(page)
    assert sum(drawn(page).values()) == 240
    assert not page_log.page_errors, page_log.page_errors


def test_hotspots_are_a_separate_layer_with_a_legend_stating_method_and_significance(
    page: Page, live_server: str, heat_reports: list[dict[str, Any]], leader: str, page_log: PageLog,
) -> None:
    open_heatmap(page, live_server, leader)
    expect(page.locator("#heat-hot-legend")).to_be_hidden()
    page.check("#heat-hotspots")
    panel = page.locator(PANEL)
    expect(panel).to_have_attribute("data-hot-state", "ready", timeout=30_000)
    legend = page.locator("#heat-hot-legend")
    expect(legend).to_be_visible()
    for text_ in ("Getis-Ord Gi*", "99 %", "95 %", "90 %", "FDR", "α = 0,01 / 0,05 / 0,10"):
        expect(legend).to_contain_text(text_)
    expect(legend.locator(".heat-hot-row-hot_99")).to_contain_text("Điểm nóng, độ tin cậy 99 %")
    expect(legend.locator(".heat-hot-row-cold_99")).to_contain_text("Điểm lạnh")
    # The cluster of reports is a significant hot spot, drawn apart from the count hexagons.
    assert page.locator("#ioc-map path.heat-spot[class*='heat-spot-hot_']").count() >= 1
    assert page.locator("#ioc-map path.heat-hex").count() >= 1
    page.screenshot(path="/tmp/ioc-heatmap-hotspots.png")
    page.uncheck("#heat-hotspots")
    expect(legend).to_be_hidden()
    expect(page.locator("#ioc-map path.heat-spot")).to_have_count(0)
    assert not page_log.page_errors, page_log.page_errors


def test_a_hexagon_popup_gives_count_overdue_share_and_top_categories(
    page: Page, live_server: str, fb: FeedbackApi, heat_reports: list[dict[str, Any]], leader: str,
) -> None:
    open_heatmap(page, live_server, leader)
    r = fb.http.get("/api/v1/analytics/h3", headers=fb.auth(leader), params={
        "layer": "reports", "resolution": 8, "start": f"{FROM}T00:00:00+07:00", "end": "2023-04-01T00:00:00+07:00"})
    busiest = max(r.json()["features"], key=lambda f: f["properties"]["count"])["properties"]
    lat, lng = h3.cell_to_latlng(busiest["h3"])
    page.evaluate(f"() => window.iocmapIoc.map.setView([{lat}, {lng}], 14, {{ animate: false }})")
    hexagon = page.locator(f"#ioc-map path.heat-hex[data-h3='{busiest['h3']}']")
    hexagon.click(force=True)  # a live case's pin may sit on top; the hexagon's own handler counts
    popup = page.locator(".heat-popup")
    expect(popup).to_be_visible()
    expect(popup).to_have_attribute("data-h3", busiest["h3"])
    expect(popup.locator(".heat-popup-count dd")).to_have_text(str(busiest["count"]))
    share = 100 * busiest["overdue_share"]
    shown = f"{share:.1f}".replace(".", ",") if 0 < share < 10 else f"{share:.0f}"
    expect(popup.locator(".heat-popup-overdue dd")).to_have_text(re.compile(rf"^{shown}\s?%$"))
    top = popup.locator(".heat-popup-top li")
    assert top.count() == len(busiest["top_categories"]) >= 1
    first = busiest["top_categories"][0]
    expect(top.first).to_have_attribute("data-code", first["code"])
    expect(top.first).to_contain_text(f": {first['count']}")
    page.screenshot(path="/tmp/ioc-heatmap-popup.png")


def test_english_labels_and_a_missing_period_is_said(
    page: Page, live_server: str, heat_reports: list[dict[str, Any]], leader: str,
) -> None:
    open_heatmap(page, live_server, leader)
    page.click("#lang-toggle")
    expect(page.locator(f"{PANEL} .heat-title")).to_have_text("H3 heatmap")
    expect(page.locator("#heat-legend")).to_contain_text("Count per cell")
    page.fill("#heat-to", "2022-12-01")
    page.dispatch_event("#heat-to", "change")
    expect(page.locator("#heat-message")).to_contain_text("Choose a start day before the end day")
    expect(page.locator(PANEL)).to_have_attribute("data-state", "error")
