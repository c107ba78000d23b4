"""Reads of triage, scoped like the appeals they belong to.

Triage is internal: staff who may see the appeal (``appeals.selectors.appeal_get``) see it;
residents, even on their own appeals, and everyone who may not see the appeal get 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from suqiu.appeals import selectors as appeal_selectors
from suqiu.appeals.models import Appeal
from suqiu.appeals.workflow import Status
from suqiu.core.errors import NotFound
from suqiu.directory.access import Actor
from suqiu.directory.models import Category, Organisation
from suqiu.triage.models import AppealTriage, RoutingModel, TriageSource

# Appeals still waiting for a category or a handler: suggestions computed on the spot are useful.
LIVE_STATUSES = (Status.RECEIVED, Status.ASSESSED, Status.QUEUED)
# Below this confidence a suggestion gets no "assess as" / "dispatch to" button.
MIN_ACTION_CONFIDENCE = 0.05


@dataclass
class SuggestionView:
    category: Category | None
    code: str
    confidence: float
    threshold: float
    organisation: Organisation | None
    organisation_learnt: bool = False  # where such appeals went before, not the default

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)

    @property
    def threshold_percent(self) -> int:
        return round(self.threshold * 100)

    @property
    def worth_a_button(self) -> bool:
        """Offered as a one-click action: a suggestion the model gives some weight (a 0 %
        third choice is shown for completeness, not to be dispatched with one click)."""
        return self.confidence >= MIN_ACTION_CONFIDENCE

    @property
    def reaches_threshold(self) -> bool:
        return self.threshold <= 1.0 and self.confidence >= self.threshold


@dataclass
class TriageView:
    source: str = ""
    model_version: int | None = None
    suggestions: list[SuggestionView] = field(default_factory=list)
    urgency_suggested: str = ""
    urgency_terms: list[dict] = field(default_factory=list)
    urgency_raised: bool = False
    auto_dispatched: bool = False
    auto_confidence: float | None = None
    created_at: datetime | None = None
    live: bool = False  # computed now, not stored at intake
    active_version: int | None = None
    # The keyword rules' first suggestion stored at intake, when a model active since then
    # suggests now instead (``live``).
    at_intake: SuggestionView | None = None

    @property
    def top(self) -> SuggestionView | None:
        return self.suggestions[0] if self.suggestions else None


def is_staff(actor: Actor) -> bool:
    return actor.is_superuser or bool(actor.roles - {"resident", "anonymous"})


def triage_for(*, actor: Actor, appeal_id: int) -> tuple[Appeal, TriageView]:
    """The appeal (if ``actor`` may see it and is staff) and its triage; NotFound otherwise."""
    if not is_staff(actor):
        raise NotFound(_("No such appeal."))
    appeal = appeal_selectors.appeal_get(actor=actor, appeal_id=appeal_id)
    return appeal, view_of(appeal)


def view_of(appeal: Appeal, *, live: bool = True) -> TriageView:
    """Triage of an appeal the caller may see: stored at intake, or (``live``, for open appeals
    without any) computed now from the active model or keyword rules, not stored."""
    row = AppealTriage.objects.filter(appeal_id=appeal.pk).first()
    active = RoutingModel.objects.filter(is_active=True).values_list("version", flat=True).first()
    if row is not None:
        out = TriageView(
            source=row.source,
            model_version=row.model_version,
            suggestions=_resolve(row.suggestions),
            urgency_suggested=row.urgency_suggested,
            urgency_terms=list(row.urgency_terms or []),
            urgency_raised=row.urgency_raised,
            auto_dispatched=row.auto_dispatched,
            auto_confidence=row.auto_confidence,
            created_at=row.created_at,
        )
        rules_then = out.source == TriageSource.RULES and active is not None
        if live and appeal.status in LIVE_STATUSES and (not out.suggestions or rules_then):
            # Stored with its urgency only (no model nor rule had a suggestion then), or the
            # keyword rules' guess from before a model was trained: the routing the active
            # model or rules give now, not stored.
            from suqiu.triage import services

            result = services.suggest(appeal.title, appeal.description, appeal.area_id)
            if result.items:
                out.at_intake = out.top
                out.source, out.model_version = result.source, result.model_version
                out.suggestions, out.live = _resolve(result.items), True
    elif live and appeal.status in LIVE_STATUSES:
        from suqiu.triage import loader, services, urgency

        result = services.suggest(appeal.title, appeal.description, appeal.area_id)
        loaded = loader.active()
        text = f"{appeal.title}\n{appeal.description}"
        detection = urgency.detect(text, loaded.urgency_terms if loaded else [])
        detection.add(services.rule_urgency_terms(text))
        out = TriageView(
            source=result.source,
            model_version=result.model_version,
            suggestions=_resolve(result.items),
            urgency_suggested=detection.level if detection.level != urgency.NORMAL else "",
            urgency_terms=detection.terms,
            live=True,
        )
    else:
        out = TriageView()
    out.active_version = active
    return out


def _resolve(items: list[dict]) -> list[SuggestionView]:
    cats = Category.objects.in_bulk([i.get("category_id") for i in items if i.get("category_id")])
    orgs = Organisation.objects.in_bulk(
        [i.get("organisation_id") for i in items if i.get("organisation_id")]
    )
    return [
        SuggestionView(
            category=cats.get(i.get("category_id")),
            code=i.get("code", ""),
            confidence=float(i.get("confidence", 0.0)),
            threshold=float(i.get("threshold", 1.01)),
            organisation=orgs.get(i.get("organisation_id")),
            organisation_learnt=bool(i.get("organisation_learnt")),
        )
        for i in items
    ]


# --- How triage does on live intake --------------------------------------------------------------

REPORT_ROLES = ("dispatcher", "leader", "admin")


def may_see_report(actor: Actor) -> bool:
    return actor.has(*REPORT_ROLES)


@dataclass
class PerformanceRow:
    """One category's (or the total's) figures over the window's intakes."""

    category: Category | None = None
    intakes: int = 0
    suggested: int = 0  # a suggestion was stored at intake (model or keyword rules)
    auto: int = 0  # assessed and dispatched by triage
    auto_rerouted: int = 0  # ... then returned, or sent elsewhere by a person
    auto_confirmed: int = 0  # ... resolved by the organisation it went to, never sent elsewhere
    assessed: int = 0  # a person assessed it, with a suggestion in front of them
    assess_corrected: int = 0  # ... under another category than the top suggestion
    # From which confidence the active model dispatches the category on its own: None without
    # a model, NEVER (> 1) when never.
    threshold: float | None = None

    COUNTS = (
        "intakes",
        "suggested",
        "auto",
        "auto_rerouted",
        "auto_confirmed",
        "assessed",
        "assess_corrected",
    )

    @property
    def auto_from_text(self) -> str:
        if self.category is None or self.threshold is None:
            return "–"
        state = auto_state(self.category, self.threshold)
        if state == "on":
            return f"{self.threshold * 100:.1f} %"
        return _("off") if state == "off" else _("never")

    @property
    def auto_open(self) -> int:
        return self.auto - self.auto_rerouted - self.auto_confirmed

    @property
    def auto_share(self) -> float | None:
        return self.auto / self.intakes if self.intakes else None

    @property
    def live_precision(self) -> float | None:
        """Of the automatic dispatches decided either way (confirmed or sent elsewhere), the
        share that was right: what the 0.98 chosen at training time became in use."""
        decided = self.auto_confirmed + self.auto_rerouted
        return self.auto_confirmed / decided if decided else None

    @property
    def agreement(self) -> float | None:
        """Of the appeals a person assessed, the share put under the top suggestion."""
        return (self.assessed - self.assess_corrected) / self.assessed if self.assessed else None

    # As the page shows them: one decimal, or a dash when there is nothing to divide.
    @property
    def auto_share_text(self) -> str:
        return _percent(self.auto_share)

    @property
    def live_precision_text(self) -> str:
        return _percent(self.live_precision)

    @property
    def agreement_text(self) -> str:
        return _percent(self.agreement)


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f} %"


