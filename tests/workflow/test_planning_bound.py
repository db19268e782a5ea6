"""The critique → revise loop is bounded inside a real goal workflow: a drafter that never fixes its plan still
ends at the plan review after MAX_REVISIONS revisions, with what is still wrong shown to the reviewer; one that
fails outright ends the goal with the reason."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from support import eventually, review_id_of
from temporalio.client import Client

from agents.models import build_agent_model
from agents.planning.draft import TaskDraft
from agents.planning.graph import MAX_REVISIONS
from agents.planning.understand import Understanding
from infra.settings import Settings
from workers.main import build_worker
from workers.planning import planning_activity
from workflows import usecases
from workflows.usecases import GoalDetail, Services

pytestmark = pytest.mark.integration

GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"


async def stubborn_drafter(understanding: Understanding, feedback: str | None) -> list[TaskDraft]:
    """Always the same two tasks, the second running past the deadline whatever the critique says."""
    deadline = understanding.deadline.weeks
    return [
        TaskDraft(title=f"Define the {understanding.reading.object}", description="Agree what it must show.",
                  phase="discover", activity="gather business requirements for reporting"),
        TaskDraft(title=f"Build the {understanding.reading.object}", description="Build the views and data.",
                  phase="build", activity="develop business intelligence reports", depends_on=[1],
                  start_week=1, end_week=deadline + 4),
    ]


async def failing_drafter(understanding: Understanding, feedback: str | None) -> list[TaskDraft]:
    raise RuntimeError("model server unreachable")


async def _services(pool: asyncpg.Pool[Any], client: Client, tmp_path: Path, drafter: Any) -> tuple[Services, Any]:
    settings = Settings(task_queue=f"test-{uuid.uuid4().hex[:8]}", data_dir=tmp_path, review_sla_seconds=3600)
    worker = build_worker(client, settings.task_queue, pool=pool, settings=settings,
                          planner=planning_activity(build_agent_model(settings.agent_model("draft_tasks")),
                                                    drafter=drafter))
    return Services(pool=pool, client=client, settings=settings), worker


async def test_a_plan_that_never_passes_goes_to_review_with_its_open_issues(
        pool: asyncpg.Pool[Any], client: Client, tmp_path: Path) -> None:
    svc, worker = await _services(pool, client, tmp_path, stubborn_drafter)
    async with worker:
        goal_id = await usecases.submit_goal(svc, text=GOAL, manager_login="mgr.payments", submitted_by="mgr.payments")

        async def waiting() -> GoalDetail | None:
            goal = await usecases.get_goal(svc, goal_id)
            assert goal.status != "failed", goal.status_detail
            return goal if goal.status == "awaiting_plan_review" else None

        goal = await eventually(waiting, "the plan review", timeout=60)
    assert goal.plan is not None
    issues = goal.plan["open_issues"]
    assert [(i["task_id"], i["field"]) for i in issues] == [("T2", "end_week")]
    assert "after the goal's deadline" in issues[0]["message"]
    actions = [e.action for e in await usecases.audit_for_goal(svc, goal_id)]
    assert actions.count("agent.plan.revise") == MAX_REVISIONS
    assert actions.count("agent.plan.check") == MAX_REVISIONS + 1
    review = await usecases.get_review(svc, review_id_of(goal))
    assert review.arguments["open_issues"] == issues, "the reviewer sees what is still wrong"


async def test_a_drafter_that_fails_ends_the_goal_with_the_reason(
        pool: asyncpg.Pool[Any], client: Client, tmp_path: Path) -> None:
    svc, worker = await _services(pool, client, tmp_path, failing_drafter)
    async with worker:
        goal_id = await usecases.submit_goal(svc, text=GOAL, manager_login="mgr.payments", submitted_by="mgr.payments")

        async def failed() -> GoalDetail | None:
            goal = await usecases.get_goal(svc, goal_id)
            return goal if goal.status == "failed" else None

        goal = await eventually(failed, "the goal to fail", timeout=120)
    assert "model server unreachable" in (goal.status_detail or "")
