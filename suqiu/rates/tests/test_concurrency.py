"""Concurrent writers of the same rollup rows: no lost increment, no deadlock (PostgreSQL).

Several threads, each with its own connection, take appeals of the same community and category
through intake, dispatch and acceptance at once, so every transaction increments the same
``RateDay`` rows (the (day, C1, HOUSING, no organisation) row at intake, the HOUSING row at
dispatch). The rollup must then equal the facts summed, and a rebuild must not change it.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.models import Sum

from suqiu.appeals import services
from suqiu.appeals.tests.chain import actor
from suqiu.core.testing import G1_POINT
from suqiu.rates import facts
from suqiu.rates.models import COUNTER_FIELDS, RateDay, RateFact

THREADS, EACH = 4, 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_actions_keep_the_rollup_exact(world):
    errors: list = []
    barrier = threading.Barrier(THREADS)
    resident, dispatcher, handler = (
        actor(world.resident),
        actor(world.dispatcher),
        actor(world.handler),
    )

    def work():
        try:
            barrier.wait(timeout=30)
            for n in range(EACH):
                appeal = services.appeal_create(
                    actor=resident,
                    data=services.AppealInput(
                        title="楼道灯坏了",
                        # Told apart: the same text from the same reporter is merged at intake.
                        description=f"楼道灯不亮（{threading.get_ident()}-{n}）",
                        lat=G1_POINT[0],
                        lon=G1_POINT[1],
                        category="HOUSING",
                    ),
                )
                for who, action in ((dispatcher, "assess"), (dispatcher, "dispatch")):
                    services.appeal_act(actor=who, appeal_id=appeal.pk, action=action)
                services.appeal_act(actor=handler, appeal_id=appeal.pk, action="accept")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "a writer hung"
    assert errors == []

    sums = {c: Sum(c) for c in COUNTER_FIELDS}
    from_facts = RateFact.objects.aggregate(**sums)
    assert from_facts["appeals"] == THREADS * EACH
    assert from_facts["decided"] == THREADS * EACH
    assert RateDay.objects.aggregate(**sums) == from_facts
    housing = RateDay.objects.filter(organisation_id=world.housing.pk).aggregate(**sums)
    assert housing["appeals"] == housing["accepted"] == THREADS * EACH
    facts.rebuild_rollup()
    assert RateDay.objects.aggregate(**sums) == from_facts
