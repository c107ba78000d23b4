"""Triage in the running system: suggestions and automatic dispatch at intake, urgency detection,
corrections, training and activation of routing models.

Intake (hooks registered in ``apps.py``, inside the creating transaction):

- order 20, ``detect_urgency``: reads the text against the urgency lexicon and the terms the active
  model learnt from history (``urgency.py``); remembers the result on the appeal for order 30.
- order 30, ``route``: the active routing model's top 3 categories (or, without a usable model, the
  keyword rules) are stored as ``AppealTriage``. When the top category's probability reaches that
  category's threshold (calibrated per category at training for the target precision) and the
  category has a default handling organisation, the system assesses (category, urgency) and
  dispatches to that organisation, the event reasons naming the model version and confidence.
  Otherwise a person decides; a detected urgency higher than the reporter's is then raised at once
  (``appeals.services.appeal_flag_urgency``), so the appeal moves up the to-assess queue.

Nothing here may break intake: every step runs in its own savepoint and failures are logged.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from suqiu.appeals import services as appeal_services
from suqiu.appeals.models import Appeal, Channel
from suqiu.appeals.workflow import Status, is_system
from suqiu.core import clock, locks
from suqiu.core.errors import ValidationFailed
from suqiu.core.text import normalise
from suqiu.directory import snapshot
from suqiu.directory.access import SYSTEM, Actor
from suqiu.triage import loader, urgency
from suqiu.triage.models import AppealTriage, Correction, RoutingModel, TriageSource

log = logging.getLogger(__name__)

TOP = 3
NEVER = 1.01  # a threshold no probability reaches


def text_of(title: str, description: str) -> str:
    """An appeal's text as the model reads it. A title that is only the start of the
    description (an import gives a row without a title its description's first line, shortened
    with "…"; one without a description its title as the description) is left out, so that the
    text is not read twice: the model learns and predicts on what the files it is evaluated on
    hold."""
    from suqiu.triage.router import text_of as router_text_of

    head = (title or "").strip().removesuffix("…").rstrip()
    if head and (description or "").strip().startswith(head):
        return router_text_of("", description)
    return router_text_of(title, description)


# --- Suggestions ---------------------------------------------------------------------------------


@dataclass
class Suggestions:
    source: str = TriageSource.NONE
    model_version: int | None = None
    items: list[dict] = field(default_factory=list)  # best first
    auto: dict | None = None  # the item to assess and dispatch on, when confident enough


def suggest(title: str, description: str, area_id: int | None = None) -> Suggestions:
    """What triage would suggest for this text now: the active model, else the keyword rules.
    ``area_id`` (the appeal's area) picks the handling organisation the model learnt for it."""
    loaded = None
    try:
        loaded = loader.active()
    except Exception:  # noqa: BLE001
        log.exception("triage: the active routing model could not be read")
    if loaded is not None:
        try:
            return _from_model(loaded, text_of(title, description), area_id)
        except Exception:  # noqa: BLE001 - a model that fails to predict is a model we lack
            log.exception("triage: routing model v%s failed to predict", loaded.version)
            return Suggestions()
    return _from_rules(f"{title}\n{description}")


def _item(
    category,
    confidence: float,
    threshold: float,
    routes: dict | None = None,
    area_id: int | None = None,
) -> dict:
    """A suggestion. Its organisation: the one the model learnt for the category in this area,
    else for the category anywhere (``learn_routes``), else the category's default; a learnt
    organisation deactivated since training is passed over. A category an administrator keeps
    from automatic dispatch (``Category.auto_dispatch`` off) gets the threshold ``NEVER``."""
    routes = routes or {}
    learnt = None
    for key in (str(area_id) if area_id is not None else None, "*"):
        if key in routes and snapshot.is_active_organisation(routes[key]):
            learnt = routes[key]
            break
    return {
        "category_id": category.pk,
        "code": category.code,
        "confidence": round(float(confidence), 4),
        "threshold": round(float(threshold if category.auto_dispatch else NEVER), 4),
        "organisation_id": learnt if learnt is not None else category.default_organisation_id,
        "organisation_learnt": learnt is not None,
    }


def _from_model(loaded: loader.Loaded, text: str, area_id: int | None = None) -> Suggestions:
    ranked = loaded.router.predict([text], top=TOP)[0]
    out = Suggestions(source=TriageSource.MODEL, model_version=loaded.version)
    for rank, (label, prob) in enumerate(ranked):
        category = _label_category(loaded, str(label))
        if category is None:
            continue  # deactivated or deleted since training
        threshold = float(loaded.thresholds.get(str(label), NEVER))
        routes = (loaded.label_map.get(str(label)) or {}).get("routes")
        item = _item(category, prob, threshold, routes, area_id)
        out.items.append(item)
        # A category without a default organisation is one an administrator keeps for people
        # to dispatch: a learnt route is suggested there, never taken on its own.
        if (
            rank == 0
            and item["threshold"] <= 1.0
            and float(prob) >= threshold
            and category.default_organisation_id is not None
        ):
            out.auto = item
    return out


def _label_category(loaded: loader.Loaded, label: str):
    """The active category a model's label stands for: the one it was trained as (the label
    map's ``category_id``), else the category with that code. Never the label read as an id:
    a code made of digits ("3") is not the category whose id is 3."""
    entry = loaded.label_map.get(label) or {}
    if entry.get("category_id") is not None:
        return snapshot.active_category_by_id(entry["category_id"])
    return snapshot.active_category_by_code(label)


def _from_rules(text: str) -> Suggestions:
    """Keyword rules: a category's score is how many of its keywords occur; confidence is its
    share of all hits. A rule marked ``auto`` dispatches on its own only when it is the one
    category that matched (threshold 1.0 on its suggestion; others never)."""
    from suqiu.core.text import normalise

    flat = normalise(text)
    hits: Counter = Counter()
    auto_ok: dict[int, bool] = {}
    for rule in loader.rules():
        n = sum(1 for k in rule.keywords if k in flat)
        if n and snapshot.active_category(rule.category_id) is not None:
            hits[rule.category_id] += n
            auto_ok[rule.category_id] = auto_ok.get(rule.category_id, False) or rule.auto
    if not hits:
        return Suggestions()
    total = sum(hits.values())
    out = Suggestions(source=TriageSource.RULES)
    for cat_id, n in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]:
        category = snapshot.active_category(cat_id)
        out.items.append(_item(category, n / total, 1.0 if auto_ok[cat_id] else NEVER))
    only = out.items[0]
    if len(hits) == 1 and only["threshold"] <= 1.0 and only["organisation_id"] is not None:
        out.auto = only
    return out


