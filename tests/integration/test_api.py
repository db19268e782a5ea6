"""The JSON API, route by route, through the real app on real Postgres and a real Temporal worker."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from support import eventually, swap_candidates

from tools.people_import.demo_org import DEMO_PASSWORD
from workflows.usecases import Services

pytestmark = pytest.mark.integration

GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
PUBLIC_API = {("GET", "/api/health"), ("POST", "/api/login"),
              ("POST", "/api/logout")}  # logging out without a session is a harmless no-op

T = TypeVar("T")
Client = httpx.AsyncClient
ClientFactory = Callable[..., Awaitable[Client]]


async def wait_for_goal(client: Client, goal_id: str, *wanted: str, timeout: float = 60) -> dict[str, Any]:
    """Poll GET /api/goals/{id} until the goal is in one of ``wanted`` (fails fast when it failed)."""

    async def probe() -> dict[str, Any] | None:
        resp = await client.get(f"/api/goals/{goal_id}")
        assert resp.status_code == 200, resp.text
        goal: dict[str, Any] = resp.json()
        if goal["status"] == "failed" and "failed" not in wanted:
            raise AssertionError(f"goal {goal_id} failed: {goal['status_detail']}")
        return goal if goal["status"] in wanted else None

    return await eventually(probe, what=f"goal {goal_id} to reach {'/'.join(wanted)}", timeout=timeout)


def basic(login: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def submit(client: Client, text: str = GOAL, **extra: Any) -> str:
    resp = await client.post("/api/goals", json={"text": text, **extra})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["status"] == "submitted" and body["goal_id"].startswith("g-")
    return str(body["goal_id"])


async def pass_plan_review(connect: ClientFactory, goal_id: str) -> str:
    """Approve the goal's plan review through the API as hr.reviewer2 (plans start at 100% review)."""
    reviewer = await connect("hr.reviewer2")
    goal = await wait_for_goal(reviewer, goal_id, "awaiting_plan_review")
    review_id = str(goal["review"]["review_id"])
    review = (await reviewer.get(f"/api/reviews/{review_id}")).json()
    resp = await reviewer.post(f"/api/reviews/{review_id}/decision",
                               json={"decision": "approve", "args_hash": review["args_hash"]})
    assert resp.status_code == 200, resp.text
    return review_id


async def goal_awaiting_review(connect: ClientFactory) -> tuple[dict[str, Any], Client, Client]:
    """A goal of mgr.payments waiting for its staffing review, with the manager's and hr.reviewer's clients."""
    manager, reviewer = await connect("mgr.payments"), await connect("hr.reviewer")
    goal_id = await submit(manager)
    await pass_plan_review(connect, goal_id)
    goal = await wait_for_goal(manager, goal_id, "awaiting_review")
    return goal, manager, reviewer


async def goal_count(services: Services) -> int:
    return int(await services.pool.fetchval("SELECT count(*) FROM goals"))


# --- auth -------------------------------------------------------------------------------------------------------


async def test_health_is_public(connect: ClientFactory, services: Services) -> None:
    resp = await (await connect()).get("/api/health")
    assert resp.status_code == 200
    assert resp.json() == {"ok": True, "model": services.settings.model, "temporal": True}


@pytest.mark.parametrize("login, password", [("mgr.payments", "wrong-password"), ("nobody", DEMO_PASSWORD),
                                             ("mgr.payments", "")])
async def test_login_with_wrong_credentials_is_401(connect: ClientFactory, login: str, password: str) -> None:
    client = await connect()
    resp = await client.post("/api/login", json={"login": login, "password": password})
    assert resp.status_code == 401
    assert resp.json() == {"detail": "wrong login or password"}
    assert (await client.get("/api/me")).status_code == 401, "a failed login must not start a session"


async def test_login_without_fields_is_422(connect: ClientFactory) -> None:
    resp = await (await connect()).post("/api/login", json={"login": "mgr.payments"})
    assert resp.status_code == 422


