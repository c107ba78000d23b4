"""Fixed-window rate limits: ``limit`` hits per window pass, the next one is refused."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from suqiu.core import ratelimit
from suqiu.core.errors import RateLimited


class FakeTime:
    def __init__(self):
        self.now = 1_700_000_000.0  # start of a 100-second window

    def time(self):
        return self.now


@pytest.fixture
def fake_time(monkeypatch):
    fake = FakeTime()
    monkeypatch.setattr(ratelimit, "time", fake)
    return fake


def hits(n, bucket="intake", ident="1.2.3.4", limit=3, window=100):
    for _ in range(n):
        ratelimit.hit(bucket, ident, limit=limit, window_seconds=window)


def test_the_hit_after_the_limit_is_refused(fake_time):
    hits(3)
    with pytest.raises(RateLimited) as info:
        hits(1)
    assert info.value.code == "rate_limited"
    assert info.value.http_status == 429
    assert info.value.extra == {"retry_after": 100}
    with pytest.raises(RateLimited):
        hits(1)  # and stays refused for the rest of the window


def test_clients_and_buckets_are_counted_apart(fake_time):
    hits(3, ident="1.2.3.4")
    hits(3, ident="5.6.7.8")
    hits(3, bucket="track")
    with pytest.raises(RateLimited):
        hits(1, ident="5.6.7.8")


def test_a_new_window_starts_afresh(fake_time):
    hits(3)
    fake_time.now += 100
    hits(3)
    with pytest.raises(RateLimited):
        hits(1)


def test_a_limit_of_zero_means_no_limit(fake_time):
    hits(50, limit=0)


def test_a_counter_evicted_between_add_and_incr_starts_again(fake_time, monkeypatch):
    """Caches evict keys when full (Django's file and memory caches hold 300 by default):
    the hit must count as the first of the window, not crash with ValueError."""

    class EvictingCache:
        def add(self, key, value, timeout=None):
            cache.add(key, value, timeout)
            cache.delete(key)  # evicted at once
            return False

        def incr(self, key, delta=1):
            return cache.incr(key, delta)

    monkeypatch.setattr(ratelimit, "cache", EvictingCache())
    hits(1)


def test_client_ip_ignores_forwarded_for_unless_behind_a_proxy(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 7.7.7.7"
    )
    settings.SECURE_PROXY_SSL_HEADER = None
    assert ratelimit.client_ip(request) == "10.0.0.1"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert ratelimit.client_ip(request) == "7.7.7.7"
