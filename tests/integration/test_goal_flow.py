"""Goal → plan → review → staffed / rejected, on real Temporal and real Postgres."""

from __future__ import annotations

import asyncio

import pytest
from support import approve_plan, review_id_of, swap_candidates

from infra import audit
from infra.store.reviews import Review
from workflows import usecases
from workflows.usecases import GoalDetail, Services

pytestmark = pytest.mark.integration

GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"


async def wait_for_status(svc: Services, goal_id: str, *wanted: str, timeout: float = 60) -> GoalDetail:
    """Poll the goal until it reaches one of ``wanted``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        goal = await usecases.get_goal(svc, goal_id)
        if goal.status in wanted:
            return goal
        if goal.status == "failed" or asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"goal stuck in {goal.status}: {goal.status_detail}")
        await asyncio.sleep(0.1)


async def submit_and_wait(svc: Services, text: str = GOAL) -> GoalDetail:
    goal_id = await usecases.submit_goal(svc, text=text, manager_login="mgr.payments", submitted_by="mgr.payments")
    assert await approve_plan(svc, goal_id) is not None, "a new action type starts at 100% review"
    return await wait_for_status(svc, goal_id, "awaiting_review")


async def test_goal_is_planned_and_waits_for_review(services: Services) -> None:
    goal = await submit_and_wait(services)
    assert 3 <= len(goal.tasks) <= 8
    for task in goal.tasks:
        assert task.skills and task.effort_hours > 0 and task.end_week > task.start_week
    assert max(t.end_week for t in goal.tasks) <= 6
    review = await usecases.get_review(services, review_id_of(goal))
    assert review.action_type == "propose_staffing"
    assert review.routed_because.startswith("forced")
    assert review.args_hash == audit.args_hash(review.arguments)
    proposal = review.evidence["proposal"]
    staffed = [t for t in proposal["tasks"] if t["candidates"]]
    assert staffed, "the matcher found nobody"
    for t in staffed:
        best = t["candidates"][0]
        assert best["reason"].startswith("because") and 0 < best["score"] <= 1
    pending = await usecases.list_reviews(services)
    assert review_id_of(goal) in {r.review_id for r in pending}


async def test_approve_stores_assignments_and_audits_everything(services: Services) -> None:
    goal = await submit_and_wait(services)
    review_id = review_id_of(goal)
    outcome = await usecases.decide_review(services, review_id=review_id, decision="approve", reviewer="hr.reviewer")
    assert outcome.decision == "approve"
    staffed = await wait_for_status(services, goal.goal_id, "staffed", timeout=5)
    review = await usecases.get_review(services, review_id)
    assert review.status == "approved" and review.decided_by == "hr.reviewer"
    proposed = {(a["task_id"], a["employee_id"]) for a in review.arguments["assignments"]}
    assert {(a.task_id, a.employee_id) for a in staffed.assignments} == proposed
    events = await usecases.audit_for_goal(services, goal.goal_id)
    actions = [e.action for e in events]
    for expected in ("goal.submitted", "agent.decompose_goal", "agent.propose_staffing", "review.requested",
                     "review.decided", "goal.staffed"):
        assert expected in actions
    assert actions.index("review.decided") < actions.index("goal.staffed")
    agent_event = next(e for e in events if e.action == "agent.propose_staffing")
    assert agent_event.model == "local-planner"
    assert any(c["tool"] == "find_candidates" for c in agent_event.payload["tool_calls"])
    decided = [e for e in events if e.action == "review.decided"]
    assert [e.payload["review_id"] for e in decided][-1] == review_id
    assert decided[-1].actor_type == "human" and decided[-1].actor == "hr.reviewer"
    assert decided[-1].policy_version == review.policy_version, "the policy the decision was taken under"


async def test_reject_needs_a_reason_and_ends_the_goal(services: Services) -> None:
    goal = await submit_and_wait(services)
    review_id = review_id_of(goal)
    with pytest.raises(usecases.Invalid, match="reason"):
        await usecases.decide_review(services, review_id=review_id, decision="reject", reviewer="hr.reviewer")
    await usecases.decide_review(services, review_id=review_id, decision="reject", reviewer="hr.reviewer",
                                reason="budget not approved yet")
    done = await wait_for_status(services, goal.goal_id, "rejected", timeout=5)
    assert done.status_detail == "budget not approved yet"
    assert done.assignments == []


async def test_edit_executes_the_edited_arguments(services: Services) -> None:
    goal = await submit_and_wait(services)
    review = await usecases.get_review(services, review_id_of(goal))
    first = review.arguments["assignments"][0]
    alternates = [c["employee_id"] for c in swap_candidates(review, first["task_id"])]
    # earlier tests book people of the shared demo organisation: without an alternate, someone booked nowhere
    replacement = alternates[0] if alternates else await services.pool.fetchval(
        "SELECT employee_id FROM employees e WHERE capacity_pct = 100"
        " AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.employee_id = e.employee_id)"
        " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.employee_id AND u.role <> 'employee')"
        " AND employee_id <> ALL($1::text[]) ORDER BY employee_id LIMIT 1",
        [a["employee_id"] for a in review.arguments["assignments"]])
    outcome = await usecases.decide_review(services, review_id=review.review_id, decision="edit",
                                          reviewer="hr.reviewer2", edits={first["task_id"]: replacement})
    staffed = await wait_for_status(services, goal.goal_id, "staffed", timeout=5)
    on_task = {a.employee_id for a in staffed.assignments if a.task_id == first["task_id"]}
    assert on_task == {replacement}
    events = await usecases.audit_for_goal(services, goal.goal_id)
    decided = next(e for e in events if e.action == "review.decided"
                   and e.payload["review_id"] == review.review_id)
    assert decided.args_hash == outcome.executed_args_hash != review.args_hash


async def test_second_decision_and_bad_decisions_are_refused(services: Services) -> None:
    goal = await submit_and_wait(services)
    review_id = review_id_of(goal)
    with pytest.raises(usecases.Forbidden, match=r"separation of duties|only reviewers"):
        await usecases.decide_review(services, review_id=review_id, decision="approve", reviewer="mgr.payments")
    with pytest.raises(usecases.NotFound):
        await usecases.decide_review(services, review_id="r-doesnotexist", decision="approve", reviewer="hr.reviewer")
    with pytest.raises(usecases.Conflict, match="arguments changed"):
        await usecases.decide_review(services, review_id=review_id, decision="approve", reviewer="hr.reviewer",
                                    args_hash="0" * 64)
    review = await usecases.get_review(services, review_id)
    staffed_task = review.arguments["assignments"][0]["task_id"]  # a task nobody fits has no assignment to edit
    with pytest.raises(usecases.Invalid, match="unknown employee"):
        await usecases.decide_review(services, review_id=review_id, decision="edit", reviewer="hr.reviewer",
                                    edits={staffed_task: "E9999"})
    await usecases.decide_review(services, review_id=review_id, decision="approve", reviewer="hr.reviewer")
    with pytest.raises(usecases.Conflict, match="already decided"):
        await usecases.decide_review(services, review_id=review_id, decision="reject", reviewer="hr.reviewer2",
                                    reason="too late")
    staffed = await wait_for_status(services, goal.goal_id, "staffed", timeout=5)
    assert staffed.review is not None and staffed.review.decided_by == "hr.reviewer"


async def plan_review(svc: Services, submitted_by: str = "mgr.payments") -> Review:
    """A new goal waiting for its plan review (new action types start at 100% review)."""
    goal_id = await usecases.submit_goal(svc, text=GOAL, manager_login="mgr.payments", submitted_by=submitted_by)
    goal = await wait_for_status(svc, goal_id, "awaiting_plan_review")
    return await usecases.get_review(svc, review_id_of(goal))


async def test_the_plan_is_sampled_for_review_before_anyone_is_staffed(services: Services) -> None:
    review = await plan_review(services, submitted_by="admin")
    assert review.action_type == "decompose_goal" and review.risk_tier == "low"
    assert review.routed_because == "sampled" and review.sampled is True
    assert review.arguments["tasks"] and review.args_hash == audit.args_hash(review.arguments)
    assert await services.pool.fetchval(
        "SELECT count(*) FROM review_requests WHERE goal_id = $1", review.goal_id) == 1
    routed = [e for e in await usecases.audit_for_goal(services, review.goal_id) if e.action == "review.routed"]
    assert routed and routed[0].payload["action_type"] == "decompose_goal"
    assert 0 <= routed[0].payload["draw"] < routed[0].payload["share"] == 1.0
    with pytest.raises(usecases.Forbidden, match="separation of duties"):
        await usecases.decide_review(services, review_id=review.review_id, decision="approve", reviewer="admin")


async def test_a_rejected_plan_ends_the_goal_with_the_reason_code(services: Services) -> None:
    review = await plan_review(services)
    with pytest.raises(usecases.Invalid, match="unknown reason"):
        await usecases.decide_review(services, review_id=review.review_id, decision="reject",
                                    reviewer="hr.reviewer", reason_code="because")
    await usecases.decide_review(services, review_id=review.review_id, decision="reject", reviewer="hr.reviewer",
                                reason_code="scope", reason="no testing task")
    done = await wait_for_status(services, review.goal_id, "rejected", timeout=10)
    assert done.status_detail == "plan rejected: Tasks missing, wrong or mis-sized: no testing task"
    assert await services.pool.fetchval(
        "SELECT count(*) FROM review_requests WHERE goal_id = $1", review.goal_id) == 1
    decided = next(e for e in await usecases.audit_for_goal(services, review.goal_id)
                   if e.action == "review.decided")
    assert decided.payload["reason_code"] == "scope"


async def test_an_edited_plan_is_what_gets_staffed(services: Services) -> None:
    review = await plan_review(services)
    tasks = review.arguments["tasks"]
    dropped, resized = tasks[0]["task_id"], tasks[1]["task_id"]
    with pytest.raises(usecases.Invalid, match="end_week"):
        await usecases.decide_review(services, review_id=review.review_id, decision="edit", reviewer="hr.reviewer",
                                    task_edits={resized: usecases.TaskEdit(start_week=5, end_week=5)})
    with pytest.raises(usecases.Invalid, match="cannot drop every task"):
        await usecases.decide_review(services, review_id=review.review_id, decision="edit", reviewer="hr.reviewer",
                                    task_edits={t["task_id"]: usecases.TaskEdit(drop=True) for t in tasks})
    outcome = await usecases.decide_review(
        services, review_id=review.review_id, decision="edit", reviewer="hr.reviewer",
        task_edits={dropped: usecases.TaskEdit(drop=True), resized: usecases.TaskEdit(effort_hours=7)})
    goal = await wait_for_status(services, review.goal_id, "awaiting_review")
    assert [t.task_id for t in goal.tasks] == [t["task_id"] for t in tasks[1:]]
    assert next(t for t in goal.tasks if t.task_id == resized).effort_hours == 7
    staffing = await usecases.get_review(services, review_id_of(goal))
    assert dropped not in {a["task_id"] for a in staffing.arguments["assignments"]}
    assert dropped not in {t["task_id"] for t in staffing.evidence["plan"]["tasks"]}
    plan = await usecases.get_review(services, review.review_id)
    assert plan.status == "edited" and audit.args_hash(plan.decided_arguments) == outcome.executed_args_hash
    actions = [e.action for e in await usecases.audit_for_goal(services, review.goal_id)]
    assert actions.index("review.decided") < actions.index("goal.plan_edited") < actions.index("agent.propose_staffing")


async def test_bulk_approve_takes_low_risk_reviews_only(services: Services) -> None:
    plans = [await plan_review(services) for _ in range(2)]
    staffing_goal = await submit_and_wait(services)
    staffing_id = review_id_of(staffing_goal)
    items: dict[str, str | None] = {p.review_id: p.args_hash for p in plans}
    items[staffing_id] = None
    result = await usecases.bulk_approve(services, reviewer="hr.reviewer", items=items)
    assert sorted(result.approved) == sorted(p.review_id for p in plans)
    assert set(result.refused) == {staffing_id} and "not low-risk" in result.refused[staffing_id]
    for p in plans:
        await wait_for_status(services, p.goal_id, "awaiting_review")
    assert (await usecases.get_review(services, staffing_id)).status == "pending"
    again = await usecases.bulk_approve(services, reviewer="hr.reviewer", items={plans[0].review_id: None})
    assert again.approved == [] and "already decided" in again.refused[plans[0].review_id]
    with pytest.raises(usecases.Invalid, match="at least one"):
        await usecases.bulk_approve(services, reviewer="hr.reviewer", items={})


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("do it", "too short"),
    ("qwxz vrrbt plokj mnbvc zzxq ghjk", "not ones the planner knows"),
    ("Migrate the payments ledger to the cloud within 900 years", "deadline"),
])
async def test_bad_goal_text_is_refused_before_any_workflow(services: Services, text: str, message: str) -> None:
    before = await services.pool.fetchval("SELECT count(*) FROM goals")
    with pytest.raises(usecases.Invalid, match=message):
        await usecases.submit_goal(services, text=text, manager_login="mgr.payments", submitted_by="mgr.payments")
    assert await services.pool.fetchval("SELECT count(*) FROM goals") == before


async def test_unknown_manager_is_refused(services: Services) -> None:
    with pytest.raises(usecases.Invalid, match="unknown manager"):
        await usecases.submit_goal(services, text=GOAL, manager_login="nobody", submitted_by="nobody")
    with pytest.raises(usecases.Invalid, match="not a manager"):
        await usecases.submit_goal(services, text=GOAL, manager_login="hr.reviewer", submitted_by="hr.reviewer")
