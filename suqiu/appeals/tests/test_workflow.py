"""The work chain as a specification: statuses × actions, guards and who may act.

Pure tests: no database. Appeals and actors are the plain ``AppealFacts`` / ``ActorFacts`` the
workflow decides on, built by hand. The tables below are written independently of
``workflow.RULES`` on purpose: if someone changes the machine, a table here has to change too.
"""

from __future__ import annotations

import itertools

import pytest
from django.utils import translation

from suqiu.appeals import workflow
from suqiu.appeals.workflow import (
    Action,
    ActorFacts,
    AppealFacts,
    InvalidTransition,
    NotAllowed,
    Status,
    allowed_actions,
    check,
    next_status,
    revisit_outcome,
)

S = Status
A = Action
SAME = "same"  # the action records something but leaves the status as it is

# --- The transition table: where each action leads from each status it applies in ----------------

TRANSITIONS: dict[Action, dict[Status, Status | str]] = {
    A.ASSESS: {S.RECEIVED: S.ASSESSED, S.ASSESSED: S.ASSESSED},
    A.REJECT: {S.RECEIVED: S.REJECTED, S.ASSESSED: S.REJECTED, S.QUEUED: S.REJECTED},
    A.MERGE: {S.RECEIVED: S.MERGED, S.ASSESSED: S.MERGED, S.QUEUED: S.MERGED},
    A.QUEUE: {S.ASSESSED: S.QUEUED},
    A.DISPATCH: {S.ASSESSED: S.DISPATCHED, S.QUEUED: S.DISPATCHED},
    A.ACCEPT: {S.DISPATCHED: S.IN_PROGRESS},
    A.RETURN: {S.DISPATCHED: S.QUEUED, S.IN_PROGRESS: S.QUEUED},
    A.CLAIM: {S.QUEUED: S.IN_PROGRESS},
    A.NOTE: {S.DISPATCHED: SAME, S.IN_PROGRESS: SAME, S.SUSPENDED: SAME, S.RESOLVED: SAME},
    A.REQUEST_RESOURCES: {S.IN_PROGRESS: SAME},
    A.RESOLVE: {S.IN_PROGRESS: S.RESOLVED},
    A.VERIFY: {S.RESOLVED: S.VERIFIED},
    A.SEND_BACK: {S.RESOLVED: S.IN_PROGRESS},
    A.REVISIT: {S.VERIFIED: S.CLOSED},
    A.SUSPEND: {S.DISPATCHED: S.SUSPENDED, S.IN_PROGRESS: S.SUSPENDED},
    A.RESUME: {S.SUSPENDED: "suspended_from"},
    A.REQUEST_EXTENSION: {S.DISPATCHED: SAME, S.IN_PROGRESS: SAME},
    A.APPROVE_EXTENSION: {S.DISPATCHED: SAME, S.IN_PROGRESS: SAME, S.SUSPENDED: SAME},
    A.DENY_EXTENSION: {S.DISPATCHED: SAME, S.IN_PROGRESS: SAME, S.SUSPENDED: SAME},
}

ALL_PAIRS = list(itertools.product(list(Status), list(Action)))
ALLOWED_PAIRS = [(s, a) for s, a in ALL_PAIRS if s in TRANSITIONS[a]]
FORBIDDEN_PAIRS = [(s, a) for s, a in ALL_PAIRS if s not in TRANSITIONS[a]]


def _id(pair):
    return f"{pair[0].value}-{pair[1].value}"


def test_the_table_names_every_action_and_every_status_is_reachable_or_initial():
    assert set(TRANSITIONS) == set(Action)
    targets = {t for row in TRANSITIONS.values() for t in row.values() if isinstance(t, Status)}
    # Everything but the initial status is the target of some action.
    assert set(Status) - targets == {S.RECEIVED}


def test_terminal_statuses_allow_nothing():
    for status in workflow.TERMINAL:
        assert not any(status in row for row in TRANSITIONS.values())
    assert workflow.TERMINAL == {S.CLOSED, S.REJECTED, S.MERGED}
    assert workflow.OPEN == set(Status) - workflow.TERMINAL


