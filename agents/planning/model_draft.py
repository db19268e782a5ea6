"""Drafting with a real model (``TALENTOPS_MODEL``): it proposes the tasks freely; the graph grounds and checks.

The model gets the planner's reading of the goal (object, kind of work, domain, constraints, deadline) and, on a
revision, the exact problems the checks found. Its output is :class:`DraftedTasks`; an answer that breaks the
schema is sent back once with the validation errors (pydantic-ai's output retry).
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_ai import Agent
from pydantic_ai.models import Model

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


class DraftedTasks(BaseModel):
    """A model's draft of a goal's tasks."""

    tasks: list[TaskDraft] = Field(min_length=1, max_length=12)
    """The tasks in the order they start."""


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


def drafting_agent(model: Model | str) -> Agent[None, DraftedTasks]:
    """An agent that drafts tasks with ``model``."""
    return Agent(model, output_type=DraftedTasks, instructions=INSTRUCTIONS, name="draft_tasks",
                 defer_model_check=True)
