"""API models: goals, their tasks, latest review and assignments."""

from __future__ import annotations

from pydantic import BaseModel, Field

from review_console.api.models.common import Name
from workflows.usecases import GoalDetail


class GoalCreate(BaseModel):
    """A new goal."""

    text: str = Field(max_length=5000)
    """The goal in plain language."""
    manager_login: Name | None = None
    """Manager it is for; defaults to the signed-in manager (admins must name one)."""


class GoalCreated(BaseModel):
    """The id of a new goal."""

    goal_id: str
    """Goal id."""
    status: str
    """Initial status."""


class GoalRevision(BaseModel):
    """A rejected goal's text, revised."""

    text: str = Field(max_length=5000)
    """The goal as it should read now (checked like a new goal)."""


class GoalResubmitted(BaseModel):
    """The new goal a revision became."""

    goal_id: str
    """The new goal's id (it points back at the rejected one)."""


class GoalRetried(BaseModel):
    """A failed goal started again."""

    goal_id: str
    """Goal id."""
    status: str
    """Its status now (``submitted``)."""
    starts_from: str
    """``planning`` (planned again from its text) or ``staffing`` (from its plan)."""


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


class GoalPublic(GoalDetail):
    """A goal with its tasks (dated), its latest review and its assignments."""
