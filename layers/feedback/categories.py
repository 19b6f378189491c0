"""Feedback categories and their optional extra questions.

Extra questions follow Open311 GeoReport v2 service definitions (``datatype`` one of
string, number, datetime, text, singlevaluelist, multivaluelist), so the Open311 layer
can publish them as they are.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.admin import nfc
from layers.errors import Conflict, InvalidInput, NotFound
from layers.feedback.models import Category

CODE_RE = re.compile(r"^[a-z][a-z0-9_-]{1,63}$")
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = ("singlevaluelist", "multivaluelist")
MAX_QUESTIONS = 20
TEXT_LIMITS = {"string": 500, "text": 2000}
EDITABLE = ("name_vi", "name_en", "description_vi", "description_en", "icon", "deadline_days",
            "extra_questions", "sort_order", "active")


def list_categories(session: Session, *, include_inactive: bool = False) -> list[Category]:
    stmt = select(Category).order_by(Category.sort_order, Category.code)
    if not include_inactive:
        stmt = stmt.where(Category.active.is_(True))
    return list(session.scalars(stmt))


def get_category(session: Session, code: str) -> Category:
    category = session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise NotFound(f"Không có lĩnh vực / no such category: {code}", code="category_not_found")
    return category


def category_for_report(session: Session, code: str) -> Category:
    """The active category a citizen chose, or 422 ``unknown_category``."""
    category = session.scalar(select(Category).where(Category.code == code, Category.active.is_(True)))
    if category is None:
        allowed = list(session.scalars(select(Category.code).where(Category.active.is_(True))
                                       .order_by(Category.sort_order)))
        raise InvalidInput(f"Lĩnh vực không hợp lệ / unknown category: {code}",
                           code="unknown_category", allowed=allowed)
    return category


def _bad_question(message: str, index: int) -> InvalidInput:
    return InvalidInput(f"Câu hỏi bổ sung #{index + 1}: {message}", code="bad_extra_question", index=index)


def check_questions(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate an admin's extra-question list and return it normalised."""
    if len(questions) > MAX_QUESTIONS:
        raise InvalidInput(f"Tối đa {MAX_QUESTIONS} câu hỏi / at most {MAX_QUESTIONS} questions",
                           code="bad_extra_question")
    out, seen = [], set()
    for i, q in enumerate(questions):
        code = q.get("code")
        if not isinstance(code, str) or not CODE_RE.fullmatch(code) or code in seen:
            raise _bad_question("mã thiếu, sai hoặc trùng / code missing, malformed or repeated", i)
        seen.add(code)
        if q.get("datatype") not in DATATYPES:
            raise _bad_question(f"kiểu dữ liệu phải là một trong / datatype must be one of {DATATYPES}", i)
        labels = [q.get("label_vi"), q.get("label_en")]
        if not all(isinstance(label, str) and 0 < len(label) <= 300 for label in labels):
            raise _bad_question("cần nhãn tiếng Việt và tiếng Anh / label_vi and label_en required", i)
        item = {"code": code, "datatype": q["datatype"], "required": bool(q.get("required", False)),
                "label_vi": nfc(labels[0]), "label_en": labels[1]}
        if q["datatype"] in LIST_TYPES:
            values = q.get("values") or []
            keys = [v.get("key") for v in values if isinstance(v, dict)]
            if not values or len(keys) != len(values) or len(set(keys)) != len(keys) or not all(
                    isinstance(k, str) and 0 < len(k) <= 64 for k in keys):
                raise _bad_question("danh sách giá trị thiếu hoặc trùng / values missing or repeated", i)
            item["values"] = [{"key": v["key"], "name_vi": nfc(str(v.get("name_vi") or v["key"])),
                               "name_en": str(v.get("name_en") or v["key"])} for v in values]
        out.append(item)
    return out


def _bad_answer(code: str, message: str, question: str) -> InvalidInput:
    return InvalidInput(f"{message} ({question})", code=code, question=question)


def check_answers(category: Category, answers: dict[str, Any]) -> dict[str, Any]:
    """Validate a citizen's answers against the category's extra questions."""
    questions = {q["code"]: q for q in category.extra_questions}
    unknown = sorted(set(answers) - set(questions))
    if unknown:
        raise _bad_answer("unknown_answer", "Câu hỏi không có trong lĩnh vực / unknown question",
                          unknown[0])
    out: dict[str, Any] = {}
    for code, q in questions.items():
        value = answers.get(code)
        if value is None or value == "" or value == []:
            if q.get("required"):
                raise _bad_answer("missing_answer", "Cần trả lời / answer required", code)
            continue
        out[code] = _check_value(q, value, code)
    return out


def _check_value(q: dict[str, Any], value: Any, code: str) -> Any:
    kind = q["datatype"]
    bad = _bad_answer("bad_answer", f"Câu trả lời không hợp lệ / invalid answer, expected {kind}", code)
    if kind in TEXT_LIMITS:
        if not isinstance(value, str) or len(value) > TEXT_LIMITS[kind] or "\x00" in value:
            raise bad
        return nfc(value.strip())
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise bad
        return value
    if kind == "datetime":
        try:
            return datetime.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise bad from None
    keys = {v["key"] for v in q.get("values", [])}
    if kind == "singlevaluelist":
        if value not in keys:
            raise bad
        return value
    if not isinstance(value, list) or not value or len(set(value)) != len(value) or not set(value) <= keys:
        raise bad
    return value


def create_category(session: Session, values: dict[str, Any]) -> Category:
    code = values.get("code", "")
    if not CODE_RE.fullmatch(code):
        raise InvalidInput("Mã lĩnh vực: a-z, 0-9, '_' '-' / malformed category code", code="bad_code")
    if session.scalar(select(Category.id).where(Category.code == code)) is not None:
        raise Conflict(f"Lĩnh vực đã tồn tại / category exists: {code}", code="category_exists")
    category = Category(code=code, extra_questions=[], sort_order=100, active=True)
    update_category(session, category, {k: v for k, v in values.items() if k != "code"})
    session.add(category)
    session.flush()
    return category


def update_category(session: Session, category: Category, values: dict[str, Any]) -> Category:
    for key, value in values.items():
        if key not in EDITABLE:
            raise InvalidInput(f"Không sửa được trường / field not editable: {key}", code="bad_field")
        if key == "extra_questions":
            value = check_questions(value)
        elif isinstance(value, str):
            value = nfc(value)
        setattr(category, key, value)
    category.updated_at = func.now()
    session.flush()
    return category
