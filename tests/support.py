"""Helpers shared by the test modules (imported as ``support``: pytest puts ``tests/`` on the path)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import asyncpg
import httpx
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from infra.store import users
from infra.store.moves import MoveKey
from infra.store.reviews import Review
from infra.store.users import User
from workflows import usecases
from workflows.usecases import GoalDetail, Services
from workflows.usecases import moves as move_cases

T = TypeVar("T")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
"""Debian's Chromium, for the browser tests (no `playwright install`)."""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
"""Chromium flags that work in this sandbox."""
CSRF_HEADER = "X-CSRF-Token"
"""Header with the session's CSRF token: sign-in answers carry it; the console's HTML forms need it back."""


def keep_csrf_token(client: httpx.AsyncClient, signed_in: httpx.Response) -> None:
    """Send the session's CSRF token (from a sign-in answer) with every later request of ``client``, as the
    console's own pages do with their hidden ``csrf_token`` field (state-changing HTML routes refuse requests
    without it)."""
    client.headers[CSRF_HEADER] = signed_in.headers[CSRF_HEADER]


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


def review_id_of(goal: GoalDetail) -> str:
    """The id of the goal's latest review (failing when it has none: callers expect one)."""
    assert goal.review is not None, f"goal {goal.goal_id} ({goal.status}) has no review"
    return goal.review.review_id


async def approve_plan(svc: Services, goal_id: str, *, reviewer: str = "hr.reviewer2",
                       timeout: float = 60) -> str | None:
    """Approve the goal's plan review when the trust ramp sampled one; the review id, or None if not sampled.

    New action types start at 100% review, so in tests every plan is reviewed before staffing.
    """
    async def planned() -> GoalDetail | None:
        goal = await usecases.get_goal(svc, goal_id)
        if goal.status == "failed":
            raise AssertionError(f"goal failed: {goal.status_detail}")
        return goal if goal.status in ("awaiting_plan_review", "awaiting_review", "parked", "rejected") else None

    goal = await eventually(planned, f"goal {goal_id} to be planned", timeout=timeout)
    if goal.status != "awaiting_plan_review":
        return None
    review_id = review_id_of(goal)
    await usecases.decide_review(svc, review_id=review_id, decision="approve", reviewer=reviewer)
    return review_id


def swap_candidates(review: Review | dict[str, Any], task_id: str) -> list[dict[str, Any]]:
    """Alternates the matcher offered for a task whom a swap cannot overbook: not already on the goal, and with
    at least the task's share of free time (the ``free capacity: N%`` evidence line).

    ``review`` is the use case's record or the JSON API's review (a dict)."""
    arguments, evidence = ((review.arguments, review.evidence) if isinstance(review, Review)
                           else (review["arguments"], review["evidence"]))
    assignments = arguments["assignments"]
    booked = {a["employee_id"] for a in assignments}
    fraction = next(a["fraction"] for a in assignments if a["task_id"] == task_id)
    task = next(t for t in evidence["proposal"]["tasks"] if t["task_id"] == task_id)
    fitting = []
    for candidate in task["candidates"]:
        free = next((int(line.split(": ")[1].rstrip("%")) for line in candidate["evidence"]
                     if line.startswith("free capacity: ")), 0)
        if candidate["employee_id"] not in booked and free / 100 >= fraction:
            fitting.append(candidate)
    return fitting


async def unbooked_person(svc: Services) -> tuple[str, str, str]:
    """Someone of the demo organisation booked nowhere, at full capacity, who manages nobody, has their own demo
    login, and whose line manager can sign in: ``(employee_id, their login, their line manager's login)``.

    Picked from the end of the organisation so that tests which book people one by one never pick the same one.
    """
    row = await svc.pool.fetchrow(
        "SELECT e.employee_id, (SELECT min(u.login) FROM users u WHERE u.employee_id = e.employee_id) AS login,"
        " (SELECT min(u.login) FROM users u WHERE u.employee_id = e.manager_id) AS manager_login"
        " FROM employees e WHERE e.capacity_pct = 100 AND e.manager_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.employee_id = e.employee_id)"
        " AND NOT EXISTS (SELECT 1 FROM employees r WHERE r.manager_id = e.employee_id)"
        " AND EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.employee_id AND u.role = 'employee')"
        " AND EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.manager_id)"
        " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.employee_id AND u.role <> 'employee')"
        " ORDER BY e.employee_id DESC LIMIT 1")
    assert row is not None, "the demo organisation has nobody left unbooked"
    return row["employee_id"], row["login"], row["manager_login"]


