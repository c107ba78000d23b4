"""In-app transport: an ``InboxItem`` for the recipient user, written with the message (always on)."""

from __future__ import annotations

from collections.abc import Iterable

from suqiu.notify.transports import PermanentError


def _item(message):
    from suqiu.notify.models import InboxItem

    return InboxItem(
        user_id=message.recipient_id,
        message=message,
        kind=message.kind,
        subject=message.subject,
        body=message.body,
        appeal_id=message.appeal_id,
        created_at=message.created_at,
    )


def send(message) -> None:
    from suqiu.notify.models import InboxItem

    if message.recipient_id is None:
        raise PermanentError("in-app messages need a recipient user")
    if not InboxItem.objects.filter(message=message).exists():
        _item(message).save(force_insert=True)


def send_many(messages: Iterable) -> None:
    from suqiu.notify.models import InboxItem

    InboxItem.objects.bulk_create([_item(m) for m in messages if m.recipient_id is not None])
