"""A goal's plan: its tasks, how the goal was read, and what the checks found still wrong."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from infra.db import Connection, Queryable

MAX_TASKS = 16
"""Most tasks a plan may have (a reviewer may add a few to a planner's at most 10)."""


class PlannedTask(BaseModel):
    """One piece of work a goal needs."""

    task_id: str = Field(pattern=r"^T\d{1,2}$")
    """Stable id within the goal, ``T1``, ``T2``, ..."""
    title: str = Field(min_length=3, max_length=200)
    """Short name of the task; names the goal's object."""
    description: str = Field(min_length=3, max_length=2000)
    """What has to be done."""
    skills: list[str] = Field(min_length=1, max_length=12)
    """Skills the task needs, most important first."""
    effort_hours: int = Field(ge=1, le=5000)
    """Estimated person-hours."""
    start_week: int = Field(ge=0, le=520)
    """Week (from goal start) in which the task starts."""
    end_week: int = Field(ge=1, le=520)
    """Week by which the task ends (exclusive)."""
    onet_code: str | None = None
    """The O*NET-SOC occupation that fits the task best, when it is grounded."""
    phase: str = ""
    """Phase of the work (discover, design, build, test, prepare, go live, follow up); empty in older plans."""
    depends_on: list[str] = Field(default_factory=list, max_length=15)
    """Ids of tasks that must come first (this one neither starts nor ends before them)."""
    occupations: list[str] = Field(default_factory=list, max_length=8)
    """O*NET-SOC occupations whose people do this kind of task, best first (from the grounding)."""
    activities: list[str] = Field(default_factory=list, max_length=8)
    """O*NET detailed work activities the task was grounded in, best first."""
    effort_basis: str = ""
    """What the effort estimate rests on, in words."""

    @model_validator(mode="after")
    def _window_is_ordered(self) -> PlannedTask:
        if self.end_week <= self.start_week:
            raise ValueError("end_week must be after start_week")
        return self


class PlanIssue(BaseModel):
    """Something a plan check found wrong, named so a person can fix it."""

    task_id: str | None = None
    """Task it is about (None: the plan as a whole)."""
    field: str
    """Field at fault (``window``, ``depends_on``, ``skills``, ``effort_hours``, ``title``, ``grounding``, ...)."""
    message: str
    """What is wrong, in plain words."""

    def __str__(self) -> str:
        return f"{self.task_id}: {self.message}" if self.task_id else self.message


class GoalReading(BaseModel):
    """How the planner understood a goal."""

    object: str
    """What is built or changed ("the warehouse pick-and-pack process")."""
    kind: str
    """Kind of work (migration, launch, audit or compliance readiness, ...)."""
    domain: str
    """Business domain the goal is in (logistics, payments, healthcare operations, ...)."""
    constraints: list[str] = Field(default_factory=list)
    """Constraints the goal states ("can't lose a record", "one weekend for cutover")."""
    scale: str | None = None
    """Scale the goal states ("12 branches", "40k SKUs"), if any."""
    expansions: dict[str, str] = Field(default_factory=dict)
    """Abbreviations read in the goal and what they were taken to mean."""
    technologies: list[str] = Field(default_factory=list)
    """Technologies the goal names, as O*NET lists them ("PostgreSQL")."""


class GoalPlan(BaseModel):
    """A goal broken into tasks."""

    summary: str = Field(max_length=2000)
    """One-paragraph reading of the goal."""
    deadline_weeks: int = Field(ge=1, le=520)
    """Weeks from start to the goal's deadline."""
    tasks: list[PlannedTask] = Field(min_length=1, max_length=MAX_TASKS)
    """The tasks, in the order they start."""
    assumptions: list[str] = Field(default_factory=list, max_length=20)
    """What the planner assumed where the goal was silent or vague (reviewers may edit them)."""
    open_questions: list[str] = Field(default_factory=list, max_length=20)
    """What the manager should answer before or during the work."""
    open_issues: list[PlanIssue] = Field(default_factory=list)
    """Checks still failing after the planner's bounded revisions; shown to the reviewer."""
    reading: GoalReading | None = None
    """How the goal was understood (None in plans from before the planning graph)."""


class PlanStep(BaseModel):
    """One planning-graph node's output, for the audit trail."""

    node: str
    """understand, draft, ground, check, critique, revise or plan."""
    summary: str
    """What the node did, in a sentence."""
    output: dict[str, Any]
    """Its output (JSON)."""


TASK_COLUMNS = ("task_id, title, description, skills, effort_hours, start_week, end_week, onet_code, phase,"
                " depends_on, occupations, activities, effort_basis")


async def save_tasks(conn: Connection, goal_id: str, plan: GoalPlan) -> None:
    """Replace the goal's tasks with the plan's, in its order; idempotent (a retry writes the same rows)."""
    await conn.execute("DELETE FROM tasks WHERE goal_id = $1", goal_id)
    await conn.executemany(
        "INSERT INTO tasks (goal_id, task_id, position, title, description, skills, effort_hours,"
        " start_week, end_week, onet_code, phase, depends_on, occupations, activities, effort_basis)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        [(goal_id, t.task_id, n, t.title, t.description, t.skills, t.effort_hours, t.start_week,
          t.end_week, t.onet_code, t.phase, t.depends_on, t.occupations, t.activities, t.effort_basis)
         for n, t in enumerate(plan.tasks)],
    )


async def load_tasks(conn: Queryable, goal_id: str) -> list[PlannedTask]:
    """The goal's stored tasks, in the plan's order (empty before it is planned)."""
    rows = await conn.fetch(f"SELECT {TASK_COLUMNS} FROM tasks WHERE goal_id = $1 ORDER BY position", goal_id)
    return [PlannedTask.model_validate(dict(r)) for r in rows]
