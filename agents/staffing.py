"""The staffing agent: for each task of a plan, find people inside the company and propose one."""

from __future__ import annotations

import json
import math
from datetime import date

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo

from agents.local_planner import propose_staffing
from agents.models import durability, last_user_prompt, local_model
from infra.runtime import get_pool
from infra.store.plans import GoalPlan, PlannedTask
from infra.store.staffing import Candidate, StaffingProposal
from tools.matching import candidates as matching

PROMPT_VERSION = "propose-staffing/1"
"""Version of the instructions below; recorded in the audit trail."""

INSTRUCTIONS = """You staff a plan with people from inside the company. For every task call
find_candidates, then return, per task, the candidates best first: the first one is proposed.
Never propose someone for more time than they have free, and give each a one-line reason taken
from their evidence."""

_PLAN_MARKER = "Plan (JSON):\n"


def staffing_prompt(plan: GoalPlan, starts_on: str) -> str:
    """The user prompt for a plan starting on an ISO date (the local planner reads it back)."""
    return f"Propose who should do each task.\nGoal starts on: {starts_on}\n{_PLAN_MARKER}{plan.model_dump_json()}"


def task_fraction(task: PlannedTask) -> float:
    """Share of one person's time a task needs over its window, rounded up to 5%."""
    weeks = task.end_week - task.start_week
    return min(1.0, max(0.05, math.ceil(task.effort_hours / (weeks * 40) * 20) / 20))


def task_text(task: PlannedTask) -> str:
    """What the matcher reads of a task: its title, description and the O*NET work activities it was grounded in."""
    activities = "; ".join(task.activities)
    return f"{task.title}. {task.description}" + (f" Work activities: {activities}." if activities else "")


def _local_staffing(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    prompt = last_user_prompt(messages)
    plan = GoalPlan.model_validate_json(prompt.split(_PLAN_MARKER, 1)[1])
    starts_on = prompt.split("Goal starts on: ", 1)[1][:10]
    returns = [p for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, ToolReturnPart)]
    if not returns:
        calls: list[ToolCallPart | object] = [
            ToolCallPart("find_candidates", {
                "task_id": t.task_id, "description": task_text(t), "skills": t.skills,
                "start_week": t.start_week, "end_week": t.end_week, "fraction": task_fraction(t),
                "goal_starts_on": starts_on, **({"occupations": t.occupations} if t.occupations else {}),
            }, tool_call_id=f"find-{t.task_id}")
            for t in plan.tasks
        ]
        return ModelResponse(parts=calls)  # type: ignore[arg-type]
    found: dict[str, list[Candidate]] = {}
    for part in returns:
        task_id = part.tool_call_id.removeprefix("find-")
        content = part.content if isinstance(part.content, list) else json.loads(str(part.content))
        found[task_id] = [Candidate.model_validate(c) for c in content]
    proposal = propose_staffing(plan, found)
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, proposal.model_dump(mode="json"))])


staffing_agent = Agent(
    local_model(_local_staffing),
    name="propose_staffing",
    output_type=StaffingProposal,
    instructions=INSTRUCTIONS,
    defer_model_check=True,
    capabilities=[durability()],
)


@staffing_agent.tool_plain
async def find_candidates(
    task_id: str, description: str, skills: list[str], start_week: int, end_week: int, fraction: float,
    goal_starts_on: date | None = None, occupations: list[str] | None = None,
) -> list[Candidate]:
    """Employees ranked for a task by skills fit, evidence and free capacity in its window.

    Args:
        task_id: The task's id in the plan.
        description: What the task is about.
        skills: Skills the task needs.
        start_week: First week of the task.
        end_week: Week the task ends (exclusive).
        fraction: Share of a person's time the task needs.
        goal_starts_on: Date the goal's week 0 starts (weeks are relative to it); today when omitted.
            Optional so that model responses recorded before it existed still validate on replay.
        occupations: O*NET-SOC codes the task is grounded in, best first (from the plan); optional for the same
            reason.
    """
    del task_id  # echoed back by the model to pair results with tasks
    return await matching.find_candidates(
        get_pool(), description=description, skills=skills, start_week=start_week, end_week=end_week,
        fraction=fraction, goal_starts_on=goal_starts_on or date.today(), occupations=occupations,
    )
