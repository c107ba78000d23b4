"""Plans for the demo appeals: who does what to each appeal, and when. Pure Python, no writes.

Each appeal gets a ``Spec`` (where, what, which channel, who reported it, where it should end up
and which detours it takes: a return, a rework, an unsatisfied revisit, an extension, a
suspension) and from it a ``Plan``: the intake and then every work-chain action with its actor,
payload and time. ``generate.py`` replays all plans' steps in global time order through the real
services.

Times: intake follows the hours people call and write (day peaks, a quieter night and weekend);
staff steps fall mostly in working hours, emergencies at any hour and fast. An appeal's final
status fits its age — what came in an hour ago is still ``received``, most of what came in
weeks ago is ``closed``. If a timeline would run past "now" it is compressed to fit.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from suqiu.appeals import workflow
from suqiu.appeals.services import AppealInput
from suqiu.appeals.workflow import Action, Status
from suqiu.demo import texts
from suqiu.demo.catalogue import SENSOR_EVENTS, Sub, Top, handling_org
from suqiu.demo.directory import Directory
from suqiu.demo.places import CommunityInfo, GridInfo

S = Status
SYSTEM = "@system"
ANONYMOUS = "@anonymous"

# Shares of final statuses (the rest are closed).
FINAL_SHARES = {
    S.RECEIVED: 0.04,
    S.ASSESSED: 0.02,
    S.QUEUED: 0.03,
    S.DISPATCHED: 0.04,
    S.IN_PROGRESS: 0.08,
    S.RESOLVED: 0.045,
    S.VERIFIED: 0.035,
    S.SUSPENDED: 0.012,
    S.REJECTED: 0.04,
    S.MERGED: 0.03,
}
CHANNEL_WEIGHTS = {
    "phone": 30,
    "web": 24,
    "grid_patrol": 13,
    "api": 8,
    "service_station": 6,
    "walk_in": 5,
    "sensor": 4,
    "import": 4,
    "open311": 3,
    "enterprise_desk": 3,
}
CLIENT_NAMES = {"api": "i坪山 App", "open311": "深圳12345 Open311", "import": "12345历史工单"}
# Sub-categories that are hot in some communities: a hotspot map worth discovering.
HOTSPOTS = {
    "PS-KZ-C1": {"ROAD.MUCK": 4, "HOUSING.SITE": 2},
    "PS-KZ-C2": {"ROAD.MUCK": 3, "LABOUR.WAGES": 3, "ENV.AIR": 2},
    "PS-BL-C2": {"ENV.AIR": 3, "ENV.RIVER": 3},
    "PS-LT-C1": {"ENV.NOISE": 2, "COMMUNITY.HOUSING_HELP": 3, "CIVIL.ELDERLY": 2},
    "PS-LT-C2": {"WATER.FLOOD": 3, "SAFETY.FIRE": 2},
    "PS-BL-C3": {"SAFETY.SLOPE": 3},
}
# The community the demo community worker, grid worker and leader look after gets a larger share.
DEMO_COMMUNITY = "PS-LT-C1"

# Step delays in minutes: (shortest, longest, when) — "office": working hours, "shift": the
# command centre's long day, "any": any hour. Sampled log-uniformly, shortened for urgency.
DELAYS = {
    Action.ASSESS: (8, 300, "shift"),
    Action.REJECT: (5, 240, "shift"),
    Action.MERGE: (5, 180, "shift"),
    Action.QUEUE: (2, 90, "shift"),
    Action.DISPATCH: (3, 180, "shift"),
    Action.ACCEPT: (15, 1500, "office"),
    Action.RETURN: (60, 1800, "office"),
    Action.CLAIM: (90, 4000, "any"),
    Action.NOTE: (60, 2900, "office"),
    Action.REQUEST_RESOURCES: (120, 2900, "office"),
    Action.REQUEST_EXTENSION: (600, 4300, "office"),
    Action.APPROVE_EXTENSION: (30, 600, "shift"),
    Action.DENY_EXTENSION: (30, 600, "shift"),
    Action.RESOLVE: (180, 8000, "office"),
    Action.VERIFY: (40, 2900, "office"),
    Action.SEND_BACK: (40, 2900, "office"),
    Action.REVISIT: (240, 4300, "shift"),
    Action.SUSPEND: (1440, 7200, "office"),
    Action.RESUME: (4320, 20000, "office"),
}
URGENCY_FACTOR = {"normal": 1.0, "urgent": 0.35, "emergency": 0.05, "fast": 0.01}
# Intake hours (0-23): a 24-hour hotline and a web form, busiest mid-morning and afternoon.
INTAKE_HOURS = (0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 3, 6, 6, 5.5, 3, 3, 5, 5.5, 5, 4.5, 3, 3.5, 4, 3.5, 2, 1)  # fmt: skip
PATROL_HOURS = {9: 3, 10: 4, 11: 3, 14: 3, 15: 4, 16: 3, 17: 1}


@dataclass
class Step:
    at: datetime
    actor: str  # username, SYSTEM or ANONYMOUS
    action: str  # "create" or a workflow action
    payload: dict[str, Any]
    status: Status  # where the step leaves the appeal


@dataclass
class Plan:
    """One appeal's intake and actions. ``appeal_id`` is filled in when the intake runs."""

    key: int
    data: AppealInput
    steps: list[Step]
    tag: str = ""
    appeal_id: int | None = None
    failed: str = ""
    # where the appeal is, for choosing merge targets
    community: str | None = None
    sub: str = ""

    @property
    def final(self) -> Status:
        return self.steps[-1].status

    def open_until(self, now: datetime) -> datetime:
        """Until when the appeal is open (not closed, rejected or merged)."""
        for step in self.steps:
            if step.status in workflow.TERMINAL:
                return step.at
        return now


