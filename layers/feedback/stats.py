"""Public statistics of citizen feedback: how much, how fast, how well, per agency, commune
or category, and month by month. Aggregates only: no report text, no personal data.

Definitions (one place; the API documents them from here). The cases of a period are the
reports **received** in it (Vietnamese calendar days, first and last day included), so
every number of a row describes the same cases, and a later change (a dispute, a late
resolution) updates the period the case belongs to:

* received: cases of the period; open: still received/assigned/in progress now;
* overdue_now: open now and past their deadline now;
* resolved: resolved or closed after resolution (awaiting confirmation, confirmed, or
  closed unconfirmed); rejected, duplicate: closed without being resolved;
* resolved_unconfirmed: resolved and closed by 7 days of citizen silence;
* on_time_pct: share of the resolved cases resolved no later than their deadline;
* median_hours, p90_hours: calendar hours from receipt to resolution of the resolved
  cases (calendar hours, not working days: what a citizen waits; the deadline rule in
  working days is what ``on_time_pct`` measures);
* satisfaction: mean citizen rating (1-5) of the cases rated, with ``ratings`` their number;
* dispute_rate_pct: share of the cases resolved at least once that the citizen disputed.

Small numbers: a group with fewer than ``min_cases`` received cases shows counts only
(``suppressed``: every rate null, no rank); in a larger group a rate whose own base
(resolved cases, ratings, cases resolved once) is below ``min_cases`` is null too and named
in ``suppressed_metrics``. Ranks (by on-time share, then median time) only among groups
with an on-time share.

Speed: one pass over the period's rows; the total comes from the same pass (GROUPING
SETS) and both percentiles from one sort per group (array form of ``percentile_cont``).
The covering index ``ix_feedback_reports_stats`` (declared below, migration 0006_apikeys)
makes short periods and filtered questions index-only scans; a whole year of a million
cases is a sequential scan plus in-memory sorts, 2.5-5 s on the shared benchmark machine
(see bench/README.md: above the 500 ms target; the next step is a rollup of settled cases).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Index, select, text
from sqlalchemy.orm import Session

from layers.errors import InvalidInput
from layers.feedback.calendar import VN_TZ, local_date
from layers.feedback.models import OPEN_SQL, Category, Report
from layers.models import AdminUnit, Agency

GROUPS = {"agency": "agency_id", "commune": "commune_code", "category": "category_id"}
MAX_DAYS = 5 * 366
MAX_MONTHS = 60
DEFAULT_DAYS = 365
RESOLVED_SQL = "status IN ('resolved', 'closed')"
RATES = ("on_time_pct", "median_hours", "p90_hours", "satisfaction", "dispute_rate_pct")
# The percentiles sort the resolved cases of each group and of the total (~0.8 M rows for
# a million cases): with the default 4 MB those sorts spill to disk. Transaction-local.
WORK_MEM = "64MB"

# Every column the statistics read rides in the index, so a year of a million reports is
# read from the index alone (no heap visits once the visibility map is set by vacuum).
STATS_INDEX = Index(
    "ix_feedback_reports_stats",
    Report.received_at,
    postgresql_include=["agency_id", "category_id", "commune_code", "status", "due_at", "resolved_at",
                        "closure", "citizen_rating", "dispute_count"],
)

_AGGREGATES = f"""
    count(*) AS received,
    count(*) FILTER (WHERE {RESOLVED_SQL}) AS resolved,
    count(*) FILTER (WHERE {RESOLVED_SQL} AND resolved_at <= due_at) AS on_time,
    count(*) FILTER (WHERE {OPEN_SQL}) AS open,
    count(*) FILTER (WHERE {OPEN_SQL} AND due_at < :now) AS overdue_now,
    count(*) FILTER (WHERE status = 'rejected') AS rejected,
    count(*) FILTER (WHERE status = 'duplicate') AS duplicate,
    count(*) FILTER (WHERE closure = 'resolved_unconfirmed') AS resolved_unconfirmed,
    count(*) FILTER (WHERE resolved_at IS NOT NULL) AS ever_resolved,
    count(*) FILTER (WHERE dispute_count > 0) AS disputed,
    count(citizen_rating) AS ratings,
    avg(citizen_rating) AS satisfaction,
    percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
        ORDER BY extract(epoch FROM resolved_at - received_at) / 3600.0
    ) FILTER (WHERE {RESOLVED_SQL}) AS hours
