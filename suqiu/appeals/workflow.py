"""The eight-step work chain as data plus pure functions. No ORM import: testable without a database.

需求收集 collect (``received``) → 分析评估 assess (``assessed``) → 任务入库 queue (``queued``) →
派单接单 dispatch/accept or claim (``dispatched`` → ``in_progress``) → 跟进对接 follow up (``note``) →
资源协调 coordinate resources (``request_resources``) → 结案反馈 resolve (``resolved``, then ``verified``
by someone else) → 线下回访 revisit (``closed``, or back to ``in_progress`` when unsatisfied).
Side states: ``rejected``, ``merged``, ``suspended``.

``check(action, appeal, actor)`` answers "may this actor take this action on this appeal now, and
where does it lead?"; it raises ``InvalidTransition`` when the action does not apply to the current
status and ``NotAllowed`` when the actor may not take it. ``allowed_actions`` lists what a user
may do, so pages offer only those. The services call ``check`` inside the transaction, after locking
the row, so the answer is about the state they then change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from suqiu.core.errors import Conflict, PermissionDenied


class Status(StrEnum):
    RECEIVED = "received"
    ASSESSED = "assessed"
    QUEUED = "queued"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    CLOSED = "closed"
    REJECTED = "rejected"
    MERGED = "merged"
    SUSPENDED = "suspended"


class Action(StrEnum):
    ASSESS = "assess"
    REJECT = "reject"
    MERGE = "merge"
    QUEUE = "queue"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    CLAIM = "claim"
    NOTE = "note"
    REQUEST_RESOURCES = "request_resources"
    RESOLVE = "resolve"
    VERIFY = "verify"
    SEND_BACK = "send_back"
    REVISIT = "revisit"
    SUSPEND = "suspend"
    RESUME = "resume"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    DENY_EXTENSION = "deny_extension"


# What people read for statuses and actions (the workbench, the API, error messages).
STATUS_LABELS = {
    Status.RECEIVED: gettext_lazy("Received"),
    Status.ASSESSED: gettext_lazy("Assessed"),
    Status.QUEUED: gettext_lazy("In task library"),
    Status.DISPATCHED: gettext_lazy("Dispatched"),
    Status.IN_PROGRESS: gettext_lazy("In progress"),
    Status.RESOLVED: gettext_lazy("Resolved"),
    Status.VERIFIED: gettext_lazy("Verified"),
    Status.CLOSED: gettext_lazy("Closed"),
    Status.REJECTED: gettext_lazy("Rejected"),
    Status.MERGED: gettext_lazy("Merged"),
    Status.SUSPENDED: gettext_lazy("Suspended"),
}
ACTION_LABELS = {
    Action.ASSESS: gettext_lazy("Assess"),
    Action.REJECT: gettext_lazy("Reject"),
    Action.MERGE: gettext_lazy("Merge"),
    Action.QUEUE: gettext_lazy("Put in task library"),
    Action.DISPATCH: gettext_lazy("Dispatch"),
    Action.ACCEPT: gettext_lazy("Accept"),
    Action.RETURN: gettext_lazy("Return"),
    Action.CLAIM: gettext_lazy("Claim"),
    Action.NOTE: gettext_lazy("Add note"),
    Action.REQUEST_RESOURCES: gettext_lazy("Request resources"),
    Action.RESOLVE: gettext_lazy("Resolve"),
    Action.VERIFY: gettext_lazy("Verify"),
    Action.SEND_BACK: gettext_lazy("Send back for rework"),
    Action.REVISIT: gettext_lazy("Record revisit"),
    Action.SUSPEND: gettext_lazy("Suspend"),
    Action.RESUME: gettext_lazy("Resume"),
    Action.REQUEST_EXTENSION: gettext_lazy("Request extension"),
    Action.APPROVE_EXTENSION: gettext_lazy("Approve extension"),
    Action.DENY_EXTENSION: gettext_lazy("Deny extension"),
}

TERMINAL = frozenset({Status.CLOSED, Status.REJECTED, Status.MERGED})
OPEN = frozenset(set(Status) - TERMINAL)
# Statuses in which someone is working the case: follow-up actions apply here.
WORKING = frozenset({Status.DISPATCHED, Status.IN_PROGRESS})


class InvalidTransition(Conflict):
    """This action does not apply to the appeal in its current status."""

    code = "invalid_transition"


gettext_noop("This action does not apply to the appeal in its current status.")


class NotAllowed(PermissionDenied):
    """You may not take this action on this appeal."""

    code = "action_not_allowed"


gettext_noop("You may not take this action on this appeal.")


# --- What the pure functions know about the appeal and the actor ---------------------------------


@dataclass(frozen=True)
class AppealFacts:
    """A snapshot of the appeal fields the work chain decides on."""

    status: Status
    area_path: str = "/"
    reporter_id: int | None = None
    lead_organisation_id: int | None = None
    lead_person_id: int | None = None
    co_handler_org_ids: frozenset[int] = frozenset()
    claimed_by_id: int | None = None
    is_claimable: bool = False
    resolved_by_id: int | None = None
    suspended_from: Status | None = None
    extension_pending: bool = False


@dataclass(frozen=True)
class ActorFacts:
    """The actor as the work chain sees them (``suqiu.directory.access.Actor`` satisfies this)."""

    user_id: int | None
    roles: frozenset[str] = frozenset()
    orgs_by_role: dict[str, frozenset[int]] = field(default_factory=dict)
    paths_by_role: dict[str, tuple[str, ...]] = field(default_factory=dict)
    is_superuser: bool = False


# --- Who is who, relative to one appeal -------------------------------------------------------------


def _in_area(actor, appeal: AppealFacts, *roles: str) -> bool:
    for role in roles:
        if role in actor.roles and any(
            appeal.area_path.startswith(p) for p in actor.paths_by_role.get(role, ())
        ):
            return True
    return False


def _all_orgs(actor) -> set[int]:
    out: set[int] = set()
    for ids in actor.orgs_by_role.values():
        out |= set(ids)
    return out


def is_admin(actor) -> bool:
    return actor.is_superuser or "admin" in actor.roles


def is_system(actor) -> bool:
    """Suqiu itself (``suqiu.directory.access.SYSTEM``): the worker's duties and intake automation."""
    return actor.user_id is None and "system" in actor.roles