@dataclass
class Spec:
    """What one appeal is about and where its story should go."""

    final: Status
    top: Top
    sub: Sub
    channel: str
    urgency: str
    community: CommunityInfo | None
    grid: GridInfo | None
    point: tuple[float, float] | None
    slots: texts.Slots
    created: datetime
    reporter: str | None = None  # username of a resident reporting in person (web, API)
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    address_only: bool = False
    category_at_intake: bool = True
    template: int = 0
    # the route
    claim: bool = False
    claimer: str | None = None
    lead: str | None = None  # organisation code
    handler: str | None = None
    co: list[str] = field(default_factory=list)
    wrong_lead: str | None = None  # dispatched here first, then returned
    queue_first: bool = False
    reject_early: bool = False
    sendback: bool = False
    unsatisfied: bool = False
    extension: str | None = None  # "approved", "denied", "pending"
    suspend_resume: bool = False
    upgrade: bool = False  # assessment raises the urgency
    satisfaction: int | None = None
    fast: bool = False  # a story told in minutes (the manhole cover replaced in under two hours)
    who: dict[str, str] = field(default_factory=dict)  # fixed people: assessor, verifier, ...
    tag: str = ""


class Planner:
    """Draws specs and turns them into plans, deterministically for a seed."""

    def __init__(self, d: Directory, *, rng: random.Random, now: datetime, days: int, tz):
        self.d = d
        self.rng = rng
        # Place → the one grid it lies in: each community's places dealt out over its grids.
        self.place_grids = {
            code: {p: grids[i % len(grids)] for i, p in enumerate(d.communities[code].places)}
            for code, grids in d.grids_by_community.items()
        }
        self.now = now
        self.days = days
        self.tz = tz
        self.subs = list(d.subs.values())
        self.community_list = list(d.communities.values())
        self.storm = (
            (now - timedelta(days=max(1, round(days * 0.35))))
            .astimezone(tz)
            .replace(hour=14, minute=0, second=0, microsecond=0)
        )

    # --- random choices -------------------------------------------------------------------

    def pick_community(self) -> CommunityInfo:
        weights = [4 if c.code == DEMO_COMMUNITY else 1.3 for c in self.community_list]
        return self.rng.choices(self.community_list, weights)[0]

    def pick_sub(
        self,
        community: CommunityInfo | None,
        *,
        channel: str = "phone",
        claimable: bool | None = None,
    ) -> tuple[Top, Sub]:
        hot = HOTSPOTS.get(community.code, {}) if community else {}
        pool, weights = [], []
        for top, sub in self.subs:
            if claimable is not None and sub.claimable != claimable:
                continue
            if channel == "grid_patrol" and not sub.patrol:
                continue
            if channel == "enterprise_desk" and not sub.enterprise:
                continue
            pool.append((top, sub))
            weights.append(sub.weight * hot.get(sub.code, 1))
        return self.rng.choices(pool, weights)[0]

    def pick_urgency(self, sub: Sub) -> str:
        r = self.rng.random()
        if r < sub.emergency:
            return "emergency"
        if r < sub.emergency + sub.urgent:
            return "urgent"
        return "normal"

    def delay(self, action: Action, urgency: str, t: datetime, pace: float = 1.0) -> datetime:
        lo, hi, when = DELAYS[action]
        factor = URGENCY_FACTOR[urgency] * pace
        minutes = lo * (hi / lo) ** self.rng.random() * factor
        out = t + timedelta(minutes=max(1.0, minutes))
        if urgency in ("emergency", "fast") or when == "any":
            return out
        return self.snap(out, when)

    def snap(self, t: datetime, when: str) -> datetime:
        """Move ``t`` into working time: office hours on workdays (now and then a weekend), or
        the command centre's day shift."""
        local = t.astimezone(self.tz)
        if when == "shift":
            if 7 <= local.hour < 23:
                return t
            day = local.date() if local.hour < 7 else local.date() + timedelta(days=1)
            start = datetime.combine(day, time(7, 30), self.tz)
            return start + timedelta(minutes=self.rng.uniform(0, 90))
        day = local.date()
        opens = datetime.combine(day, time(8, 30), self.tz)
        closes = datetime.combine(day, time(18, 0), self.tz)
        if local.weekday() < 5 and opens <= local < closes:
            return t
        if local.weekday() >= 5 and 9 <= local.hour < 17 and self.rng.random() < 0.15:
            return t  # weekend duty
        if local >= closes:
            day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return datetime.combine(day, time(8, 30), self.tz) + timedelta(
            minutes=self.rng.uniform(0, 120)
        )

    def intake_time(self, lo_hours: float, hi_hours: float, channel: str) -> datetime:
        """A plausible intake moment between ``lo_hours`` and ``hi_hours`` ago."""
        hi_hours = min(hi_hours, self.days * 24 - 1)
        lo_hours = min(lo_hours, hi_hours)
        for _ in range(30):
            age = self.rng.uniform(lo_hours, hi_hours)
            local = (self.now - timedelta(hours=age)).astimezone(self.tz)
            if channel == "sensor":
                moment = local
            else:
                if local.weekday() >= 5 and self.rng.random() < (
                    0.8 if channel == "grid_patrol" else 0.3
                ):
                    continue
                table = PATROL_HOURS if channel == "grid_patrol" else dict(enumerate(INTAKE_HOURS))
                hour = self.rng.choices(list(table), list(table.values()))[0]
                moment = local.replace(
                    hour=hour, minute=self.rng.randrange(60), second=self.rng.randrange(60)
                )
            if (
                self.now - timedelta(hours=hi_hours)
                <= moment
                <= self.now - timedelta(hours=lo_hours)
            ):
                return moment
        return self.now - timedelta(hours=self.rng.uniform(lo_hours, hi_hours))

    # --- specs ----------------------------------------------------------------------------

    def draw_intake(self) -> tuple[str, datetime]:
        """A channel and an intake moment, anywhere in the window: the daily volume is even."""
        channel = self.rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
        return channel, self.intake_time(0.1, self.days * 24.0, channel)

    def random_spec(
        self, final: Status, *, channel: str | None = None, created: datetime | None = None
    ) -> Spec:
        rng = self.rng
        if channel is None:
            channel, created = self.draw_intake()
        claim = False
        if final == S.QUEUED and rng.random() < 0.5:
            claim = True
        if (
            channel == "sensor"
            and final in (S.QUEUED, S.MERGED)
            or (claim and channel in ("sensor", "grid_patrol", "enterprise_desk"))
        ):
            channel = "phone"
        community = self.pick_community()
        storm = (
            final in (S.CLOSED, S.REJECTED)
            and channel in ("phone", "web", "grid_patrol", "sensor")
            and rng.random() < 0.04
        )
        if channel == "sensor":
            sub_code, _label, _text = rng.choice(SENSOR_EVENTS)
            top, sub = self.d.subs[sub_code]
        elif storm:
            top, sub = self.d.subs[
                rng.choice(("WATER.FLOOD", "WATER.FLOOD", "SAFETY.SLOPE", "CITY.GREEN"))
            ]
        else:
            top, sub = self.pick_sub(community, channel=channel, claimable=True if claim else None)
            if sub.claimable and final not in (S.RECEIVED, S.ASSESSED, S.REJECTED, S.MERGED):
                claim = claim or (
                    final != S.DISPATCHED and channel != "grid_patrol" and rng.random() < 0.45
                )
        urgency = self.pick_urgency(sub)
        if channel == "sensor":
            urgency = rng.choice(("urgent", "urgent", "emergency"))
        if storm:
            urgency = rng.choice(("urgent", "emergency"))
        spec = self._located_spec(
            final, top, sub, channel, urgency, community, claim, created=created
        )
        if storm:
            spec.created = self.storm + timedelta(minutes=rng.uniform(0, 360))
        return spec

    def _located_spec(
        self,
        final: Status,
        top: Top,
        sub: Sub,
        channel: str,
        urgency: str,
        community: CommunityInfo | None,
        claim: bool,
        *,
        created: datetime,
        reporter: str | None = None,
        force_point: bool = False,
        template: int | None = None,
    ) -> Spec:
        rng = self.rng
        d = self.d
        grid = point = None
        address_only = False
        if reporter is None and channel in ("web", "api") and rng.random() < 0.75:
            reporter = rng.choice(d.residents[1:])
        if reporter is not None and community is not None and rng.random() < 0.7:
            community = d.communities[d.resident_home[reporter][0]]
        if channel == "grid_patrol" and community is not None:
            worker = rng.choice(d.grid_workers[community.code])
            grid_code = rng.choice(d.grid_coverage[worker])
        elif community is not None:
            grid_code = rng.choice(d.grids_by_community[community.code])
        else:
            grid_code = None
        r = 1.0 if force_point else rng.random()
        # A located appeal's point is drawn once the place its text names is known (below).
        located = community is not None and (channel in ("sensor", "grid_patrol") or r > 0.05)
        if not located and community is not None and r > 0.01:
            address_only = True
        elif not located:
            community = None
        if template is None:
            template = rng.randrange(len(sub.details))
        wording = sub.details[template] + sub.titles[template % len(sub.titles)]
        if top.code in ("LABOUR", "ENTERPRISE"):
            kind = "industry"
        elif "{bld}" in wording:
            kind = "home"
        else:
            kind = "any"
        slots = texts.Slots.draw(rng, community, kind)
        if reporter is not None and community is not None and rng.random() < 0.6:
            home = d.resident_home[reporter]
            if home[0] == community.code:
                slots.place, slots.bld = home[1], home[2]
        if located:
            grid_code = self._place_grid(community, slots, grid_code, channel == "grid_patrol")
            grid, point = self._point_in(grid_code)
        spec = Spec(
            final=final,
            top=top,
            sub=sub,
            channel=channel,
            urgency=urgency,
            community=community,
            grid=grid,
            point=point,
            slots=slots,
            created=created,
            reporter=reporter,
            address_only=address_only,
            claim=claim,
            template=template,
        )
        self._people(spec)
        self._route(spec)
        return spec

    def _place_grid(
        self, community: CommunityInfo, slots: texts.Slots, grid_code: str, patrol: bool
    ) -> str:
        """The grid an appeal's point falls in: the grid of the place its text names, as a
        real estate or market lies in one grid. A patrol's grid is the grid worker's own, so its
        text names a place of that grid instead (when the grid has one)."""
        home = self.place_grids[community.code]
        if not patrol:
            return home.get(slots.place, grid_code)
        here = [p for p, g in home.items() if g == grid_code]
        if here and slots.place not in here:
            new = self.rng.choice(here)
            slots.spot = slots.spot.replace(slots.place, new)
            slots.place = new
        return grid_code

    def rehome(self, spec: Spec) -> None:
        """After a story names another place: the point moves to that place's grid."""
        if spec.grid is None or spec.community is None or spec.channel == "grid_patrol":
            return
        code = self._place_grid(spec.community, spec.slots, spec.grid.code, False)
        if code != spec.grid.code:
            spec.grid, spec.point = self._point_in(code)

    def _point_in(self, grid_code: str):
        """(grid, a random point well inside it)."""
        grid = self.d.grids[grid_code][0]
        return grid, grid.point(self.rng.uniform(0.08, 0.92), self.rng.uniform(0.08, 0.92))

    def _people(self, spec: Spec) -> None:
        rng = self.rng
        if spec.reporter is not None:
            return
        if spec.channel in ("phone", "walk_in", "service_station", "import", "enterprise_desk"):
            spec.reporter_name = texts.caller_name(rng)
            spec.reporter_phone = texts.phone_number(rng)
            if spec.channel == "enterprise_desk":
                spec.reporter_name = texts.person_name(rng) + "（企业联系人）"
        elif spec.channel in ("web", "open311"):
            if rng.random() < 0.25:
                spec.anonymous = True
            else:
                spec.reporter_name = texts.person_name(rng)
                spec.reporter_phone = texts.phone_number(rng)
        spec.category_at_intake = spec.channel in (
            "grid_patrol",
            "sensor",
            "enterprise_desk",
        ) or rng.random() < (0.8 if spec.channel in ("phone", "walk_in", "import") else 0.5)

    def _route(self, spec: Spec) -> None:
        """Who leads, who handles, and which detours the story takes."""
        rng = self.rng
        d = self.d
        street = spec.community.street if spec.community else "PS-LT"
        community_code = spec.community.code if spec.community else None
        lead = handling_org(spec.top, spec.sub)
        if spec.claim:
            pool = d.social_workers[street] + d.volunteers
            weights = [1.5] * len(d.social_workers[street]) + [
                3 if v == "volunteer" else 1 for v in d.volunteers
            ]
            spec.claimer = rng.choices(pool, weights)[0]
        elif spec.sub.claimable and rng.random() < 0.4:
            lead = d.agency_of_street[street]
        if lead is None:
            lead = community_code or d.agency_of_street[street]
        spec.lead = lead
        staff = d.handlers[lead]
        weights = [4 if u in ("handler", "community", "socialworker") else 1 for u in staff]
        spec.handler = rng.choices(staff, weights)[0]
        if lead in d.departments and rng.random() < 0.12:
            others = [c for c in ("PS-URBAN", "PS-POLICE", "PS-HOUSING") if c != lead]
            if community_code and community_code != lead:
                others.append(community_code)
            spec.co = [rng.choice(others)]
        final = spec.final
        reaches_work = final in (S.IN_PROGRESS, S.RESOLVED, S.VERIFIED, S.CLOSED, S.SUSPENDED)
        spec.queue_first = not spec.claim and rng.random() < 0.06
        spec.reject_early = final == S.REJECTED and rng.random() < 0.5
        if (
            not spec.claim
            and final in (S.DISPATCHED, S.IN_PROGRESS, S.CLOSED)
            and rng.random() < 0.05
        ):
            spec.wrong_lead = rng.choice([c for c in d.departments if c != lead])
        if final in (S.VERIFIED, S.CLOSED) and rng.random() < 0.08:
            spec.sendback = True
        if final == S.CLOSED and rng.random() < 0.06:
            spec.unsatisfied = True
        if final == S.IN_PROGRESS and rng.random() < 0.2:
            spec.sendback = rng.random() < 0.5
            spec.unsatisfied = not spec.sendback
        if reaches_work and not spec.claim and rng.random() < 0.1:
            spec.extension = rng.choices(("approved", "denied"), (0.65, 0.35))[0]
        if final == S.IN_PROGRESS and not spec.claim and rng.random() < 0.2:
            spec.extension = "pending"
            spec.sendback = spec.unsatisfied = False
        if final == S.CLOSED and rng.random() < 0.03:
            spec.suspend_resume = True
        spec.upgrade = spec.urgency == "normal" and rng.random() < 0.04

    # --- texts ----------------------------------------------------------------------------

    def intake_texts(self, spec: Spec) -> tuple[str, str]:
        rng = self.rng
        slots = spec.slots
        if spec.channel == "sensor":
            for code, label, template in SENSOR_EVENTS:
                if code == spec.sub.code:
                    local = spec.created.astimezone(self.tz)
                    description = slots.fill(
                        template,
                        depth=rng.randint(8, 45),
                        minutes=rng.randint(10, 50),
                        clock=f"{local:%H:%M}",
                        hours=rng.randint(24, 40),
                    )
                    title = f"{label}告警：{slots.place if code != 'WATER.FLOOD' else slots.road}"
                    return title, description
        idx = spec.template
        title = slots.fill(spec.sub.titles[idx % len(spec.sub.titles)])
        body = slots.fill(spec.sub.details[idx])
        if spec.final == S.MERGED:
            body = rng.choice(texts.DUPLICATE_FRAMES).format(body=body)
        prefix = rng.choice(texts.CHANNEL_PREFIX.get(spec.channel, ("",)))
        suffix = rng.choice(texts.CHANNEL_SUFFIX.get(spec.channel, ("",)))
        return title[:120], f"{prefix}{body}{suffix}"

    def location(self, spec: Spec) -> str:
        """Where the description says the problem is: a building, a spot, a crossing, a road."""
        slots = spec.slots
        template = spec.sub.details[spec.template]
        if spec.channel == "sensor":
            template = "{road}" if spec.sub.code in ("WATER.FLOOD", "CITY.MANHOLE") else "{place}"
        if "{spot}" in template:
            return slots.spot
        if "{place}" in template:
            return slots.place + (slots.bld if "{bld}" in template else "")
        if "{cross}" in template:
            return slots.cross
        if "{road}" in template:
            return slots.road
        return slots.place

    def address(self, spec: Spec) -> str:
        community = spec.community
        area = (
            f"坪山区{self.d.orgs[community.street].name}{community.name}"
            if community is not None
            else "坪山区"
        )
        return area + self.location(spec)

    def reply(self, spec: Spec, org_name: str) -> str:
        # The fixes are written in step with the descriptions: the n-th fix answers the n-th text.
        fix = spec.slots.fill(spec.sub.fixes[spec.template % len(spec.sub.fixes)])
        template = self.rng.choice(texts.REPLIES)
        return spec.slots.fill(
            template, topic=spec.sub.name, org=org_name, fix=fix, where=self.location(spec)
        )

    def pick(self, pool, **extra) -> str:
        return texts.Slots.fill(
            self._blank, self.rng.choice(pool), day=self.rng.choice(texts.DAYS), **extra
        )

    _blank = texts.Slots("", "", "", "", "", "", 3, 75, 6)

    # --- people for steps -------------------------------------------------------------------

    def assessor(self, spec: Spec) -> str:
        d, rng = self.d, self.rng
        if "assessor" in spec.who:
            return spec.who["assessor"]
        if spec.community is not None:
            if spec.sub.claimable and rng.random() < 0.6:
                return rng.choice(d.social_workers[spec.community.street])
            if rng.random() < 0.2:
                return rng.choice(d.community_workers[spec.community.code])
        return rng.choices(d.dispatchers, (0.65, 0.35))[0]

    def supervisor(self, spec: Spec) -> str:
        if "supervisor" in spec.who:
            return spec.who["supervisor"]
        if spec.community is not None and self.rng.random() < 0.35:
            return self.d.leaders[spec.community.street][0]
        return self.rng.choices(self.d.dispatchers, (0.65, 0.35))[0]

    def verifier(self, spec: Spec, resolver: str) -> str:
        if spec.who.get("verifier", resolver) != resolver:
            return spec.who["verifier"]
        pool = list(self.d.dispatchers)
        if spec.community is not None:
            pool += self.d.community_workers[spec.community.code] * 2
        pool = [u for u in pool if u != resolver]
        return self.rng.choice(pool)

    def reviser(self, spec: Spec) -> str:
        rng = self.rng
        if "reviser" in spec.who:
            return spec.who["reviser"]
        if spec.reporter is not None and rng.random() < 0.6:
            return spec.reporter
        if spec.reporter_phone or spec.reporter:
            return rng.choices(self.d.operators, (0.5, 0.25, 0.25))[0]
        if spec.community is not None:
            return rng.choice(
                self.d.grid_workers[spec.community.code]
                + self.d.community_workers[spec.community.code]
            )
        return rng.choice(self.d.operators)

    def intake_actor(self, spec: Spec) -> str:
        rng, d = self.rng, self.d
        ch = spec.channel
        if spec.reporter is not None:
            return spec.reporter
        if ch == "sensor":
            return SYSTEM
        if ch in ("web", "open311"):
            return ANONYMOUS
        if ch == "grid_patrol" and spec.community is not None:
            if spec.grid is not None:
                for worker in d.grid_workers[spec.community.code]:
                    if spec.grid.code in d.grid_coverage[worker]:
                        return worker
            return d.grid_workers[spec.community.code][0]
        if ch in ("walk_in", "service_station") and spec.community is not None:
            return rng.choice(d.community_workers[spec.community.code])
        if ch == "enterprise_desk" and spec.community is not None and rng.random() < 0.5:
            return rng.choice(d.community_workers[spec.community.code])
        return rng.choices(d.operators, (0.5, 0.25, 0.25))[0]

    # --- plans ----------------------------------------------------------------------------

    def plan(self, key: int, spec: Spec, *, merge_into: Plan | None = None) -> Plan:
        title, description = self.intake_texts(spec)
        community = spec.community
        data = AppealInput(
            title=title,
            description=description,
            channel=spec.channel,
            lat=spec.point[0] if spec.point else None,
            lon=spec.point[1] if spec.point else None,
            address=self.address(spec),
            category=self.d.categories[spec.sub.code].pk if spec.category_at_intake else None,
            urgency=spec.urgency,
            reporter_name="" if spec.reporter else spec.reporter_name,
            reporter_phone="" if spec.reporter else spec.reporter_phone,
            is_anonymous=spec.anonymous,
            area=self.d.orgs[community.code].pk if spec.address_only and community else None,
            client_name=CLIENT_NAMES.get(spec.channel, ""),
        )
        if spec.channel == "sensor":
            data.client_name = next(
                label for code, label, _t in SENSOR_EVENTS if code == spec.sub.code
            )
        intake_actor = self.intake_actor(spec)
        # A story that would run past now is told again at a quicker pace; only if that fails
        # too is it squeezed into the time left.
        for attempt in range(4):
            b = _Builder(self, spec, pace=0.5**attempt)
            b.add_create(intake_actor)
            self._story(b, spec, merge_into)
            if b.steps[-1].at <= self.now - timedelta(minutes=2):
                break
        b.fit(self.now)
        return Plan(
            key=key,
            data=data,
            steps=b.steps,
            tag=spec.tag,
            community=community.code if community else None,
            sub=spec.sub.code,
        )

    def _story(self, b: _Builder, spec: Spec, merge_into: Plan | None) -> None:
        rng = self.rng
        final = spec.final
        # Who answers the reporter: the lead organisation, or the claimer's own organisation.
        answering = self.d.org_of[spec.claimer] if spec.claim else spec.lead
        org_name = self.d.orgs[answering].name if answering else ""
        if final == S.RECEIVED:
            return
        assessor = self.assessor(spec)
        if final == S.MERGED:
            if rng.random() < 0.5:
                b.act(assessor, Action.ASSESS, self._assess_payload(spec, org_name))
            b.act(
                assessor,
                Action.MERGE,
                {"into": MergeTarget(merge_into.key), "reason": self.pick(texts.MERGE_REASONS)},
            )
            return
        if final == S.REJECTED and spec.reject_early:
            b.act(assessor, Action.REJECT, {"reason": self.pick(texts.REJECT_REASONS)})
            return
        b.act(assessor, Action.ASSESS, self._assess_payload(spec, org_name))
        if final == S.ASSESSED:
            return
        if final == S.REJECTED:
            b.act(assessor, Action.REJECT, {"reason": self.pick(texts.REJECT_REASONS)})
            return
        if spec.claim:
            b.act(
                assessor,
                Action.QUEUE,
                {"claimable": True, "note": self.pick(texts.CLAIMABLE_NOTES)},
            )
            if final == S.QUEUED:
                return
            b.act(spec.claimer, Action.CLAIM, {"note": self.pick(texts.CLAIM_NOTES)})
            resolver = spec.claimer
        else:
            if spec.queue_first or final == S.QUEUED:
                b.act(
                    assessor,
                    Action.QUEUE,
                    {"claimable": False, "note": self.pick(texts.QUEUE_NOTES)},
                )
            if final == S.QUEUED:
                return
            if spec.wrong_lead:
                b.act(assessor, Action.DISPATCH, self._dispatch_payload(spec.wrong_lead, []))
                wrong_handler = self.rng.choice(self.d.handlers[spec.wrong_lead])
                if rng.random() < 0.4:
                    b.act(wrong_handler, Action.ACCEPT, {"note": self.pick(texts.ACCEPT_NOTES)})
                b.act(
                    wrong_handler,
                    Action.RETURN,
                    {"reason": self.pick(texts.RETURN_REASONS, right=org_name)},
                )
            b.act(assessor, Action.DISPATCH, self._dispatch_payload(spec.lead, spec.co))
            if final == S.DISPATCHED:
                return
            b.act(spec.handler, Action.ACCEPT, {"note": self.pick(texts.ACCEPT_NOTES)})
            resolver = spec.handler
        self._work(b, spec, resolver, org_name)

    def _work(self, b: _Builder, spec: Spec, resolver: str, org_name: str) -> None:
        rng = self.rng
        final = spec.final
        for _ in range(rng.choice((0, 0, 0, 0, 1, 1, 2))):
            b.act(resolver, Action.NOTE, self._note_payload())
        if spec.claim or spec.sub.claimable:
            if rng.random() < 0.5:
                text, resources = rng.choice(texts.RESOURCE_REQUESTS)
                b.act(resolver, Action.REQUEST_RESOURCES, {"text": text, "resources": resources})
        if final == S.SUSPENDED:
            b.act(
                self.supervisor(spec), Action.SUSPEND, {"reason": self.pick(texts.SUSPEND_REASONS)}
            )
            return
        if spec.extension:
            b.act(
                resolver,
                Action.REQUEST_EXTENSION,
                {
                    "days": rng.choice((3, 5, 7, 10, 15)),
                    "reason": self.pick(texts.EXTENSION_REASONS, n=rng.choice((5, 7, 10))),
                },
            )
            if spec.extension == "pending":
                return
            if spec.extension == "approved":
                b.act(
                    self.supervisor(spec),
                    Action.APPROVE_EXTENSION,
                    {"note": self.pick(texts.APPROVE_NOTES)},
                )
            else:
                b.act(
                    self.supervisor(spec),
                    Action.DENY_EXTENSION,
                    {"reason": self.pick(texts.DENY_REASONS)},
                )
        if spec.suspend_resume:
            boss = self.supervisor(spec)
            b.act(boss, Action.SUSPEND, {"reason": self.pick(texts.SUSPEND_REASONS)})
            b.act(boss, Action.RESUME, {"reason": self.pick(texts.RESUME_REASONS)})
        if final == S.IN_PROGRESS and not (spec.sendback or spec.unsatisfied):
            return
        b.act(resolver, Action.RESOLVE, self._resolve_payload(spec, org_name))
        if spec.sendback:
            verifier = self.verifier(spec, resolver)
            b.act(verifier, Action.SEND_BACK, {"reason": self.pick(texts.SEND_BACK_REASONS)})
            if final == S.IN_PROGRESS:
                return
            b.act(resolver, Action.NOTE, self._note_payload())
            b.act(resolver, Action.RESOLVE, self._resolve_payload(spec, org_name))
        if final == S.RESOLVED:
            return
        b.act(self.verifier(spec, resolver), Action.VERIFY, {"note": self.pick(texts.VERIFY_NOTES)})
        if final == S.VERIFIED:
            return
        reviser = self.reviser(spec)
        if spec.unsatisfied:
            b.act(
                reviser,
                Action.REVISIT,
                {
                    "satisfaction": rng.choice((1, 2)),
                    "was_resolved": False,
                    "comment": self.pick(texts.UNSATISFIED_COMMENTS),
                },
                status=S.IN_PROGRESS,
            )
            if final == S.IN_PROGRESS:
                return
            b.act(resolver, Action.NOTE, self._note_payload())
            b.act(resolver, Action.RESOLVE, self._resolve_payload(spec, org_name))
            b.act(
                self.verifier(spec, resolver),
                Action.VERIFY,
                {"note": self.pick(texts.VERIFY_NOTES)},
            )
            reviser = self.reviser(spec)
        score = spec.satisfaction or rng.choices((5, 4, 3), (0.68, 0.22, 0.10))[0]
        comments = texts.SATISFIED_COMMENTS if score >= 4 else texts.OK_COMMENTS
        b.act(
            reviser,
            Action.REVISIT,
            {"satisfaction": score, "was_resolved": True, "comment": self.pick(comments)},
            status=S.CLOSED,
        )

    def _assess_payload(self, spec: Spec, org_name: str) -> dict:
        urgency = spec.urgency
        note = self.pick(texts.ASSESS_NOTES, topic=spec.sub.name, org=org_name or "社区")
        if spec.claim:
            note = self.pick(texts.CLAIM_ASSESS_NOTES)
        if spec.upgrade:
            urgency = "urgent"
            note = self.pick(texts.URGENT_ASSESS_NOTES)
        return {"category": spec.sub.code, "urgency": urgency, "note": note}

    def _dispatch_payload(self, lead: str, co: list[str]) -> dict:
        return {
            "lead_organisation": self.d.orgs[lead].pk,
            "co_handlers": [self.d.orgs[c].pk for c in co if c != lead],
            "note": self.pick(texts.DISPATCH_NOTES),
        }

    def _note_payload(self) -> dict:
        if self.rng.random() < 0.3:
            return {"text": self.pick(texts.PUBLIC_NOTES, n=self.rng.randint(2, 5)), "public": True}
        return {"text": self.pick(texts.FOLLOW_UP_NOTES)}

    def _resolve_payload(self, spec: Spec, org_name: str) -> dict:
        return {
            "public_reply": self.reply(spec, org_name or "社区"),
            "internal_note": self.pick(texts.INTERNAL_NOTES, n=self.rng.randint(1, 4)),
        }


