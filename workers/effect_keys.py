"""The worker interceptor that gives each activity execution its idempotency scope (``infra.idempotency``)."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from infra import idempotency


class _ScopedActivity(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        # the identity every attempt shares; the attempt number is deliberately not part of it
        key = f"{info.workflow_id}/{info.workflow_run_id}/{info.activity_id}"
        with idempotency.activity_scope(key, info.activity_type):
            return await super().execute_activity(input)


class EffectKeys(Interceptor):
    """Runs every activity inside the idempotency scope of its execution."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ScopedActivity(next)
