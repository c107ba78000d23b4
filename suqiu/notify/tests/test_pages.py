"""The inbox page, the unread badge in the workbench navigation, marking read (htmx and plain
POST), and failed deliveries shown to administrators (workbench page and Django admin)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from suqiu.appeals.tests.chain import new_appeal
from suqiu.core.testing import PASSWORD
from suqiu.notify.models import InboxItem, MessageStatus, OutboxMessage
from suqiu.notify.services import notify

pytestmark = pytest.mark.django_db

INBOX = "/workbench/notify/"
FAILURES = "/workbench/notify/failures"


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def badge(html: str, name: str = "notify") -> int | None:
    m = re.search(
        rf'data-nav="{name}"[^>]*>[^<]*(?:<span class="nav-badge" data-badge="(\d+)")?', html
    )
    assert m, f"no {name} link in the navigation"
    return int(m.group(1)) if m.group(1) else None


def test_urls_are_where_the_workbench_links_them():
    assert reverse("notify:inbox") == INBOX
    assert reverse("notify:failures") == FAILURES


def test_inbox_lists_own_messages_with_the_unread_badge(world):
    appeal = new_appeal(world)
    notify(
        kind="k", users=[world.dispatcher], appeal=appeal, subject="新诉求待分拨", body="请尽快处理"
    )
    notify(kind="k", users=[world.dispatcher], subject="第二条", body="")
    notify(kind="k", users=[world.leader], subject="别人的消息", body="")
    response = client_for(world.dispatcher).get(INBOX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "新诉求待分拨" in html and "第二条" in html and "请尽快处理" in html
    assert "别人的消息" not in html
    assert appeal.tracking_code in html  # links to the appeal
    assert badge(html) == 2
    # The badge is on every workbench page.
    assert badge(client_for(world.dispatcher).get("/workbench/").content.decode()) == 2


def test_the_badge_costs_one_query(world):
    notify(kind="k", users=[world.dispatcher], subject="s", body="")
    from suqiu.appeals.extensions import nav_for
    from suqiu.directory.access import actor_for

    class Req:
        user = world.dispatcher

    with CaptureQueriesContext(connection) as queries:
        items = {n.name: n for n in nav_for(Req(), actor_for(world.dispatcher))}
    assert items["notify"].badge == 1
    assert "notify_failures" not in items  # only administrators see failures
    assert len([q for q in queries if "notify_inboxitem" in q["sql"]]) == 1


def test_mark_read_with_htmx_updates_the_item_and_the_badge(world):
    notify(kind="k", users=[world.dispatcher], subject="一", body="")
    notify(kind="k", users=[world.dispatcher], subject="二", body="")
    first = InboxItem.objects.get(subject="一")
    client = client_for(world.dispatcher)
    response = client.post(reverse("notify:read", args=[first.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notify-item-{first.pk}"' in html and "Mark read" not in html.split("</li>")[0]
    # Out of band: the page's unread count and the navigation badge, now 1.
    assert 'id="notify-unread" hx-swap-oob="true"' in html and "1 unread" in html
    assert "hx-swap-oob=\"outerHTML:a[data-nav='notify']\"" in html
    assert 'data-badge="1"' in html
    first.refresh_from_db()
    assert first.read_at is not None
    assert badge(client.get(INBOX).content.decode()) == 1


def test_mark_read_without_javascript_and_mark_all(world):
    notify(kind="k", users=[world.dispatcher], subject="一", body="")
    notify(kind="k", users=[world.dispatcher], subject="二", body="")
    client = client_for(world.dispatcher)
    item = InboxItem.objects.get(subject="一")
    response = client.post(reverse("notify:read", args=[item.pk]))
    assert response.status_code == 302 and response["Location"] == INBOX
    assert InboxItem.objects.filter(read_at__isnull=True).count() == 1
    client.post(reverse("notify:read_all"))
    assert InboxItem.objects.filter(read_at__isnull=True).count() == 0
    assert badge(client.get(INBOX).content.decode()) is None
    assert "Show unread only" in client.get(INBOX).content.decode()
    assert "No messages." in client.get(INBOX + "?unread=1").content.decode()


def test_no_one_marks_someone_elses_message(world):
    notify(kind="k", users=[world.leader], subject="领导的", body="")
    item = InboxItem.objects.get()
    response = client_for(world.dispatcher).post(reverse("notify:read", args=[item.pk]))
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.read_at is None


def test_a_resident_reads_their_messages_outside_the_workbench_layout(world):
    appeal = new_appeal(world)  # the tracking code message
    response = client_for(world.resident).get(INBOX)
    assert response.status_code == 200
    html = response.content.decode()
    assert appeal.tracking_code in html
    assert f"/track/{appeal.tracking_code}" in html  # the public tracking page, not the workbench
    assert 'href="/workbench/"' not in html  # the resident layout, no workbench navigation
    assert 'aria-current="page">Messages' in html


def resident_badge(html: str) -> int | None:
    m = re.search(
        r'<a href="/workbench/notify/" data-nav="notify"[^>]*>Messages(?: <span '
        r'class="badge" data-badge="(\d+)")?',
        html,
    )
    assert m, "no Messages link in the resident navigation"
    return int(m.group(1)) if m.group(1) else None


def test_residents_find_their_messages_from_every_resident_page(world):
    appeal = new_appeal(world)  # the tracking code message
    client = client_for(world.resident)
    assert resident_badge(client.get("/").content.decode()) == 1
    notify(kind="k", users=[world.resident], subject="已受理", body="")
    notify(kind="k", users=[world.dispatcher], subject="别人的消息", body="")
    home = client.get("/").content.decode()
    assert resident_badge(home) == 2
    assert resident_badge(client.get(f"/track/{appeal.tracking_code}").content.decode()) == 2
    InboxItem.objects.filter(user=world.resident).update(read_at=appeal.created_at)
    assert resident_badge(client.get("/").content.decode()) is None
    # Signed out: no link; staff: their workbench badge, not a second link.
    assert "/workbench/notify/" not in Client().get("/").content.decode()
    staff_home = client_for(world.dispatcher).get("/").content.decode()
    assert 'href="/workbench/notify/"' not in staff_home and 'href="/workbench/"' in staff_home


def test_inbox_needs_sign_in(world):
    response = Client().get(INBOX)
    assert response.status_code == 302 and "/login" in response["Location"]


def _failed(world):
    notify(kind="sms.test", contacts=[("sms", "13700000001")], subject="失败的短信", body="b")
    message = OutboxMessage.objects.get(channel="sms")
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.FAILED, attempts=6, last_error="SMS gateway answered 400: bad number"
    )
    return message


def test_administrators_see_failures_and_send_them_again(world, settings):
    settings.SUQIU_NOTIFY = {"SMS_URL": "http://127.0.0.1:9/"}
    message = _failed(world)
    client = client_for(world.admin)
    html = client.get(FAILURES).content.decode()
    assert "失败的短信" in html and "bad number" in html
    assert "137****0001" in html and "13700000001" not in html  # masked
    assert badge(html, "notify_failures") == 1
    assert "失败的短信" not in client.get(FAILURES + "?channel=email").content.decode()
    response = client.post(reverse("notify:retry", args=[message.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Queued again" in response.content.decode()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("pending", 0, "")
    assert "No failed notifications." in client.get(FAILURES).content.decode()


def test_failures_are_for_administrators_only(world, settings):
    settings.SUQIU_NOTIFY = {"SMS_URL": "http://127.0.0.1:9/"}
    message = _failed(world)
    client = client_for(world.dispatcher)
    assert client.get(FAILURES).status_code == 403
    assert client.post(reverse("notify:retry", args=[message.pk])).status_code == 403
    message.refresh_from_db()
    assert message.status == "failed"


def test_failures_in_the_django_admin_with_filters_and_send_again(world, settings):
    settings.SUQIU_NOTIFY = {"SMS_URL": "http://127.0.0.1:9/"}
    message = _failed(world)
    notify(kind="k", users=[world.dispatcher], subject="已送达的", body="")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username="admin", password=PASSWORD)
    url = reverse("admin:notify_outboxmessage_changelist")
    html = client.get(url, {"status__exact": "failed"}).content.decode()
    assert "失败的短信" in html and "已送达的" not in html
    assert "bad number" in html
    response = client.post(
        url, {"action": "send_again", "_selected_action": [message.pk]}, follow=True
    )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == "pending"
