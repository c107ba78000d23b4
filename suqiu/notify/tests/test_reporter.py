"""The reporter hears about their appeal through the channel captured at intake: in-app for an
account (plus e-mail when the account has an address), SMS for a phone number without an
account, nothing for an anonymous report."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from suqiu.appeals import services as appeals
from suqiu.appeals.tests.chain import act, bring_to, new_appeal
from suqiu.core import clock
from suqiu.notify.models import InboxItem, OutboxMessage, ReporterContact
from suqiu.notify.reporter import (
    KIND_ACCEPTED,
    KIND_CREATED,
    KIND_MERGED,
    KIND_RATE,
    KIND_RESOLVED,
)
from suqiu.notify.services import send_due
from suqiu.notify.tests.servers import HttpServer, SmtpServer

pytestmark = pytest.mark.django_db

REPORTER_KINDS = [KIND_CREATED, KIND_ACCEPTED, KIND_RESOLVED, KIND_RATE]


def reporter_messages(appeal, channel=None):
    qs = OutboxMessage.objects.filter(appeal=appeal, kind__startswith="reporter.")
    if channel:
        qs = qs.filter(channel=channel)
    return list(qs.order_by("id"))


def test_a_resident_with_an_account_hears_each_step_in_app(world):
    appeal = bring_to(world, "verified")
    assert list(
        ReporterContact.objects.filter(appeal=appeal).values_list("channel", flat=True)
    ) == ["inapp"]
    messages = reporter_messages(appeal)
    assert [(m.kind, m.channel, m.recipient_id) for m in messages] == [
        (kind, "inapp", world.resident.pk) for kind in REPORTER_KINDS
    ]
    items = list(InboxItem.objects.filter(user=world.resident).order_by("id"))
    assert [i.kind for i in items] == REPORTER_KINDS
    # The tracking code is in the first message; the resolution carries the public reply;
    # the last asks to rate, with the tracking page's address.
    assert appeal.tracking_code in items[0].subject and appeal.tracking_code in items[0].body
    assert "住建局" in items[1].body  # who accepted it (default language: Chinese)
    assert "已更换灯泡" in items[2].body
    assert f"/track/{appeal.tracking_code}" in items[3].body
    # Staff doing the work are not the reporter: nothing lands in their inbox from these hooks.
    assert not InboxItem.objects.exclude(user=world.resident).exists()


def test_a_merged_appeal_s_reporter_is_told_and_follows_the_main_appeal(world, settings):
    settings.SUQIU_NOTIFY = {"SMS_URL": "http://127.0.0.1:9/"}  # SMS on (nothing is sent here)
    main = new_appeal(world)
    act(world.dispatcher, main, "assess", category="HOUSING")
    act(world.dispatcher, main, "queue")
    act(world.dispatcher, main, "dispatch")
    by_phone = new_appeal(
        world, by=world.operator, reporter_name="王先生", reporter_phone="13700000001"
    )
    act(world.dispatcher, by_phone, "merge", into=main.pk, reason="同一盏灯")
    # A follower of a follower: merged into an appeal that is merged in its turn.
    second = new_appeal(world, title="同一盏灯又坏", by=world.resident2)
    other = new_appeal(
        world, title="同一盏灯", by=world.operator, reporter_name="赵", reporter_phone="13700000002"
    )
    act(world.dispatcher, second, "merge", into=other.pk)
    act(world.dispatcher, other, "merge", into=main.pk)
    told = reporter_messages(by_phone)
    assert [(m.kind, m.channel, m.address) for m in told] == [
        (KIND_CREATED, "sms", "13700000001"),
        (KIND_MERGED, "sms", "13700000001"),
    ]
    assert main.tracking_code in told[1].body and by_phone.tracking_code in told[1].body
    assert f"/track/{by_phone.tracking_code}" in told[1].body
    act(world.handler, main, "accept")
    act(world.handler, main, "resolve", public_reply="已更换灯泡，楼道照明恢复。")
    for follower in (by_phone, second, other):
        kinds = [m.kind for m in reporter_messages(follower)]
        assert kinds[-2:] == [KIND_ACCEPTED, KIND_RESOLVED], follower
        resolved = reporter_messages(follower)[-1]
        assert main.tracking_code in resolved.body and "已更换灯泡" in resolved.body
        assert follower.tracking_code in resolved.body
    # The main appeal's reporter hears their own appeal's steps once each, not the followers'.
    assert [m.kind for m in reporter_messages(main)] == [
        KIND_CREATED,
        KIND_ACCEPTED,
        KIND_RESOLVED,
    ]


def test_an_exact_repeat_s_reporter_hears_it_is_already_being_handled(world):
    first = new_appeal(world, description="3栋电梯困人，请尽快处理")
    again = new_appeal(world, description="3栋电梯困人，请尽快处理")
    assert again.merged_into_id == first.pk
    assert [m.kind for m in reporter_messages(again)] == [KIND_MERGED]
    item = InboxItem.objects.filter(user=world.resident).order_by("-id").first()
    assert first.tracking_code in item.body and again.tracking_code in item.body
    assert "已在作为诉求" in item.body  # not "someone reported it before": it was them
    # The same person hears the main appeal's steps once, not once per repeat.
    act(world.dispatcher, first, "assess", category="HOUSING")
    act(world.dispatcher, first, "queue")
    act(world.dispatcher, first, "dispatch")
    act(world.handler, first, "accept")
    assert [m.kind for m in reporter_messages(again)] == [KIND_MERGED]
    accepted = InboxItem.objects.filter(user=world.resident, kind=KIND_ACCEPTED)
    assert accepted.count() == 1


def test_a_phone_report_without_an_account_gets_sms(world, settings):
    with HttpServer([200]) as gateway:
        settings.SUQIU_NOTIFY = {"SMS_URL": gateway.url}
        appeal = new_appeal(
            world, by=world.operator, reporter_name="王先生", reporter_phone="13700000001"
        )
        act(world.dispatcher, appeal, "assess", category="HOUSING")
        act(world.dispatcher, appeal, "queue")
        act(world.dispatcher, appeal, "dispatch")
        act(world.handler, appeal, "accept")
        assert send_due() == 2
    assert [(m.kind, m.channel, m.address, m.status) for m in reporter_messages(appeal)] == [
        (KIND_CREATED, "sms", "13700000001", "sent"),
        (KIND_ACCEPTED, "sms", "13700000001", "sent"),
    ]
    texts = [r.json()["text"] for r in gateway.received]
    assert {r.json()["to"] for r in gateway.received} == {"13700000001"}
    assert appeal.tracking_code in texts[0]
    assert "受理" in texts[1] or "办理" in texts[1]
    assert not InboxItem.objects.exists()


def test_a_reporter_account_with_an_email_also_gets_email(world, settings):
    world.resident.email = "zhang@example.org"
    world.resident.save()
    with SmtpServer() as smtp:
        settings.SUQIU_NOTIFY = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": smtp.port}
        appeal = new_appeal(world)
        assert send_due() == 1
    assert sorted((m.channel, m.address) for m in reporter_messages(appeal)) == [
        ("email", "zhang@example.org"),
        ("inapp", ""),
    ]
    [(_from, rcpt, content)] = smtp.box.messages
    assert rcpt == ["zhang@example.org"]
    assert appeal.tracking_code.encode() in content


def test_an_anonymous_reporter_gets_nothing(world, settings):
    settings.SUQIU_NOTIFY = {"SMS_URL": "http://127.0.0.1:9/"}
    appeal = new_appeal(world, is_anonymous=True, reporter_phone="13700000001")
    bring_to(world, "verified", appeal=appeal)
    assert not ReporterContact.objects.filter(appeal=appeal).exists()
    assert reporter_messages(appeal) == []


def test_a_phone_report_while_sms_is_off_writes_nothing_but_keeps_the_contact(world, settings):
    settings.SUQIU_NOTIFY = {}
    appeal = new_appeal(world, by=world.operator, reporter_phone="13700000001")
    assert ReporterContact.objects.get(appeal=appeal).channel == "sms"
    assert reporter_messages(appeal) == []


def test_a_failed_action_sends_nothing(world):
    appeal = bring_to(world, "dispatched")
    before = OutboxMessage.objects.count()

    def boom(**_kw):
        raise RuntimeError("a later hook failed")

    appeals.register_after_action("accept", boom)
    try:
        with pytest.raises(RuntimeError):
            act(world.handler, appeal, "accept")
    finally:
        appeals._AFTER_ACTION[appeals.Action("accept")].remove(boom)
    assert OutboxMessage.objects.count() == before
    assert not InboxItem.objects.filter(kind=KIND_ACCEPTED).exists()


def test_an_intake_rolled_back_leaves_no_contact_and_no_message(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        new_appeal(world)
        assert OutboxMessage.objects.count() == 1
        raise RuntimeError("rolled back")
    assert not OutboxMessage.objects.exists()
    assert not ReporterContact.objects.exists()


def test_messages_are_written_at_the_services_time(world):
    moment = timezone.now().replace(microsecond=0) - timezone.timedelta(days=3)
    with clock.at(moment):
        appeal = new_appeal(world)
    [message] = reporter_messages(appeal)
    assert message.created_at == moment
    assert InboxItem.objects.get().created_at == moment


def test_integrations_get_the_appeals_events_by_webhook_without_personal_data(world, settings):
    with HttpServer([200], secret="k") as receiver:
        settings.SUQIU_NOTIFY = {
            "WEBHOOK_SECRET": "k",
            "WEBHOOKS": [{"url": receiver.url, "kinds": ["appeal.created", "appeal.accept"]}],
        }
        appeal = new_appeal(world, reporter_name="张阿姨", reporter_phone="13812341234")
        anonymous = new_appeal(world, by="anonymous", is_anonymous=True)
        bring_to(world, "in_progress", appeal=appeal)
        act(world.handler, appeal, "resolve", public_reply="好了")  # not a subscribed kind
        assert send_due() == 3
    assert receiver.verified == [True, True, True]
    payloads = sorted(
        (r.json() for r in receiver.received), key=lambda p: (p["data"]["appeal_id"], p["id"])
    )
    assert [(p["kind"], p["data"]["appeal_id"]) for p in payloads] == [
        ("appeal.created", appeal.pk),
        ("appeal.accept", appeal.pk),
        ("appeal.created", anonymous.pk),
    ]
    accept = payloads[1]["data"]
    assert (accept["from_status"], accept["to_status"]) == ("dispatched", "in_progress")
    assert accept["tracking_code"] == appeal.tracking_code
    raw = b"".join(r.body for r in receiver.received).decode()
    assert "张阿姨" not in raw and "13812341234" not in raw and "楼道灯" not in raw
