"""The per-process directory snapshot never serves stale data after a change made through the
models (admin, services, commands): every save/delete bumps a version in the shared cache."""

from django.test import Client
from django.utils import timezone

from suqiu.appeals import services
from suqiu.core.testing import G1_POINT, square
from suqiu.directory import snapshot
from suqiu.directory.access import actor_for
from suqiu.directory.models import ApiToken, Category, Grid, Membership, Role


def create(world, **kw):
    data = services.AppealInput(title="井盖松动", description="人行道井盖松动", **kw)
    return services.appeal_create(actor=actor_for(world.operator), data=data)


def test_a_new_grid_is_used_by_the_next_intake(world):
    assert create(world, lat=G1_POINT[0], lon=G1_POINT[1]).grid == world.g1
    inner = Grid.objects.create(
        code="G1-IN",
        name="网格一内",
        parent=world.g1,
        community=world.c1,
        boundary=square(*G1_POINT, half=0.001),
    )
    assert create(world, lat=G1_POINT[0], lon=G1_POINT[1]).grid == inner
    inner.boundary = square(30.0, 120.0)  # moved away (grids with appeals cannot be deleted)
    inner.save()
    assert create(world, lat=G1_POINT[0], lon=G1_POINT[1]).grid == world.g1


def test_a_moved_boundary_is_used_by_the_next_intake(world):
    far = (23.0, 113.5)
    assert create(world, lat=far[0], lon=far[1]).grid is None
    world.g4.boundary = square(*far)
    world.g4.save()
    appeal = create(world, lat=far[0], lon=far[1])
    assert appeal.grid == world.g4 and appeal.area == world.c3


def test_a_deactivated_category_is_refused_by_the_next_intake(world):
    create(world, category="HOUSING")
    Category.objects.filter(code="HOUSING").update(is_active=False)  # bypasses save()...
    snapshot.bump("directory")  # ...so a bulk change is announced (or waits for the TTL)
    try:
        create(world, category="HOUSING")
    except services.ValidationFailed as exc:
        assert "category" in exc.fields
    else:
        raise AssertionError("an inactive category must be refused")
    world.cat_housing.refresh_from_db()
    world.cat_housing.is_active = True
    world.cat_housing.save()
    assert create(world, category="HOUSING").category_id == world.cat_housing.pk


def _me(raw):
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_token_revoked_in_the_admin_stops_working_at_once(world):
    token, raw = ApiToken.issue(user=world.operator)
    assert _me(raw).status_code == 200
    token.revoked_at = timezone.now()
    token.save()
    assert _me(raw).status_code == 401


def test_a_deactivated_user_token_stops_working_at_once(world):
    _token, raw = ApiToken.issue(user=world.handler)
    assert _me(raw).status_code == 200
    world.handler.is_active = False
    world.handler.save()
    assert _me(raw).status_code == 401


def test_a_new_membership_changes_what_a_token_may_do_at_once(world):
    _token, raw = ApiToken.issue(user=world.volunteer)
    assert "dispatcher" not in _me(raw).json()["roles"]
    Membership.objects.create(
        user=world.volunteer, role=Role.DISPATCHER, organisation=world.district
    )
    assert "dispatcher" in _me(raw).json()["roles"]


def test_a_login_does_not_invalidate_the_snapshots(world, client):
    before = snapshot.version("people")
    client.login(username="dispatcher", password="test-pass-123")
    assert snapshot.version("people") == before
