"""What the agents produce: a goal's plan and a staffing proposal."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from tools.schemas import Candidate

__all__ = ["Candidate", "GoalPlan", "PlannedTask", "StaffingProposal", "TaskStaffing"]


class PlannedTask(BaseModel):
    """One piece of work a goal needs."""

    task_id: str = Field(pattern=r"^T\d{1,2}$")
    """Stable id within the goal, ``T1``, ``T2``, ..."""
    title: str = Field(min_length=3, max_length=200)
    """Short name of the task."""
    description: str = Field(min_length=3, max_length=2000)
    """What has to be done, in the words of the source task statement."""
    skills: list[str] = Field(min_length=1, max_length=12)
    """Skills the task needs, most important first."""
    effort_hours: int = Field(ge=1, le=5000)
    """Estimated person-hours."""
    start_week: int = Field(ge=0, le=520)
    """Week (from goal start) in which the task starts."""
    end_week: int = Field(ge=1, le=520)
    """Week by which the task ends (exclusive)."""
    onet_code: str | None = None
    """O*NET-SOC occupation the task statement comes from, when there is one."""

    @model_validator(mode="after")
    def _window_is_ordered(self) -> PlannedTask:
        if self.end_week <= self.start_week:
            raise ValueError("end_week must be after start_week")
        return self


class GoalPlan(BaseModel):
    """A goal broken into tasks."""

    summary: str = Field(max_length=2000)
    """One-paragraph reading of the goal."""
    deadline_weeks: int = Field(ge=1, le=520)
    """Weeks from start to the goal's deadline."""
    tasks: list[PlannedTask] = Field(min_length=1, max_length=12)
    """The tasks, in the order they start."""


class TaskStaffing(BaseModel):
    """Ranked candidates for one task; the first is the one proposed."""

    task_id: str
    """Task this is for."""
    candidates: list[Candidate]
    """Best first; empty when nobody fits."""


class StaffingProposal(BaseModel):
    """Who should do each task of a plan."""

    tasks: list[TaskStaffing]
    """One entry per task of the plan."""
    explanation: str
    """How the proposal was made."""