@dataclass(frozen=True)
class MergeTarget:
    """The main appeal of a merge, by plan key; its id is known only when the plans run."""

    key: int


class _Builder:
    """Appends steps one after another, tracking the status the work chain will be in."""

    def __init__(self, planner: Planner, spec: Spec, *, pace: float = 1.0):
        self.p = planner
        self.spec = spec
        self.pace = pace
        self.t = spec.created
        self.status = S.RECEIVED
        self.urgency = "fast" if spec.fast else spec.urgency
        self.suspended_from: Status | None = None
        self.steps: list[Step] = []

    def add_create(self, actor: str) -> None:
        self.steps.append(Step(self.t, actor, "create", {}, S.RECEIVED))

    def act(self, actor: str, action: Action, payload: dict, *, status: Status | None = None):
        self.t = self.p.delay(action, self.urgency, self.t, self.pace)
        if action is Action.ASSESS and self.spec.upgrade and not self.spec.fast:
            self.urgency = "urgent"
        target = status or workflow.next_status(
            self.status, action, suspended_from=self.suspended_from
        )
        if action is Action.SUSPEND:
            self.suspended_from = self.status
        self.steps.append(Step(self.t, actor, action.value, payload, target))
        self.status = target

    def fit(self, now: datetime) -> None:
        """Squeeze the timeline into [intake, now) if it runs past now, keeping its order."""
        limit = now - timedelta(minutes=2)
        start = self.steps[0].at
        if start > limit:
            start = limit - timedelta(minutes=len(self.steps))
            self.steps[0].at = start
        last = self.steps[-1].at
        if last <= limit:
            return
        span = (last - start).total_seconds()
        room = max(0.0, (limit - start).total_seconds())
        scale = room / span if span else 0.0
        for step in self.steps:
            offset = (step.at - start).total_seconds() * scale
            step.at = start + timedelta(seconds=math.floor(offset))


