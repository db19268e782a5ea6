"""Agent failures in words a manager can read, and whether trying again can help.

An agent step (drafting a plan, choosing people) fails for one of a few reasons: the model server did not answer
or answered with an error, or the model's answers kept failing the product's checks. :func:`describe_failure`
turns the exception into an :class:`AgentFailure`; the activity raises it as a Temporal ``ApplicationError`` whose
type says the category (retried or not by the activity's retry policy) and whose message is what the goal shows.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from pydantic import ValidationError
from pydantic_ai.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelContextWindowExceededError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    ModelTimeoutError,
    UnexpectedModelBehavior,
    UsageLimitExceeded,
)

from agents.models import AgentModel

RETRYABLE = "ModelUnavailable"
"""The one failure type worth retrying: the server did not answer, was overloaded or failed on its side."""
NOT_RETRYABLE = ["ModelNotFound", "ModelRefused", "ModelRequestRejected", "ModelOutputInvalid", "ModelConfig",
                 "StaffingCheckFailed"]
"""Failure types that fail the step at once: sending the same request again would fail the same way."""


@dataclass(frozen=True, kw_only=True)
class AgentFailure:
    """Why an agent step failed, for the goal, the audit trail and the retry policy."""

    type: str
    """Category: ``ModelUnavailable`` (retried), or one of :data:`NOT_RETRYABLE`."""
    message: str
    """The reason in a sentence a manager can read."""
    error_class: str
    """The exception's qualified class name, for the audit trail."""

    @property
    def retryable(self) -> bool:
        """Whether another attempt may succeed."""
        return self.type == RETRYABLE


def describe_failure(err: BaseException, model: AgentModel, *, attempt: int = 1,
                     last_problem: str | None = None) -> AgentFailure:
    """The failure ``err`` means for a step that ran ``model`` (``attempt`` counts the tries so far).

    Args:
        err: What the agent run raised.
        model: The model the step used.
        attempt: Which try this was (1-based); named in the message when the server did not answer.
        last_problem: What the product's checks last said about the model's answer, if they said anything.
    """
    error_class = f"{type(err).__module__}.{type(err).__qualname__}"
    server = f"the model server at {model.base_url}" if model.base_url else f"the model provider of {model.name}"
    tries = f" after {attempt} {'try' if attempt == 1 else 'tries'}"

    def failure(kind: str, message: str) -> AgentFailure:
        return AgentFailure(type=kind, message=message, error_class=error_class)

    detail = _detail(err)
    if isinstance(err, ModelNotFoundError) or (isinstance(err, ModelHTTPError) and err.status_code == 404):
        return failure("ModelNotFound", f"{server} does not serve the model {model.name!r} ({detail}); "
                                        "check the model name and whether it speaks this API (openai-chat: for "
                                        "chat-completions servers)")
    if isinstance(err, ModelAuthenticationError):
        return failure("ModelRefused", f"{server} refused the request: the key is missing or wrong ({detail})")
    if isinstance(err, ModelContextWindowExceededError):
        return failure("ModelRequestRejected", f"the request was too long for the model {model.name!r} ({detail})")
    if isinstance(err, ModelTimeoutError | asyncio.TimeoutError | TimeoutError):
        limit = model.config.request_timeout_seconds
        return failure(RETRYABLE, f"{server} did not answer within {limit:g} s{tries}")
    if isinstance(err, ModelConnectionError):
        return failure(RETRYABLE, f"{server} did not answer{tries} ({detail})")
    if isinstance(err, ModelRateLimitError):
        return failure(RETRYABLE, f"{server} is rate-limiting requests{tries} ({detail})")
    if isinstance(err, ModelRequestRejectedError):
        return failure("ModelRequestRejected", f"{server} rejected the request ({detail})")
    if isinstance(err, ModelHTTPError) and 400 <= err.status_code < 500:
        return failure("ModelRequestRejected", f"{server} rejected the request ({detail})")
    if isinstance(err, ModelAPIError):
        return failure(RETRYABLE, f"{server} failed{tries} ({detail})")
    if isinstance(err, UnexpectedModelBehavior | UsageLimitExceeded):
        last_problem = last_problem or _schema_problem(err)
        problem = f"; the last problem: {last_problem}" if last_problem else f" ({detail})"
        return failure("ModelOutputInvalid", f"the model {model.name!r} did not give a usable answer after "
                                             f"{model.config.output_retries + 1} answer(s){problem}")
    return failure(RETRYABLE, f"the {model.config.agent.replace('_', ' ')} step failed{tries}: {detail}")


def _schema_problem(err: BaseException) -> str | None:
    """What was wrong with the model's last answer, from the validation error behind a run that gave up."""
    cause = err.__cause__
    if isinstance(cause, ValidationError):
        if any(e["type"] == "json_invalid" for e in cause.errors()):
            return "the answer was prose or broken JSON, not the structured answer asked for"
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in cause.errors()[:3])
    if cause is not None and "json_invalid" in str(cause):
        return "the answer was prose or broken JSON, not the structured answer asked for"
    if cause is not None and "tool call" in str(cause):
        return "the answer was prose, not the call of the answer tool asked for"
    return " ".join(str(cause).split())[:200] if cause is not None else None


def _detail(err: BaseException) -> str:
    """The error's own words, short."""
    if isinstance(err, ModelHTTPError):
        body = err.body if isinstance(err.body, dict) else {}
        inner = body.get("error", body) if isinstance(body, dict) else {}
        message = inner.get("message") if isinstance(inner, dict) else None
        return f"HTTP {err.status_code}" + (f": {message}" if message else "")
    if isinstance(err, UnexpectedModelBehavior):
        return err.message
    text = str(err).strip() or type(err).__name__
    cause = err.__cause__
    if cause is not None and str(cause).strip() and str(cause).strip() not in text:
        text = f"{text}: {str(cause).strip()}"
    return text[:300]
