"""Who a user is, in the terms the work chain and the selectors need.

``actor_for(user)`` turns a user and their memberships into a small immutable ``Actor`` (roles,
organisation ids, area paths) that the pure workflow and the selectors use. Built once per
request; cheap enough to rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from suqiu.directory.models import AREA_KINDS, Membership, Organisation, Role

# Roles that see reporters' phone numbers in full: intake operators call reporters back and
# record revisits by phone. Others see a masked number and may reveal it (an audited event).
PHONE_VISIBLE_ROLES = frozenset({Role.OPERATOR})
PHONE_REVEAL_ROLES = frozenset(
    {
        Role.OPERATOR,
        Role.DISPATCHER,
        Role.COMMUNITY_WORKER,
        Role.GRID_WORKER,
        Role.DEPARTMENT_HANDLER,
        Role.SOCIAL_WORKER,
        Role.ADMIN,
    }
)
STAFF_ROLES = frozenset(set(Role) - {Role.RESIDENT})


@dataclass(frozen=True)
class Actor:
    """A user as the work chain sees them. ``user_id`` None means the system itself."""

    user_id: int | None
    roles: frozenset[str] = field(default_factory=frozenset)
    # organisation ids per role, e.g. {"department_handler": {12}, "dispatcher": {1}}
    orgs_by_role: dict[str, frozenset[int]] = field(default_factory=dict)
    # area paths ("/1/3/") per role, for subtree scoping
    paths_by_role: dict[str, tuple[str, ...]] = field(default_factory=dict)
    is_superuser: bool = False
    label: str = ""

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    def has(self, *roles: str) -> bool:
        return self.is_superuser or bool(self.roles.intersection(roles))

    def org_ids(self, *roles: str) -> frozenset[int]:
        out: set[int] = set()
        for role in roles or tuple(self.orgs_by_role):
            out |= self.orgs_by_role.get(role, frozenset())
        return frozenset(out)

    def area_paths(self, *roles: str) -> tuple[str, ...]:
        out: list[str] = []
        for role in roles or tuple(self.paths_by_role):
            out.extend(self.paths_by_role.get(role, ()))
        return tuple(sorted(set(out)))


SYSTEM = Actor(user_id=None, roles=frozenset({"system"}), label="system")


def actor_for(user) -> Actor:
    if user is None or not user.is_authenticated:
        return Actor(user_id=None, roles=frozenset({"anonymous"}))
    cached = getattr(user, "_suqiu_actor", None)
    if cached is not None:
        return cached
    roles: set[str] = set()
    orgs: dict[str, set[int]] = {}
    paths: dict[str, set[str]] = {}
    memberships = list(Membership.objects.filter(user=user).select_related("organisation"))
    # The area of a non-area organisation (a department, a command centre...) is its nearest area
    # ancestor; the ancestors are on its path, so one query finds them for all memberships.
    ancestor_ids = {
        int(p)
        for m in memberships
        if m.organisation_id and not m.organisation.is_area
        for p in m.organisation.path.strip("/").split("/")[:-1]
        if p
    }
    area_paths = (
        dict(
            Organisation.objects.filter(pk__in=ancestor_ids, kind__in=AREA_KINDS).values_list(
                "pk", "path"
            )
        )
        if ancestor_ids
        else {}
    )
    for m in memberships:
        roles.add(m.role)
        if m.organisation_id:
            org = m.organisation
            orgs.setdefault(m.role, set()).add(org.pk)
            path = org.path
            if not org.is_area:
                ids = [int(p) for p in org.path.strip("/").split("/")[:-1] if p]
                area_ids = [i for i in ids if i in area_paths]
                path = area_paths[area_ids[-1]] if area_ids else org.path
            paths.setdefault(m.role, set()).add(path)
    if user.is_superuser:
        roles.add(Role.ADMIN)
    if not roles:
        roles.add(Role.RESIDENT)
    actor = Actor(
        user_id=user.pk,
        roles=frozenset(roles),
        orgs_by_role={k: frozenset(v) for k, v in orgs.items()},
        paths_by_role={k: tuple(sorted(v)) for k, v in paths.items()},
        is_superuser=user.is_superuser,
        label=str(user),
    )
    user._suqiu_actor = actor
    return actor


def roles_of(user) -> set[str]:
    return set(actor_for(user).roles) - {"anonymous"}


def mask_phone(phone: str) -> str:
    """138****1234 for mainland mobiles; keep only the first 3 and last 4 digits of anything else."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not digits:
        return ""
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 1)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
