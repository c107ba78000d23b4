"""Open311 GET requests: latency of requests.json and requests.xml with 1000 requests out of 100,000.

For each backend, from scratch:

1. a fresh database (PostgreSQL: ``suqiu_bench_open311`` dropped and recreated; SQLite: a new
   file in a temporary ``SUQIU_DATA_DIR``), ``migrate``, ``collectstatic``, a small directory
   (a district, departments, five categories) and then ``--open311-appeals`` (100,000) appeals
   written in bulk (``bulk_create``, not through the services: this is about reading), spread
   over the last 80 days so the default 90-day window holds every one of them. Like real data:
   every appeal has its ``created`` event; about half are dispatched (lead organisation, due
   time), about 6% are finished with a public reply (resolve / reject events with public
   text: a few thousand), one in ten came in over Open311 (a ``SubmittedRequest`` with
   the submitter's contact data and media URL), and a few are merged;
2. the production server exactly as ``suqiu run`` starts it (gunicorn with
   ``suqiu/gunicorn_conf.py``, DEBUG off), on a free loopback port;
3. a short warm-up, then for each format ``GET /open311/v2/requests.{json,xml}`` with no
   arguments (the default query: the newest 1000 of the last 90 days): ``--open311-requests``
   (200) one after another, then the same number again from ``--open311-clients`` (4)
   concurrent clients. Latency is per request, send to last byte; every answer must be a 200
   holding exactly 1000 requests (counted in every answer, and the first answer of each format
   parsed in full: JSON, and XML with ElementTree).

Run it through ``bench/run.py`` (``make bench``) or alone:
``.venv/bin/python bench/open311.py --backend postgres``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import intake  # noqa: E402 - shared server and measurement helpers of the intake benchmark

PROJECT_DIR = intake.PROJECT_DIR
GUNICORN_CONF = intake.GUNICORN_CONF
PG_ADMIN_URL = intake.PG_ADMIN_URL
PG_BENCH_DB = os.environ.get("SUQIU_BENCH_OPEN311_DB", "suqiu_bench_open311")
PATHS = {"json": "/open311/v2/requests.json", "xml": "/open311/v2/requests.xml"}
EXPECTED = 1000  # GeoReport v2: at most 1000 requests per answer; the default query fills it

# The issue's target on the reference 2-core machine (server, database and client on it).
TARGET_P99_MS = {"postgres": 300.0, "sqlite": None}

COLUMNS = [
    ("backend", "backend"),
    ("format", "format"),
    ("clients", "clients"),
    ("requests", "requests"),
    ("p50 ms", "p50_ms"),
    ("p99 ms", "p99_ms"),
    ("max ms", "max_ms"),
    ("KiB", "kib"),
    ("errors", "errors"),
    ("1000 each", "records_ok"),
]


# --- Child-process phase (Django imported here only) -------------------------------------------


def _phase_setup(n_appeals: int) -> dict:
    """Migrate, collect static files, write the directory and ``n_appeals`` appeals in bulk."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suqiu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from suqiu.appeals.models import Appeal, AppealEvent, Channel, EventKind
    from suqiu.appeals.tracking import new_tracking_code
    from suqiu.appeals.workflow import Status
    from suqiu.core.management.commands.compiletranslations import compile_translations
    from suqiu.directory.models import Category, Organisation, OrgKind
    from suqiu.open311.models import ApiClient, SubmittedRequest

    compile_translations()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)

    district = Organisation.objects.create(
        code="B-D", name="基准区", name_en="Bench district", kind=OrgKind.DISTRICT
    )
    departments = [
        Organisation.objects.create(
            code=f"B-{code}",
            name=name,
            name_en=code.title(),
            kind=OrgKind.DEPARTMENT,
            parent=district,
        )
        for code, name in [("ROADS", "交通局"), ("HOUSING", "住建局"), ("ENV", "环境局")]
    ]
    road = Category.objects.create(code="ROAD", name="道路", name_en="Roads")
    categories = [
        road,
        Category.objects.create(code="ROAD.POTHOLE", name="坑洼", name_en="Pothole", parent=road),
        Category.objects.create(code="HOUSING", name="住房", name_en="Housing"),
        Category.objects.create(code="ENV", name="环境", name_en="Environment"),
        Category.objects.create(code="ELDERLY", name="养老", name_en="Elderly care"),
    ]
    client, _raw = ApiClient.issue(name="BenchApp")

    rng = random.Random(311)
    now = timezone.now()
    span = timedelta(days=80).total_seconds()
    # Oldest first, so ids grow with time as they do in a real installation.
    moments = sorted(now - timedelta(seconds=rng.random() * span) for _ in range(n_appeals))
    codes: set[str] = set()
    open_states = [Status.RECEIVED, Status.ASSESSED, Status.DISPATCHED, Status.IN_PROGRESS]
    started = time.perf_counter()
    appeals, plans = [], []
    for created in moments:
        code = new_tracking_code()
        while code in codes:
            code = new_tracking_code()
        codes.add(code)
        roll = rng.random()
        if roll < 0.90:
            status = rng.choice(open_states)
        elif roll < 0.93:
            status = Status.CLOSED
        elif roll < 0.95:
            status = Status.RESOLVED
        elif roll < 0.96:
            status = Status.REJECTED
        else:
            status = Status.MERGED
        dispatched = status not in (Status.RECEIVED, Status.ASSESSED, Status.REJECTED)
        via_open311 = rng.random() < 0.10
        public = status in (Status.CLOSED, Status.RESOLVED, Status.REJECTED)
        updated = min(now, created + timedelta(hours=rng.random() * 72))
        reply = (
            f"已处理：第 {len(appeals)} 号诉求已由相关部门处理完毕，感谢您的反映。"
            if public
            else ""
        )
        appeals.append(
            Appeal(
                tracking_code=code,
                channel=Channel.OPEN311
                if via_open311
                else rng.choice([Channel.WEB, Channel.PHONE]),
                client_name="BenchApp" if via_open311 else "",
                reporter_name="王女士",
                reporter_phone=f"139{rng.randint(10_000_000, 99_999_999)}",
                title="路面坑洼",
                description="小区门口的路面有一个大坑，雨天积水，老人和孩子经过很危险，请尽快处理。",
                lat=round(22.6 + rng.random() * 0.1, 6),
                lon=round(114.1 + rng.random() * 0.1, 6),
                address=f"幸福路 {rng.randint(1, 300)} 号",
                area=district,
                area_path=district.path,
                category=rng.choice(categories),
                status=status,
                lead_organisation=rng.choice(departments) if dispatched else None,
                due_at=created + timedelta(days=7) if dispatched else None,
                public_reply=reply if status in (Status.CLOSED, Status.RESOLVED) else "",
                created_at=created,
                updated_at=updated,
            )
        )
        plans.append((via_open311, public, reply, updated))
    with transaction.atomic():
        Appeal.objects.bulk_create(appeals, batch_size=2000)
        if connection.vendor != "postgresql":  # bulk_create sets pks on PostgreSQL only
            by_code = dict(Appeal.objects.values_list("tracking_code", "id"))
            for appeal in appeals:
                appeal.pk = by_code[appeal.tracking_code]
        events, submissions, merged = [], [], []
        for appeal, (via_open311, public, reply, updated) in zip(appeals, plans, strict=True):
            events.append(
                AppealEvent(
                    appeal_id=appeal.pk,
                    kind=EventKind.CREATED,
                    actor_label="bench",
                    created_at=appeal.created_at,
                    to_status=Status.RECEIVED,
                    is_public=True,
                    data={"channel": appeal.channel},
                )
            )
            if public:
                kind = EventKind.REJECT if appeal.status == Status.REJECTED else EventKind.RESOLVE
                events.append(
                    AppealEvent(
                        appeal_id=appeal.pk,
                        kind=kind,
                        actor_label="bench",
                        created_at=updated,
                        from_status=Status.IN_PROGRESS,
                        to_status=appeal.status,
                        public_text=reply,
                        is_public=True,
                    )
                )
            if via_open311:
                submissions.append(
                    SubmittedRequest(
                        appeal_id=appeal.pk,
                        client=client,
                        description=appeal.description,
                        media_url="https://example.org/photos/pothole.jpg",
                        email="citizen@example.org",
                        first_name="Wang",
                        last_name="Fang",
                        phone=appeal.reporter_phone,
                        created_at=appeal.created_at,
                    )
                )
            if appeal.status == Status.MERGED:
                merged.append(appeal)
        AppealEvent.objects.bulk_create(events, batch_size=5000)
        SubmittedRequest.objects.bulk_create(submissions, batch_size=5000)
        targets = [a for a in appeals if a.status != Status.MERGED]
        for appeal in merged:
            appeal.merged_into_id = rng.choice(targets).pk
        Appeal.objects.bulk_update(merged, ["merged_into"], batch_size=2000)
    written = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return {
        "vendor": connection.vendor,
        "appeals": Appeal.objects.count(),
        "events": AppealEvent.objects.count(),
        "public_replies": AppealEvent.objects.exclude(public_text="").count(),
        "open311_submissions": SubmittedRequest.objects.count(),
        "merged": len(merged),
        "write_seconds": round(written, 1),
    }


