"""Named reads: one report by code or private token, public lists, nearby open reports,
"me too" support, a citizen's own reports, and the officers' inbox.

Every list is bounded (``limit`` ≤ 200, GeoJSON ≤ 5000). The indexes each query relies on
are named beside it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from gis.nearby import degree_margins
from layers.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.feedback.models import OPEN_SQL, STATUSES, Category, Report, Support, Transition
from layers.feedback.ratelimit import ip_hash
from layers.feedback.reports import token_hash
from layers.models import Agency, User

NEARBY_METRES = 50.0
NEARBY_DAYS = 30
MAX_LIMIT = 200
MAX_FEATURES = 5000


def by_code(session: Session, code: str) -> Report:
    report = session.scalar(select(Report).where(Report.code == code))
    if report is None:
        raise NotFound(f"Không có phản ánh / no such report: {code}", code="report_not_found")
    return report


def by_token(session: Session, token: str) -> Report:
    """The reporter's own report; an unknown token is a plain 404 (nothing to enumerate)."""
    report = session.scalar(select(Report).where(Report.private_token_hash == token_hash(token)))
    if report is None:
        raise NotFound("Liên kết không hợp lệ / invalid private link", code="report_not_found")
    return report


def timeline(session: Session, report: Report) -> list[Transition]:
    """Index: ix_feedback_transitions_report_at."""
    return list(session.scalars(select(Transition).where(Transition.report_id == report.id)
                                .order_by(Transition.at, Transition.id)))


@dataclass(frozen=True)
class Filters:
    statuses: tuple[str, ...] = ()
    category: str | None = None
    commune: str | None = None
    agency: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    since: datetime | None = None
    until: datetime | None = None
    overdue: bool | None = None
    due_within: timedelta | None = None
    assignee: str | None = None
    escalated: bool | None = None
    sort: str = "-received_at"
    limit: int = 50
    offset: int = 0


SORTS = {"received_at": Report.received_at.asc(), "-received_at": Report.received_at.desc(),
         "due_at": Report.due_at.asc(), "-due_at": Report.due_at.desc()}


def _filtered(session: Session, f: Filters, now: datetime) -> Select[Any]:
    bad = [s for s in f.statuses if s not in STATUSES]
    if bad:
        raise InvalidInput(f"Trạng thái không hợp lệ / unknown status: {bad[0]}", code="bad_status",
                           allowed=list(STATUSES))
    if f.sort not in SORTS:
        raise InvalidInput("Sắp xếp không hợp lệ / unknown sort", code="bad_sort", allowed=list(SORTS))
    stmt = select(Report)
    if f.statuses:
        stmt = stmt.where(Report.status.in_(f.statuses))
    if f.category:
        cid = session.scalar(select(Category.id).where(Category.code == f.category))
        if cid is None:
            raise InvalidInput(f"Lĩnh vực không hợp lệ / unknown category: {f.category}",
                               code="unknown_category")
        stmt = stmt.where(Report.category_id == cid)
    if f.commune:
        stmt = stmt.where(Report.commune_code == f.commune)
    if f.agency:
        stmt = stmt.where(Report.agency.has(Agency.code == f.agency))
    if f.bbox:
        minx, miny, maxx, maxy = f.bbox
        stmt = stmt.where(Report.geom.op("&&")(func.ST_MakeEnvelope(minx, miny, maxx, maxy, 4326)))
    if f.since:
        stmt = stmt.where(Report.received_at >= f.since)
    if f.until:
        stmt = stmt.where(Report.received_at < f.until)
    if f.overdue is not None:
        late = Report.status.in_(("received", "assigned", "in_progress")) & (Report.due_at < now)
        stmt = stmt.where(late if f.overdue else ~late)
    if f.due_within is not None:
        stmt = stmt.where(Report.status.in_(("received", "assigned", "in_progress")),
                          Report.due_at >= now, Report.due_at < now + f.due_within)
    if f.assignee:
        stmt = stmt.where(Report.assignee.has(User.username == f.assignee))
    if f.escalated is not None:
        stmt = stmt.where(Report.escalated.is_(f.escalated))
    return stmt


def filtered(session: Session, f: Filters, now: datetime | None = None) -> Select[Any]:
    """The reports matching ``f`` (unknown status or category: 422), as the public lists,
    the map points and the map clusters (``layers.feedback.clusters``) all filter them."""
    return _filtered(session, f, now or datetime.now(UTC))


def list_reports(
    session: Session, f: Filters, now: datetime | None = None, *,
    agency_ids: list[int] | None = None, count: bool = False,
) -> tuple[list[Report], int | None]:
    """A page of reports; ``agency_ids`` limits an officer to their agencies.

    Indexes: ix_feedback_reports_received_at / _agency_status_due / _status_due /
    _category_received / _commune_received, depending on the filters.
    """
    now = now or datetime.now(UTC)
    if not 1 <= f.limit <= MAX_LIMIT or f.offset < 0:
        raise InvalidInput(f"limit 1-{MAX_LIMIT}, offset ≥ 0", code="bad_paging")
    stmt = _filtered(session, f, now)
    if agency_ids is not None:
        stmt = stmt.where(Report.agency_id.in_(agency_ids))
    total = None
    if count:
        total = int(session.scalar(stmt.with_only_columns(func.count()).order_by(None)) or 0)
    # Page over narrow (id, sort key) rows first, then load the page's full rows: sorting
    # whole joined rows would make every page cost as much as the whole filter.
    ids = list(session.scalars(stmt.with_only_columns(Report.id).order_by(SORTS[f.sort], Report.id.desc())
                               .limit(f.limit).offset(f.offset)))
    by_id = {r.id: r for r in session.scalars(select(Report).where(Report.id.in_(ids))).unique()}
    return [by_id[i] for i in ids], total


