"""Working days: Monday-Friday, minus public holidays, plus Saturdays worked in exchange.

Deadlines are "N working days from receipt". As in Vietnamese law on time limits (Bộ luật
Dân sự 2015, Art. 147), the day of receipt does not count: the clock starts on the next
day, so a report received on a Friday evening or a Saturday gets Monday as its first day.
The deadline is the end (23:59:59 Vietnam time) of the N-th working day.

The calendar is the ``holidays`` table (seeded from ``data/holidays_vn.csv``, edited by
admins). A day listed as ``off`` is a day off even on a weekday; a day listed as
``workday`` is a working day even on a weekend (the Saturdays worked when a bridge day is
swapped). Due dates are computed at submission and stored: editing the calendar later
does not move deadlines already given to citizens.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from layers.errors import InvalidInput, NotFound
from layers.feedback.models import Holiday

#: Vietnam has kept UTC+7 without daylight saving since 1975.
VN_TZ = timezone(timedelta(hours=7), "ICT")
END_OF_DAY = time(23, 59, 59)
KINDS = ("off", "workday")


@dataclass(frozen=True)
class WorkCalendar:
    off: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.off:
            return False
        return day.weekday() < 5


def local_date(moment: datetime) -> date:
    """The calendar day in Vietnam of an aware timestamp."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(VN_TZ).date()


def add_working_days(start: date, days: int, calendar: WorkCalendar) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts)."""
    if days < 1:
        raise ValueError("days must be >= 1")
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day


def working_days_between(after: date, until: date, calendar: WorkCalendar) -> int:
    """Working days in (after, until]; negative when ``until`` is before ``after``."""
    if until < after:
        return -working_days_between(until, after, calendar)
    return sum(
        1 for i in range(1, (until - after).days + 1)
        if calendar.is_working_day(after + timedelta(days=i))
    )


def deadline(received_at: datetime, days: int, calendar: WorkCalendar) -> datetime:
    """End of the ``days``-th working day after the day of receipt, in UTC."""
    last = add_working_days(local_date(received_at), days, calendar)
    return datetime.combine(last, END_OF_DAY, VN_TZ).astimezone(UTC)


def load_calendar(session: Session, start: date, end: date) -> WorkCalendar:
    """The exceptions to Monday-Friday between two dates (inclusive)."""
    rows = session.execute(
        select(Holiday.day, Holiday.kind).where(Holiday.day.between(start, end))
    ).all()
    return WorkCalendar(
        off=frozenset(d for d, k in rows if k == "off"),
        workdays=frozenset(d for d, k in rows if k == "workday"),
    )


def due_at(session: Session, received_at: datetime, days: int) -> datetime:
    """The deadline of a report received now with a category of ``days`` working days."""
    start = local_date(received_at)
    # Generous window: even a month of holidays cannot push N working days past it.
    calendar = load_calendar(session, start, start + timedelta(days=days * 2 + 60))
    return deadline(received_at, days, calendar)


# ---- administration ------------------------------------------------------------------


def list_holidays(session: Session, year: int | None = None) -> list[Holiday]:
    stmt = select(Holiday).order_by(Holiday.day)
    if year is not None:
        stmt = stmt.where(Holiday.day.between(date(year, 1, 1), date(year, 12, 31)))
    return list(session.scalars(stmt))


def _check_row(row: dict[str, Any]) -> dict[str, Any]:
    if row["kind"] not in KINDS:
        raise InvalidInput(f"Loại ngày không hợp lệ / unknown kind: {row['kind']}",
                           code="bad_holiday_kind", allowed=list(KINDS))
    if row["kind"] == "workday" and row["day"].weekday() < 5:
        raise InvalidInput(
            "Ngày làm bù phải là thứ Bảy hoặc Chủ nhật / a swapped working day must be a weekend day",
            code="workday_not_weekend", day=row["day"].isoformat(),
        )
    return row


def upsert_holidays(session: Session, rows: Iterable[dict[str, Any]]) -> list[Holiday]:
    """Add or replace days (admins). Rows: day, kind, name_vi, name_en, source, provisional."""
    days = []
    for row in rows:
        values = _check_row(dict(row))
        stmt = insert(Holiday).values(**values)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["day"], set_={k: stmt.excluded[k] for k in values if k != "day"}))
        days.append(values["day"])
    session.expire_all()
    return list(session.scalars(select(Holiday).where(Holiday.day.in_(days)).order_by(Holiday.day)))


def delete_holiday(session: Session, day: date) -> None:
    """Remove a day (admins). To cancel a default holiday for good, set its kind to
    ``workday`` instead: ``load-defaults`` re-adds missing default days."""
    result = session.execute(delete(Holiday).where(Holiday.day == day))
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"Không có ngày {day.isoformat()} trong lịch / no such day", code="holiday_not_found")


def seed_holidays(session: Session, path: Path) -> int:
    """Insert the default days that are missing; days edited by admins are kept."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        values = _check_row({
            "day": date.fromisoformat(row["day"]), "kind": row["kind"],
            "name_vi": row["name_vi"], "name_en": row["name_en"],
            "source": row["source"] or None, "provisional": row["provisional"] == "true",
        })
        session.execute(insert(Holiday).values(**values).on_conflict_do_nothing(index_elements=["day"]))
    return len(rows)
