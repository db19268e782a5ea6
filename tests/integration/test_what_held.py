"""What the security probe found holding, kept so: one winner among concurrent decisions, and people's text
escaped on every page that shows it (stale hashes, open redirects and the role × route matrix have their own
tests in test_api.py, test_console_pages.py and test_authorization.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from support import approve_plan, eventually, review_id_of

from workflows import usecases
from workflows.usecases import GoalDetail, Services

pytestmark = pytest.mark.integration
ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]

SCRIPT = "<script>alert('x')</script>"
GOAL = f"Stand up a fraud-analytics dashboard for the EU cards business {SCRIPT} within 6 weeks"


async def awaiting_review(svc: Services, goal_id: str) -> GoalDetail:
    async def ready() -> GoalDetail | None:
        goal = await usecases.get_goal(svc, goal_id)
        assert goal.status != "failed", goal.status_detail
        return goal if goal.status == "awaiting_review" else None

    return await eventually(ready, f"goal {goal_id} to await its staffing review")


async def test_ten_concurrent_decisions_have_one_winner(services: Services) -> None:
    goal_id = await usecases.submit_goal(services, text="Move our warehouse pick-and-pack process to the new WMS "
                                         "before peak season", manager_login="mgr.payments",
                                         submitted_by="mgr.payments")
    await approve_plan(services, goal_id)
    review_id = review_id_of(await awaiting_review(services, goal_id))
    reviewers = ["hr.reviewer", "hr.reviewer2", "admin"]

    async def decide(n: int) -> str:
        decision = "reject" if n % 2 else "approve"
        try:
            await usecases.decide_review(services, review_id=review_id, decision=decision,
                                         reviewer=reviewers[n % len(reviewers)], reason="race" if n % 2 else None)
        except usecases.ServiceError as err:
            assert err.status == 409, err.message
            return "refused"
        return decision

    outcomes = await asyncio.gather(*(decide(n) for n in range(10)))
    assert sorted(outcomes).count("refused") == 9, outcomes
    winner = next(o for o in outcomes if o != "refused")
    review = await usecases.get_review(services, review_id)
    assert review.status == {"approve": "approved", "reject": "rejected"}[winner]
    decided = [e for e in await usecases.audit_for_goal(services, goal_id)
               if e.action == "review.decided" and e.payload["review_id"] == review_id]
    assert len(decided) == 1, "exactly one decision is recorded"


async def test_a_goal_written_with_markup_is_shown_as_text(services: Services, connect: ClientFactory) -> None:
    goal_id = await usecases.submit_goal(services, text=GOAL, manager_login="mgr.payments",
                                         submitted_by="mgr.payments")
    manager = await connect("mgr.payments")
    for path, shows_text in (("/goals", True), (f"/goals/{goal_id}", True), (f"/goals/{goal_id}/live", False),
                             (f"/goals/{goal_id}/audit", False)):
        page = await manager.get(path)
        assert page.status_code == 200, path
        assert SCRIPT not in page.text, f"{path} shows the goal's markup unescaped"
        assert not shows_text or "&lt;script&gt;" in page.text, f"{path} does not show the goal's text"
    await approve_plan(services, goal_id)
    review_id = review_id_of(await awaiting_review(services, goal_id))
    reviewer = await connect("hr.reviewer")
    for path in ("/reviews", f"/reviews/{review_id}", "/audit"):
        page = await reviewer.get(path)
        assert page.status_code == 200 and SCRIPT not in page.text, path