# --- Load generator ---------------------------------------------------------------------------


def _count(fmt: str, body: bytes) -> int:
    """Requests in an answer, counted without parsing (cheap enough to do for every answer)."""
    if fmt == "json":
        return body.count(b'"service_request_id":')
    return body.count(b"<request>")


def _parse_count(fmt: str, body: bytes) -> int:
    """The same count from a full parse: the answer is well-formed JSON / XML."""
    if fmt == "json":
        data = json.loads(body)
        assert isinstance(data, list) and all("service_request_id" in r for r in data)
        return len(data)
    root = ET.fromstring(body)
    assert root.tag == "service_requests"
    return sum(1 for child in root if child.tag == "request")


async def _fetch(url: str, fmt: str, *, clients: int, total: int) -> dict:
    import aiohttp

    latencies: list[float] = []
    errors: Counter = Counter()
    samples: list[str] = []
    short: list[int] = []
    sizes: list[int] = []
    first: list[bytes] = []
    remaining = iter(range(total))
    timeout = aiohttp.ClientTimeout(total=60)

    async def client(session) -> None:
        for _ in remaining:
            t0 = time.perf_counter()
            try:
                async with session.get(url + PATHS[fmt]) as resp:
                    body = await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                errors[type(exc).__name__] += 1
                if len(samples) < 5:
                    samples.append(repr(exc))
                continue
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                errors[f"HTTP {status}"] += 1
                if len(samples) < 5:
                    samples.append(f"{status}: {body[:300].decode(errors='replace')}")
                continue
            sizes.append(len(body))
            if not first:
                first.append(body)
            n = _count(fmt, body)
            if n != EXPECTED:
                short.append(n)

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    parsed = _parse_count(fmt, first[0]) if first else 0
    return {
        "latencies": latencies,
        "errors": dict(errors),
        "error_samples": samples,
        "wrong_counts": short[:10],
        "n_wrong": len(short),
        "first_parsed": parsed,
        "bytes": statistics.median(sizes) if sizes else 0,
        "elapsed": elapsed,
    }


