"""The staff workbench through the Django test client: access, scoped lists, queues, the appeal
page's actions, errors shown in the form, phone reveal, bulk dispatch and htmx fragments.

Requests send ``Accept-Language: en`` so assertions on messages keep holding once the Chinese
catalogue exists; most assertions are on status codes, the database and the event trail.
"""

from __future__ import annotations

import io
import itertools
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from suqiu.appeals import services
from suqiu.appeals.models import Appeal, AppealEvent
from suqiu.core import clock
from suqiu.core.testing import G1_POINT, G3_POINT, G4_POINT
from suqiu.directory.access import actor_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- Helpers ---------------------------------------------------------------------------------------


def _actor(user):
    if hasattr(user, "_suqiu_actor"):
        del user._suqiu_actor
    return actor_for(user)


_SEQ = itertools.count(1)


def new_appeal(world, *, point=G1_POINT, title="楼道灯坏了", phone="13812341234", **fields):
    """An appeal logged by the operator for a caller (so it has a reporter name and phone)."""
    lat, lon = point if point is not None else (None, None)
    return services.appeal_create(
        actor=_actor(world.operator),
        data=services.AppealInput(
            title=title,
            # Numbered: the same caller with the same text again would be an exact repeat,
            # merged at intake (suqiu.duplicates).
            description=fields.pop("description", f"3栋2单元楼道灯不亮一周了（{next(_SEQ)}）"),
            lat=lat,
            lon=lon,
            channel="phone",
            reporter_name="王先生",
            reporter_phone=phone,
            **fields,
        ),
    )


def act(user, appeal, action, **payload):
    return services.appeal_act(
        actor=_actor(user), appeal_id=appeal.pk, action=action, payload=payload
    )


def assessed(world, category="HOUSING", **kw):
    appeal = new_appeal(world, **kw)
    act(world.dispatcher, appeal, "assess", category=category)
    return appeal


def dispatched(world, category="HOUSING", **kw):
    appeal = assessed(world, category=category, **kw)
    act(world.dispatcher, appeal, "dispatch")
    return appeal


def in_progress(world, **kw):
    appeal = dispatched(world, **kw)
    act(world.handler, appeal, "accept")
    return appeal


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def home(user, **params):
    return client_for(user).get(reverse("workbench:home"), params)


def listed_codes(response) -> set[str]:
    return {row["appeal"].tracking_code for row in response.context["rows"]}


def page_url(appeal):
    return reverse("workbench:appeal", args=[appeal.pk])


def act_url(appeal, action):
    return reverse("workbench:act", args=[appeal.pk, action])


def offered(response) -> list[str]:
    return [f.action for f in response.context["action_forms"]]


def events(appeal) -> list[str]:
    return list(AppealEvent.objects.filter(appeal=appeal).values_list("kind", flat=True))


def fresh(appeal) -> Appeal:
    return Appeal.objects.get(pk=appeal.pk)


# --- Access ------------------------------------------------------------------------------------------


def test_login_required(world):
    appeal = new_appeal(world)
    for url in (reverse("workbench:home"), page_url(appeal), reverse("workbench:tasks")):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_resident_gets_no_workbench(world):
    appeal = new_appeal(world)
    client = client_for(world.resident)
    response = client.get(reverse("workbench:home"))
    assert response.status_code == 403
    assert "workbench/forbidden.html" in [t.name for t in response.templates]
    assert client.get(page_url(appeal)).status_code == 403
    assert client.post(act_url(appeal, "assess"), {"category": "1"}).status_code == 403
    assert fresh(appeal).status == "received"


@pytest.mark.parametrize(
    "username", ["operator", "dispatcher", "handler", "community", "volunteer", "leader"]
)
def test_every_staff_role_gets_the_workbench(world, username):
    user = getattr(world, {"community": "community_worker"}.get(username, username))
    assert home(user).status_code == 200


# --- Lists scoped by role ---------------------------------------------------------------------------


