"""Activities of the goal workflow: every write to Postgres, each with its audit event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from infra import audit, idempotency
from infra.db import Connection
from infra.outbox import store as notifications
from infra.runtime import get_pool
from infra.settings import get_settings
from infra.store import assignments, employees, goals, plans, reviews, users
from infra.store.plan_diff import plan_diff
from infra.store.plans import GoalPlan
from infra.telemetry import current_trace_id
from policies import capacity, ramp_store
from tools.certifications import grounding as cert_grounding
from workers import notify
from workflows.activity_inputs import (
    AgentFailed,
    AgentStep,
    ApplyPlan,
    ApplyStaffing,
    Escalation,
    OpenReview,
    RecordDecision,
    RouteAction,
    RouteDecision,
    SavePlan,
    StatusChange,
    TaskUnstaffed,
)


def _event(action: str, *, goal_id: str | None, actor_type: audit.ActorType = "system", actor: str = "goal-workflow",
           **fields: Any) -> audit.AuditEvent:
    info = activity.info()
    return audit.AuditEvent(
        actor_type=actor_type, actor=actor, action=action, goal_id=goal_id, workflow_id=info.workflow_id,
        run_id=info.workflow_run_id, trace_id=current_trace_id(), **fields,
    )


@activity.defn
async def route_action(data: RouteAction) -> RouteDecision:
    """Decide review for an action from the trust ramp; the random draw happens here and is audited.

    A retry after the first execution committed returns that execution's decision: drawing again could route
    the action differently from what the audit trail says.
    """
    async with get_pool().acquire() as conn, conn.transaction():
        if not await idempotency.claim(conn) and (earlier := await idempotency.recall(conn)) is not None:
            return RouteDecision.model_validate(earlier)
        result = await ramp_store.route(
            conn, data.action_type, model=data.model or get_settings().model, prompt_version=data.prompt_version,
            audit_fields={"goal_id": data.goal_id, "workflow_id": activity.info().workflow_id,
                          "run_id": activity.info().workflow_run_id, "trace_id": current_trace_id()})
        r = result.routing
        decision = RouteDecision(review=r.review, because=r.because, forced=r.forced, risk_tier=r.risk_tier.value,
                                 policy_version=r.policy_version + " " + result.policy.label,
                                 fingerprint=result.fingerprint, sla_seconds=result.policy.sla_seconds,
                                 max_escalations=result.policy.max_escalations,
                                 timeout_default=result.policy.timeout_default)
        await idempotency.remember(conn, decision.model_dump(mode="json"))
    return decision


@activity.defn
async def set_goal_status(change: StatusChange) -> None:
    """Record a goal's new status (and audit it)."""
    async with get_pool().acquire() as conn, conn.transaction():
        await goals.set_status(conn, change.goal_id, change.status, change.detail)
        await audit.append(conn, _event(f"goal.{change.status}", goal_id=change.goal_id,
                                        payload={"detail": change.detail}))


@activity.defn
async def record_agent_failure(data: AgentFailed) -> None:
    """An agent step failed for good: the goal is failed with the reason, the audit trail says what failed."""
    async with get_pool().acquire() as conn, conn.transaction():
        await goals.set_status(conn, data.goal_id, "failed", data.reason)
        await audit.append(conn, _event(
            "agent.failed", goal_id=data.goal_id, actor_type="agent", actor=data.details.get("agent", data.step),
            model=data.details.get("model"),
            payload={"step": data.step, "reason": data.reason, "error_type": data.error_type,
                     "error_class": data.details.get("error_class")}))
        await audit.append(conn, _event("goal.failed", goal_id=data.goal_id, payload={"detail": data.reason}))


async def _record_model(conn: Connection, goal_id: str, agent: str, step: AgentStep) -> None:
    """Remember on the goal which model the agent step ran with (configured name, and the served one)."""
    await goals.record_agent_model(conn, goal_id, agent, model=step.model, served_model=step.served_model,
                                   prompt_version=step.prompt_version)


