"""POST requests: an appeal through appeals.services, every refusal in both formats."""

import pytest
from django.test import override_settings

from suqiu.appeals.models import Appeal, AppealEvent, Channel
from suqiu.core.testing import G1_POINT
from suqiu.open311.models import ApiClient, SubmittedRequest
from suqiu.open311.tests.helpers import BASE, errors_of, json_body, xml_body

pytestmark = pytest.mark.django_db

FORMATS = ["json", "xml"]


def form(api_key, **overrides):
    data = {
        "api_key": api_key,
        "jurisdiction_id": "suqiu.local",
        "service_code": "HOUSING",
        "lat": str(G1_POINT[0]),
        "long": str(G1_POINT[1]),
        "description": "Water leaking from the ceiling of the stairwell.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(client, fmt, data):
    return client.post(BASE + f"requests.{fmt}", data)


def test_post_json_creates_an_appeal_through_the_services(client, world, api_key):
    data = json_body(
        post(
            client,
            "json",
            form(
                api_key,
                first_name="Wei",
                last_name="Zhang",
                phone="13800001111",
                email="wei@example.org",
                device_id="dev-1",
                account_id="acct-9",
                media_url="https://img.example.org/1.jpg",
            ),
        ),
        "post_response",
    )
    (created,) = data
    assert created["account_id"] == "acct-9"
    appeal = Appeal.objects.get(tracking_code=created["service_request_id"])
    assert appeal.channel == Channel.OPEN311
    assert appeal.client_name == "CityApp"
    assert appeal.category.code == "HOUSING"
    assert appeal.grid == world.g1 and appeal.area == world.c1
    assert appeal.reporter_name == "Wei Zhang" and appeal.reporter_phone == "13800001111"
    event = AppealEvent.objects.get(appeal=appeal)
    assert event.kind == "created" and event.actor_label == "Open311: CityApp"
    record = SubmittedRequest.objects.get(appeal=appeal)
    assert record.client.name == "CityApp"
    assert (record.email, record.device_id, record.media_url) == (
        "wei@example.org",
        "dev-1",
        "https://img.example.org/1.jpg",
    )


def test_post_xml_returns_the_spec_elements(client, world, api_key):
    root = xml_body(post(client, "xml", form(api_key)), "service_requests")
    request = root.find("request")
    assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    assert Appeal.objects.filter(tracking_code=request.findtext("service_request_id")).exists()


def test_post_with_address_string_only(client, world, api_key):
    data = json_body(
        post(client, "json", form(api_key, lat=None, long=None, address_string="3 Lotus Road")),
        "post_response",
    )
    appeal = Appeal.objects.get(tracking_code=data[0]["service_request_id"])
    assert appeal.address == "3 Lotus Road" and appeal.lat is None


def test_post_with_attributes_as_the_spec_shows(client, world, api_key, road_questions):
    body = (
        f"api_key={api_key}&jurisdiction_id=suqiu.local&service_code=ROAD.POTHOLE"
        "&lat=22.7&long=114.2&description=A+large+pothole"
        "&attribute[SIZE]=L&attribute[HAZARDS][]=water&attribute[HAZARDS][]=night"
        "&attribute[DEPTH]=12.5&attribute[SEEN]=2025-03-01T08:00:00%2B08:00"
    )
    response = client.post(
        BASE + "requests.json",
        body,
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )
    data = json_body(response, "post_response")
    record = SubmittedRequest.objects.get(appeal__tracking_code=data[0]["service_request_id"])
    assert record.attributes == {
        "SIZE": "L",
        "HAZARDS": ["water", "night"],
        "DEPTH": 12.5,
        "SEEN": "2025-03-01T08:00:00+08:00",
    }
    assert record.description == "A large pothole"
    # Staff read the answers in the appeal itself.
    assert "How big is the pothole?: Large" in record.appeal.description
    assert "What makes it dangerous?: Water, Unlit" in record.appeal.description


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_api_key_is_403(client, world, fmt):
    errors = errors_of(post(client, fmt, form(None)), fmt, 403)
    assert "api_key" in errors[0]["description"]
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_or_revoked_api_key_is_403(client, world, api_key, fmt):
    errors_of(post(client, fmt, form("o311_not-a-key")), fmt, 403)
    ApiClient.objects.update(revoked_at="2025-01-01T00:00:00Z")
    errors_of(post(client, fmt, form(api_key)), fmt, 403)
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_jurisdiction_is_400(client, world, api_key, fmt):
    errors_of(post(client, fmt, form(api_key, jurisdiction_id="sfgov.org")), fmt, 400)
    assert not Appeal.objects.exists()


@override_settings(SUQIU_OPEN311_JURISDICTION="pingshan.gov.cn")
@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_is_configurable_and_optional(client, world, api_key, fmt):
    errors_of(post(client, fmt, form(api_key)), fmt, 400)  # suqiu.local is now foreign
    assert post(client, fmt, form(api_key, jurisdiction_id="pingshan.gov.cn")).status_code == 200
    assert post(client, fmt, form(api_key, jurisdiction_id=None)).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_is_404_and_missing_service_400(client, world, api_key, fmt):
    errors_of(post(client, fmt, form(api_key, service_code="NOPE")), fmt, 404)
    errors_of(post(client, fmt, form(api_key, service_code=None)), fmt, 400)
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_location_is_400(client, world, api_key, fmt):
    errors = errors_of(post(client, fmt, form(api_key, lat=None, long=None)), fmt, 400)
    assert "address_string" in errors[0]["description"]  # names the alternatives, in any language
    errors_of(post(client, fmt, form(api_key, long=None)), fmt, 400)  # lat without long
    errors_of(post(client, fmt, form(api_key, lat="north")), fmt, 400)
    errors_of(post(client, fmt, form(api_key, lat="95")), fmt, 400)  # out of range
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_description_too_long_is_400(client, world, api_key, fmt):
    errors = errors_of(post(client, fmt, form(api_key, description="长" * 4001)), fmt, 400)
    assert "4000" in errors[0]["description"]
    assert post(client, fmt, form(api_key, description="长" * 4000)).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_nul_character_is_400_on_every_database(client, world, api_key, fmt):
    # PostgreSQL cannot store it; SQLite could: the answer must not depend on the database.
    errors = errors_of(post(client, fmt, form(api_key, description="坑\x00洞")), fmt, 400)
    assert "description" in errors[0]["description"] and "NUL" in errors[0]["description"]
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_contact_fields_are_400(client, world, api_key, fmt):
    errors_of(post(client, fmt, form(api_key, email="not-an-email")), fmt, 400)
    errors_of(post(client, fmt, form(api_key, media_url="javascript:alert(1)")), fmt, 400)
    errors = errors_of(post(client, fmt, form(api_key, phone="call me maybe")), fmt, 400)
    assert errors[0]["description"].startswith("phone")
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_required_attribute_is_400(client, world, api_key, road_questions, fmt):
    errors = errors_of(post(client, fmt, form(api_key, service_code="ROAD.POTHOLE")), fmt, 400)
    assert any("SIZE" in e["description"] for e in errors)
    assert not Appeal.objects.exists() and not SubmittedRequest.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_attribute_value_is_400_with_one_error_each(
    client, world, api_key, road_questions, fmt
):
    data = form(
        api_key,
        service_code="ROAD.POTHOLE",
        **{"attribute[SIZE]": "XXL", "attribute[DEPTH]": "deep"},
    )
    errors = errors_of(post(client, fmt, data), fmt, 400)
    assert len(errors) == 2
    assert all(e["code"] == 400 for e in errors)
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_client_rate_limit_is_429(client, world, fmt):
    _c, key = ApiClient.issue(name="Chatty", rate_limit_per_minute=2)
    assert post(client, fmt, form(key)).status_code == 200
    assert post(client, fmt, form(key)).status_code == 200
    response = post(client, fmt, form(key))
    errors_of(response, fmt, 429)
    assert response["Retry-After"] == "60"
    assert Appeal.objects.count() == 2
    # Another application has its own budget.
    _c2, other = ApiClient.issue(name="Quiet", rate_limit_per_minute=2)
    assert post(client, fmt, form(other)).status_code == 200


def test_submission_row_failure_leaves_no_appeal(client, world, api_key, monkeypatch):
    """The appeal and its submission record commit together or not at all."""
    from suqiu.open311 import services

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services.SubmittedRequest.objects, "create", broken)
    errors = errors_of(post(client, "json", form(api_key)), "json", 400)
    assert len(errors) == 1 and "disk full" not in errors[0]["description"]  # no internals shown
    assert not Appeal.objects.exists()
    assert not AppealEvent.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_error_descriptions_follow_lang(client, world, api_key, fmt):
    en = errors_of(post(client, fmt, form(api_key, lat=None, long=None, lang="en")), fmt, 400)
    zh = errors_of(post(client, fmt, form(api_key, lat=None, long=None, lang="zh")), fmt, 400)
    assert en[0]["description"].startswith("A location is required")
    assert zh[0]["description"].startswith("必须提供位置")
