"""Every read of appeals, scoped to what the asking user may see.

Views and the API never filter permissions themselves: they ask here with the actor.

Who sees what:
- admin: everything;
- dispatcher, leader, operator, community worker, grid worker: appeals whose area lies inside
  the area of their membership (a district dispatcher sees the district, a community worker the
  community);
- department handler: appeals led by or co-handled by their organisation, or led by them;
- social worker: appeals in their area, plus those led by or claimed by them or their organisation;
- volunteer: only what they claimed (the task library is a separate, anonymised list);
- resident: only their own (anyone may follow any appeal by tracking code, without personal data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from suqiu.appeals import workflow
from suqiu.appeals.models import Appeal, AppealEvent
from suqiu.appeals.tracking import normalise_code
from suqiu.appeals.workflow import Status
from suqiu.core import clock
from suqiu.core.errors import NotFound
from suqiu.directory.access import Actor

AREA_ROLES = (
    "dispatcher",
    "leader",
    "operator",
    "community_worker",
    "grid_worker",
    "social_worker",
)


def visible_q(actor: Actor) -> Q:
    """The Q object restricting appeals to those ``actor`` may see (``Q(pk__in=[])`` for none)."""
    if actor.is_superuser or "admin" in actor.roles:
        return Q()
    if actor.user_id is None:
        return Q(pk__in=[])
    q = Q(reporter_id=actor.user_id)
    for path in actor.area_paths(*AREA_ROLES):
        q |= Q(area_path__startswith=path)
    handler_orgs = actor.org_ids("department_handler", "social_worker", "community_worker")
    if handler_orgs:
        # Co-handled appeals by a subquery, not a join: a join repeats an appeal per matching
        # co-handler, and the DISTINCT it then needs makes every list sort the whole history.
        co_handled = Appeal.co_handlers.through.objects.filter(
            organisation_id__in=handler_orgs
        ).values("appeal_id")
        q |= Q(lead_organisation_id__in=handler_orgs) | Q(pk__in=co_handled)
    if actor.roles - {"resident"}:
        q |= Q(lead_person_id=actor.user_id) | Q(claimed_by_id=actor.user_id)
    return q


def appeal_list(*, actor: Actor, filters: AppealFilters | None = None) -> QuerySet[Appeal]:
    """Appeals visible to ``actor``, filtered, most urgent first then newest."""
    qs = Appeal.objects.filter(visible_q(actor))  # no joins: each appeal once
    if filters is not None:
        qs = filters.apply(qs)
    return qs.select_related("category", "area", "grid", "lead_organisation", "lead_person")


def appeal_get(*, actor: Actor, appeal_id: int) -> Appeal:
    """One appeal if visible to ``actor``; NotFound otherwise (never reveals that it exists)."""
    appeal = (
        Appeal.objects.filter(visible_q(actor), pk=appeal_id)
        .select_related(
            "category",
            "area",
            "grid",
            "lead_organisation",
            "lead_person",
            "claimed_by",
            "merged_into",
            "reporter",
        )
        .first()
    )
    if appeal is None:
        raise NotFound(_("No such appeal."))
    return appeal


def appeal_events(*, actor: Actor, appeal: Appeal) -> QuerySet[AppealEvent]:
    """The full timeline for staff who can see the appeal; public events only for the reporter."""
    qs = appeal.events.select_related("actor").order_by("created_at", "id")
    # Signed-out visitors ("anonymous") count as residents here: never the internal timeline.
    if actor.roles <= {"resident", "anonymous"} and not actor.is_superuser:
        qs = qs.filter(is_public=True)
    return qs


def appeal_by_tracking_code(code: str) -> Appeal:
    """Public look-up; the caller must present it without personal data."""
    canonical = normalise_code(code)
    appeal = (
        Appeal.objects.filter(tracking_code=canonical)
        .select_related("category", "merged_into", "lead_organisation")
        .first()
        if canonical
        else None
    )
    if appeal is None:
        raise NotFound(_("No appeal has this tracking code."), code="unknown_tracking_code")
    return appeal


def public_events(appeal: Appeal) -> QuerySet[AppealEvent]:
    return appeal.events.filter(is_public=True).order_by("created_at", "id")


def claimable_tasks(*, actor: Actor) -> QuerySet[Appeal]:
    """The task library open for claiming by social workers and volunteers (no personal data is
    shown for these by the adapters)."""
    if not actor.roles & {"social_worker", "volunteer"} and not actor.is_superuser:
        return Appeal.objects.none()
    return (
        Appeal.objects.filter(status=Status.QUEUED, is_claimable=True)
        .select_related("category", "area")
        .order_by("urgency_rank", "created_at")
    )


def claim_reachable(*, actor: Actor, appeal_id: int) -> bool:
    """Whether a claim on this appeal may be tried: it is visible to the actor or in their task
    library. Else, to them, it does not exist, whatever its state (the API and the workbench
    answer as for a missing id, so a claimer learns nothing of other areas' appeals)."""
    return (
        Appeal.objects.filter(visible_q(actor), pk=appeal_id).exists()
        or claimable_tasks(actor=actor).filter(pk=appeal_id).exists()
    )


# --- Filters and queues ---------------------------------------------------------------------------


@dataclass
class AppealFilters:
    """The list filters shared by the workbench and the API."""

    status: list[str] | None = None
    urgency: list[str] | None = None
    category: str | None = None  # code; includes sub-categories
    area: int | None = None  # organisation id; includes the area's subtree
    lead_organisation: int | None = None
    channel: str | None = None
    q: str | None = None  # text in title, description, tracking code or address
    created_after: datetime | None = None
    created_before: datetime | None = None
    queue: str | None = None
    overdue: bool | None = None
    order: str = "urgency"

    def apply(self, qs: QuerySet[Appeal]) -> QuerySet[Appeal]:
        if self.queue:
            qs = qs.filter(queue_q(self.queue))
        if self.status:
            qs = qs.filter(status__in=self.status)
        if self.urgency:
            qs = qs.filter(urgency__in=self.urgency)
        if self.category:
            qs = qs.filter(
                Q(category__code=self.category)
                | Q(category__path__startswith=_category_path(self.category))
            )
        if self.area:
            from suqiu.directory.models import Organisation

            org = Organisation.objects.filter(pk=self.area).only("path").first()
            qs = qs.filter(area_path__startswith=org.path) if org else qs.none()
        if self.lead_organisation:
            qs = qs.filter(lead_organisation_id=self.lead_organisation)
        if self.channel:
            qs = qs.filter(channel=self.channel)
        if self.q:
            text = self.q.strip()
            code = normalise_code(text)
            cond = (
                Q(title__icontains=text)
                | Q(description__icontains=text)
                | Q(address__icontains=text)
            )
            if code:
                cond |= Q(tracking_code=code)
            qs = qs.filter(cond)
        if self.created_after:
            qs = qs.filter(created_at__gte=self.created_after)
        if self.created_before:
            qs = qs.filter(created_at__lt=self.created_before)
        if self.overdue:
            qs = qs.filter(queue_q("overdue"))
        if self.order == "newest":
            qs = qs.order_by("-created_at", "-id")
        elif self.order == "oldest":
            qs = qs.order_by("created_at", "id")
        else:
            # Most urgent first, then the nearest due time (no due time last), then oldest.
            qs = qs.order_by("urgency_rank", F("due_at").asc(nulls_last=True), "created_at", "id")
        return qs


def _category_path(code: str) -> str:
    from suqiu.directory.models import Category

    cat = Category.objects.filter(code=code).only("path").first()
    return cat.path if cat else "/__none__/"


# Workbench queues by stage: name → (label, condition). "overdue" depends on the time, so
# conditions are built by ``queue_q`` for a given moment: open and past the due time of its
# current stage (a suspended appeal's clock is stopped: it has no due time).
_OPEN_STATUSES = [s.value for s in workflow.OPEN]
QUEUES: dict[str, tuple[str, Q]] = {
    "to_assess": ("to assess", Q(status=Status.RECEIVED)),
    "to_dispatch": ("to dispatch", Q(status__in=[Status.ASSESSED, Status.QUEUED])),
    "to_accept": ("to accept", Q(status=Status.DISPATCHED)),
    "in_progress": ("in progress", Q(status=Status.IN_PROGRESS)),
    "to_verify": ("to verify", Q(status=Status.RESOLVED)),
    "to_revisit": ("to revisit", Q(status=Status.VERIFIED)),
    "suspended": ("suspended", Q(status=Status.SUSPENDED)),
    "overdue": ("overdue", Q(status__in=_OPEN_STATUSES)),
}


def queue_q(name: str, *, now: datetime | None = None) -> Q:
    """The condition of one workbench queue at ``now`` (overdue: open and past its due time)."""
    cond = QUEUES[name][1]
    if name == "overdue":
        cond = cond & Q(due_at__lt=now or clock.now())
    return cond


def queue_counts(*, actor: Actor) -> dict[str, int]:
    """How many visible appeals wait in each queue; one query, over the open appeals only (every
    queue is a set of open statuses; the closed history, most of the table, is never read)."""
    now = clock.now()
    aggregates = {name: Count("pk", filter=queue_q(name, now=now)) for name in QUEUES}
    return (
        Appeal.objects.filter(status__in=_OPEN_STATUSES)
        .filter(visible_q(actor))
        .aggregate(**aggregates)
    )