@activity.defn
async def save_plan(data: SavePlan) -> None:
    """Store the tasks of a goal; idempotent on retry."""
    plan = data.plan
    served = {"served_model": data.step.served_model} if data.step.served_model else {}
    async with get_pool().acquire() as conn, conn.transaction():
        if not await idempotency.claim(conn):
            return  # stored by an attempt whose completion did not reach Temporal; re-storing re-dates the grounding
        await _store_tasks(conn, data.goal_id, plan)
        await _record_model(conn, data.goal_id, "draft_tasks", data.step)
        for step in data.graph_steps:
            await audit.append(conn, _event(
                f"agent.plan.{step.node}", goal_id=data.goal_id, actor_type="agent", actor="planning-graph",
                model=data.step.model, prompt_version=data.step.prompt_version,
                args_hash=audit.args_hash(step.output),
                payload={"summary": step.summary, "output": step.output, **served}))
        await audit.append(conn, _event(
            "agent.decompose_goal", goal_id=data.goal_id, actor_type="agent", actor="decompose_goal",
            model=data.step.model, prompt_version=data.step.prompt_version,
            args_hash=audit.args_hash(plan.model_dump(mode="json")),
            payload={"output": plan.model_dump(mode="json"), "tool_calls": data.step.tool_calls, **served},
        ))


async def _store_tasks(conn: Connection, goal_id: str, plan: GoalPlan) -> None:
    """The plan's tasks and outline, and the certifications its tasks need (the grounding's, re-done; reviewers'
    kept); the goal's status is the workflow's to set (it may await a plan review)."""
    kept = await cert_grounding.detach(conn, goal_id)
    await plans.save_tasks(conn, goal_id, plan)
    await goals.save_plan_outline(conn, goal_id, deadline_weeks=plan.deadline_weeks,
                                  plan=plan.model_dump(mode="json", exclude={"tasks"}))
    grounded, back = await cert_grounding.store_needs(conn, goal_id, plan.tasks, kept)
    if grounded or back:
        await audit.append(conn, _event("goal.certifications_grounded", goal_id=goal_id, payload={
            "grounded": [{"task_id": n.task_id, "type_id": n.type_id, "reason": n.reason} for n in grounded],
            "kept": [r.model_dump(mode="json") for r in back]}))


@activity.defn
async def open_review(data: OpenReview) -> None:
    """Store a review request; the goal now waits for a human."""
    req = data.request
    proposal = data.proposal.model_dump(mode="json") if data.proposal else None
    async with get_pool().acquire() as conn, conn.transaction():
        if data.step is not None:
            served = {"served_model": data.step.served_model} if data.step.served_model else {}
            if req.goal_id is not None:
                await _record_model(conn, req.goal_id, req.action_type, data.step)
            await audit.append(conn, _event(
                f"agent.{req.action_type}", goal_id=req.goal_id, actor_type="agent", actor=req.action_type,
                model=data.step.model, prompt_version=data.step.prompt_version, args_hash=req.args_hash,
                payload={"output": proposal, "tool_calls": data.step.tool_calls, **served},
            ))
        await reviews.insert(conn, reviews.NewReview(
            review_id=req.review_id, goal_id=req.goal_id, workflow_id=activity.info().workflow_id or "",
            action_type=req.action_type, arguments=req.arguments, args_hash=req.args_hash,
            evidence=(data.evidence or {}) if data.plan is None else {"plan": data.plan.model_dump(mode="json"),
                                                               "proposal": proposal},
            explanation=data.explanation or (data.proposal.explanation if data.proposal else
                                             data.plan.summary if data.plan else ""),
            risk_tier=req.risk_tier, policy_version=req.policy_version, routed_because=req.routed_because,
            requested_by=req.requested_by, due_at=req.due_at, sampled=data.sampled, fingerprint=data.fingerprint,
            subject=req.subject, concerns=req.concerns))
        if data.goal_status is not None and req.goal_id is not None:
            await goals.set_status(conn, req.goal_id, data.goal_status)
        await audit.append(conn, _event(
            "review.requested", goal_id=req.goal_id, args_hash=req.args_hash, policy_version=req.policy_version,
            payload={"review_id": req.review_id, "action_type": req.action_type, "risk_tier": req.risk_tier,
                     "routed_because": req.routed_because, "due_at": req.due_at, "arguments": req.arguments},
        ))


