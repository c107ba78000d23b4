"""Open311 settings, each overridable in Django settings or the environment (same name)."""

from __future__ import annotations

import os

from django.conf import settings

DEFAULTS = {
    # The jurisdiction this endpoint serves; requests naming another one are refused (400).
    "SUQIU_OPEN311_JURISDICTION": "suqiu.local",
    # GeoReport v2: "first 1000 requests returned" at most per GET requests call.
    "SUQIU_OPEN311_MAX_REQUESTS": 1000,
    # Default and longest span of requested_datetime for GET requests, in days.
    "SUQIU_OPEN311_WINDOW_DAYS": 90,
    "SUQIU_OPEN311_CONTACT": "Contact the platform operator of this Suqiu installation.",
    "SUQIU_OPEN311_KEY_SERVICE": "API keys are issued by the operator: suqiu open311 key create NAME.",
    "SUQIU_OPEN311_ENDPOINT_TYPE": "production",
}


def get(name: str):
    default = DEFAULTS[name]
    if hasattr(settings, name):
        return getattr(settings, name)
    raw = os.environ.get(name)
    if raw is None:
        return default
    return type(default)(raw)
