"""Races: two people take the same step on the same appeal at the same moment.

Each contender runs in its own thread with its own database connection; a barrier releases them
together. The services lock the appeal row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` serialises writers), so exactly one wins and the other finds the status
already changed. Each race is repeated so that a lost update (both "winning") would show.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter

import pytest
from django.db import connection

from suqiu.appeals import services
from suqiu.appeals.models import Appeal, AppealEvent, IdempotencyKey
from suqiu.appeals.tests.chain import act, actor, bring_to
from suqiu.appeals.workflow import InvalidTransition

ROUNDS = 20


def race(*contenders):
    """Run the callables at once, each in its own thread and connection; return their outcomes
    in order as ("ok", value) or ("error", exception)."""
    barrier = threading.Barrier(len(contenders))
    outcomes: list = [None] * len(contenders)

    def run(i, fn):
        try:
            barrier.wait(timeout=30)
            outcomes[i] = ("ok", fn())
        except Exception as exc:  # noqa: BLE001 - the test inspects what each contender got
            outcomes[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a contender hung"
    return outcomes


def _one_winner(outcomes) -> int:
    """Index of the single winner; the others must have got InvalidTransition."""
    winners = [i for i, (kind, _) in enumerate(outcomes) if kind == "ok"]
    losers = [value for kind, value in outcomes if kind == "error"]
    assert len(winners) == 1, outcomes
    for exc in losers:
        assert isinstance(exc, InvalidTransition), repr(exc)
        assert exc.code == "invalid_transition"
    return winners[0]


def _accept_race(world):
    handlers = [world.handler, world.handler2]
    actors = [actor(u) for u in handlers]
    wins = Counter()
    for _ in range(ROUNDS):
        appeal = bring_to(world, "dispatched")
        outcomes = race(
            *[
                (
                    lambda a=a, pk=appeal.pk: services.appeal_act(
                        actor=a, appeal_id=pk, action="accept"
                    )
                )
                for a in actors
            ]
        )
        winner = handlers[_one_winner(outcomes)]
        wins[winner.username] += 1
        stored = Appeal.objects.get(pk=appeal.pk)
        assert stored.status == "in_progress"
        assert stored.lead_person_id == winner.pk
        accepts = AppealEvent.objects.filter(appeal=appeal, kind="accept")
        assert accepts.count() == 1
        assert accepts.get().actor_id == winner.pk
    return wins


def _claim_race(world):
    volunteers = [world.volunteer, world.volunteer2]
    actors = [actor(u) for u in volunteers]
    for _ in range(ROUNDS):
        appeal = bring_to(world, "assessed")
        act(world.dispatcher, appeal, "queue", claimable=True)
        outcomes = race(
            *[
                (
                    lambda a=a, pk=appeal.pk: services.appeal_act(
                        actor=a, appeal_id=pk, action="claim"
                    )
                )
                for a in actors
            ]
        )
        winner = volunteers[_one_winner(outcomes)]
        stored = Appeal.objects.get(pk=appeal.pk)
        assert (stored.status, stored.claimed_by_id) == ("in_progress", winner.pk)
        assert AppealEvent.objects.filter(appeal=appeal, kind="claim").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_handlers_race_to_accept(world):
    _accept_race(world)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_volunteers_race_to_claim(world):
    _claim_race(world)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_retries_with_the_same_idempotency_key_create_one_appeal(world):
    who = actor(world.resident)
    for round_no in range(ROUNDS):
        key = f"retry-{round_no}"

        def submit(key=key, round_no=round_no):
            return services.appeal_create_idempotent(
                actor=who,
                data=services.AppealInput(title=f"井盖松动 {round_no}", description="人行道井盖"),
                owner=f"user:{world.resident.pk}",
                key=key,
                request_hash="same-body",
            )

        outcomes = race(submit, submit)
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        (a, created_a), (b, created_b) = (value for _, value in outcomes)
        assert a.pk == b.pk
        assert sorted([created_a, created_b]) == [False, True]
        assert Appeal.objects.filter(title=f"井盖松动 {round_no}").count() == 1
        assert IdempotencyKey.objects.filter(key=key).count() == 1
        assert AppealEvent.objects.filter(appeal_id=a.pk).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_race_between_different_actions_leaves_a_consistent_appeal(world):
    """The handler resolves while the dispatcher suspends: one of them goes first, the other
    acts on what the first left (or is refused), and the event trail matches the final state."""
    for _ in range(ROUNDS // 2):
        appeal = bring_to(world, "in_progress")
        handler, dispatcher = actor(world.handler), actor(world.dispatcher)

        def resolve(pk=appeal.pk, who=handler):
            payload = {"public_reply": "修好了"}
            return services.appeal_act(actor=who, appeal_id=pk, action="resolve", payload=payload)

        def suspend(pk=appeal.pk, who=dispatcher):
            payload = {"reason": "等"}
            return services.appeal_act(actor=who, appeal_id=pk, action="suspend", payload=payload)

        outcomes = race(resolve, suspend)
        for kind, value in outcomes:
            if kind == "error":
                assert isinstance(value, InvalidTransition), repr(value)
        stored = Appeal.objects.get(pk=appeal.pk)
        trail = list(AppealEvent.objects.filter(appeal=appeal).order_by("created_at", "id"))
        # Every event starts where the previous one ended: no step was taken on a stale status.
        for before, after in zip(trail, trail[1:], strict=False):
            assert after.from_status == before.to_status, [(e.kind, e.from_status) for e in trail]
        assert trail[-1].to_status == stored.status
        assert stored.version == len(trail)


SQLITE_RACE_SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.db import connection
assert connection.vendor == "sqlite", connection.vendor
from suqiu.core.testing import build_world
from suqiu.appeals.tests import test_concurrency as races
world = build_world()
races._claim_race(world)
races._accept_race(world)
print("sqlite races ok", connection.settings_dict["NAME"])
"""


