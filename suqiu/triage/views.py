"""Workbench parts of triage: the suggestions panel on the appeal page, and the page that shows
how triage does on live intake (/workbench/triage/)."""

from __future__ import annotations

from datetime import timedelta

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from suqiu.appeals import presenters, workflow
from suqiu.appeals.models import EventKind, Urgency
from suqiu.appeals.views_workbench import staff_required
from suqiu.core import clock
from suqiu.core.text import enumeration
from suqiu.directory.models import Category
from suqiu.triage import selectors

REPORT_DAYS = (7, 30, 90, 365)
APPEALS_PAGE_SIZE = 50


def triage_panel(request, appeal) -> dict | None:
    """The "side" panel: suggestions with confidence, the urgency flag, what was done automatically,
    and one-click buttons that submit the assess or dispatch form with a suggestion."""
    actor = request.actor
    if not selectors.is_staff(actor):
        return None
    view = selectors.view_of(appeal)
    if not (view.suggestions or view.urgency_terms or view.auto_dispatched):
        if appeal.status not in selectors.LIVE_STATUSES:
            return None
    allowed = set(presenters.actions_for(actor, appeal))
    suggested_urgency = view.urgency_suggested or appeal.urgency
    if Urgency.values.index(suggested_urgency) < Urgency.values.index(appeal.urgency):
        suggested_urgency = appeal.urgency  # a suggestion never lowers what is set
    return {
        "view": view,
        "appeal": appeal,
        "can_assess": "assess" in allowed,
        "can_dispatch": "dispatch" in allowed,
        # A received appeal: assess and dispatch with one click, for whoever does both.
        "can_route": "assess" in allowed and workflow.dispatches_anywhere(actor),
        "assess_urgency": suggested_urgency,
        "urgency_label": Urgency(view.urgency_suggested).label if view.urgency_suggested else "",
    }


def note_reason(event) -> str:
    """Triage's note on an urgency it raised (``services.detect_urgency``), in the reader's
    language from the terms it found (``appeals.extensions.register_note``)."""
    d = event.data if isinstance(event.data, dict) else {}
    if event.kind != EventKind.URGENCY_RAISED or not d.get("terms"):
        return ""
    terms = [t.get("term", "") if isinstance(t, dict) else str(t) for t in d["terms"]]
    return gettext("Urgency raised by triage: %(terms)s") % {"terms": enumeration(terms)}


@require_GET
@staff_required
def report(request: HttpRequest) -> HttpResponse:
    """Automatic dispatches of the window and what became of them, agreement of the people who
    assessed the rest with the top suggestion, per category; the active model's figures."""
    actor = request.actor
    if not selectors.may_see_report(actor):
        return render(request, "workbench/forbidden.html", status=403)
    days, error = _days(request)
    until = clock.now()
    perf = selectors.performance(actor=actor, since=until - timedelta(days=days), until=until)
    return render(
        request,
        "triage/report.html",
        {"perf": perf, "days": days, "choices": REPORT_DAYS, "error": error, "model": perf.model},
        status=422 if error else 200,
    )


def _days(request: HttpRequest) -> tuple[int, str]:
    """The report's window in days from ``?days=`` (30 when missing), and an error when it is
    not one of those offered (the window is then the default)."""
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 0
    if days in REPORT_DAYS:
        return days, ""
    return 30, gettext("Choose one of the windows offered (%(choices)s days).") % {
        "choices": ", ".join(str(d) for d in REPORT_DAYS)
    }


KIND_TITLES = {
    "auto": _("Dispatched automatically"),
    "rerouted": _("Dispatched automatically, then sent elsewhere"),
    "corrected": _("Assessed under another category than the first suggestion"),
}


@require_GET
@staff_required
def report_appeals(request: HttpRequest) -> HttpResponse:
    """The appeals behind one figure of the report (``?kind=auto|rerouted|corrected``, of one
    category with ``?category=CODE``, in the window of ``?days=``): what triage suggested or did,
    and where each appeal is now, so a dispatcher can see where triage goes wrong."""
    actor = request.actor
    if not selectors.may_see_report(actor):
        return render(request, "workbench/forbidden.html", status=403)
    days, days_error = _days(request)
    errors = {"days": days_error} if days_error else {}
    kind = request.GET.get("kind", "")
    if kind not in selectors.REPORT_KINDS:
        errors["kind"] = gettext("Choose what to list: %(choices)s.") % {
            "choices": ", ".join(selectors.REPORT_KINDS)
        }
    code = request.GET.get("category", "").strip()
    # (A NUL cannot be sent to PostgreSQL: such a code is simply no category.)
    category = Category.objects.filter(code=code).first() if code and "\x00" not in code else None
    if code and category is None:
        errors["category"] = gettext("No such category: %(code)s.") % {"code": code[:64]}
    ctx = {"days": days, "kind": kind, "category": category, "errors": errors}
    if errors:
        return render(request, "triage/report_appeals.html", ctx, status=422)
    until = clock.now()
    qs = selectors.performance_appeals(
        actor=actor, since=until - timedelta(days=days), until=until, kind=kind, category=category
    )
    page = Paginator(qs, APPEALS_PAGE_SIZE).get_page(request.GET.get("page"))
    ctx.update(
        page=page,
        rows=selectors.report_appeals(page.object_list),
        title=KIND_TITLES[kind],
    )
    return render(request, "triage/report_appeals.html", ctx)
