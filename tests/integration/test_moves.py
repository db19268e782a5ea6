"""After staffing, on real Temporal and Postgres: the staffed person answers, their line manager releases them,
a decline is proposed again through a review, a refusal goes to HR; and what may not happen does not."""

from __future__ import annotations

from typing import Any

import pytest
from support import eventually, move_state, staff_person, unbooked_person, user_of

from workflows import usecases
from workflows.usecases import GoalDetail, Services
from workflows.usecases import moves as move_cases

pytestmark = pytest.mark.integration
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"


async def subjects(svc: Services, login: str) -> list[str]:
    notes, _ = await move_cases.inbox(svc, await user_of(svc, login))
    return [n.subject for n in notes]


def told(svc: Services, login: str, words: str) -> Any:
    async def probe() -> bool:
        return any(words in s for s in await subjects(svc, login))
    return probe


async def actions(svc: Services, goal_id: str) -> list[str]:
    rows = await svc.pool.fetch("SELECT action FROM audit_events WHERE goal_id = $1 ORDER BY seq", goal_id)
    return [r["action"] for r in rows]


def in_state(svc: Services, goal_id: str, task_id: str, employee_id: str, state: str) -> Any:
    async def probe() -> bool:
        return await move_state(svc, goal_id, task_id, employee_id) == state
    return probe


async def pending_review(svc: Services, goal_id: str, action_type: str) -> GoalDetail:
    async def probe() -> GoalDetail | None:
        goal = await usecases.get_goal(svc, goal_id)
        assert goal.status != "failed", goal.status_detail
        ok = goal.review is not None and goal.review.action_type == action_type and goal.review.status == "pending"
        return goal if ok else None
    return await eventually(probe, f"a pending {action_type} review")


async def test_accept_then_release_confirms_the_move_and_tells_everyone(services: Services) -> None:
    person, login, line_manager = await unbooked_person(services)
    goal_id, task_id = await staff_person(services, person, goal_text=GOAL)
    await eventually(told(services, login, "You are proposed"), "the offer in the person's inbox")

    state = await move_cases.answer_assignment(services, await user_of(services, login), goal_id=goal_id,
                                               task_id=task_id, accept=True)
    assert state == "accepted"
    lm = await user_of(services, line_manager)

    async def asked() -> bool:
        return any(r.employee_id == person and r.state == "accepted" and r.release_due_at is not None
                   for r in await move_cases.team_releases(services, lm))
    await eventually(asked, "the release request on the line manager's team page")
    await eventually(told(services, line_manager, "Please release"), "the release request in the inbox")

    assert await move_cases.decide_release(services, lm, goal_id=goal_id, task_id=task_id, employee_id=person,
                                           release=True) == "released"
    await eventually(told(services, login, "You are released"), "the confirmation in the person's inbox")
    await eventually(told(services, "mgr.payments", "is confirmed for"), "the confirmation to the goal's manager")
    trail = await actions(services, goal_id)
    moved = [a for a in trail if a.startswith("move.") and a != "move.offered"]
    assert moved[:3] == ["move.accepted", "move.release_requested", "move.released"] or \
        {"move.accepted", "move.release_requested", "move.released"} <= set(trail)
    counts = await move_cases.my_release_counts(services, lm)
    assert counts is not None and counts.released >= 1
    email = await services.pool.fetchval("SELECT email FROM employees WHERE employee_id = $1", person)
    outbox = await services.pool.fetch(
        "SELECT subject FROM notification_outbox WHERE recipient = $1 ORDER BY id", email)
    assert [r["subject"] for r in outbox if "proposed" in r["subject"]] == \
        [f"talentops: {s}" for s in await subjects(services, login) if "proposed" in s]


async def test_what_may_not_happen_is_refused_and_changes_nothing(services: Services) -> None:
    person, login, line_manager = await unbooked_person(services)
    goal_id, task_id = await staff_person(services, person, goal_text=GOAL)
    someone_else = await user_of(services, "sanne.devries")
    with pytest.raises(usecases.NotFound):  # someone else's assignment is not theirs to answer
        await move_cases.answer_assignment(services, someone_else, goal_id=goal_id, task_id=task_id, accept=True)
    staffed = await user_of(services, login)
    with pytest.raises(usecases.Invalid, match="needs a reason"):
        await move_cases.answer_assignment(services, staffed, goal_id=goal_id, task_id=task_id, accept=False,
                                           reason="   ")
    lm = await user_of(services, line_manager)
    with pytest.raises(usecases.Conflict, match="has not accepted"):
        await move_cases.decide_release(services, lm, goal_id=goal_id, task_id=task_id, employee_id=person,
                                        release=True)
    await move_cases.answer_assignment(services, staffed, goal_id=goal_id, task_id=task_id, accept=True)
    with pytest.raises(usecases.Conflict, match="already"):
        await move_cases.answer_assignment(services, staffed, goal_id=goal_id, task_id=task_id, accept=False,
                                           reason="changed my mind")
    await eventually(in_state(services, goal_id, task_id, person, "accepted"), "the acceptance")

    async def asked() -> bool:
        return bool(await services.pool.fetchval(
            "SELECT release_due_at IS NOT NULL FROM assignments WHERE goal_id = $1 AND task_id = $2"
            " AND employee_id = $3", goal_id, task_id, person))
    await eventually(asked, "the release request")
    with pytest.raises(usecases.Forbidden, match="not in your team"):  # another manager cannot release them
        await move_cases.decide_release(services, await user_of(services, "mgr.data"), goal_id=goal_id,
                                        task_id=task_id, employee_id=person, release=True)
    with pytest.raises(usecases.Invalid, match="needs a reason"):
        await move_cases.decide_release(services, lm, goal_id=goal_id, task_id=task_id, employee_id=person,
                                        release=False)
    assert await move_state(services, goal_id, task_id, person) == "accepted"


