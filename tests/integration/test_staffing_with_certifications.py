"""Staffing respects certifications, on real Temporal and real Postgres: the plan's grounding sets what tasks need
(and follows a reviewer's edited plan), the matcher shows each candidate's standing over the task's weeks in the
proposal's evidence, holders valid through the task move ahead, and a proposed non-holder is flagged in words to the
reviewer, on the review page too.

The types here are the tests' own (ids ``t14-…``), retired when the module ends so no other module's goals need them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from support import approve_plan, review_id_of

from infra.store import certifications as store
from infra.store.certifications import CertificationTypeBase, PeriodIn
from infra.store.plans import GoalPlan
from infra.store.reviews import Review
from infra.store.users import User
from policies.staffing_certifications import CERTIFICATION_BONUS
from tools.certifications.grounding import GROUNDING
from workers.staffing import find_people
from workflows import usecases
from workflows.usecases import GoalDetail, Services
from workflows.usecases import task_certifications as task_certs

pytestmark = pytest.mark.integration
ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]

PCI_GOAL = "Prepare the card-payments platform for the PCI DSS audit within 10 weeks"
DASHBOARD = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
RUN = uuid.uuid4().hex[:6]
PCI_TYPE = f"t14-pci-{RUN}"
PANEL_TYPE = f"t14-panel-{RUN}"
NOBODY_TYPE = f"t14-nobody-{RUN}"
TYPES = {
    PCI_TYPE: CertificationTypeBase(name=f"PCI DSS Practitioner {RUN}", issuer="Tests", validity_months=12,
                                    renewal_lead_days=5, keywords=["pci dss", "cardholder data"]),
    PANEL_TYPE: CertificationTypeBase(name=f"Dashboard Panel Licence {RUN}", issuer="Tests", validity_months=12,
                                      renewal_lead_days=5),
    NOBODY_TYPE: CertificationTypeBase(name=f"Nobody Holds This {RUN}", issuer="Tests", validity_months=12),
}


@pytest.fixture(scope="module", autouse=True)
async def test_types(pool: asyncpg.Pool[Any]) -> AsyncIterator[None]:
    async with pool.acquire() as conn:
        for type_id, edit in TYPES.items():
            await store.save_type(conn, type_id, edit, edited_by="tests")
    yield
    async with pool.acquire() as conn:
        for type_id, edit in TYPES.items():
            await store.save_type(conn, type_id, edit.model_copy(update={"retired": True}), edited_by="tests")


async def wait_for_status(svc: Services, goal_id: str, *wanted: str, timeout: float = 90) -> GoalDetail:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        goal = await usecases.get_goal(svc, goal_id)
        if goal.status in wanted:
            return goal
        if goal.status == "failed" or asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"goal stuck in {goal.status}: {goal.status_detail}")
        await asyncio.sleep(0.1)


async def plan_review(svc: Services, text: str) -> Review:
    goal_id = await usecases.submit_goal(svc, text=text, manager_login="mgr.payments", submitted_by="mgr.payments")
    goal = await wait_for_status(svc, goal_id, "awaiting_plan_review")
    return await usecases.get_review(svc, review_id_of(goal))


async def reviewer(svc: Services) -> User:
    return await usecases.get_user(svc, "hr.reviewer")


async def staffing_review(svc: Services, goal_id: str) -> Review:
    await approve_plan(svc, goal_id)
    return await usecases.get_review(svc, review_id_of(await wait_for_status(svc, goal_id, "awaiting_review")))


async def hold(pool: asyncpg.Pool[Any], employee_id: str, type_id: str, expires_on: date) -> None:
    async with pool.acquire() as conn:
        await store.record(conn, employee_id=employee_id, type_id=type_id, credential_id=None, source="tests",
                           period=PeriodIn(issued_on=date(2025, 1, 1), expires_on=expires_on, evidence_kind="import"))


def proposal_task(review: Review, task_id: str) -> dict[str, Any]:
    task: dict[str, Any] = next(t for t in review.evidence["proposal"]["tasks"] if t["task_id"] == task_id)
    return task


async def test_the_grounding_sets_what_the_tasks_need_and_follows_the_reviewers_edit(services: Services) -> None:
    review = await plan_review(services, PCI_GOAL)
    plan = GoalPlan.model_validate(review.arguments)
    grounded = {r.task_id: r for r in await store.task_requirements(services.pool, review.goal_id)
                if r.type_id == PCI_TYPE}
    named = [t.task_id for t in plan.tasks if "PCI DSS" in t.description or (
        "PCI DSS" in t.title and not t.title.startswith("Train"))]
    assert sorted(grounded) == sorted(named) and len(named) >= 3, (grounded, [t.title for t in plan.tasks])
    assert all(r.set_by == GROUNDING and r.reason == "the task mentions “PCI DSS”" for r in grounded.values())
    assert len(named) >= 4
    first, second, third, fourth = named[:4]
    by = await reviewer(services)
    # a reviewer takes it off one task, requires another type on a second one, and the plan is edited: the third
    # task's title no longer names PCI DSS and the fourth is dropped
    await task_certs.remove_certification(services, by, goal_id=review.goal_id, task_id=first, type_id=PCI_TYPE)
    await task_certs.require_certification(services, by, goal_id=review.goal_id, task_id=second, type_id=PANEL_TYPE,
                                           reason="the panel is in the card data room")
    edits = {third: usecases.TaskEdit(title="Close the gaps found", description="Fix what falls short."),
             fourth: usecases.TaskEdit(drop=True)}
    await usecases.decide_review(services, review_id=review.review_id, decision="edit", reviewer="hr.reviewer2",
                                 task_edits=edits)
    await wait_for_status(services, review.goal_id, "awaiting_review")
    after = {(r.task_id, r.type_id): r for r in await store.task_requirements(services.pool, review.goal_id)}
    assert (first, PCI_TYPE) not in after, "a reviewer's removal survives the re-grounding"
    assert after[second, PANEL_TYPE].set_by == "hr.reviewer" and after[second, PCI_TYPE].set_by == GROUNDING
    assert (third, PCI_TYPE) not in after, "the edited task no longer names it"
    assert all(task_id != fourth for task_id, _ in after), "a dropped task needs nothing"
    actions = [e.action for e in await usecases.audit_for_goal(services, review.goal_id)]
    assert actions.count("goal.certifications_grounded") == 2
    assert "task.certification_removed" in actions and "task.certification_required" in actions


async def test_candidates_show_their_standing_and_holders_valid_through_move_ahead(services: Services) -> None:
    review = await plan_review(services, DASHBOARD)
    plan = GoalPlan.model_validate(review.arguments)
    # a task from week 0, at least two weeks long: a certification expiring in 6 days can be renewed in time (the
    # type's lead is 5 days), one expiring in 2 days lapses during it
    task = max((t for t in plan.tasks if t.start_week == 0), key=lambda t: (t.end_week, t.task_id))
    assert task.end_week >= 2
    today = datetime.now(UTC).date()
    week0 = review.starts_on
    assert week0 is not None
    start = week0 + timedelta(weeks=task.start_week)
    end = week0 + timedelta(weeks=task.end_week) - timedelta(days=1)
    found, _ = await find_people(plan.model_copy(update={"tasks": [task]}), week0)
    people = [c.employee_id for c in found[task.task_id]]
    assert len(people) >= 4
    valid, renewing, lapsing = people[1], people[2], people[3]
    await hold(services.pool, valid, PANEL_TYPE, end + timedelta(days=30))
    assert start <= today
    await hold(services.pool, renewing, PANEL_TYPE, today + timedelta(days=6))
    await hold(services.pool, lapsing, PANEL_TYPE, today + timedelta(days=2))
    await task_certs.require_certification(services, await reviewer(services), goal_id=review.goal_id,
                                           task_id=task.task_id, type_id=PANEL_TYPE, reason="the panel is licensed")

    staffing = await staffing_review(services, review.goal_id)
    shown = proposal_task(staffing, task.task_id)
    assert [r["type_id"] for r in shown["required_certifications"]] == [PANEL_TYPE]
    standing = {c["employee_id"]: c["certifications"][0]["standing"] for c in shown["candidates"]}
    assert all(len(c["certifications"]) == 1 for c in shown["candidates"])
    assert standing.get(valid) == "valid_through", standing
    expected = {renewing: "renew_in_time", lapsing: "lapses_during"}
    assert all(standing[eid] == s for eid, s in expected.items() if eid in standing), standing
    assert all(s == "missing" for eid, s in standing.items() if eid not in (valid, renewing, lapsing))
    holder = next(c for c in shown["candidates"] if c["employee_id"] == valid)
    assert any(line.startswith(f"certification {TYPES[PANEL_TYPE].name}: valid through the task (expires ")
               for line in holder["evidence"])
    before = next(c for c in found[task.task_id] if c.employee_id == valid)
    assert holder["score"] == pytest.approx(min(1.0, before.score + CERTIFICATION_BONUS), abs=0.02)
    ids = [c["employee_id"] for c in shown["candidates"]]
    assert ids.index(valid) <= 1, "the holder valid through the task does not fall behind"
    first = shown["candidates"][0]
    if first["employee_id"] == valid:
        assert shown["flags"] == []
    else:  # the best fit without it stays first, and the reviewer is told
        assert len(shown["flags"]) == 1 and first["name"] in shown["flags"][0]
        assert f"Valid through it among the other candidates: {holder['name']}" in shown["flags"][0]


async def test_a_non_holder_proposed_is_flagged_to_the_reviewer(services: Services, connect: ClientFactory) -> None:
    review = await plan_review(services, DASHBOARD)
    task_id = review.arguments["tasks"][0]["task_id"]
    await task_certs.require_certification(services, await reviewer(services), goal_id=review.goal_id,
                                           task_id=task_id, type_id=NOBODY_TYPE, reason="the regulator asks for it")
    staffing = await staffing_review(services, review.goal_id)
    shown = proposal_task(staffing, task_id)
    assert shown["candidates"], "the matcher found people"
    first = shown["candidates"][0]
    name = TYPES[NOBODY_TYPE].name
    assert first["certifications"] == [{"type_id": NOBODY_TYPE, "name": name, "standing": "missing",
                                        "expires_on": None, "words": "not held"}]
    assert shown["flags"] == [
        f"{task_id} “{review.arguments['tasks'][0]['title']}” needs {name} (the regulator asks for it), weeks "
        f"{review.arguments['tasks'][0]['start_week']}–{review.arguments['tasks'][0]['end_week']}: {first['name']} "
        f"does not hold {name}. Nobody the matcher found with free time holds it valid through the task."]
    assert task_id in staffing.explanation and "does not hold a certification the task needs" in staffing.explanation
    others = [t for t in staffing.evidence["proposal"]["tasks"] if t["task_id"] != task_id]
    assert all(t["flags"] == [] and t["required_certifications"] == [] for t in others)

    page = await (await connect("hr.reviewer")).get(f"/reviews/{staffing.review_id}")
    assert page.status_code == 200
    assert 'data-testid="staffing-certifications"' in page.text and "does not hold" in page.text
    assert f'data-employee="{first["employee_id"]}" data-standing="missing"' in page.text
    goal_page = await (await connect("mgr.payments")).get(f"/goals/{review.goal_id}")
    assert f"needs <strong>{name}</strong>" in goal_page.text and "Set by hr.reviewer" in goal_page.text
