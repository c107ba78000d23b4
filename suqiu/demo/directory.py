"""The demo directory: organisations, grids, categories, staff, residents and their memberships.

``build_directory`` writes it (an empty database is assumed) and returns a ``Directory``: the rows
plus the look-ups the appeal generator needs (who handles for which organisation, who works in
which community), so the generator never queries static data again.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from suqiu.demo import texts
from suqiu.demo.catalogue import CATEGORIES, KEYWORD_RULES, Sub, Top, handling_org
from suqiu.demo.people import DEMO_PASSWORD, DEMO_USERS
from suqiu.demo.places import COMMUNITIES, STREETS, CommunityInfo, GridInfo, build_grids
from suqiu.directory.access import Actor, actor_for
from suqiu.directory.models import Category, Grid, Membership, Organisation, OrgKind, Role, User
from suqiu.triage.models import KeywordRule

DISTRICT = ("PS", "坪山区", "Pingshan District")
COMMAND_CENTRE = ("PS-CC", "区民生诉求指挥中心", "Appeals Command Centre")

# code, name, English name, username stem for its handlers
DEPARTMENTS = (
    ("PS-HOUSING", "住建局", "Housing and Construction Bureau", "housing"),
    ("PS-TRANSPORT", "交通运输局", "Transport Bureau", "transport"),
    ("PS-URBAN", "城管局", "Urban Management Bureau", "urban"),
    ("PS-ECO", "生态环境局", "Ecology and Environment Bureau", "eco"),
    ("PS-WATER", "水务局", "Water Affairs Bureau", "water"),
    ("PS-EMERGENCY", "应急管理局", "Emergency Management Bureau", "emergency"),
    ("PS-HEALTH", "卫健局", "Health Commission", "health"),
    ("PS-CIVIL", "民政局", "Civil Affairs Bureau", "civil"),
    ("PS-HRSS", "人社局", "Human Resources and Social Security Bureau", "hrss"),
    ("PS-POLICE", "公安分局", "Public Security Sub-bureau", "police"),
)
# Social work stations, one per street (code, name, English name, street).
SOCIAL_WORK_AGENCIES = (
    ("PS-SW1", "龙田社工服务站", "Longtian Social Work Station", "PS-LT"),
    ("PS-SW2", "碧岭社工服务站", "Biling Social Work Station", "PS-BL"),
    ("PS-SW3", "坑梓社工服务站", "Kengzi Social Work Station", "PS-KZ"),
)
# code, name, English name, parent
SOCIAL_ORGANISATIONS = (
    ("PS-VOL", "坪山区志愿者联合会", "Pingshan Volunteers Federation", "PS"),
    ("PS-CHARITY", "坪山区慈善会", "Pingshan Charity Federation", "PS"),
    ("PS-LT-NEIGH", "龙田邻里互助会", "Longtian Neighbours' Mutual Aid Society", "PS-LT-C1"),
)
PARTY_BRANCHES = (
    ("PS-LT-C1-PB", "龙田社区党委", "Longtian Community Party Committee", "PS-LT-C1"),
    ("PS-BL-C1-PB", "碧岭社区党委", "Biling Community Party Committee", "PS-BL-C1"),
    ("PS-KZ-C1-PB", "坑梓社区党委", "Kengzi Community Party Committee", "PS-KZ-C1"),
    ("PS-HOUSING-PB", "住建局机关党支部", "Housing Bureau Party Branch", "PS-HOUSING"),
)
ENTERPRISES = (
    ("PS-ENT1", "深坪新能源汽车零部件有限公司", "Shenping New Energy Auto Parts Co.", "PS-KZ-C2"),
    ("PS-ENT2", "碧岭生物医药科技有限公司", "Biling Biopharma Technology Co.", "PS-BL-C2"),
    ("PS-ENT3", "龙田精密电子有限公司", "Longtian Precision Electronics Co.", "PS-LT-C2"),
    ("PS-ENT4", "金沙湾物业服务有限公司", "Jinshawan Property Services Co.", "PS-KZ-C1"),
)
RESIDENTS = 40
NAMES_SEED = 7  # staff and residents are the same people in every demo


@dataclass
class Directory:
    """The demo directory as the generator uses it. Users are referred to by username."""

    orgs: dict[str, Organisation]
    categories: dict[str, Category]
    subs: dict[str, tuple[Top, Sub]]
    communities: dict[str, CommunityInfo]
    grids: dict[str, tuple[GridInfo, Grid]]
    grids_by_community: dict[str, list[str]]
    users: dict[str, User]
    actors: dict[str, Actor] = field(default_factory=dict)
    handlers: dict[str, list[str]] = field(default_factory=dict)  # org code → usernames
    community_workers: dict[str, list[str]] = field(default_factory=dict)
    grid_workers: dict[str, list[str]] = field(default_factory=dict)  # community → usernames
    grid_coverage: dict[str, list[str]] = field(default_factory=dict)  # username → grid codes
    social_workers: dict[str, list[str]] = field(default_factory=dict)  # street → usernames
    agency_of_street: dict[str, str] = field(default_factory=dict)
    leaders: dict[str, list[str]] = field(default_factory=dict)  # street → usernames
    departments: list[str] = field(default_factory=list)  # department codes
    operators: list[str] = field(default_factory=list)
    dispatchers: list[str] = field(default_factory=list)
    volunteers: list[str] = field(default_factory=list)
    residents: list[str] = field(default_factory=list)
    org_of: dict[str, str] = field(default_factory=dict)  # staff username → organisation code
    resident_home: dict[str, tuple[str, str, str]] = field(
        default_factory=dict
    )  # community, place, bld

    def street_of(self, community: str | None) -> str | None:
        return self.communities[community].street if community else None

    def actor(self, username: str) -> Actor:
        return self.actors[username]


def _org(code, name, name_en, kind, parent=None) -> Organisation:
    org = Organisation(code=code, name=name, name_en=name_en, kind=kind, parent=parent)
    org.save()
    return org


def build_directory() -> Directory:
    """Write the demo directory and people; return the look-ups."""
    orgs: dict[str, Organisation] = {}
    district = orgs[DISTRICT[0]] = _org(*DISTRICT, OrgKind.DISTRICT)
    orgs[COMMAND_CENTRE[0]] = _org(*COMMAND_CENTRE, OrgKind.COMMAND_CENTRE, district)
    for code, name, name_en in STREETS:
        orgs[code] = _org(code, name, name_en, OrgKind.STREET, district)
    for c in COMMUNITIES:
        orgs[c.code] = _org(c.code, c.name, c.name_en, OrgKind.COMMUNITY, orgs[c.street])
    for code, name, name_en, _stem in DEPARTMENTS:
        orgs[code] = _org(code, name, name_en, OrgKind.DEPARTMENT, district)
    for code, name, name_en, street in SOCIAL_WORK_AGENCIES:
        orgs[code] = _org(code, name, name_en, OrgKind.SOCIAL_WORK_AGENCY, orgs[street])
    for code, name, name_en, parent in SOCIAL_ORGANISATIONS:
        orgs[code] = _org(code, name, name_en, OrgKind.SOCIAL_ORGANISATION, orgs[parent])
    for code, name, name_en, parent in PARTY_BRANCHES:
        orgs[code] = _org(code, name, name_en, OrgKind.PARTY_BRANCH, orgs[parent])
    for code, name, name_en, parent in ENTERPRISES:
        orgs[code] = _org(code, name, name_en, OrgKind.ENTERPRISE, orgs[parent])

    grids: dict[str, tuple[GridInfo, Grid]] = {}
    grids_by_community: dict[str, list[str]] = defaultdict(list)
    for info in build_grids():
        row = Grid(
            code=info.code, name=info.name, community=orgs[info.community], boundary=info.geojson
        )
        row.full_clean(exclude=["parent"])
        row.save()
        grids[info.code] = (info, row)
        grids_by_community[info.community].append(info.code)

    categories: dict[str, Category] = {}
    subs: dict[str, tuple[Top, Sub]] = {}
    for top in CATEGORIES:
        parent = Category(
            code=top.code,
            name=top.name,
            name_en=top.name_en,
            default_organisation=orgs[top.org] if top.org else None,
        )
        parent.save()
        categories[top.code] = parent
        for sub in top.subs:
            org_code = handling_org(top, sub)
            row = Category(
                code=sub.code,
                name=sub.name,
                name_en=sub.name_en,
                parent=parent,
                default_organisation=orgs[org_code] if org_code else None,
            )
            row.save()
            categories[sub.code] = row
            subs[sub.code] = (top, sub)
    # save(), not bulk_create: the running processes must hear of them.
    for code, words in KEYWORD_RULES.items():
        KeywordRule(category=categories[code], keywords="\n".join(words)).save()

    d = Directory(
        orgs=orgs,
        categories=categories,
        subs=subs,
        communities={c.code: c for c in COMMUNITIES},
        grids=grids,
        grids_by_community=dict(grids_by_community),
        users={},
        departments=[code for code, *_rest in DEPARTMENTS],
    )
    _build_people(d)
    return d


def _build_people(d: Directory) -> None:
    rng = random.Random(NAMES_SEED)
    password = make_password(DEMO_PASSWORD)  # hashed once: every demo account shares it
    people: list[tuple[User, str | None, str | None]] = []  # user, role, org code
    taken: set[str] = set()

    def add(username, display, role=None, org=None, phone=""):
        user = User(username=username, display_name=display, phone=phone, password=password)
        people.append((user, role, org))
        if org:
            d.org_of[username] = org
        taken.add(display)
        return username

    def name():
        while True:
            candidate = texts.person_name(rng)
            if candidate not in taken:
                return candidate

    for u in DEMO_USERS:
        add(
            u.username,
            u.display_name,
            None if u.role == "resident" else u.role,
            u.org_code,
            u.phone,
        )
    d.operators = ["operator"] + [
        add(f"operator{i}", name(), Role.OPERATOR, "PS-CC") for i in (2, 3)
    ]
    d.dispatchers = ["dispatcher", add("dispatcher2", name(), Role.DISPATCHER, "PS")]
    d.leaders = {"PS-LT": ["leader"]}
    for street, stem in (("PS-BL", "bl"), ("PS-KZ", "kz")):
        d.leaders[street] = [add(f"leader_{stem}", name(), Role.LEADER, street)]
    for c in COMMUNITIES:
        stem = c.code.removeprefix("PS-").replace("-C", "").lower()  # "PS-LT-C1" → "lt1"
        cws, gws = [], []
        if c.code == "PS-LT-C1":
            cws.append("community")
            gws.append("gridworker")
        cws.append(add(f"cw_{stem}", name(), Role.COMMUNITY_WORKER, c.code))
        gws.append(add(f"gw_{stem}", name(), Role.GRID_WORKER, c.code, texts.phone_number(rng)))
        d.community_workers[c.code] = cws
        d.grid_workers[c.code] = gws
        # Building coverage (包楼): the community's grids shared out among its grid workers.
        codes = d.grids_by_community[c.code]
        for i, gw in enumerate(gws):
            d.grid_coverage[gw] = [g for j, g in enumerate(codes) if j % len(gws) == i]
    for code, _name, _en, stem in DEPARTMENTS:
        staff = ["handler"] if code == "PS-HOUSING" else []
        while len(staff) < 2:
            staff.append(add(f"{stem}{len(staff) + 1}", name(), Role.DEPARTMENT_HANDLER, code))
        d.handlers[code] = staff
    for code, _name, _en, street in SOCIAL_WORK_AGENCIES:
        staff = ["socialworker"] if code == "PS-SW1" else []
        staff.append(add(f"sw{code[-1]}_{len(staff) + 1}", name(), Role.SOCIAL_WORKER, code))
        d.social_workers[street] = staff
        d.handlers[code] = staff
        d.agency_of_street[street] = code
    d.volunteers = ["volunteer"]
    for i, org in ((2, "PS-VOL"), (3, "PS-VOL"), (4, "PS-LT-NEIGH"), (5, "PS-CHARITY")):
        d.volunteers.append(
            add(f"volunteer{i}", name(), Role.VOLUNTEER, org, texts.phone_number(rng))
        )
    for c in COMMUNITIES:
        d.handlers[c.code] = d.community_workers[c.code]

    # Residents: the demo resident plus forty more, each with a home in one community.
    d.residents = ["resident"]
    d.resident_home["resident"] = ("PS-LT-C1", "龙田新村", "12栋")
    weights = [3 if c.code == "PS-LT-C1" else 1 for c in COMMUNITIES]
    for i in range(1, RESIDENTS + 1):
        username = add(f"resident{i:02d}", name(), phone=texts.phone_number(rng))
        d.residents.append(username)
        home = rng.choices(COMMUNITIES, weights)[0]
        homes = [p for p in home.places if p.endswith(texts.HOME_SUFFIXES)]
        d.resident_home[username] = (home.code, rng.choice(homes), f"{rng.randint(1, 20)}栋")

    users = User.objects.bulk_create([p[0] for p in people])
    admin = next(u for u in users if u.username == "admin")
    admin.is_superuser = admin.is_staff = True
    admin.save(update_fields=["is_superuser", "is_staff"])
    memberships = [
        Membership(user=user, role=role, organisation=d.orgs[org] if org else None)
        for user, role, org in people
        if role
    ]
    Membership.objects.bulk_create(memberships)
    by_user = {m.user.username: m for m in memberships if m.role == Role.GRID_WORKER}
    for username, codes in d.grid_coverage.items():
        by_user[username].grids.set([d.grids[c][1] for c in codes])
    d.users = {u.username: u for u in User.objects.all()}
    d.actors = {username: actor_for(user) for username, user in d.users.items()}
