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

Where the numbers come from (``layers.feedback.stats_rollup``): a trigger-maintained
rollup per Vietnamese month (exact counts, always current) plus the base table for the
partial months at the period's edges and for the open cases not yet due. The median and
the 90th percentile come from handling-time histograms (50 log-spaced buckets per decade):
within ``stats_rollup.PERCENTILE_TOLERANCE`` (4.71 %) of the exact ``percentile_cont``.
A year of a million cases: see bench/feedback_stats_bench.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Index, select
from sqlalchemy.orm import Session

from layers.errors import InvalidInput
from layers.feedback.calendar import VN_TZ, local_date
from layers.feedback.models import Category, Report
from layers.feedback.stats_rollup import Question, Tally, percentiles, tallies
from layers.models import AdminUnit, Agency

GROUPS = ("agency", "commune", "category")
MAX_DAYS = 5 * 366
MAX_MONTHS = 60
DEFAULT_DAYS = 365
RATES = ("on_time_pct", "median_hours", "p90_hours", "satisfaction", "dispute_rate_pct")

# Every column the statistics read rides in the index, so the base-table edges of a period
# (partial months) are index-only scans.
STATS_INDEX = Index(
    "ix_feedback_reports_stats",
    Report.received_at,
    postgresql_include=["agency_id", "category_id", "commune_code", "status", "due_at", "resolved_at",
                        "closure", "citizen_rating", "dispute_count"],
)


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


def _question(session: Session, group: str, f: Filters) -> Question:
    """The filters as ids; unknown codes are a 422."""
    agency_id = category_id = None
    if f.agency:
        agency_id = session.scalar(select(Agency.id).where(Agency.code == f.agency))
        if agency_id is None:
            raise InvalidInput(f"Không có cơ quan / unknown agency: {f.agency}", code="unknown_agency")
    if f.category:
        category_id = session.scalar(select(Category.id).where(Category.code == f.category))
        if category_id is None:
            raise InvalidInput(f"Lĩnh vực không hợp lệ / unknown category: {f.category}",
                               code="unknown_category")
    return Question(group, agency_id, category_id, f.commune or None)


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _metrics(t: Tally, min_cases: int) -> dict[str, Any]:
    """Counts always; rates only over bases of at least ``min_cases``."""
    median, p90 = percentiles(t.hist, (0.5, 0.9))
    out: dict[str, Any] = {
        "received": t.received, "resolved": t.resolved, "open": t.open,
        "overdue_now": t.overdue_now, "rejected": t.rejected, "duplicate": t.duplicate,
        "resolved_unconfirmed": t.unconfirmed, "ratings": t.ratings,
        "on_time_pct": _pct(t.on_time, t.resolved),
        "median_hours": None if median is None else round(median, 1),
        "p90_hours": None if p90 is None else round(p90, 1),
        "satisfaction": round(t.rating_sum / t.ratings, 2) if t.ratings else None,
        "dispute_rate_pct": _pct(t.disputed, t.ever_resolved),
    }
    bases = {"on_time_pct": t.resolved, "median_hours": t.resolved, "p90_hours": t.resolved,
             "satisfaction": t.ratings, "dispute_rate_pct": t.ever_resolved}
    suppressed = t.received < min_cases
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
            now: datetime | None = None, direct: bool = False) -> dict[str, Any]:
    """Per group and in total, for the reports received in ``p``. ``direct``: from the
    base table alone (the reference the rollup is tested against; slow on a year)."""
    if group_by not in GROUPS:
        raise InvalidInput("group_by: agency | commune | category", code="bad_group_by",
                           allowed=list(GROUPS))
    now = now or datetime.now(UTC)
    by_key = tallies(session, _question(session, group_by, f), p.first, p.last, now, direct=direct)
    total = Tally()
    for t in by_key.values():
        total.add(t)
    names = _names(session, group_by, list(by_key))
    groups = []
    for key, t in by_key.items():
        code, name_vi, name_en = names.get(key, (str(key), str(key), str(key)))
        groups.append({"key": code, "name_vi": name_vi, "name_en": name_en, **_metrics(t, min_cases)})
    _ranked(groups)
    groups.sort(key=lambda g: (g["rank"] is None, g["rank"] or 0, -g["received"], g["key"]))
    return {"start": p.first, "end": p.last, "group_by": group_by, "min_cases": min_cases,
            "filters": {"agency": f.agency, "commune": f.commune, "category": f.category},
            "generated_at": now, "total": _metrics(total, min_cases), "groups": groups}


def _month(day: date, shift: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def trend(session: Session, months: int, f: Filters, *, min_cases: int, until: date | None = None,
          now: datetime | None = None, direct: bool = False) -> dict[str, Any]:
    """One row per Vietnamese calendar month (oldest first, empty months included) of the
    ``months`` months ending with ``until``'s month (default: this month)."""
    if not 1 <= months <= MAX_MONTHS:
        raise InvalidInput(f"months: 1-{MAX_MONTHS}", code="bad_months")
    now = now or datetime.now(UTC)
    last = _month(until or local_date(now))
    first = _month(last, -(months - 1))
    if first.year < 2000 or last.year > 2200:
        raise InvalidInput("Ngày ngoài phạm vi / date out of range", code="bad_date")
    by_month = tallies(session, _question(session, "month", f), first, _month(last, 1) - timedelta(days=1),
                       now, direct=direct)
    series = []
    for i in range(months):
        month = _month(first, i)
        series.append({"month": month.strftime("%Y-%m"), **_metrics(by_month.get(month, Tally()), min_cases)})
    return {"months": months, "first": first.strftime("%Y-%m"), "last": last.strftime("%Y-%m"),
            "min_cases": min_cases, "filters": {"agency": f.agency, "commune": f.commune,
                                                "category": f.category},
            "generated_at": now, "series": series}