@dataclass
class Performance:
    since: datetime
    until: datetime
    total: PerformanceRow
    rows: list[PerformanceRow]
    model: RoutingModel | None
    # Of the active model's categories with a threshold, those it dispatches on its own now,
    # and those an administrator switched off (a category without a default organisation or
    # deactivated since training counts in neither).
    auto_on: int = 0
    auto_switched_off: int = 0


@dataclass
class _Window:
    """The querysets the triage report counts: the window's intakes the reader may see, those
    triage dispatched itself, those a person assessed with a suggestion in front of them."""

    base: object
    auto: object
    by_person: object
    suggested: object  # the Q of "a suggestion was stored at intake"

    def rerouted(self):
        from django.db.models import Exists

        from suqiu.triage.services import rerouted_events

        return self.auto.filter(Exists(rerouted_events()))

    def corrected(self):
        from django.db.models import Exists, OuterRef

        from suqiu.triage.models import Correction

        return self.by_person.filter(
            Exists(Correction.objects.filter(appeal_id=OuterRef("pk"), action="assess"))
        )


def _window(actor: Actor, since: datetime, until: datetime) -> _Window:
    from django.db.models import Exists, OuterRef, Q

    from suqiu.appeals.models import AppealEvent, Channel, EventKind

    person_assessed = AppealEvent.objects.filter(
        appeal_id=OuterRef("pk"), kind=EventKind.ASSESS, actor__isnull=False
    )
    base = (
        Appeal.objects.filter(appeal_selectors.visible_q(actor))
        .filter(created_at__gte=since, created_at__lt=until)
        .exclude(channel=Channel.IMPORT)  # history, not intake
        .order_by()
    )
    # (Positive lookups only: an appeal with no triage row at all, nothing to suggest and no
    # urgency word, has NULLs there, which a negated lookup would count in.)
    suggested = Q(triage__source__in=[TriageSource.MODEL, TriageSource.RULES])
    return _Window(
        base=base,
        auto=base.filter(triage__auto_dispatched=True),
        by_person=base.filter(suggested, triage__auto_dispatched=False).filter(
            Exists(person_assessed)
        ),
        suggested=suggested,
    )


