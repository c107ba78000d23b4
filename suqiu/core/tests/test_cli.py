"""The ``suqiu`` console script on a database that was never set up: a clear message, no
traceback."""

import os
import subprocess
import sys


def test_a_command_before_migrate_says_to_migrate(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SUQIU_", "DATABASE_URL", "PYTEST"))
    }
    env["SUQIU_DATA_DIR"] = str(tmp_path)  # an empty folder: a new SQLite file, no tables
    done = subprocess.run(
        [sys.executable, "-c", "from suqiu.cli import main; main()", "triage", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "is not set up yet: run `suqiu migrate` first" in done.stderr
    assert "Traceback" not in done.stderr
