"""The page that shows how triage does on live intake (/workbench/triage/): automatic dispatches
and what became of them, assessors' agreement with the first suggestion, scoped to the reader."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from suqiu.appeals.models import Appeal
from suqiu.appeals.tests.chain import act, actor, new_appeal
from suqiu.core import clock
from suqiu.core.testing import PASSWORD
from suqiu.triage import selectors
from suqiu.triage.models import AppealTriage
from suqiu.triage.tests.test_intake_model import HOUSING_TEXTS, ROAD_TEXTS, trained

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(world):
    """Three road appeals dispatched by triage (one resolved where it went, one returned, one
    open) and two housing appeals a person assessed (one under the first suggestion, one not)."""
    trained(world, ROAD=0.0, HOUSING=2.0)  # roads always automatic, housing never
    roads = [new_appeal(world, title=t, description=d + "，今天又看到") for t, d in ROAD_TEXTS[:3]]
    assert [Appeal.objects.get(pk=a.pk).status for a in roads] == ["dispatched"] * 3
    ok, back, _open = roads
    act(world.roads_handler, ok, "accept")
    act(world.roads_handler, ok, "resolve", public_reply="已于今日修补路面坑洼，恢复通行")
    act(world.roads_handler, back, "return", reason="不属于本单位管辖")
    housing = [
        new_appeal(world, title=t, description=d + "，今天又看到") for t, d in HOUSING_TEXTS[:2]
    ]
    act(world.dispatcher, housing[0], "assess", category="HOUSING")
    act(world.dispatcher, housing[1], "assess", category="ELDERLY")  # a correction
    return {"roads": roads, "housing": housing}


def _perf(user):
    now = clock.now()
    return selectors.performance(actor=actor(user), since=now - timedelta(days=30), until=now)


def test_automatic_dispatches_and_corrections_are_counted(world, live):
    perf = _perf(world.dispatcher)
    t = perf.total
    assert (t.intakes, t.suggested, t.auto) == (5, 5, 3)
    assert (t.auto_confirmed, t.auto_rerouted, t.auto_open) == (1, 1, 1)
    assert t.live_precision == 0.5 and t.live_precision_text == "50.0 %"
    assert (t.assessed, t.assess_corrected, t.agreement) == (2, 1, 0.5)
    by_code = {r.category.code: r for r in perf.rows}
    assert set(by_code) == {"ROAD", "HOUSING", "ELDERLY"}
    assert (by_code["ROAD"].auto, by_code["ROAD"].assessed) == (3, 0)
    assert by_code["HOUSING"].agreement == 1.0 and by_code["ELDERLY"].agreement == 0.0
    assert perf.model is not None and perf.model.is_active


def test_each_category_says_from_which_confidence_it_goes_alone(world, live, client):
    from django.utils import translation

    with translation.override("en"):
        perf = _perf(world.dispatcher)
        by_code = {r.category.code: r for r in perf.rows}
        assert by_code["ROAD"].auto_from_text == "0.0 %"  # the fixture's "always"
        assert by_code["HOUSING"].auto_from_text == "never"
    assert (perf.auto_on, perf.auto_switched_off) == (1, 0)
    world.cat_road.auto_dispatch = False
    world.cat_road.save()
    perf = _perf(world.dispatcher)
    assert (perf.auto_on, perf.auto_switched_off) == (0, 1)
    client.login(username=world.dispatcher.username, password=PASSWORD)
    page = client.get(reverse("triage:report"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    road = page.split('data-category="ROAD"')[1].split("</tr>")[0]
    assert 'data-col="auto-from">off<' in road
    card = page.split('data-card="model"')[1].split("</section>")[0]
    assert 'data-auto-on="0"' in card and "1 switched off" in card
    housing = page.split('data-category="HOUSING"')[1].split("</tr>")[0]
    assert 'data-col="auto-from">never<' in housing


def test_a_person_dispatching_again_counts_as_sent_elsewhere(world, live):
    """The returned appeal dispatched by a person to another organisation stays "sent
    elsewhere" even once resolved there: it was not right where triage sent it."""
    back = live["roads"][1]
    act(world.dispatcher, back, "dispatch", lead_organisation=world.housing.pk)
    act(world.handler, back, "accept")
    act(world.handler, back, "resolve", public_reply="已于今日协调修补路面坑洼，恢复通行")
    t = _perf(world.dispatcher).total
    assert (t.auto_confirmed, t.auto_rerouted, t.auto_open) == (1, 1, 1)


def test_the_report_is_scoped_to_the_readers_area(world, live):
    assert _perf(world.leader).total.intakes == 5  # the street of the appeals, history left out
    assert _perf(world.leader_s2).total.intakes == 0  # another street
    assert not selectors.may_see_report(actor(world.community_worker))
    assert not selectors.may_see_report(actor(world.roads_handler))


