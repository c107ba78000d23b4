"""API authentication (bearer tokens, the session with CSRF), the error body for bad input, and
the OpenAPI document and offline docs page."""

import json
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from suqiu.api.testing import API, ApiClient, build_appeals
from suqiu.appeals.models import Appeal, AppealEvent
from suqiu.core.testing import G1_POINT
from suqiu.directory import snapshot
from suqiu.directory.models import ApiToken

VALID = {"title": "路灯不亮", "description": "东门路灯坏了", "lat": G1_POINT[0], "lon": G1_POINT[1]}


@pytest.fixture
def appeals(world):
    return build_appeals(world)


# --- Bearer tokens --------------------------------------------------------------------------------


def _assert_401(response):
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.json()["error"]["message"]


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer sq_not-a-real-token",
        "Bearer ",
        "Token abc",
        "Basic ZGlzcGF0Y2hlcjp0ZXN0LXBhc3MtMTIz",  # dispatcher:test-pass-123
        "Bearer " + "x" * 5000,
    ],
)
def test_missing_or_bad_credentials(world, header):
    client = Client(HTTP_AUTHORIZATION=header) if header is not None else Client()
    for path in ("/me", "/appeals", "/tasks", "/categories"):
        _assert_401(client.get(API + path))
    _assert_401(client.post(API + "/appeals", json.dumps(VALID), content_type="application/json"))
    assert not Appeal.objects.exists()


def test_valid_token(world):
    token, raw = ApiToken.issue(user=world.dispatcher, name="12345-gateway")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(API + "/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "dispatcher" and body["roles"] == ["dispatcher"]
    assert body["auth"] == "token" and body["token_name"] == "12345-gateway"
    # The scheme name is case-insensitive (RFC 7235).
    assert Client(HTTP_AUTHORIZATION=f"bearer {raw}").get(API + "/me").status_code == 200


def test_revoked_token(world):
    token, raw = ApiToken.issue(user=world.dispatcher)
    client = ApiClient(token=raw)
    assert client.get("/me").status_code == 200
    token.revoked_at = timezone.now()
    token.save()
    _assert_401(client.get("/me"))
    _assert_401(client.post("/appeals", VALID))
    assert not Appeal.objects.exists()


def test_token_of_a_deactivated_user(world):
    _token, raw = ApiToken.issue(user=world.operator)
    world.operator.is_active = False
    world.operator.save()
    _assert_401(ApiClient(token=raw).get("/me"))


def test_only_the_digest_is_stored(world):
    token, raw = ApiToken.issue(user=world.operator)
    assert raw not in (token.digest, token.prefix) and token.digest == ApiToken.digest_of(raw)
    assert not ApiToken.objects.filter(digest=raw).exists()


def test_last_used_is_written_at_most_once_a_minute(world):
    token, raw = ApiToken.issue(user=world.operator)
    client = ApiClient(token=raw)
    assert token.last_used_at is None
    client.get("/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/me")
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    # update() bypasses save(): processes see it at the next bump (or within the snapshot TTL).
    snapshot.bump("people")
    client.get("/me")
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


# --- Session (browser, htmx) ----------------------------------------------------------------------


def _csrf(client: Client) -> str:
    from django.middleware.csrf import _get_new_csrf_string

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    return secret


def test_session_reads_without_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.dispatcher)
    response = client.get(API + "/me")
    assert response.status_code == 200 and response.json()["auth"] == "session"