async def test_me_is_the_signed_in_user_until_logout(connect: ClientFactory) -> None:
    client = await connect("mgr.payments")
    resp = await client.get("/api/me")
    assert resp.status_code == 200
    me = resp.json()
    assert me["login"] == "mgr.payments" and me["role"] == "manager" and me["department"] == "payments"
    assert me["employee_id"] == "E0001" and me["display_name"]
    assert "password_hash" not in me
    assert (await client.post("/api/logout")).json() == {"ok": True}
    assert (await client.get("/api/me")).status_code == 401


@pytest.mark.parametrize("login, role", [("mgr.data", "manager"), ("hr.reviewer2", "reviewer"), ("admin", "admin")])
async def test_login_returns_the_user(connect: ClientFactory, login: str, role: str) -> None:
    resp = await (await connect()).post("/api/login", json={"login": login, "password": DEMO_PASSWORD})
    assert resp.status_code == 200
    assert resp.json()["login"] == login and resp.json()["role"] == role


async def test_http_basic_auth(connect: ClientFactory) -> None:
    client = await connect()
    resp = await client.get("/api/me", headers=basic("hr.reviewer"))
    assert resp.status_code == 200 and resp.json()["login"] == "hr.reviewer"
    assert (await client.get("/api/reviews", headers=basic("hr.reviewer"))).status_code == 200
    assert "talentops_session" not in client.cookies, "Basic auth must not start a session"
    for bad in (basic("hr.reviewer", "nope"), basic("nobody"), {"Authorization": "Basic !!!not-base64"},
                {"Authorization": "Bearer abc"}):
        resp = await client.get("/api/me", headers=bad)
        assert resp.status_code == 401, bad
        assert "www-authenticate" not in resp.headers, "no Basic challenge: a browser must never offer Basic itself"


async def test_unauthenticated_is_401_on_every_api_route_but_the_public_ones(app: FastAPI,
                                                                            connect: ClientFactory) -> None:
    client = await connect()
    routes = [(m, r.path) for r in iter_route_contexts(app.routes) if r.path and r.path.startswith("/api/")
              for m in sorted(r.methods or ())]
    assert len(routes) >= 12
    assert set(routes) >= PUBLIC_API
    checked = 0
    for method, path in routes:
        if (method, path) in PUBLIC_API:
            continue
        url = path.format(goal_id="g-000000000000", review_id="r-000000000000", action_type="decompose_goal",
                          source="project", employee_id="E0103", task_id="T1", item_id="K0",
                          session_id="s-0000000000000000", type_id="cissp", certification_id="cert-E0103-cissp",
                          renewal_id="ren-000000000000")
        resp = await client.request(method, url, json={} if method in ("POST", "PUT") else None)
        assert resp.status_code == 401, f"{method} {path} → {resp.status_code} {resp.text}"
        assert resp.json()["detail"].startswith("sign in first")
        checked += 1
    assert checked == len(routes) - len(PUBLIC_API)


# --- goals ------------------------------------------------------------------------------------------------------


async def test_manager_submits_a_goal_and_it_reaches_review(connect: ClientFactory) -> None:
    manager = await connect("mgr.payments")
    goal_id = await submit(manager)
    await pass_plan_review(connect, goal_id)
    goal = await wait_for_goal(manager, goal_id, "awaiting_review")
    assert goal["goal_id"] == goal_id and goal["manager_login"] == "mgr.payments"
    assert goal["text"] == GOAL and goal["department"] == "payments"
    assert 3 <= len(goal["tasks"]) <= 8
    assert all(t["title"] and t["skills"] for t in goal["tasks"])
    assert goal["review"]["status"] == "pending" and goal["review"]["review_id"].startswith("r-")
    assert goal["assignments"] == []
    listed = (await manager.get("/api/goals")).json()
    assert listed["count"] == len(listed["data"])
    assert goal_id in {g["goal_id"] for g in listed["data"]}
    assert {g["manager_login"] for g in listed["data"]} == {"mgr.payments"}


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   \n\t ", "empty"),
    ("do it", "too short"),
    ("qwxz vrrbt plokj mnbvc zzxq ghjk", "not ones the planner knows"),
    ("Migrate the payments ledger to the cloud within 900 years", "deadline"),
])
async def test_bad_goal_text_is_422_with_a_sentence_and_no_goal(connect: ClientFactory, services: Services,
                                                               text: str, message: str) -> None:
    manager = await connect("mgr.payments")
    before = await goal_count(services)
    resp = await manager.post("/api/goals", json={"text": text})
    assert resp.status_code == 422, resp.text
    detail = resp.json()["detail"]
    assert isinstance(detail, str) and message in detail, detail
    assert await goal_count(services) == before


