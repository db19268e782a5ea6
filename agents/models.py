"""Models: the offline planner by default, any pydantic-ai model by configuration, built at worker start.

A worker builds one :class:`AgentModel` per agent when it starts (:func:`build_agent_model`): the model's client
code is imported and its configuration checked there, in ordinary Python, never lazily inside the workflow
sandbox. Agents run inside activities with that model and the run settings it carries (token cap, timeout,
temperature, no SDK-level retries: Temporal retries the activity).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic_ai import NativeOutput, PromptedOutput, ToolOutput
from pydantic_ai.durable_exec.temporal import TemporalDurability
from pydantic_ai.exceptions import UserError
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, UserPromptPart
from pydantic_ai.models import Model, infer_model
from pydantic_ai.models.function import AgentInfo, FunctionDef, FunctionModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.profiles import merge_profile
from pydantic_ai.profiles.openai import OpenAIModelProfile
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.settings import ModelSettings
from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityConfig

from agents.self_hosted import self_hosted_http_client
from infra.settings import LOCAL_PLANNER, AgentModelConfig, OutputMode

OFFLINE_DESCRIPTION = "the offline planner (deterministic, no network)"
"""How the local planner is named to people."""
OUTPUT_TOOL = "final_result"
"""Name of the tool a model calls with its answer in ``tool`` output mode."""


class ModelConfigError(Exception):
    """A model setting that cannot work (unknown provider, missing extra or key); the message says what to do."""


@dataclass(frozen=True, kw_only=True)
class AgentModel:
    """The model one agent runs with in this worker, built at start."""

    config: AgentModelConfig
    """The settings it was built from."""
    model: Model | None
    """The pydantic-ai model; None for the offline planner."""
    base_url: str | None = None
    """Where the model is served (for messages about it), when known."""

    @property
    def name(self) -> str:
        """The configured model string."""
        return self.config.model

    @property
    def offline(self) -> bool:
        """Whether this is the offline planner."""
        return self.model is None

    @property
    def where(self) -> str:
        """The model named for a person: ``openai-chat:smollm2 at http://127.0.0.1:8080/v1``."""
        if self.offline:
            return OFFLINE_DESCRIPTION
        return f"{self.name} at {self.base_url}" if self.base_url else self.name

    def run_settings(self) -> ModelSettings:
        """Per-run settings: token cap, request timeout, temperature, and no SDK retries (Temporal retries)."""
        settings = ModelSettings(max_tokens=self.config.max_tokens, timeout=self.config.request_timeout_seconds,
                                 max_retries=0)
        if self.config.temperature is not None:
            settings["temperature"] = self.config.temperature
        return settings


def build_agent_model(config: AgentModelConfig) -> AgentModel:
    """Build an agent's model from its settings, or say in a sentence why it cannot be built.

    ``openai-chat:NAME`` talks to any chat-completions server (vLLM, Ollama, llama.cpp) at ``OPENAI_BASE_URL``,
    ``openai:NAME`` / ``openai-responses:NAME`` to the Responses API; a key is optional when a base URL is set
    (local servers rarely want one). Every other provider goes through pydantic-ai's own ``infer_model``.

    Raises:
        ModelConfigError: The provider is unknown, its extra is not installed or its key is missing.
    """
    name = config.model
    if name == LOCAL_PLANNER:
        return AgentModel(config=config, model=None)
    provider_name, _, model_name = name.partition(":")
    if not model_name:
        raise ModelConfigError(f"model {name!r} for {config.agent} is not a pydantic-ai model string "
                               "(provider:model, e.g. openai-chat:llama3.1) nor 'local-planner'")
    try:
        if provider_name in ("openai-chat", "openai", "openai-responses"):
            model: Model = _openai_model(provider_name, model_name)
        else:
            model = infer_model(name)
    except UserError as err:
        raise ModelConfigError(f"model {name!r} for {config.agent} cannot be used: {err}") from err
    except ImportError as err:
        raise ModelConfigError(f"model {name!r} for {config.agent} needs an optional package: {err}. "
                               f"Install it with: pip install 'talentops[{provider_name.split('-')[0]}]'") from err
    return AgentModel(config=config, model=model, base_url=_base_url(model))


def _openai_model(provider_name: str, model_name: str) -> Model:
    base_url = os.environ.get("OPENAI_BASE_URL") or None
    api_key = os.environ.get("OPENAI_API_KEY") or None
    if api_key is None and base_url is None:
        raise UserError("set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a server of your own)")
    key = api_key or "not-needed"  # local servers rarely want one
    if provider_name != "openai-chat":
        return OpenAIResponsesModel(model_name, provider=OpenAIProvider(base_url=base_url, api_key=key))
    if base_url is None:
        return OpenAIChatModel(model_name, provider=OpenAIProvider(api_key=key))
    provider = OpenAIProvider(base_url=base_url, api_key=key, http_client=self_hosted_http_client())
    # self-hosted servers (llama.cpp, vLLM, Ollama) all honour the classic max_tokens; some ignore the newer
    # max_completion_tokens, and then nothing caps a rambling answer
    profile = merge_profile(provider.model_profile(model_name),
                            OpenAIModelProfile(openai_chat_supports_max_completion_tokens=False))
    return SelfHostedChatModel(model_name, provider=provider, profile=profile)


class SelfHostedChatModel(OpenAIChatModel):
    """A chat-completions model on a server of one's own (llama.cpp, vLLM, Ollama).

    A request that must end in a call of its only tool names that tool in ``tool_choice`` instead of sending
    ``"required"``: llama.cpp's server ignores ``"required"`` with the model's own chat template (the model then
    answers in prose) but constrains its output to the schema of a named function.
    """

    def _get_tool_choice(self, model_settings: Any, model_request_parameters: Any) -> Any:
        tools, choice = super()._get_tool_choice(model_settings, model_request_parameters)
        if choice == "required" and len(tools) == 1:
            choice = {"type": "function", "function": {"name": tools[0]["function"]["name"]}}
        return tools, choice


def _base_url(model: Model) -> str | None:
    try:
        return model.base_url
    except (AttributeError, NotImplementedError):
        return None


def output_spec(output_type: type[Any], mode: OutputMode) -> Any:
    """How an agent asks for ``output_type``: a forced tool call, native JSON schema, or the schema in the prompt."""
    if mode == "native":
        return NativeOutput(output_type)
    if mode == "prompted":
        return PromptedOutput(output_type)
    return ToolOutput(output_type, name=OUTPUT_TOOL)


def local_model(local_function: FunctionDef) -> FunctionModel:
    """``local_function`` wrapped as the offline planner's model."""
    return FunctionModel(local_function, model_name=LOCAL_PLANNER)


def durability() -> TemporalDurability[Any]:
    """Temporal durability for the agents that ran inside the workflow before agent steps became activities.

    They are kept, on the offline planner, only so that histories recorded then still replay.
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


def served_model(messages: Sequence[ModelMessage], configured: str) -> str | None:
    """The model name the server reported in its last answer, when it differs from the ``configured`` string
    (``openai-chat:smollm2`` counts as the same as ``smollm2``)."""
    names = [m.model_name for m in messages if isinstance(m, ModelResponse) and m.model_name]
    if not names or names[-1] in (configured, configured.partition(":")[2]):
        return None
    return names[-1]


__all__ = ["AgentInfo", "AgentModel", "ModelConfigError", "build_agent_model", "durability", "last_user_prompt",
           "local_model", "output_spec", "run_summary", "served_model"]
