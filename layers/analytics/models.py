"""The monthly H3 rollup of reports and its bookkeeping (migration 0005).

``analytics_report_cells``: per (resolution, Vietnamese month, cell) the report count and a
dense per-category vector ``cats[category_id]``. ``analytics_report_months``: which months
are built, and whether a later change made one stale (trigger
``analytics_report_months_dirty``). See ``layers.analytics.rollup``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Index, Integer, SmallInteger, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from layers.feedback.models import Report
from layers.models import Base

UNSETTLED_SQL = "status NOT IN ('closed', 'rejected', 'duplicate')"


class ReportCellMonth(Base):
    __tablename__ = "analytics_report_cells"
    __table_args__ = (Index("ix_analytics_report_cells_month", "month"),)

    resolution: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    cell: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    cats: Mapped[list[int]] = mapped_column(ARRAY(Integer))


class ReportMonth(Base):
    __tablename__ = "analytics_report_months"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    dirty: Mapped[bool] = mapped_column(Boolean)
    categories: Mapped[int] = mapped_column(Integer)


# Declared here (not in the feedback models) because only the analytics need it: the
# unsettled reports of a time window (open ones for the overdue share), a small share of all.
# Covering, so the overdue counts of a year are an index-only scan.
Index(
    "ix_feedback_reports_unsettled_received",
    Report.received_at,
    postgresql_where=text(UNSETTLED_SQL),
    postgresql_include=[*(f"h3_r{r}" for r in range(5, 11)), "status", "due_at", "category_id"],
)
