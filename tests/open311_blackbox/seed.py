"""Seed a running Suqiu's database for the Open311 black-box test (run as a separate process with
the server's environment; prints one JSON line).

The directory of ``suqiu.core.testing`` (district, communities, grids, categories, staff), extra
questions of every datatype on ROAD.POTHOLE, and one appeal taken by phone (with the caller's
name and number, which GeoReport v2 must never show) that a dispatcher then rejected with a
public reason.
"""

from __future__ import annotations

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suqiu.settings")

import django  # noqa: E402

django.setup()

from suqiu.appeals import services  # noqa: E402
from suqiu.appeals.models import Channel  # noqa: E402
from suqiu.core.testing import G2_POINT, build_world  # noqa: E402
from suqiu.directory.access import actor_for  # noqa: E402
from suqiu.open311.models import ServiceAttribute  # noqa: E402

PHONE_CALLER = {"name": "赵大爷", "phone": "13700009999"}
REJECT_REASON = "此处属于高速公路管理范围，已转告高速公路管理处。"


def main() -> dict:
    world = build_world()
    make = ServiceAttribute.objects.create
    pothole = world.cat_pothole
    make(
        category=pothole,
        code="SIZE",
        datatype="singlevaluelist",
        required=True,
        order=1,
        description="How big is the pothole?",
        values=[{"key": "S", "name": "Small"}, {"key": "L", "name": "Large"}],
    )
    make(
        category=pothole,
        code="HAZARDS",
        datatype="multivaluelist",
        order=2,
        description="What makes it dangerous?",
        values=[{"key": "water", "name": "Water"}, {"key": "night", "name": "Unlit"}],
    )
    make(category=pothole, code="DEPTH", datatype="number", order=3, description="Depth (cm)")
    make(category=pothole, code="SEEN", datatype="datetime", order=4, description="First seen")
    make(category=pothole, code="LANE", datatype="string", order=5, description="Lane")
    make(category=pothole, code="NOTES", datatype="text", order=6, description="Notes")

    phoned = services.appeal_create(
        actor=actor_for(world.operator),
        data=services.AppealInput(
            title="高速路口路面塌陷",
            description="来电反映高速路口路面塌陷。",
            channel=Channel.PHONE,
            lat=G2_POINT[0],
            lon=G2_POINT[1],
            address="幸福路 8 号",
            category=world.cat_road.pk,
            reporter_name=PHONE_CALLER["name"],
            reporter_phone=PHONE_CALLER["phone"],
        ),
    )
    services.appeal_act(
        actor=actor_for(world.dispatcher),
        appeal_id=phoned.pk,
        action="reject",
        payload={"reason": REJECT_REASON},
    )
    return {
        "phoned": phoned.tracking_code,
        "phoned_caller": PHONE_CALLER,
        "reject_reason": REJECT_REASON,
    }


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