async def staff_person(svc: Services, employee_id: str, *, goal_text: str, manager: str = "mgr.payments",
                       reviewer: str = "hr.reviewer") -> tuple[str, str]:
    """Submit a goal, approve its plan and staff ``employee_id`` on its first task (a reviewer's edit); wait until
    the goal is staffed. Returns ``(goal_id, task_id)``."""
    goal_id = await usecases.submit_goal(svc, text=goal_text, manager_login=manager, submitted_by=manager)
    await approve_plan(svc, goal_id)

    async def awaiting() -> GoalDetail | None:
        goal = await usecases.get_goal(svc, goal_id)
        assert goal.status != "failed", goal.status_detail
        return goal if goal.status == "awaiting_review" else None

    review = await usecases.get_review(svc, review_id_of(await eventually(awaiting, "the staffing review")))
    task_id = review.arguments["assignments"][0]["task_id"]
    await usecases.decide_review(svc, review_id=review.review_id, decision="edit", reviewer=reviewer,
                                 edits={task_id: employee_id})

    async def staffed() -> GoalDetail | None:
        goal = await usecases.get_goal(svc, goal_id)
        return goal if goal.status == "staffed" else None

    await eventually(staffed, "the goal to be staffed")
    return goal_id, task_id


async def move_state(svc: Services, goal_id: str, task_id: str, employee_id: str) -> str | None:
    """The stored state of one person's move onto one task (None: no such assignment)."""
    state: str | None = await svc.pool.fetchval(
        "SELECT state FROM assignments WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3",
        goal_id, task_id, employee_id)
    return state


async def user_of(svc: Services, login: str) -> User:
    """The user record of a login (failing when there is none)."""
    found = await users.get(svc.pool, login)
    assert found is not None, login
    return found


async def released_person(svc: Services, *, goal_text: str) -> tuple[MoveKey, str, str]:
    """Someone staffed (``staff_person``), who accepted and whose line manager released them, through the use cases:
    ``(their assignment, their login, their line manager's login)``. Their onboarding starts being drafted."""
    person, login, line_manager = await unbooked_person(svc)
    goal_id, task_id = await staff_person(svc, person, goal_text=goal_text)
    await move_cases.answer_assignment(svc, await user_of(svc, login), goal_id=goal_id, task_id=task_id, accept=True)
    lm = await user_of(svc, line_manager)

    async def asked() -> bool:
        return any(r.employee_id == person and r.state == "accepted" for r in await move_cases.team_releases(svc, lm))
    await eventually(asked, "the release request")
    await move_cases.decide_release(svc, lm, goal_id=goal_id, task_id=task_id, employee_id=person, release=True)
    return MoveKey(goal_id=goal_id, task_id=task_id, employee_id=person), login, line_manager


async def onboarding_review_id(svc: Services, goal_id: str, *, status: str = "pending") -> str:
    """The id of the goal's onboarding plan review once it is opened (and in ``status``)."""
    async def probe() -> str | None:
        found: str | None = await svc.pool.fetchval(
            "SELECT review_id FROM review_requests WHERE goal_id = $1 AND action_type = 'draft_onboarding_plan'"
            " AND status = $2 ORDER BY created_at DESC LIMIT 1", goal_id, status)
        return found
    return await eventually(probe, "the onboarding plan's review")



async def withdrawing_at_the_end(pool: asyncpg.Pool[Any]) -> AsyncIterator[None]:
    """Integration and workflow modules share one database: when a module ends, the bookings of the goals it
    created are withdrawn, so that a later module's matcher does not find the people it proposes all taken by
    goals nobody looks at any more (the conftests of those folders make this an autouse module fixture)."""
    started = await pool.fetchval("SELECT clock_timestamp()")
    yield
    await pool.execute(
        "UPDATE assignments SET state = 'withdrawn' WHERE state IN ('offered', 'accepted', 'released', 'refused')"
        " AND goal_id IN (SELECT goal_id FROM goals WHERE created_at >= $1)", started)


async def skip_until(env: WorkflowEnvironment, moment: datetime) -> None:
    """Skip the test server's clock to ``moment``. Its sleep call sometimes times out while the server still holds
    time for a task just handed out (then the clock ran on in real time): ask again for what is left."""
    for _ in range(5):
        now = await env.get_current_time()
        if now >= moment:
            return
        with contextlib.suppress(RPCError):
            await env.sleep(moment - now)
    assert await env.get_current_time() >= moment, "the test server's clock would not skip"
