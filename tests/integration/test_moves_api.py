"""After staffing through the console, on real Temporal and Postgres: the JSON API and the pages the staffed person
(My work), their line manager (My team), everybody (Inbox), reviewers (a refusal or a decline under review) and a
rejected goal's manager (revise and submit again) use; what may not happen is refused with a sentence and changes
nothing."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from markupsafe import escape
from support import eventually, move_state, review_id_of, staff_person, unbooked_person

from infra.store import users
from infra.store.users import User
from policies.review_routing import ACTION_WORDS
from workflows import usecases
from workflows.usecases import GoalDetail, Services
from workflows.usecases import moves as move_cases

pytestmark = pytest.mark.integration
ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
OTHER_GOAL = "Move our warehouse pick-and-pack process to the new WMS before peak season"
PASSWORD = "a-long-password-for-tests"


async def user(svc: Services, login: str) -> User:
    found = await users.get(svc.pool, login)
    assert found is not None, login
    return found


def other_manager(line_manager: str) -> str:
    """A manager who is not the person's line manager."""
    return "mgr.data" if line_manager != "mgr.data" else "mgr.payments"


async def inbox_of(client: httpx.AsyncClient) -> dict[str, Any]:
    resp = await client.get("/api/me/inbox")
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def inbox_has(client: httpx.AsyncClient, words: str) -> Callable[[], Awaitable[dict[str, Any] | None]]:
    async def probe() -> dict[str, Any] | None:
        return next((n for n in (await inbox_of(client))["data"] if words in n["subject"]), None)
    return probe


def release_asked(client: httpx.AsyncClient, employee_id: str) -> Callable[[], Awaitable[dict[str, Any] | None]]:
    """The line manager's release request for ``employee_id`` once it is asked (deadline set)."""
    async def probe() -> dict[str, Any] | None:
        body = (await client.get("/api/me/team/releases")).json()
        return next((r for r in body["data"] if r["employee_id"] == employee_id and r["state"] == "accepted"
                     and r["release_due_at"]), None)
    return probe


def in_state(svc: Services, goal_id: str, task_id: str, employee_id: str, state: str) -> Any:
    async def probe() -> bool:
        return await move_state(svc, goal_id, task_id, employee_id) == state
    return probe


async def pending_review(svc: Services, goal_id: str, action_type: str) -> str:
    async def probe() -> str | None:
        goal = await usecases.get_goal(svc, goal_id)
        assert goal.status != "failed", goal.status_detail
        ok = goal.review is not None and goal.review.action_type == action_type and goal.review.status == "pending"
        return review_id_of(goal) if ok else None
    return await eventually(probe, f"a pending {action_type} review")


def state_words(state: str) -> str:
    """A move's state in words, as a page writes it (HTML-escaped)."""
    return str(escape(move_cases.STATE_WORDS[state]))


def field_error(html: str, field_id: str) -> str:
    """The error shown right under the field ``field_id`` (the field says it is invalid and points at the error)."""
    fid = re.escape(field_id)
    found = re.search(rf'<textarea id="{fid}"([^>]*)>.*?</textarea>\s*'
                      rf'<span class="field-error" id="err-{fid}" role="alert">(.*?)</span>', html, re.S)
    assert found, f"no error under #{field_id}"
    attributes = found.group(1)
    assert 'aria-invalid="true"' in attributes, attributes
    described = re.search(r'aria-describedby="([^"]*)"', attributes)
    assert described and f"err-{field_id}" in described.group(1).split(), attributes
    return found.group(2)


