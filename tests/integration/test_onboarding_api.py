"""Onboarding after a move through the console, on real Temporal and Postgres: the JSON API and the pages the person
moving, their line manager and the goal's manager use (My onboarding, the goal's page), HR's review of the drafted
plan (items moved or dropped, checked like a draft), the actions that went ahead unreviewed, and the learning
catalogue's import; what may not happen is refused with a sentence and changes nothing."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from markupsafe import escape
from support import CSRF_HEADER, eventually, onboarding_review_id, released_person, user_of

from infra.audit_query import AuditRecord, UnreviewedAction
from infra.store.moves import MoveKey
from policies import ramp_store
from policies.review_routing import ACTION_WORDS
from review_console.pages.reviews import output_titles
from workflows import usecases
from workflows.usecases import Services, learning
from workflows.usecases import onboarding as onboarding_cases

pytestmark = pytest.mark.integration
ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
MANAGER = "mgr.payments"


def base(key: MoveKey) -> str:
    """The API path of one person's onboarding on one task."""
    return f"/api/me/onboarding/{key.goal_id}/{key.task_id}/{key.employee_id}"


def page_base(key: MoveKey) -> str:
    """The page's form path of one person's onboarding on one task."""
    return f"/me/onboarding/{key.goal_id}/{key.task_id}/{key.employee_id}"


def item_key(key: MoveKey, item_id: str) -> str:
    return f"{key.goal_id}-{key.task_id}-{key.employee_id}-{item_id}"


async def approved_plan(svc: Services, key: MoveKey, login: str) -> onboarding_cases.PlanView:
    """Approve the person's drafted plan (HR, through the use case) and wait until it runs."""
    review_id = await onboarding_review_id(svc, key.goal_id)
    await usecases.decide_review(svc, review_id=review_id, decision="approve", reviewer="hr.reviewer")
    return await running(svc, key, login)


async def running(svc: Services, key: MoveKey, login: str) -> onboarding_cases.PlanView:
    person = await user_of(svc, login)

    async def active() -> onboarding_cases.PlanView | None:
        return next((v for v in await onboarding_cases.my_onboarding(svc, person)
                     if v.plan.goal_id == key.goal_id and v.plan.status == "active"), None)
    return await eventually(active, "the onboarding plan to run")


async def done_at(svc: Services, key: MoveKey, item_id: str) -> Any:
    return await svc.pool.fetchval(
        "SELECT done_at FROM onboarding_items WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3"
        " AND item_id = $4", key.goal_id, key.task_id, key.employee_id, item_id)


def plan_of(body: dict[str, Any], key: MoveKey) -> dict[str, Any] | None:
    return next((p for p in body["data"] if p["plan"]["goal_id"] == key.goal_id
                 and p["plan"]["employee_id"] == key.employee_id), None)


def plan_html(html: str, key: MoveKey) -> str:
    """One plan's card on My onboarding (the shared database gives a manager other goals' plans too)."""
    found = re.search(rf'<section class="card" id="p-{re.escape(key.goal_id)}-{re.escape(key.task_id)}-'
                      rf'{re.escape(key.employee_id)}".*?</section>', html, re.S)
    assert found, f"no plan of {key} on the page"
    return found.group(0)


def item_html(html: str, key: MoveKey, item_id: str) -> str:
    """One item's block on My onboarding."""
    found = re.search(rf'<li id="i-{re.escape(item_key(key, item_id))}".*?</li>', html, re.S)
    assert found, f"no item {item_id} on the page"
    return found.group(0)


def note_error(html: str, field_id: str) -> str:
    """The error right under the note field ``field_id`` (the field marked invalid and pointing at it)."""
    fid = re.escape(field_id)
    found = re.search(rf'<textarea id="{fid}"([^>]*)>(.*?)</textarea>\s*'
                      rf'<span class="field-error" id="err-{fid}" role="alert">(.*?)</span>', html, re.S)
    assert found, f"no error under #{field_id}"
    assert 'aria-invalid="true"' in found.group(1) and f'aria-describedby="err-{field_id}"' in found.group(1)
    return found.group(3)


