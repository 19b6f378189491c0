"""Benchmark of the public feedback statistics (issue 4, "Transparency").

Loads N reports (default 1,000,000) with one INSERT ... SELECT into a throwaway PostGIS
cluster (triggers off, as a bulk import would), builds the statistics' rollup
(``stats_rollup.rebuild``), then times for a one-year period:

* before: the previous implementation, one exact pass over the base table
  (``percentile_cont`` + GROUPING SETS, kept here as ``EXACT_SQL``);
* after: ``layers.feedback.stats.summary`` / ``trend`` (rollup cube + journal + base-table
  edges), grouped by agency, commune and category, filtered, and the HTTP endpoint;
* the same with a journal of a few thousand rows not yet folded, and the fold itself.

Counts of the two are compared, percentiles checked against the stated tolerance.
Two data layouts (``--years``): 1 puts all N reports in the measured year (the worst case);
3 spreads them over three years. Run it niced on a shared machine; the load average is
printed with every block.

    nice -n 10 .venv/bin/python bench/feedback_stats_bench.py [--reports 1000000] [--years 1] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import free_port  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from layers.cluster import Cluster  # noqa: E402
from layers.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from layers.defaults import load_defaults  # noqa: E402
from layers.feedback import stats, stats_rollup  # noqa: E402
from layers.migrate import upgrade  # noqa: E402
from layers.settings import get_settings  # noqa: E402

TODAY = date.today()

# Statuses by age: old cases are mostly settled, recent ones mostly open. Handling time is
# skewed (most within days, a long tail of weeks), ratings on a third of confirmed cases,
# a dispute on one resolved case in twelve.
LOAD_SQL = """
INSERT INTO feedback_reports (
    code, category_id, title, description, answers, status, source, geom, location_precision,
    commune_code, commune_name, h3_r5, h3_r6, h3_r7, h3_r8, h3_r9, h3_r10, agency_id,
    routing_explanation_vi, routing_explanation_en, received_at, deadline_days, due_at,
    resolved_at, closed_at, closure, reject_reason, citizen_rating, citizen_feedback_at,
    supporters, text_hidden, escalated, dispute_count, share_contact, private_token_hash, updated_at)
SELECT 'DM-' || to_char(g.received_at, 'YYYY') || '-' || lpad(g.i::text, 9, '0'),
       g.category_id, 'Phản ánh thử', 'Nội dung thử', '{}'::jsonb, g.status, 'web',
       ST_SetSRID(ST_MakePoint(107.55 + random() * 0.2, 12.35 + random() * 0.2), 4326), 'point',
       g.commune_code, 'Xã thử', 0, 0, 0, 0, 0, 0, g.agency_id, 'thử', 'test',
       g.received_at, 10, g.received_at + interval '14 days',
       g.resolved_at,
       CASE WHEN g.status IN ('closed', 'rejected', 'duplicate')
            THEN coalesce(g.resolved_at, g.received_at + interval '2 days') + interval '7 days' END,
       CASE WHEN g.status = 'closed' THEN (CASE WHEN g.u2 < 0.7 THEN 'confirmed'
                                                ELSE 'resolved_unconfirmed' END) END,
       CASE WHEN g.status = 'rejected' THEN 'not_in_competence' END,
       CASE WHEN g.status = 'closed' AND g.u2 < 0.25 THEN 1 + (g.u3 * 5)::int % 5 END,
       CASE WHEN g.status = 'closed' AND g.u2 < 0.25 THEN g.resolved_at + interval '1 day' END,
       0, false, false,
       CASE WHEN g.resolved_at IS NOT NULL AND g.u3 < 0.08 THEN 1 ELSE 0 END,
       false, md5(g.i::text) || md5((g.i::bigint * 7)::text), g.received_at