def textarea_value(html: str, field_id: str) -> str:
    found = re.search(rf'<textarea id="{re.escape(field_id)}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, f"no #{field_id}"
    return found.group(1)


# --- the JSON API ------------------------------------------------------------------------------------------------


async def test_answer_and_release_through_the_api(services: Services, connect: ClientFactory) -> None:
    person_id, login, line_manager = await unbooked_person(services)
    assert login != "sanne.devries"
    goal_id, task_id = await staff_person(services, person_id, goal_text=GOAL)
    person, lm = await connect(login), await connect(line_manager)
    answer = f"/api/me/assignments/{goal_id}/{task_id}/answer"
    release = f"/api/me/team/releases/{goal_id}/{task_id}/{person_id}"

    # the offer reaches the person's inbox; marking it read
    offer = await eventually(inbox_has(person, "You are proposed"), "the offer in the person's inbox")
    assert offer["link"] == "/me/work" and offer["read_at"] is None
    inbox = await inbox_of(person)
    assert inbox["unread"] >= 1 and inbox["count"] == len(inbox["data"])
    assert (await person.post("/api/me/inbox/read", json={"id": offer["id"]})).json() == {"marked": 1}
    again = await person.post("/api/me/inbox/read", json={"id": offer["id"]})
    assert again.status_code == 404 and "no such unread notification" in again.json()["detail"]
    assert (await person.post("/api/me/inbox/read", json={"id": 0})).status_code == 422
    assert (await person.post("/api/me/inbox/read", json={})).status_code == 200
    assert (await inbox_of(person))["unread"] == 0
    assert next(n for n in (await inbox_of(person))["data"] if n["id"] == offer["id"])["read_at"] is not None

    # someone else's assignment is not theirs to answer; a decline needs a reason; nothing changes
    stranger = await connect("sanne.devries")
    resp = await stranger.post(answer, json={"accept": True})
    assert resp.status_code == 404 and "you are not staffed on task" in resp.json()["detail"]
    for body in ({"accept": False}, {"accept": False, "reason": "   "}, {"accept": False, "reason": None}):
        resp = await person.post(answer, json=body)
        assert resp.status_code == 422 and resp.json()["detail"] == "a decline needs a reason", body
    resp = await person.post(answer, json={"accept": False, "reason": "x" * 1500})
    assert resp.status_code == 422 and "the reason is too long" in resp.json()["detail"]
    assert (await person.post(answer, json={"accept": "perhaps"})).status_code == 422
    assert (await person.post(answer, json={"reason": "no answer"})).status_code == 422
    # the line manager cannot release before the person accepted
    resp = await lm.post(release, json={"release": True})
    assert resp.status_code == 409 and "has not accepted" in resp.json()["detail"]
    assert await move_state(services, goal_id, task_id, person_id) == "offered"
    mine = (await person.get("/api/me/assignments")).json()["data"]
    assert [(a["goal_id"], a["state"]) for a in mine] == [(goal_id, "offered")]

    # accepting asks the line manager, by a deadline
    resp = await person.post(answer, json={"accept": True})
    assert resp.status_code == 200 and resp.json() == {"state": "accepted"}
    resp = await person.post(answer, json={"accept": False, "reason": "changed my mind"})
    assert resp.status_code == 409 and "already" in resp.json()["detail"]
    asked = await eventually(release_asked(lm, person_id), "the release request on the line manager's team")
    assert (asked["goal_id"], asked["task_id"], asked["refusal_reason"]) == (goal_id, task_id, None)
    assert asked["person_name"] and asked["task_title"] and asked["goal_text"] == GOAL
    team = (await lm.get("/api/me/team/releases")).json()
    assert team["count"] == len(team["data"]) >= 1 and team["counts"]["waiting"] >= 1
    mine = (await person.get("/api/me/assignments")).json()["data"][0]
    lm_name = (await user(services, line_manager)).display_name
    assert mine["state"] == "accepted" and mine["line_manager"] == lm_name and mine["release_due_at"]
    await eventually(inbox_has(lm, "Please release"), "the release request in the line manager's inbox")

    # only the line manager releases; a refusal needs a reason
    resp = await (await connect(other_manager(line_manager))).post(release, json={"release": True})
    assert resp.status_code == 403 and "not in your team" in resp.json()["detail"]
    for body in ({"release": False}, {"release": False, "reason": " \n "}):
        resp = await lm.post(release, json=body)
        assert resp.status_code == 422 and resp.json()["detail"] == "a refusal needs a reason", body
    assert (await lm.post(release, json={"release": "yes please"})).status_code == 422
    assert await move_state(services, goal_id, task_id, person_id) == "accepted"

    resp = await lm.post(release, json={"release": True})
    assert resp.status_code == 200 and resp.json() == {"state": "released"}
    resp = await lm.post(release, json={"release": True})
    assert resp.status_code == 409 and "no release is waiting" in resp.json()["detail"]
    assert (await person.get("/api/me/assignments")).json()["data"][0]["state"] == "released"
    team = (await lm.get("/api/me/team/releases")).json()
    decided = next(r for r in team["data"] if r["employee_id"] == person_id and r["goal_id"] == goal_id)
    assert decided["state"] == "released" and not decided["released_by_silence"]
    assert team["counts"]["released"] >= 1
    await eventually(inbox_has(person, "You are released"), "the confirmation in the person's inbox")

    # every line manager's counts: admins and reviewers, not employees or managers
    assert (await stranger.get("/api/admin/releases")).status_code == 403
    assert (await (await connect("mgr.payments")).get("/api/admin/releases")).status_code == 403
    for reader in ("hr.reviewer", "admin"):
        body = (await (await connect(reader)).get("/api/admin/releases")).json()
        assert body["count"] == len(body["data"])
        row = next(r for r in body["data"] if r["name"] == lm_name)
        assert row["released"] >= 1 and set(row) == {"manager_id", "name", "waiting", "released",
                                                     "released_by_silence", "refused"}


async def test_logins_without_a_team_or_a_record_get_empty_answers(services: Services,
                                                                   connect: ClientFactory) -> None:
    employee = await connect("sanne.devries")
    assert (await employee.get("/api/me/team/releases")).json() == {"data": [], "count": 0, "counts": None}
    login = f"norecord-{uuid.uuid4().hex[:6]}"
    await usecases.create_user(services, login=login, display_name="No Record", role="reviewer", password=PASSWORD,
                               by="test")
    client = await connect()
    assert (await client.post("/api/login", json={"login": login, "password": PASSWORD})).status_code == 200
    assert (await client.get("/api/me/team/releases")).json() == {"data": [], "count": 0, "counts": None}
    assert (await client.get("/api/me/inbox")).json() == {"data": [], "count": 0, "unread": 0}
    resp = await client.post("/api/me/assignments/g-000000000000/T1/answer", json={"accept": True})
    assert resp.status_code == 404 and "no employee record" in resp.json()["detail"]
    anonymous = await connect()
    assert (await anonymous.get("/api/me/inbox")).status_code == 401
    assert (await anonymous.post("/api/me/assignments/g-000000000000/T1/answer",
                                 json={"accept": True})).status_code == 401


async def rejected_goal(svc: Services, text: str = GOAL) -> tuple[str, str]:
    """A goal of mgr.payments whose plan review was rejected: ``(goal_id, the rejection reason)``."""
    goal_id = await usecases.submit_goal(svc, text=text, manager_login="mgr.payments", submitted_by="mgr.payments")

    async def planned() -> GoalDetail | None:
        goal = await usecases.get_goal(svc, goal_id)
        assert goal.status != "failed", goal.status_detail
        return goal if goal.status == "awaiting_plan_review" else None

    goal = await eventually(planned, "the plan review")
    reason = "the dashboard needs the card risk team's data owners named first"
    await usecases.decide_review(svc, review_id=review_id_of(goal), decision="reject", reason=reason,
                                 reviewer="hr.reviewer2")

    async def rejected() -> GoalDetail | None:
        found = await usecases.get_goal(svc, goal_id)
        return found if found.status == "rejected" else None

    await eventually(rejected, "the goal to be rejected")
    return goal_id, reason


async def test_a_rejected_goal_is_revised_and_submitted_again_through_the_api(services: Services,
                                                                                connect: ClientFactory) -> None:
    manager = await connect("mgr.payments")
    waiting = await usecases.submit_goal(services, text=GOAL, manager_login="mgr.payments",
                                         submitted_by="mgr.payments")
    resp = await manager.post(f"/api/goals/{waiting}/resubmit", json={"text": GOAL})
    assert resp.status_code == 409 and "only a rejected goal" in resp.json()["detail"]

    goal_id, _ = await rejected_goal(services)
    path = f"/api/goals/{goal_id}/resubmit"
    revised = GOAL + ", with the card risk team's data owners named"
    assert (await (await connect("mgr.data")).post(path, json={"text": revised})).status_code == 404
    resp = await (await connect("hr.reviewer")).post(path, json={"text": revised})
    assert resp.status_code == 403 and "only the goal's manager" in resp.json()["detail"]
    resp = await manager.post(path, json={"text": "do it"})
    assert resp.status_code == 422 and isinstance(resp.json()["detail"], str) and "too short" in resp.json()["detail"]
    assert (await manager.post(path, json={})).status_code == 422
    assert (await manager.post("/api/goals/g-000000000000/resubmit", json={"text": revised})).status_code == 404
    assert (await usecases.get_goal(services, goal_id)).revised_as is None

    resp = await manager.post(path, json={"text": revised})
    assert resp.status_code == 201, resp.text
    new_id = resp.json()["goal_id"]
    assert re.fullmatch(r"g-[0-9a-f]{12}", new_id) and new_id != goal_id
    new = (await manager.get(f"/api/goals/{new_id}")).json()
    assert new["revision_of"] == goal_id and new["text"] == revised
    assert (await manager.get(f"/api/goals/{goal_id}")).json()["revised_as"] == new_id
    resp = await manager.post(path, json={"text": revised})
    assert resp.status_code == 409 and "revised already" in resp.json()["detail"]


# --- the pages ---------------------------------------------------------------------------------------------------


async def test_my_work_my_team_and_the_inbox_pages(services: Services, connect: ClientFactory) -> None:
    person_id, login, line_manager = await unbooked_person(services)
    goal_id, task_id = await staff_person(services, person_id, goal_text=GOAL)
    person, lm = await connect(login), await connect(line_manager)
    key = f"{goal_id}-{task_id}"
    goal = await usecases.get_goal(services, goal_id)
    title = next(t.title for t in goal.tasks if t.task_id == task_id)
    await eventually(inbox_has(person, "You are proposed"), "the offer in the person's inbox")

    page = (await person.get("/me/work")).text
    assert state_words("offered") in page and str(escape(title)) in page
    form = f'<form method="post" action="/me/work/{goal_id}/{task_id}/answer"'
    assert form in page and 'value="accept">Accept</button>' in page and 'value="decline">Decline</button>' in page
    assert f'<label for="reason-{key}">' in page
    assert re.search(r'data-testid="nav-inbox" aria-label="Inbox, [1-9]\d* unread">Inbox \([1-9]\d*\)</a>', page)
    assert 'data-testid="nav-team"' not in page, "the person manages nobody and was asked for no release"

    # a decline without a reason (or too long a one): the page again, 422, the error under the field, text kept
    resp = await person.post(f"/me/work/{goal_id}/{task_id}/answer", data={"answer": "decline", "reason": "  "})
    assert resp.status_code == 422 and resp.headers["content-type"].startswith("text/html")
    assert field_error(resp.text, f"reason-{key}") == "A decline needs a reason."
    long_reason = "I am needed on the year-end close until March, " * 25
    resp = await person.post(f"/me/work/{goal_id}/{task_id}/answer", data={"answer": "decline", "reason": long_reason})
    assert resp.status_code == 422
    assert "The reason is too long" in field_error(resp.text, f"reason-{key}")
    assert textarea_value(resp.text, f"reason-{key}") == str(escape(long_reason)), "what was typed is kept"
    resp = await person.post(f"/me/work/{goal_id}/{task_id}/answer", data={"answer": "maybe", "reason": "hm"})
    assert resp.status_code == 422 and field_error(resp.text, f"reason-{key}") == "Choose Accept or Decline."
    assert await move_state(services, goal_id, task_id, person_id) == "offered"

    # the inbox: newest first, each linking to its page; mark all read
    inbox = (await person.get("/me/inbox")).text
    assert 'data-testid="notification" data-read="no"' in inbox and '<a href="/me/work">You are proposed' in inbox
    assert 'data-testid="mark-all-read"' in inbox
    resp = await person.post("/me/inbox/read", data={})
    assert resp.status_code == 303 and resp.headers["location"] == "/me/inbox"
    inbox = (await person.get("/me/inbox")).text
    assert 'data-read="no"' not in inbox and 'data-testid="mark-all-read"' not in inbox
    assert ">Inbox (0)</a>" in inbox
    assert (await person.post("/me/inbox/read", data={"id": "999999999999"})).status_code == 404

    # accept from the page: it waits for the line manager's release, by a date
    resp = await person.post(f"/me/work/{goal_id}/{task_id}/answer", data={"answer": "accept", "reason": ""})
    assert resp.status_code == 303 and resp.headers["location"] == f"/me/work#a-{key}"
    lm_name = (await user(services, line_manager)).display_name

    async def waiting_page() -> str | None:
        html = (await person.get("/me/work")).text
        return html if f"Waiting for {escape(lm_name)}'s release by" in html else None

    html = await eventually(waiting_page, "My work to name the line manager and the deadline")
    assert state_words("accepted") in html and form not in html
    assert f'hx-get="/me/work" hx-select="#a-{key}"' in html, "a move waiting for its release follows it live"

    # My team: the request, the deadline and what silence means; a refusal needs a reason (error under the field)
    await eventually(release_asked(lm, person_id), "the release request")
    team = await lm.get("/me/team")
    assert team.status_code == 200 and 'data-testid="nav-team"' in team.text
    rkey = f"{goal_id}-{task_id}-{person_id}"
    person_name = (await user(services, login)).display_name
    assert f"{escape(person_name)} for “{escape(title)}”" in team.text and "Answer by " in team.text
    assert "counts your silence as a release" in team.text
    assert f'<form method="post" action="/me/team/{goal_id}/{task_id}/{person_id}"' in team.text
    resp = await lm.post(f"/me/team/{goal_id}/{task_id}/{person_id}", data={"decision": "refuse", "reason": " "})
    assert resp.status_code == 422 and field_error(resp.text, f"reason-{rkey}") == "A refusal needs a reason."
    assert textarea_value(resp.text, f"reason-{rkey}") == " "
    other = await (await connect(other_manager(line_manager))).post(f"/me/team/{goal_id}/{task_id}/{person_id}",
                                                                    data={"decision": "release"})
    assert other.status_code == 403 and "not in your team" in other.text
    assert await move_state(services, goal_id, task_id, person_id) == "accepted"

    resp = await lm.post(f"/me/team/{goal_id}/{task_id}/{person_id}", data={"decision": "release", "reason": ""})
    assert resp.status_code == 303 and resp.headers["location"] == "/me/team"
    team = (await lm.get("/me/team")).text
    assert 'data-testid="release-decided" data-state="released"' in team and "Released by you" in team
    assert re.search(r"<strong>[1-9]\d*</strong> released by you", team)
    mine = (await person.get("/me/work")).text
    assert state_words("released") in mine and "hx-get" not in mine
    goal_page = (await (await connect("mgr.payments")).get(f"/goals/{goal_id}")).text
    assert 'data-testid="assignment" data-state="released"' in goal_page and "Confirmed" in goal_page


async def test_a_decline_shows_on_the_goal_and_its_new_proposal_is_reviewed_in_words(
        services: Services, connect: ClientFactory) -> None:
    person_id, login, _ = await unbooked_person(services)
    goal_id, task_id = await staff_person(services, person_id, goal_text=GOAL)
    reason = "I am on parental leave from next month"
    resp = await (await connect(login)).post(f"/api/me/assignments/{goal_id}/{task_id}/answer",
                                             json={"accept": False, "reason": reason})
    assert resp.status_code == 200 and resp.json() == {"state": "declined"}
    review_id = await pending_review(services, goal_id, "repropose_declined_task")
    person_name = (await user(services, login)).display_name

    page = (await (await connect("mgr.payments")).get(f"/goals/{goal_id}")).text
    assert 'data-testid="assignment-history"' in page
    assert f"{escape(person_name)} for “" in page and f"declined — “{escape(reason)}”" in page
    assert f"Review “{ACTION_WORDS['repropose_declined_task']}” <code>{review_id}</code>" in page

    reviewer = await connect("hr.reviewer")
    queue = (await reviewer.get("/reviews", params={"goal_id": goal_id})).text
    assert f'<td data-action-type="repropose_declined_task">{ACTION_WORDS["repropose_declined_task"]}</td>' in queue
    for name, words in ACTION_WORDS.items():
        assert f'<option value="{name}" >{words}</option>' in queue, name
    html = (await reviewer.get(f"/reviews/{review_id}")).text
    assert f"<h2>{ACTION_WORDS['repropose_declined_task']} for: {escape(GOAL)}</h2>" in html
    assert "<h3>What will execute</h3>" in html and f'name="edit_{task_id}"' in html, "like a staffing review"
    assert 'data-testid="passed-over"' in html and f"{escape(person_name)} declined (“{escape(reason)}”)" in html
    assert 'value="edit">Approve with swaps</button>' in html


async def test_a_refused_release_is_reviewed_with_its_explanation_and_only_approve_or_reject(
        services: Services, connect: ClientFactory) -> None:
    person_id, login, line_manager = await unbooked_person(services)
    goal_id, task_id = await staff_person(services, person_id, goal_text=GOAL)
    person, lm = await connect(login), await connect(line_manager)
    assert (await person.post(f"/api/me/assignments/{goal_id}/{task_id}/answer",
                              json={"accept": True})).json() == {"state": "accepted"}
    await eventually(release_asked(lm, person_id), "the release request")
    refusal = "our own audit needs them until June"
    resp = await lm.post(f"/api/me/team/releases/{goal_id}/{task_id}/{person_id}",
                         json={"release": False, "reason": refusal})
    assert resp.status_code == 200 and resp.json() == {"state": "refused"}
    review_id = await pending_review(services, goal_id, "override_release_refusal")
    person_name = (await user(services, login)).display_name

    reviewer = await connect("hr.reviewer")
    html = (await reviewer.get(f"/reviews/{review_id}")).text
    assert f"<h2>{ACTION_WORDS['override_release_refusal']} for: {escape(GOAL)}</h2>" in html
    box = html.split('data-testid="override-explanation"', 1)[1].split("</div>", 1)[0]
    assert f"<strong>{escape(person_name)}</strong> accepted the task" in box
    assert f"refused to release them: “{escape(refusal)}”" in box
    assert "<strong>Approve</strong>: overrule the refusal" in box and "<strong>Reject</strong>" in box
    assert 'value="approve">Approve</button>' in html and 'value="reject">Reject</button>' in html
    assert 'value="edit"' not in html and 'name="edit_' not in html, "a refusal is approved or rejected, not edited"
    assert 'data-testid="bias-audit"' not in html

    goal_page = (await (await connect("mgr.payments")).get(f"/goals/{goal_id}")).text
    assert state_words("refused") in goal_page and f"“{escape(refusal)}”" in goal_page
    admin_page = (await (await connect("admin")).get("/admin/trust-ramp")).text
    assert "<h2>Releases per line manager</h2>" in admin_page
    row = admin_page.split(f"<strong>{escape((await user(services, line_manager)).display_name)}</strong>", 1)[1]
    assert re.match(r'</td>\s*<td data-label="Waiting">\d+</td><td data-label="Released">\d+</td>\s*'
                    r'<td data-label="Released by silence">\d+</td><td data-label="Refused">[1-9]\d*</td>', row)
    counts = (await lm.get("/api/me/team/releases")).json()["counts"]
    assert counts["refused"] >= 1

    # reject (uphold the refusal) from the page: the person stays in their team, and the goal keeps the history
    resp = await reviewer.post(f"/reviews/{review_id}/decision",
                               data={"decision": "reject", "reason": "the audit comes first",
                                     "args_hash": (await usecases.get_review(services, review_id)).args_hash})
    assert resp.status_code == 303, resp.text
    await eventually(in_state(services, goal_id, task_id, person_id, "withdrawn"), "the upheld refusal")
    goal_page = (await (await connect("mgr.payments")).get(f"/goals/{goal_id}")).text
    assert "not released by their line manager, and HR upheld the refusal" in goal_page
    mine = (await person.get("/me/work")).text
    assert state_words("withdrawn") in mine


async def test_a_rejected_goal_is_revised_from_its_page(services: Services, connect: ClientFactory) -> None:
    goal_id, reason = await rejected_goal(services)
    manager = await connect("mgr.payments")
    page = (await manager.get(f"/goals/{goal_id}")).text
    assert f'<form method="post" action="/goals/{goal_id}/resubmit"' in page
    assert textarea_value(page, "revised-text") == str(escape(GOAL)), "the form starts from the goal's text"
    why = page.split('data-testid="rejection-reason">', 1)[1].split("</aside>", 1)[0]
    assert str(escape(reason)) in why
    assert f'action="/goals/{goal_id}/resubmit"' not in (await (await connect("hr.reviewer")).get(
        f"/goals/{goal_id}")).text, "a reviewer reads the goal but does not revise it"

    typed = "qwxz vrrbt plokj mnbvc zzxq ghjk"
    resp = await manager.post(f"/goals/{goal_id}/resubmit", data={"text": typed})
    assert resp.status_code == 422 and resp.headers["content-type"].startswith("text/html")
    assert "Most words of this goal are not ones the planner knows" in field_error(resp.text, "revised-text")
    assert textarea_value(resp.text, "revised-text") == typed, "what was typed is kept"
    forbidden = await (await connect("hr.reviewer")).post(f"/goals/{goal_id}/resubmit", data={"text": GOAL})
    assert forbidden.status_code == 403 and "<h2>403</h2>" in forbidden.text
    assert "only the goal&#39;s manager (or an admin) revises it" in forbidden.text
    hidden = await (await connect("mgr.data")).post(f"/goals/{goal_id}/resubmit", data={"text": GOAL})
    assert hidden.status_code == 404

    revised = GOAL + " with the card risk team's data owners named"
    resp = await manager.post(f"/goals/{goal_id}/resubmit", data={"text": revised})
    assert resp.status_code == 303
    found = re.fullmatch(r"/goals/(g-[0-9a-f]{12})", resp.headers["location"])
    assert found and found.group(1) != goal_id
    new_page = (await manager.get(resp.headers["location"])).text
    assert f'<a href="/goals/{goal_id}" data-testid="revision-of">Revises an earlier goal</a>' in new_page
    old_page = (await manager.get(f"/goals/{goal_id}")).text
    assert f'<a href="/goals/{found.group(1)}" data-testid="revised-as">Revised as a new goal</a>' in old_page
    assert 'data-testid="resubmit"' not in old_page, "a goal is revised once"
    again = await manager.post(f"/goals/{goal_id}/resubmit", data={"text": revised})
    assert again.status_code == 409 and "revised already" in again.text
