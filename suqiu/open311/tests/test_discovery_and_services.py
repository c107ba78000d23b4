"""GET discovery, GET services and GET service definition, in JSON and XML."""

import pytest

from suqiu.open311.tests.helpers import BASE, errors_of, json_body, xml_body, xml_records

pytestmark = pytest.mark.django_db


def test_discovery_json(client, world):
    data = json_body(client.get(BASE + "discovery.json"), "discovery")
    (endpoint,) = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]


def test_discovery_xml(client, world):
    root = xml_body(client.get(BASE + "discovery.xml"), "discovery")
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert [c.tag for c in endpoint] == ["specification", "url", "changeset", "type", "formats"]
    assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
    assert endpoint.findtext("type") == "production"


def test_services_json_lists_active_categories(client, world, road_questions):
    world.cat_elderly.is_active = False
    world.cat_elderly.save()
    data = json_body(client.get(BASE + "services.json"), "services")
    by_code = {s["service_code"]: s for s in data}
    assert set(by_code) == {"ROAD", "ROAD.POTHOLE", "HOUSING"}
    assert by_code["ROAD.POTHOLE"]["metadata"] is True
    assert by_code["HOUSING"]["metadata"] is False
    assert by_code["ROAD.POTHOLE"]["type"] == "realtime"
    # Chinese is the default language; the group is the top-level category.
    assert by_code["ROAD.POTHOLE"]["service_name"] == "坑洼"
    assert by_code["ROAD.POTHOLE"]["group"] == "道路"


def test_services_xml_and_lang_extension(client, world, road_questions):
    root = xml_body(client.get(BASE + "services.xml", {"lang": "en"}), "services")
    records = xml_records(root, "service")
    pothole = next(r for r in records if r["service_code"] == "ROAD.POTHOLE")
    assert pothole["service_name"] == "Pothole"
    assert pothole["group"] == "Roads"
    assert pothole["metadata"] == "true"
    assert set(pothole) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    zh = xml_records(
        xml_body(client.get(BASE + "services.xml", {"lang": "zh"}), "services"), "service"
    )
    assert next(r for r in zh if r["service_code"] == "ROAD.POTHOLE")["service_name"] == "坑洼"


def test_service_definition_json(client, world, road_questions):
    data = json_body(client.get(BASE + "services/ROAD.POTHOLE.json"), "service_definition")
    assert data["service_code"] == "ROAD.POTHOLE"
    assert [a["code"] for a in data["attributes"]] == [
        "SIZE",
        "HAZARDS",
        "DEPTH",
        "SEEN",
        "LANE",
        "NOTES",
        "INFO",
    ]
    size = data["attributes"][0]
    assert size["required"] is True and size["variable"] is True and size["order"] == 1
    assert size["values"] == [{"key": "S", "name": "Small"}, {"key": "L", "name": "Large"}]
    assert data["attributes"][-1]["variable"] is False


def test_service_definition_xml(client, world, road_questions):
    root = xml_body(client.get(BASE + "services/ROAD.POTHOLE.xml"), "service_definition")
    assert root.findtext("service_code") == "ROAD.POTHOLE"
    first = root.find("attributes/attribute")
    assert [c.tag for c in first] == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert first.findtext("datatype") == "singlevaluelist"
    values = [(v.findtext("key"), v.findtext("name")) for v in first.findall("values/value")]
    assert values == [("S", "Small"), ("L", "Large")]
    assert len(root.findall("attributes/attribute")) == 7


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404(client, world, fmt):
    errors = errors_of(client.get(BASE + f"services/NOPE.{fmt}"), fmt, 404)
    assert errors[0]["code"] == 404 and "NOPE" in errors[0]["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_jurisdiction_is_400(client, world, fmt):
    ok = client.get(BASE + f"services.{fmt}", {"jurisdiction_id": "suqiu.local"})
    assert ok.status_code == 200
    errors = errors_of(
        client.get(BASE + f"services.{fmt}", {"jurisdiction_id": "sfgov.org"}), fmt, 400
    )
    assert "sfgov.org" in errors[0]["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unsupported_language_is_400(client, world, fmt):
    errors_of(client.get(BASE + f"services.{fmt}", {"lang": "tlh"}), fmt, 400)


def test_unknown_format_answers_in_xml(client, world):
    errors_of(client.get(BASE + "services.csv"), "xml", 400)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_tokens_are_never_issued(client, world, fmt):
    errors_of(client.get(BASE + f"tokens/123.{fmt}"), fmt, 404)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_wrong_method_is_refused_in_format(client, world, fmt):
    response = client.post(BASE + f"services.{fmt}")
    errors_of(response, fmt, 405)
    assert response["Allow"] == "GET, HEAD"
