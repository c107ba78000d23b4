"""REST API of hotspots (added to /api/v1/ by suqiu/api/root.py): the ranked list, one hotspot
with the appeals you may see, and promotion to a proactive governance project. Scoped like the
workbench pages: dispatchers, leaders and administrators, each within their area. Also one
person's case that may be a common problem: the similar appeals of its street (its own
community included), and a governance project that takes them in together."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictInt

from suqiu.api.auth import actor_of
from suqiu.api.schemas import COMMON_ERRORS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ErrorOut, page_of
from suqiu.core.errors import PermissionDenied
from suqiu.hotspots import selectors, services

router = Router(tags=["hotspots"])


class HotspotOut(Schema):
    id: int
    rank: int = Field(description="1 is the hottest of the window.")
    window: str = Field(
        description='"30d": the rolling window; "30d@2019-12-31": a run with --until.'
    )
    title: str = Field(description="The appeal closest to the centroid.")
    place: str = Field(description="The place: named in the text, or empty when only a grid.")
    terms: list[str] = Field(description="Key words of the problem.")
    heat: float
    size: int = Field(description="Appeals in the hotspot.")
    visible_size: int = Field(description="Appeals of it you may see.")
    reporters: int
    votes: int
    growth: float = Field(description="log2((recent half + 1) / (earlier half + 1)).")
    first_seen: datetime
    last_seen: datetime
    current: bool = Field(description="False: promoted, and not found again by the latest run.")
    project_id: int | None


class HotspotPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HotspotOut]


class MemberOut(Schema):
    appeal_id: int
    tracking_code: str
    title: str
    area: str
    created_at: datetime
    support_votes: int
    oppose_votes: int


class HotspotDetailOut(HotspotOut):
    appeals: list[MemberOut]


class PromoteIn(Schema):
    title: str = Field(max_length=200)
    description: str = Field("", max_length=4000)
    # Strict: true is no organisation (lax parsing took it as id 1).
    handler_organisation: StrictInt
    handler_person: StrictInt | None = None


class ProjectOut(Schema):
    id: int
    title: str
    description: str
    status: str
    handler_organisation: int
    handler_person: int | None
    created_at: datetime
    appeals: list[int]


def _out(h, rank: int) -> dict:
    return {
        "id": h.pk,
        "rank": rank,
        "window": h.window,
        "title": h.display_title,
        "place": h.place_label,
        "terms": h.terms.split(),
        "heat": h.heat,
        "size": h.size,
        "visible_size": getattr(h, "visible_size", None) or 0,
        "reporters": h.reporters,
        "votes": h.votes,
        "growth": h.growth,
        "first_seen": h.first_seen,
        "last_seen": h.last_seen,
        "current": h.is_current,
        "project_id": h.project_id,
    }


def _require(actor) -> None:
    if not services.may_use_hotspots(actor):
        raise PermissionDenied(
            gettext("Only dispatchers, leaders and administrators see hotspots."),
            code="not_allowed",
        )


@router.get(
    "/hotspots",
    response={200: HotspotPage, **COMMON_ERRORS},
    summary="Hotspots you may see, hottest first",
    url_name="hotspot_list",
)
def list_hotspots(
    request: HttpRequest,
    window: Annotated[
        str | None,
        Query(
            pattern=services.WINDOW_PATTERN,
            description='"30d" or "60d@2019-08-31" (a historical run); by default the rolling '
            "window the worker keeps (SUQIU_HOTSPOTS_DAYS days).",
        ),
    ] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
):
    """The window's hotspots with at least one appeal in your area, ranked by heat."""
    actor = actor_of(request)
    _require(actor)
    count, rows = page_of(
        selectors.hotspot_list(actor=actor, window=window), page=page, page_size=page_size
    )
    first = (page - 1) * page_size
    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "items": [_out(h, first + i + 1) for i, h in enumerate(rows)],
    }


@router.get(
    "/hotspots/{hotspot_id}",
    response={200: HotspotDetailOut, **COMMON_ERRORS, 404: ErrorOut},
    summary="One hotspot with the appeals you may see",
    url_name="hotspot_detail",
)
def get_hotspot(request: HttpRequest, hotspot_id: int):
    actor = actor_of(request)
    _require(actor)
    h = selectors.hotspot_get(actor=actor, hotspot_id=hotspot_id)
    members = list(selectors.hotspot_members(actor=actor, hotspot=h)[:1000])
    # The list's order: current hotspots first, then by heat.
    ahead = Q(is_current=h.is_current, heat__gt=h.heat)
    if not h.is_current:
        ahead |= Q(is_current=True)
    rank = selectors.hotspot_list(actor=actor, window=h.window).filter(ahead).count() + 1
    body = _out(h, rank)
    body["visible_size"] = len(members)
    body["appeals"] = [
        {
            "appeal_id": a.pk,
            "tracking_code": a.tracking_code,
            "title": a.title,
            "area": a.area.name,
            "created_at": a.created_at,
            "support_votes": a.support_votes,
            "oppose_votes": a.oppose_votes,
        }
        for a in members
    ]
    return body


