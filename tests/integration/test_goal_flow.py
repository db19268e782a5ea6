"""Goal → plan → review → staffed / rejected, on real Temporal and real Postgres."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from infra import audit
from review_console import service
from review_console.service import Services

pytestmark = pytest.mark.integration

GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"


async def wait_for_status(svc: Services, goal_id: str, *wanted: str, timeout: float = 60) -> dict[str, Any]:
    """Poll the goal until it reaches one of ``wanted``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        goal = await service.get_goal(svc, goal_id)
        if goal["status"] in wanted:
            return goal
        if goal["status"] == "failed" or asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"goal stuck in {goal['status']}: {goal['status_detail']}")
        await asyncio.sleep(0.1)


async def submit_and_wait(svc: Services, text: str = GOAL) -> dict[str, Any]:
    goal_id = await service.submit_goal(svc, text=text, manager_login="mgr.payments", submitted_by="mgr.payments")
    return await wait_for_status(svc, goal_id, "awaiting_review")


async def test_goal_is_planned_and_waits_for_review(services: Services) -> None:
    goal = await submit_and_wait(services)
    assert 3 <= len(goal["tasks"]) <= 8
    for task in goal["tasks"]:
        assert task["skills"] and task["effort_hours"] > 0 and task["end_week"] > task["start_week"]
    assert max(t["end_week"] for t in goal["tasks"]) <= 6
    review = await service.get_review(services, goal["review"]["review_id"])
    assert review["action_type"] == "propose_staffing"
    assert review["routed_because"].startswith("forced")
    assert review["args_hash"] == audit.args_hash(review["arguments"])
    proposal = review["evidence"]["proposal"]
    staffed = [t for t in proposal["tasks"] if t["candidates"]]
    assert staffed, "the matcher found nobody"
    for t in staffed:
        best = t["candidates"][0]
        assert best["reason"].startswith("because") and 0 < best["score"] <= 1
    pending = await service.list_reviews(services)
    assert goal["review"]["review_id"] in {r["review_id"] for r in pending}


async def test_approve_stores_assignments_and_audits_everything(services: Services) -> None:
    goal = await submit_and_wait(services)
    review_id = goal["review"]["review_id"]
    outcome = await service.decide_review(services, review_id=review_id, decision="approve", reviewer="hr.reviewer")
    assert outcome.decision == "approve"
    staffed = await wait_for_status(services, goal["goal_id"], "staffed", timeout=5)
    review = await service.get_review(services, review_id)
    assert review["status"] == "approved" and review["decided_by"] == "hr.reviewer"
    proposed = {(a["task_id"], a["employee_id"]) for a in review["arguments"]["assignments"]}
    assert {(a["task_id"], a["employee_id"]) for a in staffed["assignments"]} == proposed
    events = await service.audit_for_goal(services, goal["goal_id"])
    actions = [e["action"] for e in events]
    for expected in ("goal.submitted", "agent.decompose_goal", "agent.propose_staffing", "review.requested",
                     "review.decided", "goal.staffed"):
        assert expected in actions
    assert actions.index("review.decided") < actions.index("goal.staffed")
    agent_event = next(e for e in events if e["action"] == "agent.propose_staffing")
    assert agent_event["model"] == "local-planner"
    assert any(c["tool"] == "find_candidates" for c in agent_event["payload"]["tool_calls"])
    decided = next(e for e in events if e["action"] == "review.decided")
    assert decided["actor_type"] == "human" and decided["actor"] == "hr.reviewer"


async def test_reject_needs_a_reason_and_ends_the_goal(services: Services) -> None:
    goal = await submit_and_wait(services)
    review_id = goal["review"]["review_id"]
    with pytest.raises(service.Invalid, match="reason"):
        await service.decide_review(services, review_id=review_id, decision="reject", reviewer="hr.reviewer")
    await service.decide_review(services, review_id=review_id, decision="reject", reviewer="hr.reviewer",
                                reason="budget not approved yet")
    done = await wait_for_status(services, goal["goal_id"], "rejected", timeout=5)
    assert done["status_detail"] == "budget not approved yet"
    assert done["assignments"] == []


async def test_edit_executes_the_edited_arguments(services: Services) -> None:
    goal = await submit_and_wait(services)
    review = await service.get_review(services, goal["review"]["review_id"])
    first = review["arguments"]["assignments"][0]
    proposal_task = next(t for t in review["evidence"]["proposal"]["tasks"] if t["task_id"] == first["task_id"])
    alternates = [c["employee_id"] for c in proposal_task["candidates"][1:]]
    replacement = alternates[0] if alternates else "E0100"
    outcome = await service.decide_review(services, review_id=review["review_id"], decision="edit",
                                          reviewer="hr.reviewer2", edits={first["task_id"]: replacement})
    staffed = await wait_for_status(services, goal["goal_id"], "staffed", timeout=5)
    on_task = {a["employee_id"] for a in staffed["assignments"] if a["task_id"] == first["task_id"]}
    assert on_task == {replacement}
    events = await service.audit_for_goal(services, goal["goal_id"])
    decided = next(e for e in events if e["action"] == "review.decided")
    assert decided["args_hash"] == outcome.executed_args_hash != review["args_hash"]


async def test_second_decision_and_bad_decisions_are_refused(services: Services) -> None:
    goal = await submit_and_wait(services)
    review_id = goal["review"]["review_id"]
    with pytest.raises(service.Forbidden, match=r"separation of duties|only reviewers"):
        await service.decide_review(services, review_id=review_id, decision="approve", reviewer="mgr.payments")
    with pytest.raises(service.NotFound):
        await service.decide_review(services, review_id="r-doesnotexist", decision="approve", reviewer="hr.reviewer")
    with pytest.raises(service.Conflict, match="arguments changed"):
        await service.decide_review(services, review_id=review_id, decision="approve", reviewer="hr.reviewer",
                                    args_hash="0" * 64)
    with pytest.raises(service.Invalid, match="unknown employee"):
        await service.decide_review(services, review_id=review_id, decision="edit", reviewer="hr.reviewer",
                                    edits={"T1": "E9999"})
    await service.decide_review(services, review_id=review_id, decision="approve", reviewer="hr.reviewer")
    with pytest.raises(service.Conflict, match="already decided"):
        await service.decide_review(services, review_id=review_id, decision="reject", reviewer="hr.reviewer2",
                                    reason="too late")
    staffed = await wait_for_status(services, goal["goal_id"], "staffed", timeout=5)
    assert staffed["review"]["decided_by"] == "hr.reviewer"


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("do it", "too short"),
    ("qwxz vrrbt plokj mnbvc zzxq ghjk", "unknown|relate"),
    ("Migrate the payments ledger to the cloud within 900 years", "deadline"),
])
async def test_bad_goal_text_is_refused_before_any_workflow(services: Services, text: str, message: str) -> None:
    before = await services.pool.fetchval("SELECT count(*) FROM goals")
    with pytest.raises(service.Invalid, match=message):
        await service.submit_goal(services, text=text, manager_login="mgr.payments", submitted_by="mgr.payments")
    assert await services.pool.fetchval("SELECT count(*) FROM goals") == before


async def test_unknown_manager_is_refused(services: Services) -> None:
    with pytest.raises(service.Invalid, match="unknown manager"):
        await service.submit_goal(services, text=GOAL, manager_login="nobody", submitted_by="nobody")
    with pytest.raises(service.Invalid, match="not a manager"):
        await service.submit_goal(services, text=GOAL, manager_login="hr.reviewer", submitted_by="hr.reviewer")
