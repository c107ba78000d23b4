"""Workbench pages of hotspots: the ranked list, a hotspot with its appeals and the promotion
form, governance projects. Reads through ``hotspots.selectors`` (scoped), writes through
``hotspots.services``; service errors are shown in the form with their status, never a 500."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from suqiu.appeals.views_workbench import _error_text, staff_required
from suqiu.core.errors import ApplicationError
from suqiu.duplicates.services import similar_elsewhere
from suqiu.hotspots import selectors, services
from suqiu.hotspots.forms import PromoteForm

PAGE_SIZE = 50


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "workbench/forbidden.html", status=403)


@require_GET
@staff_required
def hotspot_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not services.may_use_hotspots(actor):
        return _forbidden(request)
    windows = selectors.windows(actor=actor)
    window = request.GET.get("window") or services.current_window()
    if window not in windows and windows:
        window = windows[0]
    page = Paginator(selectors.hotspot_list(actor=actor, window=window), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rank_offset = (page.number - 1) * PAGE_SIZE
    # The page's hotspots on a map: one marker each at the mean place of its located appeals
    # the user may see, numbered by rank.
    centres = selectors.hotspot_centres(actor=actor, hotspot_ids=[h.pk for h in page])
    points = [
        {
            "lat": round(centres[h.pk][0], 6),
            "lon": round(centres[h.pk][1], 6),
            "code": f"#{rank_offset + i}",
            "rank": rank_offset + i,
            "title": f"{h.place_label}：{h.display_title}" if h.place_label else h.display_title,
            "url": reverse("hotspots:detail", args=[h.pk]),
        }
        for i, h in enumerate(page, start=1)
        if h.pk in centres
    ]
    return render(
        request,
        "hotspots/list.html",
        {
            "page": page,
            "window": window,
            "windows": [(w, services.window_label(w)) for w in windows],
            "rank_offset": rank_offset,
            "points": points,
        },
    )


def _detail(
    request: HttpRequest,
    pk: int,
    *,
    form: PromoteForm | None = None,
    error: str = "",
    status: int = 200,
):
    actor = request.actor
    hotspot = selectors.hotspot_get(actor=actor, hotspot_id=pk)
    visible = selectors.hotspot_members(actor=actor, hotspot=hotspot)
    members = list(visible[:500])
    whole = selectors.sees_whole(actor=actor, hotspot=hotspot)
    if form is None and not hotspot.project_id and whole:
        title = hotspot.display_title
        title = f"{hotspot.place_label}：{title}" if hotspot.place_label else title
        form = PromoteForm(initial={"title": title[:200]})
    # The members with a location, for the map (the same visible appeals as the table).
    points = [
        {
            "lat": round(a.lat, 6),
            "lon": round(a.lon, 6),
            "code": a.tracking_code,
            "title": a.title,
            "url": reverse("workbench:appeal", args=[a.pk]),
        }
        for a in members
        if a.lat is not None and a.lon is not None
    ]
    return render(
        request,
        "hotspots/detail.html",
        {
            "hotspot": hotspot,
            "members": members,
            "points": points,
            "growth_factor": 2.0**hotspot.growth,
            "window_label": services.window_label(hotspot.window),
            "form": form,
            "sees_whole": whole,
            "visible_count": len(members) if len(members) < 500 else visible.count(),
            "error": error,
        },
        status=status,
    )


@require_GET
@staff_required
def hotspot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.may_use_hotspots(request.actor):
        return _forbidden(request)
    try:
        return _detail(request, pk)
    except ApplicationError as exc:
        return render(
            request, "hotspots/not_found.html", {"error": _error_text(exc)}, status=exc.http_status
        )


@require_POST
@staff_required
def hotspot_promote(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.may_use_hotspots(request.actor):
        return _forbidden(request)
    form = PromoteForm(request.POST)
    try:
        if not form.is_valid():
            return _detail(request, pk, form=form, status=422)
        project = services.promote(actor=request.actor, hotspot_id=pk, data=form.to_input())
    except ApplicationError as exc:
        return _refused(request, exc, form, lambda **kw: _detail(request, pk, **kw))
    _started(request, project)
    return redirect("hotspots:project", pk=project.pk)


def _started(request: HttpRequest, project) -> None:
    count = project.appeals.count()
    messages.success(
        request,
        ngettext(
            "Project started: %(count)d appeal taken in, each with a note in its timeline.",
            "Project started: %(count)d appeals taken in, each with a note in its timeline.",
            count,
        )
        % {"count": count},
    )


def _refused(request: HttpRequest, exc: ApplicationError, form, again) -> HttpResponse:
    """A service's refusal of a project form: 404 page, or the form again (``again``) with the
    field errors in their fields and the message on top, under the error's status."""
    if exc.http_status == 404:
        return render(request, "hotspots/not_found.html", {"error": _error_text(exc)}, status=404)
    for field, said in exc.fields.items():
        if form is not None and field in form.fields:
            for m in said:
                form.add_error(field, str(m))
    return again(form=form, error=_error_text(exc), status=exc.http_status)


