"""Working-time arithmetic on fixed dates of 2025, whose official calendar is known:

- National Day + Mid-Autumn: 2025-10-01 (Wed) … 2025-10-08 (Wed) off; Sunday 2025-09-28 and
  Saturday 2025-10-11 are adjusted working days (调休);
- Spring Festival: 2025-01-28 (Tue) … 2025-02-04 (Tue) off; Sunday 2025-01-26 and Saturday
  2025-02-08 are adjusted working days.

Working hours are the defaults, 09:00–12:00 and 14:00–18:00 (7 h a day), Asia/Shanghai.
No database: the calendar is pure.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from suqiu.timelimits.calendar import (
    KNOWN_YEARS,
    WorkCalendar,
    add_working_time,
    parse_periods,
    working_time_between,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def test_the_package_knows_2025_and_2026():
    assert {2025, 2026} <= KNOWN_YEARS
    assert CAL.hours_per_day == 7


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2025, 9, 27), False),  # Saturday
        (date(2025, 9, 28), True),  # Sunday, adjusted working day
        (date(2025, 10, 1), False),
        (date(2025, 10, 8), False),  # Wednesday, still the holiday
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, adjusted working day
        (date(2025, 10, 12), False),
        (date(2025, 1, 26), True),  # Sunday before Spring Festival, adjusted
        (date(2025, 1, 28), False),
        (date(2025, 2, 4), False),
        (date(2025, 2, 8), True),  # Saturday after, adjusted
    ],
)
def test_holidays_and_adjusted_working_days_of_2025(day, workday):
    assert CAL.is_workday(day) is workday
    assert not CAL.is_guessed(day)


def test_within_one_day_skips_the_lunch_break():
    assert add_working_time(at(2025, 9, 30, 11, 30), 1) == at(2025, 9, 30, 14, 30)
    assert add_working_time(at(2025, 9, 30, 9, 0), 7) == at(2025, 9, 30, 18, 0)


def test_starting_outside_working_hours_counts_from_the_next_period():
    assert add_working_time(at(2025, 9, 30, 7, 0), 1) == at(2025, 9, 30, 10, 0)
    assert add_working_time(at(2025, 9, 30, 12, 30), 1) == at(2025, 9, 30, 15, 0)
    # 21:00 on Monday → Tuesday morning.
    assert add_working_time(at(2025, 9, 29, 21, 0), 2) == at(2025, 9, 30, 11, 0)


def test_an_end_exactly_at_closing_time_stays_there():
    assert add_working_time(at(2025, 9, 30, 17, 0), 1) == at(2025, 9, 30, 18, 0)


def test_national_day_is_skipped():
    # Tuesday 30 September 17:00 + 2 h: one hour that day, the next working day is 9 October.
    assert add_working_time(at(2025, 9, 30, 17, 0), 2) == at(2025, 10, 9, 10, 0)


def test_the_adjusted_sunday_before_national_day_is_worked():
    # Friday 26 September 17:30 + 1 h: half an hour, Saturday off, Sunday 28th is a working day.
    assert add_working_time(at(2025, 9, 26, 17, 30), 1) == at(2025, 9, 28, 9, 30)


def test_the_adjusted_saturday_after_national_day_is_worked():
    assert add_working_time(at(2025, 10, 10, 17, 0), 2) == at(2025, 10, 11, 10, 0)
    # ... and the Sunday after it is not.
    assert add_working_time(at(2025, 10, 11, 17, 0), 2) == at(2025, 10, 13, 10, 0)


def test_three_working_days_over_national_day():
    # Monday 29 Sept 10:00 + 21 working hours: 29th (6 h left that day), 30th (7 h), then the
    # holiday, 9 October (7 h) and one more hour on the 10th: Friday 10 October 10:00.
    assert add_working_time(at(2025, 9, 29, 10, 0), 21) == at(2025, 10, 10, 10, 0)


def test_five_working_days_over_spring_festival():
    # Friday 24 January 2025 10:00 + 35 working hours: 24th (6 h), 25th Saturday off,
    # 26th adjusted Sunday (7 h), 27th (7 h), 28 Jan–4 Feb off, 5th (7 h), 6th (7 h): 34 h,
    # then one more hour on Friday 7 February: 10:00.
    assert add_working_time(at(2025, 1, 24, 10, 0), 35) == at(2025, 2, 7, 10, 0)


def test_working_time_between_counts_only_working_periods():
    assert working_time_between(at(2025, 9, 30, 9, 0), at(2025, 10, 9, 9, 0)) == timedelta(hours=7)
    assert working_time_between(at(2025, 9, 26, 17, 0), at(2025, 9, 28, 10, 0)) == timedelta(
        hours=2
    )
    # Over the whole Spring Festival week, nothing but the adjusted days and the 27th.
    assert working_time_between(at(2025, 1, 28, 0, 0), at(2025, 2, 5, 0, 0)) == timedelta(0)
    # 26 (adjusted Sunday) and 27 January, then 5, 6, 7 and 8 (adjusted Saturday) February.
    assert working_time_between(at(2025, 1, 26, 0, 0), at(2025, 2, 9, 0, 0)) == timedelta(
        hours=6 * 7
    )


def test_between_is_negative_backwards_and_zero_for_the_same_moment():
    a, b = at(2025, 9, 30, 10, 0), at(2025, 9, 30, 15, 0)
    assert working_time_between(b, a) == -working_time_between(a, b) == -timedelta(hours=3)
    assert working_time_between(a, a) == timedelta(0)


@pytest.mark.parametrize(
    "start",
    [
        at(2025, 9, 26, 8, 0),
        at(2025, 9, 30, 11, 15),
        at(2025, 10, 1, 10, 0),
        at(2025, 10, 10, 13, 0),
        at(2025, 1, 24, 16, 45),
        at(2025, 1, 27, 23, 0),
    ],
)
@pytest.mark.parametrize("hours", [0.5, 1, 3.25, 7, 21, 35])
def test_between_undoes_add(start, hours):
    end = add_working_time(start, hours)
    assert working_time_between(start, end) == timedelta(hours=hours)
    # and going back the same working time from the end lands on working time at or after start
    back = add_working_time(end, -hours)
    assert back >= start
    assert working_time_between(back, end) == timedelta(hours=hours)


def test_subtracting_goes_back_over_the_holiday():
    assert add_working_time(at(2025, 10, 9, 10, 0), -2) == at(2025, 9, 30, 17, 0)


def test_aware_times_in_any_zone_give_the_same_instant():
    utc_start = datetime(2025, 9, 30, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    assert add_working_time(utc_start, 2) == at(2025, 10, 9, 10, 0)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        add_working_time(datetime(2025, 9, 30, 9, 0), 1)


def test_local_overrides_win_over_the_national_calendar():
    cal = WorkCalendar(overrides={date(2025, 10, 9): False, date(2025, 10, 4): True})
    assert not cal.is_workday(date(2025, 10, 9))
    assert cal.is_workday(date(2025, 10, 4))
    # 30 Sept 17:00 + 2 h: one hour, then Saturday 4 October (made a working day locally).
    assert cal.add_working_time(at(2025, 9, 30, 17, 0), 2) == at(2025, 10, 4, 10, 0)


def test_a_year_the_package_does_not_know_falls_back_to_monday_to_friday():
    year = max(KNOWN_YEARS) + 4
    jan1 = date(year, 1, 1)
    assert CAL.is_guessed(jan1)
    saturday = jan1 + timedelta(days=(5 - jan1.weekday()) % 7)
    assert not CAL.is_workday(saturday)
    assert CAL.is_workday(saturday + timedelta(days=2))
    # New Year's Day is not known as a holiday there: a weekday counts as a working day.
    weekday = next(
        jan1 + timedelta(days=i) for i in range(7) if (jan1 + timedelta(i)).weekday() < 5
    )
    assert CAL.is_workday(weekday)
    assert CAL.guessed_years([2025, year]) == [year]
    friday = saturday - timedelta(days=1)
    start = datetime.combine(friday, time(17, 0), tzinfo=SH)
    monday_10 = datetime.combine(saturday + timedelta(days=2), time(10, 0), tzinfo=SH)
    assert add_working_time(start, 2) == monday_10


def test_other_working_hours():
    cal = WorkCalendar(periods=parse_periods("08:30-12:00, 13:30-17:30"))
    assert cal.hours_per_day == 7.5
    assert cal.add_working_time(at(2025, 9, 30, 11, 0), 2) == at(2025, 9, 30, 14, 30)


@pytest.mark.parametrize("text", ["", "9-12", "12:00-09:00", "09:00-12:00,11:00-14:00"])
def test_bad_working_hours_are_refused(text):
    with pytest.raises(ValueError):
        parse_periods(text)


def test_a_calendar_without_working_days_does_not_loop_forever():
    cal = WorkCalendar(
        overrides={date(2025, 9, 30) + timedelta(days=i): False for i in range(4000)}
    )
    with pytest.raises(ValueError):
        cal.add_working_time(at(2025, 9, 30, 9, 0), 1)
