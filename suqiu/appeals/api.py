"""REST endpoints for appeals: intake, lists and queues, detail, timeline, photos, the work-chain
actions, phone reveal, the claimable task library and public tracking.

Thin adapters: every write goes through ``appeals.services``, every read through
``appeals.selectors`` with the caller's ``Actor``, and personal data is shaped by
``appeals.presenters``. Errors are ``ApplicationError`` subclasses, mapped to JSON by
``suqiu.api.errors``.
"""

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from ninja import Field, File, Header, Query, Router, Schema, Status, UploadedFile
from pydantic import field_validator

from suqiu.api.auth import actor_of
from suqiu.api.parser import check_storable
from suqiu.api.schemas import (
    COMMON_ERRORS,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    ErrorOut,
    page_of,
)
from suqiu.appeals import presenters, selectors, services, workflow
from suqiu.appeals.http import photo_response
from suqiu.appeals.models import STATUS_LABELS, Appeal, AppealEvent, AppealPhoto, Channel, Urgency
from suqiu.appeals.models import EventKind as EventKindChoices
from suqiu.appeals.workflow import Action
from suqiu.appeals.workflow import Status as AppealStatus
from suqiu.core import clock, ratelimit
from suqiu.core.errors import BadRequest, NotFound, ValidationFailed
from suqiu.core.ids import as_id
from suqiu.directory.access import Actor
from suqiu.directory.models import Category

router = Router(tags=["appeals"])
tracking_router = Router(tags=["public tracking"], auth=None)

# Names of JSON-body parameters, so validation errors say "title" rather than "data.title".
BODY_PARAMS = ("data",)

ChannelName = Literal[tuple(Channel.values)]  # type: ignore[valid-type]
UrgencyName = Literal[tuple(Urgency.values)]  # type: ignore[valid-type]
QueueName = Literal[tuple(selectors.QUEUES)]  # type: ignore[valid-type]


# --- Schemas ------------------------------------------------------------------------------------


class AppealIn(Schema):
    """A new appeal. ``lat``/``lon`` are WGS-84; give both or neither."""

    title: str = Field(max_length=services.TITLE_MAX)
    description: str = Field(max_length=services.DESCRIPTION_MAX)
    channel: ChannelName = Channel.API.value
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    address: str = Field("", max_length=255)
    category: int | str | None = Field(None, description="Category id or code.")
    urgency: UrgencyName = Urgency.NORMAL.value
    reporter_name: str = Field("", max_length=80)
    reporter_phone: str = Field("", max_length=32)
    is_anonymous: bool = False

    @field_validator("category", mode="before")
    @classmethod
    def _id_or_code(cls, value):
        # One clear message instead of pydantic's per-union-member errors ("category.int"...).
        if value is None or (isinstance(value, (int, str)) and not isinstance(value, bool)):
            return value
        raise ValueError(gettext("Give a category id (number) or code (text)."))


class OrgRef(Schema):
    id: int
    code: str
    name: str


class CategoryRef(Schema):
    id: int
    code: str
    name: str


class GridRef(Schema):
    id: int
    code: str
    name: str


class PersonRef(Schema):
    id: int
    name: str


class ReporterOut(Schema):
    name: str
    phone: str = Field(description="Masked (138****1234) unless your role needs the full number.")
    phone_masked: bool
    anonymous: bool
    can_reveal: bool = Field(description="POST .../reveal-phone would show the full number.")


class PhotoOut(Schema):
    id: int
    url: str
    content_type: str
    size: int
    width: int
    height: int
    created_at: datetime


class AppealListItem(Schema):
    id: int
    tracking_code: str
    status: str
    status_label: str
    title: str
    channel: str
    urgency: str
    category: CategoryRef | None
    area: OrgRef
    grid: GridRef | None
    lead_organisation: OrgRef | None
    is_claimable: bool
    lat: float | None
    lon: float | None
    address: str
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AppealOut(AppealListItem):
    description: str
    client_name: str
    co_handlers: list[OrgRef]
    lead_person: PersonRef | None = Field(description="Hidden from residents.")
    claimed_by: PersonRef | None = Field(description="Hidden from residents.")
    merged_into: str | None = Field(description="Tracking code of the main appeal.")
    public_reply: str
    internal_note: str | None = Field(description="Staff only; null for residents.")
    satisfaction: int | None
    rework_count: int
    extension_requested_until: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int
    reporter: ReporterOut
    allowed_actions: list[str]
    photos: list[PhotoOut]


class AppealPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[AppealListItem]


class EventOut(Schema):
    id: int
    kind: str
    label: str
    created_at: datetime
    actor: str = Field(description="Who acted; empty where you may not know (e.g. residents).")
    from_status: str
    to_status: str
    reason: str
    public_text: str
    is_public: bool
    data: dict[str, Any]


class TaskOut(Schema):
    """A claimable task: enough to decide to claim it, no personal data (details after claiming)."""

    id: int
    tracking_code: str
    title: str
    category: CategoryRef | None
    urgency: str
    area: OrgRef
    created_at: datetime


class TaskPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[TaskOut]


class PhoneOut(Schema):
    phone: str


class PublicEventOut(Schema):
    kind: str
    label: str
    time: datetime
    public_text: str


class TrackOut(Schema):
    tracking_code: str
    title: str
    category: str | None
    status: str
    status_label: str
    created_at: datetime
    public_reply: str
    merged_into: str | None
    timeline: list[PublicEventOut]


# --- Presentation -------------------------------------------------------------------------------


def _sees_public_view_only(actor: Actor) -> bool:
    """Residents (and nobody-in-particular) see the public side of their own appeals."""
    return actor.roles <= {"resident", "anonymous"} and not actor.is_superuser


def _category_name(category: Category | None) -> str | None:
    return category.label(translation.get_language()) if category is not None else None


def _org(org) -> dict | None:
    return None if org is None else {"id": org.pk, "code": org.code, "name": org.name}


def _category(cat) -> dict | None:
    if cat is None:
        return None
    return {"id": cat.pk, "code": cat.code, "name": _category_name(cat)}


def _grid(grid) -> dict | None:
    return None if grid is None else {"id": grid.pk, "code": grid.code, "name": grid.name}


def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": str(user)}


def _list_item(appeal: Appeal) -> dict:
    return {
        "id": appeal.pk,
        "tracking_code": appeal.tracking_code,
        "status": appeal.status,
        "status_label": str(STATUS_LABELS[AppealStatus(appeal.status)]),
        "title": appeal.title,
        "channel": appeal.channel,
        "urgency": appeal.urgency,
        "category": _category(appeal.category) if appeal.category_id else None,
        "area": _org(appeal.area),
        "grid": _grid(appeal.grid) if appeal.grid_id else None,
        "lead_organisation": _org(appeal.lead_organisation)
        if appeal.lead_organisation_id
        else None,
        "is_claimable": appeal.is_claimable,
        "lat": appeal.lat,
        "lon": appeal.lon,
        "address": appeal.address,
        "due_at": appeal.due_at,
        "created_at": appeal.created_at,
        "updated_at": appeal.updated_at,
    }


def _photo(photo: AppealPhoto) -> dict:
    return {
        "id": photo.pk,
        "url": reverse(
            "api-v1:appeal_photo", kwargs={"appeal_id": photo.appeal_id, "photo_id": photo.pk}
        ),
        "content_type": photo.content_type,
        "size": photo.size,
        "width": photo.width,
        "height": photo.height,
        "created_at": photo.created_at,
    }


def _detail(actor: Actor, appeal: Appeal, *, new: bool = False) -> dict:
    """The appeal as ``actor`` may see it. ``new``: just created, so no photos or co-handlers
    to look up (keeps intake at the minimum of queries)."""
    public_only = _sees_public_view_only(actor)
    out = _list_item(appeal)
    out.update(
        {
            "description": appeal.description,
            "client_name": appeal.client_name,
            "co_handlers": [] if new else [_org(o) for o in appeal.co_handlers.all()],
            "lead_person": None
            if public_only or not appeal.lead_person_id
            else _person(appeal.lead_person),
            "claimed_by": None
            if public_only or not appeal.claimed_by_id
            else _person(appeal.claimed_by),
            "merged_into": appeal.merged_into.tracking_code if appeal.merged_into_id else None,
            "public_reply": appeal.public_reply,
            "internal_note": None if public_only else appeal.resolution_note,
            "satisfaction": appeal.satisfaction,
            "rework_count": appeal.rework_count,
            "extension_requested_until": appeal.extension_requested_until,
            "resolved_at": appeal.resolved_at,
            "closed_at": appeal.closed_at,
            "version": appeal.version,
            "reporter": presenters.reporter_view(actor, appeal),
            "allowed_actions": presenters.actions_for(actor, appeal),
            "photos": [] if new else [_photo(p) for p in appeal.photos.all()],
        }
    )
    return out


