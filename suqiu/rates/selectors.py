"""Reading the rates: one aggregate query over ``RateDay`` (or ``RateFact`` for grids), scoped
to the asking actor.

``rates(actor, group_by=..., date_from=..., date_to=..., area=, category=, organisation=,
grid=)`` returns a ``RatesTable``: one row per group plus the total, each with the three rates,
the on-time rates and average durations of the four stages, and the counts behind them (the
definitions are in ``suqiu/rates/apps.py`` and ``DEFINITIONS`` below).

Scope (the same area rules as ``appeals.selectors.visible_q``): administrators see everything;
dispatchers, leaders and the other area roles the appeals received in their areas; department
handlers (and social and community workers, through their organisation) the dispatches and
appeals their organisation led. Residents and volunteers may not read rates (403).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

from django.db.models import Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suqiu.appeals.selectors import AREA_ROLES
from suqiu.core.errors import PermissionDenied, ValidationFailed
from suqiu.directory.access import Actor
from suqiu.rates.models import COUNTER_FIELDS, RateDay, RateFact

ORG_ROLES = ("department_handler", "social_worker", "community_worker")

GROUPS = {
    "organisation": "organisation_id",
    "area": "area_id",
    "grid": "grid_id",
    "category": "category_id",
    "day": "day",
    "week": "week",
    "month": "month",
    "total": None,
}
GROUP_LABELS = {
    "organisation": gettext_lazy("Organisation"),
    "area": gettext_lazy("Community (area)"),
    "grid": gettext_lazy("Grid"),
    "category": gettext_lazy("Category"),
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "total": gettext_lazy("Total"),
}
MAX_DAYS = 400
STAGES = ("dispatch", "accept", "resolve", "revisit")
RATES = ("response", "resolution", "satisfaction")

DEFINITIONS = {
    "response": gettext_lazy(
        "Response rate: dispatches accepted within their accept limit ÷ dispatches accepted or "
        "returned. Per dispatch: an appeal dispatched twice counts twice, each time for the "
        "organisation it went to; a dispatch still waiting is not counted yet; an acceptance "
        "with no accept limit counts as in time."
    ),
    "resolution": gettext_lazy(
        "Resolution rate: appeals whose last rated revisit closed them as resolved ÷ appeals "
        "with a rated revisit. Closures without a score (reporter not reached) are left out."
    ),
    "satisfaction": gettext_lazy(
        "Satisfaction rate: appeals whose last revisit score is 3 to 5 (basically satisfied, "
        "satisfied, very satisfied) ÷ appeals with a rated revisit."
    ),
    "on_time": gettext_lazy(
        "On-time rate of a stage (dispatch, accept, resolve, revisit): stages completed by their "
        "due time ÷ stages completed that had a due time. Each stage is judged at its first "
        "completion (accept: per dispatch); an approved extension moves the due time."
    ),
    "period": gettext_lazy(
        "Figures are about the appeals received in the period (by creation date, local time), "
        "within your scope."
    ),
}

# (key, heading, kind) of the table, the CSV and the XLSX, in order. kind: count, rate, hours.
COLUMNS = [
    ("appeals", gettext_lazy("Appeals"), "count"),
    ("decided", gettext_lazy("Dispatches decided"), "count"),
    ("response", gettext_lazy("Response rate"), "rate"),
    ("rated", gettext_lazy("Rated revisits"), "count"),
    ("resolution", gettext_lazy("Resolution rate"), "rate"),
    ("satisfaction", gettext_lazy("Satisfaction rate"), "rate"),
    ("not_rated", gettext_lazy("Closed not rated"), "count"),
    ("dispatch_on_time", gettext_lazy("Dispatch on time"), "rate"),
    ("accept_on_time", gettext_lazy("Accept on time"), "rate"),
    ("resolve_on_time", gettext_lazy("Resolve on time"), "rate"),
    ("revisit_on_time", gettext_lazy("Revisit on time"), "rate"),
    ("dispatch_hours", gettext_lazy("Avg. hours to dispatch"), "hours"),
    ("accept_hours", gettext_lazy("Avg. hours to accept"), "hours"),
    ("resolve_hours", gettext_lazy("Avg. hours to resolve"), "hours"),
    ("revisit_hours", gettext_lazy("Avg. hours to revisit"), "hours"),
]

# Each derived figure: (numerator column, denominator column).
FRACTIONS = {
    "response": ("responded", "decided"),
    "resolution": ("revisit_resolved", "rated"),
    "satisfaction": ("satisfied", "rated"),
    "dispatch_on_time": ("dispatch_on_time", "dispatch_timed"),
    "accept_on_time": ("accept_on_time", "accept_timed"),
    "resolve_on_time": ("resolve_on_time", "resolve_timed"),
    "revisit_on_time": ("revisit_on_time", "revisit_timed"),
}
# Average durations: (seconds column, count column).
DURATIONS = {
    "dispatch_hours": ("dispatch_secs", "dispatch_done"),
    "accept_hours": ("accept_secs", "accepted"),
    "resolve_hours": ("resolve_secs", "resolve_done"),
    "revisit_hours": ("revisit_secs", "revisit_done"),
}


@dataclass
class RateRow:
    key: object
    label: str
    sums: dict[str, int]

    def fraction(self, name: str) -> Fraction | None:
        """An exact rate (``FRACTIONS``), None when its denominator is 0."""
        num, den = FRACTIONS[name]
        return Fraction(self.sums[num], self.sums[den]) if self.sums[den] else None

    def percent(self, name: str) -> float | None:
        value = self.fraction(name)
        return None if value is None else round(float(value) * 100, 1)

    def hours(self, name: str) -> float | None:
        secs, count = DURATIONS[name]
        return round(self.sums[secs] / self.sums[count] / 3600, 1) if self.sums[count] else None

    def value(self, key: str, kind: str):
        """The table cell of column ``key``: a count, a percentage or hours (None: no data)."""
        if kind == "rate":
            return self.percent(key)
        if kind == "hours":
            return self.hours(key)
        return self.sums[key]

    def cells(self) -> list:
        return [self.value(key, kind) for key, _h, kind in COLUMNS]

    def as_dict(self) -> dict:
        out: dict = {"key": _plain(self.key), "label": self.label, "appeals": self.sums["appeals"]}
        for name, (num, den) in FRACTIONS.items():
            out[name] = {"numerator": self.sums[num], "denominator": self.sums[den]}
            out[name]["rate"] = (
                round(self.sums[num] / self.sums[den], 4) if self.sums[den] else None
            )
        for name in DURATIONS:
            out[name] = self.hours(name)
        out["counts"] = dict(self.sums)
        return out


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


@dataclass
class RatesTable:
    group_by: str
    date_from: date
    date_to: date
    rows: list[RateRow]
    total: RateRow
    filters: dict = field(default_factory=dict)
    by_organisation: list[RateRow] | None = None  # with_rankings: the rows by organisation


# --- Scope ---------------------------------------------------------------------------------------


def may_read_rates(actor: Actor) -> bool:
    return (
        actor.is_superuser
        or "admin" in actor.roles
        or bool(actor.area_paths(*AREA_ROLES))
        or bool(actor.org_ids(*ORG_ROLES))
    )


def may_see_rates_nav(actor: Actor) -> bool:
    """The workbench link: leaders, dispatchers and administrators."""
    return actor.is_superuser or bool(actor.roles & {"admin", "leader", "dispatcher"})


def rate_scope_q(actor: Actor) -> Q:
    """The rows ``actor`` may count; PermissionDenied for residents, volunteers, the public."""
    if actor.is_superuser or "admin" in actor.roles:
        return Q()
    if actor.user_id is None or not may_read_rates(actor):
        raise PermissionDenied(_("Your role may not read rates."), code="rates_not_allowed")
    q = Q(pk__in=[])
    for path in actor.area_paths(*AREA_ROLES):
        q |= Q(area_path__startswith=path)
    orgs = actor.org_ids(*ORG_ROLES)
    if orgs:
        q |= Q(organisation_id__in=sorted(orgs))
    return q


# --- The query -----------------------------------------------------------------------------------


def default_period(today: date | None = None) -> tuple[date, date]:
    from django.utils import timezone

    from suqiu.core import clock

    today = today or timezone.localtime(clock.now()).date()
    return today - timedelta(days=29), today


def _filters(*, date_from, date_to, area, category, organisation, grid) -> tuple[Q, dict]:
    from suqiu.directory.models import Category, Grid, Organisation

    errors: dict[str, list[str]] = {}
    if date_from is None:
        errors["from"] = [_("This field is required.")]
    if date_to is None:
        errors["to"] = [_("This field is required.")]
    if date_from and date_to:
        if date_from > date_to:
            errors["to"] = [_("Must not be before the start date.")]
        elif (date_to - date_from).days + 1 > MAX_DAYS:
            errors["to"] = [_("At most %(n)d days.") % {"n": MAX_DAYS}]
    q = Q()
    shown: dict = {}
    if area is not None:
        org = Organisation.objects.filter(pk=area).only("id", "path", "name").first()
        if org is None:
            errors["area"] = [_("Unknown area.")]
        else:
            q &= Q(area_path__startswith=org.path)
            shown["area"] = org
    if category is not None:
        cat = Category.objects.filter(pk=category).only("id", "path", "name").first()
        if cat is None:
            errors["category"] = [_("Unknown category.")]
        else:
            ids = Category.objects.filter(path__startswith=cat.path).values_list("pk", flat=True)
            q &= Q(category_id__in=sorted(ids))
            shown["category"] = cat
    if organisation is not None:
        org = Organisation.objects.filter(pk=organisation).only("id", "name").first()
        if org is None:
            errors["organisation"] = [_("Unknown organisation.")]
        else:
            q &= Q(organisation_id=org.pk)
            shown["organisation"] = org
    if grid is not None:
        found = Grid.objects.filter(pk=grid).only("id", "name").first()
        if found is None:
            errors["grid"] = [_("Unknown grid.")]
        else:
            q &= Q(grid_id=found.pk)
            shown["grid"] = found
    if errors:
        raise ValidationFailed(_("The request is not valid."), fields=errors)
    return q & Q(day__gte=date_from, day__lte=date_to), shown


def rates(
    actor: Actor,
    *,
    group_by: str,
    date_from: date | None,
    date_to: date | None,
    area: int | None = None,
    category: int | None = None,
    organisation: int | None = None,
    grid: int | None = None,
    with_rankings: bool = False,
) -> RatesTable:
    """The rates of the appeals received from ``date_from`` to ``date_to`` (inclusive, local
    dates) in ``actor``'s scope, grouped by ``group_by`` (one of ``GROUPS``).

    ``with_rankings``: also the rows by organisation (``table.by_organisation``) for
    ``rankings(table)``, from the same scan (grouped by both) unless grouped by grid."""
    scope = rate_scope_q(actor)
    if group_by not in GROUPS:
        raise ValidationFailed(
            _("The request is not valid."),
            fields={"group_by": [_("One of %(choices)s.") % {"choices": ", ".join(GROUPS)}]},
        )
    where, shown = _filters(
        date_from=date_from,
        date_to=date_to,
        area=area,
        category=category,
        organisation=organisation,
        grid=grid,
    )
    # The daily rollup unless the grid is asked for (it is not a rollup key); same columns.
    source = RateFact if group_by == "grid" or grid is not None else RateDay
    qs = source.objects.filter(scope).filter(where)
    column = GROUPS[group_by]
    by_organisation = None
    if not with_rankings or column in ("organisation_id", "grid_id"):
        rows, total_sums = _grouped(qs, column)
        if with_rankings and column == "organisation_id":
            by_organisation = rows
        elif with_rankings:
            # Grouped by grid: the organisations from the rollup unless a grid is filtered on.
            org_source = RateFact if grid is not None else RateDay
            org_qs = org_source.objects.filter(scope).filter(where)
            by_organisation = _grouped(org_qs, "organisation_id")[0]
    elif column is None:
        by_organisation, total_sums = _grouped(qs, "organisation_id")
        rows = []
    else:
        rows, by_organisation, total_sums = _grouped_with_organisations(qs, column)
    total = RateRow(None, str(_("Total")), total_sums)
    _label(group_by, rows)
    if by_organisation is not None and by_organisation is not rows:
        _label("organisation", by_organisation)
    return RatesTable(
        group_by, date_from, date_to, rows, total, filters=shown, by_organisation=by_organisation
    )


def _row(key, values: dict) -> RateRow:
    return RateRow(key, "", {f: values[f] or 0 for f in COUNTER_FIELDS})


def _grouped(qs, column: str | None) -> tuple[list[RateRow], dict]:
    """The group rows (none when ``column`` is None) and the total's sums."""
    sums = {f: Sum(f) for f in COUNTER_FIELDS}
    if column is None:
        return [], _row(None, qs.aggregate(**sums)).sums
    rows = []
    for g in qs.values(column).annotate(**sums).order_by(column):
        row = _row(g[column], g)
        # Rollup rows an appeal has moved away from are left at zero: not a group.
        if any(row.sums.values()):
            rows.append(row)
    # The sums are additive: the total needs no second query.
    return rows, {f: sum(r.sums[f] for r in rows) for f in COUNTER_FIELDS}


