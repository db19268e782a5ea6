"""Agents run on the offline planner by default and on any pydantic-ai model by configuration."""

from __future__ import annotations

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel

from agents import decompose
from agents.models import select_model
from agents.schemas import GoalPlan
from infra.settings import LOCAL_PLANNER, get_settings


def _unused(*_: object) -> None:
    raise AssertionError("not called")


def test_default_is_the_offline_planner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TALENTOPS_MODEL", raising=False)
    get_settings.cache_clear()
    try:
        model = select_model(_unused)  # type: ignore[arg-type]
        assert isinstance(model, FunctionModel) and model.model_name == LOCAL_PLANNER
    finally:
        get_settings.cache_clear()


def test_a_model_string_selects_that_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALENTOPS_MODEL", "openai:gpt-4o-mini")
    get_settings.cache_clear()
    try:
        assert select_model(_unused) == "openai:gpt-4o-mini"  # type: ignore[arg-type]
    finally:
        get_settings.cache_clear()


async def test_a_remote_model_that_answers_badly_is_asked_again() -> None:
    """What a real LLM does: a first answer that breaks the schema gets a retry prompt, the second counts."""
    calls: list[int] = []

    def remote(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append(len(messages))
        task = {"task_id": "T1" if len(calls) > 1 else "task one", "title": "Design the payment flow",
                "description": "Design the SEPA Instant payment flow", "skills": ["Payments"],
                "effort_hours": 80, "start_week": 0, "end_week": 4}
        plan = {"summary": "one task", "deadline_weeks": 4, "tasks": [task]}
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, plan)])

    with decompose.decompose_agent.override(model=FunctionModel(remote, model_name="remote-llm")):
        result = await decompose.decompose_agent.run(decompose.goal_prompt("Launch EU instant payments", "2026-11-22"))
    assert len(calls) == 2 and isinstance(result.output, GoalPlan) and result.output.tasks[0].task_id == "T1"


async def test_any_schema_valid_model_output_is_accepted() -> None:
    with decompose.decompose_agent.override(model=TestModel(custom_output_args={
            "summary": "s", "deadline_weeks": 2, "tasks": [{"task_id": "T1", "title": "Do it", "description": "Do it",
                                                            "skills": ["x"], "effort_hours": 8, "start_week": 0,
                                                            "end_week": 1}]})):
        result = await decompose.decompose_agent.run("anything")
    assert result.output.tasks[0].title == "Do it"


async def test_local_planner_answers_through_the_agent() -> None:
    result = await decompose.decompose_agent.run(
        decompose.goal_prompt("Build a fraud analytics dashboard for card payments within 6 weeks", "2026-11-22"))
    assert result.output.deadline_weeks == 6 and len(result.output.tasks) >= 3
    responses = [m for m in result.all_messages() if isinstance(m, ModelResponse)]
    assert responses and responses[-1].model_name == LOCAL_PLANNER
