"""The reply pre-check: the resolve form's reply checked while it is written."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from suqiu.appeals import presenters, selectors
from suqiu.appeals.forms_workbench import ResolveForm
from suqiu.appeals.views_workbench import staff_required
from suqiu.core import clock
from suqiu.core.errors import NotFound
from suqiu.replies.services import check_reply, warning_text


@require_POST
@staff_required
def precheck(request: HttpRequest, pk: int) -> HttpResponse:
    """The warnings the verifier would see if the reply in the form were sent now, for whoever
    may resolve this appeal; nothing is stored (the check that counts runs at ``resolve``)."""
    try:
        appeal = selectors.appeal_get(actor=request.actor, appeal_id=pk)
    except NotFound:
        raise Http404 from None
    if "resolve" not in presenters.actions_for(request.actor, appeal):
        return HttpResponse(status=403)
    longest = ResolveForm.base_fields["public_reply"].max_length
    reply = (request.POST.get("public_reply") or "")[:longest]
    if not reply.strip():
        return HttpResponse("")
    result = check_reply(appeal, reply, at=clock.now(), due_at=appeal.due_at)
    return render(
        request,
        "replies/_precheck.html",
        {
            "score_pct": round(result.overall * 100),
            "warnings": [warning_text(w) for w in result.warnings],
        },
    )
