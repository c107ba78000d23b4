"""The staff workbench: queues, the appeal list, the appeal page with its action forms, bulk dispatch.

Server-rendered; htmx swaps parts of the page (the list, the appeal panel) and every form also
works as a plain POST without JavaScript. Reads go through ``selectors`` with the request's
actor, writes through ``services``; service errors (``ApplicationError``) are shown in the form
that caused them with their HTTP status (403/404/409/422), never as a 500.
"""

from __future__ import annotations

import functools
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from suqiu.appeals import presenters, selectors, services, workflow
from suqiu.appeals.extensions import note_for, panels_for
from suqiu.appeals.forms_workbench import (
    ACTION_LABELS,
    ALL_QUEUE,
    QUEUE_LABELS,
    AppealFilterForm,
    BulkDispatchForm,
    action_form,
    staff_of,
)
from suqiu.appeals.http import photo_response
from suqiu.appeals.models import STATUS_LABELS, Appeal, Channel, EventKind
from suqiu.appeals.workflow import OPEN, InvalidTransition, Status
from suqiu.core import clock
from suqiu.core.errors import ApplicationError, NotFound, ValidationFailed
from suqiu.core.ids import as_id
from suqiu.directory.access import Actor, actor_for
from suqiu.directory.models import Category, Organisation, User
from suqiu.timelimits.display import clock_of, clock_of_first_contact, stage_label

PAGE_SIZE = 50
BULK_LIMIT = 200
NON_STAFF_ROLES = frozenset({"resident", "anonymous"})


# --- Access -----------------------------------------------------------------------------------------


def is_staff_actor(actor: Actor) -> bool:
    return actor.is_superuser or bool(actor.roles - NON_STAFF_ROLES)


def staff_required(view):
    """Signed in (else the login page) and holding a staff role (else a 403 page)."""

    @login_required
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        actor = actor_for(request.user)
        if not is_staff_actor(actor):
            return render(request, "workbench/forbidden.html", status=403)
        request.actor = actor
        return view(request, *args, **kwargs)

    return wrapped


