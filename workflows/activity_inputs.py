"""Inputs of the goal workflow's activities (the workflow builds them; workers execute them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from infra.store.plans import GoalPlan, PlanStep
from infra.store.staffing import StaffingProposal
from policies.review_routing import TimeoutDefault
from workflows.messages import Decision, GoalStatus, ReviewRequest, StaffingArguments


class StatusChange(BaseModel):
    """Move a goal to a new status."""

    goal_id: str
    """Goal."""
    status: GoalStatus
    """New status."""
    detail: str | None = None
    """Sentence shown next to the status (e.g. the rejection reason)."""


class AgentStep(BaseModel):
    """Who produced an agent output, for the audit trail."""

    model: str | None
    """Model that answered."""
    prompt_version: str
    """Version of the agent's instructions."""
    tool_calls: list[dict[str, Any]]
    """Tools the agent called, with arguments."""
    served_model: str | None = None
    """Model name the server reported, when it differs from ``model`` (servers may echo any name)."""


class SavePlan(BaseModel):
    """Store a goal's tasks."""

    goal_id: str
    """Goal."""
    plan: GoalPlan
    """The decomposition."""
    step: AgentStep
    """Agent provenance."""
    graph_steps: list[PlanStep] = []
    """Each planning-graph node's output, audited one event each (empty for plans from before the graph)."""


class PlanGoal(BaseModel):
    """Plan a goal with the planning graph."""

    goal_id: str
    """Goal."""
    text: str
    """The goal as written."""
    submitted_on: str
    """ISO date the goal was submitted (deadlines are read from it)."""


class PlanResult(BaseModel):
    """The planning graph's plan and how it got there."""

    plan: GoalPlan
    """The plan (open issues listed on it)."""
    steps: list[PlanStep]
    """Every node's output, in order."""
    model: str
    """Model that drafted (``local-planner`` for the offline templates), as the worker was configured."""
    prompt_version: str
    """Version of the drafting instructions."""
    served_model: str | None = None
    """Model name the server reported, when it differs from ``model``."""


class ProposeStaffing(BaseModel):
    """Find people for every task of a plan and propose who should do each."""

    goal_id: str
    """Goal."""
    plan: GoalPlan
    """The plan to staff (as approved)."""
    starts_on: str
    """ISO date of the goal's week 0."""
    excluded: list[str] = []
    """People not to propose (they declined the task, or were not released for it)."""


class StaffingResult(BaseModel):
    """A checked staffing proposal and how it was made."""

    proposal: StaffingProposal
    """Who for every task, with the matcher's numbers and evidence."""
    step: AgentStep
    """Model, prompt version, and the matcher calls made (as tool calls)."""


class AgentFailed(BaseModel):
    """An agent step failed for good: the goal fails with the reason, and the audit trail says why."""

    goal_id: str
    """Goal."""
    step: str
    """Which step: ``planning`` or ``staffing``."""
    reason: str
    """What the goal shows, in a sentence."""
    error_type: str | None
    """Category (``ModelUnavailable``, ``ModelOutputInvalid``, ...); None when the error had none."""
    details: dict[str, Any] = {}
    """What the activity reported with it: error class, model, agent."""


class OpenReview(BaseModel):
    """Store a review request and what the reviewer needs to judge it."""

    request: ReviewRequest
    """The request."""
    plan: GoalPlan | None = None
    """The goal's plan (None: a review of something else, whose ``evidence`` is given)."""
    evidence: dict[str, Any] | None = None
    """What the reviewer judges it by, when it is not a goal's plan (an onboarding plan, a reminder)."""
    proposal: StaffingProposal | None = None
    """The staffing agent's full proposal (candidates, evidence); None for a plan review."""
    step: AgentStep | None = None
    """Provenance of the agent output under review, audited here (a plan's was audited when it was saved)."""
    goal_status: GoalStatus | None = "awaiting_review"
    """Status the goal shows while the review waits (None: the goal's status stays as it is)."""
    sampled: bool = False
    """Routed by the random draw (its outcome counts toward the trust ramp)."""
    fingerprint: str | None = None
    """Evidence fingerprint the outcome counts toward."""
    explanation: str | None = None
    """What the reviewer reads first (default: the proposal's explanation, else the plan's summary)."""


class RecordDecision(BaseModel):
    """Store a reviewer's decision."""

    goal_id: str | None
    """Goal."""
    decision: Decision
    """The decision as sent."""
    executed_arguments: dict[str, Any] | None
    """What will execute (None on reject)."""
    executed_args_hash: str | None
    """Its hash."""


class Escalation(BaseModel):
    """An SLA breach on a review."""

    goal_id: str | None
    """Goal."""
    review_id: str
    """Review that breached its SLA."""
    escalations: int
    """Escalations so far, including this one."""
    parked: bool
    """Whether the review is now parked until someone decides (the default of people decisions)."""
    due_at: str
    """New due time, ISO."""
    default_applied: TimeoutDefault | None = None
    """Set when the escalations ran out and the policy's default decided: park, approve or reject."""
    sets_goal_status: bool = True
    """Whether parking shows on the goal (False for reviews after staffing: onboarding plans, reminders)."""


class ApplyStaffing(BaseModel):
    """Execute an approved staffing."""

    goal_id: str
    """Goal."""
    review_id: str
    """Review that approved it."""
    arguments: StaffingArguments
    """The assignments to store."""
    proposal: StaffingProposal
    """For scores and reasons of the people assigned."""
    moves: bool = False
    """Each assignment becomes a move the person answers (False: final on approval, as before moves existed)."""


class RouteAction(BaseModel):
    """Ask the trust ramp whether an action goes to review."""

    goal_id: str | None
    """Goal."""
    action_type: str
    """Kind of action."""
    prompt_version: str
    """Version of the agent's instructions (part of the evidence fingerprint)."""
    model: str | None = None
    """Model of the agent that produced the action (None: the worker's default model, as in older histories)."""


class RouteDecision(BaseModel):
    """The routing, with what the workflow needs to open and time the review."""

    review: bool
    """Whether a human reviews before it executes."""
    because: str
    """Why (forced by a rule, sampled, not sampled)."""
    forced: bool
    """Forced by a rule (then the outcome does not count toward the ramp)."""
    risk_tier: str
    """Risk tier of the action."""
    policy_version: str
    """Policy in force."""
    fingerprint: str
    """Model/prompt/policy fingerprint the outcome counts toward."""
    sla_seconds: int | None
    """SLA from the policy; None means the deployment default."""
    max_escalations: int
    """Escalations before the policy's timeout default."""
    timeout_default: TimeoutDefault = "park"
    """What the review turns into when the escalations run out (park in histories from before it existed)."""


class ApplyPlan(BaseModel):
    """Store a plan a reviewer edited: it replaces the agent's tasks."""

    goal_id: str
    """Goal."""
    review_id: str
    """Review that edited it."""
    plan: GoalPlan
    """The plan to store."""
    before: GoalPlan | None = None
    """The plan as proposed, for the audited diff; None (older histories, or not sent): the activity reads the
    reviewed plan from the review request."""


class TaskUnstaffed(BaseModel):
    """A task left without a person after a decline or a withdrawal: tell the goal's manager why."""

    goal_id: str
    """Goal."""
    task_id: str
    """Task."""
    employee_id: str
    """Who declined it (or was not released)."""
    reason: str
    """Why nobody new is on it."""
