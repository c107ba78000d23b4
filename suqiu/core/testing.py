"""A small, fixed directory for tests: the standing named test users of every role.

    district D (/d/)
      ├ command centre CC           (operator)
      ├ street S1 ── community C1 (grids G1, G2), community C2 (grid G3)
      ├ street S2 ── community C3 (grid G4)
      ├ department HOUSING, department ROADS
      ├ social work agency SW, social organisation VOL
    categories: ROAD (→ ROADS), ROAD.POTHOLE, HOUSING (→ HOUSING), ELDERLY (no default)

Grids are axis-aligned squares around (22.70, 114.20) so point-in-grid is easy to reason about.
"""

from __future__ import annotations

from dataclasses import dataclass

from suqiu.directory.models import Category, Grid, Membership, Organisation, OrgKind, Role, User

PASSWORD = "test-pass-123"


def square(lat: float, lon: float, half: float = 0.005) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lon - half, lat - half],
                [lon + half, lat - half],
                [lon + half, lat + half],
                [lon - half, lat + half],
                [lon - half, lat - half],
            ]
        ],
    }


# Centres of the four grids; a point at a centre resolves to that grid.
G1_POINT = (22.700, 114.200)
G2_POINT = (22.700, 114.210)
G3_POINT = (22.710, 114.200)
G4_POINT = (22.720, 114.220)
OUTSIDE_POINT = (23.500, 113.000)


@dataclass
class World:
    district: Organisation
    centre: Organisation
    s1: Organisation
    s2: Organisation
    c1: Organisation
    c2: Organisation
    c3: Organisation
    housing: Organisation
    roads: Organisation
    sw_agency: Organisation
    vol_org: Organisation
    g1: Grid
    g2: Grid
    g3: Grid
    g4: Grid
    cat_road: Category
    cat_pothole: Category
    cat_housing: Category
    cat_elderly: Category
    resident: User
    resident2: User
    operator: User
    grid_worker: User
    community_worker: User
    community_worker_c3: User
    social_worker: User
    volunteer: User
    volunteer2: User
    handler: User
    handler2: User
    roads_handler: User
    dispatcher: User
    dispatcher2: User
    leader: User
    leader_s2: User
    admin: User


def _org(code, name, kind, parent=None):
    return Organisation.objects.create(code=code, name=name, name_en=code, kind=kind, parent=parent)


def _user(username, display, role=None, org=None, phone=""):
    user = User.objects.create_user(
        username=username, password=PASSWORD, display_name=display, phone=phone
    )
    if role:
        Membership.objects.create(user=user, role=role, organisation=org)
    return user


def build_world() -> World:
    d = _org("D", "测试区", OrgKind.DISTRICT)
    cc = _org("D-CC", "指挥中心", OrgKind.COMMAND_CENTRE, d)
    s1 = _org("S1", "一街道", OrgKind.STREET, d)
    s2 = _org("S2", "二街道", OrgKind.STREET, d)
    c1 = _org("C1", "一社区", OrgKind.COMMUNITY, s1)
    c2 = _org("C2", "二社区", OrgKind.COMMUNITY, s1)
    c3 = _org("C3", "三社区", OrgKind.COMMUNITY, s2)
    housing = _org("HOUSING", "住建局", OrgKind.DEPARTMENT, d)
    roads = _org("ROADS", "交通局", OrgKind.DEPARTMENT, d)
    sw = _org("SW", "社工站", OrgKind.SOCIAL_WORK_AGENCY, c1)
    vol = _org("VOL", "志愿者协会", OrgKind.SOCIAL_ORGANISATION, d)
    g1 = Grid.objects.create(code="G1", name="网格一", community=c1, boundary=square(*G1_POINT))
    g2 = Grid.objects.create(code="G2", name="网格二", community=c1, boundary=square(*G2_POINT))
    g3 = Grid.objects.create(code="G3", name="网格三", community=c2, boundary=square(*G3_POINT))
    g4 = Grid.objects.create(code="G4", name="网格四", community=c3, boundary=square(*G4_POINT))
    road = Category.objects.create(
        code="ROAD", name="道路", name_en="Roads", default_organisation=roads
    )
    pothole = Category.objects.create(
        code="ROAD.POTHOLE", name="坑洼", name_en="Pothole", parent=road, default_organisation=roads
    )
    hous = Category.objects.create(
        code="HOUSING", name="住房", name_en="Housing", default_organisation=housing
    )
    elderly = Category.objects.create(code="ELDERLY", name="养老", name_en="Elderly care")
    admin = _user("admin", "管理员")
    admin.is_superuser = True
    admin.is_staff = True
    admin.save()
    Membership.objects.create(user=admin, role=Role.ADMIN, organisation=d)
    return World(
        district=d,
        centre=cc,
        s1=s1,
        s2=s2,
        c1=c1,
        c2=c2,
        c3=c3,
        housing=housing,
        roads=roads,
        sw_agency=sw,
        vol_org=vol,
        g1=g1,
        g2=g2,
        g3=g3,
        g4=g4,
        cat_road=road,
        cat_pothole=pothole,
        cat_housing=hous,
        cat_elderly=elderly,
        resident=_user("resident", "张阿姨", phone="13812341234"),
        resident2=_user("resident2", "李先生", phone="13900001111"),
        operator=_user("operator", "受理员", Role.OPERATOR, cc),
        grid_worker=_user("gridworker", "网格员", Role.GRID_WORKER, c1),
        community_worker=_user("community", "社区工作者", Role.COMMUNITY_WORKER, c1),
        community_worker_c3=_user("community3", "三社区工作者", Role.COMMUNITY_WORKER, c3),
        social_worker=_user("socialworker", "社工", Role.SOCIAL_WORKER, sw),
        volunteer=_user("volunteer", "志愿者", Role.VOLUNTEER, vol),
        volunteer2=_user("volunteer2", "志愿者二", Role.VOLUNTEER, vol),
        handler=_user("handler", "住建经办", Role.DEPARTMENT_HANDLER, housing),
        handler2=_user("handler2", "住建经办二", Role.DEPARTMENT_HANDLER, housing),
        roads_handler=_user("roads", "交通经办", Role.DEPARTMENT_HANDLER, roads),
        dispatcher=_user("dispatcher", "派单员", Role.DISPATCHER, d),
        dispatcher2=_user("dispatcher2", "派单员二", Role.DISPATCHER, d),
        leader=_user("leader", "一街道领导", Role.LEADER, s1),
        leader_s2=_user("leader2", "二街道领导", Role.LEADER, s2),
        admin=admin,
    )
