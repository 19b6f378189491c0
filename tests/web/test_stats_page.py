"""The public statistics page (/stats) in real Chromium against the live server: the table
shows exactly the API's numbers, grouping and period switch (and stay in the address), a
group under the minimum case count has counts but no rank or rates, the monthly charts draw,
Vietnamese/English, phone screens, and clear messages for an empty period and a failing API.

The cases are committed in the first quarter of 2016 (Vietnam time), a period no other test
writes to; the live server uses the default minimum of 10 cases.

phong-ktht (roads, deadline 10 days after receipt for every case), 13 cases:
  5 Jan: 8 confirmed after 24 h (ratings 5 4 4 5 3 4 5 4), 1 confirmed after 480 h (late,
         rating 2), 1 closed unconfirmed after 72 h
  10 Feb: 1 disputed after 72 h and reopened (in progress, overdue, rating 1),
          1 resolved after 300 h (late, awaiting the citizen)
  15 Mar: 1 received, never touched (overdue)
  → resolved 11, on time 9/11 = 81.8 %, median 24 h, p90 300 h, overdue 2, ratings 10 → 3.7,
    disputed 1 of 12 resolved once = 8.3 %, rank 1
ubnd-24664 (waste), 20 Jan: confirmed after 10 h (5) and 30 h (4), 1 open (overdue)
  → 3 cases: under the minimum, counts only, no rank
district: 16 received, 13 resolved, on time 11/13 = 84.6 %, median 24 h, p90 254.4 h,
  overdue 3, 12 ratings → 3.83, dispute 1/14 = 7.1 %; January alone: 13 received, 12 resolved,
  on time 11/12 = 91.7 %.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect
from sqlalchemy import Engine, text

from layers.db import make_sessionmaker, session_scope
from layers.feedback.calendar import VN_TZ
from layers.feedback.media import MediaStore
from tests.layers.feedback.helpers import submit
from tests.layers.open311_data import set_state
from tests.web.mapui import PageLog

Q1_2016 = "period=custom&start=2016-01-01&end=2016-03-31"
EMPTY = "period=custom&start=2014-01-01&end=2014-01-31"
PHONE = {"width": 390, "height": 844}
COLUMNS = ("rank", "received", "resolved", "on_time_pct", "median_hours", "p90_hours", "overdue_now",
           "satisfaction", "dispute_rate_pct")


def _case(s: Any, store: MediaStore, category: str, received: datetime, **values: Any) -> str:
    report = submit(s, store, category=category).report
    set_state(s, report, received_at=received, due_at=received + timedelta(days=10), **values)
    return str(report.code)


@pytest.fixture(scope="module")
def q1_2016(engine: Engine, live_server: str) -> Iterator[list[str]]:
    """The cases of the module docstring, committed for the live server, deleted afterwards."""
    jan = datetime(2016, 1, 5, 9, 0, tzinfo=VN_TZ)
    feb = datetime(2016, 2, 10, 9, 0, tzinfo=VN_TZ)
    mar = datetime(2016, 3, 15, 9, 0, tzinfo=VN_TZ)
    waste = datetime(2016, 1, 20, 9, 0, tzinfo=VN_TZ)
    codes: list[str] = []
    with tempfile.TemporaryDirectory() as media, session_scope(make_sessionmaker(engine)) as s:
        store = MediaStore(Path(media))

        def done(received: datetime, hours: float, **values: Any) -> dict[str, Any]:
            return {"resolved_at": received + timedelta(hours=hours), **values}

        for rating in (5, 4, 4, 5, 3, 4, 5, 4):
            codes.append(_case(s, store, "roads", jan, status="closed", closure="confirmed",
                               citizen_rating=rating, **done(jan, 24, closed_at=jan + timedelta(days=3))))
        codes.append(_case(s, store, "roads", jan, status="closed", closure="confirmed", citizen_rating=2,
                           **done(jan, 480, closed_at=jan + timedelta(days=22))))
        codes.append(_case(s, store, "roads", jan, status="closed", closure="resolved_unconfirmed",
                           **done(jan, 72, closed_at=jan + timedelta(days=10))))
        codes.append(_case(s, store, "roads", feb, status="in_progress", dispute_count=1, escalated=True,
                           citizen_rating=1, **done(feb, 72)))
        codes.append(_case(s, store, "roads", feb, status="resolved", **done(feb, 300)))
        codes.append(_case(s, store, "roads", mar))
        codes.append(_case(s, store, "waste", waste, status="closed", closure="confirmed", citizen_rating=5,
                           **done(waste, 10, closed_at=waste + timedelta(days=2))))
        codes.append(_case(s, store, "waste", waste, status="closed", closure="confirmed", citizen_rating=4,
                           **done(waste, 30, closed_at=waste + timedelta(days=2))))
        codes.append(_case(s, store, "waste", waste))
    yield codes
    with session_scope(make_sessionmaker(engine)) as s:
        s.execute(text("DELETE FROM feedback_reports WHERE code = ANY(:c)"), {"c": codes})


@pytest.fixture
def stats_api(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=60) as c:
        yield c


def api_summary(http: httpx.Client, query: str) -> dict[str, Any]:
    r = http.get(f"/api/v1/stats?{query}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def open_stats(page: Page, base: str, query: str = "", state: str = "ready") -> None:
    """Open the page and wait for the table's answer (`state`: ready, empty, error or "any")."""
    page.goto(f"{base}/stats{'?' + query if query else ''}")
    states = ["ready", "empty", "error"] if state == "any" else [state]
    page.wait_for_function("states => document.body.dataset.ready === '1'"
                           " && states.includes(document.body.dataset.state)", arg=states)


