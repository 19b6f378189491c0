"""The web map in a real browser: what a visitor sees and can do without signing in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.mapui import READY, PageLog, click_commune, commune_paths, open_map

SCREENSHOT = "/tmp/iocmap-map.png"
COMMUNE_CODES = ["24664", "24667", "24670", "24673", "24676", "24677", "24678", "24679", "24682", "24685"]


def test_map_opens_on_dak_mil_with_ten_communes_the_district_outline_and_labels(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    open_map(page, live_server)

    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator(".brand-title")).to_have_text("iocmap — Bản đồ điều hành Đắk Mil")
    paths = commune_paths(page)
    expect(paths).to_have_count(10)
    for code in COMMUNE_CODES:
        expect(page.locator(f"#map path.commune-{code}")).to_have_count(1)
    expect(page.locator("#map path.district.district-663")).to_have_count(1)
    labels = page.locator("#map .label-communes .map-label-text")
    expect(labels).to_have_count(10)
    for i in range(10):
        expect(labels.nth(i)).to_be_visible()
    expect(labels.filter(has_text=re.compile(r"^Đắk Lao$"))).to_have_count(1)

    # the view is fitted to the district: its centroid (12.517 N, 107.670 E) is near the centre
    centre = page.evaluate("(() => { const c = window.iocmap.map.getCenter(); return [c.lat, c.lng]; })()")
    assert abs(centre[0] - 12.517) < 0.08 and abs(centre[1] - 107.670) < 0.08, centre
    assert 10 <= page.evaluate("window.iocmap.map.getZoom()") <= 13

    page.screenshot(path=SCREENSHOT)
    assert page_log.console_errors == []
    assert page_log.page_errors == []
    assert page_log.external_requests == []
    assert any("/vendor/leaflet/dist/leaflet-src.esm.js" in u for u in page_log.requests)
    assert any("/vendor/leaflet/dist/leaflet.css" in u for u in page_log.requests)


def test_no_request_leaves_the_server_even_after_using_the_map(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    open_map(page, live_server)
    page.click("#lang-toggle")
    page.check("input[data-layer='communes_2025']")
    expect(commune_paths(page, "communes_2025")).to_have_count(4)
    click_commune(page, "24682", "communes_2025")  # the 2025 layer is drawn above the old one
    expect(page.locator("#info-panel .info-name")).to_have_text("Xã Thuận An")
    page.mouse.wheel(0, -400)
    page.wait_for_timeout(300)
    assert page_log.external_requests == []
    assert page_log.console_errors == []


def test_clicking_a_commune_shows_its_details_in_the_info_panel(page: Page, live_server: str) -> None:
    open_map(page, live_server)
    info = page.locator("#info-panel")
    expect(info).to_contain_text("Chọn một xã")

    page.locator(".commune-24664").click()
    expect(info).to_have_attribute("data-code", "24664")
    expect(info.locator(".info-name")).to_have_text("Thị trấn Đắk Mil")
    expect(info.locator("[data-field='type']")).to_have_text("Thị trấn")
    expect(info.locator("[data-field='code']")).to_have_text("24664")
    expect(info.locator("[data-field='pop_2019']")).to_contain_text("11.487")
    expect(info.locator("[data-field='area_km2']")).to_contain_text("km²")
    expect(info.locator("[data-field='density_2019']")).to_contain_text("người/km²")
    expect(info.locator("[data-field='validity']")).to_have_text("đến 30/06/2025")
    expect(info.locator("[data-field='successors']")).to_contain_text("Xã Đức Lập")

    click_commune(page, "24667")
    expect(info).to_have_attribute("data-code", "24667")
    expect(info.locator(".info-name")).to_have_text("Xã Đắk Lao")
    expect(info.locator("[data-field='pop_2019']")).to_contain_text("7.729")
    expect(info.locator("[data-field='successors']")).to_contain_text("Xã Thuận An")

    page.click("#info-close")
    expect(info).not_to_have_attribute("data-code", re.compile(".*"))
    expect(info).to_contain_text("Chọn một xã")


def test_hovering_a_commune_highlights_it(page: Page, live_server: str) -> None:
    open_map(page, live_server)
    path = page.locator("#map path.commune-24664")
    expect(path).to_have_attribute("stroke-width", "1.5")  # the catalogue style
    path.hover()
    expect(path).to_have_attribute("stroke-width", "3")
    page.mouse.move(5, 300)  # over the sidebar: the highlight goes
    expect(path).to_have_attribute("stroke-width", "1.5")


def test_the_layer_switcher_lists_the_catalogue_with_default_layers_checked(
    page: Page, live_server: str
) -> None:
    open_map(page, live_server)
    switcher = page.locator("#layer-switcher")
    expect(switcher.locator("input[data-layer]")).to_have_count(3)
    expect(switcher.locator("input[data-layer='district']")).to_be_checked()
    expect(switcher.locator("input[data-layer='communes']")).to_be_checked()
    expect(switcher.locator("input[data-layer='communes_2025']")).not_to_be_checked()
    expect(switcher).to_contain_text("Xã, thị trấn (trước 01/07/2025)")
    expect(switcher.locator("#base-osm")).not_to_be_checked()

    page.uncheck("input[data-layer='communes']")
    expect(commune_paths(page)).to_have_count(0)
    expect(page.locator("#map .label-communes")).to_have_count(0)
    page.check("input[data-layer='communes']")
    expect(commune_paths(page)).to_have_count(10)


def test_turning_on_the_2025_communes_draws_four_polygons(page: Page, live_server: str) -> None:
    open_map(page, live_server)
    expect(commune_paths(page, "communes_2025")).to_have_count(0)

    page.check("input[data-layer='communes_2025']")
    expect(commune_paths(page, "communes_2025")).to_have_count(4)
    expect(commune_paths(page)).to_have_count(10)  # the old communes stay on

    # Đắk Sắk (2025) lacks the part that came from Krông Nô: the note says so
    click_commune(page, "24678", "communes_2025")
    info = page.locator("#info-panel")
    expect(info).to_have_attribute("data-layer", "communes_2025")
    expect(info.locator(".info-name")).to_have_text("Xã Đắk Sắk")
    expect(info.locator(".info-warning")).to_have_text("Ranh giới chưa đầy đủ")
    expect(info.locator("[data-field='note']")).to_contain_text("Nam Xuân")
    expect(info.locator("[data-field='predecessors']")).to_contain_text("Xã Long Sơn")

    page.uncheck("input[data-layer='communes_2025']")
    expect(commune_paths(page, "communes_2025")).to_have_count(0)
    expect(info).to_contain_text("Chọn một xã")


def test_the_successor_link_shows_the_2025_commune_on_the_map(page: Page, live_server: str) -> None:
    open_map(page, live_server)
    click_commune(page, "24676")  # Xã Đức Mạnh → Xã Đức Lập from 1 July 2025
    page.locator("#info-panel [data-field='successors'] button").click()

    expect(page.locator("input[data-layer='communes_2025']")).to_be_checked()
    expect(commune_paths(page, "communes_2025")).to_have_count(4)
    info = page.locator("#info-panel")
    expect(info).to_have_attribute("data-layer", "communes_2025")
    expect(info.locator(".info-name")).to_have_text("Xã Đức Lập")
    expect(info.locator("[data-field='predecessors']")).to_contain_text("Xã Đức Mạnh")


def test_the_language_switch_turns_the_page_to_english_and_back(page: Page, live_server: str) -> None:
    open_map(page, live_server)
    page.locator(".commune-24664").click()
    toggle = page.locator("#lang-toggle")
    expect(toggle).to_have_text("EN")

    toggle.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".brand-subtitle")).to_have_text("Đắk Mil operations map")
    expect(toggle).to_have_text("VI")
    expect(page.locator("#login-toggle")).to_have_text("Sign in")
    expect(page.locator("#layer-switcher")).to_contain_text("Communes (before 1 July 2025)")
    expect(page.locator("#layer-switcher")).to_contain_text("Base map")
    info = page.locator("#info-panel")
    expect(info.locator("[data-field='type']")).to_have_text("Township")
    expect(info.locator("[data-field='pop_2019']")).to_contain_text("11,487")
    expect(info.locator("[data-field='validity']")).to_have_text("until 30 Jun 2025")
    assert page.title().startswith("iocmap")

    # remembered across a reload
    page.reload()
    page.wait_for_selector(READY, state="attached")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#layer-switcher")).to_contain_text("Đắk Mil district boundary")

    page.click("#lang-toggle")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator(".brand-subtitle")).to_have_text("Bản đồ điều hành Đắk Mil")
    expect(page.locator("#login-toggle")).to_have_text("Đăng nhập")
    expect(page.locator("#layer-switcher")).to_contain_text("Ranh giới huyện Đắk Mil")


def test_the_osm_base_layer_is_off_and_switches_itself_off_without_internet(
    page: Page, page_log: PageLog, live_server: str
) -> None:
    open_map(page, live_server)
    osm = page.locator("#base-osm")
    expect(osm).not_to_be_checked()
    assert not any("openstreetmap" in u for u in page_log.requests)

    osm.click()  # the test context has no Internet: every tile fails, so it unchecks itself
    expect(page.locator("#osm-note")).to_be_visible()
    expect(page.locator("#base-osm")).not_to_be_checked()
    expect(page.locator("#map .leaflet-tile-container img")).to_have_count(0)
    expect(commune_paths(page)).to_have_count(10)


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}], ids=["phone"])
def test_on_a_phone_the_panel_is_a_sheet_that_opens_on_selection(
    page: Page, page_log: PageLog, live_server: str, viewport: dict[str, int]
) -> None:
    open_map(page, live_server)
    map_box = page.locator("#map").bounding_box()
    assert map_box is not None and map_box["width"] >= 380  # the map takes the whole width
    expect(page.locator("#sidebar-toggle")).to_be_visible()
    expect(page.locator("#info-panel")).not_to_be_in_viewport()

    click_commune(page, "24667")
    expect(page.locator("#info-panel .info-name")).to_have_text("Xã Đắk Lao")
    expect(page.locator("#info-panel")).to_be_in_viewport()

    page.click("#sidebar-close")
    expect(page.locator("#info-panel")).not_to_be_in_viewport()
    page.click("#sidebar-toggle")
    expect(page.locator("#sidebar")).to_be_in_viewport()
    page.locator("input[data-layer='communes']").uncheck()  # scrolled to inside the sheet
    expect(commune_paths(page)).to_have_count(0)
    assert page_log.console_errors == []
