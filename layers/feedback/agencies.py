"""The public list of agencies that handle citizen feedback (labels for the statistics).

Public facts only: code, names, kind, commune. No officers, no contacts. An agency is
``active`` on a day when it can receive cases then: a district department always; a
commune People's Committee while its commune exists (the 2025 reform merged communes, so
the committees of the absorbed ones are inactive from 1 July 2025 and stay in the list
for the statistics of earlier periods).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from layers.models import AdminUnit, Agency


@dataclass(frozen=True)
class AgencyPublic:
    code: str
    name_vi: str
    name_en: str
    kind: str
    commune_code: str | None
    active: bool


def list_agencies(session: Session, on: date) -> list[AgencyPublic]:
    """Every agency, departments first, then communes by code; ``active`` on day ``on``."""
    commune_exists = exists().where(
        AdminUnit.level == "commune", AdminUnit.code == Agency.commune_code,
        or_(AdminUnit.valid_from.is_(None), AdminUnit.valid_from <= on),
        or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to >= on),
    )
    active = or_(Agency.kind != "commune", and_(Agency.commune_code.is_not(None), commune_exists))
    rows = session.execute(
        select(Agency.code, Agency.name_vi, Agency.name_en, Agency.kind, Agency.commune_code,
               active.label("active"))
        .order_by(Agency.kind.desc(), Agency.commune_code.nulls_first(), Agency.code)
    ).all()
    return [AgencyPublic(*row) for row in rows]
