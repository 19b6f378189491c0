"""Reports as GeoReport v2 service requests: the public document, the query, the creation.

Creation goes through ``layers.feedback.reports.submit``, the path of the web form: the
same validation, location check, routing, deadline and transaction; only the anonymous
per-IP limit is off (the client is identified by its API key). The documents are built
from the report's public fields only: the reporter's name, phone, email, account and
device never appear in them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from layers import apikeys
from layers.errors import InvalidInput, NotFound
from layers.feedback import reports
from layers.feedback.calendar import VN_TZ
from layers.feedback.media import MediaStore
from layers.feedback.models import OPEN_STATUSES, STATUSES, Category, Report
from layers.feedback.views import HIDDEN_VI
from layers.open311.models import Open311Request
from layers.open311.services import active_category

CLOSED_STATUSES = tuple(s for s in STATUSES if s not in OPEN_STATUSES)
DEFAULT_WINDOW = timedelta(days=90)
MAX_PAGE_SIZE = 1000
MAX_PAGE = 10_000
MAX_IDS = 200
MAX_CODES = 50
TITLE_CHARS = 80
URL_RE = re.compile(r"^https?://[^\s<>\"]{1,2000}$")
STATUS_NOTES = {
    "received": "Đã tiếp nhận / received",
    "assigned": "Đã giao cán bộ xử lý / assigned to an officer",
    "in_progress": "Đang xử lý / in progress",
    "resolved": "Đã xử lý, chờ người dân xác nhận trong 7 ngày / resolved, awaiting the citizen's "
                "confirmation (7 days)",
    "confirmed": "Đã xử lý, người dân xác nhận kết quả / resolved and confirmed by the citizen",
    "resolved_unconfirmed": "Đã xử lý, người dân không phản hồi trong 7 ngày / resolved; the citizen "
                            "did not answer within 7 days",
}
REJECT_NOTES = {
    "not_in_competence": "không thuộc thẩm quyền / not in our competence",
    "insufficient_information": "không đủ thông tin / not enough information",
    "other": "lý do khác / other reason",
}


# ---- reading ------------------------------------------------------------------------


def w3c(moment: datetime | None) -> str | None:
    """A W3C date-time in Vietnam time with its offset, e.g. 2026-03-10T10:00:00+07:00."""
    return moment.astimezone(VN_TZ).isoformat(timespec="seconds") if moment else None


def open_or_closed(status: str) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def status_notes(report: Report) -> str:
    """Our finer status first (a machine word), then a Vietnamese / English explanation."""
    if report.status == "closed":
        word = report.closure or "confirmed"
        return f"{word if word != 'confirmed' else 'closed'}: {STATUS_NOTES[word]}"
    if report.status == "rejected":
        reason = REJECT_NOTES.get(report.reject_reason or "other", REJECT_NOTES["other"])
        return f"rejected: Từ chối, {reason}"
    if report.status == "duplicate":
        original = report.duplicate_of.code if report.duplicate_of is not None else "?"
        return f"duplicate: Trùng với phản ánh {original} / duplicate of {original}"
    note = f"{report.status}: {STATUS_NOTES[report.status]}"
    if report.escalated and report.status in OPEN_STATUSES:
        note += " (người dân không đồng ý kết quả, đã báo lãnh đạo / disputed by the citizen, escalated)"
    return note


def service_notice(report: Report) -> str:
    day = report.due_at.astimezone(VN_TZ).date().isoformat()
    return (f"Thời hạn xử lý {report.deadline_days} ngày làm việc, đến hết ngày {day} / to be handled "
            f"within {report.deadline_days} working days, by the end of {day}")


def _description(report: Report) -> str:
    if report.text_hidden:
        return HIDDEN_VI
    if report.description.startswith(report.title.rstrip("…")):
        return report.description  # the title was cut from the description (Open311, see below)
    return f"{report.title}\n{report.description}"


def _address(report: Report) -> str:
    if report.address and not report.text_hidden:
        return f"{report.address}, {report.commune_name}"
    return report.commune_name


def _media_url(report: Report, extra: Open311Request | None, base_url: str) -> str | None:
    """The first photo moderators left visible; else the client's own URL (hidden with the text)."""
    for photo in report.photos:
        if not photo.hidden:
            return f"{base_url}/api/v1/reports/{report.code}/photos/{photo.id}"
    if extra is not None and extra.media_url and not report.text_hidden:
        return extra.media_url
    return None


