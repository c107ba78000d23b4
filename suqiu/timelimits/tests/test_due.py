"""Due times set by the services at every status change, on fixed dates around National Day
2025 (1–8 October off; Sunday 28 September and Saturday 11 October worked). Default working
hours: 09:00–12:00, 14:00–18:00 (7 h); the shipped default policies (data migration)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from suqiu.appeals.models import Appeal, AppealEvent
from suqiu.appeals.tests.chain import act, bring_to, new_appeal
from suqiu.core import clock
from suqiu.core.errors import ValidationFailed
from suqiu.timelimits.models import CalendarOverride, TimeLimitPolicy
from suqiu.timelimits.policies import limits_for

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def fresh(appeal) -> Appeal:
    return Appeal.objects.get(pk=appeal.pk)


def last_event(appeal) -> AppealEvent:
    return AppealEvent.objects.filter(appeal_id=appeal.pk).order_by("-id").first()


def parse(iso):
    return datetime.fromisoformat(iso) if iso else None


def test_a_new_appeal_gets_the_dispatch_limit_and_its_event_says_so(world):
    with clock.at(at(2025, 9, 29, 10, 0)):
        appeal = new_appeal(world)
    a = fresh(appeal)
    # normal: dispatch 24 h around the clock; reminder when 20% (4.8 h) remain.
    assert a.due_stage == "dispatch"
    assert a.stage_started_at == at(2025, 9, 29, 10, 0)
    assert a.due_at == at(2025, 9, 30, 10, 0)
    assert a.remind_at == at(2025, 9, 30, 5, 12)
    assert a.escalate_at == a.due_at
    created = last_event(appeal)
    assert created.kind == "created"
    assert parse(created.data["due_at"]) == a.due_at
    assert created.data["stage"] == "dispatch"


def test_an_emergency_is_due_in_an_hour(world):
    with clock.at(at(2025, 10, 3, 22, 0)):  # a holiday night: natural hours still count
        appeal = new_appeal(world, urgency="emergency")
    assert fresh(appeal).due_at == at(2025, 10, 3, 23, 0)


def test_assessment_retimes_the_running_stage_from_its_start(world):
    with clock.at(at(2025, 9, 29, 10, 0)):
        appeal = new_appeal(world)
    with clock.at(at(2025, 9, 29, 10, 30)):
        act(world.dispatcher, appeal, "assess", category="HOUSING", urgency="urgent")
    a = fresh(appeal)
    assert a.due_stage == "dispatch"
    assert a.due_at == at(2025, 9, 29, 12, 0)  # urgent: 2 h from reception, not from assessment
    event = last_event(appeal)
    assert event.kind == "assess"
    assert parse(event.data["due_at"]) == at(2025, 9, 29, 12, 0)
    assert parse(event.data["old_due_at"]) == at(2025, 9, 30, 10, 0)


def test_dispatch_starts_the_accept_limit_in_working_time_over_the_holiday(world):
    appeal = new_appeal(world)
    with clock.at(at(2025, 9, 30, 10, 0)):
        act(world.dispatcher, appeal, "assess", category="HOUSING")
        act(world.dispatcher, appeal, "dispatch")
    a = fresh(appeal)
    # One working day (7 h): 6 h on the 30th, the holiday, 1 h on 9 October.
    assert (a.due_stage, a.due_at) == ("accept", at(2025, 10, 9, 10, 0))
    assert a.due_working is True
    # After 80% of 7 h (5.6 working hours: 10:00-12:00, 14:00-17:36): 30 Sept 17:36.
    assert a.remind_at == at(2025, 9, 30, 17, 36)
    assert a.escalate_at is None  # not accepted in time → returned, not escalated
    event = last_event(appeal)
    assert event.kind == "dispatch" and event.data["stage"] == "accept"
    assert parse(event.data["due_at"]) == a.due_at


def test_accept_starts_resolve_and_first_contact_and_a_note_meets_first_contact(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")
    a = fresh(appeal)
    # 5 working days = 35 h: 29th 6, 30th 7, 9 Oct 7, 10th 7, Saturday 11th 7 (adjusted) = 34,
    # 1 h on Monday 13 October.
    assert (a.due_stage, a.due_at) == ("resolve", at(2025, 10, 13, 10, 0))
    assert a.first_contact_due_at == at(2025, 9, 30, 10, 0)  # 1 working day
    assert parse(last_event(appeal).data["first_contact_due_at"]) == a.first_contact_due_at
    with clock.at(at(2025, 9, 29, 15, 0)):
        act(world.handler, appeal, "note", text="已电话联系居民")
    a = fresh(appeal)
    assert a.first_contact_due_at is None
    assert a.due_at == at(2025, 10, 13, 10, 0)  # the resolve due time did not move
    assert last_event(appeal).data["first_contact"] is True


def test_first_contact_gets_its_reminder_and_escalation_times_and_contact_clears_them(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")
    a = fresh(appeal)
    # Reminded when 20% of the working day (1.4 h) remain: 30 Sept 09:00 back to 29 Sept 17:36.
    assert a.first_contact_remind_at == at(2025, 9, 29, 17, 36)
    assert a.first_contact_escalate_at == a.first_contact_due_at == at(2025, 9, 30, 10, 0)
    assert (a.first_contact_reminded, a.first_contact_escalated) == (False, False)
    with clock.at(at(2025, 9, 29, 15, 0)):
        act(world.handler, appeal, "request_resources", text="需要高空作业车")
    a = fresh(appeal)
    assert (a.first_contact_due_at, a.first_contact_remind_at, a.first_contact_escalate_at) == (
        None,
        None,
        None,
    )
    assert last_event(appeal).data["first_contact"] is True


def test_suspension_stops_the_first_contact_clock_and_resume_restores_its_time_left(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")  # first contact due 30 Sept 10:00 (7 working h)
    with clock.at(at(2025, 9, 29, 11, 0)):  # 6 working hours left: 11-12, 14-18, 9-10
        act(world.dispatcher, appeal, "suspend", reason="等待业主回复")
    a = fresh(appeal)
    assert (a.first_contact_remind_at, a.first_contact_escalate_at) == (None, None)
    assert a.first_contact_paused_remaining == pytest.approx(6)
    assert last_event(appeal).data["first_contact_paused_remaining_hours"] == pytest.approx(6)
    with clock.at(at(2025, 9, 29, 12, 0)):  # lunch: the 6 h run 14-18 and 30 Sept 9-11
        act(world.leader, appeal, "resume")
    a = fresh(appeal)
    assert a.first_contact_due_at == at(2025, 9, 30, 11, 0)
    assert a.first_contact_paused_remaining is None
    assert parse(last_event(appeal).data["first_contact_due_at"]) == a.first_contact_due_at
    # Reminded when 1.4 working hours remain; escalated at the due time.
    assert a.first_contact_remind_at == at(2025, 9, 30, 9, 36)
    assert a.first_contact_escalate_at == at(2025, 9, 30, 11, 0)
    # Suspended again after the reminder was sent: resume does not remind twice.
    with clock.at(at(2025, 9, 30, 9, 40)):
        from suqiu.appeals import services

        assert services.appeal_remind_first_contact(appeal_id=appeal.pk) is not None
        act(world.dispatcher, appeal, "suspend", reason="等待业主回复")
    assert fresh(appeal).first_contact_paused_remaining == pytest.approx(80 / 60)
    with clock.at(at(2025, 10, 9, 17, 0)):  # 1 h 20 min: 17-18, then 10 Oct 9:00-9:20
        act(world.leader, appeal, "resume")
    a = fresh(appeal)
    assert a.first_contact_due_at == at(2025, 10, 10, 9, 20)
    assert (a.first_contact_reminded, a.first_contact_remind_at) == (True, None)
    assert a.first_contact_escalate_at == at(2025, 10, 10, 9, 20)


def test_a_first_contact_overdue_when_suspended_stays_overdue_by_as_much(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")
    with clock.at(at(2025, 9, 30, 11, 0)):  # an hour past the first-contact due time
        act(world.dispatcher, appeal, "suspend", reason="x")
    assert fresh(appeal).first_contact_paused_remaining == pytest.approx(-1)
    with clock.at(at(2025, 10, 9, 9, 0)):
        act(world.leader, appeal, "resume")
    a = fresh(appeal)
    assert a.first_contact_due_at == at(2025, 10, 9, 8, 0)
    assert a.first_contact_escalate_at == at(2025, 10, 9, 8, 0)
    assert a.first_contact_remind_at is None


def test_contact_made_while_suspended_ends_the_paused_first_contact_clock(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")
    with clock.at(at(2025, 9, 29, 11, 0)):
        act(world.dispatcher, appeal, "suspend", reason="等待业主回复")
    with clock.at(at(2025, 9, 29, 15, 0)):
        act(world.handler, appeal, "note", text="已电话联系居民，说明暂缓原因")
    a = fresh(appeal)
    assert (a.first_contact_due_at, a.first_contact_paused_remaining) == (None, None)
    assert last_event(appeal).data["first_contact"] is True
    with clock.at(at(2025, 9, 29, 16, 0)):
        act(world.leader, appeal, "resume")
    a = fresh(appeal)
    assert (a.first_contact_due_at, a.first_contact_escalate_at) == (None, None)


def test_suspension_stops_the_clock_and_resume_restores_the_working_time_left(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")  # due 13 Oct 10:00 (35 working hours)
    with clock.at(at(2025, 9, 30, 10, 0)):  # 7 working hours used, 28 left
        act(world.dispatcher, appeal, "suspend", reason="等待业主回复")
    a = fresh(appeal)
    assert a.status == "suspended"
    assert a.due_at is None and a.remind_at is None and a.escalate_at is None
    assert a.paused_remaining == pytest.approx(28)
    assert a.due_stage == "resolve"
    suspend = last_event(appeal)
    assert suspend.data["due_at"] is None
    assert suspend.data["paused_remaining_hours"] == pytest.approx(28)
    with clock.at(at(2025, 10, 10, 9, 0)):
        act(world.leader, appeal, "resume")
    a = fresh(appeal)
    # 28 h from Friday 10 Oct 09:00: 10th 7, 11th (adjusted Saturday) 7, 13th 7, 14th 7.
    assert (a.status, a.due_stage) == ("in_progress", "resolve")
    assert a.due_at == at(2025, 10, 14, 18, 0)
    assert a.paused_remaining is None
    assert parse(last_event(appeal).data["due_at"]) == a.due_at


def test_an_appeal_overdue_when_suspended_stays_overdue_by_as_much(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")
    due = fresh(appeal).due_at
    with clock.at(due + timedelta(hours=3)):
        act(world.dispatcher, appeal, "suspend", reason="x")
    assert fresh(appeal).paused_remaining < 0
    with clock.at(at(2025, 11, 3, 9, 0)):
        act(world.leader, appeal, "resume")
    a = fresh(appeal)
    assert a.due_at < at(2025, 11, 3, 9, 0)


def test_an_approved_extension_moves_the_due_time_and_the_reminder(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")
    old_due = fresh(appeal).due_at
    with clock.at(at(2025, 10, 10, 9, 0)):
        act(world.handler, appeal, "request_extension", days=3, reason="等配件")
        act(world.dispatcher, appeal, "approve_extension", note="同意")
    a = fresh(appeal)
    assert a.due_at == old_due + timedelta(days=3)
    assert a.escalate_at == a.due_at
    assert a.remind_at is not None and a.remind_at < a.due_at
    event = last_event(appeal)
    assert event.kind == "approve_extension"
    assert parse(event.data["old_due_at"]) == old_due
    assert parse(event.data["due_at"]) == a.due_at
    assert event.data["stage"] == "resolve"


def test_an_extension_approved_while_suspended_lengthens_the_time_left(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")  # due 13 Oct 10:00 (working time)
        act(world.handler, appeal, "request_extension", days=1, reason="等配件")  # 14 Oct 10:00
    with clock.at(at(2025, 9, 30, 10, 0)):
        act(world.dispatcher, appeal, "suspend", reason="x")
        act(world.dispatcher, appeal, "approve_extension")
    a = fresh(appeal)
    assert a.due_at is None
    assert a.paused_remaining == pytest.approx(28 + 7)  # one more working day
    with clock.at(at(2025, 10, 10, 9, 0)):
        act(world.leader, appeal, "resume")
    assert fresh(appeal).due_at == at(2025, 10, 15, 18, 0)


def test_a_note_or_a_denied_extension_while_suspended_keeps_the_paused_clock(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "accept")  # due 13 Oct 10:00 (35 working hours)
        act(world.handler, appeal, "request_extension", days=1, reason="等配件")
    with clock.at(at(2025, 9, 30, 10, 0)):  # 28 working hours left
        act(world.dispatcher, appeal, "suspend", reason="等待业主回复")
    with clock.at(at(2025, 10, 9, 10, 0)):
        act(world.handler, appeal, "note", text="业主仍在外地")
        act(world.dispatcher, appeal, "deny_extension", reason="挂起期间不延期")
    a = fresh(appeal)
    assert (a.status, a.due_stage, a.due_at) == ("suspended", "resolve", None)
    assert a.paused_remaining == pytest.approx(28)
    with clock.at(at(2025, 10, 10, 9, 0)):
        act(world.leader, appeal, "resume")
    # As if nothing had happened while suspended: 28 h from Friday 10 Oct 09:00.
    assert fresh(appeal).due_at == at(2025, 10, 14, 18, 0)


def test_the_rest_of_the_chain(world):
    appeal = bring_to(world, "in_progress")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "resolve", public_reply="已修好")
    a = fresh(appeal)
    assert (a.due_stage, a.due_at, a.remind_at, a.escalate_at) == ("", None, None, None)
    with clock.at(at(2025, 9, 29, 11, 0)):
        act(world.dispatcher, appeal, "verify")
    a = fresh(appeal)
    # Revisit: 3 working days = 21 h from 29 Sept 11:00: 5 + 7 + 7 (9 Oct) + 2 → 10 Oct 11:00.
    assert (a.due_stage, a.due_at) == ("revisit", at(2025, 10, 10, 11, 0))
    with clock.at(at(2025, 9, 30, 9, 0)):
        act(world.operator, appeal, "revisit", satisfaction=1, was_resolved=False)
    a = fresh(appeal)
    # Unsatisfied: back to rework with a fresh resolve limit.
    assert (a.status, a.due_stage, a.stage_started_at) == (
        "in_progress",
        "resolve",
        at(2025, 9, 30, 9, 0),
    )
    act(world.handler, appeal, "resolve", public_reply="再次修好")
    act(world.dispatcher, appeal, "verify")
    act(world.resident, appeal, "revisit", satisfaction=5, was_resolved=True)
    a = fresh(appeal)
    assert (a.status, a.due_stage, a.due_at) == ("closed", "", None)


def test_returning_starts_the_dispatch_limit_again(world):
    appeal = bring_to(world, "dispatched")
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.handler, appeal, "return", reason="不归我们")
    a = fresh(appeal)
    assert (a.status, a.due_stage, a.due_at) == ("queued", "dispatch", at(2025, 9, 30, 10, 0))
    assert (a.reminded_for, a.escalated_for) == ("", "")


def test_the_most_specific_policy_wins(world):
    TimeLimitPolicy.objects.create(
        category=world.cat_road, urgency="normal", resolve_limit=1, resolve_unit="work_days"
    )
    road = limits_for(category_path=world.cat_road.path, urgency="normal")
    pothole = limits_for(category_path=world.cat_pothole.path, urgency="normal")
    housing = limits_for(category_path=world.cat_housing.path, urgency="normal")
    assert road.of("resolve") == (1.0, "work_days")
    assert road.of("dispatch") is None  # the category's own row: empty means no limit
    assert pothole.of("resolve") == (1.0, "work_days")  # inherited from ROAD
    assert housing.of("resolve") == (5.0, "work_days")  # the default row
    assert limits_for(category_path=None, urgency="urgent").of("dispatch") == (2.0, "hours")
    TimeLimitPolicy.objects.create(
        category=world.cat_pothole, urgency="normal", resolve_limit=4, resolve_unit="hours"
    )
    assert limits_for(category_path=world.cat_pothole.path, urgency="normal").of("resolve") == (
        4.0,
        "hours",
    )


def test_without_any_policy_row_the_shipped_defaults_apply(world):
    TimeLimitPolicy.objects.all().delete()
    with clock.at(at(2025, 9, 29, 10, 0)):
        appeal = new_appeal(world, urgency="urgent")
    assert fresh(appeal).due_at == at(2025, 9, 29, 12, 0)


def test_a_category_policy_is_used_for_its_appeals(world):
    TimeLimitPolicy.objects.create(
        category=world.cat_road, urgency="normal", accept_limit=2, accept_unit="hours"
    )
    appeal = new_appeal(world)
    with clock.at(at(2025, 9, 29, 10, 0)):
        act(world.dispatcher, appeal, "assess", category="ROAD.POTHOLE")
        act(world.dispatcher, appeal, "dispatch")
    assert fresh(appeal).due_at == at(2025, 9, 29, 12, 0)


def test_a_local_day_off_moves_working_due_times(world):
    CalendarOverride.objects.create(date=at(2025, 10, 9).date(), is_workday=False, note="台风")
    appeal = new_appeal(world)
    with clock.at(at(2025, 9, 30, 10, 0)):
        act(world.dispatcher, appeal, "assess", category="HOUSING")
        act(world.dispatcher, appeal, "dispatch")
    assert fresh(appeal).due_at == at(2025, 10, 10, 10, 0)


def test_not_rated_closes_without_a_rating(world):
    appeal = bring_to(world, "verified")
    with pytest.raises(ValidationFailed) as info:
        act(world.operator, appeal, "revisit", not_rated=True, satisfaction=3)
    assert "satisfaction" in info.value.fields
    act(world.operator, appeal, "revisit", not_rated=True, comment="三次电话未接")
    a = fresh(appeal)
    assert (a.status, a.satisfaction, a.revisit_resolved) == ("closed", None, None)
    event = last_event(appeal)
    assert event.kind == "revisit" and event.data["not_rated"] is True
    assert event.reason == "三次电话未接"
