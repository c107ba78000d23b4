"""clock.now() is the real time unless a block fixes it with clock.at()."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from suqiu.core import clock


def test_now_is_the_real_time_by_default():
    before = timezone.now()
    now = clock.now()
    after = timezone.now()
    assert before <= now <= after
    assert timezone.is_aware(now)


def test_at_fixes_the_time_within_the_block_only():
    moment = datetime(2024, 2, 10, 8, 0, tzinfo=UTC)
    with clock.at(moment):
        assert clock.now() == moment
        assert clock.now() == moment  # it does not tick
    assert clock.now() - timezone.now() < timedelta(seconds=5)
    assert clock.now() != moment


def test_naive_times_are_taken_as_local_time():
    with clock.at(datetime(2024, 2, 10, 8, 0)):
        fixed = clock.now()
    assert timezone.is_aware(fixed)
    assert fixed == timezone.make_aware(datetime(2024, 2, 10, 8, 0))


def test_blocks_nest_and_unwind():
    outer = datetime(2024, 1, 1, tzinfo=UTC)
    inner = datetime(2024, 6, 1, tzinfo=UTC)
    with clock.at(outer):
        with clock.at(inner):
            assert clock.now() == inner
        assert clock.now() == outer


def test_the_clock_is_unwound_after_an_exception():
    moment = datetime(2024, 2, 10, tzinfo=UTC)
    try:
        with clock.at(moment):
            raise ValueError
    except ValueError:
        pass
    assert clock.now() != moment


def test_a_fixed_time_does_not_leak_into_other_threads():
    moment = datetime(2020, 1, 1, tzinfo=UTC)
    seen = []
    with clock.at(moment):
        thread = threading.Thread(target=lambda: seen.append(clock.now()))
        thread.start()
        thread.join()
    assert seen and seen[0] != moment
