"""Several senders at once on PostgreSQL never send a message twice: claims take rows with
``SELECT ... FOR UPDATE SKIP LOCKED`` and mark them "sending" in the same transaction."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from suqiu.notify.models import OutboxMessage
from suqiu.notify.services import notify, send_due
from suqiu.notify.tests.servers import HttpServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

MESSAGES = 60
SENDERS = 3


def test_concurrent_senders_deliver_each_message_exactly_once(world, settings):
    with HttpServer([200]) as gateway:
        settings.SUQIU_NOTIFY = {"SMS_URL": gateway.url, "BATCH": 4}
        for i in range(MESSAGES):
            notify(kind="k", contacts=[("sms", f"1370000{i:04d}")], subject="s", body=f"#{i}")
        barrier = threading.Barrier(SENDERS)
        handled: list[int] = [0] * SENDERS
        errors: list[BaseException] = []

        def sender(n: int):
            try:
                barrier.wait(timeout=30)
                while True:
                    got = send_due()
                    if not got:
                        break
                    handled[n] += got
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(SENDERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads), "a sender hung"
    assert errors == []
    assert sum(handled) == MESSAGES
    # Work was shared (each sender claimed something) and nothing reached the gateway twice.
    assert sum(h > 0 for h in handled) >= 2, handled
    per_message = Counter(r.headers["X-Suqiu-Message"] for r in gateway.received)
    assert len(per_message) == MESSAGES
    assert set(per_message.values()) == {1}
    rows = OutboxMessage.objects.all()
    assert {r.status for r in rows} == {"sent"} and {r.attempts for r in rows} == {1}


def test_two_identical_calls_at_once_write_each_message_once(world):
    from django.db import transaction

    barrier = threading.Barrier(2)
    written: list[int] = []
    errors: list[BaseException] = []

    def caller():
        try:
            with transaction.atomic():
                barrier.wait(timeout=30)
                written.append(
                    notify(
                        kind="k",
                        users=[world.dispatcher, world.leader],
                        subject="s",
                        body="b",
                        dedupe_key="same-event",
                    )
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=caller) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(written) == [0, 2]
    assert OutboxMessage.objects.count() == 2
