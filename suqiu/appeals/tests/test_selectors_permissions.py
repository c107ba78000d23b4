"""Who sees what, and who may do what: the permission matrix through the selectors.

One scene of six appeals in different places and states, and every standing role of the
``world`` fixture. The tables are the specification; each row reads "this role sees exactly
these appeals / may take exactly these actions".

    key  where               state                                  reported by
    D1   C1 (grid G1)        dispatched to HOUSING, ROADS co-handles resident
    C3   C3 (grid G4)        received                               resident2
    CL   C2 (grid G3)        claimed by volunteer (in progress)     logged by the operator
    AN   district (no point) received, anonymous                    an anonymous visitor
    RJ   C1 (grid G2)        rejected                               resident
    RD   C1 (grid G1)        accepted by ROADS (in progress)        resident2
"""

from __future__ import annotations

import pytest
from django.db import transaction

from suqiu.appeals import presenters, selectors
from suqiu.appeals.models import Appeal
from suqiu.appeals.tests.chain import act, actor, new_appeal
from suqiu.appeals.workflow import NotAllowed
from suqiu.core.errors import NotFound
from suqiu.core.testing import G1_POINT, G2_POINT, G3_POINT, G4_POINT

pytestmark = pytest.mark.django_db

ALL = {"D1", "C3", "CL", "AN", "RJ", "RD"}

VISIBLE = {
    "resident": {"D1", "RJ"},
    "resident2": {"C3", "RD"},
    "operator": ALL,  # the command centre's operators serve the whole district
    "grid_worker": {"D1", "RJ", "RD"},
    "community_worker": {"D1", "RJ", "RD"},
    "community_worker_c3": {"C3"},
    "social_worker": {"D1", "RJ", "RD"},  # the agency sits in C1
    "volunteer": {"CL"},
    "handler": {"D1"},  # led by HOUSING
    "roads_handler": {"D1", "RD"},  # co-handler of D1, lead of RD
    "dispatcher": ALL,
    "leader": {"D1", "CL", "RJ", "RD"},  # street S1: C1 and C2
    "leader_s2": {"C3"},
    "admin": ALL,
}
ROLES = list(VISIBLE)


@pytest.fixture
def scene(world):
    d1 = new_appeal(world, by=world.resident, point=G1_POINT, title="楼道漏水")
    act(world.dispatcher, d1, "assess", category="HOUSING")
    act(world.dispatcher, d1, "dispatch", co_handlers=[world.roads.pk])
    act(world.handler, d1, "note", text="内部备注：已联系物业", public=False)

    c3 = new_appeal(world, by=world.resident2, point=G4_POINT, title="三社区路灯")

    cl = new_appeal(
        world,
        by=world.operator,
        point=G3_POINT,
        title="独居老人找房",
        channel="phone",
        reporter_name="陈伯",
        reporter_phone="13700002222",
    )
    act(world.dispatcher, cl, "assess", category="ELDERLY")
    act(world.dispatcher, cl, "queue", claimable=True)
    act(world.volunteer, cl, "claim")

    an = new_appeal(world, by="anonymous", point=None, title="匿名举报", is_anonymous=True)

    rj = new_appeal(world, by=world.resident, point=G2_POINT, title="邻居吵闹")
    act(world.community_worker, rj, "reject", reason="请联系派出所")

    rd = new_appeal(world, by=world.resident2, point=G1_POINT, title="路面坑洼")
    act(world.dispatcher, rd, "assess", category="ROAD.POTHOLE")
    act(world.dispatcher, rd, "dispatch")
    act(world.roads_handler, rd, "accept")

    return {"D1": d1, "C3": c3, "CL": cl, "AN": an, "RJ": rj, "RD": rd}


def _key(scene, appeal_id):
    return next(k for k, a in scene.items() if a.pk == appeal_id)


def test_the_scene_is_what_the_table_says(world, scene):
    states = {k: Appeal.objects.get(pk=a.pk) for k, a in scene.items()}
    assert {k: a.status for k, a in states.items()} == {
        "D1": "dispatched",
        "C3": "received",
        "CL": "in_progress",
        "AN": "received",
        "RJ": "rejected",
        "RD": "in_progress",
    }
    assert {k: a.area.code for k, a in states.items()} == {
        "D1": "C1",
        "C3": "C3",
        "CL": "C2",
        "AN": "D",
        "RJ": "C1",
        "RD": "C1",
    }
    assert list(states["D1"].co_handlers.all()) == [world.roads]
    assert states["CL"].claimed_by == world.volunteer
    assert states["AN"].reporter is None and states["AN"].is_anonymous


