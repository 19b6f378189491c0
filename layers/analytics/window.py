"""The question every analytics endpoint shares: which layer, which period, which filters.

Months are calendar months in Vietnam (UTC+7, no daylight saving), like the rollup table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from layers.errors import InvalidInput
from layers.feedback.models import STATUSES as REPORT_STATUSES
from layers.feedback.models import Category
from layers.incidents import kinds
from layers.models import Agency

VN = timezone(timedelta(hours=7))
LAYERS = ("reports", "incidents")
MIN_RES, MAX_RES = 5, 10
MAX_SPAN = timedelta(days=5 * 366)
DEFAULT_SPAN = timedelta(days=90)


@dataclass(frozen=True)
class Window:
    """A validated analytics question; ids are resolved from the codes the client sent."""

    layer: str
    start: datetime
    end: datetime
    resolution: int = 8
    categories: tuple[str, ...] = ()  # category codes (reports) or incident types
    statuses: tuple[str, ...] = ()
    agency: str | None = None
    commune: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    category_ids: tuple[int, ...] = field(default=(), compare=False)
    agency_id: int | None = field(default=None, compare=False)



def check_resolution(resolution: int) -> int:
    if not isinstance(resolution, int) or not MIN_RES <= resolution <= MAX_RES:
        raise InvalidInput(
            f"Độ phân giải H3 từ {MIN_RES} đến {MAX_RES} / H3 resolution must be {MIN_RES}-{MAX_RES}",
            code="bad_resolution",
            min=MIN_RES,
            max=MAX_RES,
        )
    return resolution


def period(
    start: datetime | None,
    end: datetime | None,
    now: datetime | None = None,
    default: timedelta = DEFAULT_SPAN,
) -> tuple[datetime, datetime]:
    """[start, end) with defaults (the last 90 days) and limits (at most five years)."""
    now = now or datetime.now(UTC)
    for value in (start, end):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(
                "Thời điểm cần múi giờ (ISO 8601) / times need a time zone (ISO 8601)", code="naive_datetime"
            )
    end = end or now
    start = start or end - default
    if start >= end:
        raise InvalidInput("start phải trước end / start must be before end", code="bad_period")
    if end - start > MAX_SPAN:
        raise InvalidInput(
            "Khoảng thời gian tối đa 5 năm / the period is at most five years", code="period_too_long"
        )
    return start, end


def resolve(session: Session, w: Window) -> Window:
    """Check the codes against the database and the layer; attach their ids."""
    if w.layer not in LAYERS:
        raise InvalidInput(
            f"Lớp không hợp lệ / unknown layer: {w.layer}", code="bad_layer", allowed=list(LAYERS)
        )
    check_resolution(w.resolution)
    category_ids: tuple[int, ...] = ()
    if w.layer == "reports":
        bad = [s for s in w.statuses if s not in REPORT_STATUSES]
        if bad:
            raise InvalidInput(
                f"Trạng thái không hợp lệ / unknown status: {bad[0]}",
                code="bad_status",
                allowed=list(REPORT_STATUSES),
            )
        if w.categories:
            found = dict(
                session.execute(
                    select(Category.code, Category.id).where(Category.code.in_(w.categories))
                ).all()
            )
            missing = [c for c in w.categories if c not in found]
            if missing:
                raise InvalidInput(
                    f"Lĩnh vực không hợp lệ / unknown category: {missing[0]}", code="unknown_category"
                )
            category_ids = tuple(found[c] for c in w.categories)
    else:
        kinds.check_statuses(w.statuses)
        for c in w.categories:
            kinds.check_type(c)
    agency_id = None
    if w.agency:
        agency_id = session.scalar(select(Agency.id).where(Agency.code == w.agency))
        if agency_id is None:
            raise InvalidInput(f"Không có cơ quan / unknown agency: {w.agency}", code="unknown_agency")
    return Window(**{**w.__dict__, "category_ids": category_ids, "agency_id": agency_id})


def month_start(day: date) -> date:
    return day.replace(day=1)


def full_months(start: datetime, end: datetime) -> tuple[date, date] | None:
    """The whole Vietnamese calendar months inside [start, end), as [first, after_last)."""
    local_start, local_end = start.astimezone(VN), end.astimezone(VN)
    first = month_start(local_start.date())
    if datetime(first.year, first.month, 1, tzinfo=VN) < local_start:
        first = next_month(first)
    after = month_start(local_end.date())
    return (first, after) if first < after else None


def next_month(m: date) -> date:
    return date(m.year + (m.month == 12), m.month % 12 + 1, 1)


def month_instant(m: date) -> datetime:
    return datetime(m.year, m.month, 1, tzinfo=VN)