def document(report: Report, base_url: str, extra: Open311Request | None = None) -> dict[str, Any]:
    """One service request as the standard names its fields (public data only)."""
    point = to_shape(report.geom)
    assert isinstance(point, Point)
    return {
        "service_request_id": report.code,
        "status": open_or_closed(report.status),
        "status_notes": status_notes(report),
        "service_name": report.category.name_vi,
        "service_code": report.category.code,
        "description": _description(report),
        "agency_responsible": report.agency.name_vi,
        "service_notice": service_notice(report),
        "requested_datetime": w3c(report.received_at),
        "updated_datetime": w3c(report.updated_at),
        "expected_datetime": w3c(report.due_at),
        "address": _address(report),
        "address_id": None,
        "zipcode": None,
        "lat": round(point.y, 6),
        "long": round(point.x, 6),
        "media_url": _media_url(report, extra, base_url.rstrip("/")),
    }


def _extras(session: Session, reports_: Sequence[Report]) -> dict[int, Open311Request]:
    ids = [r.id for r in reports_]
    if not ids:
        return {}
    return {e.report_id: e for e in session.scalars(select(Open311Request)
                                                    .where(Open311Request.report_id.in_(ids)))}


def documents(session: Session, reports_: Sequence[Report], base_url: str) -> list[dict[str, Any]]:
    extras = _extras(session, reports_)
    return [document(r, base_url, extras.get(r.id)) for r in reports_]


def one(session: Session, service_request_id: str, base_url: str) -> list[dict[str, Any]]:
    """``requests/{id}``: a list of one, or 404."""
    report = session.scalar(select(Report).where(Report.code == service_request_id.strip()))
    if report is None:
        raise NotFound(f"Không có yêu cầu / service_request_id not found: {service_request_id}",
                       code="request_not_found")
    return documents(session, [report], base_url)


def token(session: Session, token_: str) -> list[dict[str, Any]]:
    """``tokens/{token}``: our requests are created at once, so a token is the request id."""
    code = session.scalar(select(Report.code).where(Report.code == token_.strip()))
    if code is None:
        raise NotFound(f"Không có token / token not found: {token_}", code="token_not_found")
    return [{"service_request_id": code, "token": code}]


# ---- querying -----------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """The standard's filters (raw strings, as sent) and our paging extension."""

    service_request_id: str | None = None
    service_code: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    status: str | None = None
    page: int = 1
    page_size: int = MAX_PAGE_SIZE


def _csv(raw: str | None) -> list[str]:
    """Comma lists, also when a parameter was repeated (joined with commas by the caller)."""
    return [v.strip() for v in (raw or "").split(",") if v.strip()]