def test_the_page_in_both_languages_and_its_refusals(world, live, client):
    url = reverse("triage:report")
    client.login(username=world.dispatcher.username, password=PASSWORD)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How triage does" in page
    total = page.split('data-category="total"')[1].split("</tr>")[0]
    assert re.search(r'data-col="precision">50\.0 %<', total)
    assert re.search(r'data-col="agreement"><a [^>]*kind=corrected[^>]*>50\.0 %<', total)
    assert "v1" in page.split('data-card="model"')[1].split("</section>")[0]
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "分诊成效" in zh and "How triage does" not in zh
    bad = client.get(url + "?days=abc", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 422 and 'data-field="days"' in bad.content.decode()
    assert client.get(url + "?days=7").status_code == 200
    client.logout()
    client.login(username=world.roads_handler.username, password=PASSWORD)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # the login page


def test_the_page_without_a_model_says_so(world, client):
    assert _perf(world.leader).total.intakes == 0
    plain = new_appeal(world, title="路灯不亮", description="小区门口路灯不亮")
    assert not AppealTriage.objects.filter(appeal=plain).exists()  # nothing to suggest or flag
    t = _perf(world.leader).total
    assert (t.intakes, t.suggested, t.auto, t.assessed) == (1, 0, 0, 0)
    assert t.agreement is None and t.live_precision_text == "–"
    client.login(username=world.leader.username, password=PASSWORD)
    page = client.get(reverse("triage:report"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No routing model is active" in page
    assert "not assessed yet" in page  # the one appeal, received


def _listed(client, **params):
    """The appeal ids listed by the drill-down page, and its response."""
    from urllib.parse import urlencode

    response = client.get(
        reverse("triage:report_appeals") + "?" + urlencode(params), HTTP_ACCEPT_LANGUAGE="en"
    )
    ids = {int(i) for i in re.findall(r'data-appeal="(\d+)"', response.content.decode())}
    return ids, response


def test_each_figure_lists_the_appeals_behind_it(world, live, client):
    """The report's counts link to the appeals they count: those triage dispatched, those then
    sent elsewhere, those a person put under another category, per category or in all."""
    roads, housing = live["roads"], live["housing"]
    client.login(username=world.dispatcher.username, password=PASSWORD)
    report = client.get(reverse("triage:report"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    road_row = report.split('data-category="ROAD"')[1].split("</tr>")[0]
    assert (
        "kind=auto&amp;category=ROAD" in road_row and "kind=rerouted&amp;category=ROAD" in road_row
    )
    elderly_row = report.split('data-category="ELDERLY"')[1].split("</tr>")[0]
    assert "kind=corrected&amp;category=ELDERLY" in elderly_row
    assert "kind=corrected" not in report.split('data-category="HOUSING"')[1].split("</tr>")[0]

    ids, response = _listed(client, kind="auto", category="ROAD", days=30)
    assert response.status_code == 200 and ids == {a.pk for a in roads}
    assert "3 appeals" in response.content.decode()
    ids, _ = _listed(client, kind="rerouted", category="ROAD")
    assert ids == {roads[1].pk}  # the one returned
    ids, _ = _listed(client, kind="auto", category="HOUSING")
    assert ids == set()
    ids, response = _listed(client, kind="corrected")
    assert ids == {housing[1].pk}
    row = response.content.decode().split(f'data-appeal="{housing[1].pk}"')[1].split("</tr>")[0]
    suggested = row.split('data-col="suggested">')[1].split("</td>")[0]
    now = row.split('data-col="category">')[1].split("</td>")[0]
    assert "Housing" in suggested and "%" in suggested  # what triage put first, how sure
    assert "Elderly care" in now and "Housing" not in now  # what the person chose


def test_the_list_is_scoped_and_refuses_bad_input(world, live, client):
    client.login(username=world.leader_s2.username, password=PASSWORD)  # another street
    ids, response = _listed(client, kind="auto")
    assert response.status_code == 200 and ids == set()
    client.logout()
    client.login(username=world.leader.username, password=PASSWORD)
    ids, _ = _listed(client, kind="auto")
    assert ids == {a.pk for a in live["roads"]}
    for params, field in (
        ({"kind": "everything"}, "kind"),
        ({}, "kind"),
        ({"kind": "auto", "category": "NO-SUCH"}, "category"),
        ({"kind": "auto", "category": "ROAD\x00"}, "category"),
        ({"kind": "auto", "days": "-1"}, "days"),
    ):
        ids, response = _listed(client, **params)
        assert response.status_code == 422, params
        assert f'data-field="{field}"' in response.content.decode() and not ids
    zh = client.get(
        reverse("triage:report_appeals") + "?kind=corrected", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert zh.status_code == 200 and "Assessed under another category" not in zh.content.decode()
    client.logout()
    client.login(username=world.roads_handler.username, password=PASSWORD)
    assert _listed(client, kind="auto")[1].status_code == 403


def test_a_category_with_nowhere_to_send_its_appeals_never_goes_alone(world, live):
    """The report's rule is triage's own (``selectors.auto_state``): a threshold reached is not
    enough without a default organisation to dispatch to, nor for a deactivated category."""
    from django.utils import translation

    world.cat_road.default_organisation = None
    world.cat_road.save()
    with translation.override("en"):
        perf = _perf(world.dispatcher)
        road = next(r for r in perf.rows if r.category.code == "ROAD")
        assert road.threshold is not None and road.threshold <= 1.0
        assert road.auto_from_text == "never"
    assert (perf.auto_on, perf.auto_switched_off) == (0, 0)
    assert selectors.auto_state(world.cat_road, 0.9) == "no_organisation"
    assert selectors.auto_state(None, 0.9) == "inactive"
    world.cat_road.default_organisation = world.roads
    assert selectors.auto_state(world.cat_road, 0.9) == "on"
    assert selectors.auto_state(world.cat_road, 1.01) == "never"
    world.cat_road.is_active = False
    assert selectors.auto_state(world.cat_road, 0.9) == "inactive"
