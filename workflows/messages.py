"""Messages in and out of the goal workflow."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from infra.store.certifications import FlagArguments
from infra.store.onboarding import OnboardingPlan
from infra.store.plans import GoalPlan

GOAL_WORKFLOW = "GoalWorkflow"
"""The goal workflow's type name: clients start it by name, so they need not import its code (or the agents)."""
DECIDE_UPDATE = "decide"
"""Name of the goal workflow's update that takes a reviewer's decision."""

GoalStatus = Literal["submitted", "planning", "awaiting_plan_review", "staffing", "awaiting_review", "parked",
                     "staffed", "rejected", "failed"]
DecisionKind = Literal["approve", "reject", "edit"]
Via = Literal["console", "api", "cli"]
"""How a reviewer authenticated for a decision: signed in to the console, the JSON API, or the CLI's password."""


class GoalInput(BaseModel):
    """Start arguments of a goal workflow."""

    goal_id: str
    """Goal id (row in ``goals``)."""
    text: str
    """The goal as the manager wrote it."""
    manager_login: str
    """Manager the goal is for."""
    submitted_by: str | None = None
    """Who submitted it (an admin may submit for a manager); None in histories from before it existed."""
    submitted_on: str
    """ISO date the goal was submitted (deadlines are relative to it)."""
    review_sla_seconds: int = Field(ge=1)
    """How long a review waits before it is escalated."""
    max_escalations: int = Field(default=1, ge=0)
    """Escalations before the policy's default (park) applies."""
    approved_plan: GoalPlan | None = None
    """A plan already through planning and its review: a goal tried again after its staffing failed starts from
    it (None: plan from the text)."""


class Assignment(BaseModel):
    """One person on one task: what an approved staffing executes."""

    task_id: str
    """Task id within the goal."""
    employee_id: str = Field(min_length=1)
    """Who."""
    fraction: float = Field(gt=0, le=1)
    """Share of their time."""
    start_week: int = Field(ge=0)
    """First week."""
    end_week: int = Field(ge=1)
    """Week it ends (exclusive)."""


class StaffingArguments(BaseModel):
    """The exact arguments of a staffing action."""

    assignments: list[Assignment]
    """One entry per staffed task."""


class ReviewRequest(BaseModel):
    """A pending human review, as the workflow exposes it by query."""

    review_id: str
    """Id the decision must name."""
    goal_id: str | None
    """Goal it belongs to."""
    action_type: str
    """Kind of action under review."""
    arguments: dict[str, Any]
    """Exact arguments that will execute on approval."""
    args_hash: str
    """SHA-256 of the canonical arguments; a decision must quote it."""
    risk_tier: str
    """Risk tier of the action."""
    policy_version: str
    """Routing policy that sent it to review."""
    routed_because: str
    """Why it was routed to review."""
    requested_by: str
    """Login of whoever triggered the action (cannot decide it)."""
    due_at: str
    """ISO timestamp of the SLA."""
    escalations: int = 0
    """Times it has been escalated."""
    subject: str | None = None
    """What the action is about when it belongs to no goal (a certification renewal), in words."""
    concerns: str | None = None
    """The employee the action is about (who may not decide it), when it belongs to no goal."""


class DecisionAttestation(BaseModel):
    """What the application layer checked before sending a decision, signed so the workflow can trust it.

    The signature (HMAC-SHA256 with a key derived from the installation's secret, which the worker also holds)
    covers these facts and the whole decision it travels with (see ``workflows.attestation``): a decision sent
    to Temporal by any other route (the Temporal UI, the plain SDK) has none, or one that does not verify.
    """

    reviewer_role: str
    """The reviewer's role when the decision was taken."""
    reviewer_employee_id: str | None
    """The reviewer's employee id (None: the login is not an employee)."""
    bias_verdict: str | None
    """The bias audit's verdict on what executes (``ok``, ``flag``, ``block``; None: no audit, e.g. a plan)."""
    executed_args_hash: str | None
    """Hash of the arguments that will execute (None on reject)."""
    expires_at: str
    """ISO timestamp (UTC) after which the workflow refuses it."""
    key_id: str
    """Which key signed it (``infra.keys.key_id``)."""
    signature: str
    """Hex HMAC-SHA256 of the canonical statement."""


class Decision(BaseModel):
    """A reviewer's decision, sent by update."""

    review_id: str
    """The review decided."""
    args_hash: str
    """Hash of the arguments the reviewer saw."""
    decision: DecisionKind
    """approve, reject or edit."""
    reviewer: str
    """Login of the reviewer."""
    reason: str | None = None
    """Required for reject (a reason code, free text or both); optional otherwise."""
    reason_code: str | None = None
    """For reject: one of ``policies.review_routing.REJECTION_REASONS``."""
    edited_arguments: StaffingArguments | GoalPlan | OnboardingPlan | FlagArguments | None = None
    """For edit: the arguments to execute instead (assignments for staffing, the plan for a decomposition, the
    onboarding plan for a drafted one)."""
    via: Via | None = None
    """How the reviewer authenticated (None in histories from before it was recorded)."""
    attestation: DecisionAttestation | None = None
    """The application layer's signed statement of the facts it checked; the workflow refuses a decision sent by
    update without a valid one (None in histories from before it existed, and on the policy's defaults)."""


class DecisionOutcome(BaseModel):
    """What the workflow did with a decision."""

    review_id: str
    """The review decided."""
    decision: DecisionKind
    """The decision taken."""
    executed_args_hash: str | None
    """Hash of the arguments that will execute (None on reject)."""


class GoalState(BaseModel):
    """Live state of a goal workflow (query)."""

    status: GoalStatus
    """Where the goal is."""
    pending_review: ReviewRequest | None
    """The review waiting for a decision, if any."""