@router.post(
    "/hotspots/{hotspot_id}/promote",
    response={201: ProjectOut, **COMMON_ERRORS, 404: ErrorOut, 409: ErrorOut},
    summary="Promote a hotspot to a proactive governance project",
    url_name="hotspot_promote",
)
def promote_hotspot(request: HttpRequest, hotspot_id: int, data: PromoteIn):
    """Creates the project with the hotspot's appeals you may see; each gets a note event.
    409 `already_promoted` when the hotspot already has a project, 409 `beyond_your_area` when
    some of its appeals are outside your area (a dispatcher or leader over all of them promotes
    it)."""
    actor = actor_of(request)
    project = services.promote(
        actor=actor,
        hotspot_id=hotspot_id,
        data=_project_in(data),
    )
    return Status(201, _project_out(project))


def _project_in(data: PromoteIn) -> services.ProjectInput:
    return services.ProjectInput(
        title=data.title,
        description=data.description,
        handler_organisation=data.handler_organisation,
        handler_person=data.handler_person,
    )


def _project_out(project) -> dict:
    return {
        "id": project.pk,
        "title": project.title,
        "description": project.description,
        "status": project.status,
        "handler_organisation": project.handler_organisation_id,
        "handler_person": project.handler_person_id,
        "created_at": project.created_at,
        "appeals": sorted(project.appeals.values_list("pk", flat=True)),
    }


class SimilarOut(Schema):
    appeal_id: int
    tracking_code: str
    title: str
    community: str
    status: str
    similarity: float = Field(description="0-1, the duplicate check's measure.")
    created_at: datetime


class CommonProblemOut(Schema):
    appeal_id: int = Field(description="The case.")
    street: str
    communities: list[str] = Field(description="The communities that tell it (the case's own too).")
    similar: list[SimilarOut] = Field(description="Most alike first; only appeals you may see.")
    project_ids: list[int] = Field(description="Open governance projects the case is in.")


@router.get(
    "/appeals/{appeal_id}/common-problem",
    response={200: CommonProblemOut, **COMMON_ERRORS, 404: ErrorOut},
    summary="Similar appeals in the appeal's street",
    url_name="common_problem",
)
def get_common_problem(request: HttpRequest, appeal_id: int):
    """One person's case that may be a common problem: the similar appeals of the street's
    communities, its own included (open, or finished within the duplicate index's window), but
    not its pending duplicate candidates (the duplicate panel's question until dismissed)."""
    actor = actor_of(request)
    _require(actor)
    appeal, similar = services.common_problem_of(actor=actor, appeal_id=appeal_id)
    return {
        "appeal_id": appeal.pk,
        "street": appeal.area.parent.name if appeal.area.parent_id else "",
        "communities": sorted({e.community for e in similar}),
        "similar": [
            {
                "appeal_id": e.appeal.pk,
                "tracking_code": e.appeal.tracking_code,
                "title": e.appeal.title,
                "community": e.community,
                "status": e.appeal.status,
                "similarity": e.similarity,
                "created_at": e.appeal.created_at,
            }
            for e in similar
        ],
        "project_ids": sorted(
            appeal.governance_projects.filter(status="open").values_list("pk", flat=True)
        ),
    }


@router.post(
    "/appeals/{appeal_id}/common-problem/project",
    response={201: ProjectOut, **COMMON_ERRORS, 404: ErrorOut, 409: ErrorOut},
    summary="Take a case and the similar appeals elsewhere into a governance project",
    url_name="common_problem_project",
)
def start_common_problem_project(request: HttpRequest, appeal_id: int, data: PromoteIn):
    """Creates the project with the case and the similar appeals of its street you may see
    (found again now); each gets a note event. 409 `already_in_project` when the case is in an
    open project, `no_common_problem` when nothing like it was reported elsewhere."""
    actor = actor_of(request)
    project = services.start_project(
        actor=actor,
        appeal_id=appeal_id,
        data=_project_in(data),
    )
    return Status(201, _project_out(project))
