"""``suqiu import appeals``: presets, custom mappings, error report, idempotence, XLSX, streaming,
the command line. Small files written here with the real exports' column names."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from suqiu.appeals import services
from suqiu.appeals.models import Appeal, AppealEvent, EventKind
from suqiu.appeals.workflow import Status
from suqiu.directory.models import Category
from suqiu.imports import importer
from suqiu.imports.categories import PARENT_CODE
from suqiu.imports.importer import import_appeals
from suqiu.imports.presets import MappingError
from suqiu.imports.readers import open_table

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
PAD = "\n\t\t\t\t\t\n\t\t\t\t\t"  # the padding the message-board export keeps around 留言详情

GOV_LABELLED = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签"]
GOV_REPLIES = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "答复意见", "答复时间"]
GOV_VOTES = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "反对数", "点赞数"]
GOV_UNLABELLED = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级分类"]
NYC = [
    "Unique Key", "Created Date", "Closed Date", "Agency", "Agency Name", "Complaint Type",
    "Descriptor", "Location Type", "Incident Zip", "Incident Address", "City", "Status",
    "Resolution Description", "Open Data Channel Type", "Latitude", "Longitude",
]  # fmt: skip
SF = [
    "unique_key", "created_date", "closed_date", "status", "status_notes", "agency_name",
    "category", "complaint_type", "descriptor", "incident_address", "source", "latitude",
    "longitude",
]  # fmt: skip


def write_csv(path: Path, header: list[str], rows: list[list], encoding="utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(path, **kw):
    kw.setdefault("progress", False)
    return import_appeals(path, **kw)


def error_rows(summary) -> list[dict]:
    with open(summary.errors_path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# --- gov-zh ------------------------------------------------------------------------------------


def test_gov_zh_labelled_export(world, tmp_path):
    path = write_csv(
        tmp_path / "labeled.csv",
        GOV_LABELLED,
        [
            ["182773.0", "U0005894", "I5县乐安镇修路导致交通通行不便", "2015/12/11 19:41:23",
             PAD + "尊敬市委书记：老家在I市I5县乐安镇，最近正在修路。" + PAD, "交通运输"],
            ["134334.0", "U0006580", "咨询关于补办医学出生证明的问题", "2015/10/20 10:24:14",
             "张主任你好，关于补办医学出生证明需要走什么样的程序。", "住房"],
        ],
    )  # fmt: skip
    summary = run(path)
    assert (summary.mapping, summary.source) == ("gov-zh", "gov-zh")
    assert (summary.rows_read, summary.created, summary.failed) == (2, 2, 0)
    first = Appeal.objects.get(external_source="gov-zh", external_id="182773")
    assert first.title == "I5县乐安镇修路导致交通通行不便"
    assert first.description == "尊敬市委书记：老家在I市I5县乐安镇，最近正在修路。"
    assert first.reporter_name == "U0005894"
    assert first.created_at == datetime(2015, 12, 11, 19, 41, 23, tzinfo=SH)
    assert first.status == Status.CLOSED and first.closed_at == first.created_at
    # An unknown category is created under IMPORTED; a known one (by Chinese name) is used.
    assert first.category.name == "交通运输" and first.category.parent.code == PARENT_CODE
    assert summary.categories_created == ["交通运输"]
    assert Appeal.objects.get(external_id="134334").category == world.cat_housing
    created = first.events.get(kind=EventKind.CREATED)
    assert created.data["imported"] and created.data["row"] == 2


def test_gov_zh_unlabelled_export_with_yiji_fenlei(world, tmp_path):
    path = write_csv(
        tmp_path / "unlabelled.csv",
        GOV_UNLABELLED,
        [
            ["1", "U0001196", "投诉A市A1区苑物业违规收停车费", "2019/12/30 17:06:14", "物业违规收费", "Roads"],
            ["23", "U0002738", "A4区五一大道一酒吧噪音严重", "2020/1/6 13:15:56", "噪音扰民", "elderly"],
            ["26", "U0002739", "无分类", "2020/1/6 13:15:56", "没有分类的留言", ""],
        ],
    )  # fmt: skip
    summary = run(path)
    assert summary.created == 3 and summary.categories_created == []
    # English name and code match case-insensitively; an empty category stays empty.
    assert Appeal.objects.get(external_id="1").category == world.cat_road
    assert Appeal.objects.get(external_id="23").category == world.cat_elderly
    assert Appeal.objects.get(external_id="26").category is None


def test_gov_zh_replies_become_public_replies_at_their_time(world, tmp_path):
    reply = "网友“A00023583”：您好！针对您反映的问题，已组织人员修复。"
    path = write_csv(
        tmp_path / "replies.csv",
        GOV_REPLIES,
        [["2554", "A00023583", "A3区潇楚南路洋湖段怎么还没修好？", "2019/4/24 16:03:40",
          "潇楚南路从2018年开始修。", reply, "2019/5/9 9:49:10"]],
    )  # fmt: skip
    run(path)
    appeal = Appeal.objects.get(external_id="2554")
    when = datetime(2019, 5, 9, 9, 49, 10, tzinfo=SH)
    assert appeal.public_reply == reply and appeal.closed_at == when and appeal.resolved_at == when
    closing = appeal.events.get(kind=EventKind.RESOLVE)
    assert closing.created_at == when and closing.public_text == reply
    assert closing.data["no_reply"] is False


def test_gov_zh_votes(world, tmp_path):
    path = write_csv(
        tmp_path / "votes.csv",
        GOV_VOTES,
        [["188006", "A000102948", "一米阳光婚纱摄影是否合法纳税", "2019-08-01 00:00:00", "详情", "2", "15"]],
    )  # fmt: skip
    run(path)
    appeal = Appeal.objects.get(external_id="188006")
    assert (appeal.support_votes, appeal.oppose_votes) == (15, 2)


def test_a_vote_count_too_big_for_the_database_is_a_bad_row_not_a_lost_batch(world, tmp_path):
    header = ["留言编号", "留言主题", "留言时间", "留言详情", "点赞数", "反对数"]
    path = write_csv(
        tmp_path / "votes.csv",
        header,
        [
            ["501", "a", "2019/1/5 10:21", "x", "1", ""],
            ["502", "b", "2019/1/5 10:21", "x", "1e20", ""],
            ["503", "c", "2019/1/5 10:21", "x", "2", "3000000000"],
            ["504", "d", "2019/1/5 10:21", "x", "2147483647", "0"],
        ],
    )
    summary = run(path)
    assert (summary.rows_read, summary.created, summary.failed) == (4, 2, 2)
    errors = {(e["row"], e["field"], e["reason"], e["value"]) for e in error_rows(summary)}
    assert errors == {
        ("3", "support_votes (点赞数)", "out of range (above 2,147,483,647)", "1e20"),
        ("4", "oppose_votes (反对数)", "out of range (above 2,147,483,647)", "3000000000"),
    }
    assert Appeal.objects.get(external_id="504").support_votes == 2_147_483_647


def test_ids_a_spreadsheet_turned_into_scientific_notation_are_bad_rows_not_one_case(
    world, tmp_path
):
    header = ["留言编号", "留言主题", "留言时间", "留言详情"]
    path = write_csv(
        tmp_path / "sci.csv",
        header,
        [
            ["1.01006E+11", "路灯不亮", "2019/1/5 10:21", "x"],
            ["1.01006E+11", "井盖缺失", "2019/1/5 10:22", "x"],
            ["2e5", "噪音", "2019/1/5 10:23", "x"],
            ["E12", "编号像字母", "2019/1/5 10:24", "x"],
            ["101006000001", "完整编号", "2019/1/5 10:25", "x"],
        ],
    )
    summary = run(path)
    assert (summary.rows_read, summary.created, summary.failed) == (5, 2, 3)
    errors = {(e["row"], e["reason"], e["value"]) for e in error_rows(summary)}
    reason = "id mangled by a spreadsheet (scientific notation)"
    assert errors == {
        ("2", reason, "1.01006E+11"),
        ("3", reason, "1.01006E+11"),
        ("4", reason, "2e5"),
    }
    assert sorted(Appeal.objects.values_list("external_id", flat=True)) == ["101006000001", "E12"]


def test_blank_rows_bare_years_and_categories_of_failed_rows(world, tmp_path):
    header = ["留言编号", "留言主题", "留言时间", "留言详情", "一级分类", "点赞数"]
    path = write_csv(
        tmp_path / "minor.csv",
        header,
        [
            ["1", "好的", "2019/1/5 10:21", "x", "", "1"],
            [" ", "  ", "", " ", "\t", ""],  # blank cells only: an empty row, skipped
            ["2", "只有年份", "2019", "x", "", ""],
            ["3", "票数坏了", "2019/1/5 10:21", "x", "只在坏行里的类别", "-1"],
            ["4", "也是好的", "2019/1/5 10:21", "x", "好行的类别", ""],
        ],
    )
    summary = run(path)
    assert (summary.rows_read, summary.created, summary.failed) == (4, 2, 2)
    errors = {(e["row"], e["field"], e["reason"]) for e in error_rows(summary)}
    assert errors == {
        ("4", "created_at (留言时间)", "unreadable date (a year alone is not a date)"),
        ("5", "support_votes (点赞数)", "not a whole number ≥ 0"),
    }
    # The failed row's unknown category was not created; the imported row's was.
    assert summary.categories_created == ["好行的类别"]
    assert not Category.objects.filter(name="只在坏行里的类别").exists()


# --- us311 -----------------------------------------------------------------------------------------


def test_nyc_311_export(world, tmp_path):
    path = write_csv(
        tmp_path / "nyc.csv",
        NYC,
        [
            ["56921224", "02/28/2023 11:44:59 PM", "03/01/2023 01:04:12 AM", "NYPD",
             "New York City Police Department", "Illegal Parking", "Blocked Hydrant",
             "Street/Sidewalk", "10455", "659 CAULDWELL AVENUE", "BRONX", "Closed",
             "The Police Department issued a summons.", "MOBILE", "40.8167278", "-73.9095974"],
            ["56923577", "02/28/2023 11:45:00 PM", "", "DOT", "Department of Transportation",
             "Traffic Signal Condition", "Controller", "", "10011", "", "MANHATTAN", "Open", "",
             "UNKNOWN", "", ""],
        ],
    )  # fmt: skip
    summary = run(path)
    assert (summary.mapping, summary.created, summary.failed) == ("us311-nyc", 2, 0)
    parked = Appeal.objects.get(external_source="us311-nyc", external_id="56921224")
    ny = ZoneInfo("America/New_York")
    assert parked.created_at == datetime(2023, 2, 28, 23, 44, 59, tzinfo=ny)
    assert parked.closed_at == datetime(2023, 3, 1, 1, 4, 12, tzinfo=ny)
    assert parked.title == "Illegal Parking - Blocked Hydrant"
    assert parked.public_reply == "The Police Department issued a summons."
    assert parked.address == "659 CAULDWELL AVENUE, BRONX, 10455"
    assert (parked.lat, parked.lon) == (40.8167278, -73.9095974)
    assert parked.area == world.district  # far from every grid
    assert parked.category.name_en == "Illegal Parking"
    data = parked.events.get(kind=EventKind.CREATED).data
    assert data["source_status"] == "Closed" and data["source_channel"] == "MOBILE"
    assert data["source_agency"] == "New York City Police Department"
    still_open = Appeal.objects.get(external_id="56923577")
    assert still_open.status == Status.CLOSED and still_open.closed_at == still_open.created_at
    assert still_open.events.get(kind=EventKind.RESOLVE).data["no_reply"] is True
    assert still_open.events.get(kind=EventKind.CREATED).data["source_status"] == "Open"


def test_sf_311_export_reads_its_utc_labelled_times_as_pacific_and_drops_zero_coordinates(
    world, tmp_path
):
    path = write_csv(
        tmp_path / "sf.csv",
        SF,
        [
            ["6078653", "2016-07-13 15:11:07+00:00", "2016-07-14 12:13:22+00:00", "Closed",
             "Field Work has been completed.", "PUC Sewer Ops", "Sewer Issues", "Odor",
             "Odor From_catch_basin", "Not associated with a specific address", "Web", "0.0", "0.0"],
        ],
    )  # fmt: skip
    summary = run(path, preset="us311")  # the family: the city comes from the header
    assert summary.mapping == "us311-sf"
    appeal = Appeal.objects.get(external_source="us311-sf")
    # "+00:00" as written, but the clock time is San Francisco's (the export labels its local
    # times as UTC): not stored 7 hours early.
    la = ZoneInfo("America/Los_Angeles")
    assert appeal.created_at == datetime(2016, 7, 13, 15, 11, 7, tzinfo=la)
    assert appeal.closed_at == datetime(2016, 7, 14, 12, 13, 22, tzinfo=la)
    assert appeal.lat is None and appeal.lon is None
    assert appeal.title == "Sewer Issues - Odor"
    assert appeal.description == "Odor\nOdor From_catch_basin"


LA = [
    "SRNumber", "CreatedDate", "UpdatedDate", "ActionTaken", "Owner", "RequestType", "Status",
    "RequestSource", "Anonymous", "ClosedDate", "Address", "Latitude", "Longitude",
]  # fmt: skip
BOSTON = [
    "_orig_index", "case_enquiry_id", "open_dt", "sla_target_dt", "closed_dt", "on_time",
    "case_status", "closure_reason", "case_title", "subject", "reason", "type", "queue",
    "department", "location", "latitude", "longitude", "source",
]  # fmt: skip


def test_la_311_export_in_los_angeles_time(world, tmp_path):
    path = write_csv(
        tmp_path / "la.csv",
        LA,
        [
            ["1-870704831", "12/31/2017 11:59:58 PM", "04/09/2018 09:25:28 AM", "SR Created",
             "BOS", "Homeless Encampment", "Closed", "Call", "N", "04/09/2018 09:18:35 AM",
             "2111 W BELLEVUE AVE, 90026", "34.073216645", "-118.266861909"],
            # Closed on the day it was made, the closing date without a time: closed that day.
            ["1-870332239", "12/30/2017 05:16:06 PM", "", "SR Created", "BOS", "Bulky Items",
             "Closed", "Self Service", "Y", "12/30/2017 12:00:00 AM", "", "", ""],
        ],
    )  # fmt: skip
    summary = run(path)
    assert (summary.mapping, summary.created, summary.failed) == ("us311-la", 2, 0)
    la = ZoneInfo("America/Los_Angeles")
    camp = Appeal.objects.get(external_id="1-870704831")
    assert camp.created_at == datetime(2017, 12, 31, 23, 59, 58, tzinfo=la)
    assert camp.closed_at == datetime(2018, 4, 9, 9, 18, 35, tzinfo=la)
    assert camp.title == "Homeless Encampment" and camp.category.name == "Homeless Encampment"
    assert camp.events.get(kind=EventKind.CREATED).data["source_agency"] == "BOS"
    bulky = Appeal.objects.get(external_id="1-870332239")
    assert bulky.closed_at == bulky.created_at
    assert bulky.events.get(kind=EventKind.CREATED).data["closed_date_only"] is True


def test_boston_311_open_cases_enter_closed_without_reply(world, tmp_path):
    path = write_csv(
        tmp_path / "boston.csv",
        BOSTON,
        [["51", "101005870246", "2025-01-24 03:24:56", "2025-02-07 03:30:00", "", "OVERDUE",
          "Open", " ", "Street Light Outages", "Public Works Department", "Street Lights",
          "Street Light Outages", "PWDx_Street Light Outages", "PWDx",
          "9-15 Orleans St  East Boston  MA  02128", "42.3668659733", "-71.0387666126",
          "Citizens Connect App"]],
    )  # fmt: skip
    summary = run(path)
    assert (summary.mapping, summary.created) == ("us311-boston", 1)
    appeal = Appeal.objects.get(external_source="us311-boston", external_id="101005870246")
    assert appeal.created_at == datetime(
        2025, 1, 24, 3, 24, 56, tzinfo=ZoneInfo("America/New_York")
    )
    assert appeal.status == Status.CLOSED and appeal.public_reply == ""
    assert appeal.description == "Street Light Outages\nStreet Lights"
    closing = appeal.events.get(kind=EventKind.RESOLVE)
    assert closing.data["no_reply"] is True and closing.data["source_status"] == "Open"


@pytest.mark.parametrize(
    "header, preset",
    [(GOV_LABELLED, "gov-zh"), (GOV_VOTES, "gov-zh"), (GOV_REPLIES, "gov-zh"),
     (GOV_UNLABELLED, "gov-zh"), (SF, "us311-sf"), (NYC, "us311-nyc"), (LA, "us311-la"),
     (BOSTON, "us311-boston")],
)  # fmt: skip
def test_the_header_picks_the_preset(header, preset):
    from suqiu.imports.presets import choose

    assert choose(header, None).name == preset
    if preset.startswith("us311"):
        assert choose(header, "us311").name == preset
    else:
        with pytest.raises(MappingError):
            choose(header, "us311")


# --- custom mappings ---------------------------------------------------------------------------


def test_custom_mapping_json(world, tmp_path):
    path = write_csv(
        tmp_path / "hotline.csv",
        ["工单号", "标题", "内容", "补充", "受理时间", "办结时间", "结果", "类别"],
        [["H-1", "路面塌陷", "幸福路有坑", "雨天积水", "2019年01月05日 10时21分",
          "2019年01月06日 08时00分", "已修复", "ROAD"]],
    )  # fmt: skip
    mapping = tmp_path / "hotline.json"
    mapping.write_text(
        json.dumps(
            {
                "source": "hotline-2019",
                "date_formats": ["%Y年%m月%d日 %H时%M分"],
                "columns": {
                    "external_id": "工单号",
                    "title": "标题",
                    "description": ["内容", "补充"],
                    "created_at": "受理时间",
                    "closed_at": "办结时间",
                    "public_reply": "结果",
                    "category": "类别",
                },
            },
            ensure_ascii=False,
        )
    )
    summary = run(path, mapping_file=mapping)
    assert (summary.source, summary.created) == ("hotline-2019", 1)
    appeal = Appeal.objects.get(external_source="hotline-2019", external_id="H-1")
    assert appeal.description == "幸福路有坑\n雨天积水"
    assert appeal.created_at == datetime(2019, 1, 5, 10, 21, tzinfo=SH)
    assert appeal.closed_at == datetime(2019, 1, 6, 8, 0, tzinfo=SH)
    assert appeal.category == world.cat_road and appeal.public_reply == "已修复"


def test_urgency_and_the_agency_that_is_one_of_ours_are_history_too(world, tmp_path):
    """What history teaches triage: the urgency each appeal was given and who handled it (an
    agency named like one of our organisations led it; another name is only kept as text). An
    urgency the import cannot read is a row error, not a guess."""
    path = write_csv(
        tmp_path / "hotline.csv",
        ["工单号", "标题", "受理时间", "紧急程度", "承办单位"],
        [
            ["H-1", "燃气泄漏", "2019-01-05 10:21", "特急", "交通局"],
            ["H-2", "路面坑洼", "2019-01-05 11:00", "紧急", " roads "],
            ["H-3", "路灯不亮", "2019-01-05 12:00", "", "城管执法局"],
            ["H-4", "噪音扰民", "2019-01-05 13:00", "十万火急", "交通局"],
        ],
    )
    columns = {"external_id": "工单号", "title": "标题", "created_at": "受理时间"}
    mapping = tmp_path / "hotline.json"
    mapping.write_text(
        json.dumps(
            {
                "source": "hotline",
                "columns": {**columns, "urgency": "紧急程度", "agency": "承办单位"},
            },
            ensure_ascii=False,
        )
    )
    summary = run(path, mapping_file=mapping)
    assert (summary.created, summary.failed, summary.led_by_organisation) == (3, 1, 2)
    got = {
        a.external_id: (a.urgency, a.urgency_rank, a.lead_organisation_id)
        for a in Appeal.objects.filter(external_source="hotline")
    }
    assert got == {
        "H-1": ("emergency", 0, world.roads.pk),
        "H-2": ("urgent", 1, world.roads.pk),  # the code, whatever its case and spaces
        "H-3": ("normal", 2, None),  # not one of ours: kept as the source's agency only
    }
    assert (
        AppealEvent.objects.get(appeal__external_id="H-3", kind=EventKind.CREATED).data[
            "source_agency"
        ]
        == "城管执法局"
    )
    created = AppealEvent.objects.get(appeal__external_id="H-1", kind=EventKind.CREATED)
    assert (created.data["lead_organisation"], created.data["urgency"]) == (
        world.roads.pk,
        "emergency",
    )
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.dispatcher)
    html = client.get(reverse("workbench:appeal", args=[created.appeal_id])).content.decode()
    assert f"lead: {world.roads.name}" in html and "urgency: Emergency" in html
    assert "lead_organisation=" not in html and "urgency=" not in html
    (bad,) = error_rows(summary)
    assert (bad["external_id"], bad["value"]) == ("H-4", "十万火急")
    assert "unknown urgency" in bad["reason"]
    assert any("organisations:   2 rows" in line for line in summary.lines())


def test_a_reimport_with_recategorise_fills_in_urgency_and_the_lead_organisation(world, tmp_path):
    """History imported before its organisations were in the directory, and before the urgency
    column was mapped: a re-import with --recategorise gives it both, one event per appeal that
    changed; what the file does not say (an agency that is none of ours) stays as it is."""
    from suqiu.directory.models import Organisation, OrgKind

    path = write_csv(
        tmp_path / "hotline.csv",
        ["工单号", "标题", "受理时间", "紧急程度", "承办单位"],
        [
            ["H-1", "燃气泄漏", "2019-01-05 10:21", "特急", "水务局"],
            ["H-2", "路面坑洼", "2019-01-05 11:00", "", "水务局"],
            ["H-3", "路灯不亮", "2019-01-05 12:00", "", "城管执法局"],
        ],
    )
    columns = {"external_id": "工单号", "title": "标题", "created_at": "受理时间"}
    first = tmp_path / "first.json"
    first.write_text(
        json.dumps({"source": "hotline", "columns": {**columns, "agency": "承办单位"}})
    )
    assert run(path, mapping_file=first).created == 3

    def appeals():
        return Appeal.objects.filter(external_source="hotline")

    assert {(a.urgency, a.lead_organisation_id) for a in appeals()} == {("normal", None)}
    # The water bureau joins the directory; the urgency column is mapped now.
    water = Organisation.objects.create(
        code="WATER", name="水务局", kind=OrgKind.DEPARTMENT, parent=world.district
    )
    full = tmp_path / "full.json"
    full.write_text(
        json.dumps(
            {
                "source": "hotline",
                "columns": {**columns, "agency": "承办单位", "urgency": "紧急程度"},
            },
            ensure_ascii=False,
        )
    )
    events = AppealEvent.objects.count()
    plain = run(path, mapping_file=full)  # without --recategorise: nothing changes
    assert (plain.already_present, plain.corrected) == (3, 0)
    assert AppealEvent.objects.count() == events
    fixed = run(path, mapping_file=full, recategorise=True)
    assert (fixed.created, fixed.already_present, fixed.corrected) == (0, 3, 2)
    assert "corrected:       2 (of those already present)" in fixed.lines()
    got = {a.external_id: (a.urgency, a.urgency_rank, a.lead_organisation_id) for a in appeals()}
    assert got == {
        "H-1": ("emergency", 0, water.pk),
        "H-2": ("normal", 2, water.pk),
        "H-3": ("normal", 2, None),  # 城管执法局 is none of ours: left as it was
    }
    new = {
        e.appeal.external_id: e.data
        for e in AppealEvent.objects.filter(kind=EventKind.RECATEGORISE)
    }
    assert new["H-1"] == {
        "source": "hotline",
        "row": 2,
        "urgency_from": "normal",
        "urgency": "emergency",
        "lead_organisation_from": None,
        "lead_organisation": water.pk,
    }
    assert set(new) == {"H-1", "H-2"} and "urgency" not in new["H-2"] and "to" not in new["H-2"]
    assert AppealEvent.objects.count() == events + 2
    # Read out in the timeline, not as key=value.
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.dispatcher)
    h1 = appeals().get(external_id="H-1")
    html = client.get(reverse("workbench:appeal", args=[h1.pk])).content.decode()
    assert "Imported record corrected" in html
    assert "urgency: Normal → Emergency" in html and "lead: — → 水务局" in html
    assert "lead_organisation_from=" not in html and "category: " not in html
    # Again: nothing left to change.
    assert run(path, mapping_file=full, recategorise=True).corrected == 0
    assert AppealEvent.objects.count() == events + 2


def test_a_reimport_corrects_a_repeated_id_once_and_a_blank_urgency_lowers_nothing(world, tmp_path):
    """A file that gives one id twice: its first row speaks for it, as at creation, however the
    rows fall into batches, so running it again changes nothing. A blank urgency cell says
    nothing: an appeal an earlier file made urgent stays urgent."""
    header = ["工单号", "标题", "受理时间", "紧急程度"]
    mapping = tmp_path / "m.json"
    mapping.write_text(
        json.dumps(
            {
                "source": "hotline",
                "columns": {
                    "external_id": "工单号",
                    "title": "标题",
                    "created_at": "受理时间",
                    "urgency": "紧急程度",
                },
            },
            ensure_ascii=False,
        )
    )
    twice = write_csv(
        tmp_path / "twice.csv",
        header,
        [
            ["H-1", "燃气泄漏", "2019-01-05 10:21", "特急"],
            ["H-1", "燃气泄漏", "2019-01-05 10:21", ""],
        ],
    )
    for batch_size in (1, 1000):
        first = run(twice, mapping_file=mapping, recategorise=True, batch_size=batch_size)
        assert first.corrected == 0
        assert Appeal.objects.get(external_id="H-1").urgency == "emergency"
    assert not AppealEvent.objects.filter(kind=EventKind.RECATEGORISE).exists()
    blank = write_csv(tmp_path / "blank.csv", header, [["H-1", "燃气泄漏", "2019-01-05 10:21", ""]])
    assert run(blank, mapping_file=mapping, recategorise=True).corrected == 0
    assert Appeal.objects.get(external_id="H-1").urgency == "emergency"
    said = write_csv(
        tmp_path / "said.csv", header, [["H-1", "燃气泄漏", "2019-01-05 10:21", "一般"]]
    )
    assert run(said, mapping_file=mapping, recategorise=True).corrected == 1
    assert Appeal.objects.get(external_id="H-1").urgency == "normal"


def test_custom_mapping_toml_with_zone_and_dayfirst(world, tmp_path):
    path = write_csv(
        tmp_path / "eu.csv", ["ref", "text", "opened"], [["E1", "Broken bench", "05/01/2019 10:00"]]
    )
    mapping = tmp_path / "eu.toml"
    mapping.write_text(
        'time_zone = "Europe/Berlin"\ndayfirst = true\n\n[columns]\n'
        'external_id = "ref"\ndescription = "text"\ncreated_at = "opened"\n'
    )
    summary = run(path, mapping_file=mapping)
    assert summary.source == "eu"  # the mapping file's name
    appeal = Appeal.objects.get(external_id="E1")
    assert appeal.created_at == datetime(2019, 1, 5, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert appeal.title == "Broken bench" and appeal.description == "Broken bench"


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"columns": {"colour": "x"}}', "unknown target field"),
        ('{"columns": {"external_id": "nope", "created_at": "opened", "description": "text"}}',
         "no column for external_id"),
        ('{"columns": {}, "time_zone": "Mars/Olympus"}', "unknown time zone"),
        ("{not json", "not valid"),
    ],
)  # fmt: skip
def test_a_bad_mapping_stops_before_writing(world, tmp_path, content, message):
    path = write_csv(tmp_path / "x.csv", ["ref", "text", "opened"], [["1", "t", "2019-01-01"]])
    mapping = tmp_path / "m.json"
    mapping.write_text(content)
    with pytest.raises(MappingError, match=message):
        run(path, mapping_file=mapping)
    assert Appeal.objects.count() == 0


def test_an_unknown_header_is_refused(world, tmp_path):
    path = write_csv(tmp_path / "x.csv", ["a", "b"], [["1", "2"]])
    with pytest.raises(MappingError, match="cannot tell the export's format"):
        run(path)


# --- idempotence, errors, truncation -----------------------------------------------------------


def test_reimport_creates_nothing(world, tmp_path):
    rows = [
        [str(i), "U1", f"标题{i}", "2019/1/5 10:21:44", f"详情{i}", "交通运输"] for i in range(5)
    ]
    path = write_csv(tmp_path / "a.csv", GOV_LABELLED, rows)
    first = run(path, batch_size=2)
    assert first.created == 5 and Category.objects.filter(parent__code=PARENT_CODE).count() == 1
    second = run(path, batch_size=2)
    assert (second.rows_read, second.created, second.already_present, second.failed) == (5, 0, 5, 0)
    assert Appeal.objects.count() == 5 and AppealEvent.objects.count() == 10
    assert "already present: 5" in "\n".join(second.lines())


GOV_DEV = [*GOV_LABELLED, "text_form"]  # labeled_dev.csv: rows without id, user or time


def _dev_rows() -> list[list]:
    return [
        ["182773.0", "U0005894", "乐安镇修路", "2015/12/11 19:41:23", PAD + "修路不便" + PAD,
         "交通运输", "original"],
        ["", "U0006580", "补办出生证明", "2015/10/20 10:24:14", "需要走什么程序。", "卫生计生",
         "original"],
        ["", "", "小区商户占用公摊面积", "", "商户私自占用业主的公摊面积。", "城乡建设",
         "whitespace_stripped"],
        ["", "", "", "", "翰林居楼盘虚假宣传。", "教育文体", "processed_detail"],
        # Row 2 again, its whitespace and time written otherwise: the same content.
        ["", " U0006580", "补办出生证明 ", "2015-10-20 10:24:14", PAD + "需要走什么程序。\xa0",
         "卫生计生", "original"],
    ]  # fmt: skip


def test_rows_without_an_id_stay_errors_without_ids_from_content(world, tmp_path):
    summary = run(write_csv(tmp_path / "dev.csv", GOV_DEV, _dev_rows()))
    assert (summary.rows_read, summary.created, summary.failed) == (5, 1, 4)
    assert {(e["row"], e["reason"]) for e in error_rows(summary)} == {
        (str(n), "missing id") for n in (3, 4, 5, 6)
    }
    assert "--ids-from-content gives each one" in "\n".join(summary.lines())
    assert list(Appeal.objects.values_list("external_id", flat=True)) == ["182773"]


def test_one_content_in_any_text_form_is_one_appeal(world, tmp_path):
    """The same message with its title, without it (detail only), as a title alone, and with a
    title that is its detail's start: stored alike, so one appeal under one content id."""
    text = "路灯坏了，请尽快修理"
    rows = [
        ["", "U1", text, "2019/3/1 10:00", text, "城乡建设", "original"],
        ["", "U1", "", "2019/3/1 10:00", text, "城乡建设", "processed_detail"],
        ["", "U1", text, "2019/3/1 10:00", "", "城乡建设", "whitespace_stripped"],
        ["", "U1", "路灯坏了", "2019/3/1 10:00", text, "城乡建设", "original"],
        ["", "U1", "路灯", "2019/3/1 10:00", "小区东门" + text, "城乡建设", "original"],
    ]
    summary = run(write_csv(tmp_path / "forms.csv", GOV_DEV, rows), ids_from_content=True)
    assert (summary.created, summary.repeated, summary.failed) == (2, 3, 0)
    assert Appeal.objects.filter(description=text).count() == 1


