"""The write path as a specification: what each service changes and the event it leaves behind.

Every work-chain action writes exactly one ``AppealEvent`` (merge also writes ``merged_in`` on
the main appeal) in the same transaction as the change; invalid input writes nothing at all.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone, translation

from suqiu.appeals import services, workflow
from suqiu.appeals.models import Appeal, AppealEvent, EventKind, IdempotencyKey
from suqiu.appeals.tests.chain import act, actor, bring_to, new_appeal
from suqiu.appeals.tracking import ALPHABET
from suqiu.appeals.workflow import InvalidTransition, NotAllowed
from suqiu.core import clock
from suqiu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from suqiu.core.testing import G1_POINT, G2_POINT, G4_POINT, OUTSIDE_POINT
from suqiu.directory.models import Organisation

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)


def row(appeal: Appeal) -> dict:
    """Every stored field of the appeal, fresh from the database, co-handlers included."""
    fresh = Appeal.objects.get(pk=appeal.pk)
    data = model_to_dict(fresh)
    data["co_handlers"] = sorted(fresh.co_handlers.values_list("pk", flat=True))
    for name in ("created_at", "updated_at", "closed_at", "tracking_code", "version"):
        data[name] = getattr(fresh, name)
    return data


def events_of(appeal: Appeal) -> list[AppealEvent]:
    return list(AppealEvent.objects.filter(appeal_id=appeal.pk).order_by("created_at", "id"))


# --- The happy path -------------------------------------------------------------------------------


def test_the_eight_steps_from_intake_to_closure(world):
    """Collect → assess → queue → dispatch → accept → follow up → coordinate → resolve →
    verify → revisit, each step by the person whose job it is, each leaving one event."""
    appeal = new_appeal(world, point=G1_POINT)
    assert (appeal.grid, appeal.area, appeal.status) == (world.g1, world.c1, "received")
    act(world.community_worker, appeal, "assess", category="HOUSING", urgency="urgent")
    act(world.community_worker, appeal, "queue")
    act(world.dispatcher, appeal, "dispatch", co_handlers=[world.roads.pk])
    act(world.handler, appeal, "accept")
    act(world.handler, appeal, "note", text="已上门查看", public=True)
    act(world.roads_handler, appeal, "request_resources", text="需要封路", resources=["交警"])
    act(world.handler, appeal, "resolve", public_reply="已更换灯泡")
    act(world.community_worker, appeal, "verify")
    act(world.resident, appeal, "revisit", satisfaction=5, was_resolved=True)
    stored = row(appeal)
    assert stored["status"] == "closed"
    assert stored["closed_at"] is not None
    trail = events_of(appeal)
    assert [(e.kind, e.from_status, e.to_status) for e in trail] == [
        ("created", "", "received"),
        ("assess", "received", "assessed"),
        ("queue", "assessed", "queued"),
        ("dispatch", "queued", "dispatched"),
        ("accept", "dispatched", "in_progress"),
        ("note", "in_progress", "in_progress"),
        ("request_resources", "in_progress", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("verify", "resolved", "verified"),
        ("revisit", "verified", "closed"),
    ]
    assert stored["version"] == len(trail)
    # What the reporter may follow publicly: everything but the resource request.
    assert [e.kind for e in trail if e.is_public] == [
        "created",
        "assess",
        "queue",
        "dispatch",
        "accept",
        "note",
        "resolve",
        "verify",
        "revisit",
    ]


# --- Each action: one event, with actor, statuses, reason and data --------------------------------

# (start status, who acts, action, payload(world), status after, reason, data subset(world))
ACTIONS = [
    (
        "received",
        "dispatcher",
        "assess",
        lambda w: {"category": "HOUSING", "urgency": "urgent", "note": "看过现场"},
        "assessed",
        "看过现场",
        lambda w: {
            "old": {"category": None, "urgency": "normal"},
            "new": {"category": "HOUSING", "urgency": "urgent"},
        },
    ),
    (
        "received",
        "community_worker",
        "reject",
        lambda w: {"reason": "不属于受理范围"},
        "rejected",
        "不属于受理范围",
        lambda w: {},
    ),
    (
        "assessed",
        "dispatcher",
        "queue",
        lambda w: {"claimable": True, "note": "入库"},
        "queued",
        "入库",
        lambda w: {"claimable": True},
    ),
    (
        "assessed",
        "dispatcher",
        "dispatch",
        lambda w: {
            "lead_organisation": w.roads.pk,
            "co_handlers": [w.housing.pk],
            "note": "请处理",
        },
        "dispatched",
        "请处理",
        lambda w: {
            "lead_organisation": w.roads.pk,
            "lead_person": None,
            "co_handlers": [w.housing.pk],
        },
    ),
    ("dispatched", "handler", "accept", lambda w: {"note": "收到"}, "in_progress", "收到", None),
    (
        "dispatched",
        "handler",
        "return",
        lambda w: {"reason": "不归住建管"},
        "queued",
        "不归住建管",
        lambda w: {"lead_organisation": w.housing.pk, "lead_person": None, "claimed_by": None},
    ),
    (
        "in_progress",
        "handler",
        "note",
        lambda w: {"text": "已电话联系", "public": True},
        "in_progress",
        "已电话联系",
        None,
    ),
    (
        "in_progress",
        "handler",
        "request_resources",
        lambda w: {"text": "需要慈善资金", "resources": ["慈善基金"]},
        "in_progress",
        "需要慈善资金",
        lambda w: {"resources": ["慈善基金"]},
    ),
    (
        "in_progress",
        "handler",
        "resolve",
        lambda w: {"public_reply": "已更换灯泡", "internal_note": "物业配合"},
        "resolved",
        "物业配合",
        None,
    ),
    (
        "resolved",
        "dispatcher",
        "verify",
        lambda w: {"note": "现场核查"},
        "verified",
        "现场核查",
        None,
    ),
    (
        "resolved",
        "community_worker",
        "send_back",
        lambda w: {"reason": "灯还是不亮"},
        "in_progress",
        "灯还是不亮",
        lambda w: {"rework_count": 1},
    ),
    (
        "verified",
        "resident",
        "revisit",
        lambda w: {"satisfaction": 4, "was_resolved": True, "comment": "谢谢"},
        "closed",
        "谢谢",
        lambda w: {"satisfaction": 4, "was_resolved": True, "by_reporter": True, "rework": False},
    ),
    (
        "in_progress",
        "leader",
        "suspend",
        lambda w: {"reason": "等待业主"},
        "suspended",
        "等待业主",
        lambda w: {"suspended_from": "in_progress"},
    ),
    (
        "suspended",
        "dispatcher",
        "resume",
        lambda w: {"reason": "业主回来了"},
        "in_progress",
        "业主回来了",
        None,
    ),
    (
        "in_progress",
        "handler",
        "request_extension",
        lambda w: {"days": 3, "reason": "等材料"},
        "in_progress",
        "等材料",
        None,
    ),
    (
        "extension_pending",
        "dispatcher",
        "approve_extension",
        lambda w: {"note": "同意"},
        "in_progress",
        "同意",
        lambda w: {"stage": "resolve"},
    ),
    (
        "extension_pending",
        "leader",
        "deny_extension",
        lambda w: {"reason": "按时完成"},
        "in_progress",
        "按时完成",
        None,
    ),
]


def _start(world, start: str) -> Appeal:
    """``bring_to`` plus one more state: in progress with an extension request pending."""
    if start != "extension_pending":
        return bring_to(world, start)
    appeal = bring_to(world, "in_progress")
    act(world.handler, appeal, "request_extension", days=2, reason="等材料")
    return Appeal.objects.get(pk=appeal.pk)


@pytest.mark.parametrize(
    "start,who,action,payload,after,reason,data", ACTIONS, ids=[a[2] for a in ACTIONS]
)
def test_each_action_writes_exactly_one_event(
    world, start, who, action, payload, after, reason, data
):
    appeal = _start(world, start)
    before = row(appeal)
    n_before = AppealEvent.objects.count()
    user = getattr(world, who)

    returned = act(user, appeal, action, **payload(world))

    assert AppealEvent.objects.count() == n_before + 1
    event = events_of(appeal)[-1]
    assert event.kind == action
    assert event.actor_id == user.pk
    assert event.actor_label == str(user)
    assert event.from_status == (start if start != "extension_pending" else "in_progress")
    assert event.to_status == after
    assert event.reason == reason
    if data is not None:
        assert data(world).items() <= event.data.items()
    stored = row(appeal)
    assert stored["status"] == after == returned.status
    assert stored["version"] == before["version"] + 1
    assert stored["updated_at"] == event.created_at


def test_dispatch_defaults_to_the_categorys_organisation(world):
    appeal = bring_to(world, "assessed")  # category HOUSING
    act(world.dispatcher, appeal, "dispatch")
    stored = row(appeal)
    assert stored["lead_organisation"] == world.housing.pk
    assert stored["co_handlers"] == []
    event = events_of(appeal)[-1]
    assert event.public_text == world.housing.name
    assert event.data["lead_organisation"] == world.housing.pk


def test_dispatch_to_a_person_takes_their_organisation(world):
    appeal = bring_to(world, "assessed")
    act(world.dispatcher, appeal, "dispatch", lead_person=world.roads_handler.pk)
    stored = row(appeal)
    assert stored["lead_person"] == world.roads_handler.pk
    assert stored["lead_organisation"] == world.roads.pk


def test_dispatch_to_a_resident_is_refused(world):
    """A resident as lead person could neither see the case nor be supervised."""
    appeal = bring_to(world, "assessed")
    before = row(appeal)
    with pytest.raises(ValidationFailed) as info:
        act(world.dispatcher, appeal, "dispatch", lead_person=world.resident2.pk)
    assert "lead_person" in info.value.fields
    assert row(appeal) == before


def test_dispatch_to_a_volunteer_in_person(world):
    appeal = bring_to(world, "assessed")
    act(world.dispatcher, appeal, "dispatch", lead_person=world.volunteer.pk)
    stored = row(appeal)
    assert (stored["lead_person"], stored["lead_organisation"]) == (
        world.volunteer.pk,
        world.vol_org.pk,
    )
    # The other volunteers of the organisation are not its staff: only the chosen one accepts
    # (the others cannot even see the appeal).
    with pytest.raises(NotFound):
        act(world.volunteer2, appeal, "accept")
    act(world.volunteer, appeal, "accept")


def test_dispatch_without_a_default_organisation_needs_one(world):
    appeal = new_appeal(world)
    act(world.dispatcher, appeal, "assess", category="ELDERLY")
    with pytest.raises(ValidationFailed) as info:
        act(world.dispatcher, appeal, "dispatch")
    assert "lead_organisation" in info.value.fields
    assert row(appeal)["status"] == "assessed"


def test_dispatch_replaces_co_handlers_and_clears_a_claim(world):
    appeal = bring_to(world, "assessed")
    act(world.dispatcher, appeal, "dispatch", co_handlers=[world.roads.pk, world.vol_org.pk])
    assert row(appeal)["co_handlers"] == sorted([world.roads.pk, world.vol_org.pk])
    act(world.handler, appeal, "return", reason="转交")
    act(world.dispatcher, appeal, "dispatch", lead_organisation=world.roads.pk, co_handlers="")
    stored = row(appeal)
    assert stored["co_handlers"] == []
    assert stored["lead_organisation"] == world.roads.pk
    assert stored["lead_person"] is None


def test_accept_makes_the_acceptor_the_lead_person(world):
    appeal = bring_to(world, "dispatched")
    act(world.handler2, appeal, "accept")
    assert row(appeal)["lead_person"] == world.handler2.pk
    with pytest.raises(InvalidTransition):
        act(world.handler, appeal, "accept")


def test_co_handler_may_not_accept(world):
    appeal = bring_to(world, "assessed")
    act(world.dispatcher, appeal, "dispatch", co_handlers=[world.roads.pk])
    with pytest.raises(NotAllowed):
        act(world.roads_handler, appeal, "accept")
    act(world.roads_handler, appeal, "note", text="协办意见")
    assert events_of(appeal)[-1].kind == "note"


def test_return_clears_the_handler(world):
    appeal = bring_to(world, "assessed")
    act(world.dispatcher, appeal, "dispatch", co_handlers=[world.roads.pk])
    act(world.handler, appeal, "accept")
    act(world.handler, appeal, "request_extension", days=2, reason="等材料")
    act(world.handler, appeal, "return", reason="派错了")
    stored = row(appeal)
    assert stored["status"] == "queued"
    assert stored["lead_organisation"] is None
    assert stored["lead_person"] is None
    assert stored["claimed_by"] is None
    assert stored["co_handlers"] == []
    assert stored["extension_requested_until"] is None
    event = events_of(appeal)[-1]
    assert {
        "lead_organisation": world.housing.pk,
        "lead_person": world.handler.pk,
        "claimed_by": None,
        "stage": "dispatch",  # the clock starts again (suqiu/timelimits/due.py)
    }.items() <= event.data.items()
    # The handler who returned it can no longer act on it.
    fresh = Appeal.objects.get(pk=appeal.pk)
    assert workflow.allowed_actions(services.facts_of(fresh), actor(world.handler)) == []


def test_claim_makes_the_volunteer_the_lead(world):
    appeal = bring_to(world, "assessed")
    act(world.dispatcher, appeal, "queue", claimable=True)
    act(world.volunteer, appeal, "claim", note="我来")
    stored = row(appeal)
    assert stored["status"] == "in_progress"
    assert stored["claimed_by"] == stored["lead_person"] == world.volunteer.pk
    assert stored["is_claimable"] is False
    with pytest.raises(InvalidTransition):
        act(world.volunteer2, appeal, "claim")
    act(world.volunteer, appeal, "resolve", public_reply="已帮忙找到房源")
    assert row(appeal)["resolved_by"] == world.volunteer.pk


def test_a_claimed_task_given_back_is_open_for_claiming_again(world):
    appeal = bring_to(world, "assessed")
    act(world.dispatcher, appeal, "queue", claimable=True)
    act(world.volunteer, appeal, "claim")
    act(world.volunteer, appeal, "return", reason="这周没空")
    stored = row(appeal)
    assert stored["status"] == "queued"
    assert stored["is_claimable"] is True
    assert stored["claimed_by"] is None and stored["lead_person"] is None
    assert events_of(appeal)[-1].data["claimed_by"] == world.volunteer.pk
    act(world.volunteer2, appeal, "claim")
    assert row(appeal)["claimed_by"] == world.volunteer2.pk


def test_a_returned_dispatch_is_not_claimable(world):
    appeal = bring_to(world, "dispatched")
    act(world.handler, appeal, "return", reason="派错了")
    assert row(appeal)["is_claimable"] is False
    with pytest.raises(InvalidTransition):
        act(world.volunteer, appeal, "claim")


def test_a_task_not_open_for_claiming_cannot_be_claimed(world):
    appeal = bring_to(world, "queued")
    with pytest.raises(InvalidTransition):
        act(world.volunteer, appeal, "claim")
    assert row(appeal)["status"] == "queued"


def test_resolve_stores_reply_and_resolver(world):
    appeal = bring_to(world, "in_progress")
    with clock.at(datetime(2026, 3, 2, 10, 0, tzinfo=TZ)):
        act(world.handler, appeal, "resolve", public_reply="已修复", internal_note="换了开关")
    stored = row(appeal)
    assert stored["public_reply"] == "已修复"
    assert stored["resolution_note"] == "换了开关"
    assert stored["resolved_by"] == world.handler.pk
    assert stored["resolved_at"] == datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
    event = AppealEvent.objects.get(appeal=appeal, kind="resolve")
    assert event.is_public and event.public_text == "已修复"


def test_the_resolver_cannot_verify_their_own_work(world):
    appeal = bring_to(world, "assessed")
    act(world.dispatcher, appeal, "dispatch", lead_person=world.dispatcher.pk)
    act(world.dispatcher, appeal, "accept")
    act(world.dispatcher, appeal, "resolve", public_reply="处理完毕")
    with pytest.raises(InvalidTransition):
        act(world.dispatcher, appeal, "verify")
    act(world.dispatcher2, appeal, "verify")
    assert row(appeal)["verified_by"] == world.dispatcher2.pk


def test_send_back_counts_rework_and_clears_the_resolution(world):
    appeal = bring_to(world, "resolved")
    act(world.dispatcher, appeal, "send_back", reason="没修好")
    stored = row(appeal)
    assert stored["status"] == "in_progress"
    assert stored["rework_count"] == 1
    assert stored["resolved_by"] is None
    assert stored["resolved_at"] is None
    act(world.handler, appeal, "resolve", public_reply="再次维修")
    act(world.dispatcher, appeal, "send_back", reason="还是没修好")
    assert row(appeal)["rework_count"] == 2


def test_unsatisfied_revisit_reopens_for_rework(world):
    appeal = bring_to(world, "verified")
    act(world.resident, appeal, "revisit", satisfaction=2, was_resolved=True, comment="不满意")
    stored = row(appeal)
    assert stored["status"] == "in_progress"
    assert stored["rework_count"] == 1
    assert stored["satisfaction"] == 2
    assert stored["verified_by"] is None and stored["resolved_by"] is None
    assert stored["closed_at"] is None
    event = events_of(appeal)[-1]
    assert (event.from_status, event.to_status) == ("verified", "in_progress")
    assert event.data["rework"] is True
    # The lead handler picks it up again.
    act(world.handler, appeal, "resolve", public_reply="返工完成")


def test_unresolved_revisit_reopens_even_when_rated_well(world):
    appeal = bring_to(world, "verified")
    act(world.operator, appeal, "revisit", satisfaction=5, was_resolved=False)
    stored = row(appeal)
    assert stored["status"] == "in_progress"
    assert stored["revisit_resolved"] is False
    assert events_of(appeal)[-1].data["by_reporter"] is False


def test_satisfied_revisit_closes(world):
    appeal = bring_to(world, "verified")
    with clock.at(datetime(2026, 3, 5, 9, 0, tzinfo=TZ)):
        act(world.resident, appeal, "revisit", satisfaction=3, was_resolved=True)
    stored = row(appeal)
    assert stored["status"] == "closed"
    assert stored["closed_at"] == datetime(2026, 3, 5, 9, 0, tzinfo=TZ)


@pytest.mark.parametrize("before", ["dispatched", "in_progress"])
def test_suspend_and_resume_return_to_where_it_was(world, before):
    appeal = bring_to(world, before)
    act(world.dispatcher, appeal, "suspend", reason="等待")
    assert row(appeal)["suspended_from"] == before
    act(world.leader, appeal, "resume")
    stored = row(appeal)
    assert stored["status"] == before
    assert stored["suspended_from"] == ""
    resume = events_of(appeal)[-1]
    assert (resume.from_status, resume.to_status) == ("suspended", before)


def test_extension_request_and_approval_move_the_due_time(world):
    appeal = bring_to(world, "in_progress")
    due = datetime(2026, 4, 1, 18, 0, tzinfo=TZ)
    # A due time the extension is measured against (set directly: the clock's own is tested
    # in suqiu/timelimits/tests).
    Appeal.objects.filter(pk=appeal.pk).update(due_at=due)
    with clock.at(datetime(2026, 3, 30, 9, 0, tzinfo=TZ)):
        act(world.handler, appeal, "request_extension", days=3, reason="等材料")
    stored = row(appeal)
    assert stored["extension_requested_until"] == due + timedelta(days=3)
    assert stored["extension_reason"] == "等材料"
    assert stored["due_at"] == due
    with pytest.raises(InvalidTransition):
        act(world.handler, appeal, "request_extension", days=5, reason="再延")
    act(world.dispatcher, appeal, "approve_extension", note="同意")
    stored = row(appeal)
    assert stored["due_at"] == due + timedelta(days=3)
    assert stored["extension_requested_until"] is None
    event = events_of(appeal)[-1]
    assert event.kind == "approve_extension"
    assert datetime.fromisoformat(event.data["old_due_at"]) == due
    assert datetime.fromisoformat(event.data["due_at"]) == due + timedelta(days=3)


def test_an_extension_cannot_end_before_the_current_due_time(world):
    appeal = bring_to(world, "in_progress")
    due = datetime(2026, 4, 10, 18, 0, tzinfo=TZ)
    Appeal.objects.filter(pk=appeal.pk).update(due_at=due)
    before = row(appeal)
    with clock.at(datetime(2026, 3, 30, 9, 0, tzinfo=TZ)):
        with pytest.raises(ValidationFailed) as info:
            act(
                world.handler,
                appeal,
                "request_extension",
                until="2026-04-05T18:00:00+08:00",
                reason="x",
            )
    assert "until" in info.value.fields
    assert row(appeal) == before


def test_extension_until_a_given_time(world):
    with clock.at(datetime(2026, 3, 30, 9, 0, tzinfo=TZ)):
        appeal = bring_to(world, "dispatched")
        act(
            world.handler,
            appeal,
            "request_extension",
            until="2026-04-10T18:00:00+08:00",
            reason="x",
        )
        act(world.leader, appeal, "approve_extension")
    assert row(appeal)["due_at"] == datetime(2026, 4, 10, 18, 0, tzinfo=TZ)


def test_extension_denied_keeps_the_due_time(world):
    appeal = bring_to(world, "in_progress")
    due = datetime(2026, 4, 1, 18, 0, tzinfo=TZ)
    Appeal.objects.filter(pk=appeal.pk).update(due_at=due)
    with clock.at(datetime(2026, 3, 30, 9, 0, tzinfo=TZ)):
        act(world.handler, appeal, "request_extension", days=2, reason="等材料")
    act(world.dispatcher, appeal, "deny_extension", reason="按时完成")
    stored = row(appeal)
    assert stored["due_at"] == due
    assert stored["extension_requested_until"] is None
    event = events_of(appeal)[-1]
    assert datetime.fromisoformat(event.data["requested_until"]) == due + timedelta(days=2)
    # A new request may follow a denial.
    act(world.handler, appeal, "request_extension", days=1, reason="再申请")


# --- Merge ---------------------------------------------------------------------------------------


def test_merge_writes_events_on_both_appeals(world):
    main = new_appeal(world, title="主诉求")
    dup = new_appeal(world, by=world.resident2, title="重复")
    main_events = len(events_of(main))
    act(world.dispatcher, dup, "merge", into=main.tracking_code.lower(), reason="同一问题")
    assert row(dup)["status"] == "merged"
    assert row(dup)["merged_into"] == main.pk
    assert row(dup)["closed_at"] is not None
    merge = events_of(dup)[-1]
    assert (merge.kind, merge.from_status, merge.to_status) == ("merge", "received", "merged")
    assert {"into": main.pk, "tracking_code": main.tracking_code}.items() <= merge.data.items()
    assert merge.data["due_at"] is None  # merged: its clock stops
    main_after = events_of(main)
    assert len(main_after) == main_events + 1
    merged_in = main_after[-1]
    assert merged_in.kind == EventKind.MERGED_IN
    assert merged_in.actor_id == world.dispatcher.pk
    assert merged_in.data == {"merged": dup.pk, "tracking_code": dup.tracking_code}
    assert row(main)["status"] == "received"


def _merge_targets(world):
    closed = bring_to(world, "closed")
    return {
        "self": None,
        "closed": closed.pk,
        "unknown id": 999999,
        "unknown code": "ZZZZ-ZZZZ-ZZZZ",
        "not a code": "hello",
        "missing": "",
    }


@pytest.mark.parametrize(
    "target", ["self", "closed", "unknown id", "unknown code", "not a code", "missing"]
)
def test_merge_into_an_impossible_target_is_rejected(world, target):
    dup = new_appeal(world, title="重复")
    into = _merge_targets(world)[target]
    if target == "self":
        into = dup.pk
    before = row(dup)
    n = AppealEvent.objects.count()
    with pytest.raises(ValidationFailed) as info:
        act(world.dispatcher, dup, "merge", into=into)
    assert "into" in info.value.fields
    assert row(dup) == before
    assert AppealEvent.objects.count() == n


def test_merge_into_an_appeal_the_actor_cannot_see_is_no_such_appeal(world):
    """A community worker of C1 names appeals of C3 (out of their sight): refused as unknown,
    whatever their state, and nothing is written on them."""
    dup = new_appeal(world, title="重复")
    elsewhere = new_appeal(world, by=world.resident2, point=G4_POINT, title="别处的诉求")
    closed_elsewhere = bring_to(world, "closed", point=G4_POINT)
    assert not services_visible(world.community_worker, elsewhere)
    for into in (elsewhere.pk, elsewhere.tracking_code, closed_elsewhere.pk):
        n = AppealEvent.objects.count()
        with translation.override("en"), pytest.raises(ValidationFailed) as info:
            act(world.community_worker, dup, "merge", into=into)
        assert info.value.fields["into"] == ["No such appeal."]
        assert AppealEvent.objects.count() == n
    assert row(dup)["status"] == "received"
    # Whoever sees both may merge them.
    act(world.dispatcher, dup, "merge", into=elsewhere.pk)
    assert row(dup)["merged_into"] == elsewhere.pk


def services_visible(user, appeal) -> bool:
    from suqiu.appeals.selectors import visible_q

    return Appeal.objects.filter(visible_q(actor(user)), pk=appeal.pk).exists()


# --- Invalid input writes nothing ---------------------------------------------------------------

INVALID = [
    ("received", "dispatcher", "assess", {}, "category"),
    ("received", "dispatcher", "assess", {"category": "NOPE"}, "category"),
    ("received", "dispatcher", "assess", {"category": "HOUSING", "urgency": "huge"}, "urgency"),
    ("received", "dispatcher", "assess", {"category": "HOUSING", "note": 5}, "note"),
    ("received", "dispatcher", "reject", {}, "reason"),
    ("received", "dispatcher", "reject", {"reason": "   "}, "reason"),
    ("received", "dispatcher", "merge", {"into": None}, "into"),
    ("assessed", "dispatcher", "queue", {"claimable": "maybe"}, "claimable"),
    ("assessed", "dispatcher", "dispatch", {"lead_organisation": 999999}, "lead_organisation"),
    ("assessed", "dispatcher", "dispatch", {"lead_organisation": "abc"}, "lead_organisation"),
    ("assessed", "dispatcher", "dispatch", {"lead_person": 999999}, "lead_person"),
    ("assessed", "dispatcher", "dispatch", {"co_handlers": [999999]}, "co_handlers"),
    ("assessed", "dispatcher", "dispatch", {"co_handlers": ["x"]}, "co_handlers"),
    ("assessed", "dispatcher", "dispatch", {"co_handlers": "99999999999999999999"}, "co_handlers"),
    ("assessed", "dispatcher", "dispatch", {"co_handlers": [0]}, "co_handlers"),
    ("assessed", "dispatcher", "dispatch", {"co_handlers": {"a": 1}}, "co_handlers"),
    ("assessed", "dispatcher", "dispatch", "lead_as_co", "co_handlers"),
    ("assessed", "dispatcher", "dispatch", "inactive_org", "lead_organisation"),
    ("dispatched", "handler", "return", {}, "reason"),
    ("dispatched", "handler", "accept", {"note": ["x"]}, "note"),
    ("in_progress", "handler", "note", {}, "text"),
    ("in_progress", "handler", "note", {"text": "x" * 2001}, "text"),
    ("in_progress", "handler", "note", {"text": "ok", "public": "perhaps"}, "public"),
    ("in_progress", "handler", "request_resources", {"text": "钱", "resources": "钱"}, "resources"),
    ("in_progress", "handler", "resolve", {}, "public_reply"),
    ("in_progress", "handler", "resolve", {"public_reply": 42}, "public_reply"),
    ("resolved", "dispatcher", "send_back", {}, "reason"),
    ("verified", "resident", "revisit", {"was_resolved": True}, "satisfaction"),
    ("verified", "resident", "revisit", {"satisfaction": 0, "was_resolved": True}, "satisfaction"),
    ("verified", "resident", "revisit", {"satisfaction": 6, "was_resolved": True}, "satisfaction"),
    (
        "verified",
        "resident",
        "revisit",
        {"satisfaction": "x", "was_resolved": True},
        "satisfaction",
    ),
    (
        "verified",
        "resident",
        "revisit",
        {"satisfaction": True, "was_resolved": True},
        "satisfaction",
    ),
    ("verified", "resident", "revisit", {"satisfaction": 5}, "was_resolved"),
    ("in_progress", "dispatcher", "suspend", {}, "reason"),
    ("in_progress", "handler", "request_extension", {"reason": "x"}, "until"),
    ("in_progress", "handler", "request_extension", {"days": 3}, "reason"),
    ("in_progress", "handler", "request_extension", {"days": 0, "reason": "x"}, "days"),
    ("in_progress", "handler", "request_extension", {"days": 91, "reason": "x"}, "days"),
    ("in_progress", "handler", "request_extension", {"days": "two", "reason": "x"}, "days"),
    ("in_progress", "handler", "request_extension", {"days": 2.7, "reason": "x"}, "days"),
    ("in_progress", "handler", "request_extension", {"days": float("inf"), "reason": "x"}, "days"),
    (
        "in_progress",
        "handler",
        "request_extension",
        {"until": "9999-12-31T23:59:59", "reason": "x"},
        "until",
    ),
    (
        "verified",
        "resident",
        "revisit",
        {"satisfaction": 4.9, "was_resolved": True},
        "satisfaction",
    ),
    ("in_progress", "handler", "request_extension", {"until": "soon", "reason": "x"}, "until"),
    (
        "in_progress",
        "handler",
        "request_extension",
        {"until": "2020-01-01T00:00:00+08:00", "reason": "x"},
        "until",
    ),
    # Well formed but not a real date: must be a field error, not a crash.
    (
        "in_progress",
        "handler",
        "request_extension",
        {"until": "2099-02-30T10:00:00", "reason": "x"},
        "until",
    ),
    ("in_progress", "handler", "request_extension", {"until": 12, "reason": "x"}, "until"),
]


@pytest.mark.parametrize(
    "start,who,action,payload,field",
    INVALID,
    ids=[f"{a[2]}-{a[4]}-{i}" for i, a in enumerate(INVALID)],
)
def test_invalid_input_writes_nothing(world, start, who, action, payload, field):
    appeal = bring_to(world, start)
    if payload == "lead_as_co":
        payload = {"lead_organisation": world.roads.pk, "co_handlers": [world.roads.pk]}
    elif payload == "inactive_org":
        closed_org = Organisation.objects.create(
            code="OLD", name="撤销的部门", kind="department", parent=world.district, is_active=False
        )
        payload = {"lead_organisation": closed_org.pk}
    before = row(appeal)
    n = AppealEvent.objects.count()
    with pytest.raises(ValidationFailed) as info:
        act(getattr(world, who), appeal, action, **payload)
    assert field in info.value.fields, info.value.fields
    assert info.value.code == "validation_error"
    assert info.value.http_status == 422
    assert row(appeal) == before
    assert AppealEvent.objects.count() == n


@pytest.mark.parametrize("payload", ["text", ["a", "b"], 5])
def test_a_payload_that_is_not_an_object_is_a_validation_error(world, payload):
    appeal = bring_to(world, "in_progress")
    before = row(appeal)
    with pytest.raises(ValidationFailed):
        services.appeal_act(
            actor=actor(world.handler), appeal_id=appeal.pk, action="note", payload=payload
        )
    assert row(appeal) == before


def test_wrong_status_and_wrong_actor_write_nothing(world):
    appeal = bring_to(world, "received")
    before = row(appeal)
    n = AppealEvent.objects.count()
    with pytest.raises(InvalidTransition):
        act(world.dispatcher, appeal, "resolve", public_reply="x")
    with pytest.raises(NotAllowed):  # the reporter sees their appeal but may not assess it
        act(world.resident, appeal, "assess", category="HOUSING")
    # Someone who cannot see the appeal learns nothing about it, not even its status.
    with pytest.raises(NotFound):
        act(world.resident2, appeal, "assess", category="HOUSING")
    with pytest.raises(NotFound):
        act(world.handler, appeal, "resolve", public_reply="x")
    with pytest.raises(InvalidTransition) as info:
        act(world.dispatcher, appeal, "teleport")
    assert info.value.code == "unknown_action"
    assert row(appeal) == before
    assert AppealEvent.objects.count() == n


def test_unknown_appeal_is_not_found(world):
    with pytest.raises(NotFound):
        act(world.dispatcher, 999999, "assess", category="HOUSING")


def test_change_and_event_share_one_transaction(world, monkeypatch):
    """If the event cannot be written, the status change is rolled back with it."""
    appeal = bring_to(world, "received")
    before = row(appeal)

    def broken_event(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_event", broken_event)
    with pytest.raises(RuntimeError):
        act(world.dispatcher, appeal, "assess", category="HOUSING")
    assert row(appeal) == before


def test_dispatch_rolls_back_co_handlers_when_the_event_fails(world, monkeypatch):
    appeal = bring_to(world, "assessed")
    before = row(appeal)
    monkeypatch.setattr(services, "_event", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        act(world.dispatcher, appeal, "dispatch", co_handlers=[world.roads.pk])
    assert row(appeal) == before


def test_merge_rolls_back_the_main_appeals_event_when_the_merge_fails(world, monkeypatch):
    main = new_appeal(world, title="主")
    dup = new_appeal(world, title="重复")
    n = AppealEvent.objects.count()
    real_save = services._save

    def failing_save(appeal, *, now):
        if appeal.pk == dup.pk:
            raise RuntimeError("crash after merged_in was written")
        real_save(appeal, now=now)

    monkeypatch.setattr(services, "_save", failing_save)
    with pytest.raises(RuntimeError):
        act(world.dispatcher, dup, "merge", into=main.pk)
    assert AppealEvent.objects.count() == n
    assert row(dup)["status"] == "received"


# --- Append-only events ---------------------------------------------------------------------------


def test_events_cannot_be_changed_or_deleted(world):
    appeal = new_appeal(world)
    event = events_of(appeal)[0]
    event.reason = "rewritten history"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AppealEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(TypeError):
        AppealEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(TypeError):
        AppealEvent.objects.all().delete()
    with pytest.raises(TypeError), transaction.atomic():
        AppealEvent.objects.bulk_update([event], ["reason"])
    stored = AppealEvent.objects.get(pk=event.pk)
    assert stored.reason == ""
    assert stored.kind == "created"


# --- Intake -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "point,grid,area",
    [
        (G1_POINT, "g1", "c1"),
        (G2_POINT, "g2", "c1"),
        (G4_POINT, "g4", "c3"),
        (OUTSIDE_POINT, None, "district"),
        (None, None, "district"),
    ],
    ids=["G1", "G2", "G4", "outside", "no point"],
)
def test_create_resolves_grid_and_area_from_the_point(world, point, grid, area):
    appeal = new_appeal(world, point=point)
    stored = Appeal.objects.get(pk=appeal.pk)
    assert stored.grid == (getattr(world, grid) if grid else None)
    assert stored.area == getattr(world, area)
    assert stored.area_path == getattr(world, area).path
    assert stored.status == "received"
    (created,) = events_of(appeal)
    assert (created.kind, created.from_status, created.to_status) == ("created", "", "received")
    assert created.is_public
    assert {
        "channel": "web",
        "grid": grid.upper() if grid else None,
    }.items() <= created.data.items()
    assert created.data["stage"] == "dispatch"  # and its clock starts (suqiu/timelimits)


def test_create_with_only_an_area(world):
    appeal = new_appeal(world, point=None, area=world.c2.pk)
    assert (appeal.area, appeal.grid) == (world.c2, None)
    # A point inside a grid wins over a stated area.
    appeal = new_appeal(world, point=G4_POINT, area=world.c2.pk)
    assert (appeal.area, appeal.grid) == (world.c3, world.g4)


def test_a_resident_becomes_the_reporter(world):
    appeal = new_appeal(world, by=world.resident)
    stored = Appeal.objects.get(pk=appeal.pk)
    assert stored.reporter == world.resident
    assert stored.reporter_name == "张阿姨"
    assert stored.reporter_phone == "13812341234"
    assert stored.submitted_by is None
    assert events_of(appeal)[0].actor_id == world.resident.pk


def test_an_operator_logs_an_appeal_for_a_caller(world):
    appeal = new_appeal(
        world,
        by=world.operator,
        channel="phone",
        reporter_name="王先生",
        reporter_phone="139 0000 2222",
    )
    stored = Appeal.objects.get(pk=appeal.pk)
    assert stored.reporter is None
    assert stored.submitted_by == world.operator
    assert (stored.reporter_name, stored.reporter_phone) == ("王先生", "139 0000 2222")
    assert stored.channel == "phone"


@pytest.mark.parametrize("by", ["anonymous", "resident"])
def test_anonymous_appeals_store_no_name_or_phone(world, by):
    who = "anonymous" if by == "anonymous" else world.resident
    appeal = new_appeal(
        world, by=who, is_anonymous=True, reporter_name="不想留名", reporter_phone="13800000000"
    )
    stored = Appeal.objects.get(pk=appeal.pk)
    assert stored.is_anonymous
    assert stored.reporter_name == ""
    assert stored.reporter_phone == ""


def test_anonymous_visitor_without_the_flag_keeps_the_contact_they_gave(world):
    appeal = new_appeal(world, by="anonymous", reporter_name="路人", reporter_phone="13700001111")
    stored = Appeal.objects.get(pk=appeal.pk)
    assert stored.reporter is None and stored.submitted_by is None
    assert stored.reporter_phone == "13700001111"


INVALID_INTAKE = [
    ({"title": ""}, "title"),
    ({"title": "x" * 121}, "title"),
    ({"description": "  "}, "description"),
    ({"description": "x" * 4001}, "description"),
    ({"channel": "pigeon"}, "channel"),
    ({"urgency": "whenever"}, "urgency"),
    ({"category": "NOPE"}, "category"),
    ({"reporter_phone": "call me"}, "reporter_phone"),
    ({"reporter_phone": "123"}, "reporter_phone"),
    ({"reporter_name": "名" * 81}, "reporter_name"),
    ({"address": "a" * 256}, "address"),
    ({"lat": 22.7, "lon": None}, "lon"),
    ({"lat": None, "lon": 114.2}, "lat"),
    ({"lat": 91.0, "lon": 114.2}, "lat"),
    ({"lat": 22.7, "lon": 181.0}, "lon"),
    ({"lat": float("nan"), "lon": 114.2}, "lat"),
    ({"lat": "north", "lon": 114.2}, "lat"),
    ({"area": 999999}, "area"),
    ({"area": "housing"}, "area"),
]


@pytest.mark.parametrize("override,field", INVALID_INTAKE, ids=[f for _, f in INVALID_INTAKE])
def test_invalid_intake_creates_nothing(world, override, field):
    if override.get("area") == "housing":
        override = {"area": world.housing.pk}  # not an area: a department
    data = dict(title="路灯坏了", description="路灯不亮", lat=G1_POINT[0], lon=G1_POINT[1])
    data.update(override)
    with pytest.raises(ValidationFailed) as info:
        services.appeal_create(actor=actor(world.resident), data=services.AppealInput(**data))
    assert field in info.value.fields
    assert Appeal.objects.count() == 0
    assert AppealEvent.objects.count() == 0


def test_tracking_codes_are_well_formed_and_unique(world):
    pattern = re.compile(rf"^[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")
    codes = [new_appeal(world, title=f"诉求{i}").tracking_code for i in range(30)]
    assert all(pattern.match(c) for c in codes)
    assert len(set(codes)) == len(codes)


def test_a_tracking_code_collision_is_retried(world, monkeypatch):
    first = new_appeal(world)
    fresh = "2345-6789-ABCD"
    queue = [first.tracking_code, first.tracking_code, fresh]
    monkeypatch.setattr(services, "new_tracking_code", lambda: queue.pop(0))
    second = new_appeal(world, title="另一个")
    assert second.tracking_code == fresh
    assert Appeal.objects.count() == 2
    assert len(events_of(second)) == 1


def test_a_tracking_code_collision_is_retried_for_idempotent_intake_too(world, monkeypatch):
    first = new_appeal(world)
    fresh = "2345-6789-ABCE"
    queue = [first.tracking_code, fresh]
    monkeypatch.setattr(services, "new_tracking_code", lambda: queue.pop(0))
    appeal, created = services.appeal_create_idempotent(
        actor=actor(world.resident),
        data=services.AppealInput(title="路灯", description="路灯坏了"),
        owner="user:1",
        key="k-1",
        request_hash="h",
    )
    assert created and appeal.tracking_code == fresh
    assert Appeal.objects.count() == 2
    assert IdempotencyKey.objects.get(key="k-1").appeal_id == appeal.pk


def test_clock_at_back_dates_the_whole_history(world):
    t0 = datetime(2025, 6, 1, 8, 30, tzinfo=TZ)
    t1 = t0 + timedelta(hours=2)
    with clock.at(t0):
        appeal = new_appeal(world)
    with clock.at(t1):
        act(world.dispatcher, appeal, "assess", category="HOUSING")
    stored = row(appeal)
    assert stored["created_at"] == t0
    assert stored["updated_at"] == t1
    created, assessed = events_of(appeal)
    assert created.created_at == t0
    assert assessed.created_at == t1
    # Naive times are taken as local time.
    with clock.at(datetime(2025, 6, 2, 9, 0)):
        act(world.dispatcher, appeal, "dispatch")
    assert events_of(appeal)[-1].created_at == timezone.make_aware(datetime(2025, 6, 2, 9, 0))


def test_imports_keep_their_original_time(world):
    when = datetime(2024, 12, 31, 23, 59, tzinfo=TZ)
    appeal = new_appeal(world, by=world.operator, channel="import", created_at=when)
    assert row(appeal)["created_at"] == when
    assert events_of(appeal)[0].created_at == when


# --- Idempotent intake ------------------------------------------------------------------------------


def _idem(world, *, key="k-1", body_hash="h1", owner="user:1", title="井盖松了"):
    return services.appeal_create_idempotent(
        actor=actor(world.resident),
        data=services.AppealInput(title=title, description="人行道井盖松动"),
        owner=owner,
        key=key,
        request_hash=body_hash,
    )


def test_idempotent_create_returns_the_same_appeal_for_a_retry(world):
    first, created = _idem(world)
    again, created_again = _idem(world)
    assert created is True and created_again is False
    assert again.pk == first.pk
    assert Appeal.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    assert AppealEvent.objects.count() == 1


def test_idempotency_key_with_another_body_is_a_conflict(world):
    _idem(world)
    with pytest.raises(Conflict) as info:
        _idem(world, body_hash="h2", title="别的")
    assert info.value.code == "idempotency_key_reused"
    assert info.value.http_status == 409
    assert Appeal.objects.count() == 1


def test_idempotency_keys_belong_to_their_owner(world):
    a, _ = _idem(world, owner="user:1")
    b, created = _idem(world, owner="ip:10.0.0.9")
    assert created and a.pk != b.pk
    assert Appeal.objects.count() == 2


@pytest.mark.parametrize("key", ["", "k" * 129])
def test_idempotency_key_must_be_sensible(world, key):
    with pytest.raises(ValidationFailed) as info:
        _idem(world, key=key)
    assert info.value.code == "invalid_idempotency_key"
    assert Appeal.objects.count() == 0


def test_invalid_idempotent_create_records_no_key(world):
    with pytest.raises(ValidationFailed):
        services.appeal_create_idempotent(
            actor=actor(world.resident),
            data=services.AppealInput(title="", description="x"),
            owner="user:1",
            key="k",
            request_hash="h",
        )
    assert IdempotencyKey.objects.count() == 0
    assert Appeal.objects.count() == 0


# --- Phone reveal ---------------------------------------------------------------------------------


def test_revealing_a_phone_is_audited(world):
    appeal = new_appeal(world)
    phone = services.appeal_reveal_phone(actor=actor(world.community_worker), appeal=appeal)
    assert phone == "13812341234"
    event = events_of(appeal)[-1]
    assert event.kind == "phone_revealed"
    assert event.actor_id == world.community_worker.pk
    assert event.data == {"field": "reporter_phone"}
    assert not event.is_public
    assert row(appeal)["status"] == "received"


@pytest.mark.parametrize("who", ["volunteer", "resident2", "leader"])
def test_roles_without_the_need_may_not_reveal(world, who):
    appeal = new_appeal(world)
    n = AppealEvent.objects.count()
    with pytest.raises(PermissionDenied) as info:
        services.appeal_reveal_phone(actor=actor(getattr(world, who)), appeal=appeal)
    assert info.value.code == "reveal_not_allowed"
    assert AppealEvent.objects.count() == n


def test_nothing_to_reveal_without_a_phone(world):
    appeal = new_appeal(world, by="anonymous", is_anonymous=True)
    with pytest.raises(NotFound) as info:
        services.appeal_reveal_phone(actor=actor(world.dispatcher), appeal=appeal)
    assert info.value.code == "no_phone"