def rule_urgency_terms(text: str) -> list[dict]:
    """Keywords of active rules that carry an urgency and occur in ``text``."""
    from suqiu.core.text import normalise

    flat = normalise(text)
    out = []
    for rule in loader.rules():
        if rule.urgency and rule.urgency != urgency.NORMAL:
            out.extend(
                {"term": k, "kind": "rule", "level": rule.urgency}
                for k in rule.keywords
                if k in flat
            )
    return out


# --- Intake hooks --------------------------------------------------------------------------------


def _skip(appeal: Appeal) -> bool:
    return appeal.channel == Channel.IMPORT or appeal.status != Status.RECEIVED


def detect_urgency(*, appeal: Appeal, event, actor: Actor) -> None:
    """Order 20: how urgent the text reads (kept on the appeal for ``route``). The lexicon works
    even when the model or the rules cannot be read."""
    if _skip(appeal):
        return
    text = f"{appeal.title}\n{appeal.description}"
    learnt: list = []
    try:
        loaded = loader.active()
        learnt = loaded.urgency_terms if loaded is not None else []
    except Exception:  # noqa: BLE001
        log.exception("triage: learnt urgency terms unavailable for appeal %s", appeal.pk)
    try:
        detection = urgency.detect(text, learnt)
    except Exception:  # noqa: BLE001
        log.exception("triage: urgency detection failed for appeal %s", appeal.pk)
        return
    try:
        detection.add(rule_urgency_terms(text))
    except Exception:  # noqa: BLE001
        log.exception("triage: keyword rules unavailable for appeal %s", appeal.pk)
    appeal._triage_urgency = detection


