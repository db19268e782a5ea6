"""Authorization matrix: every route of the console × every role, against an explicit table.

A route the table does not classify fails ``test_every_route_is_classified``, so a new route cannot ship without
someone deciding who may call it. Each call uses a fresh client carrying only its role's session cookie (taken
once per role from POST /api/login; nothing for anonymous) and, like the console's own forms, the session's CSRF
token, so no state leaks between cells. Signing in or out ends a session server-side, so those cells use a session of
their own; so do the cells that revoke a session. A role allowed to
decide decides a throwaway review of its own; a role that is not aims at the shared review, which must stay
pending. So the order of the cells does not matter.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from support import CSRF_HEADER, review_id_of
from temporalio.client import Client

from infra.settings import Settings
from infra.store.users import User
from review_console.app import create_app
from tools.people_import.demo_org import DEMO_PASSWORD
from workers.main import build_worker
from workflows import usecases
from workflows.usecases import GoalDetail, Services

pytestmark = pytest.mark.integration

GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"

ANON, OWNER, OTHER, REVIEWER, ADMIN = "anonymous", "manager", "other_manager", "reviewer", "admin"
EMPLOYEE = "employee"
ROLES = (ANON, OWNER, OTHER, REVIEWER, ADMIN, EMPLOYEE)
LOGINS = {OWNER: "mgr.payments", OTHER: "mgr.data", REVIEWER: "hr.reviewer", ADMIN: "admin",
          EMPLOYEE: "sanne.devries"}
"""The goal used for path parameters belongs to OWNER; OTHER is a manager who does not own it."""
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANON}
STAFF = SIGNED_IN - {EMPLOYEE}
GOAL_READERS = frozenset({OWNER, REVIEWER, ADMIN})
REVIEWERS = frozenset({REVIEWER, ADMIN})
SKIPPED_PREFIXES = ("/static", "/openapi.json", "/docs", "/redoc")
SESSION_COOKIE = "talentops_session"


@dataclass(frozen=True)
class Access:
    """Who gets through a route, and what they get."""

    allowed: frozenset[str]
    """Roles let through."""
    ok: int = 200
    """Status a role in ``allowed`` gets (with the body below)."""
    hidden: bool = False
    """Signed-in roles outside ``allowed`` get 404 (existence hidden) instead of 403."""
    forbidden: frozenset[str] = frozenset()
    """Signed-in roles outside ``allowed`` that see the resource (so nothing is hidden from them) but may not act on
    it: they get 403 even where ``hidden`` hides it from the others."""


MATRIX: dict[tuple[str, str], Access] = {
    # JSON API: anonymous → 401, signed in but not allowed → 403 (404 where existence is hidden)
    ("GET", "/api/health"): Access(EVERYONE),
    ("POST", "/api/login"): Access(EVERYONE),
    ("POST", "/api/logout"): Access(EVERYONE),
    ("GET", "/api/me"): Access(SIGNED_IN),
    ("GET", "/api/users"): Access(frozenset({ADMIN})),
    ("POST", "/api/goals"): Access(frozenset({OWNER, OTHER, ADMIN}), ok=201),
    ("GET", "/api/goals"): Access(STAFF),
    ("GET", "/api/goals/{goal_id}"): Access(GOAL_READERS, hidden=True),
    ("GET", "/api/goals/{goal_id}/audit"): Access(GOAL_READERS, hidden=True),
    # the goal is awaiting review, not failed: those allowed get the conflict, nothing restarts
    ("POST", "/api/goals/{goal_id}/retry"): Access(GOAL_READERS, ok=409, hidden=True),
    ("GET", "/api/reviews"): Access(REVIEWERS),
    ("GET", "/api/audit"): Access(REVIEWERS),
    ("GET", "/api/admin/trust-ramp"): Access(frozenset({ADMIN})),
    ("GET", "/api/admin/sources"): Access(frozenset({ADMIN})),
    ("PUT", "/api/admin/sources/{source}"): Access(frozenset({ADMIN})),
    ("GET", "/api/me/skills"): Access(SIGNED_IN),
    ("POST", "/api/me/skills/feedback"): Access(SIGNED_IN),
    ("GET", "/api/me/bridges"): Access(SIGNED_IN),
    ("GET", "/api/me/assignments"): Access(SIGNED_IN),
    # nobody of the matrix is staffed on the goal's task, nor asked to release someone for it: whoever asks gets the
    # 404 of an assignment that is not theirs (which assignment is whose is tested in test_moves_api)
    ("POST", "/api/me/assignments/{goal_id}/{task_id}/answer"): Access(SIGNED_IN, ok=404),
    ("GET", "/api/me/team/releases"): Access(SIGNED_IN),
    ("POST", "/api/me/team/releases/{goal_id}/{task_id}/{employee_id}"): Access(SIGNED_IN, ok=404),
    ("GET", "/api/me/inbox"): Access(SIGNED_IN),
    ("POST", "/api/me/inbox/read"): Access(SIGNED_IN),
    ("GET", "/api/admin/releases"): Access(REVIEWERS),
    # the goal is awaiting review, not rejected: its manager and admins get the conflict, nothing is submitted;
    # reviewers read the goal but may not revise it
    ("POST", "/api/goals/{goal_id}/resubmit"): Access(frozenset({OWNER, ADMIN}), ok=409, hidden=True,
                                                     forbidden=frozenset({REVIEWER})),
    ("GET", "/api/employees/{employee_id}/bridges"): Access(REVIEWERS),
    # onboarding: the goal has no plan yet (nobody is released for it), so ticking or marking is the 404 of a plan
    # that does not exist for whoever asks (whose item is whose is tested in test_onboarding_api)
    ("GET", "/api/me/onboarding"): Access(SIGNED_IN),
    ("POST", "/api/me/onboarding/{goal_id}/{task_id}/{employee_id}/items/{item_id}"): Access(SIGNED_IN, ok=404),
    ("POST", "/api/me/onboarding/{goal_id}/{task_id}/{employee_id}/productive"): Access(SIGNED_IN, ok=404),
    ("GET", "/api/goals/{goal_id}/onboarding"): Access(GOAL_READERS, hidden=True),
    ("GET", "/api/reviews/unreviewed"): Access(REVIEWERS),
    # the matrix sends no file: an admin gets the 422 of a missing file, nothing is imported
    ("POST", "/api/admin/learning"): Access(frozenset({ADMIN}), ok=422),
    ("GET", "/api/admin/sessions"): Access(frozenset({ADMIN})),
    ("DELETE", "/api/admin/sessions/{session_id}"): Access(frozenset({ADMIN})),
    ("PUT", "/api/admin/policies/{action_type}"): Access(frozenset({ADMIN})),
    ("PUT", "/api/admin/trust-ramp/{action_type}/pin"): Access(frozenset({ADMIN})),
    ("GET", "/api/audit/export"): Access(REVIEWERS),
    ("GET", "/api/reviews/{review_id}"): Access(REVIEWERS),
    ("POST", "/api/reviews/{review_id}/decision"): Access(REVIEWERS),
    ("POST", "/api/reviews/bulk-approve"): Access(REVIEWERS),
    ("GET", "/api/review-reasons"): Access(REVIEWERS),
    # what a task needs: the matrix sends no type, so reviewers get the 422 of a missing one (nothing is required),
    # and removing a type the task does not need is the 404 of a requirement that does not exist
    ("POST", "/api/goals/{goal_id}/tasks/{task_id}/certifications"): Access(REVIEWERS, ok=422),
    ("DELETE", "/api/goals/{goal_id}/tasks/{task_id}/certifications/{type_id}"): Access(REVIEWERS, ok=404),
    # certifications: the matrix names a certification, a renewal and a type that do not exist, so whoever may ask
    # gets their 404 (who sees whose is tested in test_certifications_api); it sends no form or body, so the renewal,
    # the import and a type's edit are the 422 of what is missing, and nothing changes
    ("GET", "/api/me/certifications"): Access(SIGNED_IN),
    ("GET", "/api/team/certifications"): Access(SIGNED_IN),
    ("GET", "/api/certifications/{certification_id}"): Access(SIGNED_IN, ok=404),
    ("POST", "/api/me/certifications/{certification_id}/renewals"): Access(SIGNED_IN, ok=422),
    ("GET", "/api/renewals/{renewal_id}/evidence"): Access(SIGNED_IN, ok=404),
    ("GET", "/api/certifications/compliance"): Access(REVIEWERS),
    ("GET", "/api/certifications/compliance.csv"): Access(REVIEWERS),
    ("POST", "/api/certifications/import"): Access(REVIEWERS, ok=422),
    ("GET", "/api/certification-types"): Access(SIGNED_IN),
    ("GET", "/api/certification-types/{type_id}/versions"): Access(REVIEWERS, ok=404),
    ("PUT", "/api/certification-types/{type_id}"): Access(frozenset({ADMIN}), ok=422),
    ("POST", "/api/certifications/{certification_id}/revoke"): Access(REVIEWERS, ok=422),
    # HTML console: anonymous → 303 to /login, signed in but not allowed → 403 page (404 where hidden)
    ("GET", "/"): Access(SIGNED_IN, ok=303),
    ("GET", "/login"): Access(EVERYONE),
    ("POST", "/login"): Access(EVERYONE, ok=303),
    ("POST", "/logout"): Access(EVERYONE, ok=303),
    ("GET", "/goals"): Access(STAFF),
    ("POST", "/goals"): Access(frozenset({OWNER, OTHER}), ok=303),  # admins submit through the API
    ("GET", "/goals/{goal_id}"): Access(GOAL_READERS, hidden=True),
    ("GET", "/goals/{goal_id}/live"): Access(GOAL_READERS, hidden=True),
    ("GET", "/goals/{goal_id}/certifications"): Access(GOAL_READERS, hidden=True),
    ("GET", "/skills/suggest"): Access(REVIEWERS),
    ("GET", "/goals/{goal_id}/audit"): Access(GOAL_READERS, hidden=True),
    ("POST", "/goals/{goal_id}/retry"): Access(GOAL_READERS, ok=409, hidden=True),
    ("POST", "/goals/{goal_id}/certifications"): Access(REVIEWERS, ok=422),
    ("POST", "/goals/{goal_id}/certifications/remove"): Access(REVIEWERS, ok=422),
    ("GET", "/reviews"): Access(REVIEWERS),
    ("GET", "/audit"): Access(REVIEWERS),
    ("GET", "/admin/trust-ramp"): Access(frozenset({ADMIN})),
    ("GET", "/admin/sources"): Access(frozenset({ADMIN})),
    ("POST", "/admin/sources/{source}"): Access(frozenset({ADMIN}), ok=303),
    ("GET", "/admin/sessions"): Access(frozenset({ADMIN})),
    ("POST", "/admin/sessions/{session_id}/revoke"): Access(frozenset({ADMIN}), ok=303),
    ("GET", "/me/skills"): Access(SIGNED_IN),
    ("GET", "/me/work"): Access(SIGNED_IN),
    ("POST", "/me/work/{goal_id}/{task_id}/answer"): Access(SIGNED_IN, ok=404),
    ("GET", "/me/team"): Access(SIGNED_IN),
    ("POST", "/me/team/{goal_id}/{task_id}/{employee_id}"): Access(SIGNED_IN, ok=404),
    ("GET", "/me/inbox"): Access(SIGNED_IN),
    ("POST", "/me/inbox/read"): Access(SIGNED_IN, ok=303),
    ("POST", "/goals/{goal_id}/resubmit"): Access(frozenset({OWNER, ADMIN}), ok=409, hidden=True,
                                                 forbidden=frozenset({REVIEWER})),
    ("POST", "/me/skills"): Access(SIGNED_IN, ok=303),
    ("POST", "/admin/trust-ramp/{action_type}/pin"): Access(frozenset({ADMIN}), ok=303),
    ("POST", "/admin/trust-ramp/{action_type}/policy"): Access(frozenset({ADMIN}), ok=303),
    ("GET", "/reviews/{review_id}"): Access(REVIEWERS),
    ("POST", "/reviews/{review_id}/decision"): Access(REVIEWERS, ok=303),
    ("POST", "/reviews/bulk-approve"): Access(REVIEWERS),
    ("GET", "/me/onboarding"): Access(SIGNED_IN),
    ("POST", "/me/onboarding/{goal_id}/{task_id}/{employee_id}/items/{item_id}"): Access(SIGNED_IN, ok=404),
    ("POST", "/me/onboarding/{goal_id}/{task_id}/{employee_id}/productive"): Access(SIGNED_IN, ok=404),
    ("GET", "/reviews/unreviewed"): Access(REVIEWERS),
    ("POST", "/admin/learning"): Access(frozenset({ADMIN}), ok=422),
    ("GET", "/me/certifications"): Access(SIGNED_IN),
    ("POST", "/me/certifications/{certification_id}/renew"): Access(SIGNED_IN, ok=422),  # no form: nothing sent
    ("GET", "/team/certifications"): Access(SIGNED_IN),
    ("GET", "/certifications/compliance"): Access(REVIEWERS),
    ("GET", "/admin/certifications"): Access(frozenset({ADMIN})),
    ("POST", "/admin/certifications"): Access(frozenset({ADMIN}), ok=422),  # an empty form adds nothing
    ("POST", "/admin/certifications/import"): Access(frozenset({ADMIN}), ok=422),
    ("GET", "/admin/certifications/types/{type_id}"): Access(frozenset({ADMIN}), ok=404),
    ("POST", "/admin/certifications/types/{type_id}"): Access(frozenset({ADMIN}), ok=404),
}

DECISION_ROUTES = {key for key in MATRIX if key[1].endswith(("/decision", "/bulk-approve"))}
"""Routes that decide a review: each (route, role) cell gets a review of its own (a goal's plan review)."""
SIGN_IN_OUT_ROUTES = {key for key in MATRIX if key[1] in ("/login", "/logout", "/api/login", "/api/logout")
                      and key[0] == "POST"}
"""Routes that end the caller's session (sign-out, or sign-in, which replaces it): each cell brings a session of its
own."""
REVOKE_ROUTES = {key for key in MATRIX if "{session_id}" in key[1]}
"""Routes that revoke a session: each (route, role) cell aims at a throwaway session, which only allowed roles end."""


def json_body(route: tuple[str, str], role: str) -> dict[str, Any] | None:
    """A minimal valid-looking JSON body for an API POST."""
    match route:
        case ("POST", "/api/login"):
            return {"login": "mgr.payments", "password": DEMO_PASSWORD}
        case ("POST", "/api/goals"):
            return {"text": GOAL, "manager_login": "mgr.payments"} if role == ADMIN else {"text": GOAL}
        case ("POST", "/api/reviews/{review_id}/decision"):
            return {"decision": "reject", "reason": "authorization matrix"}
        case ("PUT", "/api/admin/policies/{action_type}"):
            return {"max_escalations": 1}
        case ("PUT", "/api/admin/trust-ramp/{action_type}/pin"):
            return {"share": None}
        case ("PUT", "/api/admin/sources/{source}"):
            return {"enabled": True}
        case ("POST", "/api/me/skills/feedback"):
            return {"skill": "Authorization matrix testing", "verdict": "add"}
        case ("POST", "/api/me/assignments/{goal_id}/{task_id}/answer"):
            return {"accept": True}
        case ("POST", "/api/me/team/releases/{goal_id}/{task_id}/{employee_id}"):
            return {"release": True}
        case ("POST", "/api/goals/{goal_id}/resubmit"):
            return {"text": GOAL}
        case ("POST", _):
            return {}
    return None


def form_body(route: tuple[str, str]) -> dict[str, str] | None:
    """A minimal valid-looking form for an HTML POST."""
    match route:
        case ("POST", "/login"):
            return {"login": "mgr.payments", "password": DEMO_PASSWORD, "next": "/goals"}
        case ("POST", "/goals"):
            return {"text": GOAL}
        case ("POST", "/reviews/{review_id}/decision"):
            return {"decision": "reject", "reason": "authorization matrix"}
        case ("POST", "/admin/trust-ramp/{action_type}/pin"):
            return {"share": ""}
        case ("POST", "/admin/sources/{source}"):
            return {"enabled": "on"}
        case ("POST", "/me/skills"):
            return {"skill": "Authorization matrix testing", "verdict": "add"}
        case ("POST", "/me/work/{goal_id}/{task_id}/answer"):
            return {"answer": "accept"}
        case ("POST", "/me/team/{goal_id}/{task_id}/{employee_id}"):
            return {"decision": "release"}
        case ("POST", "/goals/{goal_id}/resubmit"):
            return {"text": GOAL}
        case ("POST", "/admin/trust-ramp/{action_type}/policy"):
            return {"levels": "100, 50, 10", "max_error_rate": "2", "floor": "10", "max_escalations": "1"}
        case ("POST", _):
            return {}
    return None


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, bar static files and the API docs."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path.startswith(SKIPPED_PREFIXES):
            continue
        methods = route.methods
        assert methods, f"route {path!r} has no methods; classify it or skip it explicitly"
        found |= {(m, path) for m in methods if m != "HEAD"}
    return found


async def wait_until_awaiting_review(svc: Services, goal_id: str, timeout: float = 60) -> GoalDetail:
    """Wait for the goal's plan review (new action types start at 100% review)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        goal = await usecases.get_goal(svc, goal_id)
        if goal.status == "awaiting_plan_review":
            return goal
        if goal.status == "failed" or loop.time() > deadline:
            raise AssertionError(f"goal {goal_id} stuck in {goal.status}: {goal.status_detail}")
        await asyncio.sleep(0.1)


@dataclass
class World:
    app: FastAPI
    services: Services
    goal_id: str
    review_id: str
    throwaway: dict[tuple[tuple[str, str], str], str]
    """(decision route, allowed role) → review id of a goal of its own."""
    sessions: dict[str, tuple[str, str]]
    """role → value of its session cookie and its CSRF token."""
    revocable: dict[tuple[tuple[str, str], str], str]
    """(revoke route, role) → id of a throwaway session (of hr.reviewer2) the cell aims at."""

    def client(self, role: str, session: tuple[str, str] | None = None) -> httpx.AsyncClient:
        """A fresh client signed in as ``role`` (nothing for anonymous), with ``session`` or the role's own."""
        cookie, csrf = session or self.sessions.get(role, ("", ""))
        cookies = {SESSION_COOKIE: cookie} if role != ANON else None
        headers = {CSRF_HEADER: csrf} if role != ANON else None
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://test", cookies=cookies,
                                 headers=headers)

    async def own_session(self, role: str) -> tuple[str, str]:
        """A new session of ``role``'s login (cookie value, CSRF token), for a cell that ends it."""
        signed = await usecases.sign_in(self.services, LOGINS[role], DEMO_PASSWORD, address="127.0.0.1",
                                        user_agent="authorization matrix")
        assert signed is not None
        return signed.token, signed.csrf_token