# --- One backend ------------------------------------------------------------------------------


def _reset_postgres() -> str:
    return intake.reset_database(PG_BENCH_DB)


def _child_setup(env: dict, n_appeals: int) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--phase", "setup", "--open311-appeals", str(n_appeals)],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"setup phase failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_backend(backend: str, *, n_appeals: int, requests: int, clients: int, keep: bool) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"suqiu-bench-open311-{backend}-"))
    env = intake.child_env(data_dir)
    if backend == "postgres":
        env["DATABASE_URL"] = _reset_postgres()
    server = None
    log_path = data_dir / "gunicorn.log"
    results: dict[tuple[str, int], dict] = {}
    cpu: dict[tuple[str, int], dict] = {}
    try:
        print(f"  open311: {backend}: writing {n_appeals:,} appeals…", flush=True)
        setup = _child_setup(env, n_appeals)
        port = intake._free_port()
        url = f"http://127.0.0.1:{port}"
        with open(log_path, "wb") as log:
            # The same command line `suqiu run` uses.
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    str(GUNICORN_CONF),
                    "suqiu.wsgi:application",
                ],
                env=dict(env, HOST="127.0.0.1", PORT=str(port)),
                cwd=PROJECT_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        intake._wait_healthy(url, server)
        probe = intake.cpu_probe_ms()
        # Warm-up: every worker imports, connects and fills its caches (not measured).
        for fmt in PATHS:
            asyncio.run(_fetch(url, fmt, clients=4, total=12))
        for n_clients in (1, clients):
            for fmt in PATHS:
                print(f"  open311: {backend}: {fmt}, {n_clients} client(s)…", flush=True)
                before = _proc_stats()
                results[(fmt, n_clients)] = asyncio.run(
                    _fetch(url, fmt, clients=n_clients, total=requests)
                )
                cpu[(fmt, n_clients)] = intake._cpu_by_group(before, _proc_stats(), server.pid)
        intake._stop(server)
        log_tail = log_path.read_text(errors="replace")[-3000:]
    finally:
        if server is not None:
            intake._stop(server)
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    rows = []
    for (fmt, n_clients), res in results.items():
        lat = sorted(res["latencies"])
        n_errors = sum(res["errors"].values())
        used = cpu[(fmt, n_clients)]
        rows.append(
            {
                "backend": backend,
                "format": fmt,
                "clients": n_clients,
                "requests": len(lat),
                "p50_ms": round(intake._percentile(lat, 0.50) * 1000, 1),
                "p99_ms": round(intake._percentile(lat, 0.99) * 1000, 1),
                "max_ms": round(lat[-1] * 1000, 1) if lat else None,
                "kib": round(res["bytes"] / 1024),
                "errors": n_errors,
                "records_ok": res["n_wrong"] == 0
                and res["first_parsed"] == EXPECTED
                and len(lat) == requests
                and n_errors == 0,
                "details": {
                    "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else None,
                    "p90_ms": round(intake._percentile(lat, 0.90) * 1000, 1),
                    "requests_per_s": round(len(lat) / res["elapsed"], 1),
                    "errors_by_kind": res["errors"],
                    "error_samples": res["error_samples"],
                    "wrong_counts": res["wrong_counts"],
                    "first_parsed": res["first_parsed"],
                    "cpu_seconds": used,
                    "cpu_ms_per_request": intake.cpu_ms_per_request(
                        used, len(lat), backend, digits=1
                    ),
                    "other_cpu_cores": round(used["other"] / res["elapsed"], 2),
                    "cpu_probe_ms": probe,
                    "setup": setup,
                    "server_log_tail": log_tail if n_errors else "",
                },
            }
        )
    return {"backend": backend, "rows": rows, "setup": setup}


