"""Response templates: canned public answers officers start from.

Shared templates (no agency) are managed by admins; an officer or leader manages the
templates of their own agencies (leaders: any agency). Everyone on staff reads all.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gis.admin import nfc
from layers.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.feedback.models import Category, ResponseTemplate
from layers.models import Agency, User

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
EDITABLE = ("title", "body_vi", "body_en", "category", "agency", "active")


def list_templates(session: Session, *, agency: str | None = None, category: str | None = None,
                   include_inactive: bool = False) -> list[ResponseTemplate]:
    stmt = select(ResponseTemplate).order_by(ResponseTemplate.code)
    if not include_inactive:
        stmt = stmt.where(ResponseTemplate.active.is_(True))
    if agency:
        stmt = stmt.where(ResponseTemplate.agency.has(Agency.code == agency)
                          | ResponseTemplate.agency_id.is_(None))
    if category:
        stmt = stmt.where(ResponseTemplate.category.has(Category.code == category)
                          | ResponseTemplate.category_id.is_(None))
    return list(session.scalars(stmt))


def get_template(session: Session, code: str) -> ResponseTemplate:
    template = session.scalar(select(ResponseTemplate).where(ResponseTemplate.code == code))
    if template is None:
        raise NotFound(f"Không có mẫu trả lời / no such template: {code}", code="template_not_found")
    return template


def _may_manage(user: User, agency_id: int | None) -> None:
    if user.role in ("admin", "leader") and (agency_id is not None or user.role == "admin"):
        return
    if user.role == "officer" and agency_id is not None and any(a.id == agency_id for a in user.agencies):
        return
    raise Forbidden("Chỉ quản lý được mẫu của cơ quan mình (mẫu chung: quản trị) / you may manage only "
                    "your agency's templates (shared ones: admins)", code="template_forbidden")


def _apply(session: Session, template: ResponseTemplate, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if key not in EDITABLE:
            raise InvalidInput(f"Không sửa được trường / field not editable: {key}", code="bad_field")
        if key == "agency":
            agency_id = None
            if value is not None:
                agency_id = session.scalar(select(Agency.id).where(Agency.code == value))
                if agency_id is None:
                    raise InvalidInput(f"Không có cơ quan / unknown agency: {value}", code="unknown_agency")
            template.agency_id = agency_id
        elif key == "category":
            category_id = None
            if value is not None:
                category_id = session.scalar(select(Category.id).where(Category.code == value))
                if category_id is None:
                    raise InvalidInput(f"Lĩnh vực không hợp lệ / unknown category: {value}",
                                       code="unknown_category")
            template.category_id = category_id
        else:
            setattr(template, key, nfc(value) if isinstance(value, str) else value)


def create_template(session: Session, values: dict[str, Any], user: User) -> ResponseTemplate:
    code = values.get("code", "")
    if not CODE_RE.fullmatch(code):
        raise InvalidInput("Mã mẫu: a-z, 0-9, '_' '-' / malformed template code", code="bad_code")
    if session.scalar(select(ResponseTemplate.id).where(ResponseTemplate.code == code)) is not None:
        raise Conflict(f"Mẫu đã tồn tại / template exists: {code}", code="template_exists")
    template = ResponseTemplate(code=code, active=True, created_by=user.id)
    _apply(session, template, {k: v for k, v in values.items() if k != "code"})
    _may_manage(user, template.agency_id)
    session.add(template)
    session.flush()
    session.refresh(template)
    return template


def update_template(session: Session, template: ResponseTemplate, values: dict[str, Any],
                    user: User) -> ResponseTemplate:
    _may_manage(user, template.agency_id)
    _apply(session, template, values)
    _may_manage(user, template.agency_id)  # may not move it out of reach either
    template.updated_at = func.now()
    session.flush()
    session.refresh(template)
    return template


def delete_template(session: Session, template: ResponseTemplate, user: User) -> None:
    _may_manage(user, template.agency_id)
    session.execute(delete(ResponseTemplate).where(ResponseTemplate.id == template.id))
