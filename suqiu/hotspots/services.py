"""Every write of hotspots: the periodic run (features, clustering, storing) and promotion of a
hotspot to a proactive governance project.

A run covers a window of ``days`` ending at ``until`` (default: now):

1. ``featurise_missing``: appeals of the window without ``AppealFeatures`` get them (place from
   the grid, the text, the point or the area; jieba terms). Only new appeals cost anything, so
   the hourly run segments one hour of intake.
2. the window's features are read in one pass and clustered (``clustering.cluster``);
3. ``store``: the window's hotspots are updated in place — a new cluster takes over the stored
   hotspot it shares most members with (at least half of the smaller), so ids, and the link of a
   promoted hotspot to its project, survive re-runs; clusters with no match are added, stored
   hotspots with no match are deleted unless promoted (those stay, ``is_current`` False).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from suqiu.appeals import services as appeal_services
from suqiu.appeals.models import Appeal, AppealEvent, EventKind, reporter_identity
from suqiu.appeals.workflow import Status
from suqiu.core import clock, locks, places
from suqiu.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from suqiu.core.ids import as_id
from suqiu.directory.access import Actor
from suqiu.directory.models import Membership, Organisation, User
from suqiu.hotspots import clustering
from suqiu.hotspots.models import (
    AppealFeatures,
    GovernanceProject,
    Hotspot,
    HotspotJob,
    HotspotMember,
    ProjectStatus,
)

log = logging.getLogger("suqiu.hotspots")

DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years of history (an imported archive); more is not one hotspot's time
# Raise when features_of changes: the next run recomputes the features of its window.
FEATURES_VERSION = 9  # 9: the place key is stored (place_key)
# 8: "坪山大道路边" names 坪山大道 (路边, 路面, 路旁, 街边 end a name)
# 7: 服务, 专窗, 收到 are intake words ("企业服务专窗收到企业反映：")
# 6: "一楼" and "二楼" are where-words too
# 5: where-words ("沿线") and degree words ("很多") are not terms
# 4: places.extract no longer reads "城市" as a place ending in 城
# Places a report made on the spot and a phone report are joined by: estates, schools... (5),
# communities and villages (4); not roads, which cross many grids.
PLACE_JOIN_RANK = 4
CELL_DEGREES = 0.005  # about 500 m: the block of an appeal with a point but no grid
FEATURE_BATCH = 2000
HOTSPOT_ROLES = ("dispatcher", "leader", "admin")
# Rejected appeals are out (spam, out of scope). Merged ones stay when a person merged them: a
# report merged into another is still one more person, or the same person again, with the
# problem (the heat tells the two apart); a dispatcher merging duplicates must not cool the
# hotspot they belong to. An exact repeat the system merged at intake (the same person's same
# words within a day: a double tap) is out: it is no report of its own (``_not_counted``).
EXCLUDED_STATUSES = (Status.REJECTED,)


def _not_counted(appeal_ref: str) -> Q:
    """The appeals a run leaves out; ``appeal_ref`` names the appeal's id in the queried model
    ("pk" on ``Appeal``, "appeal_id" on its features)."""
    prefix = "" if appeal_ref == "pk" else "appeal__"
    system_merge = AppealEvent.objects.filter(
        appeal_id=OuterRef(appeal_ref), kind=EventKind.MERGE, actor__isnull=True
    )
    return Q(**{f"{prefix}status__in": EXCLUDED_STATUSES}) | (
        Q(**{f"{prefix}status": Status.MERGED}) & Exists(system_merge)
    )


def may_use_hotspots(actor: Actor) -> bool:
    return actor.has(*HOTSPOT_ROLES)


def current_window() -> str:
    """The rolling window the worker keeps (``SUQIU_HOTSPOTS_DAYS``): the list staff see first."""
    return window_name(int(getattr(settings, "SUQIU_HOTSPOTS_DAYS", DEFAULT_DAYS)), None)


def window_name(days: int, until: datetime | None) -> str:
    return f"{days}d" if until is None else f"{days}d@{until:%Y-%m-%d}"


WINDOW_PATTERN = r"^[1-9][0-9]{0,3}d(@[0-9]{4}-[0-9]{2}-[0-9]{2})?$"


def window_label(name: str) -> str:
    """A window's name for people: "30d" → "近 30 天", "60d@2019-08-31" → "截至 2019-08-31 的 60 天"."""
    days, _at, until = name.partition("@")
    days = days.removesuffix("d")
    if not (days.isascii() and days.isdigit()):
        return name
    if until:
        return _("%(days)s days to %(date)s") % {"days": days, "date": until}
    return _("last %(days)s days") % {"days": days}