def _event(actor: Actor, appeal: Appeal, event: AppealEvent, *, full: bool, hide: bool) -> dict:
    """``full``: staff see reasons, actors and data; ``hide``: the actor may not know the
    reporter, so the reporter's own events are labelled "reporter" instead of by name."""
    label = EventKindChoices(event.kind).label if event.kind in EventKindChoices.values else ""
    actor_label = ""
    if full:
        actor_label = event.actor_label
        if hide and event.actor_id is not None and event.actor_id == appeal.reporter_id:
            actor_label = str(translation.gettext("reporter"))
    return {
        "id": event.pk,
        "kind": event.kind,
        "label": str(label),
        "created_at": event.created_at,
        "actor": actor_label,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "reason": event.reason if full else "",
        "public_text": event.public_text,
        "is_public": event.is_public,
        "data": event.data if full else {},
    }


def _split(values: list[str] | None) -> list[str]:
    """``?status=a&status=b`` and ``?status=a,b`` both give ["a", "b"]."""
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return out


def _check_choices(name: str, values: list[str], allowed) -> list[str]:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationFailed(
            gettext("The request is not valid."),
            fields={
                name: [
                    gettext("Unknown value(s) %(values)s; one of %(choices)s.")
                    % {"values": ", ".join(unknown), "choices": ", ".join(allowed)}
                ]
            },
        )
    return values


def _category_by_code_or_id(value: str) -> Category | None:
    """Inactive categories too: old appeals keep theirs."""
    if as_id(value) is not None:
        found = Category.objects.filter(pk=as_id(value)).only("code").first()
        if found is not None:
            return found
    return Category.objects.filter(code=value).only("code").first()


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment


def _canonical_hash(data: AppealIn) -> str:
    canonical = json.dumps(
        data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- Intake -------------------------------------------------------------------------------------


@router.post(
    "/appeals",
    response={201: AppealOut, 200: AppealOut, **COMMON_ERRORS, 409: ErrorOut},
    summary="Submit an appeal",
    url_name="appeal_create",
)
def create_appeal(
    request: HttpRequest,
    response: HttpResponse,
    data: AppealIn,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Makes retries safe: same key and body → the same appeal, never a second.",
        ),
    ] = None,
):
    """Receive an appeal; it gets a tracking code at once.

    With `Idempotency-Key`: the first request creates the appeal (201); a retry with the same key
    and the same body answers 200 with the same appeal and `Idempotent-Replayed: true`; the same
    key with a different body is a 409 `idempotency_key_reused`. Keys are kept 48 hours.
    """
    actor = actor_of(request)
    token = getattr(request, "api_token", None)
    appeal_input = services.AppealInput(
        title=data.title,
        description=data.description,
        channel=data.channel,
        lat=data.lat,
        lon=data.lon,
        address=data.address,
        category=data.category,
        urgency=data.urgency,
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        is_anonymous=data.is_anonymous,
        client_name=token.name if token is not None else "",
    )
    if idempotency_key is None:
        appeal = services.appeal_create(actor=actor, data=appeal_input)
        return Status(201, _detail(actor, appeal, new=True))
    appeal, created = services.appeal_create_idempotent(
        actor=actor,
        data=appeal_input,
        owner=f"user:{actor.user_id}",
        key=idempotency_key.strip(),
        request_hash=_canonical_hash(data),
    )
    if created:
        return Status(201, _detail(actor, appeal, new=True))
    response["Idempotent-Replayed"] = "true"
    # Present the appeal as the caller may see it now (it may have moved on since).
    try:
        current = selectors.appeal_get(actor=actor, appeal_id=appeal.pk)
    except NotFound:
        current = appeal
    return Status(200, _detail(actor, current))