@pytest.mark.parametrize("role", ROLES)
def test_list_shows_exactly_the_visible_appeals(world, scene, role):
    ids = list(
        selectors.appeal_list(actor=actor(getattr(world, role))).values_list("pk", flat=True)
    )
    assert len(ids) == len(set(ids)), "an appeal is listed twice"
    assert {_key(scene, i) for i in ids} == VISIBLE[role]


@pytest.mark.parametrize("role", ROLES)
def test_detail_is_not_found_when_not_visible(world, scene, role):
    who = actor(getattr(world, role))
    for key, appeal in scene.items():
        if key in VISIBLE[role]:
            assert selectors.appeal_get(actor=who, appeal_id=appeal.pk).pk == appeal.pk
        else:
            with pytest.raises(NotFound) as info:
                selectors.appeal_get(actor=who, appeal_id=appeal.pk)
            assert info.value.code == "not_found"


def test_nobody_signed_out_sees_anything(world, scene):
    nobody = actor(None)
    assert selectors.appeal_list(actor=nobody).count() == 0
    with pytest.raises(NotFound):
        selectors.appeal_get(actor=nobody, appeal_id=scene["AN"].pk)


def test_queue_counts_count_only_visible_appeals(world, scene):
    assert selectors.queue_counts(actor=actor(world.roads_handler)) == {
        "to_assess": 0,
        "to_dispatch": 0,
        "to_accept": 1,  # D1 (co-handled)
        "in_progress": 1,  # RD
        "to_verify": 0,
        "to_revisit": 0,
        "suspended": 0,
        "overdue": 0,
    }
    assert selectors.queue_counts(actor=actor(world.dispatcher))["to_assess"] == 2  # C3, AN


# --- Events: staff see the whole timeline, residents only its public part --------------------------

D1_ALL_EVENTS = ["created", "assess", "dispatch", "note"]
D1_PUBLIC_EVENTS = ["created", "assess", "dispatch"]


@pytest.mark.parametrize("role", [r for r in ROLES if "D1" in VISIBLE[r]])
def test_events_of_d1(world, scene, role):
    who = actor(getattr(world, role))
    appeal = selectors.appeal_get(actor=who, appeal_id=scene["D1"].pk)
    kinds = [e.kind for e in selectors.appeal_events(actor=who, appeal=appeal)]
    expected = D1_PUBLIC_EVENTS if role == "resident" else D1_ALL_EVENTS
    assert kinds == expected


def test_signed_out_visitors_get_only_public_events(world, scene):
    appeal = Appeal.objects.get(pk=scene["D1"].pk)
    kinds = [e.kind for e in selectors.appeal_events(actor=actor(None), appeal=appeal)]
    assert kinds == D1_PUBLIC_EVENTS
    assert [e.kind for e in selectors.public_events(appeal)] == D1_PUBLIC_EVENTS


# --- Actions: appeal_act refuses whoever may not --------------------------------------------------

PROBES = {
    # name: (appeal, action, payload)
    "accept D1": ("D1", "accept", {}),
    "note D1": ("D1", "note", {"text": "跟进"}),
    "suspend D1": ("D1", "suspend", {"reason": "等待"}),
    "assess C3": ("C3", "assess", {"category": "ROAD"}),
    "resolve CL": ("CL", "resolve", {"public_reply": "已找到房源"}),
    "merge AN into C3": ("AN", "merge", "C3"),
}

MAY = {
    "resident": set(),
    "resident2": set(),
    "operator": set(),
    "grid_worker": set(),
    "community_worker": set(),
    "community_worker_c3": {"assess C3"},
    "social_worker": set(),
    "volunteer": {"resolve CL"},
    "handler": {"accept D1", "note D1"},
    "roads_handler": {"note D1"},
    "dispatcher": {"note D1", "suspend D1", "assess C3", "merge AN into C3"},
    "leader": {"note D1", "suspend D1"},
    "leader_s2": set(),
    "admin": {"note D1", "suspend D1", "assess C3", "merge AN into C3"},
}


class _Rollback(Exception):
    pass


def _attempt(user, appeal, action, payload) -> bool:
    """Take the action and undo it; True if it was allowed, False when refused.

    Refused means NotAllowed when the user can see the appeal, and NotFound when they cannot
    (the status of an appeal one may not see must not leak through the refusal)."""
    from suqiu.directory.access import actor_for

    visible = Appeal.objects.filter(selectors.visible_q(actor_for(user)), pk=appeal.pk).exists()
    try:
        with transaction.atomic():
            act(user, appeal, action, **payload)
            raise _Rollback
    except _Rollback:
        return True
    except NotAllowed as exc:
        assert visible, "an appeal the user cannot see must answer NotFound, not NotAllowed"
        assert exc.code == "action_not_allowed"
        return False
    except NotFound:
        assert not visible, "a visible appeal must answer NotAllowed, not NotFound"
        return False


