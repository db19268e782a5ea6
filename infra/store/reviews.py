"""Reviews (table ``review_requests``): an agent action waiting for a human, and the decision taken on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from infra.db import Connection, Queryable
from infra.store.timestamps import Timestamp

ReviewStatus = Literal["pending", "approved", "rejected", "edited", "parked"]
"""``pending`` and ``parked`` wait for a reviewer; the others are decided."""


class ReviewBase(BaseModel):
    """What every view of a review shows."""

    review_id: str
    """Review id (``r-`` and 12 hex digits)."""
    goal_id: str | None
    """Goal the action belongs to (None: an action outside any goal, such as a certification renewal)."""
    action_type: str
    """Kind of agent action (``decompose_goal``, ``propose_staffing``)."""
    risk_tier: str
    """Risk tier of the action type (low, medium, high)."""
    status: ReviewStatus
    """Waiting or decided."""
    due_at: Timestamp
    """When the review misses its SLA (moves on at each escalation)."""
    escalations: int
    """SLA breaches so far."""
    requested_by: str
    """Who the action was taken for (the goal's submitter)."""
    created_at: Timestamp
    """When the review was opened."""
    args_hash: str
    """Hash of the exact arguments under review."""


class QueuedReview(ReviewBase):
    """A row of the review queue."""

    goal_text: str
    """The goal's text (or, outside any goal, what the action is about)."""
    department: str | None
    """The goal's department."""


class Review(ReviewBase):
    """One review with everything a reviewer decides on."""

    workflow_id: str
    """The goal's workflow, which waits for the decision."""
    arguments: dict[str, Any]
    """The action's exact arguments (a plan, or the staffing's assignments)."""
    evidence: dict[str, Any]
    """What the agent saw and proposed (the plan, the staffing proposal with every candidate)."""
    explanation: str
    """How the agent explains its action."""
    policy_version: str
    """Trust-ramp policy that routed it."""
    routed_because: str
    """Why it is reviewed, in words."""
    decided_by: str | None
    """Reviewer (or ``policy-default``) once decided."""
    reason: str | None
    """The reviewer's reason, if given."""
    decided_arguments: dict[str, Any] | None
    """The arguments that executed (an edit's, or the proposed ones)."""
    decided_at: Timestamp | None
    """When it was decided."""
    sampled: bool
    """Reviewed because the trust ramp sampled it (its outcome counts towards the error rate)."""
    fingerprint: str | None
    """Model and prompt the outcome is counted for."""
    goal_text: str
    """The goal's text (or, outside any goal, what the action is about)."""
    manager_login: str | None
    """The goal's manager (who may not decide it; None outside any goal)."""
    submitted_by: str | None
    """Who submitted the goal (who may not decide it either; None outside any goal)."""
    starts_on: date | None
    """The goal's start day (task weeks count from it; None outside any goal)."""
    concerns: str | None = None
    """The employee an action outside any goal is about (who may not decide it)."""


class LatestReview(BaseModel):
    """Where a goal's latest review stands (shown with the goal)."""

    review_id: str
    """Review id."""
    action_type: str
    """Kind of agent action."""
    status: ReviewStatus
    """Waiting or decided."""
    decided_by: str | None
    """Reviewer once decided."""
    reason: str | None
    """The reviewer's reason."""
    decided_at: Timestamp | None
    """When it was decided."""
    due_at: Timestamp
    """When it misses its SLA."""
    escalations: int
    """SLA breaches so far."""


@dataclass(kw_only=True)
class ReviewFilters:
    """Filters of the review queue."""

    status: str | None = "pending"
    """``pending`` (includes parked), another status, or None for all."""
    action_type: str | None = None
    """Only this kind of action."""
    risk_tier: str | None = None
    """Only this risk tier."""
    department: str | None = None
    """Only goals of this department."""
    goal_id: str | None = None
    """Only this goal."""
    min_age_hours: float | None = None
    """Only reviews waiting at least this long."""
    limit: int = 50
    """Page size."""
    offset: int = 0
    """Rows to skip."""


_BASE = "r.review_id, r.goal_id, r.action_type, r.risk_tier, r.status, r.due_at, r.escalations, r.requested_by," \
        " r.created_at, r.args_hash"


async def search(conn: Queryable, f: ReviewFilters) -> tuple[list[QueuedReview], int]:
    """One page of the review queue (oldest due first) and how many reviews match in all.

    The SQL holds only the filters given (no ``$n IS NULL OR …`` catch-alls), so each combination gets its own
    prepared statement with true estimates, and the open statuses are a literal that matches the partial
    index ``review_requests_open_queue`` even in a generic plan (bench/inbox_list.py measures it).
    """
    where: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if f.status == "pending":
        where.append("r.status IN ('pending', 'parked')")
    elif f.status:
        where.append(f"r.status = {arg(f.status)}")
    if f.action_type:
        where.append(f"r.action_type = {arg(f.action_type)}")
    if f.risk_tier:
        where.append(f"r.risk_tier = {arg(f.risk_tier)}")
    if f.department:
        where.append(f"g.department = {arg(f.department)}")
    if f.goal_id:
        where.append(f"r.goal_id = {arg(f.goal_id)}")
    if f.min_age_hours is not None:
        where.append(f"r.created_at <= now() - make_interval(secs => {arg(f.min_age_hours)}::float8 * 3600)")
    cond = " AND ".join(where) or "true"
    n = len(args)
    rows = await conn.fetch(
        f"SELECT {_BASE}, coalesce(g.text, r.subject) AS goal_text, g.department"
        f" FROM review_requests r LEFT JOIN goals g USING (goal_id) WHERE {cond}"
        f" ORDER BY r.due_at, r.created_at, r.review_id LIMIT ${n + 1} OFFSET ${n + 2}", *args, f.limit, f.offset)
    source = "review_requests r JOIN goals g USING (goal_id)" if f.department else "review_requests r"
    total: int = await conn.fetchval(f"SELECT count(*) FROM {source} WHERE {cond}", *args)
    return [QueuedReview.model_validate(dict(r)) for r in rows], total


async def get(conn: Queryable, review_id: str) -> Review | None:
    """A review with its exact arguments, evidence and explanation; None when there is no such review."""
    row = await conn.fetchrow(
        f"SELECT {_BASE}, r.workflow_id, r.arguments, r.evidence, r.explanation, r.policy_version,"
        " r.routed_because, r.decided_by, r.reason, r.decided_arguments, r.decided_at, r.sampled, r.fingerprint,"
        " coalesce(g.text, r.subject) AS goal_text, g.manager_login, g.submitted_by, g.starts_on, r.concerns"
        " FROM review_requests r LEFT JOIN goals g USING (goal_id) WHERE r.review_id = $1", review_id)
    return Review.model_validate(dict(row)) if row is not None else None


async def latest_for_goal(conn: Queryable, goal_id: str) -> LatestReview | None:
    """The goal's most recent review, if it had one."""
    row = await conn.fetchrow(
        "SELECT review_id, action_type, status, decided_by, reason, decided_at, due_at, escalations"
        " FROM review_requests WHERE goal_id = $1 ORDER BY created_at DESC LIMIT 1", goal_id)
    return LatestReview.model_validate(dict(row)) if row is not None else None


async def latest_status(conn: Queryable, goal_id: str, action_type: str) -> ReviewStatus | None:
    """Status of the goal's latest review of one action type (None: that action was never reviewed)."""
    status: ReviewStatus | None = await conn.fetchval(
        "SELECT status FROM review_requests WHERE goal_id = $1 AND action_type = $2 ORDER BY created_at DESC LIMIT 1",
        goal_id, action_type)
    return status


async def arguments_of(conn: Queryable, review_id: str) -> dict[str, Any] | None:
    """The arguments a review showed (None: no such review)."""
    arguments: dict[str, Any] | None = await conn.fetchval(
        "SELECT arguments FROM review_requests WHERE review_id = $1", review_id)
    return arguments


@dataclass(kw_only=True)
class NewReview:
    """A review request to store as the workflow opened it."""

    review_id: str
    """Review id."""
    goal_id: str | None
    """Goal (None: an action outside any goal)."""
    workflow_id: str
    """The workflow that waits for the decision."""
    action_type: str
    """Kind of action."""
    arguments: dict[str, Any]
    """The exact arguments under review."""
    args_hash: str
    """Their hash."""
    evidence: dict[str, Any]
    """The plan and proposal behind them."""
    explanation: str
    """The agent's explanation."""
    risk_tier: str
    """Risk tier."""
    policy_version: str
    """Policy that routed it."""
    routed_because: str
    """Why it is reviewed."""
    requested_by: str
    """For whom."""
    due_at: str
    """SLA deadline, ISO 8601."""
    sampled: bool
    """Sampled by the trust ramp."""
    fingerprint: str | None
    """Model and prompt fingerprint."""
    subject: str | None = None
    """What an action outside any goal is about."""
    concerns: str | None = None
    """The employee an action outside any goal is about."""


async def insert(conn: Connection, r: NewReview) -> None:
    """Store a review request; idempotent (a retried activity stores it once)."""
    await conn.execute(
        "INSERT INTO review_requests (review_id, goal_id, workflow_id, action_type, arguments, args_hash,"
        " evidence, explanation, risk_tier, policy_version, routed_because, requested_by, due_at, sampled,"
        " fingerprint, subject, concerns)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::text::timestamptz, $14, $15, $16, $17)"
        " ON CONFLICT (review_id) DO NOTHING",
        r.review_id, r.goal_id, r.workflow_id, r.action_type, r.arguments, r.args_hash, r.evidence, r.explanation,
        r.risk_tier, r.policy_version, r.routed_because, r.requested_by, r.due_at, r.sampled, r.fingerprint,
        r.subject, r.concerns)


class DecisionRecorded(BaseModel):
    """What the trust ramp needs to count a decided review."""

    action_type: str
    """Kind of action."""
    sampled: bool
    """Whether the ramp sampled it (forced reviews do not count)."""
    fingerprint: str | None
    """Model and prompt fingerprint."""
    policy_version: str
    """Policy that routed it."""


async def record_decision(conn: Connection, review_id: str, *, status: ReviewStatus, decided_by: str,
                          reason: str | None, executed: dict[str, Any] | None) -> DecisionRecorded | None:
    """Store a reviewer's decision; None when the review does not exist."""
    row = await conn.fetchrow(
        "UPDATE review_requests SET status = $2, decided_by = $3, reason = $4, decided_arguments = $5,"
        " decided_at = now() WHERE review_id = $1 RETURNING action_type, sampled, fingerprint, policy_version",
        review_id, status, decided_by, reason, executed)
    return DecisionRecorded.model_validate(dict(row)) if row is not None else None


async def record_escalation(conn: Connection, review_id: str, *, escalations: int, due_at: str,
                            default_status: ReviewStatus | None) -> None:
    """Record an SLA breach; when the policy's default decides it (approve, reject), record that decision."""
    decided = default_status in ("approved", "rejected")
    await conn.execute(
        "UPDATE review_requests SET escalations = $2, due_at = $3::text::timestamptz,"
        " status = coalesce($4, status),"
        " decided_by = CASE WHEN $5 THEN 'policy-default' ELSE decided_by END,"
        " reason = CASE WHEN $5 THEN 'no decision within the SLA; the policy default applied' ELSE reason END,"
        " decided_arguments = CASE WHEN $4 = 'approved' THEN arguments ELSE decided_arguments END,"
        " decided_at = CASE WHEN $5 THEN now() ELSE decided_at END"
        " WHERE review_id = $1",
        review_id, escalations, due_at, default_status, decided)
