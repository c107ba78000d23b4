"""Fixed-window rate limits kept in the cache (shared by all web processes of a deployment)."""

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext

from suqiu.core.errors import RateLimited


def client_ip(request) -> str:
    """The client address for rate limits.

    X-Forwarded-For is honoured only when the deployment says it sits behind a reverse proxy
    (SUQIU_BEHIND_TLS_PROXY); otherwise any client could rotate the header to dodge the limits.
    Behind the proxy we take the last entry: the address the nearest (trusted) proxy saw.
    """
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "unknown")


def hit(bucket: str, ident: str, *, limit: int, window_seconds: int) -> None:
    """Count one hit; raise RateLimited once ``limit`` hits fell in the current window."""
    if limit <= 0:
        return
    window = int(time.time() // window_seconds)
    key = f"rl:{bucket}:{ident}:{window}"
    added = cache.add(key, 1, timeout=window_seconds + 5)
    if added:
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            # The counter vanished between add and incr (caches evict when full): start again.
            cache.add(key, 1, timeout=window_seconds + 5)
            count = 1
    if count > limit:
        raise RateLimited(
            gettext("Too many requests; please try again later."),
            extra={"retry_after": window_seconds},
        )
