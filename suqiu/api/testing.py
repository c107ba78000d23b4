"""Helpers for API tests: clients that authenticate with a fresh bearer token, JSON requests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.test import Client

from suqiu.appeals import services
from suqiu.appeals.models import Appeal
from suqiu.directory.access import actor_for
from suqiu.directory.models import ApiToken, User

API = "/api/v1"


class ApiClient:
    """A django.test.Client that sends ``Authorization: Bearer <token>`` (or nothing)."""

    def __init__(self, user: User | None = None, *, token: str | None = None, **client_kwargs):
        self.user = user
        self.token = token
        if user is not None and token is None:
            _row, self.token = ApiToken.issue(user=user, name="tests")
        defaults = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        self.client = Client(**client_kwargs, **defaults)

    def get(self, path: str, params: dict | None = None, **extra):
        return self.client.get(API + path, params or {}, **extra)

    def post(self, path: str, body: Any = None, *, raw: str | bytes | None = None, **extra):
        """POST JSON: ``body`` is serialised; ``raw`` is sent as is (malformed-JSON tests)."""
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return self.client.post(API + path, data=data, content_type="application/json", **extra)

    def upload(self, path: str, files: dict, **extra):
        return self.client.post(API + path, data=files, **extra)


# --- A few appeals in different areas and states, built through the services -------------------


@dataclass
class Appeals:
    """Five appeals across the test world (see ``suqiu.core.testing``)."""

    c1_new: Appeal  # community C1 (grid G1), received; reported by `resident` (13812341234)
    c3_dispatched: Appeal  # community C3 (grid G4), dispatched to HOUSING; by `resident2`
    c2_task: Appeal  # community C2 (grid G3), queued and claimable; logged by the operator
    district: Appeal  # no place: lands on the district; logged by the operator
    c1_claimed: Appeal  # community C1 (grid G2), claimed by `volunteer`, in progress

    def all(self) -> list[Appeal]:
        return [self.c1_new, self.c3_dispatched, self.c2_task, self.district, self.c1_claimed]


def build_appeals(world) -> Appeals:
    from suqiu.core.testing import G1_POINT, G2_POINT, G3_POINT, G4_POINT

    def act(user, appeal, action, **payload):
        return services.appeal_act(
            actor=actor_for(user), appeal_id=appeal.pk, action=action, payload=payload
        )

    c1_new = services.appeal_create(
        actor=actor_for(world.resident),
        data=services.AppealInput(
            title="楼道灯坏了",
            description="3栋2单元楼道灯不亮一周了",
            lat=G1_POINT[0],
            lon=G1_POINT[1],
            address="一社区3栋2单元",
        ),
    )
    c3 = services.appeal_create(
        actor=actor_for(world.resident2),
        data=services.AppealInput(
            title="房屋漏水",
            description="顶楼漏水，家里有老人",
            lat=G4_POINT[0],
            lon=G4_POINT[1],
            address="三社区8栋",
        ),
    )
    act(world.dispatcher, c3, "assess", category="HOUSING")
    act(world.dispatcher, c3, "dispatch")
    operator = actor_for(world.operator)
    task = services.appeal_create(
        actor=operator,
        data=services.AppealInput(
            title="独居老人需要陪诊",
            description="王大爷下周二需要有人陪同去医院",
            channel="phone",
            lat=G3_POINT[0],
            lon=G3_POINT[1],
            reporter_name="王大爷",
            reporter_phone="13700002222",
        ),
    )
    act(world.dispatcher, task, "assess", category="ELDERLY")
    act(world.dispatcher, task, "queue", claimable=True)
    district = services.appeal_create(
        actor=operator,
        data=services.AppealInput(
            title="咨询政策",
            description="来电咨询租房补贴政策",
            channel="phone",
            reporter_name="陈女士",
            reporter_phone="13500004444",
        ),
    )
    claimed = services.appeal_create(
        actor=operator,
        data=services.AppealInput(
            title="帮忙收集低楼层房源",
            description="独居老人想找便宜的一楼或电梯房",
            channel="phone",
            lat=G2_POINT[0],
            lon=G2_POINT[1],
            reporter_name="赵奶奶",
            reporter_phone="13600003333",
        ),
    )
    act(world.dispatcher, claimed, "assess", category="ELDERLY")
    act(world.dispatcher, claimed, "queue", claimable=True)
    act(world.volunteer, claimed, "claim")
    return Appeals(
        c1_new=Appeal.objects.get(pk=c1_new.pk),
        c3_dispatched=Appeal.objects.get(pk=c3.pk),
        c2_task=Appeal.objects.get(pk=task.pk),
        district=Appeal.objects.get(pk=district.pk),
        c1_claimed=Appeal.objects.get(pk=claimed.pk),
    )
