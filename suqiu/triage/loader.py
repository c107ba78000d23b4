"""The active routing model, kept in memory per process and reloaded when another is activated.

Activating a version (``services.activate``) bumps the "triage_model" version token in the shared
Django cache (``directory.snapshot.bump``). Each process checks that token at most every
``CHECK_SECONDS`` (a cache read) and, when it changed, asks the database which version is active
(one small query) and loads its bytes only if that version differs from the one in memory. So
``suqiu triage train`` (or activating an older version in the admin) reaches every web and worker
process within a few seconds, without a restart.

The active keyword rules (the fallback without a model, and urgency keywords) are kept the same
way: saving or deleting a rule bumps the same token, and everything is re-read at least every
``TTL_SECONDS`` (changes that bypass ``save()`` take effect within that time).

A model whose bytes do not load (corrupt, or written by an incompatible library) is logged once
per version and treated as absent: intake then falls back to keyword rules and never fails.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from suqiu.directory import snapshot

log = logging.getLogger(__name__)

CHECK_SECONDS = 3.0
TTL_SECONDS = 60.0
KIND = "triage_model"


@dataclass(frozen=True)
class Rule:
    category_id: int
    keywords: tuple[str, ...]
    urgency: str
    auto: bool


@dataclass
class Loaded:
    """The active model as a process holds it."""

    version: int
    router: Any  # suqiu.triage.router.Router
    thresholds: dict = field(default_factory=dict)
    label_map: dict = field(default_factory=dict)
    urgency_terms: list = field(default_factory=list)
    algorithm: str = ""


class _Holder:
    def __init__(self):
        self.lock = threading.Lock()
        self.token: str | None = None
        self.checked_at = float("-inf")
        self.loaded: Loaded | None = None
        self.broken_version: int | None = None
        self.active_version: int | None = None  # in the database at the last check
        self.rules: list[Rule] = []
        self.built_at = float("-inf")

    def reset(self) -> None:
        with self.lock:
            self.token = None
            self.checked_at = float("-inf")
            self.loaded = None
            self.broken_version = None
            self.active_version = None
            self.rules = []
            self.built_at = float("-inf")


_holder = _Holder()


def reset() -> None:
    """Forget the model in memory (tests; the next use reloads)."""
    _holder.reset()


def active() -> Loaded | None:
    """The active routing model, or None (no model, or one that does not load)."""
    _check()
    return _holder.loaded


def rules() -> list[Rule]:
    """The active keyword rules."""
    _check()
    return _holder.rules


def _check() -> None:
    h = _holder
    now = time.monotonic()
    if now - h.checked_at < CHECK_SECONDS:
        return
    token = snapshot.version(KIND)
    if token == h.token and now - h.built_at < TTL_SECONDS:
        h.checked_at = now
        return
    with h.lock:
        _refresh(h, token)
        h.rules = _load_rules()
        h.built_at = h.checked_at = time.monotonic()


def _load_rules() -> list[Rule]:
    from suqiu.triage.models import KeywordRule

    return [
        Rule(r.category_id, tuple(r.keyword_list()), r.urgency, r.auto)
        for r in KeywordRule.objects.filter(is_active=True).order_by("pk")
    ]


def _refresh(h: _Holder, token: str) -> None:
    from suqiu.triage.models import RoutingModel

    row = (
        RoutingModel.objects.filter(is_active=True)
        .only("pk", "version")
        .order_by("-version")
        .first()
    )
    h.token = token
    h.active_version = row.version if row else None
    if row is None:
        h.loaded = None
        return
    if h.loaded is not None and h.loaded.version == row.version:
        return
    if h.broken_version == row.version:
        h.loaded = None
        return
    full = RoutingModel.objects.get(pk=row.pk)
    try:
        from suqiu.triage.router import Router

        router = Router.from_bytes(bytes(full.blob))
    except Exception:  # noqa: BLE001 - any failure to load must not break intake
        log.exception("triage: routing model v%s does not load; using keyword rules", row.version)
        h.broken_version = row.version
        h.loaded = None
        return
    h.loaded = Loaded(
        version=full.version,
        router=router,
        thresholds=dict(full.thresholds or {}),
        label_map=dict(full.label_map or {}),
        urgency_terms=list(full.urgency_terms or []),
        algorithm=full.algorithm,
    )
    log.info("triage: routing model v%s loaded", full.version)


def bump() -> None:
    """Tell every process that the active model changed (now and again on commit)."""
    snapshot.bump(KIND)
