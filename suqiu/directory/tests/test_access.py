"""Who a user is to the work chain: roles, organisations and area paths; phone masking."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from suqiu.directory.access import (
    PHONE_REVEAL_ROLES,
    PHONE_VISIBLE_ROLES,
    SYSTEM,
    Actor,
    actor_for,
    mask_phone,
    roles_of,
)
from suqiu.directory.models import Membership, Role, User

# role attribute of the world → (roles, organisation code per role, area code per role)
ACTORS = {
    "resident": ({"resident"}, {}, {}),
    "operator": ({"operator"}, {"operator": "D-CC"}, {"operator": "D"}),
    "grid_worker": ({"grid_worker"}, {"grid_worker": "C1"}, {"grid_worker": "C1"}),
    "community_worker": (
        {"community_worker"},
        {"community_worker": "C1"},
        {"community_worker": "C1"},
    ),
    "community_worker_c3": (
        {"community_worker"},
        {"community_worker": "C3"},
        {"community_worker": "C3"},
    ),
    # The social work agency sits in community C1: its staff's area is C1.
    "social_worker": ({"social_worker"}, {"social_worker": "SW"}, {"social_worker": "C1"}),
    "volunteer": ({"volunteer"}, {"volunteer": "VOL"}, {"volunteer": "D"}),
    "handler": (
        {"department_handler"},
        {"department_handler": "HOUSING"},
        {"department_handler": "D"},
    ),
    "roads_handler": (
        {"department_handler"},
        {"department_handler": "ROADS"},
        {"department_handler": "D"},
    ),
    "dispatcher": ({"dispatcher"}, {"dispatcher": "D"}, {"dispatcher": "D"}),
    "leader": ({"leader"}, {"leader": "S1"}, {"leader": "S1"}),
    "leader_s2": ({"leader"}, {"leader": "S2"}, {"leader": "S2"}),
    "admin": ({"admin"}, {"admin": "D"}, {"admin": "D"}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(ACTORS))
def test_actor_for_each_role(world, actor_of, name):
    user = getattr(world, name)
    roles, orgs, areas = ACTORS[name]
    codes = {
        o.code: o
        for o in (
            world.district,
            world.centre,
            world.s1,
            world.s2,
            world.c1,
            world.c3,
            world.housing,
            world.roads,
            world.sw_agency,
            world.vol_org,
        )
    }
    actor = actor_of(user)
    assert actor.user_id == user.pk
    assert actor.roles == roles
    assert actor.orgs_by_role == {r: frozenset({codes[c].pk}) for r, c in orgs.items()}
    assert actor.paths_by_role == {r: (codes[c].path,) for r, c in areas.items()}
    assert actor.is_superuser is (name == "admin")
    assert actor.label == str(user)
    assert not actor.is_system


@pytest.mark.django_db
def test_signed_out_visitors_are_anonymous():
    for nobody in (None, AnonymousUser()):
        actor = actor_for(nobody)
        assert actor.user_id is None
        assert actor.roles == {"anonymous"}
        assert actor.is_system  # no user behind it; selectors show it nothing
    assert roles_of(AnonymousUser()) == set()


@pytest.mark.django_db
def test_a_superuser_without_memberships_is_an_admin():
    root = User.objects.create_user(username="root", password="x" * 12, is_superuser=True)
    actor = actor_for(root)
    assert actor.roles == {"admin"}
    assert actor.has("dispatcher")  # a superuser has every role for has()


@pytest.mark.django_db
def test_someone_with_two_roles_has_both(world, actor_of):
    Membership.objects.create(
        user=world.grid_worker, role=Role.VOLUNTEER, organisation=world.vol_org
    )
    actor = actor_of(world.grid_worker)
    assert actor.roles == {"grid_worker", "volunteer"}
    assert actor.org_ids("volunteer") == {world.vol_org.pk}
    assert actor.org_ids() == {world.vol_org.pk, world.c1.pk}
    assert actor.area_paths("grid_worker") == (world.c1.path,)
    assert actor.area_paths() == tuple(sorted({world.c1.path, world.district.path}))
    assert roles_of(world.grid_worker) == {"grid_worker", "volunteer"}


@pytest.mark.django_db
def test_an_organisation_deep_under_a_community_takes_the_community_as_its_area(world, actor_of):
    from suqiu.directory.models import Organisation, OrgKind

    branch = Organisation.objects.create(
        code="SW-B", name="社工站分站", kind=OrgKind.SOCIAL_WORK_AGENCY, parent=world.sw_agency
    )
    user = User.objects.create_user(username="sw2", password="x" * 12)
    Membership.objects.create(user=user, role=Role.SOCIAL_WORKER, organisation=branch)
    assert actor_of(user).paths_by_role == {"social_worker": (world.c1.path,)}


@pytest.mark.django_db
def test_the_actor_is_built_once_per_user_object(world, django_assert_num_queries):
    user = User.objects.get(pk=world.handler.pk)
    first = actor_for(user)
    with django_assert_num_queries(0):
        assert actor_for(user) is first


def test_actor_helpers_without_a_database():
    actor = Actor(
        user_id=5,
        roles=frozenset({"dispatcher", "leader"}),
        orgs_by_role={"dispatcher": frozenset({1}), "leader": frozenset({3, 4})},
        paths_by_role={"dispatcher": ("/1/",), "leader": ("/1/3/", "/1/4/")},
    )
    assert actor.has("leader") and actor.has("resident", "dispatcher")
    assert not actor.has("operator")
    assert actor.org_ids("leader") == {3, 4}
    assert actor.org_ids("operator") == frozenset()
    assert actor.area_paths("leader", "dispatcher") == ("/1/", "/1/3/", "/1/4/")
    assert SYSTEM.is_system and SYSTEM.roles == {"system"}


def test_phone_roles():
    assert PHONE_VISIBLE_ROLES == {"operator"}
    assert PHONE_VISIBLE_ROLES <= PHONE_REVEAL_ROLES
    assert not {"volunteer", "resident", "leader"} & PHONE_REVEAL_ROLES


@pytest.mark.parametrize(
    "phone,masked",
    [
        ("13812341234", "138****1234"),
        ("138 1234 1234", "138****1234"),
        ("138-1234-1234", "138****1234"),
        ("+86 138 1234 1234", "861******1234"),  # only the first three and last four digits
        ("0755-8888 1234", "075*****1234"),  # a landline with its area code
        ("88881234", "888*1234"),
        ("1234567", "1******"),  # too short to show both ends
        ("12345", "1****"),
        ("", ""),
        ("no phone", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked
    if masked:
        digits = [c for c in phone if c.isdigit()]
        assert len(masked) == len(digits)  # the length is kept, only digits are hidden
