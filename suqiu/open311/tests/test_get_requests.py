"""GET requests and GET request: field mapping, filters, limits, extensions and privacy."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from suqiu.appeals import services as appeal_services
from suqiu.appeals.models import Appeal
from suqiu.appeals.tests.chain import act, actor, bring_to, new_appeal
from suqiu.appeals.tracking import new_tracking_code
from suqiu.core import clock
from suqiu.core.testing import G1_POINT, G4_POINT
from suqiu.open311.tests.helpers import BASE, errors_of, json_body, xml_body, xml_records

pytestmark = pytest.mark.django_db

FORMATS = ["json", "xml"]


def get_json(client, path="requests.json", **params):
    return json_body(client.get(BASE + path, params), "requests")


def get_xml(client, path="requests.xml", **params):
    return xml_records(xml_body(client.get(BASE + path, params), "service_requests"), "request")


def posted(client, api_key, **fields):
    data = {
        "api_key": api_key,
        "service_code": "HOUSING",
        "lat": str(G1_POINT[0]),
        "long": str(G1_POINT[1]),
        "description": "Ceiling leaks in block 3",
    }
    data.update(fields)
    response = client.post(BASE + "requests.json", data)
    assert response.status_code == 200, response.content
    return response.json()[0]["service_request_id"]


def test_list_in_both_formats_maps_our_fields(client, world):
    resolved = bring_to(world, "resolved")
    rows = {r["service_request_id"]: r for r in get_json(client)}
    row = rows[resolved.tracking_code]
    assert row["status"] == "open"  # resolved is not closed until the revisit
    assert row["status_notes"] == "已更换灯泡"  # the public reply
    assert row["service_code"] == "HOUSING" and row["service_name"] == "住房"
    assert row["agency_responsible"] == "住建局"
    assert (
        row["service_notice"] == "已办结" or row["service_notice"]
    )  # our finer status, translated
    assert row["requested_datetime"].endswith("+08:00")
    assert row["lat"] == G1_POINT[0] and row["long"] == G1_POINT[1]
    assert row["description"] is None  # came from the web, not through Open311
    xml_rows = {r["service_request_id"]: r for r in get_xml(client)}
    x = xml_rows[resolved.tracking_code]
    assert list(x) == list(row)  # the same names, in the spec's order
    assert x["status"] == "open" and x["status_notes"] == "已更换灯泡"
    assert x["agency_responsible"] == "住建局" and x["description"] is None
    assert float(x["lat"]) == G1_POINT[0]


@pytest.mark.parametrize("status", ["closed", "rejected", "merged"])
def test_terminal_statuses_are_closed(client, world, status):
    appeal = bring_to(world, status)
    (row,) = get_json(client, service_request_id=appeal.tracking_code)
    assert row["status"] == "closed"
    if status == "rejected":
        assert row["status_notes"] == "不属于受理范围"
    if status == "merged":
        appeal.refresh_from_db()
        assert appeal.merged_into.tracking_code in row["status_notes"]


def test_status_filter(client, world):
    open_one = new_appeal(world)
    closed_one = bring_to(world, "rejected")
    for fmt_get in (get_json, get_xml):
        assert [r["service_request_id"] for r in fmt_get(client, status="open")] == [
            open_one.tracking_code
        ]
        assert [r["service_request_id"] for r in fmt_get(client, status="closed")] == [
            closed_one.tracking_code
        ]
        assert len(fmt_get(client, status="open,closed")) == 2


def test_service_code_filter_and_id_list_override(client, world):
    housing = new_appeal(world, category="HOUSING")
    road = new_appeal(world, category="ROAD")
    other = new_appeal(world, category="ELDERLY")
    codes = {r["service_request_id"] for r in get_json(client, service_code="HOUSING,ROAD")}
    assert codes == {housing.tracking_code, road.tracking_code}
    # service_request_id overrides everything else (here: a status none of them has).
    wanted = f"{housing.tracking_code},{other.tracking_code.lower()},NOT-A-CODE"
    codes = {
        r["service_request_id"]
        for r in get_json(client, service_request_id=wanted, status="closed")
    }
    assert codes == {housing.tracking_code, other.tracking_code}


def test_default_window_is_the_last_90_days(client, world):
    now = timezone.now()
    recent = new_appeal(world)
    old = appeal_services.appeal_create(
        actor=actor(world.operator),
        data=appeal_services.AppealInput(
            title="old", description="old one", created_at=now - timedelta(days=91)
        ),
    )
    assert {r["service_request_id"] for r in get_json(client)} == {recent.tracking_code}
    start = (now - timedelta(days=95)).isoformat()
    end = (now - timedelta(days=85)).isoformat()
    assert [r["service_request_id"] for r in get_json(client, start_date=start, end_date=end)] == [
        old.tracking_code
    ]
    # Only start_date: 90 days from there.
    only_start = get_json(client, start_date=(now - timedelta(days=100)).isoformat())
    assert [r["service_request_id"] for r in only_start] == [old.tracking_code]


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_dates_are_400(client, world, fmt):
    now = timezone.now()
    for params in (
        {"start_date": "yesterday"},
        {"end_date": "2025-13-45T00:00:00Z"},
        {"updated_after": "soon"},
        {"start_date": now.isoformat(), "end_date": (now - timedelta(days=1)).isoformat()},
        {"start_date": (now - timedelta(days=91)).isoformat(), "end_date": now.isoformat()},
        {"status": "pending"},
        {"page": "0"},
        {"page": "²"},
        {"page_size": "1001"},
        {"bbox": "114,22,113,23"},
        {"bbox": "a,b,c,d"},
        # Days no time zone can take (year 1 and 9999 overflowed: a logged traceback).
        {"end_date": "0001-01-01"},
        {"start_date": "9999-12-31"},
        {"updated_after": "0001-01-01"},
        {"start_date": "0001-01-01T00:00:00+14:00"},
    ):
        errors = errors_of(client.get(BASE + f"requests.{fmt}", params), fmt, 400)
        named = next(iter(params))
        if named.endswith(("_date", "_after")):  # the parameter is named, not "service error"
            assert any(named in e["description"] for e in errors), (params, errors)


def test_w3_dates_with_an_unencoded_plus_are_understood(client, world):
    appeal = new_appeal(world)
    start = timezone.localtime(timezone.now() - timedelta(days=1)).isoformat(timespec="seconds")
    response = client.get(
        BASE + "requests.json?start_date=" + start
    )  # "+08:00" arrives as " 08:00"
    assert [r["service_request_id"] for r in json_body(response, "requests")] == [
        appeal.tracking_code
    ]


def _bulk_appeals(world, n):
    now = timezone.now()
    Appeal.objects.bulk_create(
        [
            Appeal(
                tracking_code=new_tracking_code(),
                title=f"bulk {i}",
                description="bulk",
                area=world.c1,
                area_path=world.c1.path,
                category=world.cat_housing,
                created_at=now - timedelta(minutes=i),
                updated_at=now - timedelta(minutes=i),
            )
            for i in range(n)
        ],
        batch_size=500,
    )


def test_at_most_1000_records_newest_first(client, world):
    _bulk_appeals(world, 1001)
    rows = get_json(client)
    assert len(rows) == 1000
    newest = Appeal.objects.order_by("-created_at", "-id").first()
    assert rows[0]["service_request_id"] == newest.tracking_code
    assert len(get_xml(client)) == 1000
    # The 1001st is on the next page (the page extension).
    assert len(get_json(client, page="2")) == 1


@override_settings(SUQIU_OPEN311_MAX_REQUESTS=3)
def test_the_cap_is_a_setting(client, world):
    _bulk_appeals(world, 5)
    assert len(get_json(client)) == 3
    errors_of(client.get(BASE + "requests.json", {"page_size": "4"}), "json", 400)


def test_page_and_page_size(client, world):
    _bulk_appeals(world, 5)
    everything = [r["service_request_id"] for r in get_json(client)]
    pages = [
        [r["service_request_id"] for r in get_json(client, page=str(p), page_size="2")]
        for p in (1, 2, 3, 4)
    ]
    assert pages == [everything[0:2], everything[2:4], everything[4:5], []]


def test_bbox(client, world):
    g1 = new_appeal(world, point=G1_POINT)
    g4 = new_appeal(world, point=G4_POINT)
    lat, lon = G4_POINT
    box = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    assert [r["service_request_id"] for r in get_json(client, bbox=box)] == [g4.tracking_code]
    assert [r["service_request_id"] for r in get_xml(client, bbox=box)] == [g4.tracking_code]
    assert g1.tracking_code in {r["service_request_id"] for r in get_json(client)}


def test_updated_after(client, world):
    two_days_ago = timezone.now() - timedelta(days=2)
    with clock.at(two_days_ago):
        quiet = new_appeal(world)
        busy = new_appeal(world)
    act(world.dispatcher, busy, "assess", category="HOUSING")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert [r["service_request_id"] for r in get_json(client, updated_after=since)] == [
        busy.tracking_code
    ]
    assert quiet.tracking_code in {r["service_request_id"] for r in get_json(client)}


def test_lang_extension_names_services_and_agencies(client, world):
    appeal = bring_to(world, "dispatched")
    (zh,) = get_json(client, service_request_id=appeal.tracking_code)
    (en,) = get_json(client, service_request_id=appeal.tracking_code, lang="en")
    assert (zh["service_name"], zh["agency_responsible"]) == ("住房", "住建局")
    assert (en["service_name"], en["agency_responsible"]) == ("Housing", "HOUSING")
    assert en["service_notice"] == "Dispatched"


def test_single_request_in_both_formats(client, world, api_key):
    code = posted(client, api_key, media_url="https://img.example.org/a.jpg", address_id="A-17")
    data = json_body(client.get(BASE + f"requests/{code}.json"), "requests")
    assert len(data) == 1 and data[0]["service_request_id"] == code
    assert data[0]["description"] == "Ceiling leaks in block 3"  # sent through Open311: public
    assert data[0]["media_url"] == "https://img.example.org/a.jpg"
    assert data[0]["address_id"] == "A-17"
    root = xml_body(
        client.get(BASE + f"requests/{code.lower().replace('-', '')}.xml"), "service_requests"
    )
    (row,) = xml_records(root, "request")
    assert row["service_request_id"] == code and row["status"] == "open"


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_is_404(client, world, fmt):
    errors_of(client.get(BASE + f"requests/2345-6789-ABCD.{fmt}"), fmt, 404)
    errors_of(client.get(BASE + f"requests/42.{fmt}"), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_request_with_foreign_jurisdiction_is_400(client, world, fmt):
    appeal = new_appeal(world)
    errors_of(
        client.get(BASE + f"requests/{appeal.tracking_code}.{fmt}", {"jurisdiction_id": "x.org"}),
        fmt,
        400,
    )


PLANTED = [
    "张阿姨",  # the resident's display name
    "13812341234",  # the resident's phone
    "3栋2单元楼道灯不亮一周了",  # a web appeal's own text
    "王大妈",
    "13955556666",
    "电话里说的私事",
    "Planted",
    "Person",
    "planted@example.org",
    "13700009999",
    "DEVICE-PLANTED",
    "ACCOUNT-PLANTED",
    "内部备注",  # an internal note
]


def phoned_in(world, **fields) -> Appeal:
    """An appeal an operator took by phone (not through Open311)."""
    return appeal_services.appeal_create(
        actor=actor(world.operator),
        data=appeal_services.AppealInput(channel="phone", **fields),
    )


def test_get_never_leaks_personal_data(client, world, api_key):
    web = bring_to(world, "dispatched")  # by the resident 张阿姨
    phoned_in(
        world,
        title="来电",
        description="电话里说的私事",
        reporter_name="王大妈",
        reporter_phone="13955556666",
        lat=G1_POINT[0],
        lon=G1_POINT[1],
    )
    act(world.handler, web, "accept")
    act(world.handler, web, "resolve", public_reply="已处理", internal_note="内部备注")
    code = posted(
        client,
        api_key,
        first_name="Planted",
        last_name="Person",
        email="planted@example.org",
        phone="13700009999",
        device_id="DEVICE-PLANTED",
        account_id="ACCOUNT-PLANTED",
    )
    bodies = [
        client.get(BASE + "requests.json").content,
        client.get(BASE + "requests.xml").content,
        client.get(BASE + f"requests/{code}.json").content,
        client.get(BASE + f"requests/{code}.xml").content,
        client.get(BASE + f"requests/{web.tracking_code}.json").content,
        client.get(BASE + f"requests/{web.tracking_code}.xml").content,
    ]
    assert len(get_json(client)) == 3
    for body in bodies:
        text = body.decode("utf-8")
        for secret in PLANTED:
            assert secret not in text, secret
        assert "service_request_id" in text  # the bodies are real answers


def test_an_address_and_exact_point_are_public_only_when_sent_over_open311(client, world, api_key):
    phoned = phoned_in(
        world,
        title="房东不退押金",
        description="电话反映",
        address="碧岭华庭1栋1单元",
        lat=22.70123,
        lon=114.20456,
    )
    code = posted(
        client,
        api_key,
        address_string="Block 3, Longtian Garden",
        lat="22.70123",
        long="114.20456",
    )
    for fmt in ("json", "xml"):
        rows = {
            r["service_request_id"]: r
            for r in (get_json(client) if fmt == "json" else get_xml(client))
        }
        mine, theirs = rows[phoned.tracking_code], rows[code]
        assert mine["address"] in (None, ""), fmt
        assert float(mine["lat"]) == 22.701 and float(mine["long"]) == 114.205, fmt
        assert theirs["address"] == "Block 3, Longtian Garden", fmt
        assert float(theirs["lat"]) == 22.70123, fmt
    detail = client.get(BASE + f"requests/{phoned.tracking_code}.json").content.decode()
    assert "碧岭华庭" not in detail and "22.70123" not in detail


def test_listing_costs_one_query_however_many_requests(
    client, world, django_assert_max_num_queries
):
    for _ in range(3):
        bring_to(world, "resolved")
    _bulk_appeals(world, 200)
    with django_assert_max_num_queries(1):
        rows = get_json(client)
    assert len(rows) == 203
    with django_assert_max_num_queries(1):
        assert len(get_xml(client)) == 203


def test_empty_fields_are_written_as_the_spec_shows(client, world):
    new_appeal(world)
    body = client.get(BASE + "requests.xml").content.decode("utf-8")
    assert "<zipcode></zipcode>" in body and "<description></description>" in body
