"""REST API of notify (added to /api/v1/ by suqiu/api/root.py): the caller's own inbox."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Router, Schema

from suqiu.api.schemas import COMMON_ERRORS, ErrorOut
from suqiu.core.errors import NotFound
from suqiu.notify import selectors, services
from suqiu.notify.models import InboxItem

router = Router(tags=["notify"])

PAGE_MAX = 200


class InboxItemOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    appeal_id: int | None
    tracking_code: str | None
    created_at: datetime
    read_at: datetime | None


class InboxOut(Schema):
    unread: int
    items: list[InboxItemOut]


class MarkedOut(Schema):
    marked: int
    unread: int


def _out(item: InboxItem) -> dict:
    return {
        "id": item.pk,
        "kind": item.kind,
        "subject": item.subject,
        "body": item.body,
        "appeal_id": item.appeal_id,
        "tracking_code": item.appeal.tracking_code if item.appeal_id else None,
        "created_at": item.created_at,
        "read_at": item.read_at,
    }


@router.get(
    "/notify/inbox",
    response={200: InboxOut, **COMMON_ERRORS},
    summary="Your messages",
    url_name="notify_inbox",
)
def inbox(request: HttpRequest, unread_only: bool = False, limit: int = 50, before_id: int = 0):
    """Your in-app messages, newest first (``limit`` up to 200; page on with ``before_id``),
    with the unread count."""
    qs = selectors.inbox(request.auth.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if before_id:
        qs = qs.filter(pk__lt=before_id)
    items = list(qs[: max(1, min(limit, PAGE_MAX))])
    return {"unread": selectors.unread_count(request.auth.pk), "items": [_out(i) for i in items]}


@router.post(
    "/notify/inbox/{item_id}/read",
    response={200: MarkedOut, **COMMON_ERRORS, 404: ErrorOut},
    summary="Mark one message read",
    url_name="notify_read",
)
def mark_read(request: HttpRequest, item_id: int):
    if not InboxItem.objects.filter(pk=item_id, user_id=request.auth.pk).exists():
        raise NotFound(gettext("Not found."))
    n = services.mark_read(user_id=request.auth.pk, item_ids=[item_id])
    return {"marked": n, "unread": selectors.unread_count(request.auth.pk)}


@router.post(
    "/notify/inbox/read",
    response={200: MarkedOut, **COMMON_ERRORS},
    summary="Mark all your messages read",
    url_name="notify_read_all",
)
def mark_all_read(request: HttpRequest):
    n = services.mark_read(user_id=request.auth.pk)
    return {"marked": n, "unread": 0}
