"""The rates API, the workbench page and its CSV/XLSX exports, on the hand-computed fixture."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from suqiu.core.testing import PASSWORD
from suqiu.rates.tests.fixture import build

pytestmark = pytest.mark.django_db

PERIOD = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
API_PERIOD = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def story(world):
    return build(world)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_api_rates_by_organisation(client, world, story):
    login(client, world.dispatcher)
    r = client.get(f"/api/v1/rates?group_by=organisation&{API_PERIOD}")
    assert r.status_code == 200, r.content
    body = r.json()
    rows = {row["key"]: row for row in body["rows"]}
    housing = rows[world.housing.pk]
    assert housing["response"] == {"numerator": 3, "denominator": 4, "rate": 0.75}
    assert housing["resolution"] == {"numerator": 2, "denominator": 3, "rate": 0.6667}
    assert housing["satisfaction"]["numerator"] == 2
    assert rows[world.roads.pk]["resolution"]["rate"] == 0.0
    assert body["total"]["response"]["numerator"] == 4
    assert body["total"]["response"]["denominator"] == 6
    assert body["from"] == "2026-03-01" and body["group_by"] == "organisation"
    ranks = {rank["rate"]: rank for rank in body["rankings"]}
    assert ranks["response"]["best"][0]["key"] == world.housing.pk


def test_api_rates_by_week_with_rankings(client, world, story):
    login(client, world.admin)
    r = client.get(f"/api/v1/rates?group_by=week&{API_PERIOD}")
    assert r.status_code == 200
    assert [row["key"] for row in r.json()["rows"]] == ["2026-03-02"]
    assert len(r.json()["rankings"]) == 3


def test_api_scope(client, world, story):
    login(client, world.leader_s2)
    r = client.get(f"/api/v1/rates?group_by=area&{API_PERIOD}")
    assert [row["key"] for row in r.json()["rows"]] == [world.c3.pk]


@pytest.mark.parametrize(
    "query, field",
    [
        ("group_by=street&" + API_PERIOD, "group_by"),
        ("to=2026-03-31", "from"),
        ("from=2026-13-01&to=2026-03-31", "from"),
        ("from=2026-03-31&to=2026-03-01", "to"),
        ("from=2025-01-01&to=2026-03-01", "to"),
        ("area=999999&" + API_PERIOD, "area"),
        ("category=x&" + API_PERIOD, "category"),
    ],
)
def test_api_bad_parameters_are_422_with_field_errors(client, world, query, field):
    login(client, world.admin)
    r = client.get(f"/api/v1/rates?{query}")
    assert r.status_code == 422, r.content
    assert field in r.json()["error"]["fields"]


def test_api_residents_get_403_and_strangers_401(client, world):
    r = client.get(f"/api/v1/rates?{API_PERIOD}")
    assert r.status_code == 401
    login(client, world.resident)
    r = client.get(f"/api/v1/rates?{API_PERIOD}")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "rates_not_allowed"


def test_openapi_has_the_definitions(client):
    doc = client.get("/api/v1/openapi.json").json()
    text = doc["paths"]["/api/v1/rates"]["get"]["description"]
    assert "Response rate" in text and "Satisfaction rate" in text


def test_page_shows_the_table_and_rankings(client, world, story):
    login(client, world.dispatcher)
    r = client.get("/workbench/rates/", {**PERIOD, "group_by": "organisation"})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="rates-table"' in html
    assert world.housing.name in html and "75.0" in html  # HOUSING's response rate
    assert 'data-rate="satisfaction"' in html
    # The nav link is there for dispatchers.
    assert 'data-nav="rates"' in html


def test_page_default_period_and_bad_filters(client, world):
    login(client, world.leader)
    assert client.get("/workbench/rates/").status_code == 200
    r = client.get("/workbench/rates/", {"date_from": "2026-03-31", "date_to": "2026-03-01"})
    assert r.status_code == 422
    assert 'data-field="date_to"' in r.content.decode()


def test_page_is_403_for_volunteers(client, world):
    login(client, world.volunteer)
    assert client.get("/workbench/rates/").status_code == 403
    assert client.get("/workbench/rates/export.csv").status_code == 403


def test_no_nav_link_for_department_handlers(client, world):
    login(client, world.handler)
    html = client.get("/workbench/").content.decode()
    assert 'data-nav="rates"' not in html
    # They may still read their organisation's rates.
    assert client.get("/workbench/rates/").status_code == 200


def test_csv_and_xlsx_exports_have_the_same_numbers(client, world, story):
    login(client, world.dispatcher)
    params = {**PERIOD, "group_by": "area"}
    r = client.get("/workbench/rates/export.csv", params)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    text = r.content.decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(text)))
    r = client.get("/workbench/rates/export.xlsx", params)
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    xlsx_rows = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    assert len(csv_rows) == len(xlsx_rows) == 4  # header, C1, C3, total
    assert csv_rows[0] == xlsx_rows[0]
    for c_row, x_row in zip(csv_rows[1:], xlsx_rows[1:], strict=True):
        assert c_row[0] == x_row[0]
        assert [float(v) if v != "" else None for v in c_row[1:]] == [
            float(v) if v != "" else None for v in x_row[1:]
        ]
    header = csv_rows[0]
    by_label = {row[0]: row for row in csv_rows[1:]}
    c1 = by_label[world.c1.name]
    assert c1[header.index(str(_heading("appeals")))] == "4"
    assert float(c1[header.index(str(_heading("response")))]) == 50.0
    assert float(by_label[world.c3.name][header.index(str(_heading("satisfaction")))]) == 100.0


def _heading(key):
    from suqiu.rates.selectors import COLUMNS

    return next(h for k, h, _kind in COLUMNS if k == key)
