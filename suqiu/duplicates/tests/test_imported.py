"""Imported history in the duplicate index: the rows closed within the window are indexed by the
after-import hook (in bulk, per batch), so new appeals find last week's cases of the old system;
older history is not. ``suqiu duplicates reindex`` adds what an earlier import left out."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from suqiu.appeals import services as appeal_services
from suqiu.appeals.models import Appeal
from suqiu.appeals.tests.chain import actor
from suqiu.core import clock
from suqiu.core.testing import G1_POINT
from suqiu.duplicates.models import DuplicateCandidate, DuplicateEntry, DuplicateTerm
from suqiu.imports.importer import import_appeals

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
LIFT = "幸福花园3栋电梯坏了", "幸福花园3栋的电梯坏了三天，老人上下楼很困难，请物业尽快维修电梯"
LIFT_AGAIN = (
    "幸福花园3栋电梯又坏了",
    "我们幸福花园3栋电梯已经停了好几天，老年人上下楼很不方便，希望物业赶紧修好电梯",
)
HEADER = ["工单号", "标题", "内容", "受理时间", "办结时间", "纬度", "经度"]


def _when(t: datetime) -> str:
    return t.astimezone(SH).strftime("%Y-%m-%d %H:%M:%S")


def import_rows(tmp_path, rows, **kw):
    """Import ``rows`` of (id, (title, description), created, closed) at G1's point, at NOW."""
    path = tmp_path / "hotline.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for external_id, (title, description), created, closed in rows:
            writer.writerow(
                [external_id, title, description, _when(created), _when(closed), *G1_POINT]
            )
    mapping = tmp_path / "hotline.json"
    mapping.write_text(
        json.dumps(
            {
                "source": "hotline",
                "columns": dict(
                    zip(
                        ["external_id", "title", "description", "created_at", "closed_at"]
                        + ["lat", "lon"],
                        HEADER,
                        strict=True,
                    )
                ),
            },
            ensure_ascii=False,
        )
    )
    with clock.at(NOW):
        return import_appeals(path, mapping_file=mapping, progress=False, **kw)


def imported(external_id: str) -> Appeal:
    return Appeal.objects.get(external_source="hotline", external_id=external_id)


def new_appeal(world, text=LIFT_AGAIN):
    data = appeal_services.AppealInput(
        title=text[0], description=text[1], lat=G1_POINT[0], lon=G1_POINT[1] + 0.001
    )
    with clock.at(NOW + timedelta(hours=1)):
        return appeal_services.appeal_create(actor=actor(world.resident2), data=data)


def recent_lifts(n: int) -> list[tuple]:
    """``n`` rows R-1 … R-n about the lifts of buildings 1 … n, closed two days ago."""
    return [
        (
            f"R-{i}",
            (f"{i}栋{LIFT[0][4:]}", LIFT[1]),
            NOW - timedelta(days=5),
            NOW - timedelta(days=2),
        )
        for i in range(1, n + 1)
    ]


RECENT = ("R-1", LIFT, NOW - timedelta(days=5), NOW - timedelta(days=3))
OLD = ("O-1", LIFT, NOW - timedelta(days=732), NOW - timedelta(days=730))


def test_history_closed_last_week_is_a_candidate_and_older_history_is_not(world, tmp_path):
    summary = import_rows(tmp_path, [RECENT, OLD])
    assert (summary.created, summary.failed) == (2, 0)
    recent, old = imported("R-1"), imported("O-1")
    assert recent.area_id == old.area_id == world.c1.pk
    entry = DuplicateEntry.objects.get(appeal=recent)
    # It stops being compared as an appeal closed then would: window_days after it closed.
    assert entry.expires_at == recent.closed_at + timedelta(days=30)
    assert not DuplicateEntry.objects.filter(appeal=old).exists()
    assert not DuplicateTerm.objects.filter(appeal_id=old.pk).exists()
    later = new_appeal(world)
    found = set(DuplicateCandidate.objects.filter(appeal=later).values_list("candidate", flat=True))
    assert found == {recent.pk}


