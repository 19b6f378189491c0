"""Point-thinning pyramid for the vector tiles of dense point layers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "layer_point_clusters",
        sa.Column("layer_id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("z", sa.SmallInteger(), primary_key=True),
        sa.Column("tx", sa.Integer(), primary_key=True),
        sa.Column("ty", sa.Integer(), primary_key=True),
        sa.Column("n", ARRAY(sa.Integer()), nullable=False),
        sa.Column("fid", ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("px", ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("py", ARRAY(sa.SmallInteger()), nullable=False),
        sa.ForeignKeyConstraint(["layer_id", "version"],
                                ["layer_versions.layer_id", "layer_versions.version"],
                                ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("layer_point_clusters")
