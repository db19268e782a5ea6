"""API models: goals, their tasks, latest review and assignments."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from review_console.api.models.common import Timestamp


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


class GoalTaskPublic(BaseModel):
    """A task of a goal's plan, with its calendar dates."""

    task_id: str
    """Task id (``T1``)."""
    title: str
    """What to do."""
    description: str
    """The task in more words."""
    skills: list[str]
    """Skills it needs."""
    effort_hours: int
    """Effort in hours."""
    start_week: int
    """First week (0 = the goal's start)."""
    end_week: int
    """Week it ends before."""
    onet_code: str | None
    """O*NET occupation it was grounded in, if any."""
    phase: str
    """Phase of the plan (``discover`` ...)."""
    depends_on: list[str]
    """Tasks it waits for."""
    occupations: list[str]
    """O*NET codes of who usually does it."""
    activities: list[str]
    """Work activities it was drawn from."""
    effort_basis: str
    """What the effort rests on."""
    occupation_titles: list[str]
    """Titles of ``occupations``, in order."""
    starts_on: date
    """First day."""
    ends_on: date
    """Last day."""


class LatestReviewPublic(BaseModel):
    """The goal's latest review request."""

    review_id: str
    """Review id."""
    action_type: str
    """Kind of action."""
    status: str
    """pending, parked, approved, rejected or edited."""
    decided_by: str | None
    """Reviewer who decided."""
    reason: str | None
    """Their reason."""
    decided_at: Timestamp | None
    """When."""
    due_at: Timestamp
    """SLA."""
    escalations: int
    """Escalations so far."""


class AssignmentPublic(BaseModel):
    """Who staffs a task."""

    task_id: str
    """Task id."""
    employee_id: str
    """Employee."""
    name: str
    """Their name."""
    title: str
    """Their job title."""
    fraction: float
    """Share of their time."""
    start_week: int
    """First week."""
    end_week: int
    """Week it ends before."""
    score: float
    """Matcher score."""
    reason: str
    """Why them."""


class GoalPublic(BaseModel):
    """A goal with its tasks, latest review and assignments."""

    goal_id: str
    """Goal id."""
    text: str
    """The goal."""
    manager_login: str
    """Manager it is for."""
    department: str | None
    """Department code."""
    status: str
    """Where it is."""
    status_detail: str | None
    """A sentence about the status."""
    workflow_id: str
    """Its workflow."""
    model: str
    """Model setting it was submitted with."""
    deadline_weeks: int | None
    """Deadline in weeks from ``starts_on``, if any."""
    created_at: Timestamp
    """Submitted at."""
    updated_at: Timestamp
    """Last change."""
    starts_on: date
    """Day week 0 starts."""
    submitted_by: str
    """Who submitted it."""
    plan: dict[str, Any] | None
    """The plan as a whole (how the goal was read, summary, assumptions, questions), once planned."""
    agent_models: dict[str, Any]
    """Model each agent step ran with (agent → model, served model, prompt version)."""
    tasks: list[GoalTaskPublic]
    """Its tasks in plan order."""
    due_on: date | None
    """Deadline day, if any."""
    review: LatestReviewPublic | None
    """Latest review request, if any."""
    assignments: list[AssignmentPublic]
    """Who staffs each task, once staffed."""