# --- Reading ------------------------------------------------------------------------------------


@router.get(
    "/appeals",
    response={200: AppealPage, **COMMON_ERRORS},
    summary="List appeals you may see",
    url_name="appeal_list",
)
def list_appeals(
    request: HttpRequest,
    status: Annotated[
        list[str] | None,
        Query(description="Repeat or comma-separate: ?status=received,assessed"),
    ] = None,
    urgency: Annotated[list[str] | None, Query(description="Repeat or comma-separate.")] = None,
    category: Annotated[
        str | None,
        Query(max_length=40, description="Category code or id; includes sub-categories."),
    ] = None,
    area: Annotated[
        int | None, Query(description="Organisation id; includes the whole area.")
    ] = None,
    lead_organisation: int | None = None,
    channel: ChannelName | None = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Text in title, description, address, tracking code."),
    ] = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    queue: Annotated[QueueName | None, Query(description="A work queue by stage.")] = None,
    order: Literal["urgency", "newest", "oldest"] = "urgency",
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
):
    """Appeals visible to you (your area, your organisation's cases, your own...), filtered and
    paged. The default order is most urgent first, then oldest."""
    actor = actor_of(request)
    category_code = None
    if category:
        found = _category_by_code_or_id(category)
        if found is None:
            raise ValidationFailed(
                gettext("The request is not valid."),
                fields={"category": [gettext("Unknown category.")]},
            )
        category_code = found.code
    for name, moment in (("created_after", created_after), ("created_before", created_before)):
        if moment is not None and not clock.in_calendar(moment):
            raise ValidationFailed(
                gettext("The request is not valid."),
                fields={name: [gettext("A day from 1900 to 9000.")]},
            )
    filters = selectors.AppealFilters(
        status=_check_choices("status", _split(status), [s.value for s in AppealStatus]) or None,
        urgency=_check_choices("urgency", _split(urgency), Urgency.values) or None,
        category=category_code,
        area=area,
        lead_organisation=lead_organisation,
        channel=channel,
        q=q,
        created_after=_aware(created_after),
        created_before=_aware(created_before),
        queue=queue,
        order=order,
    )
    qs = selectors.appeal_list(actor=actor, filters=filters)
    count, rows = page_of(qs, page=page, page_size=page_size)
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "results": [_list_item(a) for a in rows],
    }


@router.get(
    "/appeals/{appeal_id}",
    response={200: AppealOut, **COMMON_ERRORS, 404: ErrorOut},
    summary="One appeal",
    url_name="appeal_detail",
)
def get_appeal(request: HttpRequest, appeal_id: int):
    """The appeal with its reporter (phone masked unless your role needs it; see
    `reveal-phone`), photos, and the actions you may take now (`allowed_actions`)."""
    actor = actor_of(request)
    appeal = selectors.appeal_get(actor=actor, appeal_id=appeal_id)
    return _detail(actor, appeal)


@router.get(
    "/appeals/{appeal_id}/events",
    response={200: list[EventOut], **COMMON_ERRORS, 404: ErrorOut},
    summary="The appeal's timeline",
    url_name="appeal_events",
)
def list_events(request: HttpRequest, appeal_id: int):
    """Every step, oldest first. Residents see the public steps of their own appeals without
    internal reasons or staff names."""
    actor = actor_of(request)
    appeal = selectors.appeal_get(actor=actor, appeal_id=appeal_id)
    full = not _sees_public_view_only(actor)
    hide = not presenters.can_see_reporter(actor, appeal)
    return [
        _event(actor, appeal, e, full=full, hide=hide)
        for e in selectors.appeal_events(actor=actor, appeal=appeal)
    ]


# --- Photos -------------------------------------------------------------------------------------


