"""Crossboarding on real Temporal and Postgres: once a person is released, the onboarding agent drafts their plan
from their skills gap, a reviewer approves it (new action types start at 100% review), it starts, its owners tick
items off, finished learning becomes skill evidence, and the goal's manager marks the person productive."""

from __future__ import annotations

from typing import Any

import pytest
from support import eventually, released_person, user_of

from workflows import usecases
from workflows.usecases import Services
from workflows.usecases import onboarding as onboarding_cases

pytestmark = pytest.mark.integration
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"


async def onboarding_review(svc: Services, goal_id: str) -> Any:
    async def probe() -> Any:
        return await svc.pool.fetchrow(
            "SELECT * FROM review_requests WHERE goal_id = $1 AND action_type = 'draft_onboarding_plan'", goal_id)
    return await eventually(probe, "the onboarding plan's review")


async def test_release_starts_an_onboarding_plan_that_its_owners_run(services: Services) -> None:
    key, login, _ = await released_person(services, goal_text=GOAL)
    review = await onboarding_review(services, key.goal_id)
    plan = review["arguments"]
    ids = [i["item_id"] for i in plan["items"]]
    assert {"K0", "C30", "C60", "C90"} <= set(ids)
    assert review["workflow_id"].startswith("onboarding-") and review["status"] == "pending"
    stored = await onboarding_cases.onboarding_of_goal(services, key.goal_id)
    assert [(p.employee_id, p.status) for p in stored] == [(key.employee_id, "drafted")]
    goal = await usecases.get_goal(services, key.goal_id)
    assert goal.status == "staffed", "an onboarding review does not change the goal's status"

    person = await user_of(services, login)
    with pytest.raises(usecases.ServiceError):  # the person cannot approve their own plan
        await usecases.decide_review(services, review_id=review["review_id"], decision="approve", reviewer=login)
    await usecases.decide_review(services, review_id=review["review_id"], decision="approve", reviewer="hr.reviewer")

    async def active() -> list[onboarding_cases.PlanView]:
        views = await onboarding_cases.my_onboarding(services, person)
        return [v for v in views if v.plan.goal_id == key.goal_id and v.plan.status == "active"]
    view = (await eventually(active, "the plan to start"))[0]
    assert view.plan.starts_on is not None
    mine = [i for i in view.items if i.yours]
    assert mine and all(i.item.owner_role == "person" for i in mine)
    assert await services.pool.fetchval(
        "SELECT count(*) FROM notifications WHERE goal_id = $1 AND subject LIKE 'Onboarding of %'", key.goal_id) >= 2

    # the person's items wait for the kick-off, which is the goal manager's
    first = mine[0]
    assert first.waiting_for == ["K0"]
    with pytest.raises(usecases.Conflict, match="K0 first"):
        await onboarding_cases.tick_item(services, person, goal_id=key.goal_id, task_id=key.task_id,
                                         employee_id=key.employee_id, item_id=first.item.item_id)
    with pytest.raises(usecases.Forbidden, match="goal's manager"):  # the kick-off is not theirs
        await onboarding_cases.tick_item(services, person, goal_id=key.goal_id, task_id=key.task_id,
                                         employee_id=key.employee_id, item_id="K0")
    manager = await user_of(services, "mgr.payments")
    await onboarding_cases.tick_item(services, manager, goal_id=key.goal_id, task_id=key.task_id,
                                     employee_id=key.employee_id, item_id="K0", note="agreed the day-30 target")
    before = await services.pool.fetchval(
        "SELECT count(*) FROM skill_evidence WHERE employee_id = $1 AND source = 'onboarding'", key.employee_id)
    done = await onboarding_cases.tick_item(services, person, goal_id=key.goal_id, task_id=key.task_id,
                                            employee_id=key.employee_id, item_id=first.item.item_id)
    assert {"K0", first.item.item_id} <= set(done)
    evidence = await services.pool.fetch(
        "SELECT skill, detail FROM skill_evidence WHERE employee_id = $1 AND source = 'onboarding'", key.employee_id)
    assert len(evidence) == before + len(first.item.skills) and all("onboarding onto" in r["detail"] for r in evidence)
    with pytest.raises(usecases.Conflict, match="already"):
        await onboarding_cases.tick_item(services, person, goal_id=key.goal_id, task_id=key.task_id,
                                         employee_id=key.employee_id, item_id=first.item.item_id)

    with pytest.raises(usecases.Forbidden):
        await onboarding_cases.mark_productive(services, person, goal_id=key.goal_id, task_id=key.task_id,
                                               employee_id=key.employee_id)
    await onboarding_cases.mark_productive(services, manager, goal_id=key.goal_id, task_id=key.task_id,
                                           employee_id=key.employee_id)

    async def productive() -> bool:
        plans = await onboarding_cases.onboarding_of_goal(services, key.goal_id)
        return plans[0].days_to_productive is not None
    await eventually(productive, "the time to productivity")
    trail = [r["action"] for r in await services.pool.fetch(
        "SELECT action FROM audit_events WHERE goal_id = $1 AND action LIKE '%onboarding%' ORDER BY seq", key.goal_id)]
    assert trail[:2] == ["agent.draft_onboarding_plan", "onboarding.started"] or \
        trail.index("agent.draft_onboarding_plan") < trail.index("onboarding.started")
    assert trail.count("onboarding.item_done") == 2 and "onboarding.productive" in trail
