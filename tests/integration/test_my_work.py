"""My work: a staffed person sees the tasks they are staffed on (issue 13's first piece), on real Temporal and
Postgres."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest
from support import approve_plan, eventually, review_id_of, unbooked_person

from workflows import usecases
from workflows.usecases import GoalDetail, Services, moves

pytestmark = pytest.mark.integration
ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
PASSWORD = "a-long-password-for-tests"
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"


async def test_a_staffed_person_sees_their_task_and_nobody_elses(services: Services, connect: ClientFactory) -> None:
    employee_id, login, _ = await unbooked_person(services)  # booked nowhere, signing in with their own demo login
    person = await connect(login)
    before = (await person.get("/api/me/assignments")).json()
    assert before == {"data": [], "count": 0}
    assert "Nobody has staffed you" in (await person.get("/me/work")).text

    goal_id = await usecases.submit_goal(services, text=GOAL, manager_login="mgr.payments",
                                         submitted_by="mgr.payments")
    await approve_plan(services, goal_id)

    async def awaiting() -> GoalDetail | None:
        goal = await usecases.get_goal(services, goal_id)
        assert goal.status != "failed", goal.status_detail
        return goal if goal.status == "awaiting_review" else None

    review = await usecases.get_review(services, review_id_of(await eventually(awaiting, "the staffing review")))
    task_id = review.arguments["assignments"][0]["task_id"]
    await usecases.decide_review(services, review_id=review.review_id, decision="edit", reviewer="hr.reviewer",
                                 edits={task_id: employee_id})

    async def staffed() -> GoalDetail | None:
        goal = await usecases.get_goal(services, goal_id)
        return goal if goal.status == "staffed" else None

    goal = await eventually(staffed, "the goal to be staffed")
    task = next(t for t in goal.tasks if t.task_id == task_id)
    mine = (await person.get("/api/me/assignments")).json()
    assert mine["count"] == 1
    only = mine["data"][0]
    assert (only["goal_id"], only["task_id"], only["title"]) == (goal_id, task_id, task.title)
    assert only["starts_on"] == task.starts_on.isoformat() and only["last_day"] == task.ends_on.isoformat()
    assert 0 < only["fraction"] <= 1 and only["reason"] == "chosen by the reviewer"
    assert only["state"] == "offered" and only["release_due_at"] is None and only["line_manager"] is None
    page = await person.get("/me/work")
    assert page.status_code == 200 and task.title in page.text and f"{round(only['fraction'] * 100)}% of your time" \
        in page.text
    assert moves.STATE_WORDS["offered"] in page.text and 'value="accept">Accept</button>' in page.text

    # another person's work stays theirs
    other = await connect("mgr.data")
    assert all(a["goal_id"] != goal_id for a in (await other.get("/api/me/assignments")).json()["data"])


async def test_a_login_that_is_not_an_employee_gets_a_sentence(services: Services, connect: ClientFactory) -> None:
    login = f"norecord-{uuid.uuid4().hex[:6]}"
    await usecases.create_user(services, login=login, display_name="No Record", role="reviewer", password=PASSWORD,
                               by="test")
    client = await connect()
    assert (await client.post("/api/login", json={"login": login, "password": PASSWORD})).status_code == 200
    resp = await client.get("/api/me/assignments")
    assert resp.status_code == 404 and "no employee record" in resp.json()["detail"]
