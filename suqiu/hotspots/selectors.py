"""Every read of hotspots and governance projects, scoped to what the actor may see.

Hotspots are for dispatchers, leaders and administrators. A hotspot is visible when at least one
of its appeals is (``appeals.selectors.visible_q``); only the visible members are listed, so a
street leader sees the part of a hotspot inside their street and nothing of another street's.
Projects are visible to their creator, their handling person and organisation, and to whoever
may see one of their appeals.
"""

from __future__ import annotations

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from suqiu.appeals.models import Appeal
from suqiu.appeals.selectors import visible_q
from suqiu.core.errors import NotFound
from suqiu.directory.access import Actor
from suqiu.hotspots.models import GovernanceProject, Hotspot, HotspotMember
from suqiu.hotspots.services import current_window, may_use_hotspots


def _visible_appeals(actor: Actor) -> QuerySet[Appeal]:
    return Appeal.objects.filter(visible_q(actor))


def _all_visible(actor: Actor) -> bool:
    return actor.is_superuser or "admin" in actor.roles


def _scoped(qs: QuerySet[Hotspot], actor: Actor) -> QuerySet[Hotspot]:
    """Each hotspot's title as ``actor`` may read it (``Hotspot.display_title`` uses it): the
    representative appeal's title when the actor sees that appeal, else the title of the visible
    member closest to the centroid. A title is one resident's words (it may carry a name or a
    house number), so another street's appeal is not quoted to this one's leader."""
    if _all_visible(actor):
        return qs
    visible = _visible_appeals(actor)
    closest_visible = (
        HotspotMember.objects.filter(hotspot=OuterRef("pk"), appeal__in=visible)
        .order_by("-similarity", "appeal_id")
        .values("appeal__title")[:1]
    )
    return qs.annotate(
        scoped_title=Case(
            When(Exists(visible.filter(pk=OuterRef("representative_id"))), then=F("title")),
            default=Subquery(closest_visible),
        )
    )


def windows(*, actor: Actor) -> list[str]:
    """The windows that have hotspots (the rolling one first)."""
    if not may_use_hotspots(actor):
        return []
    names = list(Hotspot.objects.order_by().values_list("window", flat=True).distinct())
    current = current_window()
    return sorted(names, key=lambda n: (n != current, n))


def hotspot_list(*, actor: Actor, window: str | None = None) -> QuerySet[Hotspot]:
    """The window's hotspots ``actor`` may see (the rolling window by default), hottest first,
    each with ``visible_size`` (how many of its appeals the actor sees)."""
    window = window or current_window()
    if not may_use_hotspots(actor):
        return Hotspot.objects.none()
    qs = Hotspot.objects.filter(window=window).select_related("project")
    if _all_visible(actor):
        return qs.annotate(visible_size=Coalesce("size", 0)).order_by("-is_current", "-heat", "-pk")
    members = HotspotMember.objects.filter(
        hotspot=OuterRef("pk"), appeal__in=_visible_appeals(actor)
    )
    counted = (
        members.order_by()
        .values("hotspot")
        .annotate(n=Count("appeal_id", distinct=True))
        .values("n")
    )
    return _scoped(
        qs.filter(Exists(members)).annotate(visible_size=Subquery(counted)), actor
    ).order_by("-is_current", "-heat", "-pk")


def hotspot_get(*, actor: Actor, hotspot_id: int) -> Hotspot:
    hotspot = hotspot_list_any(actor=actor).filter(pk=hotspot_id).select_related("project").first()
    if hotspot is None:
        raise NotFound(_("No such hotspot."))
    return hotspot


def hotspot_list_any(*, actor: Actor) -> QuerySet[Hotspot]:
    """Hotspots of every window ``actor`` may see."""
    if not may_use_hotspots(actor):
        return Hotspot.objects.none()
    if _all_visible(actor):
        return Hotspot.objects.all()
    return _scoped(
        Hotspot.objects.filter(
            Exists(
                HotspotMember.objects.filter(
                    hotspot=OuterRef("pk"), appeal__in=_visible_appeals(actor)
                )
            )
        ),
        actor,
    )


