"""Rates query: the three rates of a district over 90 days with 1,000,000 appeals, on PostgreSQL.

What one run does:

1. a fresh PostgreSQL database (``SUQIU_BENCH_RATES_DB``, default ``suqiu_bench_rates``, on the
   server at ``SUQIU_BENCH_POSTGRES_URL``), ``migrate`` and a directory: a district with 10
   streets × 10 communities × 5 grids, 30 departments, 40 categories (10 top-level with 3
   sub-categories each), a district dispatcher, a street leader and a department handler;
2. ``--rates-appeals`` (1,000,000) appeals' ``RateFact`` rows written with ``COPY``, created
   over the last ``--rates-days`` (90) days: 95 % dispatched, 5 % returned once and dispatched
   again (a second row), acceptance, resolution, revisit and scores drawn at fixed rates, then
   ``VACUUM ANALYZE``, then the daily rollup ``RateDay`` built from them by
   ``facts.rebuild_rollup`` (what ``suqiu rates rebuild`` ends with). Only the rate tables are
   filled: the query reads nothing else (the appeal and event rows behind the facts are not
   needed to time it);
3. ``--rates-queries`` (50) calls of ``suqiu.rates.selectors.rates`` — the same call the page
   and the API make, labels and rankings included — each with a random group-by (organisation,
   community, category, day, week, month, total; grid inside a street) and filters (none, a
   category with its sub-categories, a street, an organisation, the last 30 days), mostly as the
   district dispatcher (the whole district), some as the street leader and the department
   handler. Latency is wall time per call, in this process, after 3 unmeasured warm-up calls.

Correctness check: the unfiltered district total counts every appeal exactly once.
Target (issue 5): p99 ≤ 500 ms on PostgreSQL for the district queries (the dispatcher's, over
the 90 days, any group-by and filter); the table shows the p99 of all 50 queries too.

Run it through ``bench/run.py --only rates`` or alone: ``.venv/bin/python bench/rates.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import intake  # shared helpers: throwaway databases, child phases

PROJECT_DIR = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = intake.PG_ADMIN_URL
PG_DB = os.environ.get("SUQIU_BENCH_RATES_DB", "suqiu_bench_rates")
RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGET_P99_MS = 500.0

COLUMNS = [
    ("backend", "backend"),
    ("appeals", "appeals"),
    ("fact rows", "fact_rows"),
    ("rollup rows", "rollup_rows"),
    ("queries", "queries"),
    ("p50 ms", "p50_ms"),
    ("p90 ms", "p90_ms"),
    ("p99 ms", "p99_ms"),
    ("max ms", "max_ms"),
    ("district p50 ms", "district_p50_ms"),
    ("district p99 ms", "district_p99_ms"),
    ("district CPU p99 ms", "district_cpu_p99_ms"),
    ("load s", "load_seconds"),
]

STREETS, COMMUNITIES, GRIDS = 10, 10, 5
DEPARTMENTS, TOP_CATEGORIES, SUB_CATEGORIES = 30, 10, 3


# --- Child-process phases (Django imported here only) -----------------------------------------


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suqiu.settings")
    import django

    django.setup()


def _counter_fields() -> set[str]:
    from suqiu.rates.models import COUNTER_FIELDS

    return set(COUNTER_FIELDS)


def _phase_setup(appeals: int, days: int, seed: int) -> dict:
    _django()
    from django.core.management import call_command
    from django.db import connection

    from suqiu.core.testing import square
    from suqiu.directory.models import Category, Grid, Membership, Organisation, OrgKind, Role, User
    from suqiu.rates.facts import period_dates
    from suqiu.rates.models import RateFact

    call_command("migrate", interactive=False, verbosity=0)
    district = Organisation.objects.create(code="R-D", name="基准区", kind=OrgKind.DISTRICT)
    communities, grids = [], []
    streets = []
    for s in range(STREETS):
        street = Organisation.objects.create(
            code=f"R-S{s}", name=f"街道{s}", kind=OrgKind.STREET, parent=district
        )
        streets.append(street)
        for c in range(COMMUNITIES):
            community = Organisation.objects.create(
                code=f"R-S{s}C{c}", name=f"社区{s}-{c}", kind=OrgKind.COMMUNITY, parent=street
            )
            communities.append(community)
            for g in range(GRIDS):
                lat, lon = 22.5 + s * 0.05 + c * 0.004, 114.0 + g * 0.004
                grids.append(
                    Grid.objects.create(
                        code=f"R-G{s}-{c}-{g}",
                        name=f"网格{s}-{c}-{g}",
                        community=community,
                        boundary=square(lat, lon, 0.0015),
                    )
                )
    departments = [
        Organisation.objects.create(
            code=f"R-DEP{i}", name=f"部门{i}", kind=OrgKind.DEPARTMENT, parent=district
        )
        for i in range(DEPARTMENTS)
    ]
    categories = []  # (id, department id)
    for t in range(TOP_CATEGORIES):
        top = Category.objects.create(
            code=f"R-C{t}", name=f"类别{t}", default_organisation=departments[t % DEPARTMENTS]
        )
        categories.append((top.pk, departments[t % DEPARTMENTS].pk))
        for u in range(SUB_CATEGORIES):
            dep = departments[(t * SUB_CATEGORIES + u + TOP_CATEGORIES) % DEPARTMENTS]
            sub = Category.objects.create(
                code=f"R-C{t}.{u}", name=f"类别{t}-{u}", parent=top, default_organisation=dep
            )
            categories.append((sub.pk, dep.pk))
    users = {}
    for username, role, org in [
        ("bench-dispatcher", Role.DISPATCHER, district),
        ("bench-leader", Role.LEADER, streets[0]),
        ("bench-handler", Role.DEPARTMENT_HANDLER, departments[0]),
    ]:
        user = User(username=username, display_name=username)
        user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, role=role, organisation=org)
        users[username] = user.pk

    # The facts, with COPY.
    rng = random.Random(seed)
    end = datetime.now().astimezone()
    span = days * 86400
    grid_rows = [(g.pk, g.community_id) for g in grids]
    paths = {c.pk: c.path for c in communities}
    fields = [
        f.column
        for f in RateFact._meta.concrete_fields
        if f.column != "id"  # bigserial
    ]
    counters = _counter_fields()

    def iso(dt):
        return dt.isoformat() if dt is not None else None

    started = time.perf_counter()
    rows = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3
        with raw.copy(f"COPY rates_ratefact ({', '.join(fields)}) FROM STDIN") as copy:
            for appeal_id in range(1, appeals + 1):
                created = end - timedelta(seconds=rng.random() * span)
                day, week, month = period_dates(created)
                grid_id, area_id = grid_rows[rng.randrange(len(grid_rows))]
                category_id, org = categories[rng.randrange(len(categories))]
                base = {
                    "appeal_id": appeal_id,
                    "area_id": area_id,
                    "area_path": paths[area_id],
                    "grid_id": grid_id,
                    "category_id": category_id,
                    "created_at": iso(created),
                    "day": day.isoformat(),
                    "week": week.isoformat(),
                    "month": month.isoformat(),
                }
                episodes = []
                a = {"appeals": 1}
                if rng.random() < 0.95:
                    dispatched = created + timedelta(hours=rng.expovariate(1 / 6))
                    a.update(dispatch_done=1, dispatch_timed=1)
                    a["dispatch_secs"] = int((dispatched - created).total_seconds())
                    a["dispatch_on_time"] = int(rng.random() < 0.9)
                    if rng.random() < 0.05:
                        other = departments[rng.randrange(DEPARTMENTS)].pk
                        returned = dispatched + timedelta(hours=rng.random() * 24)
                        episodes.append(
                            {
                                "organisation_id": other,
                                "dispatched_at": iso(dispatched),
                                "returned_at": iso(returned),
                                "dispatches": 1,
                                "decided": 1,
                            }
                        )
                        dispatched = returned + timedelta(hours=1)
                    ep = {"organisation_id": org, "dispatched_at": iso(dispatched), "dispatches": 1}
                    if rng.random() < 0.93:
                        on_time = rng.random() < 0.88
                        ep.update(decided=1, accepted=1, accept_timed=1)
                        ep["accept_on_time"] = ep["responded"] = int(on_time)
                        ep["accept_secs"] = int(rng.expovariate(1 / 7200))
                        ep["accepted_at"] = iso(dispatched + timedelta(seconds=ep["accept_secs"]))
                        if rng.random() < 0.85:
                            a.update(resolve_done=1, resolve_timed=1)
                            a["resolve_on_time"] = int(rng.random() < 0.8)
                            a["resolve_secs"] = int(rng.expovariate(1 / 172800))
                            if rng.random() < 0.8:
                                a.update(revisit_done=1, revisit_timed=1)
                                a["revisit_on_time"] = int(rng.random() < 0.9)
                                a["revisit_secs"] = int(rng.expovariate(1 / 86400))
                                if rng.random() < 0.9:
                                    score = rng.choice((1, 2, 3, 4, 4, 5, 5, 5))
                                    a.update(rated=1, satisfaction=score)
                                    a["satisfied"] = int(score >= 3)
                                    a["revisit_resolved"] = int(score >= 3 and rng.random() < 0.9)
                                else:
                                    a["not_rated"] = 1
                    episodes.append(ep)
                else:
                    episodes.append({"organisation_id": 0})
                episodes[-1].update(a)
                for n, ep in enumerate(episodes):
                    values = {**base, "episode": n, **ep}
                    copy.write_row(
                        [values.get(col, 0 if col in counters else None) for col in fields]
                    )
                    rows += 1
    load_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE rates_ratefact")
    from suqiu.rates.facts import rebuild_rollup

    started = time.perf_counter()
    rollup_rows = rebuild_rollup()  # what ``suqiu rates rebuild`` ends with
    rollup_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE rates_rateday")
    return {
        "rollup_rows": rollup_rows,
        "rollup_seconds": round(rollup_seconds, 1),
        "users": users,
        "fact_rows": rows,
        "load_seconds": round(load_seconds, 1),
        "streets": [s.pk for s in streets],
        "top_categories": [c for c, _d in categories[:: SUB_CATEGORIES + 1]],
        "departments": [d.pk for d in departments],
    }


def _phase_query(setup: dict, queries: int, days: int, seed: int, appeals: int) -> dict:
    _django()
    from django.db import connection
    from django.utils import timezone

    from suqiu.directory.access import actor_for
    from suqiu.directory.models import Grid, User
    from suqiu.rates import selectors

    actors = {name: actor_for(User.objects.get(pk=pk)) for name, pk in setup["users"].items()}
    today = timezone.localtime().date()
    full = (today - timedelta(days=days - 1), today)
    rng = random.Random(seed + 1)
    street0_grids = list(
        Grid.objects.filter(community__parent_id=setup["streets"][0]).values_list("pk", flat=True)
    )

    def one(actor_name, group_by, period, **filters):
        actor = actors[actor_name]
        t0 = time.perf_counter()
        table = selectors.rates(
            actor,
            group_by=group_by,
            date_from=period[0],
            date_to=period[1],
            with_rankings=True,
            **filters,
        )
        selectors.rankings(table)
        return (time.perf_counter() - t0) * 1000, table

    # Correctness: every appeal counted once in the district total.
    _ms, total = one("bench-dispatcher", "total", (full[0] - timedelta(days=1), full[1]))
    counted = total.total.sums["appeals"]
    for _ in range(3):
        one("bench-dispatcher", "organisation", full)

    groups = ["organisation", "area", "category", "day", "week", "month", "total"]
    runs = []
    for _i in range(queries):
        r = rng.random()
        actor_name = (
            "bench-dispatcher" if r < 0.7 else "bench-leader" if r < 0.85 else "bench-handler"
        )
        group_by = rng.choice(groups)
        filters: dict = {}
        kind = rng.random()
        if kind < 0.15:
            filters["category"] = rng.choice(setup["top_categories"])
        elif kind < 0.25 and actor_name == "bench-dispatcher":
            filters["area"] = rng.choice(setup["streets"])
        elif kind < 0.3:
            filters["organisation"] = rng.choice(setup["departments"])
        period = full
        if rng.random() < 0.15:
            period = (today - timedelta(days=29), today)
        if actor_name == "bench-leader" and rng.random() < 0.3:
            group_by = "grid"
        if actor_name == "bench-leader" and rng.random() < 0.1:
            filters = {"grid": rng.choice(street0_grids)}
        ms, _table = one(actor_name, group_by, period, **filters)
        runs.append(
            {
                "ms": round(ms, 1),
                "actor": actor_name,
                "group_by": group_by,
                "filters": {k: v for k, v in filters.items()},
                "days": (period[1] - period[0]).days + 1,
                "district_90": actor_name == "bench-dispatcher" and period == full,
                "args": [actor_name, group_by, [period[0].isoformat(), period[1].isoformat()]],
            }
        )
    # The same queries again, serial (no parallel workers), for their CPU cost: this process
    # plus its PostgreSQL backend (read from /proc: the server is on this machine). A busy
    # machine stretches wall time, hardly CPU time: this is what a query costs one idle core.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
        cursor.execute("SET max_parallel_workers_per_gather = 0")

    def backend_cpu() -> float:
        try:
            fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    for run_ in runs:
        actor_name, group_by, (start, stop) = run_["args"]
        period = (date.fromisoformat(start), date.fromisoformat(stop))
        cpu0, own0 = backend_cpu(), time.process_time()
        one(actor_name, group_by, period, **run_["filters"])
        run_["serial_cpu_ms"] = round(1000 * (backend_cpu() - cpu0 + time.process_time() - own0), 1)
    with connection.cursor() as cursor:
        cursor.execute("RESET max_parallel_workers_per_gather")
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT organisation_id, SUM(appeals), SUM(responded), "
            "SUM(decided) FROM rates_rateday WHERE day >= %s AND day <= %s "
            "AND area_path LIKE %s GROUP BY organisation_id",
            [full[0], full[1], "/%"],
        )
        plan = [row[0] for row in cursor.fetchall()]
    return {"runs": runs, "counted": counted, "expected": appeals, "plan": plan}


def _child(phase: str, env: dict, payload: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(payload, f)
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--phase", phase, "--payload", f.name],
            env=env,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(f.name)
    if proc.returncode != 0:
        raise RuntimeError(f"{phase} phase failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _reset_postgres() -> str:
    return intake.reset_database(PG_DB)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
    return ordered[rank - 1]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rates-appeals", type=int, default=1_000_000, help="appeals in the facts (1,000,000)"
    )
    parser.add_argument("--rates-days", type=int, default=90, help="days they span (90)")
    parser.add_argument("--rates-queries", type=int, default=50, help="measured queries (50)")
    parser.add_argument("--rates-seed", type=int, default=5)
    parser.add_argument(
        "--rates-reuse",
        action="store_true",
        help="query the facts the previous run wrote (same size, days and seed), if still there",
    )
    parser.add_argument(
        "--rates-wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before the queries, wait up to SECONDS for the machine to be idle",
    )


def run(args: argparse.Namespace) -> dict:
    from intake import child_env, machine_busy_cores, postgres_available, wait_until_quiet

    notes: list[str] = []
    why = postgres_available()
    if why:
        notes.append(f"postgres skipped: no PostgreSQL at {PG_ADMIN_URL} ({why})")
        return {"columns": COLUMNS, "rows": [], "runs": [], "checks": [], "notes": notes}
    data_dir = Path(tempfile.mkdtemp(prefix="suqiu-bench-rates-"))
    env = child_env(data_dir)
    saved = RESULTS_DIR / "rates-setup.json"
    wanted = {"appeals": args.rates_appeals, "days": args.rates_days, "seed": args.rates_seed}
    previous = json.loads(saved.read_text()) if saved.exists() else None
    if args.rates_reuse and previous and previous["wanted"] == wanted:
        env["DATABASE_URL"] = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{PG_DB}"
        setup = previous["setup"]
        notes.append("reused the facts of the previous run (--rates-reuse)")
    else:
        env["DATABASE_URL"] = _reset_postgres()
        print(f"  rates: writing {args.rates_appeals:,} appeals' facts with COPY…", flush=True)
        setup = _child("setup", env, wanted)
        RESULTS_DIR.mkdir(exist_ok=True)
        saved.write_text(json.dumps({"wanted": wanted, "setup": setup}))
    waited = wait_until_quiet(args.rates_wait_quiet) if args.rates_wait_quiet > 0 else 0.0
    busy = machine_busy_cores()
    print(f"  rates: {args.rates_queries} queries…", flush=True)
    result = _child(
        "query",
        env,
        {
            "setup": setup,
            "queries": args.rates_queries,
            "days": args.rates_days,
            "seed": args.rates_seed,
            "appeals": args.rates_appeals,
        },
    )
    ms = [r["ms"] for r in result["runs"]]
    district = [r["ms"] for r in result["runs"] if r["district_90"]]
    district_cpu = [r["serial_cpu_ms"] for r in result["runs"] if r["district_90"]]
    cpu = [r["serial_cpu_ms"] for r in result["runs"]]
    row = {
        "backend": "postgres",
        "appeals": args.rates_appeals,
        "fact_rows": setup["fact_rows"],
        "rollup_rows": setup["rollup_rows"],
        "queries": len(ms),
        "p50_ms": round(_percentile(ms, 0.5), 1),
        "p90_ms": round(_percentile(ms, 0.9), 1),
        "p99_ms": round(_percentile(ms, 0.99), 1),
        "max_ms": round(max(ms), 1),
        "district_p50_ms": round(_percentile(district, 0.5), 1) if district else None,
        "district_p99_ms": round(_percentile(district, 0.99), 1) if district else None,
        "district_cpu_p99_ms": round(_percentile(district_cpu, 0.99), 1) if district else None,
        "load_seconds": setup["load_seconds"],
        "details": {
            "mean_ms": round(statistics.fmean(ms), 1),
            "serial_cpu_p50_ms": round(_percentile(cpu, 0.5), 1),
            "serial_cpu_p99_ms": round(_percentile(cpu, 0.99), 1),
            "district_90_queries": len(district),
            "runs": result["runs"],
            "plan": result["plan"],
            "rollup_seconds": setup["rollup_seconds"],
            "waited_for_quiet_s": waited,
            "busy_cores_before": round(busy, 2),
        },
    }
    notes.append(
        f"{len(district)} of the {len(ms)} queries are the district dispatcher's over the "
        f"{args.rates_days} days (the target's query: any group-by, with or without a filter); "
        f"the others are a street leader's (grids read RateFact) and a department handler's; each query includes the rankings by "
        "organisation, as the page and the API do (the same scan grouped by both, but for grids)"
    )
    notes.append(
        "district CPU p99: the same district queries run again without parallel workers, CPU "
        "time of this process plus its PostgreSQL backend: what one query costs an idle core "
        f"(all 50: p50 {row['details']['serial_cpu_p50_ms']} ms, "
        f"p99 {row['details']['serial_cpu_p99_ms']} ms)"
    )
    if busy > 0.3:
        notes.append(
            f"other processes kept {busy:.1f} of the {os.cpu_count()} cores busy just before the "
            "queries: not a clean measurement (--rates-wait-quiet waits for a quiet machine)"
        )
    checks = [
        (
            "postgres: the district total counts every appeal once "
            f"({result['counted']:,} of {result['expected']:,})",
            result["counted"] == result["expected"],
            "correctness",
        ),
        (
            f"postgres: district queries p99 <= {TARGET_P99_MS:.0f} ms",
            row["district_p99_ms"] is not None and row["district_p99_ms"] <= TARGET_P99_MS,
            "target",
        ),
    ]
    return {"columns": COLUMNS, "rows": [row], "runs": [row], "checks": checks, "notes": notes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase", choices=["setup", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--payload", help=argparse.SUPPRESS)
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.phase:
        payload = json.loads(Path(args.payload).read_text())
        if args.phase == "setup":
            print(json.dumps(_phase_setup(payload["appeals"], payload["days"], payload["seed"])))
        else:
            print(
                json.dumps(
                    _phase_query(
                        payload["setup"],
                        payload["queries"],
                        payload["days"],
                        payload["seed"],
                        payload["appeals"],
                    )
                )
            )
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import run as runner

    return runner.main(["--only", "rates", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    sys.exit(main())