def _grouped_with_organisations(qs, column: str) -> tuple[list[RateRow], list[RateRow], dict]:
    """The groups of ``column`` and of the organisation from one (parallel) scan grouped by both,
    summed here: a few thousand pairs at most (communities, categories or days × organisations;
    grids, far more numerous, take two queries instead)."""
    sums = {f: Sum(f) for f in COUNTER_FIELDS}
    groups: dict = {}
    orgs: dict = {}
    pairs = qs.values(column, "organisation_id").annotate(**sums).order_by()
    for g in pairs:
        values = [g[f] or 0 for f in COUNTER_FIELDS]
        if not any(values):
            continue  # a rollup row an appeal moved away from
        for into, key in ((groups, g[column]), (orgs, g["organisation_id"])):
            acc = into.get(key)
            if acc is None:
                into[key] = values
            else:
                into[key] = [a + b for a, b in zip(acc, values, strict=True)]
    rows = [
        RateRow(k, "", dict(zip(COUNTER_FIELDS, v, strict=True))) for k, v in sorted(groups.items())
    ]
    by_org = [
        RateRow(k, "", dict(zip(COUNTER_FIELDS, v, strict=True))) for k, v in sorted(orgs.items())
    ]
    return rows, by_org, {f: sum(r.sums[f] for r in rows) for f in COUNTER_FIELDS}


