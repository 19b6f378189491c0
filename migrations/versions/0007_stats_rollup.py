"""The rollup of the public feedback statistics: a cube of counters and handling-time
histograms per Vietnamese month, kept exact by a trigger-fed journal.

Revision ID: 0007_stats_rollup
Revises: 0006_apikeys
Create Date: 2026-11-26

Why a journal and not a rebuild of finished months (the H3 heatmap's way): a case's
contribution to the statistics changes with its status (resolved, disputed, closed...)
for weeks after its month is over, so "finished" months would be dirty all the time.
Instead every write that changes a case's contribution appends its old contribution with
sign -1 and its new one with sign +1 to ``feedback_stats_delta`` (trigger
``feedback_stats_track``: any write path, committed or rolled back with the writer's
transaction). Writers only INSERT there: no hot rows, no lock waits, no deadlocks between
officers. ``feedback_stats_compact`` folds the journal into ``feedback_stats_cells`` in
one statement (DELETE ... RETURNING feeding an upsert), so a reader's snapshot sees
either the journal rows or their sum in the cells, never both or neither. Compactions are
serialised by an advisory lock; ``feedback_stats_rebuild`` recomputes everything (after
a bulk load with triggers off) while holding a SHARE lock on the reports.

The SQL functions here are the single definition of a case's contribution; the reader
(layers/feedback/stats_rollup.py) repeats it for the base-table edges, and the tests
compare the two on generated data.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_stats_rollup"
down_revision = "0006_apikeys"
branch_labels = None
depends_on = None

OPEN_SQL = "status IN ('received', 'assigned', 'in_progress')"
COUNTERS = ("received", "resolved", "on_time", "open", "rejected", "duplicate", "unconfirmed",
            "ever_resolved", "disputed", "ratings", "rating_sum")
KEYS = ("agency_id", "category_id", "commune_code", "month", "bucket")
# Columns whose change can change a case's contribution (the trigger's UPDATE OF list).
TRACKED = ("status", "received_at", "agency_id", "category_id", "commune_code", "due_at", "resolved_at",
           "closure", "citizen_rating", "dispute_count")

# Handling-time bucket: -1 = no handling time (not resolved); 0 = under 0.1 h; then 50
# log-spaced buckets per decade (each 4.7 % wide) from 0.1 h; 301 = 100,000 h and more.
BUCKET_FN = """
CREATE FUNCTION feedback_stats_bucket(status text, received_at timestamptz, resolved_at timestamptz)
RETURNS smallint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN status NOT IN ('resolved', 'closed') OR resolved_at IS NULL THEN -1
        WHEN extract(epoch FROM resolved_at - received_at)::float8 < 360 THEN 0
        ELSE least(301, 1 + floor(50 * log(extract(epoch FROM resolved_at - received_at)::float8 / 360)))
    END::smallint
$$
"""

CONTRIBUTION_FN = f"""
CREATE FUNCTION feedback_stats_of(r feedback_reports)
RETURNS TABLE (month date, agency_id integer, category_id integer, commune_code varchar, bucket smallint,
               resolved integer, on_time integer, open integer, rejected integer, duplicate integer,
               unconfirmed integer, ever_resolved integer, disputed integer, ratings integer,
               rating_sum integer)