def window_of(days: int, until: datetime | None) -> tuple[datetime, datetime]:
    """(start, end) of a window: ``until`` is a day (its end is the next midnight, local time)."""
    if until is None:
        end = clock.now()
    else:
        day = until.date() if isinstance(until, datetime) else until
        end = timezone.make_aware(datetime.combine(day + timedelta(days=1), dtime.min))
    return end - timedelta(days=days), end


# --- 1. Features --------------------------------------------------------------------------------


class Features(NamedTuple):
    """What ``features_of`` finds in one appeal (stored as ``AppealFeatures``)."""

    block: str
    label: str  # the place as shown
    rank: int  # how specific the place is (-1: none)
    terms: str  # space-separated
    key: str  # the estate, community or village it names (rank >= PLACE_JOIN_RANK), else ""


def features_of(
    *,
    title: str,
    description: str,
    grid_id: int | None,
    lat: float | None,
    lon: float | None,
    area_id: int | None,
) -> Features:
    """The block, place and terms of one appeal (``Features``)."""
    place = places.extract_for(title, description)
    label = place.label if place else ""
    rank = place.rank if place else -1
    if grid_id is not None:
        block = f"g:{grid_id}"
    elif place is not None and place.rank >= 2:
        block = f"p:{place.key}"
    elif lat is not None and lon is not None:
        block = f"c:{round(lat / CELL_DEGREES)}:{round(lon / CELL_DEGREES)}"
    elif place is not None:
        block = f"p:{place.key}"
    else:
        block = f"a:{area_id}"
    # Every place named is the block's business, not the problem's ("坪山大道与龙兴北路交叉口").
    named = " ".join(
        p.label
        for p in places.extract_all(f"{title}。{description[: clustering.DESCRIPTION_CHARS]}")
    )
    terms = " ".join(clustering.terms_of(title, description, f"{label} {named}"))
    key = place.key if place is not None and rank >= PLACE_JOIN_RANK else ""
    return Features(block[:120], label[:120], rank, terms, key[:120])


def _window_appeals(start: datetime, end: datetime):
    return Appeal.objects.filter(created_at__gte=start, created_at__lt=end).exclude(
        _not_counted("pk")
    )


def featurise_missing(start: datetime, end: datetime) -> int:
    """Compute the features of the window's appeals that have none (or have them from an
    older ``FEATURES_VERSION``). Returns how many."""
    done = 0
    last_id = 0
    base = _window_appeals(start, end).filter(
        Q(hotspot_features__isnull=True) | ~Q(hotspot_features__version=FEATURES_VERSION)
    )
    while True:
        rows = list(
            base.filter(pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", "title", "description", "grid_id", "lat", "lon", "area_id")[
                :FEATURE_BATCH
            ]
        )
        if not rows:
            return done
        now = clock.now()
        batch = []
        for pk, title, description, grid_id, lat, lon, area_id in rows:
            found = features_of(
                title=title,
                description=description,
                grid_id=grid_id,
                lat=lat,
                lon=lon,
                area_id=area_id,
            )
            batch.append(
                AppealFeatures(
                    appeal_id=pk,
                    block=found.block,
                    place_label=found.label,
                    place_rank=found.rank,
                    place_key=found.key,
                    terms=found.terms,
                    version=FEATURES_VERSION,
                    computed_at=now,
                )
            )
        with transaction.atomic():
            # Any other version, older or (a deployment rolled back) newer: else the stale rows
            # would stay, keep their place and be computed again on every run.
            AppealFeatures.objects.filter(appeal_id__in=[r[0] for r in rows]).exclude(
                version=FEATURES_VERSION
            ).delete()
            # Two runs at once (an operator's CLI next to the worker) may compute the same rows.
            AppealFeatures.objects.bulk_create(batch, ignore_conflicts=True)
        done += len(batch)
        last_id = rows[-1][0]