def _proc_stats() -> dict:
    # intake's accounting tells the bench database's PostgreSQL backends by its database name.
    saved, intake.PG_BENCH_DB = intake.PG_BENCH_DB, PG_BENCH_DB
    try:
        return intake._proc_stats()
    finally:
        intake.PG_BENCH_DB = saved


def target_checks(row: dict) -> list[tuple[str, bool, str]]:
    name = f"{row['backend']} {row['format']} x{row['clients']}"
    checks = [
        (f"{name}: every answer 200 with 1000 requests", bool(row["records_ok"]), "correctness")
    ]
    target = TARGET_P99_MS.get(row["backend"])
    if target:
        checks.append((f"{name}: p99 <= {target:.0f} ms", row["p99_ms"] <= target, "target"))
    return checks


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of this benchmark; ``--backend`` and ``--keep`` are intake's (shared)."""
    parser.add_argument(
        "--open311-appeals", type=int, default=100_000, help="appeals in the database (100000)"
    )
    parser.add_argument(
        "--open311-requests", type=int, default=200, help="GETs per format and mode (200)"
    )
    parser.add_argument(
        "--open311-clients", type=int, default=4, help="clients in the concurrent mode (4)"
    )


def run(args: argparse.Namespace) -> dict:
    choice = getattr(args, "backend", "both")
    backends = ["postgres", "sqlite"] if choice == "both" else [choice]
    rows, runs, notes = [], [], []
    for backend in backends:
        if backend == "postgres":
            why = intake.postgres_available()
            if why:
                notes.append(f"postgres skipped: no PostgreSQL at {PG_ADMIN_URL} ({why})")
                continue
        result = run_backend(
            backend,
            n_appeals=args.open311_appeals,
            requests=args.open311_requests,
            clients=args.open311_clients,
            keep=getattr(args, "keep", False),
        )
        runs.append(result)
        rows.extend(result["rows"])
        s = result["setup"]
        notes.append(
            f"{backend}: {s['appeals']:,} appeals, {s['events']:,} events "
            f"({s['public_replies']:,} public replies), {s['open311_submissions']:,} Open311 "
            f"submissions, written in {s['write_seconds']} s"
        )
        busy = max(r["details"]["other_cpu_cores"] for r in result["rows"])
        if busy > 0.15:
            notes.append(
                f"{backend}: other processes used up to {busy:.2f} of the {os.cpu_count()} cores "
                "during the measurement (not a clean measurement: run again on a quiet machine)"
            )
    checks = [c for row in rows for c in target_checks(row)]
    return {"columns": COLUMNS, "rows": rows, "runs": runs, "checks": checks, "notes": notes}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--phase" in argv:
        parser = argparse.ArgumentParser()
        parser.add_argument("--phase", choices=["setup"])
        add_arguments(parser)
        args = parser.parse_args(argv)
        print(json.dumps(_phase_setup(args.open311_appeals)))
        return 0
    # Standalone: the same table bench/run.py prints, for this benchmark alone.
    import run as runner

    return runner.main(["--only", "open311", *argv])


if __name__ == "__main__":
    sys.exit(main())
