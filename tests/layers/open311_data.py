"""Shared by the Open311 tests (layers, API, live clients): keys, forms, reports in a state."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree

from sqlalchemy import update
from sqlalchemy.orm import Session

from layers import apikeys
from layers.feedback.models import Report
from tests.layers.feedback.helpers import TOWN

# Personal data that must never come out of any Open311 document.
SECRET_EMAIL = "bi-mat-open311@example.vn"
SECRET_PHONE = "0987654321"
SECRET_FIRST, SECRET_LAST = "Thịbímật", "Nguyễnẩndanh"
SECRET_DEVICE = "device-secret-7f3a"
SECRET_ACCOUNT = "account-secret-91b2"


def new_key(session: Session, name: str = "ung-dung-thu") -> str:
    return apikeys.create_key(session, name).secret


def form(**kw: Any) -> dict[str, str]:
    """A POST body as a GeoReport client sends it."""
    values = {"service_code": "roads", "lat": str(TOWN[1]), "long": str(TOWN[0]),
              "description": "Ổ gà lớn trước chợ Đắk Mil, sâu khoảng 20 cm, xe máy dễ ngã."}
    values.update({k: v for k, v in kw.items() if v is not None})
    return values


def private_form(**kw: Any) -> dict[str, str]:
    return form(email=SECRET_EMAIL, phone=SECRET_PHONE, first_name=SECRET_FIRST, last_name=SECRET_LAST,
                device_id=SECRET_DEVICE, account_id=SECRET_ACCOUNT, **kw)


def set_state(session: Session, report: Report, **values: Any) -> Report:
    """Put a report straight into a state (the workflow has its own tests)."""
    session.execute(update(Report).where(Report.id == report.id).values(**values))
    session.flush()
    session.refresh(report)
    return report


def settled(received: datetime, hours: float) -> datetime:
    return received + timedelta(hours=hours)


def parse_xml(body: bytes) -> ElementTree.Element:
    """Our own server's output: the point is to prove it is well-formed XML."""
    return ElementTree.fromstring(body)  # noqa: S314 (trusted: produced by the code under test)
