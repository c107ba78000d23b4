"""Federation: appeals of a category handled by another organisation's Open311 system.

1. **Outbox.** ``on_dispatch`` runs inside ``appeal_act``'s transaction (registered with
   ``appeals.services.register_after_action``): when an appeal of a category with an active
   ``UpstreamEndpoint`` is dispatched, a ``FederatedRequest`` (``pending``, due now) is written
   with the dispatch. A crash before the commit sends nothing; an upstream outage delays, loses
   nothing.
2. **Push** (worker duty ``open311.push``): claims due pending rows with compare-and-set on
   ``next_attempt_at`` (the claim moves it one lease ahead, so a crashed worker's row comes back
   by itself), POSTs each upstream, stores the upstream ``service_request_id`` (``sent``).
   Failures that may pass (connection, time-out, 5xx, 429) are retried with exponential backoff
   and jitter, for as long as it takes; refusals (403: our key; other 4xx: the request) mark the
   row ``failed`` at once. Delivery is at least once: a worker that dies after upstream accepted
   the request and before storing its id sends it again after the lease (GeoReport v2 has no
   idempotency key).
3. **Poll** (worker duty ``open311.poll``): per endpoint, claims sent rows whose last poll is
   older than the endpoint's interval (compare-and-set on ``last_polled_at``), GETs their status in
   batches of 50 ids, and records each change of upstream status or status notes as an event on
   our appeal (the notes as public text, so the reporter sees progress). Upstream closing a
   request does not move our appeal: the system has no rights in the work chain, so the event and
   the workbench tell the dispatcher, who resolves and verifies as usual.

What goes upstream: service code, jurisdiction, our key, the place (lat/long, else the address or
the area's name) and "title + description" (at most 4000 characters). Never the reporter's name,
phone or any contact data: the upstream organisation handles the matter, not the person; the
appeal's photos stay with us too (they are served to signed-in staff only).

Events are ``note`` events written by the system with ``data["source"] == "open311"`` and
``data["event"]`` one of ``upstream_sent``, ``upstream_failed``, ``upstream_update`` (new event
kinds would need a migration of the appeals app).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from suqiu.appeals import services as appeal_services
from suqiu.appeals.models import Appeal
from suqiu.appeals.workflow import OPEN
from suqiu.core import clock, retry
from suqiu.open311 import client
from suqiu.open311.models import (
    FederatedRequest,
    FederationState,
    UpstreamEndpoint,
)

log = logging.getLogger("suqiu.open311.federation")

SOURCE = "open311"
# How long a claimed row stays invisible to other workers (longer than any HTTP time-out).
LEASE = timedelta(minutes=2)
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
BATCH = 20
POLL_IDS_PER_CALL = 50
DESCRIPTION_MAX = 4000


# --- Outbox ---------------------------------------------------------------------------------------


def on_dispatch(*, appeal: Appeal, event, actor) -> None:
    """The ``appeal_act`` hook for ``dispatch`` (same transaction)."""
    if appeal.category_id is None:
        return
    endpoint = UpstreamEndpoint.objects.filter(
        category_id=appeal.category_id, is_active=True
    ).first()
    if endpoint is None:
        return
    now = clock.now()
    existing = FederatedRequest.objects.select_for_update().filter(appeal=appeal).first()
    if existing is None:
        FederatedRequest.objects.create(appeal=appeal, endpoint=endpoint, next_attempt_at=now)
    elif existing.state == FederationState.FAILED:
        # Dispatched again after a refusal (say, after the key was fixed): try once more.
        FederatedRequest.objects.filter(pk=existing.pk).update(
            state=FederationState.PENDING,
            endpoint=endpoint,
            attempts=0,
            next_attempt_at=now,
            updated_at=now,
        )
    # Pending or already sent: a re-dispatch (after a return) files nothing twice.


# --- Push ------------------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """30 s · 2^(attempts-1), at most an hour, ±20 % jitter so retries do not march in step."""
    return timedelta(
        seconds=retry.backoff_seconds(
            attempts, base=BACKOFF_BASE_SECONDS, cap=BACKOFF_MAX_SECONDS, jitter=(0.8, 1.2)
        )
    )


def request_form(row: FederatedRequest) -> dict[str, str]:
    """The GeoReport v2 POST fields for one appeal (no personal data: see the module notes)."""
    appeal, endpoint = row.appeal, row.endpoint
    form = {"api_key": endpoint.api_key, "service_code": endpoint.service_code}
    if endpoint.jurisdiction_id:
        form["jurisdiction_id"] = endpoint.jurisdiction_id
    if appeal.lat is not None and appeal.lon is not None:
        form["lat"] = repr(float(appeal.lat))
        form["long"] = repr(float(appeal.lon))
    address = (appeal.address or "").strip()
    if address:
        form["address_string"] = address[:255]
    elif "lat" not in form:
        form["address_string"] = appeal.area.name[:255]
    text = f"{appeal.title.strip()}\n\n{appeal.description.strip()}".strip()
    if len(text) > DESCRIPTION_MAX:
        text = text[: DESCRIPTION_MAX - 1] + "…"
    form["description"] = text
    return form


def _claim_due_pending(now: datetime, limit: int) -> list[int]:
    due = list(
        FederatedRequest.objects.filter(state=FederationState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "next_attempt_at")[:limit]
    )
    claimed = []
    for pk, old in due:
        # The claim: only one worker moves next_attempt_at from the value it read.
        if (
            FederatedRequest.objects.filter(
                pk=pk, state=FederationState.PENDING, next_attempt_at=old
            ).update(next_attempt_at=now + LEASE, updated_at=now)
            == 1
        ):
            claimed.append(pk)
    return claimed


def push_due(*, limit: int = BATCH) -> int:
    """Worker duty ``open311.push``: send due outbox rows upstream. Returns rows handled."""
    claimed = _claim_due_pending(clock.now(), limit)
    for pk in claimed:
        try:
            push_one(pk)
        except Exception:  # noqa: BLE001 - one bad row must not stop the others
            log.exception("open311 push of federated request %s failed", pk)
    return len(claimed)


def push_one(pk: int) -> None:
    """Send one claimed row and record the outcome."""
    row = FederatedRequest.objects.select_related("appeal__area", "endpoint").get(pk=pk)
    endpoint = row.endpoint
    try:
        result = client.post_request(endpoint.url("requests"), endpoint.format, request_form(row))
    except client.UpstreamError as exc:
        _push_failed(row, exc)
        return
    now = clock.now()
    with transaction.atomic():
        FederatedRequest.objects.filter(pk=row.pk, state=FederationState.PENDING).update(
            state=FederationState.SENT,
            upstream_id=result.service_request_id[:120],
            upstream_token=result.token[:120],
            attempts=row.attempts + 1,
            sent_at=now,
            last_error="",
            updated_at=now,
        )
        shown = result.service_request_id or result.token
        appeal_services.appeal_record_external(
            appeal_id=row.appeal_id,
            reason=_("Sent to %(name)s over Open311 as %(id)s.")
            % {"name": endpoint.name, "id": shown},
            data={
                "source": SOURCE,
                "event": "upstream_sent",
                "endpoint": endpoint.name,
                "upstream_id": result.service_request_id,
                "token": result.token,
                "service_notice": result.service_notice[:300],
            },
        )


def _push_failed(row: FederatedRequest, exc: client.UpstreamError) -> None:
    now = clock.now()
    attempts = row.attempts + 1
    message = str(exc)[:2000]
    if exc.retry:
        wait = backoff(attempts)
        if exc.retry_after:
            wait = max(wait, timedelta(seconds=min(exc.retry_after, BACKOFF_MAX_SECONDS)))
        FederatedRequest.objects.filter(pk=row.pk, state=FederationState.PENDING).update(
            attempts=attempts, next_attempt_at=now + wait, last_error=message, updated_at=now
        )
        log.warning(
            "open311 push %s failed (attempt %s), retry in %s: %s", row.pk, attempts, wait, message
        )
        return
    with transaction.atomic():
        FederatedRequest.objects.filter(pk=row.pk, state=FederationState.PENDING).update(
            state=FederationState.FAILED, attempts=attempts, last_error=message, updated_at=now
        )
        appeal_services.appeal_record_external(
            appeal_id=row.appeal_id,
            reason=_("%(name)s refused the request over Open311: %(error)s")
            % {"name": row.endpoint.name, "error": message},
            data={
                "source": SOURCE,
                "event": "upstream_failed",
                "endpoint": row.endpoint.name,
                "status": exc.status,
                "error": message,
            },
        )
    log.error("open311 push %s refused for good: %s", row.pk, message)


# --- Poll ------------------------------------------------------------------------------------------


def _claim_due_polls(endpoint: UpstreamEndpoint, now: datetime, limit: int) -> list[int]:
    cutoff = now - timedelta(seconds=endpoint.poll_interval_seconds)
    due = list(
        FederatedRequest.objects.filter(
            endpoint=endpoint, state=FederationState.SENT, appeal__status__in=list(OPEN)
        )
        .filter(Q(last_polled_at__isnull=True) | Q(last_polled_at__lte=cutoff))
        .order_by("last_polled_at", "pk")
        .values_list("pk", "last_polled_at")[:limit]
    )
    claimed = []
    for pk, old in due:
        qs = FederatedRequest.objects.filter(pk=pk)
        qs = (
            qs.filter(last_polled_at__isnull=True) if old is None else qs.filter(last_polled_at=old)
        )
        if qs.update(last_polled_at=now) == 1:
            claimed.append(pk)
    return claimed


def poll_due(*, limit: int = 200) -> int:
    """Worker duty ``open311.poll``: fetch upstream status of sent rows. Returns rows polled."""
    handled = 0
    for endpoint in UpstreamEndpoint.objects.filter(is_active=True).order_by("pk"):
        now = clock.now()
        claimed = _claim_due_polls(endpoint, now, limit)
        if not claimed:
            continue
        handled += len(claimed)
        rows = list(FederatedRequest.objects.filter(pk__in=claimed).order_by("pk"))
        _resolve_tokens(endpoint, [r for r in rows if not r.upstream_id and r.upstream_token])
        with_ids = [r for r in rows if r.upstream_id]
        for start in range(0, len(with_ids), POLL_IDS_PER_CALL):
            batch = with_ids[start : start + POLL_IDS_PER_CALL]
            params = {"service_request_id": ",".join(r.upstream_id for r in batch)}
            if endpoint.jurisdiction_id:
                params["jurisdiction_id"] = endpoint.jurisdiction_id
            try:
                records = client.get_requests(endpoint.url("requests"), endpoint.format, params)
            except client.UpstreamError as exc:
                # Polled again after the interval; the error is there for dispatchers to see.
                FederatedRequest.objects.filter(pk__in=[r.pk for r in batch]).update(
                    last_error=str(exc)[:2000]  # the panel says "last poll failed" (state sent)
                )
                log.warning("open311 poll of %s failed: %s", endpoint, exc)
                continue
            by_id = {str(rec.get("service_request_id") or ""): rec for rec in records}
            for row in batch:
                record = by_id.get(row.upstream_id)
                if record is not None:
                    apply_update(row, record)
    return handled


def _resolve_tokens(endpoint: UpstreamEndpoint, rows: list[FederatedRequest]) -> None:
    """Servers that answer a POST with a token give the id later at ``tokens/{token}``."""
    for row in rows:
        try:
            records = client.get_requests(
                endpoint.url(f"tokens/{row.upstream_token}"), endpoint.format, {}
            )
        except client.UpstreamError as exc:
            log.warning("open311 token %s of %s: %s", row.upstream_token, endpoint, exc)
            continue
        found = next((r for r in records if r.get("service_request_id")), None)
        if found:
            FederatedRequest.objects.filter(pk=row.pk).update(
                upstream_id=str(found["service_request_id"])[:120]
            )


def apply_update(row: FederatedRequest, record: dict) -> bool:
    """Store what upstream says about one request; an event when status or notes changed."""
    status = str(record.get("status") or "").strip().lower()[:20]
    notes = str(record.get("status_notes") or "").strip()
    updated = str(record.get("updated_datetime") or "").strip()[:40]
    if (status, notes, updated) == (
        row.upstream_status,
        row.upstream_status_notes,
        row.upstream_updated_datetime,
    ):
        return False
    meaningful = status != row.upstream_status or notes != row.upstream_status_notes
    with transaction.atomic():
        FederatedRequest.objects.filter(pk=row.pk).update(
            upstream_status=status,
            upstream_status_notes=notes,
            upstream_updated_datetime=updated,
            last_error="",
            updated_at=clock.now(),
        )
        if meaningful:
            name = row.endpoint.name
            if status == "closed":
                reason = _("%(name)s closed the request %(id)s.") % {
                    "name": name,
                    "id": row.upstream_id,
                }
            else:
                reason = _("%(name)s: request %(id)s is %(status)s.") % {
                    "name": name,
                    "id": row.upstream_id,
                    "status": status or "?",
                }
            appeal_services.appeal_record_external(
                appeal_id=row.appeal_id,
                reason=reason,
                public_text=notes if notes != row.upstream_status_notes else "",
                data={
                    "source": SOURCE,
                    "event": "upstream_update",
                    "endpoint": name,
                    "upstream_id": row.upstream_id,
                    "status": status,
                    "previous_status": row.upstream_status,
                    "status_notes": notes,
                    "updated_datetime": updated,
                    "agency_responsible": str(record.get("agency_responsible") or "")[:200],
                },
            )
    return meaningful


def federation_of(appeal: Appeal) -> FederatedRequest | None:
    """The federation record of an appeal, for the workbench (None when not federated)."""
    return FederatedRequest.objects.select_related("endpoint").filter(appeal_id=appeal.pk).first()
