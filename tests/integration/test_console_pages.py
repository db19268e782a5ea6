"""The HTML console through the real app: form login, goals, the live partial, the review page, decisions, audit."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import httpx
import pytest
from fastapi import FastAPI
from markupsafe import escape
from support import eventually, keep_csrf_token, review_id_of, swap_candidates

from infra.settings import LOCAL_PLANNER
from tools.people_import.demo_org import DEMO_PASSWORD
from tools.taxonomy.task_library import load_task_library
from workflows import usecases
from workflows.usecases import Services

pytestmark = pytest.mark.integration

GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
NEW_GOAL_FORM = '<form method="post" action="/goals">'

T = TypeVar("T")
Client = httpx.AsyncClient
ClientFactory = Callable[..., Awaitable[Client]]


def status_in(html: str, testid: str = "goal-status") -> str:
    found = re.search(rf'data-testid="{testid}" data-status="([a-z_]+)"', html)
    assert found, f"no {testid} in the page"
    return found.group(1)


async def wait_for_live(client: Client, goal_id: str, wanted: str, timeout: float = 60) -> str:
    """Poll the goal's live partial (as htmx does) until it shows ``wanted``; return the partial."""

    async def probe() -> str | None:
        resp = await client.get(f"/goals/{goal_id}/live")
        assert resp.status_code == 200, resp.text
        status = status_in(resp.text)
        if status == "failed" and wanted != "failed":
            raise AssertionError(f"goal {goal_id} failed: {resp.text}")
        return resp.text if status == wanted else None

    return await eventually(probe, what=f"goal {goal_id} to show {wanted}", timeout=timeout)


@pytest.fixture
async def connect(app: FastAPI) -> AsyncIterator[ClientFactory]:
    """Factory of ASGI clients; ``await connect("mgr.payments")`` gives one signed in through the login form (sending
    the session's CSRF token, as the pages' forms do)."""
    opened: list[Client] = []

    async def make(login: str | None = None) -> Client:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        opened.append(client)
        if login is not None:
            resp = await client.post("/login", data={"login": login, "password": DEMO_PASSWORD, "next": "/goals"})
            assert resp.status_code == 303 and resp.headers["location"] == "/goals", resp.text
            keep_csrf_token(client, resp)
        return client

    yield make
    for client in opened:
        await client.aclose()


async def submit_from_form(manager: Client, text: str = GOAL) -> str:
    resp = await manager.post("/goals", data={"text": text})
    assert resp.status_code == 303, resp.text
    found = re.fullmatch(r"/goals/(g-[0-9a-f]{12})", resp.headers["location"])
    assert found, resp.headers["location"]
    return found.group(1)


async def goal_count(services: Services) -> int:
    return int(await services.pool.fetchval("SELECT count(*) FROM goals"))


# --- sign in ----------------------------------------------------------------------------------------------------


async def test_login_form_signs_in_and_redirects(connect: ClientFactory) -> None:
    client = await connect()
    resp = await client.get("/goals")
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=%2Fgoals"
    page = await client.get("/login", params={"next": "/goals"})
    assert page.status_code == 200
    assert 'name="login"' in page.text and 'name="password"' in page.text
    assert '<input type="hidden" name="next" value="/goals">' in page.text

    resp = await client.post("/login", data={"login": "mgr.payments", "password": "wrong", "next": "/goals"})
    assert resp.status_code == 401 and "Wrong login or password." in resp.text
    assert (await client.get("/goals")).status_code == 303, "a failed login must not start a session"

    resp = await client.post("/login", data={"login": " mgr.payments ", "password": DEMO_PASSWORD, "next": "/goals"})
    assert resp.status_code == 303 and resp.headers["location"] == "/goals"
    goals = await client.get("/goals")
    assert goals.status_code == 200 and "Sign out" in goals.text and NEW_GOAL_FORM in goals.text

    # the sign-out form of the page carries the session's CSRF token, as every POST form does
    token = re.search(r'<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="([^"]+)">',
                      goals.text)
    assert token, "the sign-out form carries no CSRF token"
    resp = await client.post("/logout", data={"csrf_token": token.group(1)})
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    assert (await client.get("/goals")).status_code == 303


