from datetime import UTC, date, datetime, timedelta

import pytest

from layers.errors import InvalidInput, NotFound
from layers.feedback import calendar
from layers.feedback.calendar import VN_TZ, WorkCalendar, add_working_days, deadline, working_days_between

TET_2026 = WorkCalendar(off=frozenset(date(2026, 2, 14) + timedelta(days=i) for i in range(9)))


def test_the_day_of_receipt_does_not_count_and_weekends_are_skipped():
    plain = WorkCalendar()
    assert add_working_days(date(2026, 3, 9), 1, plain) == date(2026, 3, 10)  # Mon -> Tue
    assert add_working_days(date(2026, 3, 13), 1, plain) == date(2026, 3, 16)  # Fri -> Mon
    assert add_working_days(date(2026, 3, 14), 1, plain) == date(2026, 3, 16)  # Sat -> Mon
    assert add_working_days(date(2026, 3, 9), 5, plain) == date(2026, 3, 16)


def test_five_working_days_from_the_friday_before_tet_2026_end_on_27_february():
    # Received Fri 13/2; 14-22/2 is the Tết break; Mon 23/2 is day 1 -> Fri 27/2 is day 5.
    assert add_working_days(date(2026, 2, 13), 5, TET_2026) == date(2026, 2, 27)
    assert add_working_days(date(2026, 2, 12), 1, TET_2026) == date(2026, 2, 13)
    assert add_working_days(date(2026, 2, 12), 2, TET_2026) == date(2026, 2, 23)


def test_a_swapped_saturday_is_a_working_day():
    swap = WorkCalendar(off=frozenset({date(2026, 1, 1), date(2026, 1, 2)}),
                        workdays=frozenset({date(2026, 1, 10)}))
    # Wed 31/12/2025 + 1: Thu 1/1 and Fri 2/1 off, weekend -> Mon 5/1.
    assert add_working_days(date(2025, 12, 31), 1, swap) == date(2026, 1, 5)
    # Fri 9/1 + 1: Sat 10/1 is worked.
    assert add_working_days(date(2026, 1, 9), 1, swap) == date(2026, 1, 10)


def test_deadline_is_the_end_of_the_last_day_in_vietnam_time():
    received = datetime(2026, 2, 13, 16, 30, tzinfo=UTC)  # 23:30 in Vietnam, still Friday 13/2
    due = deadline(received, 5, TET_2026)
    assert due == datetime(2026, 2, 27, 23, 59, 59, tzinfo=VN_TZ)
    assert due.tzinfo == UTC


def test_a_report_received_after_midnight_vietnam_time_counts_from_the_next_local_day():
    received = datetime(2026, 3, 12, 17, 30, tzinfo=UTC)  # Fri 13/3 00:30 in Vietnam
    assert calendar.local_date(received) == date(2026, 3, 13)
    assert deadline(received, 1, WorkCalendar()).astimezone(VN_TZ).date() == date(2026, 3, 16)


def test_working_days_between_counts_the_half_open_interval():
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 27), TET_2026) == 5
    assert working_days_between(date(2026, 2, 27), date(2026, 2, 13), TET_2026) == -5
    assert working_days_between(date(2026, 3, 9), date(2026, 3, 9), WorkCalendar()) == 0


def test_zero_working_days_is_refused():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 3, 9), 0, WorkCalendar())


def test_the_seeded_calendar_has_the_official_tet_2026_break(db):
    days = {h.day: h for h in calendar.list_holidays(db, 2026)}
    for i in range(9):
        assert days[date(2026, 2, 14) + timedelta(days=i)].kind == "off"
    assert days[date(2026, 1, 10)].kind == "workday"
    assert days[date(2026, 8, 31)].kind == "off" and days[date(2026, 8, 22)].kind == "workday"
    assert all(h.provisional for h in calendar.list_holidays(db, 2027))
    assert not any(h.provisional for h in calendar.list_holidays(db, 2025))


def test_due_at_reads_the_holiday_table_around_tet(db):
    received = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)  # Fri 13/2 09:00 in Vietnam
    assert calendar.due_at(db, received, 5).astimezone(VN_TZ).date() == date(2026, 2, 27)
    # Around Tết 2025 (25/1 - 2/2): received Fri 24/1, 3 working days -> Mon 3, Tue 4, Wed 5 Feb.
    received = datetime(2025, 1, 24, 2, 0, tzinfo=UTC)
    assert calendar.due_at(db, received, 3).astimezone(VN_TZ).date() == date(2025, 2, 5)


def test_admins_edit_the_calendar_and_new_deadlines_follow(db):
    received = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # Mon 9/3
    assert calendar.due_at(db, received, 1).astimezone(VN_TZ).date() == date(2026, 3, 10)
    calendar.upsert_holidays(db, [{"day": date(2026, 3, 10), "kind": "off", "name_vi": "Nghỉ đột xuất",
                                   "name_en": "Extra day off", "source": None, "provisional": False}])
    assert calendar.due_at(db, received, 1).astimezone(VN_TZ).date() == date(2026, 3, 11)
    calendar.delete_holiday(db, date(2026, 3, 10))
    assert calendar.due_at(db, received, 1).astimezone(VN_TZ).date() == date(2026, 3, 10)


def test_a_swapped_working_day_must_be_a_weekend_day(db):
    with pytest.raises(InvalidInput) as err:
        calendar.upsert_holidays(db, [{"day": date(2026, 3, 11), "kind": "workday", "name_vi": "x",
                                       "name_en": "x", "source": None, "provisional": False}])
    assert err.value.code == "workday_not_weekend"


def test_deleting_a_day_not_in_the_calendar_is_404(db):
    with pytest.raises(NotFound):
        calendar.delete_holiday(db, date(2026, 3, 11))
