"""Notifications: ``notify()`` writes outbox messages in the caller's transaction; ``send_due()``
(the ``notify.send`` worker duty) delivers them.

Other apps call ``notify()`` from inside the transaction of the event that causes the message
(an after-action hook, a worker duty's claim...): should that transaction roll back, no message
exists, so nothing is ever sent about something that did not happen.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from suqiu.core import clock
from suqiu.core.retry import backoff_seconds as _backoff_seconds
from suqiu.directory.models import AREA_KINDS, Membership, Organisation, Role, User
from suqiu.notify import conf
from suqiu.notify.models import MessageStatus, OutboxMessage
from suqiu.notify.transports import PermanentError, get_transport, is_enabled

log = logging.getLogger("suqiu.notify")

INAPP, EMAIL, SMS, WEBHOOK = "inapp", "email", "sms", "webhook"


# --- Writing -------------------------------------------------------------------------------------


def notify(
    *,
    kind: str,
    appeal=None,
    users: Iterable[User] = (),
    roles_in_area: tuple[str, ...] = (),
    organisation=None,
    subject: str,
    body: str,
    data: dict | None = None,
    dedupe_key: str | None = None,
    contacts: Iterable[tuple[str, str]] = (),
    email_users: bool = True,
    webhooks: bool = True,
) -> int:
    """Write, in the current transaction, one message per recipient per channel; return how many.

    Recipients: ``users``; the active staff holding one of ``roles_in_area`` whose membership's
    area covers the appeal's area (a department's area is its nearest area ancestor); the staff
    of ``organisation``; ``contacts`` as (channel, address) pairs (a reporter's phone for SMS).
    A user gets an in-app message, plus an e-mail when e-mail is on, ``EMAIL_STAFF`` is set and
    they have an address (``email_users`` False: in-app only). Webhooks configured for ``kind``
    get one message each (``webhooks`` False: none).

    With ``dedupe_key``, a recipient already sent this key on a channel is skipped: a second
    identical call writes nothing. Channels that are not configured are skipped.
    """
    data = dict(data or {})
    # A subject is one line (an e-mail header); a line break would fail every delivery.
    subject = " ".join(subject.splitlines()).strip()
    if appeal is not None:
        data.setdefault("appeal_id", appeal.pk)
        data.setdefault("tracking_code", appeal.tracking_code)
        data.setdefault("status", appeal.status)
    now = clock.now()
    people = recipients(
        users=users, roles_in_area=roles_in_area, organisation=organisation, appeal=appeal
    )
    email_staff = email_users and bool(conf.get("EMAIL_STAFF")) and is_enabled(EMAIL)
    rows: list[OutboxMessage] = []

    def add(channel: str, *, user: User | None = None, address: str = "") -> None:
        transport = get_transport(channel)
        # In-app is delivered as it is written (``_deliver_inline``): written as sent.
        inline = transport is not None and transport.send_many is not None
        rows.append(
            OutboxMessage(
                recipient=user,
                address=address,
                recipient_key=f"user:{user.pk}" if user is not None else f"address:{address}",
                channel=channel,
                kind=kind,
                subject=subject[:200],
                body=body,
                data=data,
                appeal=appeal,
                status=MessageStatus.SENT if inline else MessageStatus.PENDING,
                attempts=1 if inline else 0,
                sent_at=now if inline else None,
                next_attempt_at=None if inline else now,
                dedupe_key=(dedupe_key or "")[:200],
                created_at=now,
            )
        )

    for user in people:
        add(INAPP, user=user)
        if email_staff and user.email:
            add(EMAIL, user=user, address=user.email)
    for channel, address in contacts:
        if channel == INAPP or not address or not is_enabled(channel):
            continue
        add(channel, address=address)
    if webhooks and is_enabled(WEBHOOK):
        from suqiu.notify.transports.webhook import hooks_for

        for hook in hooks_for(kind):
            add(WEBHOOK, address=hook["url"])
    return _write(rows)


def _write(rows: list[OutboxMessage]) -> int:
    if not rows:
        return 0
    keyed = [r for r in rows if r.dedupe_key]
    if keyed:
        seen = set(
            OutboxMessage.objects.filter(
                dedupe_key__in={r.dedupe_key for r in keyed},
                recipient_key__in={r.recipient_key for r in keyed},
            ).values_list("dedupe_key", "recipient_key", "channel")
        )
        unique: dict[tuple, OutboxMessage] = {}
        for r in rows:
            key = (r.dedupe_key, r.recipient_key, r.channel)
            if r.dedupe_key and (key in seen or key in unique):
                continue
            unique[key if r.dedupe_key else (id(r),)] = r
        rows = list(unique.values())
    if not rows:
        return 0
    if not keyed:
        # Nothing unique to clash on: no savepoint (two round trips) needed.
        written = OutboxMessage.objects.bulk_create(rows)
        _deliver_inline(written)
        return len(written)
    try:
        with transaction.atomic():
            written = OutboxMessage.objects.bulk_create(rows)
    except IntegrityError:
        # A concurrent call wrote some of the same keys first: insert one by one, skipping those.
        written = []
        for row in rows:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
                written.append(row)
            except IntegrityError:
                row.pk = None
    _deliver_inline(written)
    return len(written)


def _deliver_inline(rows: list[OutboxMessage]) -> None:
    """Deliver the messages whose transport writes into our own database (in-app), in the
    same transaction: they were written as sent; should this fail, nothing is written at all."""
    by_channel: dict[str, list[OutboxMessage]] = {}
    for row in rows:
        if row.status == MessageStatus.SENT:
            by_channel.setdefault(row.channel, []).append(row)
    for channel, batch in by_channel.items():
        get_transport(channel).send_many(batch)


def recipients(*, users=(), roles_in_area=(), organisation=None, appeal=None) -> list[User]:
    """The active users ``notify()`` would write to for these arguments (see there)."""
    found: dict[int, User] = {}
    for user in users:
        if user is not None and user.is_active:
            found.setdefault(user.pk, user)
    ids: set[int] = set()
    if roles_in_area and appeal is not None:
        ids |= staff_covering(appeal.area_path, roles_in_area)
    if organisation is not None:
        ids |= set(
            Membership.objects.filter(organisation=organisation)
            .exclude(role=Role.RESIDENT)
            .values_list("user_id", flat=True)
        )
    ids -= set(found)
    if ids:
        for user in User.objects.filter(pk__in=ids, is_active=True).order_by("pk"):
            found[user.pk] = user
    return list(found.values())


def staff_covering(area_path: str, roles: Iterable[str]) -> set[int]:
    """Ids of users holding one of ``roles`` in an organisation whose area covers ``area_path``.

    An area organisation covers its own subtree. A non-area organisation (a department, a command
    centre) serves its nearest area ancestor, as ``directory.access.actor_for`` has it."""
    chain = [int(p) for p in area_path.strip("/").split("/") if p]
    if not chain:
        return set()
    chain_set = set(chain)
    # Organisations at or above the appeal's area, and non-area organisations under one of them.
    under = Q()
    for i in range(len(chain)):
        under |= Q(organisation__path__startswith="/" + "/".join(map(str, chain[: i + 1])) + "/")
    candidates = list(
        Membership.objects.filter(role__in=list(roles))
        .filter(Q(organisation_id__in=chain) | (under & ~Q(organisation__kind__in=AREA_KINDS)))
        .values_list("user_id", "organisation_id", "organisation__path")
    )
    # For a non-area organisation: the ids on its path below the deepest common ancestor with the
    # appeal's chain must hold no area (else its area is elsewhere, e.g. another community).
    between: set[int] = set()
    for _u, org_id, path in candidates:
        if org_id not in chain_set:
            between |= {int(p) for p in path.strip("/").split("/")[:-1] if p} - chain_set
    areas_between = (
        set(
            Organisation.objects.filter(pk__in=between, kind__in=AREA_KINDS).values_list(
                "pk", flat=True
            )
        )
        if between
        else set()
    )
    out: set[int] = set()
    for user_id, org_id, path in candidates:
        if org_id in chain_set:
            out.add(user_id)
            continue
        ids = [int(p) for p in path.strip("/").split("/")[:-1] if p]
        if not any(i in areas_between for i in ids):
            out.add(user_id)
    return out


# --- Delivering ------------------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter after ``attempts`` failed tries: between half and all of
    ``BACKOFF_BASE_SECONDS * 2**(attempts-1)``, capped at ``BACKOFF_MAX_SECONDS``."""
    return _backoff_seconds(
        attempts,
        base=float(conf.get("BACKOFF_BASE_SECONDS")),
        cap=float(conf.get("BACKOFF_MAX_SECONDS")),
    )


def _claim(now, batch: int) -> list[OutboxMessage]:
    """Take up to ``batch`` due messages: pending ones whose time has come, and ones left
    "sending" past their claim (a sender that died). ``SKIP LOCKED`` on PostgreSQL lets several
    workers claim side by side without waiting on or taking each other's rows; SQLite runs the
    block under its single write lock."""
    claim_until = now + timedelta(seconds=float(conf.get("CLAIM_SECONDS")))
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=(MessageStatus.PENDING, MessageStatus.SENDING),
                next_attempt_at__lte=now,
            )
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:batch]
        )
        if not due:
            return []
        OutboxMessage.objects.filter(pk__in=due).update(
            status=MessageStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=claim_until
        )
        return list(OutboxMessage.objects.filter(pk__in=due).order_by("next_attempt_at", "id"))


