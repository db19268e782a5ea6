"""Typed results of the tools that agents call."""

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