async def test_goal_text_over_the_model_limit_is_422(connect: ClientFactory, services: Services) -> None:
    manager = await connect("mgr.payments")
    before = await goal_count(services)
    resp = await manager.post("/api/goals", json={"text": "Build the payments dashboard " * 200})
    assert resp.status_code == 422
    assert await goal_count(services) == before


async def test_manager_cannot_submit_for_another_manager(connect: ClientFactory, services: Services) -> None:
    manager = await connect("mgr.payments")
    before = await goal_count(services)
    resp = await manager.post("/api/goals", json={"text": GOAL, "manager_login": "mgr.data"})
    assert resp.status_code == 403
    assert resp.json()["detail"] == "managers submit goals for themselves only"
    assert await goal_count(services) == before


async def test_admin_must_name_the_manager_and_can_submit_for_one(connect: ClientFactory,
                                                                  services: Services) -> None:
    admin = await connect("admin")
    before = await goal_count(services)
    resp = await admin.post("/api/goals", json={"text": GOAL})
    assert resp.status_code == 422 and resp.json()["detail"] == "admins must name manager_login"
    resp = await admin.post("/api/goals", json={"text": GOAL, "manager_login": "hr.reviewer"})
    assert resp.status_code == 422 and "not a manager" in resp.json()["detail"]
    assert await goal_count(services) == before

    goal_id = await submit(admin, manager_login="mgr.data")
    goal = (await admin.get(f"/api/goals/{goal_id}")).json()
    assert goal["manager_login"] == "mgr.data" and goal["department"] == "data"
    owner, other = await connect("mgr.data"), await connect("mgr.payments")
    assert (await owner.get(f"/api/goals/{goal_id}")).status_code == 200
    assert (await other.get(f"/api/goals/{goal_id}")).status_code == 404
    audit = (await admin.get(f"/api/goals/{goal_id}/audit")).json()["data"]
    submitted = next(e for e in audit if e["action"] == "goal.submitted")
    assert submitted["actor"] == "admin" and submitted["payload"]["manager_login"] == "mgr.data"


@pytest.mark.parametrize("login", ["hr.reviewer", "hr.reviewer2"])
async def test_reviewer_cannot_submit_goals(connect: ClientFactory, services: Services, login: str) -> None:
    reviewer = await connect(login)
    before = await goal_count(services)
    for body in ({"text": GOAL}, {"text": GOAL, "manager_login": "mgr.payments"}):
        resp = await reviewer.post("/api/goals", json=body)
        assert resp.status_code == 403, resp.text
        assert "reviewer cannot do this" in resp.json()["detail"]
    assert await goal_count(services) == before


async def test_other_manager_cannot_see_the_goal_or_its_audit(connect: ClientFactory) -> None:
    goal, manager, reviewer = await goal_awaiting_review(connect)
    goal_id = goal["goal_id"]
    other = await connect("mgr.data")
    for path in (f"/api/goals/{goal_id}", f"/api/goals/{goal_id}/audit"):
        resp = await other.get(path)
        assert resp.status_code == 404, path
        assert resp.json() == {"detail": f"no goal {goal_id!r}"}
        missing = await other.get(path.replace(goal_id, "g-doesnotexist"))
        assert missing.status_code == 404 and missing.json() == {"detail": "no goal 'g-doesnotexist'"}
    assert goal_id not in {g["goal_id"] for g in (await other.get("/api/goals")).json()["data"]}
    for client in (manager, reviewer, await connect("admin")):
        assert (await client.get(f"/api/goals/{goal_id}")).status_code == 200
        assert (await client.get(f"/api/goals/{goal_id}/audit")).status_code == 200


