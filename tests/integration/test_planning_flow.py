"""The planning graph end to end: a goal in managers' words is read, grounded, audited node by node, shown to
people in plain words, and staffed from the grounded tasks; a goal that cannot be planned ends with a reason."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from support import approve_plan, eventually, review_id_of

from workflows import usecases
from workflows.goal import GoalWorkflow
from workflows.messages import GoalInput
from workflows.usecases import GoalDetail, Services

pytestmark = pytest.mark.integration

WAREHOUSE = "Move our warehouse pick-and-pack process to the new WMS before peak season"


async def _status(svc: Services, goal_id: str, *wanted: str) -> GoalDetail:
    async def probe() -> GoalDetail | None:
        goal = await usecases.get_goal(svc, goal_id)
        return goal if goal.status in wanted else None
    return await eventually(probe, f"goal {goal_id} to reach {wanted}", timeout=90)


async def test_a_warehouse_goal_is_read_as_logistics_and_staffed_from_its_grounded_tasks(services: Services) -> None:
    goal_id = await usecases.submit_goal(services, text=WAREHOUSE, manager_login="mgr.payments",
                                        submitted_by="mgr.payments")
    goal = await _status(services, goal_id, "awaiting_plan_review")
    plan = goal.plan
    assert isinstance(plan, dict)
    assert plan["reading"]["domain"] == "logistics and distribution", "warehouse + pick-and-pack + WMS"
    assert plan["reading"]["kind"] == "migration"
    assert plan["reading"]["expansions"]["WMS"] == "warehouse management system"
    assert any("peak season" in a and "not a date" in a for a in plan["assumptions"])
    tasks = goal.tasks
    assert isinstance(tasks, list) and 4 <= len(tasks) <= 10
    assert all("pick-and-pack" in t.title for t in tasks), [t.title for t in tasks]
    assert all(t.occupations and t.phase and t.effort_basis for t in tasks)
    assert not any("Data Warehousing" in title for t in tasks[:1] for title in t.occupation_titles)
    assert goal.deadline_weeks is not None
    assert any(t.depends_on for t in tasks) and max(t.end_week for t in tasks) <= goal.deadline_weeks

    events = await usecases.audit_for_goal(services, goal_id)
    nodes = [e.action for e in events if e.action.startswith("agent.plan.")]
    assert nodes[:4] == ["agent.plan.understand", "agent.plan.draft", "agent.plan.ground", "agent.plan.check"]
    assert nodes[-1] == "agent.plan.plan"

    assert await approve_plan(services, goal_id) is not None
    staffing = await _status(services, goal_id, "awaiting_review")
    review = await usecases.get_review(services, review_id_of(staffing))
    people = [a["employee_id"] for a in review.arguments["assignments"]]
    departments = {r["department"] for r in await services.pool.fetch(
        "SELECT department FROM employees WHERE employee_id = ANY($1::text[])", people)}
    assert "logistics" in departments, f"a distribution-centre goal is staffed with logistics people: {departments}"


async def test_the_goal_page_shows_the_reading_in_plain_words(services: Services) -> None:
    from httpx import ASGITransport, AsyncClient

    from review_console.app import create_app

    goal_id = await usecases.submit_goal(services, text="Launch EU instant payments by Q3",
                                        manager_login="mgr.payments", submitted_by="mgr.payments")
    await _status(services, goal_id, "awaiting_plan_review")
    app = create_app(services)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as http:
        login = await http.post("/api/login", json={"login": "mgr.payments", "password": "talentops-demo"})
        assert login.status_code == 200
        page = await http.get(f"/goals/{goal_id}")
    assert page.status_code == 200
    html = page.text
    assert "How the goal was read" in html and "EU instant payments" in html
    assert "Usually done by" in html and "read as 2027" in html
    assert "Questions for the manager" in html


async def test_a_goal_that_cannot_be_planned_fails_with_the_reason(services: Services) -> None:
    """Started past the console's intake (as the Temporal UI or CLI could): the planner refuses, not retried."""
    goal_id = f"g-{uuid.uuid4().hex[:12]}"
    text = "qwxz vrrbt plokj mnbvc zzxq ghjk"
    await services.pool.execute(
        "INSERT INTO goals (goal_id, text, manager_login, department, status, workflow_id, model, starts_on,"
        " submitted_by) VALUES ($1, $2, 'mgr.payments', 'payments', 'submitted', $3, 'local-planner', $4,"
        " 'mgr.payments')", goal_id, text, f"goal-{goal_id}", date.today())
    handle = await services.temporal().start_workflow(
        GoalWorkflow.run, GoalInput(goal_id=goal_id, text=text, manager_login="mgr.payments",
                                    submitted_on=date.today().isoformat(), review_sla_seconds=3600),
        id=f"goal-{goal_id}", task_queue=services.settings.task_queue)
    assert await handle.result() == "failed"
    goal = await usecases.get_goal(services, goal_id)
    assert goal.status == "failed"
    assert "not ones the planner knows" in str(goal.status_detail)
    attempts = [e for e in (await handle.fetch_history()).events
                if e.HasField("activity_task_failed_event_attributes")]
    assert len(attempts) == 1, "a goal the planner refuses is not retried"