def note_value(html: str, field_id: str) -> str:
    found = re.search(rf'<textarea id="{re.escape(field_id)}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, f"no #{field_id}"
    return found.group(1)


# --- the JSON API ------------------------------------------------------------------------------------------------


async def test_onboarding_through_the_api(services: Services, connect: ClientFactory) -> None:
    key, login, line_manager = await released_person(services, goal_text=GOAL)
    person, manager, lm = await connect(login), await connect(MANAGER), await connect(line_manager)
    review_id = await onboarding_review_id(services, key.goal_id)
    drafted = (await usecases.get_review(services, review_id)).arguments
    own = next(i["item_id"] for i in drafted["items"] if i["owner_role"] == "person")

    # drafted, waiting for HR: not on anybody's list yet, and nothing can be ticked off or marked
    assert plan_of((await person.get("/api/me/onboarding")).json(), key) is None
    resp = await person.post(f"{base(key)}/items/{own}", json={})
    assert resp.status_code == 409 and resp.json()["detail"] == "this onboarding plan is not running yet"
    resp = await manager.post(f"{base(key)}/productive")
    assert resp.status_code == 409 and "not running" in resp.json()["detail"]
    resp = await manager.get(f"/api/goals/{key.goal_id}/onboarding")
    assert resp.status_code == 200
    assert [(p["employee_id"], p["status"]) for p in resp.json()["data"]] == [(key.employee_id, "drafted")]

    await approved_plan(services, key, login)
    body = (await person.get("/api/me/onboarding")).json()
    assert body["count"] == len(body["data"])
    mine = plan_of(body, key)
    assert mine is not None and mine["plan"]["status"] == "active" and mine["is_goal_manager"] is False
    assert mine["plan"]["starts_on"] and mine["plan"]["task_title"] and mine["plan"]["summary"]
    items = {i["item"]["item_id"]: i for i in mine["items"]}
    assert set(items) == {i["item_id"] for i in drafted["items"]}
    assert items[own]["yours"] is True and items[own]["waiting_for"] == ["K0"] and items[own]["due_on"]
    assert items["K0"]["yours"] is False and items["K0"]["done_at"] is None
    assert set(items[own]) >= {"item", "done_at", "done_by", "outcome", "due_on", "yours", "waiting_for"}
    managed = plan_of((await manager.get("/api/me/onboarding")).json(), key)
    assert managed is not None and managed["is_goal_manager"] is True
    assert [i["yours"] for i in managed["items"] if i["item"]["item_id"] in ("K0", "C30")] == [True, True]
    ours = plan_of((await lm.get("/api/me/onboarding")).json(), key)
    assert ours is not None and ours["is_goal_manager"] is False, "the line manager has the hand-over"
    assert [i["item"]["item_id"] for i in ours["items"] if i["yours"]] == ["H1"]

    # what may not happen: someone else's item, an item that waits, an outcome on a meeting, a note too long
    resp = await person.post(f"{base(key)}/items/K0", json={"note": "done!"})
    assert resp.status_code == 403 and "is for the goal's manager, not for you" in resp.json()["detail"]
    resp = await person.post(f"{base(key)}/items/{own}", json={})
    assert resp.status_code == 409 and resp.json()["detail"] == "tick off K0 first: this item depends on it"
    resp = await manager.post(f"{base(key)}/items/K0", json={"outcome": "productive"})
    assert resp.status_code == 422 and resp.json()["detail"] == "only a check-in has an outcome"
    resp = await manager.post(f"{base(key)}/items/K0", json={"note": "we agreed " * 150})
    assert resp.status_code == 422 and "the note is too long" in resp.json()["detail"]
    resp = await manager.post(f"{base(key)}/items/K0", json={"note": "x" * 2001})
    assert resp.status_code == 422 and isinstance(resp.json()["detail"], list)
    resp = await manager.post(f"{base(key)}/items/K0", json={"outcome": "maybe"})
    assert resp.status_code == 422 and isinstance(resp.json()["detail"], list)
    resp = await manager.post(f"{base(key)}/items/Z9", json={})
    assert resp.status_code == 404 and resp.json()["detail"] == "the plan has no item Z9"
    resp = await manager.post(f"/api/me/onboarding/g-000000000000/{key.task_id}/{key.employee_id}/items/K0", json={})
    assert resp.status_code == 404 and "no onboarding plan" in resp.json()["detail"]
    assert await done_at(services, key, "K0") is None and await done_at(services, key, own) is None

    # the goal's manager holds the kick-off; the person's item is theirs to tick off then
    resp = await manager.post(f"{base(key)}/items/K0", json={"note": "agreed the day-30 target", "outcome": None})
    assert resp.status_code == 200 and resp.json() == {"done": ["K0"]}
    resp = await person.post(f"{base(key)}/items/{own}", json={"note": "finished it"})
    assert resp.status_code == 200 and set(resp.json()["done"]) == {"K0", own}
    resp = await person.post(f"{base(key)}/items/{own}", json={})
    assert resp.status_code == 409 and "already" in resp.json()["detail"]
    again = {i["item"]["item_id"]: i for i in plan_of((await person.get("/api/me/onboarding")).json(), key)["items"]}
    assert again[own]["done_by"] == login and again["K0"]["done_by"] == MANAGER and again[own]["done_at"]

    # only the goal's manager marks the person productive, once
    resp = await person.post(f"{base(key)}/productive")
    assert resp.status_code == 403 and resp.json()["detail"] == "only the goal's manager marks the person productive"
    other = "mgr.data" if line_manager != "mgr.data" else "hr.reviewer"
    assert (await (await connect(other)).post(f"{base(key)}/productive")).status_code == 403
    resp = await manager.post(f"{base(key)}/productive")
    assert resp.status_code == 200 and resp.json() == {"productive": True}
    resp = await manager.post(f"{base(key)}/productive")
    assert resp.status_code == 409 and "was marked productive on" in resp.json()["detail"]

    # the goal's plans: whoever sees the goal
    async def marked() -> dict[str, Any] | None:
        rows = (await manager.get(f"/api/goals/{key.goal_id}/onboarding")).json()["data"]
        return rows[0] if rows and rows[0]["days_to_productive"] is not None else None
    row = await eventually(marked, "the time to productivity on the goal")
    assert row["days_to_productive"] >= 0 and row["productive_on"] and row["status"] == "active"
    assert set(row) >= {"status", "summary", "buddy_name", "gap_skills", "starts_on", "productive_on",
                        "days_to_productive", "finish_reason"}
    assert (await (await connect("hr.reviewer")).get(f"/api/goals/{key.goal_id}/onboarding")).json()["count"] == 1
    for outsider in ("mgr.data", login):
        resp = await (await connect(outsider)).get(f"/api/goals/{key.goal_id}/onboarding")
        assert resp.status_code == 404 and resp.json()["detail"] == f"no goal {key.goal_id!r}", outsider
    assert (await (await connect()).get(f"/api/goals/{key.goal_id}/onboarding")).status_code == 401
    assert (await manager.get("/api/goals/g-000000000000/onboarding")).status_code == 404


# --- the pages ---------------------------------------------------------------------------------------------------


async def test_my_onboarding_page_and_the_goal_page(services: Services, connect: ClientFactory) -> None:
    key, login, _ = await released_person(services, goal_text=GOAL)
    view = await approved_plan(services, key, login)
    person, manager = await connect(login), await connect(MANAGER)
    own = next(i for i in view.items if i.yours)
    k0 = next(i for i in view.items if i.item.item_id == "K0")

    page = await person.get("/me/onboarding")
    assert page.status_code == 200 and 'data-testid="nav-onboarding"' in page.text
    html = page.text
    plan = html.split(f'id="p-{key.goal_id}-{key.task_id}-{key.employee_id}"', 1)[1].split("</section>", 1)[0]
    assert 'data-testid="plan-status">Running</span>' in plan and f"on “{escape(view.plan.task_title)}”" in plan
    assert str(escape(view.plan.summary)) in plan and "Started:" in plan
    shown = re.findall(r'data-testid="onboarding-item" data-item="([A-Z0-9]+)"', plan)
    by_id = {i.item.item_id: i for i in view.items}
    assert sorted(shown) == sorted(by_id) and [by_id[i].item.due_day for i in shown] == sorted(
        i.item.due_day for i in view.items), "in due-date order"
    waiting = item_html(html, key, own.item.item_id)
    assert f"Waits for “{escape(k0.item.title)}”" in waiting and 'data-testid="tick-form"' not in waiting
    assert 'data-testid="owner">you</span>' in waiting
    assert "for <span data-testid=\"owner\">the goal&#39;s manager</span>" in item_html(html, key, "K0")
    assert 'data-testid="tick-form"' not in item_html(html, key, "K0")
    assert 'data-testid="productive-form"' not in html, "only the goal's manager marks the person productive"

    # someone else's item: 403, the error next to that item, nothing done
    resp = await person.post(f"{page_base(key)}/items/K0", data={"outcome": "", "note": "I was there"})
    assert resp.status_code == 403 and resp.headers["content-type"].startswith("text/html")
    assert "is for the goal&#39;s manager, not for you." in item_html(resp.text, key, "K0")
    assert await done_at(services, key, "K0") is None

    # the goal's manager: the kick-off and the check-ins are theirs, and "Mark productive now"
    html = (await manager.get("/me/onboarding")).text
    kickoff = item_html(html, key, "K0")
    assert f'<form method="post" action="{page_base(key)}/items/K0"' in kickoff and ">Done</button>" in kickoff
    assert f'action="{page_base(key)}/productive"' in html and ">Mark productive now</button>" in html
    assert "Held: productive" not in item_html(html, key, "C30"), "the day-30 check-in waits for the kick-off"
    field = f"note-{item_key(key, 'K0')}"
    resp = await manager.post(f"{page_base(key)}/items/K0", data={"outcome": "productive", "note": "went well"})
    assert resp.status_code == 422 and note_error(resp.text, field) == "Only a check-in has an outcome."
    assert note_value(resp.text, field) == "went well", "the note is kept"
    long_note = "We agreed the first dashboard for day 30 and who reviews it. " * 20
    resp = await manager.post(f"{page_base(key)}/items/K0", data={"outcome": "", "note": long_note})
    assert resp.status_code == 422 and "The note is too long" in note_error(resp.text, field)
    assert note_value(resp.text, field) == str(escape(long_note))
    resp = await manager.post(f"{page_base(key)}/items/K0", data={"outcome": "held", "note": "x"})
    assert resp.status_code == 422 and "Choose Done" in note_error(resp.text, field)
    assert await done_at(services, key, "K0") is None

    resp = await manager.post(f"{page_base(key)}/items/K0", data={"outcome": "", "note": "agreed the day-30 target"})
    assert resp.status_code == 303 and resp.headers["location"] == f"/me/onboarding#i-{item_key(key, 'K0')}"
    html = (await manager.get("/me/onboarding")).text
    assert 'data-testid="item-done"' in item_html(html, key, "K0") and "by you" in item_html(html, key, "K0")
    checkin = item_html(html, key, "C30")
    assert ">Held: productive</button>" in checkin and ">Held: not yet</button>" in checkin
    resp = await manager.post(f"{page_base(key)}/items/C30", data={"outcome": "not_yet", "note": "needs more SQL"})
    assert resp.status_code == 303
    assert "held: not productive yet" in item_html((await manager.get("/me/onboarding")).text, key, "C30")

    # the person's own item, open now: Done with a note
    html = (await person.get("/me/onboarding")).text
    assert 'data-testid="tick-form"' in item_html(html, key, own.item.item_id)
    resp = await person.post(f"{page_base(key)}/items/{own.item.item_id}", data={"note": "took the course"})
    assert resp.status_code == 303
    done = item_html((await person.get("/me/onboarding")).text, key, own.item.item_id)
    assert 'data-done="yes"' in done and "by you" in done

    # marking productive: the person may not (the error in the plan's card), the goal's manager does
    resp = await person.post(f"{page_base(key)}/productive")
    assert resp.status_code == 403 and "Only the goal&#39;s manager marks the person productive." in resp.text
    resp = await manager.post(f"{page_base(key)}/productive")
    assert resp.status_code == 303
    html = plan_html((await manager.get("/me/onboarding")).text, key)
    assert 'data-testid="time-to-productivity"' in html and 'data-testid="productive-form"' not in html
    resp = await manager.post(f"{page_base(key)}/productive")
    assert resp.status_code == 409 and "was marked productive on" in resp.text
    resp = await manager.post(f"/me/onboarding/g-000000000000/{key.task_id}/{key.employee_id}/productive")
    assert resp.status_code == 404 and "There is no onboarding plan for this assignment." in resp.text

    # the goal's page: each person's onboarding in words, the buddy, the time to productivity
    async def goal_page() -> str | None:
        html = (await manager.get(f"/goals/{key.goal_id}")).text
        card = html.split('data-testid="goal-onboarding"', 1)
        return html if len(card) == 2 and "not marked yet" not in card[1] else None
    html = await eventually(goal_page, "the time to productivity on the goal's page")
    card = html.split('data-testid="goal-onboarding"', 1)[1].split("</table>", 1)[0]
    assert f'data-status="active" data-employee="{key.employee_id}"' in card and ">Running</span>" in card
    assert str(escape(view.plan.buddy_name or "none")) in card
    assert re.search(r'data-testid="time-to-productivity">\d+ days? <span class="muted">\(productive on ', card)


async def test_onboarding_plan_review_moves_and_drops_items(services: Services, connect: ClientFactory) -> None:
    key, login, _ = await released_person(services, goal_text=GOAL)
    review_id = await onboarding_review_id(services, key.goal_id)
    drafted = (await usecases.get_review(services, review_id)).arguments
    ids = [i["item_id"] for i in drafted["items"]]
    assert {"A1", "H1"} <= set(ids)
    reviewer = await connect("hr.reviewer")
    path = f"/reviews/{review_id}"

    html = (await reviewer.get(path)).text
    assert f"<h2>{ACTION_WORDS['draft_onboarding_plan']} for: {escape(GOAL)}</h2>" in html
    assert 'data-testid="onboarding-person"' in html
    for item_id in ids:
        assert f'name="due_{item_id}"' in html and f'name="drop_{item_id}"' in html, item_id
    a1 = html.split('data-item="A1"', 1)[1].split("</tr>", 1)[0]
    assert ">HR</td>" in a1 and 'value="5"' in a1
    assert 'value="edit">Approve with changes</button>' in html and "Approve with swaps" not in html

    form = {f"due_{i['item_id']}": str(i["due_day"]) for i in drafted["items"]}

    # an item dated before the start: 422, the plan's checks next to the form, what was typed kept
    resp = await reviewer.post(f"{path}/decision", data={**form, "due_A1": "-1", "decision": "edit"})
    assert resp.status_code == 422, resp.text[:500]
    problem = resp.text.split('data-testid="onboarding-error">', 1)[1].split("</p>", 1)[0]
    assert "A1 is dated before the start (day -1)" in problem
    assert 'id="due_A1" name="due_A1" value="-1"' in resp.text
    # not a number: the error under that field
    resp = await reviewer.post(f"{path}/decision", data={**form, "due_A1": "soon", "decision": "edit"})
    assert resp.status_code == 422
    assert re.search(r'id="due_A1" name="due_A1" value="soon"[^>]*aria-invalid="true" aria-describedby="err-due-A1"',
                     resp.text)
    assert "is not a day" in resp.text.split('id="err-due-A1">', 1)[1].split("</span>", 1)[0]
    # a change with "Approve": press "Approve with changes" instead
    resp = await reviewer.post(f"{path}/decision", data={**form, "drop_H1": "on", "decision": "approve"})
    assert resp.status_code == 422 and "press “Approve with changes”" in resp.text
    assert re.search(r'name="drop_H1" checked', resp.text), "the tick is kept"
    # the API refuses the same edit with the plan's checks
    resp = await reviewer.post(f"/api{path}/decision", json={"decision": "edit", "onboarding_edits": {"A1": -1}})
    assert resp.status_code == 422 and "A1 is dated before the start (day -1)" in resp.json()["detail"]
    resp = await reviewer.post(f"/api{path}/decision", json={"decision": "edit", "onboarding_edits": {"A1": 10**6}})
    assert resp.status_code == 422 and isinstance(resp.json()["detail"], list)
    assert (await usecases.get_review(services, review_id)).status == "pending"

    # drop the hand-over and move the HR item to day 3: the edited plan is what runs
    resp = await reviewer.post(f"{path}/decision", data={**form, "due_A1": "3", "drop_H1": "on", "decision": "edit"})
    assert resp.status_code == 303, resp.text[:500]
    view = await running(services, key, login)
    assert {i.item.item_id for i in view.items} == set(ids) - {"H1"}
    assert next(i for i in view.items if i.item.item_id == "A1").item.due_day == 3
    review = await usecases.get_review(services, review_id)
    assert review.status == "edited" and review.decided_by == "hr.reviewer"
    html = (await reviewer.get(path)).text
    executed = html.split('data-testid="executed-items">', 1)[1].split("</ul>", 1)[0]
    assert "Day 3: Record the time share in the HR system" in executed and "(H1," not in executed
    assert 'name="due_A1"' not in html, "a decided review is not edited again"

    # a reminder the ramp samples is approved or rejected, never edited (the plan started today: A1 is due in
    # three days, so its first reminder is due at day 0, 09:00 UTC of the start date; before 09:00 UTC it is not due
    # yet)
    now = datetime.now(UTC)
    if view.plan.starts_on == now.date() and now.hour >= 9:
        async def reminder() -> str | None:
            found: str | None = await services.pool.fetchval(
                "SELECT review_id FROM review_requests WHERE goal_id = $1 AND action_type = 'send_reminder'",
                key.goal_id)
            return found
        html = (await reviewer.get(f"/reviews/{await eventually(reminder, 'a reminder review')}")).text
        assert f"<h2>{ACTION_WORDS['send_reminder']} for: {escape(GOAL)}</h2>" in html
        assert 'data-testid="review-explanation"' in html and "Remind the owner of" in html
        assert 'value="approve">Approve</button>' in html and 'value="reject">Reject</button>' in html
        assert 'value="edit"' not in html and 'name="due_' not in html


# --- went ahead unreviewed -----------------------------------------------------------------------------------------


class HighDraw(random.Random):
    """A draw the review share in force is never above (so the action is not sampled)."""

    def random(self) -> float:
        return 0.99


async def test_actions_that_went_ahead_unreviewed(services: Services, connect: ClientFactory) -> None:
    key, login, _ = await released_person(services, goal_text=GOAL)
    await onboarding_review_id(services, key.goal_id)
    draft = await services.pool.fetchrow(
        "SELECT workflow_id, model, prompt_version, payload FROM audit_events WHERE goal_id = $1"
        " AND action = 'agent.draft_onboarding_plan' ORDER BY seq DESC LIMIT 1", key.goal_id)
    assert draft is not None and draft["workflow_id"].startswith("onboarding-")

    # the ramp at its floor and a high draw: the routing of this draft as if the ramp had not sampled it; the pin
    # is put back whatever happens, so no other test meets a lowered ramp
    action = "draft_onboarding_plan"
    async with services.pool.acquire() as conn:
        floor = (await ramp_store.load_policy(conn, action)).ramp.floor
        before = (await ramp_store.load_state(conn, action)).pinned
        try:
            await ramp_store.set_pin(conn, action, floor, by="test")
            routed = await ramp_store.route(conn, action, model=draft["model"], prompt_version=draft["prompt_version"],
                                            rng=HighDraw(), audit_fields={"goal_id": key.goal_id,
                                                                          "workflow_id": draft["workflow_id"]})
        finally:
            await ramp_store.set_pin(conn, action, before, by="test")
    assert routed.routing.review is False and routed.share == floor

    reviewer = await connect("hr.reviewer")
    resp = await reviewer.get("/api/reviews/unreviewed", params={"action_type": action})
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == len(body["data"]) >= 1
    newest = body["data"][0]
    assert newest["routed"]["action"] == "review.routed" and newest["routed"]["goal_id"] == key.goal_id
    assert newest["routed"]["payload"]["review"] is False and newest["routed"]["payload"]["share"] == floor
    assert newest["routed"]["payload"]["draw"] == 0.99
    assert newest["output"]["action"] == "agent.draft_onboarding_plan"
    drafted = draft["payload"]
    assert newest["output"]["payload"]["output"]["items"] == drafted["output"]["items"]
    seqs = [r["routed"]["seq"] for r in body["data"]]
    assert seqs == sorted(seqs, reverse=True), "newest first"
    older = (await reviewer.get("/api/reviews/unreviewed",
                                params={"action_type": action, "before_seq": newest["routed"]["seq"]})).json()
    assert all(r["routed"]["seq"] < newest["routed"]["seq"] for r in older["data"])
    resp = await reviewer.get("/api/reviews/unreviewed", params={"action_type": "tidy_desk"})
    assert resp.status_code == 422 and "unknown action type 'tidy_desk'" in resp.json()["detail"]
    assert (await reviewer.get("/api/reviews/unreviewed", params={"before_seq": 0})).status_code == 422
    assert (await (await connect("admin")).get("/api/reviews/unreviewed")).status_code == 200
    for outsider in (login, MANAGER):
        resp = await (await connect(outsider)).get("/api/reviews/unreviewed")
        assert resp.status_code == 403, outsider
        assert (await (await connect(outsider)).get("/reviews/unreviewed")).status_code == 403
    assert (await (await connect()).get("/api/reviews/unreviewed")).status_code == 401

    # the page: newest first, the goal by its text, the share and the draw, the draft's items in a <details>
    assert 'href="/reviews/unreviewed"' in (await reviewer.get("/reviews")).text
    html = (await reviewer.get("/reviews/unreviewed", params={"action_type": action})).text
    block = html.split(f'data-seq="{newest["routed"]["seq"]}"', 1)[1].split("</section>", 1)[0]
    assert f"<h3>{ACTION_WORDS[action]}</h3>" in block
    assert f'<a href="/goals/{key.goal_id}">“{escape(GOAL)}”</a>' in block
    assert f"<strong>{round(floor * 100, 1)}%</strong>" in block and "<strong>0.990</strong>" in block
    details = block.split('<details data-testid="output">', 1)[1].split("</details>", 1)[0]
    for item in drafted["output"]["items"]:
        assert f"<li>{escape(item['title'])}</li>" in details
    assert f'<option value="{action}" selected>{ACTION_WORDS[action]}</option>' in html
    page = await reviewer.get("/reviews/unreviewed", params={"action_type": "tidy_desk"})
    assert page.status_code == 422 and "unknown action type" in page.text


def audit_record(seq: int, action: str, payload: dict[str, Any]) -> AuditRecord:
    return AuditRecord(seq=seq, at=datetime.now(UTC), actor_type="agent", actor="test", actor_role=None, action=action,
                       goal_id="g-000000000000", workflow_id="goal-g-000000000000", run_id=None, args_hash=None,
                       model=None, prompt_version=None, policy_version=None, trace_id=None, payload=payload,
                       prev_hash="0", hash="1")


def test_what_went_ahead_is_listed_by_its_titles() -> None:
    routed = audit_record(2, "review.routed", {"action_type": "decompose_goal", "review": False})
    plan = audit_record(1, "agent.decompose_goal", {"output": {"tasks": [{"title": "Map the card data"},
                                                                         {"title": "Build the dashboard"}]}})
    assert output_titles(UnreviewedAction(routed=routed, output=plan)) == ["Map the card data", "Build the dashboard"]
    draft = audit_record(1, "agent.draft_onboarding_plan", {"output": {"items": [{"title": "Kick-off"}]}})
    assert output_titles(UnreviewedAction(routed=routed, output=draft)) == ["Kick-off"]
    assert output_titles(UnreviewedAction(routed=routed, output=None)) == []


# --- the learning catalogue --------------------------------------------------------------------------------------


def catalogue_lines(*ids: str) -> bytes:
    return "".join(
        f'{{"item_id": "{i}", "title": "Bookbinding basics {i}", "provider": "Test LMS", "skills": ["Bookbinding"],'
        f' "hours": 2, "format": "reading"}}\n' for i in ids).encode()


async def test_learning_catalogue_import_through_the_api(services: Services, connect: ClientFactory) -> None:
    admin = await connect("admin")
    ids = [f"test-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    size = await learning.catalogue_size(services)
    upload = {"file": ("catalogue.jsonl", catalogue_lines(*ids), "application/x-ndjson")}
    resp = await admin.post("/api/admin/learning", files=upload)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["added"], body["updated"]) == (2, 0) and [i["item_id"] for i in body["items"]] == ids
    assert body["items"][0]["skills"] == ["Bookbinding"] and body["items"][0]["format"] == "reading"
    assert await learning.catalogue_size(services) == size + 2
    resp = await admin.post("/api/admin/learning", files=upload)
    assert (resp.json()["added"], resp.json()["updated"]) == (0, 2), "a re-import updates"
    csv_file = f"item_id,title,provider,skills,hours\n{ids[0]},Bookbinding again,Test LMS,Bookbinding;Paper,3\n"
    resp = await admin.post("/api/admin/learning", files={"file": ("lms.csv", csv_file.encode(), "text/csv")})
    assert resp.status_code == 200 and resp.json()["items"][0]["skills"] == ["Bookbinding", "Paper"]

    # a bad file: every bad line named, nothing imported
    bad = catalogue_lines(f"test-{uuid.uuid4().hex[:8]}") + b'{"item_id": "x", \n{"item_id": "y", "title": "Y"}\n'
    resp = await admin.post("/api/admin/learning", files={"file": ("bad.jsonl", bad)})
    assert resp.status_code == 422
    detail = resp.json()["detail"]
    assert detail.startswith("2 problem(s); nothing was imported") and "line 2: not JSON" in detail
    assert "line 3:" in detail and "hours" in detail
    assert await learning.catalogue_size(services) == size + 2
    resp = await admin.post("/api/admin/learning", files={"file": ("notes.txt", b"hello")})
    assert resp.status_code == 422 and "is a JSON Lines (.jsonl) or CSV (.csv) file" in resp.json()["detail"]
    assert (await admin.post("/api/admin/learning", json={"file": "x"})).status_code == 422

    # admins only; with a session, the upload needs the session's CSRF token in its header
    for login in (MANAGER, "hr.reviewer", "sanne.devries"):
        resp = await (await connect(login)).post("/api/admin/learning", files=upload)
        assert resp.status_code == 403, login
    bare = await connect("admin")
    del bare.headers[CSRF_HEADER]
    resp = await bare.post("/api/admin/learning", files=upload)
    assert resp.status_code == 403 and "X-CSRF-Token" in resp.json()["detail"]
    assert (await (await connect()).post("/api/admin/learning", files=upload)).status_code == 401
    assert await learning.catalogue_size(services) == size + 2


async def test_learning_catalogue_on_the_admin_page(services: Services, connect: ClientFactory) -> None:
    admin = await connect("admin")
    size = await learning.catalogue_size(services)
    page = (await admin.get("/admin/trust-ramp")).text
    assert f'<strong data-testid="catalogue-size">{size}</strong>' in page
    assert '<form method="post" action="/admin/learning" enctype="multipart/form-data"' in page

    bad = b'{"item_id": "x"}\nnot json\n'
    resp = await admin.post("/admin/learning", files={"file": ("lms.jsonl", bad)})
    assert resp.status_code == 422 and resp.headers["content-type"].startswith("text/html")
    problems = resp.text.split('data-testid="learning-problems">', 1)[1].split("</div>", 1)[0]
    assert "lms.jsonl was not imported; nothing changed" in problems
    lines = re.findall(r"<li>(.*?)</li>", problems, re.S)
    assert len(lines) == 2 and lines[0].startswith("Line 1: ") and lines[1].startswith("Line 2: not JSON")
    assert 'id="catalogue-file" name="file" accept=".jsonl,.ndjson,.csv" aria-invalid="true"' in resp.text
    resp = await admin.post("/admin/learning", data={})
    assert resp.status_code == 422 and "Choose a catalogue file" in resp.text

    item = f"test-{uuid.uuid4().hex[:8]}"
    resp = await admin.post("/admin/learning", files={"file": ("lms.jsonl", catalogue_lines(item))})
    assert resp.status_code == 200
    assert "Imported lms.jsonl: 1 new item added, 0 updated." in resp.text
    assert f'<strong data-testid="catalogue-size">{size + 1}</strong>' in resp.text
    resp = await (await connect(MANAGER)).post("/admin/learning", files={"file": ("lms.jsonl", catalogue_lines("z"))})
    assert resp.status_code == 403 and await learning.catalogue_size(services) == size + 1