@pytest.mark.parametrize("pair", ALLOWED_PAIRS, ids=_id)
def test_allowed_transition_leads_to_the_right_status(pair):
    status, action = pair
    expected = TRANSITIONS[action][status]
    if expected == SAME:
        expected = status
    if expected == "suspended_from":
        for before in (S.DISPATCHED, S.IN_PROGRESS):
            assert next_status(status, action, suspended_from=before) == before
            assert next_status(status.value, action.value, suspended_from=before.value) == before
        return
    assert next_status(status, action) == expected
    # Plain strings work as well as the enums (adapters pass names from forms and JSON).
    assert next_status(status.value, action.value) == expected


@pytest.mark.parametrize("pair", FORBIDDEN_PAIRS, ids=_id)
def test_every_other_pair_is_an_invalid_transition(pair):
    status, action = pair
    with pytest.raises(InvalidTransition) as info:
        next_status(status, action, suspended_from=S.IN_PROGRESS)
    assert info.value.code == "invalid_transition"
    assert info.value.http_status == 409
    assert info.value.extra["status"] == status.value
    assert info.value.extra["action"] == action.value
    assert set(info.value.extra["allowed_from"]) == {s.value for s in TRANSITIONS[action]}


@pytest.mark.parametrize("pair", FORBIDDEN_PAIRS, ids=_id)
def test_status_is_checked_before_permission_even_for_an_administrator(pair):
    """A wrong status is a 409 for everyone; nobody gets past it, not even an administrator."""
    status, action = pair
    appeal = AppealFacts(status=status, area_path=C1, is_claimable=True, extension_pending=True)
    with pytest.raises(InvalidTransition):
        check(action, appeal, ADMIN)


# --- Actors and areas, by hand ------------------------------------------------------------------------

DISTRICT = "/1/"
S1 = "/1/3/"
S2 = "/1/4/"
C1 = "/1/3/5/"
C2 = "/1/3/6/"
C3 = "/1/4/7/"
C50 = "/1/3/50/"  # a community whose id begins like C1's: prefixes must respect the slashes

HOUSING = 20
ROADS = 21
SW_AGENCY = 22
VOL_ORG = 23
C1_ORG = 5


def actor(user_id, role=None, *, org=None, path=None, superuser=False) -> ActorFacts:
    roles = frozenset({role}) if role else frozenset({"resident"})
    return ActorFacts(
        user_id=user_id,
        roles=roles,
        orgs_by_role={role: frozenset({org})} if role and org else {},
        paths_by_role={role: (path,)} if role and path else {},
        is_superuser=superuser,
    )


RESIDENT = actor(1)
OTHER_RESIDENT = actor(2)
OPERATOR = actor(3, "operator", org=2, path=DISTRICT)
GRID_WORKER = actor(4, "grid_worker", org=C1_ORG, path=C1)
COMMUNITY_WORKER = actor(5, "community_worker", org=C1_ORG, path=C1)
COMMUNITY_WORKER_C3 = actor(6, "community_worker", org=7, path=C3)
SOCIAL_WORKER = actor(7, "social_worker", org=SW_AGENCY, path=C1)
VOLUNTEER = actor(8, "volunteer", org=VOL_ORG, path=DISTRICT)
VOLUNTEER2 = actor(9, "volunteer", org=VOL_ORG, path=DISTRICT)
HANDLER = actor(10, "department_handler", org=HOUSING, path=DISTRICT)
HANDLER2 = actor(11, "department_handler", org=HOUSING, path=DISTRICT)
ROADS_HANDLER = actor(12, "department_handler", org=ROADS, path=DISTRICT)
DISPATCHER = actor(13, "dispatcher", org=1, path=DISTRICT)
DISPATCHER2 = actor(14, "dispatcher", org=1, path=DISTRICT)
LEADER_S1 = actor(15, "leader", org=3, path=S1)
LEADER_S2 = actor(16, "leader", org=4, path=S2)
ADMIN = actor(17, "admin", org=1, path=DISTRICT, superuser=True)
SUPERUSER_ONLY = ActorFacts(user_id=18, roles=frozenset(), is_superuser=True)
SYSTEM = ActorFacts(user_id=None, roles=frozenset({"system"}))

