"""Nobody is booked past capacity, on every path: console, API, bulk approval and execution (real Postgres and
Temporal; the tasks a goal gets are read from its review, never assumed)."""

from __future__ import annotations

import asyncio
import math
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from markupsafe import escape
from support import approve_plan, eventually, keep_csrf_token
from temporalio.api.enums.v1 import EventType
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from infra.store.reviews import Review
from infra.store.staffing import StaffingProposal
from policies import capacity
from tools.people_import.demo_org import DEMO_PASSWORD
from workers.activities import apply_staffing
from workflows import usecases
from workflows.activity_inputs import ApplyStaffing
from workflows.messages import Assignment, StaffingArguments
from workflows.usecases import GoalDetail, Services

pytestmark = pytest.mark.integration

GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
Client = httpx.AsyncClient


# --- helpers ----------------------------------------------------------------------------------------------------


@dataclass
class Scratch:
    """Rows a test adds around real goals (other goals' bookings, capacity changes), undone afterwards."""

    pool: asyncpg.Pool[Any]
    goals: list[str] = field(default_factory=list)
    capacities: dict[str, int] = field(default_factory=dict)

    async def other_goal(self, starts_on: date, status: str = "staffed") -> tuple[str, str]:
        """A bare goal of another manager with a decided review, to hang stored assignments on."""
        goal_id = f"g-cap{uuid.uuid4().hex[:9]}"
        review_id = f"r-{goal_id}"
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO goals (goal_id, text, manager_login, status, workflow_id, model, starts_on, submitted_by)"
                " VALUES ($1, 'capacity test: another goal', 'mgr.data', $2, $3, 'test', $4, 'mgr.data')",
                goal_id, status, f"goal-{goal_id}", starts_on)
            await conn.execute(
                "INSERT INTO review_requests (review_id, goal_id, workflow_id, action_type, arguments, args_hash,"
                " evidence, explanation, risk_tier, policy_version, routed_because, requested_by, status, due_at)"
                " VALUES ($1, $2, $3, 'propose_staffing', '{}'::jsonb, '', '{}'::jsonb, '', 'high', 'test',"
                " 'test', 'mgr.data', 'approved', now())", review_id, goal_id, f"goal-{goal_id}")
        self.goals.append(goal_id)
        return goal_id, review_id

    async def book(self, employee_id: str, fraction: float, starts_on: date, ends_on: date) -> str:
        """Store an assignment of another goal for ``employee_id`` between two dates; the goal's id."""
        goal_id, review_id = await self.other_goal(starts_on)
        weeks = math.ceil((ends_on - starts_on).days / 7)
        await self.pool.execute(
            "INSERT INTO assignments (goal_id, task_id, employee_id, fraction, start_week, end_week, score, reason,"
            " review_id, starts_on, ends_on) VALUES ($1, 'T1', $2, $3, 0, $4, 0, 'capacity test', $5, $6, $7)",
            goal_id, employee_id, fraction, weeks, review_id, starts_on, ends_on)
        return goal_id

    async def set_capacity(self, employee_id: str, pct: int) -> None:
        old = await self.pool.fetchval("SELECT capacity_pct FROM employees WHERE employee_id = $1", employee_id)
        self.capacities.setdefault(employee_id, old)
        await self.pool.execute("UPDATE employees SET capacity_pct = $2 WHERE employee_id = $1", employee_id, pct)

    async def undo(self) -> None:
        await self.pool.execute("DELETE FROM assignments WHERE goal_id = ANY($1::text[])", self.goals)
        await self.pool.execute("DELETE FROM review_requests WHERE goal_id = ANY($1::text[])", self.goals)
        await self.pool.execute("DELETE FROM goals WHERE goal_id = ANY($1::text[])", self.goals)
        for employee_id, pct in self.capacities.items():
            await self.pool.execute("UPDATE employees SET capacity_pct = $2 WHERE employee_id = $1", employee_id, pct)


@pytest.fixture
async def scratch(pool: asyncpg.Pool[Any]) -> AsyncIterator[Scratch]:
    s = Scratch(pool)
    yield s
    await s.undo()


