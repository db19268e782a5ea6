"""The goal-decomposition agent: a goal in plain language becomes tasks with skills, effort and windows."""

from __future__ import annotations

import re
from datetime import date

from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo

from agents.local_planner import decompose_goal
from agents.models import durability, last_user_prompt, local_model
from infra.store.plans import GoalPlan

PROMPT_VERSION = "decompose-goal/1"
"""Version of the instructions below; recorded in the audit trail."""

INSTRUCTIONS = """You turn a manager's goal into 3-8 concrete tasks for internal staffing.
For each task give: a short title, a description, the skills it needs (tools, technologies and
knowledge areas), effort in person-hours and a window in weeks from the goal's start that fits
the goal's deadline. Order tasks by when they start."""


def goal_prompt(text: str, submitted_on: str) -> str:
    """The user prompt for a goal (the local planner reads it back)."""
    return f"Submitted on: {submitted_on}\nGoal: {text}"


def _local_decompose(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    prompt = last_user_prompt(messages)
    found = re.match(r"Submitted on: (\d{4}-\d{2}-\d{2})\nGoal: (.*)", prompt, re.S)
    if not found:
        raise ValueError("prompt is not in the goal_prompt() format")
    plan = decompose_goal(found.group(2), date.fromisoformat(found.group(1)))
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, plan.model_dump(mode="json"))])


decompose_agent = Agent(
    local_model(_local_decompose),
    name="decompose_goal",
    output_type=GoalPlan,
    instructions=INSTRUCTIONS,
    defer_model_check=True,
    capabilities=[durability()],
)
