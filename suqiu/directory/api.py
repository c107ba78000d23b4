"""Read-only directory endpoints: categories, organisations, grids, point-in-grid, and "me".

For clients that fill pick-lists (category, lead organisation) and place appeals on the map.
Changes to the directory are made in the admin, not here.
"""

from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils import translation
from ninja import Field, Query, Router, Schema

from suqiu.api.auth import actor_of
from suqiu.api.schemas import AUTH_ERRORS, ErrorOut
from suqiu.directory.geo import resolve_grid, validate_latlon
from suqiu.directory.models import Category, Grid, Membership, Organisation, OrgKind

router = Router(tags=["directory"])

OrgKindName = Literal[tuple(OrgKind.values)]  # type: ignore[valid-type]


class CategoryOut(Schema):
    id: int
    code: str
    name: str = Field(description="In the request's language (Accept-Language).")
    name_zh: str
    name_en: str
    parent_id: int | None
    default_organisation_id: int | None


class OrganisationOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    kind: str
    parent_id: int | None
    phone: str


class GridOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    community_id: int
    community_name: str
    bbox: list[float] | None = Field(description="[min_lon, min_lat, max_lon, max_lat] (WGS-84)")
    boundary: dict | None = Field(None, description="GeoJSON; only with ?boundary=true")


class ResolveOut(Schema):
    grid: GridOut | None
    community_id: int | None
    community_name: str | None


class MembershipOut(Schema):
    role: str
    organisation_id: int | None
    organisation_name: str | None
    organisation_kind: str | None


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[str]
    memberships: list[MembershipOut]
    is_superuser: bool
    auth: Literal["token", "session"]
    token_name: str | None


def _grid(grid: Grid, *, boundary: bool = False) -> dict:
    bbox = (
        [grid.min_lon, grid.min_lat, grid.max_lon, grid.max_lat]
        if grid.min_lat is not None
        else None
    )
    return {
        "id": grid.pk,
        "code": grid.code,
        "name": grid.name,
        "parent_id": grid.parent_id,
        "community_id": grid.community_id,
        "community_name": grid.community.name,
        "bbox": bbox,
        "boundary": grid.boundary if boundary else None,
    }


@router.get(
    "/categories",
    response={200: list[CategoryOut], **AUTH_ERRORS},
    summary="Appeal categories",
    url_name="category_list",
)
def list_categories(request: HttpRequest, include_inactive: bool = False):
    """Active categories in tree order (parents before children)."""
    qs = Category.objects.all() if include_inactive else Category.objects.filter(is_active=True)
    language = translation.get_language()
    return [
        {
            "id": c.pk,
            "code": c.code,
            "name": c.label(language),
            "name_zh": c.name,
            "name_en": c.name_en,
            "parent_id": c.parent_id,
            "default_organisation_id": c.default_organisation_id,
        }
        for c in qs.order_by("path")
    ]


@router.get(
    "/organisations",
    response={200: list[OrganisationOut], **AUTH_ERRORS, 422: ErrorOut},
    summary="Organisations and areas",
    url_name="organisation_list",
)
def list_organisations(
    request: HttpRequest,
    kind: Annotated[list[OrgKindName] | None, Query(description="Repeat to combine kinds.")] = None,
):
    """Active areas (district, street, community) and handling bodies, in tree order."""
    qs = Organisation.objects.filter(is_active=True)
    if kind:
        qs = qs.filter(kind__in=kind)
    return list(
        qs.order_by("path").values("id", "code", "name", "name_en", "kind", "parent_id", "phone")
    )


@router.get(
    "/grids",
    response={200: list[GridOut], **AUTH_ERRORS},
    summary="Grids",
    url_name="grid_list",
)
def list_grids(
    request: HttpRequest,
    community: Annotated[int | None, Query(description="Only the grids of this community.")] = None,
    boundary: Annotated[bool, Query(description="Include the GeoJSON boundaries.")] = False,
):
    qs = Grid.objects.select_related("community").order_by("path")
    if community is not None:
        qs = qs.filter(community_id=community)
    if not boundary:
        qs = qs.defer("boundary")
    return [_grid(g, boundary=boundary) for g in qs]


@router.get(
    "/grids/resolve",
    response={200: ResolveOut, **AUTH_ERRORS, 422: ErrorOut},
    summary="Which grid contains a point",
    url_name="grid_resolve",
)
def resolve(
    request: HttpRequest,
    lat: Annotated[float, Query(allow_inf_nan=False)],
    lon: Annotated[float, Query(allow_inf_nan=False)],
):
    """The innermost grid whose boundary contains the WGS-84 point, or `grid: null`."""
    validate_latlon(lat, lon)
    grid = resolve_grid(lat, lon)
    if grid is None:
        return {"grid": None, "community_id": None, "community_name": None}
    return {
        "grid": _grid(grid),
        "community_id": grid.community_id,
        "community_name": grid.community.name,
    }


@router.get(
    "/me",
    response={200: MeOut, **AUTH_ERRORS},
    summary="Who you are",
    tags=["me"],
    url_name="me",
)
def me(request: HttpRequest):
    """Your user, roles and the organisations they apply in."""
    user = request.auth
    actor = actor_of(request)
    token = getattr(request, "api_token", None)
    memberships = [
        {
            "role": m.role,
            "organisation_id": m.organisation_id,
            "organisation_name": m.organisation.name if m.organisation_id else None,
            "organisation_kind": m.organisation.kind if m.organisation_id else None,
        }
        for m in Membership.objects.filter(user=user).select_related("organisation").order_by("id")
    ]
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "roles": sorted(actor.roles),
        "memberships": memberships,
        "is_superuser": user.is_superuser,
        "auth": "token" if token is not None else "session",
        "token_name": token.name if token is not None else None,
    }
