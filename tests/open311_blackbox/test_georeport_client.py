"""Acceptance 2: a third-party GeoReport v2 client from PyPI, as a black box, against a running
Suqiu (``suqiu run``, see conftest.py).

The client is ``georeport`` (pinned in pyproject's dev extras): it GETs ``services``,
``services/{code}``, ``requests`` and ``requests/{id}`` in ``.json`` (``response.json()``) or
``.xml`` (``xmltodict``), with ``jurisdiction_id`` on every call, and raises on an HTTP error. It
cannot POST, so the request is posted as the GeoReport v2 specification shows it: a plain
``application/x-www-form-urlencoded`` body to ``requests.xml``. Everything asserted here is what
the library hands back, parsed.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from georeport import GeoReport

JURISDICTION = "suqiu.local"
LAT, LONG = 22.7001, 114.2002  # inside grid G1 of the seeded directory
ADDRESS = "幸福路 12 号 东门"
DESCRIPTION = "A large sinkhole is destroying the street. 路面塌陷，车辆无法通行。"
MEDIA_URL = "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg"
# The submitter's personal data: accepted by POST, never shown by GET.
PERSONAL = {
    "email": "smit222@example.org",
    "device_id": "tt222111",
    "account_id": "123456",
    "first_name": "John",
    "last_name": "Smithers",
    "phone": "13900007777",
}


def _client(served, fmt: str) -> GeoReport:
    return GeoReport(served.open311, jurisdiction=JURISDICTION, output_format=fmt)


def _as_list(parsed) -> list:
    """xmltodict gives one repeated element as a dict and several as a list."""
    return parsed if isinstance(parsed, list) else [parsed]


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, f"{text} has no time zone"
    return moment


@pytest.fixture(scope="module")
def posted(served) -> str:
    """POST requests.xml exactly as the spec's example does; returns the service_request_id."""
    form = [
        ("api_key", served.api_key),
        ("jurisdiction_id", JURISDICTION),
        ("service_code", "ROAD.POTHOLE"),
        ("lat", str(LAT)),
        ("long", str(LONG)),
        ("address_string", ADDRESS),
        ("email", PERSONAL["email"]),
        ("device_id", PERSONAL["device_id"]),
        ("account_id", PERSONAL["account_id"]),
        ("first_name", PERSONAL["first_name"]),
        ("last_name", PERSONAL["last_name"]),
        ("phone", PERSONAL["phone"]),
        ("description", DESCRIPTION),
        ("media_url", MEDIA_URL),
        ("attribute[SIZE]", "L"),
        ("attribute[HAZARDS][]", "water"),
        ("attribute[HAZARDS][]", "night"),
        ("attribute[DEPTH]", "12.5"),
    ]
    request = urllib.request.Request(
        served.open311 + "/requests.xml",
        data=urllib.parse.urlencode(form).encode("ascii"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
        root = ET.fromstring(response.read())
    assert root.tag == "service_requests"
    (item,) = list(root)
    assert item.tag == "request"
    assert item.findtext("account_id") == PERSONAL["account_id"]
    request_id = item.findtext("service_request_id")
    assert request_id
    return request_id


# --- Services and service definitions -------------------------------------------------------


def test_lists_services_in_json_and_xml(served):
    as_json = {s["service_code"]: s for s in _client(served, "json").get_service_list()}
    as_xml = {s["service_code"]: s for s in _client(served, "xml").get_service_list()}
    codes = {"ROAD", "ROAD.POTHOLE", "HOUSING", "ELDERLY"}
    assert set(as_json) == set(as_xml) == codes
    pothole_json, pothole_xml = as_json["ROAD.POTHOLE"], as_xml["ROAD.POTHOLE"]
    # JSON keeps types; XML is text.
    assert pothole_json["metadata"] is True and pothole_xml["metadata"] == "true"
    assert as_json["HOUSING"]["metadata"] is False and as_xml["HOUSING"]["metadata"] == "false"
    for key in ("service_name", "description", "type", "keywords", "group"):
        assert pothole_json[key] == pothole_xml[key], key
    assert pothole_json["type"] == "realtime"
    assert "坑洼" in pothole_json["keywords"] and "Pothole" in pothole_json["keywords"]
    # The group is the top-level category.
    assert pothole_json["group"] == as_json["ROAD"]["service_name"]


def test_reads_a_service_definition_in_json_and_xml(served):
    as_json = _client(served, "json").get_service_definition("ROAD.POTHOLE")
    as_xml = _client(served, "xml").get_service_definition("ROAD.POTHOLE")
    assert as_json["service_code"] == as_xml["service_code"] == "ROAD.POTHOLE"
    json_attrs = as_json["attributes"]
    xml_attrs = _as_list(as_xml["attributes"]["attribute"])
    expected = [
        ("SIZE", "singlevaluelist", True),
        ("HAZARDS", "multivaluelist", False),
        ("DEPTH", "number", False),
        ("SEEN", "datetime", False),
        ("LANE", "string", False),
        ("NOTES", "text", False),
    ]
    assert [(a["code"], a["datatype"], a["required"]) for a in json_attrs] == expected
    assert [(a["code"], a["datatype"], a["required"]) for a in xml_attrs] == [
        (code, datatype, "true" if required else "false") for code, datatype, required in expected
    ]
    assert [a["order"] for a in json_attrs] == [1, 2, 3, 4, 5, 6]
    assert [a["order"] for a in xml_attrs] == ["1", "2", "3", "4", "5", "6"]
    size_json, size_xml = json_attrs[0], xml_attrs[0]
    assert size_json["description"] == size_xml["description"] == "How big is the pothole?"
    assert size_json["variable"] is True and size_xml["variable"] == "true"
    assert size_json["values"] == [{"key": "S", "name": "Small"}, {"key": "L", "name": "Large"}]
    assert [dict(v) for v in size_xml["values"]["value"]] == size_json["values"]


def test_an_unknown_service_is_an_http_error_for_the_client(served):
    import requests

    for fmt in ("json", "xml"):
        with pytest.raises(requests.HTTPError) as caught:
            _client(served, fmt).get_service_definition("NO.SUCH.SERVICE")
        assert caught.value.response.status_code == 404


# --- Requests: the posted one found by the client ------------------------------------------


def _check_posted(found: dict, request_id: str, *, fmt: str) -> None:
    assert found["service_request_id"] == request_id
    assert found["service_code"] == "ROAD.POTHOLE"
    assert found["status"] == "open"
    assert found["description"] == DESCRIPTION
    assert found["address"] == ADDRESS
    assert found["media_url"] == MEDIA_URL
    assert float(found["lat"]) == pytest.approx(LAT)
    assert float(found["long"]) == pytest.approx(LONG)
    if fmt == "json":
        assert isinstance(found["lat"], float) and isinstance(found["long"], float)
    requested = _moment(found["requested_datetime"])
    updated = _moment(found["updated_datetime"])
    assert abs(datetime.now(requested.tzinfo) - requested) < timedelta(minutes=10)
    assert updated >= requested
    # Just received: no organisation handles it yet (empty XML elements parse as None too).
    assert found["agency_responsible"] is None
    assert found["status_notes"] is None
    # Nothing the submitter told us about themselves comes back.
    assert not set(found) & {"email", "device_id", "account_id", "first_name", "last_name"}
    assert "phone" not in found
    dumped = repr(found)
    for value in PERSONAL.values():
        assert value not in dumped, value


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_finds_the_posted_request_by_id(served, posted, fmt):
    found = _client(served, fmt).get_service_request(posted)
    _check_posted(found, posted, fmt=fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_finds_the_posted_request_in_the_request_list(served, posted, fmt):
    client = _client(served, fmt)
    listed = {r["service_request_id"]: r for r in _as_list(client.get_service_requests())}
    phoned = served.seed["phoned"]
    assert set(listed) == {posted, phoned}
    _check_posted(listed[posted], posted, fmt=fmt)
    # Newest first.
    assert list(listed) == [posted, phoned]

    # The spec's filters, through the library's own arguments.
    by_ids = _as_list(client.get_service_requests(service_request_id=f"{posted},{phoned}"))
    assert {r["service_request_id"] for r in by_ids} == {posted, phoned}
    open_only = _as_list(client.get_service_requests(status="open"))
    assert [r["service_request_id"] for r in open_only] == [posted]
    closed_only = _as_list(client.get_service_requests(status="closed"))
    assert [r["service_request_id"] for r in closed_only] == [phoned]
    by_code = _as_list(client.get_service_requests(service_code="ROAD.POTHOLE"))
    assert [r["service_request_id"] for r in by_code] == [posted]
    now = datetime.now().astimezone()
    dated = _as_list(
        client.get_service_requests(
            start_date=(now - timedelta(days=1)).isoformat(timespec="seconds"),
            end_date=(now + timedelta(days=1)).isoformat(timespec="seconds"),
        )
    )
    assert {r["service_request_id"] for r in dated} == {posted, phoned}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_phoned_in_appeal_shows_its_public_reason_and_not_the_caller(served, fmt):
    seed = served.seed
    found = _client(served, fmt).get_service_request(seed["phoned"])
    assert found["status"] == "closed"
    assert found["status_notes"] == seed["reject_reason"]
    assert found["service_code"] == "ROAD"
    # Only text sent through Open311 itself is public; the call's notes are not.
    assert found["description"] is None
    dumped = repr(found)
    assert seed["phoned_caller"]["name"] not in dumped
    assert seed["phoned_caller"]["phone"] not in dumped