@pytest.mark.parametrize("target, expected", [
    ("/reviews", "/reviews"),
    ("/reviews?state=all", "/reviews?state=all"),
    ("//evil.example/", "/"),
    ("https://evil.example/", "/"),
    ("", "/"),
])
async def test_login_redirects_to_next_inside_the_console(connect: ClientFactory, target: str, expected: str) -> None:
    resp = await (await connect()).post("/login", data={"login": "hr.reviewer", "password": DEMO_PASSWORD,
                                                        "next": target})
    assert resp.status_code == 303 and resp.headers["location"] == expected


@pytest.mark.parametrize("target", ["/\\evil.example/", "/\t/evil.example/", "/\n/evil.example/", "\\\\evil.example",
                                    "/%2F/evil.example", "javascript:alert(1)"])
async def test_login_next_never_leaves_the_site(connect: ClientFactory, target: str) -> None:
    """Browsers read a backslash as a slash and drop tabs and newlines: none of those may yield //host."""
    resp = await (await connect()).post("/login", data={"login": "hr.reviewer", "password": DEMO_PASSWORD,
                                                        "next": target})
    assert resp.status_code == 303
    location = resp.headers["location"]
    assert location.startswith("/"), location
    as_browser = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    assert not as_browser.startswith("//"), location


@pytest.mark.parametrize("login, landing", [("mgr.payments", "/goals"), ("hr.reviewer", "/reviews"),
                                            ("admin", "/goals")])
async def test_home_sends_each_role_to_its_page(connect: ClientFactory, login: str, landing: str) -> None:
    resp = await (await connect(login)).get("/")
    assert resp.status_code == 303 and resp.headers["location"] == landing


# --- goals ------------------------------------------------------------------------------------------------------


async def test_goals_page_shows_the_new_goal_form_to_managers_only(connect: ClientFactory) -> None:
    manager = await (await connect("mgr.payments")).get("/goals")
    assert manager.status_code == 200 and NEW_GOAL_FORM in manager.text and 'name="text"' in manager.text
    assert "Review queue" not in manager.text
    for login in ("hr.reviewer", "admin"):
        page = await (await connect(login)).get("/goals")
        assert page.status_code == 200 and NEW_GOAL_FORM not in page.text, login
        assert '<a href="/reviews">Review queue</a>' in page.text


@pytest.mark.parametrize("text, message", [
    ("do it", "the goal is too short"),
    ("", "the goal is empty"),
    ("qwxz vrrbt plokj mnbvc zzxq ghjk", "most words of this goal are not ones the planner knows"),
    ("Migrate the payments ledger to the cloud within 900 years", "is more than 156 weeks away"),
])
async def test_bad_goal_text_re_renders_the_form_with_the_error(connect: ClientFactory, services: Services,
                                                                text: str, message: str) -> None:
    manager = await connect("mgr.payments")
    before = await goal_count(services)
    resp = await manager.post("/goals", data={"text": text})
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("text/html")
    alert = re.search(r'<p class="error" role="alert">(.*?)</p>', resp.text)
    assert alert and message in alert.group(1), resp.text
    assert NEW_GOAL_FORM in resp.text
    assert f'required>{escape(text)}</textarea>' in resp.text, "the form must keep what the manager wrote"
    assert await goal_count(services) == before


async def test_only_managers_submit_from_the_form(connect: ClientFactory, services: Services) -> None:
    before = await goal_count(services)
    for login in ("hr.reviewer", "admin"):
        resp = await (await connect(login)).post("/goals", data={"text": GOAL})
        assert resp.status_code == 403 and "<h2>403</h2>" in resp.text, login
    assert await goal_count(services) == before


