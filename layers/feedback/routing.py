"""Explainable routing: which agency handles a report, and the rule that said so.

Rules match on category and commune, each optional. The most specific active rule wins:
category+commune, then category, then commune, then the catch-all; ties go to the lower
``priority`` and then the older rule. A rule's target is a fixed agency, or
``commune_committee``: the People's Committee of the commune containing the point (a
rule whose commune has no committee in the agencies table is skipped). The explanation
is stored with the report, so later edits of the rules do not rewrite history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from gis.admin import nfc
from layers.errors import Conflict, InvalidInput, NotFound
from layers.feedback.models import Category, RoutingRule
from layers.models import Agency

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
TARGETS = ("agency", "commune_committee")
EDITABLE = ("category", "commune_code", "target", "agency", "priority", "active", "note_vi", "note_en")


@dataclass(frozen=True)
class Route:
    agency: Agency
    rule: RoutingRule | None
    explanation_vi: str
    explanation_en: str


def commune_committee(session: Session, commune_code: str) -> Agency | None:
    return session.scalar(select(Agency).where(Agency.kind == "commune", Agency.commune_code == commune_code))


def _target(session: Session, rule: RoutingRule, commune_code: str) -> Agency | None:
    if rule.target == "commune_committee":
        return commune_committee(session, commune_code)
    return rule.agency


def _explain(rule: RoutingRule, category: Category, commune_name: str, agency: Agency) -> tuple[str, str]:
    cat_vi, cat_en = f"«{category.name_vi}»", f"“{category.name_en}”"
    if rule.category_id is None and rule.commune_code is None:
        vi = f"Không có quy tắc riêng cho lĩnh vực {cat_vi}: tiếp nhận chung → {agency.name_vi}"
        en = f"No specific rule for {cat_en}: general intake → {agency.name_en}"
    elif rule.commune_code is not None:
        scope_vi = f"lĩnh vực {cat_vi}" if rule.category_id else "mọi lĩnh vực"
        scope_en = cat_en if rule.category_id else "any category"
        scope_vi, scope_en = f"{scope_vi} tại {commune_name}", f"{scope_en} in {commune_name}"
        vi, en = f"Quy tắc: {scope_vi} → {agency.name_vi}", f"Rule: {scope_en} → {agency.name_en}"
    elif rule.target == "commune_committee":
        vi = f"Lĩnh vực {cat_vi} do UBND cấp xã nơi xảy ra xử lý: {commune_name} → {agency.name_vi}"
        en = f"{cat_en} is handled by the commune where it happens: {commune_name} → {agency.name_en}"
    else:
        vi, en = f"Lĩnh vực {cat_vi} → {agency.name_vi}", f"{cat_en} → {agency.name_en}"
    suffix = f" (quy tắc {rule.code})", f" (rule {rule.code})"
    note_vi = f". {rule.note_vi}" if rule.note_vi else ""
    note_en = f". {rule.note_en}" if rule.note_en else ""
    return vi + suffix[0] + note_vi, en + suffix[1] + note_en


def route(session: Session, category: Category, commune_code: str, commune_name: str) -> Route:
    """The agency for a report of ``category`` in ``commune_code``, with the explanation."""
    rules = session.scalars(
        select(RoutingRule)
        .where(RoutingRule.active.is_(True),
               (RoutingRule.category_id == category.id) | RoutingRule.category_id.is_(None),
               (RoutingRule.commune_code == commune_code) | RoutingRule.commune_code.is_(None))
        .order_by(RoutingRule.category_id.is_(None), RoutingRule.commune_code.is_(None),
                  RoutingRule.priority, RoutingRule.id)
    ).all()
    for rule in rules:
        agency = _target(session, rule, commune_code)
        if agency is not None:
            vi, en = _explain(rule, category, commune_name, agency)
            return Route(agency=agency, rule=rule, explanation_vi=vi, explanation_en=en)
    raise Conflict(
        "Chưa cấu hình nơi tiếp nhận cho lĩnh vực này / no routing rule matches; an administrator "
        "must add a catch-all rule", code="no_routing_rule", category=category.code,
    )


# ---- administration ------------------------------------------------------------------


def list_rules(session: Session) -> list[RoutingRule]:
    return list(session.scalars(select(RoutingRule).order_by(
        RoutingRule.category_id.is_(None), RoutingRule.commune_code.is_(None),
        RoutingRule.priority, RoutingRule.id)))


def get_rule(session: Session, code: str) -> RoutingRule:
    rule = session.scalar(select(RoutingRule).where(RoutingRule.code == code))
    if rule is None:
        raise NotFound(f"Không có quy tắc / no such rule: {code}", code="rule_not_found")
    return rule


def agency_by_code(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise InvalidInput(f"Không có cơ quan / unknown agency: {code}", code="unknown_agency")
    return agency


def _apply(session: Session, rule: RoutingRule, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if key not in EDITABLE:
            raise InvalidInput(f"Không sửa được trường / field not editable: {key}", code="bad_field")
        if key == "category":
            rule.category_id = None if value is None else _category_id(session, value)
        elif key == "agency":
            rule.agency_id = None if value is None else agency_by_code(session, value).id
        elif key == "commune_code":
            if value is not None and not session.execute(text(
                    "SELECT 1 FROM admin_units WHERE level = 'commune' AND code = :c"), {"c": value}).first():
                raise InvalidInput(f"Không có xã mã / unknown commune: {value}", code="unknown_commune")
            rule.commune_code = value
        elif key == "target":
            if value not in TARGETS:
                raise InvalidInput("Đích không hợp lệ / unknown target", code="bad_target",
                                   allowed=list(TARGETS))
            rule.target = value
        else:
            setattr(rule, key, nfc(value) if isinstance(value, str) else value)
    if rule.target == "agency" and rule.agency_id is None:
        raise InvalidInput("Quy tắc gửi tới cơ quan cần mã cơ quan / an agency rule needs an agency",
                           code="agency_required")
    if rule.target == "commune_committee":
        rule.agency_id = None


def _category_id(session: Session, code: str) -> int:
    cid = session.scalar(select(Category.id).where(Category.code == code))
    if cid is None:
        raise InvalidInput(f"Lĩnh vực không hợp lệ / unknown category: {code}", code="unknown_category")
    return int(cid)


def create_rule(session: Session, values: dict[str, Any]) -> RoutingRule:
    code = values.get("code", "")
    if not CODE_RE.fullmatch(code):
        raise InvalidInput("Mã quy tắc: a-z, 0-9, '_' '-' / malformed rule code", code="bad_code")
    if session.scalar(select(RoutingRule.id).where(RoutingRule.code == code)) is not None:
        raise Conflict(f"Quy tắc đã tồn tại / rule exists: {code}", code="rule_exists")
    rule = RoutingRule(code=code, target="agency", priority=100, active=True)
    _apply(session, rule, {k: v for k, v in values.items() if k != "code"})
    session.add(rule)
    session.flush()
    session.refresh(rule)
    return rule


def update_rule(session: Session, rule: RoutingRule, values: dict[str, Any]) -> RoutingRule:
    _apply(session, rule, values)
    rule.updated_at = func.now()
    session.flush()
    session.refresh(rule)
    return rule


def delete_rule(session: Session, rule: RoutingRule) -> None:
    """Reports keep their explanation text; their rule link becomes NULL."""
    session.execute(delete(RoutingRule).where(RoutingRule.id == rule.id))

