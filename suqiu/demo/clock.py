"""The demo's clocks: what the worker would already have done, and appeals due within minutes.

After the replay, ``settle(now)`` writes what the time-limit duties would have written while the
history happened (no notifications: nobody needs a thousand old messages in their inbox):

- every stage that went overdue in the past is escalated through ``services.appeal_escalate``,
  at its due time (or at the appeal's last event, if that is later);
- dispatches nobody accepted within the accept limit go back to the task library through
  ``appeal_act(SYSTEM, "return")`` at their due time — except the most recent ones (a handful
  per department stays waiting to be accepted: see ``KEEP_TO_ACCEPT``, whose due times move
  into the next hours — an extension approved by a dispatcher, as the timeline then shows);
- verified appeals whose revisit nobody made within the limit and the grace time are closed as
  "not rated";
- reminders whose time has passed are written through ``services.appeal_remind`` (events, no
  notifications), at their time (or at the appeal's last event, if that is later);
- first contacts not made in time are reminded and escalated through
  ``services.appeal_remind_first_contact`` / ``appeal_escalate_first_contact`` (events, no
  notifications).

``due_soon(d, now)`` then adds a few appeals whose clocks run out in the minutes after the demo is
loaded (and two already overdue), in the demo people's own area and department, so that a
newcomer who runs ``make run`` and signs in as ``dispatcher``, ``leader`` or ``handler`` sees
reminders and escalations arrive in their inbox while they look around.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from suqiu.appeals import services
from suqiu.appeals.models import Appeal, AppealEvent, Channel, Urgency
from suqiu.core import clock
from suqiu.core.errors import ApplicationError
from suqiu.directory.access import SYSTEM
from suqiu.timelimits import conf

KEEP_TO_ACCEPT = 3  # dispatched appeals per lead organisation left waiting for acceptance


def _last_event_at(appeal_id: int) -> datetime:
    return (
        AppealEvent.objects.filter(appeal_id=appeal_id)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def settle(now: datetime, *, extend_by: timedelta = timedelta(hours=6)) -> dict[str, int]:
    """Apply the worker's past work to the replayed history (see the module docstring)."""
    done = {
        "reminded": 0,
        "escalated": 0,
        "first_contact_escalated": 0,
        "returned": 0,
        "kept_waiting": 0,
        "closed_not_rated": 0,
    }
    grace = timedelta(hours=conf.not_reached_grace_hours())
    with transaction.atomic():
        # Dispatches nobody accepted: the newest few per organisation stay (with more time).
        overdue_dispatches = list(
            Appeal.objects.filter(status="dispatched", due_at__lt=now).order_by("-due_at", "-id")
        )
        kept: dict[int | None, int] = {}
        for appeal in overdue_dispatches:
            org = appeal.lead_organisation_id
            if kept.get(org, 0) < KEEP_TO_ACCEPT and _extend(appeal, now, extend_by):
                kept[org] = kept.get(org, 0) + 1
                done["kept_waiting"] += 1
                continue
            at = max(appeal.due_at, _last_event_at(appeal.pk))
            with clock.at(at):
                services.appeal_act(
                    actor=SYSTEM,
                    appeal_id=appeal.pk,
                    action="return",
                    payload={"reason": "超时未接单，系统退回任务库。"},
                )
            done["returned"] += 1
        for appeal in Appeal.objects.filter(
            status="verified", due_stage="revisit", due_at__lt=now - grace
        ).order_by("due_at"):
            at = max(appeal.due_at + grace, _last_event_at(appeal.pk))
            try:
                with clock.at(at):
                    services.appeal_act(
                        actor=SYSTEM,
                        appeal_id=appeal.pk,
                        action="revisit",
                        payload={"not_rated": True, "comment": "多次联系诉求人未果。"},
                    )
            except ApplicationError:
                continue
            done["closed_not_rated"] += 1
        # Reminders of the past, through the service (events, no notifications), at their
        # times or, if later, just after the appeal's last event; before the escalations.
        for appeal in Appeal.objects.filter(remind_at__lt=now).order_by("remind_at"):
            at = max(appeal.remind_at, _last_event_at(appeal.pk))
            if at >= now:
                continue  # the worker will do it
            with clock.at(at):
                if services.appeal_remind(appeal_id=appeal.pk, stage=appeal.due_stage):
                    done["reminded"] += 1
        for appeal in Appeal.objects.filter(escalate_at__lt=now).order_by("escalate_at"):
            at = max(appeal.escalate_at + timedelta(minutes=5), _last_event_at(appeal.pk))
            if at >= now:
                continue  # the worker will do it
            with clock.at(at):
                if services.appeal_escalate(appeal_id=appeal.pk, stage=appeal.due_stage):
                    done["escalated"] += 1
        # First contacts not made in time: reminded and escalated through the services (both
        # write events), at their times or, if later, just after the appeal's last event.
        for appeal in Appeal.objects.filter(first_contact_remind_at__lt=now).order_by(
            "first_contact_remind_at"
        ):
            at = max(appeal.first_contact_remind_at, _last_event_at(appeal.pk))
            if at < now:
                with clock.at(at):
                    services.appeal_remind_first_contact(appeal_id=appeal.pk)
        for appeal in Appeal.objects.filter(first_contact_escalate_at__lt=now).order_by(
            "first_contact_escalate_at"
        ):
            at = max(
                appeal.first_contact_escalate_at + timedelta(minutes=5),
                _last_event_at(appeal.pk),
            )
            if at >= now:
                continue  # the worker will do it
            with clock.at(at):
                if services.appeal_escalate_first_contact(appeal_id=appeal.pk):
                    done["first_contact_escalated"] += 1
    return done