# --- Stories every demo has, then the random rest ----------------------------------------------------


def story(
    planner: Planner,
    tag: str,
    final: Status,
    sub_code: str,
    channel: str,
    community: str,
    *,
    age: tuple[float, float],
    reporter: str | None = None,
    urgency: str = "normal",
    claim: bool = False,
    claimer: str | None = None,
    lead: str | None = None,
    handler: str | None = None,
    template: int | None = None,
    who: dict[str, str] | None = None,
    **flags,
) -> Spec:
    """A spec told on purpose, without random detours unless ``flags`` ask for them."""
    d = planner.d
    top, sub = d.subs[sub_code]
    created = planner.intake_time(*age, channel)
    spec = planner._located_spec(
        final,
        top,
        sub,
        channel,
        urgency,
        d.communities[community],
        claim,
        reporter=reporter,
        created=created,
        force_point=True,
        template=template,
    )
    spec.wrong_lead = None
    spec.co = []
    spec.queue_first = spec.reject_early = spec.upgrade = False
    spec.sendback = spec.unsatisfied = spec.suspend_resume = False
    spec.extension = None
    spec.tag = tag
    if claimer:
        spec.claimer = claimer
    if lead:
        spec.lead = lead
        spec.handler = handler or d.handlers[lead][0]
    elif handler:
        spec.handler = handler
    if reporter == "resident":
        spec.slots.place, spec.slots.bld = d.resident_home[reporter][1:]
        planner.rehome(spec)
    spec.who = dict(who or {})
    for name, value in flags.items():
        setattr(spec, name, value)
    return spec


