"""Due times: which stage an appeal's clock runs in, when it is due, when to remind and escalate.

Called by ``suqiu.appeals.services`` (not a hook: other apps' hooks must see the new due time)
with the locked appeal row, before it is saved, for every new appeal and every action. Returns
what goes into the causing event's ``data`` when the due time changed, always as

    {"due_at": iso or None, "old_due_at": iso or None, "stage": "dispatch" | ... | None}

(``suspend`` adds ``paused_remaining_hours``; a first contact adds ``"first_contact": true``).
The rates app reads these keys; ``due_at`` in an event's data is always the due time in force
after that event.

Stages by status: received / assessed / queued → ``dispatch``; dispatched → ``accept``;
in_progress → ``resolve`` (plus a separate ``first_contact_due_at`` after accept or claim, met by
the first note or resource request or the resolution); verified → ``revisit``; resolved (waiting
for verification), closed, rejected, merged → no due time. A stage's clock starts when the
appeal enters it; assessing again (new category or urgency), or the system raising the urgency
(``appeal_flag_urgency``), re-times the running stage from its start. Suspension stops the clock
(``due_at`` empty, the remaining time kept in the stage's measure) and ``resume`` starts it again
with that remaining time. An approved extension moves the
due time (and the reminder with it).

Per stage the appeal keeps ``remind_at`` (cleared once the reminder is sent; the stage is
written to ``reminded_for``) and ``escalate_at`` (the due time; cleared once overdue-escalated,
``escalated_for`` = stage). The ``accept`` stage is not escalated: the worker returns the appeal
to the task library at its due time instead.

The first contact has its own ``first_contact_remind_at`` and ``first_contact_escalate_at``, set
by the same rule (the policy's reminder share of the first-contact limit, in its measure) when
accept or claim starts it, cleared with ``first_contact_due_at`` when contact is made or the
appeal leaves ``in_progress``; ``first_contact_reminded`` / ``first_contact_escalated`` say they
were done. Suspension stops its clock as it stops the stage's: the time left is kept in
``first_contact_paused_remaining`` (in the limit's measure; the due time stays recorded, so a
note while suspended still meets it), the reminder and escalation wait, and ``resume`` sets a
new due time that much later than the resumption (still overdue by as much if it was overdue)
and the two times again from it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from suqiu.timelimits import conf
from suqiu.timelimits.calendar import WorkCalendar
from suqiu.timelimits.models import Unit
from suqiu.timelimits.policies import Limits, limits_for

STAGE_OF_STATUS = {
    "received": "dispatch",
    "assessed": "dispatch",
    "queued": "dispatch",
    "dispatched": "accept",
    "in_progress": "resolve",
    "verified": "revisit",
}
ESCALATED_STAGES = frozenset({"dispatch", "resolve", "revisit"})
# Actions by which the handler gets in touch: the first one meets the first-contact limit.
CONTACT_ACTIONS = frozenset({"note", "request_resources", "resolve"})


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def limits_of(appeal) -> Limits:
    category_path = None
    if appeal.category_id is not None:
        cached = appeal._state.fields_cache.get("category")
        if cached is None:
            # The process's directory snapshot (no query); an inactive category is not in it.
            from suqiu.directory import snapshot

            cached = snapshot.active_category(appeal.category_id) or appeal.category
        category_path = cached.path
    return limits_for(category_path=category_path, urgency=appeal.urgency)


def _hours(amount: float, unit: str, cal: WorkCalendar) -> tuple[float, bool]:
    """A limit as (hours, counted in working time?)."""
    if unit == Unit.WORK_DAYS:
        return amount * cal.hours_per_day, True
    if unit == Unit.WORK_HOURS:
        return amount, True
    return amount, False


def _add(start: datetime, hours: float, working: bool, cal: WorkCalendar) -> datetime:
    if working:
        return cal.add_working_time(start, hours)
    return start + timedelta(hours=hours)


def remaining_hours(due: datetime, now: datetime, working: bool, cal: WorkCalendar) -> float:
    """Time left until ``due`` (negative when overdue), in the stage's measure."""
    if working:
        return cal.working_time_between(now, due).total_seconds() / 3600
    return (due - now).total_seconds() / 3600


def _schedule(
    appeal,
    *,
    stage: str,
    due: datetime | None,
    lead_hours: float,
    working: bool,
    cal,
    now: datetime,
    reset_markers: bool,
) -> None:
    """Set the due time and the reminder/escalation times derived from it.

    The reminder falls when ``lead_hours`` (the share of the limit after the reminder, 20% by
    default) remain; a reminder time already past is sent at once, unless the due time itself
    is past (then the escalation covers it)."""
    appeal.due_at = due
    appeal.due_stage = stage
    appeal.due_working = working
    if reset_markers:
        appeal.reminded_for = ""
        appeal.escalated_for = ""
    if due is None:
        appeal.remind_at = appeal.escalate_at = None
        return
    remind = _add(due, -lead_hours, working, cal) if lead_hours > 0 else None
    if remind is not None and appeal.reminded_for != stage and due > now:
        appeal.remind_at = max(remind, now)
    else:
        appeal.remind_at = None
    if stage in ESCALATED_STAGES and appeal.escalated_for != stage:
        appeal.escalate_at = due
    else:
        appeal.escalate_at = None


