"""End-to-end through the services: the happy path of the eight-step chain."""

from suqiu.appeals import services
from suqiu.appeals.models import AppealEvent
from suqiu.core.testing import G1_POINT


def test_happy_path_through_services(world, actor_of):
    resident = actor_of(world.resident)
    appeal = services.appeal_create(
        actor=resident,
        data=services.AppealInput(
            title="楼道灯坏了",
            description="3栋2单元楼道灯不亮一周了",
            lat=G1_POINT[0],
            lon=G1_POINT[1],
        ),
    )
    assert appeal.grid == world.g1 and appeal.area == world.c1
    disp = actor_of(world.dispatcher)
    services.appeal_act(
        actor=disp,
        appeal_id=appeal.pk,
        action="assess",
        payload={"category": "HOUSING", "urgency": "urgent"},
    )
    services.appeal_act(actor=disp, appeal_id=appeal.pk, action="dispatch", payload={})
    handler = actor_of(world.handler)
    services.appeal_act(actor=handler, appeal_id=appeal.pk, action="accept", payload={})
    services.appeal_act(
        actor=handler, appeal_id=appeal.pk, action="resolve", payload={"public_reply": "已更换灯泡"}
    )
    services.appeal_act(actor=disp, appeal_id=appeal.pk, action="verify", payload={})
    a = services.appeal_act(
        actor=resident,
        appeal_id=appeal.pk,
        action="revisit",
        payload={"satisfaction": 5, "was_resolved": True},
    )
    assert a.status == "closed"
    kinds = list(AppealEvent.objects.filter(appeal=appeal).values_list("kind", flat=True))
    assert kinds == ["created", "assess", "dispatch", "accept", "resolve", "verify", "revisit"]
