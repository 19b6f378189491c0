"""Catalogue layers with versioned features, attribute schemas and import jobs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # GiST indexes led by integer columns (layer_id, version) need btree_gist.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.add_column("layers", sa.Column("attributes", JSONB(), nullable=False, server_default="[]"))
    op.alter_column("layers", "attributes", server_default=None)
    op.add_column("layers", sa.Column("time_field", sa.String(64)))
    op.add_column("layers", sa.Column("created_by", sa.Integer(),
                                      sa.ForeignKey("users.id", ondelete="SET NULL")))
    op.add_column("layers", sa.Column("updated_by", sa.Integer(),
                                      sa.ForeignKey("users.id", ondelete="SET NULL")))

    op.create_table(
        "layer_versions",
        sa.Column("layer_id", sa.Integer(), sa.ForeignKey("layers.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("source_filename", sa.String(255)),
        sa.Column("source_format", sa.String(32)),
        sa.Column("source_crs", sa.Text()),
        sa.Column("source_encoding", sa.String(32)),
        sa.Column("feature_count", sa.Integer(), nullable=False),
        sa.Column("bbox", JSONB()),
        sa.Column("attributes", JSONB(), nullable=False),
        sa.Column("report", JSONB(), nullable=False),
    )

    op.create_table(
        "layer_features",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("layer_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fid", sa.BigInteger(), nullable=False),
        sa.Column("properties", JSONB(), nullable=False),
        sa.Column("dt", sa.DateTime(timezone=True)),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
        sa.Column("geom_3857", Geometry("GEOMETRY", srid=3857, spatial_index=False), nullable=False),
        sa.UniqueConstraint("layer_id", "version", "fid"),
        sa.ForeignKeyConstraint(["layer_id", "version"],
                                ["layer_versions.layer_id", "layer_versions.version"],
                                ondelete="CASCADE"),
    )
    op.create_index("ix_layer_features_geom", "layer_features", ["layer_id", "version", "geom"],
                    postgresql_using="gist")
    op.create_index("ix_layer_features_geom_3857", "layer_features",
                    ["layer_id", "version", "geom_3857"], postgresql_using="gist")

    op.create_table(
        "import_jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("layer_slug", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer()),
        sa.Column("message", sa.Text()),
        sa.Column("result", JSONB(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="status_known"),
    )


def downgrade() -> None:
    op.drop_table("import_jobs")
    op.drop_index("ix_layer_features_geom_3857", table_name="layer_features")
    op.drop_index("ix_layer_features_geom", table_name="layer_features")
    op.drop_table("layer_features")
    op.drop_table("layer_versions")
    for col in ("updated_by", "created_by", "time_field", "attributes"):
        op.drop_column("layers", col)
