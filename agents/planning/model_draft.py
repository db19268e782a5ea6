"""Drafting with a real model (``TALENTOPS_MODEL``): it proposes the tasks freely; the graph grounds and checks.

The model gets the planner's reading of the goal (object, kind of work, domain, constraints, deadline) and, on a
revision, the exact problems the checks found. Its output is :class:`DraftedTasks`; an answer that breaks the
schema or the structural checks here (dependencies on earlier tasks only, no task twice) is sent back with the
exact reason, up to the agent's output-retry budget. Windows, effort, skills and grounding in the taxonomy are
then the graph's work, checked again before anyone sees the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field, ValidationError
from pydantic_ai import Agent

from agents.checked_agent import checked_agent
from agents.models import AgentModel
from agents.planning.draft import TaskDraft
from agents.planning.understand import Understanding

PROMPT_VERSION = "draft-tasks/1"
"""Version of the instructions below; recorded in the audit trail."""

INSTRUCTIONS = """You plan the work for a manager's goal inside a company. Propose 4-10 tasks in phases
(discover, design, build, test, prepare, go live, follow up), with dependencies (design before build, test
before cutover, training before go-live). Every title names the goal's object ("Plan the cutover of the customer
database to managed Postgres"). For each task give: title, description, phase, activity (the work activity in
plain words, e.g. "test warehouse management systems"), depends_on (numbers of earlier tasks, 1-based), and
optionally who usually does it and hours at medium scale. Windows and skills are worked out afterwards."""


Phase = Literal["discover", "design", "build", "test", "prepare", "go live", "follow up"]
MAX_DRAFTED = 12
"""Most tasks a model may draft."""


class DraftedTask(BaseModel):
    """One task as the model drafts it.

    Deliberately plain (no length limits, few optional fields): servers that turn the schema into a grammar
    (llama.cpp) cannot compile long bounded repetitions. The limits are checked after the answer, in
    :func:`draft_problems`, and a breach goes back to the model with the reason.
    """

    title: str
    """Short name that names the goal's object."""
    description: str
    """What is done."""
    phase: Phase
    """Phase of the work."""
    activity: str
    """The work activity in plain words ("test warehouse systems")."""
    depends_on: list[int] = []
    """Numbers (1-based) of earlier tasks that must come first."""
    who: str | None = None
    """Who usually does this kind of task, if known."""
    hours: int | None = None
    """Effort at medium scale in person-hours, if known."""


class DraftedTasks(BaseModel):
    """A model's draft of a goal's tasks."""

    tasks: list[DraftedTask] = Field(min_length=1)
    """The tasks in the order they start (1 to 12; at least one in the schema, which grammars compile cheaply)."""

    def drafts(self) -> list[TaskDraft]:
        """The tasks as the planning graph takes them (call after :func:`draft_problems` found nothing)."""
        return [TaskDraft.model_validate(t.model_dump(exclude_none=True)) for t in self.tasks]


def drafting_prompt(understanding: Understanding, feedback: str | None) -> str:
    """What the model is told about the goal (and, on a revision, what to fix)."""
    reading = understanding.reading
    lines = [f"Goal: {understanding.text}", f"Object: {reading.object}", f"Kind of work: {reading.kind}",
             f"Domain: {reading.domain}", f"Deadline: {understanding.deadline.weeks} weeks"]
    if understanding.target:
        lines.append(f"Moves to: {understanding.target}")
    if reading.constraints:
        lines.append("Constraints: " + "; ".join(reading.constraints))
    if reading.expansions:
        lines.append("Abbreviations: " + "; ".join(f"{k} = {v}" for k, v in reading.expansions.items()))
    if feedback:
        lines.append(f"Your previous draft had these problems; fix them:\n{feedback}")
    return "\n".join(lines)


@dataclass(kw_only=True)
class DraftContext:
    """What the checks said about the model's rejected answers, in order."""

    problems: list[str] = field(default_factory=list)
    """One entry per rejected answer."""


def draft_problems(drafted: DraftedTasks) -> list[str]:
    """Problems of a draft, one sentence each: count, field limits, dependencies, repeated titles."""
    problems = []
    if not 1 <= len(drafted.tasks) <= MAX_DRAFTED:
        problems.append(f"draft between 1 and {MAX_DRAFTED} tasks, not {len(drafted.tasks)}")
    titles: set[str] = set()
    for number, task in enumerate(drafted.tasks, start=1):
        try:
            TaskDraft.model_validate(task.model_dump(exclude_none=True))
        except ValidationError as err:
            fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
            problems.append(f"task {number} (“{task.title[:60]}”): {fields}")
        later = [d for d in task.depends_on if d >= number or d < 1]
        if later:
            allowed = "no other task" if number == 1 else f"earlier tasks only (1 to {number - 1})"
            problems.append(f"task {number} (“{task.title}”) depends on {later}; it may depend on {allowed}")
        key = task.title.strip().lower()
        if key in titles:
            problems.append(f"task {number} repeats the title “{task.title}”")
        titles.add(key)
    return problems


def drafting_agent(model: AgentModel) -> Agent[DraftContext, DraftedTasks]:
    """An agent that drafts tasks with ``model``; answers with problems go back to it with the reasons."""
    return checked_agent(model, name="draft_tasks", instructions=INSTRUCTIONS, deps_type=DraftContext,
                         output_type=DraftedTasks, check=lambda _, drafted: draft_problems(drafted))