"""


@dataclass(frozen=True)
class Filters:
    agency: str | None = None
    commune: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Period:
    """Vietnamese calendar days, ``first`` to ``last`` included."""

    first: date
    last: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        lo = datetime.combine(self.first, time.min, VN_TZ)
        hi = datetime.combine(self.last + timedelta(days=1), time.min, VN_TZ)
        return lo, hi


def period(start: date | None, end: date | None, today: date | None = None) -> Period:
    """Default: the 365 days ending today (Vietnam). At most five years; ``start`` ≤ ``end``."""
    last = end or today or local_date(datetime.now(UTC))
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    for day in (first, last):
        if not date(2000, 1, 1) <= day <= date(2200, 1, 1):
            raise InvalidInput("Ngày ngoài phạm vi / date out of range", code="bad_date")
    if first > last:
        raise InvalidInput("start phải trước hoặc bằng end / start must not be after end", code="bad_period")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput("Khoảng thời gian tối đa 5 năm / the period is at most five years",
                           code="period_too_long")
    return Period(first, last)


def _where(session: Session, f: Filters) -> tuple[str, dict[str, Any]]:
    """Filter clauses (constants) and their bound values; unknown codes are a 422."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if f.agency:
        params["agency"] = session.scalar(select(Agency.id).where(Agency.code == f.agency))
        if params["agency"] is None:
            raise InvalidInput(f"Không có cơ quan / unknown agency: {f.agency}", code="unknown_agency")
        clauses.append("agency_id = :agency")
    if f.category:
        params["category"] = session.scalar(select(Category.id).where(Category.code == f.category))
        if params["category"] is None:
            raise InvalidInput(f"Lĩnh vực không hợp lệ / unknown category: {f.category}",
                               code="unknown_category")
        clauses.append("category_id = :category")
    if f.commune:
        params["commune"] = f.commune
        clauses.append("commune_code = :commune")
    return "".join(f" AND {c}" for c in clauses), params


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _metrics(row: Any, min_cases: int) -> dict[str, Any]:
    """Counts always; rates only over bases of at least ``min_cases``."""
    hours = row.hours or [None, None]
    out: dict[str, Any] = {
        "received": row.received, "resolved": row.resolved, "open": row.open,
        "overdue_now": row.overdue_now, "rejected": row.rejected, "duplicate": row.duplicate,
        "resolved_unconfirmed": row.resolved_unconfirmed, "ratings": row.ratings,
        "on_time_pct": _pct(row.on_time, row.resolved),
        "median_hours": None if hours[0] is None else round(float(hours[0]), 1),
        "p90_hours": None if hours[1] is None else round(float(hours[1]), 1),
        "satisfaction": None if row.satisfaction is None else round(float(row.satisfaction), 2),
        "dispute_rate_pct": _pct(row.disputed, row.ever_resolved),
    }
    bases = {"on_time_pct": row.resolved, "median_hours": row.resolved, "p90_hours": row.resolved,
             "satisfaction": row.ratings, "dispute_rate_pct": row.ever_resolved}
    suppressed = row.received < min_cases
    hidden = [m for m in RATES if suppressed or bases[m] < min_cases]
    for metric in hidden:
        out[metric] = None
    out["suppressed"] = suppressed
    out["suppressed_metrics"] = hidden
    return out


def _names(session: Session, group_by: str, keys: list[Any]) -> dict[Any, tuple[str, str, str]]:
    """key -> (public code, Vietnamese name, English name)."""
    stmt: Any
    if group_by == "agency":
        stmt = select(Agency.id, Agency.code, Agency.name_vi, Agency.name_en).where(Agency.id.in_(keys))
    elif group_by == "category":
        stmt = (select(Category.id, Category.code, Category.name_vi, Category.name_en)
                .where(Category.id.in_(keys)))
    else:  # the newest name of each commune code (units are renamed and merged over time)
        stmt = (select(AdminUnit.code, AdminUnit.code, AdminUnit.name, AdminUnit.name_ascii)
                .where(AdminUnit.level == "commune", AdminUnit.code.in_(keys))
                .order_by(AdminUnit.valid_from.asc().nulls_first()))
    rows = session.execute(stmt).all()
    return {k: (code, vi, en or vi) for k, code, vi, en in rows}