def performance(*, actor: Actor, since: datetime, until: datetime) -> Performance:
    """How triage did on the appeals taken in (not imported) between ``since`` and ``until``
    that ``actor`` may see: automatic dispatches and what became of them, and how often the people who
    assessed the rest agreed with the top suggestion; per final category, in five grouped
    queries. An automatic dispatch counts as sent elsewhere when the appeal was returned, or
    dispatched again by a person (the rule that keeps such appeals out of training; a
    person's dispatch is also what records a dispatch correction)."""
    from django.db.models import Count, Exists, Q

    from suqiu.triage.services import CONFIRMED_STATUSES, NEVER, rerouted_events

    w = _window(actor, since, until)
    base, auto, suggested = w.base, w.auto, w.suggested
    # One query per figure, each a filter PostgreSQL runs as one semi- or anti-join over the
    # window: conditional counts over per-row EXISTS (and an OR of two) made it probe the events
    # once per row and figure, 4.2 s for a district's 1.5 million appeals against 2.3 s now.
    more = {
        name: dict(qs.values_list("category_id").annotate(n=Count("pk")))
        for name, qs in {
            "auto_rerouted": w.rerouted(),
            "auto_confirmed": auto.filter(status__in=CONFIRMED_STATUSES).filter(
                ~Exists(rerouted_events())
            ),
            "assessed": w.by_person,
            "assess_corrected": w.corrected(),
        }.items()
    }
    grouped = list(
        base.values("category_id").annotate(
            intakes=Count("pk"),
            suggested=Count("pk", filter=suggested),
            auto=Count("pk", filter=Q(triage__auto_dispatched=True)),
        )
    )
    categories = Category.objects.in_bulk([g["category_id"] for g in grouped if g["category_id"]])
    rows = [
        PerformanceRow(
            category=categories.get(g["category_id"]),
            intakes=g["intakes"],
            suggested=g["suggested"],
            auto=g["auto"],
            **{name: counts.get(g["category_id"], 0) for name, counts in more.items()},
        )
        for g in grouped
    ]
    total = PerformanceRow(**{f: sum(getattr(r, f) for r in rows) for f in PerformanceRow.COUNTS})
    rows.sort(key=lambda r: (-r.auto, -r.intakes, r.category.code if r.category else ""))
    model = RoutingModel.objects.defer("blob").filter(is_active=True).first()
    perf = Performance(since=since, until=until, total=total, rows=rows, model=model)
    if model is not None:
        categories = _label_categories(model)
        threshold_of = {
            c.pk: float((model.thresholds or {}).get(label, NEVER))
            for label, c in categories.items()
        }
        for row in rows:
            if row.category is not None:
                row.threshold = threshold_of.get(row.category.pk, NEVER)
        perf.auto_on, perf.auto_switched_off = auto_categories(model, categories)
    return perf