@pytest.mark.parametrize("role", ROLES)
def test_who_may_act(world, scene, role):
    user = getattr(world, role)
    allowed = set()
    for name, (key, action, payload) in PROBES.items():
        if payload == "C3":
            payload = {"into": scene["C3"].pk}
        before = Appeal.objects.get(pk=scene[key].pk)
        if _attempt(user, scene[key], action, payload):
            allowed.add(name)
        # Allowed or not, nothing stuck.
        after = Appeal.objects.get(pk=scene[key].pk)
        assert (after.status, after.version) == (before.status, before.version)
        # The page offers exactly the actions the service accepts.
        offered = presenters.actions_for(actor(user), before)
        assert (action in offered) == (name in allowed), (name, offered)
    assert allowed == MAY[role]


# --- Reporter identity as each role sees it -----------------------------------------------------------

FULL = "13812341234"
MASKED = "138****1234"
HIDDEN = ""

# role: (phone shown for D1, may reveal)
REPORTER_VIEW = {
    "resident": (FULL, False),  # the reporter themself
    "operator": (FULL, False),  # calls reporters back
    "grid_worker": (MASKED, True),
    "community_worker": (MASKED, True),
    "social_worker": (MASKED, True),
    "volunteer": (HIDDEN, False),
    "handler": (MASKED, True),
    "roads_handler": (MASKED, True),
    "dispatcher": (MASKED, True),
    "leader": (MASKED, False),
    "admin": (MASKED, True),
}


@pytest.mark.parametrize("role", list(REPORTER_VIEW))
def test_reporter_phone_masking(world, scene, role):
    appeal = Appeal.objects.get(pk=scene["D1"].pk)
    view = presenters.reporter_view(actor(getattr(world, role)), appeal)
    phone, can_reveal = REPORTER_VIEW[role]
    assert view["phone"] == phone
    assert view["phone_masked"] == (phone != FULL)
    assert view["can_reveal"] == can_reveal
    assert view["name"] == ("" if phone == HIDDEN else "张阿姨")
    assert view["anonymous"] is False


@pytest.mark.parametrize("role", ["operator", "dispatcher", "admin"])
def test_anonymous_reporter_is_hidden_from_everyone(world, scene, role):
    appeal = Appeal.objects.get(pk=scene["AN"].pk)
    view = presenters.reporter_view(actor(getattr(world, role)), appeal)
    assert view == {
        "name": "",
        "phone": "",
        "phone_masked": True,
        "anonymous": True,
        "can_reveal": False,
        "hidden": False,  # nothing is hidden from them: there is nothing to show
    }


def test_a_volunteer_does_not_see_who_asked_for_the_task_they_claimed(world, scene):
    appeal = Appeal.objects.get(pk=scene["CL"].pk)
    view = presenters.reporter_view(actor(world.volunteer), appeal)
    assert (view["name"], view["phone"], view["can_reveal"], view["hidden"]) == (
        "",
        "",
        False,
        True,
    )
    staff = presenters.reporter_view(actor(world.leader), appeal)
    assert (staff["name"], staff["phone"]) == ("陈伯", "137****2222")


def test_the_timeline_does_not_name_a_reporter_the_actor_may_not_know(world):
    """An anonymous appeal from a signed-in resident still records who did it (audit), but no
    staff member reads the name in the timeline; neither does a volunteer on a claimed task."""
    from django.utils import translation

    anonymous = new_appeal(world, by=world.resident, is_anonymous=True, title="匿名")
    named = new_appeal(world, by=world.resident, title="实名")
    act(world.dispatcher, named, "assess", category="ELDERLY")
    act(world.dispatcher, named, "queue", claimable=True)
    act(world.volunteer, named, "claim")
    with translation.override("en"):
        for who, appeal, expected in [
            (world.dispatcher, anonymous, "reporter"),
            (world.admin, anonymous, "reporter"),
            (world.resident, anonymous, "reporter"),  # as on the reporter's own page
            (world.resident, named, "张阿姨"),
            (world.dispatcher, named, "张阿姨"),
            (world.volunteer, named, "reporter"),
        ]:
            appeal = Appeal.objects.get(pk=appeal.pk)
            created = appeal.events.get(kind="created")
            assert created.actor_id == world.resident.pk  # the audit trail keeps the person
            assert presenters.event_actor_label(actor(who), appeal, created) == expected
        claim = Appeal.objects.get(pk=named.pk).events.get(kind="claim")
        assert presenters.event_actor_label(actor(world.dispatcher), named, claim) == "志愿者"
