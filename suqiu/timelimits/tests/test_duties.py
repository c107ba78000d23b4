"""Each worker duty called directly, at fixed times around National Day 2025."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from suqiu.appeals.models import Appeal, AppealEvent
from suqiu.appeals.tests.chain import act, bring_to, new_appeal
from suqiu.core import clock
from suqiu.core.worker import duties as registered
from suqiu.notify.models import OutboxMessage
from suqiu.rates.models import RateFact
from suqiu.timelimits.duties import (
    close_unreached,
    escalate_first_contact,
    escalate_overdue,
    remind_due,
    remind_first_contact,
    return_unaccepted,
)

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def fresh(appeal) -> Appeal:
    return Appeal.objects.get(pk=appeal.pk)


def recipients(appeal, kind: str) -> set[int]:
    return set(
        OutboxMessage.objects.filter(appeal_id=appeal.pk, kind=kind, channel="inapp").values_list(
            "recipient_id", flat=True
        )
    )


def kinds(appeal) -> list[str]:
    return list(
        AppealEvent.objects.filter(appeal_id=appeal.pk)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def first_contact_events(appeal, kind: str) -> list[AppealEvent]:
    return list(
        AppealEvent.objects.filter(appeal_id=appeal.pk, kind=kind, data__stage="first_contact")
    )


def first_contact_recipients(appeal, kind: str) -> set[int]:
    return set(
        OutboxMessage.objects.filter(
            appeal_id=appeal.pk, kind=kind, channel="inapp", data__stage="first_contact"
        ).values_list("recipient_id", flat=True)
    )


def test_the_duties_are_registered_with_the_worker():
    names = {d.name for d in registered()}
    assert {
        "timelimits.remind",
        "timelimits.escalate",
        "timelimits.remind_first_contact",
        "timelimits.escalate_first_contact",
        "timelimits.return_unaccepted",
        "timelimits.close_unreached",
    } <= names


def test_dispatch_reminder_goes_to_the_areas_dispatchers_once(world):
    with clock.at(at(2025, 9, 29, 10, 0)):
        appeal = new_appeal(world)  # due 30 Sept 10:00, reminder 05:12
    assert remind_due(now=at(2025, 9, 30, 5, 0)) == 0
    assert recipients(appeal, "due_soon") == set()
    assert remind_due(now=at(2025, 9, 30, 5, 12)) == 1
    assert recipients(appeal, "due_soon") == {world.dispatcher.pk, world.dispatcher2.pk}
    a = fresh(appeal)
    assert (a.remind_at, a.reminded_for) == (None, "dispatch")
    assert remind_due(now=at(2025, 9, 30, 9, 0)) == 0
    assert OutboxMessage.objects.filter(appeal_id=appeal.pk, kind="due_soon").count() == 2
    # One staff-only event, in the same transaction, naming the stage and its due time; the
    # messages point at it.
    assert kinds(appeal) == ["created", "remind"]
    event = AppealEvent.objects.get(appeal_id=appeal.pk, kind="remind")
    assert event.created_at == at(2025, 9, 30, 5, 12)
    assert event.data["stage"] == "dispatch"
    assert datetime.fromisoformat(event.data["due_at"]) == at(2025, 9, 30, 10, 0)
    assert event.actor_id is None
    message = OutboxMessage.objects.filter(appeal_id=appeal.pk, kind="due_soon").first()
    assert message.data["event_id"] == event.pk


def test_a_reminder_time_left_over_after_the_reminder_is_only_cleared(world):
    with clock.at(at(2025, 9, 29, 10, 0)):
        appeal = new_appeal(world)
    assert remind_due(now=at(2025, 9, 30, 5, 12)) == 1
    # A stale reminder time for the stage already reminded (as a crash between two writers
    # could leave): claimed, cleared, nothing sent or written again.
    Appeal.objects.filter(pk=appeal.pk).update(remind_at=at(2025, 9, 30, 6, 0))
    assert remind_due(now=at(2025, 9, 30, 6, 0)) == 1
    assert fresh(appeal).remind_at is None
    assert kinds(appeal).count("remind") == 1
    assert OutboxMessage.objects.filter(appeal_id=appeal.pk, kind="due_soon").count() == 2
    assert remind_due(now=at(2025, 9, 30, 6, 0)) == 0


def test_handling_reminder_goes_to_the_lead_person_or_the_lead_organisation(world):
    appeal = new_appeal(world)
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.dispatcher, appeal, "assess", category="HOUSING")
        act(world.dispatcher, appeal, "dispatch")  # to HOUSING, nobody in person
    remind_at = fresh(appeal).remind_at
    assert remind_due(now=remind_at) == 1
    assert recipients(appeal, "due_soon") == {world.handler.pk, world.handler2.pk}
    with clock.at(at(2025, 9, 29, 11, 0)):
        act(world.handler2, appeal, "accept")  # handler2 becomes the lead person
    a = fresh(appeal)
    assert (a.due_stage, a.reminded_for) == ("resolve", "")
    assert remind_due(now=a.remind_at) == 1
    resolve_msgs = OutboxMessage.objects.filter(
        appeal_id=appeal.pk, kind="due_soon", data__stage="resolve", channel="inapp"
    )
    assert list(resolve_msgs.values_list("recipient_id", flat=True)) == [world.handler2.pk]


def test_overdue_is_escalated_to_dispatchers_and_leaders_once_per_stage(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")
    due = fresh(appeal).due_at
    assert escalate_overdue(now=due - timedelta(minutes=1)) == 0
    assert escalate_overdue(now=due + timedelta(minutes=5)) == 1
    a = fresh(appeal)
    assert (a.escalate_at, a.escalated_for) == (None, "resolve")
    event = AppealEvent.objects.filter(appeal_id=appeal.pk).order_by("-id").first()
    assert event.kind == "escalate" and event.actor_id is None and not event.is_public
    assert event.data["stage"] == "resolve"
    assert datetime.fromisoformat(event.data["due_at"]) == due
    assert event.data["overdue_seconds"] == 300
    # The district's dispatchers and the leader of street S1 (the appeal is in C1), not S2's.
    assert recipients(appeal, "escalated") == {
        world.dispatcher.pk,
        world.dispatcher2.pk,
        world.leader.pk,
    }
    assert escalate_overdue(now=due + timedelta(days=3)) == 0
    assert kinds(appeal).count("escalate") == 1


def test_an_extension_after_escalation_allows_a_new_one_at_the_new_due_time(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")
    due = fresh(appeal).due_at
    escalate_overdue(now=due + timedelta(hours=1))
    with clock.at(due + timedelta(hours=2)):
        act(world.handler, appeal, "request_extension", days=2, reason="等配件")
        act(world.dispatcher, appeal, "approve_extension")
    a = fresh(appeal)
    assert a.escalated_for == "" and a.escalate_at == a.due_at
    assert escalate_overdue(now=a.due_at - timedelta(minutes=1)) == 0
    assert escalate_overdue(now=a.due_at + timedelta(minutes=1)) == 1
    assert kinds(appeal).count("escalate") == 2


def test_a_suspended_appeal_is_neither_reminded_nor_escalated(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")
        act(world.dispatcher, appeal, "suspend", reason="等待")
    later = at(2025, 12, 31, 9, 0)
    assert remind_due(now=later) == 0
    assert escalate_overdue(now=later) == 0
    assert "escalate" not in kinds(appeal)


def test_a_dispatch_nobody_accepted_goes_back_to_the_task_library(world):
    appeal = new_appeal(world)
    with clock.at(at(2025, 9, 30, 10, 0)):
        act(world.dispatcher, appeal, "assess", category="HOUSING")
        act(world.dispatcher, appeal, "dispatch")  # accept due 9 Oct 10:00
    assert return_unaccepted(now=at(2025, 10, 9, 9, 59)) == 0
    assert return_unaccepted(now=at(2025, 10, 9, 10, 0)) == 1
    a = fresh(appeal)
    assert (a.status, a.lead_organisation_id, a.due_stage) == ("queued", None, "dispatch")
    assert a.stage_started_at == at(2025, 10, 9, 10, 0)
    event = AppealEvent.objects.filter(appeal_id=appeal.pk).order_by("-id").first()
    assert (event.kind, event.actor_id, event.actor_label) == ("return", None, "system")
    assert event.data["lead_organisation"] == world.housing.pk
    assert recipients(appeal, "returned_unaccepted") == {world.dispatcher.pk, world.dispatcher2.pk}
    # The worker wrote its note in Chinese; the timeline says it in the reader's language.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.dispatcher)
    html = client.get(reverse("workbench:appeal", args=[appeal.pk])).content.decode()
    assert "Not accepted within the time limit (due 2025-10-09 10:00)" in html
    assert return_unaccepted(now=at(2025, 10, 20, 10, 0)) == 0
    # An accepted appeal is never returned.
    other = bring_to(world, "in_progress")
    assert return_unaccepted(now=at(2030, 1, 1)) == 0
    assert fresh(other).status == "in_progress"


def test_a_revisit_nobody_made_closes_as_not_rated_after_the_grace_time(world, settings):
    settings.SUQIU = {**settings.SUQIU, "NOT_REACHED_GRACE_HOURS": 24}
    appeal = bring_to(world, "resolved")
    with clock.at(at(2025, 9, 29, 11, 0)):
        act(world.dispatcher, appeal, "verify")  # revisit due 10 Oct 11:00
    due = fresh(appeal).due_at
    assert due == at(2025, 10, 10, 11, 0)
    # At the due time the revisit is overdue (escalated), not yet closed.
    assert close_unreached(now=due + timedelta(hours=23)) == 0
    assert escalate_overdue(now=due + timedelta(hours=1)) == 1
    assert close_unreached(now=due + timedelta(hours=24)) == 1
    a = fresh(appeal)
    assert (a.status, a.satisfaction, a.revisit_resolved) == ("closed", None, None)
    assert a.closed_at == due + timedelta(hours=24)
    event = AppealEvent.objects.filter(appeal_id=appeal.pk).order_by("-id").first()
    assert (event.kind, event.actor_id, event.data["not_rated"]) == ("revisit", None, True)
    assert close_unreached(now=due + timedelta(days=30)) == 0


def test_revisit_reminder_goes_to_the_areas_operators_and_community_workers(world):
    appeal = bring_to(world, "resolved")
    with clock.at(at(2025, 9, 29, 11, 0)):
        act(world.dispatcher, appeal, "verify")
    assert remind_due(now=fresh(appeal).remind_at) == 1
    assert recipients(appeal, "due_soon") >= {world.operator.pk, world.community_worker.pk}
    assert world.community_worker_c3.pk not in recipients(appeal, "due_soon")


def test_a_batch_handles_at_most_its_size_and_the_next_sweep_the_rest(world):
    with clock.at(at(2025, 9, 29, 10, 0)):
        appeals = [new_appeal(world, title=f"第{i}件") for i in range(5)]
    later = at(2025, 10, 1, 0, 0)
    assert escalate_overdue(now=later, batch=2) == 2
    assert escalate_overdue(now=later, batch=2) == 2
    assert escalate_overdue(now=later, batch=2) == 1
    assert escalate_overdue(now=later, batch=2) == 0
    assert [kinds(a).count("escalate") for a in appeals] == [1] * 5


def test_a_stale_claim_writes_nothing(world):
    """The row matched when claimed but the appeal moved on: the service refuses, no event."""
    from suqiu.appeals import services

    with clock.at(at(2025, 9, 29, 10, 0)):
        appeal = new_appeal(world)
    with clock.at(at(2025, 9, 29, 10, 0)):
        assert services.appeal_escalate(appeal_id=appeal.pk, stage="dispatch") is None  # not due
    with clock.at(at(2025, 10, 1, 0, 0)):
        assert services.appeal_escalate(appeal_id=appeal.pk, stage="resolve") is None  # wrong stage
        assert services.appeal_escalate(appeal_id=appeal.pk, stage="dispatch") is not None
        assert services.appeal_escalate(appeal_id=appeal.pk, stage="dispatch") is None  # done
    assert kinds(appeal).count("escalate") == 1


# --- First contact ----------------------------------------------------------------------------------


def accepted(world):
    """In progress, accepted by ``world.handler`` on Monday 29 Sept 10:00: first contact due
    30 Sept 10:00 (one working day), reminder 29 Sept 17:36 (when 1.4 working hours remain)."""
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")
    a = fresh(appeal)
    assert a.first_contact_due_at == at(2025, 9, 30, 10, 0)
    assert a.first_contact_remind_at == at(2025, 9, 29, 17, 36)
    return a


def test_first_contact_reminder_goes_to_the_handler_once_before_the_due_time(world):
    appeal = accepted(world)
    assert remind_first_contact(now=at(2025, 9, 29, 17, 35)) == 0
    assert remind_first_contact(now=at(2025, 9, 29, 17, 36)) == 1
    # The lead person, as a stage reminder in progress.
    assert first_contact_recipients(appeal, "due_soon") == {world.handler.pk}
    message = OutboxMessage.objects.get(
        appeal_id=appeal.pk, kind="due_soon", channel="inapp", data__stage="first_contact"
    )
    assert (
        message.dedupe_key
        == f"remind:{appeal.pk}:first_contact:{appeal.first_contact_due_at.isoformat()}"
    )
    [event] = first_contact_events(appeal, "remind")
    assert (event.actor_id, event.actor_label, event.is_public) == (None, "system", False)
    assert (event.from_status, event.to_status) == ("in_progress", "in_progress")
    assert datetime.fromisoformat(event.data["first_contact_due_at"]) == at(2025, 9, 30, 10, 0)
    assert event.data["lead_person"] == world.handler.pk
    assert message.data["event_id"] == event.pk
    a = fresh(appeal)
    assert (a.first_contact_remind_at, a.first_contact_reminded) == (None, True)
    # The resolve stage's own reminder is untouched.
    assert a.remind_at is not None and a.reminded_for == ""
    # A second sweep finds nothing; the due time is still there for the page.
    assert remind_first_contact(now=at(2025, 9, 30, 9, 0)) == 0
    assert len(first_contact_events(appeal, "remind")) == 1
    assert a.first_contact_due_at == at(2025, 9, 30, 10, 0)


def test_no_first_contact_in_time_is_escalated_to_supervisors_once(world):
    appeal = accepted(world)
    due = appeal.first_contact_due_at
    assert escalate_first_contact(now=due - timedelta(minutes=1)) == 0
    assert escalate_first_contact(now=due + timedelta(minutes=5)) == 1
    [event] = first_contact_events(appeal, "escalate")
    assert (event.actor_id, event.is_public) == (None, False)
    assert datetime.fromisoformat(event.data["first_contact_due_at"]) == due
    assert event.data["overdue_seconds"] == 300
    # Not "due_at": the rate facts read that as the stage's due time (see the rates test below).
    assert "due_at" not in event.data
    # The same people as a stage's escalation: the district's dispatchers and S1's leader.
    assert first_contact_recipients(appeal, "escalated") == {
        world.dispatcher.pk,
        world.dispatcher2.pk,
        world.leader.pk,
    }
    a = fresh(appeal)
    assert (a.first_contact_escalate_at, a.first_contact_escalated) == (None, True)
    assert a.escalated_for == ""  # the resolve stage (due 13 Oct) is not overdue
    assert escalate_overdue(now=due + timedelta(minutes=5)) == 0
    assert escalate_first_contact(now=due + timedelta(days=3)) == 0
    assert kinds(appeal).count("escalate") == 1


def test_contact_in_time_means_neither_first_contact_reminder_nor_escalation(world):
    appeal = accepted(world)
    with clock.at(at(2025, 9, 29, 15, 0)):
        act(world.handler, appeal, "note", text="已电话联系居民，约好明早上门")
    a = fresh(appeal)
    assert (a.first_contact_due_at, a.first_contact_remind_at, a.first_contact_escalate_at) == (
        None,
        None,
        None,
    )
    later = at(2025, 10, 20, 9, 0)
    assert remind_first_contact(now=later) == 0
    assert escalate_first_contact(now=later) == 0
    assert first_contact_events(appeal, "remind") == []
    assert first_contact_events(appeal, "escalate") == []
    assert first_contact_recipients(appeal, "due_soon") == set()
    assert first_contact_recipients(appeal, "escalated") == set()


def test_contact_after_the_reminder_still_prevents_the_escalation(world):
    appeal = accepted(world)
    assert remind_first_contact(now=at(2025, 9, 29, 17, 40)) == 1
    with clock.at(at(2025, 9, 30, 9, 30)):
        act(world.handler, appeal, "request_resources", text="需要物业配合开门")
    assert escalate_first_contact(now=at(2025, 9, 30, 10, 5)) == 0
    assert first_contact_events(appeal, "escalate") == []


def test_a_reminder_the_worker_reaches_after_the_due_time_is_left_to_the_escalation(world):
    appeal = accepted(world)
    late = appeal.first_contact_due_at + timedelta(hours=1)
    # Claimed (the worker was down), but nothing is sent: the due time has passed.
    assert remind_first_contact(now=late) == 1
    assert first_contact_events(appeal, "remind") == []
    assert first_contact_recipients(appeal, "due_soon") == set()
    assert fresh(appeal).first_contact_remind_at is None
    assert remind_first_contact(now=late) == 0
    assert escalate_first_contact(now=late) == 1
    assert len(first_contact_events(appeal, "escalate")) == 1


def test_the_first_contact_services_write_nothing_before_time_or_twice(world):
    from suqiu.appeals import services

    appeal = accepted(world)
    with clock.at(at(2025, 9, 29, 17, 0)):
        assert services.appeal_remind_first_contact(appeal_id=appeal.pk) is None  # not yet
    with clock.at(at(2025, 9, 30, 9, 0)):
        assert services.appeal_escalate_first_contact(appeal_id=appeal.pk) is None  # not yet
        assert services.appeal_remind_first_contact(appeal_id=appeal.pk) is not None
        assert services.appeal_remind_first_contact(appeal_id=appeal.pk) is None  # done
    with clock.at(at(2025, 9, 30, 11, 0)):
        assert services.appeal_escalate_first_contact(appeal_id=appeal.pk) is not None
        assert services.appeal_escalate_first_contact(appeal_id=appeal.pk) is None  # done
    assert kinds(appeal).count("remind") == 1
    assert kinds(appeal).count("escalate") == 1


def test_a_suspended_first_contact_waits_and_resume_gives_it_its_time_left(world):
    appeal = accepted(world)  # first contact due 30 Sept 10:00
    with clock.at(at(2025, 9, 29, 11, 0)):  # 6 working hours left
        act(world.dispatcher, appeal, "suspend", reason="等待业主回国")
    a = fresh(appeal)
    assert (a.first_contact_remind_at, a.first_contact_escalate_at) == (None, None)
    assert remind_first_contact(now=at(2025, 10, 9, 9, 0)) == 0
    assert escalate_first_contact(now=at(2025, 10, 9, 9, 0)) == 0
    with clock.at(at(2025, 10, 9, 9, 0)):
        act(world.leader, appeal, "resume")
    a = fresh(appeal)
    assert a.first_contact_due_at == at(2025, 10, 9, 17, 0)  # 9-12, 14-17
    assert a.first_contact_remind_at == at(2025, 10, 9, 15, 36)
    assert escalate_first_contact(now=at(2025, 10, 9, 9, 0)) == 0  # not overdue on resuming
    assert remind_first_contact(now=at(2025, 10, 9, 15, 36)) == 1
    assert escalate_first_contact(now=at(2025, 10, 9, 16, 59)) == 0
    assert escalate_first_contact(now=at(2025, 10, 9, 17, 0)) == 1
    [event] = first_contact_events(appeal, "escalate")
    assert event.created_at == at(2025, 10, 9, 17, 0)


def test_leaving_in_progress_clears_the_first_contact_timers(world):
    appeal = accepted(world)
    with clock.at(at(2025, 9, 29, 11, 0)):
        act(world.handler, appeal, "return", reason="不属于本部门职责")
    a = fresh(appeal)
    assert a.status == "queued"
    assert (a.first_contact_due_at, a.first_contact_remind_at, a.first_contact_escalate_at) == (
        None,
        None,
        None,
    )
    assert remind_first_contact(now=at(2025, 10, 20)) == 0
    assert escalate_first_contact(now=at(2025, 10, 20)) == 0


def test_a_first_contact_escalation_leaves_the_on_time_rates_alone(world):
    """Its event names ``first_contact_due_at``: the rate facts, which read ``due_at`` in any
    event as the stage's due time in force, still judge the resolution against 13 October."""
    appeal = accepted(world)
    escalate_first_contact(now=at(2025, 9, 30, 11, 0))
    with clock.at(at(2025, 10, 10, 10, 0)):
        act(world.handler, appeal, "resolve", public_reply="已修好")
    fact = RateFact.objects.get(appeal_id=appeal.pk)
    assert (fact.resolve_done, fact.resolve_timed, fact.resolve_on_time) == (1, 1, 1)
