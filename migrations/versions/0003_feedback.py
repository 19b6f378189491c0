"""Citizen feedback: categories, routing rules, holidays, reports, timeline, photos, supports,
moderation log, response templates, and per-year tracking-code sequences.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OPEN_SQL = "status IN ('received', 'assigned', 'in_progress')"

# Tracking codes DM-<year>-<n>: one sequence per year, created on first use. Sequences never
# block concurrent submissions (a counter row would serialise them until commit); a rolled
# back submission leaves a gap, which is allowed. Two transactions creating the same year's
# sequence at once: the loser gets unique_violation/duplicate_table and uses the winner's.
NEXT_CODE_FN = """
CREATE FUNCTION feedback_next_code_number(y integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    seq text := format('feedback_code_seq_%s', y);
BEGIN
    IF y < 2000 OR y > 2999 THEN
        RAISE EXCEPTION 'year out of range: %', y;
    END IF;
    BEGIN
        RETURN nextval(seq::regclass);
    EXCEPTION WHEN undefined_table THEN
        BEGIN
            EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I', seq);
        EXCEPTION WHEN unique_violation OR duplicate_table THEN
            NULL;
        END;
        RETURN nextval(seq::regclass);
    END;
END $$;
"""

DROP_CODE_SEQUENCES = """
DO $$
DECLARE s record;
BEGIN
    FOR s IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'S' AND n.nspname = current_schema()
               AND c.relname LIKE 'feedback\\_code\\_seq\\_%'
    LOOP
        EXECUTE format('DROP SEQUENCE %I', s.relname);
    END LOOP;
END $$;
"""


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "feedback_categories",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name_vi", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("description_vi", sa.Text()),
        sa.Column("description_en", sa.Text()),
        sa.Column("icon", sa.String(64), nullable=False),
        sa.Column("deadline_days", sa.Integer(), nullable=False),
        sa.Column("extra_questions", JSONB(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("deadline_days BETWEEN 1 AND 365", name="deadline_range"),
    )

    op.create_table(
        "feedback_routing_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("category_id", sa.Integer(),
                  sa.ForeignKey("feedback_categories.id", ondelete="CASCADE")),
        sa.Column("commune_code", sa.String(16)),
        sa.Column("target", sa.String(24), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id", ondelete="RESTRICT")),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note_vi", sa.Text()),
        sa.Column("note_en", sa.Text()),
        *_timestamps(),
        sa.CheckConstraint("target IN ('agency', 'commune_committee')", name="target_known"),
        sa.CheckConstraint("target <> 'agency' OR agency_id IS NOT NULL", name="agency_given"),
    )
    op.create_index("ix_feedback_routing_rules_category_id", "feedback_routing_rules", ["category_id"])

    op.create_table(
        "holidays",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name_vi", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("source", sa.Text()),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('off', 'workday')", name="kind_known"),
    )

    op.create_table(
        "feedback_reports",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column("category_id", sa.Integer(),
                  sa.ForeignKey("feedback_categories.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("address", sa.String(300)),
        sa.Column("answers", JSONB(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("location_precision", sa.String(16), nullable=False),
        sa.Column("commune_code", sa.String(16), nullable=False),
        sa.Column("commune_name", sa.String(200), nullable=False),
        *(sa.Column(f"h3_r{r}", sa.BigInteger(), nullable=False) for r in range(5, 11)),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id", ondelete="RESTRICT"),
                  nullable=False),
        sa.Column("routing_rule_id", sa.Integer(),
                  sa.ForeignKey("feedback_routing_rules.id", ondelete="SET NULL")),
        sa.Column("routing_explanation_vi", sa.Text(), nullable=False),
        sa.Column("routing_explanation_en", sa.Text(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_days", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True)),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closure", sa.String(24)),
        sa.Column("reject_reason", sa.String(32)),
        sa.Column("duplicate_of_id", sa.BigInteger(),
                  sa.ForeignKey("feedback_reports.id", ondelete="SET NULL")),
        sa.Column("supporters", sa.Integer(), nullable=False),
        sa.Column("text_hidden", sa.Boolean(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True)),
        sa.Column("dispute_count", sa.Integer(), nullable=False),
        sa.Column("citizen_rating", sa.SmallInteger()),
        sa.Column("citizen_comment", sa.Text()),
        sa.Column("citizen_feedback_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("reporter_user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("reporter_name", sa.String(200)),
        sa.Column("reporter_phone", sa.String(32)),
        sa.Column("reporter_email", sa.String(320)),
        sa.Column("share_contact", sa.Boolean(), nullable=False),
        sa.Column("reporter_ip_hash", sa.String(64)),
        sa.Column("private_token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("token_nonce", sa.String(64)),
        sa.Column("idempotency_key_hash", sa.String(64)),
        sa.Column("request_hash", sa.String(64)),
        sa.CheckConstraint(
            "status IN ('received', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected', "
            "'duplicate')", name="status_known"),
        sa.CheckConstraint("location_precision IN ('point', 'commune')", name="precision_known"),
        sa.CheckConstraint(
            "reject_reason IS NULL OR reject_reason IN ('not_in_competence', "
            "'insufficient_information', 'other')", name="reject_reason_known"),
        sa.CheckConstraint("closure IS NULL OR closure IN ('confirmed', 'resolved_unconfirmed')",
                           name="closure_known"),
        sa.CheckConstraint("source IN ('web', 'api', 'open311')", name="source_known"),
        sa.CheckConstraint("citizen_rating IS NULL OR citizen_rating BETWEEN 1 AND 5", name="rating_range"),
    )
    op.create_index("ix_feedback_reports_geom", "feedback_reports", ["geom"], postgresql_using="gist")
    # btree_gist (migration 0002) lets the integer category_id lead a GiST index.
    op.create_index("ix_feedback_reports_open_geom", "feedback_reports", ["category_id", "geom"],
                    postgresql_using="gist", postgresql_where=sa.text(OPEN_SQL))
    # Inbox pages and counts as index-only scans: the trailing id is the page's payload.
    op.create_index("ix_feedback_reports_status_due", "feedback_reports", ["status", "due_at", "id"])
    op.create_index("ix_feedback_reports_agency_status_due", "feedback_reports",
                    ["agency_id", "status", "due_at", "id"])
    op.create_index("ix_feedback_reports_received_at", "feedback_reports", ["received_at"])
    op.create_index("ix_feedback_reports_category_received", "feedback_reports",
                    ["category_id", "received_at"])
    op.create_index("ix_feedback_reports_commune_received", "feedback_reports",
                    ["commune_code", "received_at"])
    op.create_index("ix_feedback_reports_assignee", "feedback_reports", ["assignee_id"],
                    postgresql_where=sa.text("assignee_id IS NOT NULL"))
    op.create_index("ix_feedback_reports_reporter_user", "feedback_reports", ["reporter_user_id"],
                    postgresql_where=sa.text("reporter_user_id IS NOT NULL"))
    op.create_index("ix_feedback_reports_ip_recent", "feedback_reports",
                    ["reporter_ip_hash", "received_at"],
                    postgresql_where=sa.text("reporter_ip_hash IS NOT NULL"))
    op.create_index("ix_feedback_reports_resolved", "feedback_reports", ["resolved_at"],
                    postgresql_where=sa.text("status = 'resolved'"))
    op.create_index("ix_feedback_reports_idempotency", "feedback_reports", ["idempotency_key_hash"],
                    unique=True, postgresql_where=sa.text("idempotency_key_hash IS NOT NULL"))
    op.create_index("ix_feedback_reports_duplicate_of_id", "feedback_reports", ["duplicate_of_id"])
    for r in range(5, 11):
        op.create_index(f"ix_feedback_reports_h3_r{r}", "feedback_reports", [f"h3_r{r}"])

    op.create_table(
        "feedback_transitions",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("report_id", sa.BigInteger(),
                  sa.ForeignKey("feedback_reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16)),
        sa.Column("from_agency_id", sa.Integer(), sa.ForeignKey("agencies.id", ondelete="SET NULL")),
        sa.Column("to_agency_id", sa.Integer(), sa.ForeignKey("agencies.id", ondelete="SET NULL")),
        sa.Column("public_note", sa.Text()),
        sa.Column("internal_note", sa.Text()),
        sa.Column("reason_code", sa.String(32)),
        sa.Column("data", JSONB(), nullable=False),
        sa.CheckConstraint("actor_kind IN ('staff', 'citizen', 'system')", name="actor_kind_known"),
    )
    op.create_index("ix_feedback_transitions_report_at", "feedback_transitions", ["report_id", "at"])

    op.create_table(
        "feedback_photos",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("report_id", sa.BigInteger(),
                  sa.ForeignKey("feedback_reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("thumb_bytes", sa.Integer(), nullable=False),
        sa.Column("upload_sha256", sa.String(64), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_feedback_photos_report_id", "feedback_photos", ["report_id"])

    op.create_table(
        "feedback_supports",
        sa.Column("report_id", sa.BigInteger(),
                  sa.ForeignKey("feedback_reports.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )

    op.create_table(
        "feedback_moderation",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("report_id", sa.BigInteger(),
                  sa.ForeignKey("feedback_reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("photo_id", sa.BigInteger(), sa.ForeignKey("feedback_photos.id", ondelete="SET NULL")),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("target IN ('text', 'photo')", name="target_known"),
        sa.CheckConstraint("action IN ('hide', 'show')", name="action_known"),
    )
    op.create_index("ix_feedback_moderation_report_id", "feedback_moderation", ["report_id"])

    op.create_table(
        "feedback_templates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body_vi", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text()),
        sa.Column("category_id", sa.Integer(),
                  sa.ForeignKey("feedback_categories.id", ondelete="SET NULL")),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id", ondelete="CASCADE")),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        *_timestamps(),
    )

    op.execute(NEXT_CODE_FN)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS feedback_next_code_number(integer)")
    op.execute(DROP_CODE_SEQUENCES)
    op.drop_table("feedback_templates")
    op.drop_index("ix_feedback_moderation_report_id", table_name="feedback_moderation")
    op.drop_table("feedback_moderation")
    op.drop_table("feedback_supports")
    op.drop_index("ix_feedback_photos_report_id", table_name="feedback_photos")
    op.drop_table("feedback_photos")
    op.drop_index("ix_feedback_transitions_report_at", table_name="feedback_transitions")
    op.drop_table("feedback_transitions")
    op.drop_table("feedback_reports")  # drops its indexes with it
    op.drop_table("holidays")
    op.drop_index("ix_feedback_routing_rules_category_id", table_name="feedback_routing_rules")
    op.drop_table("feedback_routing_rules")
    op.drop_table("feedback_categories")
