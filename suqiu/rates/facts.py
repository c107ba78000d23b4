"""Rate facts from an appeal's events: one function for the live hooks and for ``rebuild``.

``facts_for(appeal, events)`` replays the events in order and returns the appeal's ``RateFact``
rows (see ``models.py`` for what a row is). The live path (``refresh``, an after-action and
after-create hook) and the ``suqiu rates rebuild`` command both call it, so a rebuild gives the
same figures as the hooks by construction; the tests check it all the same. ``refresh`` also
adds the difference between the appeal's old and new rows to the ``RateDay`` rollup
(``apply_delta``); ``rebuild`` recomputes the rollup from the facts (``rebuild_rollup``).

Due times come from the events: the time-limits app writes ``{"due_at": iso | None, "stage":
...}`` into the data of every event that changes the due time (``suqiu/timelimits/due.py``), so
replaying the events gives the due time in force at any moment. A stage completed by an event is
judged against the due time in force just before it (an approved extension has moved it; a
suspension paused it). A stage with no due time has no limit: it is left out of the on-time
denominators (and its acceptance counts as a response).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from suqiu.core.rows import insert_rows
from suqiu.rates.models import COUNTER_FIELDS, ROLLUP_ATTRS, ROLLUP_KEY, RateDay, RateFact

SATISFIED_AT_LEAST = 3  # 5 very satisfied, 4 satisfied, 3 basically satisfied; 1-2 unsatisfied


def _due(data: dict) -> datetime | None:
    raw = (data or {}).get("due_at")
    if not raw:
        return None
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = parse_datetime(str(raw))
        except ValueError:
            return None
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _secs(start: datetime | None, end: datetime) -> int:
    return max(0, int((end - start).total_seconds())) if start is not None else 0


def period_dates(created_at: datetime) -> tuple[date, date, date]:
    """The local day, the Monday of its week and the first of its month."""
    day = timezone.localtime(created_at).date()
    return day, day - timedelta(days=day.weekday()), day.replace(day=1)


@dataclass
class _Episode:
    organisation_id: int = 0
    dispatched_at: datetime | None = None
    accept_due_at: datetime | None = None
    accepted_at: datetime | None = None
    returned_at: datetime | None = None
    claimed: bool = False
    counters: dict = field(default_factory=dict)


def facts_for(appeal, events) -> list[RateFact]:
    """The appeal's rate rows from its events (oldest first). ``appeal`` gives the dimensions
    (area, grid, category, creation time)."""
    episodes = [_Episode()]
    a: dict = {}  # appeal-level counters, put on the last episode
    work_start = verified_at = None
    done: set[str] = set()  # appeal-level stages completed (judged once, at the first)
    created_at = appeal.created_at
    # The due time in force and its stage, from the latest event whose data names one.
    due_in_force: datetime | None = None
    stage_in_force: str | None = None

    def due_for(stage: str) -> datetime | None:
        return due_in_force if stage_in_force in (stage, None) else None

    def judge(stage: str, start: datetime | None, at: datetime) -> None:
        done.add(stage)
        a[f"{stage}_done"] = 1
        a[f"{stage}_secs"] = _secs(start, at)
        due = due_for(stage)
        if due is not None:
            a[f"{stage}_timed"] = 1
            a[f"{stage}_on_time"] = int(at <= due)

    for ev in events:
        kind, at, data = ev.kind, ev.created_at, ev.data or {}
        ep = episodes[-1]
        if kind == "dispatch":
            if ep.dispatched_at is not None or ep.claimed:
                ep = _Episode()
                episodes.append(ep)
            ep.organisation_id = data.get("lead_organisation") or 0
            ep.dispatched_at = at
            ep.accept_due_at = _due(data)
            ep.counters["dispatches"] = 1
            if "dispatch" not in done:
                judge("dispatch", created_at, at)
        elif kind == "accept":
            if ep.dispatched_at is not None and ep.accepted_at is None and ep.returned_at is None:
                ep.accepted_at = at
                due = due_for("accept")
                c = ep.counters
                c["decided"] = c["accepted"] = 1
                c["accept_secs"] = _secs(ep.dispatched_at, at)
                c["responded"] = int(due is None or at <= due)
                if due is not None:
                    c["accept_timed"] = 1
                    c["accept_on_time"] = int(at <= due)
            work_start = at
        elif kind == "claim":
            if ep.dispatched_at is not None:
                ep = _Episode()
                episodes.append(ep)
            ep.claimed = True
            work_start = at
        elif kind == "return":
            if ep.dispatched_at is not None and ep.returned_at is None:
                ep.returned_at = at
                ep.counters["decided"] = 1
            if "resolve" not in done:
                work_start = None
        elif kind == "resolve":
            if "resolve" not in done:
                judge("resolve", work_start, at)
        elif kind == "verify":
            if verified_at is None:
                verified_at = at
        elif kind == "revisit":
            if "revisit" not in done:
                judge("revisit", verified_at, at)
            score = data.get("satisfaction")
            closed = ev.to_status == "closed"
            if score is None or data.get("not_rated") or data.get("rated") is False:
                a["not_rated"] = int(closed)
            else:
                a["rated"] = 1
                a["satisfaction"] = int(score)
                a["satisfied"] = int(int(score) >= SATISFIED_AT_LEAST)
                a["revisit_resolved"] = int(closed and bool(data.get("was_resolved", True)))
        if "due_at" in data:
            due_in_force, stage_in_force = _due(data), data.get("stage")

    day, week, month = period_dates(created_at)
    common = {
        "appeal_id": appeal.pk,
        "area_id": appeal.area_id or 0,
        "area_path": appeal.area_path,
        "grid_id": appeal.grid_id or 0,
        "category_id": appeal.category_id or 0,
        "created_at": created_at,
        "day": day,
        "week": week,
        "month": month,
    }
    rows = []
    last = len(episodes) - 1
    for i, ep in enumerate(episodes):
        counters = dict(ep.counters)
        if i == last:
            counters.update(a)
            counters["appeals"] = 1
        rows.append(
            RateFact(
                episode=i,
                organisation_id=ep.organisation_id,
                dispatched_at=ep.dispatched_at,
                accept_due_at=ep.accept_due_at,
                accepted_at=ep.accepted_at,
                returned_at=ep.returned_at,
                **common,
                **counters,
            )
        )
    return rows


# The actions after which the rows are rewritten (the event kinds ``facts_for`` reads).
ACTIONS = (
    "assess",
    "queue",
    "dispatch",
    "accept",
    "claim",
    "return",
    "approve_extension",
    "resolve",
    "verify",
    "revisit",
)

EVENT_FIELDS = ("appeal_id", "kind", "created_at", "to_status", "data")
APPEAL_FIELDS = ("id", "area_id", "area_path", "grid_id", "category_id", "created_at")


def _events_of(appeal_ids):
    from suqiu.appeals.models import AppealEvent

    return (
        AppealEvent.objects.filter(appeal_id__in=appeal_ids)
        .order_by("appeal_id", "created_at", "id")
        .only(*EVENT_FIELDS)
    )


def _facts_of(appeals) -> list[RateFact]:
    """The rate rows of ``appeals`` (loaded with ``APPEAL_FIELDS``), from their events."""
    by_appeal: dict[int, list] = {a.pk: [] for a in appeals}
    for ev in _events_of(list(by_appeal)):
        by_appeal[ev.appeal_id].append(ev)
    return [row for a in appeals for row in facts_for(a, by_appeal[a.pk])]


def refresh(*, appeal, event=None, actor=None, events=None) -> None:
    """Rewrite the appeal's rate rows from its events and add the difference to ``RateDay``, in
    the caller's transaction (the hook ``services`` calls after the actions in ``ACTIONS``)."""
    if events is None:
        events = list(_events_of([appeal.pk]))
    rows = facts_for(appeal, events)
    existing = list(RateFact.objects.filter(appeal_id=appeal.pk).order_by("episode"))
    delta = contributions(rows, sign=1)
    _add(delta, contributions(existing, sign=-1))
    if len(existing) == len(rows):
        # The usual case (no new episode): update in place, keeping the rows' ids, and only
        # the columns that changed (one small UPDATE per changed row: ``bulk_update``'s CASE
        # expressions cost ~15 ms of CPU per call to build, on every action of intake).
        for old, row in zip(existing, rows, strict=True):
            row.pk = old.pk
            changed = {
                f: getattr(row, f) for f in _UPDATE_FIELDS if getattr(row, f) != getattr(old, f)
            }
            if changed:
                RateFact.objects.filter(pk=old.pk).update(**changed)
    else:
        RateFact.objects.filter(appeal_id=appeal.pk).delete()
        RateFact.objects.bulk_create(rows)
    apply_delta(delta)


