"""notify(): who gets a message, on which channels, in the caller's transaction, once per key."""

from __future__ import annotations

import pytest
from django.db import transaction

from suqiu.appeals.tests.chain import new_appeal
from suqiu.core.testing import G1_POINT, G4_POINT
from suqiu.directory.models import Role
from suqiu.notify.models import InboxItem, MessageStatus, OutboxMessage
from suqiu.notify.services import notify, staff_covering

pytestmark = pytest.mark.django_db


def recipients(**filters) -> set[int]:
    return set(OutboxMessage.objects.filter(**filters).values_list("recipient_id", flat=True))


def test_roles_in_area_reach_staff_whose_area_covers_the_appeal(world):
    c1 = new_appeal(world, point=G1_POINT)  # community C1, street S1
    OutboxMessage.objects.all().delete()
    n = notify(
        kind="test.area",
        appeal=c1,
        roles_in_area=(Role.COMMUNITY_WORKER, Role.LEADER, Role.DISPATCHER, Role.SOCIAL_WORKER),
        subject="s",
        body="b",
    )
    # C1's community worker, S1's leader, the district's dispatchers and C1's social work
    # agency (a non-area organisation under C1); not C3's community worker, not S2's leader.
    expected = {
        world.community_worker.pk,
        world.leader.pk,
        world.dispatcher.pk,
        world.dispatcher2.pk,
        world.social_worker.pk,
    }
    assert recipients(kind="test.area") == expected
    assert n == len(expected)  # in-app only: e-mail is not configured
    c3 = new_appeal(world, point=G4_POINT)
    assert staff_covering(c3.area_path, [Role.COMMUNITY_WORKER, Role.SOCIAL_WORKER]) == {
        world.community_worker_c3.pk
    }
    # A department serves the district it hangs under: its handlers cover every community.
    assert staff_covering(c3.area_path, [Role.DEPARTMENT_HANDLER]) == {
        world.handler.pk,
        world.handler2.pk,
        world.roads_handler.pk,
    }


def test_users_and_organisation_staff_each_get_one_inapp_message(world):
    n = notify(
        kind="test.org",
        users=[world.resident, world.handler],  # handler is also housing staff: one message
        organisation=world.housing,
        subject="住建局通知",
        body="正文",
    )
    assert n == 3
    assert recipients(kind="test.org") == {world.resident.pk, world.handler.pk, world.handler2.pk}
    # In-app is delivered as it is written: sent, and in the inbox.
    assert set(OutboxMessage.objects.filter(kind="test.org").values_list("status", flat=True)) == {
        MessageStatus.SENT
    }
    item = InboxItem.objects.get(user=world.handler2)
    assert (item.subject, item.body, item.read_at) == ("住建局通知", "正文", None)


def test_inactive_users_get_nothing(world):
    world.handler2.is_active = False
    world.handler2.save()
    assert notify(kind="k", organisation=world.housing, subject="s", body="b") == 1
    assert recipients() == {world.handler.pk}


def test_a_second_identical_call_with_the_same_dedupe_key_writes_nothing(world):
    args = dict(kind="k", users=[world.resident, world.dispatcher], subject="s", body="b")
    assert notify(**args, dedupe_key="once") == 2
    assert notify(**args, dedupe_key="once") == 0
    # Another recipient with the same key is still written; another key too.
    assert notify(**{**args, "users": [world.resident, world.leader]}, dedupe_key="once") == 1
    assert notify(**args, dedupe_key="twice") == 2
    assert OutboxMessage.objects.count() == 5
    assert InboxItem.objects.filter(user=world.resident).count() == 2


def test_without_a_dedupe_key_every_call_writes(world):
    notify(kind="k", users=[world.resident], subject="s", body="b")
    notify(kind="k", users=[world.resident], subject="s", body="b")
    assert OutboxMessage.objects.count() == 2


def test_a_rolled_back_transaction_leaves_no_message(world, settings):
    settings.SUQIU_NOTIFY = {"SMS_URL": "http://127.0.0.1:9/"}
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(
            kind="k",
            users=[world.resident],
            contacts=[("sms", "13800000000")],
            subject="s",
            body="b",
        )
        assert OutboxMessage.objects.count() == 2
        raise RuntimeError("the causing change failed")
    assert OutboxMessage.objects.count() == 0
    assert InboxItem.objects.count() == 0


