"""The administration page (/admin) in real Chromium: an admin configures feedback categories
(name, icon, deadline in working days, extra questions), routing rules (with a trial of where a
report would go) and the holiday calendar; the API's validation errors show at the fields;
citizens, officers and visitors see no configuration; Vietnamese first, English on demand."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, text

from layers.db import make_sessionmaker, session_scope
from tests.conftest import PASSWORD
from tests.web.feedback_ui import sign_in
from tests.web.mapui import PageLog

READY = "body[data-access='granted'][data-ready='1']"
JS = Path(__file__).resolve().parents[2] / "web" / "static" / "js"
AGENCY = "phong-tnmt"  # Phòng Tài nguyên và Môi trường (data/agencies.csv)


class ConfigApi:
    """The configuration API as the tests use it; removes what a test made at close()."""

    def __init__(self, base_url: str, engine: Engine, username: str) -> None:
        self.engine = engine
        self.http = httpx.Client(base_url=base_url, timeout=60)
        r = self.http.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        self.categories: list[str] = []
        self.rules: list[str] = []
        self.days: list[str] = []

    @staticmethod
    def code(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    def category(self, code: str) -> httpx.Response:
        return self.http.get(f"/api/v1/feedback/categories/{code}")

    def create_category(self, code: str, **fields: object) -> dict[str, object]:
        self.categories.append(code)
        body = {"code": code, "name_vi": f"Thử {code}", "name_en": f"Test {code}", "icon": "road",
                "deadline_days": 10, **fields}
        r = self.http.post("/api/v1/feedback/categories", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def holidays(self, year: int) -> list[dict[str, object]]:
        r = self.http.get(f"/api/v1/feedback/holidays?year={year}")
        assert r.status_code == 200, r.text
        return list(r.json())

    def close(self) -> None:
        for code in self.rules:
            self.http.delete(f"/api/v1/feedback/routing-rules/{code}")
        for day in self.days:
            self.http.delete("/api/v1/feedback/holidays", params={"day": day})
        if self.categories:  # categories have no DELETE in the API (reports keep them): SQL
            with session_scope(make_sessionmaker(self.engine)) as s:
                s.execute(text("DELETE FROM feedback_routing_rules WHERE category_id IN "
                               "(SELECT id FROM feedback_categories WHERE code = ANY(:codes))"),
                          {"codes": self.categories})
                s.execute(text("DELETE FROM feedback_categories WHERE code = ANY(:codes)"),
                          {"codes": self.categories})
        self.http.close()


@pytest.fixture
def cfg(live_server: str, engine: Engine, committed_users: dict[str, str]) -> Iterator[ConfigApi]:
    api = ConfigApi(live_server, engine, committed_users["admin"])
    yield api
    api.close()


def open_admin(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/admin")
    page.wait_for_selector("body[data-ready='1']", state="attached")
    sign_in(page, username)
    page.wait_for_selector(READY, state="attached")


def cat_row(page: Page, code: str):
    return page.locator(f"#cat-table tr[data-code='{code}']")


def rule_row(page: Page, code: str):
    return page.locator(f"#rule-table tr[data-code='{code}']")


def test_an_admin_creates_a_category_sees_it_in_the_table_and_the_api_and_edits_its_deadline(
    page: Page, live_server: str, cfg: ConfigApi, committed_users: dict[str, str], page_log: PageLog,
) -> None:
    code = cfg.code("pw-cat")
    cfg.categories.append(code)
    open_admin(page, live_server, committed_users["admin"])
    expect(page.locator("#cat-table tbody tr").first).to_be_visible()
    page.click("#cat-new")
    page.fill("#cat-code", code)
    page.fill("#cat-name_vi", "Cây xanh đô thị")
    page.fill("#cat-name_en", "Urban trees")
    page.fill("#cat-icon", "sprout")
    page.fill("#cat-deadline_days", "12")
    questions = ('[{"code": "tree_count", "datatype": "number", "required": false, '
                 '"label_vi": "Số cây", "label_en": "Number of trees"}]')
    page.fill("#cat-extra_questions", questions)
    page.click("#cat-save")
    expect(page.locator("#cat-form")).to_be_hidden()
    row = cat_row(page, code)
    expect(row.locator(".cat-name-vi")).to_have_text("Cây xanh đô thị")
    expect(row.locator(".cat-deadline")).to_have_text("12 ngày")
    expect(row.locator(".cat-agency")).to_have_text("—")  # no rule of its own yet
    got = cfg.category(code).json()
    assert (got["name_en"], got["icon"], got["deadline_days"], got["active"]) == ("Urban trees", "sprout", 12, True)
    assert got["extra_questions"][0]["code"] == "tree_count"

    row.locator("button[data-edit]").click()
    expect(page.locator("#cat-code")).to_be_disabled()
    expect(page.locator("#cat-deadline_days")).to_have_value("12")
    page.fill("#cat-deadline_days", "7")
    page.click("#cat-save")
    expect(row.locator(".cat-deadline")).to_have_text("7 ngày")
    assert cfg.category(code).json()["deadline_days"] == 7
    page.screenshot(path="/tmp/iocmap-admin.png", full_page=True)
    assert page_log.page_errors == []


def test_the_apis_validation_errors_show_next_to_their_fields(
    page: Page, live_server: str, cfg: ConfigApi, committed_users: dict[str, str],
) -> None:
    code = cfg.code("pw-cat")
    cfg.categories.append(code)
    open_admin(page, live_server, committed_users["admin"])
    page.click("#cat-new")
    page.fill("#cat-code", code)
    page.fill("#cat-name_vi", "Lĩnh vực lỗi")
    page.fill("#cat-name_en", "Broken")
    page.fill("#cat-icon", "road")
    page.fill("#cat-deadline_days", "0")  # the API wants 1..365 working days
    page.click("#cat-save")
    slot = page.locator("#cat-form .field-error[data-error-for='deadline_days']")
    expect(slot).to_be_visible()
    expect(slot).to_contain_text("1")
    expect(page.locator("#cat-deadline_days")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#cat-form .field-error[data-error-for='name_vi']")).to_be_hidden()
    expect(page.locator("#cat-form .form-general")).to_have_text("Hãy sửa các ô được đánh dấu.")
    assert cfg.category(code).status_code == 404

    # a bad code is judged by the API too, and malformed JSON never leaves the page
    page.fill("#cat-deadline_days", "5")
    page.fill("#cat-code", "Bad Code!")
    page.click("#cat-save")
    expect(page.locator("#cat-form .field-error[data-error-for='code']")).to_be_visible()
    expect(page.locator("#cat-form .field-error[data-error-for='deadline_days']")).to_be_hidden()
    page.fill("#cat-code", code)
    page.fill("#cat-extra_questions", "[{oops")
    page.click("#cat-save")
    expect(page.locator("#cat-form .field-error[data-error-for='extra_questions']")).to_contain_text("JSON")
    # a question the API refuses (unknown datatype) is shown at the questions field
    page.fill("#cat-extra_questions", '[{"code": "q1", "datatype": "colour", "label_vi": "Màu", "label_en": "Colour"}]')
    page.click("#cat-save")
    expect(page.locator("#cat-form .field-error[data-error-for='extra_questions']")).to_be_visible()
    assert cfg.category(code).status_code == 404


def test_an_admin_creates_a_routing_rule_the_preview_fires_it_and_the_admin_deletes_it(
    page: Page, live_server: str, cfg: ConfigApi, committed_users: dict[str, str],
) -> None:
    cat = cfg.code("pw-cat")
    cfg.create_category(cat, deadline_days=9)
    rule = cfg.code("pw-rule")
    cfg.rules.append(rule)
    open_admin(page, live_server, committed_users["admin"])
    page.click("#tab-rules")
    expect(page.locator("#panel-rules")).to_be_visible()
    expect(page.locator("#panel-categories")).to_be_hidden()
    page.click("#rule-new")
    page.fill("#rule-code", rule)
    page.select_option("#rule-category", cat)
    page.select_option("#rule-target", "agency")
    page.select_option("#rule-agency", AGENCY)
    page.fill("#rule-priority", "5")
    page.click("#rule-save")
    expect(rule_row(page, rule).locator(".rule-target")).to_have_text("Phòng Tài nguyên và Môi trường")
    rules = {r["code"]: r for r in cfg.http.get("/api/v1/feedback/routing-rules").json()}
    assert rules[rule]["category"] == cat and rules[rule]["agency"]["code"] == AGENCY
    # the category now names its agency in the categories table
    expect(cat_row(page, cat).locator(".cat-agency")).to_have_text("Phòng Tài nguyên và Môi trường")

    page.select_option("#preview-category", cat)
    page.fill("#preview-commune", "24664")
    page.click("#preview-run")
    result = page.locator("#preview-result")
    expect(result).to_be_visible()
    expect(result).to_have_attribute("data-rule", rule)
    expect(result.locator("[data-field='agency']")).to_have_text("Phòng Tài nguyên và Môi trường")
    expect(result.locator("[data-field='due']")).to_contain_text("9 ngày làm việc")

    # a preview without a place is refused on the page
    page.fill("#preview-commune", "")
    page.click("#preview-run")
    expect(page.locator("#preview-form .form-general")).to_be_visible()
    expect(result).to_be_hidden()

    # an agency rule without an agency: the API's refusal shows at the agency field
    page.click("#rule-new")
    page.fill("#rule-code", cfg.code("pw-rule"))
    page.select_option("#rule-agency", "")
    page.click("#rule-save")
    expect(page.locator("#rule-form .form-general")).to_be_visible()
    page.click("#rule-form .form-cancel")

    rule_row(page, rule).locator("button[data-delete]").click()
    page.click("#confirm-ok")
    expect(rule_row(page, rule)).to_have_count(0)
    assert rule not in {r["code"] for r in cfg.http.get("/api/v1/feedback/routing-rules").json()}
    page.click("#tab-rules")
    page.select_option("#preview-category", cat)
    page.fill("#preview-commune", "24664")
    page.click("#preview-run")
    expect(result).to_be_visible()
    expect(result).not_to_have_attribute("data-rule", rule)


def test_an_admin_adds_and_removes_a_holiday(
    page: Page, live_server: str, cfg: ConfigApi, committed_users: dict[str, str],
) -> None:
    year = random.randint(2900, 2990)  # a year no deadline of another test reaches
    day = f"{year}-09-0{random.randint(1, 9)}"
    cfg.days.append(day)
    open_admin(page, live_server, committed_users["admin"])
    page.click("#tab-holidays")
    page.fill("#hol-day", day)
    page.select_option("#hol-kind", "off")
    page.fill("#hol-name_vi", "Ngày nghỉ thử")
    page.fill("#hol-name_en", "Test day off")
    page.click("#hol-save")
    expect(page.locator("#hol-year")).to_have_value(str(year))
    row = page.locator(f"#hol-table tr[data-day='{day}']")
    expect(row).to_contain_text("Ngày nghỉ thử")
    expect(page.locator("#hol-count")).to_have_text("1 ngày")
    assert [(d["day"], d["kind"], d["name_en"]) for d in cfg.holidays(year)] == [(day, "off", "Test day off")]

    # a missing name is refused by the API, shown at the field
    page.fill("#hol-day", day)
    page.click("#hol-save")
    expect(page.locator("#hol-form .field-error[data-error-for='name_vi']")).to_be_visible()

    row.locator("button[data-delete]").click()
    page.click("#confirm-ok")
    expect(row).to_have_count(0)
    expect(page.locator("#hol-table")).to_contain_text("Không có ngày nghỉ nào")
    assert cfg.holidays(year) == []


@pytest.mark.parametrize("role", ["citizen", "officer"])
def test_citizens_and_officers_are_refused_and_no_configuration_is_requested(
    page: Page, live_server: str, committed_users: dict[str, str], page_log: PageLog, role: str,
) -> None:
    page.goto(f"{live_server}/admin")
    page.wait_for_selector("body[data-access='signed-out'][data-ready='1']", state="attached")
    expect(page.locator("#gate-title")).to_have_text("Cần đăng nhập")
    sign_in(page, committed_users[role])
    page.wait_for_selector("body[data-access='denied'][data-ready='1']", state="attached")
    expect(page.locator("#gate-title")).to_have_text("Không có quyền truy cập")
    expect(page.locator("#gate-message")).to_contain_text(re.compile("Người dân|Cán bộ xử lý"))
    expect(page.locator("#admin-app")).to_be_hidden()
    expect(page.locator("#cat-table tr")).to_have_count(0)
    api_calls = {re.sub(r"\?.*", "", u.split(live_server, 1)[-1]) for u in page_log.requests if "/api/" in u}
    assert api_calls <= {"/api/v1/auth/login", "/api/v1/auth/me"}, api_calls
    page.click("#lang-toggle")
    expect(page.locator("#gate-title")).to_have_text("Access denied")


def test_the_page_speaks_vietnamese_first_and_english_on_demand(
    page: Page, live_server: str, committed_users: dict[str, str],
) -> None:
    open_admin(page, live_server, committed_users["admin"])
    expect(page.locator("#tab-categories")).to_have_text("Lĩnh vực")
    expect(page.locator("#cat-table th").first).to_have_text("Mã")
    expect(page).to_have_title(re.compile("Quản trị phản ánh"))
    page.click("#lang-toggle")
    expect(page.locator("#tab-categories")).to_have_text("Categories")
    expect(page.locator("#tab-rules")).to_have_text("Routing")
    expect(page.locator("#tab-holidays")).to_have_text("Holidays")
    expect(page.locator("#cat-table th").first).to_have_text("Code")
    expect(page.locator("#cat-table tbody tr").first.locator(".cat-active")).to_have_text(re.compile("Yes|No"))
    expect(page).to_have_title(re.compile("Feedback administration"))
    page.click("#lang-toggle")
    expect(page.locator("#tab-holidays")).to_have_text("Ngày nghỉ")


def test_every_admin_key_exists_in_both_languages_and_every_used_key_is_defined() -> None:
    source = (JS / "admin-i18n.js").read_text(encoding="utf-8")
    vi = source[source.index("  vi: {"):source.index("  en: {")]
    en = source[source.index("  en: {"):source.index("};\n")]
    key = re.compile(r'^\s+"([a-z0-9_.]+)":', re.MULTILINE)
    vi_keys, en_keys = set(key.findall(vi)), set(key.findall(en))
    assert vi_keys and vi_keys == en_keys
    used: set[str] = set()
    for path in [*(p for p in JS.glob("admin-*.js") if p.name != "admin-i18n.js"), JS.parents[1] / "admin.html"]:
        body = path.read_text(encoding="utf-8")
        used |= set(re.findall(r'"(admin\.[a-z0-9_.]+)"', body))  # tr("…") and key lists
        used |= set(re.findall(r'data-admin(?:-[a-z-]+)?="([a-z0-9_.]+)"', body))
    assert len(used) > 40
    assert used - vi_keys == set()
