"""Agents run on the offline planner by default and on any pydantic-ai model by configuration, built at worker
start; a setting that cannot work is refused there with a sentence, not discovered inside a workflow."""

from __future__ import annotations

import pytest
from pydantic_ai import NativeOutput, PromptedOutput, ToolOutput
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.models.test import TestModel

from agents import decompose
from agents.models import ModelConfigError, build_agent_model, output_spec, served_model
from infra.settings import LOCAL_PLANNER, Settings
from infra.store.plans import GoalPlan


def test_default_is_the_offline_planner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TALENTOPS_MODEL", raising=False)
    model = build_agent_model(Settings().agent_model("propose_staffing"))
    assert model.offline and model.name == LOCAL_PLANNER and "offline" in model.where


def test_openai_chat_talks_to_the_base_url_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = build_agent_model(Settings(model="openai-chat:smollm2").agent_model("draft_tasks"))
    assert isinstance(model.model, OpenAIChatModel) and model.model.model_name == "smollm2"
    assert model.where == "openai-chat:smollm2 at http://127.0.0.1:9/v1/"
    settings = model.run_settings()
    assert settings.get("max_retries") == 0 and settings.get("max_tokens") == 2048 and "temperature" not in settings


def test_openai_prefix_is_the_responses_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert isinstance(build_agent_model(Settings(model="openai:gpt-4o-mini").agent_model("draft_tasks")).model,
                      OpenAIResponsesModel)


def test_each_agent_may_have_its_own_model_and_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALENTOPS_MODEL", "openai-chat:big")
    monkeypatch.setenv("TALENTOPS_MODEL_TEMPERATURE", "0.2")
    monkeypatch.setenv("TALENTOPS_PROPOSE_STAFFING__MODEL", "openai-chat:small")
    monkeypatch.setenv("TALENTOPS_PROPOSE_STAFFING__OUTPUT_MODE", "prompted")
    monkeypatch.setenv("TALENTOPS_PROPOSE_STAFFING__MAX_TOKENS", "300")
    settings = Settings()
    staffing, drafting = settings.agent_model("propose_staffing"), settings.agent_model("draft_tasks")
    assert (staffing.model, staffing.output_mode, staffing.max_tokens, staffing.temperature) == (
        "openai-chat:small", "prompted", 300, 0.2)
    assert (drafting.model, drafting.output_mode, drafting.max_tokens) == ("openai-chat:big", "tool", 2048)


@pytest.mark.parametrize(("name", "words"), [
    ("openai-chat:x", "OPENAI_BASE_URL"),
    ("nocolon", "not a pydantic-ai model string"),
    ("no-such-provider:x", "cannot be used"),
    ("anthropic:claude-sonnet-4-5", "talentops[anthropic]"),
])
def test_a_setting_that_cannot_work_is_refused_with_a_sentence(monkeypatch: pytest.MonkeyPatch, name: str,
                                                              words: str) -> None:
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    try:
        import anthropic  # noqa: F401
    except ImportError:
        pass
    else:
        if name.startswith("anthropic"):
            words = "ANTHROPIC_API_KEY"  # the extra is installed here: what is missing is the key
    with pytest.raises(ModelConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
        build_agent_model(Settings(model=name).agent_model("draft_tasks"))


def test_output_modes() -> None:
    assert isinstance(output_spec(GoalPlan, "tool"), ToolOutput)
    assert isinstance(output_spec(GoalPlan, "native"), NativeOutput)
    assert isinstance(output_spec(GoalPlan, "prompted"), PromptedOutput)


def test_the_served_name_is_kept_only_when_it_differs() -> None:
    answer = [ModelResponse(parts=[], model_name="smollm2")]
    assert served_model(answer, "openai-chat:smollm2") is None
    assert served_model(answer, "openai-chat:llama3.1") == "smollm2"
    assert served_model([], "openai-chat:llama3.1") is None


async def test_a_remote_model_that_answers_badly_is_asked_again() -> None:
    """The legacy in-workflow agent (kept for old histories): a schema-breaking answer gets a retry prompt."""
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


async def test_a_self_hosted_server_gets_the_token_cap_it_understands(monkeypatch: pytest.MonkeyPatch) -> None:
    """llama.cpp's server ignores ``max_completion_tokens``; ``max_tokens`` caps a rambling answer everywhere."""
    from pydantic_ai import Agent
    from scripted_model import ScriptedModelServer, Text

    with ScriptedModelServer() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        model = build_agent_model(Settings(model="openai-chat:smollm2", model_max_tokens=300,
                                           model_temperature=0.1).agent_model("draft_tasks"))
        assert model.model is not None
        server.script(Text("ok"))
        result = await Agent(model.model, model_settings=model.run_settings()).run("Say ok.")
        body = server.requests[0].body
    assert result.output == "ok"
    assert body["max_tokens"] == 300 and "max_completion_tokens" not in body and body["temperature"] == 0.1