def route(*, appeal: Appeal, event, actor: Actor) -> None:
    """Order 30: store suggestions; assess and dispatch when the model is sure enough; otherwise
    raise a detected urgency so the appeal jumps the to-assess queue."""
    if _skip(appeal):
        return
    detection = getattr(appeal, "_triage_urgency", None) or urgency.Detection()
    try:
        result = suggest(appeal.title, appeal.description, appeal.area_id)
    except Exception:  # noqa: BLE001 - no suggestion is better than no appeal
        log.exception("triage: no suggestions for appeal %s", appeal.pk)
        result = Suggestions()
    triage = AppealTriage(
        appeal=appeal,
        suggestions=result.items,
        source=result.source,
        model_version=result.model_version,
        urgency_suggested=detection.level if detection.level != urgency.NORMAL else "",
        urgency_terms=detection.terms,
        created_at=clock.now(),
    )
    wanted = appeal.urgency
    if detection.higher_than(wanted):
        wanted = detection.level
    auto = result.auto
    if auto is not None and appeal.category_id not in (None, auto["category_id"]):
        auto = None  # the reporter chose another category: a person decides
    if auto is not None:
        triage.auto_dispatched = _auto_dispatch(appeal, result, auto, wanted)
        if triage.auto_dispatched:
            triage.auto_confidence = auto["confidence"]
            triage.urgency_raised = wanted != appeal.urgency
    if not triage.auto_dispatched and wanted != appeal.urgency:
        triage.urgency_raised = _raise_urgency(appeal, wanted, detection)
    if not (triage.suggestions or triage.urgency_terms):
        return  # nothing to remember: intake stays as lean as without triage
    try:
        with transaction.atomic():
            triage.save()
    except Exception:  # noqa: BLE001
        log.exception("triage: suggestions for appeal %s not stored", appeal.pk)


def _auto_note(result: Suggestions, auto: dict) -> str:
    category = snapshot.active_category(auto["category_id"])
    if result.source == TriageSource.RULES:
        return _("Routed automatically by a keyword rule: %(category)s.") % {
            "category": category.name if category else auto["code"]
        }
    return _(
        "Routed automatically by triage model v%(version)s: %(category)s at confidence "
        "%(confidence).2f (threshold %(threshold).2f)."
    ) % {
        "version": result.model_version,
        "category": category.name if category else auto["code"],
        "confidence": auto["confidence"],
        "threshold": auto["threshold"],
    }


def _auto_dispatch(appeal: Appeal, result: Suggestions, auto: dict, wanted: str) -> bool:
    note = _auto_note(result, auto)
    # Why the system acted, as data on both events (the note says it in words).
    context = {
        "triage": {
            "source": result.source,
            "model_version": result.model_version,
            "category": auto["code"],
            "confidence": auto.get("confidence"),
            "threshold": auto.get("threshold"),
            "organisation_learnt": bool(auto.get("organisation_learnt")),
        }
    }
    try:
        with transaction.atomic():
            appeal_services.appeal_act(
                actor=SYSTEM,
                appeal_id=appeal.pk,
                action="assess",
                # The id as a number: a code made of digits would be read as an id first.
                payload={"category": auto["category_id"], "urgency": wanted, "note": note},
                context=context,
            )
            appeal_services.appeal_act(
                actor=SYSTEM,
                appeal_id=appeal.pk,
                action="dispatch",
                payload={"lead_organisation": auto["organisation_id"], "note": note},
                context=context,
            )
    except Exception:  # noqa: BLE001 - the appeal then waits for a person, as below threshold
        log.exception("triage: automatic dispatch of appeal %s failed", appeal.pk)
        return False
    return True