def test_ids_from_content_imports_rows_without_an_id_idempotently(world, tmp_path):
    path = write_csv(tmp_path / "dev.csv", GOV_DEV, _dev_rows())
    # Without --default-time the rows without a time are still errors (and say what to do).
    first = run(path, ids_from_content=True)
    assert (first.created, first.already_present, first.repeated, first.failed) == (2, 1, 1, 2)
    assert first.content_ids == 2  # rows 3 and 6; rows 4 and 5 failed for their time
    assert {(e["row"], e["external_id"], e["reason"]) for e in error_rows(first)} == {
        ("4", "", "missing creation time"),
        ("5", "", "missing creation time"),
    }
    text = "\n".join(first.lines())
    assert "repeated:        1" in text and "--default-time YYYY-MM-DD gives them one" in text
    by_content = Appeal.objects.get(title="补办出生证明")
    assert by_content.external_id.startswith("sha1:") and len(by_content.external_id) == 21
    assert by_content.created_at == datetime(2015, 10, 20, 10, 24, 14, tzinfo=SH)
    assert by_content.events.get(kind=EventKind.CREATED).data["content_id"] is True

    # With --default-time the rest comes in; the rows already there are already present.
    second = run(path, ids_from_content=True, default_time="2019-12-31T18:00")
    assert (second.created, second.already_present, second.repeated, second.failed) == (
        2, 3, 1, 0,
    )  # fmt: skip
    assert second.default_times == 2 and "default time:    2 rows" in "\n".join(second.lines())
    undated = Appeal.objects.get(title="小区商户占用公摊面积")
    assert undated.created_at == datetime(2019, 12, 31, 18, 0, tzinfo=SH) == undated.closed_at
    assert undated.category.name == "城乡建设"
    data = undated.events.get(kind=EventKind.CREATED).data
    assert data["default_time"] is True and data["content_id"] is True
    detail_only = Appeal.objects.get(description="翰林居楼盘虚假宣传。")
    assert detail_only.title == "翰林居楼盘虚假宣传。" and detail_only.reporter_name == ""

    # Again, with another default time: nothing new (the default is not the row's content).
    third = run(path, ids_from_content=True, default_time="2020-06-30 12:00")
    assert (third.created, third.already_present, third.repeated, third.failed) == (0, 5, 1, 0)
    assert Appeal.objects.count() == 4 and AppealEvent.objects.count() == 8
    ids = set(Appeal.objects.values_list("external_id", flat=True))
    assert "182773" in ids and sum(i.startswith("sha1:") for i in ids) == 3


