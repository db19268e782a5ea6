"""What the goal workflow checks and reads, apart from its steps: the staffing that executes on approval, a
reviewer's edit against what was proposed (the ``decide`` update's validator), and an activity's failure in words.

Pure and deterministic (no I/O): it runs inside the workflow sandbox.
"""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ApplicationError, TimeoutType
from temporalio.exceptions import TimeoutError as StepTimeout

from infra.store.plans import GoalPlan
from infra.store.staffing import StaffingProposal
from policies.plan_checks import check_plan
from workflows.messages import Assignment, ReviewRequest, StaffingArguments

AGENT_STEP_TRIES = 3
"""Attempts of an agent step whose model server did not answer (or whose worker died)."""


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


def validate_plan_edit(review: ReviewRequest, edited: StaffingArguments | GoalPlan | None) -> None:
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


def validate_staffing_edit(review: ReviewRequest, edited: StaffingArguments | GoalPlan | None) -> None:
    """A staffing edit changes only proposed tasks, each once, with ordered windows."""
    if not isinstance(edited, StaffingArguments) or not edited.assignments:
        raise ValueError("an edit needs the edited assignments")
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