def _partial(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment (a history restore wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _vary(response: HttpResponse) -> HttpResponse:
    # The same URL answers with a fragment or a page depending on HX-Request: caches must know.
    from django.utils.cache import patch_vary_headers

    patch_vary_headers(response, ["HX-Request"])
    return response


# The intake queues (assess, dispatch) are shown to the roles that work them or oversee them; to
# the others (department handlers, grid workers, volunteers) only when one holds an appeal they
# may see, so nothing visible is ever hidden.
INTAKE_QUEUES = ("to_assess", "to_dispatch")
INTAKE_ROLES = ("dispatcher", "operator", "community_worker", "social_worker", "leader", "admin")


def default_queue(actor: Actor) -> str:
    """The queue a role starts its day with."""
    if actor.has("dispatcher", "operator", "community_worker", "social_worker"):
        return "to_assess"
    if "department_handler" in actor.roles:
        return "to_accept"
    if "leader" in actor.roles:
        return ALL_QUEUE
    return "in_progress"  # volunteers, grid workers: what they are working on


def shows_task_library(actor: Actor) -> bool:
    return actor.has("social_worker", "volunteer")


# --- Home: queues and the appeal list ----------------------------------------------------------------


def _list_context(request: HttpRequest, actor: Actor, params: QueryDict) -> dict:
    form = AppealFilterForm(params, actor=actor)
    form.is_valid()  # invalid values are ignored, valid ones still filter
    queue = form.value("queue") or default_queue(actor)
    filters = form.to_filters(queue=queue)
    queryset = selectors.appeal_list(actor=actor, filters=filters)
    page = Paginator(queryset, PAGE_SIZE).get_page(params.get("page"))
    counts = selectors.queue_counts(actor=actor)
    now = clock.now()
    rows = [
        {"appeal": a, "overdue": _is_overdue(a, now), "clock": clock_of(a, now)}
        for a in page.object_list
    ]
    queues = [
        {"name": name, "label": label, "count": counts.get(name, 0)}
        for name, label in QUEUE_LABELS.items()
        if counts.get(name) or name not in INTAKE_QUEUES or actor.has(*INTAKE_ROLES)
    ]
    can_bulk_dispatch = queue == "to_dispatch" and actor.has(
        "dispatcher", "community_worker", "social_worker"
    )
    return {
        "form": form,
        "queue": queue,
        "queue_label": QUEUE_LABELS.get(queue, _("All appeals")),
        "queues": queues,
        "all_queue": ALL_QUEUE,
        "page": page,
        "rows": rows,
        "params": params,
        "can_bulk_dispatch": can_bulk_dispatch,
        "bulk_form": BulkDispatchForm() if can_bulk_dispatch else None,
        "show_tasks": shows_task_library(actor),
        "return_qs": params.urlencode(),
    }


def _is_overdue(appeal: Appeal, now: datetime) -> bool:
    return appeal.due_at is not None and appeal.due_at < now and Status(appeal.status) in OPEN


@require_GET
@staff_required
def home(request: HttpRequest) -> HttpResponse:
    """The queues on the left, the selected queue's appeals (searched and filtered) on the right."""
    ctx = _list_context(request, request.actor, request.GET)
    if _partial(request):
        ctx["oob"] = True
        # A queue switch replaces the filter bar too (it resets); a filter change only the list,
        # so the search box keeps its focus while the user types.
        template = (
            "workbench/partial_main.html"
            if request.htmx.target == "wb-main"
            else "workbench/partial_results.html"
        )
        return _vary(render(request, template, ctx))
    return _vary(render(request, "workbench/home.html", ctx))


@require_POST
@staff_required
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    """Dispatch the selected appeals, each in its own transaction; report each one's outcome."""
    actor = request.actor
    # Normalised through QueryDict: it only ever becomes this page's own query string.
    return_qs = QueryDict(request.POST.get("return_qs", "")).urlencode()
    form = BulkDispatchForm(request.POST)
    ids: list[int] = []
    for raw in request.POST.getlist("ids"):
        value = as_id(raw)
        if value is not None and value not in ids:
            ids.append(value)
    report = {"ok": [], "failed": [], "error": ""}
    if not ids:
        report["error"] = gettext("Select at least one appeal to dispatch.")
    elif len(ids) > BULK_LIMIT:
        report["error"] = gettext("At most %(n)d appeals at a time.") % {"n": BULK_LIMIT}
    elif not form.is_valid():
        report["error"] = gettext("Choose a valid lead organisation.")
    else:
        payload = {}
        if form.cleaned_data.get("lead_organisation") is not None:
            payload["lead_organisation"] = form.cleaned_data["lead_organisation"].pk
        codes = dict(
            selectors.appeal_list(actor=actor).filter(pk__in=ids).values_list("pk", "tracking_code")
        )
        for appeal_id in ids:
            code = codes.get(appeal_id)
            if code is None:  # not visible: do not tell whether it exists
                report["failed"].append((f"#{appeal_id}", gettext("No such appeal.")))
                continue
            try:
                services.appeal_act(
                    actor=actor, appeal_id=appeal_id, action="dispatch", payload=dict(payload)
                )
            except ApplicationError as exc:
                report["failed"].append((code, _error_text(exc)))
            else:
                report["ok"].append(code)
    report["summary"] = _bulk_summary(report)
    status = 200 if report["ok"] or not (report["error"] or report["failed"]) else 409
    if _partial(request):
        params = QueryDict(return_qs)
        ctx = _list_context(request, actor, params)
        ctx.update(oob=True, bulk_report=report)
        return render(request, "workbench/partial_results.html", ctx, status=status)
    if report["error"]:
        messages.error(request, report["error"])
    elif report["failed"]:
        messages.warning(request, report["summary"])
    else:
        messages.success(request, report["summary"])
    return redirect(reverse("workbench:home") + (f"?{return_qs}" if return_qs else ""))


def _bulk_summary(report: dict) -> str:
    if report["error"]:
        return report["error"]
    ok, failed = len(report["ok"]), len(report["failed"])
    text = ngettext("%(n)d dispatched", "%(n)d dispatched", ok) % {"n": ok}
    if failed:
        text += ", " + ngettext("%(n)d failed", "%(n)d failed", failed) % {"n": failed}
        text += ": " + "; ".join(f"{code}: {reason}" for code, reason in report["failed"])
    return text


def _error_text(exc: ApplicationError) -> str:
    """One line for a service error: its field messages when it has them."""
    if exc.fields:
        return " ".join(gettext(str(m)) for msgs in exc.fields.values() for m in msgs)
    return gettext(str(exc.message))


# --- Task library (social workers, volunteers) --------------------------------------------------------


@require_GET
@staff_required
def tasks(request: HttpRequest) -> HttpResponse:
    """Claimable tasks, without personal data: what, where (area only), how urgent, since when."""
    actor = request.actor
    if not shows_task_library(actor):
        raise Http404
    page = Paginator(selectors.claimable_tasks(actor=actor), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "workbench/tasks.html",
        {"page": page, "show_tasks": True, "params": request.GET},
    )


@require_POST
@staff_required
def task_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """Claim a task from the library; the claimer then sees the appeal (the service decides)."""
    actor = request.actor
    try:
        if not selectors.claim_reachable(actor=actor, appeal_id=pk):
            raise NotFound(gettext("This task is not in the library (any more)."))
        services.appeal_act(
            actor=actor, appeal_id=pk, action="claim", payload={"note": request.POST.get("note")}
        )
    except ApplicationError as exc:
        if _partial(request):
            return render(
                request,
                "workbench/_claim_result.html",
                {"error": _error_text(exc), "pk": pk},
                status=exc.http_status,
            )
        messages.error(request, _error_text(exc))
        return redirect("workbench:tasks")
    url = reverse("workbench:appeal", args=[pk])
    if _partial(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    messages.success(request, gettext("Task claimed."))
    return redirect(url)


# --- The appeal page ---------------------------------------------------------------------------------


def _load(request: HttpRequest, pk: int) -> Appeal:
    try:
        return selectors.appeal_get(actor=request.actor, appeal_id=pk)
    except NotFound:
        raise Http404 from None


def _event_rows(events, *, actor, appeal) -> list[dict]:
    """The timeline with labels and a short, readable summary of each event's data."""
    events = list(events)
    org_ids, user_ids, category_codes = set(), set(), set()
    for e in events:
        d = e.data if isinstance(e.data, dict) else {}
        for key in ("lead_organisation", "lead_organisation_from"):
            if isinstance(d.get(key), int):
                org_ids.add(d[key])
        org_ids.update(i for i in d.get("co_handlers") or [] if isinstance(i, int))
        if isinstance(d.get("lead_person"), int):
            user_ids.add(d["lead_person"])
        for side in ("old", "new"):
            code = (d.get(side) or {}).get("category") if isinstance(d.get(side), dict) else None
            if code:
                category_codes.add(code)
        if e.kind == EventKind.RECATEGORISE:
            category_codes.update(c for c in (d.get("from"), d.get("to")) if c)
        routed = _context(d, "triage")
        if routed.get("category"):
            category_codes.add(routed["category"])
    orgs = dict(Organisation.objects.filter(pk__in=org_ids).values_list("pk", "name"))
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)}
    language = get_language()
    cats = {c.code: c.label(language) for c in Category.objects.filter(code__in=category_codes)}
    kinds = dict(EventKind.choices)
    rows = []
    for e in events:
        reason = _system_reason(e, cats) or e.reason
        public_text = e.public_text if e.public_text and e.public_text != e.reason else ""
        if e.kind in (EventKind.DISPATCH, EventKind.MERGE):
            public_text = ""  # already in the summary
        rows.append(
            {
                "event": e,
                "kind_label": kinds.get(e.kind, e.kind),
                "actor": presenters.event_actor_label(actor, appeal, e),
                "from_label": _status_label(e.from_status),
                "to_label": _status_label(e.to_status),
                "changed": bool(e.from_status and e.to_status and e.from_status != e.to_status),
                "reason": reason,
                "public_text": public_text,
                "summary": _summarise(e, orgs=orgs, users=users, cats=cats),
            }
        )
    return rows


def _context(d: dict, key: str) -> dict:
    """What the calling code recorded under ``key`` of an event's ``data["context"]`` (see
    ``appeals.services.appeal_act``): ``triage`` for automatic routing, ``unaccepted`` for a
    dispatch the time-limit duty returned, ``repeat`` for an exact repeat merged at intake."""
    context = d.get("context") if isinstance(d.get("context"), dict) else {}
    return context.get(key) if isinstance(context.get(key), dict) else {}


def _system_reason(event, cats: dict) -> str:
    """The note the system wrote on an event, said again in the reader's language from the
    event's data (the stored note is in the language of the request or worker that caused it):
    the appeals' own (triage's automatic routing, a dispatch returned unaccepted) here, other
    apps' notes by what they registered (``extensions.register_note``: triage's raised urgency,
    governance projects, Open311 federation). "" when nobody words it: the stored note shows."""
    d = event.data if isinstance(event.data, dict) else {}
    routed = _context(d, "triage")
    if routed and event.actor_id is None:
        category = cats.get(routed.get("category"), routed.get("category") or "—")
        if routed.get("source") == "rules" or routed.get("confidence") is None:
            return gettext("Routed automatically by a keyword rule: %(category)s.") % {
                "category": category
            }
        return gettext(
            "Routed automatically by triage model v%(version)s: %(category)s at confidence "
            "%(confidence).2f (threshold %(threshold).2f)."
        ) % {
            "version": routed.get("model_version") or "?",
            "category": category,
            "confidence": routed["confidence"],
            "threshold": routed.get("threshold") or 0,
        }
    repeat = _context(d, "repeat")
    if event.kind == EventKind.MERGE and repeat.get("code") and event.actor_id is None:
        return gettext(
            "Exact repeat of %(code)s: same reporter, same text, within %(hours)d hours."
        ) % {"code": repeat["code"], "hours": repeat.get("hours") or 0}
    unaccepted = _context(d, "unaccepted")
    if event.kind == EventKind.RETURN and unaccepted.get("due_at"):
        return gettext(
            "Not accepted within the time limit (due %(due)s); back in the task library."
        ) % {"due": _when(unaccepted["due_at"])}
    return note_for(event)


def _status_label(value: str) -> str:
    try:
        return STATUS_LABELS[Status(value)]
    except ValueError:
        return value


def _when(iso: str | None) -> str:
    if not iso:
        return "—"
    parsed = parse_datetime(str(iso))
    if parsed is None:
        return str(iso)
    return formats.date_format(timezone.localtime(parsed), "Y-m-d H:i")


_IMPORTED_KEYS = frozenset(
    {"imported", "source", "row", "source_status", "source_agency", "source_channel", "no_reply"}
    | {"truncated", "closed_date_only", "urgency", "lead_organisation"}
)


def _imported(d: dict, orgs: dict) -> list[str]:
    """An imported event's marks, read out: where it came from and what the source said."""
    parts = [
        gettext("imported from %(source)s, row %(row)s")
        % {"source": d.get("source") or "?", "row": d.get("row") or "?"}
    ]
    for key, text in (
        ("source_status", gettext("status there: %(v)s")),
        ("source_agency", gettext("agency: %(v)s")),
        ("source_channel", gettext("reported via %(v)s")),
    ):
        if d.get(key):
            parts.append(text % {"v": d[key]})
    if d.get("urgency"):
        parts.append(gettext("urgency: %(v)s") % {"v": _urgency(d["urgency"])})
    if d.get("lead_organisation"):
        org = d["lead_organisation"]
        parts.append(gettext("lead: %(org)s") % {"org": orgs.get(org, org)})
    if d.get("no_reply"):
        parts.append(gettext("no reply in the source"))
    if d.get("closed_date_only"):
        parts.append(gettext("closing date without a time"))
    if d.get("truncated"):
        parts.append(gettext("shortened: %(fields)s") % {"fields": ", ".join(d["truncated"])})
    return parts


def _summarise(event, *, orgs: dict, users: dict, cats: dict) -> str:
    """A one-line, translated reading of ``event.data``; unknown keys fall back to key=value."""
    d = event.data if isinstance(event.data, dict) else {}
    kind = event.kind
    parts: list[str] = []
    yes, no = gettext("yes"), gettext("no")
    if d.get("imported"):  # history brought in by ``suqiu import appeals`` (docs/importing.md)
        parts.extend(_imported(d, orgs))
        d = {k: v for k, v in d.items() if k not in _IMPORTED_KEYS}
    if kind == EventKind.CREATED:
        if d.get("channel"):
            parts.append(str(dict(Channel.choices).get(d["channel"], d["channel"])))
        if d.get("grid"):
            parts.append(gettext("grid %(code)s") % {"code": d["grid"]})
    elif kind == EventKind.ASSESS:
        old, new = d.get("old") or {}, d.get("new") or {}
        if old.get("category") != new.get("category"):
            parts.append(
                gettext("category: %(old)s → %(new)s")
                % {
                    "old": cats.get(old.get("category"), old.get("category") or "—"),
                    "new": cats.get(new.get("category"), new.get("category") or "—"),
                }
            )
        if old.get("urgency") != new.get("urgency"):
            parts.append(
                gettext("urgency: %(old)s → %(new)s")
                % {"old": _urgency(old.get("urgency")), "new": _urgency(new.get("urgency"))}
            )
    elif kind == EventKind.DISPATCH:
        if d.get("lead_organisation"):
            parts.append(
                gettext("lead: %(org)s")
                % {"org": orgs.get(d["lead_organisation"], d["lead_organisation"])}
            )
        if d.get("lead_person"):
            parts.append(
                gettext("person: %(name)s")
                % {"name": users.get(d["lead_person"], d["lead_person"])}
            )
        if d.get("co_handlers"):
            parts.append(
                gettext("co-handlers: %(orgs)s")
                % {"orgs": ", ".join(str(orgs.get(i, i)) for i in d["co_handlers"])}
            )
    elif kind == EventKind.RECATEGORISE:  # imported history corrected by a re-import
        if "to" in d:
            parts.append(
                gettext("category: %(old)s → %(new)s")
                % {
                    "old": cats.get(d.get("from"), d.get("from") or "—"),
                    "new": cats.get(d.get("to"), d.get("to") or "—"),
                }
            )
        if d.get("urgency"):
            parts.append(
                gettext("urgency: %(old)s → %(new)s")
                % {"old": _urgency(d.get("urgency_from")), "new": _urgency(d["urgency"])}
            )
        if d.get("lead_organisation"):
            was = d.get("lead_organisation_from")
            parts.append(
                gettext("lead: %(old)s → %(new)s")
                % {
                    "old": orgs.get(was, was) if was else "—",
                    "new": orgs.get(d["lead_organisation"], d["lead_organisation"]),
                }
            )
        if d.get("row"):
            parts.append(gettext("row %(n)s of the import file") % {"n": d["row"]})
    elif kind == EventKind.URGENCY_RAISED:  # triage at intake (suqiu/triage/services.py)
        parts.append(
            gettext("urgency: %(old)s → %(new)s")
            % {"old": _urgency(d.get("old")), "new": _urgency(d.get("new"))}
        )
    elif kind == EventKind.RETURN:
        if d.get("lead_organisation"):
            parts.append(
                gettext("was led by %(org)s")
                % {"org": orgs.get(d["lead_organisation"], d["lead_organisation"])}
            )
    elif kind in (EventKind.MERGE, EventKind.MERGED_IN):
        if d.get("tracking_code"):
            label = gettext("into %(code)s") if kind == EventKind.MERGE else gettext("%(code)s")
            parts.append(label % {"code": d["tracking_code"]})
    elif kind == EventKind.QUEUE:
        parts.append(gettext("claimable: %(v)s") % {"v": yes if d.get("claimable") else no})
    elif kind == EventKind.REVISIT:
        if d.get("satisfaction"):
            parts.append(gettext("satisfaction %(n)s/5") % {"n": d["satisfaction"]})
        if "was_resolved" in d:
            parts.append(gettext("resolved: %(v)s") % {"v": yes if d["was_resolved"] else no})
        if d.get("by_reporter"):
            parts.append(gettext("by the reporter"))
        if d.get("rework"):
            parts.append(gettext("back to rework"))
    elif kind == EventKind.SEND_BACK:
        if d.get("rework_count"):
            parts.append(gettext("rework #%(n)s") % {"n": d["rework_count"]})
    elif kind == EventKind.SUSPEND:
        if d.get("suspended_from"):
            parts.append(gettext("was %(status)s") % {"status": _status_label(d["suspended_from"])})
    elif kind == EventKind.REQUEST_EXTENSION:
        parts.append(gettext("until %(when)s") % {"when": _when(d.get("until"))})
    elif kind == EventKind.APPROVE_EXTENSION:
        parts.append(
            gettext("due %(old)s → %(new)s")
            % {"old": _when(d.get("old_due_at")), "new": _when(d.get("due_at"))}
        )
    elif kind == EventKind.DENY_EXTENSION:
        parts.append(
            gettext("requested until %(when)s") % {"when": _when(d.get("requested_until"))}
        )
    elif kind == EventKind.REQUEST_RESOURCES:
        if d.get("resources"):
            parts.append(", ".join(str(r) for r in d["resources"]))
    elif kind == EventKind.PHOTO_ADDED:
        parts.append(gettext("photo #%(id)s") % {"id": d.get("photo_id", "?")})
    elif kind == EventKind.PHONE_REVEALED:
        parts.append(gettext("reporter's phone number"))
    elif kind in (EventKind.ESCALATE, EventKind.REMIND):
        # A stage's, or the first contact's, which names its time ``first_contact_due_at`` (see
        # services.appeal_escalate_first_contact).
        if kind == EventKind.ESCALATE:
            text = gettext("%(stage)s limit ended %(when)s")
        else:
            text = gettext("%(stage)s limit ends %(when)s")
        parts.append(
            text
            % {
                "stage": stage_label(d.get("stage") or ""),
                "when": _when(d.get("due_at") or d.get("first_contact_due_at")),
            }
        )
    elif kind == EventKind.NOTE and d.get("project"):  # suqiu/hotspots/services.py
        if d.get("source") == "hotspots" and d.get("hotspot"):
            parts.append(gettext("from hotspot #%(id)s") % {"id": d["hotspot"]})
        elif d.get("source") == "common_problem" and d.get("case"):
            parts.append(gettext("common problem of appeal #%(id)s") % {"id": d["case"]})
    elif d:
        parts.extend(
            f"{k}={v}" for k, v in sorted(d.items()) if k not in _CLOCK_KEYS and k != "context"
        )
    # The clock's part (suqiu/timelimits/due.py): the new due time of the stage, when it moved.
    if "stage" in d and kind not in (
        EventKind.ESCALATE,
        EventKind.REMIND,
        EventKind.APPROVE_EXTENSION,
    ):
        if d.get("due_at"):
            parts.append(
                gettext("%(stage)s due %(when)s")
                % {"stage": stage_label(d.get("stage") or ""), "when": _when(d["due_at"])}
            )
        elif d.get("paused_remaining_hours") is not None:
            parts.append(gettext("clock stopped"))
        if d.get("first_contact_due_at"):  # accept / claim start it, resume moves it
            parts.append(
                gettext("first contact due %(when)s") % {"when": _when(d["first_contact_due_at"])}
            )
    if d.get("not_rated"):
        parts.append(gettext("not reached, not rated"))
    if d.get("first_contact"):
        parts.append(gettext("first contact"))
    return " · ".join(str(p) for p in parts)


_CLOCK_KEYS = frozenset(
    {
        "due_at",
        "old_due_at",
        "stage",
        "paused_remaining_hours",
        "first_contact_paused_remaining_hours",
        "first_contact_due_at",
        "first_contact",
    }
)


def _urgency(value: str | None) -> str:
    from suqiu.appeals.models import Urgency

    try:
        return str(Urgency(value).label)
    except ValueError:
        return value or "—"


def _panel_context(
    request: HttpRequest,
    appeal: Appeal,
    *,
    bound=None,
    error: ApplicationError | None = None,
    error_action: str = "",
    notice: str = "",
    revealed_phone: str = "",
) -> dict:
    actor = request.actor
    allowed = presenters.actions_for(actor, appeal)
    forms = []
    for name in allowed:
        form = bound if bound is not None and bound.action == name else None
        forms.append(form or action_form(name, appeal=appeal))
    # An error for an action that is no longer offered (the status changed, or it never was)
    # shows at the top of the panel instead of inside a form.
    panel_error = ""
    if error is not None and (bound is None or bound.action not in allowed):
        panel_error = _error_text(error)
    now = clock.now()
    merged_in = list(
        selectors.appeal_list(actor=actor).filter(merged_into=appeal).order_by("created_at")
    )
    return {
        "appeal": appeal,
        "reporter": presenters.reporter_view(actor, appeal),
        "revealed_phone": revealed_phone,
        "status_label": appeal.get_status_label(),
        "co_handlers": list(appeal.co_handlers.all()),
        "photos": list(appeal.photos.all()),
        "events": _event_rows(
            selectors.appeal_events(actor=actor, appeal=appeal), actor=actor, appeal=appeal
        ),
        "action_forms": forms,
        "open_action": bound.action if bound is not None and bound.action in allowed else "",
        "panel_error": panel_error,
        "panel_error_action": ACTION_LABELS.get(error_action, error_action),
        "notice": notice,
        "merged_in": merged_in,
        "is_overdue": _is_overdue(appeal, now),
        "clock": clock_of(appeal, now),
        "first_contact_left": (
            clock_of_first_contact(appeal, now) if appeal.first_contact_due_at else None
        ),
        "is_open": Status(appeal.status) in OPEN,
        "show_tasks": shows_task_library(actor),
        # Other apps' parts of this page (Open311 federation, triage, time limits...): see
        # suqiu/appeals/extensions.py.
        "panels": panels_for(request, appeal),
    }


def _render_appeal(request: HttpRequest, appeal: Appeal, *, status: int = 200, **kwargs):
    ctx = _panel_context(request, appeal, **kwargs)
    template = "workbench/_appeal_panel.html" if _partial(request) else "workbench/appeal.html"
    return _vary(render(request, template, ctx, status=status))


@require_GET
@staff_required
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_appeal(request, _load(request, pk))


@require_POST
@staff_required
def appeal_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take one work-chain action from its form. Success: the refreshed panel (htmx) or a redirect."""
    appeal = _load(request, pk)
    form = action_form(action, appeal=appeal, data=request.POST)
    if form is None:
        error = InvalidTransition(
            gettext("Unknown action %(action)s.") % {"action": action}, code="unknown_action"
        )
        return _render_appeal(request, appeal, status=409, error=error, error_action=action)
    if not form.is_valid():
        return _render_appeal(request, appeal, status=422, bound=form)
    try:
        services.appeal_act(
            actor=request.actor, appeal_id=appeal.pk, action=action, payload=form.payload()
        )
    except ApplicationError as exc:
        form.add_service_errors(exc)
        appeal = _load(request, pk)  # fresh: the status may have moved under us
        return _render_appeal(
            request, appeal, status=exc.http_status, bound=form, error=exc, error_action=action
        )
    notice = gettext("Done: %(action)s.") % {"action": ACTION_LABELS.get(action, action)}
    return _done(request, pk, notice)


@require_POST
@staff_required
def appeal_route(request: HttpRequest, pk: int) -> HttpResponse:
    """Assess and dispatch in one step (the triage card's "assess and dispatch to ..." on a
    received appeal: one click for a gas smell, not two), through
    ``services.appeal_assess_and_dispatch``."""
    appeal = _load(request, pk)
    assess = action_form("assess", appeal=appeal, data=request.POST)
    dispatch = action_form("dispatch", appeal=appeal, data=request.POST)
    if not assess.is_valid():
        return _render_appeal(request, appeal, status=422, bound=assess)
    if not dispatch.is_valid():
        # The dispatch form is not on the page of a received appeal: its errors go on top.
        refused = ValidationFailed(
            gettext("The request is not valid."),
            fields={name: [str(m) for m in msgs] for name, msgs in dispatch.errors.items()},
        )
        return _render_appeal(request, appeal, status=422, error=refused, error_action="dispatch")
    try:
        services.appeal_assess_and_dispatch(
            actor=request.actor,
            appeal_id=pk,
            assess=assess.payload(),
            dispatch=dispatch.payload(),
        )
    except ApplicationError as exc:
        appeal = _load(request, pk)
        return _render_appeal(
            request, appeal, status=exc.http_status, error=exc, error_action="dispatch"
        )
    notice = gettext("Done: %(action)s.") % {
        "action": f"{ACTION_LABELS['assess']} + {ACTION_LABELS['dispatch']}"
    }
    return _done(request, pk, notice)


def _done(request: HttpRequest, pk: int, notice: str) -> HttpResponse:
    """After an action: the refreshed panel with the notice (htmx), or a redirect to the page;
    to the queue when the action took the appeal out of the user's sight."""
    try:
        appeal = _load(request, pk)
    except Http404:
        # The action took the appeal out of this user's sight (e.g. a department returned it).
        messages.success(request, notice)
        url = reverse("workbench:home")
        if _partial(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    if _partial(request):
        return _render_appeal(request, appeal, notice=notice)
    messages.success(request, notice)
    return redirect("workbench:appeal", pk=pk)


@require_POST
@staff_required
def reveal_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the reporter's full phone number; the service writes a ``phone_revealed`` event.

    The answer is the whole appeal panel (or page), so the new event shows in the timeline.
    """
    appeal = _load(request, pk)
    try:
        phone = services.appeal_reveal_phone(actor=request.actor, appeal=appeal)
    except ApplicationError as exc:
        return _render_appeal(request, appeal, status=exc.http_status, error=exc)
    return _render_appeal(request, appeal, revealed_phone=phone)


@require_GET
@staff_required
def photo(request: HttpRequest, pk: int, photo_id: int) -> HttpResponse:
    """A photo of an appeal the user may see; never from a public media URL."""
    appeal = _load(request, pk)
    try:
        return photo_response(appeal, photo_id)
    except NotFound:
        raise Http404 from None


@require_GET
@staff_required
def people_options(request: HttpRequest) -> HttpResponse:
    """Lead-person ``<option>``s for one organisation (the dispatch form reloads them on change)."""
    if not workflow.dispatches_anywhere(request.actor):
        # Who works where is for those who dispatch, not for every staff account.
        return render(request, "workbench/forbidden.html", status=403)
    org_id = as_id(request.GET.get("lead_organisation")) or 0
    return render(request, "workbench/_people_options.html", {"people": staff_of(org_id)})