EVERYONE = {
    "resident (reporter)": RESIDENT,
    "other resident": OTHER_RESIDENT,
    "operator": OPERATOR,
    "grid worker C1": GRID_WORKER,
    "community worker C1": COMMUNITY_WORKER,
    "community worker C3": COMMUNITY_WORKER_C3,
    "social worker (C1)": SOCIAL_WORKER,
    "volunteer": VOLUNTEER,
    "volunteer 2": VOLUNTEER2,
    "handler HOUSING": HANDLER,
    "handler2 HOUSING": HANDLER2,
    "handler ROADS": ROADS_HANDLER,
    "dispatcher": DISPATCHER,
    "dispatcher 2": DISPATCHER2,
    "leader S1": LEADER_S1,
    "leader S2": LEADER_S2,
    "admin": ADMIN,
    "superuser without roles": SUPERUSER_ONLY,
    "system": SYSTEM,
}


def facts(status: Status, **kw) -> AppealFacts:
    """An appeal in C1 reported by RESIDENT, led by HOUSING with ROADS as co-handler."""
    base = dict(
        status=status,
        area_path=C1,
        reporter_id=RESIDENT.user_id,
        lead_organisation_id=HOUSING,
        co_handler_org_ids=frozenset({ROADS}),
    )
    base.update(kw)
    return AppealFacts(**base)


def may(action: Action, appeal: AppealFacts) -> set[str]:
    """Names of the actors that pass ``check`` for this action (the others get NotAllowed)."""
    out = set()
    for name, who in EVERYONE.items():
        try:
            check(action, appeal, who)
        except NotAllowed as exc:
            assert exc.code == "action_not_allowed"
            assert exc.http_status == 403
            continue
        out.add(name)
    return out


ADMINS = {"admin", "superuser without roles"}
ASSESSORS_C1 = {"dispatcher", "dispatcher 2", "community worker C1", "social worker (C1)"} | ADMINS
SUPERVISORS_C1 = {"dispatcher", "dispatcher 2", "leader S1"} | ADMINS
VERIFIERS_C1 = {"dispatcher", "dispatcher 2", "community worker C1"} | ADMINS
LEAD_HOUSING = {"handler HOUSING", "handler2 HOUSING"}

# Who may take each action on the C1 appeal led by HOUSING (ROADS co-handling), in a status
# where the action applies and its guards pass.
WHO_MAY = [
    # The system (triage automation) assesses, merges exact repeats, queues and dispatches; only
    # people reject.
    (A.ASSESS, facts(S.RECEIVED, lead_organisation_id=None), ASSESSORS_C1 | {"system"}),
    (A.REJECT, facts(S.RECEIVED, lead_organisation_id=None), ASSESSORS_C1),
    (A.MERGE, facts(S.ASSESSED, lead_organisation_id=None), ASSESSORS_C1 | {"system"}),
    (A.QUEUE, facts(S.ASSESSED, lead_organisation_id=None), ASSESSORS_C1 | {"system"}),
    (A.DISPATCH, facts(S.QUEUED, lead_organisation_id=None), ASSESSORS_C1 | {"system"}),
    # Accepting, returning and resolving are the lead organisation's; co-handlers only help. The
    # worker returns what nobody accepted in time.
    (A.ACCEPT, facts(S.DISPATCHED), LEAD_HOUSING),
    (A.RETURN, facts(S.DISPATCHED), LEAD_HOUSING | {"system"}),
    (A.RESOLVE, facts(S.IN_PROGRESS), LEAD_HOUSING),
    (A.REQUEST_EXTENSION, facts(S.IN_PROGRESS), LEAD_HOUSING),
    # Follow-up notes and resource requests: lead, co-handlers and supervisors.
    (A.NOTE, facts(S.IN_PROGRESS), LEAD_HOUSING | {"handler ROADS"} | SUPERVISORS_C1),
    (A.REQUEST_RESOURCES, facts(S.IN_PROGRESS), LEAD_HOUSING | {"handler ROADS"} | SUPERVISORS_C1),
    (A.VERIFY, facts(S.RESOLVED, resolved_by_id=HANDLER.user_id), VERIFIERS_C1),
    (A.SEND_BACK, facts(S.RESOLVED, resolved_by_id=HANDLER.user_id), VERIFIERS_C1),
    (
        A.REVISIT,
        facts(S.VERIFIED),
        {
            "resident (reporter)",
            "operator",
            "grid worker C1",
            "community worker C1",
            "social worker (C1)",
            "dispatcher",
            "dispatcher 2",
            "system",  # closes as "not rated" when the reporter cannot be reached
        }
        | ADMINS,
    ),
    (A.SUSPEND, facts(S.IN_PROGRESS), SUPERVISORS_C1),
    (A.RESUME, facts(S.SUSPENDED, suspended_from=S.IN_PROGRESS), SUPERVISORS_C1),
    (A.APPROVE_EXTENSION, facts(S.IN_PROGRESS, extension_pending=True), SUPERVISORS_C1),
    (A.DENY_EXTENSION, facts(S.IN_PROGRESS, extension_pending=True), SUPERVISORS_C1),
    # Claiming is for social workers and volunteers, whoever they are.
    (
        A.CLAIM,
        facts(
            S.QUEUED, lead_organisation_id=None, co_handler_org_ids=frozenset(), is_claimable=True
        ),
        {"social worker (C1)", "volunteer", "volunteer 2"},
    ),
]


