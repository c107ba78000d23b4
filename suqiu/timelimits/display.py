"""How much time is left, in words, for the workbench and the notifications."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from suqiu.timelimits import conf
from suqiu.timelimits.due import first_contact_working
from suqiu.timelimits.models import Stage


def duration_text(delta: timedelta) -> str:
    """``2 h 15 min``, ``3 d 4 h``, ``12 min`` (the absolute value; at least one minute)."""
    minutes = max(1, int(abs(delta).total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": mins}
    return _("%(m)d min") % {"m": mins}


def moment_text(moment: datetime) -> str:
    """A moment in messages: local time, to the minute (``2026-12-05 20:32``)."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def stage_label(stage: str) -> str:
    try:
        return str(Stage(stage).label)
    except ValueError:
        return stage or ""


def working_duration_text(hours: float) -> str:
    """Working time in words: ``4 working days 6 h`` (days of the working calendar's length,
    ``SUQIU_WORKING_HOURS``), or as ``duration_text`` under one working day."""
    per_day = conf.calendar().hours_per_day
    minutes = max(1, int(abs(hours) * 60))
    days, rest = divmod(minutes, max(1, int(round(per_day * 60))))
    if not days:
        return duration_text(timedelta(minutes=minutes))
    return ngettext("%(d)d working day %(h)d h", "%(d)d working days %(h)d h", days) % {
        "d": days,
        "h": rest // 60,
    }


def _paused_text(hours_left: float, working: bool) -> str:
    """A stopped clock: "paused, 3 h 0 min left" or "paused, overdue by 1 h 0 min"; time kept
    in working hours reads in working days."""
    if working:
        left = working_duration_text(hours_left)
    else:
        left = duration_text(timedelta(hours=hours_left))
    if hours_left < 0:
        return _("paused, overdue by %(t)s") % {"t": left}
    return _("paused, %(t)s left") % {"t": left}


def clock_of(appeal, now: datetime) -> dict | None:
    """The appeal's clock for a page: ``text`` ("2 h 15 min left", "overdue by 3 h"), ``level``
    (``ok``, ``soon`` once the reminder time has come, ``late``, ``paused``) and the stage."""
    stage = appeal.due_stage
    if appeal.status == "suspended" and appeal.paused_remaining is not None:
        text = _paused_text(appeal.paused_remaining, appeal.due_working)
        return {"text": text, "level": "paused", "stage": stage_label(stage)}
    if appeal.due_at is None:
        return None
    left = appeal.due_at - now
    if left.total_seconds() < 0:
        return {
            "text": _("overdue by %(t)s") % {"t": duration_text(left)},
            "level": "late",
            "stage": stage_label(stage),
        }
    soon = (
        appeal.reminded_for == stage
        and bool(stage)
        or (appeal.remind_at is not None and appeal.remind_at <= now)
    )
    return {
        "text": _("%(t)s left") % {"t": duration_text(left)},
        "level": "soon" if soon else "ok",
        "stage": stage_label(stage),
    }


def clock_of_first_contact(appeal, now: datetime) -> dict | None:
    """The first-contact due time's clock (None once contact was made), with the levels of
    ``clock_of`` (``soon`` once its reminder time has come, ``paused`` while suspended) and
    ``escalated`` once the worker escalated it."""
    due = appeal.first_contact_due_at
    if due is None:
        return None
    escalated = bool(appeal.first_contact_escalated)
    paused = appeal.first_contact_paused_remaining
    if appeal.status == "suspended" and paused is not None:
        working = bool(first_contact_working(appeal))
        return {"text": _paused_text(paused, working), "level": "paused", "escalated": escalated}
    left = due - now
    if left.total_seconds() < 0:
        return {
            "text": _("overdue by %(t)s") % {"t": duration_text(left)},
            "level": "late",
            "escalated": escalated,
        }
    soon = appeal.first_contact_reminded or (
        appeal.first_contact_remind_at is not None and appeal.first_contact_remind_at <= now
    )
    return {
        "text": _("%(t)s left") % {"t": duration_text(left)},
        "level": "soon" if soon else "ok",
        "escalated": escalated,
    }
