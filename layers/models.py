"""Table definitions. The schema itself is created only by Alembic migrations."""

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
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("admin", "leader", "planner", "officer", "citizen")


class Base(DeclarativeBase):
    pass


class AdminUnit(Base):
    """A province, district or commune, valid for a period (units change with reforms)."""

    __tablename__ = "admin_units"
    __table_args__ = (
        UniqueConstraint("level", "code", "valid_from", postgresql_nulls_not_distinct=True),
        CheckConstraint("level IN ('province', 'district', 'commune')", name="level_known"),
        CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to", name="period_order"
        ),
        Index("ix_admin_units_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str | None] = mapped_column(String(200))
    name_ascii: Mapped[str | None] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(String(16))
    pop_2019: Mapped[int | None] = mapped_column(Integer)
    pop_2019_urban: Mapped[int | None] = mapped_column(Integer)
    pop_2019_rural: Mapped[int | None] = mapped_column(Integer)
    area_km2: Mapped[float | None] = mapped_column(Float)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    # False when the unit also covers land we hold no geometry for (2025 mergers).
    geometry_complete: Mapped[bool] = mapped_column(Boolean, default=True)
    note_vi: Mapped[str | None] = mapped_column(Text)
    note_en: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=True
    )


class AdminUnitSuccession(Base):
    """Which unit became (part of) which, and from when."""

    __tablename__ = "admin_unit_successions"

    predecessor_id: Mapped[int] = mapped_column(
        ForeignKey("admin_units.id", ondelete="CASCADE"), primary_key=True
    )
    successor_id: Mapped[int] = mapped_column(
        ForeignKey("admin_units.id", ondelete="CASCADE"), primary_key=True
    )
    effective_date: Mapped[date] = mapped_column(Date)


class Layer(Base):
    """The map's layer catalogue."""

    __tablename__ = "layers"
    __table_args__ = (
        CheckConstraint("visibility IN ('public', 'internal')", name="visibility_known"),
        CheckConstraint(
            "layer_group IN ('infrastructure', 'incidents', 'feedback', 'boundaries', "
            "'planning', 'other')",
            name="group_known",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title_vi: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_vi: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    layer_group: Mapped[str] = mapped_column(String(32))
    # 'upload' layers come from planners' files; 'admin_units' layers are generated from the
    # admin_units table by the defaults loader. Both keep their features in layer_features.
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(Text)
    geometry_type: Mapped[str] = mapped_column(String(32))
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    style: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    default_on: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    min_zoom: Mapped[int] = mapped_column(Integer, default=0)
    max_zoom: Mapped[int] = mapped_column(Integer, default=22)
    # The current version (0 = no features yet); older versions stay in layer_versions.
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Attribute schema of the current version: [{name, type, label_vi, label_en, popup}].
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # A timestamp attribute that OGC API `datetime` filters apply to, if any.
    time_field: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Agency(Base):
    """A district department or a commune People's Committee that handles cases."""

    __tablename__ = "agencies"
    __table_args__ = (CheckConstraint("kind IN ('department', 'commune')", name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    commune_code: Mapped[str | None] = mapped_column(String(16))


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role_known"),
        CheckConstraint("username = lower(username)", name="username_lower"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    # Personal data: never exposed publicly, only to the user and admins.
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    agencies: Mapped[list[Agency]] = relationship(secondary="user_agencies", lazy="selectin")


class UserAgency(Base):
    __tablename__ = "user_agencies"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True
    )


class AuthSession(Base):
    """A browser session (cookie) or an API bearer token; only a hash of the secret is kept."""

    __tablename__ = "auth_sessions"
    __table_args__ = (CheckConstraint("kind IN ('cookie', 'bearer')", name="kind_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    csrf_token: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(lazy="joined")


class LayerVersion(Base):
    """One upload of a layer. Old versions are kept so they can be diffed and restored."""

    __tablename__ = "layer_versions"

    layer_id: Mapped[int] = mapped_column(ForeignKey("layers.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source_filename: Mapped[str | None] = mapped_column(String(255))
    source_format: Mapped[str | None] = mapped_column(String(32))
    source_crs: Mapped[str | None] = mapped_column(Text)
    source_encoding: Mapped[str | None] = mapped_column(String(32))
    feature_count: Mapped[int] = mapped_column(Integer, default=0)
    # [minx, miny, maxx, maxy] in EPSG:4326, null for an empty version.
    bbox: Mapped[list[float] | None] = mapped_column(JSONB)
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    report: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class LayerFeature(Base):
    """A feature of one version of a catalogue layer.

    ``geom_3857`` is kept beside ``geom`` so vector tiles clip and encode without
    re-projecting every row on every request; both have GiST indexes led by
    (layer_id, version) through btree_gist.
    """

    __tablename__ = "layer_features"
    __table_args__ = (
        UniqueConstraint("layer_id", "version", "fid"),
        ForeignKeyConstraint(["layer_id", "version"], ["layer_versions.layer_id", "layer_versions.version"],
                             ondelete="CASCADE"),
        Index("ix_layer_features_geom", "layer_id", "version", "geom", postgresql_using="gist"),
        Index("ix_layer_features_geom_3857", "layer_id", "version", "geom_3857", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    layer_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    fid: Mapped[int] = mapped_column(BigInteger)
    properties: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    dt: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    geom: Mapped[Any] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))
    geom_3857: Mapped[Any] = mapped_column(Geometry("GEOMETRY", srid=3857, spatial_index=False))


class ImportJob(Base):
    """A background import: progress is polled by the UI and the API."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    layer_slug: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# The citizen-feedback tables live in their own package; importing it here puts them on
# Base.metadata for Alembic and the schema test (and keeps relationship names resolvable).
import layers.analytics.models  # noqa: E402  (the monthly H3 rollup of settled reports)
import layers.apikeys  # noqa: E402  (API keys of Open311 clients)
import layers.feedback.map_cells  # noqa: E402  (the public map's per-cell tally of reports)
import layers.feedback.models  # noqa: E402
import layers.feedback.stats  # noqa: E402  (the statistics' covering index)
import layers.incidents.models  # noqa: E402  (incidents, their timeline, the event log)
import layers.open311.models  # noqa: E402  (what Open311 clients sent)
import layers.tiles.models  # noqa: E402, F401  (the vector-tile point-thinning pyramid)
