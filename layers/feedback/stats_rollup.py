"""Where the public statistics come from: the rollup cube, its journal and the base table,
added up in one SQL statement (one snapshot), and the handling-time histograms.

The rollup (migration 0007_stats_rollup) holds every case's contribution per Vietnamese
month, handling-time bucket and grouping of (agency, category, commune):
``feedback_stats_cells`` (folded) plus ``feedback_stats_delta`` (the journal the trigger
appends to on every change of a case's contribution, folded by ``compact``). Both are
always current, the current month included; nothing is ever "stale".

A question about calendar days ``first`` .. ``last`` adds up, in one statement:

* the cells of the whole months it needs (primary-key lookups of one slice of the cube),
* the journal rows of those months (a few thousand at most: readers fold it past
  ``COMPACT_AT`` rows),
* at each partial month of the edges, the base table: either the cases of the days
  inside the period (+) or, when the period covers most of that month, the month from the
  rollup minus the cases of the days outside it (-); index ix_feedback_reports_stats;
* the open cases not yet due (index ix_feedback_reports_open_due), since
  ``overdue_now`` = open - not yet due is the only number that moves with the clock.

Counts are exact. The median and the 90th percentile come from histograms with 50
log-spaced buckets per decade of hours (each 4.7 % wide) and the order statistics spread
evenly inside their bucket, then interpolated like ``percentile_cont``: every estimated
order statistic lies in the same bucket as the true one, so the error is at most
``PERCENTILE_TOLERANCE`` (4.71 %) of the exact value, or 0.1 h below 0.1 h (negative
handling times, clock errors, count as 0).

Concurrency (details in the migration): writers only append to the journal inside their
own transaction, so a reader's snapshot sees a change in the base table and in the journal
together or not at all; a fold moves journal rows into the cells in one statement, so it
is seen whole or not at all. A bulk load with triggers off (``session_replication_role =
replica``) bypasses the journal: run ``rebuild`` after it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.feedback.calendar import VN_TZ
from layers.feedback.models import OPEN_SQL

PER_DECADE = 50
FIRST_EDGE_HOURS = 0.1
LAST_BUCKET = 301  # 100,000 hours and more
PERCENTILE_TOLERANCE = 10 ** (1 / PER_DECADE) - 1
COMPACT_AT = 5_000  # journal rows a reader tolerates before folding them
# name -> (column, bit in the cube's ``dims`` mask, the value of a dropped dimension)
DIMS = {"agency": ("agency_id", 1, "0"), "category": ("category_id", 2, "0"),
        "commune": ("commune_code", 4, "''")}
COUNTERS = ("received", "resolved", "on_time", "open", "rejected", "duplicate", "unconfirmed",
            "ever_resolved", "disputed", "ratings", "rating_sum")

# A case's contribution computed from the base table: must agree with the SQL function
# feedback_stats_of (migration 0007); tests/layers/feedback/test_stats_rollup.py checks it.
_BASE_COUNTERS = {
    "received": "count(*)",
    "resolved": "count(*) FILTER (WHERE status IN ('resolved', 'closed'))",
    "on_time": "count(*) FILTER (WHERE status IN ('resolved', 'closed') AND resolved_at <= due_at)",
    "open": f"count(*) FILTER (WHERE {OPEN_SQL})",
    "rejected": "count(*) FILTER (WHERE status = 'rejected')",
    "duplicate": "count(*) FILTER (WHERE status = 'duplicate')",
    "unconfirmed": "count(*) FILTER (WHERE closure = 'resolved_unconfirmed')",
    "ever_resolved": "count(*) FILTER (WHERE resolved_at IS NOT NULL)",
    "disputed": "count(*) FILTER (WHERE dispute_count > 0)",
    "ratings": "count(citizen_rating)",
    "rating_sum": "sum(coalesce(citizen_rating, 0))",
}
# Every part yields integers, so the final sums are bigint ones (numeric sums are slow).
BUCKET_SQL = "feedback_stats_bucket(status, received_at, resolved_at)"
MONTH_SQL = "(date_trunc('month', received_at AT TIME ZONE 'Asia/Ho_Chi_Minh'))::date"


# ---- histograms ------------------------------------------------------------------------


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """[low, high) in hours of a handling-time bucket (the last one is a point)."""
    if bucket <= 0:
        return 0.0, FIRST_EDGE_HOURS
    low = FIRST_EDGE_HOURS * 10 ** ((bucket - 1) / PER_DECADE)
    if bucket >= LAST_BUCKET:
        return low, low
    return low, FIRST_EDGE_HOURS * 10 ** (bucket / PER_DECADE)


def percentiles(hist: dict[int, int], qs: Iterable[float]) -> list[float | None]:
    """``percentile_cont(q)`` estimated from bucket counts (see the module docstring)."""
    buckets = sorted((b, c) for b, c in hist.items() if b >= 0 and c > 0)
    n = sum(c for _, c in buckets)
    if n == 0:
        return [None for _ in qs]

    def order_statistic(i: int) -> float:
        seen = 0
        for b, c in buckets:
            if i < seen + c:
                low, high = bucket_bounds(b)
                return low + (i - seen + 0.5) / c * (high - low)
            seen += c
        raise AssertionError("rank beyond the histogram")

    out: list[float | None] = []
    for q in qs:
        x = q * (n - 1)
        k = math.floor(x)
        value = order_statistic(k)
        if x > k:
            value += (x - k) * (order_statistic(k + 1) - value)
        out.append(value)
    return out


@dataclass
class Tally:
    """The summed contributions of a group of cases, with its handling-time histogram."""

    received: int = 0
    resolved: int = 0
    on_time: int = 0
    open: int = 0
    rejected: int = 0
    duplicate: int = 0
    unconfirmed: int = 0
    ever_resolved: int = 0
    disputed: int = 0
    ratings: int = 0
    rating_sum: int = 0
    not_due: int = 0
    hist: dict[int, int] = field(default_factory=dict)

    def add(self, other: Tally) -> None:
        for f in fields(self):
            if f.name != "hist":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        for b, c in other.hist.items():
            self.hist[b] = self.hist.get(b, 0) + c

    @property
    def overdue_now(self) -> int:
        return self.open - self.not_due


# ---- which parts answer a period -------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Rollup months [m0, m1] (none if m0 is None) and base-table day ranges to add or subtract."""

    m0: date | None
    m1: date | None
    add: tuple[tuple[date, date], ...]
    sub: tuple[tuple[date, date], ...]


