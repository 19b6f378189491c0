"""Tables of citizen feedback (phản ánh, kiến nghị). Created by migration 0003 only.

Personal data of reporters lives in the ``reporter_*`` columns, the IP hash, the
idempotency-key hash and the private-token hash of ``feedback_reports``; the functions in
``layers.feedback.views`` decide who sees what, and public views never include them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from layers.models import Agency, Base, User

STATUSES = ("received", "assigned", "in_progress", "resolved", "closed", "rejected", "duplicate")
#: Being worked on: the deadline clock runs, "me too" is offered, the inbox shows them.
OPEN_STATUSES = ("received", "assigned", "in_progress")
REJECT_REASONS = ("not_in_competence", "insufficient_information", "other")
CLOSURES = ("confirmed", "resolved_unconfirmed")
SOURCES = ("web", "api", "open311")

# A literal, not a bind parameter, so the planner can match the partial indexes below.
OPEN_SQL = "status IN ('received', 'assigned', 'in_progress')"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Category(Base):
    """A kind of problem citizens report, with its deadline and optional extra questions."""

    __tablename__ = "feedback_categories"
    __table_args__ = (
        CheckConstraint("deadline_days BETWEEN 1 AND 365", name="deadline_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_vi: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    icon: Mapped[str] = mapped_column(String(64))
    deadline_days: Mapped[int] = mapped_column(Integer)
    # [{code, datatype, required, label_vi, label_en, values: [{key, name_vi, name_en}]}]
    extra_questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RoutingRule(Base):
    """Category × commune → agency. The most specific active rule wins (see routing.py)."""

    __tablename__ = "feedback_routing_rules"
    __table_args__ = (
        CheckConstraint("target IN ('agency', 'commune_committee')", name="target_known"),
        CheckConstraint("target <> 'agency' OR agency_id IS NOT NULL", name="agency_given"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_categories.id", ondelete="CASCADE"), index=True
    )
    commune_code: Mapped[str | None] = mapped_column(String(16))
    # 'commune_committee' = the People's Committee of the commune containing the point.
    target: Mapped[str] = mapped_column(String(24))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note_vi: Mapped[str | None] = mapped_column(Text)
    note_en: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    category: Mapped[Category | None] = relationship(lazy="joined")
    agency: Mapped[Agency | None] = relationship(lazy="joined")


class Holiday(Base):
    """A day that breaks the Monday-Friday rule: a day off, or a Saturday worked in exchange."""

    __tablename__ = "holidays"
    __table_args__ = (CheckConstraint("kind IN ('off', 'workday')", name="kind_known"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(Text)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)


class Report(Base):
    """One citizen report. ``code`` is public; ``reporter_*`` and the hashes are private."""

    __tablename__ = "feedback_reports"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status_known"),
        CheckConstraint("location_precision IN ('point', 'commune')", name="precision_known"),
        CheckConstraint(f"reject_reason IS NULL OR {_in('reject_reason', REJECT_REASONS)}",
                        name="reject_reason_known"),
        CheckConstraint(f"closure IS NULL OR {_in('closure', CLOSURES)}", name="closure_known"),
        CheckConstraint(_in("source", SOURCES), name="source_known"),
        CheckConstraint("citizen_rating IS NULL OR citizen_rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_feedback_reports_geom", "geom", postgresql_using="gist"),
        # "Me too" lookups: open reports of one category near a point (btree_gist).
        Index("ix_feedback_reports_open_geom", "category_id", "geom", postgresql_using="gist",
              postgresql_where=text(OPEN_SQL)),
        # Inbox pages and counts as index-only scans: the trailing id is the page's payload.
        Index("ix_feedback_reports_status_due", "status", "due_at", "id"),
        Index("ix_feedback_reports_agency_status_due", "agency_id", "status", "due_at", "id"),
        Index("ix_feedback_reports_received_at", "received_at"),
        Index("ix_feedback_reports_category_received", "category_id", "received_at"),
        Index("ix_feedback_reports_commune_received", "commune_code", "received_at"),
        Index("ix_feedback_reports_assignee", "assignee_id",
              postgresql_where=text("assignee_id IS NOT NULL")),
        Index("ix_feedback_reports_reporter_user", "reporter_user_id",
              postgresql_where=text("reporter_user_id IS NOT NULL")),
        # Anonymous rate limit: submissions of one IP in the last minutes.
        Index("ix_feedback_reports_ip_recent", "reporter_ip_hash", "received_at",
              postgresql_where=text("reporter_ip_hash IS NOT NULL")),
        # close_unconfirmed(): resolved reports whose confirmation window ran out.
        Index("ix_feedback_reports_resolved", "resolved_at", postgresql_where=text("status = 'resolved'")),
        Index("ix_feedback_reports_idempotency", "idempotency_key_hash", unique=True,
              postgresql_where=text("idempotency_key_hash IS NOT NULL")),
        *(Index(f"ix_feedback_reports_h3_r{r}", f"h3_r{r}") for r in range(5, 11)),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("feedback_categories.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default="web")

    geom: Mapped[Any] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    location_precision: Mapped[str] = mapped_column(String(16), default="point")
    commune_code: Mapped[str] = mapped_column(String(16))
    commune_name: Mapped[str] = mapped_column(String(200))
    h3_r5: Mapped[int] = mapped_column(BigInteger)
    h3_r6: Mapped[int] = mapped_column(BigInteger)
    h3_r7: Mapped[int] = mapped_column(BigInteger)
    h3_r8: Mapped[int] = mapped_column(BigInteger)
    h3_r9: Mapped[int] = mapped_column(BigInteger)
    h3_r10: Mapped[int] = mapped_column(BigInteger)

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="RESTRICT"))
    routing_rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_routing_rules.id", ondelete="SET NULL")
    )
    # Snapshot of why it went where it went (rules may be edited later).
    routing_explanation_vi: Mapped[str] = mapped_column(Text)
    routing_explanation_en: Mapped[str] = mapped_column(Text)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline_days: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closure: Mapped[str | None] = mapped_column(String(24))
    reject_reason: Mapped[str | None] = mapped_column(String(32))
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_reports.id", ondelete="SET NULL"), index=True
    )
    supporters: Mapped[int] = mapped_column(Integer, default=0)
    text_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispute_count: Mapped[int] = mapped_column(Integer, default=0)
    citizen_rating: Mapped[int | None] = mapped_column(SmallInteger)
    citizen_comment: Mapped[str | None] = mapped_column(Text)
    citizen_feedback_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    # ---- private -------------------------------------------------------------------
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    reporter_email: Mapped[str | None] = mapped_column(String(320))
    # Officers see the contact only when the reporter agreed.
    share_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 of the client IP, kept only for anonymous submissions (rate limit).
    reporter_ip_hash: Mapped[str | None] = mapped_column(String(64))
    private_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # With an Idempotency-Key the private token is HMAC(key, nonce): a replay can return it
    # again while the database holds neither the key nor the token.
    token_nonce: Mapped[str | None] = mapped_column(String(64))
    idempotency_key_hash: Mapped[str | None] = mapped_column(String(64))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    category: Mapped[Category] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    duplicate_of: Mapped[Report | None] = relationship(remote_side=[id], lazy="select")
    photos: Mapped[list[Photo]] = relationship(
        back_populates="report", order_by="Photo.position", lazy="selectin",
        cascade="all, delete-orphan",
    )


class Transition(Base):
    """One step of a report's life: who, when, from/to, the public and the internal note."""

    __tablename__ = "feedback_transitions"
    __table_args__ = (
        CheckConstraint("actor_kind IN ('staff', 'citizen', 'system')", name="actor_kind_known"),
        Index("ix_feedback_transitions_report_at", "report_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("feedback_reports.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_kind: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    from_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="SET NULL"))
    to_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="SET NULL"))
    public_note: Mapped[str | None] = mapped_column(Text)
    internal_note: Mapped[str | None] = mapped_column(Text)
    reason_code: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    actor: Mapped[User | None] = relationship(lazy="joined")
    from_agency: Mapped[Agency | None] = relationship(foreign_keys=[from_agency_id], lazy="joined")
    to_agency: Mapped[Agency | None] = relationship(foreign_keys=[to_agency_id], lazy="joined")