LANGUAGE sql STABLE AS $$
    SELECT (date_trunc('month', r.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh'))::date,
           r.agency_id, r.category_id, r.commune_code,
           feedback_stats_bucket(r.status, r.received_at, r.resolved_at),
           (r.status IN ('resolved', 'closed'))::int,
           (r.status IN ('resolved', 'closed') AND coalesce(r.resolved_at <= r.due_at, false))::int,
           (r.{OPEN_SQL})::int,
           (r.status = 'rejected')::int,
           (r.status = 'duplicate')::int,
           (r.closure IS NOT DISTINCT FROM 'resolved_unconfirmed')::int,
           (r.resolved_at IS NOT NULL)::int,
           (r.dispute_count > 0)::int,
           (r.citizen_rating IS NOT NULL)::int,
           coalesce(r.citizen_rating, 0)::int
$$
"""  # noqa: S608 (constants only)


def _values(rec: str, sign: str) -> str:
    keys = ", ".join(f"{rec}.{k}" for k in KEYS)
    counters = ", ".join([sign, *(f"{sign} * {rec}.{c}" for c in COUNTERS[1:])])
    return f"{keys}, {counters}"


_COLUMNS = ", ".join((*KEYS, *COUNTERS))
_ROW = "({})".format(", ".join(f"{{r}}.{c}" for c in (*KEYS, *COUNTERS[1:])))
_BEFORE, _AFTER = _ROW.format(r="was"), _ROW.format(r="now_")
_MINUS, _PLUS = _values("was", "-1"), _values("now_", "1")

TRACK_FN = f"""
CREATE FUNCTION feedback_stats_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was record;
    now_ record;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT * INTO was FROM feedback_stats_of(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT * INTO now_ FROM feedback_stats_of(NEW);
    END IF;
    IF TG_OP = 'UPDATE' THEN  -- (plpgsql's AND does not short-circuit)
        IF {_BEFORE} IS NOT DISTINCT FROM {_AFTER} THEN
            RETURN NULL;  -- same contribution: nothing to journal
        END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO feedback_stats_delta ({_COLUMNS}) VALUES ({_MINUS});
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO feedback_stats_delta ({_COLUMNS}) VALUES ({_PLUS});
    END IF;
    RETURN NULL;
END $$
"""  # noqa: S608 (constants only)

TRUNCATE_FN = """
CREATE FUNCTION feedback_stats_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM feedback_stats_delta;
    DELETE FROM feedback_stats_cells;
    RETURN NULL;
END $$
"""

# The cube: every grouping of (agency, category, commune), dims = bit mask of the kept ones
# (1 agency, 2 category, 4 commune); a dropped dimension holds 0 / ''.
_SUMS = ", ".join(f"sum({c}) AS {c}" for c in COUNTERS)
_CUBE = f"""
    SELECT ((GROUPING(agency_id) = 0)::int + 2 * (GROUPING(category_id) = 0)::int
            + 4 * (GROUPING(commune_code) = 0)::int)::smallint AS dims,
           coalesce(agency_id, 0) AS agency_id, coalesce(category_id, 0) AS category_id,
           coalesce(commune_code, '') AS commune_code, month, bucket, {_SUMS}
    FROM {{source}} GROUP BY month, bucket, CUBE (agency_id, category_id, commune_code)
"""  # noqa: S608 (constants only)
_EVERY_CASE = ("(SELECT f.*, 1 AS received FROM feedback_reports r "
               "CROSS JOIN LATERAL feedback_stats_of(r) f) s")
_CUBE_OF_GONE, _CUBE_OF_ALL = _CUBE.format(source="gone"), _CUBE.format(source=_EVERY_CASE)

_NONZERO = " OR ".join(f"{c} <> 0" for c in COUNTERS)
_UPSERT = ", ".join(f"{c} = c.{c} + EXCLUDED.{c}" for c in COUNTERS)
_CELL_COLUMNS = ", ".join(("dims", *KEYS, *COUNTERS))

COMPACT_FN = f"""
CREATE FUNCTION feedback_stats_compact(wait boolean) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    IF wait THEN
        PERFORM pg_advisory_xact_lock(5007, 0);
    ELSIF NOT pg_try_advisory_xact_lock(5007, 0) THEN
        RETURN -1;  -- another transaction is compacting: the journal stays readable
    END IF;
    WITH gone AS (DELETE FROM feedback_stats_delta RETURNING *),
         cube AS ({_CUBE_OF_GONE})
    INSERT INTO feedback_stats_cells AS c ({_CELL_COLUMNS})
    SELECT {_CELL_COLUMNS} FROM cube WHERE {_NONZERO}
    ON CONFLICT (dims, agency_id, category_id, commune_code, month, bucket) DO UPDATE SET {_UPSERT};
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END $$
"""  # noqa: S608 (constants only)

REBUILD_FN = f"""
CREATE FUNCTION feedback_stats_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    built bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(5007, 0);
    LOCK TABLE feedback_reports IN SHARE MODE;  -- writers wait; readers go on
    DELETE FROM feedback_stats_delta;
    DELETE FROM feedback_stats_cells;
    INSERT INTO feedback_stats_cells ({_CELL_COLUMNS})
    SELECT {_CELL_COLUMNS} FROM ({_CUBE_OF_ALL}) x
    ORDER BY dims, agency_id, category_id, commune_code, month, bucket;  -- slices stay together
    GET DIAGNOSTICS built = ROW_COUNT;
    RETURN built;
END $$
"""  # noqa: S608 (constants only)


def _counter_columns() -> list[sa.Column]:
    return [sa.Column(c, sa.Integer(), nullable=False) for c in COUNTERS]


def upgrade() -> None:
    op.create_table(
        "feedback_stats_cells",
        sa.Column("dims", sa.SmallInteger(), primary_key=True),
        sa.Column("agency_id", sa.Integer(), primary_key=True),
        sa.Column("category_id", sa.Integer(), primary_key=True),
        sa.Column("commune_code", sa.String(16), primary_key=True),
        sa.Column("month", sa.Date(), primary_key=True),
        sa.Column("bucket", sa.SmallInteger(), primary_key=True),
        *_counter_columns(),
    )
    # Room in every page for the fold's updates (HOT: no indexed column changes), so a
    # slice of the cube stays on the few pages the ordered rebuild wrote it to.
    op.execute("ALTER TABLE feedback_stats_cells SET (fillfactor = 70)")
    op.create_table(
        "feedback_stats_delta",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(16), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), nullable=False),
        *_counter_columns(),
    )
    # Open cases not yet due (the reader derives overdue_now = open - not yet due).
    op.create_index("ix_feedback_reports_open_due", "feedback_reports", ["due_at"],
                    postgresql_where=sa.text(OPEN_SQL),
                    postgresql_include=["received_at", "agency_id", "category_id", "commune_code"])
    for sql in (BUCKET_FN, CONTRIBUTION_FN, TRACK_FN, TRUNCATE_FN, COMPACT_FN, REBUILD_FN):
        op.execute(sql)
    op.execute("CREATE TRIGGER feedback_stats_track AFTER INSERT OR DELETE OR UPDATE OF "
               f"{', '.join(TRACKED)} ON feedback_reports "
               "FOR EACH ROW EXECUTE FUNCTION feedback_stats_track()")
    op.execute("CREATE TRIGGER feedback_stats_truncated AFTER TRUNCATE ON feedback_reports "
               "FOR EACH STATEMENT EXECUTE FUNCTION feedback_stats_truncated()")
    op.execute("SELECT feedback_stats_rebuild()")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS feedback_stats_truncated ON feedback_reports")
    op.execute("DROP TRIGGER IF EXISTS feedback_stats_track ON feedback_reports")
    for fn in ("feedback_stats_rebuild()", "feedback_stats_compact(boolean)", "feedback_stats_truncated()",
               "feedback_stats_track()", "feedback_stats_of(feedback_reports)",
               "feedback_stats_bucket(text, timestamptz, timestamptz)"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}")
    op.drop_index("ix_feedback_reports_open_due", table_name="feedback_reports")
    op.drop_table("feedback_stats_delta")
    op.drop_table("feedback_stats_cells")
