"""API keys for Open311 clients, what those clients sent beyond a report, and the covering
index of the public statistics.

Revision ID: 0006_apikeys
Revises: 0005
Create Date: 2026-11-28

``ix_feedback_reports_stats`` holds every column the statistics read (layers/feedback/
stats.py), so a year of reports is aggregated from the index alone. It is built inside
the migration's transaction (not CONCURRENTLY): a few seconds on a million reports.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_apikeys"
down_revision = "0005"
branch_labels = None
depends_on = None

STATS_INCLUDE = ["agency_id", "category_id", "commune_code", "status", "due_at", "resolved_at", "closure",
                 "citizen_rating", "dispute_count"]


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("note", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
    )
    op.create_table(
        "open311_requests",
        sa.Column("report_id", sa.BigInteger(), sa.ForeignKey("feedback_reports.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("api_key_id", sa.Integer(), sa.ForeignKey("api_keys.id", ondelete="SET NULL")),
        sa.Column("media_url", sa.Text()),
        sa.Column("device_id", sa.String(200)),
        sa.Column("account_id", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_open311_requests_api_key_id", "open311_requests", ["api_key_id"])
    op.create_index("ix_feedback_reports_stats", "feedback_reports", ["received_at"],
                    postgresql_include=STATS_INCLUDE)


def downgrade() -> None:
    op.drop_index("ix_feedback_reports_stats", table_name="feedback_reports")
    op.drop_index("ix_open311_requests_api_key_id", table_name="open311_requests")
    op.drop_table("open311_requests")
    op.drop_table("api_keys")
