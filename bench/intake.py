"""Intake throughput: appeals created per second over HTTP, against PostgreSQL and SQLite.

For each backend, from scratch:

1. a fresh database (PostgreSQL: ``suqiu_bench`` dropped and recreated; SQLite: a new file in a
   temporary ``SUQIU_DATA_DIR``), ``migrate``, ``collectstatic`` (the whitenoise manifest needs
   it), a small directory with a tiled field of grids (so every create runs point-in-grid) and an
   API token of an intake account;
2. the production server exactly as ``suqiu run`` starts it: gunicorn with
   ``suqiu/gunicorn_conf.py``, DEBUG off, on a free loopback port;
3. N clients (asyncio + aiohttp, keep-alive) POST ``/api/v1/appeals`` as fast as answers come,
   for a short warm-up and then the measured seconds; latency is per request, send to last byte;
4. the server stops; in a separate process every tracking code answered with 201 is looked up
   in the database (all present, each with its ``created`` event, no row that was not
   answered), then the same rows are inserted straight through ``services.appeal_create`` in
   one process for a few seconds: the direct rate the HTTP rate is compared with.

Django is never imported in this (the load generator's) process: each backend's settings come
from its own environment, so the database work runs in child processes.

Run it through ``bench/run.py`` (``make bench``) or alone:
``.venv/bin/python bench/intake.py --backend both --seconds 20 --clients 32``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
GUNICORN_CONF = PROJECT_DIR / "suqiu" / "gunicorn_conf.py"
PG_ADMIN_URL = os.environ.get(
    "SUQIU_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
PG_BENCH_DB = os.environ.get("SUQIU_BENCH_POSTGRES_DB", "suqiu_bench")
ENDPOINT = "/api/v1/appeals"

# The issue's targets on the reference 2-core machine (load generator on the same machine).
TARGETS = {
    "postgres": {"appeals_per_s": 300.0, "p99_ms": 200.0},
    "sqlite": {"appeals_per_s": 100.0, "p99_ms": None},
}

COLUMNS = [
    ("backend", "backend"),
    ("clients", "clients"),
    ("seconds", "seconds"),
    ("appeals/s", "appeals_per_s"),
    ("p50 ms", "p50_ms"),
    ("p99 ms", "p99_ms"),
    ("errors", "errors"),
    ("rows ok", "rows_ok"),
    ("direct rows/s", "direct_rows_per_s"),
    ("ratio", "ratio"),
]

# The bench directory: a district, two streets, six communities and an 8 x 8 field of square grids
# (0.01 degrees, about 1 km) starting at FIELD_ORIGIN; one point in ten falls outside the field.
FIELD_ORIGIN = (22.60, 114.10)
FIELD_CELLS = 8
CELL = 0.01
CATEGORY_CODES = ["ROAD", "ROAD.POTHOLE", "HOUSING", "ENV", "ELDERLY"]


# --- Child-process phases (Django imported here only) -----------------------------------------


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suqiu.settings")
    import django

    django.setup()


def _phase_setup() -> dict:
    """Migrate, collect static files, build the bench directory, issue the token."""
    _django()
    import runpy

    from django.core.management import call_command
    from django.db import connection

    from suqiu.core.management.commands.compiletranslations import compile_translations
    from suqiu.core.testing import square
    from suqiu.directory.models import (
        ApiToken,
        Category,
        Grid,
        Membership,
        Organisation,
        OrgKind,
        Role,
        User,
    )

    compile_translations()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)

    district = Organisation.objects.create(code="B-D", name="基准区", kind=OrgKind.DISTRICT)
    centre = Organisation.objects.create(
        code="B-CC", name="指挥中心", kind=OrgKind.COMMAND_CENTRE, parent=district
    )
    communities = []
    for s in range(2):
        street = Organisation.objects.create(
            code=f"B-S{s}", name=f"街道{s}", kind=OrgKind.STREET, parent=district
        )
        for c in range(3):
            communities.append(
                Organisation.objects.create(
                    code=f"B-S{s}C{c}", name=f"社区{s}{c}", kind=OrgKind.COMMUNITY, parent=street
                )
            )
    for row in range(FIELD_CELLS):
        for col in range(FIELD_CELLS):
            lat = FIELD_ORIGIN[0] + (row + 0.5) * CELL
            lon = FIELD_ORIGIN[1] + (col + 0.5) * CELL
            Grid.objects.create(
                code=f"B-G{row}{col}",
                name=f"网格{row}-{col}",
                community=communities[(row * FIELD_CELLS + col) % len(communities)],
                boundary=square(lat, lon, CELL / 2),
            )
    roads = Organisation.objects.create(
        code="B-ROADS", name="交通局", kind=OrgKind.DEPARTMENT, parent=district
    )
    road = Category.objects.create(code="ROAD", name="道路", default_organisation=roads)
    Category.objects.create(code="ROAD.POTHOLE", name="坑洼", parent=road)
    for code, name in [("HOUSING", "住房"), ("ENV", "环境"), ("ELDERLY", "养老")]:
        Category.objects.create(code=code, name=name)
    user = User(username="bench-intake", display_name="基准接入")
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, role=Role.OPERATOR, organisation=centre)
    _token, raw = ApiToken.issue(user=user, name="bench")

    conf = runpy.run_path(str(GUNICORN_CONF))
    return {
        "token": raw,
        "vendor": connection.vendor,
        "gunicorn": {
            k: conf.get(k) for k in ("workers", "threads", "worker_class", "keepalive", "accesslog")
        },
    }


def _phase_verify(codes_file: str, direct_seconds: float) -> dict:
    """Check every 201 is a row (and nothing else is), then time direct inserts."""
    _django()
    from django.db import connection

    from suqiu.appeals import services
    from suqiu.appeals.models import Appeal, AppealEvent, Channel, EventKind
    from suqiu.directory.access import actor_for
    from suqiu.directory.models import User

    sent = json.loads(Path(codes_file).read_text())
    codes = sent["codes"]
    unique = set(codes)
    found = 0
    created_events = 0
    codes_list = sorted(unique)
    for i in range(0, len(codes_list), 500):
        chunk = codes_list[i : i + 500]
        found += Appeal.objects.filter(tracking_code__in=chunk).count()
        created_events += AppealEvent.objects.filter(
            appeal__tracking_code__in=chunk, kind=EventKind.CREATED
        ).count()
    in_db = Appeal.objects.count()
    events_in_db = AppealEvent.objects.count()
    check = {
        "answered_201": len(codes),
        "duplicate_codes": len(codes) - len(unique),
        "found": found,
        "missing": len(unique) - found,
        "rows_in_db": in_db,
        "extra_rows": in_db - found,
        "created_events": created_events,
        "events_in_db": events_in_db,
    }
    check["rows_ok"] = (
        check["duplicate_codes"] == 0
        and check["missing"] == 0
        and check["extra_rows"] == 0
        and created_events == len(unique)
        and events_in_db == in_db
    )

    # Direct: the same service call the endpoint makes, in one process, no HTTP.
    user = User.objects.get(username="bench-intake")
    rng = random.Random(7)
    n = 0
    started = time.perf_counter()
    deadline = started + direct_seconds
    while time.perf_counter() < deadline:
        actor = actor_for(user)
        services.appeal_create(actor=actor, data=_appeal_input(services, Channel.API, rng))
        n += 1
    elapsed = time.perf_counter() - started
    direct_rows = Appeal.objects.count() - in_db
    return {
        "check": check,
        "direct": {
            "appeals": n,
            "rows": direct_rows,
            "seconds": round(elapsed, 3),
            "rows_per_s": round(direct_rows / elapsed, 1),
        },
        "vendor": connection.vendor,
    }


def _appeal_input(services, channel, rng: random.Random):
    body = _payload(rng, 0)
    return services.AppealInput(
        title=body["title"],
        description=body["description"],
        channel=channel,
        lat=body["lat"],
        lon=body["lon"],
        address=body["address"],
        category=body["category"],
        urgency=body["urgency"],
        reporter_name=body["reporter_name"],
        reporter_phone=body["reporter_phone"],
        is_anonymous=body["is_anonymous"],
        client_name="bench",  # the endpoint puts the token's name here
    )


# --- Shared by both sides ---------------------------------------------------------------------


def _payload(rng: random.Random, n: int) -> dict:
    if rng.random() < 0.1:
        lat, lon = 23.5 + rng.random() * 0.1, 113.0 + rng.random() * 0.1  # outside every grid
    else:
        lat = FIELD_ORIGIN[0] + rng.random() * FIELD_CELLS * CELL
        lon = FIELD_ORIGIN[1] + rng.random() * FIELD_CELLS * CELL
    anonymous = rng.random() < 0.2
    return {
        "title": f"路面坑洼 {n} 号",
        "description": "小区门口的路面有一个大坑，雨天积水，老人和孩子经过很危险，请尽快处理。",
        "lat": round(lat, 6),
        "lon": round(lon, 6),
        "address": f"幸福路 {rng.randint(1, 300)} 号",
        "category": rng.choice(CATEGORY_CODES),
        "urgency": "urgent" if rng.random() < 0.1 else "normal",
        "reporter_name": "" if anonymous else "王女士",
        "reporter_phone": "" if anonymous else f"139{rng.randint(10_000_000, 99_999_999)}",
        "is_anonymous": anonymous,
    }


def run_phase(script: str, phase: str, env: dict, *args: str) -> dict:
    """Run ``script --phase PHASE ARGS`` in a child process with its own Django settings
    (``env``) and return the JSON object its last line of output prints."""
    proc = subprocess.run(
        [sys.executable, script, "--phase", phase, *args],
        env=env,
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{phase} phase failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _child(phase: str, env: dict, *args: str) -> dict:
    return run_phase(__file__, phase, env, *args)


# --- Server -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# CPU accounting from /proc (Linux): who used the two cores during the measured window.
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stats() -> dict[int, tuple[str, int, float]]:
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        if comm == "postgres":
            # A backend's title names its database: tell the bench database's backends from
            # other databases' (the server's own processes have no database in their title).
            try:
                title = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                title = ""
            words = title.replace("\0", " ").split()
            client_backend = any("(" in w or w == "[local]" for w in words[4:5])
            if client_backend and words[3] != PG_BENCH_DB:
                comm = "postgres (other databases)"
        out[int(entry.name)] = (comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK)
    # pid 0: the whole machine's busy time (all cores), which also counts processes that
    # started and ended between the two snapshots.
    with open("/proc/stat") as f:
        jiffies = [int(x) for x in f.readline().split()[1:]]
    idle = jiffies[3] + jiffies[4]  # idle + iowait
    out[0] = ("machine", 0, (sum(jiffies[:8]) - idle) / _TICK)
    return out


def _cpu_by_group(before: dict, after: dict, server_pid: int) -> dict[str, float]:
    """CPU seconds used between two snapshots: server (gunicorn), postgres, client (this
    process), and "other" for everything else that ran on the machine (another job, which
    skews the result), with the biggest other processes by name."""
    groups: Counter = Counter()
    others: Counter = Counter()
    for pid, (comm, ppid, cpu) in after.items():
        used = cpu - before.get(pid, (comm, ppid, 0.0))[2]
        if used <= 0 or pid == 0:
            continue
        if pid == server_pid or ppid == server_pid:
            groups["server"] += used
        elif comm == "postgres":
            groups["postgres"] += used
        elif pid == os.getpid():
            groups["client"] += used
        else:
            others[comm] += used
    machine = after[0][2] - before[0][2]
    groups["other"] = max(0.0, machine - sum(groups.values()))
    out = {k: round(v, 2) for k, v in groups.items()}
    out["other_top"] = {k: round(v, 2) for k, v in others.most_common(3) if v >= 0.05}
    return out


# --- Load generator ---------------------------------------------------------------------------


async def _load(
    url: str,
    token: str,
    *,
    clients: int,
    seconds: float,
    warmup: float,
    idempotency: bool,
    on_measure_start,
) -> dict:
    import aiohttp

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=clients, keepalive_timeout=60, use_dns_cache=True)
    timeout = aiohttp.ClientTimeout(total=60)
    codes: list[str] = []
    errors: Counter = Counter()
    error_samples: list[str] = []
    counter = iter(range(10**9))

    async def client(session, i: int, deadline: float, latencies: list[float]) -> None:
        rng = random.Random(1000 + i)
        loop = asyncio.get_running_loop()
        while loop.time() < deadline:
            n = next(counter)
            body = json.dumps(_payload(rng, n), ensure_ascii=False).encode()
            extra = {"Idempotency-Key": f"bench-{n}"} if idempotency else None
            t0 = time.perf_counter()
            try:
                async with session.post(url + ENDPOINT, data=body, headers=extra) as resp:
                    raw = await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                errors[type(exc).__name__] += 1
                if len(error_samples) < 5:
                    error_samples.append(repr(exc))
                await asyncio.sleep(0.05)
                continue
            latencies.append(time.perf_counter() - t0)
            if status == 201:
                doc = json.loads(raw)
                codes.append(doc["tracking_code"])
            else:
                errors[f"HTTP {status}"] += 1
                if len(error_samples) < 5:
                    error_samples.append(f"{status}: {raw[:300].decode(errors='replace')}")

    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, headers=headers
    ) as session:
        loop = asyncio.get_running_loop()
        warm: list[float] = []
        if warmup > 0:
            end = loop.time() + warmup
            await asyncio.gather(*(client(session, i, end, warm) for i in range(clients)))
        warm_ok, warm_errors = len(codes), sum(errors.values())
        errors.clear()
        on_measure_start()
        latencies: list[float] = []
        cpu0, t0 = time.process_time(), time.perf_counter()
        end = loop.time() + seconds
        await asyncio.gather(*(client(session, 1000 + i, end, latencies) for i in range(clients)))
        elapsed = time.perf_counter() - t0
        client_cpu = time.process_time() - cpu0
    return {
        "codes": codes,
        "warmup": {"seconds": warmup, "created": warm_ok, "errors": warm_errors},
        "created": len(codes) - warm_ok,
        "elapsed": elapsed,
        "latencies": latencies,
        "errors": dict(errors),
        "error_samples": error_samples,
        "client_cpu_s": round(client_cpu, 2),
    }


def cpu_probe_ms() -> float:
    """CPU time of a fixed pure-Python workload: compares the machine's speed between runs (a
    busy host, or a slower machine, shows as a bigger number)."""
    started = time.process_time()
    sum(i * i for i in range(1_000_000))
    return round(1000 * (time.process_time() - started), 1)


def machine_busy_cores(seconds: float = 1.0) -> float:
    """How many cores the whole machine kept busy over the next ``seconds``."""
    before = _proc_stats()[0][2]
    time.sleep(seconds)
    return (_proc_stats()[0][2] - before) / seconds


def wait_until_quiet(max_seconds: float, *, threshold: float = 0.2, calm: int = 5) -> float:
    """Wait (at most ``max_seconds``) until the machine has been idle but for ``threshold``
    cores for ``calm`` seconds in a row; returns the seconds waited."""
    started = time.monotonic()
    calm_seconds = 0
    while time.monotonic() - started < max_seconds and calm_seconds < calm:
        calm_seconds = calm_seconds + 1 if machine_busy_cores() < threshold else 0
    return round(time.monotonic() - started, 1)


def cpu_ms_per_request(cpu: dict[str, float], n: int, backend: str, *, digits: int) -> dict:
    """CPU milliseconds per request of the server, PostgreSQL (when used) and the client."""
    return {
        k: round(1000 * cpu[k] / n, digits)
        for k in ("server", "postgres", "client")
        if n and k in cpu and (k != "postgres" or backend == "postgres")
    }


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


# --- One backend, one run ---------------------------------------------------------------------


def reset_database(name: str) -> str:
    """Drop and create the throwaway PostgreSQL database ``name`` (every benchmark has its own);
    its URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_postgres() -> str:
    return reset_database(PG_BENCH_DB)


