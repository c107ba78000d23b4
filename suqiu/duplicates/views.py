"""The duplicates panel of the workbench appeal page, and dismissing a candidate."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from suqiu.appeals import presenters, selectors, workflow
from suqiu.appeals.views_workbench import staff_required
from suqiu.core.errors import ApplicationError, NotFound
from suqiu.duplicates import services


def panel_context(request: HttpRequest, appeal) -> dict | None:
    """Candidates both ways with a merge button (this appeal into an earlier open one, when the
    user may merge it) and a "not a duplicate" button; nothing when there is no candidate."""
    actor = request.actor
    items = services.candidates_for(actor=actor, appeal=appeal)
    if not items:
        return None
    may_merge = "merge" in presenters.actions_for(actor, appeal)
    # A merged appeal follows its main one: its other candidates are the main one's business.
    may_dismiss = services.may_dismiss(actor, appeal) and appeal.status != workflow.Status.MERGED
    rows = []
    for item in items:
        other = item.other
        merged = services.merged_pair(appeal, other)
        rows.append(
            {
                "id": item.row.pk,
                "relation": item.relation,
                "appeal": other,
                "status_label": other.get_status_label(),
                "similarity_pct": round(item.row.similarity * 100),
                "distance_m": item.row.distance_m,
                "merged": merged,
                "can_merge": may_merge
                and not merged
                and item.relation == "earlier"
                and other.status not in workflow.TERMINAL,
                "can_dismiss": may_dismiss and not merged,
            }
        )
    return {"appeal": appeal, "rows": rows}


@require_POST
@staff_required
def dismiss(request: HttpRequest, pk: int, candidate_id: int) -> HttpResponse:
    """Record "not a duplicate"; answers the refreshed panel (htmx) or goes back to the appeal."""
    try:
        appeal = selectors.appeal_get(actor=request.actor, appeal_id=pk)
    except NotFound:
        raise Http404 from None
    try:
        services.dismiss(actor=request.actor, appeal=appeal, candidate_id=candidate_id)
    except ApplicationError as exc:
        return HttpResponse(str(exc), status=exc.http_status, content_type="text/plain")
    if request.htmx:
        ctx = panel_context(request, appeal)
        return render(
            request, "duplicates/_panel.html", {"panel": ctx or {"appeal": appeal, "rows": []}}
        )
    return redirect("workbench:appeal", pk=pk)
