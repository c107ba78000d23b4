"""The worker's supervision duties: remind before the due time, escalate (督办) when overdue
(a stage's, and the first contact's), take back dispatches nobody accepted, close revisits
nobody could make.

Each duty claims a small batch of due rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` (ordered
by due time) and handles them in that one transaction: the notification rows, the event and the
cleared ``remind_at``/``escalate_at`` (``first_contact_remind_at``/``first_contact_escalate_at``)
commit together or not at all. So

- two workers never get the same row (the second skips rows the first has locked, and when it
  gets to them later they no longer match: PostgreSQL re-checks the condition after the lock);
- a worker killed in the middle of a batch (SIGKILL, power cut) leaves no trace of it: the
  transaction rolls back, the rows are still due, the next sweep does them once;
- the notifications' ``dedupe_key`` (``remind:{appeal}:{stage}:{due}``, with ``first_contact``
  for the stage of the first contact) is a second guard.

On SQLite (one worker) ``FOR UPDATE`` is not needed: write transactions take the database lock
up front. Each duty returns how many rows it handled; the worker calls it again at once while
there is work (see ``suqiu.core.worker``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from suqiu.appeals import services
from suqiu.appeals.models import Appeal
from suqiu.core import clock
from suqiu.core.errors import ApplicationError
from suqiu.directory.access import SYSTEM
from suqiu.timelimits import conf
from suqiu.timelimits.display import duration_text, moment_text, stage_label

log = logging.getLogger("suqiu.timelimits")

SUPERVISOR_ROLES = ("dispatcher", "leader")
DISPATCHER_ROLES = ("dispatcher",)
REVISIT_ROLES = ("operator", "community_worker")


def _notify(**kwargs) -> int:
    from suqiu.notify.services import notify

    return notify(**kwargs)


class People:
    """Who the messages of one batch go to, looked up once per area, organisation or person
    (a batch's rows share a few areas: without this, every message would ask again)."""

    def __init__(self):
        self._cache: dict[tuple, list] = {}

    def _users(self, key: tuple, ids) -> list:
        from suqiu.directory.models import User

        if key not in self._cache:
            self._cache[key] = list(User.objects.filter(pk__in=set(ids), is_active=True))
        return self._cache[key]

    def in_area(self, area_path: str, roles: tuple[str, ...]) -> list:
        from suqiu.notify.services import staff_covering

        key = ("area", area_path, roles)
        if key not in self._cache:
            return self._users(key, staff_covering(area_path, roles))
        return self._cache[key]

    def of_organisation(self, org_id: int) -> list:
        from suqiu.directory.models import Membership

        key = ("org", org_id)
        if key not in self._cache:
            ids = (
                Membership.objects.filter(organisation_id=org_id)
                .exclude(role="resident")
                .values_list("user_id", flat=True)
            )
            return self._users(key, ids)
        return self._cache[key]

    def person(self, user_id: int) -> list:
        return self._users(("user", user_id), [user_id])


def _claim(filters: dict, order: str, batch: int) -> list[Appeal]:
    return list(
        Appeal.objects.select_for_update(skip_locked=True, no_key=True)
        .filter(**filters)
        .order_by(order, "id")[:batch]
    )


def _sweep(
    filters: dict,
    order: str,
    handle: Callable[[Appeal, datetime, People], bool],
    *,
    now: datetime | None = None,
    batch: int | None = None,
) -> int:
    """Claim one batch of rows matching ``filters`` and ``handle`` each in one transaction.
    Returns how many rows were claimed (handled or found no longer due)."""
    now = now or clock.now()
    batch = batch or conf.batch_size()
    pause = conf.test_item_sleep()
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        rows = _claim(filters, order, batch)
        people = People()
        for row in rows:
            handle(row, now, people)
            if pause:
                time.sleep(pause)  # only the crash test sets this (conf.test_item_sleep)
    return len(rows)


# --- Reminders ------------------------------------------------------------------------------------


def _responsible(appeal: Appeal, people: People) -> list:
    """Who must act in the appeal's current stage: the area's dispatchers (dispatch stage), the
    area's operators and community workers (revisit), else the lead person or, without one,
    the lead organisation's staff."""
    stage = appeal.due_stage
    if stage == "dispatch":
        return people.in_area(appeal.area_path, DISPATCHER_ROLES)
    if stage == "revisit":
        return people.in_area(appeal.area_path, REVISIT_ROLES)
    if appeal.lead_person_id is not None:
        return people.person(appeal.lead_person_id)
    if appeal.lead_organisation_id is not None:
        return people.of_organisation(appeal.lead_organisation_id)
    return people.in_area(appeal.area_path, DISPATCHER_ROLES)


def _send_reminder(
    appeal: Appeal,
    people: People,
    subject: str,
    *,
    stage: str,
    due: datetime,
    now: datetime,
    **data,
) -> None:
    """The "due soon" message to whoever must act (``subject`` takes ``left``, ``code`` and
    ``title``); one per appeal, stage and due time."""
    _notify(
        kind="due_soon",
        appeal=appeal,
        subject=subject
        % {"left": duration_text(due - now), "code": appeal.tracking_code, "title": appeal.title},
        body=_("The %(stage)s limit of appeal %(code)s ends at %(due)s.")
        % {"stage": stage_label(stage), "code": appeal.tracking_code, "due": moment_text(due)},
        data={"stage": stage, "due_at": due.isoformat(), **data},
        dedupe_key=f"remind:{appeal.pk}:{stage}:{due.isoformat()}",
        users=_responsible(appeal, people),
    )


def _send_escalation(
    appeal: Appeal,
    people: People,
    subject: str,
    *,
    stage: str,
    due: datetime,
    now: datetime,
    **data,
) -> None:
    """The "overdue, escalated" message to the area's dispatchers and leaders (``subject`` takes
    ``code`` and ``title``); one per appeal, stage and due time."""
    _notify(
        kind="escalated",
        appeal=appeal,
        users=people.in_area(appeal.area_path, SUPERVISOR_ROLES),
        subject=subject % {"code": appeal.tracking_code, "title": appeal.title},
        body=_("The %(stage)s limit of appeal %(code)s ended at %(due)s, %(late)s ago.")
        % {
            "stage": stage_label(stage),
            "code": appeal.tracking_code,
            "due": moment_text(due),
            "late": duration_text(now - due),
        },
        data={"stage": stage, "due_at": due.isoformat(), **data},
        dedupe_key=f"escalate:{appeal.pk}:{stage}:{due.isoformat()}",
    )


def _record_and_send(record, send, appeal: Appeal, people: People, subject: str, **message):
    """Record a reminder or an escalation through the service (``record()``: its event, or None
    when there is nothing to do any more, the service having cleared or moved the time), then
    write the messages pointing at the event, in the same transaction."""
    with clock.at(message["now"]):
        event = record()
    if event is None:
        return False
    send(appeal, people, subject, event_id=event.pk, **message)
    return True


def _remind_one(appeal: Appeal, now: datetime, people: People) -> bool:
    stage = appeal.due_stage
    return _record_and_send(
        lambda: services.appeal_remind(appeal_id=appeal.pk, stage=stage, actor=SYSTEM),
        _send_reminder,
        appeal,
        people,
        _("Due in %(left)s: %(code)s %(title)s"),
        stage=stage,
        due=appeal.due_at,
        now=now,
    )


def remind_due(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Remind whoever must act when the reminder time of the appeal's stage has come."""
    now = now or clock.now()
    return _sweep({"remind_at__lte": now}, "remind_at", _remind_one, now=now, batch=batch)


# --- Escalation -----------------------------------------------------------------------------------


def _escalate_one(appeal: Appeal, now: datetime, people: People) -> bool:
    stage = appeal.due_stage
    return _record_and_send(
        lambda: services.appeal_escalate(appeal_id=appeal.pk, stage=stage, actor=SYSTEM),
        _send_escalation,
        appeal,
        people,
        _("Overdue, escalated: %(code)s %(title)s"),
        stage=stage,
        due=appeal.due_at,
        now=now,
    )


def escalate_overdue(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Mark overdue and escalate to the area's dispatchers and leaders, once per stage."""
    now = now or clock.now()
    return _sweep({"escalate_at__lte": now}, "escalate_at", _escalate_one, now=now, batch=batch)


# --- First contact (首次联系) -----------------------------------------------------------------------
# The handler must get in touch with the reporter within the first-contact limit after accept or
# claim (suqiu/timelimits/due.py). Reminded and escalated like a stage (the same people, the same
# kinds of message, an event written by the service).


def _remind_first_contact_one(appeal: Appeal, now: datetime, people: People) -> bool:
    return _record_and_send(
        lambda: services.appeal_remind_first_contact(appeal_id=appeal.pk, actor=SYSTEM),
        _send_reminder,
        appeal,
        people,
        _("First contact due in %(left)s: %(code)s %(title)s"),
        stage="first_contact",
        due=appeal.first_contact_due_at,
        now=now,
    )


def remind_first_contact(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Remind the handler (whoever the stage's reminders go to) before the first-contact due
    time."""
    now = now or clock.now()
    return _sweep(
        {"first_contact_remind_at__lte": now},
        "first_contact_remind_at",
        _remind_first_contact_one,
        now=now,
        batch=batch,
    )


def _escalate_first_contact_one(appeal: Appeal, now: datetime, people: People) -> bool:
    return _record_and_send(
        lambda: services.appeal_escalate_first_contact(appeal_id=appeal.pk, actor=SYSTEM),
        _send_escalation,
        appeal,
        people,
        _("No first contact in time, escalated: %(code)s %(title)s"),
        stage="first_contact",
        due=appeal.first_contact_due_at,
        now=now,
    )


def escalate_first_contact(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Escalate to the area's dispatchers and leaders when the first-contact due time passed
    without contact, once per due time."""
    now = now or clock.now()
    return _sweep(
        {"first_contact_escalate_at__lte": now},
        "first_contact_escalate_at",
        _escalate_first_contact_one,
        now=now,
        batch=batch,
    )


# --- Unaccepted dispatches --------------------------------------------------------------------


def _return_one(appeal: Appeal, now: datetime, people: People) -> bool:
    lead_org, lead_person = appeal.lead_organisation_id, appeal.lead_person_id
    reason = _("Not accepted within the time limit (due %(due)s); back in the task library.") % {
        "due": moment_text(appeal.due_at)
    }
    try:
        with clock.at(now):
            fresh = services.appeal_act(
                actor=SYSTEM,
                appeal_id=appeal.pk,
                action="return",
                payload={"reason": reason},
                # The note again in the reader's language (appeals/views_workbench.py).
                context={"unaccepted": {"due_at": appeal.due_at.isoformat()}},
            )
    except ApplicationError as exc:  # the status moved on under us: nothing to do
        log.info("return of appeal %s skipped: %s", appeal.pk, exc)
        return False
    _notify(
        kind="returned_unaccepted",
        appeal=fresh,
        users=people.in_area(appeal.area_path, DISPATCHER_ROLES),
        subject=_("Not accepted in time, back to dispatch: %(code)s %(title)s")
        % {"code": appeal.tracking_code, "title": appeal.title},
        body=reason,
        data={"lead_organisation": lead_org, "lead_person": lead_person},
        dedupe_key=f"returned:{appeal.pk}:{appeal.due_at.isoformat()}",
    )
    return True


def _heavy_batch(batch: int | None) -> int:
    """Returns and closures go through the whole work chain (``appeal_act``: its checks, the
    other apps' after-action hooks), four times the work of a reminder: half a batch, so a
    worker's round of the duties stays within about two seconds (bench/sweep.py)."""
    return batch or max(1, conf.batch_size() // 2)


def return_unaccepted(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Dispatched appeals nobody accepted within the accept limit go back to the task library."""
    now = now or clock.now()
    batch = _heavy_batch(batch)
    return _sweep(
        {"status": "dispatched", "due_stage": "accept", "due_at__lte": now},
        "due_at",
        _return_one,
        now=now,
        batch=batch,
    )


# --- Revisits nobody could make ------------------------------------------------------------------


def _close_one(appeal: Appeal, now: datetime, people: People) -> bool:
    try:
        with clock.at(now):
            services.appeal_act(
                actor=SYSTEM,
                appeal_id=appeal.pk,
                action="revisit",
                payload={
                    "not_rated": True,
                    "comment": _("The reporter could not be reached for the revisit."),
                },
            )
    except ApplicationError as exc:
        log.info("closing appeal %s as not rated skipped: %s", appeal.pk, exc)
        return False
    return True


def close_unreached(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Close as "not rated" verified appeals whose revisit is overdue by the grace time
    (``NOT_REACHED_GRACE_HOURS``, 48 by default): nobody reached the reporter."""
    now = now or clock.now()
    batch = _heavy_batch(batch)
    grace = timedelta(hours=conf.not_reached_grace_hours())
    return _sweep(
        {"status": "verified", "due_stage": "revisit", "due_at__lte": now - grace},
        "due_at",
        _close_one,
        now=now,
        batch=batch,
    )


DUTIES = {
    "timelimits.remind": remind_due,
    "timelimits.escalate": escalate_overdue,
    "timelimits.remind_first_contact": remind_first_contact,
    "timelimits.escalate_first_contact": escalate_first_contact,
    "timelimits.return_unaccepted": return_unaccepted,
    "timelimits.close_unreached": close_unreached,
}
