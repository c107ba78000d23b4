"""Workbench pages over a long history: the queue list a dispatcher, a street leader and a
department handler open many times a day, with 200,000 open appeals and 1,800,000 closed ones,
on PostgreSQL.

What one run does:

1. a fresh PostgreSQL database (``SUQIU_BENCH_WORKBENCH_DB``, default ``suqiu_bench_workbench``,
   on the server at ``SUQIU_BENCH_POSTGRES_URL``), ``migrate``, and the directory and open
   appeals of the sweep benchmark (``bench/sweep.py``: a district, two streets of three
   communities, two departments; ``--wb-open`` open appeals spread over the work chain's
   stages), then ``--wb-history`` (9) closed copies of every open appeal (the history: closed
   appeals are most of the table after a few months), then ``ANALYZE``;
2. for each person, ``--wb-loads`` (20) loads of ``/workbench/`` (the person's default queue:
   "to assess" for the dispatcher, "all appeals" for the leader, "to accept" for the handler)
   and of ``/workbench/?queue=all`` (every appeal the person may see, the whole history), through
   Django's test client in one process (no HTTP server: the view, its queries and the template),
   after 2 unmeasured loads; and ``selectors.queue_counts`` alone (the queue badges).

Checks: every page answers 200 and the badges count what a direct count of the open appeals
gives. Target: p50 ≤ 500 ms per page for each person (the machine's 2 cores shared with the
database).

Run it through ``bench/run.py --only workbench`` or alone: ``.venv/bin/python bench/workbench.py``.

Figures before and after the changes that made these pages fast: ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import intake  # shared helpers: throwaway databases, child phases

PG_ADMIN_URL = intake.PG_ADMIN_URL
PG_BENCH_DB = os.environ.get("SUQIU_BENCH_WORKBENCH_DB", "suqiu_bench_workbench")
TARGET_P50_MS = 500.0
PEOPLE = ("dispatcher1", "leader0", "housing1")

COLUMNS = [
    ("person", "person"),
    ("appeals", "appeals"),
    ("open", "open"),
    ("page", "page"),
    ("loads", "loads"),
    ("p50 ms", "p50_ms"),
    ("p95 ms", "p95_ms"),
    ("badges p50 ms", "badges_p50_ms"),
]


def _phase_setup(open_appeals: int, history: int) -> dict:
    import sweep

    started = time.monotonic()
    sweep._phase_setup(open_appeals, 0.01)  # also sets Django up
    from django.core.management import call_command
    from django.db import connection

    call_command("collectstatic", interactive=False, verbosity=0)  # the pages' asset manifest

    with connection.cursor() as cur:
        cur.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'appeals_appeal' AND column_name <> 'id' ORDER BY ordinal_position"
        )
        cols = [r[0] for r in cur.fetchall()]
        cleared = {
            "due_at",
            "remind_at",
            "escalate_at",
            "first_contact_due_at",
            "first_contact_remind_at",
            "first_contact_escalate_at",
        }

        def value(col: str) -> str:
            if col == "tracking_code":
                return "'C' || k::text || substr(tracking_code, 2)"
            if col == "status":
                return "'closed'"
            if col == "created_at":
                return "created_at - make_interval(days => 7 * k)"
            if col in cleared:
                return "NULL"
            if col in {"reminded_for", "escalated_for", "due_stage"}:
                return "''"
            return col

        cur.execute(
            f"INSERT INTO appeals_appeal ({', '.join(cols)}) "
            f"SELECT {', '.join(value(c) for c in cols)} "
            "FROM appeals_appeal, generate_series(1, %s) AS k",
            [history],
        )
        cur.execute("ANALYZE appeals_appeal")
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE status <> 'closed') FROM appeals_appeal"
        )
        total, still_open = cur.fetchone()
    return {"appeals": total, "open": still_open, "seconds": round(time.monotonic() - started, 1)}


def _timed(call, loads: int) -> tuple[list[float], list]:
    """``call()`` 2 times unmeasured, then ``loads`` times: (sorted milliseconds, answers)."""
    times, answers = [], []
    for i in range(loads + 2):
        t = time.perf_counter()
        answer = call()
        if i >= 2:
            times.append((time.perf_counter() - t) * 1000)
            answers.append(answer)
    return sorted(times), answers


def _phase_load(loads: int) -> dict:
    import sweep

    sweep._django()
    from django.test import Client

    from suqiu.appeals import selectors
    from suqiu.appeals.models import Appeal
    from suqiu.directory.access import actor_for
    from suqiu.directory.models import User

    out = []
    for username in PEOPLE:
        user = User.objects.get(username=username)
        actor = actor_for(user)
        client = Client()
        client.force_login(user)
        badges, counts = _timed(lambda actor=actor: selectors.queue_counts(actor=actor), loads)
        direct = Appeal.objects.filter(status="received").filter(selectors.visible_q(actor)).count()
        for page, url in (("default", "/workbench/"), ("all", "/workbench/?queue=all")):
            times, answers = _timed(lambda url=url, client=client: client.get(url), loads)
            out.append(
                {
                    "person": username,
                    "page": page,
                    "loads": len(times),
                    "p50_ms": round(intake._percentile(times, 0.5), 1),
                    "p95_ms": round(intake._percentile(times, 0.95), 1),
                    "badges_p50_ms": round(intake._percentile(badges, 0.5), 1),
                    "statuses": sorted({r.status_code for r in answers}),
                    "badge_to_assess": counts[-1]["to_assess"],
                    "direct_received": direct,
                }
            )
    return {"rows": out}


def _child(phase: str, env: dict, *args: str) -> dict:
    return intake.run_phase(__file__, phase, env, *args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("workbench")
    g.add_argument("--wb-open", type=int, default=200_000, help="open appeals (200,000)")
    g.add_argument("--wb-history", type=int, default=9, help="closed copies of each (9)")
    g.add_argument("--wb-loads", type=int, default=20, help="measured loads per page (20)")


def run(args: argparse.Namespace) -> dict:
    """Run the benchmark; returns {"columns", "rows", "runs", "checks", "notes"}."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from intake import child_env

    skipped = intake.without_postgres("workbench", COLUMNS)
    if skipped:
        return skipped
    with tempfile.TemporaryDirectory(prefix="suqiu-workbench-") as tmp:
        env = child_env(Path(tmp))
        env["DATABASE_URL"] = intake.reset_database(PG_BENCH_DB)
        total = args.wb_open * (1 + args.wb_history)
        print(f"  workbench: populating {total:,} appeals…", flush=True)
        setup = _child("setup", env, f"--wb-open={args.wb_open}", f"--wb-history={args.wb_history}")
        print(f"  workbench: {args.wb_loads} loads per page and person…", flush=True)
        result = _child("load", env, f"--wb-loads={args.wb_loads}")
    intake.drop_database(PG_BENCH_DB)
    rows = [{**r, "appeals": setup["appeals"], "open": setup["open"]} for r in result["rows"]]
    checks = []
    for r in rows:
        checks.append(
            (
                f"{r['person']} {r['page']}: every load answered 200",
                r["statuses"] == [200],
                "correctness",
            )
        )
        checks.append(
            (
                f"{r['person']}: the 'to assess' badge counts the received appeals "
                f"({r['badge_to_assess']:,} = {r['direct_received']:,})",
                r["badge_to_assess"] == r["direct_received"],
                "correctness",
            )
        )
        checks.append(
            (
                f"{r['person']} {r['page']}: p50 {r['p50_ms']} ms ≤ {TARGET_P50_MS:.0f} ms",
                r["p50_ms"] <= TARGET_P50_MS,
                "target",
            )
        )
    notes = [
        f"populated in {setup['seconds']} s; pages rendered by Django's test client in one "
        "process (view, queries, template; no HTTP server)"
    ]
    return {"columns": COLUMNS, "rows": rows, "runs": rows, "checks": checks, "notes": notes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase", choices=["setup", "load"], help=argparse.SUPPRESS)
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.phase == "setup":
        print(json.dumps(_phase_setup(args.wb_open, args.wb_history)))
        return 0
    if args.phase == "load":
        print(json.dumps(_phase_load(args.wb_loads)))
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import run as runner

    return runner.main(["--only", "workbench", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    sys.exit(main())
