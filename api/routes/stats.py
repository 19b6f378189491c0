"""Public statistics of citizen feedback (transparency): no sign-in, no personal data.

Definitions, time zone and the small-number rule are in ``layers.feedback.stats``; they are
repeated in the OpenAPI description below so a reader of ``/docs`` has them too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import PUBLIC, SessionDep, SettingsDep
from layers.feedback import stats

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"], dependencies=[Depends(PUBLIC)])

DEFINITIONS = (
    "Cases of a period = reports **received** in it (Vietnam calendar days, both ends included). "
    "`resolved`: resolved or closed after resolution; `on_time_pct`: share of those resolved by "
    "their deadline (working days); `median_hours`/`p90_hours`: calendar hours from receipt to "
    "resolution, from handling-time histograms (within 4.7 % of the exact percentile); "
    "`overdue_now`: still open and past the deadline now; `satisfaction`: mean citizen "
    "rating 1-5 (`ratings` = how many); `dispute_rate_pct`: share of cases resolved at least once "
    "that the citizen disputed; `resolved_unconfirmed`: closed after 7 days without the citizen's "
    "answer. A group with fewer than `min_cases` cases shows counts only (`suppressed`: true, rates "
    "null, no rank); a rate whose own base is below `min_cases` is null and listed in "
    "`suppressed_metrics`. `rank`: by on-time share, then median time."
)
AgencyQ = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$",
                                      description="agency code")]
CommuneQ = Annotated[str | None, Query(pattern=r"^[0-9]{2,5}$", description="commune code (GSO)")]
CategoryQ = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z][a-z0-9_-]*$",
                                        description="category code")]


class Metrics(BaseModel):
    received: int
    resolved: int
    open: int
    overdue_now: int
    rejected: int
    duplicate: int
    resolved_unconfirmed: int
    ratings: int
    on_time_pct: float | None
    median_hours: float | None
    p90_hours: float | None
    satisfaction: float | None = Field(description="mean rating 1-5")
    dispute_rate_pct: float | None
    suppressed: bool
    suppressed_metrics: list[str]


class Group(Metrics):
    key: str = Field(description="agency, commune or category code")
    name_vi: str
    name_en: str
    rank: int | None


class StatFilters(BaseModel):
    agency: str | None
    commune: str | None
    category: str | None


class Summary(BaseModel):
    start: date
    end: date
    group_by: Literal["agency", "commune", "category"]
    min_cases: int
    filters: StatFilters
    generated_at: datetime
    total: Metrics
    groups: list[Group]


class Month(Metrics):
    month: str = Field(description="YYYY-MM (Vietnam time)")


class Trend(BaseModel):
    months: int
    first: str
    last: str
    min_cases: int
    filters: StatFilters
    generated_at: datetime
    series: list[Month]


@router.get("", response_model=Summary, summary="Thống kê xử lý phản ánh / feedback statistics",
            description="Per agency, commune or category over a period (default: the last 365 "
            "days). " + DEFINITIONS)
def summary(
    session: SessionDep, settings: SettingsDep,
    start: Annotated[date | None, Query(description="first day, YYYY-MM-DD")] = None,
    end: Annotated[date | None, Query(description="last day (included), YYYY-MM-DD")] = None,
    group_by: Literal["agency", "commune", "category"] = "agency",
    agency: AgencyQ = None, commune: CommuneQ = None, category: CategoryQ = None,
) -> Any:
    period = stats.period(start, end)
    return stats.summary(session, period, group_by, stats.Filters(agency, commune, category),
                         min_cases=settings.stats_min_cases)


@router.get("/trend", response_model=Trend, summary="Xu hướng theo tháng / monthly trend",
            description="One row per month (reports received that month), oldest first, empty "
            "months included. " + DEFINITIONS)
def trend(
    session: SessionDep, settings: SettingsDep,
    months: Annotated[int, Query(ge=1, le=stats.MAX_MONTHS)] = 12,
    until: Annotated[str | None, Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
                                       description="last month, YYYY-MM (default: this month)")] = None,
    agency: AgencyQ = None, commune: CommuneQ = None, category: CategoryQ = None,
) -> Any:
    last = date.fromisoformat(f"{until}-01") if until else None
    return stats.trend(session, months, stats.Filters(agency, commune, category),
                       min_cases=settings.stats_min_cases, until=last)
