"""Reading incidents: one by code, filtered pages, a map layer, the timeline, the linked
reports and the communes an incident touches (for the dates' boundaries).

Indexes: ix_incidents_occurred_at, ix_incidents_status, ix_incidents_agency_status,
ix_incidents_geom (bbox), ix_incident_updates_incident_at, ix_incident_reports_report_id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from layers.errors import InvalidInput, NotFound
from layers.feedback.models import Category, Report
from layers.incidents import kinds
from layers.incidents.models import ACTIVE_STATUSES, Incident, IncidentReport, IncidentUpdate
from layers.models import Agency

MAX_LIMIT = 200
MAX_FEATURES = 5000


def by_code(session: Session, code: str) -> Incident:
    incident = session.scalar(select(Incident).where(Incident.code == code))
    if incident is None:
        raise NotFound(f"Không có sự cố / no such incident: {code}", code="incident_not_found")
    return incident


@dataclass(frozen=True)
class Filters:
    statuses: tuple[str, ...] = ()
    active: bool | None = None
    type: str | None = None
    agency: str | None = None
    commune: str | None = None
    min_severity: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    offset: int = 0


def _filtered(session: Session, f: Filters) -> Select[Any]:
    stmt = select(Incident)
    if f.statuses:
        stmt = stmt.where(Incident.status.in_(kinds.check_statuses(f.statuses)))
    if f.active is not None:
        active = Incident.status.in_(ACTIVE_STATUSES)
        stmt = stmt.where(active if f.active else ~active)
    if f.type:
        stmt = stmt.where(Incident.type == kinds.check_type(f.type))
    if f.agency:
        agency_id = session.scalar(select(Agency.id).where(Agency.code == f.agency))
        if agency_id is None:
            raise InvalidInput(f"Không có cơ quan / unknown agency: {f.agency}", code="unknown_agency")
        stmt = stmt.where(Incident.agency_id == agency_id)
    if f.commune:
        stmt = stmt.where(Incident.commune_code == f.commune)
    if f.min_severity:
        stmt = stmt.where(Incident.severity >= kinds.severity_level(f.min_severity))
    if f.bbox:
        minx, miny, maxx, maxy = f.bbox
        stmt = stmt.where(Incident.geom.op("&&")(func.ST_MakeEnvelope(minx, miny, maxx, maxy, 4326)))
    if f.since:
        stmt = stmt.where(Incident.occurred_at >= f.since)
    if f.until:
        stmt = stmt.where(Incident.occurred_at < f.until)
    return stmt


def list_incidents(session: Session, f: Filters) -> tuple[list[Incident], int]:
    """A page, most recent first, with the total count."""
    if not 1 <= f.limit <= MAX_LIMIT or f.offset < 0:
        raise InvalidInput(f"limit 1-{MAX_LIMIT}, offset ≥ 0", code="bad_paging")
    stmt = _filtered(session, f)
    total = int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    rows = session.scalars(
        stmt.order_by(Incident.occurred_at.desc(), Incident.id.desc()).limit(f.limit).offset(f.offset)
    )
    return list(rows.unique().all()), total


def as_features(session: Session, f: Filters) -> list[dict[str, Any]]:
    """Light rows for the map layer: the drawn geometry as GeoJSON and a few properties."""
    sub = _filtered(session, f).order_by(Incident.occurred_at.desc()).limit(MAX_FEATURES).subquery()
    rows = (
        session.execute(
            select(
                sub.c.code,
                sub.c.type,
                sub.c.title,
                sub.c.severity,
                sub.c.status,
                sub.c.occurred_at,
                sub.c.area_km2,
                Agency.code.label("agency"),
                func.ST_AsGeoJSON(sub.c.geom, 6).label("geometry"),
                func.ST_X(sub.c.point).label("lon"),
                func.ST_Y(sub.c.point).label("lat"),
            ).join(Agency, Agency.id == sub.c.agency_id)
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


def timeline(session: Session, incident: Incident) -> list[IncidentUpdate]:
    return list(
        session.scalars(
            select(IncidentUpdate)
            .where(IncidentUpdate.incident_id == incident.id)
            .order_by(IncidentUpdate.at, IncidentUpdate.id)
        )
    )


def linked_reports(session: Session, incident: Incident) -> list[dict[str, Any]]:
    """Public facts of the linked reports (code, status, category, point): no reporter data."""
    rows = (
        session.execute(
            select(
                Report.code,
                Report.status,
                Report.received_at,
                Report.due_at,
                Category.code.label("category"),
                func.ST_X(Report.geom).label("lon"),
                func.ST_Y(Report.geom).label("lat"),
                IncidentReport.linked_at,
            )
            .join(IncidentReport, IncidentReport.report_id == Report.id)
            .join(Category, Category.id == Report.category_id)
            .where(IncidentReport.incident_id == incident.id)
            .order_by(IncidentReport.linked_at, Report.code)
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


def communes_touched(session: Session, incident: Incident, on: date) -> list[dict[str, Any]]:
    """Communes valid on ``on`` that the incident's geometry intersects (index ix_admin_units_geom)."""
    rows = (
        session.execute(
            text("""
        SELECT u.code, u.name,
               CASE WHEN GeometryType(i.geom) = 'POINT' THEN NULL
                    ELSE round((ST_Area(ST_Intersection(u.geom, i.geom)::geography) / 1e6)::numeric, 4)
               END AS overlap_km2
        FROM incidents i
        JOIN admin_units u ON u.level = 'commune' AND ST_Intersects(u.geom, i.geom)
        WHERE i.id = :id
          AND (u.valid_from IS NULL OR u.valid_from <= :on) AND (u.valid_to IS NULL OR u.valid_to >= :on)
        ORDER BY u.code"""),
            {"id": incident.id, "on": on},
        )
        .mappings()
        .all()
    )
    return [
        {
            "code": r["code"],
            "name": r["name"],
            "overlap_km2": float(r["overlap_km2"]) if r["overlap_km2"] is not None else None,
        }
        for r in rows
    ]


def incidents_of_report(session: Session, report_id: int) -> list[str]:
    """Codes of the incidents a report is linked to."""
    return list(
        session.scalars(
            select(Incident.code)
            .join(IncidentReport, IncidentReport.incident_id == Incident.id)
            .where(IncidentReport.report_id == report_id)
            .order_by(Incident.code)
        )
    )
