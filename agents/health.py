"""Does an agent's model answer? One tiny request through pydantic-ai, timed, with the reason when it fails.

Servers such as llama.cpp answer to any model name, so an answer alone does not show a wrong name: for
OpenAI-compatible servers the probe also reads ``GET {base_url}/models`` and says when the configured name is not
among the models listed.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime

import httpx
from pydantic_ai import Agent, capture_run_messages
from pydantic_ai.exceptions import UnexpectedModelBehavior
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel

from agents.failures import describe_failure
from agents.models import AgentModel, served_model
from infra.store.model_health import ModelHealth, answered

PROBE_PROMPT = "Reply with the word ok."
"""What the probe asks."""
PROBE_MAX_TOKENS = 8
"""Most tokens the probe's answer may have."""
PROBE_TIMEOUT_SECONDS = 10.0
"""Longest the probe waits for an answer (or the agent's own request timeout, when that is shorter)."""
LIST_TIMEOUT_SECONDS = 3.0
"""Longest the probe waits for the server's list of models."""
OFFLINE_DETAIL = "offline planner: deterministic, no network"
"""The detail of the offline planner, which is always there."""
_LISTED_NAMES = 8
"""How many of the served models a detail names."""

__all__ = ["ModelHealth", "probe"]


async def probe(model: AgentModel, *, timeout: float = PROBE_TIMEOUT_SECONDS) -> ModelHealth:
    """Ask ``model`` for one short answer and say whether it came, how fast, and anything wrong with its name.

    Never raises for a model that does not answer: that is the result (``ok`` False, ``detail`` why).
    """
    def health(ok: bool, detail: str, *, served: str | None = None, latency_ms: int | None = None) -> ModelHealth:
        return ModelHealth(agent=model.config.agent, model=model.name, description=model.where,
                           output_mode=model.config.output_mode, ok=ok, detail=detail, served_model=served,
                           latency_ms=latency_ms, checked_at=datetime.now(UTC))

    if model.model is None:
        return health(True, OFFLINE_DETAIL)
    timeout = min(timeout, model.config.request_timeout_seconds)
    settings = model.run_settings()
    settings["max_tokens"] = PROBE_MAX_TOKENS
    settings["timeout"] = timeout
    agent = Agent(model.model, output_type=str, name=f"{model.config.agent}_probe", model_settings=settings,
                  retries=0)
    started = time.perf_counter()
    with capture_run_messages() as messages:
        try:
            result = await agent.run(PROBE_PROMPT)
        except Exception as err:
            elapsed_ms = round((time.perf_counter() - started) * 1000)
            if isinstance(err, UnexpectedModelBehavior) and _responses(messages):
                # the server answered, just not with text inside the token cap (a reasoning model thinking first)
                detail = f"{answered(elapsed_ms)}, with no text in its first {PROBE_MAX_TOKENS} tokens"
                return health(True, detail + await _listing_note(model), served=served_model(messages, model.name),
                              latency_ms=elapsed_ms)
            probed = dataclasses.replace(model, config=model.config.model_copy(
                update={"request_timeout_seconds": timeout}))
            reason = describe_failure(err, probed).message
            return health(False, reason + await _listing_note(model))
    elapsed_ms = round((time.perf_counter() - started) * 1000)
    return health(True, answered(elapsed_ms) + await _listing_note(model),
                  served=served_model(result.all_messages(), model.name), latency_ms=elapsed_ms)


def _responses(messages: list[ModelMessage]) -> bool:
    return any(isinstance(m, ModelResponse) for m in messages)


async def _listing_note(model: AgentModel) -> str:
    """``, but the server does not list NAME; it serves: X, Y`` when an OpenAI-compatible server's model list
    leaves the configured name out; empty when it is listed, or the list cannot be read."""
    if not isinstance(model.model, OpenAIChatModel | OpenAIResponsesModel):
        return ""
    client = model.model.client
    name = model.name.partition(":")[2]
    headers = {"Authorization": f"Bearer {client.api_key}"} if client.api_key else {}
    try:
        async with httpx.AsyncClient(timeout=LIST_TIMEOUT_SECONDS) as http:
            response = await http.get(f"{str(client.base_url).rstrip('/')}/models", headers=headers)
        response.raise_for_status()
        listed = [str(item["id"]) for item in response.json()["data"]]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return ""  # many servers list nothing, or need other credentials to: the probe itself said enough
    if not listed or name in listed:
        return ""
    shown = ", ".join(listed[:_LISTED_NAMES]) + (f" and {len(listed) - _LISTED_NAMES} more"
                                                 if len(listed) > _LISTED_NAMES else "")
    return f"; the server does not list {name}; it serves: {shown}"
