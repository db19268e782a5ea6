"""Worker entry point: the goal workflow, its activities and the agents' activities on one task queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import asyncpg
from pydantic_ai.durable_exec.temporal import PydanticAIPlugin
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import Worker

from infra import runtime
from infra.settings import Settings, get_settings
from workers.activities import ALL_ACTIVITIES
from workers.agent_runs import AgentModels, build_agent_models
from workers.certification_activities import CERTIFICATION_ACTIVITIES, verification_activity
from workers.certification_schedule import reconcile_certifications
from workers.effect_keys import EffectKeys
from workers.move_activities import MOVE_ACTIVITIES
from workers.onboarding_activities import ONBOARDING_ACTIVITIES, drafting_activity
from workers.planning import planning_activity
from workers.slots import worker_tuner
from workers.staffing import staffing_activity
from workflows import attestation
from workflows.certification import CertificationWorkflow
from workflows.certification_reconcile import CertificationReconcileWorkflow
from workflows.goal import GoalWorkflow
from workflows.move import MoveWorkflow
from workflows.onboarding import OnboardingWorkflow


async def connect_client(address: str, namespace: str = "default") -> Client:
    """A Temporal client with the pydantic-ai plugin (agent activities, pydantic payloads) and tracing."""
    return await Client.connect(address, namespace=namespace, plugins=[PydanticAIPlugin()],
                                interceptors=[TracingInterceptor()])


def build_worker(client: Client, task_queue: str, *, pool: asyncpg.Pool[Any], models: AgentModels | None = None,
                 planner: Callable[..., Any] | None = None, settings: Settings | None = None) -> Worker:
    """A worker for the goal workflow, with every agent's model built now (never inside the workflow sandbox).

    Args:
        client: Temporal client (from :func:`connect_client`).
        task_queue: Queue to poll.
        pool: Becomes the process's pool for activities and the matcher.
        models: The agents' models (default: built from the settings; raises ``ModelConfigError`` with a
            sentence when a setting cannot work).
        planner: Replaces the ``plan_goal`` activity (tests give it a drafter of their own).
        settings: The installation's settings (default: this process's); the workflow accepts decisions attested
            with the key derived from their secret (``workflows.attestation``), so the worker and whatever
            decides (console, CLI) must share it.
    """
    settings = settings or get_settings()
    models = models or build_agent_models(settings)
    attestation.trust(attestation.decision_key(settings.secret()))
    runtime.set_pool(pool)
    return Worker(client, task_queue=task_queue, workflows=[GoalWorkflow, MoveWorkflow, OnboardingWorkflow,
                                                                CertificationWorkflow, CertificationReconcileWorkflow],
                  activities=[*ALL_ACTIVITIES, *MOVE_ACTIVITIES, *ONBOARDING_ACTIVITIES, *CERTIFICATION_ACTIVITIES,
                              reconcile_certifications,
                              planner or planning_activity(models.draft_tasks),
                              staffing_activity(models.propose_staffing),
                              drafting_activity(models.draft_onboarding_plan),
                              verification_activity(models.verify_certification_renewal)],
                  interceptors=[EffectKeys()], tuner=worker_tuner(settings),
                  graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_drain_seconds))
