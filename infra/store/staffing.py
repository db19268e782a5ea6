"""A staffing proposal: for each task of a plan, the people who could do it, best first."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Candidate(BaseModel):
    """A person who could do a task, with why."""

    employee_id: str
    """Employee id."""
    name: str
    """Display name."""
    title: str
    """Current job title."""
    department: str
    """Department code."""
    score: float = Field(ge=0, le=1)
    """Fit from 0 to 1 (skills, evidence, availability)."""
    fraction: float = Field(gt=0, le=1)
    """Share of their time the task would take during its window."""
    reason: str
    """One line drawn from their evidence."""
    evidence: list[str] = Field(default_factory=list)
    """The evidence lines behind the score."""
    free_fraction: float | None = Field(default=None, ge=0, le=1)
    """Share of their time still free in the task's window (None in proposals recorded before it was kept)."""


class TaskStaffing(BaseModel):
    """Ranked candidates for one task; the first is the one proposed."""

    task_id: str
    """Task this is for."""
    candidates: list[Candidate]
    """Best first; empty when nobody fits."""
    why: str = ""
    """The model's one-line explanation of its choice (empty from the offline planner: the reasons are the
    matcher's evidence)."""


class StaffingProposal(BaseModel):
    """Who should do each task of a plan."""

    tasks: list[TaskStaffing]
    """One entry per task of the plan."""
    explanation: str
    """How the proposal was made."""
