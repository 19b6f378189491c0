"""The officers' inbox (/officer) in real Chromium: an officer of the agency a report was
routed to works it received -> assigned -> in_progress -> resolved with a public note that
then shows on the public track page; contact only when shared; bulk assignment; filters;
citizens, visitors and officers of other agencies are kept out."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from tests.web.feedback_ui import AGENCY, FeedbackApi, set_map_view, sign_in
from tests.web.mapui import PageLog

READY = "body[data-access='granted'][data-ready='1']"


@pytest.fixture
def fb(live_server: str, engine: Engine) -> Iterator[FeedbackApi]:
    api = FeedbackApi(live_server, engine)
    yield api
    api.close()


@pytest.fixture
def officer(fb: FeedbackApi) -> str:
    """An officer of ubnd-24664, the agency waste reports in commune 24664 are routed to."""
    return fb.user("officer", [AGENCY])


def open_inbox(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/officer")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    sign_in(page, username)
    page.wait_for_selector(READY, state="attached")


def newest_first(page: Page) -> None:
    page.select_option("#filter-sort", "-received_at")


def row(page: Page, code: str):
    return page.locator(f"#inbox-list .inbox-row[data-code='{code}']")


def act(page: Page, action: str, *, public_note: str | None = None, internal_note: str | None = None) -> None:
    """Press a transition button, fill the notes, confirm."""
    page.click(f"#case-actions [data-action='{action}']")
    if public_note is not None:
        page.fill("#public-note", public_note)
    if internal_note is not None:
        page.fill("#internal-note", internal_note)
    page.click("#action-submit")


def test_an_officer_of_the_routed_agency_resolves_a_report_and_the_public_sees_the_note(
    page: Page, live_server: str, fb: FeedbackApi, officer: str, page_log: PageLog,
) -> None:
    lon, lat = fb.spot()
    assert fb.agency_for(lon, lat) == AGENCY
    report = fb.submit(lon, lat, as_user=fb.user("citizen"), title="Rác tràn ra đường liên thôn",
                       reporter_name="Võ Thị Lan", reporter_phone="0934567890", share_contact=True)
    code = report["code"]
    open_inbox(page, live_server, officer)
    expect(page.locator("#inbox-scope")).to_contain_text("UBND")
    newest_first(page)
    expect(row(page, code)).to_be_visible()
    expect(row(page, code).locator(".status-badge")).to_have_attribute("data-status", "received")
    set_map_view(page, "iocmapInbox", lon, lat, 17)
    expect(page.locator(f"#inbox-map .report-dot[data-code='{code}']")).to_be_visible()
    page.screenshot(path="/tmp/iocmap-inbox.png")

    row(page, code).locator(".row-open").click()
    case = page.locator("#case-view")
    expect(case).to_have_attribute("data-status", "received")
    expect(page.locator("#case-contact")).to_contain_text("0934567890")
    expect(page.locator("#case-actions [data-action]")).to_have_count(5)  # 4 moves + hide text

    act(page, "assigned", internal_note="Tự nhận, đi kiểm tra chiều nay")
    expect(case).to_have_attribute("data-status", "assigned")
    expect(case.locator("dd[data-fact='assignee']")).to_contain_text(officer)
    act(page, "in_progress", public_note="Cán bộ đã xuống hiện trường.")
    expect(case).to_have_attribute("data-status", "in_progress")

    page.click("#case-actions [data-action='resolved']")
    page.click("#action-submit")  # the public note is required for a resolution
    expect(page.locator("#action-error")).to_contain_text("ghi chú công khai")
    templates = page.locator("#template-select")
    expect(templates).to_be_enabled()
    templates.select_option("da-xu-ly")
    expect(page.locator("#public-note")).to_have_value(re.compile("^Cơ quan đã kiểm tra hiện trường và xử lý xong"))
    page.fill("#internal-note", "Thuê xe chở rác 800.000đ")
    page.screenshot(path="/tmp/iocmap-inbox-case.png")
    page.click("#action-submit")
    expect(case).to_have_attribute("data-status", "resolved")
    expect(case.locator(".timeline-note.is-internal")).to_have_count(2)
    expect(row(page, code).locator(".status-badge")).to_have_attribute("data-status", "resolved")

    # closing before the citizen's 7 days are up: the server's refusal, verbatim
    act(page, "closed")
    expect(page.locator("#action-error")).to_contain_text("Đang chờ người dân xác nhận kết quả (7 ngày)")
    assert page_log.page_errors == []

    public = page.context.new_page()
    public.goto(f"{live_server}/track?code={code}")
    timeline = public.locator("#result-timeline")
    expect(timeline.locator(".timeline-item")).to_have_count(4)
    expect(timeline).to_contain_text("Cơ quan đã kiểm tra hiện trường và xử lý xong")
    expect(timeline).to_contain_text("Cán bộ đã xuống hiện trường.")
    text = public.locator("body").inner_text()
    assert "800.000đ" not in text and "chiều nay" not in text and "0934567890" not in text
    assert fb.public(code)["status"] == "resolved"


def test_the_contact_stays_hidden_from_officers_when_the_reporter_did_not_agree(
    page: Page, live_server: str, fb: FeedbackApi, officer: str,
) -> None:
    lon, lat = fb.spot()
    report = fb.submit(lon, lat, as_user=fb.user("citizen"), reporter_name="Hồ Văn Bình",
                       reporter_phone="0977000111", share_contact=False)
    open_inbox(page, live_server, officer)
    page.fill("#open-code", report["code"])
    page.click("#open-code-button")
    expect(page.locator("#case-view")).to_have_attribute("data-status", "received")
    expect(page.locator("#case-contact")).to_have_attribute("data-shared", "false")
    expect(page.locator("#case-contact")).to_contain_text("không đồng ý chia sẻ")
    assert "0977000111" not in page.locator("#case-view").inner_text()
    assert "Hồ Văn Bình" not in page.locator("#case-view").inner_text()


def test_bulk_assignment_and_the_filters(page: Page, live_server: str, fb: FeedbackApi, officer: str) -> None:
    lon, lat = fb.spot()
    citizen = fb.user("citizen")
    first = fb.submit(lon, lat, as_user=citizen, title="Rác lô A")["code"]
    second = fb.submit(lon + 0.002, lat, as_user=citizen, title="Rác lô B")["code"]
    open_inbox(page, live_server, officer)
    newest_first(page)
    page.select_option("#filter-category", "waste")
    for code in (first, second):
        expect(row(page, code)).to_be_visible()
        row(page, code).locator(".row-check").check()
    expect(page.locator("#bulk-bar")).to_be_visible()
    expect(page.locator("#bulk-count")).to_have_text("Đã chọn 2")
    page.click("#bulk-assign")
    expect(page.locator("#bulk-error")).to_contain_text("tên đăng nhập")
    page.fill("#bulk-assignee", "khong-co-ai")
    page.click("#bulk-assign")
    expect(page.locator("#bulk-error")).to_contain_text("khong-co-ai")  # the server names the problem
    page.fill("#bulk-assignee", officer)
    page.click("#bulk-assign")
    for code in (first, second):
        expect(row(page, code).locator(".status-badge")).to_have_attribute("data-status", "assigned")
    assert {fb.public(c)["status"] for c in (first, second)} == {"assigned"}

    # only "assigned" cases, only mine: both stay; only "received": both go
    for chip in ("received", "in_progress", "resolved"):
        page.click(f"#status-filter [data-status='{chip}']")
    page.check("#filter-mine")
    expect(row(page, first)).to_be_visible()
    expect(row(page, second)).to_be_visible()
    page.click("#status-filter [data-status='assigned']")
    page.click("#status-filter [data-status='received']")
    expect(row(page, first)).to_have_count(0)
    expect(page.locator("#inbox-total")).to_contain_text("vụ việc")


def test_a_citizen_and_a_visitor_cannot_open_the_inbox(page: Page, live_server: str, fb: FeedbackApi) -> None:
    page.goto(f"{live_server}/officer")
    page.wait_for_selector("body[data-access='signed-out']", state="attached")
    expect(page.locator("#inbox-gate")).to_be_visible()
    expect(page.locator("#inbox-app")).to_be_hidden()
    sign_in(page, fb.user("citizen"))
    page.wait_for_selector("body[data-access='denied']", state="attached")
    expect(page.locator("#gate-title")).to_have_text("Không có quyền truy cập")
    expect(page.locator("#gate-message")).to_contain_text("Người dân")
    expect(page.locator("#inbox-app")).to_be_hidden()
    expect(page.locator("#inbox-list .inbox-row")).to_have_count(0)
    status = page.evaluate("() => fetch('/api/v1/inbox', { credentials: 'same-origin' }).then((r) => r.status)")
    assert status == 403
    page.screenshot(path="/tmp/iocmap-inbox-denied.png")


def test_an_officer_of_another_agency_is_refused_the_case(
    page: Page, live_server: str, fb: FeedbackApi,
) -> None:
    lon, lat = fb.spot()
    report = fb.submit(lon, lat, as_user=fb.user("citizen"))
    open_inbox(page, live_server, fb.user("officer", ["phong-ktht"]))
    expect(row(page, report["code"])).to_have_count(0)
    page.fill("#open-code", report["code"])
    page.click("#open-code-button")
    expect(page.locator("#case-view .form-error")).to_contain_text("không thuộc cơ quan của bạn")


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}])
def test_the_inbox_works_on_a_phone(page: Page, live_server: str, fb: FeedbackApi, officer: str) -> None:
    lon, lat = fb.spot()
    report = fb.submit(lon, lat, as_user=fb.user("citizen"), title="Rác bên cầu tràn")
    open_inbox(page, live_server, officer)
    newest_first(page)
    expect(page.locator("#inbox-map")).to_be_hidden()
    expect(row(page, report["code"])).to_be_visible()
    page.screenshot(path="/tmp/iocmap-inbox-phone-list.png")
    page.click("#show-map")
    expect(page.locator("#inbox-map")).to_be_visible()
    page.click("#hide-map")
    row(page, report["code"]).locator(".row-open").click()
    expect(page.locator("#case-view")).to_have_attribute("data-status", "received")
    page.screenshot(path="/tmp/iocmap-inbox-phone.png")
    act(page, "assigned")
    expect(page.locator("#case-view")).to_have_attribute("data-status", "assigned")
    page.click("#case-back")
    expect(page.locator("#case-view")).to_be_hidden()
    expect(row(page, report["code"])).to_be_visible()


def test_a_new_report_appears_in_an_open_inbox_without_reloading(
    page: Page, live_server: str, fb: FeedbackApi, officer: str,
) -> None:
    open_inbox(page, live_server, officer)
    newest_first(page)
    page.wait_for_selector("body[data-live='1']", state="attached")
    expect(page.locator("#inbox-live")).to_be_visible()
    lon, lat = fb.spot()
    report = fb.submit(lon, lat, as_user=fb.user("citizen"), title="Phản ánh đến trực tiếp")
    expect(row(page, report["code"])).to_be_visible(timeout=10_000)
    expect(row(page, report["code"])).to_contain_text("Phản ánh đến trực tiếp")


def test_transfer_reject_and_duplicate_each_ask_for_what_the_citizen_needs_to_know(
    page: Page, live_server: str, fb: FeedbackApi, officer: str,
) -> None:
    lon, lat = fb.spot()
    citizen = fb.user("citizen")
    moved = fb.submit(lon, lat, as_user=citizen, title="Cống bị vỡ, nước tràn")["code"]
    vague = fb.submit(lon + 0.002, lat, as_user=citizen, title="Có chuyện")["code"]
    twin = fb.submit(lon + 0.004, lat, as_user=citizen, title="Cống vỡ (gửi lại)")["code"]
    open_inbox(page, live_server, officer)

    def open_case(code: str) -> None:
        page.fill("#open-code", code)
        page.click("#open-code-button")
        expect(page.locator("#case-view")).to_have_attribute("data-code", code)
        expect(page.locator("#case-actions")).to_be_visible()

    open_case(moved)
    page.click("#case-actions [data-action='transferred']")
    page.fill("#public-note", "Chuyển Phòng Kinh tế và Hạ tầng (quản lý cống thoát nước).")
    page.click("#action-submit")
    expect(page.locator("#action-error")).to_contain_text("mã cơ quan")
    page.fill("#action-agency", "phong-ktht")
    page.click("#action-submit")
    expect(page.locator("#case-view dd[data-fact='agency']")).to_have_text("Phòng Kinh tế và Hạ tầng")
    assert fb.public(moved)["agency"]["code"] == "phong-ktht"

    open_case(vague)
    page.click("#case-actions [data-action='rejected']")
    page.fill("#public-note", "Chưa đủ thông tin để xác minh.")
    page.click("#action-submit")
    expect(page.locator("#action-error")).to_contain_text("lý do")
    page.select_option("#action-reason", "insufficient_information")
    page.click("#action-submit")
    expect(page.locator("#case-view")).to_have_attribute("data-status", "rejected")
    expect(page.locator("#case-actions")).to_contain_text("đã kết thúc")

    open_case(twin)
    page.click("#case-actions [data-action='duplicate']")
    page.fill("#public-note", "Trùng phản ánh đã có.")
    page.fill("#action-duplicate", vague)
    page.click("#action-submit")  # a rejected report cannot absorb duplicates: the server says so
    expect(page.locator("#action-error")).to_contain_text("Không gộp được vào phản ánh này")
    page.fill("#action-duplicate", moved)
    page.click("#action-submit")
    expect(page.locator("#case-view")).to_have_attribute("data-status", "duplicate")
    assert fb.public(twin)["duplicate_of"] == moved
    assert fb.public(moved)["supporters"] == 1  # the duplicate's reporter now backs the original

    track = page.context.new_page()
    track.goto(f"{live_server}/track?code={vague}")
    expect(track.locator("#result-facts dd[data-fact='reject']")).to_have_text("Không đủ thông tin")
    expect(track.locator("#result-timeline")).to_contain_text("Chưa đủ thông tin để xác minh.")


def test_an_officer_hides_abusive_text_and_the_public_no_longer_sees_it(
    page: Page, live_server: str, fb: FeedbackApi, officer: str,
) -> None:
    lon, lat = fb.spot()
    report = fb.submit(lon, lat, as_user=fb.user("citizen"), title="Lời lẽ xúc phạm cán bộ",
                       description="Nội dung xúc phạm không thể hiện công khai.")
    open_inbox(page, live_server, officer)
    page.fill("#open-code", report["code"])
    page.click("#open-code-button")
    page.click("#case-actions [data-action='moderate-text']")
    page.fill("#moderation-reason", "Ngôn từ xúc phạm")
    page.click("#action-submit")
    expect(page.locator("#case-view .case-head")).to_contain_text("Nội dung đang ẩn")
    expect(page.locator("#case-view")).to_contain_text("Nội dung xúc phạm không thể hiện công khai.")  # staff still see it
    public = fb.public(report["code"])
    assert public["text_hidden"] is True and public["description"] is None
    track = page.context.new_page()
    track.goto(f"{live_server}/track?code={report['code']}")
    expect(track.locator("#result-description")).to_have_text("Nội dung đã bị ẩn do vi phạm quy định.")
    assert "xúc phạm không thể" not in track.locator("body").inner_text()
    assert "Ngôn từ xúc phạm" not in track.locator("body").inner_text()  # the reason is internal
