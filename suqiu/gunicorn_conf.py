"""Production server configuration (used by ``suqiu run`` and documented for deployments).

Sync workers, two per core plus one: each Django request holds one database connection for its
whole life, and while one worker waits on the database the others keep both cores busy. This
was measured with ``make bench`` (bench/README.md: 32 clients creating appeals, 2 cores shared
with PostgreSQL and the load generator) against the alternatives:

* threaded workers (gthread, 2-4 processes x 4-8 threads, keep-alive): the same throughput
  within the noise, but a p99 about 1.5-2x worse, because a keep-alive connection stays with
  one process and the processes end up unevenly loaded;
* 3, 4 or 6 sync workers instead of 5: no difference beyond the noise on PostgreSQL or SQLite.

What limits throughput is CPU per request, not the worker model: see bench/README.md. Access
logging is off unless SUQIU_ACCESS_LOG names a file ("-" for stdout): a log line per request
costs CPU that intake needs. Override with WEB_CONCURRENCY / GUNICORN_THREADS / PORT / BIND.
"""

import multiprocessing
import os

bind = os.environ.get(
    "BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# Each worker touches its heartbeat file on every request: keep it in memory, not on a disk that
# may stall (container overlay file systems).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
backlog = 2048
timeout = 60
graceful_timeout = 20
keepalive = 5
max_requests = 20000
max_requests_jitter = 2000
accesslog = os.environ.get("SUQIU_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("SUQIU_LOG_LEVEL", "info").lower()
proc_name = "suqiu-web"

# Load the application once in the master and warm it up (URLconfs and API schemas, the word
# segmenter's dictionary: suqiu/core/warmup.py) before forking: each worker would otherwise
# spend that CPU on its first requests, again whenever max_requests recycles it.
# SUQIU_PRELOAD=0 turns it off (each worker then loads the application itself).
preload_app = os.environ.get("SUQIU_PRELOAD", "1") != "0"


def when_ready(server):
    if preload_app:
        from suqiu.core.warmup import warm

        server.log.info("warm-up done in %.2f s", warm())


# Gunicorn's control socket (27+) sits at one path per user (~/.gunicorn/gunicorn.ctl): two
# instances on one machine would take it from each other. Off unless a path is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or "~/.gunicorn/gunicorn.ctl"
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
