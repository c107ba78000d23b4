"""Who sees and may act on which appeal, through the API, for every standing role.

Five appeals (``suqiu.api.testing.build_appeals``): a new one in community C1 by the resident, one
in C3 dispatched to the housing department, a claimable task in C2, one with no place (district),
and one in C1 claimed by the volunteer.
"""

import pytest

from suqiu.api.testing import ApiClient, build_appeals
from suqiu.appeals.models import AppealEvent, EventKind

ALL = {"c1_new", "c3_dispatched", "c2_task", "district", "c1_claimed"}

# role → (appeals listed, status of `assess` on c1_new)
MATRIX = {
    "resident": ({"c1_new"}, 403),
    "operator": (ALL, 403),
    "grid_worker": ({"c1_new", "c1_claimed"}, 403),
    "community_worker": ({"c1_new", "c1_claimed"}, 200),
    "social_worker": ({"c1_new", "c1_claimed"}, 200),
    "volunteer": ({"c1_claimed"}, 404),
    "handler": ({"c3_dispatched"}, 404),
    "dispatcher": (ALL, 200),
    "leader": ({"c1_new", "c2_task", "c1_claimed"}, 403),
    "admin": (ALL, 200),
}


@pytest.fixture
def appeals(world):
    return build_appeals(world)


def _names(appeals, ids):
    by_id = {getattr(appeals, n).pk: n for n in ALL}
    return {by_id[i] for i in ids}


@pytest.mark.parametrize("role", sorted(MATRIX))
def test_list_detail_and_assess_by_role(world, appeals, role):
    visible, assess_status = MATRIX[role]
    client = ApiClient(getattr(world, role))

    listed = client.get("/appeals", {"page_size": 200})
    assert listed.status_code == 200
    assert _names(appeals, [r["id"] for r in listed.json()["results"]]) == visible
    assert listed.json()["count"] == len(visible)

    for name in sorted(ALL):
        appeal = getattr(appeals, name)
        detail = client.get(f"/appeals/{appeal.pk}")
        if name in visible:
            assert detail.status_code == 200, (name, detail.content)
            assert detail.json()["tracking_code"] == appeal.tracking_code
        else:
            # Not "forbidden": an appeal you may not see does not exist for you.
            assert detail.status_code == 404, (name, detail.content)
            assert detail.json()["error"]["code"] == "not_found"
            assert client.get(f"/appeals/{appeal.pk}/events").status_code == 404

    acted = client.post(
        f"/appeals/{appeals.c1_new.pk}/actions/assess", {"category": "HOUSING", "note": "ok"}
    )
    assert acted.status_code == assess_status, acted.content
    appeals.c1_new.refresh_from_db()
    if assess_status == 200:
        assert acted.json()["status"] == "assessed"
        assert appeals.c1_new.status == "assessed"
    else:
        expected = "action_not_allowed" if assess_status == 403 else "not_found"
        assert acted.json()["error"]["code"] == expected
        assert appeals.c1_new.status == "received"


@pytest.mark.parametrize(
    "role,status",
    [
        ("handler", 200),  # staff of the lead organisation
        ("handler2", 200),
        ("roads_handler", 404),  # another department: cannot see it
        ("dispatcher", 403),  # sees it, but accepting is the handler's step
        ("community_worker_c3", 403),
        ("resident2", 403),  # the reporter sees their appeal but cannot accept it
    ],
)
def test_accept_a_dispatched_appeal(world, appeals, role, status):
    response = ApiClient(getattr(world, role)).post(
        f"/appeals/{appeals.c3_dispatched.pk}/actions/accept", {}
    )
    assert response.status_code == status, response.content
    appeals.c3_dispatched.refresh_from_db()
    assert appeals.c3_dispatched.status == ("in_progress" if status == 200 else "dispatched")


@pytest.mark.parametrize(
    "role,status",
    [
        ("volunteer2", 200),  # from the task library, before they can see the appeal
        ("social_worker", 200),
        ("dispatcher", 403),  # sees it but does not claim tasks
        ("resident", 404),
        ("handler", 404),
    ],
)
def test_claim_a_task(world, appeals, role, status):
    client = ApiClient(getattr(world, role))
    response = client.post(f"/appeals/{appeals.c2_task.pk}/actions/claim", {})
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["status"] == "in_progress"
        assert response.json()["claimed_by"]["id"] == getattr(world, role).pk
        # Once claimed, the task is theirs to see.
        assert client.get(f"/appeals/{appeals.c2_task.pk}").status_code == 200


