"""Delivery against real local servers: SMTP (aiosmtpd), an SMS gateway and a webhook receiver
(http.server). Retries with backoff, permanent failures, HMAC signatures."""

from __future__ import annotations

import email
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from suqiu.core import clock
from suqiu.notify import services
from suqiu.notify.models import MessageStatus, OutboxMessage
from suqiu.notify.services import notify, send_due
from suqiu.notify.tests.servers import HttpServer, SmtpServer
from suqiu.notify.transports.webhook import verify

pytestmark = pytest.mark.django_db

BASE = 60.0  # BACKOFF_BASE_SECONDS in these tests


@pytest.fixture
def t0():
    return timezone.now().replace(microsecond=0)


def configure(settings, **keys):
    settings.SUQIU_NOTIFY = {"BACKOFF_BASE_SECONDS": BASE, "TIMEOUT_SECONDS": 5, **keys}


def fresh(message_id) -> OutboxMessage:
    return OutboxMessage.objects.get(pk=message_id)


# --- E-mail -----------------------------------------------------------------------------------------


def test_email_is_delivered_over_smtp(world, settings, t0):
    with SmtpServer() as smtp:
        configure(settings, EMAIL_HOST="127.0.0.1", EMAIL_PORT=smtp.port, EMAIL_FROM="n@suqiu.test")
        world.dispatcher.email = "dispatcher@example.org"
        world.dispatcher.save()
        with clock.at(t0):
            notify(kind="k", users=[world.dispatcher], subject="新诉求 ABC", body="请处理。")
            assert send_due() == 1
    message = OutboxMessage.objects.get(channel="email")
    assert (message.status, message.attempts, message.sent_at) == ("sent", 1, t0)
    [(mail_from, rcpt, content)] = smtp.box.messages
    assert (mail_from, rcpt) == ("n@suqiu.test", ["dispatcher@example.org"])
    parsed = email.message_from_bytes(content)
    assert str(email.header.make_header(email.header.decode_header(parsed["Subject"]))) == (
        "新诉求 ABC"
    )
    assert parsed.get_payload(decode=True).decode(parsed.get_content_charset()).strip() == (
        "请处理。"
    )
    assert parsed["X-Suqiu-Message"] == str(message.pk)


def test_an_smtp_5xx_for_the_recipient_fails_at_once(world, settings, t0):
    with SmtpServer() as smtp:
        smtp.box.refuse.add("nobody@example.org")
        configure(settings, EMAIL_HOST="127.0.0.1", EMAIL_PORT=smtp.port)
        with clock.at(t0):
            notify(kind="k", contacts=[("email", "nobody@example.org")], subject="s", body="b")
            send_due()
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("failed", 1)
    assert "550" in message.last_error
    assert smtp.box.messages == []


def test_an_smtp_server_that_is_down_is_retried(world, settings, t0):
    with SmtpServer() as smtp:
        port = smtp.port
    configure(settings, EMAIL_HOST="127.0.0.1", EMAIL_PORT=port)  # nothing listens any more
    with clock.at(t0):
        notify(kind="k", contacts=[("email", "a@example.org")], subject="s", body="b")
        send_due()
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("pending", 1)
    assert (
        t0 + timedelta(seconds=BASE / 2) <= message.next_attempt_at <= t0 + timedelta(seconds=BASE)
    )


# --- SMS gateway ------------------------------------------------------------------------------------


def test_sms_gateway_gets_the_configured_json_body_and_auth(world, settings, t0):
    with HttpServer([200]) as gateway:
        configure(
            settings,
            SMS_URL=gateway.url + "send",
            SMS_AUTH="Bearer tok-1",
            SMS_TEMPLATE={"mobile": "{phone}", "content": "【诉求】{text}", "sign": "SQ"},
        )
        with clock.at(t0):
            notify(kind="k", contacts=[("sms", "13812341234")], subject="s", body="已受理")
            assert send_due() == 1
    [request] = gateway.received
    assert (request.method, request.path) == ("POST", "/send")
    assert request.headers["Authorization"] == "Bearer tok-1"
    assert request.json() == {"mobile": "13812341234", "content": "【诉求】已受理", "sign": "SQ"}
    assert OutboxMessage.objects.get().status == "sent"


def test_sms_gateway_as_a_form_post(world, settings, t0):
    with HttpServer([200]) as gateway:
        configure(settings, SMS_URL=gateway.url, SMS_FORMAT="form")
        with clock.at(t0):
            notify(kind="k", contacts=[("sms", "13812341234")], subject="s", body="好 & 快")
            send_due()
    [request] = gateway.received
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    from urllib.parse import parse_qs

    assert parse_qs(request.body.decode()) == {"to": ["13812341234"], "text": ["好 & 快"]}


def test_a_503_twice_then_200_is_sent_on_the_third_attempt_with_backoff(world, settings, t0):
    with HttpServer([503, 503, 200]) as gateway:
        configure(settings, SMS_URL=gateway.url)
        with clock.at(t0):
            notify(kind="k", contacts=[("sms", "13812341234")], subject="s", body="b")
            assert send_due() == 1
        message = OutboxMessage.objects.get()
        assert (message.status, message.attempts) == ("pending", 1)
        assert "503" in message.last_error
        first_retry = message.next_attempt_at
        assert t0 + timedelta(seconds=BASE / 2) <= first_retry <= t0 + timedelta(seconds=BASE)
        # Not due before its time: nothing is claimed, the gateway hears nothing.
        with clock.at(first_retry - timedelta(seconds=1)):
            assert send_due() == 0
        assert len(gateway.received) == 1
        with clock.at(first_retry):
            assert send_due() == 1
        message = fresh(message.pk)
        assert (message.status, message.attempts) == ("pending", 2)
        # The second wait is twice as long (between BASE and 2·BASE).
        second_wait = (message.next_attempt_at - first_retry).total_seconds()
        assert BASE <= second_wait <= 2 * BASE
        with clock.at(message.next_attempt_at):
            assert send_due() == 1
    message = fresh(message.pk)
    assert (message.status, message.attempts, message.last_error) == ("sent", 3, "")
    assert len(gateway.received) == 3


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_a_4xx_from_the_gateway_fails_for_good(world, settings, t0, status):
    with HttpServer([status]) as gateway:
        configure(settings, SMS_URL=gateway.url)
        with clock.at(t0):
            notify(kind="k", contacts=[("sms", "13812341234")], subject="s", body="b")
            send_due()
        with clock.at(t0 + timedelta(days=1)):
            assert send_due() == 0
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, message.next_attempt_at) == ("failed", 1, None)
    assert str(status) in message.last_error
    assert len(gateway.received) == 1


