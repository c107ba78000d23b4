"""The background worker: every registered duty runs in turn, each no more often than its
interval; a failing duty does not stop the others. Time is a fake clock, never a sleep."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from suqiu.appeals.duties import purge_idempotency_keys
from suqiu.appeals.models import Appeal, IdempotencyKey
from suqiu.appeals.tests.chain import new_appeal
from suqiu.core import worker


class FakeTime:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(worker, "time", fake)
    return fake


@pytest.fixture
def registry(monkeypatch):
    """An empty duty registry for the test (the apps' own duties are put back afterwards).

    These duties touch no database, so the loop's close_old_connections() is a no-op here.
    """
    monkeypatch.setattr(worker, "_DUTIES", {})
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    return worker._DUTIES


def counting(name, calls, result=1):
    def run():
        calls.append(name)
        return result

    return run


def test_each_registered_duty_runs_once_per_round(clock, registry):
    calls = []
    worker.register_duty("a", counting("a", calls, 2), every_seconds=10)
    worker.register_duty("b", counting("b", calls, 0), every_seconds=10)
    handled = worker.Worker().run_once()
    assert handled == {"a": 2, "b": 0}
    assert calls == ["a", "b"]


def test_a_duty_waits_for_its_interval(clock, registry):
    calls = []
    worker.register_duty("fast", counting("fast", calls), every_seconds=5)
    worker.register_duty("slow", counting("slow", calls), every_seconds=60)
    w = worker.Worker()
    w.run_once()
    assert calls == ["fast", "slow"]
    clock.now += 4.9
    assert w.run_once() == {}
    clock.now += 0.1
    assert w.run_once() == {"fast": 1}
    clock.now += 55
    assert w.run_once() == {"fast": 1, "slow": 1}
    assert calls == ["fast", "slow", "fast", "fast", "slow"]


def test_a_failing_duty_is_logged_and_the_others_still_run(clock, registry, caplog):
    calls = []

    def broken():
        raise RuntimeError("boom")

    worker.register_duty("broken", broken, every_seconds=10)
    worker.register_duty("fine", counting("fine", calls), every_seconds=10)
    w = worker.Worker()
    assert w.run_once() == {"broken": 0, "fine": 1}
    assert "duty broken failed" in caplog.text
    # The failed duty also waits its interval before the next try.
    assert w.run_once() == {}


def test_only_runs_the_chosen_duties(clock, registry):
    calls = []
    worker.register_duty("a", counting("a", calls), every_seconds=1)
    worker.register_duty("b", counting("b", calls), every_seconds=1)
    assert worker.Worker(only={"b"}).run_once() == {"b": 1}
    assert calls == ["b"]


def test_stopping_finishes_the_current_duty_and_no_more(clock, registry):
    calls = []
    w = worker.Worker()

    def asks_to_stop():
        calls.append("first")
        w.stop()
        return 1

    worker.register_duty("first", asks_to_stop, every_seconds=1)
    worker.register_duty("second", counting("second", calls), every_seconds=1)
    assert w.run_once() == {"first": 1}
    assert calls == ["first"]


def test_registering_again_replaces_the_duty(clock, registry):
    calls = []
    worker.register_duty("a", counting("old", calls), every_seconds=1)
    worker.register_duty("a", counting("new", calls), every_seconds=1)
    worker.Worker().run_once()
    assert calls == ["new"]
    assert [d.name for d in worker.duties()] == ["a"]


def test_the_apps_register_their_duties():
    assert "appeals.purge_idempotency_keys" in {d.name for d in worker.duties()}


@pytest.mark.django_db
def test_purge_idempotency_keys_deletes_only_old_keys(world, settings):
    settings.SUQIU = {**settings.SUQIU, "IDEMPOTENCY_TTL_HOURS": 48}
    now = timezone.now()
    appeal = new_appeal(world)
    for key, age in (("old", 49), ("older", 200), ("recent", 47), ("new", 0)):
        IdempotencyKey.objects.create(
            owner="user:1",
            key=key,
            request_hash="h",
            appeal=appeal,
            created_at=now - timedelta(hours=age),
        )
    assert purge_idempotency_keys() == 2
    assert set(IdempotencyKey.objects.values_list("key", flat=True)) == {"recent", "new"}
    assert Appeal.objects.filter(pk=appeal.pk).exists()
    assert purge_idempotency_keys() == 0


# The worker runs in autocommit (it closes stale connections before each duty, which inside a
# test's transaction would close the connection under the test): a transactional test.
@pytest.mark.django_db(transaction=True)
def test_worker_command_once_runs_every_duty(world):
    appeal = new_appeal(world)
    IdempotencyKey.objects.create(
        owner="user:1",
        key="stale",
        request_hash="h",
        appeal=appeal,
        created_at=timezone.now() - timedelta(days=30),
    )
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "appeals.purge_idempotency_keys: 1" in out.getvalue()
    assert not IdempotencyKey.objects.exists()
