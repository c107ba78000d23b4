"""REST API of triage (added to /api/v1/ by suqiu/api/root.py)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Field, Router, Schema

from suqiu.api.auth import actor_of
from suqiu.api.schemas import COMMON_ERRORS, ErrorOut
from suqiu.triage import selectors

router = Router(tags=["triage"])


class CategoryRef(Schema):
    id: int | None
    code: str
    name: str


class OrganisationRef(Schema):
    id: int
    name: str


class SuggestionOut(Schema):
    category: CategoryRef
    confidence: float = Field(description="Probability the model gives this category (0-1).")
    threshold: float = Field(
        description="At or above this the system dispatches on its own; above 1: never."
    )
    organisation: OrganisationRef | None = Field(
        None,
        description="The handling organisation: the one learnt for this category in the "
        "appeal's area (or overall) from earlier dispatches, else the category's default.",
    )
    organisation_learnt: bool = Field(
        False, description="True: learnt from earlier dispatches, not the category's default."
    )


class UrgencyTermOut(Schema):
    term: str
    kind: str = Field(description="lexicon, learnt (from history) or rule (keyword rule)")
    level: str


class TriageOut(Schema):
    appeal_id: int
    source: str = Field(description="model, rules, or empty when nothing was suggested")
    model_version: int | None
    live: bool = Field(
        description="True: computed now (no suggestion was stored at intake, or the keyword "
        "rules' one while a routing model is active now)"
    )
    suggestions: list[SuggestionOut]
    urgency_suggested: str = Field(description="emergency, urgent, or empty")
    urgency_terms: list[UrgencyTermOut]
    urgency_raised: bool
    auto_dispatched: bool
    auto_confidence: float | None
    created_at: datetime | None
    active_model_version: int | None


@router.get(
    "/appeals/{appeal_id}/triage",
    response={200: TriageOut, **COMMON_ERRORS, 404: ErrorOut},
    summary="Triage suggestions of an appeal",
    url_name="appeal_triage",
)
def get_triage(request: HttpRequest, appeal_id: int):
    """The categories triage suggested (best first, with confidence and the handling
    organisation, learnt from earlier dispatches or the category's default), the urgency it detected and the terms that said so, and whether it assessed
    and dispatched on its own. Staff who may see the appeal only: 404 for everyone else."""
    actor = actor_of(request)
    appeal, view = selectors.triage_for(actor=actor, appeal_id=appeal_id)
    return {
        "appeal_id": appeal.pk,
        "source": view.source,
        "model_version": view.model_version,
        "live": view.live,
        "suggestions": [
            {
                "category": {
                    "id": s.category.pk if s.category else None,
                    "code": s.code,
                    # In the reader's language, as the appeals API names it.
                    "name": s.category.label(get_language()) if s.category else s.code,
                },
                "confidence": s.confidence,
                "threshold": s.threshold,
                "organisation": (
                    {"id": s.organisation.pk, "name": s.organisation.name}
                    if s.organisation
                    else None
                ),
                "organisation_learnt": s.organisation_learnt,
            }
            for s in view.suggestions
        ],
        "urgency_suggested": view.urgency_suggested,
        "urgency_terms": [
            {"term": t.get("term", ""), "kind": t.get("kind", ""), "level": t.get("level", "")}
            for t in view.urgency_terms
        ],
        "urgency_raised": view.urgency_raised,
        "auto_dispatched": view.auto_dispatched,
        "auto_confidence": view.auto_confidence,
        "created_at": view.created_at,
        "active_model_version": view.active_version,
    }