def test_content_ids_are_the_rows_content_and_nothing_else(world, tmp_path):
    base = ["", "U1", "路灯不亮", "2019/1/5 10:21:44", "路灯坏了。", "城乡建设", "original"]
    other_label = [*base[:5], "交通运输", "original"]  # a category is no part of the content
    other_user = ["", "U2", *base[2:]]
    other_time = [*base[:3], "2019/1/5 10:21:45", *base[4:]]
    path = write_csv(tmp_path / "c.csv", GOV_DEV, [base, other_label, other_user, other_time])
    summary = run(path, ids_from_content=True, batch_size=1)
    assert (summary.created, summary.already_present, summary.repeated) == (3, 1, 1)
    # The same content in another file, under the same source, is the same appeal.
    again = run(write_csv(tmp_path / "d.csv", GOV_DEV, [base]), ids_from_content=True)
    assert (again.created, again.already_present, again.repeated) == (0, 1, 0)


def test_command_line_ids_from_content_and_default_time(world, tmp_path):
    path = write_csv(tmp_path / "dev.csv", GOV_DEV, _dev_rows())
    out = io.StringIO()
    call_command(
        "import", "appeals", str(path), "--no-progress", "--ids-from-content",
        "--default-time", "2019-12-31", stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "created:         4" in text and "repeated:        1" in text
    assert "content ids:     4 rows" in text and "default time:    2 rows" in text
    for bad, message in [
        ("31/12/2019", "not a date"),
        ("43830", "not a date"),
        ("2019-13-01", "not a date"),
        ("1899-12-31", "before 1900"),
        ("2999-01-01", "in the future"),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command(
                "import", "appeals", str(path), "--no-progress", "--ids-from-content",
                "--default-time", bad,
            )  # fmt: skip
    assert Appeal.objects.count() == 4


def test_an_id_clash_with_another_text_is_reported(world, tmp_path):
    write_csv(tmp_path / "a.csv", GOV_LABELLED, [["9", "U1", "路灯", "2019/1/5", "详情", ""]])
    run(tmp_path / "a.csv")
    write_csv(tmp_path / "b.csv", GOV_VOTES, [["9", "U2", "别的事", "2019/2/5", "别的", "0", "0"]])
    summary = run(tmp_path / "b.csv")
    assert (summary.created, summary.already_present, summary.failed) == (0, 0, 1)
    (err,) = error_rows(summary)
    assert err["external_id"] == "9" and "another title" in err["reason"]
    assert err["value"] == "路灯"


def test_bad_rows_go_to_the_error_report_and_the_import_goes_on(world, tmp_path):
    path = write_csv(
        tmp_path / "mixed.csv",
        GOV_REPLIES,
        [
            ["1", "U", "好的", "2019/1/5 10:21:44", "详情", "", ""],
            ["", "U", "没有编号", "2019/1/5 10:21:44", "详情", "", ""],
            ["3", "U", "坏日期", "2019/13/45 99:00", "详情", "", ""],
            ["4", "U", "", "2019/1/5 10:21:44", "", "", ""],
            ["5", "U", "先答复后留言", "2019/1/5 10:21:44", "详情", "答复", "2019/1/4 10:00:00"],
            ["6", "U", "没有时间", "", "详情", "", ""],
            ["7", "U", "未来", "2999/1/1", "详情", "", ""],
            ["8", "U", "好的二", "2019-01-05 10:21", "详情", "答复", "2019/1/6"],
            ["9", "U", "公元元年", "0001-01-01 00:00:00", "详情", "", ""],
            ["10", "U", "t\x00nul", "2019/1/5 10:21:44", "详情", "", ""],
            ["11", "U", "答复在未来", "2019/1/5 10:21:44", "详情", "答复", "2999/1/1"],
        ],
    )
    summary = run(path)
    assert (summary.rows_read, summary.created, summary.failed) == (11, 2, 9)
    assert summary.errors_path == str(tmp_path / "mixed.errors.csv")
    errors = {(e["row"], e["field"], e["reason"]) for e in error_rows(summary)}
    assert errors == {
        ("3", "external_id (留言编号)", "missing id"),
        ("4", "created_at (留言时间)", "unreadable date (month must be in 1..12)"),
        ("5", "description (留言详情)", "no text (title and description empty)"),
        ("6", "closed_at (答复时间)", "closed before it was created"),
        ("7", "created_at (留言时间)", "missing creation time"),
        ("8", "created_at (留言时间)", "in the future"),
        ("10", "created_at (留言时间)", "before 1900"),
        ("11", "row", "a NUL character in the record (a binary file?)"),
        ("12", "closed_at (答复时间)", "in the future"),
    }
    by_row = {e["row"]: e for e in error_rows(summary)}
    assert by_row["4"]["external_id"] == "3" and by_row["4"]["value"] == "2019/13/45 99:00"
    # Shown as read: not with Asia/Shanghai's local mean time before 1901 (+08:05:43).
    assert by_row["10"]["value"] == "0001-01-01 00:00:00"
    assert sorted(Appeal.objects.values_list("external_id", flat=True)) == ["1", "8"]


def test_no_errors_no_report_file(world, tmp_path):
    path = write_csv(tmp_path / "ok.csv", GOV_LABELLED, [["1", "U", "t", "2019/1/5", "d", ""]])
    summary = run(path)
    assert summary.failed == 0 and not (tmp_path / "ok.errors.csv").exists()


def test_unknown_categories_are_errors_with_no_create_categories(world, tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        GOV_LABELLED,
        [["1", "U", "t", "2019/1/5", "d", "住房"], ["2", "U", "t", "2019/1/5", "d", "交通运输"]],
    )
    summary = run(path, create_categories=False, errors_path=tmp_path / "report.csv")
    assert (summary.created, summary.failed) == (1, 1)
    (err,) = error_rows(summary)
    assert (
        err["row"] == "3" and err["field"] == "category (一级标签)" and err["value"] == "交通运输"
    )
    assert not Category.objects.filter(code=PARENT_CODE).exists()


def sf_export(tmp_path, categories: list[str]) -> Path:
    """A San Francisco export with one open case per category text, ids 1, 2, ... an hour apart."""
    rows = [
        [str(i), f"2019-01-05T{9 + i:02d}:00:00+00:00", "", "Open", "", "DPW", category,
         f"case {i}", "", f"{i} Main St", "Phone", "", ""]
        for i, category in enumerate(categories, start=1)
    ]  # fmt: skip
    return write_csv(tmp_path / "311.csv", SF, rows)


def test_a_category_map_sends_source_texts_to_existing_categories(world, tmp_path):
    path = sf_export(tmp_path, ["Street Defects", "street  defects", "Graffiti"])
    cmap = write_csv(
        tmp_path / "map.csv", ["source", "code", "rows"], [["Street Defects", "ROAD.POTHOLE", 2]]
    )
    summary = run(path, preset="us311-sf", categories_file=cmap)
    assert summary.created == 3 and summary.categories_mapped == 2
    assert Appeal.objects.get(external_id="1").category == world.cat_pothole
    # The map's texts match case and spacing alike; the rest is matched or created as before.
    assert Appeal.objects.get(external_id="2").category == world.cat_pothole
    assert summary.categories_created == ["Graffiti"]
    assert "category map:    2 rows" in summary.lines()
    # Again: nothing stored, so the map set no category (it used to count the rows it read).
    again = run(path, preset="us311-sf", categories_file=cmap)
    assert (again.created, again.already_present, again.categories_mapped) == (0, 3, 0)
    assert not any(line.startswith("category map:") for line in again.lines())


def test_a_corrected_map_recategorises_history_with_recategorise(world, tmp_path):
    from django.db.models import Sum

    from suqiu.rates import facts
    from suqiu.rates.models import RateDay

    path = sf_export(tmp_path, ["Street Defects", "Street Defects", "Graffiti", ""])
    run(path, preset="us311-sf")  # no map: "Street Defects" lands under IMPORTED
    wrong = Appeal.objects.get(external_id="1").category
    assert wrong.parent.code == PARENT_CODE
    facts.rebuild()  # the rates of the history, as the docs tell after an import

    def appeals_in(category) -> int:
        got = RateDay.objects.filter(category_id=category.pk).aggregate(n=Sum("appeals"))["n"]
        return got or 0

    assert (appeals_in(wrong), appeals_in(world.cat_pothole)) == (2, 0)
    cmap = write_csv(tmp_path / "map.csv", ["source", "code"], [["Street Defects", "ROAD.POTHOLE"]])
    events = AppealEvent.objects.count()
    # The map alone changes nothing already imported.
    plain = run(path, preset="us311-sf", categories_file=cmap)
    assert (plain.already_present, plain.corrected) == (4, 0)
    assert Appeal.objects.get(external_id="1").category == wrong
    fixed = run(path, preset="us311-sf", categories_file=cmap, recategorise=True)
    assert (fixed.created, fixed.already_present, fixed.corrected) == (0, 4, 2)
    assert "corrected:       2 (of those already present)" in fixed.lines()
    got = dict(Appeal.objects.values_list("external_id", "category__code"))
    # Graffiti keeps its category; the row without one keeps having none.
    assert got["1"] == got["2"] == "ROAD.POTHOLE" and got["4"] is None
    assert got["3"] == Appeal.objects.get(external_id="3").category.code != "ROAD.POTHOLE"
    new = AppealEvent.objects.filter(kind=EventKind.RECATEGORISE).order_by("appeal__external_id")
    assert AppealEvent.objects.count() == events + 2
    assert [(e.appeal.external_id, e.data["from"], e.data["to"], e.data["row"]) for e in new] == [
        ("1", wrong.code, "ROAD.POTHOLE", 2),
        ("2", wrong.code, "ROAD.POTHOLE", 3),
    ]
    assert not any(e.is_public for e in new)
    # The rates moved with the appeals, in the same transaction.
    assert (appeals_in(wrong), appeals_in(world.cat_pothole)) == (0, 2)
    # Run again: nothing left to change.
    again = run(path, preset="us311-sf", categories_file=cmap, recategorise=True)
    assert again.corrected == 0 and AppealEvent.objects.count() == events + 2
    # The dispatcher reads the correction in the appeal's timeline, in Chinese by default.
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(world.dispatcher)
    appeal = Appeal.objects.get(external_id="2")
    html = client.get(reverse("workbench:appeal", args=[appeal.pk])).content.decode()
    assert "导入记录更正" in html and "导入文件第 3 行" in html
    assert f"类别：{wrong.name} → {world.cat_pothole.name}" in html
    assert "导入自 us311-sf，第 3 行" in html and "原系统状态：Open" in html
    # In English, the categories by their English names.
    client.cookies["django_language"] = "en"
    html = client.get(reverse("workbench:appeal", args=[appeal.pk])).content.decode()
    assert f"category: {wrong.label('en')} → {world.cat_pothole.label('en')}" in html
    # The command line, without the map: the file's texts alone give the first categories back
    # (what the rows get is always what the file and the map give now).
    out = io.StringIO()
    call_command(
        "import", "appeals", str(path), "--preset", "us311-sf", "--recategorise", "--no-progress",
        stdout=out,
    )  # fmt: skip
    assert "corrected:       2 (of those already present)" in out.getvalue()
    assert Appeal.objects.get(external_id="2").category == wrong
    assert (appeals_in(wrong), appeals_in(world.cat_pothole)) == (2, 0)


def test_recategorising_leaves_live_appeals_alone(world, tmp_path):
    from suqiu.appeals.tests.chain import actor

    live = services.appeal_create(
        actor=actor(world.operator),
        data=services.AppealInput(title="路面坑洼", description="路面有坑", category="ROAD"),
    )
    Appeal.objects.filter(pk=live.pk).update(external_source="sf311", external_id="1")
    changed = services.appeal_correct_history(
        source="sf311",
        rows=[
            services.HistoryCorrection(
                "1", 2, category_id=world.cat_pothole.pk, urgency="urgent",
                lead_organisation_id=world.s1.pk,
            )
        ],
    )  # fmt: skip
    assert changed == 0
    live = Appeal.objects.get(pk=live.pk)
    assert (live.category, live.urgency, live.lead_organisation) == (world.cat_road, "normal", None)


def test_the_mapping_files_categories_table_and_the_template_listing(world, tmp_path):
    path = write_csv(
        tmp_path / "c.csv",
        GOV_LABELLED,
        [["1", "U", "t", "2019/1/5", "d", "城乡建设"], ["2", "U", "t", "2019/1/5", "d", "城乡建设"],
         ["3", "U", "t", "2019/1/5", "d", "住房"], ["4", "U", "t", "2019/1/5", "d", "交通运输"]],
    )  # fmt: skip
    out = io.StringIO()
    call_command("import", "appeals", str(path), "--list-categories", stdout=out)
    listed = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["source"], r["code"], r["rows"], r["matched_by"]) for r in listed] == [
        ("城乡建设", "", "2", "new"),
        ("交通运输", "", "1", "new"),
        ("住房", "HOUSING", "1", "name"),
    ]
    assert Appeal.objects.count() == 0 and not Category.objects.filter(code=PARENT_CODE).exists()
    # A first look at a big file: the first rows only.
    out = io.StringIO()
    call_command("import", "appeals", str(path), "--list-categories", "--limit", "3", stdout=out)
    sampled = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["source"], r["rows"]) for r in sampled] == [("城乡建设", "2"), ("住房", "1")]
    # The template, edited (one code filled in) and given back, maps; blank codes map nothing.
    listed[0]["code"] = "HOUSING"
    edited = write_csv(
        tmp_path / "edited.csv",
        list(listed[0]),
        [list(r.values()) for r in listed],
    )
    mapping = tmp_path / "board.toml"
    mapping.write_text(
        '[columns]\nexternal_id = "留言编号"\ntitle = "留言主题"\ncreated_at = "留言时间"\n'
        'category = "一级标签"\n\n[categories]\n"交通运输" = "ROAD"\n'
    )
    summary = run(path, mapping_file=mapping, categories_file=edited)
    assert summary.created == 4 and summary.categories_created == []
    got = dict(Appeal.objects.values_list("external_id", "category__code"))
    assert got == {"1": "HOUSING", "2": "HOUSING", "3": "HOUSING", "4": "ROAD"}