@router.post(
    "/appeals/{appeal_id}/photos",
    response={201: PhotoOut, **COMMON_ERRORS, 404: ErrorOut, 409: ErrorOut},
    summary="Attach a photo",
    url_name="appeal_photo_add",
)
def add_photo(request: HttpRequest, appeal_id: int, file: Annotated[UploadedFile, File()]):
    """Multipart upload, field `file`: a JPEG, PNG or WebP image (checked by content, not by
    name), at most 8 MB by default and 6 photos per appeal."""
    actor = actor_of(request)
    appeal = selectors.appeal_get(actor=actor, appeal_id=appeal_id)
    limit = settings.SUQIU["PHOTO_MAX_BYTES"]
    if file.size is not None and file.size > limit:
        raise ValidationFailed(
            gettext("The photo is too large."),
            code="photo_too_large",
            fields={"file": [gettext("At most %(n)d MB.") % {"n": limit // (1024 * 1024)}]},
        )
    try:
        photo = services.appeal_add_photo(actor=actor, appeal=appeal, content=file.read())
    except ValidationFailed as exc:
        # The service names the field "photos" (the resident form); here it is "file".
        if "photos" in exc.fields:
            exc.fields["file"] = exc.fields.pop("photos")
        raise
    return Status(201, _photo(photo))


@router.get(
    "/appeals/{appeal_id}/photos/{photo_id}",
    response={200: None, **COMMON_ERRORS, 404: ErrorOut},
    summary="A photo's image",
    url_name="appeal_photo",
    openapi_extra={
        "responses": {
            200: {
                "description": "The image",
                "content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}},
            }
        }
    },
)
def get_photo(request: HttpRequest, appeal_id: int, photo_id: int):
    """Served only to people who may see the appeal."""
    actor = actor_of(request)
    appeal = selectors.appeal_get(actor=actor, appeal_id=appeal_id)
    return photo_response(appeal, photo_id)


# --- Work chain ---------------------------------------------------------------------------------


def _actions_description() -> str:
    lines = [
        "Take one step of the work chain. The JSON body depends on the action; `{}` or an empty "
        "body for actions without required fields.",
        "",
        "409 `invalid_transition` when the action does not apply to the appeal's status (or a "
        "guard refuses it); 403 `action_not_allowed` when your role may not take it; 422 "
        "`validation_error` with `fields` for a bad payload. `allowed_actions` on the appeal "
        "lists what you may do now.",
        "",
        "| action | from status | payload |",
        "|---|---|---|",
    ]
    for action in Action:
        rule = workflow.RULES[action]
        payload = services.ACTION_INPUTS.get(action.value, {})
        # "|" inside a cell would end it (urgency: normal | urgent | emergency).
        fields = "; ".join(f"`{k}`: {v}" for k, v in payload.items()).replace("|", "\\|") or "—"
        sources = ", ".join(sorted(s.value for s in rule.sources))
        lines.append(f"| `{action.value}` ({rule.label}) | {sources} | {fields} |")
    return "\n".join(lines)


def _action_example_bodies() -> dict:
    examples = {}
    for action, payload in services.ACTION_INPUTS.items():
        examples[action] = {
            "summary": action,
            "value": {
                k: _example_value(v)
                for k, v in payload.items()
                if "required" in v or v.startswith("1-90")
            },
        }
    return examples


def _example_value(doc: str):
    if doc.startswith("1-5"):
        return 4
    if doc.startswith("1-90"):
        return 3
    if doc.startswith("bool"):
        return True
    return "..."


def _parse_json_object(request: HttpRequest) -> dict:
    if not request.body:
        return {}
    try:
        payload = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):  # or nested too deep
        raise BadRequest(
            gettext("The request body is not valid JSON."), code="malformed_json"
        ) from None
    if not isinstance(payload, dict):
        raise ValidationFailed(
            gettext("The body must be a JSON object."),
            fields={"body": [gettext("Must be a JSON object.")]},
        )
    check_storable(payload)
    return payload


@router.post(
    "/appeals/{appeal_id}/actions/{action}",
    response={200: AppealOut, **COMMON_ERRORS, 404: ErrorOut, 409: ErrorOut},
    summary="Take a work-chain action",
    description=_actions_description(),
    url_name="appeal_act",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "additionalProperties": True},
                    "examples": _action_example_bodies(),
                }
            },
        }
    },
)
def act(request: HttpRequest, appeal_id: int, action: Action):
    actor = actor_of(request)
    payload = _parse_json_object(request)
    # Visibility first: an appeal you cannot see is a 404, not a 403 that confirms it exists.
    # Claimable tasks are the exception: volunteers claim from the task library before they
    # can see the appeal itself.
    try:
        selectors.appeal_get(actor=actor, appeal_id=appeal_id)
    except NotFound:
        if action is not Action.CLAIM or not selectors.claim_reachable(
            actor=actor, appeal_id=appeal_id
        ):
            raise
    appeal = services.appeal_act(
        actor=actor, appeal_id=appeal_id, action=action.value, payload=payload
    )
    try:
        appeal = selectors.appeal_get(actor=actor, appeal_id=appeal.pk)
    except NotFound:
        pass  # e.g. returned by its handler: still show what they just did
    return _detail(actor, appeal)