@activity.defn
async def record_decision(data: RecordDecision) -> None:
    """Store a reviewer's decision and audit it as a human action."""
    d = data.decision
    outcomes: dict[str, reviews.ReviewStatus] = {"approve": "approved", "reject": "rejected", "edit": "edited"}
    status = outcomes[d.decision]
    executed = data.executed_arguments
    async with get_pool().acquire() as conn, conn.transaction():
        if not await idempotency.claim(conn):
            return  # a retry after the first execution committed: the ramp counted this decision once already
        review = await reviews.record_decision(conn, d.review_id, status=status, decided_by=d.reviewer,
                                               reason=d.reason, executed=executed)
        if review is not None:  # rejections and edits are the agent's errors; forced reviews do not count
            await ramp_store.record_outcome(conn, review.action_type, sampled=review.sampled,
                                            error=d.decision != "approve", fingerprint=review.fingerprint)
        await audit.append(conn, _event(
            "review.decided", goal_id=data.goal_id, actor_type="human", actor=d.reviewer,
            actor_role=await users.role_of(conn, d.reviewer),
            args_hash=data.executed_args_hash, policy_version=review.policy_version if review else None,
            payload={"review_id": d.review_id, "decision": d.decision, "reason": d.reason,
                     "reason_code": d.reason_code, "reviewed_args_hash": d.args_hash, "executed_arguments": executed,
                     "via": d.via},
        ))


@activity.defn
async def escalate_review(data: Escalation) -> None:
    """Record an SLA breach: escalate, or apply the policy's default once the escalations ran out."""
    default = data.default_applied
    status: reviews.ReviewStatus | None = {"park": "parked", "approve": "approved", "reject": "rejected",
                                           None: None}[default]
    decided = default in ("approve", "reject")
    async with get_pool().acquire() as conn, conn.transaction():
        if not await idempotency.claim(conn):
            return  # recorded by an attempt whose completion did not reach Temporal (a default's decided_at stays)
        await reviews.record_escalation(conn, data.review_id, escalations=data.escalations, due_at=data.due_at,
                                        default_status=status)
        if (data.parked or default == "park") and data.sets_goal_status and data.goal_id is not None:
            await goals.set_status(conn, data.goal_id, "parked",
                                   "review SLA missed; parked until a reviewer decides (never auto-approved)")
        notified = [] if decided else await _notify_escalation(conn, data)
        action = "review.defaulted" if decided else "review.parked" if data.parked else "review.escalated"
        await audit.append(conn, _event(
            action, goal_id=data.goal_id,
            payload={"review_id": data.review_id, "escalations": data.escalations, "due_at": data.due_at,
                     "notified": notified, "default_applied": default},
        ))


async def _notify_escalation(conn: Connection, data: Escalation) -> list[str]:
    """Queue notifications to the next tier: reviewers on a first breach, admins when the review is parked."""
    tier = "admin" if data.parked else "reviewer"
    people = await employees.notifiable(conn, tier)
    state = "parked (the policy never auto-approves people decisions)" if data.parked else "overdue"
    subject = f"talentops: review {data.review_id} is {state}"
    body = (f"Review {data.review_id} of goal {data.goal_id} missed its SLA ({data.escalations} escalation(s)). "
            f"It is {state}; decide it in the review console at /reviews/{data.review_id}. Next due: {data.due_at}.")
    settings = get_settings()
    targets: list[tuple[notifications.Channel, str]] = [("email", email) for _, email in people]
    if settings.slack_webhook_url:
        targets.append(("slack", ""))
    if settings.teams_webhook_url:
        targets.append(("teams", ""))
    for channel, recipient in targets:
        await notifications.enqueue(
            conn, channel=channel, recipient=recipient, subject=subject, body=body,
            dedupe_key=f"{data.review_id}:escalation:{data.escalations}:{channel}:{recipient}")
    return [login for login, _ in people] + [c for c, r in targets if not r]