async def test_goal_from_the_form_through_review_to_staffed(connect: ClientFactory, services: Services) -> None:
    manager = await connect("mgr.payments")
    goal_id = await submit_from_form(manager)

    page = await manager.get(f"/goals/{goal_id}")
    assert page.status_code == 200
    assert f"<h2>{GOAL}</h2>" in page.text and f"<code>{goal_id}</code>" not in page.text, "no raw id as text"
    assert status_in(page.text) in {"submitted", "planning", "staffing", "awaiting_plan_review"}
    assert f'href="/goals/{goal_id}/audit"' in page.text

    # the plan first: sampled by the trust ramp (100% review for a new action type); the reviewer resizes a task
    await wait_for_live(manager, goal_id, "awaiting_plan_review")
    goal = await usecases.get_goal(services, goal_id)
    plan_review = await usecases.get_review(services, review_id_of(goal))
    plan_reviewer = await connect("hr.reviewer2")
    html = (await plan_reviewer.get(f"/reviews/{plan_review.review_id}")).text
    assert "Plan for:" in html and "<strong>Sampled for review</strong>" in html
    assert 'data-testid="bias-audit"' not in html, "a plan considers nobody: no bias audit"
    first_task = plan_review.arguments["tasks"][0]
    assert f'name="effort_{first_task["task_id"]}" size="5" value="{first_task["effort_hours"]}"' in html
    assert 'name="reason_code"' in html and '<option value="scope">' in html
    shown = {f"{field}_{t['task_id']}": str(t[key]) for t in plan_review.arguments["tasks"]
             for field, key in (("effort", "effort_hours"), ("start", "start_week"), ("end", "end_week"))}
    form = {**shown, **{f"was{k}": v for k, v in shown.items()}, "decision": "edit",
            "args_hash": plan_review.args_hash, f"effort_{first_task['task_id']}": "3"}
    bad = await plan_reviewer.post(f"/reviews/{plan_review.review_id}/decision",
                                   data={**form, f"effort_{first_task['task_id']}": "many"})
    assert bad.status_code == 422 and "must be a whole number" in bad.text
    resp = await plan_reviewer.post(f"/reviews/{plan_review.review_id}/decision", data=form)
    assert resp.status_code == 303, resp.text

    live = await wait_for_live(manager, goal_id, "awaiting_review")
    assert live.lstrip().startswith('<div id="live"') and "<html" not in live, "the live view is a partial"
    assert f'hx-get="/goals/{goal_id}/live"' in live, "a goal that is not final keeps polling"
    goal = await usecases.get_goal(services, goal_id)
    review_id = review_id_of(goal)
    assert next(t for t in goal.tasks if t.task_id == first_task["task_id"]).effort_hours == 3
    page = await manager.get(f"/goals/{goal_id}")
    assert status_in(page.text) == "awaiting_review" and "<h3>Tasks" in page.text
    assert "Plan drafted by the offline planner · People chosen by the offline planner" in page.text
    assert 'data-testid="retry-form"' not in page.text, "only a failed goal can be tried again"
    for task in goal.tasks:
        assert str(escape(task.title)) in page.text
        assert all(f"<span>{escape(s)}</span>" in page.text for s in task.skills)
    assert f"Staffing review <code>{review_id}</code>: pending" in page.text
    assert f'href="/reviews/{review_id}"' not in page.text, "managers get no link to the review"

    assert (await manager.get(f"/reviews/{review_id}")).status_code == 403
    assert (await (await connect("mgr.data")).get(f"/goals/{goal_id}")).status_code == 404

    reviewer = await connect("hr.reviewer")
    assert f'href="/reviews/{review_id}"' in (await reviewer.get(f"/goals/{goal_id}")).text
    queue = await reviewer.get("/reviews")
    assert queue.status_code == 200 and f'<a href="/reviews/{review_id}">{review_id}</a>' in queue.text

    review = await usecases.get_review(services, review_id)
    page = await reviewer.get(f"/reviews/{review_id}")
    assert page.status_code == 200
    html = page.text
    assert status_in(html, "review-status") == "pending"
    assert f"<strong>Always reviewed:</strong> {escape(review.routed_because)}." in html
    assert 'data-testid="bias-audit"' in html and 'data-testid="bias-sex"' in html
    assert "NYC Local Law 144" in html and "never for matching" in html
    assert f"Arguments hash <code>{review.args_hash[:16]}…</code>" in html
    assert f'<input type="hidden" name="args_hash" value="{review.args_hash}">' in html
    candidates = [c for t in review.evidence["proposal"]["tasks"] for c in t["candidates"]]
    assert candidates
    for c in candidates:
        assert f"<strong>{escape(c['name'])}</strong>" in html
        assert all(str(escape(e)) in html for e in c["evidence"])
    for a in review.arguments["assignments"]:
        assert f'name="edit_{a["task_id"]}"' in html
    assert 'value="approve">Approve</button>' in html and 'value="reject">Reject</button>' in html

    resp = await reviewer.post(f"/reviews/{review_id}/decision",
                               data={"decision": "reject", "reason": "", "args_hash": review.args_hash})
    assert resp.status_code == 422
    assert '<p class="error" role="alert">a rejection needs a reason</p>' in resp.text
    assert status_in(resp.text, "review-status") == "pending"

    resp = await reviewer.post(f"/reviews/{review_id}/decision",
                               data={"decision": "approve", "reason": "", "args_hash": review.args_hash})
    assert resp.status_code == 303 and resp.headers["location"] == f"/reviews/{review_id}"
    decided = (await reviewer.get(f"/reviews/{review_id}")).text
    assert status_in(decided, "review-status") == "approved" and "by hr.reviewer" in decided
    assert "<h3>What was executed</h3>" in decided and "<h3>Decision</h3>" not in decided

    again = await (await connect("hr.reviewer2")).post(f"/reviews/{review_id}/decision",
                                                       data={"decision": "approve"})
    assert again.status_code == 409 and "already decided" in again.text

    live = await wait_for_live(manager, goal_id, "staffed", timeout=15)
    assert "hx-get" not in live, "a final goal stops polling"
    staffed = await usecases.get_goal(services, goal_id)
    goal_html = (await manager.get(f"/goals/{goal_id}")).text
    assert "<h3>Staffed</h3>" in goal_html
    assert all(str(escape(a.name)) in goal_html for a in staffed.assignments)

    audit = await manager.get(f"/goals/{goal_id}/audit")
    assert audit.status_code == 200
    actions = re.findall(r"<td><code>([a-z_.]+)</code></td>", audit.text)
    events = await usecases.audit_for_goal(services, goal_id)
    assert actions == [e.action for e in events]
    for expected in ("goal.submitted", "agent.decompose_goal", "agent.propose_staffing", "review.requested",
                     "review.decided", "goal.staffed"):
        assert expected in actions
    assert actions.index("review.requested") < actions.index("review.decided") < actions.index("goal.staffed")
    assert "human: hr.reviewer" in audit.text and "decision: <strong>approve</strong>" in audit.text
    assert f'href="/api/goals/{goal_id}/audit"' in audit.text
    assert (await (await connect("mgr.data")).get(f"/goals/{goal_id}/audit")).status_code == 404


