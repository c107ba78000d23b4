"""The appeals API, endpoint by endpoint: intake (with idempotency), lists and queues, detail,
timeline, photos, the work chain, the task library and public tracking."""

import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from suqiu.api.testing import ApiClient, build_appeals
from suqiu.appeals.models import Appeal, AppealEvent, AppealPhoto, IdempotencyKey
from suqiu.core.testing import G1_POINT, G4_POINT

NEW = {
    "title": "井盖松动",
    "description": "小区门口井盖松动，晚上有人踩空",
    "lat": G1_POINT[0],
    "lon": G1_POINT[1],
    "address": "一社区东门",
    "category": "ROAD",
    "urgency": "urgent",
    "reporter_name": "刘先生",
    "reporter_phone": "13811112222",
}


@pytest.fixture
def appeals(world):
    return build_appeals(world)


def png_bytes(size=(4, 3)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- Intake -------------------------------------------------------------------------------------


def test_create_appeal(world):
    response = ApiClient(world.operator).post("/appeals", NEW)
    assert response.status_code == 201, response.content
    body = response.json()
    appeal = Appeal.objects.get()
    assert body["id"] == appeal.pk and body["tracking_code"] == appeal.tracking_code
    assert body["status"] == "received"
    assert body["channel"] == "api" and appeal.channel == "api"
    assert appeal.client_name == "tests"  # the token's name: which client application sent it
    assert body["grid"]["code"] == "G1" and body["area"]["code"] == "C1"
    assert body["category"]["code"] == "ROAD" and body["urgency"] == "urgent"
    assert body["reporter"]["phone"] == "13811112222"  # the operator sees the full number
    assert appeal.submitted_by == world.operator and appeal.reporter is None
    assert list(appeal.events.values_list("kind", flat=True)) == ["created"]


def test_create_by_resident_links_the_reporter(world):
    response = ApiClient(world.resident).post(
        "/appeals", {"title": "噪音", "description": "夜间施工"}
    )
    assert response.status_code == 201
    appeal = Appeal.objects.get()
    assert appeal.reporter == world.resident and appeal.reporter_phone == "13812341234"
    assert appeal.area == world.district  # no place given: the district
    assert response.json()["allowed_actions"] == []


def test_category_by_id_and_anonymous(world):
    response = ApiClient(world.operator).post(
        "/appeals",
        {**NEW, "category": world.cat_housing.pk, "is_anonymous": True},
    )
    assert response.status_code == 201
    appeal = Appeal.objects.get()
    assert appeal.category == world.cat_housing
    assert appeal.is_anonymous and appeal.reporter_name == "" and appeal.reporter_phone == ""
    assert response.json()["reporter"]["anonymous"] is True


# --- Idempotency ----------------------------------------------------------------------------------


def test_same_key_and_body_returns_the_same_appeal(world):
    client = ApiClient(world.operator)
    first = client.post("/appeals", NEW, HTTP_IDEMPOTENCY_KEY="retry-1")
    # Same content, different key order and an explicit default: the same request.
    reordered = dict(reversed(list(NEW.items())), channel="api")
    second = client.post("/appeals", reordered, HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    assert second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["tracking_code"] == first.json()["tracking_code"]
    assert Appeal.objects.count() == 1 and IdempotencyKey.objects.count() == 1
    assert AppealEvent.objects.count() == 1


def test_same_key_with_another_body_is_a_conflict(world):
    client = ApiClient(world.operator)
    assert client.post("/appeals", NEW, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    response = client.post("/appeals", {**NEW, "title": "别的"}, HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Appeal.objects.count() == 1


def test_keys_are_per_user(world):
    a = ApiClient(world.operator).post("/appeals", NEW, HTTP_IDEMPOTENCY_KEY="same")
    b = ApiClient(world.dispatcher).post("/appeals", NEW, HTTP_IDEMPOTENCY_KEY="same")
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_idempotency_key_needs_authentication(world):
    response = ApiClient().post("/appeals", NEW, HTTP_IDEMPOTENCY_KEY="anon")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not Appeal.objects.exists() and not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 129])
def test_bad_idempotency_key(world, key):
    response = ApiClient(world.operator).post("/appeals", NEW, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert not Appeal.objects.exists()


def test_invalid_body_with_a_key_stores_nothing(world):
    client = ApiClient(world.operator)
    bad = client.post("/appeals", {**NEW, "category": "NOPE"}, HTTP_IDEMPOTENCY_KEY="k2")
    assert bad.status_code == 422
    assert not IdempotencyKey.objects.exists()
    # The key is still free for the corrected request.
    assert client.post("/appeals", NEW, HTTP_IDEMPOTENCY_KEY="k2").status_code == 201


# --- Intake stays lean --------------------------------------------------------------------------


def _queries() -> CaptureQueriesContext:
    """Queries of the block. Each request's start empties the connection's query log
    (``request_started`` → ``reset_queries``), so a log left over from the previous block would
    shift this one's start index: empty it first."""
    connection.queries_log.clear()
    return CaptureQueriesContext(connection)


def test_create_runs_a_fixed_small_number_of_queries(world, appeals):
    client = ApiClient(world.operator)
    client.post("/appeals", NEW)  # marks the token used: a write at most once a minute
    # Each post's text differs a little: the same caller's same text again would be an exact
    # repeat, merged at intake (suqiu.duplicates), a different path. Normal urgency: an urgent
    # appeal also alerts the area's dispatchers (measured below).
    normal = {**NEW, "urgency": "normal", "description": "小区门口井盖有点松"}
    with _queries() as plain:
        assert client.post("/appeals", {**normal, "title": "井盖松动了"}).status_code == 201
    with _queries() as keyed:
        new = {**normal, "title": "井盖松动啦"}
        assert client.post("/appeals", new, HTTP_IDEMPOTENCY_KEY="q1").status_code == 201
    with _queries() as urgent:
        new = {**NEW, "title": "井盖松了", "description": "东门井盖松了，晚上有人踩空"}
        assert client.post("/appeals", new).status_code == 201
    for i in range(10):
        client.post("/appeals", {**normal, "title": f"t{i}"})
    with _queries() as later:
        assert client.post("/appeals", {**normal, "title": "井盖又松动"}).status_code == 201
    with _queries() as later_urgent:
        new = {**NEW, "title": "井盖又松了", "description": "东门井盖又松了，有人踩空"}
        assert client.post("/appeals", new).status_code == 201
    # Today 12: token, memberships (+ an organisation's parent), category, grid, insert appeal,
    # insert event, co-handlers for allowed_actions, and four savepoint statements (the test
    # runs inside a transaction). The key adds a look-up and an insert. What matters most: the
    # number does not depend on how many appeals exist. (The duplicate check adds up to six:
    # repeat and index look-ups, candidates loaded and stored, index entry and postings, and
    # the savepoint it runs in, two statements, so that a failure there never fails intake.)
    assert len(plain) <= 16, [q["sql"][:80] for q in plain.captured_queries]
    assert len(keyed) <= len(plain) + 3
    assert len(later) == len(plain)
    # The staff alert of an urgent appeal (seven): who covers the area, their accounts, the
    # dedupe look-up, the outbox insert in its savepoint, the inbox rows; again independent of
    # how many appeals exist.
    assert len(urgent) <= len(plain) + 7
    assert len(later_urgent) == len(urgent), (
        [q["sql"][:100] for q in urgent.captured_queries],
        [q["sql"][:100] for q in later_urgent.captured_queries],
    )


def test_list_query_count_does_not_grow_with_the_page(world, appeals):
    client = ApiClient(world.dispatcher)
    with _queries() as small:
        assert len(client.get("/appeals").json()["results"]) == 5
    for i in range(15):
        client.post("/appeals", {**NEW, "title": f"t{i}", "category": "HOUSING"})
    with _queries() as big:
        assert len(client.get("/appeals").json()["results"]) == 20
    assert len(big) == len(small)


# --- Lists, filters, pagination -------------------------------------------------------------------


def _ids(response):
    assert response.status_code == 200, response.content
    return {r["id"] for r in response.json()["results"]}


def test_list_filters(world, appeals):
    client = ApiClient(world.dispatcher)
    a = appeals
    assert _ids(client.get("/appeals", {"status": "received"})) == {a.c1_new.pk, a.district.pk}
    both = {a.c1_new.pk, a.district.pk, a.c3_dispatched.pk}
    assert _ids(client.get("/appeals", {"status": "received,dispatched"})) == both
    assert _ids(client.get("/appeals?status=received&status=dispatched")) == both
    assert _ids(client.get("/appeals", {"category": "ELDERLY"})) == {a.c2_task.pk, a.c1_claimed.pk}
    assert _ids(client.get("/appeals", {"category": str(world.cat_housing.pk)})) == {
        a.c3_dispatched.pk
    }
    assert _ids(client.get("/appeals", {"area": world.s1.pk})) == {
        a.c1_new.pk,
        a.c2_task.pk,
        a.c1_claimed.pk,
    }
    assert _ids(client.get("/appeals", {"lead_organisation": world.housing.pk})) == {
        a.c3_dispatched.pk
    }
    assert _ids(client.get("/appeals", {"channel": "phone"})) == {
        a.c2_task.pk,
        a.district.pk,
        a.c1_claimed.pk,
    }
    assert _ids(client.get("/appeals", {"q": "漏水"})) == {a.c3_dispatched.pk}
    assert _ids(client.get("/appeals", {"q": a.c1_new.tracking_code.lower()})) == {a.c1_new.pk}
    assert _ids(client.get("/appeals", {"urgency": "emergency"})) == set()
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert _ids(client.get("/appeals", {"created_after": future})) == set()
    assert len(_ids(client.get("/appeals", {"created_before": future}))) == 5


@pytest.mark.parametrize(
    "queue,expected",
    [
        ("to_assess", {"c1_new", "district"}),
        ("to_dispatch", {"c2_task"}),
        ("to_accept", {"c3_dispatched"}),
        ("in_progress", {"c1_claimed"}),
        ("to_verify", set()),
        ("to_revisit", set()),
        ("suspended", set()),
        ("overdue", {"c3_dispatched"}),
    ],
)
def test_list_queues(world, appeals, queue, expected):
    Appeal.objects.filter(pk=appeals.c3_dispatched.pk).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    Appeal.objects.filter(pk=appeals.c1_claimed.pk).update(
        due_at=timezone.now() + timedelta(days=3)
    )
    got = _ids(ApiClient(world.dispatcher).get("/appeals", {"queue": queue}))
    assert got == {getattr(appeals, n).pk for n in expected}


def test_pagination_and_order(world, appeals):
    client = ApiClient(world.dispatcher)
    newest = client.get("/appeals", {"order": "newest", "page_size": 2}).json()
    assert newest["count"] == 5 and newest["page"] == 1 and newest["page_size"] == 2
    assert [r["id"] for r in newest["results"]] == [appeals.c1_claimed.pk, appeals.district.pk]
    page3 = client.get("/appeals", {"order": "newest", "page_size": 2, "page": 3}).json()
    assert [r["id"] for r in page3["results"]] == [appeals.c1_new.pk]
    beyond = client.get("/appeals", {"page": 9}).json()
    assert beyond["count"] == 5 and beyond["results"] == []
    oldest = client.get("/appeals", {"order": "oldest"}).json()
    assert oldest["results"][0]["id"] == appeals.c1_new.pk


# --- Detail and timeline --------------------------------------------------------------------------


def test_detail(world, appeals):
    body = ApiClient(world.handler).get(f"/appeals/{appeals.c3_dispatched.pk}").json()
    assert body["status"] == "dispatched" and body["status_label"]
    assert body["lead_organisation"]["code"] == "HOUSING"
    assert body["category"]["code"] == "HOUSING"
    assert body["description"] == "顶楼漏水，家里有老人"
    assert body["reporter"] == {
        "name": "李先生",
        "phone": "139****1111",
        "phone_masked": True,
        "anonymous": False,
        "can_reveal": True,
    }
    assert "accept" in body["allowed_actions"] and "return" in body["allowed_actions"]
    assert "assess" not in body["allowed_actions"]


def test_events(world, appeals):
    events = ApiClient(world.dispatcher).get(f"/appeals/{appeals.c3_dispatched.pk}/events").json()
    assert [e["kind"] for e in events] == ["created", "assess", "dispatch"]
    assert events[2]["to_status"] == "dispatched" and events[2]["actor"] == "派单员"
    assert events[2]["public_text"] == "住建局"


def test_events_of_an_anonymous_appeal_do_not_name_the_reporter(world):
    created = ApiClient(world.resident).post(
        "/appeals", {"title": "举报", "description": "占道经营", "is_anonymous": True}
    )
    events = ApiClient(world.dispatcher).get(f"/appeals/{created.json()['id']}/events").json()
    assert events[0]["kind"] == "created"
    assert events[0]["actor"] != "张阿姨" and "张阿姨" not in json.dumps(events, ensure_ascii=False)


# --- Photos ---------------------------------------------------------------------------------------


def test_upload_and_fetch_a_photo(world, appeals):
    client = ApiClient(world.resident)
    content = png_bytes()
    response = client.upload(
        f"/appeals/{appeals.c1_new.pk}/photos",
        {"file": SimpleUploadedFile("x.jpg", content, content_type="image/jpeg")},
    )
    assert response.status_code == 201, response.content
    photo = response.json()
    assert photo["content_type"] == "image/png"  # by content, not by the name or header
    assert (photo["width"], photo["height"]) == (4, 3)
    assert AppealPhoto.objects.filter(appeal=appeals.c1_new).count() == 1

    image = client.client.get(photo["url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == content

    detail = ApiClient(world.dispatcher).get(f"/appeals/{appeals.c1_new.pk}").json()
    assert [p["id"] for p in detail["photos"]] == [photo["id"]]
    assert ApiClient(world.dispatcher).client.get(photo["url"]).status_code == 200
    # Someone who may not see the appeal may not see its photos.
    assert ApiClient(world.resident2).client.get(photo["url"]).status_code == 404
    assert ApiClient().client.get(photo["url"]).status_code == 401


def test_photo_of_another_appeal_is_not_found(world, appeals):
    client = ApiClient(world.dispatcher)
    up = client.upload(
        f"/appeals/{appeals.c1_new.pk}/photos",
        {"file": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")},
    )
    photo_id = up.json()["id"]
    response = client.get(f"/appeals/{appeals.district.pk}/photos/{photo_id}")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "files,field",
    [
        ({"file": SimpleUploadedFile("a.png", b"not an image", content_type="image/png")}, "file"),
        ({"file": SimpleUploadedFile("a.png", b"", content_type="image/png")}, "file"),
        ({}, "file"),
        ({"photo": SimpleUploadedFile("a.png", b"x", content_type="image/png")}, "file"),
    ],
)
def test_bad_photo_uploads(world, appeals, files, field):
    response = ApiClient(world.dispatcher).upload(f"/appeals/{appeals.c1_new.pk}/photos", files)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
    assert not AppealPhoto.objects.exists()


def test_photo_size_limit(world, appeals, settings):
    settings.SUQIU = {**settings.SUQIU, "PHOTO_MAX_BYTES": 100}
    response = ApiClient(world.dispatcher).upload(
        f"/appeals/{appeals.c1_new.pk}/photos",
        {"file": SimpleUploadedFile("a.png", png_bytes((64, 64)), content_type="image/png")},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "photo_too_large"
    assert not AppealPhoto.objects.exists()


def test_photo_on_an_unseen_appeal(world, appeals):
    response = ApiClient(world.resident2).upload(
        f"/appeals/{appeals.c1_new.pk}/photos",
        {"file": SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")},
    )
    assert response.status_code == 404
    assert not AppealPhoto.objects.exists()


# --- The work chain through the API --------------------------------------------------------------


def test_whole_work_chain(world):
    resident = ApiClient(world.resident)
    dispatcher = ApiClient(world.dispatcher)
    handler = ApiClient(world.handler)
    pk = resident.post(
        "/appeals",
        {"title": "楼道灯坏了", "description": "3栋不亮", "lat": G4_POINT[0], "lon": G4_POINT[1]},
    ).json()["id"]

    def step(client, action, body=None, status="", code=200):
        r = client.post(f"/appeals/{pk}/actions/{action}", body or {})
        assert r.status_code == code, (action, r.content)
        if status:
            assert r.json()["status"] == status
        return r

    step(dispatcher, "assess", {"category": "HOUSING", "urgency": "urgent"}, "assessed")
    step(dispatcher, "dispatch", {"lead_organisation": world.housing.pk}, "dispatched")
    step(handler, "accept", None, "in_progress")
    step(handler, "request_extension", {"days": 3, "reason": "等待材料"})
    step(dispatcher, "approve_extension")
    step(
        handler, "resolve", {"public_reply": "已更换灯泡", "internal_note": "物业配合"}, "resolved"
    )
    step(dispatcher, "send_back", {"reason": "照片不清楚"}, "in_progress")
    step(handler, "resolve", {"public_reply": "已更换灯泡并测试"}, "resolved")
    step(dispatcher, "verify", None, "verified")
    closed = step(resident, "revisit", {"satisfaction": 5, "was_resolved": True}, "closed")
    assert closed.json()["satisfaction"] == 5
    step(dispatcher, "assess", {"category": "HOUSING"}, code=409)
    kinds = [e["kind"] for e in dispatcher.get(f"/appeals/{pk}/events").json()]
    assert kinds == [
        "created",
        "assess",
        "dispatch",
        "accept",
        "request_extension",
        "approve_extension",
        "resolve",
        "send_back",
        "resolve",
        "verify",
        "revisit",
    ]


def test_wrong_action_for_the_status_is_a_conflict(world, appeals):
    response = ApiClient(world.dispatcher).post(f"/appeals/{appeals.c1_new.pk}/actions/verify", {})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert response.json()["error"]["allowed_from"] == ["resolved"]


def test_verifier_must_not_be_the_resolver(world, appeals):
    dispatcher = ApiClient(world.dispatcher)
    pk = appeals.c1_new.pk
    for action, body in [
        ("assess", {"category": "ELDERLY"}),
        ("dispatch", {"lead_person": world.dispatcher.pk}),  # the dispatcher handles it in person
        ("accept", {}),
        ("resolve", {"public_reply": "好了"}),
    ]:
        assert dispatcher.post(f"/appeals/{pk}/actions/{action}", body).status_code == 200
    response = dispatcher.post(f"/appeals/{pk}/actions/verify", {})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert ApiClient(world.dispatcher2).post(f"/appeals/{pk}/actions/verify").status_code == 200


def test_merge_shows_on_tracking(world, appeals):
    dispatcher = ApiClient(world.dispatcher)
    response = dispatcher.post(
        f"/appeals/{appeals.district.pk}/actions/merge",
        {"into": appeals.c1_new.tracking_code, "reason": "同一问题"},
    )
    assert response.status_code == 200
    assert response.json()["merged_into"] == appeals.c1_new.tracking_code
    tracked = ApiClient().get(f"/track/{appeals.district.tracking_code}").json()
    assert tracked["status"] == "merged" and tracked["merged_into"] == appeals.c1_new.tracking_code


def test_action_payloads_are_documented_in_openapi(world):
    schema = ApiClient(world.dispatcher).get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/appeals/{appeal_id}/actions/{action}"]["post"]
    for action in ("assess", "dispatch", "resolve", "revisit", "request_extension"):
        assert f"`{action}`" in operation["description"]
    assert "`public_reply`" in operation["description"]
    assert "satisfaction" in json.dumps(operation["requestBody"])


# --- Task library -------------------------------------------------------------------------------


def test_task_library_for_volunteers_has_no_personal_data(world, appeals):
    response = ApiClient(world.volunteer2).get("/tasks")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    task = body["results"][0]
    assert task["id"] == appeals.c2_task.pk and task["title"] == "独居老人需要陪诊"
    assert task["area"]["code"] == "C2" and task["category"]["code"] == "ELDERLY"
    assert set(task) == {
        "id",
        "tracking_code",
        "title",
        "category",
        "urgency",
        "area",
        "created_at",
    }
    text = json.dumps(body, ensure_ascii=False)
    for private in ("王大爷", "13700002222", "下周二", "lat", "address"):
        assert private not in text


def test_task_library_is_empty_for_other_roles(world, appeals):
    for user in (world.dispatcher, world.resident, world.handler):
        assert ApiClient(user).get("/tasks").json() == {
            "count": 0,
            "page": 1,
            "page_size": 50,
            "results": [],
        }


# --- Public tracking ------------------------------------------------------------------------------


def test_public_tracking_shows_progress_without_personal_data(world, appeals):
    handler = ApiClient(world.handler)
    pk = appeals.c3_dispatched.pk
    handler.post(f"/appeals/{pk}/actions/accept", {"note": "马上联系李先生"})
    handler.post(f"/appeals/{pk}/actions/note", {"text": "内部：业主电话13900001111"})
    handler.post(f"/appeals/{pk}/actions/note", {"text": "已联系物业", "public": True})
    handler.post(
        f"/appeals/{pk}/actions/resolve",
        {"public_reply": "已维修屋顶", "internal_note": "费用由维修基金承担"},
    )
    code = appeals.c3_dispatched.tracking_code
    response = ApiClient().get(f"/track/{code.replace('-', '').lower()}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tracking_code"] == code and body["status"] == "resolved"
    assert body["category"] == "住房" and body["public_reply"] == "已维修屋顶"
    assert [e["kind"] for e in body["timeline"]] == [
        "created",
        "assess",
        "dispatch",
        "accept",
        "note",
        "resolve",
    ]
    assert body["timeline"][4]["public_text"] == "已联系物业"
    assert set(body["timeline"][0]) == {"kind", "label", "time", "public_text"}
    text = json.dumps(body, ensure_ascii=False)
    for private in (
        "李先生",
        "13900001111",
        "1111",
        "顶楼漏水",  # description
        "三社区8栋",  # address
        "费用由维修基金承担",  # internal note
        "内部",  # private note
        "住建经办",  # the handler's name
        "派单员",
    ):
        assert private not in text, private


def test_tracking_unknown_code(world):
    for code, status, error in [
        ("AAAA-BBBB-CCCC", 404, "unknown_tracking_code"),
        ("not-a-code", 404, "unknown_tracking_code"),
        ("x" * 41, 422, "validation_error"),
    ]:
        response = ApiClient().get(f"/track/{code}")
        assert response.status_code == status
        assert response.json()["error"]["code"] == error


def test_tracking_is_rate_limited_per_address(world, appeals, settings):
    settings.SUQIU = {**settings.SUQIU, "TRACK_LOOKUPS_PER_MINUTE": 3}
    client = ApiClient()
    code = appeals.c1_new.tracking_code
    statuses = [client.get(f"/track/{code}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(f"/track/{code}")
    assert limited.json()["error"]["code"] == "rate_limited"
    assert limited["Retry-After"] == "60"
    # Another address is counted separately.
    other = client.get(f"/track/{code}", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200
