"""The public map's tally of reports per H3 cell (migration 0008), kept exact by triggers.

``feedback_report_cells``: per (resolution-8 cell, category, status) the number of reports
and the sums of their longitudes and latitudes, so a cluster's position is the mean of its
points, not a cell centre. Statement-level triggers on ``feedback_reports`` (insert,
update, delete; every write path, Python or SQL) add the net change of each statement,
in key order so concurrent writers lock the rows in one order. A row falls to n = 0 but is
never deleted (readers skip it). Bulk loads that disable triggers
(``session_replication_role = replica``) call ``feedback_report_cells_rebuild()``.

Why resolution 8 (~0.74 km² cells): the whole district is at most a few thousand cells ×
statuses × categories (56,000 rows for 1,000,000 reports), so the district and commune
views aggregate it in a few milliseconds whatever the number of reports, and a coarser
cluster is the H3 ancestor of these cells. See ``layers.feedback.clusters``.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from layers.models import Base

#: The resolution of the stored cells (``feedback_reports.h3_r8``).
BASE_RESOLUTION = 8


class ReportCell(Base):
    __tablename__ = "feedback_report_cells"

    cell: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    sum_lon: Mapped[float] = mapped_column(Float)
    sum_lat: Mapped[float] = mapped_column(Float)