async def test_approve_with_swaps_from_the_review_form(connect: ClientFactory, services: Services) -> None:
    manager = await connect("mgr.payments")
    goal_id = await submit_from_form(manager)
    # the plan passes through the queue's bulk approval (plans are low-risk)
    await wait_for_live(manager, goal_id, "awaiting_plan_review")
    plan = await usecases.get_review(services, review_id_of(await usecases.get_goal(services, goal_id)))
    reviewer = await connect("hr.reviewer2")
    queue = (await reviewer.get("/reviews", params={"goal_id": goal_id})).text
    tick = f'name="approve" value="{plan.review_id}:{plan.args_hash}"'
    assert tick in queue and "Approve selected low-risk reviews" in queue
    done = await reviewer.post("/reviews/bulk-approve", data={"approve": f"{plan.review_id}:{plan.args_hash}"})
    assert done.status_code == 200 and "Approved 1 review(s)" in done.text and "Not approved" not in done.text
    await wait_for_live(manager, goal_id, "awaiting_review")
    queue = (await reviewer.get("/reviews", params={"goal_id": goal_id})).text
    assert 'name="approve"' not in queue, "staffing reviews are never bulk-approved"
    review = await usecases.get_review(services, review_id_of(await usecases.get_goal(services, goal_id)))
    first = review.arguments["assignments"][0]
    alternates = swap_candidates(review, first["task_id"])
    assert alternates, "the matcher offers an alternate with free time for the first task"
    swap = alternates[0]

    page = (await reviewer.get(f"/reviews/{review.review_id}")).text
    assert f'<option value="{swap["employee_id"]}">{escape(swap["name"])}</option>' in page
    resp = await reviewer.post(f"/reviews/{review.review_id}/decision",
                               data={"decision": "edit", "reason": "", "args_hash": review.args_hash,
                                     f"edit_{first['task_id']}": swap["employee_id"]})
    assert resp.status_code == 303, resp.text
    page = (await reviewer.get(f"/reviews/{review.review_id}")).text
    assert status_in(page, "review-status") == "edited"
    assert f"<li>{first['task_id']} → {escape(swap['name'])} ({swap['employee_id']})</li>" in page
    await wait_for_live(manager, goal_id, "staffed", timeout=15)
    staffed = await usecases.get_goal(services, goal_id)
    assert {a.employee_id for a in staffed.assignments if a.task_id == first["task_id"]} == {
        swap["employee_id"]}


