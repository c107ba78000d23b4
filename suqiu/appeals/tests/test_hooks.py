"""Other apps' intake hooks (``services.register_after_create``): run in order, inside the creating
transaction, may act on the new appeal as the system, and roll the intake back when they fail."""

from __future__ import annotations

import pytest

from suqiu.appeals import services
from suqiu.appeals.models import Appeal, AppealEvent
from suqiu.appeals.tests.chain import new_appeal
from suqiu.core.testing import G1_POINT
from suqiu.directory.access import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooks(monkeypatch):
    """A private hook list for the test (the apps' real hooks stay out of the way)."""
    registered: list = []
    monkeypatch.setattr(services, "_AFTER_CREATE", registered)
    return registered


def test_hooks_run_in_order_with_the_new_appeal_and_its_created_event(world, hooks):
    seen = []
    services.register_after_create(
        lambda **kw: seen.append(("late", kw["appeal"].pk, kw["event"].kind)), order=90
    )
    services.register_after_create(
        lambda **kw: seen.append(("early", kw["appeal"].pk, kw["event"].kind)), order=10
    )
    appeal = new_appeal(world, point=G1_POINT)
    assert seen == [("early", appeal.pk, "created"), ("late", appeal.pk, "created")]


def test_registering_the_same_hook_twice_runs_it_once(world, hooks):
    calls = []

    def hook(**kw):
        calls.append(kw["appeal"].pk)

    services.register_after_create(hook)
    services.register_after_create(hook, order=5)
    new_appeal(world, point=G1_POINT)
    assert len(calls) == 1


def test_a_failing_hook_rolls_the_whole_intake_back(world, hooks):
    def broken(**kw):
        raise RuntimeError("index unavailable")

    services.register_after_create(broken)
    before = (Appeal.objects.count(), AppealEvent.objects.count())
    with pytest.raises(RuntimeError):
        new_appeal(world, point=G1_POINT)
    assert (Appeal.objects.count(), AppealEvent.objects.count()) == before


def test_a_hook_may_act_on_the_new_appeal_as_the_system(world, hooks):
    def auto_assess(*, appeal, event, actor):
        services.appeal_act(
            actor=SYSTEM, appeal_id=appeal.pk, action="assess", payload={"category": "HOUSING"}
        )

    statuses_seen_later = []
    services.register_after_create(auto_assess, order=10)
    services.register_after_create(
        lambda *, appeal, **kw: statuses_seen_later.append(appeal.status), order=20
    )
    appeal = new_appeal(world, point=G1_POINT)
    assert appeal.status == "assessed"  # the caller sees the appeal as the hook left it
    assert statuses_seen_later == ["assessed"]
    assert appeal.category.code == "HOUSING"
    kinds = list(
        AppealEvent.objects.filter(appeal=appeal).order_by("id").values_list("kind", "actor_label")
    )
    assert kinds == [("created", kinds[0][1]), ("assess", "system")]