def scripted_specs(p: Planner) -> list[Spec]:
    """Appeals every demo has, so each demo user finds work in each of their queues.

    In priority order: a small ``--appeals`` keeps the first ones.
    """
    out = []
    # The seed's story: an elderly tenant asks for a cheap ground-floor or lift flat; the
    # social worker assesses it and opens it for claiming by social workers and volunteers.
    seed = story(
        p,
        "seed-story",
        S.QUEUED,
        "COMMUNITY.HOUSING_HELP",
        "web",
        "PS-LT-C1",
        age=(30, 50),
        reporter="resident",
        claim=True,
        template=0,
        who={"assessor": "socialworker"},
    )
    seed.slots.place, seed.slots.bld, seed.slots.floor, seed.slots.age = "龙田新村", "12栋", 7, 72
    p.rehome(seed)
    out.append(seed)
    out.append(
        story(
            p,
            "resident-to-rate",
            S.VERIFIED,
            "CITY.STREETLIGHT",
            "web",
            "PS-LT-C1",
            age=(60, 120),
            reporter="resident",
            template=1,
            who={"verifier": "community"},
        )
    )
    out.append(
        story(
            p,
            "handler-to-accept",
            S.DISPATCHED,
            "HOUSING.PROPERTY",
            "phone",
            "PS-LT-C1",
            age=(1, 20),
            who={"assessor": "dispatcher"},
        )
    )
    out.append(
        story(
            p,
            "volunteer-task",
            S.QUEUED,
            "COMMUNITY.VOLUNTEER",
            "service_station",
            "PS-LT-C1",
            age=(20, 70),
            claim=True,
            template=0,
        )
    )
    out.append(
        story(
            p,
            "dispatcher-to-assess",
            S.RECEIVED,
            "WATER.FLOOD",
            "sensor",
            "PS-LT-C2",
            age=(0.1, 0.4),
            urgency="emergency",
        )
    )
    out.append(
        story(
            p,
            "handler-extension",
            S.IN_PROGRESS,
            "HOUSING.RENTAL",
            "phone",
            "PS-LT-C3",
            age=(60, 200),
            handler="handler",
            extension="pending",
        )
    )
    out.append(
        story(
            p,
            "resident-closed",
            S.CLOSED,
            "WATER.LEAK",
            "web",
            "PS-LT-C1",
            age=(24 * 15, 24 * 25),
            reporter="resident",
            template=2,
            who={"reviser": "resident"},
            satisfaction=5,
        )
    )
    out.append(
        story(
            p,
            "manhole-in-two-hours",
            S.CLOSED,
            "CITY.MANHOLE",
            "phone",
            "PS-LT-C1",
            age=(24 * 5, 24 * 12),
            urgency="urgent",
            template=0,
            fast=True,
            satisfaction=5,
        )
    )
    out.append(
        story(
            p,
            "volunteer-claimed",
            S.IN_PROGRESS,
            "CIVIL.ELDERLY",
            "phone",
            "PS-LT-C1",
            age=(30, 120),
            claim=True,
            claimer="volunteer",
            template=1,
        )
    )
    out.append(
        story(
            p,
            "socialworker-to-accept",
            S.DISPATCHED,
            "CIVIL.ASSIST",
            "walk_in",
            "PS-LT-C2",
            age=(2, 30),
            lead="PS-SW1",
            handler="socialworker",
            template=0,
        )
    )
    out.append(
        story(
            p,
            "community-to-verify",
            S.RESOLVED,
            "CITY.MANHOLE",
            "grid_patrol",
            "PS-LT-C1",
            age=(10, 60),
        )
    )
    out.append(
        story(
            p,
            "handler-rework",
            S.IN_PROGRESS,
            "HOUSING.ELEVATOR",
            "phone",
            "PS-LT-C1",
            age=(60, 200),
            handler="handler",
            template=0,
            sendback=True,
        )
    )
    # One case becomes a class of cases: more tenants, and a factory's new employees.
    out.append(
        story(
            p,
            "common-problem-employees",
            S.CLOSED,
            "COMMUNITY.HOUSING_HELP",
            "enterprise_desk",
            "PS-LT-C2",
            age=(24 * 8, 24 * 20),
            claim=True,
            claimer="volunteer",
            template=2,
        )
    )
    out.append(
        story(
            p,
            "common-problem-tenant",
            S.IN_PROGRESS,
            "COMMUNITY.HOUSING_HELP",
            "phone",
            "PS-LT-C1",
            age=(40, 150),
            claim=True,
            claimer="socialworker",
            template=1,
        )
    )
    out.append(
        story(
            p,
            "resident-in-progress",
            S.IN_PROGRESS,
            "ENV.NOISE",
            "api",
            "PS-LT-C1",
            age=(30, 100),
            reporter="resident",
            template=2,
        )
    )
    out.append(
        story(
            p,
            "resident-new",
            S.RECEIVED,
            "CITY.RUBBISH",
            "web",
            "PS-LT-C1",
            age=(0.3, 3),
            reporter="resident",
            template=0,
        )
    )
    out.append(
        story(
            p,
            "handler-to-accept-patrol",
            S.DISPATCHED,
            "HOUSING.SITE",
            "grid_patrol",
            "PS-LT-C1",
            age=(1, 30),
        )
    )
    out.append(
        story(
            p,
            "leader-suspended",
            S.SUSPENDED,
            "SAFETY.SLOPE",
            "phone",
            "PS-LT-C3",
            age=(24 * 6, 24 * 20),
            who={"supervisor": "leader"},
        )
    )
    return out