async def test_missing_things_are_error_pages(connect: ClientFactory) -> None:
    reviewer = await connect("hr.reviewer")
    for path in ("/goals/g-doesnotexist", "/goals/g-doesnotexist/live", "/goals/g-doesnotexist/audit",
                 "/reviews/r-doesnotexist"):
        resp = await reviewer.get(path)
        assert resp.status_code == 404 and "<h2>404</h2>" in resp.text, path
        assert resp.headers["content-type"].startswith("text/html")
    resp = await reviewer.post("/reviews/r-doesnotexist/decision", data={"decision": "approve"})
    assert resp.status_code == 404 and "no review" in resp.text
    resp = await reviewer.get("/reviews", params={"state": "bogus"})
    assert resp.status_code == 422 and "bad filter: state" in resp.text


# --- every page -------------------------------------------------------------------------------------------------


async def test_footer_shows_the_onet_attribution_and_the_model(connect: ClientFactory, services: Services) -> None:
    model = services.settings.model
    label = "offline deterministic planner (local-planner)" if model == LOCAL_PLANNER else model
    attribution = str(escape(load_task_library().attribution))
    assert "O*NET" in attribution and "CC BY 4.0" in attribution
    anonymous, reviewer = await connect(), await connect("hr.reviewer")
    pages = [await anonymous.get("/login"), await reviewer.get("/goals"), await reviewer.get("/reviews"),
             await reviewer.get("/goals/g-doesnotexist")]
    for page in pages:
        footer = page.text.split("<footer>", 1)[1]
        assert f"Agents run on: <strong>{escape(label)}</strong>." in footer, page.url
        assert attribution in footer, page.url


async def test_a_failed_goal_is_tried_again_from_its_page(connect: ClientFactory, services: Services) -> None:
    """A goal that failed (here: its run ended with the plan rejected, then marked failed as an agent failure
    would) shows the reason and a Try again button; a run still finishing refuses next to the button."""
    manager = await connect("mgr.payments")
    goal_id = await submit_from_form(manager)
    await wait_for_live(manager, goal_id, "awaiting_plan_review")
    goal = await usecases.get_goal(services, goal_id)
    reason = "could not plan this goal: the model server at http://gpu:8080/v1/ did not answer after 3 tries"

    # the run is still waiting for the plan's review: retrying must be refused, next to the button
    await services.pool.execute("UPDATE goals SET status = 'failed', status_detail = $2 WHERE goal_id = $1",
                                goal_id, reason)
    refused = await manager.post(f"/goals/{goal_id}/retry")
    assert refused.status_code == 409 and "still finishing" in refused.text
    assert 'data-testid="retry-form"' in refused.text and 'role="alert"' in refused.text

    await usecases.decide_review(services, review_id=review_id_of(goal), decision="reject",
                                reviewer="hr.reviewer", reason="retry test")
    handle = services.temporal().get_workflow_handle(goal.workflow_id)
    assert await handle.result() == "rejected"
    await services.pool.execute("UPDATE goals SET status = 'failed', status_detail = $2 WHERE goal_id = $1",
                                goal_id, reason)
    page = await manager.get(f"/goals/{goal_id}")
    assert status_in(page.text) == "failed" and "Could not go ahead" in page.text and reason in page.text
    assert 'action="/goals/' + goal_id + '/retry"' in page.text and ">Try again</button>" in page.text

    resp = await manager.post(f"/goals/{goal_id}/retry")
    assert resp.status_code == 303 and resp.headers["location"] == f"/goals/{goal_id}"
    await wait_for_live(manager, goal_id, "awaiting_plan_review")  # its plan was rejected: planned again
    retries = [e.action for e in await usecases.audit_for_goal(services, goal_id) if "retr" in e.action]
    assert retries == ["goal.retried", "goal.retry_refused", "goal.retried"], "tried, refused, tried"