def is_supervisor(actor, appeal: AppealFacts) -> bool:
    """Dispatchers and leaders of the appeal's area (and administrators)."""
    return is_admin(actor) or _in_area(actor, appeal, "dispatcher", "leader")


ASSESSOR_ROLES = ("dispatcher", "community_worker", "social_worker")


def is_assessor(actor, appeal: AppealFacts) -> bool:
    """Who assesses, queues and dispatches: dispatchers; community workers and social workers in their area."""
    return is_admin(actor) or _in_area(actor, appeal, *ASSESSOR_ROLES)


def dispatches_anywhere(actor) -> bool:
    """Whether the actor assesses and dispatches in some area (and so may see who works where)."""
    return is_admin(actor) or bool(actor.roles & set(ASSESSOR_ROLES))


def is_lead_handler(actor, appeal: AppealFacts) -> bool:
    """The lead person, a staff member of the lead organisation, or whoever claimed the task."""
    if actor.user_id is None:
        return False
    if appeal.lead_person_id is not None and appeal.lead_person_id == actor.user_id:
        return True
    if appeal.claimed_by_id is not None and appeal.claimed_by_id == actor.user_id:
        return True
    if (
        appeal.lead_organisation_id is not None
        and appeal.lead_organisation_id in _all_orgs(actor)
        and actor.roles - {"resident", "volunteer"}
    ):
        return True
    return False


def is_co_handler(actor, appeal: AppealFacts) -> bool:
    return bool(appeal.co_handler_org_ids & _all_orgs(actor)) and bool(
        actor.roles - {"resident", "volunteer"}
    )


def is_reporter(actor, appeal: AppealFacts) -> bool:
    return actor.user_id is not None and appeal.reporter_id == actor.user_id


def is_claimer_role(actor) -> bool:
    return bool(actor.roles & {"social_worker", "volunteer"})


def is_verifier(actor, appeal: AppealFacts) -> bool:
    return is_admin(actor) or _in_area(actor, appeal, "dispatcher", "community_worker")


def is_reviser(actor, appeal: AppealFacts) -> bool:
    """Who records a revisit: the reporter themself, or staff of the area who call or visit them."""
    return (
        is_reporter(actor, appeal)
        or is_admin(actor)
        or _in_area(
            actor,
            appeal,
            "operator",
            "dispatcher",
            "community_worker",
            "grid_worker",
            "social_worker",
        )
    )