def wait_loaded(page: Page, state: str = "ready") -> None:
    page.wait_for_selector(f"body[data-state='{state}']", state="attached")


def shown_rows(page: Page) -> list[dict[str, Any]]:
    """Every row of the table: key, suppressed flag and the raw value of each number cell."""
    return list(page.eval_on_selector_all(
        "#stats-table tbody tr",
        "rows => rows.map(r => ({key: r.dataset.key, suppressed: r.dataset.suppressed,"
        " cells: Object.fromEntries([...r.querySelectorAll('td')].map(td => [td.dataset.col, td.dataset.value]))}))"))


def number(value: str) -> float | None:
    return None if value == "" else float(value)


def assert_table_matches(page: Page, body: dict[str, Any]) -> None:
    """The headline row is the API's total, then one row per API group with the same numbers."""
    rows = shown_rows(page)
    assert len(rows) == 1 + len(body["groups"])
    total, groups = rows[0], rows[1:]
    assert total["key"] == ""
    for col in COLUMNS[1:]:
        assert number(total["cells"][col]) == body["total"][col], col
    by_key = {g["key"]: g for g in body["groups"]}
    assert {r["key"] for r in groups} == set(by_key)
    for r in groups:
        g = by_key[r["key"]]
        assert r["suppressed"] == str(g["suppressed"]).lower()
        for col in COLUMNS:
            assert number(r["cells"][col]) == g[col], (r["key"], col)


def by_category_api(http: httpx.Client) -> dict[str, Any]:
    return api_summary(http, "start=2016-01-01&end=2016-03-31&group_by=category")


def cell(page: Page, key: str, col: str):
    return page.locator(f"#stats-table tbody tr[data-key='{key}'] td[data-col='{col}']")


def chart_data(page: Page, canvas: str) -> list[list[Any]]:
    return list(page.evaluate(
        "id => Chart.getChart(document.getElementById(id)).data.datasets.map(d => d.data)", canvas))


# ---- the numbers ---------------------------------------------------------------------------------


