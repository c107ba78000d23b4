"""The resident pages: report a problem, follow it by tracking code, rate the result.

Public pages (report, track, grid boundaries) need no account and are rate limited per client
IP. Signed-in residents also see their own appeals in full (``/mine/<id>``), with their photos
served through a permission-checked view. Reads go through ``selectors``, writes through
``services``; the public tracking page shows no personal data at all.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from suqiu.appeals import selectors, services
from suqiu.appeals.forms import ResidentAppealForm, ResidentRevisitForm, add_service_errors
from suqiu.appeals.http import photo_response
from suqiu.appeals.models import Appeal, Channel, EventKind
from suqiu.appeals.presenters import actions_for, reporter_view
from suqiu.appeals.tracking import normalise_code
from suqiu.appeals.workflow import Status
from suqiu.core import ratelimit
from suqiu.core.errors import ApplicationError, NotFound, RateLimited
from suqiu.directory.access import actor_for
from suqiu.directory.models import Grid

SESSION_SUBMITTED = "suqiu_submitted_codes"
MY_APPEALS_SHOWN = 20

# What each status means, in words for the person who reported it.
STATUS_FRIENDLY = {
    Status.RECEIVED: (_("Received"), _("We have your report. Staff will review it soon.")),
    Status.ASSESSED: (_("Reviewed"), _("Staff reviewed it and are arranging who will handle it.")),
    Status.QUEUED: (
        _("Waiting to be taken up"),
        _("It is in the task library, waiting for a handler."),
    ),
    Status.DISPATCHED: (
        _("Sent to the handler"),
        _("It was sent to the responsible unit, which will take it up."),
    ),
    Status.IN_PROGRESS: (_("Being handled"), _("Someone is working on it.")),
    Status.RESOLVED: (_("Replied"), _("The handler replied; the result is being checked.")),
    Status.VERIFIED: (
        _("Waiting for your feedback"),
        _("The result was checked. Tell us whether you are satisfied."),
    ),
    Status.CLOSED: (_("Closed"), _("This appeal is finished. Thank you.")),
    Status.REJECTED: (_("Not accepted"), _("This appeal was not accepted; see the reason below.")),
    Status.MERGED: (
        _("Merged"),
        _("It is handled together with another report about the same problem."),
    ),
    Status.SUSPENDED: (_("On hold"), _("Handling is paused for now; it will resume.")),
}

# The resident's view of the work chain: five steps, each covering one or more statuses.
PROGRESS_STEPS = [
    (_("Received"), {Status.RECEIVED}),
    (_("Reviewed"), {Status.ASSESSED, Status.QUEUED}),
    (_("Handling"), {Status.DISPATCHED, Status.IN_PROGRESS, Status.SUSPENDED}),
    (_("Replied"), {Status.RESOLVED, Status.VERIFIED}),
    (_("Closed"), {Status.CLOSED}),
]


# --- Helpers -------------------------------------------------------------------------------------


def _category_label(appeal: Appeal) -> str:
    return appeal.category.label(get_language()) if appeal.category_id else ""


def _progress(status: Status) -> list[dict]:
    current = next((i for i, (_l, group) in enumerate(PROGRESS_STEPS) if status in group), None)
    if current is None:  # rejected, merged: no progress bar
        return []
    return [
        {"label": label, "done": i < current, "current": i == current}
        for i, (label, _group) in enumerate(PROGRESS_STEPS)
    ]


def _public_timeline(appeal: Appeal) -> list[dict]:
    """Public events as kind label, time and public text only: never the internal ``reason``,
    never who did it."""
    items = []
    for event in selectors.public_events(appeal):
        kind = EventKind(event.kind) if event.kind in EventKind.values else None
        item = {
            "kind": event.kind,
            "label": kind.label if kind else event.kind,
            "at": event.created_at,
            "text": event.public_text,
            "merged_code": "",
        }
        if event.kind == EventKind.DISPATCH and event.public_text:
            item["text"] = _t("Sent to %(organisation)s") % {"organisation": event.public_text}
        elif event.kind == EventKind.MERGE:
            item["merged_code"], item["text"] = event.public_text, ""
        elif event.kind == EventKind.REVISIT:
            item["text"] = (
                _t("Not satisfied: sent back for rework.")
                if (event.data or {}).get("rework")
                else _t("Satisfied: the appeal is closed.")
            )
        items.append(item)
    return items


def _rejection_reason(appeal: Appeal) -> str:
    if appeal.status != Status.REJECTED:
        return ""
    event = (
        selectors.public_events(appeal)
        .filter(kind=EventKind.REJECT)
        .order_by("-created_at")
        .first()
    )
    return event.public_text if event else ""


def _is_reporter(request, appeal: Appeal) -> bool:
    return request.user.is_authenticated and appeal.reporter_id == request.user.pk


def _track_context(request, appeal: Appeal, *, revisit_form=None, outcome: str = "") -> dict:
    """Everything the tracking card shows. Personal data only for the signed-in reporter (title)."""
    status = Status(appeal.status)
    label, explanation = STATUS_FRIENDLY[status]
    is_reporter = _is_reporter(request, appeal)
    main = appeal.final_main()  # through a main appeal merged in its turn
    can_rate = (
        is_reporter
        and status == Status.VERIFIED
        and "revisit" in actions_for(actor_for(request.user), appeal)
    )
    return {
        "appeal": appeal,
        "code": appeal.tracking_code,
        "status": status.value,
        "status_label": label,
        "status_explanation": explanation,
        "progress": _progress(status),
        "category_label": _category_label(appeal),
        "timeline": _public_timeline(appeal),
        "public_reply": appeal.public_reply
        if status in {Status.RESOLVED, Status.VERIFIED, Status.CLOSED}
        else "",
        "rejection_reason": _rejection_reason(appeal),
        "merged_into_code": main.tracking_code if main else "",
        "main": _main_progress(main),
        "is_reporter": is_reporter,
        "can_rate": can_rate,
        "revisit_form": revisit_form or (ResidentRevisitForm() if can_rate else None),
        "revisit_outcome": outcome,
    }


def _main_progress(main: Appeal | None) -> dict | None:
    """A merged appeal's reporter follows the main appeal (``main``: the end of its merges): its
    status, progress, public reply and public timeline (no personal data, as on the main
    appeal's own tracking page)."""
    if main is None:
        return None
    status = Status(main.status)
    label, explanation = STATUS_FRIENDLY[status]
    return {
        "code": main.tracking_code,
        "status": status.value,
        "status_label": label,
        "status_explanation": explanation,
        "progress": _progress(status),
        "timeline": _public_timeline(main),
        "public_reply": main.public_reply
        if status in {Status.RESOLVED, Status.VERIFIED, Status.CLOSED}
        else "",
    }


def _not_found(request, *, message=None):
    return render(
        request,
        "resident/not_found.html",
        {"message": message or _("We could not find an appeal with this tracking code.")},
        status=404,
    )


def _rate_limited(request, *, what: str):
    return render(request, "resident/rate_limited.html", {"what": what}, status=429)


def _hit_track_limit(request) -> None:
    ratelimit.hit(
        "track",
        ratelimit.client_ip(request),
        limit=settings.SUQIU["TRACK_LOOKUPS_PER_MINUTE"],
        window_seconds=60,
    )


# --- Home ----------------------------------------------------------------------------------------


@require_GET
def home(request):
    """Explanation, the big "report a problem" entry, track by code, and my appeals."""
    my_appeals = []
    if request.user.is_authenticated:
        actor = actor_for(request.user)
        # appeal_list is scoped to what the actor may see; "my appeals" are those they reported.
        my_appeals = [
            {
                "appeal": a,
                "status_label": STATUS_FRIENDLY[Status(a.status)][0],
                "category_label": _category_label(a),
            }
            for a in selectors.appeal_list(actor=actor)
            .filter(reporter_id=actor.user_id)
            .order_by("-created_at", "-id")[:MY_APPEALS_SHOWN]
        ]
    return render(request, "resident/home.html", {"my_appeals": my_appeals})


# --- Report --------------------------------------------------------------------------------------

_KEEP_ON_RATE_LIMIT = (
    "title",
    "description",
    "category",
    "lat",
    "lon",
    "address",
    "is_anonymous",
    "reporter_name",
    "reporter_phone",
)


def _initial_for(user) -> dict:
    if not user.is_authenticated:
        return {}
    return {"reporter_name": str(user), "reporter_phone": user.phone}


@require_http_methods(["GET", "POST"])
def report(request):
    """The public report form. Anyone may submit; each client IP is limited per hour."""
    context = {"photos_dropped": False, "rate_limited": False}
    if request.method != "POST":
        form = ResidentAppealForm(initial=_initial_for(request.user))
        return render(request, "resident/report.html", {"form": form, **context})

    try:
        ratelimit.hit(
            "public_intake",
            ratelimit.client_ip(request),
            limit=settings.SUQIU["PUBLIC_INTAKE_PER_HOUR"],
            window_seconds=3600,
        )
    except RateLimited:
        # Keep what they typed (not the files: browsers cannot refill a file input).
        kept = {k: request.POST.get(k) for k in _KEEP_ON_RATE_LIMIT if k in request.POST}
        form = ResidentAppealForm(initial=kept)
        context.update(rate_limited=True, photos_dropped=bool(request.FILES.getlist("photos")))
        return render(request, "resident/report.html", {"form": form, **context}, status=429)

    form = ResidentAppealForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        actor = actor_for(request.user)
        appeal_input = services.AppealInput(
            title=data["title"],
            description=data["description"],
            channel=Channel.WEB,
            lat=data["lat"],
            lon=data["lon"],
            address=data["address"],
            category=data["category"] or None,
            reporter_name=data["reporter_name"],
            reporter_phone=data["reporter_phone"],
            is_anonymous=data["is_anonymous"],
        )
        try:
            photos = [f.read() for f in data["photos"]]
            appeal = services.appeal_create_with_photos(
                actor=actor, data=appeal_input, photos=photos
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            codes = [c for c in request.session.get(SESSION_SUBMITTED, []) if c]
            request.session[SESSION_SUBMITTED] = (codes + [appeal.tracking_code])[-20:]
            return redirect("resident:submitted", code=appeal.tracking_code)
    context["photos_dropped"] = bool(request.FILES.getlist("photos"))
    return render(request, "resident/report.html", {"form": form, **context}, status=422)


@require_GET
def submitted(request, code: str):
    """The tracking code, big, right after submitting. Only for the browser that submitted it;
    anyone else is sent to the (rate-limited, data-free) tracking page."""
    if code not in request.session.get(SESSION_SUBMITTED, []):
        return redirect("resident:track_detail", code=code)
    return render(request, "resident/submitted.html", {"code": code})


# --- Tracking ------------------------------------------------------------------------------------


@require_GET
def track(request):
    """Look up by code. A full page redirects to ``/track/<code>``; an htmx request (the box on
    the home page) gets the tracking card in place."""
    raw = request.GET.get("code")
    if raw is None:
        return render(request, "resident/track_lookup.html", {"code": ""})
    canonical = normalise_code(raw)
    error = (
        "" if canonical else _t("A tracking code has 12 letters and digits, like ABCD-EFGH-JKMN.")
    )
    if request.htmx:
        # htmx does not swap error responses by default, so the partial always answers 200.
        if error:
            return render(request, "resident/_track_message.html", {"message": error})
        try:
            _hit_track_limit(request)
        except RateLimited:
            return render(
                request,
                "resident/_track_message.html",
                {"message": _t("Too many look-ups from your network. Please wait a minute.")},
            )
        try:
            appeal = selectors.appeal_by_tracking_code(canonical)
        except NotFound:
            return render(
                request,
                "resident/_track_message.html",
                {"message": _t("We could not find an appeal with this tracking code.")},
            )
        response = render(
            request,
            "resident/_track_card.html",
            {**_track_context(request, appeal), "inline": True},
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    if error:
        response = render(
            request, "resident/track_lookup.html", {"code": raw, "error": error}, status=422
        )
    else:
        response = redirect("resident:track_detail", code=canonical)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def track_detail(request, code: str):
    """The public tracking page: status, category, dates, public timeline and reply; no personal
    data. The signed-in reporter may rate a verified result here."""
    canonical = normalise_code(code)
    if canonical is None:
        return _not_found(request)
    if canonical != code:
        return redirect("resident:track_detail", code=canonical)
    try:
        _hit_track_limit(request)
    except RateLimited:
        return _rate_limited(request, what="track")
    try:
        appeal = selectors.appeal_by_tracking_code(canonical)
    except NotFound:
        return _not_found(request)
    return render(request, "resident/track.html", _track_context(request, appeal))


@login_required
@require_POST
def revisit(request, code: str):
    """The reporter rates the verified result; unsatisfied sends it back for rework."""
    try:
        # A look-up by code like the tracking page's: limited the same way, so that the
        # difference between "not yours" and "no such code" cannot be asked for unlimited.
        _hit_track_limit(request)
    except RateLimited:
        return _rate_limited(request, what="track")
    try:
        appeal = selectors.appeal_by_tracking_code(code)
    except NotFound:
        return _not_found(request)
    if not _is_reporter(request, appeal):
        # Only the person who reported it rates it here; staff record revisits in the workbench.
        return render(
            request,
            "resident/not_allowed.html",
            {"message": _("Only the person who reported this appeal can rate it.")},
            status=403,
        )
    form = ResidentRevisitForm(request.POST)
    outcome = ""
    if form.is_valid():
        try:
            updated = services.appeal_act(
                actor=actor_for(request.user),
                appeal_id=appeal.pk,
                action="revisit",
                payload={
                    "satisfaction": form.cleaned_data["satisfaction"],
                    "was_resolved": form.cleaned_data["was_resolved"],
                    "comment": form.cleaned_data["comment"],
                },
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            outcome = "closed" if updated.status == Status.CLOSED else "rework"
            appeal = selectors.appeal_by_tracking_code(code)
    if outcome and not request.htmx:
        if outcome == "closed":
            messages.success(request, _t("Thank you for your feedback. The appeal is closed."))
        else:
            messages.info(
                request,
                _t(
                    "Thank you. Since the problem is not solved to your satisfaction, "
                    "the appeal was sent back for rework."
                ),
            )
        return redirect("resident:track_detail", code=appeal.tracking_code)
    context = _track_context(
        request, appeal, revisit_form=None if outcome else form, outcome=outcome
    )
    if request.htmx:
        return render(request, "resident/_track_card.html", context)
    return render(request, "resident/track.html", context, status=422)


# --- My appeals ----------------------------------------------------------------------------------


def _my_appeal(request, appeal_id: int) -> Appeal:
    """The signed-in user's own appeal (scoped read, then "mine" means "I reported it")."""
    actor = actor_for(request.user)
    try:
        appeal = selectors.appeal_get(actor=actor, appeal_id=appeal_id)
    except NotFound:
        raise Http404 from None
    if appeal.reporter_id is None or appeal.reporter_id != actor.user_id:
        raise Http404
    return appeal


@login_required
@require_GET
def mine(request, appeal_id: int):
    """The reporter's full view of their own appeal: description, place, their data, photos."""
    try:
        appeal = _my_appeal(request, appeal_id)
    except Http404:
        return _not_found(request, message=_("There is no such appeal among yours."))
    status = Status(appeal.status)
    label, explanation = STATUS_FRIENDLY[status]
    return render(
        request,
        "resident/mine.html",
        {
            "appeal": appeal,
            "status_label": label,
            "status_explanation": explanation,
            "progress": _progress(status),
            "category_label": _category_label(appeal),
            "reporter": reporter_view(actor_for(request.user), appeal),
            "photos": list(appeal.photos.all()),
            "timeline": _public_timeline(appeal),
            "public_reply": appeal.public_reply
            if status in {Status.RESOLVED, Status.VERIFIED, Status.CLOSED}
            else "",
            "can_rate": status == Status.VERIFIED,
            "pin": {"lat": appeal.lat, "lon": appeal.lon} if appeal.lat is not None else None,
        },
    )


@login_required
@require_GET
def mine_photo(request, appeal_id: int, photo_id: int):
    """A photo's bytes, only for its reporter (media files are never served publicly)."""
    appeal = _my_appeal(request, appeal_id)
    try:
        return photo_response(appeal, photo_id)
    except NotFound:
        raise Http404 from None


# --- Map data ------------------------------------------------------------------------------------


@require_GET
@cache_control(public=True, max_age=300)
def grids_geojson(request):
    """Grid boundaries and names (public: no people, no appeals), so the map means something
    even when map tiles cannot load."""
    features = [
        {
            "type": "Feature",
            "geometry": grid.boundary,
            "properties": {"name": grid.name},
        }
        for grid in Grid.objects.filter(boundary__isnull=False).only("name", "boundary")
        if grid.boundary
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})