def test_races_on_a_sqlite_file(tmp_path):
    """The embedded default: SQLite in a file, WAL, BEGIN IMMEDIATE and a busy timeout.

    The suite's own SQLite database is in memory with a shared cache, where a second writer
    fails at once with "database table is locked" instead of waiting: not what a deployment
    runs. So this race runs in a child process on a real SQLite file configured exactly as
    settings.py configures production.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "SUQIU_TEST_DATABASE_URL", "SUQIU_TESTING"}
    }
    env.update(DJANGO_SETTINGS_MODULE="suqiu.settings", SUQIU_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_RACE_SCRIPT],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"sqlite races ok {tmp_path / 'suqiu.sqlite3'}" in done.stdout


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_opposite_merges_at_once_neither_deadlock_nor_both_succeed(world):
    """A into B and B into A at the same moment: both rows are locked in id order, so one merge
    waits for the other and then finds its own appeal (or its target) already merged."""
    who = actor(world.dispatcher)
    for _ in range(ROUNDS):
        a = bring_to(world, "received")
        b = bring_to(world, "received")
        outcomes = race(
            lambda a=a, b=b: services.appeal_act(
                actor=who, appeal_id=a.pk, action="merge", payload={"into": b.tracking_code}
            ),
            lambda a=a, b=b: services.appeal_act(
                actor=who, appeal_id=b.pk, action="merge", payload={"into": a.pk}
            ),
        )
        winners = [i for i, (kind, _) in enumerate(outcomes) if kind == "ok"]
        assert len(winners) == 1, outcomes
        loser = outcomes[1 - winners[0]][1]
        # The loser's appeal is merged already (invalid_transition) or its target is (a field
        # error): never a deadlock error from the database.
        assert getattr(loser, "code", None) in {"invalid_transition", "validation_error"}, repr(
            loser
        )
        statuses = sorted(
            Appeal.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)
        )
        assert statuses == ["merged", "received"]
        assert AppealEvent.objects.filter(appeal__in=[a, b], kind="merge").count() == 1
