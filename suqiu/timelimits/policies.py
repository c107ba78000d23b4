"""Which time limits apply to an appeal: the most specific ``TimeLimitPolicy``, else the shipped
defaults.

Shipped defaults (``DEFAULTS``; the data migration writes them as the editable default rows):

=========== ============ ============= ============== =============== ===============
urgency     dispatch     accept        first contact  resolve         revisit
=========== ============ ============= ============== =============== ===============
emergency   1 h          1 h           2 h            24 h            3 working days
urgent      2 h          2 h           4 h            3 working days  3 working days
normal      24 h         1 working day 1 working day  5 working days  3 working days
=========== ============ ============= ============== =============== ===============

"h" is around the clock; a working day is one day's working hours (7 h with 09:00–12:00 and
14:00–18:00) on the calendar with holidays and 调休 days. The reminder goes out when 80% of the
limit has passed (20% remains).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from suqiu.timelimits.models import STAGES, TimeLimitPolicy, Unit

H, WH, WD = Unit.HOURS.value, Unit.WORK_HOURS.value, Unit.WORK_DAYS.value

DEFAULTS: dict[str, dict[str, tuple[float, str] | None]] = {
    "emergency": {
        "dispatch": (1, H),
        "accept": (1, H),
        "first_contact": (2, H),
        "resolve": (24, H),
        "revisit": (3, WD),
    },
    "urgent": {
        "dispatch": (2, H),
        "accept": (2, H),
        "first_contact": (4, H),
        "resolve": (3, WD),
        "revisit": (3, WD),
    },
    "normal": {
        "dispatch": (24, H),
        "accept": (1, WD),
        "first_contact": (1, WD),
        "resolve": (5, WD),
        "revisit": (3, WD),
    },
}
DEFAULT_REMIND_PERCENT = 80
POLICY_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class Limits:
    """The limits in force for one appeal: stage → (amount, unit) or None; the reminder share."""

    limits: dict[str, tuple[float, str] | None]
    remind_percent: int = DEFAULT_REMIND_PERCENT
    source: str = "shipped default"

    def of(self, stage: str) -> tuple[float, str] | None:
        return self.limits.get(stage)


def shipped(urgency: str) -> Limits:
    return Limits(dict(DEFAULTS.get(urgency) or DEFAULTS["normal"]))


_cache: tuple[float, dict[tuple[int | None, str], Limits]] | None = None


def _all() -> dict[tuple[int | None, str], Limits]:
    """Every policy row, per process, re-read at most once a minute (saving one in the admin of
    this process forgets the copy at once)."""
    global _cache
    now = time.monotonic()
    if _cache is not None and now - _cache[0] < POLICY_TTL_SECONDS:
        return _cache[1]
    table = {}
    for p in TimeLimitPolicy.objects.all():
        table[(p.category_id, p.urgency)] = Limits(
            {stage: p.limit(stage) for stage in STAGES},
            p.remind_at_percent,
            source=str(p.pk),
        )
    _cache = (now, table)
    return table


def forget() -> None:
    global _cache
    _cache = None


def limits_for(*, category_path: str | None, urgency: str) -> Limits:
    """The category's own policy, else its nearest parent's, else the default row, else the
    shipped defaults. ``category_path`` is ``Category.path`` (``/3/17/``) or None."""
    table = _all()
    ids = [int(p) for p in (category_path or "").strip("/").split("/") if p]
    for cat_id in reversed(ids):
        found = table.get((cat_id, urgency))
        if found is not None:
            return found
    found = table.get((None, urgency))
    return found if found is not None else shipped(urgency)