def test_channels_that_are_not_configured_are_skipped(world, settings):
    settings.SUQIU_NOTIFY = {}
    world.dispatcher.email = "d@example.org"
    world.dispatcher.save()
    n = notify(
        kind="k",
        users=[world.dispatcher],
        contacts=[("sms", "13800000000"), ("email", "x@example.org")],
        subject="s",
        body="b",
    )
    assert n == 1
    assert list(OutboxMessage.objects.values_list("channel", flat=True)) == ["inapp"]
    settings.SUQIU_NOTIFY = {"EMAIL_HOST": "127.0.0.1", "SMS_URL": "http://127.0.0.1:9/"}
    n = notify(
        kind="k2",
        users=[world.dispatcher],
        contacts=[("sms", "13800000000")],
        subject="s",
        body="b",
    )
    assert n == 3
    assert sorted(
        OutboxMessage.objects.filter(kind="k2").values_list("channel", "address", "status")
    ) == [
        ("email", "d@example.org", "pending"),
        ("inapp", "", "sent"),
        ("sms", "13800000000", "pending"),
    ]


def test_webhooks_get_one_message_per_configured_url_for_their_kinds(world, settings):
    settings.SUQIU_NOTIFY = {
        "WEBHOOK_SECRET": "s3cret",
        "WEBHOOKS": [
            {"url": "http://127.0.0.1:9/all", "kinds": ["*"]},
            {"url": "http://127.0.0.1:9/accepted", "kinds": ["appeal.accepted"]},
            {"url": "http://127.0.0.1:9/own", "kinds": ["appeal.created"], "secret": "other"},
        ],
    }
    notify(kind="appeal.accepted", subject="s", body="b")
    notify(kind="appeal.created", subject="s", body="b")
    assert sorted(OutboxMessage.objects.values_list("kind", "address")) == [
        ("appeal.accepted", "http://127.0.0.1:9/accepted"),
        ("appeal.accepted", "http://127.0.0.1:9/all"),
        ("appeal.created", "http://127.0.0.1:9/all"),
        ("appeal.created", "http://127.0.0.1:9/own"),
    ]


def test_a_webhook_without_any_secret_is_never_written(world, settings):
    settings.SUQIU_NOTIFY = {"WEBHOOKS": [{"url": "http://127.0.0.1:9/", "kinds": ["*"]}]}
    assert notify(kind="appeal.created", subject="s", body="b") == 0


def test_a_subject_is_one_line(world):
    notify(kind="k", users=[world.resident], subject="第一行\r\n第二行\n", body="正文\n两行")
    message = OutboxMessage.objects.get()
    assert (message.subject, message.body) == ("第一行 第二行", "正文\n两行")


def test_old_sent_messages_are_pruned_and_inbox_items_stay(world, settings):
    from datetime import timedelta

    from django.utils import timezone

    from suqiu.core import clock
    from suqiu.notify.services import prune

    settings.SUQIU_NOTIFY = {"RETENTION_DAYS": 30, "SMS_URL": "http://127.0.0.1:9/"}
    long_ago = timezone.now() - timedelta(days=31)
    with clock.at(long_ago):
        notify(kind="old", users=[world.resident], subject="旧", body="")
        notify(kind="old-failed", contacts=[("sms", "1")], subject="旧", body="")
    OutboxMessage.objects.filter(kind="old-failed").update(status=MessageStatus.FAILED)
    notify(kind="new", users=[world.resident], subject="新", body="")
    assert prune() == 1
    assert sorted(OutboxMessage.objects.values_list("kind", flat=True)) == ["new", "old-failed"]
    assert sorted(InboxItem.objects.values_list("subject", flat=True)) == ["新", "旧"]
    assert prune() == 0


def test_intake_adds_three_statements_for_a_resident_with_an_account(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        new_appeal(world, point=G1_POINT)
    ours = [q["sql"] for q in queries if '"notify_' in q["sql"]]
    # The reporter's contact, the outbox row (written as sent) and the inbox item.
    assert len(ours) == 3, ours
    assert all(sql.lstrip().upper().startswith("INSERT") for sql in ours)


def test_the_worker_runs_the_duties_and_the_transports_are_registered():
    from suqiu.core.worker import duties
    from suqiu.notify.transports import transports

    assert {"notify.send", "notify.prune"} <= {d.name for d in duties()}
    assert {"inapp", "email", "sms", "webhook"} <= set(transports())
