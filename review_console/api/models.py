"""Request and response models of the JSON API."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")


class ListOf(BaseModel, Generic[T]):
    """A list envelope."""

    data: list[T]
    """The items."""
    count: int
    """How many items."""


class LoginIn(BaseModel):
    """Credentials."""

    login: str
    """User login."""
    password: str
    """Password."""


class UserPublic(BaseModel):
    """A user as the API shows it."""

    login: str
    """Login."""
    display_name: str
    """Name."""
    role: str
    """manager, reviewer, admin or employee."""
    employee_id: str | None
    """Employee record, if any."""
    department: str | None
    """Department code."""


class GoalCreate(BaseModel):
    """A new goal."""

    text: str = Field(max_length=5000)
    """The goal in plain language."""
    manager_login: str | None = None
    """Manager it is for; defaults to the signed-in manager (admins must name one)."""


class GoalCreated(BaseModel):
    """The id of a new goal."""

    goal_id: str
    """Goal id."""
    status: str
    """Initial status."""


class GoalSummary(BaseModel):
    """A goal in a list."""

    goal_id: str
    """Goal id."""
    text: str
    """The goal."""
    manager_login: str
    """Who submitted it."""
    status: str
    """Where it is."""
    status_detail: str | None
    """A sentence about the status."""


class DecisionIn(BaseModel):
    """A reviewer's decision."""

    decision: Literal["approve", "reject", "edit"]
    """What to do."""
    reason: str | None = Field(default=None, max_length=2000)
    """Required to reject."""
    edits: dict[str, str] | None = None
    """For edit: task id → employee id."""
    args_hash: str | None = None
    """Hash of the arguments you reviewed (recommended: refused if they changed)."""


class DecisionOut(BaseModel):
    """What the workflow did with the decision."""

    review_id: str
    """Review."""
    decision: str
    """Decision taken."""
    executed_args_hash: str | None
    """Hash of what executes."""


class ReviewSummary(BaseModel):
    """A review in the queue."""

    review_id: str
    """Review id."""
    goal_id: str
    """Goal."""
    action_type: str
    """Kind of action."""
    risk_tier: str
    """Risk tier."""
    status: str
    """pending, parked, approved, rejected or edited."""
    due_at: Any
    """SLA."""
    goal_text: str
    """The goal."""
    department: str | None
    """Department of the goal."""
