"""The track page (/track) in real Chromium: a report by its code (public timeline, agency
and why, deadline), the reporter's private link (own contact, confirm or dispute with a
rating after resolution), and clear answers for unknown codes and bad links."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from tests.web.feedback_ui import AGENCY, FeedbackApi
from tests.web.mapui import PageLog

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def viewport() -> dict[str, int]:
    return PHONE


@pytest.fixture
def fb(live_server: str, engine: Engine) -> Iterator[FeedbackApi]:
    api = FeedbackApi(live_server, engine)
    yield api
    api.close()


@pytest.fixture
def officer(fb: FeedbackApi) -> str:
    return fb.user("officer", [AGENCY])


def resolved_report(fb: FeedbackApi, officer: str, **fields: object) -> dict[str, object]:
    """A report moved received -> assigned -> in_progress -> resolved by an officer."""
    lon, lat = fb.spot()
    report = fb.submit(lon, lat, as_user=fb.user("citizen"), **fields)
    fb.move(report["code"], officer, to="assigned", internal_note="Giao tổ môi trường, kinh phí 2 triệu")
    fb.move(report["code"], officer, to="in_progress", public_note="Đã cử tổ vệ sinh xuống kiểm tra.")
    fb.move(report["code"], officer, to="resolved", public_note="Đã thu gom xong và đặt biển cấm đổ rác.",
            internal_note="Nhắc thôn 5 giám sát")
    return report


def test_a_report_found_by_its_code_shows_status_agency_deadline_and_timeline(
    page: Page, live_server: str, fb: FeedbackApi, page_log: PageLog,
) -> None:
    lon, lat = fb.spot()
    report = fb.submit(lon, lat, as_user=fb.user("citizen"), title="Cống thoát nước bị lấp", address="Thôn 3")
    page.goto(f"{live_server}/track")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    page.fill("#track-code", report["code"].lower())
    page.click("#track-submit")
    result = page.locator("#track-result")
    expect(result).to_have_attribute("data-code", report["code"])
    assert page.url.endswith(f"/track?code={report['code']}")
    expect(page.locator("#result-title")).to_have_text("Cống thoát nước bị lấp")
    expect(page.locator("#result-badges .status-badge")).to_have_attribute("data-status", "received")
    expect(page.locator("#result-badges .deadline-chip")).to_contain_text("Còn")
    expect(page.locator("#result-agency [data-agency]")).to_have_attribute("data-agency", AGENCY)
    expect(page.locator("#result-routing")).to_contain_text("default-waste")
    expect(page.locator("#result-deadline")).to_contain_text("5 ngày làm việc")
    expect(page.locator("#result-facts dd[data-fact='address']")).to_have_text("Thôn 3")
    expect(page.locator("#result-timeline .timeline-item")).to_have_count(1)
    expect(page.locator("#support-box")).to_be_visible()
    expect(page.locator("#respond-section")).to_be_hidden()
    expect(page.locator("#private-banner")).to_be_hidden()
    expect(page.locator("#track-map .pin-marker")).to_have_count(1)
    page.screenshot(path="/tmp/iocmap-report-track.png", full_page=True)
    assert page_log.console_errors == [] and page_log.page_errors == []


def test_the_public_timeline_shows_public_notes_but_no_internal_note_or_contact(
    page: Page, live_server: str, fb: FeedbackApi, officer: str,
) -> None:
    report = resolved_report(fb, officer, reporter_name="Lê Thị Mai", reporter_phone="0905111222", share_contact=True)
    page.goto(f"{live_server}/track?code={report['code']}")
    page.wait_for_selector("#track-result[data-code]", state="visible")
    timeline = page.locator("#result-timeline")
    expect(timeline.locator(".timeline-item")).to_have_count(4)
    expect(timeline).to_contain_text("Đã cử tổ vệ sinh xuống kiểm tra.")
    expect(timeline).to_contain_text("Đã thu gom xong và đặt biển cấm đổ rác.")
    expect(page.locator("#result-badges .deadline-chip")).to_have_attribute("data-kind", "on_time")
    body = page.locator("body").inner_text()
    for secret in ("kinh phí", "Nhắc thôn 5", "Lê Thị Mai", "0905111222", officer):
        assert secret not in body
    expect(page.locator("#support-box")).to_be_hidden()  # resolved: no more "me too"


def test_the_private_link_lets_the_reporter_confirm_with_a_rating(
    page: Page, live_server: str, fb: FeedbackApi, officer: str,
) -> None:
    report = resolved_report(fb, officer, reporter_name="Lê Thị Mai", reporter_phone="0905111222")
    page.goto(f"{live_server}/track#token={report['private_token']}")
    page.wait_for_selector("body[data-view='private']", state="attached")
    expect(page.locator("#private-banner")).to_be_visible()
    expect(page.locator("#contact-facts")).to_contain_text("0905111222")
    expect(page.locator("#respond-section")).to_be_visible()
    page.click("#respond-submit")
    expect(page.locator("#respond-error")).to_contain_text("xác nhận hoặc không đồng ý")
    page.check("#outcome-confirm")
    page.click("label[for='rating-4']")
    page.fill("#respond-comment", "Xử lý nhanh, cảm ơn.")
    page.screenshot(path="/tmp/iocmap-report-confirm.png", full_page=True)
    page.click("#respond-submit")
    expect(page.locator("#result-badges .status-badge")).to_have_attribute("data-status", "closed")
    expect(page.locator("#respond-section")).to_be_hidden()
    expect(page.locator("#result-facts dd[data-fact='rating']")).to_have_text("4/5 sao")
    expect(page.locator("#result-timeline .timeline-item[data-action='confirmed']")).to_have_count(1)
    public = fb.public(str(report["code"]))
    assert (public["status"], public["closure"], public["citizen_rating"]) == ("closed", "confirmed", 4)


def test_a_dispute_reopens_the_report_and_escalates_it(
    page: Page, live_server: str, fb: FeedbackApi, officer: str,
) -> None:
    report = resolved_report(fb, officer)
    page.goto(f"{live_server}/track#token={report['private_token']}")
    page.wait_for_selector("body[data-view='private']", state="attached")
    page.check("#outcome-dispute")
    page.click("label[for='rating-1']")
    page.fill("#respond-comment", "Rác vẫn còn nguyên.")
    page.click("#respond-submit")
    expect(page.locator("#result-badges .status-badge")).to_have_attribute("data-status", "in_progress")
    expect(page.locator("#result-badges")).to_contain_text("đã báo lãnh đạo")
    public = fb.public(str(report["code"]))
    assert (public["status"], public["escalated"], public["citizen_rating"]) == ("in_progress", True, 1)


def test_bad_codes_unknown_codes_and_bad_links_are_explained(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/track")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    page.fill("#track-code", "abc")
    page.click("#track-submit")
    expect(page.locator("#track-error")).to_contain_text("DM-2026-000123")
    page.fill("#track-code", "DM-2026-999999999")
    page.click("#track-submit")
    expect(page.locator("#track-error")).to_contain_text("Không tìm thấy phản ánh")
    expect(page.locator("#track-result")).to_be_hidden()
    page.goto(f"{live_server}/track#token={'x' * 43}")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    expect(page.locator("#track-error")).to_contain_text("Liên kết riêng không hợp lệ")
