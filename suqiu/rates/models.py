"""The rate facts: one row per dispatch episode of an appeal, kept in step with its events.

``RateFact`` is a denormalised, derived table (see ``suqiu.rates.facts``): every figure of the
rates page and API is a ``SUM`` of its 0/1 and seconds columns, so a district's 90 days are
one scan of one table, with no join and no event read at query time. It is rewritten for an
appeal in the transaction of each of its work-chain actions, and ``suqiu rates rebuild``
recomputes it from the events (imported history, repairs).

Rows and columns:

- an appeal has one row per *episode*: episode 0 starts at intake, and each ``dispatch`` after
  the first (a re-dispatch after a return) starts a new one. The dispatch/accept columns
  describe the episode's own dispatch; the appeal-level columns (dispatch, resolve and revisit
  stages, revisit outcome, satisfaction) are filled on the appeal's *current* (last) episode
  only and are zero elsewhere, so summing over rows counts each appeal once;
- ``organisation_id`` is the episode's lead organisation (0: none yet), so a dispatch that was
  returned stays with the organisation that returned it, and the appeal-level figures go to the
  organisation leading the appeal now;
- the period columns (``day``, ``week``, ``month``, local dates) are the appeal's *creation*
  date: every figure is about the appeals received in the period (a cohort);
- ids are plain integers (0 = none), not foreign keys: the table is derived, may be rebuilt at
  any time, and is never joined on the query path.
"""

from __future__ import annotations

from django.db import models

# The 0/1 and seconds columns summed by the queries (see ``suqiu.rates.selectors.METRICS``).
COUNTER_FIELDS = (
    "appeals",
    # per dispatch (episode)
    "dispatches",
    "decided",
    "responded",
    "accepted",
    "accept_secs",
    "accept_timed",
    "accept_on_time",
    # per appeal (current episode only)
    "dispatch_done",
    "dispatch_secs",
    "dispatch_timed",
    "dispatch_on_time",
    "resolve_done",
    "resolve_secs",
    "resolve_timed",
    "resolve_on_time",
    "revisit_done",
    "revisit_secs",
    "revisit_timed",
    "revisit_on_time",
    "rated",
    "revisit_resolved",
    "satisfied",
    "not_rated",
)


class RateFact(models.Model):
    """One dispatch episode of one appeal, with the figures the three rates are sums of."""

    appeal_id = models.BigIntegerField()
    episode = models.PositiveSmallIntegerField(default=0)

    # Dimensions (copied from the appeal; 0 = none).
    area_id = models.IntegerField(default=0)
    area_path = models.CharField(max_length=255)
    grid_id = models.IntegerField(default=0)
    category_id = models.IntegerField(default=0)
    organisation_id = models.IntegerField(default=0)
    created_at = models.DateTimeField()
    day = models.DateField()
    week = models.DateField()  # the Monday of ``day``'s week
    month = models.DateField()  # the first of ``day``'s month

    # Times of this episode's dispatch, for reading a row (the counters below are what is summed).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accept_due_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)

    appeals = models.SmallIntegerField(default=0)  # 1 on the appeal's current episode
    dispatches = models.SmallIntegerField(default=0)  # 1 when this episode began with a dispatch
    decided = models.SmallIntegerField(default=0)  # dispatched, then accepted or returned
    responded = models.SmallIntegerField(default=0)  # accepted within its accept limit
    accepted = models.SmallIntegerField(default=0)
    accept_secs = models.BigIntegerField(default=0)  # dispatch → accept
    accept_timed = models.SmallIntegerField(default=0)  # accepted, with an accept due time
    accept_on_time = models.SmallIntegerField(default=0)

    dispatch_done = models.SmallIntegerField(default=0)  # first dispatch of the appeal
    dispatch_secs = models.BigIntegerField(default=0)  # intake → first dispatch
    dispatch_timed = models.SmallIntegerField(default=0)
    dispatch_on_time = models.SmallIntegerField(default=0)
    resolve_done = models.SmallIntegerField(default=0)  # first resolve
    resolve_secs = models.BigIntegerField(default=0)  # accept/claim → first resolve
    resolve_timed = models.SmallIntegerField(default=0)
    resolve_on_time = models.SmallIntegerField(default=0)
    revisit_done = models.SmallIntegerField(default=0)  # first revisit (rated or not)
    revisit_secs = models.BigIntegerField(default=0)  # first verify → first revisit
    revisit_timed = models.SmallIntegerField(default=0)
    revisit_on_time = models.SmallIntegerField(default=0)
    rated = models.SmallIntegerField(default=0)  # at least one revisit with a score
    revisit_resolved = models.SmallIntegerField(default=0)  # last rated revisit closed it
    satisfied = models.SmallIntegerField(default=0)  # last score 3-5
    not_rated = models.SmallIntegerField(default=0)  # closed without a score
    satisfaction = models.SmallIntegerField(null=True, blank=True)  # last score, for reading

    class Meta:
        verbose_name = "rate fact"
        constraints = [
            models.UniqueConstraint(fields=["appeal_id", "episode"], name="ratefact_appeal_ep")
        ]
        indexes = [
            # Area-scoped periods: "everything under /1/4/ from day A to day B".
            models.Index(
                fields=["area_path", "day"],
                name="ratefact_area_day",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
            models.Index(fields=["day"], name="ratefact_day"),
            models.Index(fields=["organisation_id", "day"], name="ratefact_org_day"),
        ]

    def __str__(self) -> str:
        return f"rates of appeal {self.appeal_id} episode {self.episode}"


class RateDay(models.Model):
    """``RateFact`` summed per (day, community, category, organisation): what the queries read
    unless they need the grid (a grid filter or group-by reads ``RateFact``; the columns are the
    same). Kept in step in the same transaction as the facts: each change of an appeal's facts
    adds its difference to the rows of its keys (``facts.apply_delta``, an upsert that increments);
    ``suqiu rates rebuild`` recomputes it from ``RateFact`` with one ``INSERT ... SELECT``."""

    day = models.DateField()
    week = models.DateField()
    month = models.DateField()
    area_id = models.IntegerField(default=0)
    area_path = models.CharField(max_length=255)
    category_id = models.IntegerField(default=0)
    organisation_id = models.IntegerField(default=0)

    class Meta:
        verbose_name = "rate day"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "area_id", "category_id", "organisation_id"], name="rateday_key"
            )
        ]
        indexes = [
            models.Index(
                fields=["area_path", "day"],
                name="rateday_area_day",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
            models.Index(fields=["day"], name="rateday_day"),
            models.Index(fields=["organisation_id", "day"], name="rateday_org_day"),
        ]

    def __str__(self) -> str:
        return f"rates of {self.day} area {self.area_id} category {self.category_id}"


# Sums: 32-bit counts (narrower rows, cheaper sums), 64-bit seconds.
for _name in COUNTER_FIELDS:
    RateDay.add_to_class(
        _name,
        models.BigIntegerField(default=0)
        if _name.endswith("_secs")
        else models.IntegerField(default=0),
    )

ROLLUP_KEY = ("day", "area_id", "category_id", "organisation_id")
ROLLUP_ATTRS = ("week", "month", "area_path")  # functions of the key, copied from the facts
