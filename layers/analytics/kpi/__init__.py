"""KPIs for leaders, with the previous period for trends, broken down by agency, commune
and category, and the cases behind every number.

Definitions (one place, used by both the numbers and the case lists, so a click-through
always lists exactly the counted cases). ``T`` = the period's end, capped at now ("as of"):

* received: reports received in the period;
* open: reports received before T and not yet done at T (backlog; done = resolved_at for
  resolved/closed reports, closed_at for rejected/duplicate ones);
* overdue: open at T and past their due time at T;
* due_this_week: open at T and due within 7 days after T;
* resolved / resolved_on_time → on_time_rate: reports resolved in the period, and the share
  resolved no later than due (rejections and duplicates are not counted as handled);
* median_handling_hours: median calendar hours from receipt to resolution, same reports;
* satisfaction: mean citizen rating (1-5) given in the period, with the count of ratings;
* incidents: incidents that occurred in the period, by current status; active = occurred
  before T and not closed at T.
"""

from __future__ import annotations

from layers.analytics.kpi.cases import MAX_CASES, cases
from layers.analytics.kpi.definitions import GROUPS, INCIDENT_METRICS, REPORT_METRICS
from layers.analytics.kpi.numbers import cases_link, default_window_days, incident_kpis, kpis, report_kpis

__all__ = [
    "GROUPS",
    "INCIDENT_METRICS",
    "MAX_CASES",
    "REPORT_METRICS",
    "cases",
    "cases_link",
    "default_window_days",
    "incident_kpis",
    "kpis",
    "report_kpis",
]
