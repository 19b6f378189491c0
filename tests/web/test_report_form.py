"""The citizens' report page (/report) on a phone-sized screen, in real Chromium against the
live server: pin, category, text, photo, contact, submit; "me too" instead of a duplicate;
retries that never file twice; refusals shown as the server wrote them; the public map of
reports with status popups."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, Request, Route, expect
from sqlalchemy import Engine

from tests.web.feedback_ui import (
    AGENCY,
    CODE_RE,
    FeedbackApi,
    map_point,
    png_bytes,
    set_map_view,
    sign_in,
    upload,
)
from tests.web.mapui import PageLog

PHONE = {"width": 390, "height": 844}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def viewport() -> dict[str, int]:
    return PHONE


@pytest.fixture
def fb(live_server: str, engine: Engine) -> Iterator[FeedbackApi]:
    api = FeedbackApi(live_server, engine)
    yield api
    api.close()


def open_form(page: Page, context: BrowserContext, base: str, lon: float, lat: float) -> None:
    """Open /report with the phone's GPS at (lon, lat) and location access granted."""
    context.grant_permissions(["geolocation"], origin=base)
    context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 12})
    page.goto(f"{base}/report")
    page.wait_for_selector("body[data-ready='1']", state="attached")


def use_my_location(page: Page, commune_name: str = "Xã Đức Lập") -> None:
    page.click("#locate-button")
    expect(page.locator("#location-readout")).to_have_attribute("data-state", "inside")
    expect(page.locator("#location-readout")).to_contain_text(commune_name)


def fill_text(page: Page, title: str, description: str = "Rác để nhiều ngày, bốc mùi, chưa thu gom.") -> None:
    page.fill("#title-input", title)
    page.fill("#description-input", description)


def test_a_citizen_reports_a_problem_from_a_phone_and_gets_a_tracking_code(
    page: Page, context: BrowserContext, live_server: str, fb: FeedbackApi, page_log: PageLog,
) -> None:
    lon, lat = fb.spot()
    assert fb.agency_for(lon, lat) == AGENCY  # commune 24664 + waste -> its People's Committee
    posted: list[Request] = []
    page.on("request", lambda r: posted.append(r) if r.method == "POST" and r.url.endswith("/api/v1/reports") else None)
    open_form(page, context, live_server, lon, lat)
    expect(page.locator("#location-readout")).to_have_attribute("data-state", "unset")

    # tapping the map moves the pin there; "my location" then puts it on the GPS fix
    page.uncheck("#reports-toggle")  # nothing on the map to tap by mistake
    page.locator("#report-map").click(position=map_point(page, "iocmapReport", lon + 0.01, lat))
    expect(page.locator("#location-readout")).not_to_have_attribute("data-state", "unset")
    expect(page.locator(".pin-marker")).not_to_have_class(re.compile("is-unset"))
    coords = page.locator("#location-readout .coords")
    tapped = coords.inner_text()
    pin = page.locator(".pin-marker").bounding_box()
    assert pin is not None
    tip = (pin["x"] + pin["width"] / 2, pin["y"] + pin["height"] - 2)
    page.mouse.move(tip[0], tip[1] - 20)
    page.mouse.down()
    page.mouse.move(tip[0] - 40, tip[1] - 60, steps=8)
    page.mouse.up()
    expect(coords).not_to_have_text(tapped)  # dragged somewhere else
    use_my_location(page)
    expect(page.locator("#location-readout .coords")).to_have_text(f"{lat:.5f}, {lon:.5f}")

    page.locator("label[data-category='waste']").click()
    expect(page.locator("#route-preview")).to_have_attribute("data-agency", AGENCY)
    expect(page.locator("#nearby-panel")).to_be_hidden()
    title = "Rác tồn đọng cạnh cổng chợ"
    fill_text(page, title)
    page.set_input_files("#photo-input", files=[upload("hien-truong.png", png_bytes(), "image/png")])
    expect(page.locator("#photo-list .photo-item")).to_have_count(1)
    page.fill("#name-input", "Trần Văn An")
    page.fill("#phone-input", "0912 345 678")
    page.check("#share-contact")
    page.screenshot(path="/tmp/iocmap-report-form.png")

    page.click("#submit-button")
    done = page.locator("#report-done")
    expect(done).to_be_visible(timeout=20_000)
    code = page.locator("#done-code").inner_text()
    fb.track(code)
    assert re.match(CODE_RE, code)
    assert re.match(rf"^{re.escape(live_server)}/track#token=[A-Za-z0-9_-]{{20,}}$", page.input_value("#done-link"))
    expect(page.locator("#done-agency")).to_contain_text("UBND")
    page.screenshot(path="/tmp/iocmap-report-done.png")

    assert len(posted) == 1 and UUID_RE.match(posted[0].headers["idempotency-key"])
    report = fb.public(code)
    assert (report["status"], report["category"]["code"], report["agency"]["code"]) == ("received", "waste", AGENCY)
    assert report["title"] == title and len(report["photos"]) == 1
    assert report["location"] == {"lon": lon, "lat": lat, "precision": "point"}
    public_text = str(report)
    assert "0912" not in public_text and "Trần Văn An" not in public_text

    # the track page by that code shows the public timeline
    page.click("#done-track")
    page.wait_for_selector("#track-result[data-code]", state="visible")
    expect(page.locator("#result-code")).to_have_text(code)
    expect(page.locator("#result-timeline .timeline-item[data-action='created']")).to_have_count(1)
    expect(page.locator("#result-photos img")).to_have_count(1)
    # the device remembers the private link of what it sent, until told to forget it
    expect(page.locator(f"#my-reports-list [data-code='{code}'] a")).to_have_attribute("href", re.compile("^/track#token="))
    page.click("#forget-mine")
    expect(page.locator("#my-reports")).to_be_hidden()
    assert page_log.console_errors == [] and page_log.page_errors == []
    assert page_log.external_requests == []


