"""Triage at intake without a routing model: keyword rules, urgency and the queue, corrections,
and the API's scoping. (Intake with a trained model: test_intake_model.py.)"""

from datetime import timedelta

import pytest

from suqiu.api.testing import ApiClient
from suqiu.appeals import selectors, services
from suqiu.appeals.models import Appeal, AppealEvent, EventKind
from suqiu.appeals.tests.chain import act, actor, new_appeal
from suqiu.core import clock
from suqiu.core.testing import G1_POINT, G4_POINT
from suqiu.triage.models import AppealTriage, Correction, KeywordRule

pytestmark = pytest.mark.django_db


def rule(category, keywords, **kw):
    return KeywordRule.objects.create(category=category, keywords=keywords, **kw)


# --- Keyword fallback --------------------------------------------------------------------------


def test_without_a_model_keyword_rules_suggest_and_nothing_is_automatic(world):
    rule(world.cat_road, "坑洼, 路面")
    rule(world.cat_housing, "漏水\n墙体")
    appeal = new_appeal(world, title="路面坑洼", description="门口路面有个大坑洼，墙体旁边")
    assert appeal.status == "received"
    triage = AppealTriage.objects.get(appeal=appeal)
    assert triage.source == "rules" and triage.model_version is None
    codes = [s["code"] for s in triage.suggestions]
    assert codes == ["ROAD", "HOUSING"]
    assert triage.suggestions[0]["confidence"] == pytest.approx(2 / 3, abs=1e-3)
    assert triage.suggestions[0]["organisation_id"] == world.roads.pk
    assert not triage.auto_dispatched
    assert list(appeal.events.values_list("kind", flat=True)) == ["created"]


def test_an_auto_rule_dispatches_only_when_it_is_the_one_that_matches(world):
    rule(world.cat_road, "坑洼", auto=True)
    rule(world.cat_housing, "漏水")
    alone = new_appeal(world, title="路上有坑洼", description="车辆经过很颠簸")
    both = new_appeal(world, title="坑洼积水后漏水", description="坑洼和漏水")
    alone.refresh_from_db()
    assert alone.status == "dispatched"
    assert alone.category == world.cat_road and alone.lead_organisation == world.roads
    kinds = list(alone.events.values_list("kind", "actor_id"))
    assert kinds == [("created", world.resident.pk), ("assess", None), ("dispatch", None)]
    assert AppealTriage.objects.get(appeal=alone).auto_dispatched
    assert Appeal.objects.get(pk=both.pk).status == "received"


def test_an_auto_rule_of_a_category_switched_off_only_suggests(world):
    rule(world.cat_road, "坑洼", auto=True)
    world.cat_road.auto_dispatch = False
    world.cat_road.save()
    appeal = new_appeal(world, title="路上有坑洼", description="车辆经过很颠簸")
    assert Appeal.objects.get(pk=appeal.pk).status == "received"
    triage = AppealTriage.objects.get(appeal=appeal)
    assert triage.suggestions[0]["code"] == "ROAD" and not triage.auto_dispatched


def test_no_rule_no_model_leaves_no_row(world):
    appeal = new_appeal(world)
    assert not AppealTriage.objects.filter(appeal=appeal).exists()


def test_imported_history_is_not_triaged(world):
    rule(world.cat_road, "坑洼", auto=True)
    appeal = new_appeal(world, title="坑洼", description="路面坑洼", channel="import")
    assert appeal.status == "received"
    assert not AppealTriage.objects.filter(appeal=appeal).exists()


# --- Urgency at intake and the queue -----------------------------------------------------------


