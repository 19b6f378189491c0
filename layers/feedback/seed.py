"""Default feedback data: categories, routing rules, the holiday calendar, answer templates.

Called by ``layers.defaults.load_defaults``. Only missing rows are inserted (keyed by
code or day), so running it again keeps what administrators changed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from gis.admin import nfc
from layers.feedback.calendar import seed_holidays
from layers.feedback.categories import check_questions
from layers.feedback.models import Category, ResponseTemplate, RoutingRule
from layers.feedback.routing import agency_by_code

log = logging.getLogger(__name__)

FALLBACK_AGENCY = "ubnd-huyen"

DEFAULT_TEMPLATES: list[dict[str, str]] = [
    {"code": "tiep-nhan", "title": "Đã tiếp nhận / received",
     "body_vi": "Cơ quan đã tiếp nhận phản ánh của bạn và đang phân công cán bộ xử lý. "
                "Cảm ơn bạn đã phản ánh.",
     "body_en": "We have received your report and are assigning an officer. Thank you for reporting."},
    {"code": "can-bo-sung", "title": "Cần bổ sung thông tin / more information needed",
     "body_vi": "Phản ánh chưa đủ thông tin để xác minh (vị trí, thời gian, hình ảnh). Đề nghị bạn gửi lại "
                "phản ánh với thông tin đầy đủ hơn.",
     "body_en": "The report lacks the information needed to verify it (place, time, photos). Please "
                "submit it again with more detail."},
    {"code": "da-xu-ly", "title": "Đã xử lý xong / resolved",
     "body_vi": "Cơ quan đã kiểm tra hiện trường và xử lý xong vấn đề bạn phản ánh. Đề nghị bạn xác nhận "
                "kết quả trong 7 ngày.",
     "body_en": "We inspected the site and fixed the problem you reported. Please confirm the result "
                "within 7 days."},
    {"code": "khong-thuoc-tham-quyen", "title": "Không thuộc thẩm quyền / not in our competence",
     "body_vi": "Nội dung phản ánh không thuộc thẩm quyền giải quyết của chính quyền địa phương. Đề nghị bạn "
                "liên hệ cơ quan có thẩm quyền.",
     "body_en": "This matter is outside the competence of the local authorities. Please contact the "
                "competent body."},
]


def seed_feedback(session: Session, data_dir: Path) -> dict[str, int]:
    """Insert missing default categories, routing rules, holidays and templates."""
    spec = orjson.loads((data_dir / "feedback_categories.json").read_bytes())
    for order, item in enumerate(spec["categories"]):
        values = {
            "code": item["code"], "name_vi": nfc(item["name_vi"]), "name_en": item["name_en"],
            "description_vi": nfc(item.get("description_vi")), "description_en": item.get("description_en"),
            "icon": item["icon"], "deadline_days": int(item["deadline_days"]),
            "extra_questions": check_questions(item.get("extra_questions", [])),
            "sort_order": (order + 1) * 10, "active": True,
        }
        session.execute(insert(Category).values(**values).on_conflict_do_nothing(index_elements=["code"]))
    ids = {code: cid for code, cid in session.execute(select(Category.code, Category.id))}
    for item in spec["categories"]:
        _seed_rule(session, {
            "code": f"default-{item['code']}", "category_id": ids[item["code"]], "priority": 100,
            **_target(session, item["route"]),
        })
    _seed_rule(session, {
        "code": "default-fallback", "category_id": None, "priority": 1000,
        **_target(session, FALLBACK_AGENCY),
        "note_vi": "Tiếp nhận chung khi không có quy tắc nào khác.",
        "note_en": "General intake when no other rule applies.",
    })
    for template in DEFAULT_TEMPLATES:
        session.execute(insert(ResponseTemplate).values(**template, active=True)
                        .on_conflict_do_nothing(index_elements=["code"]))
    holidays = seed_holidays(session, data_dir / "holidays_vn.csv")
    counts = {"feedback_categories": len(spec["categories"]), "holidays": holidays,
              "response_templates": len(DEFAULT_TEMPLATES)}
    log.info("feedback defaults: %s", counts)
    return counts


def _target(session: Session, route: str) -> dict[str, Any]:
    if route == "commune":
        return {"target": "commune_committee", "agency_id": None}
    return {"target": "agency", "agency_id": agency_by_code(session, route).id}


def _seed_rule(session: Session, values: dict[str, Any]) -> None:
    session.execute(insert(RoutingRule).values(commune_code=None, active=True, **values)
                    .on_conflict_do_nothing(index_elements=["code"]))
