"""Tracking codes: short, readable over the phone, and not enumerable.

12 symbols from a 30-letter alphabet without look-alikes (no 0/O, 1/I/L, U), shown as
``XXXX-XXXX-XXXX``: 30**12 ≈ 5·10^17 codes, drawn with ``secrets``. Even with ten million
appeals, a guess hits one with probability ~2·10^-11, and look-ups are rate limited.
"""

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
_STRIP = re.compile(r"[\s\-_]")
_SUBSTITUTE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


def new_tracking_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return format_code(raw)


def format_code(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, LENGTH, 4))


def normalise_code(text: str) -> str | None:
    """Accept any case, spaces or dashes; return the canonical form, or None if it cannot be one."""
    raw = _STRIP.sub("", text or "").upper().translate(_SUBSTITUTE)
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return format_code(raw)