def as_points(session: Session, f: Filters, now: datetime | None = None, *,
              agency_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Light rows for a map layer: code, category, status, due, point (no text)."""
    now = now or datetime.now(UTC)
    stmt = _filtered(session, f, now)
    if agency_ids is not None:
        stmt = stmt.where(Report.agency_id.in_(agency_ids))
    sub = stmt.order_by(Report.received_at.desc()).limit(MAX_FEATURES).subquery()
    rows = session.execute(select(
        sub.c.code, sub.c.status, sub.c.due_at, sub.c.location_precision, sub.c.supporters,
        Category.code.label("category"), Category.icon,
        func.ST_X(sub.c.geom).label("lon"), func.ST_Y(sub.c.geom).label("lat"),
    ).join(Category, Category.id == sub.c.category_id)).mappings().all()
    return [dict(r) for r in rows]


# ---- "me too" -----------------------------------------------------------------------

_NEARBY_SQL = f"""
    SELECT r.id, ST_Distance(r.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS d
    FROM feedback_reports r
    WHERE r.{OPEN_SQL}
      {{category}}
      AND r.received_at >= :since
      AND r.geom && ST_MakeEnvelope(:lon - :dlon, :lat - :dlat, :lon + :dlon, :lat + :dlat, 4326)
      AND ST_DWithin(r.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :metres)
    ORDER BY d, r.id
    LIMIT 20
"""  # noqa: S608 (constants only; values are bound)


def nearby(session: Session, lon: float, lat: float, category: str | None, now: datetime | None = None,
           metres: float = NEARBY_METRES, days: int = NEARBY_DAYS) -> list[tuple[Report, float]]:
    """Open reports within ``metres`` received in the last ``days`` days, nearest first.

    The ``&&`` box (a few metres larger than the circle, see gis.nearby) is answered by the
    partial GiST index ix_feedback_reports_open_geom (category_id, geom) WHERE open; the exact
    geodesic ST_DWithin then runs only on the rows inside the box. A bare
    ``ST_DWithin(geom::geography, ...)`` could not use a geometry index at all.
    """
    now = now or datetime.now(UTC)
    cid = None
    if category:
        cid = session.scalar(select(Category.id).where(Category.code == category))
        if cid is None:
            raise InvalidInput(f"Lĩnh vực không hợp lệ / unknown category: {category}",
                               code="unknown_category")
    dlon, dlat = degree_margins(lat, metres)
    sql = _NEARBY_SQL.format(category="AND r.category_id = :category" if cid is not None else "")
    rows = session.execute(text(sql), {
        "lon": lon, "lat": lat, "category": cid, "since": now - timedelta(days=days),
        "dlon": dlon, "dlat": dlat, "metres": metres}).all()
    if not rows:
        return []
    reports = {r.id: r for r in session.scalars(select(Report).where(Report.id.in_([i for i, _ in rows])))}
    return [(reports[i], float(d)) for i, d in rows]


def fingerprint(user: User | None, ip: str | None, user_agent: str | None) -> str:
    """One supporter = one account, or one anonymous browser (IP + user agent), hashed.

    The anonymous form is keyed with the rate limiter's secret pepper: a plain hash of an
    address and a common user agent could be reversed by trying every IPv4 address.
    """
    if user:
        return hashlib.sha256(f"user:{user.id}".encode()).hexdigest()
    return ip_hash(f"anon:{ip or ''}|{user_agent or ''}")


def support(session: Session, code: str, fingerprint_: str,
            now: datetime | None = None) -> tuple[Report, bool]:
    """Add a "me too" once per person; returns the report and whether this call added one."""
    now = now or datetime.now(UTC)
    report = session.scalar(select(Report).where(Report.code == code).with_for_update(of=Report))
    if report is None:
        raise NotFound(f"Không có phản ánh / no such report: {code}", code="report_not_found")
    if report.status not in ("received", "assigned", "in_progress"):
        raise Conflict("Chỉ ủng hộ được phản ánh đang xử lý / only open reports can be supported",
                       code="report_not_open", status=report.status)
    added = session.execute(text(
        "INSERT INTO feedback_supports (report_id, fingerprint, created_at) VALUES (:r, :f, :now) "
        "ON CONFLICT DO NOTHING RETURNING report_id"), {"r": report.id, "f": fingerprint_, "now": now}
    ).first() is not None
    if added:
        report.supporters = int(session.scalar(
            select(func.count()).select_from(Support).where(Support.report_id == report.id)) or 0)
        session.flush()
    return report, added


def mine(session: Session, user: User, limit: int = 100) -> list[Report]:
    """Index: ix_feedback_reports_reporter_user."""
    return list(session.scalars(select(Report).where(Report.reporter_user_id == user.id)
                                .order_by(Report.received_at.desc()).limit(min(limit, MAX_LIMIT))))


# ---- the officers' inbox ------------------------------------------------------------


def inbox_scope(user: User, agency: str | None) -> list[int] | None:
    """Officers see their agencies' cases; leaders and admins see all (None = no limit)."""
    if user.role in ("admin", "leader"):
        return None
    ids = [a.id for a in user.agencies]
    if agency and agency not in {a.code for a in user.agencies}:
        raise Forbidden("Bạn không thuộc cơ quan này / you do not belong to this agency",
                        code="not_your_agency", agency=agency)
    return ids


def staff_report(session: Session, code: str, user: User) -> Report:
    """One report for the staff view; officers only for their agencies' reports."""
    report = by_code(session, code)
    if user.role == "officer" and not any(a.id == report.agency_id for a in user.agencies):
        raise Forbidden("Phản ánh không thuộc cơ quan của bạn / not your agency's report",
                        code="not_responsible_agency", agency=report.agency.code)
    return report
