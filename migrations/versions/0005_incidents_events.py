"""Incidents (with timeline and linked reports), the live event log fed by triggers, and the
monthly H3 rollup of settled reports.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

Why triggers: every write path to ``feedback_reports`` (web form, Open311, officers'
workflow, batch closes, a DBA's UPDATE) and to ``incidents`` emits its event and keeps
the rollup right without any Python hook, and the NOTIFY is sent only if the writing
transaction commits, so listeners in every app process see exactly the committed changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

INCIDENT_TYPES = (
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
INCIDENT_STATUSES = ("reported", "responding", "contained", "closed")
UPDATE_KINDS = ("created", "note", "status", "edit", "link", "unlink")
# Reports in these statuses never change again in the workflow: safe to pre-aggregate.
UNSETTLED_SQL = "status NOT IN ('closed', 'rejected', 'duplicate')"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# ---- the event log and its NOTIFY -------------------------------------------------------
# One function writes the log row and notifies with the row id as the SSE id. The payload
# carries public identifiers only (tracking code, category, agency, commune, status, point):
# never a title, a description or anything about the reporter.
EVENT_FN = """
CREATE FUNCTION iocmap_emit_event(ev jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    seq bigint;
BEGIN
    INSERT INTO event_log (at, kind, type, public_id, agency_code, payload)
    VALUES (now(), ev->>'kind', ev->>'type', ev->>'id', ev->>'agency', ev)
    RETURNING id INTO seq;
    PERFORM pg_notify('iocmap_events', (ev || jsonb_build_object('seq', seq))::text);
    RETURN seq;
END $$;
"""

REPORT_EVENT_FN = """
CREATE FUNCTION iocmap_report_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    k text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        k := 'report.created';
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        k := 'report.status_changed';
    ELSIF NEW.agency_id IS DISTINCT FROM OLD.agency_id THEN
        k := 'report.transferred';
    ELSE
        RETURN NULL;
    END IF;
    PERFORM iocmap_emit_event(jsonb_build_object(
        'kind', k, 'type', 'report', 'id', NEW.code, 'status', NEW.status,
        'from_status', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
        'lon', round(ST_X(NEW.geom)::numeric, 6), 'lat', round(ST_Y(NEW.geom)::numeric, 6),
        'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'category', (SELECT c.code FROM feedback_categories c WHERE c.id = NEW.category_id),
        'agency', (SELECT a.code FROM agencies a WHERE a.id = NEW.agency_id),
        'commune', NEW.commune_code,
        'due_at', to_char(NEW.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
    RETURN NULL;
END $$;
"""

INCIDENT_EVENT_FN = """
CREATE FUNCTION iocmap_incident_event() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    k text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        k := 'incident.created';
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        k := 'incident.status_changed';
    ELSIF NEW.updated_at IS DISTINCT FROM OLD.updated_at THEN
        k := 'incident.updated';
    ELSE
        RETURN NULL;
    END IF;
    PERFORM iocmap_emit_event(jsonb_build_object(
        'kind', k, 'type', 'incident', 'id', NEW.code, 'status', NEW.status,
        'from_status', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
        'lon', round(ST_X(NEW.point)::numeric, 6), 'lat', round(ST_Y(NEW.point)::numeric, 6),
        'at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'incident_type', NEW.type, 'severity', NEW.severity,
        'agency', (SELECT a.code FROM agencies a WHERE a.id = NEW.agency_id),
        'commune', NEW.commune_code, 'area', GeometryType(NEW.geom) <> 'POINT'));
    RETURN NULL;
END $$;
"""

# ---- the monthly rollup of reports -------------------------------------------------------
# Per (resolution, Vietnamese calendar month, cell): the number of reports and a dense
# per-category vector (cats[category_id]). Built a whole month at a time, only for months
# that are over (plus a grace hour), so live submissions never touch it (no hot rows, no
# lock held by a citizen's transaction). A later change to a report of a built month
# (back-dated import, deletion, category or place change) marks the month dirty and the
# next heatmap rebuilds it. Status is not in it: a report's count and category do not
# change with its status; questions filtered by status or agency read the base table.
MONTH_OF = "(date_trunc('month', {col} AT TIME ZONE 'Asia/Ho_Chi_Minh'))::date"

BUILD_MONTH_FN = """
CREATE FUNCTION analytics_build_report_month(m date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    k integer := coalesce((SELECT max(id) FROM feedback_categories), 1);
    lo timestamptz := (m::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh');
    hi timestamptz := ((m + interval '1 month')::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh');
    total bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(5005, (m - DATE '2000-01-01'));
    DELETE FROM analytics_report_cells WHERE month = m;
    INSERT INTO analytics_report_cells (resolution, month, cell, n, cats)
    SELECT g.res, m, g.cell, sum(g.n)::int,
           (SELECT array_agg(coalesce(x.c, 0)::int ORDER BY s.i)
              FROM generate_series(1, k) AS s(i)
              LEFT JOIN unnest(array_agg(g.category_id), array_agg(g.n)) AS x(cat, c) ON x.cat = s.i)
    FROM (SELECT u.res, u.cell, r.category_id, count(*) AS n
            FROM feedback_reports r
            CROSS JOIN LATERAL unnest(
                ARRAY[5, 6, 7, 8, 9, 10],
                ARRAY[r.h3_r5, r.h3_r6, r.h3_r7, r.h3_r8, r.h3_r9, r.h3_r10]) AS u(res, cell)
           WHERE r.received_at >= lo AND r.received_at < hi
           GROUP BY 1, 2, 3) g
    GROUP BY g.res, g.cell;
    GET DIAGNOSTICS total = ROW_COUNT;
    INSERT INTO analytics_report_months (month, built_at, dirty, categories) VALUES (m, now(), false, k)
    ON CONFLICT (month) DO UPDATE SET built_at = now(), dirty = false, categories = k;
    RETURN total;
END $$;
"""

DIRTY_FN = f"""
CREATE FUNCTION analytics_report_months_dirty() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE analytics_report_months SET dirty = true
        WHERE month = {MONTH_OF.format(col="OLD.received_at")} AND NOT dirty;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE analytics_report_months SET dirty = true
        WHERE month = {MONTH_OF.format(col="NEW.received_at")} AND NOT dirty;
    END IF;
    RETURN NULL;
END $$;
"""  # noqa: S608 (constants only)


def upgrade() -> None:
    op.execute("CREATE SEQUENCE incident_code_seq")
    op.create_table(
        "incidents",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("code", sa.String(24), nullable=False, unique=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("severity", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
        sa.Column("point", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("area_km2", sa.Float()),
        sa.Column("commune_code", sa.String(16)),
        *(sa.Column(f"h3_r{r}", sa.BigInteger(), nullable=False) for r in range(5, 11)),
        sa.Column(
            "agency_id", sa.Integer(), sa.ForeignKey("agencies.id", ondelete="RESTRICT"), nullable=False
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responding_at", sa.DateTime(timezone=True)),
        sa.Column("contained_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_in("type", INCIDENT_TYPES), name="type_known"),
        sa.CheckConstraint(_in("status", INCIDENT_STATUSES), name="status_known"),
        sa.CheckConstraint("severity BETWEEN 1 AND 4", name="severity_range"),
        sa.CheckConstraint("GeometryType(geom) IN ('POINT', 'MULTIPOLYGON')", name="geom_kind"),
    )
    op.create_index("ix_incidents_geom", "incidents", ["geom"], postgresql_using="gist")
    op.create_index("ix_incidents_point", "incidents", ["point"], postgresql_using="gist")
    op.create_index("ix_incidents_status", "incidents", ["status"])
    op.create_index("ix_incidents_agency_status", "incidents", ["agency_id", "status"])
    op.create_index("ix_incidents_occurred_at", "incidents", ["occurred_at"])

    op.create_table(
        "incident_updates",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "incident_id", sa.BigInteger(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16)),
        sa.Column("note", sa.Text()),
        sa.Column("data", JSONB(), nullable=False),
        sa.CheckConstraint(_in("kind", UPDATE_KINDS), name="kind_known"),
    )
    op.create_index("ix_incident_updates_incident_at", "incident_updates", ["incident_id", "at"])

    op.create_table(
        "incident_reports",
        sa.Column(
            "incident_id",
            sa.BigInteger(),
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "report_id",
            sa.BigInteger(),
            sa.ForeignKey("feedback_reports.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
    )
    op.create_index("ix_incident_reports_report_id", "incident_reports", ["report_id"])

    op.create_table(
        "event_log",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False),
        sa.Column("agency_code", sa.String(64)),
        sa.Column("payload", JSONB(), nullable=False),
    )
    op.create_index("ix_event_log_at", "event_log", ["at"])

    op.create_table(
        "analytics_report_cells",
        sa.Column("resolution", sa.SmallInteger(), primary_key=True),
        sa.Column("month", sa.Date(), primary_key=True),
        sa.Column("cell", sa.BigInteger(), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("cats", ARRAY(sa.Integer()), nullable=False),
    )
    op.create_index("ix_analytics_report_cells_month", "analytics_report_cells", ["month"])
    op.create_table(
        "analytics_report_months",
        sa.Column("month", sa.Date(), primary_key=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dirty", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.Integer(), nullable=False),
    )
    # The heatmap's base-table part: unsettled reports of a window (a small share of all).
    op.create_index(
        "ix_feedback_reports_unsettled_received",
        "feedback_reports",
        ["received_at"],
        postgresql_where=sa.text(UNSETTLED_SQL),
        postgresql_include=[*(f"h3_r{r}" for r in range(5, 11)), "status", "due_at", "category_id"],
    )

    for sql in (EVENT_FN, REPORT_EVENT_FN, INCIDENT_EVENT_FN, BUILD_MONTH_FN, DIRTY_FN):
        op.execute(sql)
    op.execute(
        "CREATE TRIGGER iocmap_report_event AFTER INSERT OR UPDATE OF status, agency_id "
        "ON feedback_reports FOR EACH ROW EXECUTE FUNCTION iocmap_report_event()"
    )
    op.execute(
        "CREATE TRIGGER iocmap_incident_event AFTER INSERT OR UPDATE "
        "ON incidents FOR EACH ROW EXECUTE FUNCTION iocmap_incident_event()"
    )
    op.execute(
        "CREATE TRIGGER analytics_report_months_dirty AFTER INSERT OR DELETE OR UPDATE OF "
        "category_id, received_at, h3_r5, h3_r6, h3_r7, h3_r8, h3_r9, h3_r10 "
        "ON feedback_reports FOR EACH ROW EXECUTE FUNCTION analytics_report_months_dirty()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS analytics_report_months_dirty ON feedback_reports")
    op.execute("DROP TRIGGER IF EXISTS iocmap_incident_event ON incidents")
    op.execute("DROP TRIGGER IF EXISTS iocmap_report_event ON feedback_reports")
    op.execute("DROP FUNCTION IF EXISTS analytics_report_months_dirty()")
    op.execute("DROP FUNCTION IF EXISTS analytics_build_report_month(date)")
    op.execute("DROP FUNCTION IF EXISTS iocmap_incident_event()")
    op.execute("DROP FUNCTION IF EXISTS iocmap_report_event()")
    op.execute("DROP FUNCTION IF EXISTS iocmap_emit_event(jsonb)")
    op.drop_index("ix_feedback_reports_unsettled_received", table_name="feedback_reports")
    op.drop_table("analytics_report_months")
    op.drop_index("ix_analytics_report_cells_month", table_name="analytics_report_cells")
    op.drop_table("analytics_report_cells")
    op.drop_index("ix_event_log_at", table_name="event_log")
    op.drop_table("event_log")
    op.drop_index("ix_incident_reports_report_id", table_name="incident_reports")
    op.drop_table("incident_reports")
    op.drop_index("ix_incident_updates_incident_at", table_name="incident_updates")
    op.drop_table("incident_updates")
    op.drop_table("incidents")  # drops its indexes with it
    op.execute("DROP SEQUENCE IF EXISTS incident_code_seq")
