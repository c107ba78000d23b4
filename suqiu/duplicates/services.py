"""Duplicates at intake: exact repeats merged by the system, near-duplicates stored as candidates,
the new appeal indexed; imported history closed within the window indexed in bulk (an
after-import hook) and ``reindex``; dismissal of a candidate; pruning of the index.

``on_appeal_created`` is an intake hook (``appeals.services.register_after_create``, order 10):
it runs inside the transaction that creates the appeal, so the index rows, the candidates and an
automatic merge commit or roll back with the appeal itself, in whichever process took the intake.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from suqiu.appeals import workflow
from suqiu.appeals.models import Appeal
from suqiu.appeals.workflow import Status
from suqiu.core import clock, locks, places
from suqiu.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from suqiu.core.text import shingles
from suqiu.directory.access import SYSTEM, Actor
from suqiu.duplicates import index
from suqiu.duplicates.models import DuplicateCandidate, DuplicateEntry, DuplicateTerm

logger = logging.getLogger(__name__)

# --- Intake ----------------------------------------------------------------------------------------


def on_appeal_created(*, appeal: Appeal, event, actor: Actor) -> None:
    """The intake hook: merge an exact repeat, else find candidates and index the appeal.

    Nothing here may fail the intake (the resident's appeal matters more than its duplicate
    check): the merge and the search each run in a savepoint, and a failure is logged. A merge
    the appeals service refuses (the main appeal was closed or rejected between the read above
    and its lock) leaves the appeal to be checked and indexed like any other."""
    cfg = index.config()
    if not cfg["enabled"]:
        return
    rkey = index.repeat_key(appeal)
    if rkey is not None:
        # The same person sending the same text twice at once (a double tap, two tabs): the
        # second intake waits here until the first commits, then finds it and merges.
        locks.wait_for(rkey)
        main = exact_repeat_of(appeal, rkey, cfg)
        if main is not None:
            try:
                with transaction.atomic():
                    _merge_repeat(appeal, main, cfg)
                return
            except ApplicationError as refused:
                logger.info(
                    "duplicates: exact repeat %s of %s not merged (%s); indexed instead",
                    appeal.pk,
                    main.pk,
                    refused.code,
                )
            except Exception:  # noqa: BLE001 - a failed merge must not lose the appeal
                logger.exception("duplicates: merging exact repeat %s failed", appeal.pk)
    try:
        with transaction.atomic():
            _find_and_index(appeal, rkey, cfg)
    except Exception:  # noqa: BLE001 - an appeal unindexed beats an appeal lost
        logger.exception("duplicates: checking and indexing appeal %s failed", appeal.pk)


def _find_and_index(appeal: Appeal, rkey: int | None, cfg: dict) -> None:
    terms = index.terms_of(appeal.title, appeal.description)
    found = find_candidates(appeal, terms, cfg)
    if found.candidates:
        DuplicateCandidate.objects.bulk_create(
            [
                DuplicateCandidate(
                    appeal=appeal,
                    candidate_id=c.appeal_id,
                    similarity=c.similarity,
                    distance_m=c.distance_m,
                    created_at=appeal.created_at,
                )
                for c in found.candidates
            ]
        )
    add_to_index(appeal, terms, rkey, cfg)


def exact_repeat_of(appeal: Appeal, rkey: int, cfg: dict) -> Appeal | None:
    """The open appeal this one repeats word for word (same reporter, within ``repeat_hours``,
    at the same place by the near-duplicate rule of ``same_place``), following a merged earlier
    repeat to its main appeal; None if there is none.

    The place matters: a grid worker entering callers' reports under one phone, or a resident
    who saw the same broken street light in two neighbourhoods, sends the same words about two
    problems; so do two different addresses given (``_other_address``). A repeat at another
    place is checked like any other appeal (candidates, index)."""
    since = appeal.created_at - timedelta(hours=cfg["repeat_hours"])
    # More than a handful: a grid worker may send one text from many places in a day, and the
    # repeat at this place must not be cut off by the others.
    ids = index.repeats_of(rkey, since=since, until=appeal.created_at, exclude=appeal.pk, limit=20)
    if not ids:
        return None
    flat = index.flat_text(appeal.title, appeal.description)
    for earlier in (
        Appeal.objects.filter(pk__in=ids).select_related("merged_into").order_by("-created_at")
    ):
        # The key is a hash: check the words and the reporter themselves.
        if index.flat_text(earlier.title, earlier.description) != flat:
            continue
        if index.repeat_key(earlier) != rkey:
            continue
        if not same_place(appeal, earlier, cfg)[0] or _other_address(appeal, earlier):
            continue
        main = earlier.final_main() if earlier.status == Status.MERGED else earlier
        if main is not None and main.status not in workflow.TERMINAL:
            return main
    return None


def _other_address(appeal: Appeal, other: Appeal) -> bool:
    """Without coordinates on both (which decide when there are), both give an address and
    neither contains the other ("幸福路3号" and "和平路88号", not "幸福路3号" and "深圳市幸福路3号
    楼"): two places in one community (a grid worker's reports typed in without a map)."""
    if None not in (appeal.lat, appeal.lon, other.lat, other.lon):
        return False
    a, b = index.flat_text("", appeal.address or ""), index.flat_text("", other.address or "")
    return bool(a and b and a not in b and b not in a)


def _merge_repeat(appeal: Appeal, main: Appeal, cfg: dict) -> None:
    from suqiu.appeals import services

    services.appeal_act(
        actor=SYSTEM,
        appeal_id=appeal.pk,
        action="merge",
        payload={
            "into": main.pk,
            "reason": gettext(
                "Exact repeat of %(code)s: same reporter, same text, within %(hours)d hours."
            )
            % {"code": main.tracking_code, "hours": cfg["repeat_hours"]},
        },
        # The timeline says it again in the reader's language from this (the stored reason is
        # in the language of the intake request that caused it).
        context={"repeat": {"code": main.tracking_code, "hours": cfg["repeat_hours"]}},
    )
    # appeals.services reloads the new appeal for later hooks and the caller (it acted on it).


@dataclass
class Found:
    appeal_id: int
    similarity: float
    distance_m: float | None


@dataclass
class Search:
    """Candidates found for one appeal, and what the search read (for tests and the bench)."""

    candidates: list[Found] = field(default_factory=list)
    lookup: index.LookUp | None = None
    loaded_ids: list[int] = field(default_factory=list)
    areas: list[int] = field(default_factory=list)


def find_candidates(appeal: Appeal, terms: list[str], cfg: dict | None = None) -> Search:
    """Earlier appeals that may report the same problem: index look-up, then exact checks of
    place (distance or community, and the estates or roads named in the texts), time and text
    on the few appeals it names."""
    cfg = cfg or index.config()
    search = Search()
    search.areas = index.nearby_areas(appeal.lat, appeal.lon, appeal.area_id, cfg["radius_m"])
    query_terms = terms[: cfg["max_query_terms"]]
    keys = [index.term_key(t, a) for a in search.areas for t in query_terms]
    min_shared = max(1, min(cfg["min_shared_terms"], len(query_terms) // 3))
    search.lookup = index.look_up(
        keys, max_postings=cfg["max_postings"], min_shared=min_shared, exclude=appeal.pk
    )
    search.loaded_ids = search.lookup.ranked[: cfg["max_loaded"]]
    if not search.loaded_ids:
        return search
    now = appeal.created_at
    bigrams = shingles(index.text_of(appeal.title, appeal.description))
    indexed = terms[: cfg["terms_per_appeal"]]
    keys_in = {a: {index.term_key(t, a) for t in indexed} for a in search.areas}
    entries = (
        DuplicateEntry.objects.filter(appeal_id__in=search.loaded_ids)
        .select_related("appeal")
        .order_by()
        .only(
            "keys",
            "appeal__id",
            "appeal__title",
            "appeal__description",
            "appeal__status",
            "appeal__lat",
            "appeal__lon",
            "appeal__area_id",
            "appeal__created_at",
            "appeal__closed_at",
        )
    )
    found = []
    named = named_places(appeal.title, appeal.description)
    for entry in entries:
        other = entry.appeal
        if not _comparable(other, appeal, now, cfg):
            continue
        near, distance = same_place(appeal, other, cfg)
        if not near:
            continue
        if different_places(named, named_places(other.title, other.description)):
            continue
        score = index.similarity(
            bigrams,
            keys_in.get(other.area_id, set()),
            shingles(index.text_of(other.title, other.description)),
            set(index.unpack_keys(entry.keys)),
        )
        if score >= cfg["min_similarity"]:
            found.append(
                Found(other.pk, score, round(distance, 1) if distance is not None else None)
            )
    found.sort(key=lambda f: (-f.similarity, -f.appeal_id))
    search.candidates = found[: cfg["max_candidates"]]
    return search


def same_place(appeal: Appeal, other: Appeal, cfg: dict) -> tuple[bool, float | None]:
    """The place rule of duplicates: within ``radius_m`` when both appeals have coordinates,
    otherwise in the same community. Returns whether they are at one place and the distance
    (None without coordinates)."""
    if None not in (appeal.lat, appeal.lon, other.lat, other.lon):
        distance = index.distance_m(appeal.lat, appeal.lon, other.lat, other.lon)
        return distance <= cfg["radius_m"], distance
    return other.area_id == appeal.area_id, None


@dataclass(frozen=True)
class Named:
    """The places an appeal's text names (``core.places``), as keys to compare: estates,
    villages, schools, hospitals ... (rank 4 and finer), and roads and streets (rank 3)."""

    estates: frozenset[str]
    roads: frozenset[str]


def named_places(title: str, description: str) -> Named:
    found = places.extract_all(f"{title}。{(description or '')[:400]}")
    return Named(
        estates=frozenset(places.base_key(p.key) for p in found if p.rank >= 4),
        roads=frozenset(p.key for p in found if p.rank == 3),
    )


def different_places(a: Named, b: Named) -> bool:
    """The finest kind of place both appeals name, and none in common: the same words about
    "松涛雅居" and "竹林苑", or about "汤坑路" and "锦绣东路", are two problems, not a repeat.
    An appeal that names no place of a kind leaves the decision to the text."""
    for mine, theirs in ((a.estates, b.estates), (a.roads, b.roads)):
        if mine and theirs:
            return not any(places.same_place(x, y) for x in mine for y in theirs)
    return False


def _comparable(other: Appeal, appeal: Appeal, now, cfg: dict) -> bool:
    """Earlier, and still in the window at ``now``."""
    return other.created_at <= appeal.created_at and in_window(other, now, cfg)


def in_window(appeal: Appeal, now, cfg: dict) -> bool:
    """Compared with new appeals at ``now``: not merged away, created within ``open_days``,
    and if finished, finished within ``window_days``."""
    if appeal.status == Status.MERGED:
        return False
    if appeal.created_at < now - timedelta(days=cfg["open_days"]):
        return False
    if appeal.status in workflow.TERMINAL:
        return appeal.closed_at is not None and appeal.closed_at >= now - timedelta(
            days=cfg["window_days"]
        )
    return True


def expiry_of(appeal: Appeal, cfg: dict, *, now=None):
    """When a finished appeal's entry stops being compared (the prune duty then takes it out):
    ``window_days`` after it finished, a merged one at once; None for an open appeal."""
    if appeal.status not in workflow.TERMINAL:
        return None
    finished = appeal.closed_at or now or clock.now()
    if appeal.status == Status.MERGED:
        return finished
    return finished + timedelta(days=cfg["window_days"])


def _keys_of(appeal: Appeal, terms: list[str], cfg: dict) -> list[int]:
    """The index keys of an appeal: its first ``terms_per_appeal`` terms in its area."""
    return list(
        dict.fromkeys(index.term_key(t, appeal.area_id) for t in terms[: cfg["terms_per_appeal"]])
    )


def add_to_index(appeal: Appeal, terms: list[str], rkey: int | None, cfg: dict) -> None:
    index.insert_entry(
        appeal_id=appeal.pk,
        area_id=appeal.area_id,
        created_at=appeal.created_at,
        repeat_key=rkey,
        keys=_keys_of(appeal, terms, cfg),
    )


def index_many(appeals: list[Appeal], cfg: dict) -> None:
    """Index appeals in bulk, as intake indexes one (terms, keys, repeat key), with the expiry a
    finished appeal gets (``expiry_of``). No candidates are looked for: these are history, the
    appeals that come in later find them."""
    index.insert_entries(
        [
            index.Entry(
                appeal_id=appeal.pk,
                area_id=appeal.area_id,
                created_at=appeal.created_at,
                expires_at=expiry_of(appeal, cfg),
                repeat_key=index.repeat_key(appeal),
                keys=_keys_of(appeal, index.terms_of(appeal.title, appeal.description), cfg),
            )
            for appeal in appeals
        ]
    )


def on_history_imported(*, appeals: list[Appeal]) -> None:
    """After-import hook (``appeals.services.register_after_import``), in the transaction of
    each batch: the imported appeals still in the window (closed within ``window_days``: last
    week's cases of the old system) are indexed, so new appeals find them as candidates. Most
    history is older and costs a date comparison. A failure is logged and leaves the batch
    imported without them (``suqiu duplicates reindex`` adds them later)."""
    cfg = index.config()
    if not cfg["enabled"]:
        return
    now = clock.now()
    recent = [a for a in appeals if in_window(a, now, cfg)]
    if not recent:
        return
    try:
        with transaction.atomic():
            index_many(recent, cfg)
    except Exception:  # noqa: BLE001 - history unindexed beats history not imported
        logger.exception("duplicates: indexing %d imported appeals failed", len(recent))


REINDEX_BATCH = 1000


def reindex(*, days: int | None = None, batch_size: int = REINDEX_BATCH) -> int:
    """Index the appeals of the window that are not in the index: open ones created within
    ``open_days``, finished ones closed within ``window_days`` (either cut to the last ``days``
    when given). For history imported before imports indexed it, or appeals whose intake
    check failed. One transaction per batch; returns how many were indexed. Two reindexes at
    once (an operator's beside a scheduled one) take turns batch by batch: each batch is read
    after the lock, so neither indexes what the other has just indexed."""
    cfg = index.config()
    if not cfg["enabled"]:
        return 0
    now = clock.now()
    open_days, window_days = cfg["open_days"], cfg["window_days"]
    if days is not None:
        open_days, window_days = min(open_days, days), min(window_days, days)
    wanted = (
        Appeal.objects.filter(
            created_at__gte=now - timedelta(days=cfg["open_days"]),
            duplicate_entry__isnull=True,
        )
        .filter(
            Q(status__in=workflow.OPEN, created_at__gte=now - timedelta(days=open_days))
            | Q(
                status__in=(Status.CLOSED, Status.REJECTED),
                closed_at__gte=now - timedelta(days=window_days),
            )
        )
        .only(
            "id",
            "title",
            "description",
            "status",
            "area_id",
            "created_at",
            "closed_at",
            "reporter_id",
            "reporter_phone",
        )
        .order_by("pk")
    )
    done, last = 0, 0
    while True:
        with transaction.atomic():
            locks.wait_for("suqiu.duplicates:reindex")
            batch = list(wanted.filter(pk__gt=last)[:batch_size])
            if not batch:
                return done
            index_many(batch, cfg)
        done += len(batch)
        last = batch[-1].pk


# --- After actions ---------------------------------------------------------------------------------


def on_appeal_finished(*, appeal: Appeal, event, actor: Actor) -> None:
    """After merge, reject and revisit: a finished appeal stays a candidate for ``window_days``
    (a merged one not at all); the prune duty then takes it out of the index."""
    if appeal.status not in workflow.TERMINAL:
        return
    expires = expiry_of(appeal, index.config())
    DuplicateEntry.objects.filter(appeal_id=appeal.pk).update(expires_at=expires)


# --- Reading and dismissing --------------------------------------------------------------------------


@dataclass
class CandidateView:
    row: DuplicateCandidate
    other: Appeal
    relation: str  # "earlier": this appeal may repeat ``other``; "later": ``other`` may repeat this


def candidates_for(*, actor: Actor, appeal: Appeal, include_dismissed: bool = False):
    """The candidates of an appeal both ways, limited to appeals ``actor`` may see."""
    from suqiu.appeals import selectors

    qs = DuplicateCandidate.objects.filter(Q(appeal=appeal) | Q(candidate=appeal))
    if not include_dismissed:
        qs = qs.filter(dismissed_at__isnull=True)
    rows = list(qs.select_related("appeal", "candidate").order_by("-similarity", "id"))
    others = {r.candidate_id if r.appeal_id == appeal.pk else r.appeal_id for r in rows}
    visible = set(
        selectors.appeal_list(actor=actor).filter(pk__in=others).values_list("pk", flat=True)
    )
    out = []
    for r in rows:
        if r.appeal_id == appeal.pk:
            other, relation = r.candidate, "earlier"
        else:
            other, relation = r.appeal, "later"
        if other.pk in visible:
            out.append(CandidateView(r, other, relation))
    return out


def may_dismiss(actor: Actor, appeal: Appeal) -> bool:
    from suqiu.appeals.services import facts_of

    return workflow.is_assessor(actor, facts_of(appeal))


def merged_pair(appeal: Appeal, other: Appeal) -> bool:
    """One of the two was merged into the other: "duplicate or not" is settled for the pair."""
    return appeal.merged_into_id == other.pk or other.merged_into_id == appeal.pk


def dismiss(*, actor: Actor, appeal: Appeal, candidate_id: int) -> DuplicateCandidate:
    """Record that a candidate of ``appeal`` is not a duplicate (who and when). The caller has
    read ``appeal`` through the selectors (it is visible to ``actor``); the other appeal of the
    pair must be visible too."""
    from suqiu.appeals import selectors

    if not may_dismiss(actor, appeal):
        raise PermissionDenied(_("You may not dismiss duplicate candidates of this appeal."))
    with transaction.atomic():
        row = (
            DuplicateCandidate.objects.select_for_update()
            .filter(Q(appeal=appeal) | Q(candidate=appeal), pk=candidate_id)
            .first()
        )
        if row is None:
            raise NotFound(_("No such duplicate candidate."))
        # The pair's other appeal must be one the actor sees, as in ``candidates_for``: a
        # candidate of another community is neither shown nor answered for.
        other_id = row.candidate_id if row.appeal_id == appeal.pk else row.appeal_id
        if not selectors.appeal_list(actor=actor).filter(pk=other_id).exists():
            raise NotFound(_("No such duplicate candidate."))
        pair = list(Appeal.objects.filter(pk__in=[row.appeal_id, row.candidate_id]))
        if len(pair) == 2 and merged_pair(*pair):
            raise Conflict(
                _("One of these appeals was merged into the other: they are duplicates."),
                code="duplicate_merged",
            )
        if row.dismissed_at is None:
            row.dismissed_at = clock.now()
            row.dismissed_by_id = actor.user_id
            row.save(update_fields=["dismissed_at", "dismissed_by"])
    return row


def merge_in(*, actor: Actor, appeal: Appeal, candidate_id: int) -> Appeal:
    """Merge a later report into ``appeal``, from ``appeal``'s side: candidate row
    ``candidate_id`` must be one whose candidate is ``appeal``; the later appeal must be one the
    actor sees, and the merge is its action through ``appeals.services`` with all its checks.
    The caller has read ``appeal`` through the selectors. Returns the merged (later) appeal."""
    from suqiu.appeals import selectors
    from suqiu.appeals import services as appeal_services

    later_id = (
        DuplicateCandidate.objects.filter(candidate=appeal, pk=candidate_id)
        .values_list("appeal_id", flat=True)
        .first()
    )
    if later_id is None:
        raise NotFound(_("No such duplicate candidate."))
    later = selectors.appeal_get(actor=actor, appeal_id=later_id)
    return appeal_services.appeal_act(
        actor=actor, appeal_id=later.pk, action="merge", payload={"into": appeal.pk}
    )


# --- Similar appeals elsewhere: one person's case that may be a common problem ---------------------


@dataclass
class Elsewhere:
    appeal: Appeal
    similarity: float
    community: str


def similar_elsewhere(*, actor: Actor, appeal: Appeal) -> list[Elsewhere]:
    """Appeals of the appeal's street telling the same problem, most alike first: the seed's
    lone elderly tenant who cannot climb stairs any more, and the others like her in her own
    community and the next ones, which no one community's staff sees. The same index as the
    duplicate check, asked for the street's communities instead of the appeal's surroundings
    (still no scan); open appeals and those finished within the index's window; only appeals
    ``actor`` may see. Its pending duplicate candidates are left out: whether they are this
    appeal again is the duplicate panel's question, and once dismissed ("not a duplicate": a
    neighbour with the same need) they are listed here. Empty unless the appeal's area is a
    community of a street."""
    from suqiu.appeals import selectors
    from suqiu.directory.models import Organisation, OrgKind

    cfg = index.config()
    area = appeal.area
    if (
        not cfg["enabled"]
        or area is None
        or area.kind != OrgKind.COMMUNITY
        or area.parent_id is None
    ):
        return []
    names = dict(
        Organisation.objects.filter(parent_id=area.parent_id, kind=area.kind).values_list(
            "pk", "name"
        )
    )
    terms = index.terms_of(appeal.title, appeal.description)
    query_terms = terms[: cfg["max_query_terms"]]
    if not query_terms:
        return []
    keys = [index.term_key(t, a) for a in names for t in query_terms]
    lookup = index.look_up(
        keys,
        max_postings=cfg["max_postings"],
        min_shared=max(1, min(cfg["min_shared_terms"], len(query_terms) // 3)),
        exclude=appeal.pk,
    )
    pairs = DuplicateCandidate.objects.filter(
        Q(appeal_id=appeal.pk) | Q(candidate_id=appeal.pk), dismissed_at__isnull=True
    ).values_list("appeal_id", "candidate_id")
    pending = {other for pair in pairs for other in pair} - {appeal.pk}
    ranked = [pk for pk in lookup.ranked if pk not in pending][: cfg["elsewhere_max_loaded"]]
    if not ranked:
        return []
    visible = set(
        selectors.appeal_list(actor=actor)
        .filter(pk__in=ranked)
        .exclude(status__in=(Status.MERGED, Status.REJECTED))
        .values_list("pk", flat=True)
    )
    if not visible:
        return []
    bigrams = shingles(index.text_of(appeal.title, appeal.description))
    indexed = terms[: cfg["terms_per_appeal"]]
    out = []
    for entry in DuplicateEntry.objects.filter(appeal_id__in=visible).select_related("appeal"):
        other = entry.appeal
        if other.area_id not in names:
            continue
        score = index.similarity(
            bigrams,
            {index.term_key(t, other.area_id) for t in indexed},
            shingles(index.text_of(other.title, other.description)),
            set(index.unpack_keys(entry.keys)),
        )
        if score >= cfg["elsewhere_min_similarity"]:
            out.append(Elsewhere(other, score, names[other.area_id]))
    out.sort(key=lambda e: (-e.similarity, -e.appeal.pk))
    return out[: cfg["elsewhere_max_shown"]]


# --- Worker duty -----------------------------------------------------------------------------------

PRUNE_BATCH = 500


def prune(*, limit: int = PRUNE_BATCH) -> int:
    """Take finished-long-ago and too-old appeals out of the index; returns how many. Claims
    its batch with SKIP LOCKED, so several workers share the work."""
    cfg = index.config()
    now = clock.now()
    with transaction.atomic():
        entries = list(
            DuplicateEntry.objects.select_for_update(skip_locked=True)
            .filter(
                Q(expires_at__lt=now) | Q(created_at__lt=now - timedelta(days=cfg["open_days"]))
            )
            .only("appeal_id", "keys")[:limit]
        )
        if not entries:
            return 0
        ids = [e.appeal_id for e in entries]
        keys = sorted({k for e in entries for k in index.unpack_keys(e.keys)})
        # Every (key, appeal) pair with both in the batch belongs to an appeal being pruned.
        for i in range(0, len(keys), 2000):
            DuplicateTerm.objects.filter(key__in=keys[i : i + 2000], appeal_id__in=ids).delete()
        DuplicateEntry.objects.filter(appeal_id__in=ids).delete()
    return len(ids)
