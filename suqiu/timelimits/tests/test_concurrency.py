"""Several workers and a worker killed mid-batch, on PostgreSQL: every reminder and escalation
exactly once.

(a) two threads, each with its own database connection, sweep the same due set at once (stages'
    reminders and escalations, and first contacts');
(b) a real ``suqiu worker`` process against the test database is SIGKILLed while a batch is
    open (``SUQIU_TIMELIMITS_TEST_ITEM_SLEEP`` makes it sleep between items), then restarted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections

from suqiu.appeals.models import Appeal, AppealEvent
from suqiu.appeals.tests.chain import bring_to, new_appeal
from suqiu.core import clock
from suqiu.notify.models import OutboxMessage
from suqiu.timelimits.duties import (
    escalate_first_contact,
    escalate_overdue,
    remind_due,
    remind_first_contact,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _due_set(world, n: int, *, hours_ago: float = 48) -> list[int]:
    """``n`` appeals received long enough ago to be overdue now (dispatch limit: 24 h)."""
    with clock.at(clock.now() - timedelta(hours=hours_ago)):
        return [new_appeal(world, title=f"到期{i}").pk for i in range(n)]


def _escalations(ids) -> Counter:
    return Counter(
        AppealEvent.objects.filter(appeal_id__in=ids, kind="escalate").values_list(
            "appeal_id", flat=True
        )
    )


def _messages(ids, kind) -> Counter:
    return Counter(
        OutboxMessage.objects.filter(appeal_id__in=ids, kind=kind, channel="inapp").values_list(
            "appeal_id", "recipient_id"
        )
    )


def _two_workers(sweep_round) -> tuple[Counter, list[BaseException]]:
    """Two worker threads started together, each calling ``sweep_round()`` (a round of duties
    returning how many rows it handled) until a round finds nothing: rows handled per worker
    ("w0", "w1") and the exceptions raised."""
    start = threading.Barrier(2)
    handled: Counter = Counter()
    errors: list[BaseException] = []

    def sweep():
        try:
            start.wait()
            while True:
                done = sweep_round()
                handled[threading.current_thread().name] += done
                if done == 0:
                    break
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep, name=f"w{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return handled, errors


def test_two_workers_sweeping_the_same_rows_do_each_thing_once(world, monkeypatch):
    ids = _due_set(world, 30)
    # Some are only due for a reminder (received 20 h ago: reminder after 19.2 h, due at 24 h).
    remind_only = _due_set(world, 10, hours_ago=20)
    monkeypatch.setenv("SUQIU_TIMELIMITS_TEST_ITEM_SLEEP", "0.005")  # let the sweeps overlap
    by_worker, errors = _two_workers(lambda: escalate_overdue(batch=4) + remind_due(batch=4))
    assert errors == []
    # Both workers did some of the work...
    assert set(by_worker) == {"w0", "w1"} and all(by_worker.values())
    # ... and every escalation happened once, every message was written once.
    assert _escalations(ids) == Counter({pk: 1 for pk in ids})
    assert _escalations(remind_only) == Counter()
    dispatchers = {world.dispatcher.pk, world.dispatcher2.pk}
    escalated = _messages(ids, "escalated")
    assert set(escalated.values()) == {1}
    assert len(escalated) == len(ids) * (len(dispatchers) + 1)  # + the S1 leader
    reminded = _messages(remind_only, "due_soon")
    assert set(reminded.values()) == {1}
    assert len(reminded) == len(remind_only) * len(dispatchers)
    assert not Appeal.objects.filter(pk__in=ids, escalate_at__isnull=False).exists()
    assert not Appeal.objects.filter(pk__in=remind_only, remind_at__isnull=False).exists()


def _in_progress(world, n: int, *, accepted_ago: timedelta) -> list[int]:
    """``n`` emergencies accepted ``accepted_ago`` (first contact due 2 h after acceptance,
    reminded when 24 min remain)."""
    with clock.at(clock.now() - accepted_ago):
        return [
            bring_to(world, "in_progress", urgency="emergency", title=f"首联{i}").pk
            for i in range(n)
        ]


def _first_contact_events(ids, kind: str) -> Counter:
    return Counter(
        AppealEvent.objects.filter(
            appeal_id__in=ids, kind=kind, data__stage="first_contact"
        ).values_list("appeal_id", flat=True)
    )


def test_two_workers_remind_and_escalate_each_first_contact_once(world, monkeypatch):
    overdue = _in_progress(world, 16, accepted_ago=timedelta(hours=3))
    remind_only = _in_progress(world, 8, accepted_ago=timedelta(hours=1, minutes=50))
    monkeypatch.setenv("SUQIU_TIMELIMITS_TEST_ITEM_SLEEP", "0.005")
    handled, errors = _two_workers(
        lambda: escalate_first_contact(batch=3) + remind_first_contact(batch=3)
    )
    assert errors == []
    assert set(handled) == {"w0", "w1"} and all(handled.values())
    assert _first_contact_events(overdue, "escalate") == Counter({pk: 1 for pk in overdue})
    assert _first_contact_events(remind_only, "remind") == Counter({pk: 1 for pk in remind_only})
    assert _first_contact_events(remind_only, "escalate") == Counter()
    assert _first_contact_events(overdue, "remind") == Counter()  # past due: escalated only
    escalated = _messages(overdue, "escalated")
    assert set(escalated.values()) == {1}
    assert len(escalated) == len(overdue) * 3  # two dispatchers and the S1 leader
    reminded = _messages(remind_only, "due_soon")
    assert set(reminded.values()) == {1}
    assert len(reminded) == len(remind_only)  # the handler who accepted
    both = overdue + remind_only
    assert not Appeal.objects.filter(pk__in=both, first_contact_remind_at__isnull=False).exists()
    assert not Appeal.objects.filter(
        pk__in=overdue, first_contact_escalate_at__isnull=False
    ).exists()


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "suqiu.cli",
            "worker",
            "--duty",
            "timelimits.escalate",
            "--interval",
            "0.2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _open_transactions(db_name: str) -> int:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
            " AND state LIKE 'idle in transaction%%'",
            [db_name],
        )
        return cur.fetchone()[0]


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_nothing(world, tmp_path):
    n, batch = 60, 10
    ids = _due_set(world, n)
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    if db.get("PASSWORD"):
        url = url.replace(f"{db['USER']}@", f"{db['USER']}:{db['PASSWORD']}@")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "SUQIU_TEST_DATABASE_URL", "SUQIU_TESTING"}
    }
    env.update(
        DATABASE_URL=url,
        SUQIU_DATA_DIR=str(tmp_path / "var"),
        SUQIU_TIMELIMITS_BATCH=str(batch),
        SUQIU_TIMELIMITS_TEST_ITEM_SLEEP="0.1",
    )
    proc = _worker(env)
    try:
        deadline = time.monotonic() + 90
        killed_at = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read()
            done = sum(_escalations(ids).values())
            # Kill once a batch has committed and the next one is open (rows locked, sleeping).
            if batch <= done < n - batch and _open_transactions(db["NAME"]):
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                killed_at = done
                break
            time.sleep(0.02)
        assert killed_at is not None, "the worker never had a batch open to kill"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Only whole batches ever commit: the one in flight left nothing behind.
    after_kill = sum(_escalations(ids).values())
    assert after_kill % batch == 0 and after_kill < n
    assert set(_messages(ids, "escalated").values()) <= {1}
    escalated_ids = set(_escalations(ids))
    assert len(_messages(ids, "escalated")) == len(escalated_ids) * 3

    env["SUQIU_TIMELIMITS_TEST_ITEM_SLEEP"] = "0"
    proc = _worker(env)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and sum(_escalations(ids).values()) < n:
            assert proc.poll() is None, proc.stdout.read()
            time.sleep(0.1)
        time.sleep(0.5)  # a further sweep finds nothing more to do
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    assert _escalations(ids) == Counter({pk: 1 for pk in ids})
    messages = _messages(ids, "escalated")
    assert set(messages.values()) == {1} and len(messages) == n * 3
    assert not Appeal.objects.filter(pk__in=ids, escalate_at__isnull=False).exists()
