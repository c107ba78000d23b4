"""``suqiu demo``: the demo directory, people and appeals, written through the real services.

Every appeal is created with ``services.appeal_create`` and moved with ``services.appeal_act`` by
the person the work chain requires (a handler of the lead organisation accepts and resolves,
someone else verifies, the reporter or a staff member revisits), so every timeline is one the
live system could have written. ``core.clock.at`` back-dates each step. The steps of all appeals
run in global time order, so an appeal is merged only into one that is open at that moment and
event ids grow with event time.

Speed: steps run in batches inside one transaction each (the services' own transactions nest as
savepoints); actors and static look-ups are built once.
"""

from __future__ import annotations

import heapq
import random
import time as _time
import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suqiu.appeals import services
from suqiu.appeals.models import Appeal, AppealEvent
from suqiu.core import clock
from suqiu.core.errors import ApplicationError
from suqiu.demo.clock import SOON, due_soon, settle
from suqiu.demo.directory import Directory, build_directory
from suqiu.demo.people import DEMO_USERS
from suqiu.demo.plan import ANONYMOUS, SYSTEM, MergeTarget, Plan, Planner, build_plans
from suqiu.directory.access import SYSTEM as SYSTEM_ACTOR
from suqiu.directory.access import actor_for
from suqiu.directory.models import Category, Organisation, User

BATCH = 500  # steps per transaction
SOON_FROM = 500  # demos with at least this many appeals include the "due within minutes" set


class DatabaseNotEmpty(Exception):
    """Demo data goes only into an empty database."""


@dataclass
class Report:
    appeals: int = 0
    events: int = 0
    steps: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def ensure_empty() -> None:
    usernames = [u.username for u in DEMO_USERS]
    if (
        Organisation.objects.exists()
        or Category.objects.exists()
        or Appeal.objects.exists()
        or User.objects.filter(username__in=usernames).exists()
    ):
        raise DatabaseNotEmpty(
            _(
                "The database is not empty: demo data loads only into an empty database "
                "(organisations, categories, appeals or demo users already exist). Use a fresh "
                "data directory (SUQIU_DATA_DIR=...) or database, then run `suqiu demo`."
            )
        )


def generate(
    *,
    appeals: int = 2000,
    days: int = 90,
    seed: int = 42,
    now: datetime | None = None,
    log: Callable[[str], object] = print,
) -> Report:
    """Write the demo directory and ``appeals`` appeals spread over the last ``days`` days."""
    started, cpu_started = _time.perf_counter(), _time.process_time()
    ensure_empty()
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    with transaction.atomic():
        d = build_directory()
    log(
        _(
            "Directory: %(orgs)s organisations, %(grids)s grids, %(categories)s categories, "
            "%(people)s people."
        )
        % {
            "orgs": len(d.orgs),
            "grids": len(d.grids),
            "categories": len(d.categories),
            "people": len(d.users),
        }
    )
    # With a full demo, a few of the appeals are the "due within minutes" set (demo/clock.py).
    soon = len(SOON) if appeals >= SOON_FROM else 0
    planner = Planner(d, rng=random.Random(seed), now=now, days=days, tz=tz)
    plans = build_plans(planner, appeals - soon)
    report = Report(steps=sum(len(p.steps) for p in plans))
    log(
        _("Planned %(appeals)s appeals with %(steps)s steps over %(days)s days; replaying…")
        % {"appeals": len(plans), "steps": report.steps, "days": days}
    )
    _replay(plans, d, report, log)
    # What the worker would have done while all this happened (escalations, returns, closures
    # as "not rated"), then appeals whose time runs out in the next minutes.
    end = timezone.now()
    settled = settle(end)
    log(
        _(
            "Time limits: %(escalated)s escalated, %(first_contact_escalated)s escalated for no "
            "first contact, %(returned)s returned unaccepted, %(kept_waiting)s given more time "
            "to accept, %(closed_not_rated)s closed as not rated."
        )
        % settled
    )
    if soon:
        with transaction.atomic():
            due_soon(d, end)
        log(
            _("Added %(n)s appeals due within minutes (watch the inbox of dispatcher/leader).")
            % {"n": soon}
        )
    report.appeals = Appeal.objects.count()
    report.events = AppealEvent.objects.count()
    report.by_status = dict(Counter(Appeal.objects.values_list("status", flat=True)))
    report.seconds = _time.perf_counter() - started
    report.cpu_seconds = _time.process_time() - cpu_started
    return report


def _replay(plans: list[Plan], d: Directory, report: Report, log) -> None:
    actors = dict(d.actors)
    actors[SYSTEM] = SYSTEM_ACTOR
    actors[ANONYMOUS] = actor_for(AnonymousUser())
    by_key = {p.key: p for p in plans}
    heap = [(p.steps[0].at, p.key, 0) for p in plans]
    heapq.heapify(heap)
    done = 0
    next_report = max(1, report.steps // 10)
    while heap:
        with transaction.atomic():
            for _step in range(BATCH):
                if not heap:
                    break
                _at, key, index = heapq.heappop(heap)
                plan = by_key[key]
                done += 1
                if plan.failed:
                    continue
                try:
                    _run_step(plan, index, actors, by_key)
                except ApplicationError as exc:
                    step = plan.steps[index]
                    plan.failed = f"{step.action} by {step.actor}: {exc.code} {exc.message}"
                    report.failures.append(
                        f"appeal {plan.key} ({plan.tag or plan.sub}): {plan.failed}"
                    )
                    continue
                if index + 1 < len(plan.steps):
                    heapq.heappush(heap, (plan.steps[index + 1].at, key, index + 1))
        if done >= next_report or not heap:
            log("  " + _("%(done)s/%(total)s steps") % {"done": done, "total": report.steps})
            next_report = done + max(1, report.steps // 10)


def _run_step(plan: Plan, index: int, actors: dict, by_key: dict[int, Plan]) -> None:
    step = plan.steps[index]
    actor = actors[step.actor]
    with clock.at(step.at):
        if step.action == "create":
            appeal = services.appeal_create(actor=actor, data=plan.data)
            plan.appeal_id = appeal.pk
            return
        payload = {
            name: (by_key[value.key].appeal_id if isinstance(value, MergeTarget) else value)
            for name, value in step.payload.items()
        }
        appeal = services.appeal_act(
            actor=actor, appeal_id=plan.appeal_id, action=step.action, payload=payload
        )
    if appeal.status != step.status:
        raise ApplicationError(
            f"expected {step.status.value} after {step.action}, got {appeal.status}",
            code="demo_plan_mismatch",
        )
