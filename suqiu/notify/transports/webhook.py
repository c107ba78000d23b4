"""Webhook transport: a JSON POST to each URL configured for the message's kind
(``SUQIU_NOTIFY["WEBHOOKS"]``: ``[{"url": ..., "kinds": ["appeal.accepted"] or ["*"],
"secret": optional}]``, the secret defaulting to ``WEBHOOK_SECRET``).

Every request carries
``X-Suqiu-Timestamp: <unix seconds>``, ``X-Suqiu-Delivery: <message id>``,
``X-Suqiu-Event: <kind>`` and
``X-Suqiu-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + raw body, keyed with the secret>``.
A receiver recomputes the HMAC over the timestamp header, a dot and the raw body bytes, compares
with ``hmac.compare_digest``, refuses timestamps more than 5 minutes away from its clock (replay)
and ignores a delivery id it has seen (a retried delivery carries the same id): see ``verify``.
A webhook without a secret is skipped (never sent unsigned)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from suqiu.notify import conf
from suqiu.notify.transports import PermanentError, TransientError, classify_http_status

TOLERANCE_SECONDS = 300


def hooks_for(kind: str) -> list[dict]:
    """The configured webhooks (with a secret) that want this kind."""
    out = []
    for hook in conf.get("WEBHOOKS") or []:
        kinds = hook.get("kinds") or ["*"]
        if ("*" in kinds or kind in kinds) and hook.get("url") and _secret(hook):
            out.append(hook)
    return out


def _secret(hook: dict) -> str:
    return hook.get("secret") or conf.get("WEBHOOK_SECRET") or ""


def enabled() -> bool:
    return any(h.get("url") and _secret(h) for h in conf.get("WEBHOOKS") or [])


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(
    secret: str, timestamp: str, body: bytes, header: str, *, now: float | None = None
) -> bool:
    """What a receiver does (also usable by a Python receiver): True if the signature matches and
    the timestamp is within 5 minutes."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - ts) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header or "")


def payload(message) -> dict:
    return {
        "id": message.pk,
        "kind": message.kind,
        "created_at": message.created_at.isoformat(),
        "subject": message.subject,
        "data": message.data,
    }


def send(message) -> None:
    hook = next((h for h in conf.get("WEBHOOKS") or [] if h.get("url") == message.address), None)
    if hook is None or not _secret(hook):
        raise PermanentError("this webhook is no longer configured (or has no secret)")
    body = json.dumps(payload(message), ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Suqiu-Event": message.kind,
        "X-Suqiu-Delivery": str(message.pk),
        "X-Suqiu-Timestamp": timestamp,
        "X-Suqiu-Signature": signature(_secret(hook), timestamp, body),
    }
    try:
        response = httpx.post(
            message.address,
            content=body,
            headers=headers,
            timeout=float(conf.get("TIMEOUT_SECONDS")),
        )
    except httpx.HTTPError as exc:
        raise TransientError(f"webhook: {exc!r}") from exc
    error = classify_http_status(response.status_code)
    if error is not None:
        raise error(f"webhook answered {response.status_code}: {response.text[:300]}")
