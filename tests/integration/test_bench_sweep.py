"""The worker-sweep benchmark (bench/sweep.py) writes appeal rows with its own SQL, so a new
column of the appeal table can break it without any other test noticing (appeals 0007 did).
Run it small on PostgreSQL, in its own throwaway database, and require its correctness check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_sweep_benchmark_runs_and_handles_every_due_item_exactly_once():
    db = settings.DATABASES["default"]
    admin = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    env = {
        **os.environ,
        "SUQIU_BENCH_POSTGRES_URL": admin,
        "SUQIU_BENCH_SWEEP_DB": "suqiu_test_bench_sweep",
    }
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--only", "sweep", "--sweep-appeals", "3000", "--no-json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "ok   every due row handled exactly once" in out, out
    # 1 % of 3,000 appeals are due, 40 % of those also for their first contact.
    assert "6 first contacts to remind, 6 overdue" in out, out
