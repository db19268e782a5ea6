"""What the agent-step activities share: the models built at worker start, heartbeats, and failures as
Temporal errors whose message a manager can read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from temporalio import activity
from temporalio.exceptions import ApplicationError

from agents.failures import describe_failure
from agents.models import AgentModel, build_agent_model
from infra.settings import Settings

HEARTBEAT_SECONDS = 10.0
"""How often a running agent step tells Temporal it is alive (a dead worker is noticed within the step's
heartbeat timeout, not its much longer start-to-close timeout)."""


@dataclass(frozen=True, kw_only=True)
class AgentModels:
    """The model of each agent in this worker."""

    draft_tasks: AgentModel
    """Drafts a goal's tasks in the planning graph."""
    propose_staffing: AgentModel
    """Chooses people among the matcher's candidates."""
    draft_onboarding_plan: AgentModel | None = None
    """Drafts a person's 30-60-90 plan (None: the offline drafter)."""
    verify_certification_renewal: AgentModel | None = None
    """Reads renewed certificates (None: the offline reader)."""


def build_agent_models(settings: Settings) -> AgentModels:
    """Every agent's model, built now (at worker start) from ``settings``.

    Raises:
        agents.models.ModelConfigError: A model setting cannot work; the message says which and why.
    """
    return AgentModels(draft_tasks=build_agent_model(settings.agent_model("draft_tasks")),
                       propose_staffing=build_agent_model(settings.agent_model("propose_staffing")),
                       draft_onboarding_plan=build_agent_model(settings.agent_model("draft_onboarding_plan")),
                       verify_certification_renewal=build_agent_model(
                           settings.agent_model("verify_certification_renewal")))


@asynccontextmanager
async def heartbeating() -> AsyncIterator[None]:
    """Heartbeat the current activity in the background while the block runs."""
    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(HEARTBEAT_SECONDS)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()


def step_failed(err: BaseException, model: AgentModel, problems: list[str]) -> ApplicationError:
    """The Temporal error an agent step fails with: its type decides whether it is retried, its message is the
    reason the goal shows, its details carry the error class and model for the audit trail."""
    failure = describe_failure(err, model, attempt=activity.info().attempt,
                               last_problem=problems[-1] if problems else None)
    activity.logger.warning("%s step failed: %s (%s)", model.config.agent, failure.message, failure.error_class)
    return ApplicationError(failure.message, {"error_class": failure.error_class, "model": model.name,
                                              "agent": model.config.agent},
                            type=failure.type, non_retryable=not failure.retryable)