# --- reviews ----------------------------------------------------------------------------------------------------


async def test_review_queue_is_for_reviewers_and_admins(connect: ClientFactory) -> None:
    goal, manager, reviewer = await goal_awaiting_review(connect)
    review_id = goal["review"]["review_id"]
    for client in (manager, await connect("mgr.data")):
        resp = await client.get("/api/reviews")
        assert resp.status_code == 403
        assert "needs the role reviewer or admin" in resp.json()["detail"]
        assert (await client.get(f"/api/reviews/{review_id}")).status_code == 403
    for client in (reviewer, await connect("admin")):
        resp = await client.get("/api/reviews")
        assert resp.status_code == 200
        body = resp.json()
        assert set(body) == {"data", "count"} and body["count"] >= len(body["data"])
        assert {r["status"] for r in body["data"]} <= {"pending", "parked"}
        body = (await client.get("/api/reviews", params={"goal_id": goal["goal_id"]})).json()
        assert body["count"] == len(body["data"]) == 1
        mine = next(r for r in body["data"] if r["review_id"] == review_id)
        assert mine["goal_id"] == goal["goal_id"] and mine["status"] == "pending"
        assert mine["action_type"] == "propose_staffing" and mine["goal_text"] == GOAL
        assert {r["status"] for r in body["data"]} <= {"pending", "parked"}
    everything = (await reviewer.get("/api/reviews", params={"state": "all", "goal_id": goal["goal_id"]})).json()
    assert review_id in {r["review_id"] for r in everything["data"]}
    approved = (await reviewer.get("/api/reviews", params={"state": "approved", "goal_id": goal["goal_id"]})).json()
    assert review_id not in {r["review_id"] for r in approved["data"]}
    assert (await reviewer.get("/api/reviews", params={"state": "bogus"})).status_code == 422


async def test_review_detail_shows_the_exact_arguments_and_evidence(connect: ClientFactory) -> None:
    goal, _, reviewer = await goal_awaiting_review(connect)
    resp = await reviewer.get(f"/api/reviews/{goal['review']['review_id']}")
    assert resp.status_code == 200
    review = resp.json()
    assert review["goal_id"] == goal["goal_id"] and review["manager_login"] == "mgr.payments"
    assert len(review["args_hash"]) == 64 and review["arguments"]["assignments"]
    assert review["evidence"]["proposal"]["tasks"] and review["evidence"]["plan"]["tasks"]
    assert review["routed_because"] and review["explanation"]
    considered = {c["employee_id"] for t in review["evidence"]["proposal"]["tasks"] for c in t["candidates"]}
    considered |= {a["employee_id"] for a in review["arguments"]["assignments"]}
    bias = review["bias_audit"]
    assert bias["pool_size"] == len(considered) and bias["verdict"] in ("ok", "flag", "block")
    assert not considered & set(str(bias).split("'")), "aggregates only: no employee id in the audit"
    resp = await reviewer.get("/api/reviews/r-doesnotexist")
    assert resp.status_code == 404 and resp.json() == {"detail": "no review 'r-doesnotexist'"}


