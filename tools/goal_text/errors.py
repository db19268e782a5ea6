"""The one error a goal that cannot be planned raises: its message tells the manager what to change."""

from __future__ import annotations


class PlanningError(ValueError):
    """The goal cannot be turned into a plan; the message says why, for the person who wrote it."""


class GoalNotUnderstood(PlanningError):
    """A goal the planner cannot plan; the message tells the manager what to add."""