def next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def plan(first: date, last: date) -> Plan:
    """Whole months from the rollup; an edge month from the rollup minus the days outside the
    period when those are fewer than the days inside, else the days inside from the base."""
    months: list[date] = []
    add: list[tuple[date, date]] = []
    sub: list[tuple[date, date]] = []
    end = last + timedelta(days=1)
    m = first.replace(day=1)
    while m <= last:
        after = next_month(m)
        lo, hi = max(first, m), min(end, after)
        if 2 * (hi - lo).days >= (after - m).days:
            months.append(m)
            sub += [r for r in ((m, lo), (hi, after)) if r[0] < r[1]]
        else:
            add.append((lo, hi))
        m = after
    return Plan(months[0] if months else None, months[-1] if months else None, tuple(add), tuple(sub))


def _instant(day: date) -> datetime:
    return datetime.combine(day, time.min, VN_TZ)


# ---- the statement ---------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """Grouped by ``group`` (a DIMS name, or "month"), filtered by ids/codes (None: all)."""

    group: str
    agency_id: int | None = None
    category_id: int | None = None
    commune_code: str | None = None

    def filters(self) -> dict[str, Any]:
        values = {"agency": self.agency_id, "category": self.category_id, "commune": self.commune_code}
        return {k: v for k, v in values.items() if v is not None}


def _filter_sql(q: Question) -> str:
    return "".join(f" AND {DIMS[k][0]} = :f_{k}" for k in q.filters())


def _base_key(q: Question) -> str:
    return MONTH_SQL if q.group == "month" else DIMS[q.group][0]


def _base_part(q: Question, ranges: str, sign: str) -> str:
    counters = ", ".join(f"({sign}{expr})::int AS {name}" for name, expr in _BASE_COUNTERS.items())
    return (f"SELECT {_base_key(q)} AS key, {BUCKET_SQL} AS bucket, {counters}, 0 AS not_due "  # noqa: S608
            f"FROM feedback_reports WHERE ({ranges}){_filter_sql(q)} GROUP BY 1, 2")


def _ranges(days: tuple[tuple[date, date], ...], prefix: str, params: dict[str, Any]) -> str:
    parts = []
    for i, (lo, hi) in enumerate(days):
        params[f"{prefix}lo{i}"], params[f"{prefix}hi{i}"] = _instant(lo), _instant(hi)
        parts.append(f"received_at >= :{prefix}lo{i} AND received_at < :{prefix}hi{i}")
    return " OR ".join(parts)


def _cells_part(q: Question) -> str:
    """One slice of the cube: every key column an equality (or = ANY for the grouped one,
    its values found by a loose index scan), then the month range: precise PK lookups."""
    kept = set(q.filters()) | ({q.group} if q.group in DIMS else set())
    dims = sum(DIMS[d][1] for d in kept)
    conds = [f"dims = {dims}"]
    for name, (column, _, none) in DIMS.items():
        if name in q.filters():
            conds.append(f"{column} = :f_{name}")
        elif name == q.group:
            conds.append(f"{column} = ANY(ARRAY({_loose_scan(name)}))")
        else:
            conds.append(f"{column} = {none}")
    key = "month" if q.group == "month" else DIMS[q.group][0]
    counters = ", ".join(COUNTERS)
    return (f"SELECT {key} AS key, bucket, {counters}, 0 AS not_due FROM feedback_stats_cells "  # noqa: S608
            f"WHERE {' AND '.join(conds)} AND month >= :m0 AND month <= :m1")