@pytest.fixture(scope="module")
async def world(pool: asyncpg.Pool[Any], client: Client, tmp_path_factory: pytest.TempPathFactory,
                ) -> AsyncIterator[World]:
    """A worker for this module (the per-test ``services`` fixture would stop it after the first cell) and the
    goals the matrix needs: one of mgr.payments awaiting review, plus a throwaway for every role allowed to decide
    on every decision route."""
    settings = Settings(task_queue=f"authz-{uuid.uuid4().hex[:8]}", data_dir=tmp_path_factory.mktemp("authz"),
                        review_sla_seconds=3600)
    async with build_worker(client, settings.task_queue, pool=pool, settings=settings):
        svc = Services(pool=pool, client=client, settings=settings)
        cells = [(route, role) for route in sorted(DECISION_ROUTES) for role in sorted(MATRIX[route].allowed)]
        goal_ids = [await usecases.submit_goal(svc, text=GOAL, manager_login="mgr.payments",
                                              submitted_by="mgr.payments") for _ in range(len(cells) + 1)]
        goals = await asyncio.gather(*(wait_until_awaiting_review(svc, g) for g in goal_ids))
        main, rest = goals[0], goals[1:]
        app = create_app(svc)
        sessions: dict[str, tuple[str, str]] = {}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
            for role, login in LOGINS.items():
                c.cookies.clear()
                resp = await c.post("/api/login", json={"login": login, "password": DEMO_PASSWORD})
                assert resp.status_code == 200, resp.text
                sessions[role] = (resp.cookies[SESSION_COOKIE], resp.headers[CSRF_HEADER])
        revocable = {}
        for route in sorted(REVOKE_ROUTES):
            for role in ROLES:
                signed = await usecases.sign_in(svc, "hr.reviewer2", DEMO_PASSWORD, address="127.0.0.1",
                                                user_agent="authorization matrix")
                assert signed is not None
                revocable[route, role] = signed.session_id
        yield World(app=app, services=svc, goal_id=main.goal_id, review_id=review_id_of(main),
                    throwaway={cell: review_id_of(g) for cell, g in zip(cells, rest, strict=True)},
                    sessions=sessions, revocable=revocable)