# --- Reporter privacy -----------------------------------------------------------------------------

# role → (appeal, expected reporter block)
FULL = {"name": "张阿姨", "phone": "13812341234", "phone_masked": False, "can_reveal": False}
MASKED = {"name": "张阿姨", "phone": "138****1234", "phone_masked": True, "can_reveal": True}
MASKED_NO_REVEAL = {**MASKED, "can_reveal": False}
REPORTER = {
    "resident": FULL,  # their own appeal
    "operator": FULL,  # operators call reporters back
    "grid_worker": MASKED,
    "community_worker": MASKED,
    "social_worker": MASKED,
    "dispatcher": MASKED,
    "leader": MASKED_NO_REVEAL,
    "admin": MASKED,
}


@pytest.mark.parametrize("role", sorted(REPORTER))
def test_reporter_phone_is_masked_unless_the_role_needs_it(world, appeals, role):
    body = ApiClient(getattr(world, role)).get(f"/appeals/{appeals.c1_new.pk}").json()
    assert {k: body["reporter"][k] for k in REPORTER[role]} == REPORTER[role]


def test_volunteer_sees_no_reporter_on_a_claimed_task(world, appeals):
    body = ApiClient(world.volunteer).get(f"/appeals/{appeals.c1_claimed.pk}").json()
    assert body["reporter"]["name"] == "" and body["reporter"]["phone"] == ""
    assert "赵奶奶" not in str(body) and "13600003333" not in str(body)


def test_reveal_phone_is_audited(world, appeals):
    client = ApiClient(world.dispatcher)
    response = client.post(f"/appeals/{appeals.c1_new.pk}/reveal-phone")
    assert response.status_code == 200
    assert response.json() == {"phone": "13812341234"}
    events = AppealEvent.objects.filter(appeal=appeals.c1_new, kind=EventKind.PHONE_REVEALED)
    assert [(e.actor_id, e.data) for e in events] == [
        (world.dispatcher.pk, {"field": "reporter_phone"})
    ]
    # The reveal shows in the staff timeline.
    kinds = [e["kind"] for e in client.get(f"/appeals/{appeals.c1_new.pk}/events").json()]
    assert kinds[-1] == "phone_revealed"


@pytest.mark.parametrize(
    "role,status,code",
    [
        ("leader", 403, "reveal_not_allowed"),
        ("resident2", 404, "not_found"),  # cannot see the appeal at all
        ("volunteer", 404, "not_found"),
    ],
)
def test_reveal_phone_refused(world, appeals, role, status, code):
    response = ApiClient(getattr(world, role)).post(f"/appeals/{appeals.c1_new.pk}/reveal-phone")
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not AppealEvent.objects.filter(kind=EventKind.PHONE_REVEALED).exists()


def test_volunteer_may_not_reveal_on_their_claimed_task(world, appeals):
    response = ApiClient(world.volunteer).post(f"/appeals/{appeals.c1_claimed.pk}/reveal-phone")
    assert response.status_code == 403
    assert not AppealEvent.objects.filter(kind=EventKind.PHONE_REVEALED).exists()


def test_resident_timeline_has_no_internal_reasons_or_staff_names(world, appeals):
    handler = ApiClient(world.handler)
    pk = appeals.c3_dispatched.pk
    assert handler.post(f"/appeals/{pk}/actions/accept", {}).status_code == 200
    note = handler.post(f"/appeals/{pk}/actions/note", {"text": "内部备注：需协调物业"})
    assert note.status_code == 200
    staff_view = handler.get(f"/appeals/{pk}/events").json()
    assert "内部备注：需协调物业" in [e["reason"] for e in staff_view]
    assert "住建经办" in [e["actor"] for e in staff_view]

    resident_view = ApiClient(world.resident2).get(f"/appeals/{pk}/events").json()
    assert [e["kind"] for e in resident_view] == ["created", "assess", "dispatch", "accept"]
    assert all(e["reason"] == "" and e["actor"] == "" and e["data"] == {} for e in resident_view)
    detail = ApiClient(world.resident2).get(f"/appeals/{pk}").json()
    assert detail["lead_person"] is None and detail["internal_note"] is None
