"""Agent failures become sentences a manager can read, and only the ones worth retrying are retried."""

from __future__ import annotations

import pytest
from pydantic_ai.exceptions import (
    ModelAuthenticationError,
    ModelConnectionError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelRateLimitError,
    ModelRequestRejectedError,
    ModelServerError,
    ModelTimeoutError,
    UnexpectedModelBehavior,
)

from agents.failures import NOT_RETRYABLE, RETRYABLE, describe_failure
from agents.models import AgentModel
from infra.settings import Settings

MODEL = AgentModel(config=Settings(model="openai-chat:smollm2", model_request_timeout_seconds=30,
                                   model_output_retries=2).agent_model("propose_staffing"),
                   model=None, base_url="http://127.0.0.1:8080/v1")


CATEGORIES = {404: ModelNotFoundError, 401: ModelAuthenticationError, 400: ModelRequestRejectedError,
              500: ModelServerError, 429: ModelRateLimitError}


def http(status: int, message: str) -> ModelHTTPError:
    """The error pydantic-ai's OpenAI model raises for an HTTP status (as the scripted-server tests show)."""
    return ModelHTTPError.for_category(CATEGORIES[status], status_code=status, model_name="smollm2",  # type: ignore[arg-type]
                                       body={"message": message})


@pytest.mark.parametrize(("err", "kind", "words"), [
    (ModelConnectionError("smollm2", "Connection error."), RETRYABLE,
     "the model server at http://127.0.0.1:8080/v1 did not answer after 3 tries (Connection error.)"),
    (ModelTimeoutError("smollm2", "Request timed out."), RETRYABLE,
     "the model server at http://127.0.0.1:8080/v1 did not answer within 30 s after 3 tries"),
    (UnexpectedModelBehavior("Exceeded maximum output retries (2)"), "ModelOutputInvalid",
     "the model 'openai-chat:smollm2' did not give a usable answer after 3 answer(s); the last problem: E9 is "
     "not among the people found for T1"),
])
def test_failures_in_words(err: Exception, kind: str, words: str) -> None:
    failure = describe_failure(err, MODEL, attempt=3, last_problem="E9 is not among the people found for T1")
    assert (failure.type, failure.message) == (kind, words)
    assert failure.retryable == (kind == RETRYABLE) and (kind == RETRYABLE or kind in NOT_RETRYABLE)


@pytest.mark.parametrize(("status", "kind", "words"), [
    (404, "ModelNotFound", "does not serve the model 'openai-chat:smollm2' (HTTP 404: no such model)"),
    (401, "ModelRefused", "refused the request: the key is missing or wrong"),
    (400, "ModelRequestRejected", "rejected the request (HTTP 400: no such model)"),
    (500, RETRYABLE, "failed after 1 try (HTTP 500: no such model)"),
    (429, RETRYABLE, "is rate-limiting requests after 1 try"),
])
def test_http_errors_in_words(status: int, kind: str, words: str) -> None:
    failure = describe_failure(http(status, "no such model"), MODEL)
    assert failure.type == kind and words in failure.message, failure.message
    assert failure.error_class.startswith("pydantic_ai.exceptions.")
