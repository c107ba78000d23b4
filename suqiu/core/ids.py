"""Database ids as clients send them: a whole number or a string of ASCII digits."""

from __future__ import annotations

from typing import Any

MAX_ID = 2**63 - 1  # the largest value a 64-bit integer column holds


def as_id(value: Any) -> int | None:
    """``value`` as a positive id a database can hold, or None (true/false, "²", 0, 2**63 ...)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()):
            return None
        value = int(value)
    if isinstance(value, int) and 1 <= value <= MAX_ID:
        return value
    return None