@activity.defn
async def apply_staffing(data: ApplyStaffing) -> None:
    """Store the approved assignments; the goal is staffed.

    Under a transaction-level advisory lock per employee concerned (sorted, so two goals never deadlock), the
    capacity check runs again against what other goals have stored: two staffings approved at once cannot book
    one person past their capacity. If anyone would be, nothing is written and the activity fails with a
    non-retryable ``ApplicationError`` of type ``OverCapacity`` whose message names who and which weeks.
    """
    rows = _new_rows(data)
    async with get_pool().acquire() as conn, conn.transaction():
        if not await idempotency.claim(conn):
            return  # stored by an attempt whose completion did not reach Temporal; storing again would re-date them
        await _check_bookable(conn, data.goal_id, data.arguments.assignments)
        await assignments.replace_for_goal(conn, data.goal_id, data.review_id, rows,
                                           state="offered" if data.moves else "released")
        await goals.set_status(conn, data.goal_id, "staffed")
        await audit.append(conn, _event(
            "goal.staffed", goal_id=data.goal_id, args_hash=audit.args_hash(data.arguments.model_dump(mode="json")),
            payload={"review_id": data.review_id, "assignments": data.arguments.model_dump(mode="json")["assignments"]},
        ))


def _new_rows(data: ApplyStaffing) -> list[assignments.NewAssignment]:
    """The approved assignments with the matcher's score and reason (a reviewer's own choice has none)."""
    reasons = {(t.task_id, c.employee_id): c for t in data.proposal.tasks for c in t.candidates}
    rows = []
    for a in data.arguments.assignments:
        candidate = reasons.get((a.task_id, a.employee_id))
        rows.append(assignments.NewAssignment(
            task_id=a.task_id, employee_id=a.employee_id, fraction=a.fraction, start_week=a.start_week,
            end_week=a.end_week, score=candidate.score if candidate else 0.0,
            reason=candidate.reason if candidate else "chosen by the reviewer"))
    return rows


async def _check_bookable(conn: Connection, goal_id: str, wanted: Sequence[capacity.ProposedAssignment]) -> None:
    """Refuse unknown people and anyone the assignments would book past their capacity (locks them first).

    Raises:
        ApplicationError: Non-retryable; ``OverCapacity`` names who and which weeks.
    """
    ids = sorted({a.employee_id for a in wanted})
    known = await employees.existing(conn, ids)
    unknown = sorted(set(ids) - known)
    if unknown:
        raise ApplicationError(f"unknown employees: {', '.join(unknown)}", non_retryable=True)
    await capacity.lock_employees(conn, known)
    overbooked = await capacity.check_goal(conn, goal_id, wanted)
    if overbooked:
        # an expected outcome the workflow handles (it proposes again), not a worker error to log with a traceback
        raise ApplicationError(capacity.refusal(overbooked), type="OverCapacity", non_retryable=True,
                               category=ApplicationErrorCategory.BENIGN)