def test_every_route_is_classified(world: World) -> None:
    served = app_routes(world.app)
    unclassified = sorted(served - MATRIX.keys())
    assert not unclassified, f"classify these routes in MATRIX (who may call them?): {unclassified}"
    stale = sorted(MATRIX.keys() - served)
    assert not stale, f"MATRIX names routes the app no longer serves: {stale}"


def test_matrix_is_consistent() -> None:
    for route, access in MATRIX.items():
        assert access.allowed <= EVERYONE, route
        if access.hidden:
            assert ANON not in access.allowed and OTHER not in access.allowed, route
        assert access.forbidden <= SIGNED_IN - access.allowed, route


Call = Callable[[tuple[str, str], str], Awaitable[httpx.Response]]


@pytest.fixture
def call(world: World) -> Call:
    async def do(route: tuple[str, str], role: str) -> httpx.Response:
        method, path = route
        review_id = world.throwaway.get((route, role), world.review_id)
        url = path.format(goal_id=world.goal_id, review_id=review_id, action_type="decompose_goal",
                          source="project", employee_id="E0103", task_id="T1", item_id="K0",
                          session_id=world.revocable.get((route, role), ""), type_id="t14-never-required",
                          certification_id="cert-E0000-none", renewal_id="ren-000000000000")
        own = await world.own_session(role) if route in SIGN_IN_OUT_ROUTES and role != ANON else None
        async with world.client(role, own) as c:
            if path == "/api/reviews/bulk-approve":
                return await c.request(method, url, json={"items": [{"review_id": review_id}]})
            if path == "/reviews/bulk-approve":
                return await c.request(method, url, data={"approve": f"{review_id}:"})
            if path.startswith("/api/"):
                return await c.request(method, url, json=json_body(route, role))
            return await c.request(method, url, data=form_body(route))

    return do


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(MATRIX), ids=[f"{m} {p}" for m, p in sorted(MATRIX)])
async def test_access(world: World, call: Call, route: tuple[str, str], role: str) -> None:
    access = MATRIX[route]
    api = route[1].startswith("/api/")
    resp = await call(route, role)
    where = f"{route[0]} {route[1]} as {role}: {resp.status_code} {resp.headers.get('location', '')} {resp.text[:300]}"
    login_redirect = resp.status_code == 303 and resp.headers["location"].startswith("/login?next=")

    if role in access.allowed:
        assert resp.status_code == access.ok, where
        assert not login_redirect, where
        if resp.status_code == 200:
            expected = ("application/x-ndjson" if route[1].endswith("/export") else
                        "text/csv" if route[1].endswith(".csv") else "application/json")
            assert resp.headers["content-type"].startswith(expected if api else "text/html"), where
    elif role == ANON:
        if api:
            assert resp.status_code == 401, where
            assert "www-authenticate" not in resp.headers, f"no Basic challenge, so browsers never offer it: {where}"
        else:
            assert login_redirect, where
            assert resp.headers["location"] == "/login?" + urlencode({"next": resp.request.url.path}), where
    else:
        assert resp.status_code == (404 if access.hidden and role not in access.forbidden else 403), where
        if api:
            assert isinstance(resp.json()["detail"], str), where
        else:
            assert resp.headers["content-type"].startswith("text/html"), where
            assert f"<h2>{resp.status_code}</h2>" in resp.text, where

    if route in DECISION_ROUTES:
        review = await usecases.get_review(world.services, world.throwaway.get((route, role), world.review_id))
        if role in access.allowed:
            decided = "approved" if route[1].endswith("/bulk-approve") else "rejected"
            assert (review.status, review.decided_by) == (decided, LOGINS[role]), where
        else:
            assert review.status == "pending" and review.decided_by is None, where
    if route in REVOKE_ROUTES:
        alive = {s.session_id for s in await usecases.list_sessions(world.services, by=await admin(world))}
        assert (world.revocable[route, role] in alive) == (role not in access.allowed), where


async def admin(world: World) -> User:
    """The admin user (to list sessions)."""
    return await usecases.get_user(world.services, LOGINS[ADMIN])


async def test_hidden_goal_routes_look_like_missing_goals(world: World) -> None:
    """For a manager who does not own it, another manager's goal answers exactly like a goal that does not exist."""
    hidden = [route for route, access in MATRIX.items() if access.hidden]
    assert hidden
    async with world.client(OTHER) as c:
        for method, path in hidden:
            body: dict[str, Any] = ({"json": json_body((method, path), OTHER)} if path.startswith("/api/")
                                    else {"data": form_body((method, path))})
            real = await c.request(method, path.format(goal_id=world.goal_id), **body)
            fake = await c.request(method, path.format(goal_id="g-000000000000"), **body)
            assert real.status_code == fake.status_code == 404, path
            assert real.text.replace(world.goal_id, "ID") == fake.text.replace("g-000000000000", "ID"), path