def postgres_available() -> str | None:
    """None when PostgreSQL answers at SUQIU_BENCH_POSTGRES_URL, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    return None


def without_postgres(name: str, columns: list) -> dict | None:
    """A benchmark's empty result when no PostgreSQL answers (with the reason), else None."""
    why = postgres_available()
    if not why:
        return None
    notes = [f"{name} skipped: no PostgreSQL at {PG_ADMIN_URL} ({why})"]
    return {"columns": columns, "rows": [], "runs": [], "checks": [], "notes": notes}


def child_env(data_dir: Path) -> dict[str, str]:
    """The environment of a benchmark's server and helper processes: production settings on
    ``data_dir``, none of the caller's Suqiu settings except the tuning knobs."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SUQIU_") and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    # Knobs a tuning run may pass through unchanged (see bench/README.md).
    for k in ("SUQIU_CONN_MAX_AGE", "SUQIU_LOG_LEVEL", "SUQIU_ACCESS_LOG"):
        if k in os.environ:
            env[k] = os.environ[k]
    env.update(
        SUQIU_DATA_DIR=str(data_dir),
        SUQIU_DEBUG="0",
        SUQIU_SECRET_KEY="bench-" + os.urandom(16).hex(),
        DJANGO_SETTINGS_MODULE="suqiu.settings",
        PYTHONUNBUFFERED="1",
        # The Suqiu next to this script, whatever checkout the virtualenv was installed from.
        PYTHONPATH=os.pathsep.join(p for p in (str(PROJECT_DIR), env.get("PYTHONPATH")) if p),
    )
    return env


def run_backend(
    backend: str,
    *,
    clients: int,
    seconds: float,
    warmup: float,
    direct_seconds: float,
    idempotency: bool,
    keep: bool = False,
    wait_quiet: float = 0.0,
) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"suqiu-bench-{backend}-"))
    env = child_env(data_dir)
    if backend == "postgres":
        env["DATABASE_URL"] = _reset_postgres()

    server = None
    log_path = data_dir / "gunicorn.log"
    try:
        setup = _child("setup", env)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server_env = dict(env, HOST="127.0.0.1", PORT=str(port))
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
                env=server_env,
                cwd=PROJECT_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_healthy(url, server)

        snap: dict = {}

        waited = wait_until_quiet(wait_quiet) if wait_quiet > 0 else 0.0
        probe = cpu_probe_ms()

        def mark():
            snap["before"] = _proc_stats()

        load = asyncio.run(
            _load(
                url,
                setup["token"],
                clients=clients,
                seconds=seconds,
                warmup=warmup,
                idempotency=idempotency,
                on_measure_start=mark,
            )
        )
        cpu = _cpu_by_group(snap["before"], _proc_stats(), server.pid)
        _stop(server)
        server_log_tail = log_path.read_text(errors="replace")[-3000:]

        codes_file = data_dir / "codes.json"
        codes_file.write_text(json.dumps({"codes": load["codes"]}))
        verify = _child("verify", env, "--codes", str(codes_file), "--direct", str(direct_seconds))
    finally:
        if server is not None:
            _stop(server)
        if backend == "postgres":
            pass  # left in place for inspection; the next run drops it
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    lat = sorted(load["latencies"])
    rate = load["created"] / load["elapsed"] if load["elapsed"] else 0.0
    direct = verify["direct"]["rows_per_s"]
    n_errors = sum(load["errors"].values())
    return {
        "backend": backend,
        "clients": clients,
        "seconds": round(load["elapsed"], 1),
        "appeals_per_s": round(rate, 1),
        "p50_ms": round(_percentile(lat, 0.50) * 1000, 1),
        "p99_ms": round(_percentile(lat, 0.99) * 1000, 1),
        "errors": n_errors,
        "rows_ok": verify["check"]["rows_ok"],
        "direct_rows_per_s": direct,
        "ratio": round(rate / direct, 2) if direct else None,
        "details": {
            "requests": len(lat),
            "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else None,
            "p90_ms": round(_percentile(lat, 0.90) * 1000, 1),
            "max_ms": round(lat[-1] * 1000, 1) if lat else None,
            "errors_by_kind": load["errors"],
            "error_samples": load["error_samples"],
            "warmup": load["warmup"],
            "idempotency_key": idempotency,
            "check": verify["check"],
            "direct": verify["direct"],
            "cpu_seconds": cpu,
            "cpu_ms_per_request": cpu_ms_per_request(cpu, len(lat), backend, digits=2),
            "other_cpu_cores": round(cpu["other"] / load["elapsed"], 2),
            "cpu_probe_ms": probe,
            "waited_for_quiet_s": waited,
            "client_cpu_s": load["client_cpu_s"],
            "gunicorn": setup["gunicorn"],
            "env": {
                k: os.environ[k]
                for k in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "SUQIU_CONN_MAX_AGE")
                if k in os.environ
            },
            "server_log_tail": server_log_tail if n_errors else "",
        },
    }


def cpu_note(row: dict) -> str:
    """Where the CPU went per created appeal, and the rate the machine's cores allow at that cost
    (all cores busy with nothing else): the reason a target is or is not reachable."""
    per = row["details"]["cpu_ms_per_request"]
    total = sum(per.values())
    cores = os.cpu_count() or 1
    parts = " + ".join(f"{k} {v:.2f}" for k, v in per.items())
    ceiling = 1000 * cores / total if total else float("nan")
    return (
        f"{row['backend']}: CPU per appeal {parts} = {total:.2f} ms; "
        f"{cores} cores allow at most {ceiling:.0f} appeals/s at that cost"
    )


def target_checks(row: dict) -> list[tuple[str, bool, str]]:
    """(description, met, kind) for each check that applies to this row; kind is "correctness"
    (a failure is a bug anywhere) or "target" (a speed target for the reference machine)."""
    target = TARGETS.get(row["backend"], {})
    checks = [
        (f"{row['backend']}: zero errors", row["errors"] == 0, "correctness"),
        (f"{row['backend']}: every 201 is a row", bool(row["rows_ok"]), "correctness"),
    ]
    if target.get("appeals_per_s"):
        checks.append(
            (
                f"{row['backend']}: >= {target['appeals_per_s']:.0f} appeals/s",
                row["appeals_per_s"] >= target["appeals_per_s"],
                "target",
            )
        )
    if target.get("p99_ms"):
        checks.append(
            (
                f"{row['backend']}: p99 <= {target['p99_ms']:.0f} ms",
                row["p99_ms"] <= target["p99_ms"],
                "target",
            )
        )
    return checks


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds (20)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (32)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before (2)")
    parser.add_argument(
        "--direct-seconds", type=float, default=5.0, help="seconds of direct inserts (5)"
    )
    parser.add_argument(
        "--idempotency-key",
        action="store_true",
        help="send an Idempotency-Key with every request",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per backend; the table shows the median run by appeals/s",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dirs")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each run, wait up to SECONDS for other processes to leave the CPU idle "
        "(for a shared machine)",
    )


def run(args: argparse.Namespace) -> dict:
    """Run the benchmark; returns {"columns", "rows", "runs", "checks", "notes"}."""
    backends = ["postgres", "sqlite"] if args.backend == "both" else [args.backend]
    rows, runs, notes = [], [], []
    for backend in backends:
        if backend == "postgres":
            why = postgres_available()
            if why:
                notes.append(f"postgres skipped: no PostgreSQL at {PG_ADMIN_URL} ({why})")
                continue
        attempts = []
        for i in range(args.repeat):
            print(
                f"  intake: {backend} run {i + 1}/{args.repeat} "
                f"({args.clients} clients, {args.seconds:g} s)…",
                flush=True,
            )
            attempts.append(
                run_backend(
                    backend,
                    clients=args.clients,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    direct_seconds=args.direct_seconds,
                    idempotency=args.idempotency_key,
                    keep=args.keep,
                    wait_quiet=args.wait_quiet,
                )
            )
        runs.extend(attempts)
        busy = [r["details"]["other_cpu_cores"] for r in attempts]
        if max(busy) > 0.15:
            notes.append(
                f"{backend}: other processes used up to {max(busy):.2f} of the "
                f"{os.cpu_count()} cores during the measurement (not a clean measurement: "
                "run again on a quiet machine)"
            )
        ranked = sorted(attempts, key=lambda r: r["appeals_per_s"])
        median = ranked[(len(ranked) - 1) // 2]
        rows.append(median)
        notes.append(cpu_note(median))
    checks = [c for row in rows for c in target_checks(row)]
    return {"columns": COLUMNS, "rows": rows, "runs": runs, "checks": checks, "notes": notes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phase", choices=["setup", "verify"], help=argparse.SUPPRESS)
    parser.add_argument("--codes", help=argparse.SUPPRESS)
    parser.add_argument("--direct", type=float, default=5.0, help=argparse.SUPPRESS)
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.phase == "setup":
        print(json.dumps(_phase_setup()))
        return 0
    if args.phase == "verify":
        print(json.dumps(_phase_verify(args.codes, args.direct)))
        return 0
    # Standalone: the same table bench/run.py prints, for this benchmark alone.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import run as runner

    return runner.main(["--only", "intake", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    sys.exit(main())
