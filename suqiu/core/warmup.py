"""Loading what every request needs before the first one arrives.

A web process otherwise pays on its first requests for: importing every URLconf and building
the API's schemas (django-ninja), loading the word segmenter's dictionary (rjieba: a fifth of a
second; intake segments every appeal) and the triage lexicon. jieba's own dictionary (about a
second) is left to load when something needs it: hotspot keywords' parts of speech (the worker),
a routing model made before rjieba. Under ``gunicorn`` with ``preload_app`` the
master does this once before it forks, so every worker (and every worker recycled by
``max_requests``) starts ready and shares those pages with the master.

Nothing here opens a database connection that would outlive the call: a connection inherited
across ``fork`` would be shared by two processes.
"""

from __future__ import annotations

import time


def warm() -> float:
    """Import and build what requests need; returns the seconds it took."""
    started = time.perf_counter()
    from django.db import connections
    from django.urls import get_resolver

    from suqiu.core.text import words
    from suqiu.triage import urgency  # noqa: F401 - compiles the lexicon's patterns

    try:
        get_resolver().url_patterns  # noqa: B018 - imports every URLconf and the API routers
        words("路灯")  # the segmenter's dictionary
    finally:
        connections.close_all()
    return time.perf_counter() - started
