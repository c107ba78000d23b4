"""Notification settings: ``settings.SUQIU_NOTIFY`` (a dict) overrides, key by key, the defaults
below, which are read from the environment (variable ``SUQIU_NOTIFY_<KEY>``)."""

from __future__ import annotations

import functools
import json
import os

from django.conf import settings


def _env(name: str, default: str = "") -> str:
    return os.environ.get(f"SUQIU_NOTIFY_{name}", default)


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if not raw:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_json(name: str, default):
    raw = _env(name)
    return json.loads(raw) if raw else default


@functools.cache
def defaults() -> dict:
    """Read once per process (the environment does not change under a running process)."""
    return {
        # Delivery: attempts before a message fails for good; backoff base and cap (seconds).
        "MAX_ATTEMPTS": int(_env("MAX_ATTEMPTS", "6")),
        "BACKOFF_BASE_SECONDS": float(_env("BACKOFF_BASE_SECONDS", "30")),
        "BACKOFF_MAX_SECONDS": float(_env("BACKOFF_MAX_SECONDS", "3600")),
        # How long a claimed message may stay "sending" before another worker takes it over.
        "CLAIM_SECONDS": float(_env("CLAIM_SECONDS", "300")),
        "BATCH": int(_env("BATCH", "50")),
        # Sent messages are deleted from the outbox after this many days (0: kept for ever).
        "RETENTION_DAYS": float(_env("RETENTION_DAYS", "90")),
        "TIMEOUT_SECONDS": float(_env("TIMEOUT_SECONDS", "10")),
        # E-mail over SMTP. Empty host: the e-mail channel is off (no e-mail messages written).
        "EMAIL_HOST": _env("EMAIL_HOST"),
        "EMAIL_PORT": int(_env("EMAIL_PORT", "25")),
        "EMAIL_USER": _env("EMAIL_USER"),
        "EMAIL_PASSWORD": _env("EMAIL_PASSWORD"),
        "EMAIL_STARTTLS": _env_bool("EMAIL_STARTTLS", False),
        "EMAIL_SSL": _env_bool("EMAIL_SSL", False),
        "EMAIL_FROM": _env("EMAIL_FROM", "suqiu@localhost"),
        # Staff get e-mail copies of their in-app messages when they have an address.
        "EMAIL_STAFF": _env_bool("EMAIL_STAFF", True),
        # SMS through an HTTP gateway. Empty URL: the SMS channel is off.
        "SMS_URL": _env("SMS_URL"),
        "SMS_METHOD": _env("SMS_METHOD", "POST"),
        # "json" or "form"; the template's string values may use {phone} and {text}.
        "SMS_FORMAT": _env("SMS_FORMAT", "json"),
        "SMS_TEMPLATE": _env_json("SMS_TEMPLATE", {"to": "{phone}", "text": "{text}"}),
        # Sent as the Authorization header when set, e.g. "Bearer abc".
        "SMS_AUTH": _env("SMS_AUTH"),
        # Webhooks: a list of {"url": ..., "kinds": ["appeal.created", ...] or ["*"]}.
        "WEBHOOKS": _env_json("WEBHOOKS", []),
        "WEBHOOK_SECRET": _env("WEBHOOK_SECRET"),
        # Base URL of the site for links in messages (e.g. "https://suqiu.example.org").
        "SITE_URL": _env("SITE_URL"),
    }


def get(name: str):
    override = getattr(settings, "SUQIU_NOTIFY", {}) or {}
    if name in override:
        return override[name]
    return defaults()[name]
