"""Self-hosted servers as they behave: requests they accept and answers the agents can read (real HTTP)."""

from __future__ import annotations

import json

import pytest
from scripted_model import ScriptedModelServer, Text, ToolCall

from agents.models import build_agent_model
from agents.planning.model_draft import DraftContext, drafting_agent
from infra.settings import Settings

TASK = {"title": "Agree the dashboard's measures", "description": "Agree them", "phase": "discover",
        "activity": "identify performance measures"}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    with ScriptedModelServer() as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.base_url)
        yield running


def drafting(**settings: object):  # type: ignore[no-untyped-def]
    return drafting_agent(build_agent_model(Settings(model="openai-chat:small", **settings)  # type: ignore[arg-type]
                                            .agent_model("draft_tasks")))


async def test_the_answer_tool_is_named_not_just_required(server: ScriptedModelServer) -> None:
    """llama.cpp ignores tool_choice="required" with a model's own template but honours a named function."""
    server.script(ToolCall({"tasks": [TASK]}))
    await drafting().run("Goal: a dashboard", deps=DraftContext())
    assert server.requests[0].body["tool_choice"] == {"type": "function", "function": {"name": "final_result"}}


async def test_a_raw_newline_inside_a_string_is_read_not_refused(server: ScriptedModelServer) -> None:
    raw = json.dumps({"tasks": [{**TASK, "description": "Agree them NEWLINE with the risk team"}]})
    server.script(ToolCall(raw.replace(" NEWLINE ", "\n")))
    result = await drafting().run("Goal: a dashboard", deps=DraftContext())
    assert result.output.tasks[0].description == "Agree them\nwith the risk team"
    assert len(server.requests) == 1


async def test_a_retry_after_a_tool_call_sends_text_content_not_null(server: ScriptedModelServer) -> None:
    """llama-cpp-python's server answers HTTP 500 to an assistant message whose content is null."""
    server.script(ToolCall({"tasks": [{**TASK, "phase": "celebrate"}]}), ToolCall({"tasks": [TASK]}))
    context = DraftContext()
    result = await drafting(model_output_retries=1).run("Goal: a dashboard", deps=context)
    assert result.output.tasks[0].phase == "discover"
    retry = server.requests[1].body["messages"]
    assistant = [m for m in retry if m["role"] == "assistant"]
    assert assistant and all(isinstance(m["content"], str) for m in assistant)


async def test_plain_text_answers_pass_through_untouched(server: ScriptedModelServer) -> None:
    from pydantic_ai import Agent

    model = build_agent_model(Settings(model="openai-chat:small").agent_model("draft_tasks"))
    assert model.model is not None
    server.script(Text("ok"))
    assert (await Agent(model.model).run("Say ok.")).output == "ok"
