"""What the goal workflow checks and reads, apart from its steps: the staffing that executes on approval, a
reviewer's edit against what was proposed and who may decide (the ``decide`` update's validator), and an activity's
failure in words.

Pure and deterministic (no I/O): it runs inside the workflow sandbox. The one thing read from outside is the set of
keys the worker trusts for decision attestations (``workflows.attestation``, installed at worker start), and only
by the validator, which Temporal never replays.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from temporalio.exceptions import ActivityError, ApplicationError, TimeoutType
from temporalio.exceptions import TimeoutError as StepTimeout

from infra.arguments import args_hash
from infra.store.certifications import FlagArguments
from infra.store.onboarding import OnboardingPlan
from infra.store.plans import GoalPlan
from infra.store.staffing import StaffingProposal
from policies.plan_checks import check_plan
from policies.review_routing import DECOMPOSE_GOAL
from workflows import attestation
from workflows.messages import (
    Assignment,
    Decision,
    DecisionAttestation,
    GoalInput,
    ReviewRequest,
    StaffingArguments,
)

AGENT_STEP_TRIES = 3
"""Attempts of an agent step whose model server did not answer (or whose worker died)."""
DECIDING_ROLES = ("reviewer", "admin")
"""Roles that may decide a review."""


def proposed_arguments(plan: GoalPlan, proposal: StaffingProposal) -> StaffingArguments:
    """The staffing that executes on approval: the first candidate of every task that has one."""
    tasks = {t.task_id: t for t in plan.tasks}
    return StaffingArguments(assignments=[
        Assignment(task_id=s.task_id, employee_id=s.candidates[0].employee_id, fraction=s.candidates[0].fraction,
                   start_week=tasks[s.task_id].start_week, end_week=tasks[s.task_id].end_week)
        for s in proposal.tasks if s.candidates and s.task_id in tasks
    ])


def failure_reason(err: ActivityError) -> str:
    """The sentence an activity failed with (its ApplicationError's message), for the goal's status."""
    cause = err.cause
    while isinstance(cause, ActivityError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, StepTimeout):
        if cause.type == TimeoutType.HEARTBEAT:
            return f"the worker running it stopped answering, {AGENT_STEP_TRIES} times"
        return "it took longer than it may"
    return getattr(cause, "message", None) or str(cause or err)


def application_error(err: ActivityError) -> ApplicationError | None:
    """The ApplicationError an activity failed with, if that is what it failed with."""
    cause = err.cause
    return cause if isinstance(cause, ApplicationError) else None


def error_type(err: ActivityError) -> str | None:
    """The failure's type (``OverCapacity``, ``ModelUnavailable``, ``Timeout``, ...), if it has one."""
    cause = application_error(err)
    if cause is not None:
        return cause.type
    return "Timeout" if isinstance(err.cause, StepTimeout) else None


def validate_plan_edit(review: ReviewRequest,
                       edited: StaffingArguments | GoalPlan | OnboardingPlan | FlagArguments | None) -> None:
    """A plan edit passes the same structural checks as the planner's plans (skills are checked by the console,
    which has the taxonomy; a workflow validator does no I/O)."""
    if not isinstance(edited, GoalPlan):
        raise ValueError("an edit of a plan needs the edited plan")
    if edited.deadline_weeks != review.arguments.get("deadline_weeks", edited.deadline_weeks):
        raise ValueError("an edit may not move the goal's deadline")
    ids = [t.task_id for t in edited.tasks]
    if len(set(ids)) != len(ids):
        raise ValueError("an edit may name each task only once")
    issues = check_plan(edited)
    if issues:
        raise ValueError("; ".join(str(i) for i in issues))


def validate_staffing_edit(review: ReviewRequest,
                           edited: StaffingArguments | GoalPlan | OnboardingPlan | FlagArguments | None, *,
                           passed_over: Mapping[str, list[str]] | None = None) -> None:
    """A staffing edit changes only proposed tasks, each once, with ordered windows, and never gives a task back to
    someone who declined it (or was not released for it): ``passed_over`` maps a task to those people."""
    if not isinstance(edited, StaffingArguments) or not edited.assignments:
        raise ValueError("an edit needs the edited assignments")
    for a in edited.assignments:
        if a.employee_id in (passed_over or {}).get(a.task_id, []):
            raise ValueError(f"{a.employee_id} already declined task {a.task_id} (or was not released for it); "
                             "choose someone else")
    proposed = StaffingArguments.model_validate(review.arguments)
    _check_task_ids([a.task_id for a in edited.assignments], {a.task_id for a in proposed.assignments}, "change")
    for a in edited.assignments:
        if a.end_week <= a.start_week:
            raise ValueError(f"task {a.task_id}: end_week must be after start_week")


def _check_task_ids(edited: list[str], proposed: set[str], verb: str) -> None:
    """An edit names each task once and only tasks that were proposed."""
    if len(set(edited)) != len(edited):
        raise ValueError("an edit may name each task only once")
    unknown = set(edited) - proposed
    if unknown:
        raise ValueError(f"an edit may only {verb} proposed tasks; unknown: {', '.join(sorted(unknown))}")


def executed_arguments(review: ReviewRequest, decision: Decision) -> dict[str, Any] | None:
    """What a decision executes: the reviewed arguments on approve, the edit on edit, nothing on reject."""
    if decision.decision == "edit" and decision.edited_arguments is not None:
        return decision.edited_arguments.model_dump(mode="json")
    if decision.decision == "approve":
        return review.arguments
    return None


def validate_authority(goal: GoalInput, review: ReviewRequest, decision: Decision, *, now: datetime,
                       keys: Mapping[str, bytes] | None = None) -> None:
    """Refuse a decision the application layer did not attest, or whose attested facts break a rule: a role that
    does not decide reviews, the goal's manager or submitter, a person the staffing concerns, a staffing the
    bias policy blocks. Pure: the facts travel signed in the decision; the goal and review are the workflow's.

    Raises:
        ValueError: With the sentence the sender gets back.
    """
    if review.action_type == DECOMPOSE_GOAL.name:
        validate_attested(review, decision, now=now, excluded={goal.manager_login, goal.submitted_by}, keys=keys)
        return
    concerned = {a.employee_id for a in StaffingArguments.model_validate(review.arguments).assignments}
    if isinstance(decision.edited_arguments, StaffingArguments):
        concerned |= {a.employee_id for a in decision.edited_arguments.assignments}
    facts = validate_attested(review, decision, now=now, excluded={goal.manager_login, goal.submitted_by},
                              concerned=concerned, keys=keys)
    if decision.decision != "reject" and facts.bias_verdict == "block":
        raise ValueError("the bias audit blocks this staffing; swap people to widen who is selected, or reject it")


def validate_attested(review: ReviewRequest, decision: Decision, *, now: datetime, excluded: set[str | None],
                      concerned: set[str] | None = None,
                      keys: Mapping[str, bytes] | None = None) -> DecisionAttestation:
    """The checks every workflow's review gate makes on the attested facts: a deciding role, nobody in
    ``excluded`` (nor whoever requested the review), the executed arguments as attested, and no reviewer among the
    people ``concerned``. Returns the facts for further checks.

    Raises:
        ValueError: With the sentence the sender gets back.
    """
    facts = attestation.verify(decision, now=now, keys=keys)
    if facts.reviewer_role not in DECIDING_ROLES:
        raise ValueError(f"{decision.reviewer!r} is a {facts.reviewer_role}; only reviewers and admins decide reviews")
    if decision.reviewer in excluded | {review.requested_by}:
        raise ValueError("separation of duties: whoever submitted the goal, or manages it, cannot decide its reviews")
    executed = executed_arguments(review, decision)
    if facts.executed_args_hash != (args_hash(executed) if executed is not None else None):
        raise ValueError("the attested arguments are not the ones this decision executes")
    if facts.reviewer_employee_id and facts.reviewer_employee_id in (concerned or set()):
        raise ValueError("separation of duties: this decision concerns its reviewer (among the people concerned)")
    return facts
