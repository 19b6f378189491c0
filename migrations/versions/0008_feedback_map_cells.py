"""The public map's per-cell tally of reports (clusters at district zoom), kept by triggers.

Revision ID: 0008_feedback_map_cells
Revises: 0007_stats_rollup
Create Date: 2026-11-27

See ``layers/feedback/map_cells.py``. Statement-level triggers with transition tables: one
multi-row UPDATE (a bulk assign) costs one grouped upsert, unchanged keys cancel out (an
update that moves nothing locks nothing), and the upsert takes its row locks in key order.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_feedback_map_cells"
down_revision = "0007_stats_rollup"
branch_labels = None
depends_on = None

# :rows is a SELECT of (cell, category_id, status, n, sum_lon, sum_lat) deltas.
APPLY = """
    INSERT INTO feedback_report_cells AS c (cell, category_id, status, n, sum_lon, sum_lat)
    SELECT d.cell, d.category_id, d.status, sum(d.n), sum(d.sum_lon), sum(d.sum_lat)
    FROM ({rows}) AS d
    GROUP BY d.cell, d.category_id, d.status
    HAVING sum(d.n) <> 0 OR sum(d.sum_lon) <> 0 OR sum(d.sum_lat) <> 0
    ORDER BY d.cell, d.category_id, d.status
    ON CONFLICT (cell, category_id, status) DO UPDATE
    SET n = c.n + EXCLUDED.n, sum_lon = c.sum_lon + EXCLUDED.sum_lon, sum_lat = c.sum_lat + EXCLUDED.sum_lat
"""
PLUS = ("SELECT h3_r8 AS cell, category_id, status, 1 AS n, ST_X(geom) AS sum_lon, ST_Y(geom) AS sum_lat "
        "FROM new_rows")
MINUS = ("SELECT h3_r8 AS cell, category_id, status, -1 AS n, -ST_X(geom) AS sum_lon, -ST_Y(geom) AS sum_lat "
         "FROM old_rows")

FUNCTIONS = {
    "feedback_report_cells_insert": APPLY.format(rows=PLUS),
    "feedback_report_cells_update": APPLY.format(rows=f"{PLUS} UNION ALL {MINUS}"),
    "feedback_report_cells_delete": APPLY.format(rows=MINUS),
}
EVENTS = {"insert": ("INSERT", "NEW TABLE AS new_rows"),
          "update": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
          "delete": ("DELETE", "OLD TABLE AS old_rows")}

REBUILD_FN = """
CREATE FUNCTION feedback_report_cells_rebuild() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE k bigint;
BEGIN
    LOCK TABLE feedback_reports IN SHARE MODE;  -- no writes slip between the count and the swap
    DELETE FROM feedback_report_cells;
    INSERT INTO feedback_report_cells (cell, category_id, status, n, sum_lon, sum_lat)
    SELECT h3_r8, category_id, status, count(*), sum(ST_X(geom)), sum(ST_Y(geom))
    FROM feedback_reports GROUP BY 1, 2, 3;
    GET DIAGNOSTICS k = ROW_COUNT;
    RETURN k;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "feedback_report_cells",
        sa.Column("cell", sa.BigInteger(), primary_key=True),
        sa.Column("category_id", sa.Integer(), primary_key=True),
        sa.Column("status", sa.String(16), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sum_lon", sa.Float(), nullable=False),
        sa.Column("sum_lat", sa.Float(), nullable=False),
    )
    for name, body in FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                   f"BEGIN\n{body};\n    RETURN NULL;\nEND $$;")
    for suffix, (event, referencing) in EVENTS.items():
        op.execute(f"CREATE TRIGGER feedback_report_cells_{suffix} AFTER {event} ON feedback_reports "
                   f"REFERENCING {referencing} FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION feedback_report_cells_{suffix}()")
    op.execute("CREATE FUNCTION feedback_report_cells_truncate() RETURNS trigger LANGUAGE plpgsql AS $$\n"
               "BEGIN\n    DELETE FROM feedback_report_cells;\n    RETURN NULL;\nEND $$;")
    op.execute("CREATE TRIGGER feedback_report_cells_truncate AFTER TRUNCATE ON feedback_reports "
               "FOR EACH STATEMENT EXECUTE FUNCTION feedback_report_cells_truncate()")
    op.execute(REBUILD_FN)
    op.execute("SELECT feedback_report_cells_rebuild()")


def downgrade() -> None:
    for suffix in (*EVENTS, "truncate"):
        op.execute(f"DROP TRIGGER IF EXISTS feedback_report_cells_{suffix} ON feedback_reports")
        op.execute(f"DROP FUNCTION IF EXISTS feedback_report_cells_{suffix}()")
    op.execute("DROP FUNCTION IF EXISTS feedback_report_cells_rebuild()")
    op.drop_table("feedback_report_cells")
