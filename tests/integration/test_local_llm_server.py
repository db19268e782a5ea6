"""A real small model (SmolLM2-135M via llama-cpp-python) behind an OpenAI-compatible server, driven by the
real ``openai`` client. The model's answers are poor; these tests only check the wire protocol."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import openai
import pytest
from local_llm import LlamaServer, ensure_llama_env, serve, skip_reason
from openai.types.chat import ChatCompletionToolParam

pytestmark = pytest.mark.integration

PLAN_TOOL: ChatCompletionToolParam = {
    "type": "function",
    "function": {
        "name": "propose_plan",
        "description": "Propose a staffing plan for a goal.",
        "parameters": {
            "type": "object",
            "properties": {"title": {"type": "string"}, "headcount": {"type": "integer"}},
            "required": ["title", "headcount"],
        },
    },
}


@pytest.fixture(scope="session")
def llm_server() -> Iterator[LlamaServer]:
    """The local model server for this test run; skips when llama-cpp-python cannot be installed here."""
    if (reason := skip_reason()) is not None:
        pytest.skip(reason)
    env = ensure_llama_env()
    if env is None:
        pytest.skip(skip_reason() or "llama-cpp-python environment unavailable")
    with serve(env) as server:
        yield server


@pytest.fixture
async def llm(llm_server: LlamaServer) -> AsyncIterator[openai.AsyncOpenAI]:
    """An OpenAI client pointed at the local server (no retries, so failures show at once)."""
    client = openai.AsyncOpenAI(base_url=llm_server.base_url, api_key="unused", max_retries=0, timeout=120)
    yield client
    await client.close()


async def test_lists_the_aliased_model(llm: openai.AsyncOpenAI, llm_server: LlamaServer) -> None:
    models = await llm.models.list()
    assert [m.id for m in models.data] == [llm_server.model]


async def test_chat_completion_returns_text(llm: openai.AsyncOpenAI, llm_server: LlamaServer) -> None:
    raw = await llm.chat.completions.with_raw_response.create(
        model=llm_server.model, messages=[{"role": "user", "content": "Say hello."}], max_tokens=16, temperature=0)
    assert raw.http_response.status_code == 200
    completion = raw.parse()
    assert completion.model == llm_server.model
    assert len(completion.choices) == 1
    choice = completion.choices[0]
    assert choice.finish_reason in ("stop", "length")
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert completion.usage is not None and 0 < completion.usage.completion_tokens <= 16


async def test_forced_tool_call_is_well_formed(llm: openai.AsyncOpenAI, llm_server: LlamaServer) -> None:
    raw = await llm.chat.completions.with_raw_response.create(
        model=llm_server.model,
        messages=[{"role": "user", "content": "Plan a payments fraud detection service."}],
        tools=[PLAN_TOOL],
        tool_choice={"type": "function", "function": {"name": "propose_plan"}},
        max_tokens=64,
        temperature=0,
    )
    assert raw.http_response.status_code == 200
    choice = raw.parse().choices[0]
    assert choice.finish_reason in ("tool_calls", "length")
    assert choice.message.tool_calls, choice.message
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.function.name == "propose_plan"
    assert call.function.arguments.lstrip().startswith("{")  # grammar-constrained JSON, possibly cut by max_tokens
    if choice.finish_reason == "tool_calls":
        json.loads(call.function.arguments, strict=False)  # the tiny model may put raw newlines in strings