@router.post(
    "/appeals/{appeal_id}/reveal-phone",
    response={200: PhoneOut, **COMMON_ERRORS, 404: ErrorOut},
    summary="Reveal the reporter's full phone number (audited)",
    url_name="appeal_reveal_phone",
)
def reveal_phone(request: HttpRequest, appeal_id: int):
    """Writes a `phone_revealed` event with your name. For roles that call reporters back
    (operators, dispatchers, community and grid workers, handlers, social workers)."""
    actor = actor_of(request)
    appeal = selectors.appeal_get(actor=actor, appeal_id=appeal_id)
    return {"phone": services.appeal_reveal_phone(actor=actor, appeal=appeal)}


# --- Task library -------------------------------------------------------------------------------


@router.get(
    "/tasks",
    response={200: TaskPage, **COMMON_ERRORS},
    summary="Claimable tasks",
    tags=["tasks"],
    url_name="task_list",
)
def list_tasks(
    request: HttpRequest,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
):
    """The task library (任务入库) open for claiming by social workers and volunteers, most urgent
    first. Only the title, category, urgency and community: no reporter, description, address
    or position. Claim with `POST /appeals/{id}/actions/claim`; the details show after claiming.
    Other roles get an empty list."""
    actor = actor_of(request)
    count, rows = page_of(selectors.claimable_tasks(actor=actor), page=page, page_size=page_size)
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "results": [
            {
                "id": a.pk,
                "tracking_code": a.tracking_code,
                "title": a.title,
                "category": _category(a.category) if a.category_id else None,
                "urgency": a.urgency,
                "area": _org(a.area),
                "created_at": a.created_at,
            }
            for a in rows
        ],
    }


# --- Public tracking ----------------------------------------------------------------------------


@tracking_router.get(
    "/track/{tracking_code}",
    response={200: TrackOut, 404: ErrorOut, 429: ErrorOut},
    summary="Follow an appeal by tracking code (public)",
    url_name="track",
)
def track(request: HttpRequest, tracking_code: Annotated[str, Field(max_length=40)]):
    """No sign-in needed; rate limited per client address. Shows the status, the public reply
    and the public timeline only: never the reporter's name or phone, the description or the
    address (they may hold personal data), internal notes, or the names of individual staff."""
    ratelimit.hit(
        "track",
        ratelimit.client_ip(request),
        limit=settings.SUQIU["TRACK_LOOKUPS_PER_MINUTE"],
        window_seconds=60,
    )
    appeal = selectors.appeal_by_tracking_code(tracking_code)
    timeline = []
    for e in selectors.public_events(appeal):
        label = EventKindChoices(e.kind).label if e.kind in EventKindChoices.values else ""
        timeline.append(
            {
                "kind": e.kind,
                "label": str(label),
                "time": e.created_at,
                "public_text": e.public_text,
            }
        )
    return {
        "tracking_code": appeal.tracking_code,
        "title": appeal.title,
        "category": _category_name(appeal.category) if appeal.category_id else None,
        "status": appeal.status,
        "status_label": str(STATUS_LABELS[AppealStatus(appeal.status)]),
        "created_at": appeal.created_at,
        "public_reply": appeal.public_reply,
        "merged_into": appeal.merged_into.tracking_code if appeal.merged_into_id else None,
        "timeline": timeline,
    }