FROM (
    SELECT s.i, s.received_at, s.u2, s.u3,
           (CAST(:categories AS int[]))[
               1 + ((s.i::bigint * 7919) % cardinality(CAST(:categories AS int[])))::int] AS category_id,
           (CAST(:agencies AS int[]))[
               1 + ((s.i::bigint * 104729) % cardinality(CAST(:agencies AS int[])))::int] AS agency_id,
           (CAST(:communes AS text[]))[
               1 + ((s.i::bigint * 1299709) % cardinality(CAST(:communes AS text[])))::int] AS commune_code,
           st.status,
           CASE WHEN st.status IN ('resolved', 'closed')
                THEN s.received_at + make_interval(secs => 3600 * (2 + 900 * s.u3 ^ 3)) END AS resolved_at
    FROM (SELECT i, CAST(:hi AS timestamptz) - (CAST(:span AS interval) * (i::float8 / :n)) AS received_at,
                 random() AS u1, random() AS u2, random() AS u3
          FROM generate_series(1, CAST(:n AS int)) AS i) s
    CROSS JOIN LATERAL (SELECT CASE
        WHEN s.received_at < CAST(:hi AS timestamptz) - interval '45 days' THEN
             CASE WHEN s.u1 < 0.82 THEN 'closed' WHEN s.u1 < 0.88 THEN 'rejected'
                  WHEN s.u1 < 0.91 THEN 'duplicate' WHEN s.u1 < 0.95 THEN 'resolved'
                  WHEN s.u1 < 0.98 THEN 'in_progress' ELSE 'received' END
        ELSE CASE WHEN s.u1 < 0.35 THEN 'closed' WHEN s.u1 < 0.45 THEN 'resolved'
                  WHEN s.u1 < 0.60 THEN 'in_progress' WHEN s.u1 < 0.80 THEN 'assigned'
                  ELSE 'received' END
        END AS status) st
    ORDER BY s.received_at
) g
"""  # oldest first, so the heap follows received_at as a live system's would


def load(engine: Any, n: int, years: int) -> None:
    with session_scope(make_sessionmaker(engine)) as s:
        categories = list(s.scalars(text("SELECT id FROM feedback_categories ORDER BY id")))
        agencies = list(s.scalars(text("SELECT id FROM agencies ORDER BY id")))
        communes = list(s.scalars(text("SELECT DISTINCT code FROM admin_units WHERE level = 'commune' "
                                       "ORDER BY code")))
    hi = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=12)
    t = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SET session_replication_role = replica"))  # bulk load: no per-row triggers
        conn.execute(text(LOAD_SQL), {"n": n, "hi": hi, "span": timedelta(days=365 * years),
                                      "categories": categories, "agencies": agencies, "communes": communes})
        conn.execute(text("SET session_replication_role = origin"))
    print(f"  INSERT ... SELECT {n:,} reports over {years} year(s): {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE feedback_reports"))
    print(f"  VACUUM ANALYZE: {time.perf_counter() - t:.1f} s")


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    fn()  # warm the cache and the plan
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t) * 1000)
    return times, result


def report(label: str, times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    row = {"median": statistics.median(ordered), "p90": ordered[int(0.9 * (len(ordered) - 1))],
           "max": ordered[-1]}
    print(f"  {label:<46} median {row['median']:7.1f} ms   p90 {row['p90']:7.1f} ms"
          f"   max {row['max']:7.1f} ms")
    return row


EXACT_SQL = """
SELECT agency_id AS key, GROUPING(agency_id) AS is_total, count(*) AS received,
       count(*) FILTER (WHERE status IN ('resolved', 'closed')) AS resolved,
       count(*) FILTER (WHERE status IN ('resolved', 'closed') AND resolved_at <= due_at) AS on_time,
       count(*) FILTER (WHERE status IN ('received', 'assigned', 'in_progress')) AS open,
       count(*) FILTER (WHERE status IN ('received', 'assigned', 'in_progress') AND due_at < :now)
           AS overdue_now,
       count(*) FILTER (WHERE status = 'rejected') AS rejected,
       count(*) FILTER (WHERE status = 'duplicate') AS duplicate,
       count(*) FILTER (WHERE closure = 'resolved_unconfirmed') AS resolved_unconfirmed,
       count(*) FILTER (WHERE resolved_at IS NOT NULL) AS ever_resolved,
       count(*) FILTER (WHERE dispute_count > 0) AS disputed,
       count(citizen_rating) AS ratings, avg(citizen_rating) AS satisfaction,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
           ORDER BY extract(epoch FROM resolved_at - received_at) / 3600.0
       ) FILTER (WHERE status IN ('resolved', 'closed')) AS hours