def on_recategorise(*, appeal_ids) -> None:
    """After imported history was re-categorised: the rows of those appeals that have rows (an
    import writes none; ``rebuild`` does) are rewritten, and ``RateDay`` moves their figures from
    the old category to the new one, in the caller's transaction."""
    from suqiu.appeals.models import Appeal

    have = set(
        RateFact.objects.filter(appeal_id__in=list(appeal_ids)).values_list("appeal_id", flat=True)
    )
    if not have:
        return
    rows = _facts_of(list(Appeal.objects.filter(pk__in=have).only(*APPEAL_FIELDS)))
    existing = RateFact.objects.filter(appeal_id__in=list(have))
    delta = contributions(rows, sign=1)
    _add(delta, contributions(list(existing), sign=-1))
    existing.delete()
    RateFact.objects.bulk_create(rows, batch_size=1000)
    apply_delta(delta)


_UPDATE_FIELDS = [
    f.name for f in RateFact._meta.concrete_fields if f.name not in ("id", "appeal_id", "episode")
]


def on_create(*, appeal, event, actor) -> None:
    """After-create hook: the new appeal's first row, from its ``created`` event alone. Should
    an earlier intake hook have acted on the appeal (auto-dispatch, an exact repeat merged...),
    the rows are recomputed from all its events instead."""
    if appeal.status != "received":
        refresh(appeal=appeal)
        return
    rows = facts_for(appeal, [event])
    insert_rows(RateFact, rows)
    apply_delta(contributions(rows, sign=1))