@pytest.mark.parametrize(
    "lines, message",
    [
        ("source,code\nStreet Defects,NO.SUCH\n", "codes no category has: NO.SUCH"),
        ("text,category\nA,ROAD\n", "needs a header with the columns source and code"),
        ("source,code\nA,ROAD\na,HOUSING\n", "mapped to both ROAD and HOUSING"),
    ],
)
def test_a_bad_category_map_stops_before_writing(world, tmp_path, lines, message):
    path = write_csv(tmp_path / "x.csv", GOV_LABELLED, [["1", "U", "t", "2019/1/5", "d", "A"]])
    cmap = tmp_path / "map.csv"
    cmap.write_text(lines)
    with pytest.raises(MappingError, match=message):
        run(path, categories_file=cmap)
    with pytest.raises(CommandError, match=message):
        call_command("import", "appeals", str(path), "--categories", str(cmap), "--no-progress")
    assert Appeal.objects.count() == 0 and Category.objects.count() == 4


def test_text_too_long_is_truncated_and_flagged(world, tmp_path):
    path = write_csv(
        tmp_path / "long.csv",
        GOV_LABELLED,
        [["1", "U" * 90, "题" * 130, "2019/1/5", "长" * 5000, ""]],
    )
    summary = run(path)
    assert summary.created == 1 and summary.truncated == 1
    appeal = Appeal.objects.get()
    assert len(appeal.title) == 120 and appeal.title.endswith("…")
    assert len(appeal.description) == 4000 and len(appeal.reporter_name) == 80
    data = appeal.events.get(kind=EventKind.CREATED).data
    assert data["truncated"] == ["title", "description", "reporter_name"]
    again = run(path)
    assert (again.already_present, again.truncated) == (1, 0)