def test_a_retry_after_a_lost_answer_sends_the_same_key_and_files_one_report(
    page: Page, context: BrowserContext, live_server: str, fb: FeedbackApi,
) -> None:
    lon, lat = fb.spot()
    keys: list[str] = []
    lost = {"done": False}

    def lose_first_answer(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if lost["done"]:
            route.continue_()
            return
        lost["done"] = True
        route.fetch()  # the server stores the report ...
        route.abort("connectionreset")  # ... but the answer never reaches the phone

    open_form(page, context, live_server, lon, lat)
    page.route("**/api/v1/reports", lose_first_answer)
    use_my_location(page)
    page.locator("label[data-category='waste']").click()
    fill_text(page, "Rác chắn lối đi vào xóm")
    page.click("#submit-button")
    expect(page.locator("#form-error")).to_contain_text("Không kết nối được máy chủ")
    expect(page.locator("#form-error")).to_contain_text("không bị gửi trùng")

    # the report the lost request created is offered as "nearby"; sending the form again
    # (same key) returns that very report instead of filing a second one
    lost_code = fb.track(fb.reports_near(lon, lat)[0]["code"])
    page.click("#submit-button")
    expect(page.locator(f"#nearby-list [data-code='{lost_code}']")).to_be_visible()
    page.click("#nearby-new")
    expect(page.locator("#report-done")).to_be_visible(timeout=20_000)
    assert page.locator("#done-code").inner_text() == lost_code
    assert len(keys) == 2 and keys[0] == keys[1] and UUID_RE.match(keys[0])
    assert [r["code"] for r in fb.reports_near(lon, lat)] == [lost_code]


def test_me_too_supports_the_open_report_nearby_instead_of_filing_a_duplicate(
    page: Page, context: BrowserContext, live_server: str, fb: FeedbackApi,
) -> None:
    lon, lat = fb.spot()
    first = fb.submit(lon, lat, as_user=fb.user("citizen"), title="Đống rác lớn ở đầu hẻm")
    open_form(page, context, live_server, lon + 0.00003, lat)  # ~3 m away
    use_my_location(page)
    page.locator("label[data-category='waste']").click()
    item = page.locator(f"#nearby-list .nearby-item[data-code='{first['code']}']")
    expect(item).to_be_visible()
    expect(item).to_contain_text("Đống rác lớn ở đầu hẻm")
    page.locator("#nearby-panel").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/iocmap-report-nearby.png")

    item.locator(".support-button").click()
    expect(item.locator(".support-done")).to_contain_text("1")
    assert fb.public(first["code"])["supporters"] == 1

    # sending anyway asks again first: nothing is filed until "send a new report" is chosen
    fill_text(page, "Rác ở đầu hẻm")
    page.click("#submit-button")
    expect(page.locator("#nearby-panel")).to_have_class(re.compile("is-attention"))
    expect(page.locator("#form-error")).to_contain_text("Tôi cũng gặp")
    expect(page.locator("#report-done")).to_be_hidden()
    assert [r["code"] for r in fb.reports_near(lon, lat)] == [first["code"]]


def test_photo_count_size_and_type_are_checked_before_anything_is_sent(
    page: Page, context: BrowserContext, live_server: str, fb: FeedbackApi,
) -> None:
    lon, lat = fb.spot()
    open_form(page, context, live_server, lon, lat)
    photos = [upload(f"anh-{i}.png", png_bytes((20 * i, 90, 70)), "image/png") for i in range(6)]
    page.set_input_files("#photo-input", files=photos)
    expect(page.locator("#photo-list .photo-item")).to_have_count(5)
    expect(page.locator("#photo-error")).to_contain_text("Tối đa 5 ảnh")
    expect(page.locator("#photo-error")).to_contain_text("anh-5.png")
    expect(page.locator("#photo-add")).to_have_class(re.compile("is-disabled"))

    page.locator("#photo-list .photo-remove").first.click()
    expect(page.locator("#photo-list .photo-item")).to_have_count(4)
    # a 10 MB + 1 byte photo, made inside the page (sending 10 MB through the driver is slow)
    page.evaluate("""() => {
        const input = document.getElementById("photo-input");
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(10 * 1024 * 1024 + 1)], "qua-lon.jpg", { type: "image/jpeg" }));
        input.files = dt.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
    }""")
    expect(page.locator("#photo-error")).to_contain_text("qua-lon.jpg")
    expect(page.locator("#photo-error")).to_contain_text("10,1 MB, quá giới hạn 10 MB")
    page.set_input_files("#photo-input", files=[upload("ghi-chu.txt", b"hello", "text/plain")])
    expect(page.locator("#photo-error")).to_contain_text("không phải ảnh JPEG, PNG, WebP hoặc HEIC")
    expect(page.locator("#photo-list .photo-item")).to_have_count(4)


def test_an_empty_form_says_what_is_missing_and_sends_nothing(
    page: Page, context: BrowserContext, live_server: str, fb: FeedbackApi, page_log: PageLog,
) -> None:
    lon, lat = fb.spot()
    open_form(page, context, live_server, lon, lat)
    page.click("#submit-button")
    error = page.locator("#form-error")
    for text in ("chọn vị trí", "chọn lĩnh vực", "Tiêu đề", "nội dung"):
        expect(error).to_contain_text(text)
    assert not [u for u in page_log.requests if u.endswith("/api/v1/reports")]
    page.click("#lang-toggle")
    expect(page.locator("#submit-button")).to_have_text("Send report")
    expect(page.locator("#locate-button")).to_contain_text("Use my location")


def test_a_place_outside_the_district_is_refused_with_the_servers_message(
    page: Page, context: BrowserContext, live_server: str, fb: FeedbackApi,
) -> None:
    hanoi = (105.8542, 21.0285)
    open_form(page, context, live_server, *hanoi)
    page.click("#locate-button")
    expect(page.locator("#location-readout")).to_have_attribute("data-state", "outside")
    page.locator("label[data-category='waste']").click()
    fill_text(page, "Rác ở Hà Nội")
    page.click("#submit-button")
    expect(page.locator("#form-error")).to_contain_text("Vị trí nằm ngoài địa bàn / the point is outside the district")
    expect(page.locator("#report-done")).to_be_hidden()
    assert fb.reports_near(*hanoi, metres=500) == []


def test_the_servers_refusal_of_a_fake_photo_is_shown_verbatim(
    page: Page, context: BrowserContext, live_server: str, fb: FeedbackApi,
) -> None:
    lon, lat = fb.spot()
    open_form(page, context, live_server, lon, lat)
    use_my_location(page)
    page.locator("label[data-category='waste']").click()
    fill_text(page, "Ảnh giả")
    page.set_input_files("#photo-input", files=[upload("anh.jpg", b"not an image at all", "image/jpeg")])
    page.click("#submit-button")
    expect(page.locator("#form-error")).to_contain_text(
        "Ảnh số 1: không phải ảnh JPEG, PNG, WebP hoặc HEIC / photo 1: not a JPEG, PNG, WebP or HEIC image")
    assert fb.reports_near(lon, lat) == []


def test_the_public_map_shows_reports_as_status_markers_with_popups(
    page: Page, context: BrowserContext, live_server: str, fb: FeedbackApi, page_log: PageLog,
) -> None:
    lon, lat = fb.spot()
    report = fb.submit(lon, lat, as_user=fb.user("citizen"), title="Đèn đường hỏng cả tuần", category="street_lighting")
    open_form(page, context, live_server, lon, lat)
    set_map_view(page, "iocmapReport", lon, lat, 18)
    dot = page.locator(f"#report-map .report-dot[data-code='{report['code']}']")
    expect(dot).to_be_visible()
    expect(dot).to_have_attribute("data-status", "received")
    dot.click()
    popup = page.locator(".report-popup")
    expect(popup).to_contain_text("Đèn đường hỏng cả tuần")
    expect(popup).to_contain_text(report["code"])
    expect(popup).to_contain_text("Còn")
    expect(popup.locator("[data-fact='agency']")).to_have_text(report["agency"]["name_vi"])
    expect(popup.locator(".status-badge")).to_have_attribute("data-status", "received")
    expect(page.locator("#reports-status")).to_be_hidden()  # overlays step aside for the popup
    page.wait_for_timeout(300)  # the popup's fade-in
    page.screenshot(path="/tmp/iocmap-report-map.png")
    views = [u for u in page_log.requests if "/api/v1/reports/clusters" in u]
    assert views and all("bbox=" in u and "zoom=" in u for u in views)


def test_a_signed_in_citizen_answers_the_categorys_extra_question(
    page: Page, context: BrowserContext, live_server: str, fb: FeedbackApi,
) -> None:
    lon, lat = fb.spot()
    citizen = fb.user("citizen")
    open_form(page, context, live_server, lon, lat)
    sign_in(page, citizen)
    expect(page.locator("#account-note")).to_be_visible()
    use_my_location(page)
    page.locator("label[data-category='roads']").click()
    question = page.locator("#answer-danger")
    expect(page.locator("label[for='answer-danger']")).to_have_text("Có nguy hiểm cho người đi đường không?")
    question.select_option("yes")
    expect(page.locator("#route-preview")).to_have_attribute("data-agency", "phong-ktht")
    fill_text(page, "Ổ gà sâu giữa đường liên xã")
    page.click("#submit-button")
    expect(page.locator("#report-done")).to_be_visible(timeout=20_000)
    code = fb.track(page.locator("#done-code").inner_text())
    report = fb.public(code)
    assert (report["category"]["code"], report["answers"]) == ("roads", {"danger": "yes"})
    mine = fb.http.get("/api/v1/reports/mine", headers=fb.auth(citizen)).json()
    assert code in [r["code"] for r in mine]  # signed in and not anonymous: linked to the account

    page.click("#done-track")
    expect(page.locator("#result-facts dd[data-fact='answer-danger']")).to_have_text("Có")
    expect(page.locator("#result-facts")).to_contain_text("Có nguy hiểm cho người đi đường không?")


def test_with_poor_gps_the_citizen_sends_the_commune_and_a_village_only(
    page: Page, context: BrowserContext, live_server: str, fb: FeedbackApi,
) -> None:
    lon, lat = fb.spot()
    context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 850})
    context.grant_permissions(["geolocation"], origin=live_server)
    page.goto(f"{live_server}/report")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    sign_in(page, fb.user("citizen"))
    page.click("#locate-button")
    expect(page.locator("#gps-note")).to_contain_text("±850 m")
    page.check("#commune-mode")
    expect(page.locator("#commune-fields")).to_be_visible()
    page.select_option("#commune-select", "24664")
    expect(page.locator("#location-readout")).to_have_attribute("data-state", "commune")
    page.fill("#address-input", "Thôn 9, gần nhà văn hóa")
    page.locator("label[data-category='waste']").click()
    expect(page.locator("#route-preview")).to_have_attribute("data-agency", AGENCY)
    fill_text(page, "Rác sau nhà văn hóa thôn 9")
    page.click("#submit-button")
    expect(page.locator("#report-done")).to_be_visible(timeout=20_000)
    report = fb.public(fb.track(page.locator("#done-code").inner_text()))
    assert report["location"]["precision"] == "commune"
    assert (report["commune"]["code"], report["address"]) == ("24664", "Thôn 9, gần nhà văn hóa")