def _start_stage(appeal, stage: str | None, start: datetime, now: datetime) -> None:
    cal = conf.calendar()
    appeal.stage_started_at = start if stage else None
    appeal.paused_remaining = None
    due, lead, working = None, 0.0, False
    limits = limits_of(appeal) if stage else None
    limit = limits.of(stage) if limits is not None else None
    if limit is not None:
        # No stage (finished) or no limit for it: nothing is due.
        hours, working = _hours(*limit, cal)
        due = _add(start, hours, working, cal)
        lead = hours * (100 - limits.remind_percent) / 100
    _schedule(
        appeal,
        stage=stage or "",
        due=due,
        lead_hours=lead,
        working=working,
        cal=cal,
        now=now,
        reset_markers=True,
    )


def _lead_hours(appeal, stage: str, cal) -> float:
    limit = limits_of(appeal).of(stage)
    if limit is None:
        return 0.0
    hours, _working = _hours(*limit, cal)
    return hours * (100 - limits_of(appeal).remind_percent) / 100


def _first_contact(appeal, now: datetime) -> None:
    """Start the first-contact limit now (accept or claim), with its reminder and escalation
    times."""
    limit = limits_of(appeal).of("first_contact")
    if limit is None:
        _clear_first_contact(appeal)
        return
    cal = conf.calendar()
    hours, working = _hours(*limit, cal)
    appeal.first_contact_due_at = _add(now, hours, working, cal)
    appeal.first_contact_reminded = appeal.first_contact_escalated = False
    _schedule_first_contact(appeal, now, cal)


def _schedule_first_contact(appeal, now: datetime, cal) -> None:
    """Set the first-contact reminder and escalation times from ``first_contact_due_at``, by the
    rule of a stage's (``_schedule``): the reminder when the policy's share of the limit remains
    (at once if that time has passed, none if the due time has), the escalation at the due
    time; neither once done for this due time (``first_contact_reminded`` / ``_escalated``)."""
    due = appeal.first_contact_due_at
    appeal.first_contact_remind_at = appeal.first_contact_escalate_at = None
    if due is None:
        return
    lead = _lead_hours(appeal, "first_contact", cal)
    if lead > 0 and not appeal.first_contact_reminded and due > now:
        _limit_hours, working = _hours(*limits_of(appeal).of("first_contact"), cal)
        appeal.first_contact_remind_at = max(_add(due, -lead, working, cal), now)
    if not appeal.first_contact_escalated:
        appeal.first_contact_escalate_at = due


def first_contact_working(appeal, cal: WorkCalendar | None = None) -> bool | None:
    """Whether the first-contact limit counts working hours (None: the policy has none)."""
    limit = limits_of(appeal).of("first_contact")
    return None if limit is None else _hours(*limit, cal or conf.calendar())[1]


def _pause_first_contact(appeal, now: datetime, cal) -> bool:
    """``suspend``: keep the first contact's time left and hold its reminder and escalation.
    True when a first contact was due."""
    appeal.first_contact_remind_at = appeal.first_contact_escalate_at = None
    appeal.first_contact_paused_remaining = None
    due = appeal.first_contact_due_at
    working = first_contact_working(appeal, cal) if due is not None else None
    if working is None:
        return False
    appeal.first_contact_paused_remaining = remaining_hours(due, now, working, cal)
    return True


def _resume_first_contact(appeal, now: datetime, cal) -> bool:
    """``resume``: the first contact is due the kept time left after now (overdue by as much
    when it was overdue). True when the due time moved."""
    remaining = appeal.first_contact_paused_remaining
    appeal.first_contact_paused_remaining = None
    working = first_contact_working(appeal, cal)
    if remaining is None or working is None:
        return False
    appeal.first_contact_due_at = _due_after_pause(now, remaining, working, cal)
    return True


def _due_after_pause(now: datetime, remaining: float, working: bool, cal) -> datetime:
    """A stopped clock started again: due ``remaining`` hours (in its measure) after now; one
    overdue when stopped stays overdue by as much."""
    if remaining >= 0:
        return _add(now, remaining, working, cal)
    return now + timedelta(hours=remaining)


def _clear_first_contact(appeal) -> None:
    """No first contact is due any more (made, or the appeal left ``in_progress``)."""
    appeal.first_contact_due_at = None
    appeal.first_contact_paused_remaining = None
    appeal.first_contact_remind_at = appeal.first_contact_escalate_at = None
    appeal.first_contact_reminded = appeal.first_contact_escalated = False


def on_create(appeal, *, now: datetime) -> dict:
    """A new appeal: the dispatch stage starts at its reception."""
    _start_stage(appeal, STAGE_OF_STATUS.get(appeal.status), now, now)
    return {"due_at": _iso(appeal.due_at), "stage": appeal.due_stage or None}


