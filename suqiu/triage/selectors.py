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
from suqiu.triage.models import AppealTriage, RoutingModel

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
        if not out.suggestions and live and appeal.status in LIVE_STATUSES:
            # Stored with its urgency only (no model nor rule had a suggestion then): the
            # routing the active model or rules give now, not stored.
            from suqiu.triage import services

            result = services.suggest(appeal.title, appeal.description, appeal.area_id)
            if result.items:
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