def _extend(appeal: Appeal, now: datetime, extend_by: timedelta) -> bool:
    """A dispatcher granted the lead organisation more time to accept (through the services:
    the lead asks, the dispatcher approves, as the work chain requires)."""
    from suqiu.directory.access import actor_for
    from suqiu.directory.models import Membership, User

    handler_id = appeal.lead_person_id or (
        Membership.objects.filter(organisation_id=appeal.lead_organisation_id)
        .exclude(role="resident")
        .values_list("user_id", flat=True)
        .first()
    )
    dispatcher_id = (
        Membership.objects.filter(role="dispatcher").values_list("user_id", flat=True).first()
    )
    if handler_id is None or dispatcher_id is None or appeal.extension_requested_until:
        return False
    at = max(appeal.due_at, _last_event_at(appeal.pk)) + timedelta(minutes=1)
    if at >= now - timedelta(minutes=1):
        return False
    until = now + extend_by
    try:
        with transaction.atomic(), clock.at(at):
            services.appeal_act(
                actor=actor_for(User.objects.get(pk=handler_id)),
                appeal_id=appeal.pk,
                action="request_extension",
                payload={"until": until.isoformat(), "reason": "人手不足，申请延后接单。"},
            )
            services.appeal_act(
                actor=actor_for(User.objects.get(pk=dispatcher_id)),
                appeal_id=appeal.pk,
                action="approve_extension",
                payload={"note": "同意。"},
            )
    except ApplicationError:
        return False
    return True


@dataclass(frozen=True)
class Soon:
    """One appeal of the "due within minutes" set: received ``ago`` before now at ``urgency``,
    then taken to ``status`` ``steps_ago`` before now."""

    title: str
    description: str
    urgency: str
    ago: timedelta
    status: str  # received | dispatched | in_progress
    steps_ago: timedelta = timedelta(0)
    # The category the reporter chose (the demo catalogue's code); dispatched ones go to its
    # default organisation.
    category: str = "HOUSING.PROPERTY"


