"""Production server configuration (used by ``suqiu run`` and documented for deployments).

Sync workers: each Django request holds one database connection for its whole life, which is
what Django is built for. Two per core plus one keeps both cores busy while one worker waits
on the database. Override with WEB_CONCURRENCY / GUNICORN_THREADS / PORT / BIND.
"""

import multiprocessing
import os

bind = os.environ.get(
    "BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
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
