"""The background worker: a loop over registered duties; no message broker.

Each duty is a function that finds due rows and claims them itself with compare-and-set
(``filter(pk=..., <old state>).update(<new state>) == 1``) or ``SELECT ... FOR UPDATE SKIP
LOCKED``, so several workers can run side by side on PostgreSQL (one on SQLite) without doing
anything twice. A duty returns how many items it handled; the loop sleeps only when a full round
found nothing to do.

Apps register duties in their ``AppConfig.ready`` with ``register_duty``.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

log = logging.getLogger("suqiu.worker")


@dataclass(frozen=True)
class Duty:
    name: str
    run: Callable[[], int]
    every_seconds: float


_DUTIES: dict[str, Duty] = {}


def register_duty(name: str, run: Callable[[], int], *, every_seconds: float) -> None:
    _DUTIES[name] = Duty(name, run, every_seconds)


def duties() -> list[Duty]:
    return list(_DUTIES.values())


class Worker:
    """Runs due duties until stopped (SIGTERM/SIGINT finish the current duty first)."""

    def __init__(self, *, interval: float = 5.0, only: set[str] | None = None):
        self.interval = interval
        self.only = only
        self.stopping = False
        self.last_run: dict[str, float] = {}

    def stop(self, *_args) -> None:
        self.stopping = True

    def run_once(self) -> dict[str, int]:
        """One round: every duty whose interval has passed runs once. Returns items handled."""
        handled: dict[str, int] = {}
        now = time.monotonic()
        for duty in duties():
            if self.only and duty.name not in self.only:
                continue
            if now - self.last_run.get(duty.name, -1e9) < duty.every_seconds:
                continue
            close_old_connections()
            try:
                handled[duty.name] = duty.run()
            except Exception:
                log.exception("duty %s failed", duty.name)
                handled[duty.name] = 0
            self.last_run[duty.name] = time.monotonic()
            if self.stopping:
                break
        return handled

    def run_forever(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        log.info("worker started with duties: %s", ", ".join(d.name for d in duties()) or "none")
        while not self.stopping:
            handled = self.run_once()
            if not any(handled.values()):
                slept = 0.0
                while slept < self.interval and not self.stopping:
                    time.sleep(0.2)
                    slept += 0.2
        log.info("worker stopped")
