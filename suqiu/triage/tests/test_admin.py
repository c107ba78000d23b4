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