def test_each_role_lists_only_what_the_selectors_allow(world):
    housing_c1 = dispatched(world, category="HOUSING", point=G1_POINT, title="C1 住房")
    roads_c3 = dispatched(world, category="ROAD", point=G4_POINT, title="C3 道路")
    received_c2 = new_appeal(world, point=G3_POINT, title="C2 新诉求")
    task = assessed(world, category="ELDERLY", point=G3_POINT, title="找一楼房子")
    act(world.dispatcher, task, "queue", claimable=True)
    everything = {a.tracking_code for a in (housing_c1, roads_c3, received_c2, task)}

    assert listed_codes(home(world.dispatcher, queue="all")) == everything
    # A department sees what is dispatched to it, nothing else.
    assert listed_codes(home(world.handler, queue="all")) == {housing_c1.tracking_code}
    assert listed_codes(home(world.roads_handler, queue="all")) == {roads_c3.tracking_code}
    # A community worker sees their community.
    assert listed_codes(home(world.community_worker, queue="all")) == {housing_c1.tracking_code}
    assert listed_codes(home(world.community_worker_c3, queue="all")) == {roads_c3.tracking_code}
    # A street leader sees the street's communities.
    assert listed_codes(home(world.leader, queue="all")) == {
        housing_c1.tracking_code,
        received_c2.tracking_code,
        task.tracking_code,
    }
    # A volunteer sees only what they claimed.
    assert listed_codes(home(world.volunteer, queue="all")) == set()
    act(world.volunteer, task, "claim")
    assert listed_codes(home(world.volunteer, queue="all")) == {task.tracking_code}
    assert listed_codes(home(world.volunteer2, queue="all")) == set()


def test_appeal_page_is_404_when_not_visible(world):
    appeal = dispatched(world, category="HOUSING")
    assert client_for(world.roads_handler).get(page_url(appeal)).status_code == 404
    assert client_for(world.volunteer).get(page_url(appeal)).status_code == 404
    response = client_for(world.roads_handler).post(act_url(appeal, "accept"))
    assert response.status_code == 404
    assert fresh(appeal).status == "dispatched"


def test_queue_counts_and_queue_lists(world):
    r1 = new_appeal(world, title="一")
    r2 = new_appeal(world, title="二")
    a1 = assessed(world)
    d1 = dispatched(world)
    p1 = in_progress(world)
    response = home(world.dispatcher, queue="to_assess")
    counts = {q["name"]: q["count"] for q in response.context["queues"]}
    assert counts == {
        "to_assess": 2,
        "to_dispatch": 1,
        "to_accept": 1,
        "in_progress": 1,
        "to_verify": 0,
        "to_revisit": 0,
        "suspended": 0,
        "overdue": 0,
    }
    html = response.content.decode()
    assert 'data-queue-count="to_assess">2<' in html
    assert listed_codes(response) == {r1.tracking_code, r2.tracking_code}
    assert listed_codes(home(world.dispatcher, queue="to_dispatch")) == {a1.tracking_code}
    assert listed_codes(home(world.dispatcher, queue="to_accept")) == {d1.tracking_code}
    assert listed_codes(home(world.dispatcher, queue="in_progress")) == {p1.tracking_code}
    # The handler's counts are scoped too: nothing received or waiting for dispatch is theirs,
    # so the intake queues (which a handler does not work) are not shown to them at all.
    handler_counts = {q["name"]: q["count"] for q in home(world.handler).context["queues"]}
    assert "to_assess" not in handler_counts and "to_dispatch" not in handler_counts
    assert handler_counts["to_accept"] == 1 and handler_counts["in_progress"] == 1
    assert 'data-queue-count="to_assess"' not in home(world.handler).content.decode()
    # A grid worker sees their community's appeals: the intake queues are shown while they hold
    # one (nothing the user may see is hidden).
    grid_counts = {q["name"]: q["count"] for q in home(world.grid_worker).context["queues"]}
    assert (grid_counts["to_assess"], grid_counts["to_dispatch"]) == (2, 1)


def test_overdue_queue_lists_only_appeals_past_their_due_time(world):
    """Due times come from time limits later; an approved extension sets one today."""
    with clock.at(timezone.now() - timedelta(days=10)):
        late = in_progress(world, title="逾期")
        act(world.handler, late, "request_extension", days=1, reason="等配件")
        act(world.dispatcher, late, "approve_extension")
    not_yet = in_progress(world, title="未到期")
    act(world.handler, not_yet, "request_extension", days=5, reason="等配件")
    act(world.dispatcher, not_yet, "approve_extension")
    response = home(world.dispatcher, queue="overdue")
    assert listed_codes(response) == {late.tracking_code}
    assert {q["name"]: q["count"] for q in response.context["queues"]}["overdue"] == 1
    assert [r["overdue"] for r in response.context["rows"]] == [True]
    assert 'class="c-time c-due late"' in response.content.decode()
    in_progress_rows = home(world.dispatcher, queue="in_progress").context["rows"]
    assert {r["appeal"].pk: r["overdue"] for r in in_progress_rows} == {
        late.pk: True,
        not_yet.pk: False,
    }


