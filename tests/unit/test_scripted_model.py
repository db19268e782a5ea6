"""The scripted OpenAI-compatible model server, driven by the real openai client and real pydantic-ai agents."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from openai import AsyncOpenAI
from pydantic import BaseModel
from pydantic_ai import Agent, NativeOutput, PromptedOutput
from pydantic_ai.exceptions import (
    ModelConnectionError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelServerError,
    ModelTimeoutError,
    UnexpectedModelBehavior,
)
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.providers.openai import OpenAIProvider
from scripted_model import (
    NO_REPLY_LEFT,
    Delay,
    Dynamic,
    Reply,
    ScriptedModelServer,
    SlowStream,
    Status,
    Text,
    ToolCall,
)

ModelClass = type[OpenAIChatModel] | type[OpenAIResponsesModel]
BOTH_APIS = pytest.mark.parametrize("model_class", [OpenAIChatModel, OpenAIResponsesModel], ids=["chat", "responses"])
PATHS = {OpenAIChatModel: "/v1/chat/completions", OpenAIResponsesModel: "/v1/responses"}


class Role(BaseModel):
    """A structured output the agents are asked for."""

    title: str
    headcount: int


ROLE = {"title": "Data engineer", "headcount": 2}


@pytest.fixture(scope="module")
def shared_server() -> Iterator[ScriptedModelServer]:
    """One scripted model server for the module (starting is quick, stopping takes ~0.15 s)."""
    with ScriptedModelServer() as running:
        yield running


@pytest.fixture
def server(shared_server: ScriptedModelServer) -> ScriptedModelServer:
    """The shared server with an empty script, no recorded requests and its initial settings."""
    shared_server.reset()
    return shared_server


def model(model_class: ModelClass, server: ScriptedModelServer, name: str = "qwen3-8b", *,
          max_retries: int | None = None, timeout: float | None = None) -> OpenAIChatModel | OpenAIResponsesModel:
    """A pydantic-ai model on ``server``; SDK retries and timeout only when given (they need an own client)."""
    if max_retries is None and timeout is None:
        return model_class(name, provider=OpenAIProvider(base_url=server.base_url, api_key="test"))
    client = AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=max_retries or 0,
                         timeout=timeout or 30)
    return model_class(name, provider=OpenAIProvider(openai_client=client))


# --- structured output through pydantic-ai ----------------------------------------------------------------------


@BOTH_APIS
async def test_tool_call_yields_the_output(server: ScriptedModelServer, model_class: ModelClass) -> None:
    server.script(ToolCall(ROLE))
    result = await Agent(model(model_class, server), output_type=Role).run("Staff the data team")
    assert result.output == Role(**ROLE)
    [request] = server.requests
    assert request.path == PATHS[model_class]
    assert request.body["model"] == "qwen3-8b"
    assert request.body["tool_choice"] == "required"
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    assert request.headers["authorization"] == "Bearer test"


@BOTH_APIS
async def test_prose_instead_of_a_tool_call_is_retried_then_fails(server: ScriptedModelServer,
                                                                  model_class: ModelClass) -> None:
    server.default = Text("Sure! A data engineer would be great.")
    agent = Agent(model(model_class, server), output_type=Role, retries=2)
    with pytest.raises(UnexpectedModelBehavior):
        await agent.run("Staff the data team")
    assert len(server.requests) == 3  # the first try and two retries
    assert "validation_errors" in json.dumps(server.requests[-1].body)


@BOTH_APIS
async def test_malformed_arguments_are_retried(server: ScriptedModelServer, model_class: ModelClass) -> None:
    server.script(ToolCall('{"title": "Data engineer", "headcount": '), ToolCall(ROLE))
    result = await Agent(model(model_class, server), output_type=Role).run("Staff the data team")
    assert result.output == Role(**ROLE)
    assert len(server.requests) == 2
    # The retry sends the validation error back as the tool call's result.
    assert "json_invalid" in json.dumps(server.requests[1].body)


@BOTH_APIS
async def test_native_output_sends_a_json_schema(server: ScriptedModelServer, model_class: ModelClass) -> None:
    server.script(Text(json.dumps(ROLE)))
    result = await Agent(model(model_class, server), output_type=NativeOutput(Role)).run("Staff the data team")
    assert result.output == Role(**ROLE)
    body = server.requests[0].body
    if model_class is OpenAIChatModel:
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["name"] == "Role"
    else:
        assert body["text"]["format"]["type"] == "json_schema"
    assert "tools" not in body


@BOTH_APIS
async def test_prompted_output_sends_the_schema_in_the_prompt(server: ScriptedModelServer,
                                                              model_class: ModelClass) -> None:
    server.script(Text(json.dumps(ROLE)))
    result = await Agent(model(model_class, server), output_type=PromptedOutput(Role)).run("Staff the data team")
    assert result.output == Role(**ROLE)
    body = server.requests[0].body
    response_format = body["response_format"] if model_class is OpenAIChatModel else body["text"]["format"]
    assert response_format == {"type": "json_object"}
    prompt = json.dumps(body.get("messages") or body.get("input"))
    assert "headcount" in prompt and "tools" not in body


@BOTH_APIS
async def test_served_model_name_is_reported(server: ScriptedModelServer, model_class: ModelClass) -> None:
    server.served_model = "Qwen/Qwen3-8B-AWQ"
    server.script(ToolCall(ROLE))
    result = await Agent(model(model_class, server, "qwen"), output_type=Role).run("Staff the data team")
    assert result.response.model_name == "Qwen/Qwen3-8B-AWQ"
    server.served_model = None
    server.script(ToolCall(ROLE))
    result = await Agent(model(model_class, server, "qwen"), output_type=Role).run("Staff the data team")
    assert result.response.model_name == "qwen"


async def test_model_settings_reach_the_server(server: ScriptedModelServer) -> None:
    server.script(ToolCall(ROLE))
    agent = Agent(model(OpenAIChatModel, server), output_type=Role)
    await agent.run("Staff the data team", model_settings={"max_tokens": 300, "temperature": 0.1})
    body = server.requests[0].body
    # pydantic-ai sends max_tokens as `max_completion_tokens` unless the profile says the server lacks it.
    assert (body["max_completion_tokens"], body["temperature"]) == (300, 0.1)


async def test_dynamic_reply_reads_the_prompt(server: ScriptedModelServer) -> None:
    def echo_team(body: dict[str, Any]) -> ToolCall:
        prompt = body["messages"][-1]["content"]
        return ToolCall({"title": prompt.split(":")[1].strip(), "headcount": 1})

    server.script(Dynamic(echo_team))
    result = await Agent(model(OpenAIChatModel, server), output_type=Role).run("team: Platform")
    assert result.output == Role(title="Platform", headcount=1)


async def test_tool_call_names_the_function_tool(server: ScriptedModelServer) -> None:
    agent = Agent(model(OpenAIChatModel, server), output_type=Role)
    seen: list[str] = []

    @agent.tool_plain
    def headcount_budget(team: str) -> int:
        """The open headcount of a team."""
        seen.append(team)
        return 2

    server.script(ToolCall({"team": "data"}, name="headcount_budget"), ToolCall(ROLE, name="final_result"))
    result = await agent.run("Staff the data team")
    assert seen == ["data"] and result.output == Role(**ROLE)
    assert server.requests[0].body["tool_choice"] == "required"


# --- errors -----------------------------------------------------------------------------------------------------


@BOTH_APIS
async def test_404_is_a_model_not_found_http_error(server: ScriptedModelServer, model_class: ModelClass) -> None:
    server.script(Status(404, "The model `qwen3-8b` does not exist."))
    with pytest.raises(ModelHTTPError) as raised:
        await Agent(model(model_class, server), output_type=Role).run("Staff the data team")
    assert raised.value.status_code == 404
    assert isinstance(raised.value, ModelNotFoundError)
    assert raised.value.body == {"message": "The model `qwen3-8b` does not exist.", "type": "invalid_request_error",
                                 "param": None, "code": "model_not_found"}


@BOTH_APIS
async def test_500_is_a_server_http_error(server: ScriptedModelServer, model_class: ModelClass) -> None:
    server.script(Status(500, "CUDA out of memory"))
    with pytest.raises(ModelHTTPError) as raised:
        await Agent(model(model_class, server, max_retries=0), output_type=Role).run("Staff the data team")
    assert raised.value.status_code == 500 and isinstance(raised.value, ModelServerError)
    assert len(server.requests) == 1


async def test_the_openai_sdk_retries_5xx_itself(server: ScriptedModelServer) -> None:
    # pydantic-ai doesn't retry HTTP errors; the openai client does (max_retries, 2 by default), after ~0.5 s.
    server.script(Status(503, "loading model"), ToolCall(ROLE))
    result = await Agent(model(OpenAIChatModel, server, max_retries=1), output_type=Role).run("Staff the data team")
    assert result.output == Role(**ROLE) and len(server.requests) == 2


async def test_running_out_of_script_is_a_500(server: ScriptedModelServer) -> None:
    with pytest.raises(ModelHTTPError, match="no scripted reply left"):
        await Agent(model(OpenAIChatModel, server, max_retries=0), output_type=Role).run("Staff the data team")


@BOTH_APIS
async def test_delay_beyond_the_client_timeout_times_out(server: ScriptedModelServer,
                                                         model_class: ModelClass) -> None:
    server.script(Delay(5, ToolCall(ROLE)))
    started = time.monotonic()
    with pytest.raises(ModelTimeoutError) as raised:
        await Agent(model(model_class, server, max_retries=0, timeout=0.2), output_type=Role).run("Staff the team")
    assert isinstance(raised.value.__cause__, openai.APITimeoutError)
    assert time.monotonic() - started < 2


async def test_connection_refused_is_a_connection_error() -> None:
    with ScriptedModelServer() as stopped:
        pass
    agent = Agent(model(OpenAIChatModel, stopped, max_retries=0), output_type=Role)
    with pytest.raises(ModelConnectionError) as raised:
        await agent.run("Staff the data team")
    assert not isinstance(raised.value, ModelTimeoutError)
    assert isinstance(raised.value.__cause__, openai.APIConnectionError)


async def test_delay_does_not_block_other_requests(server: ScriptedModelServer) -> None:
    client = AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0)
    server.script(Delay(0.5, Text("slow")), Text("fast"))
    finished: list[str] = []

    async def ask() -> None:
        reply = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        finished.append(reply.choices[0].message.content or "")

    slow = asyncio.create_task(ask())
    await asyncio.sleep(0.1)  # the slow request takes the first reply
    await ask()
    await slow
    assert finished == ["fast", "slow"]


async def test_unknown_paths_are_openai_shaped_404s(server: ScriptedModelServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{server.base_url}/embeddings", json={"input": "x"})
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Invalid URL (POST /v1/embeddings)"
    assert server.requests == []


# --- streaming --------------------------------------------------------------------------------------------------


@BOTH_APIS
async def test_slow_stream_arrives_in_chunks(server: ScriptedModelServer, model_class: ModelClass) -> None:
    server.script(SlowStream(Text("The data team needs two engineers."), chunk_delay=0.02, chunks=5))
    deltas: list[str] = []
    started = time.monotonic()
    async with Agent(model(model_class, server)).run_stream("Staff the data team") as run:
        async for delta in run.stream_text(delta=True, debounce_by=None):
            deltas.append(delta)
    assert "".join(deltas) == "The data team needs two engineers."
    assert len(deltas) == 5 and time.monotonic() - started >= 0.1
    assert server.requests[0].body["stream"] is True


@BOTH_APIS
async def test_streamed_tool_call_yields_the_output(server: ScriptedModelServer, model_class: ModelClass) -> None:
    server.script(SlowStream(ToolCall(ROLE), chunk_delay=0.01))
    async with Agent(model(model_class, server), output_type=Role).run_stream("Staff the data team") as run:
        output = await run.get_output()
    assert output == Role(**ROLE)


async def test_chat_stream_splits_arguments_and_reports_usage(server: ScriptedModelServer) -> None:
    client = AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0)
    tools: Any = [{"type": "function", "function": {"name": "propose_role", "parameters": {"type": "object"}}}]
    server.script(SlowStream(ToolCall(ROLE), chunk_delay=0, chunks=4))
    stream = await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}],
                                                  tools=tools, stream=True, stream_options={"include_usage": True})
    pieces: list[str] = []
    names: list[str] = []
    usage = None
    async for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                if call.function and call.function.name:
                    names.append(call.function.name)
                if call.function and call.function.arguments:
                    pieces.append(call.function.arguments)
        usage = chunk.usage or usage
    assert names == ["propose_role"]
    assert len(pieces) == 4 and json.loads("".join(pieces)) == ROLE
    assert usage is not None and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


async def test_responses_stream_events(server: ScriptedModelServer) -> None:
    client = AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0)
    server.script(Text("hello there"))
    stream = await client.responses.create(model="m", input="hi", stream=True)
    kinds = [event.type async for event in stream]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert kinds.count("response.output_text.delta") == 3


async def test_status_on_a_streamed_request_fails_before_the_stream(server: ScriptedModelServer) -> None:
    server.script(Status(429, "slow down"))
    with pytest.raises(ModelHTTPError) as raised:
        async with Agent(model(OpenAIChatModel, server, max_retries=0)).run_stream("hi") as run:
            await run.get_output()
    assert raised.value.status_code == 429


# --- the server itself ------------------------------------------------------------------------------------------


async def test_models_lists_the_served_model(server: ScriptedModelServer) -> None:
    client = AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0)
    assert [m.id async for m in client.models.list()] == ["scripted"]
    server.served_model = "Qwen/Qwen3-8B"
    assert [m.id async for m in client.models.list()] == ["Qwen/Qwen3-8B"]


def test_works_from_a_sync_test_with_the_sync_client() -> None:
    with ScriptedModelServer(served_model="llama") as server:
        server.script(Text("hi"))
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
        assert (reply.model, reply.choices[0].message.content) == ("llama", "hi")
        assert server.pending == 0
        server.script(Text("unused"))
        server.served_model, server.default = "other", Text("other")
        server.reset()
        assert (server.pending, server.requests) == (0, [])
        assert settings(server) == ("llama", NO_REPLY_LEFT)


def settings(server: ScriptedModelServer) -> tuple[str | None, Reply]:
    """The server's served model and default reply."""
    return server.served_model, server.default


@pytest.mark.parametrize("bad", [lambda body: 1 / 0, lambda body: ToolCall({})], ids=["raises", "no-tools"])
async def test_script_mistakes_are_500s_that_say_why(server: ScriptedModelServer,
                                                     bad: Callable[[dict[str, Any]], Any]) -> None:
    client = AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0)
    server.script(Dynamic(bad))
    with pytest.raises(openai.InternalServerError) as raised:
        await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert "ZeroDivisionError" in raised.value.message or "no function tool" in raised.value.message
