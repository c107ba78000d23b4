"""The deployment's time-limit settings and its working calendar.

Settings (``settings.SUQIU[...]`` wins, else the environment variable, else the default):

- ``WORKING_HOURS`` / ``SUQIU_WORKING_HOURS``: working periods of a working day,
  default ``09:00-12:00,14:00-18:00``;
- ``TIME_ZONE`` of Django (``Asia/Shanghai``) is the calendar's zone;
- ``NOT_REACHED_GRACE_HOURS`` / ``SUQIU_NOT_REACHED_GRACE_HOURS``: how long after the revisit
  due time the worker waits before closing a verified appeal as "not rated" because nobody
  reached the reporter (default 48);
- ``TIMELIMITS_BATCH`` / ``SUQIU_TIMELIMITS_BATCH``: rows a duty claims per transaction (50: a
  round of the duties stays within about two seconds; see ``bench/sweep.py``);
- ``SUQIU_TIMELIMITS_TEST_ITEM_SLEEP``: seconds a duty sleeps after each item — only for the
  crash test, which kills a worker in the middle of a batch; never set it in production.
"""

from __future__ import annotations

import os
import time

from django.conf import settings

from suqiu.timelimits.calendar import WorkCalendar, parse_periods

CALENDAR_TTL_SECONDS = 60.0
_cached: tuple[float, WorkCalendar] | None = None


def _setting(name: str, env: str, default: str) -> str:
    value = getattr(settings, "SUQIU", {}).get(name)
    if value is None:
        value = os.environ.get(env, default)
    return str(value)


def working_periods():
    return parse_periods(
        _setting("WORKING_HOURS", "SUQIU_WORKING_HOURS", "09:00-12:00,14:00-18:00")
    )


def not_reached_grace_hours() -> float:
    return float(_setting("NOT_REACHED_GRACE_HOURS", "SUQIU_NOT_REACHED_GRACE_HOURS", "48"))


def batch_size() -> int:
    return max(1, int(_setting("TIMELIMITS_BATCH", "SUQIU_TIMELIMITS_BATCH", "50")))


def test_item_sleep() -> float:
    return float(os.environ.get("SUQIU_TIMELIMITS_TEST_ITEM_SLEEP", "0") or 0)


def calendar() -> WorkCalendar:
    """The working calendar with the local overrides (re-read at most once a minute per process;
    saving an override in this process forgets it at once)."""
    global _cached
    now = time.monotonic()
    if _cached is not None and now - _cached[0] < CALENDAR_TTL_SECONDS:
        return _cached[1]
    from suqiu.timelimits.models import CalendarOverride

    overrides = dict(CalendarOverride.objects.values_list("date", "is_workday"))
    cal = WorkCalendar(periods=working_periods(), overrides=overrides, tz=settings.TIME_ZONE)
    _cached = (now, cal)
    return cal


def forget_calendar() -> None:
    global _cached
    _cached = None
