"""The goal workflow after staffing on Temporal's time-skipping test server, with its real activities, Postgres and
the use cases the console calls: a decline is proposed again through a review, a refused release goes to HR who
upholds it (the task is proposed again), and a line manager who stays silent for three working days releases by
the policy. A week passes in seconds."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from pydantic_ai.durable_exec.temporal import PydanticAIPlugin
from support import approve_plan, eventually, move_state, review_id_of, skip_until
from temporalio.testing import WorkflowEnvironment
from test_review_timeout import test_server_path

from infra.settings import Settings
from infra.store import users
from workers.main import build_worker
from workflows import usecases
from workflows.usecases import GoalDetail, Services
from workflows.usecases import moves as move_cases

pytestmark = pytest.mark.integration
GOAL = "Get the contact centre ready for the PCI DSS audit in 10 weeks"


async def staffed_goal(svc: Services) -> GoalDetail:
    goal_id = await usecases.submit_goal(svc, text=GOAL, manager_login="mgr.payments", submitted_by="mgr.payments")
    await approve_plan(svc, goal_id)

    async def awaiting() -> GoalDetail | None:
        goal = await usecases.get_goal(svc, goal_id)
        assert goal.status != "failed", goal.status_detail
        return goal if goal.status == "awaiting_review" else None
    goal = await eventually(awaiting, "the staffing review")
    await usecases.decide_review(svc, review_id=review_id_of(goal), decision="approve", reviewer="hr.reviewer")

    async def offered() -> GoalDetail | None:
        found = await usecases.get_goal(svc, goal_id)
        rows = await svc.pool.fetch("SELECT offered_at FROM assignments WHERE goal_id = $1", goal_id)
        return found if rows and all(r["offered_at"] for r in rows) else None
    return await eventually(offered, "every offer")


async def pending(svc: Services, goal_id: str, action_type: str) -> Any:
    async def probe() -> Any:
        return await svc.pool.fetchrow("SELECT * FROM review_requests WHERE goal_id = $1 AND action_type = $2"
                                       " AND status = 'pending'", goal_id, action_type)
    return await eventually(probe, f"a pending {action_type} review")


async def person(svc: Services, employee_id: str) -> users.User:
    login = await svc.pool.fetchval("SELECT min(login) FROM users WHERE employee_id = $1", employee_id)
    found = await users.get(svc.pool, login)
    assert found is not None
    return found


async def line_manager(svc: Services, employee_id: str) -> users.User | None:
    manager = await svc.pool.fetchval("SELECT manager_id FROM employees WHERE employee_id = $1", employee_id)
    return await person(svc, manager) if manager else None


async def test_decline_refusal_and_silence_after_staffing(pool: asyncpg.Pool[Any], tmp_path: Path) -> None:
    async with await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=test_server_path(), plugins=[PydanticAIPlugin()]) as env:
        settings = Settings(task_queue=f"moves-{uuid.uuid4().hex[:8]}", data_dir=tmp_path, review_sla_seconds=3600)
        svc = Services(pool=pool, client=env.client, settings=settings)
        async with build_worker(env.client, settings.task_queue, pool=pool, settings=settings):
            goal = await staffed_goal(svc)
            staffed = {a.task_id: a.employee_id for a in goal.assignments}
            with_managers = [(t, e) for t, e in sorted(staffed.items()) if await line_manager(svc, e) is not None]
            assert len({e for _, e in with_managers}) >= 3, "three people with line managers to run the three paths"
            distinct: dict[str, str] = {}
            for task, employee in with_managers:
                distinct.setdefault(employee, task)
            (decliner, t_decline), (refused, t_refuse), (silent, t_silent) = list(distinct.items())[:3]

            # a decline: proposed again through a review, never silently
            await move_cases.answer_assignment(svc, await person(svc, decliner), goal_id=goal.goal_id,
                                               task_id=t_decline, accept=False, reason="I move to Lisbon in March")
            review = await pending(svc, goal.goal_id, "repropose_declined_task")
            proposed = review["arguments"]["assignments"]
            assert [a["task_id"] for a in proposed] == [t_decline] and proposed[0]["employee_id"] != decliner
            await usecases.decide_review(svc, review_id=review["review_id"], decision="approve",
                                         reviewer="hr.reviewer")

            async def new_offer() -> bool:
                return await move_state(svc, goal.goal_id, t_decline, proposed[0]["employee_id"]) == "offered"
            await eventually(new_offer, "the new person's offer")

            # a refusal: HR upholds it, the move is withdrawn, the task is proposed again
            lm = await line_manager(svc, refused)
            assert lm is not None
            await move_cases.answer_assignment(svc, await person(svc, refused), goal_id=goal.goal_id,
                                               task_id=t_refuse, accept=True)
            await eventually(lambda: svc.pool.fetchval(
                "SELECT release_due_at FROM assignments WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3",
                goal.goal_id, t_refuse, refused), "the release request")
            await move_cases.decide_release(svc, lm, goal_id=goal.goal_id, task_id=t_refuse, employee_id=refused,
                                            release=False, reason="quarter-end close needs them")
            hr_review = await pending(svc, goal.goal_id, "override_release_refusal")
            assert "quarter-end close needs them" in hr_review["explanation"]
            await usecases.decide_review(svc, review_id=hr_review["review_id"], decision="reject",
                                         reviewer="hr.reviewer", reason="the close comes first this quarter")

            async def withdrawn() -> bool:
                return await move_state(svc, goal.goal_id, t_refuse, refused) == "withdrawn"
            await eventually(withdrawn, "the withdrawn move")
            again = await pending(svc, goal.goal_id, "repropose_declined_task")
            assert again["arguments"]["assignments"][0]["employee_id"] != refused

            # silence: three working days later the policy releases
            await move_cases.answer_assignment(svc, await person(svc, silent), goal_id=goal.goal_id,
                                               task_id=t_silent, accept=True)
            await eventually(lambda: svc.pool.fetchval(
                "SELECT release_due_at FROM assignments WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3",
                goal.goal_id, t_silent, silent), "the release request")
            await skip_until(env, await env.get_current_time() + timedelta(days=5, hours=1))

            async def released() -> bool:
                return await move_state(svc, goal.goal_id, t_silent, silent) == "released"
            await eventually(released, "the release by silence")
            assert await pool.fetchval(
                "SELECT released_by_silence FROM assignments WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3",
                goal.goal_id, t_silent, silent)

    trail = [r["action"] for r in await pool.fetch(
        "SELECT action FROM audit_events WHERE goal_id = $1 ORDER BY seq", goal.goal_id)]
    assert trail.count("move.declined") == 1 and trail.count("move.refusal_upheld") == 1
    assert trail.count("goal.restaffed") == 1 and "move.released" in trail
