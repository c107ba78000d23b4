"""REST API of duplicates (added to /api/v1/ by suqiu/api/root.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Router, Schema

from suqiu.api.auth import actor_of
from suqiu.api.schemas import COMMON_ERRORS, ErrorOut
from suqiu.appeals import selectors
from suqiu.core.errors import NotFound
from suqiu.duplicates import services

router = Router(tags=["duplicates"])


class DuplicateOut(Schema):
    id: int = Field(description="Id of the candidate record (for dismissing it).")
    relation: Literal["earlier", "later"] = Field(
        description="earlier: this appeal may repeat that one (it can be merged into it); "
        "later: that one may repeat this appeal."
    )
    appeal_id: int
    tracking_code: str
    title: str
    status: str
    created_at: datetime
    similarity: float = Field(description="0 to 1; 1 is the same text.")
    distance_m: float | None = Field(
        description="Metres between the two points; null when compared by community."
    )
    dismissed: bool


@router.get(
    "/appeals/{appeal_id}/duplicates",
    response={200: list[DuplicateOut], **COMMON_ERRORS, 404: ErrorOut},
    summary="Possible duplicates of an appeal",
    url_name="appeal_duplicates",
)
def list_duplicates(request: HttpRequest, appeal_id: int, include_dismissed: bool = False):
    """Appeals found at intake that may report the same problem (within 500 m, or in the same
    community without coordinates, with similar text), most similar first. Only appeals you may
    see are listed; an appeal you may not see is a 404."""
    actor = actor_of(request)
    appeal = selectors.appeal_get(actor=actor, appeal_id=appeal_id)
    return [
        _item(item)
        for item in services.candidates_for(
            actor=actor, appeal=appeal, include_dismissed=include_dismissed
        )
    ]


def _item(item: services.CandidateView) -> dict:
    return {
        "id": item.row.pk,
        "relation": item.relation,
        "appeal_id": item.other.pk,
        "tracking_code": item.other.tracking_code,
        "title": item.other.title,
        "status": item.other.status,
        "created_at": item.other.created_at,
        "similarity": item.row.similarity,
        "distance_m": item.row.distance_m,
        "dismissed": item.row.dismissed_at is not None,
    }


@router.post(
    "/appeals/{appeal_id}/duplicates/{candidate_id}/dismiss",
    response={200: DuplicateOut, **COMMON_ERRORS, 404: ErrorOut, 409: ErrorOut},
    summary="Mark a candidate as not a duplicate",
    url_name="appeal_duplicate_dismiss",
)
def dismiss_duplicate(request: HttpRequest, appeal_id: int, candidate_id: int):
    """Record that the candidate `candidate_id` (the `id` of an item of the list) is not a
    duplicate of this appeal; who and when are kept. Dispatchers and community staff who may
    assess the appeal; dismissing twice changes nothing. A pair of which one was merged into the
    other cannot be dismissed (409 `duplicate_merged`)."""
    actor = actor_of(request)
    appeal = selectors.appeal_get(actor=actor, appeal_id=appeal_id)
    services.dismiss(actor=actor, appeal=appeal, candidate_id=candidate_id)
    for item in services.candidates_for(actor=actor, appeal=appeal, include_dismissed=True):
        if item.row.pk == candidate_id:
            return _item(item)
    raise NotFound(gettext("No such duplicate candidate."))