@activity.defn
async def offer_again(data: ApplyStaffing) -> None:
    """Store the person a reviewer approved for a task proposed again; the goal's other people keep their moves.

    The capacity check counts the goal's other open assignments too (the new person may be on another of its
    tasks). Idempotent: a retry finds the row stored and writes nothing.
    """
    rows = _new_rows(data)
    async with get_pool().acquire() as conn, conn.transaction():
        others = [a for a in await assignments.booking_for_goal(conn, data.goal_id)
                  if a.task_id not in {r.task_id for r in rows}]
        await _check_bookable(conn, data.goal_id, [*others, *data.arguments.assignments])
        stored = [r for r in rows if await assignments.add_offer(conn, data.goal_id, data.review_id, r)]
        if stored:
            await audit.append(conn, _event(
                "goal.restaffed", goal_id=data.goal_id,
                args_hash=audit.args_hash(data.arguments.model_dump(mode="json")),
                payload={"review_id": data.review_id,
                         "assignments": data.arguments.model_dump(mode="json")["assignments"]}))


@activity.defn
async def record_task_unstaffed(data: TaskUnstaffed) -> None:
    """A task has nobody after a decline or a withdrawal: audit it and tell the goal's manager why."""
    async with get_pool().acquire() as conn, conn.transaction():
        goal = await goals.get(conn, data.goal_id)
        if goal is None:
            return
        title = await conn.fetchval("SELECT title FROM tasks WHERE goal_id = $1 AND task_id = $2",
                                    data.goal_id, data.task_id) or data.task_id
        told = await notify.tell_login(conn, goal.manager_login, notify.Message(
            subject=f"“{title}” has nobody now",
            body=f"The task “{title}” of your goal “{goal.text}” has nobody on it: {data.reason}.",
            link=f"/goals/{data.goal_id}", goal_id=data.goal_id,
            key=f"task-unstaffed:{data.goal_id}:{data.task_id}:{data.employee_id}"))
        if told:
            await goals.set_status(conn, data.goal_id, "staffed", f"“{title}” has nobody: {data.reason}")
            await audit.append(conn, _event("goal.task_unstaffed", goal_id=data.goal_id, payload={
                "task_id": data.task_id, "after": data.employee_id, "reason": data.reason}))


@activity.defn
async def apply_plan(data: ApplyPlan) -> None:
    """Replace a goal's tasks with the plan its reviewer edited; the audit event carries what the edit changed.

    The plan before the edit is ``data.before``, else the plan the review showed (its arguments, read before the
    tasks are replaced, so a retry computes the same diff), else the goal's stored tasks.
    """
    async with get_pool().acquire() as conn, conn.transaction():
        if not await idempotency.claim(conn):
            return  # applied by an attempt whose completion did not reach Temporal
        before = data.before or await _plan_under_review(conn, data)
        await _store_tasks(conn, data.goal_id, data.plan)
        await audit.append(conn, _event(
            "goal.plan_edited", goal_id=data.goal_id, args_hash=audit.args_hash(data.plan.model_dump(mode="json")),
            payload={"review_id": data.review_id, "tasks": [t.task_id for t in data.plan.tasks],
                     "changes": plan_diff(before, data.plan) if before is not None else None},
        ))


async def _plan_under_review(conn: Connection, data: ApplyPlan) -> GoalPlan | None:
    """The plan as the reviewer saw it (the review's arguments), or rebuilt from the goal's stored tasks."""
    arguments = await reviews.arguments_of(conn, data.review_id)
    if arguments is not None:
        return GoalPlan.model_validate(arguments)
    stored = await plans.load_tasks(conn, data.goal_id)
    if not stored:
        return None
    after = {t.task_id: t for t in data.plan.tasks}
    # rows stored before the table kept dependencies and phases: take the edited plan's, so that only what the
    # table always held is compared
    tasks = [t.model_copy(update={"depends_on": after[t.task_id].depends_on if t.task_id in after else [],
                                  "phase": after[t.task_id].phase if t.task_id in after else ""}) for t in stored]
    return data.plan.model_copy(update={"tasks": tasks})


ALL_ACTIVITIES: list[Callable[..., Any]] = [
    route_action, set_goal_status, save_plan, open_review, record_decision, escalate_review, apply_staffing,
    apply_plan, record_agent_failure, offer_again, record_task_unstaffed,
]
"""Registered by the worker."""