def test_a_title_taken_from_a_long_description_is_shortened_not_counted_as_truncated(
    world, tmp_path
):
    path = write_csv(
        tmp_path / "notitle.csv", GOV_LABELLED, [["1", "U", "", "2019/1/5", "长" * 300, ""]]
    )
    summary = run(path)
    assert summary.created == 1 and summary.truncated == 0
    appeal = Appeal.objects.get()
    assert appeal.title == "长" * 119 + "…" and appeal.description == "长" * 300
    assert "truncated" not in appeal.events.get(kind=EventKind.CREATED).data


def test_gb18030_csv(world, tmp_path):
    path = write_csv(
        tmp_path / "gbk.csv", GOV_LABELLED, [["1", "用户", "噪音扰民", "2019/1/5", "深夜施工", ""]],
        encoding="gb18030",
    )  # fmt: skip
    assert run(path).created == 1
    assert Appeal.objects.get().title == "噪音扰民"


def test_a_row_in_another_encoding_is_reported_and_the_rows_after_it_are_read(world, tmp_path):
    """A UTF-8 export with one record saved as GB18030 (two exports pasted together): that
    record goes to the error report with its column; reading does not stop there."""
    path = tmp_path / "mixed.csv"
    lines = [",".join(GOV_LABELLED), "1,用户,噪音扰民,2019/1/5,深夜施工,"]
    bad = "2,用户,路灯不亮,2019/1/6,晚上很黑,".encode("gb18030")
    tail = ["3,用户,垃圾满溢,2019/1/7,没人清运,", "4,用户,井盖缺失,2019/1/8,很危险,"]
    path.write_bytes(
        ("\r\n".join(lines) + "\r\n").encode() + bad + ("\r\n" + "\r\n".join(tail)).encode()
    )
    summary = run(path, encoding="utf-8")
    assert (summary.rows_read, summary.created, summary.failed) == (4, 3, 1)
    assert sorted(Appeal.objects.values_list("external_id", flat=True)) == ["1", "3", "4"]
    (row,) = error_rows(summary)
    assert row["row"] == "3" and "not utf-8 text in column 2 (留言用户)" in row["reason"]


