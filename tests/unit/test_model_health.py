"""The model health probe against a real HTTP server (the scripted OpenAI-compatible one) and the offline planner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scripted_model import Delay, ScriptedModelServer, Status, Text

from agents import health
from agents.health import OFFLINE_DETAIL, PROBE_MAX_TOKENS, PROBE_PROMPT, probe
from agents.models import AgentModel, build_agent_model
from infra.settings import Settings
from infra.store.model_health import age_words
from workers.agent_runs import build_agent_models
from workers.health import probe_all


@pytest.fixture
def server() -> Iterator[ScriptedModelServer]:
    """A server that lists, and answers as, ``smollm2``."""
    with ScriptedModelServer(served_model="smollm2") as running:
        yield running


def model_at(monkeypatch: pytest.MonkeyPatch, server: ScriptedModelServer, name: str = "openai-chat:smollm2",
             **settings: Any) -> AgentModel:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return build_agent_model(Settings(model=name, **settings).agent_model("draft_tasks"))


async def test_an_answering_server_is_ok_with_its_latency(monkeypatch: pytest.MonkeyPatch,
                                                          server: ScriptedModelServer) -> None:
    server.script(Delay(0.2, Text("ok")))
    model = model_at(monkeypatch, server, model_temperature=0.3)

    result = await probe(model)

    assert result.ok, result.detail
    assert result.latency_ms is not None and result.latency_ms >= 200
    assert result.detail == f"answered in {result.latency_ms / 1000:.1f} s"
    assert result.served_model is None  # the server answered as the configured name
    assert (result.agent, result.model, result.output_mode) == ("draft_tasks", "openai-chat:smollm2", "tool")
    assert result.description == f"openai-chat:smollm2 at {model.base_url}"
    assert datetime.now(UTC) - result.checked_at < timedelta(seconds=10)
    [request] = server.requests  # one tiny request, capped, with the agent's own settings otherwise
    assert request.body["max_tokens"] == PROBE_MAX_TOKENS
    assert request.body["temperature"] == 0.3
    assert request.body["messages"][-1]["content"] == PROBE_PROMPT


async def test_a_server_error_is_not_ok_with_a_readable_reason(monkeypatch: pytest.MonkeyPatch,
                                                               server: ScriptedModelServer) -> None:
    server.script(Status(500, "the GPU fell over"))

    model = model_at(monkeypatch, server)
    result = await probe(model)

    assert not result.ok
    assert result.latency_ms is None
    assert result.detail.startswith(f"the model server at {model.base_url} failed")
    assert "HTTP 500: the GPU fell over" in result.detail
    assert len(server.requests) == 1  # no retries: a probe is one request


async def test_a_slow_server_is_not_ok_within_the_probe_timeout(monkeypatch: pytest.MonkeyPatch,
                                                                server: ScriptedModelServer) -> None:
    server.script(Delay(3, Text("ok")))

    model = model_at(monkeypatch, server)
    result = await probe(model, timeout=0.5)

    assert not result.ok
    assert result.detail == f"the model server at {model.base_url} did not answer within 0.5 s after 1 try"


async def test_a_server_that_is_not_there_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptedModelServer() as gone:
        pass
    model = model_at(monkeypatch, gone)
    result = await probe(model)

    assert not result.ok
    assert result.detail.startswith(f"the model server at {model.base_url} did not answer")


async def test_a_name_the_server_does_not_list_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # like llama.cpp: it answers to any name, with the model it actually serves
    with ScriptedModelServer(served_model="qwen2.5-0.5b") as server:
        server.script(Text("ok"))
        result = await probe(model_at(monkeypatch, server))

    assert result.ok
    assert result.served_model == "qwen2.5-0.5b"
    assert result.detail.endswith("; the server does not list smollm2; it serves: qwen2.5-0.5b")


async def test_a_failure_names_the_listed_models_too(monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptedModelServer(served_model="qwen2.5-0.5b") as server:
        server.script(Status(404, "model 'smollm2' not found"))
        result = await probe(model_at(monkeypatch, server))

    assert not result.ok
    assert "does not serve the model 'openai-chat:smollm2'" in result.detail
    assert result.detail.endswith("; the server does not list smollm2; it serves: qwen2.5-0.5b")


async def test_an_empty_answer_within_the_token_cap_still_counts(monkeypatch: pytest.MonkeyPatch,
                                                                 server: ScriptedModelServer) -> None:
    server.script(Text(""))  # e.g. a reasoning model still thinking when the cap is reached

    result = await probe(model_at(monkeypatch, server))

    assert result.ok, result.detail
    assert result.detail.startswith("answered in ")
    assert len(server.requests) == 1


async def test_the_offline_planner_is_ok_without_any_io(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_io(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the offline planner's probe must not do any I/O")

    monkeypatch.setattr(health, "Agent", no_io)
    monkeypatch.setattr(health.httpx, "AsyncClient", no_io)
    model = build_agent_model(Settings().agent_model("propose_staffing"))

    result = await probe(model)

    assert result.ok
    assert result.detail == OFFLINE_DETAIL
    assert result.latency_ms is None and result.served_model is None
    assert result.description == "the offline planner (deterministic, no network)"
    assert result.agent == "propose_staffing"


async def test_probe_all_probes_each_agent(monkeypatch: pytest.MonkeyPatch, server: ScriptedModelServer) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("TALENTOPS_PROPOSE_STAFFING__MODEL", "openai-chat:smollm2")
    server.script(Text("ok"))

    results = await probe_all(build_agent_models(Settings()))

    assert [(r.agent, r.ok) for r in results] == [("draft_tasks", True), ("propose_staffing", True),
                                                  ("draft_onboarding_plan", True),
                                                  ("verify_certification_renewal", True)]
    assert results[0].detail == OFFLINE_DETAIL


def test_age_in_words() -> None:
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert age_words(now - timedelta(seconds=20), now) == "just now"
    assert age_words(now - timedelta(minutes=2, seconds=5), now) == "2 min ago"
    assert age_words(now - timedelta(hours=3), now) == "3 h ago"
    assert age_words(now - timedelta(days=4), now) == "4 days ago"
