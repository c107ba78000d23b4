"""Workbench pages of notify: the signed-in user's inbox (residents with an account read theirs
here too) and, for administrators, deliveries that failed for good with a retry button."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from suqiu.directory.access import actor_for, mask_phone
from suqiu.notify import selectors, services
from suqiu.notify.models import InboxItem

PAGE_SIZE = 30


def _partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _base(actor) -> str:
    staff = actor.is_superuser or bool(actor.roles - {"resident", "anonymous"})
    return "workbench/base_workbench.html" if staff else "base.html"


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    request.actor = actor
    only_unread = request.GET.get("unread") == "1"
    qs = selectors.inbox(request.user.pk)
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/inbox.html",
        {
            "base_template": _base(actor),
            "page": page,
            "only_unread": only_unread,
            "unread": selectors.unread_count(request.user.pk),
        },
    )


@require_POST
@login_required
def mark_read(request: HttpRequest, item_id: int) -> HttpResponse:
    services.mark_read(user_id=request.user.pk, item_ids=[item_id])
    try:
        item = InboxItem.objects.select_related("appeal").get(pk=item_id, user=request.user)
    except InboxItem.DoesNotExist as exc:
        raise Http404 from exc
    if _partial(request):
        # The item, and out of band the unread count on the page and the navigation badge.
        unread = selectors.unread_count(request.user.pk)
        return render(request, "notify/_item.html", {"item": item, "oob": True, "unread": unread})
    return redirect("notify:inbox")


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_read(user_id=request.user.pk)
    return redirect("notify:inbox")


@require_GET
@login_required
def failures(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request.user)
    request.actor = actor
    if not selectors.may_see_failures(actor):
        return render(request, "workbench/forbidden.html", status=403)
    channel = request.GET.get("channel", "")
    page = Paginator(selectors.failures(channel), PAGE_SIZE).get_page(request.GET.get("page"))
    for m in page.object_list:
        # Phone numbers are masked, as everywhere in the workbench (the admin shows them whole).
        m.shown_address = mask_phone(m.address) if m.channel == "sms" else m.address
    return render(
        request,
        "notify/failures.html",
        {"page": page, "channel": channel, "channels": ["email", "sms", "webhook", "inapp"]},
    )


@require_POST
@login_required
def retry(request: HttpRequest, message_id: int) -> HttpResponse:
    actor = actor_for(request.user)
    if not selectors.may_see_failures(actor):
        return render(request, "workbench/forbidden.html", status=403)
    n = services.retry([message_id])
    if _partial(request):
        return render(request, "notify/_retried.html", {"n": n})
    return redirect("notify:failures")