# Emergency: dispatch 1 h; urgent: dispatch and accept 2 h; resolve of an emergency 24 h.
SOON = (
    Soon(
        "小区门口燃气味很重",
        "闻到明显燃气味，担心泄漏。",
        Urgency.EMERGENCY,
        timedelta(minutes=58),
        "received",
        category="SAFETY.GAS",
    ),  # fmt: skip
    Soon(
        "电梯困人",
        "3号楼电梯停在两层之间，里面有老人。",
        Urgency.EMERGENCY,
        timedelta(minutes=55),
        "received",
        category="HOUSING.ELEVATOR",
    ),  # fmt: skip
    Soon(
        "路面塌陷",
        "人行道出现一米宽塌陷，已用雪糕筒围起。",
        Urgency.EMERGENCY,
        timedelta(minutes=52),
        "received",
        category="ROAD.POTHOLE",
    ),  # fmt: skip
    Soon(
        "消防通道被占",
        "大量电动车堵住消防通道。",
        Urgency.EMERGENCY,
        timedelta(minutes=75),
        "received",
        category="SAFETY.FIRE",
    ),  # fmt: skip  (already overdue)
    Soon(
        "楼顶水箱漏水",
        "楼顶水箱持续漏水，顶楼住户天花板渗水。",
        Urgency.URGENT,
        timedelta(hours=3),
        "dispatched",
        timedelta(minutes=112),
    ),  # fmt: skip
    Soon(
        "外墙瓷砖脱落",
        "外墙瓷砖脱落砸到单车棚。",
        Urgency.URGENT,
        timedelta(hours=3),
        "dispatched",
        timedelta(minutes=150),
    ),  # fmt: skip (overdue)
    Soon(
        "化粪池满溢",
        "化粪池满溢，污水流到路面。",
        Urgency.EMERGENCY,
        timedelta(hours=25),
        "in_progress",
        timedelta(hours=23, minutes=54),
    ),  # fmt: skip
)


def due_soon(d, now: datetime, *, rng: random.Random | None = None) -> list[int]:
    """Create the SOON appeals through the services, back-dated from ``now`` (see module doc).
    ``d`` is the demo ``Directory``."""
    from suqiu.directory.access import actor_for

    rng = rng or random.Random(7)
    community = "PS-LT-C1"
    grid_codes = d.grids_by_community.get(community) or list(d.grids)
    resident = d.users["resident"]
    dispatcher = actor_for(d.users["dispatcher"])
    handler = actor_for(d.users["handler"])
    ids = []
    for soon in SOON:
        info, _grid = d.grids[rng.choice(grid_codes)]
        lat, lon = info.point(rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7))
        with clock.at(now - soon.ago):
            appeal = services.appeal_create(
                actor=actor_for(resident),
                data=services.AppealInput(
                    title=soon.title,
                    description=soon.description,
                    channel=Channel.WEB,
                    lat=lat,
                    lon=lon,
                    urgency=soon.urgency,
                    category=soon.category,
                ),
            )
        if soon.status in ("dispatched", "in_progress"):
            dispatched_at = now - soon.steps_ago
            if soon.status == "in_progress":
                dispatched_at -= timedelta(minutes=5)
            _step(dispatcher, appeal.pk, "assess", {"category": soon.category}, dispatched_at)
            # To the category's default organisation (the service's choice without one named).
            _step(dispatcher, appeal.pk, "dispatch", {}, dispatched_at)
            if soon.status == "in_progress":
                accepted_at = now - soon.steps_ago
                _step(handler, appeal.pk, "accept", {"note": "马上处理"}, accepted_at)
                # The handler called the reporter soon after accepting (the first contact), so
                # only the resolve limit runs out in the next minutes.
                _step(
                    handler,
                    appeal.pk,
                    "note",
                    {"text": "已电话联系诉求人，约定今天上门查看。"},
                    accepted_at + timedelta(minutes=40),
                )
        ids.append(appeal.pk)
    return ids


def _step(actor, appeal_id: int, action: str, payload: dict, at: datetime) -> Appeal:
    with clock.at(at):
        return services.appeal_act(actor=actor, appeal_id=appeal_id, action=action, payload=payload)