def _raise_urgency(appeal: Appeal, wanted: str, detection: urgency.Detection) -> bool:
    terms = [t["term"] for t in detection.terms]
    try:
        with transaction.atomic():
            appeal_services.appeal_flag_urgency(
                appeal_id=appeal.pk,
                urgency=wanted,
                reason=_("Urgency raised by triage: %(terms)s") % {"terms": "、".join(terms)},
                data={"source": "triage", "terms": detection.terms},
            )
    except Exception:  # noqa: BLE001
        log.exception("triage: raising the urgency of appeal %s failed", appeal.pk)
        return False
    return True


# --- Corrections ---------------------------------------------------------------------------------


def record_assess(*, appeal: Appeal, event, actor: Actor) -> None:
    """After a person's assessment: a correction when the category is not the top suggestion."""
    _record(appeal, actor, event, action="assess")


def record_dispatch(*, appeal: Appeal, event, actor: Actor) -> None:
    """After a person's dispatch: a correction when the lead organisation is not the top
    suggestion's."""
    _record(appeal, actor, event, action="dispatch")


def _record(appeal: Appeal, actor: Actor, event, *, action: str) -> None:
    """A correction against the top suggestion: the one stored at intake, else (no row, or one
    with an urgency only) the one the page and the API showed, computed now the same way."""
    if is_system(actor):
        return
    try:
        with transaction.atomic():
            triage = AppealTriage.objects.filter(appeal_id=appeal.pk).first()
            top = triage.top if triage is not None else None
            model_version = triage.model_version if triage is not None else None
            if not top:
                live = suggest(appeal.title, appeal.description, appeal.area_id)
                top = live.items[0] if live.items else None
                model_version = live.model_version
            if not top:
                return
            if action == "assess":
                differs = appeal.category_id != top.get("category_id")
            else:
                differs = appeal.lead_organisation_id != top.get("organisation_id")
            if not differs:
                return
            from suqiu.directory.models import Category, Organisation

            suggested_cat = Category.objects.filter(pk=top.get("category_id")).first()
            suggested_org = (
                Organisation.objects.filter(pk=top["organisation_id"]).first()
                if top.get("organisation_id")
                else None
            )
            Correction.objects.create(
                appeal_id=appeal.pk,
                action=action,
                model_version=model_version,
                suggested_category=suggested_cat,
                suggested_organisation=suggested_org,
                chosen_category_id=appeal.category_id,
                chosen_organisation_id=appeal.lead_organisation_id
                if action == "dispatch"
                else None,
                actor_id=actor.user_id,
                at=event.created_at,
            )
    except Exception:  # noqa: BLE001 - a failed record must not undo the person's action
        log.exception("triage: correction on appeal %s not recorded", appeal.pk)


# --- Training and activation ---------------------------------------------------------------------

# Appeals a person has assessed: their category and urgency are the final labels.
LABELLED_STATUSES = [
    s.value for s in Status if s not in (Status.RECEIVED, Status.REJECTED, Status.MERGED)
]


# An appeal triage dispatched on its own confirms its category only once handled to the end
# under it by the organisation it was sent to; until then it would teach the model its own guesses.
CONFIRMED_STATUSES = [Status.RESOLVED.value, Status.VERIFIED.value, Status.CLOSED.value]


def rerouted_events():
    """The events that send an appeal elsewhere after its dispatch: a return (by its
    organisation or by the system) or a dispatch by a person; correlated with the appeal
    (``OuterRef("pk")``), for ``Exists``."""
    from django.db.models import OuterRef, Q

    from suqiu.appeals.models import AppealEvent, EventKind

    return AppealEvent.objects.filter(appeal_id=OuterRef("pk")).filter(
        Q(kind=EventKind.RETURN) | Q(kind=EventKind.DISPATCH, actor__isnull=False)
    )