def test_session_writes_need_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.dispatcher)
    refused = client.post(API + "/appeals", json.dumps(VALID), content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert not Appeal.objects.exists()

    token = _csrf(client)
    accepted = client.post(
        API + "/appeals",
        json.dumps(VALID),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 201, accepted.content
    assert Appeal.objects.get().submitted_by == world.dispatcher


def test_bearer_writes_need_no_csrf(world):
    _token, raw = ApiToken.issue(user=world.dispatcher)
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = client.post(API + "/appeals", json.dumps(VALID), content_type="application/json")
    assert response.status_code == 201


def test_a_bad_token_is_refused_even_with_a_session(world):
    client = Client(HTTP_AUTHORIZATION="Bearer wrong")
    client.force_login(world.dispatcher)
    _assert_401(client.get(API + "/me"))


def test_no_credentials_with_csrf_enforced_is_401_not_403(world):
    client = Client(enforce_csrf_checks=True)
    _assert_401(client.post(API + "/appeals", json.dumps(VALID), content_type="application/json"))


# --- Bad input never gives a 500 ------------------------------------------------------------------

BAD_INTAKE = [
    # (name, raw body or JSON value, status, code, fields that must be named)
    ("malformed json", "{title: 1", 400, "malformed_json", []),
    ("truncated json", '{"title": "a", "descr', 400, "malformed_json", []),
    ("not utf-8", b'{"title": "\xff\xfe"}', 400, "malformed_json", []),
    ("empty body", "", 422, "validation_error", ["body"]),
    ("json array", [1, 2], 422, "validation_error", ["body"]),
    ("json string", '"just text"', 422, "validation_error", ["body"]),
    ("json null", "null", 422, "validation_error", ["body"]),
    ("json number", "42", 422, "validation_error", ["body"]),
    ("missing fields", {}, 422, "validation_error", ["title", "description"]),
    ("title not text", {**VALID, "title": 123}, 422, "validation_error", ["title"]),
    ("title null", {**VALID, "title": None}, 422, "validation_error", ["title"]),
    ("blank title", {**VALID, "title": "   "}, 422, "validation_error", ["title"]),
    ("title too long", {**VALID, "title": "长" * 121}, 422, "validation_error", ["title"]),
    ("description too long", {**VALID, "description": "x" * 4001}, 422, "validation_error", ["description"]),
    ("address too long", {**VALID, "address": "x" * 256}, 422, "validation_error", ["address"]),
    ("lat not a number", {**VALID, "lat": "north"}, 422, "validation_error", ["lat"]),
    ("lat out of range", {**VALID, "lat": 91}, 422, "validation_error", ["lat"]),
    ("lon out of range", {**VALID, "lon": -180.5}, 422, "validation_error", ["lon"]),
    ("lat without lon", {"title": "t", "description": "d", "lat": 22.7}, 422, "validation_error", ["lon"]),
    ("lat NaN", '{"title": "t", "description": "d", "lat": NaN, "lon": 1}', 422, "validation_error", ["lat"]),
    ("lon Infinity", '{"title": "t", "description": "d", "lat": 1, "lon": Infinity}', 422, "validation_error", ["lon"]),
    ("unknown category code", {**VALID, "category": "NOPE"}, 422, "validation_error", ["category"]),
    ("unknown category id", {**VALID, "category": 99999}, 422, "validation_error", ["category"]),
    ("category a list", {**VALID, "category": ["ROAD"]}, 422, "validation_error", ["category"]),
    ("unknown channel", {**VALID, "channel": "pigeon"}, 422, "validation_error", ["channel"]),
    ("unknown urgency", {**VALID, "urgency": "asap"}, 422, "validation_error", ["urgency"]),
    ("bad phone", {**VALID, "reporter_phone": "call me"}, 422, "validation_error", ["reporter_phone"]),
    ("superscript digits", {**VALID, "reporter_phone": "²³²³²³"}, 422, "validation_error", ["reporter_phone"]),
    ("anonymous not bool", {**VALID, "is_anonymous": "maybe"}, 422, "validation_error", ["is_anonymous"]),
    # PostgreSQL cannot store a NUL character in text: refused up front, on every database.
    ("NUL in title", {**VALID, "title": "路灯\u0000不亮"}, 422, "validation_error", ["title"]),
    ("NUL in address", {**VALID, "address": "\u0000"}, 422, "validation_error", ["address"]),
    ("NUL in a key", {**VALID, "x\u0000": 1}, 422, "validation_error", ["body"]),
    # Half a character (a lone surrogate) is no text either: neither database stores it.
    ("lone surrogate in title", '{"title": "路灯\\ud800", "description": "d"}', 422, "validation_error", ["title"]),
    ("lone surrogate in a key", '{"title": "t", "description": "d", "\\udc00": 1}', 422, "validation_error", ["body"]),
    ("category id too large", {**VALID, "category": 2**63}, 422, "validation_error", ["category"]),
    ("category true", {**VALID, "category": True}, 422, "validation_error", ["category"]),
]  # fmt: skip


@pytest.mark.parametrize("name,body,status,code,fields", BAD_INTAKE, ids=[b[0] for b in BAD_INTAKE])
def test_bad_intake(world, name, body, status, code, fields):
    client = ApiClient(world.operator)
    if isinstance(body, (str, bytes)):
        response = client.post("/appeals", raw=body)
    else:
        response = client.post("/appeals", body)
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    for field in fields:
        assert error["fields"][field], error
    if status == 422:
        assert error["fields"]
    if name.startswith("json "):  # not an object: the body is named, not a missing title
        assert set(error["fields"]) == {"body"}, error
    assert not Appeal.objects.exists()


BAD_ACTIONS = [
    # (action, raw body or JSON value, status, code, field)
    ("frobnicate", {}, 422, "validation_error", "action"),
    ("assess", "{not json", 400, "malformed_json", None),
    ("assess", [1, 2], 422, "validation_error", "body"),
    ("assess", {"category": "NOPE"}, 422, "validation_error", "category"),
    ("assess", {"category": "ROAD", "urgency": "asap"}, 422, "validation_error", "urgency"),
    ("assess", {"category": "ROAD", "note": 5}, 422, "validation_error", "note"),
    ("assess", {"category": "ROAD", "note": "x" * 2001}, 422, "validation_error", "note"),
    ("reject", {}, 422, "validation_error", "reason"),
    ("merge", {"into": "NOPE-NOPE-NOPE"}, 422, "validation_error", "into"),
    ("merge", {"into": 2**63}, 422, "validation_error", "into"),
    ("merge", {"into": 10**30}, 422, "validation_error", "into"),
    ("merge", {"into": "9" * 30}, 422, "validation_error", "into"),
    ("merge", {"into": True}, 422, "validation_error", "into"),
    ("merge", {"into": [1]}, 422, "validation_error", "into"),
    ("merge", {"into": "²"}, 422, "validation_error", "into"),
    ("merge", {"into": "x", "reason": "a\u0000b"}, 422, "validation_error", "reason"),
    ("assess", '{"category": "ROAD", "note": "a\\ud83d"}', 422, "validation_error", "note"),
    ("resolve", {"public_reply": "x"}, 409, "invalid_transition", None),
    ("accept", {}, 409, "invalid_transition", None),  # status is checked before the role
]


@pytest.mark.parametrize("action,body,status,code,field", BAD_ACTIONS)
def test_bad_actions(world, appeals, action, body, status, code, field):
    client = ApiClient(world.dispatcher)
    path = f"/appeals/{appeals.c1_new.pk}/actions/{action}"
    response = client.post(path, raw=body) if isinstance(body, str) else client.post(path, body)
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    if field:
        assert error["fields"][field]
    appeals.c1_new.refresh_from_db()
    assert appeals.c1_new.status == "received" and appeals.c1_new.version == 1
    assert AppealEvent.objects.filter(appeal=appeals.c1_new).count() == 1


def test_bad_revisit_payload(world, appeals):
    # Bring c3 to "verified" so that revisit applies, then send bad scores.
    handler, dispatcher = ApiClient(world.handler), ApiClient(world.dispatcher)
    pk = appeals.c3_dispatched.pk
    handler.post(f"/appeals/{pk}/actions/accept")
    handler.post(f"/appeals/{pk}/actions/resolve", {"public_reply": "好了"})
    assert dispatcher.post(f"/appeals/{pk}/actions/verify").status_code == 200
    for body, field in [
        ({"satisfaction": "very", "was_resolved": True}, "satisfaction"),
        ({"satisfaction": 9, "was_resolved": True}, "satisfaction"),
        ({"satisfaction": 4, "was_resolved": "perhaps"}, "was_resolved"),
        ({"satisfaction": 4}, "was_resolved"),
    ]:
        response = dispatcher.post(f"/appeals/{pk}/actions/revisit", body)
        assert response.status_code == 422, (body, response.content)
        assert field in response.json()["error"]["fields"]
    assert Appeal.objects.get(pk=pk).status == "verified"


@pytest.mark.parametrize(
    "path",
    [
        "/appeals/999999",
        "/appeals/999999/events",
        "/appeals/999999/photos/1",
    ],
)
def test_unknown_appeal(world, path):
    response = ApiClient(world.admin).get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unknown_appeal_action_and_reveal(world):
    client = ApiClient(world.admin)
    for path in ("/appeals/999999/actions/assess", "/appeals/999999/reveal-phone"):
        response = client.post(path, {})
        assert response.status_code == 404, path


@pytest.mark.parametrize(
    "params,field",
    [
        ({"page": 0}, "page"),
        ({"page": "two"}, "page"),
        ({"page_size": 201}, "page_size"),
        ({"status": "bogus"}, "status"),
        ({"status": "received,bogus"}, "status"),
        ({"urgency": "asap"}, "urgency"),
        ({"queue": "later"}, "queue"),
        ({"order": "random"}, "order"),
        ({"channel": "pigeon"}, "channel"),
        ({"category": "NOPE"}, "category"),
        ({"area": "C1"}, "area"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_after": "0001-01-01"}, "created_after"),
        ({"created_before": "9999-12-31T23:59:59"}, "created_before"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"category": str(2**63)}, "category"),
    ],
)
def test_bad_list_parameters(world, params, field):
    response = ApiClient(world.dispatcher).get("/appeals", params)
    assert response.status_code == 422, response.content
    assert response.json()["error"]["fields"][field]


def test_a_bad_date_is_said_in_the_readers_language(world):
    response = ApiClient(world.dispatcher).get(
        "/appeals", {"created_after": "2019-13-45"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 422
    message = response.json()["error"]["fields"]["created_after"][0]
    assert "Input should" not in message and "ISO 8601" in message


def test_bad_path_parameter(world):
    response = ApiClient(world.dispatcher).get("/appeals/abc")
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["appeal_id"]


@pytest.mark.parametrize(
    "path",
    [
        f"/appeals/{2**63}",
        f"/appeals/{10**30}/events",
        f"/appeals/{2**64}/duplicates",
        f"/hotspots/{2**63}",
        f"/appeals/{2**63}/triage",
    ],
)
def test_an_id_no_database_can_hold_is_unknown_not_a_crash(world, path):
    response = ApiClient(world.admin).get(path)
    assert response.status_code in (404, 422), response.content
    assert response.json()["error"]["code"] in ("not_found", "validation_error")


def test_unknown_endpoint_and_method_give_the_error_body(world):
    client = ApiClient(world.dispatcher)
    missing = client.get("/no-such-thing")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_endpoint"
    wrong = client.client.delete(API + "/appeals")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong["Allow"] and "POST" in wrong["Allow"]
    # Unknown paths answer POSTs with the same body, not a CSRF page.
    posted = Client(enforce_csrf_checks=True).post(API + "/nothing-here", {})
    assert posted.status_code == 404 and posted.json()["error"]["code"] == "unknown_endpoint"


# --- OpenAPI and docs -----------------------------------------------------------------------------

PATHS = [
    "/api/v1/appeals",
    "/api/v1/appeals/{appeal_id}",
    "/api/v1/appeals/{appeal_id}/events",
    "/api/v1/appeals/{appeal_id}/photos",
    "/api/v1/appeals/{appeal_id}/photos/{photo_id}",
    "/api/v1/appeals/{appeal_id}/actions/{action}",
    "/api/v1/appeals/{appeal_id}/reveal-phone",
    "/api/v1/tasks",
    "/api/v1/track/{tracking_code}",
    "/api/v1/categories",
    "/api/v1/organisations",
    "/api/v1/grids",
    "/api/v1/grids/resolve",
    "/api/v1/me",
]


def test_openapi_document(db):
    response = Client().get(API + "/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert set(PATHS) <= set(schema["paths"])
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["BearerTokenAuth"].items()
    create = schema["paths"]["/api/v1/appeals"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert {"201", "200", "409", "422"} <= set(create["responses"])
    # Public tracking needs no credentials; everything else does.
    assert not schema["paths"]["/api/v1/track/{tracking_code}"]["get"].get("security")
    assert schema["paths"]["/api/v1/me"]["get"]["security"]


def test_docs_page_works_offline(db):
    response = Client().get(API + "/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html and "http://" not in html
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io
    for asset in ("ninja/swagger-ui-bundle.js", "ninja/swagger-ui.css", "ninja/swagger-ui-init.js"):
        assert finders.find(asset), asset


# --- What Django itself refuses in a request: 4xx with a code, never a 500 ----------------------


def test_a_body_over_the_upload_limit_is_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = ApiClient(world.operator)
    response = client.post("/appeals", {"title": "t", "description": "x" * 5000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert not Appeal.objects.exists()


def test_a_multipart_body_that_cannot_be_read_is_400(world, appeals, settings):
    client = ApiClient(world.dispatcher)
    path = f"{API}/appeals/{appeals.c1_new.pk}/photos"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {client.token}"}
    no_boundary = client.client.post(path, data=b"x", content_type="multipart/form-data", **headers)
    assert no_boundary.status_code == 400
    assert no_boundary.json()["error"]["code"] == "malformed_multipart"
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    many = client.client.post(path, data={f"f{i}": "v" for i in range(20)}, **headers)
    assert many.status_code == 400 and many.json()["error"]["code"] == "too_many_parts"
    assert appeals.c1_new.photos.count() == 0


def test_json_nested_too_deep_is_malformed_json(world, appeals):
    client = ApiClient(world.dispatcher)
    deep = '{"text": "x", "d": ' + "[" * 5000 + "]" * 5000 + "}"
    for path in ("/appeals", f"/appeals/{appeals.c1_new.pk}/actions/note"):
        response = client.post(path, raw=deep)
        assert response.status_code == 400, path
        assert response.json()["error"]["code"] == "malformed_json", path
    assert AppealEvent.objects.filter(appeal=appeals.c1_new).count() == 1
