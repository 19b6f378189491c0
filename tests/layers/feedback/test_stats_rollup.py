"""The statistics' rollup gives the same answers as the base table: counts exactly, the
median and 90th percentile within the stated tolerance of ``percentile_cont``.

Generated cases live from December 2011 to February 2013 (no other test uses those
months), in three agencies, categories and communes, in every status, with times close to
month boundaries in Vietnam time. They are then transferred, disputed, settled, moved to
another month and deleted after their months were folded into the cube.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from layers.db import make_sessionmaker
from layers.feedback import stats, stats_rollup, workflow
from layers.feedback.calendar import VN_TZ
from layers.feedback.stats_rollup import PERCENTILE_TOLERANCE, bucket_bounds, percentiles, plan

NOW = datetime(2013, 1, 20, 5, 0, tzinfo=UTC)
AGENCIES = ("phong-ktht", "phong-tnmt", "ubnd-24664")
CATEGORIES = ("roads", "waste", "street_lighting")
COMMUNES = ("24664", "24667", "24670")
STATUSES = ("received", "assigned", "in_progress", "resolved", "closed", "closed", "rejected", "duplicate")

INSERT = text("""
INSERT INTO feedback_reports (
    code, category_id, title, description, answers, status, source, geom, location_precision,
    commune_code, commune_name, h3_r5, h3_r6, h3_r7, h3_r8, h3_r9, h3_r10, agency_id,
    routing_explanation_vi, routing_explanation_en, received_at, deadline_days, due_at, resolved_at,
    closed_at, closure, citizen_rating, supporters, text_hidden, escalated, dispute_count, share_contact,
    private_token_hash, updated_at)
SELECT :code, (SELECT id FROM feedback_categories WHERE code = :category), 'thử', 'thử', '{}'::jsonb,
       :status, 'web', ST_SetSRID(ST_MakePoint(107.62, 12.45), 4326), 'point', :commune, 'Xã thử',
       0, 0, 0, 0, 0, 0, (SELECT id FROM agencies WHERE code = :agency), 'thử', 'test', :received, 10, :due,
       :resolved, :closed, :closure, :rating, 0, false, false, :disputes, false, :token, :received