def _labelled_appeals():
    """Assessed appeals with an active category, whose category (and lead organisation) a
    person chose or confirmed. Those triage dispatched itself count once resolved, and only
    when nobody had to send them elsewhere: an appeal returned (by its organisation or by the
    system) or dispatched again by a person was resolved under the system's category all the
    same, since a dispatched appeal is not assessed again, so that category is no person's
    confirmation of it and it is left out."""
    from django.db.models import Exists, OuterRef, Q

    corrected = Correction.objects.filter(appeal_id=OuterRef("pk"), action="dispatch")
    return (
        Appeal.objects.filter(
            status__in=LABELLED_STATUSES, category__isnull=False, category__is_active=True
        )
        .alias(rerouted=Exists(rerouted_events()), corrected=Exists(corrected))
        .exclude(
            Q(triage__auto_dispatched=True)
            & (~Q(status__in=CONFIRMED_STATUSES) | Q(rerouted=True) | Q(corrected=True))
        )
    )


def training_rows(max_rows: int | None = None) -> tuple[list[tuple[str, str, str, str, str]], int]:
    """(title, description, category code, urgency, channel) of every assessed appeal with a
    category, oldest first, and how many were left out for naming their category (below). The
    category is the final one, so a person's correction is what is learnt; appeals triage
    assessed and dispatched itself count only once resolved under that category, without a
    return or another dispatch (``_labelled_appeals``). With
    ``max_rows``, only the most recent ``max_rows`` kept ones (by their time of intake): the
    appeals left out do not take places in it."""
    qs = _labelled_appeals()
    fields = ("title", "description", "category__code", "urgency", "channel")
    names_its_category = category_name_check()
    kept, left_out = [], 0
    newest_first = qs.order_by("-created_at", "-pk").values_list(*fields)
    for row in newest_first.iterator(chunk_size=2000):
        if max_rows is not None and len(kept) >= max_rows:
            break
        if names_its_category(row[0], row[2]):
            left_out += 1
        else:
            kept.append(row)
    return kept[::-1], left_out


def category_name_check():
    """A test of (title, category code): is the title the category's name (Chinese or
    English), alone or followed by " - " and a sub-type? A US 311 export has no text of its
    own: its title is the request type ("Dead Animal Removal", "Street Condition - Pothole"),
    so a model trained on it scores near 1.0 in cross-validation by reading the label back,
    and would dispatch on its own from those figures."""
    from suqiu.directory.models import Category

    names: dict[str, list[str]] = {}
    for code, name, name_en in Category.objects.values_list("code", "name", "name_en"):
        names[code] = [n for n in (normalise(name), normalise(name_en)) if len(n) >= 2]

    def names_its_category(title: str, code: str) -> bool:
        title = normalise(title)
        return any(
            title == n or title.startswith((f"{n} -", f"{n}-", f"{n} /"))
            for n in names.get(code, ())
        )

    return names_its_category


# Where a category's appeals are dispatched, learnt from history: an organisation becomes the
# category's route (in one area, or anywhere) when it led at least ROUTE_MIN_APPEALS of them
# there and at least ROUTE_MIN_SHARE of them.
ROUTE_MIN_APPEALS = 3
ROUTE_MIN_SHARE = 0.8


