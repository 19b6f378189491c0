"""Tables of incidents (sự cố): the incident, its timeline and its linked citizen reports.

Created by migration 0005 only. ``geom`` is what the operator drew (a point or a
MultiPolygon); ``point`` is the point itself or a point inside the area (its centroid when
the centroid falls inside, else a point on the surface), and carries the H3 cells.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from layers.models import Agency, Base, User

TYPES = (
    "fire",
    "flood",
    "landslide",
    "drought",
    "storm_damage",
    "traffic_accident",
    "power_outage",
    "water_outage",
    "animal_disease",
    "public_order",
    "other",
)
STATUSES = ("reported", "responding", "contained", "closed")
ACTIVE_STATUSES = ("reported", "responding", "contained")
UPDATE_KINDS = ("created", "note", "status", "edit", "link", "unlink")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Incident(Base):
    """One incident; ``code`` (SC-<year>-<n>) is its public id in events and links."""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(_in("type", TYPES), name="type_known"),
        CheckConstraint(_in("status", STATUSES), name="status_known"),
        CheckConstraint("severity BETWEEN 1 AND 4", name="severity_range"),
        CheckConstraint("GeometryType(geom) IN ('POINT', 'MULTIPOLYGON')", name="geom_kind"),
        Index("ix_incidents_geom", "geom", postgresql_using="gist"),
        Index("ix_incidents_point", "point", postgresql_using="gist"),
        Index("ix_incidents_status", "status"),
        Index("ix_incidents_agency_status", "agency_id", "status"),
        Index("ix_incidents_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(16))
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))
    point: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    area_km2: Mapped[float | None] = mapped_column(Float)
    commune_code: Mapped[str | None] = mapped_column(String(16))
    h3_r5: Mapped[int] = mapped_column(BigInteger)
    h3_r6: Mapped[int] = mapped_column(BigInteger)
    h3_r7: Mapped[int] = mapped_column(BigInteger)
    h3_r8: Mapped[int] = mapped_column(BigInteger)
    h3_r9: Mapped[int] = mapped_column(BigInteger)
    h3_r10: Mapped[int] = mapped_column(BigInteger)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    responding_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    contained_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    agency: Mapped[Agency] = relationship(lazy="joined")


class IncidentUpdate(Base):
    """One entry of an incident's timeline: who, when, what (note, status change, edit, link)."""

    __tablename__ = "incident_updates"
    __table_args__ = (
        CheckConstraint(_in("kind", UPDATE_KINDS), name="kind_known"),
        Index("ix_incident_updates_incident_at", "incident_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    actor: Mapped[User | None] = relationship(lazy="joined")


class IncidentReport(Base):
    """A citizen report linked to an incident (many reports may describe one incident)."""

    __tablename__ = "incident_reports"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_reports.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    linked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class EventLog(Base):
    """Every live event, kept for a bounded time so a reconnecting client can resume by id.

    Written only by the trigger function ``iocmap_emit_event`` (migration 0005).
    """

    __tablename__ = "event_log"
    __table_args__ = (Index("ix_event_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(16))
    public_id: Mapped[str] = mapped_column(String(32))
    agency_code: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