def final_quotas(n: int) -> dict[Status, int]:
    """At most how many appeals end in each status (the rest close); every status appears
    once there are 20 or more appeals."""
    quotas = {
        status: (max(1, round(share * n)) if n >= 20 else int(share * n))
        for status, share in FINAL_SHARES.items()
    }
    quotas[S.CLOSED] = n - sum(quotas.values())
    return quotas


# How likely an appeal of a given age (days) still sits in a status: (younger than, weight) pairs,
# then the weight beyond. What came in today is mostly still open; little stays open for weeks.
AGE_WEIGHTS: dict[Status, tuple[tuple[tuple[float, float], ...], float]] = {
    S.RECEIVED: (((1.0, 1.0), (3.0, 0.3)), 0.0),
    S.ASSESSED: (((0.05, 0.0), (2.5, 1.0), (6.0, 0.3)), 0.0),
    S.DISPATCHED: (((0.05, 0.0), (2.5, 1.0), (6.0, 0.3)), 0.0),
    S.QUEUED: (((0.1, 0.0), (6.0, 1.0), (20.0, 0.3)), 0.0),
    S.RESOLVED: (((0.2, 0.0), (6.0, 1.0), (14.0, 0.3)), 0.0),
    S.VERIFIED: (((0.5, 0.0), (10.0, 1.0), (25.0, 0.3)), 0.0),
    S.IN_PROGRESS: (((0.3, 0.0), (14.0, 1.0), (40.0, 0.25)), 0.0),
    S.SUSPENDED: (((4.0, 0.0),), 1.0),
    S.REJECTED: (((0.3, 0.2),), 1.0),
    S.CLOSED: (((0.7, 0.01), (2.0, 0.15), (4.0, 0.5)), 1.0),
}


