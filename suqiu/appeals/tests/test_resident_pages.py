"""The resident pages: report, submitted, track, revisit, my appeals and their photos."""

from __future__ import annotations

import io
import itertools
import os
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from suqiu.appeals import services
from suqiu.appeals.models import Appeal, AppealEvent, AppealPhoto
from suqiu.core import ratelimit
from suqiu.core.testing import G1_POINT

# --- Helpers ---------------------------------------------------------------------------------------


def image_bytes(fmt: str = "PNG", size=(16, 12), noise: bool = False) -> bytes:
    img = Image.new("RGB", size, (200, 30, 40))
    if noise:
        rnd = random.Random(7)
        img.putdata(
            [
                (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
                for _ in range(size[0] * size[1])
            ]
        )
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def report_data(**overrides) -> dict:
    data = {
        "title": "路灯坏了",
        "description": "和平路3栋门口的路灯一周没亮了",
        "lat": str(G1_POINT[0]),
        "lon": str(G1_POINT[1]),
        "address": "",
        "category": "",
        "reporter_name": "王五",
        "reporter_phone": "13700001234",
    }
    data.update(overrides)
    return data


def media_files(settings) -> list[str]:
    found = []
    for root, _dirs, files in os.walk(settings.MEDIA_ROOT):
        found.extend(os.path.join(root, f) for f in files)
    return found


@pytest.fixture
def en():
    """A browser asking for English, so assertions on wording do not depend on translations."""
    return Client(headers={"accept-language": "en"})


def signed_in(user) -> Client:
    c = Client(headers={"accept-language": "en"})
    c.force_login(user)
    return c


@pytest.fixture
def freeze_ratelimit_window(monkeypatch):
    """Rate-limit windows are wall-clock based; pin the clock the limiter sees so two requests
    always fall in the same window."""

    class FrozenTime:
        @staticmethod
        def time():
            return 1_700_000_000.0

    monkeypatch.setattr(ratelimit, "time", FrozenTime)


_SEQ = itertools.count(1)


def make_appeal(world, actor_of, **fields) -> Appeal:
    data = dict(
        title="楼道灯坏了",
        # Numbered: the same text from the same reporter again would be an exact repeat,
        # merged at intake (suqiu.duplicates).
        description=f"秘密描述：3栋2单元楼道灯不亮（{next(_SEQ)}）",
        lat=G1_POINT[0],
        lon=G1_POINT[1],
        address="和平路12号",
        category="HOUSING",
    )
    data.update(fields)
    return services.appeal_create(actor=actor_of(world.resident), data=services.AppealInput(**data))


def make_verified(world, actor_of) -> Appeal:
    """Through the work chain to ``verified``, with public and internal texts along the way."""
    appeal = make_appeal(world, actor_of)
    disp, handler = actor_of(world.dispatcher), actor_of(world.handler)
    act = services.appeal_act
    act(actor=disp, appeal_id=appeal.pk, action="assess", payload={"note": "内部评估备注"})
    act(actor=disp, appeal_id=appeal.pk, action="dispatch", payload={"note": "内部派单备注"})
    act(actor=handler, appeal_id=appeal.pk, action="accept", payload={})
    act(actor=handler, appeal_id=appeal.pk, action="note", payload={"text": "内部跟进笔记"})
    act(
        actor=handler,
        appeal_id=appeal.pk,
        action="note",
        payload={"text": "已联系物业安排维修", "public": True},
    )
    act(
        actor=handler,
        appeal_id=appeal.pk,
        action="resolve",
        payload={"public_reply": "已更换灯泡，恢复照明", "internal_note": "内部办结说明"},
    )
    act(actor=disp, appeal_id=appeal.pk, action="verify", payload={"note": "核查内部意见"})
    appeal.refresh_from_db()
    assert appeal.status == "verified"
    return appeal


# --- Home ------------------------------------------------------------------------------------------


def test_home_lists_only_my_appeals(world, actor_of):
    mine = make_appeal(world, actor_of, title="我的诉求标题")
    services.appeal_create(
        actor=actor_of(world.resident2),
        data=services.AppealInput(title="别人的诉求", description="x", address="某处"),
    )
    page = signed_in(world.resident).get("/").content.decode()
    assert "我的诉求标题" in page and f"/mine/{mine.pk}" in page
    assert "别人的诉求" not in page


def test_home_for_visitors_has_report_entry_and_track_box(en):
    page = en.get("/").content.decode()
    assert 'href="/report"' in page
    assert 'name="code"' in page
    assert "My appeals" not in page


# --- Report ----------------------------------------------------------------------------------------


def test_submit_without_photos_creates_appeal_and_shows_tracking_code(world, en):
    response = en.post("/report", report_data())
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/submitted/{appeal.tracking_code}"
    assert appeal.channel == "web" and appeal.grid == world.g1 and appeal.reporter is None
    assert appeal.reporter_name == "王五" and appeal.reporter_phone == "13700001234"
    assert list(AppealEvent.objects.filter(appeal=appeal).values_list("kind", flat=True)) == [
        "created"
    ]
    page = en.get(response["Location"])
    assert page.status_code == 200
    assert appeal.tracking_code in page.content.decode()
    assert f"/track/{appeal.tracking_code}" in page.content.decode()


def test_submitted_page_is_only_for_the_submitting_browser(world, en):
    en.post("/report", report_data())
    code = Appeal.objects.get().tracking_code
    other = Client()
    response = other.get(f"/submitted/{code}")
    assert response.status_code == 302 and response["Location"] == f"/track/{code}"


def test_submit_with_real_png_and_jpeg_photos(world, en, settings):
    png, jpeg = image_bytes("PNG"), image_bytes("JPEG")
    response = en.post(
        "/report",
        {
            **report_data(),
            "photos": [upload("a.png", png), upload("b.jpg", jpeg, "image/jpeg")],
        },
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    photos = list(appeal.photos.order_by("id"))
    assert [p.content_type for p in photos] == ["image/png", "image/jpeg"]
    assert photos[0].file.read() == png
    assert len(media_files(settings)) == 2


def test_fake_image_saves_nothing(world, en, settings):
    response = en.post(
        "/report",
        {
            **report_data(),
            "photos": [
                upload("ok.png", image_bytes("PNG")),
                upload("evil.jpg", b"this is text, not a picture", "image/jpeg"),
            ],
        },
    )
    assert response.status_code == 422
    assert "Only JPEG, PNG or WebP" in response.content.decode()
    assert Appeal.objects.count() == 0
    assert AppealPhoto.objects.count() == 0
    assert AppealEvent.objects.count() == 0
    assert media_files(settings) == []
    # What they typed is still there.
    assert "和平路3栋门口的路灯一周没亮了" in response.content.decode()


def test_oversize_photo_is_refused(world, en, settings):
    settings.SUQIU = {**settings.SUQIU, "PHOTO_MAX_BYTES": 2000}
    big = image_bytes("PNG", size=(64, 64), noise=True)
    assert len(big) > 2000
    response = en.post("/report", {**report_data(), "photos": [upload("big.png", big)]})
    assert response.status_code == 422
    assert "too large" in response.content.decode()
    assert Appeal.objects.count() == 0 and media_files(settings) == []


def test_too_many_photos_is_refused(world, en, settings):
    settings.SUQIU = {**settings.SUQIU, "PHOTO_MAX_COUNT": 1}
    photos = [upload(f"p{i}.png", image_bytes("PNG")) for i in range(2)]
    response = en.post("/report", {**report_data(), "photos": photos})
    assert response.status_code == 422
    assert "At most 1 photo" in response.content.decode()
    assert Appeal.objects.count() == 0


def test_missing_location_is_an_error(world, en):
    response = en.post("/report", report_data(lat="", lon="", address=""))
    assert response.status_code == 422
    assert "tap the map to place a pin, or type an address" in response.content.decode()
    assert Appeal.objects.count() == 0


def test_address_alone_is_enough(world, en):
    response = en.post("/report", report_data(lat="", lon="", address="和平路12号"))
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.address == "和平路12号" and appeal.lat is None and appeal.area == world.district


def test_missing_title_and_bad_phone_show_field_errors(world, en):
    response = en.post("/report", report_data(title="", reporter_phone="call me"))
    page = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_title_error"' in page
    assert 'id="id_reporter_phone_error"' in page and "Not a phone number." in page
    assert Appeal.objects.count() == 0


def test_unknown_category_is_a_field_error_not_a_500(world, en):
    response = en.post("/report", report_data(category="999999"))
    assert response.status_code == 422
    assert 'id="id_category_error"' in response.content.decode()


def test_categories_are_offered_in_the_current_language(world):
    zh = Client().get("/report").content.decode()
    en_page = Client(headers={"accept-language": "en"}).get("/report").content.decode()
    assert "道路" in zh and "道路 › 坑洼" in zh
    assert "Roads" in en_page and "Roads › Pothole" in en_page


def test_anonymous_submission_stores_no_name_or_phone(world, en):
    response = en.post("/report", report_data(is_anonymous="on"))
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.is_anonymous and appeal.reporter_name == "" and appeal.reporter_phone == ""


def test_signed_in_resident_is_prefilled_and_recorded_as_reporter(world):
    client = signed_in(world.resident)
    form = client.get("/report").content.decode()
    assert 'value="张阿姨"' in form and 'value="13812341234"' in form
    client.post("/report", report_data(reporter_name="张阿姨", reporter_phone="13812341234"))
    appeal = Appeal.objects.get()
    assert appeal.reporter == world.resident and appeal.reporter_phone == "13812341234"


def test_signed_in_anonymous_submission_drops_identity(world):
    signed_in(world.resident).post("/report", report_data(is_anonymous="on"))
    appeal = Appeal.objects.get()
    assert appeal.is_anonymous and appeal.reporter_name == "" and appeal.reporter_phone == ""


def test_public_intake_is_rate_limited_with_a_friendly_page(
    world, en, settings, freeze_ratelimit_window
):
    settings.SUQIU = {**settings.SUQIU, "PUBLIC_INTAKE_PER_HOUR": 1}
    assert en.post("/report", report_data()).status_code == 302
    response = en.post("/report", report_data(title="第二次提交"))
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many reports from your network" in page
    assert "第二次提交" in page  # what they typed is kept
    assert Appeal.objects.count() == 1


# --- Tracking --------------------------------------------------------------------------------------


def test_tracking_page_shows_no_personal_data(world, actor_of, en):
    appeal = make_appeal(world, actor_of, reporter_name="张阿姨", reporter_phone="13812341234")
    services.appeal_add_photo(
        actor=actor_of(world.resident), appeal=appeal, content=image_bytes("PNG")
    )
    assert appeal.reporter_name == "张阿姨" and appeal.description
    for client in (en, signed_in(world.resident2)):
        response = client.get(f"/track/{appeal.tracking_code}")
        page = response.content.decode()
        assert response.status_code == 200
        assert appeal.tracking_code in page
        for secret in ("张阿姨", "13812341234", "1234", "秘密描述", "和平路12号", "楼道灯坏了"):
            assert secret not in page, secret
        assert "/photos/" not in page and "media" not in page


def test_tracking_timeline_shows_public_reply_but_no_internal_notes_or_staff(world, actor_of, en):
    appeal = make_verified(world, actor_of)
    page = en.get(f"/track/{appeal.tracking_code}").content.decode()
    assert "已更换灯泡，恢复照明" in page  # the public reply
    assert "已联系物业安排维修" in page  # a public progress note
    assert "Dispatched" in page and "Resolved" in page and "Verified" in page  # event labels
    assert "住建局" in page  # the organisation it was sent to is public
    for hidden in ("内部评估备注", "内部派单备注", "内部跟进笔记", "内部办结说明", "核查内部意见"):
        assert hidden not in page, hidden
    for staff in ("派单员", "住建经办"):
        assert staff not in page, staff
    assert "Send my rating" not in page  # anonymous viewers cannot rate


def test_tracking_shows_rejection_reason_and_merge_link(world, actor_of, en):
    main = make_appeal(world, actor_of)
    rejected = make_appeal(world, actor_of)
    merged = make_appeal(world, actor_of)
    disp = actor_of(world.dispatcher)
    services.appeal_act(
        actor=disp, appeal_id=rejected.pk, action="reject", payload={"reason": "不属于本辖区"}
    )
    services.appeal_act(
        actor=disp, appeal_id=merged.pk, action="merge", payload={"into": main.tracking_code}
    )
    assert "不属于本辖区" in en.get(f"/track/{rejected.tracking_code}").content.decode()
    page = en.get(f"/track/{merged.tracking_code}").content.decode()
    assert f'href="/track/{main.tracking_code}"' in page


def test_a_merged_appeal_follows_its_main_appeal_merged_in_its_turn(world, actor_of, en):
    """A is merged into B, then B into C: A's reporter follows C (its code and status), not B's
    "merged" for ever."""
    a, b, c = (make_appeal(world, actor_of) for _ in range(3))
    disp = actor_of(world.dispatcher)
    services.appeal_act(actor=disp, appeal_id=a.pk, action="merge", payload={"into": b.pk})
    services.appeal_act(actor=disp, appeal_id=b.pk, action="merge", payload={"into": c.pk})
    services.appeal_act(
        actor=disp, appeal_id=c.pk, action="reject", payload={"reason": "已由城管统一处理"}
    )
    a.refresh_from_db()
    assert a.final_main().pk == c.pk
    page = en.get(f"/track/{a.tracking_code}").content.decode()
    assert f'href="/track/{c.tracking_code}"' in page  # (B stays named in A's own timeline)
    assert "已由城管统一处理" in page  # C's public outcome, read through the chain


def test_a_merge_cycle_in_hand_edited_data_leads_nowhere(world, actor_of, en):
    a, b = (make_appeal(world, actor_of) for _ in range(2))
    Appeal.objects.filter(pk=a.pk).update(status="merged", merged_into=b)
    Appeal.objects.filter(pk=b.pk).update(status="merged", merged_into=a)
    a.refresh_from_db()
    assert a.final_main() is None
    assert en.get(f"/track/{a.tracking_code}").status_code == 200


def test_unknown_or_malformed_code_is_a_friendly_404(world, en):
    for code in ("ABCD-EFGH-JKMN", "not-a-code"):
        response = en.get(f"/track/{code}")
        assert response.status_code == 404
        assert "could not find an appeal" in response.content.decode()


def test_track_lookup_normalises_the_code(world, actor_of, en):
    appeal = make_appeal(world, actor_of)
    sloppy = appeal.tracking_code.replace("-", " ").lower()
    response = en.get("/track", {"code": sloppy})
    assert response.status_code == 302 and response["Location"] == f"/track/{appeal.tracking_code}"
    assert en.get("/track", {"code": "??"}).status_code == 422


def test_track_box_on_home_answers_htmx_in_place(world, actor_of, en):
    appeal = make_appeal(world, actor_of)
    response = en.get("/track", {"code": appeal.tracking_code}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "track-card" in page and "<html" not in page and "秘密描述" not in page
    missing = en.get("/track", {"code": "ABCD-EFGH-JKMN"}, headers={"HX-Request": "true"})
    assert missing.status_code == 200 and "could not find" in missing.content.decode()


def test_tracking_lookups_are_rate_limited(world, actor_of, en, settings, freeze_ratelimit_window):
    settings.SUQIU = {**settings.SUQIU, "TRACK_LOOKUPS_PER_MINUTE": 2}
    appeal = make_appeal(world, actor_of)
    assert en.get(f"/track/{appeal.tracking_code}").status_code == 200
    assert en.get("/track/ABCD-EFGH-JKMN").status_code == 404
    response = en.get(f"/track/{appeal.tracking_code}")
    assert response.status_code == 429
    assert "Please wait" in response.content.decode()
    # The rating form is a look-up by code too ("not yours" and "no such code" differ there).
    other = signed_in(world.resident2)
    probe = other.post("/track/ABCD-EFGH-JKMN/revisit", {"satisfaction": "5"})
    assert probe.status_code == 429


def test_grid_boundaries_are_public_and_carry_only_names(world, en):
    data = en.get("/grids.geojson").json()
    assert data["type"] == "FeatureCollection"
    assert sorted(f["properties"]["name"] for f in data["features"]) == [
        "网格一",
        "网格三",
        "网格二",
        "网格四",
    ]
    assert all(set(f["properties"]) == {"name"} for f in data["features"])
    assert all(f["geometry"]["type"] == "Polygon" for f in data["features"])


# --- Revisit ---------------------------------------------------------------------------------------


def test_reporter_satisfied_closes(world, actor_of):
    appeal = make_verified(world, actor_of)
    client = signed_in(world.resident)
    page = client.get(f"/track/{appeal.tracking_code}").content.decode()
    assert "Send my rating" in page and "Very unsatisfied" in page and "Very satisfied" in page
    response = client.post(
        f"/track/{appeal.tracking_code}/revisit",
        {"satisfaction": "5", "was_resolved": "yes", "comment": "谢谢"},
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == "closed" and appeal.satisfaction == 5 and appeal.revisit_resolved
    after = client.get(response["Location"]).content.decode()
    assert "The appeal is closed" in after and "Send my rating" not in after


def test_reporter_unsatisfied_sends_back_for_rework(world, actor_of):
    appeal = make_verified(world, actor_of)
    client = signed_in(world.resident)
    response = client.post(
        f"/track/{appeal.tracking_code}/revisit",
        {"satisfaction": "1", "was_resolved": "no"},
        follow=True,
    )
    appeal.refresh_from_db()
    assert appeal.status == "in_progress" and appeal.rework_count == 1
    assert "sent back for rework" in response.content.decode()


def test_revisit_over_htmx_swaps_the_card(world, actor_of):
    appeal = make_verified(world, actor_of)
    response = signed_in(world.resident).post(
        f"/track/{appeal.tracking_code}/revisit",
        {"satisfaction": "2", "was_resolved": "yes"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page and "sent back for rework" in page
    appeal.refresh_from_db()
    assert appeal.status == "in_progress"


def test_revisit_form_errors_are_shown(world, actor_of):
    appeal = make_verified(world, actor_of)
    response = signed_in(world.resident).post(
        f"/track/{appeal.tracking_code}/revisit", {"satisfaction": "9"}
    )
    assert response.status_code == 422
    assert 'id="id_was_resolved_error"' in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == "verified"


def test_other_resident_and_anonymous_cannot_rate(world, actor_of, en):
    appeal = make_verified(world, actor_of)
    other = signed_in(world.resident2)
    assert "Send my rating" not in other.get(f"/track/{appeal.tracking_code}").content.decode()
    response = other.post(
        f"/track/{appeal.tracking_code}/revisit", {"satisfaction": "5", "was_resolved": "yes"}
    )
    assert response.status_code == 403
    anonymous = en.post(
        f"/track/{appeal.tracking_code}/revisit", {"satisfaction": "5", "was_resolved": "yes"}
    )
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    appeal.refresh_from_db()
    assert appeal.status == "verified" and appeal.satisfaction is None


# --- My appeal and its photos ----------------------------------------------------------------------


def test_my_appeal_shows_everything_to_its_reporter(world, actor_of):
    appeal = make_appeal(world, actor_of, reporter_phone="13812341234")
    photo = services.appeal_add_photo(
        actor=actor_of(world.resident), appeal=appeal, content=image_bytes("PNG")
    )
    page = signed_in(world.resident).get(f"/mine/{appeal.pk}").content.decode()
    assert "秘密描述" in page and "和平路12号" in page and "13812341234" in page
    assert f"/mine/{appeal.pk}/photos/{photo.pk}" in page


def test_my_appeal_of_someone_else_is_404(world, actor_of):
    appeal = make_appeal(world, actor_of)
    assert signed_in(world.resident2).get(f"/mine/{appeal.pk}").status_code == 404
    # Staff who may see the appeal in the workbench still have no "mine" page for it.
    assert signed_in(world.dispatcher).get(f"/mine/{appeal.pk}").status_code == 404
    assert Client().get(f"/mine/{appeal.pk}").status_code == 302  # sign in first


def test_photo_view_checks_permission(world, actor_of):
    appeal = make_appeal(world, actor_of)
    content = image_bytes("PNG")
    photo = services.appeal_add_photo(
        actor=actor_of(world.resident), appeal=appeal, content=content
    )
    url = f"/mine/{appeal.pk}/photos/{photo.pk}"
    response = signed_in(world.resident).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == content
    assert "private" in response["Cache-Control"]
    assert signed_in(world.resident2).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    other = make_appeal(world, actor_of)
    assert signed_in(world.resident).get(f"/mine/{other.pk}/photos/{photo.pk}").status_code == 404