@pytest.mark.parametrize("action,appeal,expected", WHO_MAY, ids=[row[0].value for row in WHO_MAY])
def test_who_may_take_each_action_in_c1(action, appeal, expected):
    assert may(action, appeal) == expected


def test_every_action_has_a_row_in_the_who_may_table():
    assert {row[0] for row in WHO_MAY} == set(Action)


@pytest.mark.parametrize(
    "area,assessors",
    [
        (C1, {"dispatcher", "dispatcher 2", "community worker C1", "social worker (C1)"}),
        (C2, {"dispatcher", "dispatcher 2"}),
        (C3, {"dispatcher", "dispatcher 2", "community worker C3"}),
        (C50, {"dispatcher", "dispatcher 2"}),
        (DISTRICT, {"dispatcher", "dispatcher 2"}),
    ],
)
def test_assessment_follows_the_area_path(area, assessors):
    appeal = AppealFacts(status=S.RECEIVED, area_path=area)
    assert may(A.ASSESS, appeal) == assessors | ADMINS | {"system"}


@pytest.mark.parametrize(
    "area,supervisors",
    [
        (C1, {"leader S1"}),
        (C2, {"leader S1"}),
        (C3, {"leader S2"}),
        (S2, {"leader S2"}),
        (DISTRICT, set()),
    ],
)
def test_suspension_follows_the_leaders_street(area, supervisors):
    appeal = AppealFacts(status=S.IN_PROGRESS, area_path=area)
    assert may(A.SUSPEND, appeal) == supervisors | {"dispatcher", "dispatcher 2"} | ADMINS


def test_lead_person_alone_is_a_lead_handler():
    appeal = AppealFacts(status=S.DISPATCHED, area_path=C1, lead_person_id=VOLUNTEER.user_id)
    assert may(A.ACCEPT, appeal) == {"volunteer"}


def test_a_volunteer_in_the_lead_organisation_is_not_its_staff():
    appeal = AppealFacts(status=S.DISPATCHED, area_path=C1, lead_organisation_id=VOL_ORG)
    assert may(A.ACCEPT, appeal) == set()


def test_whoever_claimed_works_the_task():
    appeal = AppealFacts(
        status=S.IN_PROGRESS,
        area_path=C1,
        claimed_by_id=VOLUNTEER.user_id,
        lead_person_id=VOLUNTEER.user_id,
    )
    assert may(A.RESOLVE, appeal) == {"volunteer"}
    assert may(A.RETURN, appeal) == {"volunteer", "system"}


# --- Guards --------------------------------------------------------------------------------------


def test_claim_only_when_claimable():
    queued = AppealFacts(status=S.QUEUED, area_path=C1, is_claimable=False)
    with pytest.raises(InvalidTransition) as info:
        check(A.CLAIM, queued, VOLUNTEER)
    assert info.value.code == "invalid_transition"
    open_task = AppealFacts(status=S.QUEUED, area_path=C1, is_claimable=True)
    assert check(A.CLAIM, open_task, VOLUNTEER) == S.IN_PROGRESS
    assert check(A.CLAIM, open_task, SOCIAL_WORKER) == S.IN_PROGRESS