class Photo(Base):
    """A re-encoded, EXIF-free photo on disk under a random name, with its thumbnail."""

    __tablename__ = "feedback_photos"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_reports.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    thumb_bytes: Mapped[int] = mapped_column(Integer)
    # SHA-256 of the uploaded bytes (part of the idempotency fingerprint).
    upload_sha256: Mapped[str] = mapped_column(String(64))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    report: Mapped[Report] = relationship(back_populates="photos")


class Support(Base):
    """A "me too": one per person (user id or anonymous fingerprint, hashed)."""

    __tablename__ = "feedback_supports"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_reports.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ModerationAction(Base):
    """Hiding or showing again a report's text or one photo, with the reason (internal)."""

    __tablename__ = "feedback_moderation"
    __table_args__ = (
        CheckConstraint("target IN ('text', 'photo')", name="target_known"),
        CheckConstraint("action IN ('hide', 'show')", name="action_known"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("feedback_reports.id", ondelete="CASCADE"), index=True
    )
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_photos.id", ondelete="SET NULL"))
    target: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResponseTemplate(Base):
    """A canned public answer officers start from; an agency's own or shared (agency NULL)."""

    __tablename__ = "feedback_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body_vi: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_categories.id", ondelete="SET NULL")
    )
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    category: Mapped[Category | None] = relationship(lazy="joined")
    agency: Mapped[Agency | None] = relationship(lazy="joined")


# ---- the rollup of the public statistics (migration 0007; see layers.feedback.stats_rollup) ----


class _StatsCounters:
    """A case's contribution to the statistics, summed: how many cases, and how many of them
    resolved, on time, open, rejected, duplicate, closed unconfirmed, resolved once,
    disputed, rated, and the sum of their ratings."""

    received: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)
    open: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    duplicate: Mapped[int] = mapped_column(Integer)
    unconfirmed: Mapped[int] = mapped_column(Integer)
    ever_resolved: Mapped[int] = mapped_column(Integer)
    disputed: Mapped[int] = mapped_column(Integer)
    ratings: Mapped[int] = mapped_column(Integer)
    rating_sum: Mapped[int] = mapped_column(Integer)


class StatsCell(_StatsCounters, Base):
    """The cube: per Vietnamese month, handling-time bucket and every grouping of (agency,
    category, commune); ``dims`` = bit mask of the kept ones (1, 2, 4), a dropped one is 0/''."""

    __tablename__ = "feedback_stats_cells"

    dims: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)


class StatsDelta(_StatsCounters, Base):
    """The journal the trigger appends to: one case's old contribution (-1) or new one (+1)."""

    __tablename__ = "feedback_stats_delta"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    agency_id: Mapped[int] = mapped_column(Integer)
    category_id: Mapped[int] = mapped_column(Integer)
    commune_code: Mapped[str] = mapped_column(String(16))
    month: Mapped[date] = mapped_column(Date)
    bucket: Mapped[int] = mapped_column(SmallInteger)


# Open cases not yet due, for the statistics' overdue count (open - not yet due).
Index("ix_feedback_reports_open_due", Report.due_at, postgresql_where=text(OPEN_SQL),
      postgresql_include=["received_at", "agency_id", "category_id", "commune_code"])