def send_due(*, batch: int | None = None) -> int:
    """Deliver the due messages (the ``notify.send`` duty). Returns how many were handled."""
    now = clock.now()
    claimed = _claim(now, batch or int(conf.get("BATCH")))
    for message in claimed:
        _deliver(message)
    return len(claimed)


def _deliver(message: OutboxMessage) -> None:
    mine = OutboxMessage.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, attempts=message.attempts
    )
    transport = get_transport(message.channel)
    try:
        if transport is None:
            raise PermanentError(f"no transport named {message.channel!r}")
        if not transport.enabled():
            raise PermanentError(f"the {message.channel} channel is not configured any more")
        transport.send(message)
    except PermanentError as exc:
        log.warning("notify %s via %s failed for good: %s", message.pk, message.channel, exc)
        mine.update(status=MessageStatus.FAILED, last_error=str(exc)[:2000], next_attempt_at=None)
        return
    except Exception as exc:  # noqa: BLE001 - any other failure is worth another try
        text = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= int(conf.get("MAX_ATTEMPTS")):
            log.warning(
                "notify %s via %s: attempts exhausted: %s", message.pk, message.channel, text
            )
            mine.update(status=MessageStatus.FAILED, last_error=text, next_attempt_at=None)
        else:
            later = clock.now() + timedelta(seconds=backoff_seconds(message.attempts))
            mine.update(status=MessageStatus.PENDING, last_error=text, next_attempt_at=later)
        return
    mine.update(status=MessageStatus.SENT, sent_at=clock.now(), last_error="", next_attempt_at=None)


