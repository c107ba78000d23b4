"""The time services use. ``clock.now()`` is ``timezone.now()`` unless a caller set the time with
``clock.at(dt)`` — the demo generator and imports replay history through the real services this
way, so back-dated timelines are written by the same code as live ones."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

_fixed: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "suqiu_clock", default=None
)


def now() -> datetime:
    fixed = _fixed.get()
    return fixed if fixed is not None else timezone.now()


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Within the block, ``now()`` returns ``moment`` (aware)."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    token = _fixed.set(moment)
    try:
        yield
    finally:
        _fixed.reset(token)


# The days a user or a file may name (a filter, a window's end, a date in an import): year 1 or
# 9999 overflow when a time zone moves them to UTC, and before 1900 is a mistyped year.
EARLIEST_YEAR, LATEST_YEAR = 1900, 9000


def in_calendar(moment) -> bool:
    """Whether a date or datetime lies within ``EARLIEST_YEAR``..``LATEST_YEAR``."""
    return EARLIEST_YEAR <= moment.year <= LATEST_YEAR
