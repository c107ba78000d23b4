"""The inbox over the REST API: your own messages only, the unread count, marking read."""

from __future__ import annotations

import pytest

from suqiu.api.testing import ApiClient
from suqiu.appeals.tests.chain import new_appeal
from suqiu.notify.models import InboxItem
from suqiu.notify.services import notify

pytestmark = pytest.mark.django_db


def test_inbox_lists_your_messages_and_marks_them_read(world):
    appeal = new_appeal(world)  # the resident's tracking-code message
    notify(kind="k", users=[world.resident], subject="第二条", body="")
    notify(kind="k", users=[world.dispatcher], subject="别人的", body="")
    api = ApiClient(world.resident)
    body = api.get("/notify/inbox").json()
    assert body["unread"] == 2
    assert [i["subject"] for i in body["items"]][0] == "第二条"
    assert body["items"][1]["tracking_code"] == appeal.tracking_code
    assert "别人的" not in str(body)
    first = body["items"][1]["id"]
    marked = api.post(f"/notify/inbox/{first}/read").json()
    assert marked == {"marked": 1, "unread": 1}
    assert [
        i["subject"] for i in api.get("/notify/inbox", {"unread_only": True}).json()["items"]
    ] == ["第二条"]
    assert api.post("/notify/inbox/read").json() == {"marked": 1, "unread": 0}
    assert not InboxItem.objects.filter(user=world.resident, read_at__isnull=True).exists()


def test_someone_elses_message_is_not_found(world):
    notify(kind="k", users=[world.dispatcher], subject="别人的", body="")
    item = InboxItem.objects.get()
    response = ApiClient(world.resident).post(f"/notify/inbox/{item.pk}/read")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    item.refresh_from_db()
    assert item.read_at is None


def test_the_inbox_needs_authentication(world):
    assert ApiClient().get("/notify/inbox").status_code == 401
