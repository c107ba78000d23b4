"""Settings given as one JSON object in an environment variable: the overrides of an app's
defaults (``SUQIU_DUPLICATES='{"radius_m": 300}'``), read by ``settings.py``.

Checked when the settings load, so a deployment with a mistyped key or a value of the wrong
type does not start (``ImproperlyConfigured``, naming the variable and the key) instead of
ignoring the key or failing at the first appeal that reads it. No Django app is loaded yet:
the defaults come from modules that import no models (``duplicates/conf.py``,
``replies/conf.py``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured


def json_overrides(name: str, defaults: Mapping, environ: Mapping | None = None) -> dict:
    """The overrides in the environment variable ``name`` (a JSON object), checked against
    ``defaults``: every key must be one of theirs and every value of its default's type (a
    whole number for an int, any number for a float, true or false for a bool; numbers ≥ 0);
    a nested object (``weights``) is checked the same way and merged over its default, so it
    may give some of its keys only. Unset or empty: no overrides."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} is not valid JSON ({exc}); give a JSON object of overrides, "
            f"e.g. {name}='{_example(defaults)}'"
        ) from None
    return _checked(name, value, defaults, example=_example(defaults))


def _example(defaults: Mapping) -> str:
    """``{"key": default}`` of the first number among the defaults (or the first key)."""
    numbers = [
        k for k, v in defaults.items() if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    key = numbers[0] if numbers else next(iter(defaults))
    return json.dumps({key: defaults[key]})


def _checked(where: str, value, defaults: Mapping, *, example: str) -> dict:
    if not isinstance(value, dict):
        raise ImproperlyConfigured(
            f"{where} must be a JSON object of overrides (e.g. '{example}'), not {_shown(value)}"
        )
    out = {}
    for key, given in value.items():
        if key not in defaults:
            raise ImproperlyConfigured(
                f"{where} has an unknown key {key!r}; known keys: {', '.join(defaults)}"
            )
        default = defaults[key]
        if isinstance(default, Mapping):
            nested = f"{where}[{key!r}]"
            merged = {**default, **_checked(nested, given, default, example=_example(default))}
            numbers = [v for v in merged.values() if isinstance(v, int | float)]
            if numbers and len(numbers) == len(merged) and not any(numbers):
                # Weights that are all 0 weigh nothing: a score would divide by zero.
                raise ImproperlyConfigured(f"{nested}: the values cannot all be 0")
            out[key] = merged
            continue
        wanted = _wanted(default)
        if not _fits(given, default):
            raise ImproperlyConfigured(
                f"{where}: {key!r} must be {wanted} (default {json.dumps(default)}), "
                f"not {_shown(given)}"
            )
        out[key] = float(given) if isinstance(default, float) else given
    return out


def _fits(value, default) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if isinstance(default, int) and not isinstance(value, int):
            return False
        try:
            return math.isfinite(value) and value >= 0
        except OverflowError:  # an integer beyond any float: no setting of ours
            return False
    return isinstance(value, type(default))


def _wanted(default) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "a whole number ≥ 0"
    if isinstance(default, float):
        return "a number ≥ 0"
    return "a string" if isinstance(default, str) else f"a {type(default).__name__}"


def _shown(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