def age_weight(status: Status, age_days: float) -> float:
    steps, beyond = AGE_WEIGHTS[status]
    for limit, weight in steps:
        if age_days < limit:
            return weight
    return beyond


def assign_finals(
    rng: random.Random, ages: list[float], quotas: dict[Status, int], present: set[Status]
) -> list[Status]:
    """A final status for each appeal from its age, youngest first, drawing in proportion to
    the quota left times the age weight. Quotas are ceilings: what does not fit closes. Every
    status not yet ``present`` gets at least one appeal (the best-fitting closed one)."""
    left = {s: q for s, q in quotas.items() if s in AGE_WEIGHTS}
    out: list[Status | None] = [None] * len(ages)
    for i in sorted(range(len(ages)), key=ages.__getitem__):
        options = [s for s, q in left.items() if q > 0 and age_weight(s, ages[i]) > 0]
        weights = [left[s] * age_weight(s, ages[i]) for s in options]
        status = rng.choices(options, weights)[0] if options else S.CLOSED
        left[status] = left.get(status, 0) - 1
        out[i] = status
    for status in AGE_WEIGHTS:
        if status in present or status in out or not quotas.get(status):
            continue
        closed = [i for i, s in enumerate(out) if s is S.CLOSED]
        if closed:
            best = max(closed, key=lambda i: (age_weight(status, ages[i]), -ages[i]))
            out[best] = status
    return out