def test_a_429_is_retried(world, settings, t0):
    with HttpServer([429, 200]) as gateway:
        configure(settings, SMS_URL=gateway.url)
        with clock.at(t0):
            notify(kind="k", contacts=[("sms", "1")], subject="s", body="b")
            send_due()
        assert OutboxMessage.objects.get().status == "pending"
        with clock.at(t0 + timedelta(seconds=BASE)):
            send_due()
    assert OutboxMessage.objects.get().status == "sent"


def test_attempts_run_out_after_max_attempts(world, settings, t0):
    with HttpServer([500]) as gateway:
        configure(settings, SMS_URL=gateway.url, MAX_ATTEMPTS=3, BACKOFF_MAX_SECONDS=BASE)
        with clock.at(t0):
            notify(kind="k", contacts=[("sms", "1")], subject="s", body="b")
        for minute in range(10):
            with clock.at(t0 + timedelta(minutes=minute)):
                send_due()
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("failed", 3)
    assert "500" in message.last_error
    assert len(gateway.received) == 3


def test_a_crashed_senders_claim_lapses_and_another_takes_it_over(world, settings, t0):
    with HttpServer([200]) as gateway:
        configure(settings, SMS_URL=gateway.url, CLAIM_SECONDS=120)
        with clock.at(t0):
            notify(kind="k", contacts=[("sms", "1")], subject="s", body="b")
            claimed = services._claim(clock.now(), 10)  # claimed, then the sender "died"
        assert [m.status for m in claimed] == ["sending"]
        with clock.at(t0 + timedelta(seconds=60)):
            assert send_due() == 0  # still claimed
        with clock.at(t0 + timedelta(seconds=120)):
            assert send_due() == 1
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("sent", 2)
    assert len(gateway.received) == 1


def test_backoff_grows_exponentially_is_capped_and_jittered(settings):
    settings.SUQIU_NOTIFY = {"BACKOFF_BASE_SECONDS": 10, "BACKOFF_MAX_SECONDS": 100}
    for attempts, full in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        waits = {services.backoff_seconds(attempts) for _ in range(50)}
        assert all(full / 2 <= w <= full for w in waits)
        assert len(waits) > 1  # jitter: not all the same


# --- Webhooks ---------------------------------------------------------------------------------------


def test_webhook_posts_signed_json_the_receiver_verifies(world, settings, t0):
    with HttpServer([200], secret="hook-secret") as receiver:
        configure(
            settings,
            WEBHOOK_SECRET="hook-secret",
            WEBHOOKS=[{"url": receiver.url + "in", "kinds": ["appeal.accepted"]}],
        )
        with clock.at(t0):
            notify(
                kind="appeal.accepted",
                subject="已受理",
                body="b",
                data={"appeal_id": 7, "tracking_code": "ABCD-EFGH-JKLM"},
            )
            notify(kind="appeal.created", subject="x", body="b")  # not this webhook's kind
            assert send_due() == 1
    [request] = receiver.received
    assert receiver.verified == [True]
    assert request.headers["X-Suqiu-Event"] == "appeal.accepted"
    message = OutboxMessage.objects.get(channel="webhook")
    assert request.headers["X-Suqiu-Delivery"] == str(message.pk)
    assert message.status == "sent"
    payload = json.loads(request.body)
    assert payload["kind"] == "appeal.accepted"
    assert payload["data"] == {"appeal_id": 7, "tracking_code": "ABCD-EFGH-JKLM"}
    # The helper receivers may use agrees; a changed body or an old timestamp does not verify.
    ts, sig = request.headers["X-Suqiu-Timestamp"], request.headers["X-Suqiu-Signature"]
    assert verify("hook-secret", ts, request.body, sig)
    assert not verify("hook-secret", ts, request.body + b" ", sig)
    assert not verify("wrong", ts, request.body, sig)
    assert not verify("hook-secret", ts, request.body, sig, now=int(ts) + 301)


def test_a_receiver_refusing_the_signature_fails_the_message(world, settings, t0):
    with HttpServer([200], secret="receiver-knows-this") as receiver:
        configure(
            settings,
            WEBHOOKS=[{"url": receiver.url, "kinds": ["*"], "secret": "sender-uses-this"}],
        )
        with clock.at(t0):
            notify(kind="appeal.created", subject="s", body="b")
            send_due()
    assert receiver.verified == [False]
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)
    assert "401" in message.last_error


def test_a_message_for_a_channel_switched_off_since_fails_visibly(world, settings, t0):
    configure(settings, SMS_URL="http://127.0.0.1:9/")
    with clock.at(t0):
        notify(kind="k", contacts=[("sms", "1")], subject="s", body="b")
    configure(settings)  # SMS_URL removed
    with clock.at(t0):
        send_due()
    message = OutboxMessage.objects.get()
    assert message.status == "failed" and "not configured" in message.last_error