def _label(group_by: str, rows: list[RateRow]) -> None:
    from suqiu.directory.models import Category, Grid, Organisation

    model = {"organisation": Organisation, "area": Organisation, "grid": Grid}.get(group_by)
    if group_by == "category":
        model = Category
    if model is not None:
        names = dict(
            model.objects.filter(pk__in=[r.key for r in rows if r.key]).values_list("pk", "name")
        )
        none = {
            "organisation": _("(no lead organisation)"),
            "area": _("(no area)"),
            "grid": _("(no grid)"),
            "category": _("(no category)"),
        }[group_by]
        for r in rows:
            r.label = names.get(r.key, str(r.key)) if r.key else none
    elif group_by in ("day", "week", "month"):
        for r in rows:
            r.label = r.key.strftime("%Y-%m") if group_by == "month" else r.key.isoformat()


# --- Rankings ------------------------------------------------------------------------------------


@dataclass
class RankEntry:
    key: object
    label: str
    percent: float
    numerator: int
    denominator: int


@dataclass
class Ranking:
    rate: str
    best: list[RankEntry]
    worst: list[RankEntry]


def rankings(table: RatesTable, *, top: int = 5, min_count: int = 1) -> list[Ranking]:
    """Best and worst organisations (``table.by_organisation``, else the table's own groups)
    by each of the three rates, among those with at least ``min_count`` in the rate's
    denominator; ties: the larger denominator first.

    No organisation is on both lists: with fewer than ``2 × top`` of them the better half goes to
    the best list and the rest to the worst. An organisation whose rate equals the best rate is
    never on the worst list (when all have 100 %, the worst list is empty)."""
    out = []
    rows = table.by_organisation if table.by_organisation is not None else table.rows
    for name in RATES:
        num, den = FRACTIONS[name]
        entries = [
            (r.fraction(name), RankEntry(r.key, r.label, r.percent(name), r.sums[num], r.sums[den]))
            for r in rows
            if r.key and r.sums[den] >= min_count
        ]
        ordered = sorted(entries, key=lambda e: (-e[0], -e[1].denominator, str(e[1].label)))
        n_best = min(top, (len(ordered) + 1) // 2)
        best = ordered[:n_best]
        rest = [e for e in ordered[n_best:] if not best or e[0] < best[0][0]]
        worst = sorted(rest, key=lambda e: (e[0], -e[1].denominator, str(e[1].label)))[:top]
        out.append(Ranking(name, [e for _f, e in best], [e for _f, e in worst]))
    return out