# --- 2. Clustering ------------------------------------------------------------------------------


def load_docs(start: datetime, end: datetime) -> list[clustering.Doc]:
    """The window's appeals as the clustering sees them; text place names canonicalised over
    the window ("丽发新城小区" and "丽发新城社区" are one block), and estate names the window
    spells with a suffix found where a text names one bare (``_place_bare_names``)."""
    rows = (
        AppealFeatures.objects.filter(appeal__created_at__gte=start, appeal__created_at__lt=end)
        .exclude(_not_counted("appeal_id"))
        .values_list(
            "appeal_id",
            "block",
            "place_label",
            "place_rank",
            "place_key",
            "terms",
            "appeal__created_at",
            "appeal__reporter_id",
            "appeal__reporter_phone",
            "appeal__reporter_name",
            "appeal__support_votes",
            "appeal__oppose_votes",
        )
        .order_by()
    )
    docs = []
    ranks: dict[str, int] = {}
    weak: list[clustering.Doc] = []
    # The estate, community or village each report made on the spot names, by the key its phone
    # reports are blocked by (``clustering._join_places``).
    spots: list[tuple[clustering.Doc, str]] = []
    for pk, block, label, rank, key, terms, created, rid, phone, name, up, down in rows.iterator(
        chunk_size=20000
    ):
        reporter = reporter_identity(rid, phone) or (f"n{name}" if name else "")
        docs.append(
            clustering.Doc(
                id=pk,
                block=block,
                terms=terms,
                created_at=created,
                place_label=label,
                reporter=reporter,
                support_votes=up,
                oppose_votes=down,
            )
        )
        if key and block.startswith(("g:", "c:")):
            spots.append((docs[-1], key))
        if block.startswith("p:"):
            ranks[block[2:]] = rank
        if (block.startswith("p:") and rank <= 1) or block.startswith("a:"):
            weak.append(docs[-1])
    text_places = Counter(d.block[2:] for d in docs if d.block.startswith("p:"))
    # A place no other appeal names is often a misreading ("丧失商业道德底线"): worth a look too.
    weak.extend(
        d
        for d in docs
        if d.block.startswith("p:") and ranks[d.block[2:]] > 1 and text_places[d.block[2:]] == 1
    )
    _place_bare_names(weak, places.Gazetteer(text_places, ranks), text_places, ranks)
    counts = Counter(text_places)
    counts.update(key for _d, key in spots)
    canonical = places.canonical_keys(counts)
    for d in docs:
        if d.block.startswith("p:"):
            key = d.block[2:]
            d.block = "p:" + canonical[key]
            if ranks.get(key, 0) >= PLACE_JOIN_RANK:
                d.place_key = d.block[2:]
    for d, key in spots:
        d.place_key = canonical[key]
    return docs


def _place_bare_names(
    weak: list[clustering.Doc],
    gazetteer: places.Gazetteer,
    text_places: Counter,
    ranks: dict[str, int],
) -> None:
    """Move the appeals that name only a district or city, nothing, or a place no other appeal
    names (``weak``), to the block of an estate the window spells with a suffix elsewhere when
    their text names it bare ("万润滨江天著的全装修核价" joins "万润滨江天著楼盘"); the name's
    words leave their terms, as a place's words do (``clustering.terms_of``)."""
    if not weak or not len(gazetteer):
        return
    by_id = {d.id: d for d in weak}
    ids = list(by_id)
    for i in range(0, len(ids), FEATURE_BATCH):
        texts = (
            Appeal.objects.filter(pk__in=ids[i : i + FEATURE_BATCH])
            .annotate(head=Substr("description", 1, clustering.DESCRIPTION_CHARS))
            .values_list("pk", "title", "head")
        )
        for pk, title, head in texts:
            d = by_id[pk]
            own = d.block[2:] if d.block.startswith("p:") else ""
            # The title says where: a place of its own there (a school, a road; not just the
            # district) stays.
            found = gazetteer.find(title)
            if found is None and ranks.get(own, 0) > 1 and own in title:
                continue
            found = found or gazetteer.find(head)
            if found is None or found[1] == own:
                continue
            name, key = found
            text_places[key] += 1
            if d.block.startswith("p:"):
                text_places[d.block[2:]] -= 1
            d.block = f"p:{key}"
            d.place_label = key
            d.terms = " ".join(w for w in d.terms.split() if w not in name)