@pytest.mark.parametrize(
    "who",
    [RESIDENT, DISPATCHER, HANDLER, COMMUNITY_WORKER, OPERATOR, LEADER_S1, ADMIN, SYSTEM],
    ids=["resident", "dispatcher", "handler", "community", "operator", "leader", "admin", "system"],
)
def test_claim_only_by_social_workers_and_volunteers(who):
    open_task = AppealFacts(status=S.QUEUED, area_path=C1, is_claimable=True)
    with pytest.raises(NotAllowed):
        check(A.CLAIM, open_task, who)


def test_a_volunteer_without_a_user_cannot_claim():
    ghost = ActorFacts(user_id=None, roles=frozenset({"volunteer"}))
    with pytest.raises(NotAllowed):
        check(A.CLAIM, AppealFacts(status=S.QUEUED, is_claimable=True), ghost)


def test_the_verifier_must_not_be_the_resolver():
    # The dispatcher led the case in person and resolved it: someone else verifies.
    appeal = AppealFacts(
        status=S.RESOLVED,
        area_path=C1,
        lead_person_id=DISPATCHER.user_id,
        resolved_by_id=DISPATCHER.user_id,
    )
    with translation.override("en"), pytest.raises(InvalidTransition) as info:
        check(A.VERIFY, appeal, DISPATCHER)
    assert info.value.code == "invalid_transition"
    assert "different person" in str(info.value.message)
    assert check(A.VERIFY, appeal, DISPATCHER2) == S.VERIFIED
    assert check(A.VERIFY, appeal, COMMUNITY_WORKER) == S.VERIFIED


def test_an_administrator_who_resolved_cannot_verify_either():
    appeal = AppealFacts(status=S.RESOLVED, area_path=C1, resolved_by_id=ADMIN.user_id)
    with pytest.raises(InvalidTransition):
        check(A.VERIFY, appeal, ADMIN)


@pytest.mark.parametrize("before", [S.DISPATCHED, S.IN_PROGRESS])
def test_resume_returns_to_the_status_before_suspension(before):
    appeal = AppealFacts(status=S.SUSPENDED, area_path=C1, suspended_from=before)
    assert check(A.RESUME, appeal, DISPATCHER) == before


def test_resume_without_a_remembered_status_is_refused():
    appeal = AppealFacts(status=S.SUSPENDED, area_path=C1, suspended_from=None)
    with pytest.raises(InvalidTransition):
        check(A.RESUME, appeal, DISPATCHER)


def test_extension_request_only_when_none_is_pending():
    appeal = facts(S.IN_PROGRESS, extension_pending=False)
    assert check(A.REQUEST_EXTENSION, appeal, HANDLER) == S.IN_PROGRESS
    pending = facts(S.IN_PROGRESS, extension_pending=True)
    with pytest.raises(InvalidTransition):
        check(A.REQUEST_EXTENSION, pending, HANDLER)


@pytest.mark.parametrize("action", [A.APPROVE_EXTENSION, A.DENY_EXTENSION])
@pytest.mark.parametrize("status", [S.DISPATCHED, S.IN_PROGRESS, S.SUSPENDED])
def test_approve_and_deny_only_when_a_request_is_pending(action, status):
    assert check(action, facts(status, extension_pending=True), DISPATCHER) == status
    with pytest.raises(InvalidTransition):
        check(action, facts(status, extension_pending=False), DISPATCHER)


def test_permission_is_checked_before_guards():
    """Someone who may not act learns nothing from the guards: NotAllowed, not a guard message."""
    appeal = facts(S.IN_PROGRESS, extension_pending=True)
    with pytest.raises(NotAllowed):
        check(A.REQUEST_EXTENSION, appeal, OTHER_RESIDENT)


# --- Revisit outcome ---------------------------------------------------------------------------------

REVISIT_TABLE = [
    # satisfaction, was_resolved, outcome
    (1, True, S.IN_PROGRESS),
    (2, True, S.IN_PROGRESS),
    (3, True, S.CLOSED),
    (4, True, S.CLOSED),
    (5, True, S.CLOSED),
    (1, False, S.IN_PROGRESS),
    (2, False, S.IN_PROGRESS),
    (3, False, S.IN_PROGRESS),
    (4, False, S.IN_PROGRESS),
    (5, False, S.IN_PROGRESS),
]


@pytest.mark.parametrize("satisfaction,was_resolved,outcome", REVISIT_TABLE)
def test_revisit_outcome(satisfaction, was_resolved, outcome):
    assert revisit_outcome(satisfaction=satisfaction, was_resolved=was_resolved) == outcome