def learn_routes(max_rows: int | None = None) -> dict[str, dict[str, int]]:
    """``{category code: {"*": organisation id, "<area id>": organisation id, ...}}``: the
    organisation each category's appeals went to, per area (an area's entry only where it
    differs from the category's own) and overall (only where it differs from the category's
    default, and never a community or street), from the lead organisation of the most recent ``max_rows`` dispatched appeals. A
    dispatcher's choice counts, so a correction teaches the route; the system's own dispatches
    count only once resolved there."""
    from suqiu.directory.models import AREA_KINDS, Category, Organisation

    qs = (
        _labelled_appeals()
        .filter(lead_organisation__isnull=False, lead_organisation__is_active=True)
        .order_by("-created_at", "-pk")
        .values_list("category__code", "area_id", "lead_organisation_id")
    )
    if max_rows is not None:
        qs = qs[: max(0, max_rows)]
    overall: dict[str, Counter] = {}
    by_area: dict[tuple[str, int], Counter] = {}
    for code, area_id, org_id in qs.iterator(chunk_size=2000):
        overall.setdefault(code, Counter())[org_id] += 1
        by_area.setdefault((code, area_id), Counter())[org_id] += 1

    def route(counts: Counter) -> int | None:
        org_id, n = counts.most_common(1)[0]
        return org_id if n >= ROUTE_MIN_APPEALS and n >= ROUTE_MIN_SHARE * counts.total() else None

    defaults = dict(Category.objects.values_list("code", "default_organisation_id"))
    # A community or street handling its own appeals is that area's route, never everyone's.
    areas = set(Organisation.objects.filter(kind__in=AREA_KINDS).values_list("pk", flat=True))
    routes: dict[str, dict[str, int]] = {}
    for code, counts in overall.items():
        learnt = route(counts)
        if learnt is not None and learnt not in areas and learnt != defaults.get(code):
            routes.setdefault(code, {})["*"] = learnt
    for (code, area_id), counts in by_area.items():
        learnt = route(counts)
        usual = routes.get(code, {}).get("*", defaults.get(code))
        if learnt is not None and learnt != usual:
            routes.setdefault(code, {})[str(area_id)] = learnt
    return routes


def train_from_db(
    *,
    min_per_label: int = 5,
    max_rows: int | None = None,
    target_precision: float = 0.98,
    seed: int = 0,
    activate_model: bool = True,
    max_drop: float | None = None,
    progress=None,
) -> RoutingModel:
    """Train a routing model on the database's assessed appeals, store it as the next version
    and (by default) activate it. ``max_rows`` (default ``SUQIU_TRIAGE_MAX_ROWS``; 0 = all)
    keeps training to the most recent appeals: its time and memory grow with the rows.

    ``max_drop``: a new version whose cross-validated macro-F1 is more than this below the
    active version's is stored but not activated (an unattended nightly training after a batch
    of wrong corrections keeps the model that worked); ``held_back`` on the returned model then
    says against which version, else it is None."""
    from suqiu.directory.models import Category
    from suqiu.triage import router

    say = progress or (lambda _msg: None)
    if max_rows is None:
        max_rows = settings.SUQIU_TRIAGE_MAX_ROWS
    rows, leaked = training_rows(max_rows or None)
    if leaked:
        say(
            _(
                "left out %(n)s appeals whose title is their category's name (311 exports and "
                "Open311 requests without text): they would teach the model the category's "
                "name, not how people describe the problem"
            )
            % {"n": leaked}
        )
    counts = Counter(row[2] for row in rows)
    keep = {code for code, n in counts.items() if n >= min_per_label}
    if len(keep) < 2:
        raise ValidationFailed(
            _(
                "Not enough assessed appeals to train: at least two categories need "
                "%(n)d appeals each."
            )
            % {"n": min_per_label},
            code="not_enough_data",
        )
    texts, labels = [], []
    for title, description, code, _u, _ch in rows:
        if code in keep:
            texts.append(text_of(title, description))
            labels.append(code)
    say(
        _("training on %(appeals)s appeals in %(categories)s categories")
        % {"appeals": len(texts), "categories": len(keep)}
    )
    trained = router.train(
        texts,
        labels,
        target_precision=target_precision,
        calibrate_thresholds=True,
        seed=seed,
        progress=say,
        # Translated here, in the caller's language (the fits report from other threads).
        progress_texts={key: _(text) for key, text in router.PROGRESS_TEXTS.items()},
    )
    routes = learn_routes(max_rows or None)
    label_map = {
        c.code: {
            "category_id": c.pk,
            "organisation_id": c.default_organisation_id,
            "routes": routes.get(c.code, {}),
        }
        for c in Category.objects.filter(code__in=keep)
    }
    routed = {code: r for code, r in routes.items() if code in keep}
    if routed:
        say(
            _(
                "learnt handling organisations other than the default for %(categories)s "
                "categories (%(routes)s routes, by area or overall)"
            )
            % {"categories": len(routed), "routes": sum(len(r) for r in routed.values())}
        )
    say(_("learning urgency terms from history"))
    # Urgency is learnt from what people wrote: a sensor's alerts are templates whose every word
    # ("监测", "持续", "分钟") would otherwise read as urgent in a resident's text; their urgency
    # comes from the device's own rules.
    learnt = urgency.learn(
        (f"{t}\n{d}", u) for t, d, _c, u, channel in rows if channel != Channel.SENSOR
    )
    held_back = None
    if activate_model and max_drop is not None:
        held_back = _worse_than_active(trained.metrics or {}, max_drop)
    model = store(
        trained,
        label_map=label_map,
        urgency_terms=learnt,
        n_train=len(texts),
        activate_model=activate_model and held_back is None,
    )
    model.held_back = held_back
    return model