def on_action(
    appeal, *, action: str, before: str, now: datetime, actor_is_system: bool, event_data: dict
) -> dict:
    """Update the appeal's clock for ``action`` (the row already has its new status).

    ``event_data`` is the causing event's data (the extension handlers' old/new due times).
    Returns the keys to add to the event's data (empty when nothing about the clock changed).
    """
    old_due, old_stage = appeal.due_at, appeal.due_stage
    status = appeal.status
    out: dict = {}
    cal = conf.calendar()

    if action == "suspend":
        if appeal.due_at is not None:
            appeal.paused_remaining = remaining_hours(appeal.due_at, now, appeal.due_working, cal)
        else:
            appeal.paused_remaining = None
        appeal.due_at = appeal.remind_at = appeal.escalate_at = None
        out["paused_remaining_hours"] = (
            round(appeal.paused_remaining, 4) if appeal.paused_remaining is not None else None
        )
        if _pause_first_contact(appeal, now, cal):
            out["first_contact_paused_remaining_hours"] = round(
                appeal.first_contact_paused_remaining, 4
            )
    elif action == "resume":
        stage = STAGE_OF_STATUS.get(status)
        if stage and stage == appeal.due_stage and appeal.paused_remaining is not None:
            _schedule(
                appeal,
                stage=stage,
                due=_due_after_pause(now, appeal.paused_remaining, appeal.due_working, cal),
                lead_hours=_lead_hours(appeal, stage, cal),
                working=appeal.due_working,
                cal=cal,
                now=now,
                reset_markers=False,
            )
            appeal.paused_remaining = None
        else:
            _start_stage(appeal, stage, now, now)
        if status == "in_progress" and appeal.first_contact_due_at is not None:
            if _resume_first_contact(appeal, now, cal):
                out["first_contact_due_at"] = _iso(appeal.first_contact_due_at)
            _schedule_first_contact(appeal, now, cal)
    elif action == "approve_extension":
        stage = appeal.due_stage
        if status == "suspended":
            # The handler set due_at to the approved time, but the clock is stopped: lengthen the
            # remaining time by the extension instead (from the due time it was asked against).
            asked_against = _parse(
                appeal.events.filter(kind="request_extension")
                .order_by("-created_at", "-id")
                .values_list("data__due_at", flat=True)
                .first()
            )
            new_due = appeal.due_at
            if new_due is not None and appeal.paused_remaining is not None and asked_against:
                extra = remaining_hours(new_due, asked_against, appeal.due_working, cal)
                appeal.paused_remaining += max(0.0, extra)
            appeal.due_at = None
            out["paused_remaining_hours"] = (
                round(appeal.paused_remaining, 4) if appeal.paused_remaining is not None else None
            )
        else:
            _schedule(
                appeal,
                stage=stage,
                due=appeal.due_at,
                lead_hours=_lead_hours(appeal, stage, cal),
                working=appeal.due_working,
                cal=cal,
                now=now,
                reset_markers=True,
            )
        old_due = _parse(event_data.get("old_due_at"))
    else:
        stage = STAGE_OF_STATUS.get(status)
        if status == "suspended":
            # The clock is stopped (``suspend`` kept the time left): an action taken meanwhile
            # (a note, a denied extension) leaves it so, for ``resume`` to restore.
            stage = appeal.due_stage
        if (stage or "") != (appeal.due_stage or "") or (
            action in ("send_back", "revisit") and stage
        ):
            # A new stage (a rework after verification or revisit restarts the resolve clock).
            _start_stage(appeal, stage, now, now)
            if action in ("accept", "claim") and stage == "resolve":
                _first_contact(appeal, now)
                out["first_contact_due_at"] = _iso(appeal.first_contact_due_at)
        elif (
            action in ("assess", "urgency_raised") and stage and appeal.stage_started_at is not None
        ):
            # Category or urgency may have changed (an assessment, or triage raising the urgency
            # at intake): re-time the running stage from its start, keeping what was sent.
            _restart_keeping_markers(appeal, stage, now, cal)
        if (
            action in CONTACT_ACTIONS
            and appeal.first_contact_due_at is not None
            and not actor_is_system
        ):
            _clear_first_contact(appeal)
            out["first_contact"] = True
        if status not in ("in_progress", "suspended"):
            _clear_first_contact(appeal)

    if appeal.due_at != old_due or (appeal.due_stage or "") != (old_stage or "") or out:
        out.update(
            {
                "due_at": _iso(appeal.due_at),
                "old_due_at": _iso(old_due),
                "stage": appeal.due_stage or None,
            }
        )
    return out


def _restart_keeping_markers(appeal, stage: str, now: datetime, cal) -> None:
    reminded, escalated = appeal.reminded_for, appeal.escalated_for
    started = appeal.stage_started_at
    _start_stage(appeal, stage, started, now)
    appeal.reminded_for, appeal.escalated_for = reminded, escalated
    if reminded == stage:
        appeal.remind_at = None
    if escalated == stage:
        appeal.escalate_at = None


def _parse(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def time_left(appeal, now: datetime) -> timedelta | None:
    """Natural time until the due time (negative: overdue); None without a running clock."""
    if appeal.due_at is None:
        return None
    return appeal.due_at - now