# --- The transition table ----------------------------------------------------------------------------

Guard = Callable[[AppealFacts, object], "str | None"]  # returns a refusal message, or None


@dataclass(frozen=True)
class Rule:
    """One action: the statuses it applies in, where it leads, who may take it, and extra guards."""

    action: Action
    sources: frozenset[Status]
    target: Status | None  # None: stays in the same status (notes, extension requests...)
    who: Callable[[object, AppealFacts], bool]
    guards: tuple[Guard, ...] = ()
    label: str = ""


def _not_claimable(appeal: AppealFacts, actor) -> str | None:
    return None if appeal.is_claimable else _("This task is not open for claiming.")


def _verifier_not_resolver(appeal: AppealFacts, actor) -> str | None:
    if appeal.resolved_by_id is not None and appeal.resolved_by_id == actor.user_id:
        return _("The verifier must be a different person than the resolver.")
    return None


def _extension_pending(appeal: AppealFacts, actor) -> str | None:
    return None if appeal.extension_pending else _("There is no pending extension request.")


def _no_extension_pending(appeal: AppealFacts, actor) -> str | None:
    return _("An extension request is already pending.") if appeal.extension_pending else None


def _assessor_or_system(actor, appeal) -> bool:
    """Triage automation assesses, merges exact repeats and dispatches above its threshold."""
    return is_system(actor) or is_assessor(actor, appeal)


def _lead_or_system(actor, appeal) -> bool:
    """The worker returns dispatched appeals nobody accepted in time to the task library."""
    return is_system(actor) or is_lead_handler(actor, appeal)


def _reviser_or_system(actor, appeal) -> bool:
    """The worker closes as "not rated" when the reporter cannot be reached in time."""
    return is_system(actor) or is_reviser(actor, appeal)


def _handler_or_co(actor, appeal):
    return (
        is_lead_handler(actor, appeal)
        or is_co_handler(actor, appeal)
        or is_supervisor(actor, appeal)
    )


S = Status
RULES: dict[Action, Rule] = {
    r.action: r
    for r in (
        Rule(
            Action.ASSESS,
            frozenset({S.RECEIVED, S.ASSESSED}),
            S.ASSESSED,
            _assessor_or_system,
            label="分析评估",
        ),
        Rule(
            Action.REJECT,
            frozenset({S.RECEIVED, S.ASSESSED, S.QUEUED}),
            S.REJECTED,
            is_assessor,
            label="不予受理",
        ),
        Rule(
            Action.MERGE,
            frozenset({S.RECEIVED, S.ASSESSED, S.QUEUED}),
            S.MERGED,
            _assessor_or_system,
            label="合并",
        ),
        Rule(
            Action.QUEUE, frozenset({S.ASSESSED}), S.QUEUED, _assessor_or_system, label="任务入库"
        ),
        Rule(
            Action.DISPATCH,
            frozenset({S.ASSESSED, S.QUEUED}),
            S.DISPATCHED,
            _assessor_or_system,
            label="派单",
        ),
        Rule(
            Action.ACCEPT, frozenset({S.DISPATCHED}), S.IN_PROGRESS, is_lead_handler, label="接单"
        ),
        Rule(
            Action.RETURN,
            frozenset({S.DISPATCHED, S.IN_PROGRESS}),
            S.QUEUED,
            _lead_or_system,
            label="退单",
        ),
        Rule(
            Action.CLAIM,
            frozenset({S.QUEUED}),
            S.IN_PROGRESS,
            lambda actor, appeal: is_claimer_role(actor) and actor.user_id is not None,
            guards=(_not_claimable,),
            label="认领",
        ),
        Rule(
            Action.NOTE,
            frozenset({S.DISPATCHED, S.IN_PROGRESS, S.SUSPENDED, S.RESOLVED}),
            None,
            _handler_or_co,
            label="跟进记录",
        ),
        Rule(
            Action.REQUEST_RESOURCES,
            frozenset({S.IN_PROGRESS}),
            None,
            _handler_or_co,
            label="资源协调",
        ),
        Rule(
            Action.RESOLVE,
            frozenset({S.IN_PROGRESS}),
            S.RESOLVED,
            is_lead_handler,
            label="办结反馈",
        ),
        Rule(
            Action.VERIFY,
            frozenset({S.RESOLVED}),
            S.VERIFIED,
            is_verifier,
            guards=(_verifier_not_resolver,),
            label="核查",
        ),
        Rule(
            Action.SEND_BACK, frozenset({S.RESOLVED}), S.IN_PROGRESS, is_verifier, label="退回重办"
        ),
        Rule(Action.REVISIT, frozenset({S.VERIFIED}), S.CLOSED, _reviser_or_system, label="回访"),
        Rule(
            Action.SUSPEND,
            frozenset({S.DISPATCHED, S.IN_PROGRESS}),
            S.SUSPENDED,
            is_supervisor,
            label="挂起",
        ),
        Rule(Action.RESUME, frozenset({S.SUSPENDED}), None, is_supervisor, label="恢复"),
        Rule(
            Action.REQUEST_EXTENSION,
            frozenset({S.DISPATCHED, S.IN_PROGRESS}),
            None,
            is_lead_handler,
            guards=(_no_extension_pending,),
            label="申请延期",
        ),
        Rule(
            Action.APPROVE_EXTENSION,
            frozenset({S.DISPATCHED, S.IN_PROGRESS, S.SUSPENDED}),
            None,
            is_supervisor,
            guards=(_extension_pending,),
            label="批准延期",
        ),
        Rule(
            Action.DENY_EXTENSION,
            frozenset({S.DISPATCHED, S.IN_PROGRESS, S.SUSPENDED}),
            None,
            is_supervisor,
            guards=(_extension_pending,),
            label="驳回延期",
        ),
    )
}

