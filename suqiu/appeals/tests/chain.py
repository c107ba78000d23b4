"""Test helpers: take an appeal through the work chain with the real services.

Used by the service, selector and concurrency tests of the appeals app. Everything here calls
``suqiu.appeals.services``; nothing writes appeal rows directly.
"""

from __future__ import annotations

import itertools

from suqiu.appeals import services
from suqiu.appeals.models import Appeal
from suqiu.core.testing import G1_POINT
from suqiu.directory.access import Actor, actor_for

_SEQ = itertools.count(1)

# The order the happy path passes through; ``bring_to`` stops at the status asked for.
HAPPY_PATH = ["received", "assessed", "queued", "dispatched", "in_progress", "resolved", "verified"]


def actor(user) -> Actor:
    """A fresh Actor for ``user`` (memberships may have changed since the last one was built)."""
    if user is None:
        return Actor(user_id=None, roles=frozenset({"anonymous"}))
    if hasattr(user, "_suqiu_actor"):
        del user._suqiu_actor
    return actor_for(user)


def new_appeal(world, *, by=None, point=G1_POINT, title="楼道灯坏了", **fields) -> Appeal:
    """An appeal received from ``by`` (the resident unless told; None for an anonymous visitor)."""
    who = world.resident if by is None else by
    lat, lon = point if point is not None else (None, None)
    data = services.AppealInput(
        title=title,
        # A number per call: the same reporter sending the same text again within 24 h is an
        # exact repeat, which intake merges (suqiu.duplicates).
        description=fields.pop("description", f"3栋2单元楼道灯不亮一周了（{next(_SEQ)}）"),
        lat=lat,
        lon=lon,
        **fields,
    )
    return services.appeal_create(actor=actor(who if who != "anonymous" else None), data=data)


def act(user, appeal: Appeal | int, action: str, **payload) -> Appeal:
    appeal_id = appeal if isinstance(appeal, int) else appeal.pk
    return services.appeal_act(
        actor=actor(user), appeal_id=appeal_id, action=action, payload=payload
    )


def bring_to(world, status: str, *, appeal: Appeal | None = None, **create) -> Appeal:
    """A C1 housing appeal by the resident, taken along the happy path (or aside) to ``status``.

    ``dispatched`` goes to HOUSING (the category's default) with no co-handler; ``in_progress``
    is accepted by ``world.handler``; ``suspended`` is suspended from ``in_progress``.
    """
    appeal = appeal or new_appeal(world, **create)
    if status == "received":
        return _fresh(appeal)
    if status in {"rejected", "merged"}:
        if status == "rejected":
            act(world.dispatcher, appeal, "reject", reason="不属于受理范围")
        else:
            main = new_appeal(world, title="同一盏灯")
            act(world.dispatcher, appeal, "merge", into=main.pk, reason="重复")
        return _fresh(appeal)
    if status == "suspended":
        bring_to(world, "in_progress", appeal=appeal)
        act(world.dispatcher, appeal, "suspend", reason="等待业主回复")
        return _fresh(appeal)
    if status == "closed":
        bring_to(world, "verified", appeal=appeal)
        act(world.resident, appeal, "revisit", satisfaction=5, was_resolved=True)
        return _fresh(appeal)
    steps = {
        "assessed": (world.dispatcher, "assess", {"category": "HOUSING"}),
        "queued": (world.dispatcher, "queue", {}),
        "dispatched": (world.dispatcher, "dispatch", {}),
        "in_progress": (world.handler, "accept", {}),
        "resolved": (world.handler, "resolve", {"public_reply": "已更换灯泡"}),
        "verified": (world.dispatcher, "verify", {}),
    }
    for step in HAPPY_PATH[1 : HAPPY_PATH.index(status) + 1]:
        if step == "queued" and status != "queued":
            continue  # dispatch straight from assessment
        who, action, payload = steps[step]
        act(who, appeal, action, **payload)
    return _fresh(appeal)


def _fresh(appeal: Appeal) -> Appeal:
    return Appeal.objects.get(pk=appeal.pk)
