"""Operational endpoints."""

import time

from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.templatetags.static import static

from suqiu import __version__


def favicon(request):
    """``/favicon.ico``, which browsers and tools ask for on pages that name no icon (the admin,
    the API docs): the site's icon, instead of a 404 in the log."""
    return HttpResponseRedirect(static("suqiu/icon.svg"))


def healthz(request):
    """Report whether the database answers, and how fast. 200 when healthy, 503 when not."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        db = {
            "ok": True,
            "vendor": connection.vendor,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        status = 200
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        db = {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}
        status = 503
    return JsonResponse(
        {
            "status": "ok" if status == 200 else "unavailable",
            "version": __version__,
            "database": db,
        },
        status=status,
    )


def after_login(request):
    """Where sign-in lands when no ``next`` was given: staff at the workbench, residents at home."""
    from django.shortcuts import redirect

    from suqiu.directory.access import roles_of

    if request.user.is_authenticated and roles_of(request.user) - {"resident"}:
        return redirect("workbench:home")
    return redirect("resident:home")