def hotspot_members(*, actor: Actor, hotspot: Hotspot) -> QuerySet[Appeal]:
    """The hotspot's appeals ``actor`` may see, closest to the centroid first."""
    return (
        _visible_appeals(actor)
        .filter(hotspot_links__hotspot=hotspot)
        .select_related("area", "category")
        .order_by("-hotspot_links__similarity", "created_at", "pk")
        .distinct()
    )


def sees_whole(*, actor: Actor, hotspot: Hotspot) -> bool:
    """Whether ``actor`` sees every appeal of the hotspot (who may promote it)."""
    if _all_visible(actor):
        return True
    return not (
        HotspotMember.objects.filter(hotspot=hotspot)
        .exclude(appeal__in=_visible_appeals(actor))
        .exists()
    )


def hotspot_centres(*, actor: Actor, hotspot_ids) -> dict[int, tuple[float, float, int]]:
    """Per hotspot, the mean position of its located appeals ``actor`` may see and how many
    they are: where a marker for the hotspot goes on a map. One grouped query."""
    from django.db.models import Avg, Count

    rows = (
        _visible_appeals(actor)
        .filter(hotspot_links__hotspot_id__in=list(hotspot_ids), lat__isnull=False)
        .filter(lon__isnull=False)
        .order_by()
        .values("hotspot_links__hotspot_id")
        .annotate(lat=Avg("lat"), lon=Avg("lon"), n=Count("pk", distinct=True))
    )
    return {r["hotspot_links__hotspot_id"]: (r["lat"], r["lon"], r["n"]) for r in rows}


def project_list(*, actor: Actor) -> QuerySet[GovernanceProject]:
    if not (actor.is_superuser or actor.roles - {"resident", "anonymous"}):
        return GovernanceProject.objects.none()
    qs = GovernanceProject.objects.select_related("handler_organisation", "handler_person")
    if _all_visible(actor):
        return qs
    if actor.user_id is None:
        return qs.none()
    q = Q(created_by_id=actor.user_id) | Q(handler_person_id=actor.user_id)
    orgs = actor.org_ids()
    if orgs:
        q |= Q(handler_organisation_id__in=orgs)
    # Dispatchers and leaders: the projects handled in the areas under them (a handler or a
    # volunteer sees those of their own organisation, above, not the district's).
    for path in actor.area_paths("dispatcher", "leader"):
        q |= Q(handler_organisation__path__startswith=path)
    q |= Q(
        Exists(
            GovernanceProject.appeals.through.objects.filter(
                governanceproject_id=OuterRef("pk"), appeal__in=_visible_appeals(actor)
            )
        )
    )
    return qs.filter(q)


def project_get(*, actor: Actor, project_id: int) -> GovernanceProject:
    project = project_list(actor=actor).filter(pk=project_id).first()
    if project is None:
        raise NotFound(_("No such project."))
    return project


def project_appeals(*, actor: Actor, project: GovernanceProject) -> QuerySet[Appeal]:
    return (
        _visible_appeals(actor)
        .filter(governance_projects=project)
        .select_related("area")
        .order_by("-created_at", "-pk")
        .distinct()
    )


def projects_of_appeal(*, actor: Actor, appeal: Appeal) -> list[GovernanceProject]:
    """Projects that take this appeal in (the caller has checked the appeal is visible)."""
    return list(appeal.governance_projects.order_by("-created_at"))


def hotspots_of_appeal(*, actor: Actor, appeal: Appeal) -> list[Hotspot]:
    if not may_use_hotspots(actor):
        return []
    return list(
        _scoped(Hotspot.objects.filter(members__appeal=appeal, is_current=True), actor).order_by(
            "-heat"
        )[:3]
    )
