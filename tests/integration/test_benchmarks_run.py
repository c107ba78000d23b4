"""Benchmarks that write appeal rows with their own SQL (bench/sweep.py, bench/workbench.py): a
new column of the appeal table can break them without any other test noticing (appeals 0007 broke
the sweep). Run each small on PostgreSQL, in its own throwaway database, and require its
correctness checks (a failed one exits 1). Their speed is the benchmarks' business, not asserted."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def run_bench(name: str, *args: str) -> str:
    db = settings.DATABASES["default"]
    admin = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    env = {
        **os.environ,
        "SUQIU_BENCH_POSTGRES_URL": admin,
        f"SUQIU_BENCH_{name.upper()}_DB": f"suqiu_test_bench_{name}",
    }
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--only", name, *args, "--no-json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    return out


def test_the_sweep_benchmark_runs_and_handles_every_due_item_exactly_once():
    out = run_bench("sweep", "--sweep-appeals", "3000")
    assert "ok   every due row handled exactly once" in out, out
    # 1 % of 3,000 appeals are due, 40 % of those also for their first contact.
    assert "6 first contacts to remind, 6 overdue" in out, out


def test_the_workbench_benchmark_runs_and_its_pages_answer():
    out = run_bench("workbench", "--wb-open", "2000", "--wb-history", "2", "--wb-loads", "2")
    assert out.count("every load answered 200") == 6, out
    assert out.count("the 'to assess' badge counts the received appeals") == 6, out
    # 2,000 open appeals and 2 closed copies of each
    assert re.search(r"^dispatcher1 \|\s+6000 \|\s+2000 \| default", out, re.M), out
