"""Retry timing shared by everything that retries an outside system (notification transports,
the Open311 federation client)."""

from __future__ import annotations

import random


def backoff_seconds(
    attempts: int, *, base: float, cap: float, jitter: tuple[float, float] = (0.5, 1.0)
) -> float:
    """Seconds to wait after ``attempts`` failed tries: ``base · 2^(attempts-1)``, at most
    ``cap``, times a random factor in ``jitter`` so that many retries do not march in step."""
    full = min(cap, base * 2 ** max(attempts - 1, 0))
    return full * random.uniform(*jitter)
