"""The planner page in a real browser: create, upload (drag and drop), preview, publish,
style, metadata, versions, and what the main map then shows to whom."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import pytest
from playwright.sync_api import Page, Route, expect
from shapely import Point, Polygon
from shapely.affinity import translate

from tests.conftest import PASSWORD
from tests.layers.ingest_files import WGS84_TO_VN2000_TM3_1085, as_latin1, shapefile_zip
from tests.web.conftest import LayerApi
from tests.web.mapui import READY, PageLog, computed_fill, drop_file, login, open_map, open_planner

SHOT = "/tmp/iocmap-planner{}.png"

# Public services in Đắk Mil (lon, lat), with Vietnamese names and categories.
SERVICES = [
    ("Trường THCS Nguyễn Du", "Trường học", 540, 107.6842, 12.4489),
    ("Trường Tiểu học Lê Lợi", "Trường học", 320, 107.6620, 12.4750),
    ("Chợ Đắk Mil", "Chợ", 0, 107.6905, 12.4452),
    ("Chợ Đức Mạnh", "Chợ", 0, 107.6380, 12.5105),
    ("Trạm y tế xã Đắk Lao", "Trạm y tế", 12, 107.6350, 12.5300),
    ("Trạm y tế thị trấn Đắk Mil", "Trạm y tế", 25, 107.6950, 12.4520),
]


def services_geojson(rows: list[tuple[str, str, int, float, float]] = SERVICES) -> bytes:
    features = [{"type": "Feature", "properties": {"ten": name, "loai": kind, "suc_chua": size},
                 "geometry": {"type": "Point", "coordinates": [lon, lat]}}
                for name, kind, size, lon, lat in rows]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def rgb(hex_color: str) -> str:
    h = hex_color.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))


def planner(page: Page, live_server: str, committed_users: dict[str, str], slug: str | None = None) -> None:
    open_planner(page, live_server, committed_users["planner"], PASSWORD, slug)


def test_a_planner_creates_uploads_previews_publishes_styles_and_the_map_shows_it(
    page: Page, page_log: PageLog, live_server: str, committed_users: dict[str, str], layer_api: LayerApi
) -> None:
    slug = layer_api.track(LayerApi.new_slug())
    planner(page, live_server, committed_users)
    expect(page.locator("#work-empty")).to_be_visible()

    # 1. create the layer
    page.click("#new-layer")
    page.fill("#create-title-vi", "Công trình công cộng")
    page.fill("#create-slug", slug)
    page.fill("#create-title-en", "Public facilities")
    page.select_option("#create-group", "infrastructure")
    page.fill("#create-source", "UBND huyện Đắk Mil")
    page.fill("#create-licence", "CC BY 4.0")
    page.check("#create-form input[name='visibility'][value='public']")
    page.click("#create-submit")
    expect(page.locator("#layer-title")).to_have_text("Công trình công cộng")
    expect(page.locator(f"#layer-list li[data-slug='{slug}']")).to_contain_text("công khai")
    expect(page.locator("#map-mode")).to_have_attribute("data-mode", "empty")

    # 2. drop a GeoJSON file: preview, nothing written yet
    with page.expect_response(f"**/api/v1/layers/{slug}/preview") as preview:
        drop_file(page, "#drop-zone", "cong-trinh.geojson", services_geojson(), "application/geo+json")
    assert preview.value.status == 200
    expect(page.locator("#preview")).to_be_visible()
    expect(page.locator("#preview-count")).to_have_text("6 đối tượng")
    expect(page.locator("#preview-summary [data-field='crs']")).to_contain_text("WGS 84")
    expect(page.locator("#preview-summary [data-field='encoding']")).to_contain_text("utf-8")
    expect(page.locator("#report-ok")).to_be_visible()
    table = page.locator("#preview-table")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(table.locator("tbody td[data-field='ten']").first).to_have_text("Trường THCS Nguyễn Du")
    expect(table.locator("tbody")).to_contain_text("Trạm y tế thị trấn Đắk Mil")
    expect(page.locator("#planner-map path.preview")).to_have_count(6)
    expect(page.locator("#map-mode")).to_have_attribute("data-mode", "preview")
    assert layer_api.admin(slug)["version"] == 0  # the preview wrote nothing
    page.screenshot(path=SHOT.format("-preview"))

    # 3. publish
    with page.expect_response(f"**/api/v1/layers/{slug}/uploads") as upload:
        page.click("#publish-button")
    assert upload.value.status == 200
    expect(page.locator("#publish-result")).to_have_attribute("data-version", "1")
    expect(page.locator("#map-mode")).to_have_attribute("data-mode", "current")
    expect(page.locator(f"#planner-map path.layer-{slug}")).to_have_count(6)
    expect(page.locator(f"#layer-list li[data-slug='{slug}']")).to_contain_text("v1")

    # 4. categorised style by "loai": the map follows every change at once, then it is saved
    page.click("#tab-button-style")
    page.check("#tab-style input[name='style-type'][value='categorised']", force=True)
    page.select_option("#style-field", "loai")
    rows = page.locator("#style-rows li[data-value]")
    expect(rows).to_have_count(3)
    school = page.locator("#style-rows li[data-value='Trường học'] input[type='color']")
    school.evaluate("(el) => { el.value = '#e11d48'; el.dispatchEvent(new Event('input', { bubbles: true })); }")
    expect(page.locator(f"#planner-map path.layer-{slug}.fid-1")).to_have_css("fill", rgb("#e11d48"))
    page.screenshot(path=SHOT.format("-style"))
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/layers/{slug}") and r.request.method == "PATCH"):
        page.click("#style-save")
    expect(page.locator("#style-status")).to_have_attribute("data-kind", "ok")
    style = layer_api.admin(slug)["style"]
    assert style["type"] == "categorised" and style["field"] == "loai"
    colors = {c["value"]: c["color"] for c in style["categories"]}
    assert colors["Trường học"] == "#e11d48" and len(set(colors.values())) == 3

    # 5. a label for the popup
    page.click("#tab-button-meta")
    page.fill("#attr-table tr[data-field='loai'] input[name='label_vi']", "Loại công trình")
    page.fill("#attr-table tr[data-field='loai'] input[name='label_en']", "Facility type")
    page.uncheck("#attr-table tr[data-field='suc_chua'] input[name='popup']")
    page.click("#meta-save")
    expect(page.locator("#meta-status")).to_have_text("Đã lưu thông tin lớp.")

    # 6. the main map draws the layer with its colours and a labelled popup
    open_map(page, live_server)
    for fid, (_, kind, *_rest) in enumerate(SERVICES, start=1):
        expect(page.locator(f"#map path.layer-{slug}.fid-{fid}")).to_have_css("fill", rgb(colors[kind]))
    expect(page.locator(f".layer-legend[data-layer='{slug}'] li")).to_have_count(3)
    page.locator(f"#map path.layer-{slug}.fid-3").click()
    popup = page.locator(".leaflet-popup .popup")
    expect(popup.locator(".popup-title")).to_have_text("Chợ Đắk Mil")
    expect(popup.locator("dt[data-field='loai']")).to_have_text("Loại công trình")
    expect(popup.locator("dd[data-field='loai']")).to_have_text("Chợ")
    expect(popup.locator("[data-field='suc_chua']")).to_have_count(0)
    page.wait_for_timeout(300)  # the popup's fade-in, for the screenshot
    page.screenshot(path=SHOT.format("-mainmap"))
    assert page_log.console_errors == []
    assert page_log.page_errors == []
    assert page_log.external_requests == []


@pytest.mark.filterwarnings("ignore:'crs' was not provided")  # the point of the file: no .prj
def test_a_tcvn3_shapefile_without_prj_asks_for_a_crs_and_the_suggestion_places_it_in_dak_mil(
    page: Page, live_server: str, committed_users: dict[str, str], layer_api: LayerApi, tmp_path: Path
) -> None:
    slug = LayerApi.new_slug()
    layer_api.create(slug, title_vi="Mốc quy hoạch")
    names = ["Trường Tiểu học Đắk Mil", "Trạm y tế xã Đức Minh", "Chợ Đắk Mil"]
    places = [(107.6831, 12.4486), (107.6402, 12.4702), (107.6905, 12.4452)]
    points = [Point(*WGS84_TO_VN2000_TM3_1085.transform(lon, lat)) for lon, lat in places]
    gdf = gpd.GeoDataFrame({as_latin1("Tên"): [as_latin1(n) for n in names], "so": [1, 2, 3]},
                           geometry=points, crs=None)
    path = shapefile_zip(tmp_path, gdf, "moc", encoding="latin1", prj=None, cpg=None)

    planner(page, live_server, committed_users, slug)
    with page.expect_response(f"**/api/v1/layers/{slug}/preview"):
        page.set_input_files("#upload-file", str(path))  # the file picker, this time
    error = page.locator("#upload-error")
    expect(error).to_contain_text("hệ tọa độ")
    expect(page.locator("#upload-crs")).to_have_class(re.compile("needs-choice"))
    suggestion = page.locator("#upload-suggestions button[data-crs='VN2000-TM3-108.5']")
    expect(suggestion).to_contain_text("Đắk Nông")
    page.screenshot(path=SHOT.format("-crs"))

    with page.expect_request(lambda r: r.url.endswith("/preview") and r.method == "POST") as sent:
        suggestion.click()
    assert b'name="crs"' in (sent.value.post_data_buffer or b"") and b"VN2000-TM3-108.5" in (sent.value.post_data_buffer or b"")
    expect(page.locator("#preview")).to_be_visible()
    expect(page.locator("#upload-crs")).to_have_value("VN2000-TM3-108.5")
    expect(page.locator("#preview-summary [data-field='crs']")).to_contain_text("do bạn chọn")
    expect(page.locator("#preview-summary [data-field='encoding']")).to_have_text("tcvn3 (tự nhận dạng)")
    expect(page.locator("#preview-report .note-box")).to_contain_text("tcvn3")
    cells = page.locator("#preview-table tbody td[data-field='Tên']")
    expect(cells).to_have_text(names)  # TCVN3 bytes shown as proper Unicode diacritics
    bbox = [float(v) for v in page.locator("#preview-summary [data-field='bbox']").inner_text().split(",")]
    assert abs(bbox[0] - 107.6402) < 0.0005 and abs(bbox[3] - 12.4702) < 0.0005, bbox  # in Đắk Mil, not 200 m off
    expect(page.locator("#planner-map path.preview")).to_have_count(3)

    # a wrong choice is the planner's to make: CP1258 garbles the names, TCVN3 again fixes them
    page.select_option("#upload-encoding", "cp1258")
    expect(page.locator("#preview-summary [data-field='encoding']")).to_have_text("cp1258 (do bạn chọn)")
    expect(cells).to_have_count(0)  # even the column name "Tên" was TCVN3
    expect(page.locator("#preview-table tbody")).not_to_contain_text(names[0])
    page.select_option("#upload-encoding", "tcvn3")
    expect(cells).to_have_text(names)


def test_a_geopackage_with_two_tables_asks_which_one_to_read(
    page: Page, live_server: str, committed_users: dict[str, str], layer_api: LayerApi, tmp_path: Path
) -> None:
    slug = LayerApi.new_slug()
    layer_api.create(slug, title_vi="Quy hoạch sử dụng đất")
    path = tmp_path / "quy_hoach.gpkg"
    gpd.GeoDataFrame({"ten": ["Trường A"]}, geometry=[Point(107.66, 12.45)], crs=4326).to_file(
        path, layer="truong_hoc", engine="pyogrio")
    square = Polygon([(107.65, 12.44), (107.67, 12.44), (107.67, 12.46), (107.65, 12.46)])
    gpd.GeoDataFrame({"ten": ["Khu dân cư Đức Lập", "Khu dân cư Thuận An"]},
                     geometry=[square, translate(square, 0.03, 0.0)], crs=4326).to_file(
        path, layer="khu_dan_cu", engine="pyogrio", mode="a")

    planner(page, live_server, committed_users, slug)
    drop_file(page, "#drop-zone", path.name, path.read_bytes())
    table = page.locator("#upload-table")
    expect(table).to_be_visible()
    expect(table).to_have_class(re.compile("needs-choice"))
    expect(table.locator("option")).to_have_count(3)  # "— chọn —" and the two tables
    table.select_option("khu_dan_cu")
    expect(page.locator("#preview-count")).to_have_text("2 đối tượng")
    expect(page.locator("#preview-summary [data-field='format']")).to_contain_text("khu_dan_cu")
    expect(page.locator("#preview-table tbody td[data-field='ten']")).to_have_text(
        ["Khu dân cư Đức Lập", "Khu dân cư Thuận An"])
    expect(page.locator(f"#planner-map path.layer-{slug}.preview")).to_have_count(2)
    expect(table).to_have_value("khu_dan_cu")  # still selectable after a successful read


def test_the_report_lists_repaired_and_rejected_rows_with_their_numbers_before_publishing(
    page: Page, live_server: str, committed_users: dict[str, str], layer_api: LayerApi
) -> None:
    slug = LayerApi.new_slug()
    layer_api.create(slug, title_vi="Thửa đất")
    bowtie = {"type": "Polygon", "coordinates": [[[107.60, 12.40], [107.62, 12.42], [107.62, 12.40],
                                                   [107.60, 12.42], [107.60, 12.40]]]}
    square = {"type": "Polygon", "coordinates": [[[107.63, 12.40], [107.64, 12.40], [107.64, 12.41],
                                                   [107.63, 12.41], [107.63, 12.40]]]}
    features = [
        {"type": "Feature", "properties": {"so_thua": 1}, "geometry": square},
        {"type": "Feature", "properties": {"so_thua": 2}, "geometry": bowtie},
        {"type": "Feature", "properties": {"so_thua": 3}, "geometry": None},
        {"type": "Feature", "properties": {"so_thua": 4}, "geometry": square},
    ]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()

    planner(page, live_server, committed_users, slug)
    drop_file(page, "#drop-zone", "thua-dat.geojson", data, "application/geo+json")
    expect(page.locator("#preview")).to_be_visible()
    repaired = page.locator("#report-repaired")
    expect(repaired.locator("summary")).to_have_text("Đã sửa 1 hình học không hợp lệ")
    expect(repaired.locator("tr[data-row='2'] td").first).to_have_text("2")
    rejected = page.locator("#report-rejected")
    expect(rejected.locator("summary")).to_have_text("Bỏ 1 dòng không nhập được")
    expect(rejected.locator("tr[data-row='3']")).to_have_attribute("data-code", "null_geometry")
    expect(rejected.locator("tr[data-row='3']")).to_contain_text("Không có hình học")
    expect(page.locator("#preview-summary [data-field='features']")).to_have_text("3 hợp lệ / 4 dòng đọc được")
    expect(page.locator("#report-ok")).to_have_count(0)
    page.locator("#preview-report").scroll_into_view_if_needed()
    page.screenshot(path=SHOT.format("-report"))


def test_a_graduated_style_colours_features_by_class_at_once(
    page: Page, live_server: str, committed_users: dict[str, str], layer_api: LayerApi
) -> None:
    slug = LayerApi.new_slug()
    layer_api.create(slug, title_vi="Quy mô công trình")
    layer_api.upload(slug, "cong-trinh.geojson", services_geojson())
    planner(page, live_server, committed_users, slug)
    expect(page.locator(f"#planner-map path.layer-{slug}")).to_have_count(6)

    page.click("#tab-button-style")
    page.check("#tab-style input[name='style-type'][value='graduated']", force=True)
    expect(page.locator("#style-field")).to_have_value("suc_chua")  # the only numeric attribute
    page.select_option("#style-ramp", "reds")
    page.fill("#style-classes", "3")
    page.dispatch_event("#style-classes", "change")
    rows = page.locator("#style-rows li[data-min]")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator(".row-label")).to_have_value("0 – 180")  # equal interval over 0..540
    expect(rows.nth(2).locator(".row-label")).to_have_value("360 – 540")
    first = rows.nth(0).locator("input[type='color']").input_value()
    last = rows.nth(2).locator("input[type='color']").input_value()
    assert first != last
    # Trường THCS Nguyễn Du (540) is in the top class, the market (0) in the first
    expect(page.locator(f"#planner-map path.layer-{slug}.fid-1")).to_have_css("fill", rgb(last))
    expect(page.locator(f"#planner-map path.layer-{slug}.fid-3")).to_have_css("fill", rgb(first))

    page.select_option("#style-method", "quantile")
    expect(page.locator("#style-rows li[data-min]").first.locator(".row-label")).not_to_have_value("0 – 180")
    page.click("#style-reset")  # nothing saved: back to the single symbol
    expect(page.locator("#tab-style input[value='single']")).to_be_checked()
    fill_single = computed_fill(page, f"#planner-map path.layer-{slug}.fid-1")
    assert fill_single == computed_fill(page, f"#planner-map path.layer-{slug}.fid-3")


def test_restoring_an_earlier_version_from_the_history(
    page: Page, live_server: str, committed_users: dict[str, str], layer_api: LayerApi
) -> None:
    slug = LayerApi.new_slug()
    layer_api.create(slug, title_vi="Chợ và trường", visibility="public", default_on=True)
    layer_api.upload(slug, "v1.geojson", services_geojson(SERVICES[:2]))
    layer_api.upload(slug, "v2.geojson", services_geojson())
    planner(page, live_server, committed_users, slug)
    expect(page.locator("#map-mode")).to_contain_text("Phiên bản 2 đang dùng · 6 đối tượng")

    page.click("#tab-button-versions")
    versions = page.locator("#versions-list li.version")
    expect(versions).to_have_count(2)
    expect(page.locator("#versions-list li[data-version='2']")).to_contain_text("đang dùng")
    old = page.locator("#versions-list li[data-version='1']")
    expect(old).to_contain_text("2 đối tượng")
    expect(old).to_contain_text("v1.geojson")

    old.locator("button[data-action='diff']").click()
    diff = page.locator("#version-diff")
    expect(diff.locator("[data-field='count']")).to_have_text("2 → 6 (+4)")
    expect(diff.locator("[data-field='extent']")).to_have_text("đã thay đổi")
    expect(diff.locator("[data-field='features']")).to_contain_text("2 giống nhau")
    page.screenshot(path=SHOT.format("-versions"))

    old.locator("button[data-action='restore']").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Khôi phục phiên bản 1?")
    with page.expect_response(f"**/api/v1/layers/{slug}/versions/1/restore") as restored:
        page.click("#confirm-ok")
    assert restored.value.status == 200
    expect(page.locator("#map-mode")).to_contain_text("Phiên bản 1 đang dùng · 2 đối tượng")
    expect(page.locator(f"#planner-map path.layer-{slug}")).to_have_count(2)
    expect(page.locator("#versions-list li[data-version='1']")).to_contain_text("đang dùng")
    expect(page.locator(f"#layer-list li[data-slug='{slug}']")).to_contain_text("v1 · 2 đối tượng")
    assert layer_api.admin(slug)["version"] == 1

    open_map(page, live_server)  # and the main map follows
    expect(page.locator(f"#map path.layer-{slug}")).to_have_count(2)


def test_the_visibility_switch_and_deleting_a_layer_after_confirmation(
    page: Page, live_server: str, committed_users: dict[str, str], layer_api: LayerApi
) -> None:
    slug = LayerApi.new_slug()
    layer_api.create(slug, title_vi="Lớp tạm")
    planner(page, live_server, committed_users, slug)
    row = page.locator(f"#layer-list li[data-slug='{slug}'] .pill")
    expect(row).to_have_attribute("data-visibility", "internal")
    expect(page.locator("#visibility-label")).to_have_text("Nội bộ (cán bộ)")

    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/layers/{slug}") and r.request.method == "PATCH"):
        page.click(".switch-track")
    expect(row).to_have_attribute("data-visibility", "public")
    expect(page.locator("#visibility-label")).to_have_text("Công khai")
    assert layer_api.admin(slug)["visibility"] == "public"

    page.click("#tab-button-meta")
    page.click("#layer-delete")
    expect(page.locator("#confirm-dialog")).to_contain_text(slug)
    page.click("#confirm-cancel")  # changing one's mind keeps the layer
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    assert layer_api.http.get(f"/api/v1/layers/{slug}/admin").status_code == 200

    page.click("#layer-delete")
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/layers/{slug}") and r.request.method == "DELETE"):
        page.click("#confirm-ok")
    expect(page.locator(f"#layer-list li[data-slug='{slug}']")).to_have_count(0)
    expect(page.locator("#work-empty")).to_be_visible()
    assert layer_api.http.get(f"/api/v1/layers/{slug}/admin").status_code == 404


def test_a_citizen_and_a_visitor_are_turned_away_from_the_planner_page(
    page: Page, page_log: PageLog, live_server: str, committed_users: dict[str, str]
) -> None:
    page.goto(f"{live_server}/planner")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    expect(page.locator("body")).to_have_attribute("data-access", "signed-out")
    expect(page.locator("#planner-gate")).to_contain_text("Cần đăng nhập")
    expect(page.locator("#planner-app")).to_be_hidden()

    login(page, committed_users["citizen"], PASSWORD)
    expect(page.locator("body")).to_have_attribute("data-access", "denied")
    expect(page.locator("#gate-message")).to_contain_text("Người dân")
    expect(page.locator("#planner-app")).to_be_hidden()
    page.screenshot(path=SHOT.format("-denied"))
    assert not any("/admin" in u or u.endswith("/api/v1/layers") for u in page_log.requests)

    open_map(page, live_server)  # the header link is for planners and admins only
    expect(page.locator("#planner-link")).to_be_hidden()
    page.click("#logout-button")
    login(page, committed_users["planner"], PASSWORD)
    expect(page.locator("#planner-link")).to_be_visible()
    page.click("#planner-link")
    page.wait_for_selector("body[data-ready='1'][data-access='granted']", state="attached")
    expect(page.locator("#layer-list li[data-slug='communes']")).to_be_visible()


def test_an_internal_layer_is_drawn_for_staff_and_never_reaches_a_visitor(
    page: Page, page_log: PageLog, live_server: str, committed_users: dict[str, str], layer_api: LayerApi
) -> None:
    slug = LayerApi.new_slug()
    layer_api.create(slug, title_vi="Điểm nóng nội bộ", visibility="internal", default_on=True)
    layer_api.upload(slug, "noi-bo.geojson", services_geojson())

    open_map(page, live_server)
    expect(page.locator("#map path.commune")).to_have_count(10)
    expect(page.locator(f"input[data-layer='{slug}']")).to_have_count(0)
    expect(page.locator(f"#map path.layer-{slug}")).to_have_count(0)
    assert not any(slug in u for u in page_log.requests)

    login(page, committed_users["officer"], PASSWORD)
    page.wait_for_selector(READY, state="attached")
    item = page.locator(f"#layer-switcher .layer-item[data-slug='{slug}']")
    expect(item).to_contain_text("nội bộ")
    expect(page.locator(f"#map path.layer-{slug}")).to_have_count(6)

    page.click("#logout-button")
    page.wait_for_selector(READY, state="attached")
    expect(page.locator(f"#map path.layer-{slug}")).to_have_count(0)
    expect(page.locator(f"input[data-layer='{slug}']")).to_have_count(0)


def test_a_large_layer_is_drawn_from_vector_tiles_with_its_style_and_popups(
    page: Page, page_log: PageLog, live_server: str, committed_users: dict[str, str], layer_api: LayerApi
) -> None:
    slug = LayerApi.new_slug()
    n = 6000  # land parcels: over the 5,000 features drawn as GeoJSON
    side = 0.0012
    features = []
    for i in range(n):
        x, y = 107.60 + (i % 80) * 0.0015, 12.42 + (i // 80) * 0.0015
        ring = [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                         "properties": {"so_thua": i + 1, "loai_dat": "Đất ở" if i % 3 else "Đất trồng cà phê"}})
    data = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
    layer_api.create(slug, title_vi="Thửa đất", visibility="public", default_on=True)
    layer_api.upload(slug, "thua-dat.geojson", data)
    layer_api.patch(slug, style={
        "type": "categorised", "field": "loai_dat", "color": "#ffffff", "weight": 0.5, "fillOpacity": 0.8,
        "categories": [{"value": "Đất ở", "color": "#f97316", "label": "Đất ở"},
                       {"value": "Đất trồng cà phê", "color": "#15803d", "label": "Cà phê"}]})
    catalogue = httpx.get(f"{live_server}/api/v1/layers").json()
    assert next(m for m in catalogue if m["slug"] == slug)["feature_count"] == n

    open_map(page, live_server)
    page.evaluate("window.iocmap.map.setView([12.4486, 107.6300], 16)")
    page.wait_for_function(f"document.querySelectorAll('#map path.layer-{slug}').length > 20", polling=200,
                           timeout=20_000)
    assert any(f"/tiles/{slug}/" in u and ".mvt" in u for u in page_log.requests)
    assert not any(u.endswith(f"/api/v1/layers/{slug}/features") for u in page_log.requests)
    fills = set(page.eval_on_selector_all(f"#map path.layer-{slug}", "els => els.map(e => getComputedStyle(e).fill)"))
    assert fills == {rgb("#f97316"), rgb("#15803d")}, fills
    page.screenshot(path=SHOT.format("-tiles"))
    page.locator(f"#map path.layer-{slug}").nth(5).click()
    popup = page.locator(".leaflet-popup .popup")
    expect(popup.locator(".popup-title")).to_have_text(re.compile("^Đất (ở|trồng cà phê)$"))  # the text field
    expect(popup.locator("dt[data-field='so_thua']")).to_have_text("so_thua")
    expect(popup.locator("dd[data-field='so_thua']")).to_have_text(re.compile(r"^[\d.]+$"))

    # the planner's map draws it from tiles too; categories come from a sample of the layer
    planner(page, live_server, committed_users, slug)
    expect(page.locator("#layer-subtitle")).to_contain_text("vẽ bằng ô vector")
    page.wait_for_function(f"document.querySelectorAll('#planner-map path.layer-{slug}').length > 20", polling=200,
                           timeout=20_000)
    page.click("#tab-button-style")
    page.click("#style-generate")
    expect(page.locator("#style-sample")).to_have_text("Từ 5.000 đối tượng đã xuất bản")
    expect(page.locator("#style-rows li[data-value]")).to_have_count(2)
    assert page_log.page_errors == []
    assert page_log.console_errors == []


def test_a_background_import_shows_its_progress_until_published(
    page: Page, page_log: PageLog, live_server: str, committed_users: dict[str, str], layer_api: LayerApi
) -> None:
    slug = LayerApi.new_slug()
    layer_api.create(slug, title_vi="Nhập nền")

    def as_background(route: Route) -> None:
        """Large files are imported in the background (202): ask the server to treat this one so."""
        request = route.request
        boundary = re.search(r"boundary=(\S+)", request.headers["content-type"]).group(1)  # type: ignore[union-attr]
        body = request.post_data_buffer or b""
        end = f"--{boundary}--".encode()
        field = f'--{boundary}\r\nContent-Disposition: form-data; name="background"\r\n\r\ntrue\r\n'.encode()
        route.continue_(post_data=body.replace(end, field + end))

    page.route(f"**/api/v1/layers/{slug}/uploads", as_background)
    planner(page, live_server, committed_users, slug)
    drop_file(page, "#drop-zone", "cong-trinh.geojson", services_geojson(), "application/geo+json")
    expect(page.locator("#preview")).to_be_visible()
    # remember whether the progress box was ever shown (the job may take only a moment)
    page.evaluate("""() => {
        const box = document.getElementById('job-progress');
        new MutationObserver(() => { if (!box.hidden) window.progressShown = true; })
            .observe(box, { attributes: true, attributeFilter: ['hidden'] });
    }""")
    with page.expect_response(f"**/api/v1/layers/{slug}/uploads") as upload:
        page.click("#publish-button")
    assert upload.value.status == 202
    status_url = upload.value.json()["status_url"]
    expect(page.locator("#publish-result")).to_have_attribute("data-version", "1", timeout=20_000)
    assert page.evaluate("window.progressShown === true")
    assert any(u.endswith(status_url) for u in page_log.requests)  # the job was polled
    expect(page.locator(f"#planner-map path.layer-{slug}")).to_have_count(6)
    assert layer_api.admin(slug)["version"] == 1


def test_the_planner_page_speaks_english_too(
    page: Page, live_server: str, committed_users: dict[str, str], layer_api: LayerApi
) -> None:
    slug = LayerApi.new_slug()
    layer_api.create(slug, title_vi="Trường học", title_en="Schools")
    planner(page, live_server, committed_users, slug)
    page.click("#lang-toggle")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.title() == "iocmap — Map layer management"
    expect(page.locator("#layer-title")).to_have_text("Schools")
    expect(page.locator("#tab-button-style")).to_have_text("Style")
    expect(page.locator("#drop-zone")).to_contain_text("Drop a data file here")
    expect(page.locator("#upload-crs option[value='']")).to_have_text("From the file")
    expect(page.locator("#visibility-label")).to_have_text("Internal (staff)")
    page.click("#lang-toggle")
    expect(page.locator("#tab-button-style")).to_have_text("Kiểu hiển thị")


def test_the_catalogue_tells_the_map_each_layers_size_extent_and_popup_fields(
    live_server: str, layer_api: LayerApi
) -> None:
    slug = LayerApi.new_slug()
    layer_api.create(slug, title_vi="Công trình", visibility="public")
    empty = next(m for m in httpx.get(f"{live_server}/api/v1/layers").json() if m["slug"] == slug)
    assert empty["feature_count"] == 0 and empty["bbox"] is None and empty["attributes"] == []
    layer_api.upload(slug, "a.geojson", services_geojson())
    layer_api.patch(slug, attributes=[{"name": "loai", "label_vi": "Loại", "popup": True},
                                      {"name": "suc_chua", "popup": False}])
    entry: dict[str, Any] = httpx.get(f"{live_server}/api/v1/layers/{slug}").json()
    assert entry["feature_count"] == 6
    assert entry["bbox"] == [107.635, 12.4452, 107.695, 12.53]
    popup = {a["name"]: (a["label_vi"], a["popup"]) for a in entry["attributes"]}
    assert popup == {"ten": ("ten", True), "loai": ("Loại", True), "suc_chua": ("suc_chua", False)}