def _worse_than_active(metrics: dict, max_drop: float) -> dict | None:
    """The active version and both macro-F1s when ``metrics`` are more than ``max_drop`` below
    its cross-validated macro-F1; None when they are not, or when there is nothing to compare."""
    active = RoutingModel.objects.filter(is_active=True).only("version", "metrics").first()
    if active is None:
        return None
    before, after = (active.metrics or {}).get("macro_f1"), metrics.get("macro_f1")
    if before is None or after is None or before - after <= max_drop:
        return None
    return {"version": active.version, "macro_f1": float(before), "new_macro_f1": float(after)}


STORE_ATTEMPTS = 5


def store(
    trained,
    *,
    label_map: dict,
    urgency_terms: list,
    n_train: int,
    activate_model: bool = True,
) -> RoutingModel:
    """Save a trained router as the next version (and activate it). Two trainings finishing at
    once both get a version: the one that loses the race for a number (or for being the active
    one) tries again with the next."""
    info = getattr(trained, "version_info", {}) or {}
    algorithm = str(info.get("algorithm") or type(trained).__name__)[:120]
    blob = trained.to_bytes()
    metrics = _jsonable({**(trained.metrics or {}), "version_info": info})
    thresholds = {str(k): float(v) for k, v in (trained.thresholds or {}).items()}
    for attempt in range(STORE_ATTEMPTS):
        try:
            with transaction.atomic():
                last = RoutingModel.objects.order_by("-version").values_list("version", flat=True)
                model = RoutingModel.objects.create(
                    version=(last.first() or 0) + 1,
                    created_at=clock.now(),
                    algorithm=algorithm,
                    blob=blob,
                    metrics=metrics,
                    thresholds=thresholds,
                    label_map=label_map,
                    urgency_terms=urgency_terms,
                    n_train=n_train,
                )
                if activate_model:
                    activate(model)
            return model
        except IntegrityError:
            if attempt == STORE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


# The key of the transaction-level advisory lock that serialises activations on PostgreSQL.
ACTIVATION_LOCK = 0x7472_6961_6765  # "triage"


def activate(model: RoutingModel) -> RoutingModel:
    """Make ``model`` the one intake uses; every process picks it up within seconds.

    Two activations at once (two administrators, or one and a training) would each switch the
    other's version off before theirs committed and collide on the one-active constraint; on
    PostgreSQL they wait for each other on an advisory lock instead (SQLite runs one write
    transaction at a time anyway), and the last one wins."""
    with transaction.atomic():
        locks.wait_for(ACTIVATION_LOCK)
        RoutingModel.objects.filter(is_active=True).exclude(pk=model.pk).update(is_active=False)
        RoutingModel.objects.filter(pk=model.pk).update(is_active=True)
        model.is_active = True
        loader.bump()
    return model


def deactivate_all() -> int:
    """No active model: intake falls back to keyword rules."""
    with transaction.atomic():
        locks.wait_for(ACTIVATION_LOCK)
        n = RoutingModel.objects.filter(is_active=True).update(is_active=False)
        loader.bump()
    return n


def _jsonable(value):
    """Metrics as JSON: numpy numbers and tuples become plain numbers and lists."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