# --- The daily rollup ------------------------------------------------------------------------------


def contributions(rows, *, sign: int) -> dict[tuple, dict]:
    """What ``rows`` add to ``RateDay`` (``sign`` -1: what they take away), by rollup key."""
    out: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(getattr(row, k) for k in ROLLUP_KEY)
        entry = out.setdefault(
            key, {"attrs": {a: getattr(row, a) for a in ROLLUP_ATTRS}, "sums": {}}
        )
        sums = entry["sums"]
        for name in COUNTER_FIELDS:
            value = getattr(row, name)
            if value:
                sums[name] = sums.get(name, 0) + sign * value
    return out


def _add(into: dict, more: dict) -> None:
    for key, entry in more.items():
        target = into.setdefault(key, {"attrs": entry["attrs"], "sums": {}})
        for name, value in entry["sums"].items():
            target["sums"][name] = target["sums"].get(name, 0) + value


def apply_delta(delta: dict[tuple, dict]) -> None:
    """Add each key's sums to its ``RateDay`` row (created when missing), keys in sorted order
    so two transactions never wait for each other's rows in opposite orders."""
    table = connection.ops.quote_name(RateDay._meta.db_table)
    for key in sorted(delta, key=lambda k: tuple(str(p) for p in k)):
        entry = delta[key]
        sums = {k: v for k, v in entry["sums"].items() if v}
        if not sums:
            continue
        columns = [*ROLLUP_KEY, *ROLLUP_ATTRS, *COUNTER_FIELDS]
        values = [
            *key,
            *(entry["attrs"][a] for a in ROLLUP_ATTRS),
            *(sums.get(c, 0) for c in COUNTER_FIELDS),
        ]
        updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in sums)
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT ({', '.join(ROLLUP_KEY)}) DO UPDATE SET {updates}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            if any(v < 0 for v in sums.values()):
                # A row the appeal moved away from (intake's "no organisation" row after the
                # dispatch, the old category's after a reassessment) goes once it is all zero,
                # so the queries do not keep scanning empty rows.
                cursor.execute(
                    f"DELETE FROM {table} WHERE "
                    + " AND ".join(f"{c} = %s" for c in ROLLUP_KEY)
                    + " AND "
                    + " AND ".join(f"{c} = 0" for c in COUNTER_FIELDS),
                    list(key),
                )


def rebuild_rollup() -> int:
    """Recompute ``RateDay`` from ``RateFact`` (one statement; on PostgreSQL the table is locked
    against the hooks' increments meanwhile, which then apply on top). Returns its row count."""
    table = connection.ops.quote_name(RateDay._meta.db_table)
    facts = connection.ops.quote_name(RateFact._meta.db_table)
    counters = ", ".join(COUNTER_FIELDS)
    sums = ", ".join(f"SUM({c})" for c in COUNTER_FIELDS)
    attrs = ", ".join(ROLLUP_ATTRS)
    firsts = ", ".join(f"MIN({a})" for a in ROLLUP_ATTRS)
    key = ", ".join(ROLLUP_KEY)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"INSERT INTO {table} ({key}, {attrs}, {counters}) "
            f"SELECT {key}, {firsts}, {sums} FROM {facts} GROUP BY {key}"
        )
    return RateDay.objects.count()


def rebuild(*, batch_size: int = 2000, appeal_ids=None, progress=None) -> int:
    """Recompute every appeal's rows (or those of ``appeal_ids``) from the events, one batch
    of appeals per transaction. Returns the number of appeals done."""
    from suqiu.appeals.models import Appeal

    qs = Appeal.objects.order_by("pk").only(*APPEAL_FIELDS)
    if appeal_ids is not None:
        qs = qs.filter(pk__in=list(appeal_ids))
    else:
        # Rows of appeals that no longer exist.
        RateFact.objects.exclude(appeal_id__in=Appeal.objects.values("pk")).delete()
    done = 0
    last_pk = 0
    while True:
        batch = list(qs.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        rows = _facts_of(batch)
        with transaction.atomic():
            RateFact.objects.filter(appeal_id__in=[a.pk for a in batch]).delete()
            RateFact.objects.bulk_create(rows, batch_size=1000)
        done += len(batch)
        if progress:
            progress(done)
    rebuild_rollup()
    return done