def retry(message_ids: Iterable[int]) -> int:
    """Put failed messages back in the queue (an administrator's decision): due now, attempts
    counted afresh. Returns how many."""
    return OutboxMessage.objects.filter(
        pk__in=list(message_ids), status=MessageStatus.FAILED
    ).update(status=MessageStatus.PENDING, attempts=0, next_attempt_at=clock.now(), last_error="")


def mark_read(*, user_id: int, item_ids: Iterable[int] | None = None) -> int:
    """Mark the user's inbox items read (all unread ones when ``item_ids`` is None). Only the
    user's own items are touched. Returns how many changed."""
    from suqiu.notify.models import InboxItem

    qs = InboxItem.objects.filter(user_id=user_id, read_at__isnull=True)
    if item_ids is not None:
        qs = qs.filter(pk__in=list(item_ids))
    return qs.update(read_at=clock.now())


def prune(*, now=None) -> int:
    """Delete sent outbox messages older than ``RETENTION_DAYS`` (the ``notify.prune`` duty), in
    batches; in-app messages stay in the inbox (``InboxItem`` keeps its own copy). Failed ones
    stay until an administrator deals with them. Returns how many were deleted."""
    days = float(conf.get("RETENTION_DAYS"))
    if days <= 0:
        return 0
    cutoff = (now or clock.now()) - timedelta(days=days)
    ids = list(
        OutboxMessage.objects.filter(status=MessageStatus.SENT, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:1000]
    )
    if not ids:
        return 0
    from suqiu.notify.models import InboxItem

    with transaction.atomic():
        InboxItem.objects.filter(message_id__in=ids).update(message=None)
        OutboxMessage.objects.filter(pk__in=ids).delete()
    return len(ids)