def test_default_queue_follows_the_role(world):
    assert home(world.dispatcher).context["queue"] == "to_assess"
    assert home(world.handler).context["queue"] == "to_accept"
    assert home(world.volunteer).context["queue"] == "in_progress"


def test_list_sorted_by_urgency_then_time(world):
    first = new_appeal(world, title="普通一")
    urgent = new_appeal(world, title="紧急", urgency="urgent")
    emergency = new_appeal(world, title="特急", urgency="emergency")
    second = new_appeal(world, title="普通二")
    rows = home(world.dispatcher, queue="to_assess").context["rows"]
    assert [r["appeal"].pk for r in rows] == [emergency.pk, urgent.pk, first.pk, second.pk]


def test_search_and_filters(world):
    lamp = new_appeal(world, title="楼道灯坏了")
    pothole = new_appeal(world, title="路面坑洼", urgency="urgent", point=G4_POINT)
    assessed_road = assessed(world, category="ROAD.POTHOLE", title="井盖松动")
    assert listed_codes(home(world.dispatcher, queue="all", q="坑洼")) == {pothole.tracking_code}
    assert listed_codes(home(world.dispatcher, queue="all", q=lamp.tracking_code.lower())) == {
        lamp.tracking_code
    }
    assert listed_codes(home(world.dispatcher, queue="all", urgency="urgent")) == {
        pothole.tracking_code
    }
    assert listed_codes(home(world.dispatcher, queue="all", status="assessed")) == {
        assessed_road.tracking_code
    }
    assert listed_codes(home(world.dispatcher, queue="all", category="ROAD")) == {
        assessed_road.tracking_code
    }
    assert listed_codes(home(world.dispatcher, queue="all", area=world.c3.pk)) == {
        pothole.tracking_code
    }
    assert listed_codes(home(world.dispatcher, queue="all", channel="web")) == set()
    today = timezone.localdate(lamp.created_at).isoformat()  # the form reads dates in local time
    assert len(listed_codes(home(world.dispatcher, queue="all", created_to=today))) == 3
    assert listed_codes(home(world.dispatcher, queue="all", created_from="2999-01-01")) == set()
    # Nonsense values are ignored rather than failing the page.
    response = home(world.dispatcher, queue="nope", urgency="x", area="abc", created_from="bad")
    assert response.status_code == 200


def test_list_is_paginated_by_fifty(world):
    for i in range(51):
        new_appeal(world, title=f"诉求{i}")
    first = home(world.dispatcher, queue="to_assess")
    assert len(first.context["rows"]) == 50
    second = home(world.dispatcher, queue="to_assess", page=2)
    assert len(second.context["rows"]) == 1


# --- The appeal page: only allowed actions ----------------------------------------------------------


def test_dispatcher_on_a_received_appeal_sees_assess_reject_merge_not_accept(world):
    appeal = new_appeal(world)
    response = client_for(world.dispatcher).get(page_url(appeal))
    assert response.status_code == 200
    actions = offered(response)
    assert {"assess", "reject", "merge"} <= set(actions)
    assert "accept" not in actions and "dispatch" not in actions
    html = response.content.decode()
    assert f'action="{act_url(appeal, "assess")}"' in html
    assert f'action="{act_url(appeal, "accept")}"' not in html


def test_resolver_does_not_see_verify_but_the_dispatcher_does(world):
    appeal = in_progress(world)
    act(world.handler, appeal, "resolve", public_reply="已修好")
    assert "verify" not in offered(client_for(world.handler).get(page_url(appeal)))
    assert "verify" in offered(client_for(world.dispatcher).get(page_url(appeal)))


def test_handler_sees_accept_and_return_on_a_dispatched_appeal(world):
    appeal = dispatched(world)
    actions = offered(client_for(world.handler).get(page_url(appeal)))
    assert "accept" in actions and "return" in actions
    assert "assess" not in actions and "verify" not in actions


def test_leader_sees_supervision_only(world):
    appeal = in_progress(world)
    actions = offered(client_for(world.leader).get(page_url(appeal)))
    assert "suspend" in actions
    assert "resolve" not in actions and "accept" not in actions


