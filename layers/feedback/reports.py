"""Submitting a report: validate, locate, route, set the deadline, store it with its photos.

One call, one transaction: either the report, its first timeline entry and its photo
files all exist after the commit, or nothing does. The order is chosen so cheap checks
and refusals come first and locks are held briefly: idempotent replay, rate limit,
category and answers, location, photo decoding (CPU, before any row is written), then
the inserts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.hexgrid import lonlat_to_cells
from layers import admin_units
from layers.errors import Conflict, InvalidInput, NotFound
from layers.feedback import calendar, categories, photos, ratelimit, routing
from layers.feedback.media import MediaStore, new_name
from layers.feedback.models import Photo, Report, Transition
from layers.models import User

CODE_PREFIX = "DM"
CODE_RE = re.compile(rf"^{CODE_PREFIX}-[0-9]{{4}}-[0-9]{{6,9}}$")
KEY_RE = re.compile(r"^[\x21-\x7e]{8,200}$")
LOCK_IDEMPOTENCY = 4_002
TITLE_LIMITS = (3, 200)
DESCRIPTION_LIMITS = (1, 5000)
PHONE_RE = re.compile(r"^\+?[0-9 .()-]{6,20}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


@dataclass(frozen=True)
class NewReport:
    """What a citizen sends (the API, the web form and Open311 all build this)."""

    category: str
    title: str
    description: str
    lon: float | None = None
    lat: float | None = None
    commune_code: str | None = None
    address: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_email: str | None = None
    share_contact: bool = False
    anonymous: bool = False
    source: str = "web"


@dataclass(frozen=True)
class Submitter:
    user: User | None = None
    ip: str | None = None
    # An API-key client (Open311): its requests carry many citizens' reports from one
    # server address, so the anonymous per-IP limit does not apply and no IP hash is kept.
    keyed: bool = False


@dataclass(frozen=True)
class Limits:
    anon_limit: int = 5
    anon_window: timedelta = timedelta(minutes=10)


@dataclass
class Submitted:
    report: Report
    private_token: str
    created: bool  # False: an idempotent replay of an earlier submission


def clean_text(value: str | None, field_name: str, limits: tuple[int, int], *, required: bool) -> str | None:
    """NFC, trimmed, no NUL or other control characters except tab/newline; within limits.

    HTML is ordinary text here: stored verbatim and always rendered escaped by clients.
    """
    if value is None or not value.strip():
        if required:
            raise InvalidInput(f"Thiếu {field_name} / {field_name} required", code="missing_field",
                               field=field_name)
        return None
    text = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text):
        raise InvalidInput(f"{field_name}: có ký tự điều khiển / control characters not allowed",
                           code="bad_text", field=field_name)
    low, high = limits
    if not low <= len(text) <= high:
        raise InvalidInput(f"{field_name}: độ dài {low}-{high} ký tự / length must be {low}-{high}",
                           code="text_length", field=field_name, min=low, max=high)
    return text


def _contact(new: NewReport) -> dict[str, Any]:
    name = clean_text(new.reporter_name, "reporter_name", (1, 200), required=False)
    phone = clean_text(new.reporter_phone, "reporter_phone", (6, 20), required=False)
    email = clean_text(new.reporter_email, "reporter_email", (3, 320), required=False)
    if phone and not PHONE_RE.fullmatch(phone):
        raise InvalidInput("Số điện thoại không hợp lệ / invalid phone number", code="bad_phone")
    if email and not EMAIL_RE.fullmatch(email):
        raise InvalidInput("Email không hợp lệ / invalid email", code="bad_email")
    if new.anonymous and (name or phone or email):
        raise InvalidInput("Phản ánh ẩn danh không kèm thông tin liên hệ / an anonymous report "
                           "carries no contact details", code="anonymous_with_contact")
    return {"reporter_name": name, "reporter_phone": phone, "reporter_email": email,
            "share_contact": bool(new.share_contact and (name or phone or email))}


@dataclass(frozen=True)
class Place:
    lon: float
    lat: float
    precision: str
    commune_code: str
    commune_name: str


def locate(session: Session, lon: float | None, lat: float | None, commune_code: str | None,
           on: date) -> Place:
    """The point and its commune on ``on``; or a commune's label point when GPS is poor."""
    if lon is not None or lat is not None:
        if lon is None or lat is None or not (math.isfinite(lon) and math.isfinite(lat)) \
                or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput("Tọa độ không hợp lệ / invalid coordinates (lon, lat in WGS84)",
                               code="bad_coordinates")
        try:
            commune = admin_units.commune_containing(session, lon, lat, on)
        except NotFound:
            raise InvalidInput("Vị trí nằm ngoài địa bàn / the point is outside the district",
                               code="outside_district", lon=lon, lat=lat) from None
        props = commune["properties"]
        if commune_code and commune_code != props["code"]:
            raise InvalidInput(f"Điểm không thuộc xã đã chọn mà thuộc {props['name']} / the point "
                               f"is not in the chosen commune but in {props['name']}",
                               code="commune_mismatch", commune_code=props["code"])
        return Place(lon, lat, "point", props["code"], props["name"])
    if not commune_code:
        raise InvalidInput("Cần vị trí (lon, lat) hoặc mã xã / a location (lon, lat) or a commune "
                           "code is required", code="location_required")
    try:
        props = admin_units.commune_by_code(session, commune_code, on)["properties"]
    except NotFound:
        raise InvalidInput(f"Không có xã mã {commune_code} / unknown commune {commune_code}",
                           code="unknown_commune") from None
    return Place(props["label_lon"], props["label_lat"], "commune", props["code"], props["name"])


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def token_hash(token: str) -> str:
    return _sha(f"report-token:{token}")