def test_a_shared_link_shows_the_apis_numbers_ranks_and_charts(
    page: Page, live_server: str, q1_2016: list[str], stats_api: httpx.Client, page_log: PageLog,
) -> None:
    open_stats(page, live_server, f"{Q1_2016}&group=agency")
    body = api_summary(stats_api, "start=2016-01-01&end=2016-03-31&group_by=agency")
    assert body["total"]["received"] == 16  # the fixture alone owns this period
    assert_table_matches(page, body)
    expect(page.locator("#period-text")).to_have_text("01/01/2016 – 31/03/2016")
    expect(page.locator("#stats-table caption")).to_have_text("Kết quả xử lý theo cơ quan, 01/01/2016 – 31/03/2016")
    expect(page.locator("#period-presets input[value='custom']")).to_be_checked()
    # the district headline, written for people
    total = page.locator("#stats-table tbody.stats-total tr")
    expect(total.locator("th")).to_have_text("Toàn huyện")
    expect(total.locator("td[data-col='received']")).to_have_text("16")
    expect(total.locator("td[data-col='on_time_pct']")).to_have_text("84,6%")
    for col in ("median_hours", "p90_hours"):  # the API's hours, in days and hours, exact in the tooltip
        hours = body["total"][col]
        expect(total.locator(f"td[data-col='{col}']")).to_have_text(re.compile(r"^\d+ (ngày|giờ)( \d+ giờ)?$"))
        expect(total.locator(f"td[data-col='{col}']")).to_have_attribute("title", re.compile(f"^{hours:.1f}".replace(".", ",")))
    expect(total.locator("td[data-col='satisfaction']")).to_have_text("3,8/5")
    expect(total.locator("td[data-col='dispute_rate_pct']")).to_have_text("7,1%")
    expect(page.locator(".kpi[data-kpi='overdue_now'] .kpi-value")).to_have_text("3")
    expect(page.locator(".kpi[data-kpi='on_time_pct'] .kpi-value")).to_have_text("84,6%")
    # the ranked agency
    expect(cell(page, "phong-ktht", "rank")).to_have_text("1")
    expect(cell(page, "phong-ktht", "on_time_pct")).to_have_text("81,8%")
    ktht = next(g for g in body["groups"] if g["key"] == "phong-ktht")
    expect(cell(page, "phong-ktht", "p90_hours")).to_have_attribute(
        "title", f"{ktht['p90_hours']:.1f} giờ (tính cả ngày nghỉ)".replace(".", ","))
    # under the minimum (3 < 10): counts, no rank, no rates, and the reason on the row
    small = page.locator("#stats-table tbody tr[data-key='ubnd-24664']")
    expect(small).to_have_attribute("data-suppressed", "true")
    expect(small.locator(".suppressed-note")).to_have_text("Dưới 10 phản ánh: không xếp hạng, không tính tỷ lệ")
    expect(cell(page, "ubnd-24664", "received")).to_have_text("3")
    expect(cell(page, "ubnd-24664", "overdue_now")).to_have_text("1")
    for col in ("rank", "on_time_pct", "median_hours", "satisfaction", "dispute_rate_pct"):
        expect(cell(page, "ubnd-24664", col)).to_have_text(re.compile("^—"))
    # the table is accessible: a caption, column and row headers
    assert page.locator("#stats-table thead th[scope='col']").count() == len(COLUMNS) + 1
    assert page.locator("#stats-table tbody th[scope='row']").count() == 1 + len(body["groups"])

    # monthly charts: twelve months up to March 2016, the same numbers as the trend API
    page.wait_for_selector("body[data-trend='ready']", state="attached")
    trend = stats_api.get("/api/v1/stats/trend", params={"months": 12, "until": "2016-03"}).json()
    received, resolved = chart_data(page, "chart-volume")
    assert received == [m["received"] for m in trend["series"]]
    assert resolved == [m["resolved"] for m in trend["series"]]
    assert received[-3:] == [13, 2, 1]
    (on_time,) = chart_data(page, "chart-on-time")
    assert on_time[-3:] == [91.7, None, None]  # February and March: too few to give a share
    for canvas in ("#chart-volume", "#chart-on-time"):
        box = page.locator(canvas).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 150
        expect(page.locator(canvas)).to_have_attribute("aria-label", re.compile("04/2015 – 03/2016"))
    expect(page.locator("#trend-table tbody tr")).to_have_count(12)
    expect(page.locator("#trend-table tr[data-month='2016-01'] td[data-col='on_time_pct']")).to_have_text("91,7%")
    expect(page.locator("#json-link")).to_have_attribute(
        "href", "/api/v1/stats?start=2016-01-01&end=2016-03-31&group_by=agency")
    expect(page.locator("#method-list")).to_contain_text("Nhóm có dưới 10 phản ánh")
    page.screenshot(path="/tmp/stats-page-desktop.png", full_page=True)
    assert page_log.console_errors == [] and page_log.page_errors == []
    assert page_log.external_requests == []
    assert any("/vendor/chart.js/dist/chart.umd.min.js" in u for u in page_log.requests)


