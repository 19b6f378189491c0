"""Keeping the monthly H3 rollup of reports built (``analytics_report_cells``).

A month is built once it is over (Vietnamese calendar, plus ``GRACE`` for transactions
that started before midnight and committed after), lazily by the first heatmap that needs
it, or in bulk by ``build_all`` (after an import). A month made stale by a later change is
rebuilt the same way. Building one month of ~40,000 reports takes a few hundred ms; two
requests needing the same month wait for each other (advisory lock in the SQL function).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.analytics.window import month_instant, next_month

GRACE = timedelta(hours=1)


def complete_months(first: date, after: date, now: datetime) -> list[date]:
    """The months in [first, after) that are over (with the grace period) at ``now``."""
    out, m = [], first
    while m < after and month_instant(next_month(m)) + GRACE <= now:
        out.append(m)
        m = next_month(m)
    return out


def ensure_built(session: Session, months: list[date]) -> int:
    """Build the missing or stale months among ``months``; returns how many were built."""
    if not months:
        return 0
    ready = set(
        session.execute(
            text("SELECT month FROM analytics_report_months WHERE month = ANY(:m) AND NOT dirty"),
            {"m": months},
        ).scalars()
    )
    todo = [m for m in months if m not in ready]
    for m in todo:
        session.execute(text("SELECT analytics_build_report_month(:m)"), {"m": m})
    return len(todo)


def build_all(session: Session, now: datetime) -> int:
    """Build every finished month that holds reports (after a bulk load)."""
    first = session.scalar(
        text(
            "SELECT (date_trunc('month', min(received_at) AT TIME ZONE 'Asia/Ho_Chi_Minh'))::date "
            "FROM feedback_reports"
        )
    )
    if first is None:
        return 0
    months = complete_months(first, date(now.year + 1, 1, 1), now)
    for m in months:
        session.execute(text("SELECT analytics_build_report_month(:m)"), {"m": m})
    return len(months)