def _derived_token(key: str, nonce: str) -> str:
    digest = hmac.new(key.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _request_hash(new: NewReport, submitter: Submitter, uploads: Sequence[bytes]) -> str:
    body = {"report": asdict(new), "user": submitter.user.id if submitter.user else None,
            "photos": [hashlib.sha256(u).hexdigest() for u in uploads]}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _replay(session: Session, key: str, request_hash: str) -> Submitted | None:
    """The report an earlier request with this key created, after waiting for that request."""
    key_hash = _sha(f"idempotency:{key}")
    session.execute(select(func.pg_advisory_xact_lock(LOCK_IDEMPOTENCY, func.hashtext(key_hash))))
    report = session.scalar(select(Report).where(Report.idempotency_key_hash == key_hash))
    if report is None:
        return None
    if report.request_hash != request_hash:
        raise Conflict("Idempotency-Key đã dùng cho một phản ánh khác / Idempotency-Key already used "
                       "for a different request", code="idempotency_key_reused", report_code=report.code)
    token = _derived_token(key, report.token_nonce or "")
    return Submitted(report=report, private_token=token, created=False)


def next_code(session: Session, year: int) -> str:
    number = session.scalar(select(func.feedback_next_code_number(year)))
    return f"{CODE_PREFIX}-{year}-{number:06d}"


def submit(
    session: Session, new: NewReport, uploads: Sequence[bytes], *, submitter: Submitter,
    media: MediaStore, idempotency_key: str | None = None, limits: Limits | None = None,
    now: datetime | None = None,
) -> Submitted:
    """Store a new report (or return the one an identical earlier request created)."""
    now = now or datetime.now(UTC)
    limits = limits or Limits()
    if idempotency_key is not None and not KEY_RE.fullmatch(idempotency_key):
        raise InvalidInput("Idempotency-Key: 8-200 ký tự ASCII in được / 8-200 printable ASCII "
                           "characters", code="bad_idempotency_key")
    photos.check_count(len(uploads))
    request_hash = _request_hash(new, submitter, uploads)
    if idempotency_key is not None and (replay := _replay(session, idempotency_key, request_hash)):
        return replay
    ip_digest = None
    if submitter.user is None and not submitter.keyed:
        ip_digest = ratelimit.ip_hash(submitter.ip)
        ratelimit.check_anonymous(session, ip_digest, limit=limits.anon_limit,
                                  window=limits.anon_window, now=now)
    category = categories.category_for_report(session, new.category)
    answers = categories.check_answers(category, new.answers or {})
    title = clean_text(new.title, "title", TITLE_LIMITS, required=True)
    description = clean_text(new.description, "description", DESCRIPTION_LIMITS, required=True)
    address = clean_text(new.address, "address", (1, 300), required=False)
    contact = _contact(new)
    day = calendar.local_date(now)
    place = locate(session, new.lon, new.lat, new.commune_code, day)
    processed = [photos.process_photo(data, i) for i, data in enumerate(uploads)]

    route = routing.route(session, category, place.commune_code, place.commune_name)
    if idempotency_key is not None:
        nonce = secrets.token_hex(16)
        token = _derived_token(idempotency_key, nonce)
    else:
        nonce, token = None, secrets.token_urlsafe(32)
    cells = lonlat_to_cells(place.lon, place.lat)
    names = [new_name() for _ in processed]
    report = Report(
        code=next_code(session, day.year), category=category, title=title,
        description=description, address=address, answers=answers, status="received",
        source=new.source, geom=from_shape(Point(place.lon, place.lat), srid=4326),
        location_precision=place.precision, commune_code=place.commune_code,
        commune_name=place.commune_name, **{f"h3_r{r}": c for r, c in cells.items()},
        agency=route.agency, routing_rule_id=route.rule.id if route.rule else None,
        routing_explanation_vi=route.explanation_vi, routing_explanation_en=route.explanation_en,
        received_at=now, deadline_days=category.deadline_days,
        due_at=calendar.due_at(session, now, category.deadline_days),
        supporters=0, text_hidden=False, escalated=False, dispute_count=0, updated_at=now,
        reporter_user_id=submitter.user.id if submitter.user and not new.anonymous else None,
        reporter_ip_hash=ip_digest, private_token_hash=token_hash(token), token_nonce=nonce,
        idempotency_key_hash=_sha(f"idempotency:{idempotency_key}") if idempotency_key else None,
        request_hash=request_hash, assignee_id=None, duplicate_of_id=None, **contact,
        photos=[Photo(position=i, name=name, media_type=p.media_type, width=p.width, height=p.height,
                      bytes=len(p.full), thumb_bytes=len(p.thumb), upload_sha256=p.upload_sha256,
                      hidden=False, created_at=now)
                for i, (name, p) in enumerate(zip(names, processed, strict=True))],
    )
    session.add(report)
    session.flush()  # the report and its photo rows; files only once the rows are in
    session.add(Transition(
        report_id=report.id, at=now, actor_id=submitter.user.id if submitter.user else None,
        actor_kind="citizen", action="created", from_status=None, to_status="received",
        to_agency_id=route.agency.id, data={"routing_rule": route.rule.code if route.rule else None},
    ))
    for name, photo in zip(names, processed, strict=True):
        media.stage(session, name, photo.full, photo.thumb)
    return Submitted(report=report, private_token=token, created=True)


@dataclass(frozen=True)
class Preview:
    place: Place
    route: routing.Route
    due_at: datetime
    deadline_days: int


def preview(session: Session, category_code: str, lon: float | None, lat: float | None,
            commune_code: str | None, now: datetime | None = None) -> Preview:
    """Where a report would go and its deadline if submitted now (shown on the form)."""
    now = now or datetime.now(UTC)
    category = categories.category_for_report(session, category_code)
    place = locate(session, lon, lat, commune_code, calendar.local_date(now))
    route = routing.route(session, category, place.commune_code, place.commune_name)
    return Preview(place=place, route=route, due_at=calendar.due_at(session, now, category.deadline_days),
                   deadline_days=category.deadline_days)