def test_each_batch_is_indexed_in_two_statements(world, tmp_path):
    rows = recent_lifts(40) + [OLD]
    with CaptureQueriesContext(connection) as queries:
        summary = import_rows(tmp_path, rows, batch_size=100)
    assert summary.created == 41
    writes = [q["sql"] for q in queries if "duplicates_duplicate" in q["sql"]]
    assert len(writes) == 2, writes  # the entries, then the postings: not one per appeal
    assert DuplicateEntry.objects.count() == 40
    assert DuplicateTerm.objects.filter(appeal_id=imported("R-7").pk).count() >= 3


def test_a_failure_to_index_does_not_lose_the_imported_batch(world, tmp_path, monkeypatch):
    from suqiu.duplicates import index

    def broken(entries):
        raise RuntimeError("index down")

    monkeypatch.setattr(index, "insert_entries", broken)
    summary = import_rows(tmp_path, [RECENT])
    assert summary.created == 1
    assert not DuplicateEntry.objects.exists()


def test_reindex_adds_what_an_earlier_import_left_out(world, tmp_path, settings):
    settings.SUQIU_DUPLICATES = {"enabled": False}  # as before imports indexed history
    import_rows(
        tmp_path, [RECENT, OLD, ("W-1", LIFT, NOW - timedelta(days=4), NOW - timedelta(days=1))]
    )
    assert not DuplicateEntry.objects.exists()
    settings.SUQIU_DUPLICATES = {}
    with clock.at(NOW):
        call_command("duplicates", "reindex", "--days", "2", stdout=(out := io.StringIO()))
    assert "1 appeals added" in out.getvalue()
    assert set(DuplicateEntry.objects.values_list("appeal__external_id", flat=True)) == {"W-1"}
    with clock.at(NOW):
        call_command("duplicates", "reindex", stdout=(out := io.StringIO()))
    assert "1 appeals added" in out.getvalue()  # R-1; O-1 is older than the window
    entries = dict(DuplicateEntry.objects.values_list("appeal__external_id", "expires_at"))
    assert set(entries) == {"W-1", "R-1"}
    assert entries["R-1"] == imported("R-1").closed_at + timedelta(days=30)
    with clock.at(NOW):
        call_command("duplicates", "reindex", stdout=(out := io.StringIO()))
    assert "0 appeals added" in out.getvalue()
    later = new_appeal(world)
    found = set(DuplicateCandidate.objects.filter(appeal=later).values_list("candidate", flat=True))
    assert found == {imported("R-1").pk, imported("W-1").pk}


def test_reindex_adds_an_open_appeal_whose_intake_left_it_out(world):
    appeal = new_appeal(world)
    keys = set(DuplicateTerm.objects.filter(appeal_id=appeal.pk).values_list("key", flat=True))
    DuplicateTerm.objects.filter(appeal_id=appeal.pk).delete()
    DuplicateEntry.objects.filter(appeal=appeal).delete()
    with clock.at(NOW + timedelta(hours=2)):
        call_command("duplicates", "reindex", stdout=(out := io.StringIO()))
    assert "1 appeals added" in out.getvalue()
    entry = DuplicateEntry.objects.get(appeal=appeal)
    assert entry.expires_at is None  # open: compared until it is finished
    # The same keys as intake wrote.
    assert (
        set(DuplicateTerm.objects.filter(appeal_id=appeal.pk).values_list("key", flat=True)) == keys
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reindexes_at_once_index_each_appeal_once(world, tmp_path, settings):
    """An operator's reindex beside a scheduled one: both finish, between them each appeal is
    indexed once (without turns the second failed on the index's unique appeal key)."""
    from suqiu.appeals.tests.test_concurrency import race
    from suqiu.duplicates import services

    settings.SUQIU_DUPLICATES = {"enabled": False}
    rows = recent_lifts(30)
    assert import_rows(tmp_path, rows).created == 30
    settings.SUQIU_DUPLICATES = {}

    def reindex():
        with clock.at(NOW):
            return services.reindex(batch_size=4)

    outcomes = race(reindex, reindex)
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert sum(n for _, n in outcomes) == 30
    assert DuplicateEntry.objects.count() == 30
    assert DuplicateTerm.objects.values("appeal_id").distinct().count() == 30
