"""Every write to an appeal. The one write path for web, API, Open311, import, sensors and worker.

Each public function is keyword-only and typed, named ``appeal_<action>``. A transition locks the
appeal row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite transactions take the write lock at
BEGIN), asks ``workflow.check`` whether the actor may take the action now, changes the row and
appends an ``AppealEvent``, all in one transaction. Two people accepting or claiming the same
appeal at once: the second waits for the first to commit, then finds the status changed and gets
``invalid_transition``.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from suqiu.appeals import workflow
from suqiu.appeals.models import (
    URGENCY_RANK,
    Appeal,
    AppealEvent,
    AppealPhoto,
    Channel,
    EventKind,
    IdempotencyKey,
    Urgency,
)
from suqiu.appeals.tracking import new_tracking_code
from suqiu.appeals.workflow import Action, AppealFacts, Status
from suqiu.core import clock
from suqiu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from suqiu.core.ids import as_id
from suqiu.core.rows import insert_row, insert_rows
from suqiu.directory import snapshot
from suqiu.directory.access import PHONE_REVEAL_ROLES, SYSTEM, Actor
from suqiu.directory.geo import resolve_grid, validate_latlon
from suqiu.directory.models import Category, Organisation, OrgKind, User
from suqiu.timelimits import due as timelimits_due

TITLE_MAX = 120
DESCRIPTION_MAX = 4000
TEXT_MAX = 2000


# --- Input -----------------------------------------------------------------------------------------


@dataclass
class AppealInput:
    """What intake needs; adapters fill it from forms, JSON, Open311 or import rows."""

    title: str
    description: str
    channel: str = Channel.WEB
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    category: str | int | None = None  # id or code
    urgency: str = Urgency.NORMAL
    reporter_name: str = ""
    reporter_phone: str = ""
    is_anonymous: bool = False
    area: int | None = None  # organisation id, when the place is known only as an area
    client_name: str = ""
    created_at: datetime | None = None  # imports keep their original times


def _validate_input(data: AppealInput) -> tuple[Category | None, Organisation | None]:
    errors: dict[str, list[str]] = {}
    title = (data.title or "").strip()
    description = (data.description or "").strip()
    if not title:
        errors["title"] = [_("This field is required.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("At most %(n)d characters.") % {"n": TITLE_MAX}]
    if not description:
        errors["description"] = [_("This field is required.")]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("At most %(n)d characters.") % {"n": DESCRIPTION_MAX}]
    if data.channel not in Channel.values:
        errors["channel"] = [
            _("Unknown channel; one of %(choices)s.") % {"choices": ", ".join(Channel.values)}
        ]
    if data.urgency not in Urgency.values:
        errors["urgency"] = [
            _("Unknown urgency; one of %(choices)s.") % {"choices": ", ".join(Urgency.values)}
        ]
    if len(data.address or "") > 255:
        errors["address"] = [_("At most 255 characters.")]
    if len(data.reporter_name or "") > 80:
        errors["reporter_name"] = [_("At most 80 characters.")]
    phone = (data.reporter_phone or "").strip()
    if phone and (
        len(phone) > 32
        or not all(ch in "0123456789+- " for ch in phone)
        or sum(ch in "0123456789" for ch in phone) < 5
    ):
        errors["reporter_phone"] = [_("Not a phone number.")]
    try:
        validate_latlon(data.lat, data.lon)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    category = None
    if data.category not in (None, ""):
        category = _find_category(data.category)
        if category is None:
            errors["category"] = [_("Unknown category.")]
    area = None
    if data.area is not None:
        area = Organisation.objects.filter(
            pk=data.area, kind__in=[OrgKind.DISTRICT, OrgKind.STREET, OrgKind.COMMUNITY]
        ).first()
        if area is None:
            errors["area"] = [_("Unknown area.")]
    if errors:
        raise ValidationFailed(_("The appeal is not valid."), fields=errors)
    return category, area


def _find_category(value: str | int) -> Category | None:
    """An active category by id or code (from the process's directory snapshot: this runs on
    every intake; see ``directory.snapshot``)."""
    return snapshot.active_category(value)


def default_area() -> Organisation:
    """Where an appeal with no known place lands: the top area (the district)."""
    area = snapshot.default_area()
    if area is None:
        raise ValidationFailed(
            _("No district is configured; create one in the admin first."), code="not_configured"
        )
    return area


# --- Events ------------------------------------------------------------------------------------------


def _actor_label(actor: Actor) -> str:
    """Who did it, as the timeline shows it: the person, the public (not signed in) or the system."""
    if actor.label:
        return actor.label
    return "public" if "anonymous" in actor.roles else "system"


def _event(appeal: Appeal, *, at: datetime | None = None, **fields: Any) -> AppealEvent:
    """Write one event (``_event_row``'s fields; ``at`` defaults to now). Append-only: a plain
    INSERT (``core.rows``), never a save of an existing row."""
    return insert_row(_event_row(appeal, at=at or clock.now(), **fields))


def _event_row(
    appeal: Appeal,
    *,
    kind: str,
    actor: Actor,
    at: datetime,
    from_status: str = "",
    to_status: str = "",
    reason: str = "",
    public_text: str = "",
    is_public: bool = False,
    data: dict | None = None,
) -> AppealEvent:
    """An event not yet written: ``_event`` inserts one, the bulk writers many at once."""
    return AppealEvent(
        appeal=appeal,
        kind=kind,
        actor_id=actor.user_id,
        actor_label=_actor_label(actor),
        created_at=at,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        public_text=public_text,
        is_public=is_public,
        data=data or {},
    )


# --- Intake ------------------------------------------------------------------------------------------


def appeal_create(*, actor: Actor, data: AppealInput) -> Appeal:
    """Receive an appeal: tracking code at once, grid and area from the point, event ``created``."""
    category, area = _validate_input(data)
    return _retrying_code_clash(
        lambda: _create_row(actor=actor, data=data, category=category, area=area)
    )


CREATE_ATTEMPTS = 3


def _retrying_code_clash(create):
    """Run ``create`` in one transaction; should its insert draw a tracking code that already
    exists (astronomically rare: see tracking.py), roll back and run it again with a new code.

    Cheaper than a savepoint around every insert (two round trips on each intake), and the
    whole creation stays one transaction. Other integrity errors pass through."""
    for attempt in range(CREATE_ATTEMPTS):
        try:
            with transaction.atomic():
                return create()
        except IntegrityError as exc:
            if attempt == CREATE_ATTEMPTS - 1 or "tracking_code" not in str(exc):
                raise
    raise AssertionError("unreachable")


def _create_row(
    *,
    actor: Actor,
    data: AppealInput,
    category: Category | None,
    area: Organisation | None,
) -> Appeal:
    """Insert the appeal and its ``created`` event and run the intake hooks. Callers run it
    through ``_retrying_code_clash``, which owns the transaction."""
    grid = resolve_grid(data.lat, data.lon)
    if grid is not None:
        area = grid.community
    elif area is None:
        area = default_area()
    now = data.created_at or clock.now()
    if timezone.is_naive(now):
        # Imported times without a zone are local times of the deployment.
        now = timezone.make_aware(now)
    reporter = None
    name, phone = (data.reporter_name or "").strip(), (data.reporter_phone or "").strip()
    if actor.user_id is not None and actor.roles <= {"resident"}:
        reporter = User.objects.only(
            "id", "display_name", "first_name", "last_name", "username", "phone"
        ).get(pk=actor.user_id)
        name = name or str(reporter)
        phone = phone or reporter.phone
    if data.is_anonymous:
        name, phone = "", ""
    appeal = Appeal(
        channel=data.channel,
        client_name=data.client_name[:80],
        reporter=reporter,
        reporter_name=name[:80],
        reporter_phone=phone,
        is_anonymous=data.is_anonymous,
        submitted_by_id=actor.user_id if reporter is None else None,
        title=data.title.strip(),
        description=data.description.strip(),
        lat=data.lat,
        lon=data.lon,
        address=(data.address or "").strip(),
        grid=grid,
        area=area,
        area_path=area.path,
        category=category,
        urgency=data.urgency,
        urgency_rank=URGENCY_RANK[Urgency(data.urgency)],
        status=Status.RECEIVED,
        created_at=now,
        updated_at=now,
    )
    # The dispatch stage's clock starts at reception (suqiu/timelimits/due.py); set before the
    # insert, so intake hooks see the due time.
    due_data = timelimits_due.on_create(appeal, now=now)
    # The caller retries the whole transaction on a code clash (``_retrying_code_clash``).
    appeal.tracking_code = new_tracking_code()
    insert_row(appeal)
    created = _event(
        appeal,
        kind=EventKind.CREATED,
        actor=actor,
        to_status=Status.RECEIVED,
        is_public=True,
        at=now,
        data={"channel": data.channel, "grid": grid.code if grid else None, **due_data},
    )
    # A new appeal has no co-handlers: record that as prefetched, so presenting it right away
    # (``facts_of``, ``co_handlers.all()``) needs no query. ``co_handlers.set()`` clears it.
    appeal._prefetched_objects_cache = {"co_handlers": Organisation.objects.none()}
    if _AFTER_CREATE:
        _run_after_create(appeal, created, actor)
    return appeal


def _run_after_create(appeal: Appeal, created: AppealEvent, actor: Actor) -> None:
    acted: set[int] = set()
    token = _ACTED_ON.set(acted)
    try:
        for _order, hook in _AFTER_CREATE:
            hook(appeal=appeal, event=created, actor=actor)
            if appeal.pk in acted:
                # The hook acted on the appeal (``appeal_act`` works on its own copy of the row):
                # later hooks and the caller get the appeal as it now is.
                acted.clear()
                appeal.refresh_from_db()
                appeal._prefetched_objects_cache = {}
    finally:
        _ACTED_ON.reset(token)


# While intake hooks run: the ids ``appeal_act`` changed, so the new appeal is reloaded after a
# hook that acted on it.
_ACTED_ON: ContextVar[set[int] | None] = ContextVar("suqiu_acted_on", default=None)


# Other apps' work at intake that must commit or roll back with the new appeal (duplicate check,
# triage suggestions, the reporter's notification...): registered from ``AppConfig.ready`` with an
# order (lower runs first), called inside the creating transaction after the ``created`` event, as
# ``hook(appeal=, event=, actor=)``. A hook may act on the appeal through ``appeal_act`` (the
# system actor auto-merging an exact repeat, say): the appeal is then reloaded before the next
# hook and for the caller. Later hooks should check ``appeal.status``.
# An exception in a hook rolls the intake back. Imported history (``channel`` import) runs none.
_AFTER_CREATE: list[tuple[int, Callable[..., None]]] = []


def register_after_create(hook: Callable[..., None], *, order: int = 50) -> None:
    """Run ``hook`` in the transaction of every new appeal (once per hook)."""
    if any(h is hook for _o, h in _AFTER_CREATE):
        return
    _AFTER_CREATE.append((order, hook))
    _AFTER_CREATE.sort(key=lambda pair: pair[0])


def appeal_create_idempotent(
    *, actor: Actor, data: AppealInput, owner: str, key: str, request_hash: str
) -> tuple[Appeal, bool]:
    """Create once per (owner, key). The same key with the same body returns the first appeal
    (``created`` False); with another body it is a 409 ``idempotency_key_reused``."""
    if not key or len(key) > 128:
        raise ValidationFailed(
            _("Idempotency-Key must be 1 to 128 characters."),
            code="invalid_idempotency_key",
            fields={"Idempotency-Key": [_("1 to 128 characters.")]},
        )
    existing = _existing_idempotent(owner, key, request_hash)
    if existing is not None:
        return existing, False
    category, area = _validate_input(data)

    def create() -> Appeal:
        appeal = _create_row(actor=actor, data=data, category=category, area=area)
        IdempotencyKey.objects.create(
            owner=owner, key=key, request_hash=request_hash, appeal=appeal
        )
        return appeal

    try:
        appeal = _retrying_code_clash(create)
    except IntegrityError:
        # Another request with the same key committed first: the whole transaction rolled back,
        # so our appeal row does not exist; answer with theirs.
        existing = _existing_idempotent(owner, key, request_hash)
        if existing is None:
            raise
        return existing, False
    return appeal, True


def _existing_idempotent(owner: str, key: str, request_hash: str) -> Appeal | None:
    record = IdempotencyKey.objects.filter(owner=owner, key=key).select_related("appeal").first()
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise Conflict(
            _("This Idempotency-Key was already used with a different request body."),
            code="idempotency_key_reused",
        )
    return record.appeal


# --- Photos -------------------------------------------------------------------------------------------

ALLOWED_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def validate_photo(content: bytes, *, field: str = "photos") -> tuple[str, int, int]:
    """Check size and real content (decoded by Pillow, not trusted from the file name or header)."""
    from PIL import Image

    limit = settings.SUQIU["PHOTO_MAX_BYTES"]
    if len(content) == 0:
        raise ValidationFailed(
            _("The photo is empty."), code="invalid_photo", fields={field: [_("Empty file.")]}
        )
    if len(content) > limit:
        raise ValidationFailed(
            _("The photo is too large."),
            code="photo_too_large",
            fields={field: [_("At most %(n)d MB.") % {"n": limit // (1024 * 1024)}]},
        )
    not_an_image = ValidationFailed(
        _("The file is not an image."),
        code="invalid_photo",
        fields={field: [_("Only JPEG, PNG or WebP images.")]},
    )
    too_many_pixels = ValidationFailed(
        _("The image is too large."),
        code="photo_too_large",
        fields={field: [_("Image dimensions too large.")]},
    )
    # Pillow raises many types for hostile input (IndexError, struct.error, ...): any failure to
    # read the header or decode the pixels means "not an image we accept".
    try:
        with Image.open(io.BytesIO(content)) as img:
            fmt = img.format
            width, height = img.size
    except Image.DecompressionBombError as exc:
        raise too_many_pixels from exc
    except Exception as exc:  # noqa: BLE001
        raise not_an_image from exc
    if fmt not in ALLOWED_IMAGE_FORMATS:
        raise ValidationFailed(
            _("Unsupported image type."),
            code="invalid_photo",
            fields={field: [_("Only JPEG, PNG or WebP images.")]},
        )
    # Checked before decoding anything, so a small file claiming huge dimensions costs nothing.
    if width * height > 60_000_000:
        raise too_many_pixels
    try:
        with Image.open(io.BytesIO(content)) as img:
            img.verify()
        # verify() checks PNG chunk checksums but hardly anything in JPEG or WebP: decode the
        # pixels so a truncated or corrupt file is refused too (JPEG at 1/8 scale, still reading
        # the whole stream).
        with Image.open(io.BytesIO(content)) as img:
            if fmt == "JPEG":
                img.draft(img.mode, (max(1, width // 8), max(1, height // 8)))
            img.load()
    except Image.DecompressionBombError as exc:
        raise too_many_pixels from exc
    except Exception as exc:  # noqa: BLE001
        raise not_an_image from exc
    return ALLOWED_IMAGE_FORMATS[fmt], width, height


def appeal_add_photo(*, actor: Actor, appeal: Appeal, content: bytes) -> AppealPhoto:
    """Attach a validated photo; validation happens before any row or file is written."""
    content_type, width, height = validate_photo(content)
    with _files_removed_on_error() as written, transaction.atomic():
        locked = Appeal.objects.select_for_update(no_key=True).get(pk=appeal.pk)
        if locked.status in workflow.TERMINAL:
            raise workflow.InvalidTransition(_("Photos cannot be added to a finished appeal."))
        if locked.photos.count() >= settings.SUQIU["PHOTO_MAX_COUNT"]:
            raise ValidationFailed(
                _("Too many photos."),
                code="too_many_photos",
                fields={
                    "photos": [
                        ngettext(
                            "At most %(n)d photo.",
                            "At most %(n)d photos.",
                            settings.SUQIU["PHOTO_MAX_COUNT"],
                        )
                        % {"n": settings.SUQIU["PHOTO_MAX_COUNT"]}
                    ]
                },
            )
        digest = hashlib.sha256(content).hexdigest()
        photo = AppealPhoto(
            appeal=locked,
            content_type=content_type,
            size=len(content),
            width=width,
            height=height,
            sha256=digest,
            uploaded_by_id=actor.user_id,
        )
        photo.file.save("photo", ContentFile(content), save=False)
        written.append(photo.file)
        photo.save()
        _event(
            locked,
            kind=EventKind.PHOTO_ADDED,
            actor=actor,
            data={"photo_id": photo.pk, "size": len(content), "content_type": content_type},
        )
    return photo


@contextmanager
def _files_removed_on_error():
    """Collects stored files; if the block fails (and its transaction rolls back), deletes them,
    so a failed upload leaves no orphan file in MEDIA_ROOT."""
    written: list = []
    try:
        yield written
    except BaseException:
        for stored in written:
            try:
                stored.storage.delete(stored.name)
            except OSError:
                pass
        raise


def appeal_create_with_photos(*, actor: Actor, data: AppealInput, photos: list[bytes]) -> Appeal:
    """Intake with photos in one transaction: a bad photo means no appeal at all."""
    max_count = settings.SUQIU["PHOTO_MAX_COUNT"]
    if len(photos) > max_count:
        raise ValidationFailed(
            _("Too many photos."),
            code="too_many_photos",
            fields={
                "photos": [
                    ngettext("At most %(n)d photo.", "At most %(n)d photos.", max_count)
                    % {"n": max_count}
                ]
            },
        )
    checked = [validate_photo(p) for p in photos]
    category, area = _validate_input(data)
    with _files_removed_on_error() as written:

        def create() -> Appeal:
            # A code clash fails at the appeal's insert, before any photo file is written.
            appeal = _create_row(actor=actor, data=data, category=category, area=area)
            for content, (content_type, width, height) in zip(photos, checked, strict=True):
                photo = AppealPhoto(
                    appeal=appeal,
                    content_type=content_type,
                    size=len(content),
                    width=width,
                    height=height,
                    sha256=hashlib.sha256(content).hexdigest(),
                    uploaded_by_id=actor.user_id,
                )
                photo.file.save("photo", ContentFile(content), save=False)
                written.append(photo.file)
                photo.save()
            return appeal

        return _retrying_code_clash(create)


# --- The work chain ---------------------------------------------------------------------------------


def facts_of(appeal: Appeal) -> AppealFacts:
    """The snapshot ``workflow`` decides on. Co-handler ids need one query, unless prefetched
    (``prefetch_related("co_handlers")``, or a just-created appeal)."""
    prefetched = getattr(appeal, "_prefetched_objects_cache", {}).get("co_handlers")
    if prefetched is not None:
        # A just-created appeal carries ``none()``: no query to run, none to even compile.
        empty = getattr(getattr(prefetched, "query", None), "is_empty", lambda: False)()
        co = frozenset() if empty else frozenset(o.pk for o in prefetched)
    elif appeal.pk:
        co = frozenset(appeal.co_handlers.values_list("id", flat=True))
    else:
        co = frozenset()
    return AppealFacts(
        status=Status(appeal.status),
        area_path=appeal.area_path,
        reporter_id=appeal.reporter_id,
        lead_organisation_id=appeal.lead_organisation_id,
        lead_person_id=appeal.lead_person_id,
        co_handler_org_ids=co,
        claimed_by_id=appeal.claimed_by_id,
        is_claimable=appeal.is_claimable,
        resolved_by_id=appeal.resolved_by_id,
        suspended_from=Status(appeal.suspended_from) if appeal.suspended_from else None,
        extension_pending=appeal.extension_requested_until is not None,
    )


def _may_address(actor: Actor, appeal: Appeal, action: Action) -> bool:
    """Whether the actor may act on this appeal at all: it is visible to them, or it is a task
    in the library a claimer may try to claim (claimers see a task only after claiming it). The system
    (worker duties) may address any appeal."""
    if actor.user_id is None and "system" in actor.roles:
        return True
    if action is Action.CLAIM and actor.roles & {"social_worker", "volunteer"}:
        # The task library is open to claimers; one who comes second learns "already claimed".
        if appeal.status == Status.QUEUED or appeal.claimed_by_id is not None:
            return True
    from suqiu.appeals.selectors import visible_q

    return Appeal.objects.filter(visible_q(actor), pk=appeal.pk).exists()


def _appeal_ref(value: Any) -> tuple[str, Any]:
    """An appeal named by id or tracking code: ``("pk", id)``, ``("code", code)`` or
    ``("", None)`` when ``value`` names none (true/false, a list, an id out of range...)."""
    from suqiu.appeals.tracking import normalise_code

    if as_id(value) is not None:
        return "pk", as_id(value)
    if isinstance(value, str) and not value.strip().isdigit() and normalise_code(value):
        return "code", normalise_code(value)
    return "", None


def _lock_for_merge(appeal_id: int, into: Any) -> None:
    """Lock both appeals of a merge in id order, so two opposite merges at the same moment
    queue behind each other instead of deadlocking."""

    other = None
    kind, ref = _appeal_ref(into)
    if kind == "pk":
        other = ref
    elif kind == "code":
        other = Appeal.objects.filter(tracking_code=ref).values_list("pk", flat=True).first()
    ids = sorted({appeal_id, other} - {None})
    list(
        Appeal.objects.select_for_update(no_key=True)
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _lock(appeal_id: int) -> Appeal:
    try:
        return Appeal.objects.select_for_update(no_key=True).get(pk=appeal_id)
    except Appeal.DoesNotExist:
        raise NotFound(_("No such appeal.")) from None


def _save(appeal: Appeal, *, now: datetime) -> None:
    appeal.updated_at = now
    appeal.version += 1
    appeal.save()


def _text(
    payload: dict, name: str, *, required: bool, max_len: int = TEXT_MAX, errors: dict
) -> str:
    value = payload.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = [_("Must be text.")]
        return ""
    value = value.strip()
    if required and not value:
        errors[name] = [_("This field is required.")]
    elif len(value) > max_len:
        errors[name] = [_("At most %(n)d characters.") % {"n": max_len}]
    return value


def _int(
    payload: dict,
    name: str,
    *,
    required: bool,
    errors: dict,
    lo: int | None = None,
    hi: int | None = None,
) -> int | None:
    value = payload.get(name)
    if value in (None, ""):
        if required:
            errors[name] = [_("This field is required.")]
        return None
    if isinstance(value, bool):
        errors[name] = [_("Must be a whole number.")]
        return None
    if isinstance(value, float):
        # 4.9 stars is not 4, and 1e400 is no number (an OverflowError at int()).
        if not (math.isfinite(value) and value.is_integer()):
            errors[name] = [_("Must be a whole number.")]
            return None
        value = int(value)
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        errors[name] = [_("Must be a whole number.")]
        return None
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        errors[name] = [_("Must be between %(lo)s and %(hi)s.") % {"lo": lo, "hi": hi}]
    return number


def _bool(payload: dict, name: str, *, required: bool, errors: dict, default: bool = False) -> bool:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            errors[name] = [_("This field is required.")]
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "1", "yes", "on"}:
        return True
    if isinstance(value, str) and value.lower() in {"false", "0", "no", "off"}:
        return False
    errors[name] = [_("Must be true or false.")]
    return default


def _int_list(payload: dict, name: str, *, errors: dict) -> list[int]:
    value = payload.get(name) or []
    if isinstance(value, (str, int)):
        value = [v for v in str(value).split(",") if v.strip()]
    if not isinstance(value, (list, tuple)):
        errors[name] = [_("Must be a list of ids.")]
        return []
    out = [as_id(v) for v in value]
    if None in out:  # not a whole number, or none a database can hold (0, 10**20, true)
        errors[name] = [_("Must be a list of ids.")]
        return []
    return out


def _raise_if(errors: dict) -> None:
    if errors:
        raise ValidationFailed(_("The request is not valid."), fields=errors)


def appeal_act(
    *,
    actor: Actor,
    appeal_id: int,
    action: str,
    payload: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
) -> Appeal:
    """Take one work-chain action by name. Payload fields depend on the action (see ``ACTION_INPUTS``).

    ``context`` is what the calling code (never a user's payload) records about why it acted,
    kept in the event's data under ``"context"``: triage's model version and confidence when it
    dispatches by itself, say.

    Validation errors are raised before anything is written; the action itself runs in one
    transaction with its event.
    """
    act = workflow.parse_action(action)
    if payload is not None and not isinstance(payload, dict):
        # dict("text") or dict([1, 2]) would raise a bare ValueError/TypeError (a 500).
        raise ValidationFailed(_("The body must be a JSON object."))
    payload = dict(payload or {})
    handler = _HANDLERS[act]
    with transaction.atomic():
        if act is Action.MERGE:
            _lock_for_merge(appeal_id, payload.get("into"))
        appeal = _lock(appeal_id)
        if not _may_address(actor, appeal, act):
            # Not visible is indistinguishable from absent: no status leaks through a 409.
            raise NotFound(_("No such appeal."))
        target = workflow.check(act, facts_of(appeal), actor)
        now = clock.now()
        before = appeal.status
        event = handler(appeal=appeal, actor=actor, payload=payload, target=target, now=now)
        # A handler may choose among targets the rule allows (revisit: closed or rework).
        target = event.pop("to_status", target)
        appeal.status = target
        # The clock: a new stage, a pause, an extension (suqiu/timelimits/due.py). Its changes
        # go into this action's event data ({"due_at", "old_due_at", "stage"}).
        due_data = timelimits_due.on_action(
            appeal,
            action=act.value,
            before=before,
            now=now,
            actor_is_system=workflow.is_system(actor),
            event_data=event.get("data") or {},
        )
        if due_data:
            event["data"] = {**(event.get("data") or {}), **due_data}
        if context:
            event["data"] = {**(event.get("data") or {}), "context": context}
        _save(appeal, now=now)
        recorded = _event(
            appeal, actor=actor, from_status=before, to_status=target, at=now, **event
        )
        for hook in _AFTER_ACTION.get(act, ()):
            hook(appeal=appeal, event=recorded, actor=actor)
        acted = _ACTED_ON.get()
        if acted is not None:
            acted.add(appeal.pk)
    return appeal


def appeal_assess_and_dispatch(
    *, actor: Actor, appeal_id: int, assess: dict[str, Any], dispatch: dict[str, Any]
) -> Appeal:
    """Assess and dispatch in one step (the triage card's "assess and dispatch to ..."): two
    ``appeal_act`` calls, each with its checks and its event, in one transaction, so a refused
    dispatch leaves the appeal as it was, not assessed."""
    with transaction.atomic():
        appeal_act(actor=actor, appeal_id=appeal_id, action="assess", payload=assess)
        return appeal_act(actor=actor, appeal_id=appeal_id, action="dispatch", payload=dispatch)


# Other apps' work that must commit or roll back with an action (an outbox row, for instance):
# registered explicitly from their ``AppConfig.ready``, called inside ``appeal_act``'s
# transaction after the event is written, as ``hook(appeal=, event=, actor=)``. An exception in a
# hook rolls the whole action back. Not Django signals: the list is here to read.
_AFTER_ACTION: dict[Action, list[Callable[..., None]]] = {}


def register_after_action(action: Action | str, hook: Callable[..., None]) -> None:
    """Run ``hook`` in the transaction of every ``action`` (once per hook, however often
    registered)."""
    hooks = _AFTER_ACTION.setdefault(Action(action), [])
    if hook not in hooks:
        hooks.append(hook)


def appeal_record_external(
    *,
    appeal_id: int,
    data: dict[str, Any],
    reason: str = "",
    public_text: str = "",
    actor: Actor = SYSTEM,
) -> AppealEvent:
    """Append a note about something that happened outside Suqiu (an upstream system's answer):
    no status change, kind ``note`` with ``data["source"]`` naming the outside system.
    ``public_text`` (when given) is shown on the public tracking page."""
    if not data.get("source"):
        raise ValueError("data['source'] names the outside system")
    with transaction.atomic():
        appeal = _lock(appeal_id)
        now = clock.now()
        _save(appeal, now=now)
        return _event(
            appeal,
            kind=EventKind.NOTE,
            actor=actor,
            from_status=appeal.status,
            to_status=appeal.status,
            reason=reason[:TEXT_MAX],
            public_text=public_text[:TEXT_MAX],
            is_public=bool(public_text),
            data=data,
            at=now,
        )


def appeal_flag_urgency(
    *,
    appeal_id: int,
    urgency: str,
    reason: str = "",
    data: dict | None = None,
    actor: Actor = SYSTEM,
) -> Appeal:
    """Raise an open appeal's urgency without assessing it (triage's urgency detection at intake),
    so it moves up its queue now and its running stage gets the urgency's time limit; event
    ``urgency_raised`` (with the due-time keys when the due time moved). Only the system; never
    lowers."""
    if not workflow.is_system(actor):
        raise PermissionDenied(_("Only the system raises urgency outside an assessment."))
    if urgency not in Urgency.values:
        raise ValidationFailed(
            _("The request is not valid."),
            fields={"urgency": [_("One of %(choices)s.") % {"choices": ", ".join(Urgency.values)}]},
        )
    with transaction.atomic():
        appeal = _lock(appeal_id)
        if appeal.status in workflow.TERMINAL:
            raise workflow.InvalidTransition(
                _("This action does not apply to the appeal in its current status.")
            )
        rank = URGENCY_RANK[Urgency(urgency)]
        if rank >= appeal.urgency_rank:
            return appeal
        now = clock.now()
        old = appeal.urgency
        appeal.urgency, appeal.urgency_rank = urgency, rank
        # The running stage's time limit follows the urgency (a gas smell gets the emergency
        # limit, not the normal one), re-timed from the stage's start as an assessment does.
        due_data = timelimits_due.on_action(
            appeal,
            action="urgency_raised",
            before=appeal.status,
            now=now,
            actor_is_system=True,
            event_data={},
        )
        _save(appeal, now=now)
        _event(
            appeal,
            kind=EventKind.URGENCY_RAISED,
            actor=actor,
            from_status=appeal.status,
            to_status=appeal.status,
            reason=reason[:TEXT_MAX],
            data={**(data or {}), "old": old, "new": urgency, **due_data},
            at=now,
        )
        acted = _ACTED_ON.get()
        if acted is not None:
            acted.add(appeal.pk)
    return appeal


def appeal_remind(*, appeal_id: int, stage: str, actor: Actor = SYSTEM) -> AppealEvent | None:
    """Record that whoever must act in the appeal's ``stage`` was reminded of its coming due
    time: a ``remind`` event (staff-only), once per stage; ``remind_at`` is cleared and
    ``reminded_for`` set to the stage.

    Returns None, writing nothing, when the reminder time has not come or the appeal is no
    longer in ``stage``; returns None and only clears the reminder time when there is nothing
    to remind of any more (finished, the clock stopped, reminded already). Notifications are
    the caller's (same transaction)."""
    with transaction.atomic():
        appeal = _lock(appeal_id)
        now = clock.now()
        if appeal.remind_at is None or appeal.remind_at > now or appeal.due_stage != stage:
            return None
        remind = _clock_running(appeal) and appeal.reminded_for != stage
        appeal.remind_at = None
        if remind:
            appeal.reminded_for = stage
        _save_supervision(appeal, now, ("remind_at", "reminded_for"))
        if not remind:
            return None
        return _supervision_event(
            appeal,
            kind=EventKind.REMIND,
            stage=stage,
            actor=actor,
            now=now,
            due_at=appeal.due_at.isoformat(),
        )


def appeal_escalate(*, appeal_id: int, stage: str, actor: Actor = SYSTEM) -> AppealEvent | None:
    """Record that the appeal's ``stage`` is overdue and escalated (督办) to the area's
    supervisors: an ``escalate`` event (staff-only), once per stage and due time;
    ``escalate_at`` is cleared and ``escalated_for`` set to the stage.

    Returns None, writing nothing, when the escalation time has not come or the appeal is no
    longer in ``stage``; returns None and only clears the escalation time when there is
    nothing to escalate any more (finished, the clock stopped, escalated already) and moves it
    when the due time moved later: the worker calls this for rows it claimed, and whatever
    happened since wins. Notifications are the caller's (same transaction)."""
    with transaction.atomic():
        appeal = _lock(appeal_id)
        now = clock.now()
        if appeal.escalate_at is None or appeal.escalate_at > now or appeal.due_stage != stage:
            return None
        pending = _clock_running(appeal) and appeal.escalated_for != stage
        escalate = pending and appeal.due_at <= now
        appeal.escalate_at = appeal.due_at if pending and not escalate else None
        if escalate:
            appeal.escalated_for = stage
        _save_supervision(appeal, now, ("escalated_for", "escalate_at"))
        if not escalate:
            return None
        return _supervision_event(
            appeal,
            kind=EventKind.ESCALATE,
            stage=stage,
            actor=actor,
            now=now,
            due_at=appeal.due_at.isoformat(),
            overdue_seconds=int((now - appeal.due_at).total_seconds()),
        )


def _clock_running(appeal: Appeal) -> bool:
    """The appeal's stage clock runs (a stage with a due time, not finished, not suspended)."""
    return (
        bool(appeal.due_stage)
        and appeal.status not in workflow.TERMINAL
        and appeal.due_at is not None
    )


def _save_supervision(appeal: Appeal, now: datetime, fields) -> None:
    """Save only the supervision markers ``fields`` (the worker does thousands in a row; see
    bench/sweep.py)."""
    appeal.updated_at = now
    appeal.version += 1
    appeal.save(update_fields=[*fields, "updated_at", "version"])


def _supervision_event(
    appeal: Appeal, *, kind: str, stage: str, actor: Actor, now: datetime, **data
) -> AppealEvent:
    """A reminder's or an escalation's event: staff-only, the status unchanged, naming the stage
    and who was responsible."""
    return _event(
        appeal,
        kind=kind,
        actor=actor,
        from_status=appeal.status,
        to_status=appeal.status,
        at=now,
        data={
            "stage": stage,
            **data,
            "lead_organisation": appeal.lead_organisation_id,
            "lead_person": appeal.lead_person_id,
        },
    )


# The first contact's reminder and escalation (the worker's duties in suqiu/timelimits/duties.py
# call these for the rows they claimed). Their events name the time ``first_contact_due_at``,
# never ``due_at``: the rate facts read ``due_at`` in any event's data as the stage's due time
# in force (suqiu/rates/facts.py).

_FIRST_CONTACT_FIELDS = (
    "first_contact_remind_at",
    "first_contact_reminded",
    "first_contact_escalate_at",
    "first_contact_escalated",
)


def _first_contact_pending(appeal: Appeal) -> bool:
    return appeal.status == Status.IN_PROGRESS and appeal.first_contact_due_at is not None


def _first_contact_event(appeal: Appeal, *, kind: str, actor: Actor, now: datetime, **data):
    return _supervision_event(
        appeal,
        kind=kind,
        stage="first_contact",
        actor=actor,
        now=now,
        first_contact_due_at=appeal.first_contact_due_at.isoformat(),
        **data,
    )


def appeal_remind_first_contact(*, appeal_id: int, actor: Actor = SYSTEM) -> AppealEvent | None:
    """Record that the handler was reminded to get in touch with the reporter before the
    first-contact due time: a ``remind`` event (staff-only, ``stage`` ``first_contact``), once
    per first-contact due time; ``first_contact_remind_at`` is cleared.

    Returns None, writing nothing, when the reminder time has not come; returns None and only
    clears the reminder time when there is nothing to remind of any more (contact made, the
    appeal no longer in progress, reminded already) or the due time itself has passed (the
    escalation covers it). Notifications are the caller's (same transaction)."""
    with transaction.atomic():
        appeal = _lock(appeal_id)
        now = clock.now()
        if appeal.first_contact_remind_at is None or appeal.first_contact_remind_at > now:
            return None
        remind = (
            _first_contact_pending(appeal)
            and not appeal.first_contact_reminded
            and appeal.first_contact_due_at > now
        )
        appeal.first_contact_remind_at = None
        appeal.first_contact_reminded = appeal.first_contact_reminded or remind
        _save_supervision(appeal, now, _FIRST_CONTACT_FIELDS)
        if not remind:
            return None
        return _first_contact_event(appeal, kind=EventKind.REMIND, actor=actor, now=now)


def appeal_escalate_first_contact(*, appeal_id: int, actor: Actor = SYSTEM) -> AppealEvent | None:
    """Record that the first contact is overdue and escalated (督办) to the area's supervisors:
    an ``escalate`` event (staff-only, ``stage`` ``first_contact``), once per first-contact due
    time; ``first_contact_escalate_at`` is cleared.

    Returns None, writing nothing, when the escalation time has not come; returns None and only
    clears (or, should the due time be later, moves) the escalation time when there is nothing
    to escalate (contact made, the appeal no longer in progress, escalated already).
    Notifications are the caller's (same transaction)."""
    with transaction.atomic():
        appeal = _lock(appeal_id)
        now = clock.now()
        if appeal.first_contact_escalate_at is None or appeal.first_contact_escalate_at > now:
            return None
        pending = _first_contact_pending(appeal) and not appeal.first_contact_escalated
        due = appeal.first_contact_due_at
        escalate = pending and due <= now
        appeal.first_contact_escalate_at = due if pending and due > now else None
        appeal.first_contact_escalated = appeal.first_contact_escalated or escalate
        _save_supervision(appeal, now, _FIRST_CONTACT_FIELDS)
        if not escalate:
            return None
        return _first_contact_event(
            appeal,
            kind=EventKind.ESCALATE,
            actor=actor,
            now=now,
            overdue_seconds=int((now - due).total_seconds()),
        )


# Each handler validates its payload, applies its changes to the locked row (unsaved) and returns
# the event fields. ``appeal_act`` saves the row and writes the event.


def _do_assess(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    category = None
    raw_category = payload.get("category")
    if raw_category in (None, ""):
        if appeal.category_id is None:
            errors["category"] = [_("This field is required.")]
    else:
        category = _find_category(raw_category)
        if category is None:
            errors["category"] = [_("Unknown category.")]
    urgency = payload.get("urgency") or appeal.urgency
    if urgency not in Urgency.values:
        errors["urgency"] = [_("One of %(choices)s.") % {"choices": ", ".join(Urgency.values)}]
    note = _text(payload, "note", required=False, errors=errors)
    _raise_if(errors)
    old = {
        "category": appeal.category.code if appeal.category_id else None,
        "urgency": appeal.urgency,
    }
    if category is not None:
        appeal.category = category
    appeal.urgency = urgency
    appeal.urgency_rank = URGENCY_RANK[Urgency(urgency)]
    return {
        "kind": EventKind.ASSESS,
        "reason": note,
        "is_public": True,
        "data": {"old": old, "new": {"category": appeal.category.code, "urgency": urgency}},
    }


def _do_reject(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    reason = _text(payload, "reason", required=True, errors=errors)
    _raise_if(errors)
    appeal.closed_at = now
    return {"kind": EventKind.REJECT, "reason": reason, "public_text": reason, "is_public": True}


def _do_merge(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    into_raw = payload.get("into")
    reason = _text(payload, "reason", required=False, errors=errors)
    main = None
    if into_raw in (None, ""):
        errors["into"] = [_("This field is required.")]
    else:
        qs = Appeal.objects.select_for_update(no_key=True)
        if not workflow.is_system(actor):
            from suqiu.appeals.selectors import visible_q

            # One the actor may not see is, to them, no appeal: nor is its state told.
            qs = qs.filter(visible_q(actor))
        kind, ref = _appeal_ref(into_raw)
        if kind == "pk":
            main = qs.filter(pk=ref).first()
        elif kind == "code":
            main = qs.filter(tracking_code=ref).first()
        if main is None:
            errors["into"] = [_("No such appeal.")]
        elif main.pk == appeal.pk:
            errors["into"] = [_("An appeal cannot be merged into itself.")]
        elif main.status in workflow.TERMINAL:
            errors["into"] = [_("The main appeal is already finished; merge into an open one.")]
    _raise_if(errors)
    appeal.merged_into = main
    appeal.closed_at = now
    _event(
        main,
        kind=EventKind.MERGED_IN,
        actor=actor,
        from_status=main.status,
        to_status=main.status,
        at=now,
        reason=reason,
        data={"merged": appeal.pk, "tracking_code": appeal.tracking_code},
    )
    return {
        "kind": EventKind.MERGE,
        "reason": reason,
        "public_text": main.tracking_code,
        "is_public": True,
        "data": {"into": main.pk, "tracking_code": main.tracking_code},
    }


def _do_queue(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    claimable = _bool(payload, "claimable", required=False, errors=errors)
    note = _text(payload, "note", required=False, errors=errors)
    _raise_if(errors)
    appeal.is_claimable = claimable
    return {
        "kind": EventKind.QUEUE,
        "reason": note,
        "is_public": True,
        "data": {"claimable": claimable},
    }


def _do_dispatch(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    org_id = _int(payload, "lead_organisation", required=False, errors=errors)
    person_id = _int(payload, "lead_person", required=False, errors=errors)
    co_ids = _int_list(payload, "co_handlers", errors=errors)
    note = _text(payload, "note", required=False, errors=errors)
    lead_org = lead_person = None
    if org_id is not None:
        lead_org = Organisation.objects.filter(pk=org_id, is_active=True).first()
        if lead_org is None:
            errors["lead_organisation"] = [_("Unknown organisation.")]
    if person_id is not None:
        lead_person = User.objects.filter(pk=person_id, is_active=True).first()
        if lead_person is None:
            errors["lead_person"] = [_("Unknown person.")]
        elif not (
            lead_person.is_superuser or lead_person.memberships.exclude(role="resident").exists()
        ):
            # A resident as lead person could neither see the case nor be supervised.
            errors["lead_person"] = [_("This person holds no staff or volunteer role.")]
        elif lead_org is None:
            membership = (
                lead_person.memberships.exclude(organisation=None)
                .exclude(role__in=["resident"])
                .select_related("organisation")
                .first()
            )
            lead_org = membership.organisation if membership else None
    if org_id is None and person_id is None and not errors:
        lead_org = appeal.category.default_organisation if appeal.category_id else None
        if lead_org is None:
            errors["lead_organisation"] = [
                _("Choose a lead organisation or person; the category has no default.")
            ]
    co_orgs = list(Organisation.objects.filter(pk__in=co_ids, is_active=True))
    if len(co_orgs) != len(set(co_ids)):
        errors["co_handlers"] = [_("Unknown organisation among the co-handlers.")]
    if lead_org is not None and lead_org.pk in co_ids:
        errors["co_handlers"] = [_("The lead organisation cannot also be a co-handler.")]
    _raise_if(errors)
    appeal.lead_organisation = lead_org
    appeal.lead_person = lead_person
    appeal.claimed_by = None
    appeal.is_claimable = False
    appeal.save()  # the m2m needs the row saved; appeal_act saves again with the new status
    appeal.co_handlers.set(co_orgs)
    return {
        "kind": EventKind.DISPATCH,
        "reason": note,
        "public_text": lead_org.name if lead_org else "",
        "is_public": True,
        "data": {
            "lead_organisation": lead_org.pk if lead_org else None,
            "lead_person": lead_person.pk if lead_person else None,
            "co_handlers": sorted(o.pk for o in co_orgs),
        },
    }


def _do_accept(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    note = _text(payload, "note", required=False, errors=errors)
    _raise_if(errors)
    if appeal.lead_person_id is None and actor.user_id is not None:
        appeal.lead_person_id = actor.user_id
    return {"kind": EventKind.ACCEPT, "reason": note, "is_public": True}


def _do_return(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    reason = _text(payload, "reason", required=True, errors=errors)
    _raise_if(errors)
    data = {
        "lead_organisation": appeal.lead_organisation_id,
        "lead_person": appeal.lead_person_id,
        "claimed_by": appeal.claimed_by_id,
    }
    appeal.lead_organisation = None
    appeal.lead_person = None
    # A claimed task given back goes back to the task library, open for claiming again (the
    # ``queue`` action cannot reopen it: it applies only to assessed appeals). A returned
    # dispatch waits for a new dispatch.
    appeal.is_claimable = appeal.claimed_by_id is not None
    appeal.claimed_by = None
    appeal.extension_requested_until = None
    appeal.save()
    appeal.co_handlers.clear()
    return {"kind": EventKind.RETURN, "reason": reason, "is_public": True, "data": data}


def _do_claim(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    note = _text(payload, "note", required=False, errors=errors)
    _raise_if(errors)
    appeal.claimed_by_id = actor.user_id
    appeal.lead_person_id = actor.user_id
    appeal.is_claimable = False
    return {"kind": EventKind.CLAIM, "reason": note, "is_public": True}


def _do_note(*, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime) -> dict:
    errors: dict = {}
    text = _text(payload, "text", required=True, errors=errors)
    public = _bool(payload, "public", required=False, errors=errors)
    _raise_if(errors)
    return {
        "kind": EventKind.NOTE,
        "reason": text,
        "public_text": text if public else "",
        "is_public": public,
    }


def _do_request_resources(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    text = _text(payload, "text", required=True, errors=errors)
    resources = payload.get("resources") or []
    if not isinstance(resources, list) or not all(
        isinstance(r, str) and len(r) <= 200 for r in resources
    ):
        errors["resources"] = [_("Must be a list of short texts.")]
    _raise_if(errors)
    return {"kind": EventKind.REQUEST_RESOURCES, "reason": text, "data": {"resources": resources}}


def _do_resolve(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    reply = _text(payload, "public_reply", required=True, errors=errors)
    note = _text(payload, "internal_note", required=False, errors=errors)
    _raise_if(errors)
    appeal.public_reply = reply
    appeal.resolution_note = note
    appeal.resolved_by_id = actor.user_id
    appeal.resolved_at = now
    appeal.extension_requested_until = None
    return {"kind": EventKind.RESOLVE, "reason": note, "public_text": reply, "is_public": True}


def _do_verify(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    note = _text(payload, "note", required=False, errors=errors)
    _raise_if(errors)
    appeal.verified_by_id = actor.user_id
    return {"kind": EventKind.VERIFY, "reason": note, "is_public": True}


def _do_send_back(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    reason = _text(payload, "reason", required=True, errors=errors)
    _raise_if(errors)
    appeal.rework_count += 1
    appeal.resolved_by = None
    appeal.resolved_at = None
    return {
        "kind": EventKind.SEND_BACK,
        "reason": reason,
        "is_public": True,
        "data": {"rework_count": appeal.rework_count},
    }


def _do_revisit(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    not_rated = _bool(payload, "not_rated", required=False, errors=errors)
    if not_rated:
        # Nobody reached the reporter in time (the worker after the revisit limit, or staff
        # who tried): closed without a rating.
        comment = _text(payload, "comment", required=False, errors=errors)
        for name in ("satisfaction", "was_resolved"):
            if payload.get(name) not in (None, ""):
                errors[name] = [_("Not with “not reached”.")]
        _raise_if(errors)
        appeal.satisfaction = None
        appeal.revisit_resolved = None
        appeal.closed_at = now
        return {
            "to_status": Status.CLOSED,
            "kind": EventKind.REVISIT,
            "reason": comment,
            "is_public": True,
            "data": {"not_rated": True, "by_reporter": False, "rework": False},
        }
    satisfaction = _int(payload, "satisfaction", required=True, errors=errors, lo=1, hi=5)
    was_resolved = _bool(payload, "was_resolved", required=True, errors=errors)
    comment = _text(payload, "comment", required=False, errors=errors)
    _raise_if(errors)
    outcome = workflow.revisit_outcome(satisfaction=satisfaction, was_resolved=was_resolved)
    appeal.satisfaction = satisfaction
    appeal.revisit_resolved = was_resolved
    by_reporter = actor.user_id is not None and actor.user_id == appeal.reporter_id
    if outcome is Status.CLOSED:
        appeal.closed_at = now
    else:
        appeal.rework_count += 1
        appeal.verified_by = None
        appeal.resolved_by = None
        appeal.resolved_at = None
    # The status the action leads to depends on the answer.
    return {
        "to_status": outcome,
        "kind": EventKind.REVISIT,
        "reason": comment,
        "is_public": True,
        "data": {
            "satisfaction": satisfaction,
            "was_resolved": was_resolved,
            "by_reporter": by_reporter,
            "rework": outcome is not Status.CLOSED,
        },
    }


def _do_suspend(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    reason = _text(payload, "reason", required=True, errors=errors)
    _raise_if(errors)
    appeal.suspended_from = appeal.status
    return {
        "kind": EventKind.SUSPEND,
        "reason": reason,
        "is_public": True,
        "data": {"suspended_from": appeal.status},
    }


def _do_resume(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    reason = _text(payload, "reason", required=False, errors=errors)
    _raise_if(errors)
    appeal.suspended_from = ""
    return {"kind": EventKind.RESUME, "reason": reason, "is_public": True}


MAX_EXTENSION_DAYS = 90  # "days": a typical extension
MAX_EXTENSION_UNTIL_DAYS = 366  # "until": a named day, e.g. the end of road works


def _parse_until(payload: dict, errors: dict, now: datetime) -> datetime | None:
    until = payload.get("until")
    days = payload.get("days")
    if until:
        from django.utils.dateparse import parse_datetime

        try:
            parsed = (
                parse_datetime(str(until))
                if isinstance(until, str)
                else until
                if isinstance(until, datetime)
                else None
            )
        except ValueError:  # well formed but impossible, e.g. 30 February
            parsed = None
        if parsed is None:
            errors["until"] = [_("Not a date and time (ISO 8601).")]
            return None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        due_at = payload.get("_due_at")
        if parsed <= now:
            errors["until"] = [_("Must be in the future.")]
        elif due_at is not None and parsed <= due_at:
            # An "extension" to before the current due time would shorten the time limit.
            errors["until"] = [_("Must be later than the current due time.")]
        elif parsed > max(due_at or now, now) + timedelta(days=MAX_EXTENSION_UNTIL_DAYS):
            # Year 9999 was taken, and approved, as a due time.
            errors["until"] = [
                _("At most %(days)s days beyond the current due time.")
                % {"days": MAX_EXTENSION_UNTIL_DAYS}
            ]
        return parsed
    number = (
        _int(payload, "days", required=True, errors=errors, lo=1, hi=MAX_EXTENSION_DAYS)
        if days is not None
        else None
    )
    if days is None:
        errors["until"] = [_("Give 'until' (ISO 8601) or 'days'.")]
        return None
    if number is None or "days" in errors:
        return None
    base = max(now, payload.get("_due_at") or now)
    return base + timedelta(days=number)


def _do_request_extension(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    reason = _text(payload, "reason", required=True, max_len=500, errors=errors)
    payload["_due_at"] = appeal.due_at
    until = _parse_until(payload, errors, now)
    _raise_if(errors)
    appeal.extension_requested_until = until
    appeal.extension_reason = reason
    return {
        "kind": EventKind.REQUEST_EXTENSION,
        "reason": reason,
        "data": {
            "until": until.isoformat(),
            "due_at": appeal.due_at.isoformat() if appeal.due_at else None,
        },
    }


def _do_approve_extension(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    note = _text(payload, "note", required=False, errors=errors)
    _raise_if(errors)
    old_due = appeal.due_at
    appeal.due_at = appeal.extension_requested_until
    appeal.extension_requested_until = None
    return {
        "kind": EventKind.APPROVE_EXTENSION,
        "reason": note,
        "data": {
            "old_due_at": old_due.isoformat() if old_due else None,
            "due_at": appeal.due_at.isoformat(),
        },
    }


def _do_deny_extension(
    *, appeal: Appeal, actor: Actor, payload: dict, target: Status, now: datetime
) -> dict:
    errors: dict = {}
    reason = _text(payload, "reason", required=True, errors=errors)
    _raise_if(errors)
    requested = appeal.extension_requested_until
    appeal.extension_requested_until = None
    return {
        "kind": EventKind.DENY_EXTENSION,
        "reason": reason,
        "data": {"requested_until": requested.isoformat() if requested else None},
    }


_HANDLERS = {
    Action.ASSESS: _do_assess,
    Action.REJECT: _do_reject,
    Action.MERGE: _do_merge,
    Action.QUEUE: _do_queue,
    Action.DISPATCH: _do_dispatch,
    Action.ACCEPT: _do_accept,
    Action.RETURN: _do_return,
    Action.CLAIM: _do_claim,
    Action.NOTE: _do_note,
    Action.REQUEST_RESOURCES: _do_request_resources,
    Action.RESOLVE: _do_resolve,
    Action.VERIFY: _do_verify,
    Action.SEND_BACK: _do_send_back,
    Action.REVISIT: _do_revisit,
    Action.SUSPEND: _do_suspend,
    Action.RESUME: _do_resume,
    Action.REQUEST_EXTENSION: _do_request_extension,
    Action.APPROVE_EXTENSION: _do_approve_extension,
    Action.DENY_EXTENSION: _do_deny_extension,
}
assert set(_HANDLERS) == set(Action), "every workflow action needs a service handler"

# The payload each action takes, for the API documentation and the workbench forms.
ACTION_INPUTS: dict[str, dict[str, str]] = {
    "assess": {
        "category": "category id or code (required unless already set)",
        "urgency": "normal | urgent | emergency",
        "note": "text",
    },
    "reject": {"reason": "text, required (shown to the reporter)"},
    "merge": {"into": "id or tracking code of the main appeal, required", "reason": "text"},
    "queue": {
        "claimable": "bool: open for claiming by social workers and volunteers",
        "note": "text",
    },
    "dispatch": {
        "lead_organisation": "organisation id",
        "lead_person": "user id",
        "co_handlers": "list of organisation ids",
        "note": "text",
    },
    "accept": {"note": "text"},
    "return": {"reason": "text, required"},
    "claim": {"note": "text"},
    "note": {"text": "text, required", "public": "bool: also shown on the public tracking page"},
    "request_resources": {"text": "text, required", "resources": "list of texts"},
    "resolve": {"public_reply": "text, required (shown to the reporter)", "internal_note": "text"},
    "verify": {"note": "text"},
    "send_back": {"reason": "text, required"},
    "revisit": {
        "satisfaction": "1-5, required unless not_rated",
        "was_resolved": "bool, required unless not_rated",
        "not_rated": "bool: the reporter could not be reached; closes without a rating",
        "comment": "text",
    },
    "suspend": {"reason": "text, required"},
    "resume": {"reason": "text"},
    "request_extension": {
        "until": "ISO 8601 date-time",
        "days": "1-90 (instead of until)",
        "reason": "text, required",
    },
    "approve_extension": {"note": "text"},
    "deny_extension": {"reason": "text, required"},
}


# --- Privacy -------------------------------------------------------------------------------------


def appeal_reveal_phone(*, actor: Actor, appeal: Appeal) -> str:
    """Show a reporter's full phone number to a role that needs it; an audited event."""
    if not actor.has(*PHONE_REVEAL_ROLES):
        raise PermissionDenied(
            _("Your role may not reveal phone numbers."), code="reveal_not_allowed"
        )
    if not appeal.reporter_phone:
        raise NotFound(_("This appeal has no phone number."), code="no_phone")
    with transaction.atomic():
        _event(appeal, kind=EventKind.PHONE_REVEALED, actor=actor, data={"field": "reporter_phone"})
    return appeal.reporter_phone


# --- Imported history ---------------------------------------------------------------------------


@dataclass
class ImportedAppeal:
    """One appeal of another system's history, parsed and checked by ``suqiu.imports``.

    Times are timezone-aware. ``closed_at`` None means the source has no closing time (the
    appeal closes at its creation time). ``data`` is kept on both events (source row number,
    the source's status, agency, channel, truncated fields...)."""

    external_id: str
    title: str
    description: str
    created_at: datetime
    closed_at: datetime | None = None
    public_reply: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    category_id: int | None = None
    urgency: str = Urgency.NORMAL
    urgency_stated: bool = False  # the source gave an urgency (not a blank cell or no column)
    lead_organisation_id: int | None = None  # the source's agency, when it names one of ours
    support_votes: int = 0
    oppose_votes: int = 0
    data: dict | None = None


@dataclass
class ImportOutcome:
    """What one batch did: how many appeals it created, and the rows whose id was already
    there (in the database or earlier in the batch), each with the title stored under that id."""

    created: int
    present: list[tuple[ImportedAppeal, str]]


def _check_imported(source: str, row: ImportedAppeal) -> None:
    """Guard against a caller that skipped validation: the importer checks every field first and
    reports bad rows, so this never fires on its rows."""
    errors: dict[str, list[str]] = {}
    for name, value, limit in (
        ("external_id", row.external_id, 100),
        ("title", row.title, TITLE_MAX),
        ("description", row.description, DESCRIPTION_MAX),
    ):
        if not value.strip():
            errors[name] = [_("This field is required.")]
        elif len(value.strip()) > limit:
            errors[name] = [_("At most %(n)d characters.") % {"n": limit}]
    if timezone.is_naive(row.created_at) or (
        row.closed_at is not None
        and (timezone.is_naive(row.closed_at) or row.closed_at < row.created_at)
    ):
        errors["closed_at"] = [_("Cannot be earlier than the creation time.")]
    if row.urgency not in URGENCY_RANK:
        errors["urgency"] = [
            _("Unknown urgency; one of %(choices)s.") % {"choices": ", ".join(URGENCY_RANK)}
        ]
    try:
        validate_latlon(row.lat, row.lon)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("The appeal is not valid."), fields=errors)


def appeal_import_history(
    *, source: str, rows: list[ImportedAppeal], actor: Actor = SYSTEM
) -> ImportOutcome:
    """Write a batch of another system's finished appeals, in one transaction, as history.

    The only write path of imports (``suqiu import appeals``). Idempotent per
    (``source``, ``external_id``): a row whose id is already stored (or repeats an earlier row
    of the batch) is skipped and returned in ``present``. Each new appeal enters ``closed``
    (channel ``import``) with its original times: ``closed_at`` is the source's closing or reply
    time, else its creation time; the public reply is kept. Two events, both at the original
    times and marked ``{"imported": True, "source": ..., "row": n}``: ``created`` and ``resolve``
    (received → closed; public with the reply as its text; ``no_reply`` in its data when the
    source has none). The area comes from the point's grid, else the default area. Intake hooks
    (duplicates, routing, notifications) do not run: this is history, not intake; the
    after-import hooks (``register_after_import``) get each batch's new appeals in its
    transaction.

    Rows are inserted in bulk (``core.rows.insert_rows``). Should the batch hit a unique constraint (a
    tracking code clash, or another import storing the same ids at the same moment) it is rolled
    back and tried again, the ids looked up afresh.
    """
    if not source or len(source) > 40:
        raise ValidationFailed(
            _("The appeal is not valid."),
            fields={"external_source": [_("At most %(n)d characters.") % {"n": 40}]},
        )
    for row in rows:
        _check_imported(source, row)
    for attempt in range(CREATE_ATTEMPTS):
        try:
            with transaction.atomic():
                return _import_batch(source, rows, actor)
        except IntegrityError:
            if attempt == CREATE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _import_batch(source: str, rows: list[ImportedAppeal], actor: Actor) -> ImportOutcome:
    ids = {row.external_id for row in rows}
    # ``exclude(external_id="")`` repeats the unique index's condition, so the look-up uses
    # that (partial) index instead of scanning the table.
    stored = dict(
        Appeal.objects.filter(external_source=source, external_id__in=ids)
        .exclude(external_id="")
        .order_by()
        .values_list("external_id", "title")
    )
    present: list[tuple[ImportedAppeal, str]] = []
    new: list[tuple[ImportedAppeal, Appeal]] = []
    fallback_area = None
    for row in rows:
        if row.external_id in stored:
            present.append((row, stored[row.external_id]))
            continue
        stored[row.external_id] = row.title.strip()
        grid = resolve_grid(row.lat, row.lon)
        if grid is not None:
            area = grid.community
        else:
            area = fallback_area = fallback_area or default_area()
        closed_at = row.closed_at or row.created_at
        reply = row.public_reply.strip()
        new.append(
            (
                row,
                Appeal(
                    tracking_code=new_tracking_code(),
                    channel=Channel.IMPORT,
                    client_name=source,
                    reporter_name=row.reporter_name.strip()[:80],
                    reporter_phone=row.reporter_phone.strip(),
                    title=row.title.strip(),
                    description=row.description.strip(),
                    lat=row.lat,
                    lon=row.lon,
                    address=row.address.strip()[:255],
                    grid=grid,
                    area=area,
                    area_path=area.path,
                    category_id=row.category_id,
                    urgency=row.urgency,
                    urgency_rank=URGENCY_RANK[row.urgency],
                    lead_organisation_id=row.lead_organisation_id,
                    status=Status.CLOSED,
                    public_reply=reply,
                    resolved_at=closed_at if reply else None,
                    external_source=source,
                    external_id=row.external_id,
                    support_votes=row.support_votes,
                    oppose_votes=row.oppose_votes,
                    created_at=row.created_at,
                    updated_at=closed_at,
                    closed_at=closed_at,
                ),
            )
        )
    appeals = [appeal for _row, appeal in new]
    insert_rows(Appeal, appeals)
    ids = dict(
        Appeal.objects.filter(
            external_source=source, external_id__in=[a.external_id for a in appeals]
        )
        .exclude(external_id="")
        .order_by()
        .values_list("external_id", "pk")
    )
    for appeal in appeals:
        appeal.pk = ids[appeal.external_id]
    events = []
    for row, appeal in new:
        mark = {"imported": True, "source": source, **(row.data or {})}
        events.append(
            _event_row(
                appeal,
                kind=EventKind.CREATED,
                actor=actor,
                at=appeal.created_at,
                to_status=Status.RECEIVED,
                is_public=True,
                data={
                    **mark,
                    "channel": Channel.IMPORT,
                    "grid": appeal.grid.code if appeal.grid else None,
                },
            )
        )
        events.append(
            _event_row(
                appeal,
                kind=EventKind.RESOLVE,
                actor=actor,
                at=appeal.closed_at,
                from_status=Status.RECEIVED,
                to_status=Status.CLOSED,
                public_text=appeal.public_reply,
                is_public=True,
                data={**mark, "no_reply": not appeal.public_reply},
            )
        )
    insert_rows(AppealEvent, events)
    if appeals:
        for hook in _AFTER_IMPORT:
            hook(appeals=appeals)
    return ImportOutcome(created=len(appeals), present=present)


# Run in the transaction of every batch of imported history, as ``hook(appeals=[...])`` with the
# appeals the batch created (as stored, ids set): the duplicates app indexes the recently closed
# ones. Not intake hooks: nothing is routed, merged or notified; a hook gets the whole batch at
# once and should write in bulk (an import writes thousands of rows a second). Registered from
# an ``AppConfig.ready``, like the other hooks.
_AFTER_IMPORT: list[Callable[..., None]] = []


def register_after_import(hook: Callable[..., None]) -> None:
    if hook not in _AFTER_IMPORT:
        _AFTER_IMPORT.append(hook)


# Run in the transaction of every re-categorisation of history, as ``hook(appeal_ids=[...])``
# with the appeals whose category changed (the rates app moves their figures). Registered from
# an ``AppConfig.ready``, like the after-action hooks.
_AFTER_RECATEGORISE: list[Callable[..., None]] = []


def register_after_recategorise(hook: Callable[..., None]) -> None:
    if hook not in _AFTER_RECATEGORISE:
        _AFTER_RECATEGORISE.append(hook)


@dataclass
class HistoryCorrection:
    """What an import file gives an appeal it imported before, now (``appeal_correct_history``).
    None: the file says nothing of it (no category, no urgency column, an agency that is none
    of ours), and the appeal keeps what it has."""

    external_id: str
    row: int  # of the file, for the event
    category_id: int | None = None
    urgency: str | None = None
    lead_organisation_id: int | None = None


def appeal_correct_history(
    *, source: str, rows: list[HistoryCorrection], actor: Actor = SYSTEM
) -> int:
    """Give imported history what a corrected category map, or a file that now says more, gives
    it: its category, urgency and lead organisation (an organisation created in the directory
    after the first import, an urgency column mapped only now).

    Only appeals that came in by import from ``source`` are touched (live appeals are corrected
    by assessment and dispatch); a field the row leaves None, or that already is as given, is
    left alone. Each appeal that changes gets one staff-only ``recategorise`` event ("imported
    record corrected": the category's from/to codes, ``urgency``/``urgency_from``,
    ``lead_organisation``/``lead_organisation_from``, the file's row), in one transaction with
    the rows; rates move with a changed category. Returns how many appeals changed."""
    wanted = {r.external_id: r for r in rows}
    if not wanted:
        return 0
    with transaction.atomic():
        appeals = list(
            Appeal.objects.select_for_update()
            .filter(external_source=source, external_id__in=list(wanted), channel=Channel.IMPORT)
            .exclude(external_id="")
            .order_by("pk")
        )
        changes: list[tuple[Appeal, dict]] = []
        for appeal in appeals:
            r = wanted[appeal.external_id]
            diff = {}
            if r.category_id is not None and r.category_id != appeal.category_id:
                diff["category_id"] = r.category_id
            if r.urgency is not None and r.urgency != appeal.urgency:
                diff["urgency"] = r.urgency
            if (
                r.lead_organisation_id is not None
                and r.lead_organisation_id != appeal.lead_organisation_id
            ):
                diff["lead_organisation_id"] = r.lead_organisation_id
            if diff:
                changes.append((appeal, diff))
        if not changes:
            return 0
        codes = dict(
            Category.objects.filter(
                pk__in={a.category_id for a, _d in changes}
                | {d["category_id"] for _a, d in changes if "category_id" in d}
            ).values_list("pk", "code")
        )
        now = clock.now()
        events = []
        recategorised = []
        for appeal, diff in changes:
            data = {"source": source, "row": wanted[appeal.external_id].row}
            if "category_id" in diff:
                data["from"] = codes.get(appeal.category_id, "")
                data["to"] = codes.get(diff["category_id"], "")
                recategorised.append(appeal.pk)
            if "urgency" in diff:
                data["urgency_from"], data["urgency"] = appeal.urgency, diff["urgency"]
            if "lead_organisation_id" in diff:
                data["lead_organisation_from"] = appeal.lead_organisation_id
                data["lead_organisation"] = diff["lead_organisation_id"]
            events.append(
                _event_row(
                    appeal,
                    kind=EventKind.RECATEGORISE,
                    actor=actor,
                    at=now,
                    from_status=appeal.status,
                    to_status=appeal.status,
                    data=data,
                )
            )
            for name, value in diff.items():
                setattr(appeal, name, value)
            appeal.urgency_rank = URGENCY_RANK[Urgency(appeal.urgency)]
            appeal.updated_at = now
        Appeal.objects.bulk_update(
            [a for a, _d in changes],
            ["category", "urgency", "urgency_rank", "lead_organisation", "updated_at"],
            batch_size=500,
        )
        insert_rows(AppealEvent, events)
        if recategorised:
            for hook in _AFTER_RECATEGORISE:
                hook(appeal_ids=recategorised)
    return len(changes)
