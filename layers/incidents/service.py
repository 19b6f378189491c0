"""Writing incidents: create, edit, move along the allowed transitions, note, link reports.

Who: officers act on incidents of their own agencies (and create them only for their
agencies); leaders and admins on all. Every change is one timeline entry (actor, time,
note, from/to status, what changed) and bumps ``updated_at``, which makes the table's
trigger publish ``incident.created`` / ``incident.status_changed`` / ``incident.updated``
on the live event stream once the transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from geoalchemy2.shape import from_shape
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from gis.hexgrid import lonlat_to_cells
from layers.errors import Conflict, Forbidden, InvalidInput, NotFound
from layers.feedback.models import Report
from layers.feedback.reports import clean_text
from layers.incidents import geometry, kinds
from layers.incidents.models import Incident, IncidentReport, IncidentUpdate
from layers.models import Agency, User

CODE_PREFIX = "SC"  # sự cố
TITLE_LIMITS = (3, 200)
TEXT_LIMITS = (1, 5000)
NOTE_LIMITS = (1, 4000)
MAX_LINKS = 200
VN_OFFSET = timedelta(hours=7)
EDITABLE = ("type", "title", "description", "severity", "geometry", "agency", "occurred_at")


@dataclass(frozen=True)
class NewIncident:
    type: str
    title: str
    severity: int | str
    geometry: dict[str, Any]
    agency: str | None = None  # agency code; officers with one agency may omit it
    description: str | None = None
    occurred_at: datetime | None = None
    reports: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Changes:
    """Fields to change; ``None`` leaves a field as it is (``description=""`` clears it)."""

    type: str | None = None
    title: str | None = None
    description: str | None = None
    severity: int | str | None = None
    geometry: dict[str, Any] | None = None
    agency: str | None = None
    occurred_at: datetime | None = None
    note: str | None = None


def can_edit(user: User, incident: Incident) -> bool:
    if user.role in ("admin", "leader"):
        return True
    return user.role == "officer" and any(a.id == incident.agency_id for a in user.agencies)


def _require_editor(user: User, incident: Incident) -> None:
    if not can_edit(user, incident):
        raise Forbidden(
            "Chỉ cán bộ của cơ quan phụ trách, lãnh đạo hoặc quản trị được cập nhật sự cố / "
            "only officers of the responsible agency, leaders and admins may update",
            code="not_responsible_agency",
            agency=incident.agency.code,
        )


def _agency_for(session: Session, user: User, code: str | None) -> Agency:
    """The responsible agency; an officer may only name one of their own."""
    if code is None:
        if user.role == "officer" and len(user.agencies) == 1:
            return user.agencies[0]
        raise InvalidInput(
            "Cần cơ quan phụ trách / the responsible agency is required", code="agency_required"
        )
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise InvalidInput(f"Không có cơ quan / unknown agency: {code}", code="unknown_agency")
    if user.role == "officer" and agency.id not in {a.id for a in user.agencies}:
        raise Forbidden(
            "Cán bộ chỉ ghi nhận sự cố cho cơ quan của mình / officers record incidents "
            "for their own agencies only",
            code="not_your_agency",
            agency=code,
        )
    return agency


def _occurred(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        raise InvalidInput(
            "Thời điểm cần múi giờ (ISO 8601) / the time needs a time zone (ISO 8601)", code="naive_datetime"
        )
    if value > now + timedelta(minutes=5) or value < datetime(2000, 1, 1, tzinfo=UTC):
        raise InvalidInput(
            "Thời điểm xảy ra không hợp lệ (tương lai?) / occurred_at is in the future or too old",
            code="bad_occurred_at",
        )
    return value


def _locate(session: Session, drawn: geometry.Drawn, on: datetime) -> str | None:
    """The commune of the anchor point; refuses what lies wholly outside the district."""
    day = (on + VN_OFFSET).date()
    params = {"wkt": drawn.geom.wkt, "on": day, "lon": drawn.anchor.x, "lat": drawn.anchor.y}
    valid = "(u.valid_from IS NULL OR u.valid_from <= :on) AND (u.valid_to IS NULL OR u.valid_to >= :on)"
    touches = session.execute(
        text(
            f"SELECT 1 FROM admin_units u WHERE u.level = 'commune' AND {valid} "  # noqa: S608 (constant)
            "AND ST_Intersects(u.geom, ST_GeomFromText(:wkt, 4326)) LIMIT 1"
        ),
        params,
    ).first()
    if touches is None:
        raise InvalidInput(
            "Sự cố nằm ngoài địa bàn / the incident lies outside the district", code="outside_district"
        )
    return session.scalar(
        text(
            f"SELECT u.code FROM admin_units u WHERE u.level = 'commune' AND {valid} "  # noqa: S608
            "AND ST_Covers(u.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) ORDER BY u.code LIMIT 1"
        ),
        params,
    )


def _place(session: Session, incident: Incident, drawn: geometry.Drawn) -> None:
    incident.commune_code = _locate(session, drawn, incident.occurred_at)
    incident.geom = from_shape(drawn.geom, srid=4326)
    incident.point = from_shape(drawn.anchor, srid=4326)
    incident.area_km2 = drawn.area_km2
    for res, cell in lonlat_to_cells(drawn.anchor.x, drawn.anchor.y).items():
        setattr(incident, f"h3_r{res}", cell)


def _note(value: str | None, *, required: bool = False) -> str | None:
    return clean_text(value, "note", NOTE_LIMITS, required=required)


def _log(
    session: Session,
    incident: Incident,
    kind: str,
    actor: User | None,
    now: datetime,
    *,
    note: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        IncidentUpdate(
            incident_id=incident.id,
            at=now,
            actor_id=actor.id if actor else None,
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            note=note,
            data=data or {},
        )
    )


def next_code(session: Session, now: datetime) -> str:
    number = session.scalar(select(func.nextval("incident_code_seq")))
    return f"{CODE_PREFIX}-{(now + VN_OFFSET).year}-{number:06d}"


def create(session: Session, new: NewIncident, actor: User, now: datetime | None = None) -> Incident:
    """Record an incident (status ``reported``) with its first timeline entry and links."""
    now = now or datetime.now(UTC)
    kinds.check_type(new.type)
    severity = kinds.severity_level(new.severity)
    title = clean_text(new.title, "title", TITLE_LIMITS, required=True)
    description = clean_text(new.description, "description", TEXT_LIMITS, required=False)
    note = _note(new.note)
    agency = _agency_for(session, actor, new.agency)
    drawn = geometry.parse(new.geometry)
    incident = Incident(
        code=next_code(session, now),
        type=new.type,
        title=title,
        description=description,
        severity=severity,
        status="reported",
        agency_id=agency.id,
        occurred_at=_occurred(new.occurred_at, now),
        reported_at=now,
        created_by=actor.id,
        updated_by=actor.id,
        updated_at=now,
    )
    _place(session, incident, drawn)
    reports = _reports_by_code(session, new.reports)
    session.add(incident)
    session.flush()
    _log(
        session,
        incident,
        "created",
        actor,
        now,
        note=note,
        to_status="reported",
        data={"severity": severity, "agency": agency.code, "area": drawn.is_area},
    )
    if reports:
        _link(session, incident, reports, actor, now)
    session.flush()
    session.refresh(incident)
    return incident


def lock(session: Session, code: str) -> Incident:
    """The incident, row-locked until commit so two people cannot change it at once."""
    incident = session.scalar(select(Incident).where(Incident.code == code).with_for_update(of=Incident))
    if incident is None:
        raise NotFound(f"Không có sự cố / no such incident: {code}", code="incident_not_found")
    return incident


def update(
    session: Session, code: str, changes: Changes, actor: User, now: datetime | None = None
) -> Incident:
    """Edit fields; the timeline records which fields changed and their old values."""
    now = now or datetime.now(UTC)
    incident = lock(session, code)
    _require_editor(actor, incident)
    note = _note(changes.note)
    before: dict[str, Any] = {}
    if changes.type is not None and changes.type != incident.type:
        before["type"], incident.type = incident.type, kinds.check_type(changes.type)
    if changes.title is not None:
        title = clean_text(changes.title, "title", TITLE_LIMITS, required=True) or incident.title
        if title != incident.title:
            before["title"], incident.title = incident.title, title
    if changes.description is not None:
        description = clean_text(changes.description, "description", TEXT_LIMITS, required=False)
        if description != incident.description:
            before["description"], incident.description = incident.description, description
    if changes.severity is not None:
        level = kinds.severity_level(changes.severity)
        if level != incident.severity:
            before["severity"], incident.severity = incident.severity, level
    if changes.occurred_at is not None:
        when = _occurred(changes.occurred_at, now)
        if when != incident.occurred_at:
            before["occurred_at"], incident.occurred_at = incident.occurred_at.isoformat(), when
    if changes.agency is not None and changes.agency != incident.agency.code:
        target = session.scalar(select(Agency).where(Agency.code == changes.agency))
        if target is None:
            raise InvalidInput(f"Không có cơ quan / unknown agency: {changes.agency}", code="unknown_agency")
        before["agency"], incident.agency_id = incident.agency.code, target.id
    if changes.geometry is not None:
        drawn = geometry.parse(changes.geometry)
        before["geometry"] = "changed"
        _place(session, incident, drawn)
    if not before and note is None:
        raise InvalidInput("Không có gì thay đổi / nothing to change", code="nothing_to_change")
    incident.updated_at, incident.updated_by = now, actor.id
    _log(
        session,
        incident,
        "edit" if before else "note",
        actor,
        now,
        note=note,
        data={"changed": sorted(before), "before": before} if before else {},
    )
    session.flush()
    session.refresh(incident)
    return incident


def transition(
    session: Session, code: str, to: str, actor: User, *, note: str | None = None, now: datetime | None = None
) -> Incident:
    """Move an incident along an allowed transition (409 otherwise)."""
    now = now or datetime.now(UTC)
    kinds.check_statuses([to])
    incident = lock(session, code)
    _require_editor(actor, incident)
    before = incident.status
    if to not in kinds.ALLOWED[before]:
        raise Conflict(
            f"Không chuyển được từ {before} sang {to} / transition not allowed",
            code="transition_not_allowed",
            status=before,
            allowed=sorted(kinds.ALLOWED[before]),
        )
    text_ = _note(note, required=(before, to) in kinds.NOTE_REQUIRED)
    incident.status = to
    if to == "responding":
        incident.responding_at = incident.responding_at or now
        incident.closed_at = None
    elif to == "contained":
        incident.contained_at = now
    elif to == "closed":
        incident.closed_at = now
    incident.updated_at, incident.updated_by = now, actor.id
    _log(session, incident, "status", actor, now, note=text_, from_status=before, to_status=to)
    session.flush()
    session.refresh(incident)
    return incident


def add_note(session: Session, code: str, note: str, actor: User, now: datetime | None = None) -> Incident:
    return update(session, code, Changes(note=note), actor, now)


def _reports_by_code(session: Session, codes: tuple[str, ...] | list[str]) -> list[Report]:
    if len(codes) > MAX_LINKS:
        raise InvalidInput(
            f"Tối đa {MAX_LINKS} phản ánh / at most {MAX_LINKS} reports", code="too_many_reports"
        )
    if len(set(codes)) != len(codes):
        raise InvalidInput("Mã phản ánh bị lặp / repeated report codes", code="repeated_codes")
    if not codes:
        return []
    found = {r.code: r for r in session.scalars(select(Report).where(Report.code.in_(codes)))}
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput(
            f"Không có phản ánh / no such report: {missing[0]}", code="unknown_report", report_codes=missing
        )
    return [found[c] for c in codes]


def _link(
    session: Session, incident: Incident, reports: list[Report], actor: User, now: datetime
) -> list[str]:
    linked = set(
        session.scalars(select(IncidentReport.report_id).where(IncidentReport.incident_id == incident.id))
    )
    added = [r for r in reports if r.id not in linked]
    for r in added:
        session.add(
            IncidentReport(incident_id=incident.id, report_id=r.id, linked_at=now, linked_by=actor.id)
        )
    return [r.code for r in added]


def link_reports(
    session: Session,
    code: str,
    report_codes: list[str],
    actor: User,
    *,
    note: str | None = None,
    now: datetime | None = None,
) -> Incident:
    """Link citizen reports by tracking code; already linked ones are left as they are."""
    now = now or datetime.now(UTC)
    incident = lock(session, code)
    _require_editor(actor, incident)
    if not report_codes:
        raise InvalidInput("Cần ít nhất một mã phản ánh / at least one report code", code="missing_field")
    added = _link(session, incident, _reports_by_code(session, report_codes), actor, now)
    if added:
        incident.updated_at, incident.updated_by = now, actor.id
        _log(session, incident, "link", actor, now, note=_note(note), data={"reports": added})
    session.flush()
    session.refresh(incident)
    return incident


def unlink_report(
    session: Session, code: str, report_code: str, actor: User, *, now: datetime | None = None
) -> Incident:
    now = now or datetime.now(UTC)
    incident = lock(session, code)
    _require_editor(actor, incident)
    report_id = session.scalar(select(Report.id).where(Report.code == report_code))
    gone = (
        report_id is not None
        and session.execute(
            delete(IncidentReport)
            .where(IncidentReport.incident_id == incident.id, IncidentReport.report_id == report_id)
            .returning(IncidentReport.report_id)
        ).first()
        is not None
    )
    if not gone:
        raise NotFound(
            f"Phản ánh không gắn với sự cố này / not linked: {report_code}", code="report_not_linked"
        )
    incident.updated_at, incident.updated_by = now, actor.id
    _log(session, incident, "unlink", actor, now, data={"reports": [report_code]})
    session.flush()
    session.refresh(incident)
    return incident