def test_an_emergency_created_later_jumps_the_to_assess_queue(world):
    first = new_appeal(world, title="楼道灯坏了", description="3栋楼道灯不亮")
    later = new_appeal(world, title="楼道有燃气味", description="3栋2单元楼道里很浓的燃气味")
    later.refresh_from_db()
    assert (later.urgency, later.status) == ("emergency", "received")
    raised = AppealEvent.objects.get(appeal=later, kind=EventKind.URGENCY_RAISED)
    assert raised.actor_id is None and raised.data["old"] == "normal"
    assert raised.data["new"] == "emergency"
    assert "燃气味" in [t["term"] for t in raised.data["terms"]]
    triage = AppealTriage.objects.get(appeal=later)
    assert triage.urgency_suggested == "emergency" and triage.urgency_raised
    # The dispatch clock follows: the emergency limit (1 hour by default), not the normal 24.
    assert later.due_stage == "dispatch"
    assert later.due_at == later.created_at + timedelta(hours=1)
    assert later.escalate_at == later.due_at and later.remind_at < later.due_at
    assert raised.data["due_at"] == later.due_at.isoformat() and raised.data["stage"] == "dispatch"
    assert raised.data["old_due_at"] == (later.created_at + timedelta(hours=24)).isoformat()
    first.refresh_from_db()
    assert first.due_at == first.created_at + timedelta(hours=24)
    queue = selectors.appeal_list(
        actor=actor(world.dispatcher), filters=selectors.AppealFilters(queue="to_assess")
    )
    assert [a.pk for a in queue] == [later.pk, first.pk]


def test_a_fall_risk_created_later_jumps_the_to_assess_queue(world):
    first = new_appeal(world, title="楼道灯坏了", description="3栋楼道灯不亮")
    later = new_appeal(
        world, title="楼梯扶手", description="5栋楼梯没有扶手，老人上下楼有摔倒的危险"
    )
    later.refresh_from_db()
    assert later.urgency == "urgent"
    raised = AppealEvent.objects.get(appeal=later, kind=EventKind.URGENCY_RAISED)
    assert (raised.data["old"], raised.data["new"]) == ("normal", "urgent")
    assert "摔倒的危险" in [t["term"] for t in raised.data["terms"]]
    # The urgent dispatch limit (2 hours by default), not the normal 24.
    assert later.due_at == later.created_at + timedelta(hours=2)
    queue = selectors.appeal_list(
        actor=actor(world.dispatcher), filters=selectors.AppealFilters(queue="to_assess")
    )
    assert [a.pk for a in queue] == [later.pk, first.pk]


def test_negated_danger_changes_nothing_and_urgency_is_never_lowered(world):
    calm = new_appeal(world, title="咨询", description="楼道里已经没有燃气味了，想问维修进度")
    assert calm.urgency == "normal"
    assert not AppealEvent.objects.filter(appeal=calm, kind=EventKind.URGENCY_RAISED).exists()
    set_high = new_appeal(world, title="停水", description="小区停水", urgency="emergency")
    assert Appeal.objects.get(pk=set_high.pk).urgency == "emergency"
    assert not AppealEvent.objects.filter(appeal=set_high, kind=EventKind.URGENCY_RAISED).exists()


def test_a_title_ending_in_a_negation_does_not_cancel_the_description(world):
    appeal = new_appeal(world, title="反映多次还没有解决", description="燃气泄漏，楼道里味道很大")
    appeal.refresh_from_db()
    assert appeal.urgency == "emergency"
    triage = AppealTriage.objects.get(appeal=appeal)
    assert triage.urgency_suggested == "emergency" and triage.urgency_raised
    assert "燃气泄漏" in [t["term"] for t in triage.urgency_terms]


def test_a_rule_with_an_urgency_raises_it(world):
    rule(world.cat_housing, "渗水", urgency="urgent")
    appeal = new_appeal(world, title="地下室渗水", description="地下室墙角渗水")
    assert Appeal.objects.get(pk=appeal.pk).urgency == "urgent"
    terms = AppealTriage.objects.get(appeal=appeal).urgency_terms
    assert {"term": "渗水", "kind": "rule", "level": "urgent"} in terms


def test_only_the_system_raises_urgency_outside_an_assessment(world):
    from suqiu.core.errors import PermissionDenied

    appeal = new_appeal(world)
    with pytest.raises(PermissionDenied):
        services.appeal_flag_urgency(
            appeal_id=appeal.pk, urgency="emergency", actor=actor(world.dispatcher)
        )


# --- Corrections -------------------------------------------------------------------------------


