"""The three rates (response, resolution, satisfaction) and on-time performance.

Definitions (the same words are in the API description and on the page):

- **Response rate** (响应率) = dispatches accepted within their accept limit ÷ dispatches
  decided. Counted per dispatch: an appeal dispatched twice (returned, dispatched again) counts
  twice, each time for the organisation it was dispatched to. A dispatch is decided once it is
  accepted or returned (the worker returns dispatches nobody accepted in time); one still
  waiting is not counted yet. An acceptance with no accept limit counts as in time.
- **Resolution rate** (解决率) = appeals whose last rated revisit closed them as resolved ÷
  appeals with a rated revisit. Closures without a score (the reporter could not be reached)
  are in neither count.
- **Satisfaction rate** (满意率) = appeals whose last revisit score is 3-5 (basically satisfied,
  satisfied, very satisfied) ÷ appeals with a rated revisit (1-2 are unsatisfied; consistent
  with ``workflow.revisit_outcome``).
- **On-time rate** of a stage (dispatch, accept, resolve, revisit) = stages completed by their
  due time ÷ stages completed that had a due time; stages without a due time are left out.
  Each stage is judged once, at its first completion (accept: per dispatch), against the due
  time in force then (an approved extension moves it). Average durations: intake → first
  dispatch, dispatch → accept, accept (or claim) → first resolve, first verify → first revisit.

Every figure is about the appeals *received* in the period (by creation date, local time), in
the asker's scope (``selectors.rate_scope_q``). Figures come from ``RateFact`` (one row per
dispatch episode, written in each action's transaction; ``suqiu rates rebuild`` recomputes it
from the events).
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatesConfig(AppConfig):
    name = "suqiu.rates"
    label = "rates"
    verbose_name = _("Rates")

    def ready(self):
        from suqiu.appeals.extensions import NavItem, register_nav
        from suqiu.appeals.services import (
            register_after_action,
            register_after_create,
            register_after_recategorise,
        )
        from suqiu.appeals.workflow import Action
        from suqiu.rates import facts
        from suqiu.rates.selectors import may_see_rates_nav

        # The actions whose events the rows read (``facts.facts_for``); assess may change the
        # category. Notes, suspensions, rejections... change no figure and run no hook.
        for action in facts.ACTIONS:
            register_after_action(Action(action), facts.refresh)
        register_after_create(facts.on_create, order=95)
        register_after_recategorise(facts.on_recategorise)
        register_nav(
            NavItem(
                "rates",
                _("Rates"),
                "rates:page",
                visible=may_see_rates_nav,
                order=70,
                section="rates",
            )
        )
