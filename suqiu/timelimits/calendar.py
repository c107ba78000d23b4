"""Working-time arithmetic on the Chinese public calendar (statutory holidays and 调休 working
weekends), local overrides and the working hours of a day. Pure: no database, no clock.

A ``WorkCalendar`` answers "is this date a working day?" in this order:

1. a local override (``CalendarOverride`` rows, edited in the admin: a district's own day off, a
   typhoon day, a make-up working Saturday the national calendar does not know);
2. the ``chinese_calendar`` package (the State Council's announced holidays and adjusted working
   days; version 1.11.0 knows 2004–2026: ``KNOWN_YEARS``);
3. for a year the package does not know yet: Monday to Friday (``is_guessed`` says so, and the
   admin page of overrides warns about it).

Working time lies inside the working periods of a working day (by default 09:00–12:00 and
14:00–18:00, seven hours). ``add_working_time(start, hours)`` walks forward through working
periods; ``working_time_between(a, b)`` counts the working hours between two moments. Both work
in the calendar's time zone (Asia/Shanghai by default) and return aware datetimes in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

DEFAULT_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9, 0), dt.time(12, 0)),
    (dt.time(14, 0), dt.time(18, 0)),
)
DEFAULT_TZ = "Asia/Shanghai"
# A walk never looks further than this many calendar days for working time (a misconfigured
# calendar with no working day at all must not loop forever).
MAX_SCAN_DAYS = 3660


def _known_years() -> frozenset[int]:
    years = {d.year for d in chinese_calendar.holidays} | {
        d.year for d in chinese_calendar.workdays
    }
    # Weekends only appear in ``workdays`` when adjusted; holidays cover every year the package
    # knows (New Year's Day at least).
    return frozenset(y for y in years if any(d.year == y for d in chinese_calendar.holidays))


KNOWN_YEARS: frozenset[int] = _known_years()


def parse_periods(text: str) -> tuple[tuple[dt.time, dt.time], ...]:
    """``"09:00-12:00,14:00-18:00"`` → ((09:00, 12:00), (14:00, 18:00)); sorted, not overlapping."""
    periods = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            start_s, end_s = part.split("-")
            start, end = (
                dt.time.fromisoformat(start_s.strip()),
                dt.time.fromisoformat(end_s.strip()),
            )
        except ValueError as exc:
            raise ValueError(f"working hours {part!r}: expected HH:MM-HH:MM") from exc
        if end <= start:
            raise ValueError(f"working hours {part!r}: the end must be after the start")
        periods.append((start, end))
    periods.sort()
    for (_s1, e1), (s2, _e2) in zip(periods, periods[1:], strict=False):
        if s2 < e1:
            raise ValueError("working hours overlap")
    if not periods:
        raise ValueError("no working hours given")
    return tuple(periods)


def _seconds(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are working days and which hours of them are working time."""

    periods: tuple[tuple[dt.time, dt.time], ...] = DEFAULT_PERIODS
    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    tz: str = DEFAULT_TZ

    def __hash__(self) -> int:  # overrides is a dict: hash what identifies the calendar
        return hash((self.periods, tuple(sorted(self.overrides.items())), self.tz))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def hours_per_day(self) -> float:
        """Working hours in one working day (7 with the default periods)."""
        return sum(_seconds(e) - _seconds(s) for s, e in self.periods) / 3600

    # --- Days -----------------------------------------------------------------------------

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in KNOWN_YEARS:
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def is_guessed(self, day: dt.date) -> bool:
        """True when the answer for ``day`` is the Monday-to-Friday fallback (a year the package
        does not know, and no local override)."""
        return day not in self.overrides and day.year not in KNOWN_YEARS

    # --- Time -----------------------------------------------------------------------------

    def _local(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            raise ValueError("working-time arithmetic needs aware datetimes")
        return moment.astimezone(self.zone)

    def _spans(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working periods of ``day`` as aware datetimes (none on a day off)."""
        if not self.is_workday(day):
            return []
        zone = self.zone
        return [
            (
                dt.datetime.combine(day, s, tzinfo=zone),
                dt.datetime.combine(day, e, tzinfo=zone),
            )
            for s, e in self.periods
        ]

    def add_working_time(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` of working time after ``start``.

        Starting outside working time counts from the next working period's start; a result
        that falls exactly on the end of a period stays there (18:00, not the next day's 09:00).
        Zero hours returns ``start`` itself (not moved into working time). Negative hours go
        backwards the same way.
        """
        if hours == 0:
            return start
        local = self._local(start)
        if hours < 0:
            return self._subtract(local, -hours)
        left = dt.timedelta(hours=hours)
        day = local.date()
        for _ in range(MAX_SCAN_DAYS):
            for s, e in self._spans(day):
                if e <= local:
                    continue
                begin = max(s, local)
                available = e - begin
                if left <= available:
                    return begin + left
                left -= available
            day += dt.timedelta(days=1)
        raise ValueError("no working time found within ten years: check the calendar")

    def _subtract(self, local: dt.datetime, hours: float) -> dt.datetime:
        left = dt.timedelta(hours=hours)
        day = local.date()
        for _ in range(MAX_SCAN_DAYS):
            for s, e in reversed(self._spans(day)):
                if s >= local:
                    continue
                end = min(e, local)
                available = end - s
                if left <= available:
                    return end - left
                left -= available
            day -= dt.timedelta(days=1)
        raise ValueError("no working time found within ten years: check the calendar")

    def working_time_between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Working time from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        if b < a:
            return -self.working_time_between(b, a)
        a, b = self._local(a), self._local(b)
        total = dt.timedelta(0)
        day = a.date()
        last = b.date()
        while day <= last:
            for s, e in self._spans(day):
                lo, hi = max(s, a), min(e, b)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total

    def guessed_years(self, years: Iterable[int]) -> list[int]:
        return sorted(y for y in set(years) if y not in KNOWN_YEARS)


@lru_cache(maxsize=8)
def _default() -> WorkCalendar:
    return WorkCalendar()


def add_working_time(
    start: dt.datetime, hours: float, calendar: WorkCalendar | None = None
) -> dt.datetime:
    """``hours`` of working time after ``start`` on ``calendar`` (the plain national calendar
    with default working hours when not given; ``suqiu.timelimits.conf.calendar()`` is the
    deployment's, with its overrides)."""
    return (calendar or _default()).add_working_time(start, hours)


def working_time_between(
    a: dt.datetime, b: dt.datetime, calendar: WorkCalendar | None = None
) -> dt.timedelta:
    return (calendar or _default()).working_time_between(a, b)
