"""Reads of notify: the inbox of a user, the unread count, failed deliveries for administrators."""

from __future__ import annotations

from django.db.models import QuerySet

from suqiu.directory.access import Actor
from suqiu.directory.models import Role
from suqiu.notify.models import InboxItem, MessageStatus, OutboxMessage


def inbox(user_id: int) -> QuerySet[InboxItem]:
    return (
        InboxItem.objects.filter(user_id=user_id)
        .select_related("appeal")
        .order_by("-created_at", "-id")
    )


def unread_count(user_id: int) -> int:
    """One indexed COUNT (``notify_inbox_unread_idx``)."""
    return InboxItem.objects.filter(user_id=user_id, read_at__isnull=True).count()


def may_see_failures(actor: Actor) -> bool:
    return actor.is_superuser or actor.has(Role.ADMIN)


def failures(channel: str = "") -> QuerySet[OutboxMessage]:
    qs = OutboxMessage.objects.filter(status=MessageStatus.FAILED).select_related(
        "recipient", "appeal"
    )
    if channel:
        qs = qs.filter(channel=channel)
    return qs.order_by("-created_at", "-id")
