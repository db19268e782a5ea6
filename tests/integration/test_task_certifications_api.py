"""The JSON API for what a task needs: reviewers and admins add a required certification type (with why) or remove
one; everyone else is refused, unknown goals, tasks and types are named; every change is audited and shows on the
goal page with who set it and why."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from infra.store import certifications as store
from infra.store.certifications import CertificationTypeBase
from workflows import usecases
from workflows.usecases import GoalDetail, Services, task_certifications

pytestmark = pytest.mark.integration
ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]

GOAL = "Prepare the card-payments platform for the PCI DSS audit within 10 weeks"
RUN = uuid.uuid4().hex[:6]
FIREWALL = f"t14-firewall-{RUN}"
OLD = f"t14-retired-{RUN}"
PCI = f"t14-pci-api-{RUN}"


@pytest.fixture(scope="module", autouse=True)
async def test_types(pool: asyncpg.Pool[Any]) -> AsyncIterator[None]:
    firewall = CertificationTypeBase(name=f"Firewall Administrator {RUN}", issuer="Tests", validity_months=24)
    pci = CertificationTypeBase(name=f"PCI DSS Assessor {RUN}", issuer="Tests", keywords=["pci dss"])
    async with pool.acquire() as conn:
        await store.save_type(conn, FIREWALL, firewall, edited_by="tests")
        await store.save_type(conn, OLD, firewall.model_copy(update={"name": "Old one", "retired": True}),
                              edited_by="tests")
        await store.save_type(conn, PCI, pci, edited_by="tests")
    yield
    async with pool.acquire() as conn:
        for type_id, edit in ((FIREWALL, firewall), (PCI, pci)):
            await store.save_type(conn, type_id, edit.model_copy(update={"retired": True}), edited_by="tests")


async def planned_goal(svc: Services) -> GoalDetail:
    """A goal of mgr.payments whose plan waits for review (its tasks stored)."""
    goal_id = await usecases.submit_goal(svc, text=GOAL, manager_login="mgr.payments", submitted_by="mgr.payments")
    deadline = asyncio.get_running_loop().time() + 90
    while True:
        goal = await usecases.get_goal(svc, goal_id)
        if goal.status == "awaiting_plan_review":
            return goal
        assert goal.status != "failed" and asyncio.get_running_loop().time() < deadline, goal.status_detail
        await asyncio.sleep(0.1)


def url(goal_id: str, task_id: str = "T1", type_id: str | None = None) -> str:
    base = f"/api/goals/{goal_id}/tasks/{task_id}/certifications"
    return f"{base}/{type_id}" if type_id else base


async def test_reviewers_add_and_remove_and_everyone_else_is_refused(services: Services,
                                                                     connect: ClientFactory) -> None:
    goal = await planned_goal(services)
    g, task = goal.goal_id, goal.tasks[1].task_id
    body = {"type_id": FIREWALL, "reason": "the task changes the card data firewall"}
    anonymous, employee, manager = await connect(), await connect("sanne.devries"), await connect("mgr.payments")
    reviewer, admin = await connect("hr.reviewer"), await connect("admin")

    assert (await anonymous.post(url(g, task), json=body)).status_code == 401
    assert (await anonymous.delete(url(g, task, FIREWALL))).status_code == 401
    for who in (employee, manager):  # the goal's own manager neither
        for resp in (await who.post(url(g, task), json=body), await who.delete(url(g, task, FIREWALL))):
            assert resp.status_code == 403 and "reviewer or admin" in resp.json()["detail"], resp.text

    unknown_type = await reviewer.post(url(g, task), json={**body, "type_id": "no-such-type"})
    assert unknown_type.status_code == 422 and "no certification type 'no-such-type'" in unknown_type.json()["detail"]
    retired = await reviewer.post(url(g, task), json={**body, "type_id": OLD})
    assert retired.status_code == 422 and "retired" in retired.json()["detail"]
    assert (await reviewer.post(url(g, task), json={**body, "type_id": "Not A Slug"})).status_code == 422
    assert (await reviewer.post(url(g, task), json={"type_id": FIREWALL})).status_code == 422
    short = await reviewer.post(url(g, task), json={**body, "reason": " x "})
    assert short.status_code == 422 and "3 to 500 characters" in short.json()["detail"]
    no_task = await reviewer.post(url(g, "T99"), json=body)
    assert no_task.status_code == 404 and "no task 'T99'" in no_task.json()["detail"]
    assert (await reviewer.post(url("g-000000000000", task), json=body)).status_code == 404

    added = await reviewer.post(url(g, task), json=body)
    assert added.status_code == 201, added.text
    assert added.json() == {"goal_id": g, "task_id": task, "type_id": FIREWALL,
                            "name": f"Firewall Administrator {RUN}", "set_by": "hr.reviewer",
                            "reason": "the task changes the card data firewall"}
    again = await admin.post(url(g, task), json={**body, "reason": "once more"})
    assert again.status_code == 409 and "set by hr.reviewer" in again.json()["detail"]

    page = await manager.get(f"/goals/{g}")
    assert page.status_code == 200
    assert f"needs <strong>Firewall Administrator {RUN}</strong>" in page.text
    assert "Set by hr.reviewer: “the task changes the card data firewall”" in page.text
    card = await manager.get(f"/goals/{g}/certifications")
    assert card.status_code == 200 and f'data-type="{FIREWALL}" data-set-by="hr.reviewer"' in card.text
    assert 'hx-trigger="every 3s"' in card.text, "the card polls while the goal is not final"

    assert (await admin.delete(url(g, task, "pcip"))).status_code == 404
    removed = await admin.delete(url(g, task, FIREWALL))
    assert removed.status_code == 200 and removed.json()["set_by"] == "hr.reviewer"
    gone = await admin.delete(url(g, task, FIREWALL))
    assert gone.status_code == 404 and "does not need the certification" in gone.json()["detail"]
    assert (await reviewer.delete(url(g, "T99", FIREWALL))).status_code == 404

    events = [e for e in await usecases.audit_for_goal(services, g) if e.action.startswith("task.certification")]
    assert [(e.action, e.actor, e.actor_role, e.payload["type_id"], e.payload["via"]) for e in events] == [
        ("task.certification_required", "hr.reviewer", "reviewer", FIREWALL, "api"),
        ("task.certification_removed", "admin", "admin", FIREWALL, "api")]
    assert events[1].payload["was_reason"] == "the task changes the card data firewall"


async def test_a_reviewer_takes_over_a_grounded_requirement(services: Services, connect: ClientFactory) -> None:
    goal = await planned_goal(services)
    grounded = [r for r in await store.task_requirements(services.pool, goal.goal_id)
                if r.set_by == "grounding" and r.type_id == PCI]
    assert grounded, "the PCI DSS type is grounded on the PCI goal's tasks"
    r = grounded[0]
    reviewer = await connect("hr.reviewer")
    taken = await reviewer.post(url(goal.goal_id, r.task_id), json={"type_id": r.type_id, "reason": "confirmed"})
    assert taken.status_code == 201 and taken.json()["set_by"] == "hr.reviewer"
    now = {(x.task_id, x.type_id): x for x in await store.task_requirements(services.pool, goal.goal_id)}
    assert now[r.task_id, r.type_id].set_by == "hr.reviewer" and now[r.task_id, r.type_id].reason == "confirmed"
    events = [e for e in await usecases.audit_for_goal(services, goal.goal_id)
              if e.action == "task.certification_required"]
    assert events[-1].payload["was_grounded"] is True
    # the goal page says the others come from the plan's grounding, with why
    page = await (await connect("mgr.payments")).get(f"/goals/{goal.goal_id}")
    assert "Set by the plan's grounding: the task mentions “PCI DSS”." in page.text


async def test_a_reviewer_adds_and_removes_a_requirement_on_the_goal_page(
        services: Services, connect: ClientFactory) -> None:
    goal = await planned_goal(services)
    hr = await connect("hr.reviewer")
    page = await hr.get(f"/goals/{goal.goal_id}")
    assert page.status_code == 200 and 'data-testid="certification-requirement-form"' in page.text
    assert 'data-testid="goal-mentions"' not in page.text, "the plan's tasks name PCI DSS: nothing left over"
    manager_page = await (await connect("mgr.payments")).get(f"/goals/{goal.goal_id}")
    assert 'data-testid="certification-requirement-form"' not in manager_page.text, "reviewers only"

    refused = await hr.post(f"/goals/{goal.goal_id}/certifications", data={"task_id": "T2", "type_id": FIREWALL})
    assert refused.status_code == 422
    assert 'id="err-cert-reason"' in refused.text and "say why the task needs it" in refused.text.lower()
    assert '<option value="T2" selected>' in refused.text, "the choice is kept"

    added = await hr.post(f"/goals/{goal.goal_id}/certifications",
                          data={"task_id": "T2", "type_id": FIREWALL, "reason": "the task changes firewall rules"},
                          follow_redirects=False)
    assert added.status_code == 303
    needs = {(r.task_id, r.type_id): r for r in await store.task_requirements(services.pool, goal.goal_id)}
    assert needs[("T2", FIREWALL)].set_by == "hr.reviewer"
    again = await hr.post(f"/goals/{goal.goal_id}/certifications",
                          data={"task_id": "T2", "type_id": FIREWALL, "reason": "the task changes firewall rules"})
    assert again.status_code == 409 and "already needs" in again.text

    removed = await hr.post(f"/goals/{goal.goal_id}/certifications/remove",
                            data={"task_id": "T2", "type_id": FIREWALL}, follow_redirects=False)
    assert removed.status_code == 303
    assert ("T2", FIREWALL) not in {(r.task_id, r.type_id)
                                    for r in await store.task_requirements(services.pool, goal.goal_id)}
    gone = await hr.post(f"/goals/{goal.goal_id}/certifications/remove", data={"task_id": "T2", "type_id": FIREWALL})
    assert gone.status_code == 404 and "does not need" in gone.text


async def test_a_type_the_goal_calls_for_that_no_task_names_is_pointed_out_to_reviewers(
        services: Services, connect: ClientFactory) -> None:
    goal_id = await usecases.submit_goal(
        services, text="Set up the new Rotterdam cross-dock by 1 May, with forklift operations on every shift",
        manager_login="mgr.payments", submitted_by="mgr.payments")
    deadline = asyncio.get_running_loop().time() + 90
    while (await usecases.get_goal(services, goal_id)).status != "awaiting_plan_review":
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)
    found = await task_certifications.goal_certifications(services, goal_id)
    mentioned = {m.type_id: m.words for m in found.goal_mentions}
    assert "forklift-licence" in mentioned and mentioned["forklift-licence"].lower() == "forklift"
    page = await (await connect("hr.reviewer")).get(f"/goals/{goal_id}")
    assert 'data-testid="goal-mentions"' in page.text and "Counterbalance Forklift Operator Licence" in page.text