def _label_places(clusters: list[clustering.Cluster]) -> None:
    """A hotspot compared within a grid is placed by its grid (and community, unless the grid's
    name says it), with the place its appeals name when most of them name one ("…·幸福花园");
    one compared within a place named in the texts keeps the most common spelling, or the
    canonical name when the spellings are many ("丽发新城"). A hotspot whose members name several
    places, none for most of them, keeps them to show after its title in the reader's language
    (``Hotspot.display_title``)."""
    from suqiu.directory.models import Grid

    ids = {int(c.block[2:]) for c in clusters if c.block.startswith("g:")}
    names = {
        g.pk: g.name
        if not g.community_id or g.name.startswith(g.community.name)
        else f"{g.community.name} {g.name}"
        for g in Grid.objects.filter(pk__in=ids).select_related("community")
    }
    for c in clusters:
        block = c.block
        if not c.place_label and not block.startswith("p:"):
            # No place speaks for most members (of a grid, a cell, an area): the title says
            # which places it spans. A place's block has one place in several spellings.
            c.other_places = clustering.other_places(
                c.representative.title, c.representative.place_label, c.places
            )
        if block.startswith("g:") and int(block[2:]) in names:
            grid = names[int(block[2:])]
            c.place_label = f"{grid}·{c.place_label}" if c.place_label else grid
        elif block.startswith("p:") and not c.place_label:
            c.place_label = block[2:]


@dataclass
class RunResult:
    window: str
    appeals: int
    featurised: int
    hotspots: int
    created: int
    updated: int
    removed: int
    seconds: dict
    # A trial run's clusters, hottest first (a stored run's are in the database instead).
    clusters: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "clusters"}


def configured_threshold() -> float | None:
    """The threshold runs use (``SUQIU_HOTSPOTS_THRESHOLD``, else the clustering's); None when it is
    not a number (``run`` refuses it)."""
    try:
        return float(
            getattr(settings, "SUQIU_HOTSPOTS_THRESHOLD", None) or clustering.DEFAULT_THRESHOLD
        )
    except (TypeError, ValueError):
        return None


