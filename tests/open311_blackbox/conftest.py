"""A Suqiu served as `make run` serves it, for the Open311 black-box test.

``suqiu run --no-demo`` on a fresh SQLite file in a temporary ``SUQIU_DATA_DIR`` (it migrates,
collects static files and starts gunicorn and the worker), then, as separate processes with the
same environment, ``seed.py`` (a directory, extra questions, one phoned-in appeal) and
``suqiu open311 key create`` (the key a third-party application would be given).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@dataclass
class Served:
    base: str  # http://127.0.0.1:PORT
    open311: str  # the GeoReport v2 root: http://127.0.0.1:PORT/open311/v2
    api_key: str
    seed: dict


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _run(env: dict, *argv: str) -> str:
    proc = subprocess.run(
        [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"{argv} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("open311-blackbox") / "var"
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SUQIU_TEST_DATABASE_URL"}
    }
    env.update(SUQIU_DATA_DIR=str(data_dir), PORT=str(port), WEB_CONCURRENCY="2", SUQIU_TESTING="0")
    proc = subprocess.Popen(
        [sys.executable, "-m", "suqiu.cli", "run", "--no-demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not _healthy(base):
            if proc.poll() is not None:
                pytest.fail(f"suqiu run exited early:\n{proc.stdout.read()}")
            if time.monotonic() > deadline:
                pytest.fail("suqiu run did not answer /healthz within 120 s")
            time.sleep(0.3)
        seed = json.loads(_run(env, str(HERE / "seed.py")).strip().splitlines()[-1])
        key = _run(
            env, "-m", "suqiu.cli", "open311", "key", "create", "BlackBoxApp", "--rate-limit", "100"
        ).strip()
        assert key.startswith("o311_"), key
        yield Served(base=base, open311=base + "/open311/v2", api_key=key, seed=seed)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