def _label_categories(model: RoutingModel) -> dict:
    """``model``'s labels → the categories they stand for: the one each was trained as (the
    label map's ``category_id``), else the category with that code (two queries)."""
    entries = model.label_map or {}
    labels = list(model.thresholds or {})
    by_id = Category.objects.in_bulk(
        [entries[label].get("category_id") for label in labels if label in entries]
    )
    by_code = Category.objects.in_bulk(labels, field_name="code")
    out = {}
    for label in labels:
        category = by_id.get((entries.get(label) or {}).get("category_id")) or by_code.get(label)
        if category is not None:
            out[label] = category
    return out


def auto_categories(model: RoutingModel, categories: dict | None = None) -> tuple[int, int]:
    """Of ``model``'s categories with a threshold, how many triage dispatches on its own now and
    how many an administrator switched off (``Category.auto_dispatch``); one deactivated or
    without a default organisation since training counts in neither. ``categories``: the
    model's ``_label_categories`` when the caller has them."""
    if categories is None:
        categories = _label_categories(model)
    states = [
        auto_state(categories.get(label), model.thresholds[label]) for label in model.auto_labels
    ]
    return states.count("on"), states.count("off")


def auto_state(category: Category | None, threshold: float | None) -> str:
    """Whether triage assesses and dispatches ``category``'s appeals on its own from
    ``threshold`` now (the conditions of ``services._from_model``): "on", or why not —
    "inactive" (no category, or deactivated), "no_organisation" (nowhere to send them: a
    person chooses), "off" (switched off by an administrator), "never" (the target precision
    was not reached: no threshold, or one above 1)."""
    if category is None or not category.is_active:
        return "inactive"
    if category.default_organisation_id is None:
        return "no_organisation"
    if not category.auto_dispatch:
        return "off"
    if threshold is None or threshold > 1.0:
        return "never"
    return "on"


# --- The appeals behind a figure of the report ---------------------------------------------------

# kind → the report's column: dispatched by triage, of those sent elsewhere, a person's
# assessment under another category than the first suggestion.
REPORT_KINDS = ("auto", "rerouted", "corrected")


@dataclass
class ReportAppeal:
    """One appeal of a report figure, with triage's first suggestion at intake (category,
    confidence, and the organisation it would send it to or sent it to)."""

    appeal: Appeal
    suggestion: SuggestionView | None


def performance_appeals(
    *, actor: Actor, since: datetime, until: datetime, kind: str, category: Category | None = None
):
    """The appeals counted in one figure of ``performance`` (``kind`` of ``REPORT_KINDS``), of
    one category now (exactly, as the report's rows count them) or of all; newest first."""
    w = _window(actor, since, until)
    qs = {"auto": lambda: w.auto, "rerouted": w.rerouted, "corrected": w.corrected}[kind]()
    if category is not None:
        qs = qs.filter(category=category)
    return qs.select_related("category", "lead_organisation", "triage").order_by(
        "-created_at", "-pk"
    )


def report_appeals(appeals) -> list[ReportAppeal]:
    """``appeals`` (a page of ``performance_appeals``) with their first suggestion at intake,
    resolved together (``_resolve``: two queries for the page)."""
    tops = [(a, a.triage.top if hasattr(a, "triage") else None) for a in appeals]
    resolved = iter(_resolve([top for _a, top in tops if top]))
    return [ReportAppeal(appeal=a, suggestion=next(resolved) if top else None) for a, top in tops]
