"""Tile store: typed, spatially ordered copies of layer versions for vector tiles.

Revision ID: 0009_tile_store
Revises: 0008_feedback_map_cells
Create Date: 2026-11-26

See ``layers/tiles/store.py``. The tables of schema ``tile_store`` are created per layer
version by the application; existing versions are served from ``layer_features`` until
``iocmap serve`` (or ``iocmap layers prepare``) builds their stores. The downgrade drops
the schema with every store in it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009_tile_store"
down_revision = "0008_feedback_map_cells"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS tile_store")
    op.create_table(
        "layer_tile_stores",
        sa.Column("layer_id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("columns", JSONB(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["layer_id", "version"],
                                ["layer_versions.layer_id", "layer_versions.version"],
                                ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("layer_tile_stores")
    op.execute("DROP SCHEMA IF EXISTS tile_store CASCADE")
