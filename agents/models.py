"""Model selection: the offline planner by default, any pydantic-ai model by configuration."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic_ai.durable_exec.temporal import TemporalDurability
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, UserPromptPart
from pydantic_ai.models import Model
from pydantic_ai.models.function import AgentInfo, FunctionDef, FunctionModel
from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityConfig

from infra.settings import LOCAL_PLANNER, get_settings


def select_model(local_function: FunctionDef) -> Model | str:
    """The model agents use: ``TALENTOPS_MODEL``, or ``local_function`` wrapped as the local planner."""
    name = get_settings().model
    if name == LOCAL_PLANNER:
        return FunctionModel(local_function, model_name=LOCAL_PLANNER)
    return name


def durability() -> TemporalDurability[Any]:
    """Temporal durability for an agent: model and tool calls become activities.

    They retry a bounded number of times, so a broken model or tool fails the goal visibly instead of
    retrying forever.
    """
    return TemporalDurability(
        activity_config=ActivityConfig(start_to_close_timeout=timedelta(minutes=1),
                                       retry_policy=RetryPolicy(maximum_attempts=5)),
        model_activity_config=ActivityConfig(start_to_close_timeout=timedelta(minutes=2),
                                             retry_policy=RetryPolicy(maximum_attempts=3)),
    )


def last_user_prompt(messages: list[ModelMessage]) -> str:
    """Text of the most recent user prompt in a conversation."""
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    raise ValueError("no user prompt in the conversation")


def run_summary(messages: Sequence[ModelMessage]) -> dict[str, Any]:
    """Model name and tool calls of an agent run, for the audit trail."""
    model: str | None = None
    tool_calls: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, ModelResponse):
            model = message.model_name or model
            for part in message.parts:
                if part.part_kind == "tool-call" and not part.tool_name.startswith("final_result"):
                    tool_calls.append({"tool": part.tool_name, "args": part.args_as_dict()})
    return {"model": model, "tool_calls": tool_calls}


__all__ = ["AgentInfo", "durability", "last_user_prompt", "run_summary", "select_model"]
