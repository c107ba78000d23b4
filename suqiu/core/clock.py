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
