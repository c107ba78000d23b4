"""Transports behind a registry: ``register_transport(name, send_fn)``.

A transport's ``send(message)`` delivers one ``OutboxMessage`` or raises:

- ``PermanentError``: retrying cannot help (a gateway's 4xx other than 429, an SMTP 5xx); the
  message fails for good at once;
- anything else (``TransientError``, a timeout, a refused connection...): retried with backoff
  until the attempts run out.

``enabled()`` says whether the channel is configured: ``notify()`` writes no messages for a
channel that is off. ``send_many`` (optional) delivers several messages at once inside the
writing transaction: a transport that has it (``inapp``) is delivered when the message is
written, not by the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


class TransportError(Exception):
    """A delivery that did not happen."""


class PermanentError(TransportError):
    """Retrying will not help."""


class TransientError(TransportError):
    """Worth trying again later."""


@dataclass(frozen=True)
class Transport:
    name: str
    send: Callable[..., None]
    enabled: Callable[[], bool]
    send_many: Callable[[Iterable], None] | None = None


_TRANSPORTS: dict[str, Transport] = {}


def register_transport(
    name: str,
    send_fn: Callable[..., None],
    *,
    enabled: Callable[[], bool] = lambda: True,
    send_many: Callable[[Iterable], None] | None = None,
) -> None:
    """Add (or replace, by name) a transport."""
    _TRANSPORTS[name] = Transport(name, send_fn, enabled, send_many)


def get_transport(name: str) -> Transport | None:
    return _TRANSPORTS.get(name)


def transports() -> dict[str, Transport]:
    return dict(_TRANSPORTS)


def is_enabled(name: str) -> bool:
    transport = _TRANSPORTS.get(name)
    return transport is not None and transport.enabled()


def classify_http_status(status: int) -> type[TransportError] | None:
    """None for success; 429 and 5xx are transient; any other status is permanent."""
    if 200 <= status < 300:
        return None
    if status == 429 or status >= 500:
        return TransientError
    return PermanentError
