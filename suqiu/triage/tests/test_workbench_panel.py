"""The triage panel on the workbench appeal page, and its one-click "use this suggestion"."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from suqiu.appeals.models import Appeal, AppealEvent
from suqiu.appeals.tests.chain import act, new_appeal
from suqiu.triage.models import AppealTriage, KeywordRule

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_of(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def page(client, appeal) -> str:
    response = client.get(reverse("workbench:appeal", args=[appeal.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_panel_shows_suggestions_urgency_and_buttons(world):
    KeywordRule.objects.create(category=world.cat_road, keywords="坑洼")
    KeywordRule.objects.create(category=world.cat_housing, keywords="墙体")
    appeal = new_appeal(world, title="路面坑洼", description="路面坑洼，井盖缺失，墙体")
    html = page(client_of(world.dispatcher), appeal)
    assert 'class="ap-card triage-panel"' in html and 'data-triage-source="rules"' in html
    assert html.index('data-suggestion="ROAD"') < html.index('data-suggestion="HOUSING"')
    assert 'data-urgency-flag="emergency"' in html and "井盖缺失" in html
    assert "Urgency the text suggests:" in html
    assert 'data-use="assess"' in html
    assert 'data-use="dispatch"' not in html  # dispatch is not open before assessment


def test_use_this_suggestion_assesses_then_dispatches(world):
    KeywordRule.objects.create(category=world.cat_road, keywords="坑洼")
    appeal = new_appeal(world, title="路面坑洼", description="路面坑洼")
    client = client_of(world.dispatcher)
    # The button's form: the suggestion's category and the urgency shown.
    url = reverse("workbench:act", args=[appeal.pk, "assess"])
    response = client.post(url, {"category": world.cat_road.pk, "urgency": "normal"}, **HTMX)
    assert response.status_code == 200
    assert Appeal.objects.get(pk=appeal.pk).category == world.cat_road
    html = response.content.decode()
    assert 'data-use="dispatch"' in html  # the refreshed panel now offers the dispatch
    url = reverse("workbench:act", args=[appeal.pk, "dispatch"])
    client.post(url, {"lead_organisation": world.roads.pk}, **HTMX)
    fresh = Appeal.objects.get(pk=appeal.pk)
    assert (fresh.status, fresh.lead_organisation) == ("dispatched", world.roads)


def test_assess_and_dispatch_in_one_click(world):
    """A received appeal: the suggestion's "assess and dispatch to ..." does both, each action
    with its own event, and answers the refreshed panel."""
    KeywordRule.objects.create(category=world.cat_road, keywords="坑洼")
    appeal = new_appeal(world, title="路面坑洼", description="路面坑洼")
    client = client_of(world.dispatcher)
    html = page(client, appeal)
    assert 'data-use="route"' in html and "Assess and dispatch to ROADS" in html
    url = reverse("workbench:route", args=[appeal.pk])
    form = {"category": world.cat_road.pk, "urgency": "urgent", "lead_organisation": world.roads.pk}
    response = client.post(url, form, **HTMX)
    assert response.status_code == 200 and "Done: Assess + Dispatch." in response.content.decode()
    fresh = Appeal.objects.get(pk=appeal.pk)
    assert (fresh.status, fresh.category, fresh.urgency, fresh.lead_organisation) == (
        "dispatched",
        world.cat_road,
        "urgent",
        world.roads,
    )
    kinds = list(
        AppealEvent.objects.filter(appeal=appeal).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds[-2:] == ["assess", "dispatch"]
    # Sent again, the appeal is no longer received: refused, nothing changed.
    again = client.post(url, form, **HTMX)
    assert again.status_code == 409
    assert AppealEvent.objects.filter(appeal=appeal).count() == len(kinds)


def test_a_refused_dispatch_leaves_the_appeal_unassessed(world):
    appeal = new_appeal(world, title="路面坑洼", description="路面坑洼")
    client = client_of(world.dispatcher)
    url = reverse("workbench:route", args=[appeal.pk])
    for bad in ("999999", "x"):
        form = {"category": world.cat_road.pk, "urgency": "normal", "lead_organisation": bad}
        response = client.post(url, form, **HTMX)
        assert response.status_code == 422, response.content
        assert 'role="alert"' in response.content.decode()
    fresh = Appeal.objects.get(pk=appeal.pk)
    assert (fresh.status, fresh.category_id, fresh.version) == ("received", None, 1)
    assert AppealEvent.objects.filter(appeal=appeal).count() == 1


def test_no_one_click_route_for_those_who_do_not_dispatch(world):
    KeywordRule.objects.create(category=world.cat_road, keywords="坑洼")
    appeal = new_appeal(world, title="路面坑洼", description="路面坑洼")
    html = page(client_of(world.operator), appeal)
    assert 'data-use="route"' not in html
    form = {"category": world.cat_road.pk, "urgency": "normal", "lead_organisation": world.roads.pk}
    refused = client_of(world.operator).post(reverse("workbench:route", args=[appeal.pk]), form)
    assert refused.status_code in (403, 404, 409)
    assert Appeal.objects.get(pk=appeal.pk).status == "received"


def test_an_automatic_dispatch_is_told(world):
    KeywordRule.objects.create(category=world.cat_road, keywords="坑洼", auto=True)
    appeal = new_appeal(world, title="路面坑洼", description="路面坑洼")
    html = page(client_of(world.dispatcher), appeal)
    assert "data-auto-dispatched" in html and "Auto-dispatched by a keyword rule." in html


def test_no_panel_on_a_finished_appeal_without_triage(world):
    appeal = new_appeal(world)
    act(world.dispatcher, appeal, "reject", reason="重复")
    assert "triage-panel" not in page(client_of(world.dispatcher), appeal)


def test_the_automatic_routing_note_is_in_the_readers_language(world):
    KeywordRule.objects.create(category=world.cat_road, keywords="坑洼", auto=True)
    with translation.override("en"):  # taken in by a request in English
        appeal = new_appeal(world, title="路面坑洼", description="路面坑洼")
    english = page(client_of(world.dispatcher), appeal)
    assert "Routed automatically by a keyword rule: Roads." in english
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(world.dispatcher)
    html = page(chinese, appeal)
    assert "由关键词规则自动分拨：道路。" in html
    assert "Routed automatically" not in html


def test_the_raised_urgency_note_is_in_the_readers_language(world):
    with translation.override("en"):
        appeal = new_appeal(world, title="燃气泄漏", description="楼道里有很重的煤气味")
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    chinese.force_login(world.dispatcher)
    html = page(chinese, appeal)
    assert "Urgency raised by triage" not in html
    english = page(client_of(world.dispatcher), appeal)
    assert "Urgency raised by triage: " in english


def test_an_urgency_only_triage_still_gets_todays_suggestions(world):
    # At intake nothing routed it (no model, no rule): only its urgency was stored.
    appeal = new_appeal(world, title="燃气泄漏", description="楼道里有很重的煤气味，路面坑洼")
    triage = AppealTriage.objects.get(appeal=appeal)
    assert triage.suggestions == [] and triage.urgency_suggested
    KeywordRule.objects.create(category=world.cat_road, keywords="坑洼")
    html = page(client_of(world.dispatcher), appeal)
    assert 'data-suggestion="ROAD"' in html and "computed now" in html
    assert f'data-urgency-flag="{triage.urgency_suggested}"' in html


def test_a_suggestion_the_model_barely_weighs_gets_no_button(world):
    KeywordRule.objects.create(category=world.cat_road, keywords="坑洼")
    appeal = new_appeal(world, title="路面坑洼", description="路面坑洼")
    triage = AppealTriage.objects.get(appeal=appeal)
    top = triage.suggestions[0]
    weak = {**top, "category_id": world.cat_housing.pk, "code": "HOUSING", "confidence": 0.01}
    AppealTriage.objects.filter(pk=triage.pk).update(
        suggestions=[{**top, "confidence": 0.99, "threshold": 0.5}, weak]
    )
    html = page(client_of(world.dispatcher), appeal)
    road = html[html.index('data-suggestion="ROAD"') : html.index('data-suggestion="HOUSING"')]
    housing = html[html.index('data-suggestion="HOUSING"') :].split("</li>")[0]
    assert 'data-use="assess"' in road and "automatic from 50%" in road
    assert "reaches the threshold for automatic routing" in road
    assert "1%" in housing and 'data-use="assess"' not in housing


def test_an_urgency_flag_without_suggestions_says_there_is_none(world):
    """The flag alone would read as if suggestions were still to come."""
    appeal = new_appeal(world, title="燃气泄漏", description="楼道里有很重的煤气味")
    html = page(client_of(world.dispatcher), appeal)
    assert "data-urgency-flag=" in html and "data-suggestion=" not in html
    assert "No suggestion: no routing model is active and no keyword rule matches." in html


def test_a_rules_guess_from_before_the_model_gives_way_to_the_model(world):
    """An appeal still waiting for assessment was taken in when only the keyword rules
    suggested (here a wrong one); once a model is trained, the panel shows the model's
    suggestion, computed now, and says what the rules had suggested. Nothing stored changes."""
    from suqiu.triage.tests.test_intake_model import trained

    KeywordRule.objects.create(category=world.cat_housing, keywords="路面")
    appeal = new_appeal(world, title="马路坑洼", description="门口马路路面坑洼不平，车辆颠簸")
    stored = AppealTriage.objects.get(appeal=appeal)
    assert stored.source == "rules" and stored.top["code"] == "HOUSING"
    html = page(client_of(world.dispatcher), appeal)
    assert 'data-triage-source="rules"' in html and "data-at-intake" not in html
    trained(world, ROAD=2.0, HOUSING=2.0)  # no automatic dispatch: only the suggestions count
    html = page(client_of(world.dispatcher), appeal)
    assert 'data-triage-source="model"' in html and "computed now" in html
    assert 'data-at-intake="HOUSING"' in html and "At intake the keyword rules suggested" in html
    assert html.split('data-suggestion="')[1].startswith('ROAD"')  # the model's first
    assert AppealTriage.objects.get(appeal=appeal).source == "rules"  # the record stays
    # Once dispatched, the panel tells what was suggested at intake, not today's guess.
    act(world.dispatcher, appeal, "assess", category="ROAD")
    act(world.dispatcher, appeal, "dispatch", lead_organisation=world.roads.pk)
    html = page(client_of(world.dispatcher), Appeal.objects.get(pk=appeal.pk))
    assert 'data-triage-source="rules"' in html and "data-at-intake" not in html


def test_a_category_switched_off_says_so_on_its_suggestion(world):
    KeywordRule.objects.create(category=world.cat_road, keywords="坑洼", auto=True)
    world.cat_road.auto_dispatch = False
    world.cat_road.save()
    appeal = new_appeal(world, title="路面坑洼", description="路面坑洼")
    assert Appeal.objects.get(pk=appeal.pk).status == "received"
    html = page(client_of(world.dispatcher), appeal)
    road = html[html.index('data-suggestion="ROAD"') :].split("</li>")[0]
    assert "automatic dispatch switched off" in road and "automatic from" not in road
    assert 'data-use="assess"' in road  # a person still takes the suggestion with one click
