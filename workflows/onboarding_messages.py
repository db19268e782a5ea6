"""Messages in and out of the onboarding workflow: a released person's 30-60-90 plan, drafted, reviewed and run."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from infra.store.onboarding import CheckinOutcome, OnboardingPlan
from workflows.activity_inputs import AgentStep
from workflows.messages import Via
from workflows.move_messages import ActAttestation

ONBOARDING_WORKFLOW = "OnboardingWorkflow"
"""The onboarding workflow's type name."""
TICK_UPDATE = "tick"
"""Update by which an item's owner ticks it off."""
PRODUCTIVE_UPDATE = "mark_productive"
"""Update by which the goal's manager marks the person productive (time to productivity)."""

OnboardingResult = Literal["completed", "rejected"]


def onboarding_workflow_id(goal_id: str, task_id: str, employee_id: str) -> str:
    """The onboarding's workflow id: one per released assignment."""
    return f"onboarding-{goal_id}-{task_id}-{employee_id}"


class OnboardingInput(BaseModel):
    """Start arguments of an onboarding workflow."""

    goal_id: str
    """Goal."""
    task_id: str
    """Task."""
    employee_id: str
    """The person moving."""
    manager_login: str
    """The goal's manager (owns the check-ins; cannot review the plan)."""


class DraftedPlan(BaseModel):
    """What the onboarding agent drafted, checked, and how."""

    plan: OnboardingPlan
    """The plan."""
    step: AgentStep
    """The model and prompt version that drafted it."""


class StartPlan(BaseModel):
    """Start the reviewed plan."""

    onboarding: OnboardingInput
    """Whose."""
    plan: OnboardingPlan
    """The plan as approved (or edited)."""
    review_id: str | None
    """The review that approved it (None: the trust ramp did not sample it)."""


class StartedPlan(BaseModel):
    """The plan's day 0."""

    starts_at: str
    """ISO time of day 0 (09:00 UTC of the start date)."""


class ItemTick(BaseModel):
    """An item ticked off by its owner, sent by update."""

    item_id: str
    """The item."""
    actor: str = Field(min_length=1)
    """Login of whoever ticks it."""
    outcome: CheckinOutcome | None = None
    """A check-in's outcome: ``productive`` records the time to productivity."""
    note: str | None = Field(default=None, max_length=1000)
    """What they want to say about it."""
    via: Via = "console"
    """How they authenticated."""
    attestation: ActAttestation | None = None
    """Signed by the application layer once it checked the actor owns the item."""


class RecordTick(BaseModel):
    """Store a ticked item (and its evidence)."""

    onboarding: OnboardingInput
    """Whose."""
    tick: ItemTick
    """What was ticked."""
    day: int
    """The plan's day it was ticked on."""


class Nudge(BaseModel):
    """A reminder before an item is due, or an escalation of a missed check-in."""

    onboarding: OnboardingInput
    """Whose."""
    item_id: str
    """The item."""
    kind: Literal["reminder", "escalation"]
    """Reminder (to the item's owner) or escalation (one level up per missed grace period)."""
    step: int
    """Days before the due day (reminder) or escalation level (1: the goal manager's manager, 2: HR)."""
    key: str
    """Business key, also the notifications' (``remind:C30:3``)."""


class FinishPlan(BaseModel):
    """End the plan."""

    onboarding: OnboardingInput
    """Whose."""
    status: OnboardingResult
    """Completed, or rejected by its reviewer."""
    reason: str
    """Why, in words."""


class OnboardingView(BaseModel):
    """Live state of an onboarding (query)."""

    status: str
    """drafting, in_review, active, completed or rejected."""
    done: list[str]
    """Items ticked off."""
    pending_reviews: list[str]
    """Reviews waiting for a decision (the plan's, a reminder's, an escalation's)."""