def test_appeal_page_shows_facts_and_timeline(world):
    appeal = dispatched(world, category="HOUSING", address="兰竹花园3栋")
    response = client_for(world.dispatcher).get(page_url(appeal))
    html = response.content.decode()
    assert appeal.title in html and "兰竹花园3栋" in html and world.housing.name in html
    assert "网格一" in html  # grid
    kinds = [row["event"].kind for row in response.context["events"]]
    assert kinds == ["created", "assess", "dispatch"]
    dispatch_row = response.context["events"][2]
    assert world.housing.name in dispatch_row["summary"]
    assert "data-wb-map" in html


# --- Posting action forms ------------------------------------------------------------------------------


def post(user, appeal, action, data=None, **extra):
    return client_for(user).post(act_url(appeal, action), data or {}, **extra)


def test_the_work_chain_through_the_forms(world):
    appeal = new_appeal(world)
    steps = [
        (world.dispatcher, "assess", {"category": world.cat_housing.pk, "urgency": "urgent"}, "assessed"),
        (world.dispatcher, "dispatch", {"lead_organisation": world.housing.pk, "lead_person": world.handler2.pk, "co_handlers": [world.roads.pk]}, "dispatched"),
        (world.handler2, "accept", {"note": "收到"}, "in_progress"),
        (world.handler2, "note", {"text": "已联系物业", "public": "on"}, "in_progress"),
        (world.roads_handler, "note", {"text": "协办：已查看"}, "in_progress"),
        (world.handler2, "request_resources", {"text": "需要梯子", "resources": "梯子\n灯泡"}, "in_progress"),
        (world.handler2, "request_extension", {"days": "3", "reason": "等配件"}, "in_progress"),
        (world.dispatcher, "approve_extension", {"note": "同意"}, "in_progress"),
        (world.handler2, "resolve", {"public_reply": "已更换灯泡", "internal_note": "物业配合"}, "resolved"),
        (world.dispatcher, "send_back", {"reason": "照片不清楚"}, "in_progress"),
        (world.handler2, "resolve", {"public_reply": "已更换灯泡并拍照"}, "resolved"),
        (world.dispatcher, "verify", {"note": "现场核实"}, "verified"),
        (world.operator, "revisit", {"satisfaction": "5", "was_resolved": "yes", "comment": "满意"}, "closed"),
    ]  # fmt: skip
    for user, action, data, status in steps:
        before = len(events(appeal))
        response = post(user, appeal, action, data)
        assert response.status_code == 302, (action, response.status_code)
        assert response["Location"] == page_url(appeal)
        assert fresh(appeal).status == status, action
        assert events(appeal)[before:] == [action], action
    final = fresh(appeal)
    assert final.lead_person == world.handler2 and final.satisfaction == 5
    assert list(final.co_handlers.all()) == [world.roads]
    # Closed: no clock runs any more (suqiu/timelimits/due.py).
    assert final.rework_count == 1 and final.due_at is None and final.due_stage == ""
    note = AppealEvent.objects.filter(appeal=appeal, kind="note").first()
    assert note.is_public and note.public_text == "已联系物业"
    resources = AppealEvent.objects.get(appeal=appeal, kind="request_resources")
    assert resources.data == {"resources": ["梯子", "灯泡"]}