async def test_decisions_are_checked_then_taken_once(connect: ClientFactory) -> None:
    goal, manager, reviewer = await goal_awaiting_review(connect)
    goal_id, review_id = goal["goal_id"], goal["review"]["review_id"]
    decide = f"/api/reviews/{review_id}/decision"
    review = (await reviewer.get(f"/api/reviews/{review_id}")).json()

    resp = await manager.post(decide, json={"decision": "approve"})
    assert resp.status_code == 403
    resp = await reviewer.post(decide, json={"decision": "reject"})
    assert resp.status_code == 422 and resp.json() == {"detail": "a rejection needs a reason"}
    resp = await reviewer.post(decide, json={"decision": "reject", "reason": "   "})
    assert resp.status_code == 422 and resp.json() == {"detail": "a rejection needs a reason"}
    assert (await reviewer.post(decide, json={"decision": "maybe"})).status_code == 422
    resp = await reviewer.post("/api/reviews/r-doesnotexist/decision", json={"decision": "approve"})
    assert resp.status_code == 404 and resp.json() == {"detail": "no review 'r-doesnotexist'"}
    resp = await reviewer.post(decide, json={"decision": "approve", "args_hash": "0" * 64})
    assert resp.status_code == 409 and "arguments changed" in resp.json()["detail"]
    first_task = review["arguments"]["assignments"][0]["task_id"]
    resp = await reviewer.post(decide, json={"decision": "edit", "edits": {first_task: "E9999"}})
    assert resp.status_code == 422 and resp.json() == {"detail": "unknown employee(s): E9999"}
    resp = await reviewer.post(decide, json={"decision": "edit", "edits": {"T99": "E0100"}})
    assert resp.status_code == 422 and "unknown task" in resp.json()["detail"]
    resp = await reviewer.post(decide, json={"decision": "edit"})
    assert resp.status_code == 422 and "at least one" in resp.json()["detail"]
    assert (await reviewer.get(f"/api/reviews/{review_id}")).json()["status"] == "pending"

    resp = await reviewer.post(decide, json={"decision": "approve", "args_hash": review["args_hash"]})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"review_id": review_id, "decision": "approve", "executed_args_hash": review["args_hash"]}

    again = await connect("hr.reviewer2")
    resp = await again.post(decide, json={"decision": "reject", "reason": "too late"})
    assert resp.status_code == 409 and "already decided" in resp.json()["detail"]
    assert (await reviewer.post(decide, json={"decision": "approve"})).status_code == 409

    staffed = await wait_for_goal(manager, goal_id, "staffed", timeout=15)
    assert staffed["review"]["status"] == "approved" and staffed["review"]["decided_by"] == "hr.reviewer"
    assert {(a["task_id"], a["employee_id"]) for a in staffed["assignments"]} == {
        (a["task_id"], a["employee_id"]) for a in review["arguments"]["assignments"]}

    resp = await manager.get(f"/api/goals/{goal_id}/audit")
    assert resp.status_code == 200
    audit = resp.json()
    assert audit["count"] == len(audit["data"])
    seqs = [e["seq"] for e in audit["data"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    actions = [e["action"] for e in audit["data"]]
    for expected in ("goal.submitted", "agent.decompose_goal", "agent.propose_staffing", "goal.staffed"):
        assert actions.count(expected) == 1, (expected, actions)
    for expected in ("review.routed", "review.requested", "review.decided"):  # the plan's review, then the staffing's
        assert actions.count(expected) == 2, (expected, actions)
    assert actions[0] == "goal.submitted" and "goal.staffed" in actions
    assert set(actions[actions.index("goal.staffed") + 1:]) <= {"move.offered"}, "then only the people's offers"
    last_decided = len(actions) - 1 - actions[::-1].index("review.decided")
    assert actions.index("agent.propose_staffing") < last_decided < actions.index("goal.staffed")
    decided = audit["data"][last_decided]
    assert decided["actor_type"] == "human" and decided["actor"] == "hr.reviewer"
    assert decided["payload"]["decision"] == "approve" and decided["payload"]["review_id"] == review_id
    assert decided["args_hash"] == review["args_hash"]
    assert all(len(e["hash"]) == 64 for e in audit["data"])


async def test_reject_with_a_reason_ends_the_goal(connect: ClientFactory) -> None:
    goal, manager, reviewer = await goal_awaiting_review(connect)
    resp = await reviewer.post(f"/api/reviews/{goal['review']['review_id']}/decision",
                               json={"decision": "reject", "reason": "budget not approved yet"})
    assert resp.status_code == 200
    assert resp.json()["decision"] == "reject" and resp.json()["executed_args_hash"] is None
    done = await wait_for_goal(manager, goal["goal_id"], "rejected", timeout=15)
    assert done["status_detail"] == "budget not approved yet" and done["assignments"] == []
    assert done["review"]["reason"] == "budget not approved yet"


async def test_edit_with_a_valid_swap_staffs_the_swapped_employee(connect: ClientFactory) -> None:
    goal, manager, _ = await goal_awaiting_review(connect)
    reviewer = await connect("hr.reviewer2")
    review = (await reviewer.get(f"/api/reviews/{goal['review']['review_id']}")).json()
    first = review["arguments"]["assignments"][0]
    alternates = [c["employee_id"] for c in swap_candidates(review, first["task_id"])]
    replacement = alternates[0] if alternates else "E0100"
    assert replacement != first["employee_id"]

    resp = await reviewer.post(f"/api/reviews/{review['review_id']}/decision",
                               json={"decision": "edit", "edits": {first["task_id"]: replacement},
                                     "args_hash": review["args_hash"]})
    assert resp.status_code == 200, resp.text
    outcome = resp.json()
    assert outcome["decision"] == "edit" and outcome["executed_args_hash"] != review["args_hash"]

    staffed = await wait_for_goal(manager, goal["goal_id"], "staffed", timeout=15)
    assert {a["employee_id"] for a in staffed["assignments"] if a["task_id"] == first["task_id"]} == {replacement}
    others = {(a["task_id"], a["employee_id"]) for a in review["arguments"]["assignments"][1:]}
    assert others <= {(a["task_id"], a["employee_id"]) for a in staffed["assignments"]}
    decided = (await reviewer.get(f"/api/reviews/{review['review_id']}")).json()
    assert decided["status"] == "edited" and decided["decided_by"] == "hr.reviewer2"
    assert {a["employee_id"] for a in decided["decided_arguments"]["assignments"]
            if a["task_id"] == first["task_id"]} == {replacement}
    audit = (await manager.get(f"/api/goals/{goal['goal_id']}/audit")).json()["data"]
    event = next(e for e in audit
                 if e["action"] == "review.decided" and e["payload"]["review_id"] == review["review_id"])
    assert event["payload"]["decision"] == "edit" and event["args_hash"] == outcome["executed_args_hash"]


async def test_admin_who_submitted_a_goal_cannot_decide_it(connect: ClientFactory) -> None:
    admin = await connect("admin")
    goal_id = await submit(admin, manager_login="mgr.data")
    await pass_plan_review(connect, goal_id)
    goal = await wait_for_goal(admin, goal_id, "awaiting_review")
    resp = await admin.post(f"/api/reviews/{goal['review']['review_id']}/decision",
                            json={"decision": "reject", "reason": "deciding my own submission"})
    assert resp.status_code == 403, resp.text


# --- users ------------------------------------------------------------------------------------------------------


async def test_users_are_for_admins_only(connect: ClientFactory) -> None:
    admin = await connect("admin")
    resp = await admin.get("/api/users")
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == len(body["data"])
    logins = {u["login"]: u["role"] for u in body["data"]}
    assert {"mgr.payments": "manager", "mgr.data": "manager", "hr.reviewer": "reviewer",
            "hr.reviewer2": "reviewer", "admin": "admin"}.items() <= logins.items()
    assert all("password_hash" not in u for u in body["data"])
    managers = (await admin.get("/api/users", params={"role": "manager"})).json()
    assert {u["role"] for u in managers["data"]} == {"manager"} and managers["count"] >= 2
    for login in ("mgr.payments", "hr.reviewer"):
        resp = await (await connect(login)).get("/api/users")
        assert resp.status_code == 403 and "needs the role admin" in resp.json()["detail"]
    assert (await (await connect()).get("/api/users", headers=basic("admin"))).status_code == 200