def test_an_import_where_every_row_fails_exits_with_an_error(world, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv", GOV_LABELLED, [["", "用户", "噪音", "2019/1/5", "x", ""]]
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="no row could be imported \\(1 failed\\)"):
        call_command("import", "appeals", str(path), "--no-progress", stdout=out)
    assert "failed:          1" in out.getvalue()  # the summary is printed first
    assert not Appeal.objects.exists()


def test_a_file_that_is_not_text_is_refused_with_a_reason(world, tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(bytes(range(128, 256)) * 4 + b"\n" + bytes(range(128, 256)))
    with pytest.raises(CommandError, match="header row is not utf-8 text"):
        call_command("import", "appeals", str(path), "--no-progress", "--encoding", "utf-8")
    assert not Appeal.objects.exists()


# --- XLSX ------------------------------------------------------------------------------------------


def test_xlsx_with_datetime_cells_numbers_and_serials(world, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "留言"
    sheet.append(GOV_REPLIES)
    sheet.append(
        [188006, "U1", "路灯不亮", datetime(2019, 1, 5, 10, 21, 44), "详情", "已修", 43471.5]
    )
    sheet.append([188007.0, "U2", "井盖缺失", "2019/1/5 11:00:00", "详情二", None, None])
    sheet.append([None, None, None, None, None, None, None])  # an empty row is skipped
    path = tmp_path / "export.xlsx"
    book.save(path)
    summary = run(path)
    assert (summary.rows_read, summary.created, summary.failed) == (2, 2, 0)
    first = Appeal.objects.get(external_id="188006")
    assert first.created_at == datetime(2019, 1, 5, 10, 21, 44, tzinfo=SH)
    assert first.closed_at == datetime(2019, 1, 6, 12, 0, tzinfo=SH)  # serial 43471.5
    assert Appeal.objects.get(external_id="188007").public_reply == ""


def test_an_xlsx_whose_first_sheet_is_a_note_says_which_sheet_it_read(world, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本表为2019年留言导出"])
    data = book.create_sheet("留言")
    data.append(GOV_LABELLED)
    data.append([1, "U1", "路灯不亮", "2019/1/5", "详情", ""])
    path = tmp_path / "two.xlsx"
    book.save(path)
    with pytest.raises(CommandError, match="read sheet '说明'; name another with --sheet"):
        call_command("import", "appeals", str(path), "--no-progress")
    call_command("import", "appeals", str(path), "--no-progress", "--sheet", "留言")
    assert Appeal.objects.get().title == "路灯不亮"


def _rewrite_parts(src: Path, dst: Path, changes: dict, added: dict | None = None) -> Path:
    """``src`` with the parts named in ``changes`` passed through their function (bytes →
    bytes), and the parts of ``added`` (name → bytes) added."""
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, changes.get(item.filename, lambda d: d)(data))
        for name, data in (added or {}).items():
            zout.writestr(name, data)
    return dst


def _rewrite_sheet(src: Path, dst: Path, change) -> Path:
    """``src`` with its first worksheet's XML passed through ``change`` (bytes → bytes)."""
    return _rewrite_parts(src, dst, {"xl/worksheets/sheet1.xml": change})


def _gov_workbook(path: Path, rows: int) -> Path:
    """A government export as Excel writes it: its texts in the shared-string table."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(GOV_LABELLED)
    for i in range(1, rows + 1):
        book.active.append([7000 + i, "U", f"主题{i}", datetime(2019, 1, 1, 10), f"详情{i}", ""])
    book.save(inline := path.with_suffix(".inline.xlsx"))
    return _shared(inline, path)


def test_a_workbook_damaged_inside_keeps_the_rows_before_the_damage(world, tmp_path):
    def damage(xml: bytes) -> bytes:  # row 20's XML cut off in the middle of a tag
        at = xml.index(b'<row r="20"')
        return xml[:at] + b'<row r="20"><c r="A20" t="n"><v>1</v></c><broken' + xml[at + 10 :]

    path = _rewrite_sheet(_gov_workbook(tmp_path / "ok.xlsx", 30), tmp_path / "bad.xlsx", damage)
    with pytest.raises(CommandError) as caught:
        call_command("import", "appeals", str(path), "--no-progress")
    message = str(caught.value)
    assert "the workbook is damaged after row 19" in message
    assert "18 rows read, 18 imported" in message
    # The rows before the damage were in the pending batch (1,000 rows): they are stored.
    assert Appeal.objects.count() == 18
    assert Appeal.objects.filter(external_id="7018").exists()


def test_a_workbook_damaged_before_its_header_is_refused_plainly(world, tmp_path):
    path = _rewrite_sheet(
        _gov_workbook(tmp_path / "ok.xlsx", 3),
        tmp_path / "bad.xlsx",
        lambda xml: xml.replace(b"<sheetData>", b"<sheetData><row <"),
    )
    with pytest.raises(CommandError, match="not a readable XLSX workbook"):
        call_command("import", "appeals", str(path), "--no-progress")
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("dimension", ["A1", "A1:F4", "A1:C11"])
def test_an_xlsx_with_a_wrong_dimension_record_loses_no_row_nor_column(world, tmp_path, dimension):
    import re

    def redimension(xml: bytes) -> bytes:  # as WPS and streaming writers get it wrong
        return re.sub(
            rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>'.encode(), xml
        )

    path = _rewrite_sheet(
        _gov_workbook(tmp_path / "ok.xlsx", 10), tmp_path / "dim.xlsx", redimension
    )
    summary = run(path)
    assert (summary.rows_read, summary.created, summary.failed) == (10, 10, 0)
    # Columns beyond the record's last (C) are read too.
    assert Appeal.objects.get(external_id="7010").description == "详情10"


def test_xlsx_reader_streams_in_read_only_mode(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    for i in range(50):
        book.active.append([i, f"x{i}"])
    book.save(tmp_path / "t.xlsx")
    with open_table(tmp_path / "t.xlsx") as table:
        assert table._book.read_only
        rows = iter(table)
        assert next(rows) == (2, [0, "x0"])
        assert table.position() == 1
        assert table.total is None  # a sheet's dimension record is not to be trusted


def _shared(src: Path, dst: Path, change=lambda xml: xml) -> Path:
    """``src`` (openpyxl writes its texts inline, in the cells) as Excel and WPS write it: the
    texts in one table, ``xl/sharedStrings.xml`` (passed through ``change``), each distinct text
    once, and the cells naming them by number."""
    import re
    import zipfile

    table: dict[bytes, int] = {}

    def name(match) -> bytes:
        number = table.setdefault(match[3], len(table))
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match[1], match[2], number)

    cell = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*?) t="inlineStr"><is>(.*?)</is></c>', re.S)
    with zipfile.ZipFile(src) as z:
        sheet = cell.sub(name, z.read("xl/worksheets/sheet1.xml"))
    strings = b"".join(b"<si>%s</si>" % inner for inner in table)
    return _rewrite_parts(
        src,
        dst,
        {
            "xl/worksheets/sheet1.xml": lambda _xml: sheet,
            "[Content_Types].xml": lambda xml: xml.replace(
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            ),
            "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"'
                b"/></Relationships>",
            ),
        },
        {
            "xl/sharedStrings.xml": change(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://'
                b'schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
                b"%s</sst>" % (len(table), len(table), strings)
            )
        },
    )


# Shared strings as Excel and WPS write them besides plain ones: rich-text runs, a phonetic
# reading (not part of the text), an escaped underscore, spaces kept.
RICH_STRINGS = {
    b"<si><t>RICH</t></si>": b'<si><r><rPr><b/></rPr><t>\xe4\xb8\x9c\xe9\x97\xa8</t></r><r><t xml:space="preserve"> \xe8\xb7\xaf\xe7\x81\xaf</t></r></si>',
    b"<si><t>PHON</t></si>": b'<si><t>\xe6\xb7\xb1\xe5\x9c\xb3</t><rPh sb="0" eb="2"><t>shenzhen</t></rPh></si>',
    b"<si><t>ESC</t></si>": b"<si><t>a_x005F_x000D_b</t></si>",
    b"<si><t>SPACE</t></si>": b'<si><t xml:space="preserve">  \xe4\xb8\xa4\xe5\xa4\xb4\xe7\xa9\xba  </t></si>',
}


def test_shared_strings_are_spooled_to_disk_and_read_as_openpyxl_reads_them(tmp_path):
    import openpyxl

    from suqiu.imports.readers import SpooledStrings

    book = openpyxl.Workbook()
    book.active.append(["id", "text", "more"])
    specials = ["RICH", "PHON", "ESC", "SPACE"]
    for i in range(120):
        text = specials[i] if i < len(specials) else f"第{i}行\n幸福花园{i % 7}栋电梯坏了 🙂"
        book.active.append([i, text, "同一句" if i % 2 else f"另一句{i}"])
    book.save(tmp_path / "plain.xlsx")

    def enrich(xml: bytes) -> bytes:
        for plain, rich in RICH_STRINGS.items():
            assert plain in xml
            xml = xml.replace(plain, rich)
        return xml

    path = _shared(tmp_path / "plain.xlsx", tmp_path / "rich.xlsx", enrich)
    expected = [
        list(r)
        for r in openpyxl.load_workbook(path, read_only=True, data_only=True).active.iter_rows(
            min_row=2, values_only=True
        )
    ]
    with open_table(path) as table:
        strings = table._strings
        assert isinstance(strings, SpooledStrings)
        assert table._sheet._shared_strings is strings  # the rows read their texts from disk
        rows = [cells for _, cells in table]
    assert rows == expected
    assert [r[1] for r in rows[:4]] == ["东门 路灯", "深圳", "a_x000D_b", "  两头空  "]
    assert rows[50][1] == "第50行\n幸福花园1栋电梯坏了 🙂"
    assert strings._file.closed  # the temporary file goes with the table


@pytest.mark.parametrize("large", [False, True])
def test_a_large_shared_string_table_is_announced_before_it_is_read(
    world, tmp_path, monkeypatch, large
):
    """Reading a large table takes seconds before the first row, when the progress bar has
    nothing to show yet: the import says what it is doing. A small one is not worth a line."""
    from suqiu.imports import readers

    if large:
        monkeypatch.setattr(readers, "NOTE_STRINGS_BYTES", 100)
    path = _gov_workbook(tmp_path / "gov.xlsx", 3)
    out = io.StringIO()
    summary = import_appeals(path, progress=True, progress_file=out)
    assert summary.created == 3
    said = "gov.xlsx: reading the workbook's shared strings" in out.getvalue()
    assert said is large, out.getvalue()


def test_a_cell_naming_a_shared_string_the_table_lacks_is_damage(world, tmp_path):
    import re

    def misname(xml: bytes) -> bytes:  # row 6's title names string 99999
        return re.sub(rb'(<c r="C6" t="s"><v>)\d+(</v>)', rb"\g<1>99999\g<2>", xml)

    path = _rewrite_sheet(_gov_workbook(tmp_path / "ok.xlsx", 8), tmp_path / "bad.xlsx", misname)
    with pytest.raises(CommandError) as caught:
        call_command("import", "appeals", str(path), "--no-progress")
    assert "the workbook is damaged after row 5" in str(caught.value)
    assert Appeal.objects.count() == 4


# --- streaming -----------------------------------------------------------------------------------


def test_csv_reader_is_lazy(tmp_path):
    path = write_csv(
        tmp_path / "big.csv",
        GOV_LABELLED,
        [[str(i), "U", "标题", "2019/1/5", "详情" * 50, ""] for i in range(20_000)],
    )
    with open_table(path) as table:
        rows = iter(table)
        assert iter(rows) is rows  # a generator, not a list
        number, cells = next(rows)
        assert number == 2 and cells[0] == "0"
        # Only the first buffered chunk has been read from a file of several megabytes.
        assert table.position() < 64 * 1024 < table.total


def test_a_quoted_cell_with_line_breaks_is_one_row(tmp_path):
    path = write_csv(tmp_path / "nl.csv", ["a", "b"], [["1", "one\ntwo\nthree"], ["2", "x"]])
    with open_table(path) as table:
        assert list(table) == [(2, ["1", "one\ntwo\nthree"]), (3, ["2", "x"])]


def test_batches_are_bounded(world, tmp_path, monkeypatch):
    sizes = []
    real = services.appeal_import_history

    def spy(*, source, rows):
        sizes.append(len(rows))
        return real(source=source, rows=rows)

    monkeypatch.setattr(importer.services, "appeal_import_history", spy)
    rows = [[str(i), "U", f"t{i}", "2019/1/5", "d", ""] for i in range(23)]
    summary = run(write_csv(tmp_path / "b.csv", GOV_LABELLED, rows), batch_size=10)
    assert sizes == [10, 10, 3] and summary.created == 23


def test_limit(world, tmp_path):
    rows = [[str(i), "U", f"t{i}", "2019/1/5", "d", ""] for i in range(5)]
    summary = run(write_csv(tmp_path / "l.csv", GOV_LABELLED, rows), limit=3)
    assert summary.rows_read == 3 and Appeal.objects.count() == 3


# --- command line --------------------------------------------------------------------------------


def test_command_line_end_to_end(world, tmp_path):
    path = write_csv(
        tmp_path / "cli.csv",
        GOV_LABELLED,
        [
            ["1", "U", "路灯", "2019/1/5 10:21:44", "详情", "交通运输"],
            ["", "U", "x", "2019/1/5", "d", ""],
        ],
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "appeals", str(path), stdout=out, stderr=err)
    text = out.getvalue()
    assert "rows read:       2" in text and "created:         1" in text
    assert "failed:          1" in text and "missing id" in text
    assert "cli.csv" in err.getvalue()  # the progress bar
    assert (tmp_path / "cli.errors.csv").exists()
    out = io.StringIO()
    call_command("import", "appeals", str(path), "--no-progress", "--source", "gov-zh", stdout=out)
    assert "already present: 1" in out.getvalue() and "created:         0" in out.getvalue()
    assert Appeal.objects.count() == 1


def test_command_line_refuses_what_cannot_work(world, tmp_path):
    with pytest.raises(CommandError, match="cannot open"):
        call_command("import", "appeals", str(tmp_path / "missing.csv"), "--no-progress")
    path = write_csv(tmp_path / "x.csv", ["a"], [["1"]])
    with pytest.raises(CommandError, match="cannot tell"):
        call_command("import", "appeals", str(path), "--no-progress")
    wide = write_csv(tmp_path / "wide.csv", ["x" * 100_000, "y"], [["1", "2"]])
    with pytest.raises(CommandError, match="cannot tell") as info:
        call_command("import", "appeals", str(wide), "--no-progress")
    assert len(str(info.value)) < 300  # the header's names cut short, not echoed whole
    with pytest.raises(CommandError, match="for the error report"):
        call_command(
            "import", "appeals", str(write_csv(tmp_path / "g.csv", GOV_LABELLED, [])),
            "--no-progress", "--errors", str(tmp_path / "nowhere" / "e.csv"),
        )  # fmt: skip
    with pytest.raises(CommandError, match="not both"):
        call_command("import", "appeals", str(path), "--preset", "gov-zh", "--mapping", "m.json")
    # A family named for a header of another kind says so (not "name one with --preset").
    gov = write_csv(tmp_path / "gov.csv", GOV_LABELLED, [])
    with pytest.raises(CommandError, match="none of the us311 exports") as info:
        call_command("import", "appeals", str(gov), "--preset", "us311", "--no-progress")
    assert "--preset or" not in str(info.value)
    # A file named .xlsx that is not a workbook, and one cut short inside its zip.
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"this is not a workbook")
    with pytest.raises(CommandError, match="not a readable XLSX workbook"):
        call_command("import", "appeals", str(fake), "--no-progress")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(b"PK\x03\x04" + b"\x00" * 60)
    with pytest.raises(CommandError, match="not a readable XLSX workbook"):
        call_command("import", "appeals", str(cut), "--no-progress")
    assert not Appeal.objects.exists()


def test_an_error_report_that_cannot_be_written_is_refused_before_a_row_is_read(world, tmp_path):
    rows = [["1", "U", "好的", "2019/1/5", "详情", ""], ["2", "U", "", "2019/1/5", "", ""]]
    path = write_csv(tmp_path / "in.csv", GOV_LABELLED, rows)
    original = path.read_bytes()
    (tmp_path / "folder").mkdir()
    for errors, message in (
        (path, "must not be the file being imported"),  # it would be overwritten mid-read
        (tmp_path / "folder", "is a folder"),
        # Root passes every permission check; /proc takes no new file: opened for real.
        (Path("/proc/suqiu-errors.csv"), "cannot write the error report"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("import", "appeals", str(path), "--no-progress", "--errors", str(errors))
    assert path.read_bytes() == original and not Appeal.objects.exists()
    for option, message in (("--limit", "--limit must be 1"), ("--source", "--source must not")):
        value = "0" if option == "--limit" else " "
        with pytest.raises(CommandError, match=message):
            call_command("import", "appeals", str(path), "--no-progress", option, value)
    assert not Appeal.objects.exists()


def test_a_writable_error_report_path_is_left_as_it_was(world, tmp_path):
    path = write_csv(tmp_path / "in.csv", GOV_LABELLED, [["1", "U", "好的", "2019/1/5", "d", ""]])
    errors = tmp_path / "errors.csv"
    call_command("import", "appeals", str(path), "--no-progress", "--errors", str(errors))
    assert not errors.exists()  # tried, then removed: a clean import writes no report


@pytest.mark.django_db
def test_an_import_before_any_district_says_what_to_do(tmp_path):
    path = write_csv(tmp_path / "in.csv", GOV_LABELLED, [["1", "U", "好的", "2019/1/5", "d", ""]])
    with pytest.raises(CommandError, match="no district is configured yet.*suqiu demo"):
        call_command("import", "appeals", str(path), "--no-progress")
    assert not Appeal.objects.exists()


def test_mapping_file_mistakes_are_the_file_s_not_the_sheet_s(world, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "工单"
    book.active.append(["留言编号", "留言时间", "留言主题"])
    book.active.append(["1", "2019/1/5", "路灯不亮"])
    book.save(tmp_path / "in.xlsx")
    bad = tmp_path / "m.toml"
    bad.write_text('sorce = "x"\n[columns]\nexternal_id = "留言编号"\n', encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command(
            "import", "appeals", str(tmp_path / "in.xlsx"), "--no-progress", "--mapping", str(bad)
        )
    assert "unknown keys" in str(refused.value) and "sheet" not in str(refused.value)
    for name, text, message in (
        ("m.yaml", "columns: {}", "a mapping file is .json or .toml"),
        (
            "d.toml",
            'dayfirst = "false"\n[columns]\nexternal_id = "留言编号"\n',
            "dayfirst must be true or false",
        ),
    ):
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(CommandError, match=message):
            call_command(
                "import",
                "appeals",
                str(tmp_path / "in.xlsx"),
                "--no-progress",
                "--mapping",
                str(tmp_path / name),
            )
    assert not Appeal.objects.exists()


def test_an_xlsx_without_a_worksheet_or_with_a_chart_sheet_is_refused(world, tmp_path):
    import openpyxl
    from openpyxl.chart import BarChart, Reference

    book = openpyxl.Workbook()
    book.active.append([1])
    chart = BarChart()
    chart.add_data(Reference(book.active, min_col=1, min_row=1, max_row=1))
    book.create_chartsheet("chart").add_chart(chart)
    book.active = 1
    book.save(tmp_path / "chart.xlsx")
    with pytest.raises(CommandError, match="holds no table"):
        call_command("import", "appeals", str(tmp_path / "chart.xlsx"), "--no-progress")
    with pytest.raises(CommandError, match="holds no table"):
        call_command(
            "import", "appeals", str(tmp_path / "chart.xlsx"), "--no-progress", "--sheet", "chart"
        )
    # A chart sheet without a chart is more than openpyxl can read back.
    empty = openpyxl.Workbook()
    empty.create_chartsheet("chart")
    empty.save(tmp_path / "empty-chart.xlsx")
    with pytest.raises(CommandError, match="not a readable XLSX workbook"):
        call_command("import", "appeals", str(tmp_path / "empty-chart.xlsx"), "--no-progress")
    assert not Appeal.objects.exists()


def test_an_encoding_that_cannot_read_the_file_is_refused(world, tmp_path):
    path = write_csv(tmp_path / "u8.csv", GOV_LABELLED, [["1", "U", "好的", "2019/1/5", "d", ""]])
    with pytest.raises(CommandError, match="cannot read the file as utf-16"):
        call_command("import", "appeals", str(path), "--no-progress", "--encoding", "utf-16")
    # Options of the other kind of file are not silently ignored.
    with pytest.raises(CommandError, match="--sheet is for XLSX"):
        call_command("import", "appeals", str(path), "--no-progress", "--sheet", "Sheet1")
    assert not Appeal.objects.exists()


def test_command_line_without_a_district_says_so_plainly(db, tmp_path):
    path = write_csv(
        tmp_path / "g.csv",
        GOV_LABELLED,
        [["1", "A1", "路灯不亮", "2019/1/9 9:00:00", "东门路灯坏了", "城乡建设"]],
    )
    with pytest.raises(CommandError) as info:
        call_command("import", "appeals", str(path), "--no-progress")
    assert str(info.value).strip() and not str(info.value).endswith("{}")
    assert not Appeal.objects.exists()


# --- pages -----------------------------------------------------------------------------------------


def test_imported_appeal_on_the_workbench_and_the_tracking_page(world, tmp_path):
    from django.test import Client
    from django.urls import reverse

    reply = "已组织人员修复路面。"
    path = write_csv(
        tmp_path / "r.csv",
        GOV_REPLIES,
        [["2554", "A00023583", "潇楚南路怎么还没修好", "2019/4/24 16:03:40", "路挖得稀烂。", reply,
          "2019/5/9 9:49:10"]],
    )  # fmt: skip
    run(path)
    appeal = Appeal.objects.get()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.dispatcher)
    page = client.get(reverse("workbench:appeal", args=[appeal.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "潇楚南路怎么还没修好" in html and reply in html
    # The timeline reads the import's marks out instead of listing its keys.
    assert "imported from gov-zh, row 2" in html and "imported=True" not in html
    public = Client(HTTP_ACCEPT_LANGUAGE="en").get(
        reverse("resident:track_detail", args=[appeal.tracking_code])
    )
    assert public.status_code == 200 and reply in public.content.decode()


def test_a_gb18030_record_near_the_top_of_a_utf8_file_fails_alone(world, tmp_path):
    """The encoding is read from the file's first bytes: one record in another encoding there
    made the whole file 'not gb18030' instead of one failed row."""
    path = write_csv(
        tmp_path / "mixed.csv",
        GOV_LABELLED,
        [["1", "U", "路灯不亮", "2019/1/5", "小区门口路灯坏了", ""]],
    )
    with open(path, "ab") as f:
        f.write("2,U,井盖缺失,2019/1/6,人行道井盖缺失,\r\n".encode("gb18030"))
        f.write("3,U,垃圾满溢,2019/1/7,垃圾桶满了没人清,\r\n".encode())
    summary = run(path)
    assert summary.created == 2 and summary.failed == 1
    with open(summary.errors_path, encoding="utf-8-sig", newline="") as f:
        (bad,) = list(csv.DictReader(f))
    assert bad["row"] == "3" and "not utf-8 text" in bad["reason"]
    assert bad["external_id"] == "2"  # its id cell reads well: the report names the record
