"""The three rates and on-time rates on the hand-computed fixture (see fixture.py).

Expected figures, worked out by hand from the fixture's table:

- response (per dispatch, decided = accepted or returned; A6 still waits):
  HOUSING  A1 ok, A2 late, A3 (second dispatch) ok, A4 ok  → 3/4
  ROADS    A3 returned, A5 ok                              → 1/2
  C1       A1 ok, A2 late, A3 returned, A3 ok              → 2/4
  C3       A4 ok, A5 ok                                     → 2/2
- resolution and satisfaction (appeals with a rated revisit; A4 closed not rated is left out):
  HOUSING  A1 (5, closed), A2 (2, rework), A3 (3, closed)   → resolution 2/3, satisfaction 2/3
  ROADS    A5 (4, not resolved)                              → resolution 0/1, satisfaction 1/1
  C1       A1, A2, A3                                         → 2/3, 2/3
  C3       A5                                                 → 0/1, 1/1
- on time: dispatch 5/6 (A5 late), accept 4/5 (A2 late), resolve 4/5 (A2 late), revisit 5/5.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction as F

import pytest

from suqiu.appeals.tests.chain import actor
from suqiu.core.errors import PermissionDenied, ValidationFailed
from suqiu.rates import facts, selectors
from suqiu.rates.models import RateFact
from suqiu.rates.tests.fixture import build

pytestmark = pytest.mark.django_db

FROM, TO = date(2026, 3, 1), date(2026, 3, 31)


@pytest.fixture
def story(world):
    return build(world)


def table(world, user=None, group_by="organisation", **kw):
    return selectors.rates(
        actor(user or world.admin), group_by=group_by, date_from=FROM, date_to=TO, **kw
    )


def by_key(t):
    return {r.key: r for r in t.rows}


def test_rates_per_organisation(world, story):
    rows = by_key(table(world))
    housing, roads = rows[world.housing.pk], rows[world.roads.pk]
    assert housing.fraction("response") == F(3, 4)
    assert (housing.sums["responded"], housing.sums["decided"]) == (3, 4)
    assert housing.fraction("resolution") == F(2, 3)
    assert housing.fraction("satisfaction") == F(2, 3)
    assert roads.fraction("response") == F(1, 2)
    assert roads.fraction("resolution") == F(0, 1)
    assert roads.fraction("satisfaction") == F(1, 1)
    # Each appeal counts once, for the organisation leading it now.
    assert (housing.sums["appeals"], roads.sums["appeals"]) == (5, 1)
    assert housing.sums["dispatches"] == 5 and roads.sums["dispatches"] == 2
    assert housing.sums["not_rated"] == 1
    assert housing.fraction("accept_on_time") == F(3, 4)
    assert roads.fraction("accept_on_time") == F(1, 1)
    assert set(rows) == {world.housing.pk, world.roads.pk}
    assert housing.label == world.housing.name


def test_rates_per_community(world, story):
    rows = by_key(table(world, group_by="area"))
    c1, c3 = rows[world.c1.pk], rows[world.c3.pk]
    assert c1.fraction("response") == F(2, 4)
    assert c1.fraction("resolution") == F(2, 3)
    assert c1.fraction("satisfaction") == F(2, 3)
    assert c3.fraction("response") == F(2, 2)
    assert c3.fraction("resolution") == F(0, 1)
    assert c3.fraction("satisfaction") == F(1, 1)
    assert (c1.sums["appeals"], c3.sums["appeals"]) == (4, 2)


def test_totals_and_on_time_rates(world, story):
    total = table(world, group_by="total").total
    assert total.fraction("response") == F(4, 6)
    assert total.fraction("resolution") == F(2, 4)
    assert total.fraction("satisfaction") == F(3, 4)
    assert total.fraction("dispatch_on_time") == F(5, 6)
    assert total.fraction("accept_on_time") == F(4, 5)
    assert total.fraction("resolve_on_time") == F(4, 5)
    assert total.fraction("revisit_on_time") == F(5, 5)
    assert total.sums["appeals"] == 6
    # Every non-late step is one minute after the one before: accept durations are whole
    # minutes, A2's is an hour past its accept due time.
    assert total.sums["accepted"] == 5
    # The grouped total is the same as the ungrouped one.
    assert table(world).total.sums == total.sums


def test_group_by_day_week_month_and_category(world, story):
    days = by_key(table(world, group_by="day"))
    assert set(days) == {date(2026, 3, 2), date(2026, 3, 3)}
    assert days[date(2026, 3, 2)].sums["appeals"] == 3
    assert days[date(2026, 3, 2)].fraction("response") == F(2, 4)
    weeks = by_key(table(world, group_by="week"))
    assert set(weeks) == {date(2026, 3, 2)} and weeks[date(2026, 3, 2)].sums["appeals"] == 6
    months = by_key(table(world, group_by="month"))
    assert set(months) == {date(2026, 3, 1)}
    cats = by_key(table(world, group_by="category"))
    assert cats[world.cat_road.pk].sums["appeals"] == 2
    assert cats[world.cat_road.pk].fraction("response") == F(2, 3)


def test_filters(world, story):
    t = table(world, group_by="total", category=world.cat_road.pk)
    assert t.total.sums["appeals"] == 2
    t = table(world, group_by="total", area=world.s2.pk)
    assert t.total.sums["appeals"] == 2 and t.total.fraction("response") == F(2, 2)
    t = table(world, group_by="total", organisation=world.roads.pk)
    assert t.total.fraction("response") == F(1, 2) and t.total.sums["appeals"] == 1
    t = table(world, group_by="total", grid=world.g4.pk)
    assert t.total.sums["appeals"] == 2
    t = selectors.rates(
        actor(world.admin), group_by="total", date_from=date(2026, 3, 3), date_to=date(2026, 3, 3)
    )
    assert t.total.sums["appeals"] == 3


def test_rankings(world, story):
    ranks = {r.rate: r for r in selectors.rankings(table(world))}
    # Two organisations: one on each list (response 3/4 against 1/2, and so on).
    assert [r.key for r in ranks["response"].best] == [world.housing.pk]
    assert [r.key for r in ranks["response"].worst] == [world.roads.pk]
    assert [r.key for r in ranks["resolution"].best] == [world.housing.pk]
    assert [r.key for r in ranks["resolution"].worst] == [world.roads.pk]
    assert [r.key for r in ranks["satisfaction"].best] == [world.roads.pk]
    assert [r.key for r in ranks["satisfaction"].worst] == [world.housing.pk]


def _ranked(counts, top=5):
    """Rankings of organisations 1..n whose three rates are each ``counts[i]`` = (num, den)."""
    rows = [
        selectors.RateRow(
            key=i + 1,
            label=f"org{i + 1}",
            sums={
                k: v
                for name in selectors.RATES
                for k, v in zip(selectors.FRACTIONS[name], c, strict=True)
            },
        )
        for i, c in enumerate(counts)
    ]
    t = selectors.RatesTable("organisation", FROM, TO, rows, selectors.RateRow(None, "", {}))
    rank = selectors.rankings(t, top=top)[0]
    return [e.key for e in rank.best], [e.key for e in rank.worst]


def test_rankings_never_put_an_organisation_on_both_lists():
    # Twelve: five best, the five lowest worst (lowest first); orgs 6 and 7 on neither.
    counts = [(20 - i, 20) for i in range(12)]
    assert _ranked(counts) == ([1, 2, 3, 4, 5], [12, 11, 10, 9, 8])
    # Five: the better half (3) best, the other two worst.
    assert _ranked(counts[:5]) == ([1, 2, 3], [5, 4])
    # Ties at the top are never "worst": all at 100 % leaves the worst list empty ...
    assert _ranked([(4, 4), (9, 9), (1, 1)]) == ([2, 1], [])
    # ... and of twelve where ten have 100 %, only the two below it are worst.
    counts = [(10, 10)] * 10 + [(8, 10), (9, 10)]
    best, worst = _ranked(counts)
    assert len(best) == 5 and worst == [11, 12]
    # Ties: the larger denominator first, on both lists.
    assert _ranked([(1, 2), (5, 10), (9, 10), (2, 2)]) == ([4, 3], [2, 1])


def test_rebuild_gives_the_same_rows_as_the_live_hooks(world, story):
    def snapshot():
        return sorted(
            tuple(v for k, v in row.items() if k != "id") for row in RateFact.objects.values()
        )

    live = snapshot()
    assert len(live) == 7  # six appeals, A3 twice (dispatched again after its return)
    RateFact.objects.all().delete()
    assert facts.rebuild(batch_size=4) == 6
    assert snapshot() == live


def test_rebuild_command(world, story):
    from django.core.management import call_command

    before = table(world).total.sums
    RateFact.objects.all().delete()
    call_command("rates", "rebuild")
    assert table(world).total.sums == before


def test_scope_leader_of_street_2_sees_none_of_street_1(world, story):
    t = table(world, user=world.leader_s2, group_by="area")
    assert set(by_key(t)) == {world.c3.pk}
    assert t.total.sums["appeals"] == 2
    t = table(world, user=world.leader, group_by="area")
    assert set(by_key(t)) == {world.c1.pk}
    # Filtering for the other street's area gives nothing, not an error.
    t = table(world, user=world.leader_s2, group_by="total", area=world.s1.pk)
    assert t.total.sums["appeals"] == 0


def test_scope_department_handler_sees_their_organisation(world, story):
    t = table(world, user=world.roads_handler)
    assert set(by_key(t)) == {world.roads.pk}
    assert t.total.fraction("response") == F(1, 2)


@pytest.mark.parametrize("who", ["resident", "volunteer"])
def test_residents_and_volunteers_may_not_read_rates(world, who):
    with pytest.raises(PermissionDenied):
        table(world, user=getattr(world, who))


def test_bad_parameters_are_field_errors(world):
    with pytest.raises(ValidationFailed) as err:
        selectors.rates(actor(world.admin), group_by="street", date_from=TO, date_to=FROM)
    assert "group_by" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        selectors.rates(
            actor(world.admin), group_by="total", date_from=TO, date_to=FROM, area=999999
        )
    assert set(err.value.fields) == {"to", "area"}


def test_an_approved_extension_moves_the_accept_due_time(world):
    from datetime import timedelta

    from suqiu.appeals.models import Appeal
    from suqiu.rates.tests.fixture import DAY1, _new

    s = _new(world, DAY1, (22.700, 114.200), "HOUSING")
    s.step(world.dispatcher, "dispatch")
    original_due = Appeal.objects.get(pk=s.appeal.pk).due_at
    assert original_due is not None
    s.step(world.handler, "request_extension", days=2, reason="需要协调")
    s.step(world.dispatcher, "approve_extension")
    s.step(world.handler, "accept", late=True)  # an hour after the *extended* due time
    row = RateFact.objects.get(appeal_id=s.appeal.pk)
    assert (row.accept_timed, row.accept_on_time, row.responded) == (1, 0, 0)

    s2 = _new(world, DAY1, (22.700, 114.200), "HOUSING")
    s2.step(world.dispatcher, "dispatch")
    due = Appeal.objects.get(pk=s2.appeal.pk).due_at
    s2.step(world.handler, "request_extension", days=2, reason="需要协调")
    s2.step(world.dispatcher, "approve_extension")
    s2.now = due + timedelta(hours=1)  # late for the first due time, in time for the extended one
    s2.step(world.handler, "accept")
    row = RateFact.objects.get(appeal_id=s2.appeal.pk)
    assert (row.accept_timed, row.accept_on_time, row.responded, row.decided) == (1, 1, 1, 1)


def test_facts_follow_each_action_in_its_transaction(world):
    from suqiu.rates.tests.fixture import DAY1, _new

    s = _new(world, DAY1, (22.700, 114.200), "HOUSING")
    row = RateFact.objects.get(appeal_id=s.appeal.pk)
    assert (row.appeals, row.dispatches, row.organisation_id) == (1, 0, 0)
    s.step(world.dispatcher, "dispatch")
    row = RateFact.objects.get(appeal_id=s.appeal.pk)
    assert (row.dispatches, row.decided, row.organisation_id) == (1, 0, world.housing.pk)
    with pytest.raises(ValidationFailed):
        s.step(world.handler, "return")  # no reason: refused, nothing written
    assert RateFact.objects.get(appeal_id=s.appeal.pk).decided == 0


def test_the_daily_rollup_follows_the_facts(world, story):
    from django.db.models import Sum

    from suqiu.rates.models import COUNTER_FIELDS, RateDay

    def rollup():
        return sorted(
            tuple(v for k, v in row.items() if k != "id")
            for row in RateDay.objects.values()
            if any(row[c] for c in COUNTER_FIELDS)
        )

    live = rollup()
    assert live
    sums = {c: Sum(c) for c in COUNTER_FIELDS}
    assert RateDay.objects.aggregate(**sums) == RateFact.objects.aggregate(**sums)
    facts.rebuild_rollup()
    assert rollup() == live


@pytest.mark.parametrize("group_by", ["organisation", "area", "category", "day", "total"])
def test_rollup_and_facts_give_the_same_table(world, story, group_by, monkeypatch):
    from suqiu.rates.models import RateDay

    via_rollup = table(world, group_by=group_by)
    monkeypatch.setattr(selectors, "RateDay", RateFact)
    via_facts = table(world, group_by=group_by)
    assert [(r.key, r.sums) for r in via_rollup.rows] == [(r.key, r.sums) for r in via_facts.rows]
    assert RateDay is not RateFact


@pytest.mark.parametrize("group_by", ["area", "category", "week", "grid", "total", "organisation"])
def test_rankings_rows_come_with_the_table(world, story, group_by):
    """On PostgreSQL from the same scan (GROUPING SETS), elsewhere from a second query: the same
    rows either way."""
    both = table(world, group_by=group_by, with_rankings=True)
    alone = table(world, group_by=group_by)
    orgs = table(world, group_by="organisation")
    assert [(r.key, r.label, r.sums) for r in both.rows] == [
        (r.key, r.label, r.sums) for r in alone.rows
    ]
    assert both.total.sums == alone.total.sums
    assert [(r.key, r.label, r.sums) for r in both.by_organisation] == [
        (r.key, r.label, r.sums) for r in orgs.rows
    ]
    ranks = selectors.rankings(both)
    assert [e.key for e in ranks[0].best] == [world.housing.pk]
    assert [e.key for e in ranks[0].worst] == [world.roads.pk]


def test_an_intake_hook_that_dispatches_first_is_counted_once(world):
    """Auto-dispatch at intake (an earlier after-create hook acting through ``appeal_act``):
    the action's hook writes the rows, the create hook then recomputes instead of adding."""
    from django.db.models import Sum

    from suqiu.appeals import services
    from suqiu.directory.access import SYSTEM
    from suqiu.rates.models import RateDay
    from suqiu.rates.tests.fixture import DAY1

    def auto_dispatch(*, appeal, event, actor):
        services.appeal_act(actor=SYSTEM, appeal_id=appeal.pk, action="assess")
        services.appeal_act(actor=SYSTEM, appeal_id=appeal.pk, action="dispatch")
        return True

    services.register_after_create(auto_dispatch, order=30)
    try:
        from suqiu.core import clock

        with clock.at(DAY1):
            appeal = services.appeal_create(
                actor=actor(world.resident),
                data=services.AppealInput(
                    title="路灯不亮", description="路灯坏了", lat=22.7, lon=114.2, category="ROAD"
                ),
            )
    finally:
        services._AFTER_CREATE[:] = [
            (o, h) for o, h in services._AFTER_CREATE if h is not auto_dispatch
        ]
    rows = list(RateFact.objects.filter(appeal_id=appeal.pk))
    assert [(r.appeals, r.dispatches, r.organisation_id) for r in rows] == [(1, 1, world.roads.pk)]
    sums = RateDay.objects.aggregate(a=Sum("appeals"), d=Sum("dispatches"))
    assert sums == {"a": 1, "d": 1}


def test_rollup_rows_left_empty_are_removed(world, story):
    from suqiu.rates.models import COUNTER_FIELDS, RateDay

    for row in RateDay.objects.values():
        assert any(row[c] for c in COUNTER_FIELDS), row
    # Intake's "no organisation" rows went when the appeals were dispatched.
    assert not RateDay.objects.filter(organisation_id=0).exists()
