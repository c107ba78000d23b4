"""Photo uploads are judged by their content, not their name: real JPEG, PNG and WebP pass;
anything else, anything too big and anything beyond the count is refused before a row or a file
is written."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from PIL import Image

from suqiu.appeals import services
from suqiu.appeals.models import Appeal, AppealEvent, AppealPhoto
from suqiu.appeals.tests.chain import actor, bring_to, new_appeal
from suqiu.appeals.workflow import InvalidTransition
from suqiu.core.errors import ValidationFailed
from suqiu.core.testing import G1_POINT

pytestmark = pytest.mark.django_db


def image_bytes(fmt: str, size=(64, 48), mode="RGB") -> bytes:
    """A small but real picture (a gradient, so the encoders have something to encode)."""
    img = Image.new(mode, size)
    img.putdata(
        [((x * 4) % 256, (y * 5) % 256, 128) for y in range(size[1]) for x in range(size[0])]
    )
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims the given size: signature, IHDR and IEND, no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def files_in_media() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def small_limits(settings):
    settings.SUQIU = {**settings.SUQIU, "PHOTO_MAX_BYTES": 20_000, "PHOTO_MAX_COUNT": 2}


@pytest.mark.parametrize(
    "fmt,content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_real_images_are_accepted(world, fmt, content_type):
    appeal = new_appeal(world)
    content = image_bytes(fmt)
    photo = services.appeal_add_photo(actor=actor(world.resident), appeal=appeal, content=content)
    photo = AppealPhoto.objects.get(pk=photo.pk)
    assert photo.appeal_id == appeal.pk
    assert photo.content_type == content_type
    assert (photo.width, photo.height) == (64, 48)
    assert photo.size == len(content)
    assert photo.sha256 == hashlib.sha256(content).hexdigest()
    assert photo.uploaded_by == world.resident
    stored = Path(photo.file.path)
    assert stored.read_bytes() == content
    assert stored.suffix == "." + photo.extension
    assert str(stored).startswith(str(django_settings.MEDIA_ROOT))
    event = AppealEvent.objects.filter(appeal=appeal).last()
    assert event.kind == "photo_added"
    assert event.data["photo_id"] == photo.pk


def _truncated(fmt: str) -> bytes:
    data = image_bytes(fmt, size=(200, 150))
    return data[: len(data) // 2]


def _jpeg_named_text() -> bytes:
    return "这不是图片，只是改了扩展名的文本.jpg".encode()


BAD = {
    "text named .jpg": (_jpeg_named_text, "invalid_photo"),
    "empty": (lambda: b"", "invalid_photo"),
    "truncated PNG": (lambda: _truncated("PNG"), "invalid_photo"),
    "truncated JPEG": (lambda: _truncated("JPEG"), "invalid_photo"),
    "truncated WebP": (lambda: _truncated("WEBP"), "invalid_photo"),
    "GIF": (lambda: _gif(), "invalid_photo"),
    "BMP": (lambda: image_bytes("BMP"), "invalid_photo"),
    "JPEG header then garbage": (
        lambda: image_bytes("JPEG")[:200] + b"\x00" * 2000,
        "invalid_photo",
    ),
    "too many pixels": (lambda: png_header_only(10_000, 7_000), "photo_too_large"),
    "decompression bomb": (lambda: png_header_only(20_000, 20_000), "photo_too_large"),
}


def _gif() -> bytes:
    buf = io.BytesIO()
    Image.new("P", (10, 10)).save(buf, format="GIF")
    return buf.getvalue()


@pytest.mark.parametrize("name", list(BAD))
def test_bad_files_are_refused_without_a_trace(world, name):
    make, code = BAD[name]
    appeal = new_appeal(world)
    events = AppealEvent.objects.count()
    with pytest.raises(ValidationFailed) as info:
        services.appeal_add_photo(actor=actor(world.resident), appeal=appeal, content=make())
    assert info.value.code == code
    assert "photos" in info.value.fields
    assert AppealPhoto.objects.count() == 0
    assert AppealEvent.objects.count() == events
    assert files_in_media() == []


def test_an_oversized_photo_is_refused(world, small_limits):
    appeal = new_appeal(world)
    noise = Image.frombytes("RGB", (200, 150), os.urandom(200 * 150 * 3))
    buf = io.BytesIO()
    noise.save(buf, format="PNG")
    big = buf.getvalue()
    assert len(big) > 20_000
    with pytest.raises(ValidationFailed) as info:
        services.appeal_add_photo(actor=actor(world.resident), appeal=appeal, content=big)
    assert info.value.code == "photo_too_large"
    assert AppealPhoto.objects.count() == 0
    assert files_in_media() == []


def test_no_more_than_the_maximum_number_of_photos(world, small_limits):
    appeal = new_appeal(world)
    for fmt in ("PNG", "JPEG"):
        services.appeal_add_photo(
            actor=actor(world.resident), appeal=appeal, content=image_bytes(fmt)
        )
    files_before = sorted(files_in_media())
    with pytest.raises(ValidationFailed) as info:
        services.appeal_add_photo(
            actor=actor(world.resident), appeal=appeal, content=image_bytes("WEBP")
        )
    assert info.value.code == "too_many_photos"
    assert AppealPhoto.objects.filter(appeal=appeal).count() == 2
    assert sorted(files_in_media()) == files_before


def test_no_photos_on_a_finished_appeal(world):
    appeal = bring_to(world, "rejected")
    with pytest.raises(InvalidTransition):
        services.appeal_add_photo(
            actor=actor(world.resident), appeal=appeal, content=image_bytes("PNG")
        )
    assert files_in_media() == []


def test_a_failure_after_the_file_was_written_leaves_no_file(world, monkeypatch):
    appeal = new_appeal(world)

    def broken_event(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_event", broken_event)
    with pytest.raises(RuntimeError):
        services.appeal_add_photo(
            actor=actor(world.resident), appeal=appeal, content=image_bytes("PNG")
        )
    assert AppealPhoto.objects.count() == 0
    assert files_in_media() == []


# --- Intake with photos: all or nothing ---------------------------------------------------------


def _input(**kw):
    return services.AppealInput(
        title="垃圾堆积", description="小区门口垃圾三天没清", lat=G1_POINT[0], lon=G1_POINT[1], **kw
    )


def test_intake_with_photos(world):
    photos = [image_bytes("JPEG"), image_bytes("PNG")]
    appeal = services.appeal_create_with_photos(
        actor=actor(world.resident), data=_input(), photos=photos
    )
    stored = list(AppealPhoto.objects.filter(appeal=appeal).order_by("id"))
    assert [p.content_type for p in stored] == ["image/jpeg", "image/png"]
    assert len(files_in_media()) == 2
    assert appeal.grid == world.g1


@pytest.mark.parametrize("bad", ["text named .jpg", "truncated JPEG", "GIF"])
def test_intake_with_one_bad_photo_creates_nothing(world, bad):
    photos = [image_bytes("JPEG"), BAD[bad][0](), image_bytes("PNG")]
    with pytest.raises(ValidationFailed):
        services.appeal_create_with_photos(
            actor=actor(world.resident), data=_input(), photos=photos
        )
    assert Appeal.objects.count() == 0
    assert AppealPhoto.objects.count() == 0
    assert AppealEvent.objects.count() == 0
    assert files_in_media() == []


def test_intake_with_too_many_photos_creates_nothing(world, small_limits):
    photos = [image_bytes("JPEG")] * 3
    with pytest.raises(ValidationFailed) as info:
        services.appeal_create_with_photos(
            actor=actor(world.resident), data=_input(), photos=photos
        )
    assert info.value.code == "too_many_photos"
    assert Appeal.objects.count() == 0
    assert files_in_media() == []


def test_intake_with_photos_and_invalid_fields_creates_nothing(world):
    with pytest.raises(ValidationFailed) as info:
        services.appeal_create_with_photos(
            actor=actor(world.resident),
            data=services.AppealInput(title="", description="x"),
            photos=[image_bytes("PNG")],
        )
    assert "title" in info.value.fields
    assert Appeal.objects.count() == 0
    assert files_in_media() == []


def test_intake_failing_after_files_were_written_leaves_no_file(world, monkeypatch):
    real_save = AppealPhoto.save
    calls = []

    def second_save_fails(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("crash while saving the second photo")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(AppealPhoto, "save", second_save_fails)
    with pytest.raises(RuntimeError):
        services.appeal_create_with_photos(
            actor=actor(world.resident),
            data=_input(),
            photos=[image_bytes("PNG"), image_bytes("JPEG")],
        )
    assert Appeal.objects.count() == 0
    assert files_in_media() == []
