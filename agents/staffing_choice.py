"""Choosing people with a real model: the matcher finds, the model chooses and explains, the product checks.

The model sees, per task, the people the matcher found with their numbers and evidence, and answers with a
:class:`StaffingChoice`: ids best first and one line of why. It invents no numbers: scores, fractions and evidence
in the proposal are the matcher's. Its answer goes through :func:`policies.staffing_checks.check_proposal`; a
failed check goes back to the model with the exact reason (pydantic-ai's ``ModelRetry``), a bounded number of
times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field
from pydantic_ai import Agent

from agents.checked_agent import checked_agent
from agents.models import AgentModel
from infra.store.plans import GoalPlan
from infra.store.staffing import Candidate, StaffingProposal, TaskStaffing
from policies.staffing_checks import check_proposal

PROMPT_VERSION = "choose-staffing/1"
"""Version of the instructions below; recorded in the audit trail."""

INSTRUCTIONS = """You choose who inside the company should do each task of a plan. For every task you get the
people a matcher found, with their fit score, the share of their time the task needs, the share they have free,
and their evidence. For each task answer with its task_id, employee_ids (only ids listed for that task, best
first, at most 5; an empty list when nobody fits) and why: one line naming the evidence that decided it. Never
give the same person more time across overlapping tasks than they have free."""

MAX_SHOWN = 6
"""Candidates per task shown to the model."""


MAX_CHOSEN = 5
"""People per task the model may rank."""
MAX_WHY = 400
"""Longest explanation of a choice kept."""


class TaskChoice(BaseModel):
    """The model's choice for one task.

    Plain on purpose (no length limits in the schema): servers that compile the schema into a grammar
    (llama.cpp) fail on long bounded repetitions; the limits are checked after the answer.
    """

    task_id: str
    """The task, as given (T1, T2, ...)."""
    employee_ids: list[str] = []
    """Ids of the people chosen, best first, only from those listed for the task; empty when nobody fits."""
    why: str = ""
    """One line: the evidence that decided the first choice."""


class StaffingChoice(BaseModel):
    """The model's answer: who for every task, and why."""

    tasks: list[TaskChoice] = Field(min_length=1)
    """One entry per task of the plan."""
    explanation: str = ""
    """How the choice was made, in a sentence or two."""


@dataclass(kw_only=True)
class ChoiceContext:
    """What the output validator checks the model's answer against."""

    plan: GoalPlan
    """The plan being staffed."""
    found: dict[str, list[Candidate]]
    """The matcher's people per task id."""
    problems: list[str] = field(default_factory=list)
    """What the checks said about each rejected answer, in order (the last one ends up in a failure's reason)."""


def choice_prompt(plan: GoalPlan, found: dict[str, list[Candidate]]) -> str:
    """The tasks and the matcher's people, as the model reads them."""
    lines = [f"Goal: {plan.summary}", ""]
    for task in plan.tasks:
        lines.append(f"Task {task.task_id}: {task.title} (weeks {task.start_week}-{task.end_week}, "
                     f"{task.effort_hours} h; skills: {', '.join(task.skills[:6])})")
        people = found.get(task.task_id, [])[:MAX_SHOWN]
        if not people:
            lines.append("  nobody found")
        elif people[0].certifications:  # the matcher attaches every needed type to every candidate
            lines.append("  needs the certifications: " + ", ".join(s.name for s in people[0].certifications))
        for c in people:
            free = "" if c.free_fraction is None else f", {round(c.free_fraction * 100)}% free"
            held = "".join(f"; {s.name}: {s.words}" for s in c.certifications)
            lines.append(f"  - {c.employee_id}: {c.name}, {c.title}; score {c.score:.2f}; needs "
                         f"{round(c.fraction * 100)}% of their time{free}{held}; {c.reason}")
        lines.append("")
    return "\n".join(lines)


def proposal_from_choice(choice: StaffingChoice, found: dict[str, list[Candidate]]) -> StaffingProposal:
    """The proposal the choice means, with the matcher's numbers; ids the matcher did not find are kept out of
    it only if they were never found (the checks name them)."""
    staffed = []
    for task in choice.tasks:
        matched = {c.employee_id: c for c in found.get(task.task_id, [])}
        missing_ok = [matched.get(i) or _unknown(i) for i in dict.fromkeys(task.employee_ids)]
        staffed.append(TaskStaffing(task_id=task.task_id, candidates=missing_ok, why=task.why.strip()[:MAX_WHY]))
    explanation = choice.explanation.strip()[:1000] or "People chosen by the model from the matcher's candidates."
    return StaffingProposal(tasks=staffed, explanation=explanation)


def _unknown(employee_id: str) -> Candidate:
    """A stand-in for an id the matcher never returned, so the checks can name it (it never reaches a person)."""
    return Candidate(employee_id=employee_id, name="?", title="?", department="", score=0, fraction=1, reason="")


def choice_problems(context: ChoiceContext, choice: StaffingChoice) -> list[str]:
    """What is wrong with a choice: too many people ranked, or what :func:`check_proposal` finds."""
    problems = [f"{t.task_id}: rank at most {MAX_CHOSEN} people" for t in choice.tasks
                if len(t.employee_ids) > MAX_CHOSEN]
    return problems + check_proposal(proposal_from_choice(choice, context.found), context.plan, context.found)


def choosing_agent(model: AgentModel) -> Agent[ChoiceContext, StaffingChoice]:
    """An agent that chooses people with ``model``; its answers are checked before they are accepted."""
    return checked_agent(model, name="propose_staffing", instructions=INSTRUCTIONS, deps_type=ChoiceContext,
                         output_type=StaffingChoice, check=choice_problems)
