"""REST API of rates (added to /api/v1/ by suqiu/api/root.py): ``GET /rates``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from suqiu.api.auth import actor_of
from suqiu.api.schemas import COMMON_ERRORS
from suqiu.rates import selectors

router = Router(tags=["rates"])

GroupName = Literal[tuple(selectors.GROUPS)]  # type: ignore[valid-type]

DESCRIPTION = "\n\n".join(
    [
        "The three rates, on-time rates and average durations of the appeals received from "
        f"`from` to `to` (inclusive local dates, at most {selectors.MAX_DAYS} days) in your scope, one row per "
        "group (`group_by`) plus the total, and the best and worst organisations by each rate "
        "(up to five each, never one on both lists, none tied with the best rate as worst). "
        "Leaders, dispatchers and the other area roles see their areas, department handlers "
        "their organisation's dispatches and appeals, administrators everything; residents and "
        "volunteers get 403.",
        "**Response rate** = dispatches accepted within their accept limit ÷ dispatches "
        "accepted or returned. Per dispatch: an appeal dispatched twice counts twice, each "
        "time for the organisation it went to; a dispatch still waiting is not counted yet; an "
        "acceptance with no accept limit counts as in time.",
        "**Resolution rate** = appeals whose last rated revisit closed them as resolved ÷ "
        "appeals with a rated revisit. Closures without a score (reporter not reached) are "
        "left out (`not_rated` counts them).",
        "**Satisfaction rate** = appeals whose last revisit score is 3-5 (basically satisfied, "
        "satisfied, very satisfied) ÷ appeals with a rated revisit.",
        "**On-time rate** of a stage (`dispatch`, `accept`, `resolve`, `revisit`) = stages "
        "completed by their due time ÷ stages completed that had a due time; each stage is "
        "judged at its first completion (accept: per dispatch), against the due time in force "
        "then. **Average hours**: intake → first dispatch, dispatch → accept, accept or claim → "
        "first resolve, first verify → first revisit.",
        "Each rate is `{numerator, denominator, rate}`; `rate` is null when the denominator is "
        "0. Appeal-level figures go to the organisation leading the appeal now; per-dispatch "
        "figures to the organisation dispatched to.",
    ]
)


class Figure(Schema):
    numerator: int
    denominator: int
    rate: float | None = Field(description="numerator ÷ denominator, 4 decimals; null if 0/0")


class RateRowOut(Schema):
    key: int | str | None = Field(description="The group's id, or its date (periods); null: total")
    label: str
    appeals: int
    response: Figure
    resolution: Figure
    satisfaction: Figure
    dispatch_on_time: Figure
    accept_on_time: Figure
    resolve_on_time: Figure
    revisit_on_time: Figure
    dispatch_hours: float | None
    accept_hours: float | None
    resolve_hours: float | None
    revisit_hours: float | None
    counts: dict[str, int]


class RankOut(Schema):
    key: int
    label: str
    rate: float
    numerator: int
    denominator: int


class RankingOut(Schema):
    rate: str
    best: list[RankOut]
    worst: list[RankOut]


class RatesOut(Schema):
    group_by: str
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    rows: list[RateRowOut]
    total: RateRowOut
    rankings: list[RankingOut] = Field(
        description="By organisation (among the rows when grouped by organisation)."
    )


@router.get(
    "/rates",
    response={200: RatesOut, **COMMON_ERRORS},
    summary="Response, resolution and satisfaction rates, on-time rates",
    description=DESCRIPTION,
    url_name="rates",
    by_alias=True,
)
def get_rates(
    request: HttpRequest,
    date_from: Annotated[date, Query(alias="from", description="First day (YYYY-MM-DD).")],
    date_to: Annotated[date, Query(alias="to", description="Last day, inclusive.")],
    group_by: GroupName = "organisation",
    area: Annotated[int | None, Query(description="Organisation id: the whole area.")] = None,
    category: Annotated[
        int | None, Query(description="Category id; includes sub-categories.")
    ] = None,
    organisation: Annotated[int | None, Query(description="Lead organisation id.")] = None,
    grid: Annotated[int | None, Query(description="Grid id.")] = None,
):
    actor = actor_of(request)
    query = {
        "date_from": date_from,
        "date_to": date_to,
        "area": area,
        "category": category,
        "organisation": organisation,
        "grid": grid,
    }
    table = selectors.rates(actor, group_by=group_by, **query, with_rankings=True)
    return {
        "group_by": table.group_by,
        "from": table.date_from,
        "to": table.date_to,
        "rows": [r.as_dict() for r in table.rows],
        "total": table.total.as_dict(),
        "rankings": [
            {
                "rate": rank.rate,
                "best": [_rank(e) for e in rank.best],
                "worst": [_rank(e) for e in rank.worst],
            }
            for rank in selectors.rankings(table)
        ],
    }


def _rank(entry) -> dict:
    return {
        "key": entry.key,
        "label": entry.label,
        "rate": round(entry.numerator / entry.denominator, 4),
        "numerator": entry.numerator,
        "denominator": entry.denominator,
    }