def build_plans(p: Planner, n: int) -> list[Plan]:
    """Plans for ``n`` appeals: the scripted stories, the random rest (an even intake over the
    window; the final status follows from the age), then the duplicates (merged into an appeal
    that is open at the time)."""
    quotas = final_quotas(n)
    specs = scripted_specs(p)[:n]
    for spec in specs:
        if quotas[spec.final] > 0:
            quotas[spec.final] -= 1
        else:
            quotas[S.CLOSED] -= 1
    merged = max(0, quotas.pop(S.MERGED))
    draws = [p.draw_intake() for _ in range(n - len(specs) - merged)]
    ages = [(p.now - created).total_seconds() / 86400 for _channel, created in draws]
    finals = assign_finals(p.rng, ages, quotas, {spec.final for spec in specs})
    for (channel, created), final in zip(draws, finals, strict=True):
        specs.append(p.random_spec(final, channel=channel, created=created))
    plans = [p.plan(i, spec) for i, spec in enumerate(specs)]
    for _ in range(merged):
        plans.append(duplicate_plan(p, plans, specs, len(plans)))
    return plans


def duplicate_plan(p: Planner, plans: list[Plan], specs: list[Spec], key: int) -> Plan:
    """A second report of an open appeal's problem, merged into it at assessment."""
    rng = p.rng
    candidates = [
        i
        for i, plan in enumerate(plans[: len(specs)])
        if specs[i].channel != "sensor"
        and (plan.open_until(p.now) - plan.steps[0].at) > timedelta(hours=6)
    ]
    for _attempt in range(20):
        if not candidates:
            break
        i = rng.choice(candidates)
        main, main_spec = plans[i], specs[i]
        end = main.open_until(p.now)
        window = min(end - main.steps[0].at - timedelta(hours=4), timedelta(days=4))
        created = main.steps[0].at + timedelta(
            seconds=rng.uniform(1800, max(1800.0, window.total_seconds()))
        )
        channel = rng.choice(("phone", "phone", "web", "api", "walk_in"))
        spec = p._located_spec(
            S.MERGED,
            main_spec.top,
            main_spec.sub,
            channel,
            main_spec.urgency,
            main_spec.community,
            False,
            created=created,
        )
        spec.community = main_spec.community
        spec.slots = main_spec.slots
        spec.template = main_spec.template
        spec.grid, spec.address_only = main_spec.grid, main_spec.address_only
        spec.point = None
        if main_spec.grid is not None:
            spec.point = main_spec.grid.point(rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9))
        spec.tag = "duplicate"
        plan = p.plan(key, spec, merge_into=main)
        if plan.steps[-1].at < end and plan.steps[-1].status == S.MERGED:
            specs.append(spec)
            return plan
    # No open appeal to merge into (a tiny demo): tell it as a rejected duplicate instead.
    spec = p.random_spec(S.REJECTED)
    specs.append(spec)
    return p.plan(key, spec)