RETURNING id""")


def _case(rng: random.Random, received: datetime) -> dict[str, Any]:
    status = rng.choice(STATUSES)
    hours = rng.choice((0.02, 0.5, 3.0, 26.0, 200.0, 700.0, 2500.0)) * rng.uniform(0.7, 1.4)
    resolved = received + timedelta(hours=hours)
    disputes = int(status in ("in_progress", "rejected") and rng.random() < 0.4)
    settled_resolved = status in ("resolved", "closed")
    return {
        "code": f"TS-{uuid.uuid4().hex[:20]}", "category": rng.choice(CATEGORIES), "status": status,
        "commune": rng.choice(COMMUNES), "agency": rng.choice(AGENCIES), "received": received,
        "due": received + timedelta(days=rng.choice((2, 10, 40))),
        "resolved": resolved if settled_resolved or disputes else None,
        "closed": resolved + timedelta(days=7) if status in ("closed", "rejected", "duplicate") else None,
        "closure": rng.choice(("confirmed", "resolved_unconfirmed")) if status == "closed" else None,
        "rating": rng.choice((None, 1, 3, 4, 5)) if status == "closed" or disputes else None,
        "disputes": disputes, "token": uuid.uuid4().hex + uuid.uuid4().hex,
    }


def _insert(db, rows: list[dict[str, Any]]) -> list[int]:
    return [db.execute(INSERT, row).scalar_one() for row in rows]


@pytest.fixture
def cases(db):
    """~500 cases, half of them one minute from a month boundary (Vietnam time)."""
    rng = random.Random(20121)
    rows = []
    for _ in range(500):
        day = date(2011, 12, 1) + timedelta(days=rng.randrange(0, 440))
        if rng.random() < 0.5:  # first or last minutes of a Vietnamese month
            month = day.replace(day=1)
            edge = datetime(month.year, month.month, 1, tzinfo=VN_TZ)
            received = edge + timedelta(minutes=rng.choice((-1, 0, 1, 30, -30)))
        else:
            received = datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60), tzinfo=VN_TZ)
        rows.append(_case(rng, received))
    ids = _insert(db, rows)
    stats_rollup.compact(db)
    return ids


PERIODS = [
    (date(2012, 1, 1), date(2012, 12, 31)),  # whole months only
    (date(2011, 12, 5), date(2013, 1, 28)),  # edges: mostly covered months (rollup minus days)
    (date(2012, 1, 29), date(2012, 3, 2)),  # edges: a few days (base table plus)
    (date(2012, 6, 10), date(2012, 6, 20)),  # inside one month
    (date(2012, 7, 1), date(2012, 7, 1)),  # one day at a month boundary
    (date(2012, 2, 1), date(2012, 2, 29)),  # a leap February
]
FILTERS = [stats.Filters(), stats.Filters(agency="phong-ktht"),
           stats.Filters(category="waste", commune="24667"),
           stats.Filters(agency="phong-tnmt", category="roads", commune="24664")]


def _same(db, p: stats.Period, group_by: str, f: stats.Filters) -> dict[str, Any]:
    rolled = stats.summary(db, p, group_by, f, min_cases=1, now=NOW)
    direct = stats.summary(db, p, group_by, f, min_cases=1, now=NOW, direct=True)
    assert rolled == direct, (p, group_by, f)
    return rolled


def _all_the_same(db) -> None:
    for first, last in PERIODS:
        for f in FILTERS:
            for group_by in stats.GROUPS:
                _same(db, stats.Period(first, last), group_by, f)
    for f in FILTERS:
        rolled = stats.trend(db, 15, f, min_cases=1, until=date(2013, 2, 1), now=NOW)
        assert rolled == stats.trend(db, 15, f, min_cases=1, until=date(2013, 2, 1), now=NOW, direct=True)


def test_the_rollup_answers_like_the_base_table(db, cases):
    body = _same(db, stats.Period(date(2012, 1, 1), date(2012, 12, 31)), "agency", stats.Filters())
    assert body["total"]["received"] > 300 and len(body["groups"]) == 3
    _all_the_same(db)


def test_the_plan_uses_the_rollup_for_most_of_a_year(db, cases):
    p = plan(date(2011, 12, 5), date(2013, 1, 28))
    assert (p.m0, p.m1) == (date(2011, 12, 1), date(2013, 1, 1))
    assert p.sub == ((date(2011, 12, 1), date(2011, 12, 5)), (date(2013, 1, 29), date(2013, 2, 1)))
    assert p.add == ()
    sql, _ = stats_rollup.statement(stats_rollup.Question("agency"), date(2012, 1, 1), date(2012, 12, 31), NOW)
    assert "feedback_stats_cells" in sql and "received_at >= :a" not in sql


def test_counts_are_exact_and_percentiles_within_tolerance_of_percentile_cont(db, cases):
    p = stats.Period(date(2011, 12, 5), date(2013, 1, 28))
    body = stats.summary(db, p, "agency", stats.Filters(), min_cases=1, now=NOW)
    lo, hi = p.bounds
    exact = {r.code: r for r in db.execute(text("""
        SELECT a.code, count(*) AS received,
               count(*) FILTER (WHERE status IN ('resolved', 'closed')) AS resolved,
               count(*) FILTER (WHERE status IN ('received', 'assigned', 'in_progress') AND due_at < :now)
                   AS overdue_now,
               percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
                   ORDER BY extract(epoch FROM resolved_at - received_at) / 3600.0)
                   FILTER (WHERE status IN ('resolved', 'closed')) AS hours
        FROM feedback_reports r JOIN agencies a ON a.id = r.agency_id
        WHERE received_at >= :lo AND received_at < :hi GROUP BY a.code"""),
        {"lo": lo, "hi": hi, "now": NOW})}
    assert {g["key"] for g in body["groups"]} == set(exact)
    for g in body["groups"]:
        e = exact[g["key"]]
        assert (g["received"], g["resolved"], g["overdue_now"]) == (e.received, e.resolved, e.overdue_now)
        for got, want in zip((g["median_hours"], g["p90_hours"]), e.hours, strict=True):
            assert abs(got - float(want)) <= PERCENTILE_TOLERANCE * float(want) + 0.1, (g["key"], got, want)


def test_changes_after_the_months_were_folded_are_counted(db, cases):
    """Transfers, disputes, late settlements, a moved receipt date, deletions, new cases in
    the edge months: some folded again, the rest still in the journal."""
    rng = random.Random(7)
    ids = list(cases)
    rng.shuffle(ids)
    moves = [
        "UPDATE feedback_reports SET agency_id = (SELECT id FROM agencies WHERE code = 'phong-tnmt') "
        "WHERE id = :id AND status IN ('received', 'assigned', 'in_progress')",  # transfer
        "UPDATE feedback_reports SET status = 'in_progress', dispute_count = dispute_count + 1, "
        "citizen_rating = 2, escalated = true WHERE id = :id AND status = 'resolved'",  # dispute
        "UPDATE feedback_reports SET status = 'closed', closure = 'resolved_unconfirmed', "
        "resolved_at = received_at + interval '30 hours', closed_at = received_at + interval '10 days' "
        "WHERE id = :id AND status IN ('received', 'assigned', 'in_progress')",  # settled late
        "UPDATE feedback_reports SET received_at = received_at - interval '40 days' WHERE id = :id",
        "UPDATE feedback_reports SET supporters = supporters + 1 WHERE id = :id",  # no contribution change
        "DELETE FROM feedback_reports WHERE id = :id",
    ]
    for i, report_id in enumerate(ids[:240]):
        db.execute(text(moves[i % len(moves)]), {"id": report_id})
        if i == 120:
            stats_rollup.compact(db)  # half folded, half left in the journal
    _insert(db, [_case(rng, datetime(2011, 12, 2, 8, tzinfo=VN_TZ)) for _ in range(5)]
            + [_case(rng, datetime(2013, 1, 30, 8, tzinfo=VN_TZ)) for _ in range(5)])
    assert db.scalar(text("SELECT count(*) FROM feedback_stats_delta")) > 0
    _all_the_same(db)
    stats_rollup.compact(db)
    assert db.scalar(text("SELECT count(*) FROM feedback_stats_delta")) == 0
    _all_the_same(db)


def test_the_workflow_and_the_stale_closing_job_keep_it_right(db, cases, make_user):
    officer = make_user("leader")
    code = db.scalar(text("SELECT code FROM feedback_reports WHERE id = ANY(:ids) AND status = 'in_progress' "
                          "AND dispute_count = 0 ORDER BY id LIMIT 1"), {"ids": cases})
    workflow.apply(db, code, workflow.Step(to="transferred", agency="ubnd-24664", public_note="Chuyển"),
                   officer, NOW)
    closed = workflow.close_unconfirmed(db, NOW)  # the resolved cases of 2012 close in silence
    assert closed > 0
    _all_the_same(db)


def test_rebuilding_gives_the_cells_the_journal_folded_into(db, cases):
    db.execute(text("UPDATE feedback_reports SET status = 'rejected', reject_reason = 'other' "
                    "WHERE id = ANY(:ids) AND status = 'received'"), {"ids": cases})
    stats_rollup.compact(db)
    cells = "SELECT * FROM feedback_stats_cells WHERE received <> 0 ORDER BY 1, 2, 3, 4, 5, 6"
    before = db.execute(text(cells)).all()
    assert stats_rollup.rebuild(db) > 0
    assert db.execute(text(cells)).all() == before


def test_readers_fold_a_long_journal_and_only_one_at_a_time(db, cases):
    db.execute(text("UPDATE feedback_reports SET citizen_rating = 5 WHERE id = ANY(:ids)"), {"ids": cases})
    journal = db.scalar(text("SELECT count(*) FROM feedback_stats_delta"))
    assert journal > 100
    assert stats_rollup.maybe_compact(db, at=journal + 1) == 0
    assert stats_rollup.maybe_compact(db, at=100) > 0
    assert db.scalar(text("SELECT count(*) FROM feedback_stats_delta")) == 0


def test_a_case_committed_during_a_compaction_is_not_lost(engine):
    """Writer A journals a case but commits after B folded the journal: the row B could not
    see stays in the journal and is folded next time."""
    factory = make_sessionmaker(engine)
    token = uuid.uuid4().hex * 2
    row = _case(random.Random(3), datetime(2009, 5, 12, 9, tzinfo=VN_TZ)) | {
        "status": "closed", "closure": "confirmed", "resolved": datetime(2009, 5, 13, tzinfo=VN_TZ),
        "closed": datetime(2009, 5, 20, tzinfo=VN_TZ), "token": token}
    may = stats.Period(date(2009, 5, 1), date(2009, 5, 31))
    a, b = factory(), factory()
    try:
        _insert(a, [row])  # uncommitted
        assert b.scalar(text("SELECT feedback_stats_compact(false)")) >= 0
        b.commit()
        a.commit()
        assert stats.summary(b, may, "agency", stats.Filters(), min_cases=1)["total"]["received"] == 1
        stats_rollup.compact(b)
        body = stats.summary(b, may, "agency", stats.Filters(), min_cases=1)
        assert body["total"]["received"] == body["total"]["resolved"] == 1
        assert body == stats.summary(b, may, "agency", stats.Filters(), min_cases=1, direct=True) | {
            "generated_at": body["generated_at"]}
        b.commit()
        # While one transaction folds, another does not wait: it reads the journal instead.
        assert a.scalar(text("SELECT feedback_stats_compact(true)")) >= 0
        assert b.scalar(text("SELECT feedback_stats_compact(false)")) == -1
        b.rollback()
        a.rollback()
    finally:
        a.rollback()
        b.rollback()
        a.execute(text("DELETE FROM feedback_reports WHERE private_token_hash = :t"), {"t": token})
        stats_rollup.compact(a)
        a.commit()
        a.close()
        b.close()


# ---- histograms --------------------------------------------------------------------------


def test_buckets_are_contiguous_and_4_7_percent_wide():
    previous_high = 0.0
    for b in range(0, stats_rollup.LAST_BUCKET):
        low, high = bucket_bounds(b)
        assert low == pytest.approx(previous_high)
        if b > 0:
            assert high / low == pytest.approx(1 + PERCENTILE_TOLERANCE)
        previous_high = high
    assert bucket_bounds(stats_rollup.LAST_BUCKET)[0] == pytest.approx(100_000)


def test_the_sql_bucket_of_an_hour_count_holds_it(db):
    rng = random.Random(5)
    hours = [0.0, 0.05, 0.1, 0.11, 1.0, 24.0, 99_999.0, 200_000.0] + [10 ** rng.uniform(-1, 4.9) for _ in range(300)]
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for h in hours:
        bucket = db.scalar(text("SELECT feedback_stats_bucket('closed', :a, :b)"),
                           {"a": start, "b": start + timedelta(hours=h)})
        low, high = bucket_bounds(bucket)
        assert low * (1 - 1e-9) <= h < high * (1 + 1e-9) or (bucket == stats_rollup.LAST_BUCKET and h >= low)
    assert db.scalar(text("SELECT feedback_stats_bucket('in_progress', now(), now())")) == -1
    assert db.scalar(text("SELECT feedback_stats_bucket('closed', now(), NULL)")) == -1


def _exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    x = q * (len(ordered) - 1)
    k = int(x)
    return ordered[k] + (x - k) * (ordered[min(k + 1, len(ordered) - 1)] - ordered[k])


@pytest.mark.parametrize("seed", range(20))
def test_histogram_percentiles_stay_within_the_tolerance(db, seed):
    rng = random.Random(seed)
    values = [rng.lognormvariate(3, 1.5) + 0.1 for _ in range(rng.choice((1, 2, 5, 50, 2000)))]
    hist: dict[int, int] = {}
    start = datetime(2020, 1, 1, tzinfo=UTC)
    buckets = db.execute(text("SELECT feedback_stats_bucket('closed', :a, :a + make_interval(secs => h * 3600)) "
                              "FROM unnest(CAST(:hs AS float8[])) h"), {"a": start, "hs": values}).scalars()
    for b in buckets:
        hist[b] = hist.get(b, 0) + 1
    for q, got in zip((0.5, 0.9), percentiles(hist, (0.5, 0.9)), strict=True):
        want = _exact(values, q)
        assert got is not None and abs(got - want) <= PERCENTILE_TOLERANCE * want + 1e-9


def test_no_resolved_case_gives_no_percentile():
    assert percentiles({}, (0.5, 0.9)) == [None, None]
    assert percentiles({-1: 4}, (0.5,)) == [None]
