"""``services.appeal_import_history``: history enters closed, with imported events at its
original times, idempotent per (source, external id), visible like any appeal of its area."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.utils import timezone

from suqiu.appeals import selectors, services
from suqiu.appeals.models import Appeal, AppealEvent, Channel, EventKind
from suqiu.appeals.services import ImportedAppeal
from suqiu.appeals.tracking import ALPHABET
from suqiu.appeals.workflow import Status
from suqiu.core.errors import ValidationFailed
from suqiu.core.testing import G1_POINT, OUTSIDE_POINT

pytestmark = pytest.mark.django_db

TZ = timezone.get_fixed_timezone(8 * 60)
T0 = datetime(2019, 1, 5, 10, 21, 44, tzinfo=TZ)
T1 = datetime(2019, 1, 20, 9, 0, 0, tzinfo=TZ)


def imported(external_id: str = "1001", **kw) -> ImportedAppeal:
    base = dict(
        external_id=external_id,
        title="小区路灯不亮",
        description="幸福路三号楼门口路灯坏了一个月。",
        created_at=T0,
        closed_at=T1,
        public_reply="已安排维修，路灯已恢复。",
        reporter_name="A00074011",
        data={"row": 2},
    )
    base.update(kw)
    return ImportedAppeal(**base)


def test_imported_appeal_is_closed_history_with_its_original_times(world):
    outcome = services.appeal_import_history(source="gov-zh", rows=[imported()])
    assert outcome.created == 1 and outcome.present == []
    appeal = Appeal.objects.get(external_source="gov-zh", external_id="1001")
    assert appeal.channel == Channel.IMPORT
    assert appeal.status == Status.CLOSED
    assert appeal.created_at == T0 and appeal.closed_at == T1 and appeal.resolved_at == T1
    assert appeal.updated_at == T1
    assert appeal.public_reply == "已安排维修，路灯已恢复。"
    assert appeal.reporter_name == "A00074011"
    assert appeal.client_name == "gov-zh"
    assert appeal.area == world.district and appeal.area_path == world.district.path
    assert appeal.grid is None
    assert re.fullmatch(
        f"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", appeal.tracking_code
    )

    created, closing = list(appeal.events.order_by("created_at", "id"))
    assert created.kind == EventKind.CREATED and created.created_at == T0
    assert created.to_status == Status.RECEIVED and created.actor_id is None
    assert created.data["imported"] is True and created.data["source"] == "gov-zh"
    assert created.data["row"] == 2 and created.data["channel"] == Channel.IMPORT
    assert closing.kind == EventKind.RESOLVE and closing.created_at == T1
    assert (closing.from_status, closing.to_status) == (Status.RECEIVED, Status.CLOSED)
    assert closing.is_public and closing.public_text == appeal.public_reply
    assert closing.data == {"imported": True, "source": "gov-zh", "row": 2, "no_reply": False}


def test_without_a_reply_it_closes_at_creation_flagged_no_reply(world):
    services.appeal_import_history(
        source="gov-zh", rows=[imported(public_reply="", closed_at=None)]
    )
    appeal = Appeal.objects.get(external_id="1001")
    assert appeal.status == Status.CLOSED
    assert appeal.closed_at == T0 and appeal.resolved_at is None and appeal.public_reply == ""
    closing = appeal.events.get(kind=EventKind.RESOLVE)
    assert closing.created_at == T0 and closing.data["no_reply"] is True


def test_reimport_creates_nothing_and_names_what_is_present(world):
    services.appeal_import_history(source="gov-zh", rows=[imported("1"), imported("2")])
    again = services.appeal_import_history(
        source="gov-zh", rows=[imported("1"), imported("2", title="另一个标题"), imported("3")]
    )
    assert again.created == 1
    assert [(row.external_id, stored) for row, stored in again.present] == [
        ("1", "小区路灯不亮"),
        ("2", "小区路灯不亮"),
    ]
    assert Appeal.objects.count() == 3 and AppealEvent.objects.count() == 6


def test_the_same_id_twice_in_a_batch_is_stored_once(world):
    outcome = services.appeal_import_history(
        source="gov-zh", rows=[imported("7"), imported("7", title="重复")]
    )
    assert outcome.created == 1
    assert [(r.title, stored) for r, stored in outcome.present] == [("重复", "小区路灯不亮")]


def test_the_same_id_from_another_source_is_another_appeal(world):
    services.appeal_import_history(source="gov-zh", rows=[imported("5")])
    outcome = services.appeal_import_history(source="hotline", rows=[imported("5")])
    assert outcome.created == 1
    assert Appeal.objects.filter(external_id="5").count() == 2


def test_a_point_in_a_grid_lands_in_its_community_and_staff_see_it_as_usual(world, actor_of):
    services.appeal_import_history(
        source="us311-sf",
        rows=[
            imported("in-g1", lat=G1_POINT[0], lon=G1_POINT[1]),
            imported("outside", lat=OUTSIDE_POINT[0], lon=OUTSIDE_POINT[1]),
            imported("nowhere"),
        ],
    )
    in_g1 = Appeal.objects.get(external_id="in-g1")
    assert in_g1.grid == world.g1 and in_g1.area == world.c1
    assert in_g1.events.get(kind=EventKind.CREATED).data["grid"] == "G1"
    assert Appeal.objects.get(external_id="outside").area == world.district

    def visible(user):
        qs = selectors.appeal_list(actor=actor_of(user))
        return set(qs.values_list("external_id", flat=True))

    assert visible(world.dispatcher) == {"in-g1", "outside", "nowhere"}
    assert visible(world.community_worker) == {"in-g1"}
    assert visible(world.community_worker_c3) == set()
    assert visible(world.resident) == set()
    # Staff read the whole imported timeline; the public tracking page shows both steps.
    events = selectors.appeal_events(actor=actor_of(world.dispatcher), appeal=in_g1)
    assert [e.kind for e in events] == [EventKind.CREATED, EventKind.RESOLVE]
    assert selectors.public_events(in_g1).count() == 2


def test_no_intake_hook_runs_for_imports(world, monkeypatch):
    calls = []
    monkeypatch.setattr(
        services, "_AFTER_CREATE", [(10, lambda **kw: calls.append(kw["appeal"].pk))]
    )
    services.appeal_import_history(source="gov-zh", rows=[imported()])
    assert calls == [] and Appeal.objects.count() == 1


def test_category_and_votes_are_kept(world):
    services.appeal_import_history(
        source="gov-zh",
        rows=[imported(category_id=world.cat_housing.pk, support_votes=12, oppose_votes=3)],
    )
    appeal = Appeal.objects.get()
    assert appeal.category == world.cat_housing
    assert (appeal.support_votes, appeal.oppose_votes) == (12, 3)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"closed_at": datetime(2019, 1, 1, tzinfo=TZ)}, "closed_at"),  # before creation
        ({"created_at": datetime(2019, 1, 5, 10, 0)}, "closed_at"),  # naive
        ({"title": ""}, "title"),
        ({"title": "长" * 121}, "title"),
        ({"description": "长" * 4001}, "description"),
        ({"external_id": ""}, "external_id"),
        ({"lat": 95.0, "lon": 10.0}, "lat"),
        ({"urgency": "very"}, "urgency"),
    ],
)
def test_a_bad_row_writes_nothing_of_its_batch(world, change, field):
    with pytest.raises(ValidationFailed) as info:
        services.appeal_import_history(source="gov-zh", rows=[imported("ok"), imported(**change)])
    assert field in info.value.fields
    assert Appeal.objects.count() == 0 and AppealEvent.objects.count() == 0


def test_the_source_name_is_checked(world):
    with pytest.raises(ValidationFailed):
        services.appeal_import_history(source="", rows=[imported()])
    with pytest.raises(ValidationFailed):
        services.appeal_import_history(source="x" * 41, rows=[imported()])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_rows_at_once_store_each_row_once():
    """Two processes importing the same file at the same moment: the second waits on the
    unique index, rolls back, looks again and finds the rows present; nothing twice."""
    import threading

    from django.db import connection

    from suqiu.core.testing import build_world

    build_world()
    rows = [imported(str(i)) for i in range(200)]
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]

    def run(i):
        try:
            barrier.wait(timeout=30)
            outcomes[i] = services.appeal_import_history(source="gov-zh", rows=rows)
        except Exception as exc:  # noqa: BLE001 - inspected below
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(isinstance(o, services.ImportOutcome) for o in outcomes), outcomes
    assert sorted(o.created for o in outcomes) == [0, 200]
    assert sorted(len(o.present) for o in outcomes) == [0, 200]
    assert Appeal.objects.filter(external_source="gov-zh").count() == 200
    assert AppealEvent.objects.count() == 400