def run(
    *,
    days: int = DEFAULT_DAYS,
    until: datetime | None = None,
    threshold: float | None = None,
    store_result: bool = True,
) -> RunResult:
    """One run over a window (see the module docstring). ``store_result=False`` is a trial: the
    clusters are returned, the window's list is left as it was (ids, promotions)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(
            _("The window must be 1 to %(max)s days.") % {"max": MAX_DAYS},
            fields={"days": [_("1 to %(max)s.") % {"max": MAX_DAYS}]},
        )
    if threshold is None:
        threshold = configured_threshold()  # None: the setting is not a number
    if threshold is None or not 0 < threshold < 1:
        # 0 would join everything in a place, 1 nothing: and the run replaces the current list.
        raise ValidationFailed(
            _("The similarity threshold must be between 0 and 1."),
            fields={"threshold": [_("Between 0 and 1, e.g. 0.3.")]},
        )
    if until is not None and not clock.in_calendar(until):
        raise ValidationFailed(
            _("The window's last day must be a day from 1900 to 9000."),
            fields={"until": [_("A day from 1900 to 9000.")]},
        )
    start, end = window_of(days, until)
    name = window_name(days, until)
    seconds = {}
    t = time.perf_counter()
    featurised = featurise_missing(start, end)
    seconds["features"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    docs = load_docs(start, end)
    n_docs = len(docs)
    seconds["load"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    clusters = clustering.cluster(docs, window_start=start, window_end=end, threshold=threshold)
    del docs  # the members live on in the clusters
    titles = dict(
        Appeal.objects.filter(pk__in=[c.representative.id for c in clusters]).values_list(
            "pk", "title"
        )
    )
    for c in clusters:
        c.representative.title = titles.get(c.representative.id, "")
    _label_places(clusters)
    seconds["cluster"] = round(time.perf_counter() - t, 3)
    if not store_result:
        clusters.sort(key=lambda c: -c.heat)
        return RunResult(name, n_docs, featurised, len(clusters), 0, 0, 0, seconds, clusters)
    t = time.perf_counter()
    created, updated, removed = store(name, start, end, clusters)
    seconds["store"] = round(time.perf_counter() - t, 3)
    result = RunResult(
        window=name,
        appeals=n_docs,
        featurised=featurised,
        hotspots=len(clusters),
        created=created,
        updated=updated,
        removed=removed,
        seconds=seconds,
    )
    log.info("hotspots run %s", result.as_dict())
    return result


# --- 3. Storing ---------------------------------------------------------------------------------


_COMPARED = (
    "title",
    "place_label",
    "block",
    "terms",
    "heat",
    "size",
    "reporters",
    "votes",
    "growth",
    "span_days",
    "cohesion",
    "first_seen",
    "last_seen",
    "representative_id",
    "is_current",
    "other_places",
)


def _fields_of(c: clustering.Cluster, start: datetime, end: datetime, now: datetime) -> dict:
    return {
        "window_start": start,
        "window_end": end,
        "title": c.representative.title[:200],
        "other_places": c.other_places[:20],
        "place_label": c.place_label[:120],
        "block": c.block[:120],
        "terms": " ".join(c.top_terms)[:200],
        "heat": c.heat,
        "size": len(c.members),
        "reporters": c.parts["reporters"],
        "votes": c.parts["votes"],
        "growth": c.parts["growth"],
        "span_days": c.parts["span_days"],
        "cohesion": c.cohesion,
        "first_seen": c.first_seen,
        "last_seen": c.last_seen,
        "representative_id": c.representative.id,
        "is_current": True,
        "updated_at": now,
    }


def store(name: str, start: datetime, end: datetime, clusters: list[clustering.Cluster]):
    """Replace the window's hotspots with ``clusters``, keeping ids where members carry over.
    Returns (created, updated, removed). Bulk statements throughout: a megacity's month has
    tens of thousands of hotspots."""
    now = clock.now()
    with transaction.atomic():
        # Two runs of one window at once (``suqiu hotspots run`` beside the worker's): the
        # second waits for the first, then reads the hotspots it stored (locking the stored
        # rows would not do: it would not see the rows the first inserts).
        locks.wait_for(f"suqiu.hotspots:{name}")
        stored = {
            h.pk: h for h in Hotspot.objects.select_for_update().filter(window=name).order_by("pk")
        }
        members_of: dict[int, dict[int, int]] = {pk: {} for pk in stored}  # appeal → row id
        hotspot_of: dict[int, list[int]] = {}
        for row_id, hid, aid in HotspotMember.objects.filter(hotspot__window=name).values_list(
            "pk", "hotspot_id", "appeal_id"
        ):
            members_of[hid][aid] = row_id
            hotspot_of.setdefault(aid, []).append(hid)
        taken: set[int] = set()
        fresh: list[tuple[Hotspot, clustering.Cluster]] = []
        changed: list[Hotspot] = []
        gone_rows: list[int] = []
        new_members: list[HotspotMember] = []
        for c in clusters:
            ids = {d.id for d in c.members}
            overlap = Counter(h for a in ids for h in hotspot_of.get(a, ()))
            match = None
            for hid, shared in overlap.most_common():
                if hid not in taken and shared * 2 >= min(len(ids), len(members_of[hid])):
                    match = hid
                    break
            fields = _fields_of(c, start, end, now)
            if match is None:
                fresh.append((Hotspot(window=name, **fields), c))
                continue
            taken.add(match)
            hotspot = stored[match]
            # Most hotspots of an hourly run are as they were: write only those that changed
            # (the window's bounds move for all of them: one UPDATE below).
            if any(getattr(hotspot, k) != fields[k] for k in _COMPARED):
                for k, v in fields.items():
                    setattr(hotspot, k, v)
                changed.append(hotspot)
            old = members_of[match]
            gone_rows.extend(row for aid, row in old.items() if aid not in ids)
            new_members.extend(
                HotspotMember(hotspot=hotspot, appeal_id=a, similarity=c.similarity.get(a, 0))
                for a in ids
                if a not in old
            )
        Hotspot.objects.bulk_create([h for h, _c in fresh], batch_size=1000)
        for hotspot, c in fresh:
            new_members.extend(
                HotspotMember(hotspot=hotspot, appeal_id=d.id, similarity=c.similarity.get(d.id, 0))
                for d in c.members
            )
        if changed:
            Hotspot.objects.bulk_update(changed, [*_COMPARED, "updated_at"], batch_size=200)
        Hotspot.objects.filter(pk__in=taken).update(window_start=start, window_end=end)
        for i in range(0, len(gone_rows), 5000):
            HotspotMember.objects.filter(pk__in=gone_rows[i : i + 5000]).delete()
        HotspotMember.objects.bulk_create(new_members, batch_size=5000)
        lost = [pk for pk in stored if pk not in taken]
        keep = [pk for pk in lost if stored[pk].project_id]
        drop = [pk for pk in lost if not stored[pk].project_id]
        if keep:
            Hotspot.objects.filter(pk__in=keep).update(is_current=False, updated_at=now)
        for i in range(0, len(drop), 5000):
            HotspotMember.objects.filter(hotspot_id__in=drop[i : i + 5000]).delete()
            Hotspot.objects.filter(pk__in=drop[i : i + 5000]).delete()
    return len(fresh), len(changed), len(drop)


# --- The worker's duty -------------------------------------------------------------------------


def run_due() -> int:
    """The worker's duty: run the rolling window when it is due (every
    ``SUQIU_HOTSPOTS_EVERY_SECONDS``, default an hour). The due time is claimed with
    compare-and-set, so of several workers exactly one runs it. Returns hotspots found (0 when
    not due)."""
    every = int(getattr(settings, "SUQIU_HOTSPOTS_EVERY_SECONDS", 3600))
    days = int(getattr(settings, "SUQIU_HOTSPOTS_DAYS", DEFAULT_DAYS))
    name = window_name(days, None)
    now = clock.now()
    job, _created = HotspotJob.objects.get_or_create(window=name, defaults={"next_run_at": now})
    claimed = HotspotJob.objects.filter(
        pk=job.pk, next_run_at=job.next_run_at, next_run_at__lte=now
    ).update(next_run_at=now + timedelta(seconds=every), last_started_at=now)
    if claimed != 1:
        return 0
    result = run(days=days)
    HotspotJob.objects.filter(pk=job.pk).update(
        last_finished_at=clock.now(), last_result=result.as_dict()
    )
    return result.hotspots


# --- Governance projects ------------------------------------------------------------------------


@dataclass
class ProjectInput:
    title: str
    description: str = ""
    handler_organisation: int | None = None
    handler_person: int | None = None


def _validate_project(data: ProjectInput) -> tuple[Organisation, User | None]:
    errors: dict[str, list[str]] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = [_("This field is required.")]
    elif len(title) > 200:
        errors["title"] = [_("At most 200 characters.")]
    if len(data.description or "") > 4000:
        errors["description"] = [_("At most 4000 characters.")]
    org = None
    if data.handler_organisation is None or data.handler_organisation == "":
        errors["handler_organisation"] = [_("This field is required.")]
    elif as_id(data.handler_organisation) is None:  # 0, true, 10**20: no organisation
        errors["handler_organisation"] = [_("No such organisation.")]
    else:
        org = Organisation.objects.filter(pk=data.handler_organisation, is_active=True).first()
        if org is None:
            errors["handler_organisation"] = [_("No such organisation.")]
    person = None
    if data.handler_person is not None and as_id(data.handler_person) is None:
        errors["handler_person"] = [_("No such person.")]
    elif data.handler_person is not None:
        person = User.objects.filter(pk=data.handler_person, is_active=True).first()
        if person is None:
            errors["handler_person"] = [_("No such person.")]
        elif (
            org is not None
            and not Membership.objects.filter(
                user=person, organisation__path__startswith=org.path
            ).exists()
        ):
            errors["handler_person"] = [_("This person does not work for that organisation.")]
    if errors:
        raise ValidationFailed(fields=errors)
    return org, person


def promote(*, actor: Actor, hotspot_id: int, data: ProjectInput) -> GovernanceProject:
    """Make a hotspot a proactive governance project (主动治理项目): the project is created with
    the hotspot's appeals, and each of them gets a note event saying so (through
    ``appeals.services``), all in one transaction. A hotspot is promoted once (409
    ``already_promoted``), and only by someone who sees all of it (409 ``beyond_your_area``): a
    hotspot that reaches into another street is one problem of both, for a dispatcher or leader
    over both to take up, not one street's project that would leave the other's part behind."""
    from suqiu.hotspots import selectors

    if not may_use_hotspots(actor):
        raise PermissionDenied(_("Only dispatchers, leaders and administrators handle hotspots."))
    org, person = _validate_project(data)
    with transaction.atomic():
        hotspot = selectors.hotspot_get(actor=actor, hotspot_id=hotspot_id)
        # A run may have removed it since (it waits for this lock otherwise).
        hotspot = Hotspot.objects.select_for_update().filter(pk=hotspot.pk).first()
        if hotspot is None:
            raise NotFound(_("No such hotspot."))
        if hotspot.project_id:
            raise Conflict(
                _("This hotspot is already a governance project."), code="already_promoted"
            )
        if not selectors.sees_whole(actor=actor, hotspot=hotspot):
            raise Conflict(
                _(
                    "This hotspot reaches beyond your area: a dispatcher or leader who sees all "
                    "of it makes it a project."
                ),
                code="beyond_your_area",
            )
        appeal_ids = list(
            selectors.hotspot_members(actor=actor, hotspot=hotspot).values_list("pk", flat=True)
        )
        project = _create_project(
            actor, data, org, person, appeal_ids, {"source": "hotspots", "hotspot": hotspot.pk}
        )
        hotspot.project = project
        hotspot.save(update_fields=["project"])
    return project


def common_problem_of(*, actor: Actor, appeal_id: int) -> tuple[Appeal, list]:
    """One person's case and the similar appeals of its street, its own community included
    (``duplicates.services.similar_elsewhere``), that ``actor`` may see."""
    from suqiu.appeals import selectors as appeal_selectors
    from suqiu.duplicates.services import similar_elsewhere

    appeal = appeal_selectors.appeal_get(actor=actor, appeal_id=appeal_id)
    return appeal, similar_elsewhere(actor=actor, appeal=appeal)


def start_project(*, actor: Actor, appeal_id: int, data: ProjectInput) -> GovernanceProject:
    """Take one person's case that is not a single case into a proactive governance project,
    with the similar appeals of its street, found again here (what
    the page showed may be out of date; the client names only the case). Each appeal's
    timeline records it, all in one transaction. 409 when the case is in an open project
    already, when it was merged into another appeal (the main appeal is the case), or when
    nothing like it was reported elsewhere (then it is a case, not a common problem)."""
    from suqiu.appeals import selectors as appeal_selectors

    if not may_use_hotspots(actor):
        raise PermissionDenied(_("Only dispatchers, leaders and administrators handle hotspots."))
    org, person = _validate_project(data)
    with transaction.atomic():
        appeal, similar = common_problem_of(actor=actor, appeal_id=appeal_id)
        appeal_ids = [appeal.pk, *(e.appeal.pk for e in similar)]
        # Two people starting a project from the same case (or from two cases of one problem)
        # at once: the second waits here; in id order, so neither waits for the other.
        list(
            Appeal.objects.select_for_update(no_key=True)
            .filter(pk__in=appeal_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        appeal.refresh_from_db(fields=["status", "merged_into"])  # as it is, now it is locked
        if appeal.status == Status.MERGED:
            main = appeal.final_main()
            if (
                main is not None
                and appeal_selectors.appeal_list(actor=actor).filter(pk=main.pk).exists()
            ):
                message = _("This appeal was merged into %(code)s: start from that one.") % {
                    "code": main.tracking_code
                }
            else:
                message = _("This appeal was merged into another: start from that one.")
            raise Conflict(message, code="merged_case")
        open_project = appeal.governance_projects.filter(status=ProjectStatus.OPEN).first()
        if open_project is not None:
            raise Conflict(
                _("This appeal is already in governance project #%(id)s.")
                % {"id": open_project.pk},
                code="already_in_project",
            )
        if not similar:
            raise Conflict(
                _("No similar appeal elsewhere in the street: this is a single case."),
                code="no_common_problem",
            )
        return _create_project(
            actor, data, org, person, appeal_ids, {"source": "common_problem", "case": appeal.pk}
        )


def _create_project(
    actor: Actor,
    data: ProjectInput,
    org: Organisation,
    person: User | None,
    appeal_ids: list[int],
    source: dict,
) -> GovernanceProject:
    """The project, its appeals, and a note event on each appeal (inside the caller's
    transaction)."""
    project = GovernanceProject.objects.create(
        title=data.title.strip(),
        description=(data.description or "").strip(),
        handler_organisation=org,
        handler_person=person,
        created_by_id=actor.user_id,
        created_at=clock.now(),
    )
    project.appeals.set(appeal_ids)
    reason = _("Taken into proactive governance project #%(id)s: %(title)s") % {
        "id": project.pk,
        "title": project.title,
    }
    for appeal_id in appeal_ids:
        appeal_services.appeal_record_external(
            appeal_id=appeal_id,
            data={**source, "project": project.pk, "project_title": project.title},
            reason=reason,
            actor=actor,
        )
    return project


def may_close(actor: Actor, project: GovernanceProject) -> bool:
    """Who closes a project: an administrator, its creator, its handling person, or a
    dispatcher or leader of its handling organisation or of an area above it (a street's
    dispatcher does not close the district's project because one of its appeals is theirs)."""
    if actor.is_superuser or "admin" in actor.roles:
        return True
    if actor.user_id is not None and actor.user_id in (
        project.created_by_id,
        project.handler_person_id,
    ):
        return True
    if not may_use_hotspots(actor):
        return False
    path = project.handler_organisation.path
    return project.handler_organisation_id in actor.org_ids(*HOTSPOT_ROLES) or any(
        path.startswith(p) for p in actor.area_paths(*HOTSPOT_ROLES)
    )


def close_project(*, actor: Actor, project_id: int) -> GovernanceProject:
    """Close an open governance project (``may_close``): who and when are kept on the project,
    and each of its appeals gets a note event saying so (through ``appeals.services``), in one
    transaction. 409 when it is closed already."""
    from suqiu.hotspots import selectors

    with transaction.atomic():
        project = selectors.project_get(actor=actor, project_id=project_id)
        if not may_close(actor, project):
            raise PermissionDenied(
                _(
                    "Only the project's creator or handler, an administrator, or a dispatcher "
                    "or leader over its handling organisation closes it."
                )
            )
        changed = GovernanceProject.objects.filter(pk=project.pk, status=ProjectStatus.OPEN).update(
            status=ProjectStatus.CLOSED, closed_at=clock.now(), closed_by_id=actor.user_id
        )
        if not changed:
            raise Conflict(_("This project is already closed."), code="already_closed")
        project.refresh_from_db()
        reason = _("Proactive governance project #%(id)s closed: %(title)s") % {
            "id": project.pk,
            "title": project.title,
        }
        for appeal_id in project.appeals.order_by("pk").values_list("pk", flat=True):
            appeal_services.appeal_record_external(
                appeal_id=appeal_id,
                data={
                    "source": "hotspots",
                    "project": project.pk,
                    "project_title": project.title,
                    "project_closed": True,
                },
                reason=reason,
                actor=actor,
            )
    return project
