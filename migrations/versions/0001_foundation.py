"""Foundation: administrative units with validity periods, layer catalogue, agencies, accounts.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "admin_units",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("short_name", sa.String(200)),
        sa.Column("name_ascii", sa.String(200)),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("parent_code", sa.String(16)),
        sa.Column("pop_2019", sa.Integer()),
        sa.Column("pop_2019_urban", sa.Integer()),
        sa.Column("pop_2019_rural", sa.Integer()),
        sa.Column("area_km2", sa.Float()),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_to", sa.Date()),
        sa.Column("geometry_complete", sa.Boolean(), nullable=False),
        sa.Column("note_vi", sa.Text()),
        sa.Column("note_en", sa.Text()),
        sa.Column("source", sa.Text()),
        sa.Column(
            "geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=True
        ),
        sa.UniqueConstraint(
            "level", "code", "valid_from", postgresql_nulls_not_distinct=True
        ),
        sa.CheckConstraint("level IN ('province', 'district', 'commune')", name="level_known"),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to",
            name="period_order",
        ),
    )
    op.create_index("ix_admin_units_geom", "admin_units", ["geom"], postgresql_using="gist")

    op.create_table(
        "admin_unit_successions",
        sa.Column(
            "predecessor_id",
            sa.Integer(),
            sa.ForeignKey("admin_units.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "successor_id",
            sa.Integer(),
            sa.ForeignKey("admin_units.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("effective_date", sa.Date(), nullable=False),
    )

    op.create_table(
        "layers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("title_vi", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("description_vi", sa.Text()),
        sa.Column("description_en", sa.Text()),
        sa.Column("layer_group", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("source", sa.Text()),
        sa.Column("licence", sa.Text()),
        sa.Column("geometry_type", sa.String(32), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("style", JSONB(), nullable=False),
        sa.Column("options", JSONB(), nullable=False),
        sa.Column("default_on", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("min_zoom", sa.Integer(), nullable=False),
        sa.Column("max_zoom", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("visibility IN ('public', 'internal')", name="visibility_known"),
        sa.CheckConstraint(
            "layer_group IN ('infrastructure', 'incidents', 'feedback', 'boundaries', "
            "'planning', 'other')",
            name="group_known",
        ),
    )

    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name_vi", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("commune_code", sa.String(16)),
        sa.CheckConstraint("kind IN ('department', 'commune')", name="kind_known"),
    )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("full_name", sa.String(200)),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(32)),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "role IN ('admin', 'leader', 'planner', 'officer', 'citizen')", name="role_known"
        ),
        sa.CheckConstraint("username = lower(username)", name="username_lower"),
    )

    op.create_table(
        "user_agencies",
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "agency_id",
            sa.Integer(),
            sa.ForeignKey("agencies.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )

    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("csrf_token", sa.String(64)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("kind IN ('cookie', 'bearer')", name="kind_known"),
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_table("auth_sessions")
    op.drop_table("user_agencies")
    op.drop_table("users")
    op.drop_table("agencies")
    op.drop_table("layers")
    op.drop_table("admin_unit_successions")
    op.drop_index("ix_admin_units_geom", table_name="admin_units")
    op.drop_table("admin_units")