FROM feedback_reports WHERE received_at >= :lo AND received_at < :hi
GROUP BY GROUPING SETS ((agency_id), ())
"""  # the previous implementation's statement (session 1), for the "before" numbers


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} (2 cores)"


def exact(s: Any, period: stats.Period) -> dict[Any, Any]:
    """The previous statement: exact percentiles, one pass over the year."""
    s.execute(text("SET LOCAL work_mem = '64MB'"))
    lo, hi = period.bounds
    rows = s.execute(text(EXACT_SQL), {"lo": lo, "hi": hi, "now": datetime.now(UTC)}).all()
    s.rollback()
    return {r.key: r for r in rows}


def check(s: Any, period: stats.Period) -> None:
    """Counts equal, percentiles within the tolerance, against the exact statement."""
    want = exact(s, period)
    got = stats.summary(s, period, "agency", stats.Filters(), min_cases=10)
    codes = dict(s.execute(text("SELECT code, id FROM agencies")).all())
    rows = [(got["total"], want[None])] + [(g, want[codes[g["key"]]]) for g in got["groups"]]
    worst = 0.0
    for mine, theirs in rows:
        for k in ("received", "resolved", "open", "overdue_now", "rejected", "duplicate",
                  "resolved_unconfirmed", "ratings"):
            assert mine[k] == getattr(theirs, k), (k, mine[k], getattr(theirs, k))
        for m, e in zip((mine["median_hours"], mine["p90_hours"]), theirs.hours, strict=True):
            worst = max(worst, abs(m - float(e)) / float(e))
    print(f"  check: counts equal to the exact statement for total + {len(rows) - 1} agencies; "
          f"largest percentile error {100 * worst:.2f} % (stated bound "
          f"{100 * stats_rollup.PERCENTILE_TOLERANCE:.2f} % + 0.1 h)")


def measure(engine: Any, app: Any, runs: int, label: str) -> None:
    factory = make_sessionmaker(engine)
    period = stats.period(TODAY - timedelta(days=364), TODAY)
    print(f"{label}: one year {period.first} .. {period.last}; {load_average()}")
    with factory() as s:
        journal = s.scalar(text("SELECT count(*) FROM feedback_stats_delta"))
        print(f"  journal rows not yet folded: {journal:,}")
        for group_by in stats.GROUPS:
            times, out = timed(partial(stats.summary, s, period, group_by, stats.Filters(), min_cases=10),
                               runs)
            report(f"summary group_by={group_by} ({out['total']['received']:,} cases)", times)
        times, _ = timed(lambda: stats.summary(s, period, "category", stats.Filters(agency="phong-ktht"),
                                               min_cases=10), runs)
        report("summary group_by=category agency=phong-ktht", times)
        times, _ = timed(lambda: stats.summary(s, period, "commune", stats.Filters(
            agency="phong-ktht", category="roads"), min_cases=10), runs)
        report("summary group_by=commune agency+category", times)
        month = stats.period(TODAY - timedelta(days=29), TODAY)
        times, out = timed(lambda: stats.summary(s, month, "agency", stats.Filters(), min_cases=10), runs)
        report(f"summary group_by=agency, 30 days ({out['total']['received']:,} cases)", times)
        times, _ = timed(lambda: stats.trend(s, 12, stats.Filters(), min_cases=10), runs)
        report("trend months=12", times)
        s.rollback()
    with TestClient(app) as client:
        times, r = timed(partial(client.get, "/healthz"), runs)
        report("HTTP GET /healthz (framework + one query floor)", times)
        for group_by in stats.GROUPS:
            times, r = timed(partial(client.get, "/api/v1/stats", params={"group_by": group_by}), runs)
            assert r.status_code == 200, r.text
            report(f"HTTP GET /api/v1/stats?group_by={group_by}", times)
        times, r = timed(lambda: client.get("/api/v1/stats/trend"), runs)
        report("HTTP GET /api/v1/stats/trend", times)


def before(engine: Any, runs: int) -> None:
    period = stats.period(TODAY - timedelta(days=364), TODAY)
    print(f"before (exact statement over the base table): {load_average()}")
    with make_sessionmaker(engine)() as s:
        times, rows = timed(lambda: exact(s, period), max(1, runs // 2))
        report(f"exact group_by=agency ({rows[None].received:,} cases)", times)
        check(s, period)


def journal(engine: Any, n: int) -> None:
    """Settle ``n`` open cases (2n journal rows), as officers and the stale-closing job do."""
    t = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("""
            UPDATE feedback_reports SET status = 'closed', closure = 'resolved_unconfirmed',
                   resolved_at = received_at + interval '50 hours', closed_at = now()
            WHERE id IN (SELECT id FROM feedback_reports WHERE status = 'in_progress'
                         ORDER BY id LIMIT :n)"""),
            {"n": n})
    print(f"  UPDATE settling {n:,} cases (trigger journals {2 * n:,} rows): "
          f"{(time.perf_counter() - t) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="iocmap-bench-stats-"))
    tmp.chmod(0o755)  # the cluster runs as the postgres user when we are root
    cluster = Cluster(tmp, port=free_port())
    try:
        cluster.start(fast_unsafe=True)
        engine = make_engine(cluster.url)
        upgrade(engine)
        with session_scope(make_sessionmaker(engine)) as s:
            load_defaults(s)
        load(engine, args.reports, args.years)
        t = time.perf_counter()
        with session_scope(make_sessionmaker(engine)) as s:
            cells = stats_rollup.rebuild(s)
        print(f"  rollup rebuild: {cells:,} cells in {time.perf_counter() - t:.1f} s")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE feedback_stats_cells"))
            size = conn.scalar(text("SELECT pg_size_pretty(pg_total_relation_size('feedback_stats_cells'))"))
        print(f"  feedback_stats_cells: {size} with its primary key")
        app = create_app(get_settings(database_url=cluster.url), engine=engine)
        before(engine, args.runs)
        measure(engine, app, args.runs, "after (rollup)")
        journal(engine, stats_rollup.COMPACT_AT // 2 - 1)
        measure(engine, app, args.runs, "after, with a journal just under the folding threshold")
        journal(engine, stats_rollup.COMPACT_AT)
        with session_scope(make_sessionmaker(engine)) as s:
            t = time.perf_counter()
            moved = stats_rollup.compact(s)
        print(f"  fold of the journal: {moved:,} cells upserted in {(time.perf_counter() - t) * 1000:.0f} ms")
        with make_sessionmaker(engine)() as s:
            check(s, stats.period(TODAY - timedelta(days=364), TODAY))
        engine.dispose()
    finally:
        cluster.destroy()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
