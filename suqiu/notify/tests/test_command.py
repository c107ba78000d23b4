"""``suqiu notify``: test a channel against a real local server, status, retry."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from suqiu.notify.models import MessageStatus, OutboxMessage
from suqiu.notify.services import notify
from suqiu.notify.tests.servers import HttpServer, SmtpServer

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("notify", *args, stdout=out)
    return out.getvalue()


def test_test_email_goes_through_smtp(settings):
    with SmtpServer() as smtp:
        settings.SUQIU_NOTIFY = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": smtp.port}
        assert "sent through email" in run("test", "email", "ops@example.org")
    [(_from, rcpt, _content)] = smtp.box.messages
    assert rcpt == ["ops@example.org"]
    assert not OutboxMessage.objects.exists()


def test_test_sms_reports_a_refusal(settings):
    with HttpServer([400]) as gateway:
        settings.SUQIU_NOTIFY = {"SMS_URL": gateway.url}
        with pytest.raises(CommandError, match="400"):
            run("test", "sms", "13700000001")
    assert len(gateway.received) == 1


def test_test_refuses_a_channel_that_is_not_configured(settings):
    settings.SUQIU_NOTIFY = {}
    with pytest.raises(CommandError, match="not configured"):
        run("test", "sms", "13700000001")


def test_status_and_retry(world, settings):
    settings.SUQIU_NOTIFY = {"SMS_URL": "http://127.0.0.1:9/"}
    notify(kind="k", users=[world.resident], contacts=[("sms", "1")], subject="s", body="b")
    OutboxMessage.objects.filter(channel="sms").update(status=MessageStatus.FAILED)
    out = run("status")
    assert "failed   sms      1" in out and "sent     inapp    1" in out
    assert "1 messages queued again" in run("retry")
    assert OutboxMessage.objects.get(channel="sms").status == "pending"
