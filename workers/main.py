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
from workers.activities import ALL_ACTIVITIES
from workers.planning import planning_activity
from workflows.goal import GoalWorkflow


async def connect_client(address: str, namespace: str = "default") -> Client:
    """A Temporal client with the pydantic-ai plugin (agent activities, pydantic payloads) and tracing."""
    return await Client.connect(address, namespace=namespace, plugins=[PydanticAIPlugin()],
                                interceptors=[TracingInterceptor()])


def build_worker(client: Client, task_queue: str, *, pool: asyncpg.Pool[Any],
                 planner: Callable[..., Any] | None = None) -> Worker:
    """A worker for the goal workflow; the plugin adds the agents' model and tool activities.

    ``pool`` becomes the process's pool for activities and agent tools; ``planner`` replaces the ``plan_goal``
    activity (tests give it a drafter of their own).
    """
    runtime.set_pool(pool)
    return Worker(client, task_queue=task_queue, workflows=[GoalWorkflow],
                  activities=[*ALL_ACTIVITIES, planner or planning_activity()],
                  graceful_shutdown_timeout=timedelta(seconds=10))