async def test_a_decline_is_proposed_again_through_a_review(services: Services) -> None:
    person, login, _ = await unbooked_person(services)
    goal_id, task_id = await staff_person(services, person, goal_text=GOAL)
    await move_cases.answer_assignment(services, await user_of(services, login), goal_id=goal_id, task_id=task_id,
                                       accept=False, reason="I am on parental leave from next month")
    goal = await pending_review(services, goal_id, "repropose_declined_task")
    assert goal.review is not None
    review = await usecases.get_review(services, goal.review.review_id)
    proposed = review.arguments["assignments"]
    assert [a["task_id"] for a in proposed] == [task_id] and proposed[0]["employee_id"] != person
    await eventually(told(services, "mgr.payments", "declined"), "the decline told to the goal's manager")
    await usecases.decide_review(services, review_id=review.review_id, decision="approve", reviewer="hr.reviewer")
    await eventually(in_state(services, goal_id, task_id, proposed[0]["employee_id"], "offered"), "the new offer")
    assert await move_state(services, goal_id, task_id, person) == "declined"
    detail = await usecases.get_goal(services, goal_id)
    assert detail.status == "staffed" or detail.status == "awaiting_review"
    mine = [a for a in detail.assignments if a.task_id == task_id]
    assert [(a.employee_id, a.state) for a in mine] == [(person, "declined"), (proposed[0]["employee_id"], "offered")]
    assert mine[0].decline_reason == "I am on parental leave from next month"


async def test_a_refused_release_goes_to_hr_who_may_overrule_it(services: Services) -> None:
    person, login, line_manager = await unbooked_person(services)
    goal_id, task_id = await staff_person(services, person, goal_text=GOAL)
    await move_cases.answer_assignment(services, await user_of(services, login), goal_id=goal_id, task_id=task_id,
                                       accept=True)
    lm = await user_of(services, line_manager)

    async def asked() -> bool:
        return any(r.employee_id == person and r.state == "accepted"
                   for r in await move_cases.team_releases(services, lm))
    await eventually(asked, "the release request")
    await move_cases.decide_release(services, lm, goal_id=goal_id, task_id=task_id, employee_id=person,
                                    release=False, reason="our own audit needs them until June")
    goal = await pending_review(services, goal_id, "override_release_refusal")
    assert goal.review is not None
    review = await usecases.get_review(services, goal.review.review_id)
    assert "our own audit needs them until June" in review.explanation
    with pytest.raises(usecases.Forbidden):  # whoever refused cannot decide the review of their refusal
        await usecases.decide_review(services, review_id=review.review_id, decision="approve",
                                     reviewer=line_manager)
    await usecases.decide_review(services, review_id=review.review_id, decision="approve", reviewer="hr.reviewer")
    await eventually(in_state(services, goal_id, task_id, person, "released"), "the overruled refusal")
    assert "move.refusal_overruled" in await actions(services, goal_id)
    counts = await move_cases.my_release_counts(services, lm)
    assert counts is not None and counts.refused >= 1


async def test_the_move_refuses_answers_not_sent_through_talentops_or_by_someone_else(services: Services) -> None:
    """The workflow's own validators, reached directly (as the Temporal UI or the plain SDK would)."""
    from temporalio.client import WorkflowUpdateFailedError

    from workflows import attestation, move_acts
    from workflows.move_messages import ANSWER_UPDATE, MoveAct, move_workflow_id

    person, login, _ = await unbooked_person(services)
    goal_id, task_id = await staff_person(services, person, goal_text=GOAL)
    workflow_id = move_workflow_id(goal_id, task_id, person)
    handle = services.temporal().get_workflow_handle(workflow_id)
    key = attestation.decision_key(services.settings.secret())
    accept = MoveAct(kind="accept", actor=login)
    refused = {
        "not sent through talentops": accept,
        "only the person staffed": move_acts.attest(workflow_id, accept, key=key, actor_employee_id="E0001"),
        "does not verify": move_acts.attest(workflow_id, accept, key=key, actor_employee_id=person).model_copy(
            update={"reason": "changed after signing"}),
        "does not trust": move_acts.attest(workflow_id, accept, key=b"k" * 32, actor_employee_id=person),
    }
    for words, act in refused.items():
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await handle.execute_update(ANSWER_UPDATE, act, result_type=str)
        assert words in str(err.value.cause), (words, err.value.cause)
    assert await move_state(services, goal_id, task_id, person) == "offered"
    assert not any(a in ("move.accepted", "move.declined") for a in await actions(services, goal_id))