def elsewhere_panel(request: HttpRequest, appeal) -> dict | None:
    """The appeal page's panel of similar appeals in the appeal's street, for those who look
    across communities and start governance projects; nothing when there is none."""
    actor = request.actor
    if not services.may_use_hotspots(actor):
        return None
    similar = similar_elsewhere(actor=actor, appeal=appeal)
    if not similar:
        return None
    projects = list(appeal.governance_projects.filter(status="open"))
    return {
        "appeal": appeal,
        "rows": [
            {
                "appeal": e.appeal,
                "status_label": e.appeal.get_status_label(),
                "community": e.community,
                "similarity_pct": round(e.similarity * 100),
            }
            for e in similar
        ],
        "street": appeal.area.parent.name if appeal.area.parent_id else "",
        "projects": projects,
        # A merged appeal is handled through its main one: a project starts from that.
        "can_start": not projects and appeal.status != "merged",
    }


def _common(
    request: HttpRequest,
    pk: int,
    *,
    form: PromoteForm | None = None,
    error: str = "",
    status: int = 200,
):
    appeal, similar = services.common_problem_of(actor=request.actor, appeal_id=pk)
    if form is None:
        form = PromoteForm(initial={"title": appeal.title[:200]})
    return render(
        request,
        "hotspots/common.html",
        {
            "appeal": appeal,
            "similar": similar,
            "communities": sorted({e.community for e in similar}),
            "street": appeal.area.parent.name if appeal.area.parent_id else "",
            "projects": list(appeal.governance_projects.filter(status="open")),
            "form": form,
            "error": error,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def common_problem(request: HttpRequest, pk: int) -> HttpResponse:
    """One person's case and the similar appeals of its street, with the form that takes them
    into a governance project together."""
    if not services.may_use_hotspots(request.actor):
        return _forbidden(request)
    form = PromoteForm(request.POST) if request.method == "POST" else None
    try:
        if form is None:
            return _common(request, pk)
        if not form.is_valid():
            return _common(request, pk, form=form, status=422)
        project = services.start_project(actor=request.actor, appeal_id=pk, data=form.to_input())
    except ApplicationError as exc:
        return _refused(request, exc, form, lambda **kw: _common(request, pk, **kw))
    _started(request, project)
    return redirect("hotspots:project", pk=project.pk)


@require_GET
@staff_required
def people_options(request: HttpRequest) -> HttpResponse:
    """The handling-person ``<option>``s for one organisation (the project form reloads them
    when the organisation changes)."""
    if not services.may_use_hotspots(request.actor):
        return _forbidden(request)
    form = PromoteForm(initial={"handler_organisation": request.GET.get("handler_organisation")})
    return render(request, "hotspots/_people_options.html", {"field": form["handler_person"]})


@require_GET
@staff_required
def project_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.project_list(actor=request.actor), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "hotspots/projects.html", {"page": page})


@require_GET
@staff_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        project = selectors.project_get(actor=request.actor, project_id=pk)
    except ApplicationError as exc:
        return render(request, "hotspots/not_found.html", {"error": _error_text(exc)}, status=404)
    appeals = list(selectors.project_appeals(actor=request.actor, project=project)[:500])
    return render(
        request,
        "hotspots/project.html",
        {
            "project": project,
            "appeals": appeals,
            # The project's hotspots the reader may open (each titled as they may read it).
            "hotspots": list(
                selectors.hotspot_list_any(actor=request.actor).filter(project=project)
            ),
            "can_close": project.status == "open" and services.may_close(request.actor, project),
        },
    )


@require_POST
@staff_required
def project_close(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.close_project(actor=request.actor, project_id=pk)
    except ApplicationError as exc:
        return render(
            request, "hotspots/not_found.html", {"error": _error_text(exc)}, status=exc.http_status
        )
    return redirect("hotspots:project", pk=pk)


def note_reason(event) -> str:
    """The note on an appeal taken into a governance project (``services._create_project``),
    in the reader's language (``appeals.extensions.register_note``)."""
    d = event.data if isinstance(event.data, dict) else {}
    if not d.get("project") or d.get("project_title") is None:
        return ""
    if d.get("project_closed"):
        return gettext("Proactive governance project #%(id)s closed: %(title)s") % {
            "id": d["project"],
            "title": d["project_title"],
        }
    return gettext("Taken into proactive governance project #%(id)s: %(title)s") % {
        "id": d["project"],
        "title": d["project_title"],
    }
