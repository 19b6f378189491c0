"""The leaders' operations screen (/ioc) in real Chromium against the live server: the KPIs
shown are the API's numbers, a report or incident committed elsewhere appears on the map
and in the feed without a reload, a status change recolours its pin, every KPI opens the
list and the map of the cases behind it, citizens and visitors get no data, VI/EN, phones.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, text

from layers.db import make_sessionmaker, session_scope
from tests.web.feedback_ui import FeedbackApi, sign_in
from tests.web.mapui import PageLog

READY = "body[data-access='granted'][data-ready='1']"
LIVE = "body[data-live='live']"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def fb(live_server: str, engine: Engine) -> Iterator[FeedbackApi]:
    api = FeedbackApi(live_server, engine)
    yield api
    api.close()


class Incidents:
    """Incidents made through the API for one test, deleted at the end."""

    def __init__(self, fb: FeedbackApi, engine: Engine, leader: str) -> None:
        self.fb, self.engine, self.leader = fb, engine, leader
        self.codes: list[str] = []

    def create(self, lon: float, lat: float, **fields: Any) -> dict[str, Any]:
        body = {"type": "fire", "title": "Cháy rẫy cà phê", "severity": 3, "agency": "ubnd-24664",
                "geometry": {"type": "Point", "coordinates": [lon, lat]}, **fields}
        r = self.fb.http.post("/api/v1/incidents", json=body, headers=self.fb.auth(self.leader))
        assert r.status_code == 201, r.text
        self.codes.append(r.json()["code"])
        return dict(r.json())

    def move(self, code: str, to: str, note: str | None = None) -> None:
        r = self.fb.http.post(f"/api/v1/incidents/{code}/transitions", json={"to": to, "note": note},
                              headers=self.fb.auth(self.leader))
        assert r.status_code == 200, r.text

    def close(self) -> None:
        with session_scope(make_sessionmaker(self.engine)) as s:
            s.execute(text("DELETE FROM incidents WHERE code = ANY(:c)"), {"c": self.codes})


@pytest.fixture
def incidents(fb: FeedbackApi, engine: Engine, committed_users: dict[str, str]) -> Iterator[Incidents]:
    made = Incidents(fb, engine, committed_users["leader"])
    yield made
    made.close()


def open_ioc(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/ioc")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    sign_in(page, username)
    page.wait_for_selector(READY, state="attached", timeout=30_000)


def kpi_from_api(fb: FeedbackApi, user: str, page: Page) -> dict[str, Any]:
    """The API's KPIs for the page's own period (read from its request)."""
    start, end = page.evaluate("() => { const p = window.iocmapIoc.kpi.period(); return [p.start, p.end]; }")
    r = fb.http.get("/api/v1/analytics/kpi", params={"start": start, "end": end}, headers=fb.auth(user))
    assert r.status_code == 200, r.text
    return dict(r.json())


def card_value(page: Page, metric: str) -> str:
    return str(page.locator(f"#kpi-report-cards .ioc-card[data-metric='{metric}']").get_attribute("data-value"))


def pin(page: Page, code: str):
    return page.locator(f"#ioc-map path[data-code='{code}']")


def test_a_leader_sees_the_live_map_and_kpis_equal_to_the_api(
    page: Page, live_server: str, fb: FeedbackApi, committed_users: dict[str, str], page_log: PageLog,
) -> None:
    leader = committed_users["leader"]
    lon, lat = fb.spot()
    report = fb.submit(lon, lat)
    open_ioc(page, live_server, leader)
    page.wait_for_selector(LIVE, state="attached")
    expect(pin(page, report["code"])).to_have_count(1)  # loaded with the map
    expect(page.locator("#ioc-map path.fb-commune").first).to_be_attached()  # commune outlines
    page.click("#tab-btn-kpi")
    expect(page.locator("#kpi-report-cards .ioc-card")).to_have_count(8)
    api = kpi_from_api(fb, leader, page)
    totals = api["reports"]["totals"]
    for metric in ("open", "overdue", "due_this_week", "received", "resolved"):
        assert card_value(page, metric) == str(totals[metric]["value"]), metric
    for metric in ("on_time_rate", "median_handling_hours", "satisfaction"):
        value, shown = totals[metric]["value"], card_value(page, metric)
        assert (shown == "") if value is None else float(shown) == value, metric
    assert page.locator("#kpi-incident-cards .ioc-card[data-metric='incidents_active']").get_attribute(
        "data-value") == str(api["incidents"]["active"]["value"])
    assert page.locator("#counter-open").get_attribute("data-value") == str(totals["open"]["value"])
    assert page.locator("#counter-overdue").get_attribute("data-value") == str(totals["overdue"]["value"])
    # the trend against the previous period: an arrow or "no change" on every card
    trends = page.locator("#kpi-report-cards .ioc-card .ioc-trend")
    expect(trends).to_have_count(8)
    # the breakdown by agency, commune, category: the table follows the API
    for by in ("agency", "commune", "category"):
        page.click(f".ioc-seg[data-by='{by}']")
        groups = api["reports"][f"by_{by}"]
        expect(page.locator("#kpi-table tbody tr")).to_have_count(len(groups))
        first = groups[0]
        cell = page.locator(f"#kpi-table tbody tr[data-group='{first['code']}'] td[data-metric='open']")
        assert cell.get_attribute("data-value") == str(first["open"]["value"])
    assert page.evaluate("() => window.iocmapIoc.kpi.charts.length") == 2  # Chart.js drew both charts
    page.screenshot(path="/tmp/ioc-page-kpi.png")
    page.locator("#kpi-chart").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/ioc-page-charts.png")
    # the heatmap panel of the other developer is mounted into its section
    page.click("#tab-btn-heat")
    expect(page.locator("#heatmap-panel")).to_be_visible()
    assert page.locator("#heatmap-panel *").count() > 0
    page.click("#tab-btn-live")
    page.screenshot(path="/tmp/ioc-page.png")
    assert not page_log.page_errors, page_log.page_errors
    assert not page_log.external_requests


def test_new_cases_appear_live_and_a_status_change_recolours_the_pin(
    page: Page, live_server: str, fb: FeedbackApi, incidents: Incidents, committed_users: dict[str, str],
    page_log: PageLog,
) -> None:
    leader = committed_users["leader"]
    open_ioc(page, live_server, leader)
    page.wait_for_selector(LIVE, state="attached")
    requests_before = len(page_log.requests)
    open_before = int(page.locator("#counter-open").get_attribute("data-value") or 0)
    events_before = int(page.locator("#counter-events").get_attribute("data-value") or 0)

    lon, lat = fb.spot()
    # Live means without reloading (checked at the end); how fast is measured by
    # bench/h3_bench.py (SSE fan-out), not by a stopwatch here.
    report = fb.submit(lon, lat)  # committed by the server, seen through LISTEN/NOTIFY
    expect(pin(page, report["code"])).to_have_attribute("data-status", "received")
    expect(page.locator(f"#ioc-feed li[data-code='{report['code']}']")).to_have_count(1)
    expect(page.locator("#counter-open")).to_have_attribute("data-value", str(open_before + 1))
    assert int(page.locator("#counter-events").get_attribute("data-value") or 0) >= events_before + 1
    first = page.locator("#ioc-feed li").first
    expect(first).to_have_attribute("data-code", report["code"])
    expect(first).to_contain_text("Phản ánh mới")
    colour = pin(page, report["code"]).get_attribute("fill")

    fb.move(report["code"], leader, to="assigned", assignee=committed_users["officer"])
    expect(pin(page, report["code"])).to_have_attribute("data-status", "assigned")
    assert pin(page, report["code"]).get_attribute("fill") != colour  # recoloured

    incident = incidents.create(lon + 0.001, lat)
    expect(pin(page, incident["code"])).to_have_attribute("data-status", "reported")
    red = pin(page, incident["code"]).get_attribute("fill")
    incidents.move(incident["code"], "responding")
    expect(pin(page, incident["code"])).to_have_attribute("data-status", "responding")
    assert pin(page, incident["code"]).get_attribute("fill") != red
    expect(page.locator(f"#ioc-feed li[data-code='{incident['code']}']")).to_have_count(2)

    # an affected area: drawn as a polygon once its geometry is fetched
    d = 0.003
    area = incidents.create(lon, lat, type="flood", geometry={"type": "Polygon", "coordinates": [[
        [lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]})
    expect(page.locator(f"#ioc-map path.ioc-area[data-code='{area['code']}']")).to_have_count(1)

    # a click on a feed item zooms to the case and opens its popup
    page.click(f"#ioc-feed li[data-code='{report['code']}'] >> nth=0 >> button")
    popup = page.locator(f".leaflet-popup .ioc-popup[data-code='{report['code']}']")
    expect(popup).to_be_visible()
    expect(popup).to_contain_text(report["code"])
    assert page.evaluate("() => window.iocmapIoc.map.getZoom()") >= 15
    assert not any("/api/v1/inbox/map" in url for url in page_log.requests[requests_before:])  # no reload
    assert not page_log.page_errors, page_log.page_errors


def test_an_answer_requested_before_a_live_change_does_not_undo_it(
    page: Page, live_server: str, committed_users: dict[str, str], page_log: PageLog,
) -> None:
    """The race behind a once-flaky test: a list reload or an incident's detail, requested
    before a status change committed, arrives after the change's live event. The pin keeps
    the live status; what the answer adds (title, new cases) is still taken."""
    open_ioc(page, live_server, committed_users["leader"])
    page.wait_for_selector(LIVE, state="attached")
    lon, lat = 107.62, 12.45
    result = page.evaluate("""([lon, lat]) => {
      const layers = window.iocmapIoc.layers;
      const feature = (code, status, title) => ({ type: "Feature", geometry: { type: "Point", coordinates: [lon, lat] },
        properties: { code, status, title, severity: 2, lon, lat } });
      layers.upsertIncident({ code: "SC-TEST-1", status: "reported", severity: 2, lon, lat }, null, { live: true });
      const since = performance.now() - 1;  // both answers below were requested before the next event
      layers.upsertIncident({ code: "SC-TEST-1", status: "responding", severity: 2, lon, lat }, null, { live: true });
      layers.upsertIncident({ code: "SC-TEST-1", status: "reported", title: "Chi tiết" }, null, { since });
      const afterDetail = { ...layers.incidents.get("SC-TEST-1").props };
      layers.setIncidents({ features: [feature("SC-TEST-1", "reported", "Danh sách"),
                                       feature("SC-TEST-2", "contained", "Mới")] }, since);
      const list = [layers.incidents.get("SC-TEST-1").props.status, layers.incidents.get("SC-TEST-2")?.props.status];
      const stale = performance.now() - 1e9;
      layers.setIncidents({ features: [feature("SC-TEST-1", "reported", "Cũ")] }, stale);
      const later = { ...layers.incidents.get("SC-TEST-1").props };
      layers.setIncidents({ features: [feature("SC-TEST-1", "closed", "Sau")] }, performance.now());
      return { afterDetail, list, later,
               newer: layers.incidents.get("SC-TEST-1").props.status };
    }""", [lon, lat])
    assert result["afterDetail"]["status"] == "responding" and result["afterDetail"]["title"] == "Chi tiết"
    assert result["list"] == ["responding", "contained"]
    assert result["later"]["status"] == "responding" and result["later"]["title"] == "Cũ"
    assert result["newer"] == "closed"  # an answer requested after the event is the truth
    expect(pin(page, "SC-TEST-1")).to_have_attribute("data-status", "closed")
    assert not page_log.page_errors, page_log.page_errors


def test_a_dropped_stream_says_so_reconnects_and_replays_what_was_missed(
    page: Page, live_server: str, fb: FeedbackApi, committed_users: dict[str, str], context,
) -> None:
    open_ioc(page, live_server, committed_users["leader"])
    page.wait_for_selector(LIVE, state="attached")
    # The network goes away. Chromium's offline emulation does not cut a stream that is already
    # open, so the drop is made by hand: the page's stream is closed and reopened while offline
    # (what the page does after a refused or ended connection), from the last event id it saw.
    context.set_offline(True)
    page.evaluate("() => { const f = window.iocmapIoc.feed; f.source.close(); f.connect(); }")
    page.wait_for_selector("body[data-live='reconnecting'], body[data-live='offline']", state="attached")
    expect(page.locator("#ioc-conn")).not_to_have_attribute("data-state", "live")
    missed = fb.submit(*fb.spot())  # happens while the page is cut off
    page.wait_for_timeout(300)
    expect(pin(page, missed["code"])).to_have_count(0)
    context.set_offline(False)
    # back online: the browser resumes with Last-Event-ID and the server replays the event
    expect(pin(page, missed["code"])).to_have_count(1, timeout=20_000)
    expect(page.locator("#ioc-conn")).to_have_attribute("data-state", "live")
    expect(page.locator(f"#ioc-feed li[data-code='{missed['code']}']")).to_have_count(1)


def test_every_kpi_opens_the_list_and_the_map_of_its_cases(
    page: Page, live_server: str, fb: FeedbackApi, incidents: Incidents, committed_users: dict[str, str],
) -> None:
    leader = committed_users["leader"]
    for _ in range(2):
        fb.submit(*fb.spot())
    lon, lat = fb.spot()
    incidents.create(lon, lat)
    open_ioc(page, live_server, leader)
    page.click("#tab-btn-kpi")
    api = kpi_from_api(fb, leader, page)
    opened = api["reports"]["totals"]["open"]["value"]
    assert opened >= 2
    page.click("#kpi-report-cards .ioc-card[data-metric='open']")
    expect(page.locator("#tab-cases")).to_be_visible()
    expect(page.locator("#cases-list li[data-code]")).to_have_count(opened)
    behind = fb.http.get(api["reports"]["totals"]["open"]["link"], headers=fb.auth(leader)).json()
    codes = {f["properties"]["code"] for f in behind["features"]}
    assert set(page.locator("#cases-list li[data-code]").evaluate_all("ns => ns.map(n => n.dataset.code)")) == codes
    # the map shows exactly those cases
    shown = page.evaluate(
        "() => [...document.querySelectorAll('#ioc-map path.ioc-report[data-code]')].map(p => p.dataset.code)")
    assert set(shown) == codes
    expect(page.locator("#ioc-map-filter")).to_be_visible()
    # a row click zooms to the case and opens its popup
    code = sorted(codes)[0]
    page.click(f"#cases-list li[data-code='{code}'] button")
    expect(page.locator(f".leaflet-popup .ioc-popup[data-code='{code}']")).to_be_visible()

    # incidents by status: the active count opens the active incidents
    page.click("#tab-btn-kpi")
    active = api["incidents"]["active"]["value"]
    page.click("#kpi-incident-cards .ioc-card[data-metric='incidents_active']")
    expect(page.locator("#cases-list li[data-kind='incident']")).to_have_count(active)
    expect(page.locator("#ioc-map path.ioc-report[data-code]")).to_have_count(0)

    # a cell of the breakdown table: overdue of one commune
    page.click("#tab-btn-kpi")
    page.click(".ioc-seg[data-by='commune']")
    group = api["reports"]["by_commune"][0]
    page.click(f"#kpi-table tr[data-group='{group['code']}'] td[data-metric='open'] button")
    expect(page.locator("#cases-list li[data-code]")).to_have_count(group["open"]["value"])

    # clearing gives the live map back
    page.click("#ioc-map-filter-clear")
    expect(page.locator("#ioc-map-filter")).to_be_hidden()
    assert page.evaluate("() => document.body.dataset.mapFilter === undefined")


@pytest.mark.parametrize("role", ["citizen", "anonymous"])
def test_citizens_and_visitors_see_no_data(
    page: Page, live_server: str, committed_users: dict[str, str], page_log: PageLog, role: str,
) -> None:
    page.goto(f"{live_server}/ioc")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    if role == "citizen":
        sign_in(page, committed_users["citizen"])
        page.wait_for_selector("body[data-access='denied']", state="attached")
        expect(page.locator("#gate-title")).to_have_text("Không có quyền truy cập")
    else:
        page.wait_for_selector("body[data-access='signed-out']", state="attached")
        expect(page.locator("#gate-title")).to_have_text("Cần đăng nhập")
    expect(page.locator("#ioc-app")).to_be_hidden()
    page.wait_for_timeout(500)
    data_calls = [u for u in page_log.requests
                  if any(p in u for p in ("/api/v1/analytics", "/api/v1/inbox", "/api/v1/events", "/api/v1/incidents"))]
    assert data_calls == []
    # and the API refuses them anyway (the page is not the guard)
    assert httpx.get(f"{live_server}/api/v1/analytics/kpi").status_code == 401


def test_a_planner_gets_kpis_and_incidents_but_no_live_feed(
    page: Page, live_server: str, committed_users: dict[str, str], page_log: PageLog,
) -> None:
    open_ioc(page, live_server, committed_users["planner"])  # the API lets planners read analytics
    expect(page.locator("#ioc-conn")).to_have_attribute("data-state", "unavailable")
    page.click("#tab-btn-kpi")
    expect(page.locator("#kpi-report-cards .ioc-card")).to_have_count(8)
    assert not [u for u in page_log.requests if "/api/v1/events" in u or "/api/v1/inbox" in u]
    assert not page_log.page_errors, page_log.page_errors


def test_the_page_switches_to_english_and_back(page: Page, live_server: str, committed_users: dict[str, str]) -> None:
    open_ioc(page, live_server, committed_users["admin"])
    expect(page.locator("#tab-btn-kpi")).to_have_text("Chỉ số")
    expect(page.locator(".ioc-counter[data-counter='open'] .ioc-counter-label")).to_have_text("Phản ánh đang mở")
    page.click("#lang-toggle")
    expect(page.locator("#tab-btn-kpi")).to_have_text("KPIs")
    expect(page.locator(".ioc-counter[data-counter='open'] .ioc-counter-label")).to_have_text("Open reports")
    page.click("#tab-btn-kpi")
    expect(page.locator("#kpi-report-cards .ioc-card[data-metric='overdue'] .ioc-card-label")).to_have_text("Overdue")
    assert page.title().startswith("Operations centre")
    page.click("#lang-toggle")
    expect(page.locator("#kpi-report-cards .ioc-card[data-metric='overdue'] .ioc-card-label")).to_have_text("Quá hạn")
    assert page.evaluate("() => document.documentElement.lang") == "vi"


@pytest.mark.parametrize("viewport", [PHONE])
def test_a_phone_shows_the_map_with_counters_and_the_panel_on_demand(
    page: Page, live_server: str, committed_users: dict[str, str], viewport: dict[str, int],
) -> None:
    open_ioc(page, live_server, committed_users["leader"])
    expect(page.locator("#ioc-map")).to_be_visible()
    expect(page.locator("#counter-open")).to_be_visible()
    expect(page.locator(".ioc-side")).to_be_hidden()
    page.click("#ioc-show-panel")
    expect(page.locator(".ioc-side")).to_be_visible()
    page.click("#tab-btn-kpi")
    card = page.locator("#kpi-report-cards .ioc-card[data-metric='open']")
    expect(card).to_be_visible()
    box = card.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path="/tmp/ioc-page-phone.png")
    card.click()  # click-through on a phone: the list, then the map
    expect(page.locator("#tab-cases")).to_be_visible()
    page.click("#ioc-show-map")
    expect(page.locator("#ioc-map")).to_be_visible()


# ---- the page's own dictionary (ioc-i18n.js; the shared test covers i18n.js) ----------------

WEB = Path(__file__).resolve().parents[2] / "web"
OWN = ["ioc.html", *(f"static/js/ioc-{m}.js" for m in ("main", "layers", "live", "kpi", "cases", "i18n"))]
KEY = re.compile(r'^\s+"([a-z0-9_.]+)":', re.MULTILINE)


def _keys(text: str, start: str, end: str) -> set[str]:
    return set(KEY.findall(text[text.index(start):text.index(end)]))


def test_every_ioc_string_exists_in_vietnamese_and_english() -> None:
    own = (WEB / "static/js/ioc-i18n.js").read_text(encoding="utf-8")
    vi, en = _keys(own, "  vi: {", "  en: {"), _keys(own, "  en: {", "/** Translate")
    assert vi == en and len(vi) > 100
    shared = (WEB / "static/js/i18n.js").read_text(encoding="utf-8")
    known = vi | _keys(shared, "  vi: {", "  en: {")
    used: set[str] = set()
    for name in OWN:
        body = re.sub(r"^\s*//.*$", "", (WEB / name).read_text(encoding="utf-8"), flags=re.MULTILINE)
        used |= set(re.findall(r'\btr?\("([a-z0-9_.]+)"', body))
        used |= set(re.findall(r'data-(?:ioc|i18n)(?:-[a-z-]+)?="([a-z0-9_.]+)"', body))
    assert len(used) > 60
    assert used - known == set()
    built = {
        "ioc.kind": ("report.created", "report.status_changed", "report.transferred", "incident.created",
                     "incident.status_changed", "incident.updated"),
        "ioc.inc_status": ("reported", "responding", "contained", "closed"),
        "ioc.kpi": ("open", "overdue", "due_this_week", "on_time_rate", "median_handling_hours", "satisfaction",
                    "received", "resolved", "incidents_active", "incidents_total"),
        "ioc.conn": ("connecting", "live", "reconnecting", "offline", "unavailable"),
        "ioc.period": ("7", "30", "90", "365"),
        "ioc.by": ("agency", "commune", "category"),
        "ioc.counter": ("open", "overdue", "incidents", "events"),
    }
    sep = {"ioc.kind": ".", "ioc.inc_status": ".", "ioc.kpi": "."}
    wanted = {f"{k}{sep.get(k, '_')}{v}" for k, vs in built.items() for v in vs}
    assert wanted - vi == set()