@pytest.fixture
async def connect(app: FastAPI) -> AsyncIterator[Callable[[str, bool], Awaitable[Client]]]:
    """``await connect(login, api)``: a client signed in through the API (JSON) or the login form (pages)."""
    opened: list[Client] = []

    async def make(login: str, api: bool) -> Client:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        opened.append(client)
        if api:
            resp = await client.post("/api/login", json={"login": login, "password": DEMO_PASSWORD})
            assert resp.status_code == 200, resp.text
        else:
            resp = await client.post("/login", data={"login": login, "password": DEMO_PASSWORD, "next": "/"})
            assert resp.status_code == 303, resp.text
        keep_csrf_token(client, resp)
        return client

    yield make
    for client in opened:
        await client.aclose()


async def staffing_review(svc: Services) -> Review:
    """A new goal of mgr.payments waiting for its staffing review; the review (with the goal's ``starts_on``)."""
    goal_id = await usecases.submit_goal(svc, text=GOAL, manager_login="mgr.payments", submitted_by="mgr.payments")
    await approve_plan(svc, goal_id)

    async def ready() -> GoalDetail | None:
        goal = await usecases.get_goal(svc, goal_id)
        if goal.status in ("failed", "rejected"):
            raise AssertionError(f"goal {goal_id} ended {goal.status}: {goal.status_detail}")
        return goal if goal.status == "awaiting_review" else None

    goal = await eventually(ready, f"goal {goal_id} to wait for its staffing review")
    assert goal.review is not None, "a goal awaiting its staffing review has a review"
    review = await usecases.get_review(svc, goal.review.review_id)
    assert review.arguments["assignments"], "the proposal staffed nobody"
    assert review.starts_on == goal.starts_on
    return review


