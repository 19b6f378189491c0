"""Categories as Open311 services, and their extra questions as service definitions.

A category's extra questions already use the GeoReport datatypes (see
``layers.feedback.categories``), so a question maps one to one onto an attribute:
code → code, datatype → datatype, required → required, its position → order (from 1),
the Vietnamese label (then the English one) → description, list values → values with
their Vietnamese names. Every attribute is ``variable`` (asks for input).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from layers.errors import NotFound
from layers.feedback import categories
from layers.feedback.models import Category, RoutingRule

COMMUNE_GROUP = "UBND xã, thị trấn nơi xảy ra"
GENERAL_GROUP = "Tiếp nhận chung"
DATATYPE_HINTS = {
    "number": "Một số, ví dụ 3 hoặc 2.5 / a number, e.g. 3 or 2.5",
    "datetime": "Ngày giờ ISO 8601, ví dụ 2026-03-10T08:30:00+07:00 / an ISO 8601 date-time",
    "multivaluelist": "Một hoặc nhiều khóa trong danh sách / one or more keys of the list",
}


def _groups(session: Session) -> dict[int, str]:
    """Who handles each category by default: its category-wide routing rule's target."""
    rules = session.scalars(
        select(RoutingRule)
        .where(RoutingRule.active.is_(True), RoutingRule.category_id.is_not(None),
               RoutingRule.commune_code.is_(None))
        .order_by(RoutingRule.priority.desc(), RoutingRule.id.desc())
    ).all()
    out: dict[int, str] = {}
    for rule in rules:  # the last write is the winning rule (lowest priority, oldest)
        if rule.category_id is None:
            continue
        if rule.target == "commune_committee":
            out[rule.category_id] = COMMUNE_GROUP
        elif rule.agency is not None:
            out[rule.category_id] = rule.agency.name_vi
    return out


def _service(category: Category, group: str) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name_vi,
        "description": category.description_vi or category.name_vi,
        "metadata": bool(category.extra_questions),
        "type": "realtime",
        "keywords": ", ".join(dict.fromkeys([category.name_en, category.code.replace("_", " ")])),
        "group": group,
    }


def service_list(session: Session) -> list[dict[str, Any]]:
    """Active categories in their display order."""
    groups = _groups(session)
    return [_service(c, groups.get(c.id, GENERAL_GROUP)) for c in categories.list_categories(session)]


def active_category(session: Session, service_code: str) -> Category:
    """The active category, or 404 ``service_not_found`` (the standard's answer)."""
    category = session.scalar(select(Category).where(Category.code == service_code,
                                                     Category.active.is_(True)))
    if category is None:
        raise NotFound(f"Không có dịch vụ / service_code not found: {service_code}",
                       code="service_not_found")
    return category


def attribute(question: dict[str, Any], order: int) -> dict[str, Any]:
    """One extra question as a GeoReport attribute definition."""
    values = question.get("values")
    return {
        "variable": True,
        "code": question["code"],
        "datatype": question["datatype"],
        "required": bool(question.get("required")),
        "datatype_description": DATATYPE_HINTS.get(question["datatype"]),
        "order": order,
        "description": f"{question['label_vi']} / {question['label_en']}",
        **({"values": [{"key": v["key"], "name": v["name_vi"]} for v in values]} if values else {}),
    }


def definition(session: Session, service_code: str) -> dict[str, Any]:
    """The service definition: attributes in the order the form asks them."""
    category = active_category(session, service_code)
    return {
        "service_code": category.code,
        "attributes": [attribute(q, i + 1) for i, q in enumerate(category.extra_questions)],
    }