def test_a_dispatcher_choosing_otherwise_leaves_a_correction(world):
    rule(world.cat_road, "坑洼")
    appeal = new_appeal(world, title="坑洼", description="门口坑洼")
    act(world.dispatcher, appeal, "assess", category="HOUSING")
    act(world.dispatcher, appeal, "dispatch", lead_organisation=world.housing.pk)
    rows = list(Correction.objects.filter(appeal=appeal).order_by("pk"))
    assert [r.action for r in rows] == ["assess", "dispatch"]
    assert rows[0].suggested_category == world.cat_road
    assert rows[0].chosen_category == world.cat_housing
    assert rows[0].actor == world.dispatcher
    assert rows[1].suggested_organisation == world.roads
    assert rows[1].chosen_organisation == world.housing


def test_a_correction_is_recorded_against_a_suggestion_computed_on_the_spot(world):
    # Taken in before any rule existed: no row, or one with its urgency only. The page and the
    # API show the rules' suggestion computed now; choosing otherwise is a correction all the same.
    bare = new_appeal(world, title="坑洼", description="门口坑洼")
    urgent = new_appeal(world, title="坑洼", description="门口坑洼，旁边有燃气味")
    assert not AppealTriage.objects.filter(appeal=bare).exists()
    assert AppealTriage.objects.get(appeal=urgent).suggestions == []
    rule(world.cat_road, "坑洼")
    for appeal in (bare, urgent):
        act(world.dispatcher, appeal, "assess", category="HOUSING")
        act(world.dispatcher, appeal, "dispatch", lead_organisation=world.housing.pk)
        rows = list(Correction.objects.filter(appeal=appeal).order_by("pk"))
        assert [r.action for r in rows] == ["assess", "dispatch"]
        assert rows[0].suggested_category == world.cat_road
        assert rows[0].chosen_category == world.cat_housing
        assert rows[0].model_version is None
        assert rows[1].suggested_organisation == world.roads
        assert rows[1].chosen_organisation == world.housing


def test_following_the_suggestion_leaves_no_correction(world):
    rule(world.cat_road, "坑洼")
    appeal = new_appeal(world, title="坑洼", description="门口坑洼")
    act(world.dispatcher, appeal, "assess", category="ROAD")
    act(world.dispatcher, appeal, "dispatch")  # the category's default: ROADS
    assert not Correction.objects.filter(appeal=appeal).exists()


# --- The API -----------------------------------------------------------------------------------


def test_api_shows_triage_to_staff_who_see_the_appeal_only(world):
    rule(world.cat_road, "坑洼")
    c1 = new_appeal(world, title="坑洼", description="门口坑洼，有燃气味", point=G1_POINT)
    path = f"/appeals/{c1.pk}/triage"
    body = ApiClient(world.dispatcher).get(path).json()
    assert body["source"] == "rules" and body["live"] is False
    assert body["suggestions"][0]["category"]["code"] == "ROAD"
    assert body["suggestions"][0]["organisation"]["id"] == world.roads.pk
    assert body["urgency_suggested"] == "emergency"
    assert ApiClient(world.community_worker).get(path).status_code == 200
    # Another community's worker, another resident, and even the reporter: 404.
    for user in (world.community_worker_c3, world.resident2, world.resident):
        response = ApiClient(user).get(path)
        assert response.status_code == 404, user
        assert response.json()["error"]["code"] == "not_found"
    assert ApiClient(world.dispatcher).get("/appeals/999999/triage").status_code == 404


def test_api_names_the_suggested_category_in_the_readers_language(world):
    rule(world.cat_road, "坑洼")
    appeal = new_appeal(world, title="坑洼", description="门口坑洼", point=G1_POINT)
    path = f"/appeals/{appeal.pk}/triage"
    for language, name in (("en", "Roads"), ("zh-hans", "道路")):
        body = ApiClient(world.dispatcher).get(path, HTTP_ACCEPT_LANGUAGE=language).json()
        assert body["suggestions"][0]["category"]["name"] == name, language