async def free_people(svc: Services, count: int,
                      exclude: set[str] | frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """People with nothing stored at all, full capacity, and no login but an employee's (so never the reviewer)."""
    rows = await svc.pool.fetch(
        "SELECT e.employee_id, e.name FROM employees e WHERE e.capacity_pct = 100"
        " AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.employee_id = e.employee_id)"
        " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.employee_id AND u.role <> 'employee')"
        " AND NOT (e.employee_id = ANY($1::text[])) ORDER BY e.employee_id DESC LIMIT $2", sorted(exclude), count)
    assert len(rows) == count, "not enough free people in the demo organisation"
    return [dict(r) for r in rows]


def weeks_label(starts_on: date, first: int, last: int) -> str:
    """How a refusal names weeks ``first``..``last`` (inclusive) of a goal starting on ``starts_on``."""
    weeks = f"week {first}" if first == last else f"weeks {first}–{last}"
    span = capacity.date_span(starts_on + timedelta(weeks=first), starts_on + timedelta(weeks=last + 1, days=-1))
    return f"{weeks} ({span})"


def week_window(starts_on: date, a: dict[str, Any]) -> tuple[date, date]:
    return starts_on + timedelta(weeks=a["start_week"]), starts_on + timedelta(weeks=a["end_week"])


async def stored(svc: Services, goal_id: str) -> list[dict[str, Any]]:
    rows = await svc.pool.fetch("SELECT task_id, employee_id, fraction FROM assignments WHERE goal_id = $1", goal_id)
    return [dict(r) for r in rows]


async def still_pending(svc: Services, review: Review) -> None:
    assert (await usecases.get_review(svc, review.review_id)).status == "pending"
    goal = await usecases.get_goal(svc, review.goal_id)
    assert goal.status == "awaiting_review" and goal.assignments == []


def overlapping_pair(assignments: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    for i, x in enumerate(assignments):
        for y in assignments[i + 1:]:
            if x["start_week"] < y["end_week"] and y["start_week"] < x["end_week"]:
                return x, y
    return None


async def lock_waiters(pool: asyncpg.Pool[Any], employee_id: str) -> int:
    """Transactions waiting for the capacity lock of ``employee_id``."""
    return int(await pool.fetchval(
        "SELECT count(*) FROM pg_locks l, (SELECT hashtextextended($1, 0) AS k) key"
        " WHERE l.locktype = 'advisory' AND NOT l.granted"
        " AND l.classid::bigint = (key.k >> 32) & 4294967295 AND l.objid::bigint = key.k & 4294967295",
        capacity.LOCK_NAMESPACE + employee_id))


# --- console, API, bulk -------------------------------------------------------------------------------------------


async def test_a_swap_putting_one_person_on_two_overlapping_tasks_is_refused_with_who_and_when(
        services: Services, scratch: Scratch, connect: Callable[[str, bool], Awaitable[Client]]) -> None:
    review = await staffing_review(services)
    pair = overlapping_pair(review.arguments["assignments"])
    assert pair is not None, "a plan's phases overlap (the build tasks run side by side)"
    x, y = pair
    [person] = await free_people(services, 1, {a["employee_id"] for a in review.arguments["assignments"]})
    pct = math.ceil(max(x["fraction"], y["fraction"]) * 100)
    if x["fraction"] + y["fraction"] <= 1:
        await scratch.set_capacity(person["employee_id"], pct)  # each task fits alone, both together do not
    else:
        pct = 100
    assert x["fraction"] + y["fraction"] > pct / 100
    label = weeks_label(review.starts_on, max(x["start_week"], y["start_week"]),
                        min(x["end_week"], y["end_week"]) - 1)
    edits = {x["task_id"]: person["employee_id"], y["task_id"]: person["employee_id"]}

    with pytest.raises(usecases.Conflict) as refused:
        await usecases.decide_review(services, review_id=review.review_id, decision="edit",
                                    reviewer="hr.reviewer", edits=edits)
    message = refused.value.message
    assert f"{person['name']} ({person['employee_id']}) would be booked " in message
    assert f"% in {label}; free capacity {pct}%" in message
    assert f"this goal puts them on {x['task_id']} at " in message and f" and {y['task_id']} at " in message

    api = await connect("hr.reviewer", True)
    resp = await api.post(f"/api/reviews/{review.review_id}/decision",
                          json={"decision": "edit", "args_hash": review.args_hash, "edits": edits})
    assert resp.status_code == 409 and resp.json() == {"detail": message}
    await still_pending(services, review)

    # one task each fits: the review was waiting all along
    outcome = await usecases.decide_review(services, review_id=review.review_id, decision="edit",
                                          reviewer="hr.reviewer", edits={x["task_id"]: person["employee_id"]})
    assert outcome.decision == "edit"
    await eventually(lambda: stored(services, review.goal_id), "the edited staffing to be stored", timeout=15)
    assert {a["task_id"] for a in await stored(services, review.goal_id)
            if a["employee_id"] == person["employee_id"]} == {x["task_id"]}


async def test_approve_is_refused_when_another_goal_already_fills_someone_and_bulk_does_not_bypass_it(
        services: Services, scratch: Scratch, connect: Callable[[str, bool], Awaitable[Client]]) -> None:
    review = await staffing_review(services)
    first = review.arguments["assignments"][0]
    who = first["employee_id"]
    name = (await usecases.employee_names(services, [who]))[who]
    other_goal = await scratch.book(who, 1.0, *week_window(review.starts_on, first))
    label = weeks_label(review.starts_on, first["start_week"], first["end_week"] - 1)

    with pytest.raises(usecases.Conflict) as refused:
        await usecases.decide_review(services, review_id=review.review_id, decision="approve",
                                    reviewer="hr.reviewer")
    message = refused.value.message
    assert f"{name} ({who}) would be booked " in message and f"% in {label}; free capacity 0%" in message
    assert "already booked on other goals" in message
    assert f"{first['task_id']} at {round(first['fraction'] * 100, 1):g}%" in message

    api = await connect("hr.reviewer", True)
    resp = await api.post(f"/api/reviews/{review.review_id}/decision",
                          json={"decision": "approve", "args_hash": review.args_hash})
    assert resp.status_code == 409 and resp.json() == {"detail": message}
    result = await usecases.bulk_approve(services, reviewer="hr.reviewer", items={review.review_id: None})
    assert result.approved == [] and review.review_id in result.refused
    resp = await api.post("/api/reviews/bulk-approve", json={"items": [{"review_id": review.review_id}]})
    assert resp.status_code == 200 and resp.json()["approved"] == []
    await still_pending(services, review)

    # once the other goal's booking is gone, the same approval goes through
    await services.pool.execute("DELETE FROM assignments WHERE goal_id = $1", other_goal)
    await usecases.decide_review(services, review_id=review.review_id, decision="approve", reviewer="hr.reviewer")
    await eventually(lambda: stored(services, review.goal_id), "the approved staffing to be stored", timeout=15)


async def test_the_review_page_shows_the_refusal_and_keeps_the_swap(
        services: Services, scratch: Scratch, connect: Callable[[str, bool], Awaitable[Client]]) -> None:
    review = await staffing_review(services)
    reviewers = {r["employee_id"] for r in await services.pool.fetch(
        "SELECT employee_id FROM users WHERE role <> 'employee'")}  # every employee signs in; these may review
    proposal = {t["task_id"]: t for t in review.evidence["proposal"]["tasks"]}
    choice = next(((a, c) for a in review.arguments["assignments"]
                   for c in proposal[a["task_id"]]["candidates"]
                   if c["employee_id"] != a["employee_id"] and c["employee_id"] not in reviewers), None)
    assert choice is not None, "the matcher offers more than one candidate for some task"
    task, swap = choice
    await scratch.book(swap["employee_id"], 1.0, *week_window(review.starts_on, task))

    page = await connect("hr.reviewer", False)
    resp = await page.post(f"/reviews/{review.review_id}/decision",
                           data={"decision": "edit", "reason": "", "args_hash": review.args_hash,
                                 f"edit_{task['task_id']}": swap["employee_id"]})
    assert resp.status_code == 409
    found = re.search(r'<p class="error" role="alert">([^<]*)</p>', resp.text)
    assert found, "no error shown on the page"
    shown = found.group(1)
    assert str(escape(f"{swap['name']} ({swap['employee_id']}) would be booked ")) in shown
    assert str(escape(weeks_label(review.starts_on, task["start_week"], task["end_week"] - 1))) in shown
    assert "free capacity 0%" in shown
    assert f'<option value="{swap["employee_id"]}" selected>{escape(swap["name"])}</option>' in resp.text
    assert 'data-testid="review-status" data-status="pending"' in resp.text
    await still_pending(services, review)


# --- execution ----------------------------------------------------------------------------------------------------


async def test_two_staffings_applied_at_once_cannot_overbook_anyone(services: Services, scratch: Scratch) -> None:
    """The activity itself, twice in concurrent transactions, both waiting on the same person's lock."""
    today = date.today()
    [person] = await free_people(services, 1)
    eid = person["employee_id"]
    goals = [await scratch.other_goal(today, status="awaiting_review") for _ in range(2)]
    jobs = [ApplyStaffing(goal_id=goal_id, review_id=review_id,
                          arguments=StaffingArguments(assignments=[
                              Assignment(task_id="T1", employee_id=eid, fraction=0.6, start_week=n, end_week=n + 3)]),
                          proposal=StaffingProposal(tasks=[], explanation="capacity test"))
            for n, (goal_id, review_id) in enumerate(goals)]

    async with services.pool.acquire() as holder:
        held = holder.transaction()
        await held.start()
        await capacity.lock_employees(holder, [eid])
        runs = [asyncio.create_task(ActivityEnvironment().run(apply_staffing, job)) for job in jobs]

        async def both_waiting() -> bool:
            return await lock_waiters(services.pool, eid) == 2

        await eventually(both_waiting, "both activities to wait for the person's lock", timeout=10)
        await held.rollback()
    results = await asyncio.gather(*runs, return_exceptions=True)

    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1 and results.count(None) == 1, results
    err = failures[0]
    assert isinstance(err, ApplicationError) and err.type == "OverCapacity" and err.non_retryable
    loser = jobs[results.index(err)]
    winner = jobs[1 - results.index(err)]
    assert err.message.startswith(f"{person['name']} ({eid}) would be booked 120% in weeks ")
    assert "free capacity 40% (60% already booked on other goals); this goal puts them on T1 at 60%." in err.message
    assert await stored(services, loser.goal_id) == [], "the refused staffing wrote nothing"
    assert await services.pool.fetchval("SELECT status FROM goals WHERE goal_id = $1", loser.goal_id) == (
        "awaiting_review")
    assert [a["employee_id"] for a in await stored(services, winner.goal_id)] == [eid]
    # executing the winner again (an activity retry) is not refused by its own rows
    await ActivityEnvironment().run(apply_staffing, winner)


async def test_two_goals_approved_at_once_staff_the_contested_person_once(services: Services,
                                                                          scratch: Scratch) -> None:
    """Two real workflows whose swaps each fit alone pass the console together; execution lets one through."""
    first, second = await staffing_review(services), await staffing_review(services)
    assert first.starts_on == second.starts_on
    pair = next(((x, y) for x in first.arguments["assignments"] for y in second.arguments["assignments"]
                 if x["start_week"] < y["end_week"] and y["start_week"] < x["end_week"]), None)
    assert pair is not None, "two plans of the same goal text share no week"
    x, y = pair
    taken = {a["employee_id"] for r in (first, second) for a in r.arguments["assignments"]}
    people = await free_people(services, len(second.arguments["assignments"]), taken)
    contested = people[0]["employee_id"]
    pct = math.ceil(max(x["fraction"], y["fraction"]) * 100)
    if x["fraction"] + y["fraction"] > 1:
        pct = 100
    await scratch.set_capacity(contested, pct)
    assert x["fraction"] + y["fraction"] > pct / 100
    # the second goal gets people of its own everywhere, so the contested person is the only one they share
    edits_second = {a["task_id"]: p["employee_id"] for a, p in zip(
        [a for a in second.arguments["assignments"] if a["task_id"] != y["task_id"]], people[1:], strict=False)}
    edits_second[y["task_id"]] = contested

    async with services.pool.acquire() as holder:
        held = holder.transaction()
        await held.start()
        await capacity.lock_employees(holder, [contested])
        decided = await asyncio.gather(
            usecases.decide_review(services, review_id=first.review_id, decision="edit", reviewer="hr.reviewer",
                                  edits={x["task_id"]: contested}),
            usecases.decide_review(services, review_id=second.review_id, decision="edit", reviewer="hr.reviewer2",
                                  edits=edits_second))
        assert [d.decision for d in decided] == ["edit", "edit"], "nothing is stored yet: both pass the console"

        async def both_waiting() -> bool:
            return await lock_waiters(services.pool, contested) == 2

        await eventually(both_waiting, "both goals' apply_staffing to wait for the contested person", timeout=20)
        await held.rollback()

    async def over_capacity_failure(review: Review) -> str | None:
        handle = services.temporal().get_workflow_handle(review.workflow_id)
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
                failure = event.activity_task_failed_event_attributes.failure
                if failure.application_failure_info.type == "OverCapacity":
                    return failure.message
        return None

    async def settled() -> tuple[list[list[dict[str, Any]]], list[str | None]] | None:
        rows = [await stored(services, r.goal_id) for r in (first, second)]
        failed = [await over_capacity_failure(r) for r in (first, second)]
        return (rows, failed) if sum(bool(r) for r in rows) == 1 and sum(bool(f) for f in failed) == 1 else None

    rows, failed = await eventually(settled, "one staffing stored and the other refused at execution", timeout=30)
    winner = 0 if rows[0] else 1
    assert failed[winner] is None and rows[1 - winner] == []
    message = failed[1 - winner]
    assert message is not None
    assert message.startswith(f"{people[0]['name']} ({contested}) would be booked ")
    contested_load = await services.pool.fetchval(
        "SELECT coalesce(sum(fraction), 0) FROM assignments WHERE employee_id = $1", contested)
    assert contested_load <= pct / 100 + 1e-6

    # the refused goal is not left hanging: it proposes again from the bookings as they are now
    loser = (first, second)[1 - winner]

    async def proposed_again() -> GoalDetail | None:
        goal = await usecases.get_goal(services, loser.goal_id)
        review = goal.review
        fresh = review and review.review_id != loser.review_id and review.status == "pending"
        return goal if fresh and goal.status == "awaiting_review" else None

    goal = await eventually(proposed_again, "the refused goal's new staffing review", timeout=60)
    events = await usecases.audit_for_goal(services, loser.goal_id)
    again = [e for e in events if e.action == "goal.staffing"]
    assert again and again[-1].payload["detail"].startswith("proposing again: ")
    assert goal.review is not None
    fresh = await usecases.get_review(services, goal.review.review_id)
    async with services.pool.acquire() as conn:
        assert await capacity.check_goal(conn, loser.goal_id, StaffingArguments.model_validate(
            fresh.arguments).assignments) == [], "the new proposal fits everyone's capacity"