def test_side_branches_through_the_forms(world):
    # reject
    rejected = new_appeal(world)
    assert post(world.dispatcher, rejected, "reject", {"reason": "重复"}).status_code == 302
    assert fresh(rejected).status == "rejected"
    # merge by tracking code (lower case and without dashes is fine)
    main = new_appeal(world, title="主诉求")
    dup = new_appeal(world, title="重复诉求")
    code = main.tracking_code.lower().replace("-", "")
    assert post(world.dispatcher, dup, "merge", {"into": code}).status_code == 302
    assert fresh(dup).status == "merged" and fresh(dup).merged_into == main
    page = client_for(world.dispatcher).get(page_url(main))
    assert [a.pk for a in page.context["merged_in"]] == [dup.pk]
    # queue as claimable, then a social worker claims it from the task library
    task = assessed(world, category="ELDERLY")
    assert post(world.dispatcher, task, "queue", {"claimable": "on"}).status_code == 302
    assert fresh(task).status == "queued" and fresh(task).is_claimable
    # suspend / resume; deny an extension
    appeal = in_progress(world)
    assert post(world.dispatcher, appeal, "suspend", {"reason": "等待业主"}).status_code == 302
    assert fresh(appeal).status == "suspended"
    assert post(world.dispatcher, appeal, "resume", {}).status_code == 302
    assert fresh(appeal).status == "in_progress"
    until = timezone.localtime(fresh(appeal).due_at + timedelta(days=60)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    # Year 2099 is no extension: refused with the field named.
    far = post(
        world.handler, appeal, "request_extension", {"until": "2099-01-01T10:00", "reason": "x"}
    )
    assert far.status_code == 422 and fresh(appeal).extension_requested_until is None
    assert (
        post(
            world.handler,
            appeal,
            "request_extension",
            {"until": until.strftime("%Y-%m-%dT%H:%M"), "reason": "等配件"},
        ).status_code
        == 302
    )
    assert fresh(appeal).extension_requested_until == until
    assert post(world.dispatcher, appeal, "deny_extension", {"reason": "不需要"}).status_code == 302
    assert fresh(appeal).extension_requested_until is None
    # revisit unsatisfied sends it back to work
    act(world.handler, appeal, "resolve", public_reply="好了")
    act(world.dispatcher, appeal, "verify")
    response = post(world.operator, appeal, "revisit", {"satisfaction": "1", "was_resolved": "no"})
    assert response.status_code == 302
    assert fresh(appeal).status == "in_progress" and fresh(appeal).revisit_resolved is False


def test_return_that_hides_the_appeal_redirects_to_the_list(world):
    appeal = dispatched(world)
    response = post(world.handler, appeal, "return", {"reason": "不属于本部门"})
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:home")
    assert fresh(appeal).status == "queued" and fresh(appeal).lead_organisation is None
    htmx = dispatched(world)
    response = post(world.handler, htmx, "return", {"reason": "不属于本部门"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("workbench:home")


def test_invalid_transition_is_a_409_with_a_message_and_no_change(world):
    appeal = new_appeal(world)
    before = events(appeal)
    response = post(world.dispatcher, appeal, "accept", {})
    assert response.status_code == 409
    assert "“Accept” does not apply while the appeal is “Received”." in response.content.decode()
    assert fresh(appeal).status == "received" and events(appeal) == before
    # Same through htmx: a fragment of the panel, still a 409.
    response = post(world.dispatcher, appeal, "verify", {}, **HTMX)
    assert response.status_code == 409
    body = response.content.decode()
    assert 'id="appeal-panel"' in body and "<html" not in body
    assert "“Verify” does not apply" in body
    # An unknown action is a 409 too, not a 500.
    assert post(world.dispatcher, appeal, "teleport", {}).status_code == 409
    assert events(appeal) == before


def test_not_allowed_is_a_403_shown_on_the_page(world):
    appeal = in_progress(world)
    before = events(appeal)
    response = post(world.dispatcher, appeal, "resolve", {"public_reply": "我来办结"})
    assert response.status_code == 403
    assert "You may not resolve this appeal." in response.content.decode()
    assert fresh(appeal).status == "in_progress" and events(appeal) == before


def test_a_stale_form_gets_a_409_in_that_form(world):
    """Two dispatchers on the same page: the second submit finds the status changed."""
    appeal = assessed(world)
    act(world.dispatcher2, appeal, "dispatch")
    before = events(appeal)
    response = post(world.dispatcher, appeal, "dispatch", {"lead_organisation": world.roads.pk})
    assert response.status_code == 409
    assert fresh(appeal).lead_organisation == world.housing and events(appeal) == before


def test_validation_error_shows_the_field_error_and_changes_nothing(world):
    appeal = new_appeal(world)
    before = events(appeal)
    # Caught by the form: the required reason.
    response = post(world.dispatcher, appeal, "reject", {"reason": "  "})
    assert response.status_code == 422
    form = next(f for f in response.context["action_forms"] if f.action == "reject")
    assert "reason" in form.errors
    assert response.context["open_action"] == "reject"
    # Caught by the service: an unknown main appeal for a merge.
    response = post(world.dispatcher, appeal, "merge", {"into": "ABCD-EFGH-JKMN"})
    assert response.status_code == 422
    form = next(f for f in response.context["action_forms"] if f.action == "merge")
    assert form.errors["into"] == ["No such appeal."]
    assert "No such appeal." in response.content.decode()
    # Assess without a category (the appeal has none yet).
    response = post(world.dispatcher, appeal, "assess", {"urgency": "urgent"})
    assert response.status_code == 422
    form = next(f for f in response.context["action_forms"] if f.action == "assess")
    assert "category" in form.errors
    assert fresh(appeal).status == "received" and fresh(appeal).urgency == "normal"
    assert events(appeal) == before


def test_dispatch_refuses_a_lead_person_from_another_organisation(world):
    appeal = assessed(world)
    response = post(
        world.dispatcher,
        appeal,
        "dispatch",
        {"lead_organisation": world.housing.pk, "lead_person": world.roads_handler.pk},
    )
    assert response.status_code == 422
    assert fresh(appeal).status == "assessed"


def test_dispatch_form_defaults_to_the_category_organisation(world):
    appeal = assessed(world, category="ROAD")
    response = client_for(world.dispatcher).get(page_url(appeal))
    form = next(f for f in response.context["action_forms"] if f.action == "dispatch")
    assert form["lead_organisation"].value() == world.roads.pk
    people = client_for(world.dispatcher).get(
        reverse("workbench:people_options"), {"lead_organisation": world.housing.pk}
    )
    text = people.content.decode()
    assert str(world.handler) in text and str(world.handler2) in text
    assert str(world.roads_handler) not in text
    # Not for every staff account: a handler or a volunteer dispatches nothing.
    for user in (world.handler, world.volunteer):
        refused = client_for(user).get(
            reverse("workbench:people_options"), {"lead_organisation": world.housing.pk}
        )
        assert refused.status_code == 403 and str(world.handler2) not in refused.content.decode()
    # An id no database holds is no organisation (it was a 500).
    huge = client_for(world.dispatcher).get(
        reverse("workbench:people_options"), {"lead_organisation": "9" * 20}
    )
    assert huge.status_code == 200 and str(world.handler) not in huge.content.decode()


# --- Privacy: phone masking and reveal ------------------------------------------------------------------


def test_phone_is_masked_and_reveal_is_audited(world):
    appeal = new_appeal(world, phone="13812341234")
    client = client_for(world.dispatcher)
    html = client.get(page_url(appeal)).content.decode()
    assert "138****1234" in html and "13812341234" not in html
    assert reverse("workbench:reveal_phone", args=[appeal.pk]) in html
    response = client.post(reverse("workbench:reveal_phone", args=[appeal.pk]), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "13812341234" in body and "<html" not in body
    reveal = AppealEvent.objects.get(appeal=appeal, kind="phone_revealed")
    assert reveal.actor == world.dispatcher
    # Without htmx the whole page comes back with the number.
    response = client.post(reverse("workbench:reveal_phone", args=[appeal.pk]))
    assert response.status_code == 200 and "13812341234" in response.content.decode()
    assert AppealEvent.objects.filter(appeal=appeal, kind="phone_revealed").count() == 2


def test_operator_sees_the_full_number_and_leader_cannot_reveal(world):
    appeal = new_appeal(world, phone="13812341234")
    assert "13812341234" in client_for(world.operator).get(page_url(appeal)).content.decode()
    leader = client_for(world.leader)
    html = leader.get(page_url(appeal)).content.decode()
    assert "138****1234" in html
    assert reverse("workbench:reveal_phone", args=[appeal.pk]) not in html
    response = leader.post(reverse("workbench:reveal_phone", args=[appeal.pk]))
    assert response.status_code == 403
    assert not AppealEvent.objects.filter(appeal=appeal, kind="phone_revealed").exists()


def test_volunteer_sees_no_reporter(world):
    task = assessed(world, category="ELDERLY")
    act(world.dispatcher, task, "queue", claimable=True)
    act(world.volunteer, task, "claim")
    html = client_for(world.volunteer).get(page_url(task)).content.decode()
    assert "王先生" not in html and "138****1234" not in html and "13812341234" not in html


# --- Photos ----------------------------------------------------------------------------------------


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_photos_are_served_only_to_who_may_see_the_appeal(world):
    appeal = dispatched(world)
    photo = services.appeal_add_photo(actor=_actor(world.operator), appeal=appeal, content=_jpeg())
    url = reverse("workbench:photo", args=[appeal.pk, photo.pk])
    response = client_for(world.handler).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert url in client_for(world.handler).get(page_url(appeal)).content.decode()
    assert client_for(world.roads_handler).get(url).status_code == 404
    other = new_appeal(world)
    wrong = reverse("workbench:photo", args=[other.pk, photo.pk])
    assert client_for(world.dispatcher).get(wrong).status_code == 404


# --- Bulk dispatch ----------------------------------------------------------------------------------


def test_bulk_dispatch_reports_each_appeal(world):
    ok1 = assessed(world, category="HOUSING", title="一")
    ok2 = assessed(world, category="ROAD", title="二")
    bad = new_appeal(world, title="还没评估")  # received: cannot be dispatched yet
    response = client_for(world.dispatcher).post(
        reverse("workbench:bulk_dispatch"),
        {"ids": [ok1.pk, ok2.pk, bad.pk], "lead_organisation": world.housing.pk, "return_qs": "queue=to_dispatch"},
        **HTMX,
    )  # fmt: skip
    assert response.status_code == 200
    report = response.context["bulk_report"]
    assert report["ok"] == [ok1.tracking_code, ok2.tracking_code]
    assert [code for code, _ in report["failed"]] == [bad.tracking_code]
    assert report["summary"].startswith(f"2 dispatched, 1 failed: {bad.tracking_code}: ")
    assert "“Dispatch” does not apply while the appeal is “Received”." in report["summary"]
    body = response.content.decode()
    assert "2 dispatched, 1 failed" in body and "<html" not in body
    assert fresh(ok1).status == "dispatched" and fresh(ok1).lead_organisation == world.housing
    assert fresh(ok2).status == "dispatched" and fresh(ok2).lead_organisation == world.housing
    assert fresh(bad).status == "received" and events(bad) == ["created"]


def test_bulk_dispatch_without_js_uses_category_defaults_and_redirects(world):
    road = assessed(world, category="ROAD")
    elderly = assessed(world, category="ELDERLY")  # no default organisation
    invisible = assessed(world, category="HOUSING", point=G4_POINT)
    client = client_for(world.community_worker)  # community C1 only
    response = client.post(
        reverse("workbench:bulk_dispatch"),
        {"ids": [road.pk, elderly.pk, invisible.pk], "return_qs": "queue=to_dispatch"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:home") + "?queue=to_dispatch"
    assert fresh(road).status == "dispatched" and fresh(road).lead_organisation == world.roads
    assert fresh(elderly).status == "assessed"
    assert fresh(invisible).status == "assessed"
    followed = client.get(response["Location"])
    text = " ".join(str(m) for m in followed.context["messages"])
    assert f"1 dispatched, 2 failed: {elderly.tracking_code}: " in text
    assert f"#{invisible.pk}: No such appeal." in text
    assert invisible.tracking_code not in text  # never tell what you may not see


def test_bulk_dispatch_checkboxes_only_on_the_dispatch_queue(world):
    assessed(world)
    assert 'id="bulk-form"' in home(world.dispatcher, queue="to_dispatch").content.decode()
    assert 'id="bulk-form"' not in home(world.dispatcher, queue="to_assess").content.decode()
    assert 'id="bulk-form"' not in home(world.handler, queue="to_dispatch").content.decode()


def test_bulk_dispatch_with_nothing_selected(world):
    response = client_for(world.dispatcher).post(reverse("workbench:bulk_dispatch"), {}, **HTMX)
    assert response.status_code == 409
    assert response.context["bulk_report"]["error"]


# --- Task library -----------------------------------------------------------------------------------


def test_task_library_lists_claimable_tasks_without_personal_data(world):
    task = assessed(world, category="ELDERLY", title="帮独居老人找一楼房子", address="兰竹花园")
    act(world.dispatcher, task, "queue", claimable=True)
    not_claimable = assessed(world, title="不开放认领")
    act(world.dispatcher, not_claimable, "queue")
    client = client_for(world.volunteer)
    response = client.get(reverse("workbench:tasks"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "帮独居老人找一楼房子" in html and "不开放认领" not in html
    assert "王先生" not in html and "兰竹花园" not in html
    assert "138****1234" not in html and "13812341234" not in html
    assert reverse("workbench:task_claim", args=[task.pk]) in html
    # Claim: then the volunteer sees the appeal.
    response = client.post(reverse("workbench:task_claim", args=[task.pk]))
    assert response.status_code == 302 and response["Location"] == page_url(task)
    assert fresh(task).claimed_by == world.volunteer and fresh(task).status == "in_progress"
    assert client.get(page_url(task)).status_code == 200
    # A second claim fails cleanly: the task has left the library.
    again = client_for(world.volunteer2).post(
        reverse("workbench:task_claim", args=[task.pk]), **HTMX
    )
    assert again.status_code == 404 and "not in the library" in again.content.decode()
    assert fresh(task).claimed_by == world.volunteer
    # Appeals out of the claimer's sight answer as a missing id does, whatever their state.
    elsewhere = assessed(world, title="别的诉求")
    act(world.dispatcher, elsewhere, "dispatch")
    answers = {
        pk: client_for(world.volunteer2).post(reverse("workbench:task_claim", args=[pk]), **HTMX)
        for pk in (task.pk, elsewhere.pk, not_claimable.pk, 99999999)
    }
    assert {r.status_code for r in answers.values()} == {404}
    assert len({r.content for r in answers.values()}) == 1


def test_task_library_is_for_social_workers_and_volunteers(world):
    assert client_for(world.social_worker).get(reverse("workbench:tasks")).status_code == 200
    assert client_for(world.dispatcher).get(reverse("workbench:tasks")).status_code == 404
    assert "Task library" in home(world.volunteer).content.decode()
    assert reverse("workbench:tasks") not in home(world.dispatcher).content.decode()


# --- htmx fragments -----------------------------------------------------------------------------------


def test_htmx_list_requests_return_fragments(world):
    new_appeal(world, title="楼道灯坏了")
    client = client_for(world.dispatcher)
    full = client.get(reverse("workbench:home"))
    assert "<html" in full.content.decode() and "HX-Request" in full["Vary"]
    results = client.get(reverse("workbench:home"), {"q": "楼道"}, **HTMX)
    body = results.content.decode()
    assert results.status_code == 200 and "<html" not in body
    assert 'id="wb-results"' in body and 'id="wb-filters"' not in body
    assert 'hx-swap-oob="true"' in body  # the queue counts refresh alongside
    main = client.get(
        reverse("workbench:home"), {"queue": "to_dispatch"}, HTTP_HX_TARGET="wb-main", **HTMX
    )
    body = main.content.decode()
    assert 'id="wb-main"' in body and 'id="wb-filters"' in body and "<html" not in body
    # A history restore wants the whole page.
    restore = client.get(reverse("workbench:home"), HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in restore.content.decode()


def test_htmx_action_returns_the_refreshed_panel(world):
    appeal = new_appeal(world)
    response = post(world.dispatcher, appeal, "assess", {"category": world.cat_road.pk}, **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="appeal-panel"') and "<html" not in body
    assert fresh(appeal).status == "assessed"
    assert response.context["notice"]
    assert "dispatch" in offered(response)
    page = client_for(world.dispatcher).get(page_url(appeal), **HTMX)
    assert "<html" not in page.content.decode()


def test_category_names_follow_the_language(world, client):
    appeal = services.appeal_create(
        actor=actor_for(world.resident),
        data=services.AppealInput(
            title="路灯不亮", description="小区门口路灯坏了", category="HOUSING"
        ),
    )
    client.force_login(world.dispatcher)
    english = client.get(page_url(appeal), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(page_url(appeal), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<dd>Housing</dd>" in english and "<dd>住房</dd>" not in english
    assert "<dd>住房</dd>" in chinese
    # The selects too: the assess form's categories, the dispatch form's organisations and
    # the queue's category filter.
    assert ">\u3000Pothole</option>" in english and "坑洼</option>" not in english
    assert ">\u3000坑洼</option>" in chinese
    services.appeal_act(actor=actor_for(world.dispatcher), appeal_id=appeal.pk, action="assess")
    english = client.get(page_url(appeal), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # The test world's English organisation names are their codes.
    assert ">ROADS · " in english and ">交通局 · " not in english
    assert "<dd>D</dd>" in english and "<dd>测试区</dd>" not in english  # its area: the district
    queue = client.get(reverse("workbench:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Housing</option>" in queue and ">住房</option>" not in queue


def test_days_and_ids_out_of_range_are_field_errors_not_500s(world):
    appeal = assessed(world)
    for params in (
        {"queue": "all", "created_to": "9999-12-31"},
        {"queue": "all", "created_from": "0001-01-01"},
    ):
        page = client_for(world.dispatcher).get(reverse("workbench:home"), params)
        assert page.status_code == 200, params
        assert appeal.tracking_code in page.content.decode()  # the bad day is not applied
    for field in ("lead_organisation", "co_handlers", "lead_person"):
        response = client_for(world.dispatcher).post(act_url(appeal, "dispatch"), {field: "9" * 20})
        assert response.status_code == 422, field
        assert fresh(appeal).status == "assessed"