def test_api_computes_suggestions_for_an_appeal_triaged_before_rules_existed(world):
    appeal = new_appeal(world, title="坑洼", description="门口坑洼", point=G4_POINT)
    rule(world.cat_road, "坑洼")
    body = ApiClient(world.dispatcher).get(f"/appeals/{appeal.pk}/triage").json()
    assert body["live"] is True
    assert [s["category"]["code"] for s in body["suggestions"]] == ["ROAD"]
    assert not AppealTriage.objects.filter(appeal=appeal).exists()


# --- What training learns from ----------------------------------------------------------------


def test_training_learns_final_categories_not_unconfirmed_automatic_ones(world):
    from suqiu.triage.services import training_rows

    rule(world.cat_road, "坑洼", auto=True)
    auto = new_appeal(world, title="坑洼", description="门口坑洼")  # dispatched by the rule
    corrected = new_appeal(world, title="漏水", description="楼顶漏水")
    act(world.dispatcher, corrected, "assess", category="HOUSING")
    waiting = new_appeal(world, title="灯", description="楼道灯坏了", category="ROAD")
    assert Appeal.objects.get(pk=auto.pk).status == "dispatched"
    assert [r[2] for r in training_rows()[0]] == ["HOUSING"]
    assert waiting.status == "received"
    # Handled to the end under the automatic category: now it is a label.
    act(world.roads_handler, auto, "accept")
    act(world.roads_handler, auto, "resolve", public_reply="已修补")
    assert sorted(r[2] for r in training_rows()[0]) == ["HOUSING", "ROAD"]


def test_an_automatic_category_that_had_to_be_sent_elsewhere_is_not_learnt(world):
    """Dispatched by the system under the wrong category, returned, sent to the right office by
    a person and resolved there: still under the system's category (a dispatched appeal is not
    assessed again), which nobody confirmed. It is not learnt."""
    from suqiu.triage.services import training_rows

    rule(world.cat_road, "漏水", auto=True)
    wrong = new_appeal(world, title="楼顶漏水", description="楼顶漏水，下雨屋里漏水")
    wrong = Appeal.objects.get(pk=wrong.pk)
    assert (wrong.status, wrong.category) == ("dispatched", world.cat_road)
    act(world.roads_handler, wrong, "return", reason="不是道路问题，是房屋漏水")
    act(world.dispatcher, wrong, "dispatch", lead_organisation=world.housing.pk)
    act(world.handler, wrong, "accept")
    act(world.handler, wrong, "resolve", public_reply="已安排维修楼顶防水，三天内完成修补")
    wrong = Appeal.objects.get(pk=wrong.pk)
    assert (wrong.status, wrong.category) == ("resolved", world.cat_road)
    # One handled to the end where the system sent it still counts.
    right = new_appeal(world, title="路面漏水", description="路面水管漏水")
    act(world.roads_handler, right, "accept")
    act(world.roads_handler, right, "resolve", public_reply="已修复")
    assert [r[0] for r in training_rows()[0]] == ["路面漏水"]


def test_a_failing_rule_lookup_never_breaks_intake(world, monkeypatch, caplog):
    from suqiu.triage import loader

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(loader, "rules", broken)
    appeal = new_appeal(world, title="楼道有燃气味", description="很浓的燃气味")
    fresh = Appeal.objects.get(pk=appeal.pk)
    assert (fresh.status, fresh.urgency) == ("received", "emergency")
    assert AppealTriage.objects.get(appeal=appeal).suggestions == []
    assert "no suggestions" in caplog.text


def test_training_can_be_kept_to_the_most_recent_appeals(world):
    from datetime import timedelta

    from suqiu.triage.services import training_rows

    made = []
    for i, (code, days_ago) in enumerate([("ROAD", 3), ("HOUSING", 1), ("ROAD", 2)]):
        a = new_appeal(world, title=f"第{i}件", description=f"内容{i}")
        act(world.dispatcher, a, "assess", category=code)
        Appeal.objects.filter(pk=a.pk).update(created_at=clock.now() - timedelta(days=days_ago))
        made.append(a)
    # Oldest first; the cap keeps the newest (by time of intake, not by id).
    assert [r[0] for r in training_rows()[0]] == ["第0件", "第2件", "第1件"]
    assert [r[0] for r in training_rows(2)[0]] == ["第2件", "第1件"]
    assert training_rows(0) == ([], 0)
