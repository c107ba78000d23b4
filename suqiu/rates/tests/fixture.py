"""A hand-computed fixture: six appeals taken through the real services at chosen times.

Every step happens one minute after the previous one (on time for any limit), except the steps
marked late, which happen an hour after the due time in force (read from the appeal, so the
fixture does not depend on the time-limit policy's numbers).

    appeal  community  category  what happens                                   revisit
    A1      C1         HOUSING   dispatch, accept, resolve, verify              5, resolved → closed
    A2      C1         HOUSING   dispatch, accept LATE, resolve LATE, verify    2, resolved → rework
    A3      C1         ROAD      dispatch to ROADS, returned; dispatched to     3, resolved → closed
                                 HOUSING, accept, resolve, verify
    A4      C3         HOUSING   dispatch, accept, resolve, verify              not reached → closed
    A5      C3         ROAD      dispatch LATE, accept, resolve, verify         4, not resolved → rework
    A6      C1         HOUSING   dispatch, still waiting for acceptance         -

A1-A3 are received on DAY1, A4-A6 on DAY2. The expected figures are worked out in the tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from suqiu.appeals import services
from suqiu.appeals.models import Appeal
from suqiu.appeals.tests.chain import actor
from suqiu.core import clock
from suqiu.core.testing import G1_POINT, G4_POINT

TZ = timezone.get_fixed_timezone(8 * 60)
DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)  # a Monday
DAY2 = datetime(2026, 3, 3, 9, 0, tzinfo=TZ)


@dataclass
class Story:
    """One appeal and its own clock."""

    world: object
    appeal: Appeal
    now: datetime
    late: list[str] = field(default_factory=list)

    def step(self, user, action: str, *, late: bool = False, **payload) -> Appeal:
        if late:
            due = Appeal.objects.get(pk=self.appeal.pk).due_at
            assert due is not None, f"no due time in force before {action}"
            self.now = max(self.now, due) + timedelta(hours=1)
        else:
            self.now += timedelta(minutes=1)
        with clock.at(self.now):
            self.appeal = services.appeal_act(
                actor=actor(user), appeal_id=self.appeal.pk, action=action, payload=payload
            )
        return self.appeal


_SEQ = itertools.count(1)


def _new(world, start: datetime, point, category: str) -> Story:
    with clock.at(start):
        appeal = services.appeal_create(
            actor=actor(world.resident),
            data=services.AppealInput(
                title="楼道灯坏了",
                # Told apart (the same text from the same reporter within 24 h is merged).
                description=f"3栋2单元楼道灯不亮一周了（{next(_SEQ)}）",
                lat=point[0],
                lon=point[1],
                category=category,
            ),
        )
    story = Story(world, appeal, start)
    story.step(world.dispatcher, "assess", category=category)
    return story


def _finish(w, s: Story, *, late_resolve=False):
    s.step(
        w.handler if s.appeal.lead_organisation_id == w.housing.pk else w.roads_handler,
        "resolve",
        late=late_resolve,
        public_reply="已处理",
    )
    s.step(w.dispatcher, "verify")


def build(world) -> dict[str, Appeal]:
    w = world
    out = {}

    a1 = _new(w, DAY1, G1_POINT, "HOUSING")
    a1.step(w.dispatcher, "dispatch")
    a1.step(w.handler, "accept")
    _finish(w, a1)
    a1.step(w.operator, "revisit", satisfaction=5, was_resolved=True)
    out["A1"] = a1.appeal

    a2 = _new(w, DAY1 + timedelta(hours=1), G1_POINT, "HOUSING")
    a2.step(w.dispatcher, "dispatch")
    a2.step(w.handler, "accept", late=True)
    _finish(w, a2, late_resolve=True)
    a2.step(w.operator, "revisit", satisfaction=2, was_resolved=True)
    out["A2"] = a2.appeal

    a3 = _new(w, DAY1 + timedelta(hours=2), G1_POINT, "ROAD")
    a3.step(w.dispatcher, "dispatch")
    a3.step(w.roads_handler, "return", reason="不属于本单位")
    a3.step(w.dispatcher, "dispatch", lead_organisation=w.housing.pk)
    a3.step(w.handler, "accept")
    _finish(w, a3)
    a3.step(w.operator, "revisit", satisfaction=3, was_resolved=True)
    out["A3"] = a3.appeal

    a4 = _new(w, DAY2, G4_POINT, "HOUSING")
    a4.step(w.dispatcher, "dispatch")
    a4.step(w.handler, "accept")
    _finish(w, a4)
    a4.step(w.operator, "revisit", not_rated=True)
    out["A4"] = a4.appeal

    a5 = _new(w, DAY2 + timedelta(hours=1), G4_POINT, "ROAD")
    a5.step(w.dispatcher, "dispatch", late=True)
    a5.step(w.roads_handler, "accept")
    _finish(w, a5)
    a5.step(w.operator, "revisit", satisfaction=4, was_resolved=False)
    out["A5"] = a5.appeal

    a6 = _new(w, DAY2 + timedelta(hours=2), G1_POINT, "HOUSING")
    a6.step(w.dispatcher, "dispatch")
    out["A6"] = a6.appeal
    return out