def _loose_scan(name: str) -> str:
    """The distinct values of one dimension in its own slice of the cube, one index descent each."""
    column, bit, _ = DIMS[name]
    prefix = " AND ".join(f"{c} = {none}" for n, (c, _, none) in DIMS.items()
                          if n != name and list(DIMS).index(n) < list(DIMS).index(name))
    where = f"dims = {bit}" + (f" AND {prefix}" if prefix else "")
    return (f"WITH RECURSIVE k(v) AS (SELECT min({column}) FROM feedback_stats_cells WHERE {where} "  # noqa: S608
            f"UNION ALL SELECT (SELECT min({column}) FROM feedback_stats_cells WHERE {where} "
            f"AND {column} > k.v) FROM k WHERE k.v IS NOT NULL) SELECT v FROM k WHERE v IS NOT NULL")


def _delta_part(q: Question) -> str:
    key = "month" if q.group == "month" else DIMS[q.group][0]
    sums = ", ".join(f"sum({c})::int AS {c}" for c in COUNTERS)
    return (f"SELECT {key} AS key, bucket, {sums}, 0 AS not_due FROM feedback_stats_delta "  # noqa: S608
            f"WHERE month >= :m0 AND month <= :m1{_filter_sql(q)} GROUP BY 1, 2")


def _not_due_part(q: Question) -> str:
    zeros = ", ".join(f"0 AS {c}" for c in COUNTERS)
    return (f"SELECT {_base_key(q)} AS key, -1 AS bucket, {zeros}, count(*)::int AS not_due "  # noqa: S608
            f"FROM feedback_reports WHERE {OPEN_SQL} AND due_at >= :now AND received_at >= :lo "
            f"AND received_at < :hi{_filter_sql(q)} GROUP BY 1")


def statement(q: Question, first: date, last: date, now: datetime, *,
              direct: bool = False) -> tuple[str, dict[str, Any]]:
    """The one statement answering ``q`` for days ``first`` .. ``last``: rows (key, bucket,
    counters..., not_due) to add up. ``direct`` reads the base table only (the reference)."""
    p = Plan(None, None, ((first, last + timedelta(days=1)),), ()) if direct else plan(first, last)
    params: dict[str, Any] = {f"f_{k}": v for k, v in q.filters().items()}
    params.update(now=now, lo=_instant(first), hi=_instant(last + timedelta(days=1)), m0=p.m0, m1=p.m1)
    parts = [_not_due_part(q)]
    if p.m0 is not None:
        parts += [_cells_part(q), _delta_part(q)]
    if p.add:
        parts.append(_base_part(q, _ranges(p.add, "a", params), ""))
    if p.sub:
        parts.append(_base_part(q, _ranges(p.sub, "s", params), "-"))
    union = " UNION ALL ".join(f"({part})" for part in parts)
    sums = ", ".join(f"sum({c}) AS {c}" for c in (*COUNTERS, "not_due"))
    return f"SELECT key, bucket, {sums} FROM ({union}) x GROUP BY key, bucket", params  # noqa: S608


def tallies(session: Session, q: Question, first: date, last: date, now: datetime, *,
            direct: bool = False) -> dict[Any, Tally]:
    """key -> Tally of the cases received from ``first`` to ``last`` (Vietnamese days)."""
    if not direct:
        maybe_compact(session)
    sql, params = statement(q, first, last, now, direct=direct)
    out: dict[Any, Tally] = {}
    for row in session.execute(text(sql), params).mappings():
        t = out.setdefault(row["key"], Tally())
        values: dict[str, Any] = {c: int(row[c]) for c in (*COUNTERS, "not_due")}
        part = Tally(**values)
        if row["bucket"] >= 0:
            part.hist[int(row["bucket"])] = part.received
        t.add(part)
    return {k: t for k, t in out.items() if t.received}


# ---- maintenance -----------------------------------------------------------------------


def compact(session: Session, *, wait: bool = True) -> int:
    """Fold the journal into the cells; -1 if another transaction is at it (``wait`` False)."""
    return int(session.scalar(text("SELECT feedback_stats_compact(:wait)"), {"wait": wait}) or 0)


def maybe_compact(session: Session, at: int = COMPACT_AT) -> int:
    """Fold the journal when it has grown past ``at`` rows, unless someone else is folding."""
    grown = session.scalar(text("SELECT count(*) > :at FROM (SELECT 1 FROM feedback_stats_delta "
                                "LIMIT :at + 1) j"), {"at": at})
    return compact(session, wait=False) if grown else 0


def rebuild(session: Session) -> int:
    """Recompute the rollup from the reports (after a bulk load with triggers off). Blocks
    writers to the reports until the caller's transaction ends; readers go on."""
    return int(session.scalar(text("SELECT feedback_stats_rebuild()")) or 0)