def _ranked(groups: list[dict[str, Any]]) -> None:
    rankable = [g for g in groups if g["on_time_pct"] is not None]
    rankable.sort(key=lambda g: (-g["on_time_pct"], g["median_hours"] if g["median_hours"] is not None
                                 else float("inf"), g["key"]))
    for g in groups:
        g["rank"] = None
    for i, g in enumerate(rankable, start=1):
        g["rank"] = i


def summary(session: Session, p: Period, group_by: str, f: Filters, *, min_cases: int,
            now: datetime | None = None) -> dict[str, Any]:
    """Per group and in total, for the reports received in ``p``.

    Index: ix_feedback_reports_stats (received_at) INCLUDE (every column read).
    """
    if group_by not in GROUPS:
        raise InvalidInput("group_by: agency | commune | category", code="bad_group_by",
                           allowed=list(GROUPS))
    now = now or datetime.now(UTC)
    column = GROUPS[group_by]
    where, params = _where(session, f)
    lo, hi = p.bounds
    sql = (f"SELECT {column} AS key, GROUPING({column}) AS is_total, {_AGGREGATES} "  # noqa: S608 (constants)
           f"FROM feedback_reports WHERE received_at >= :lo AND received_at < :hi{where} "
           f"GROUP BY GROUPING SETS (({column}), ())")
    session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    rows = session.execute(text(sql), {**params, "lo": lo, "hi": hi, "now": now}).all()
    total_row = next((r for r in rows if r.is_total), None)
    group_rows = [r for r in rows if not r.is_total]
    names = _names(session, group_by, [r.key for r in group_rows])
    groups = []
    for r in group_rows:
        code, name_vi, name_en = names.get(r.key, (str(r.key), str(r.key), str(r.key)))
        groups.append({"key": code, "name_vi": name_vi, "name_en": name_en, **_metrics(r, min_cases)})
    _ranked(groups)
    groups.sort(key=lambda g: (g["rank"] is None, g["rank"] or 0, -g["received"], g["key"]))
    total = _metrics(total_row, min_cases) if total_row is not None else _empty(min_cases)
    return {"start": p.first, "end": p.last, "group_by": group_by, "min_cases": min_cases,
            "filters": {"agency": f.agency, "commune": f.commune, "category": f.category},
            "generated_at": now, "total": total, "groups": groups}


_ZERO = SimpleNamespace(received=0, resolved=0, open=0, overdue_now=0, rejected=0, duplicate=0,
                        resolved_unconfirmed=0, ratings=0, on_time=0, ever_resolved=0, disputed=0,
                        hours=None, satisfaction=None)


def _empty(min_cases: int) -> dict[str, Any]:
    return _metrics(_ZERO, min_cases)


def _month(day: date, shift: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def trend(session: Session, months: int, f: Filters, *, min_cases: int, until: date | None = None,
          now: datetime | None = None) -> dict[str, Any]:
    """One row per Vietnamese calendar month (oldest first, empty months included) of the
    ``months`` months ending with ``until``'s month (default: this month).

    Index: ix_feedback_reports_stats, as ``summary``.
    """
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(f"months: 1-{MAX_MONTHS}", code="bad_months")
    now = now or datetime.now(UTC)
    last = _month(until or local_date(now))
    first = _month(last, -(months - 1))
    if first.year < 2000 or last.year > 2200:
        raise InvalidInput("Ngày ngoài phạm vi / date out of range", code="bad_date")
    where, params = _where(session, f)
    lo = datetime.combine(first, time.min, VN_TZ)
    hi = datetime.combine(_month(last, 1), time.min, VN_TZ)
    sql = ("SELECT (date_trunc('month', received_at AT TIME ZONE 'Asia/Ho_Chi_Minh'))::date AS month, "  # noqa: S608
           f"{_AGGREGATES} FROM feedback_reports WHERE received_at >= :lo AND received_at < :hi{where} "
           "GROUP BY 1")
    session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    rows = {r.month: r for r in session.execute(text(sql), {**params, "lo": lo, "hi": hi, "now": now})}
    series = []
    for i in range(months):
        month = _month(first, i)
        row = rows.get(month)
        metrics = _metrics(row, min_cases) if row is not None else _empty(min_cases)
        series.append({"month": month.strftime("%Y-%m"), **metrics})
    return {"months": months, "first": first.strftime("%Y-%m"), "last": last.strftime("%Y-%m"),
            "min_cases": min_cases, "filters": {"agency": f.agency, "commune": f.commune,
                                                "category": f.category},
            "generated_at": now, "series": series}
