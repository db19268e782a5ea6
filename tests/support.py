"""Helpers shared by the test modules (imported as ``support``: pytest puts ``tests/`` on the path)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from review_console import service
from review_console.service import Services

T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str, *, timeout: float = 60,
                     interval: float = 0.1) -> T:
    """Call ``probe`` until it returns something truthy; fail naming ``what`` after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


async def approve_plan(svc: Services, goal_id: str, *, reviewer: str = "hr.reviewer2",
                       timeout: float = 60) -> str | None:
    """Approve the goal's plan review when the trust ramp sampled one; the review id, or None if not sampled.

    New action types start at 100% review, so in tests every plan is reviewed before staffing.
    """
    async def planned() -> dict[str, Any] | None:
        goal = await service.get_goal(svc, goal_id)
        if goal["status"] == "failed":
            raise AssertionError(f"goal failed: {goal['status_detail']}")
        return goal if goal["status"] in ("awaiting_plan_review", "awaiting_review", "parked", "rejected") else None

    goal = await eventually(planned, f"goal {goal_id} to be planned", timeout=timeout)
    if goal["status"] != "awaiting_plan_review":
        return None
    review_id = str(goal["review"]["review_id"])
    await service.decide_review(svc, review_id=review_id, decision="approve", reviewer=reviewer)
    return review_id
