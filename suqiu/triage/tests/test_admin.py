"""The admin of triage: pages open; keyword rules are edited there and reach intake at once."""

import pytest
from django.test import Client

from suqiu.appeals.tests.chain import new_appeal
from suqiu.triage.models import AppealTriage, KeywordRule

pytestmark = pytest.mark.django_db


def test_admin_pages_open_and_a_new_rule_takes_effect(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.admin)
    for name in ("routingmodel", "keywordrule", "correction", "appealtriage"):
        assert client.get(f"/admin/triage/{name}/").status_code == 200, name
    assert client.get("/admin/triage/keywordrule/add/").status_code == 200
    assert client.get("/admin/triage/routingmodel/add/").status_code == 403  # read-only
    response = client.post(
        "/admin/triage/keywordrule/add/",
        {"category": world.cat_road.pk, "keywords": "坑洼，路面", "urgency": "", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert KeywordRule.objects.get().keyword_list() == ["坑洼", "路面"]
    appeal = new_appeal(world, title="坑洼", description="门口坑洼")
    assert AppealTriage.objects.get(appeal=appeal).suggestions[0]["code"] == "ROAD"


def test_a_model_version_reads_per_category(world):
    """The version page: the cross-validated figures, per category its name, default
    organisation, learnt routes, training appeals and from which confidence it dispatches on its own, and the
    learnt urgency terms (residents' words: escaped)."""
    from django.utils import timezone

    from suqiu.triage.models import RoutingModel

    model = RoutingModel.objects.create(
        version=7,
        created_at=timezone.now(),
        algorithm="test",
        blob=b"",
        metrics={
            "macro_f1": 0.9123,
            "accuracy": 0.93,
            "coverage_at_precision": {"0.95": 0.9, "0.98": 0.781, "0.99": 0.6},
            "folds": 5,
            "target_precision": 0.98,
            "version_info": {"label_counts": {"ROAD": 40, "HOUSING": 12}, "train_seconds": 3.2},
        },
        thresholds={"ROAD": 0.9612, "HOUSING": 1.01, "ELDERLY": 0.9},
        label_map={
            "ROAD": {
                "category_id": world.cat_road.pk,
                "organisation_id": world.roads.pk,
                "routes": {str(world.c1.pk): world.c1.pk},
            },
            # (a version from before routes were learnt)
            "HOUSING": {"category_id": world.cat_housing.pk, "organisation_id": None},
            # no default organisation; one community's appeals went to the community
            "ELDERLY": {
                "category_id": world.cat_elderly.pk,
                "organisation_id": None,
                "routes": {str(world.c1.pk): world.c1.pk},
            },
        },
        urgency_terms=[{"term": "<b>燃气</b>", "level": "emergency", "n": 9, "precision": 0.9}],
        n_train=52,
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.admin)
    page = client.get(f"/admin/triage/routingmodel/{model.pk}/change/").content.decode()
    assert "macro-F1: 0.912" in page and "78.1%" in page
    road = page.split("<td>ROAD</td>")[1].split("</tr>")[0]
    assert world.cat_road.name in road and world.roads.name in road
    assert "<td>40</td>" in road and "from confidence 0.961" in road
    assert f"<td>{world.c1.name} → {world.c1.name}</td>" in road
    housing = page.split("<td>HOUSING</td>")[1].split("</tr>")[0]
    assert "never (no default organisation)" in housing and "<td>12</td>" in housing
    elderly = page.split("<td>ELDERLY</td>")[1].split("</tr>")[0]
    # (suggested there, but a person dispatches: the administrator left it without a default)
    assert "never (no default organisation)" in elderly and f"{world.c1.name} →" in elderly
    assert "&lt;b&gt;燃气&lt;/b&gt;" in page and "<b>燃气</b>" not in page
    assert "<td>Emergency</td>" in page and "<td>90%</td>" in page
    # Switched off for the category by an administrator: never, whatever the threshold.
    world.cat_road.auto_dispatch = False
    world.cat_road.save()
    page = client.get(f"/admin/triage/routingmodel/{model.pk}/change/").content.decode()
    road = page.split("<td>ROAD</td>")[1].split("</tr>")[0]
    assert "never (switched off for the category)" in road and "from confidence" not in road


def test_the_active_version_is_not_deleted_and_deleting_another_tells_the_processes(world):
    from django.utils import timezone

    from suqiu.directory import snapshot
    from suqiu.triage import loader, services
    from suqiu.triage.models import RoutingModel

    old, active = (
        RoutingModel.objects.create(version=v, created_at=timezone.now(), blob=b"") for v in (1, 2)
    )
    services.activate(active)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.admin)
    # One by one: no delete page for the active version.
    assert client.get(f"/admin/triage/routingmodel/{active.pk}/delete/").status_code == 403
    assert (
        client.post(f"/admin/triage/routingmodel/{active.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    # In bulk, confirmation included: refused with a message, nothing deleted.
    bulk = {"action": "delete_selected", "_selected_action": [old.pk, active.pk], "post": "yes"}
    response = client.post("/admin/triage/routingmodel/", bulk, follow=True)
    assert response.status_code == 200
    assert "The active version cannot be deleted" in response.content.decode()
    assert RoutingModel.objects.count() == 2
    # An inactive version goes, and every process is told to look again.
    token = snapshot.version(loader.KIND)
    bulk["_selected_action"] = [old.pk]
    assert client.post("/admin/triage/routingmodel/", bulk).status_code == 302
    assert list(RoutingModel.objects.values_list("version", flat=True)) == [2]
    assert snapshot.version(loader.KIND) != token