def parse_datetime(raw: str, name: str) -> datetime:
    """W3C / ISO 8601; a date alone is its midnight; without an offset, Vietnam time."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(f"{name}: cần ngày giờ ISO 8601 / {name} must be an ISO 8601 date-time, "
                           "e.g. 2026-03-01T00:00:00Z", code="bad_datetime", field=name) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=VN_TZ)
    return value


def window(q: Query, now: datetime) -> tuple[datetime, datetime]:
    """[start, end]: both given; one and 90 days on its other side (never past now); or the
    last 90 days."""
    start = parse_datetime(q.start_date, "start_date") if q.start_date else None
    end = parse_datetime(q.end_date, "end_date") if q.end_date else None
    if start is None and end is None:
        return now - DEFAULT_WINDOW, now
    if start is None:
        assert end is not None
        start = end - DEFAULT_WINDOW
    if end is None:
        end = min(start + DEFAULT_WINDOW, max(now, start))
    if end < start:
        raise InvalidInput("end_date trước start_date / end_date is before start_date",
                           code="bad_date_range")
    return start, end


def query(session: Session, q: Query, base_url: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """``GET requests``: newest first. ``service_request_id`` overrides the other filters.

    Index: ix_feedback_reports_received_at (or _category_received with service_code); a
    page is at most 1000 rows, so a request never loads more than that.
    """
    now = now or datetime.now(UTC)
    if not 1 <= q.page <= MAX_PAGE or not 1 <= q.page_size <= MAX_PAGE_SIZE:
        raise InvalidInput(f"page 1-{MAX_PAGE}, page_size 1-{MAX_PAGE_SIZE}", code="bad_paging")
    ids = _csv(q.service_request_id)
    if ids:
        if len(ids) > MAX_IDS:
            raise InvalidInput(f"Tối đa {MAX_IDS} mã / at most {MAX_IDS} service_request_id values",
                               code="too_many_ids")
        stmt = select(Report).where(Report.code.in_(ids))
    else:
        stmt = _filtered(session, q, now)
    stmt = stmt.order_by(Report.received_at.desc(), Report.id.desc())
    found = list(session.scalars(stmt.limit(q.page_size).offset((q.page - 1) * q.page_size)).unique())
    return documents(session, found, base_url)


def _filtered(session: Session, q: Query, now: datetime) -> Any:
    start, end = window(q, now)
    stmt = select(Report).where(Report.received_at >= start, Report.received_at <= end)
    codes = _csv(q.service_code)
    if codes:
        if len(codes) > MAX_CODES:
            raise InvalidInput("Quá nhiều service_code / too many service_code values", code="too_many_codes")
        known = dict(session.execute(select(Category.code, Category.id)
                                     .where(Category.code.in_(codes))).all())
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise InvalidInput(f"Không có dịch vụ / unknown service_code: {unknown[0]}",
                               code="unknown_service_code")
        stmt = stmt.where(Report.category_id.in_(list(known.values())))
    statuses = _csv(q.status)
    bad = [s for s in statuses if s not in ("open", "closed")]
    if bad:
        raise InvalidInput(f"status phải là open hoặc closed / status must be open or closed: {bad[0]}",
                           code="bad_status")
    if set(statuses) == {"open"}:
        stmt = stmt.where(Report.status.in_(OPEN_STATUSES))
    elif set(statuses) == {"closed"}:
        stmt = stmt.where(Report.status.in_(CLOSED_STATUSES))
    return stmt


# ---- creating -----------------------------------------------------------------------


@dataclass(frozen=True)
class RequestForm:
    """A POST body as sent (strings); ``attributes`` maps a code to its value(s)."""

    service_code: str | None = None
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = None
    media_url: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    attributes: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Created:
    report: Report
    created: bool  # False: an idempotent replay
    account_id: str | None


def _blank(value: str | None) -> str | None:
    """The standard: an empty parameter is the same as an absent one."""
    return value.strip() if value is not None and value.strip() else None


def _coordinate(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInput(f"{name}: cần một số (WGS84) / {name} must be a number (WGS84)",
                           code="bad_coordinates", field=name)
    return value


def _location(form: RequestForm) -> tuple[float, float]:
    lat, lon = _blank(form.lat), _blank(form.long)
    if lat is None and lon is None:
        if _blank(form.address_string) or _blank(form.address_id):
            raise InvalidInput("Chưa hỗ trợ tìm vị trí theo địa chỉ: cần lat và long / we have no "
                               "geocoder: lat and long are required (address_string is kept as a hint)",
                               code="lat_long_required")
        raise InvalidInput("Cần vị trí lat và long / lat and long are required", code="lat_long_required")
    if lat is None or lon is None:
        raise InvalidInput("Cần cả lat và long / both lat and long are required", code="lat_long_required")
    return _coordinate(lon, "long"), _coordinate(lat, "lat")


def _answer(question: dict[str, Any], values: Sequence[str]) -> Any:
    """Form strings to the JSON types ``categories.check_answers`` validates."""
    kind = question["datatype"]
    values = [v for v in values if v.strip()]
    if not values:
        return None
    if kind == "multivaluelist":
        return [v.strip() for v in values]
    if len(values) > 1:
        raise InvalidInput(f"attribute[{question['code']}]: chỉ một giá trị / only one value allowed",
                           code="bad_answer", question=question["code"])
    value = values[0].strip()
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            return value  # refused with the standard message by check_answers
        return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() \
            else number
    return value


def _answers(category: Category, attributes: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    questions = {q["code"]: q for q in category.extra_questions}
    out: dict[str, Any] = {}
    for code, values in attributes.items():
        if code not in questions:
            raise InvalidInput(f"Câu hỏi không có trong dịch vụ / unknown attribute: {code}",
                               code="unknown_answer", question=code)
        answer = _answer(questions[code], values)
        if answer is not None:
            out[code] = answer
    return out


def title_from(description: str, category: Category) -> str:
    """The first line of the description, cut at a word near 80 characters (the standard has
    no title); the service name when that is too short to say anything."""
    first = " ".join(description.strip().splitlines()[0].split()) if description.strip() else ""
    if len(first) > TITLE_CHARS:
        cut = first[:TITLE_CHARS].rsplit(" ", 1)[0]
        first = (cut if len(cut) >= TITLE_CHARS // 2 else first[:TITLE_CHARS]) + "…"
    return first if len(first) >= reports.TITLE_LIMITS[0] else category.name_vi


def _private(value: str | None, name: str, limit: int) -> str | None:
    value = _blank(value)
    if value is not None and len(value) > limit:
        raise InvalidInput(f"{name}: tối đa {limit} ký tự / at most {limit} characters", code="text_length",
                           field=name)
    return value


def create(session: Session, form: RequestForm, *, api_key: str | None, media: MediaStore,
           idempotency_key: str | None = None, now: datetime | None = None) -> Created:
    """``POST requests``: 403 without a valid key (checked first), else one report through
    the web form's submit path, or a 4xx."""
    now = now or datetime.now(UTC)
    client = apikeys.authenticate(session, api_key, now)
    code = _blank(form.service_code)
    if code is None:
        raise InvalidInput("Thiếu service_code / service_code is required", code="service_code_required")
    category = active_category(session, code)
    lon, lat = _location(form)
    description = _blank(form.description)
    if description is None:
        raise InvalidInput("Thiếu description: hãy mô tả vấn đề / description is required",
                           code="missing_field", field="description")
    media_url = _private(form.media_url, "media_url", 2000)
    if media_url is not None and not URL_RE.fullmatch(media_url):
        raise InvalidInput("media_url phải là địa chỉ http(s) / media_url must be an http(s) URL",
                           code="bad_media_url")
    name = " ".join(p for p in (_blank(form.first_name), _blank(form.last_name)) if p) or None
    new = reports.NewReport(
        category=category.code, title=title_from(description, category), description=description,
        lon=lon, lat=lat, address=_blank(form.address_string), answers=_answers(category, form.attributes),
        reporter_name=name, reporter_phone=_blank(form.phone), reporter_email=_blank(form.email),
        share_contact=False, anonymous=False, source="open311",
    )
    # Keys are scoped to the client, so two clients can never replay each other's reports.
    scoped = f"k{client.id}:{idempotency_key}" if idempotency_key is not None else None
    if idempotency_key is not None and not reports.KEY_RE.fullmatch(idempotency_key):
        scoped = idempotency_key  # let submit() refuse it with its own message
    device_id = _private(form.device_id, "device_id", 200)
    account_id = _private(form.account_id, "account_id", 200)
    result = reports.submit(session, new, [], submitter=reports.Submitter(keyed=True), media=media,
                            idempotency_key=scoped, now=now)
    if result.created:
        session.add(Open311Request(report_id=result.report.id, api_key_id=client.id, media_url=media_url,
                                   device_id=device_id, account_id=account_id, created_at=now))
        session.flush()
    return Created(report=result.report, created=result.created, account_id=account_id)


def created_document(created: Created) -> dict[str, Any]:
    """The POST response: the id at once (we never answer with a token)."""
    return {"service_request_id": created.report.code, "service_notice": service_notice(created.report),
            "account_id": created.account_id}