# --- allowed_actions for typical actors ---------------------------------------------------------------


def test_allowed_actions_of_a_dispatcher_on_a_new_appeal():
    appeal = AppealFacts(status=S.RECEIVED, area_path=C1, reporter_id=RESIDENT.user_id)
    assert allowed_actions(appeal, DISPATCHER) == [A.ASSESS, A.REJECT, A.MERGE]


def test_allowed_actions_of_a_dispatcher_on_an_assessed_appeal():
    appeal = AppealFacts(status=S.ASSESSED, area_path=C1)
    assert allowed_actions(appeal, DISPATCHER) == [
        A.ASSESS,
        A.REJECT,
        A.MERGE,
        A.QUEUE,
        A.DISPATCH,
    ]


def test_allowed_actions_of_the_lead_handler_on_a_dispatched_appeal():
    assert allowed_actions(facts(S.DISPATCHED), HANDLER) == [
        A.ACCEPT,
        A.RETURN,
        A.NOTE,
        A.REQUEST_EXTENSION,
    ]


def test_allowed_actions_of_the_lead_handler_at_work():
    assert allowed_actions(facts(S.IN_PROGRESS), HANDLER) == [
        A.RETURN,
        A.NOTE,
        A.REQUEST_RESOURCES,
        A.RESOLVE,
        A.REQUEST_EXTENSION,
    ]


def test_allowed_actions_of_a_co_handler():
    assert allowed_actions(facts(S.IN_PROGRESS), ROADS_HANDLER) == [A.NOTE, A.REQUEST_RESOURCES]


def test_allowed_actions_of_a_supervisor_with_an_extension_pending():
    assert allowed_actions(facts(S.IN_PROGRESS, extension_pending=True), LEADER_S1) == [
        A.NOTE,
        A.REQUEST_RESOURCES,
        A.SUSPEND,
        A.APPROVE_EXTENSION,
        A.DENY_EXTENSION,
    ]


def test_allowed_actions_of_a_volunteer_in_the_task_library():
    task = AppealFacts(status=S.QUEUED, area_path=C1, is_claimable=True)
    assert allowed_actions(task, VOLUNTEER) == [A.CLAIM]
    assert allowed_actions(AppealFacts(status=S.QUEUED, area_path=C1), VOLUNTEER) == []


def test_allowed_actions_of_the_reporter():
    assert allowed_actions(facts(S.VERIFIED), RESIDENT) == [A.REVISIT]
    assert allowed_actions(facts(S.IN_PROGRESS), RESIDENT) == []
    assert allowed_actions(facts(S.VERIFIED), OTHER_RESIDENT) == []


def test_allowed_actions_of_a_verifier():
    resolved = facts(S.RESOLVED, resolved_by_id=HANDLER.user_id)
    assert allowed_actions(resolved, COMMUNITY_WORKER) == [A.VERIFY, A.SEND_BACK]
    assert allowed_actions(resolved, HANDLER) == [A.NOTE]


@pytest.mark.parametrize("status", sorted(workflow.TERMINAL))
def test_nobody_may_do_anything_on_a_finished_appeal(status):
    for who in EVERYONE.values():
        assert allowed_actions(facts(status, is_claimable=True), who) == []


def test_allowed_actions_respects_candidates():
    appeal = AppealFacts(status=S.RECEIVED, area_path=C1)
    assert allowed_actions(appeal, DISPATCHER, candidates=[A.MERGE, A.ACCEPT]) == [A.MERGE]


# --- Unknown actions ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["fly", "", "ASSESS", "close", "delete"])
def test_unknown_action_has_its_own_code(name):
    with pytest.raises(InvalidTransition) as info:
        workflow.parse_action(name)
    assert info.value.code == "unknown_action"
    with pytest.raises(InvalidTransition) as info:
        next_status(S.RECEIVED, name)
    assert info.value.code == "unknown_action"
    with pytest.raises(InvalidTransition) as info:
        check(name, AppealFacts(status=S.RECEIVED), ADMIN)
    assert info.value.code == "unknown_action"


def test_action_names_are_accepted_as_strings():
    assert check("assess", AppealFacts(status=S.RECEIVED, area_path=C1), DISPATCHER) == S.ASSESSED