def test_switching_grouping_and_period_reloads_the_table_and_keeps_the_view_in_the_address(
    page: Page, live_server: str, q1_2016: list[str], stats_api: httpx.Client,
) -> None:
    open_stats(page, live_server, Q1_2016)
    page.click("#tab-commune")
    expect(page.locator("#tab-commune")).to_have_attribute("aria-selected", "true")
    wait_loaded(page)
    assert "group=commune" in page.url and "start=2016-01-01" in page.url
    assert_table_matches(page, api_summary(stats_api, "start=2016-01-01&end=2016-03-31&group_by=commune"))
    expect(cell(page, "24664", "received")).to_have_text("16")
    expect(page.locator("#stats-table thead th[data-col='name']")).to_contain_text("Xã, thị trấn")

    page.locator("#tab-commune").press("ArrowRight")  # keyboard: the next tab
    expect(page.locator("#tab-category")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#tab-category")).to_be_focused()
    wait_loaded(page)
    by_category = api_summary(stats_api, "start=2016-01-01&end=2016-03-31&group_by=category")
    assert_table_matches(page, by_category)
    expect(cell(page, "roads", "rank")).to_have_text("1")
    expect(page.locator("#stats-table tbody tr[data-key='waste']")).to_have_attribute("data-suppressed", "true")

    # a preset period: this month in Vietnam, whatever other tests have filed in it
    page.click("#period-presets label:has(input[value='month'])")
    page.wait_for_function("['ready', 'empty'].includes(document.body.dataset.state)")
    today = datetime.now(VN_TZ).date()
    first = today.replace(day=1)
    assert "period=month" in page.url and "group=category" in page.url and "start=" not in page.url
    expect(page.locator("#period-text")).to_have_text(f"{first:%d/%m/%Y} – {today:%d/%m/%Y}")
    body = api_summary(stats_api, f"start={first}&end={today}&group_by=category")
    if body["total"]["received"]:
        assert_table_matches(page, body)
    else:
        expect(page.locator("#stats-empty")).to_be_visible()

    # custom dates typed in the form
    page.click("#period-presets label:has(input[value='custom'])")
    page.fill("#custom-start", "2016-02-01")
    page.fill("#custom-end", "2016-03-31")
    page.click("#custom-apply")
    wait_loaded(page)
    assert "start=2016-02-01" in page.url and "end=2016-03-31" in page.url
    assert_table_matches(page, api_summary(stats_api, "start=2016-02-01&end=2016-03-31&group_by=category"))
    expect(cell(page, "roads", "received")).to_have_text("3")

    # the browser's Back returns to the previous view
    page.go_back()
    page.wait_for_function("['ready', 'empty'].includes(document.body.dataset.state)"
                           " && location.search.includes('period=month')")
    expect(page.locator("#period-presets input[value='month']")).to_be_checked()


def test_columns_sort_both_ways_and_a_name_opens_its_monthly_trend(
    page: Page, live_server: str, q1_2016: list[str], stats_api: httpx.Client,
) -> None:
    open_stats(page, live_server, f"{Q1_2016}&group=category")
    keys = lambda: [r["key"] for r in shown_rows(page)[1:]]  # noqa: E731
    assert keys() == ["roads", "waste"]  # by rank, unranked last
    page.click("#stats-table th[data-col='received'] button")
    expect(page.locator("#stats-table th[data-col='received']")).to_have_attribute("aria-sort", "descending")
    assert keys() == ["roads", "waste"] and "sort=received&dir=desc" in page.url
    page.click("#stats-table th[data-col='received'] button")
    expect(page.locator("#stats-table th[data-col='received']")).to_have_attribute("aria-sort", "ascending")
    assert keys() == ["waste", "roads"]
    # a withheld rate stays last whichever way the column is sorted
    page.click("#stats-table th[data-col='on_time_pct'] button")
    assert keys() == ["roads", "waste"]
    page.click("#stats-table th[data-col='on_time_pct'] button")
    assert keys() == ["roads", "waste"]
    expect(page.locator("#stats-table tbody.stats-total tr")).to_have_count(1)  # the headline stays on top

    page.click("#stats-table tr[data-key='roads'] .group-name")
    page.wait_for_selector("body[data-trend='ready']", state="attached")
    expect(page.locator("#trend-scope")).to_have_value("roads")
    assert "trend=roads" in page.url
    roads = next(g for g in by_category_api(stats_api)["groups"] if g["key"] == "roads")
    expect(page.locator("#trend-window")).to_contain_text(roads["name_vi"])
    trend = stats_api.get("/api/v1/stats/trend", params={"months": 12, "until": "2016-03", "category": "roads"}).json()
    received, _ = chart_data(page, "chart-volume")
    assert received == [m["received"] for m in trend["series"]] and received[-3:] == [10, 2, 1]
    page.select_option("#trend-scope", "")
    page.wait_for_function("!location.search.includes('trend=')")
    page.wait_for_selector("body[data-trend='ready']", state="attached")
    received, _ = chart_data(page, "chart-volume")
    assert received[-3:] == [13, 2, 1]


def test_english_on_demand(page: Page, live_server: str, q1_2016: list[str], stats_api: httpx.Client) -> None:
    open_stats(page, live_server, f"{Q1_2016}&group=agency")
    page.wait_for_selector("body[data-trend='ready']", state="attached")
    page.click("#lang-toggle")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#stats-title")).to_have_text("How are citizens' reports handled?")
    expect(page.locator("#stats-table th[data-col='received']")).to_contain_text("Received")
    expect(page.locator("#stats-table caption")).to_have_text("Results by agency, 1 Jan 2016 – 31 Mar 2016")
    body = api_summary(stats_api, "start=2016-01-01&end=2016-03-31&group_by=agency")
    name_en = next(g["name_en"] for g in body["groups"] if g["key"] == "phong-ktht")
    expect(page.locator("#stats-table tr[data-key='phong-ktht'] .group-name")).to_have_text(name_en)
    expect(page.locator("#stats-table tbody.stats-total td[data-col='on_time_pct']")).to_have_text("84.6%")
    expect(page.locator("#stats-table tbody.stats-total td[data-col='p90_hours']")).to_have_text(
        re.compile(r"^\d+ (days?|h)( \d+ h)?$"))
    expect(page.locator("#stats-table tr[data-key='ubnd-24664'] .suppressed-note")).to_have_text(
        "Fewer than 10 reports: no rank, no rates")
    assert page.evaluate("Chart.getChart(document.getElementById('chart-volume')).data.datasets[0].label") == "Received"
    assert page.evaluate("Chart.getChart(document.getElementById('chart-volume')).data.labels.at(-1)") == "Mar 2016"
    assert page.title().startswith("Feedback statistics")
    page.click("#lang-toggle")
    expect(page.locator("#stats-title")).to_have_text("Phản ánh của người dân được xử lý thế nào?")
    expect(page.locator("#stats-table tbody.stats-total td[data-col='on_time_pct']")).to_have_text("84,6%")


DURATIONS = [(0.4, "24 phút", "24 min"), (5.2, "5 giờ", "5 h"), (24, "1 ngày", "1 day"), (25, "1 ngày 1 giờ", "1 day 1 h"),
             (49.4, "2 ngày 1 giờ", "2 days 1 h"), (47.6, "2 ngày", "2 days"), (254.4, "11 ngày", "11 days"),
             (None, "—", "—")]


def test_handling_times_are_written_in_days_and_hours(page: Page, live_server: str) -> None:
    """Calendar hours from the API as a person says them, in both languages."""
    open_stats(page, live_server, EMPTY, state="empty")
    for lang, column in (("vi", 1), ("en", 2)):
        if lang == "en":
            page.click("#lang-toggle")
        shown = page.evaluate("async (hours) => { const f = await import('/static/js/stats-format.js');"
                              " return hours.map((h) => f.duration(h)); }", [d[0] for d in DURATIONS])
        assert shown == [d[column] for d in DURATIONS]


# ---- phone, empty and failing ----------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE])
def test_on_a_phone_the_page_fits_and_the_table_scrolls_in_its_own_box(
    page: Page, live_server: str, q1_2016: list[str], page_log: PageLog, viewport: dict[str, int],
) -> None:
    open_stats(page, live_server, f"{Q1_2016}&group=agency")
    page.wait_for_selector("body[data-trend='ready']", state="attached")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    scroller = page.locator("#table-scroll")
    assert page.evaluate("el => el.scrollWidth > el.clientWidth", scroller.element_handle())
    for selector in ("#tab-agency", "#tab-category", "#lang-toggle", "#nav-stats", ".kpi[data-kpi='received']",
                     "#period-presets label:has(input[value='custom'])", "#chart-volume"):
        box = page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, selector
    # the group names stay in view at the box's left edge while the numbers scroll under them
    scroller.evaluate("el => { el.scrollLeft = 400; }")
    assert scroller.evaluate("el => el.scrollLeft") > 100
    name = page.locator("#stats-table tr[data-key='phong-ktht'] th").bounding_box()
    box = scroller.bounding_box()
    assert name and box and abs(name["x"] - box["x"]) <= 2 and name["width"] > 100
    scroller.evaluate("el => { el.scrollLeft = 0; }")
    page.screenshot(path="/tmp/stats-page.png", full_page=True)
    assert page_log.console_errors == [] and page_log.page_errors == []


def test_a_period_without_reports_says_so(page: Page, live_server: str, q1_2016: list[str]) -> None:
    open_stats(page, live_server, EMPTY, state="empty")
    expect(page.locator("#stats-empty")).to_be_visible()
    expect(page.locator("#stats-empty")).to_have_text("Không có phản ánh nào được tiếp nhận trong khoảng thời gian này.")
    expect(page.locator("#table-scroll")).to_be_hidden()
    expect(page.locator("#kpis")).to_be_hidden()
    expect(page.locator("#stats-error")).to_be_hidden()
    page.wait_for_selector("body[data-trend='ready']", state="attached")
    expect(page.locator("#trend-empty")).to_be_visible()


def test_a_failing_api_shows_an_error_and_a_retry_not_a_blank_page(
    page: Page, live_server: str, q1_2016: list[str],
) -> None:
    def unavailable(route: Route) -> None:
        route.fulfill(status=503, content_type="application/json",
                      body='{"detail": "Cơ sở dữ liệu tạm thời không sẵn sàng / database unavailable", "code": "db_unavailable"}')

    page.route(re.compile(r"/api/v1/stats(\?|/trend)"), unavailable)
    open_stats(page, live_server, Q1_2016, state="error")
    expect(page.locator("#stats-error")).to_be_visible()
    expect(page.locator("#stats-error-text")).to_have_text(
        "Cơ sở dữ liệu tạm thời không sẵn sàng / database unavailable")
    expect(page.locator("#trend-error")).to_contain_text("Không tải được xu hướng theo tháng")
    expect(page.locator("#table-scroll")).to_be_hidden()
    expect(page.locator("#period-presets")).to_be_visible()  # the page is still usable
    expect(page.locator("#method-list dt")).to_have_count(10)

    page.unroute(re.compile(r"/api/v1/stats(\?|/trend)"))
    page.route(re.compile(r"/api/v1/stats\?"), lambda route: route.abort("internetdisconnected"))
    page.click("#stats-retry")
    wait_loaded(page, "error")
    expect(page.locator("#stats-error-text")).to_have_text("Không kết nối được máy chủ.")
    page.unroute(re.compile(r"/api/v1/stats\?"))
    page.click("#stats-retry")
    wait_loaded(page)
    expect(page.locator("#stats-error")).to_be_hidden()
    expect(cell(page, "phong-ktht", "received")).to_have_text("13")


def test_bad_dates_are_refused_before_asking_the_server(page: Page, live_server: str, q1_2016: list[str]) -> None:
    # a link with a period over five years: the default period, and why
    open_stats(page, live_server, "period=custom&start=2010-01-01&end=2016-03-31", state="any")
    assert "period=12m" in page.url and "2010" not in page.url
    expect(page.locator("#period-error")).to_have_text(
        "Ngày trong liên kết không dùng được: Khoảng thời gian dài nhất là 5 năm. Đang hiện 12 tháng qua.")
    expect(page.locator("#period-presets input[value='12m']")).to_be_checked()
    # the form: start after end
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/stats" in r.url else None)
    page.click("#period-presets label:has(input[value='custom'])")
    page.fill("#custom-start", "2016-03-01")
    page.fill("#custom-end", "2016-02-01")
    page.click("#custom-apply")
    expect(page.locator("#period-error")).to_have_text("Ngày bắt đầu phải trước hoặc bằng ngày kết thúc.")
    assert asked == [] and "start=2016-03-01" not in page.url


def test_the_server_explains_a_question_it_refuses(page: Page, live_server: str) -> None:
    """Dates the page accepts but the API does not (before 2000): the server's own message."""
    open_stats(page, live_server, "period=custom&start=1999-12-01&end=1999-12-31", state="error")
    expect(page.locator("#stats-error-text")).to_have_text("Ngày ngoài phạm vi / date out of range")
