"""`suqiu run` on an empty data directory: migrates, collects static files, and serves the resident
page, the workbench and /healthz with the production server and a worker; SIGTERM stops it all.

This starts real processes (gunicorn, the worker) against a fresh SQLite file, as `make run` does
(without demo data, which has its own tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str, dict]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as r:
            return r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace"), dict(e.headers)


@pytest.fixture
def served(tmp_path):
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        SUQIU_DATA_DIR=str(tmp_path / "var"), PORT=str(port), WEB_CONCURRENCY="2", SUQIU_TESTING="0"
    )
    env.pop("SUQIU_TEST_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "suqiu.cli", "run", "--no-demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True
    )
    reader.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            reader.join(timeout=5)
            pytest.fail("suqiu run exited early:\n" + "".join(lines))
        try:
            if _get(base + "/healthz")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("suqiu run did not answer /healthz within 120 s")
    # The worker boots Django on its own; wait for it, so the stop below finds it running.
    while time.monotonic() < deadline and not any("worker started" in line for line in lines):
        time.sleep(0.2)
    yield base, proc, reader, lines
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)


def test_suqiu_run_serves_the_whole_system_and_stops_on_sigterm(served):
    base, proc, reader, lines = served
    status, body, _ = _get(base + "/healthz")
    assert status == 200 and '"ok": true' in body and "sqlite" in body
    status, body, _ = _get(base + "/")
    assert status == 200 and 'href="/report"' in body
    # Static files come from the manifest storage (hashed names) and are served by the app.
    css = body.split('href="/static/suqiu/app.', 1)
    assert len(css) == 2, "the page should link the hashed app.css"
    status, _, headers = _get(base + "/static/suqiu/app." + css[1].split('"', 1)[0])
    assert status == 200 and headers.get("Content-Type", "").startswith("text/css")
    status, _, headers = _get(base + "/workbench/")
    assert status == 302 and headers["Location"].startswith("/accounts/login/")
    status, body, _ = _get(base + "/api/v1/openapi.json")
    assert status == 200 and '"/api/v1/appeals"' in body
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    output = "".join(lines)
    assert f"Suqiu is serving on {base}" in output
    assert "worker started" in output
    assert proc.returncode == 0, output