# Revisit scores at or below this (1 = very unsatisfied ... 5 = very satisfied) count as unsatisfied.
UNSATISFIED_AT_MOST = 2


def revisit_outcome(*, satisfaction: int, was_resolved: bool) -> Status:
    """Unsatisfied or not resolved → rework (``in_progress``); otherwise ``closed``."""
    if satisfaction <= UNSATISFIED_AT_MOST or not was_resolved:
        return Status.IN_PROGRESS
    return Status.CLOSED


def parse_action(name: str) -> Action:
    try:
        return Action(name)
    except ValueError:
        raise InvalidTransition(
            _("Unknown action %(action)r.") % {"action": name}, code="unknown_action"
        ) from None


def next_status(
    current: Status | str, action: Action | str, *, suspended_from: Status | str | None = None
) -> Status:
    """Where ``action`` leads from ``current``; raises InvalidTransition when it does not apply.

    The status-only question, without permissions. ``resume`` returns to ``suspended_from``;
    ``revisit`` returns ``closed`` (use ``revisit_outcome`` for the rework branch).
    """
    current = Status(current)
    action = parse_action(action) if isinstance(action, str) else action
    rule = RULES[action]
    if current not in rule.sources:
        raise InvalidTransition(
            _("“%(action)s” does not apply while the appeal is “%(status)s”.")
            % {"action": ACTION_LABELS[action], "status": STATUS_LABELS[current]},
            extra={
                "action": action.value,
                "status": current.value,
                "allowed_from": sorted(s.value for s in rule.sources),
            },
        )
    if action is Action.RESUME:
        if suspended_from is None:
            raise InvalidTransition(_("Cannot resume: the status before suspension is unknown."))
        return Status(suspended_from)
    return rule.target if rule.target is not None else current


def check(action: Action | str, appeal: AppealFacts, actor) -> Status:
    """Status check, then permission, then guards. Returns the status the action leads to."""
    action = parse_action(action) if isinstance(action, str) else action
    target = next_status(appeal.status, action, suspended_from=appeal.suspended_from)
    rule = RULES[action]
    if not rule.who(actor, appeal):
        raise NotAllowed(
            _("You may not %(action)s this appeal.") % {"action": action.value},
            extra={"action": action.value},
        )
    for guard in rule.guards:
        refusal = guard(appeal, actor)
        if refusal:
            raise InvalidTransition(
                refusal, extra={"action": action.value, "status": appeal.status.value}
            )
    return target


def allowed_actions(
    appeal: AppealFacts, actor, *, candidates: Iterable[Action] | None = None
) -> list[Action]:
    """Every action this actor may take on this appeal now, in work-chain order."""
    out = []
    for action in candidates or RULES:
        if appeal.status not in RULES[action].sources:
            continue  # cheap status filter first: building the refusal would cost more
        try:
            check(action, appeal, actor)
        except (InvalidTransition, NotAllowed):
            continue
        out.append(action)
    return out
