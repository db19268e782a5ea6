"""Schemathesis drives the whole OpenAPI of the console, in process, as each role and signed out: no answer may be
a server error, and every answer must match what the OpenAPI publishes for its status (body and content type).
Signed-in requests carry the session's CSRF token too, as the console's own scripts do (the learning catalogue's
upload, a form body, needs it).

The app runs with the input guard, on a database of its own (created, migrated and seeded here: fuzzing changes
policies, pins, sources and skills, which other tests must not see) and a Temporal task queue no worker polls
(goals it submits stay submitted: nothing plans them). Schemathesis calls the app from its own event loop thread;
the app, its pool and its Temporal client live on another (``OnLoop``), as asyncpg connections belong to the loop
that opened them.

Bounded for CI: ``MAX_EXAMPLES`` generated cases per operation and role after the deterministic coverage cases,
derandomized so every run sends the same requests.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import schemathesis
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI
from fastapi.routing import APIRoute
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.testing import WorkflowEnvironment

from infra import db
from infra.settings import Settings
from review_console import input_guard
from review_console.app import create_app
from tools.people_import.demo_org import DEMO_PASSWORD, seed_demo_org
from tools.taxonomy.store import sync_taxonomy
from workers.main import connect_client
from workflows.usecases import Services

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 15
"""Generated cases per operation and role (on top of schemathesis' coverage cases: boundaries, wrong types, NUL)."""
ANONYMOUS = "anonymous"
LOGINS = {"admin": "admin", "reviewer": "hr.reviewer", "manager": "mgr.payments"}
"""Demo logins per role; the employee's is looked up (any demo login with the role employee)."""
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
SESSION_COOKIE = "talentops_session"
CSRF_HEADER = "X-CSRF-Token"


class OnLoop:
    """An ASGI app served on another event loop (the portal's), for callers on this one.

    The request is read here, served there, and the answer replayed here, so the app's asyncpg pool and Temporal
    client are only ever used on the loop that opened them. Lifespan events are answered here: the app's services
    are open already."""

    def __init__(self, app: ASGIApp, portal: BlockingPortal) -> None:
        self.app = app
        self.portal = portal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        request: list[Message] = []
        while True:
            message = await receive()
            request.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        served: Future[list[Message]] = self.portal.start_task_soon(self._serve, dict(scope), request)
        for message in await asyncio.wrap_future(served):
            await send(message)

    async def _serve(self, scope: Scope, request: list[Message]) -> list[Message]:
        answer: list[Message] = []
        done = asyncio.Event()

        async def receive() -> Message:
            if request:
                return request.pop(0)
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            answer.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                done.set()

        await self.app(scope, receive, send)
        return answer


@dataclass
class Target:
    """The fuzzed app and its own services (on the portal's loop), with a session per role."""

    services: Services
    app: ASGIApp
    sessions: dict[str, str] = field(default_factory=dict)
    """Role → session token."""
    spare_sessions: dict[str, str] = field(default_factory=dict)
    """Role → a second session, for ``POST /api/logout`` (which ends the session it is sent with)."""
    csrf_tokens: dict[str, str] = field(default_factory=dict)
    """Session token → its CSRF token (the catalogue upload, a form body, needs it in its header)."""

    def headers(self, role: str, case: Case) -> dict[str, str]:
        """What a request of ``role`` carries: its session cookie (none signed out) and the session's CSRF token."""
        if role == ANONYMOUS:
            return {}
        sessions = self.spare_sessions if case.operation.path == "/api/logout" else self.sessions
        token = sessions[role]
        return {"Cookie": f"{SESSION_COOKIE}={token}", CSRF_HEADER: self.csrf_tokens[token]}


def database_url(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name``."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def open_target(pg_url: str, temporal_address: str, data_dir: Path) -> Target:
    """A database of the fuzz's own (migrated, taxonomy, demo organisation), services and a signed-in session per
    role; run on the portal's loop."""
    name = f"fuzz_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    pool = await db.create_pool(database_url(pg_url, name))
    await db.migrate(pool)
    await sync_taxonomy(pool)
    async with pool.acquire() as conn:
        await seed_demo_org(conn)
    employee = await pool.fetchval("SELECT login FROM users WHERE role = 'employee' ORDER BY login LIMIT 1")
    client = await connect_client(temporal_address)
    settings = Settings(task_queue=f"fuzz-{uuid.uuid4().hex[:8]}", data_dir=data_dir, review_sla_seconds=3600)
    services = Services(pool=pool, client=client, settings=settings)
    app = create_app(services)
    if not any(m.cls is input_guard.InputGuard for m in app.user_middleware):
        input_guard.install(app, settings)
    target = Target(services=services, app=app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        for role, login in {**LOGINS, "employee": employee}.items():
            for sessions in (target.sessions, target.spare_sessions):
                http.cookies.clear()
                resp = await http.post("/api/login", json={"login": login, "password": DEMO_PASSWORD})
                assert resp.status_code == 200, resp.text
                sessions[role] = resp.cookies[SESSION_COOKIE]
                target.csrf_tokens[sessions[role]] = resp.headers[CSRF_HEADER]
    return target


@pytest.fixture(scope="module")
def target(pg_url: str, temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[Target]:
    """The guarded app on a loop of its own, with its own database, reached through ``OnLoop``."""
    address = temporal_env.client.service_client.config.target_host
    with start_blocking_portal() as portal:
        opened = portal.call(open_target, pg_url, address, tmp_path_factory.mktemp("fuzz"))
        try:
            yield Target(services=opened.services, app=OnLoop(opened.app, portal), sessions=opened.sessions,
                         spare_sessions=opened.spare_sessions, csrf_tokens=opened.csrf_tokens)
        finally:
            portal.call(opened.services.pool.close)


@pytest.fixture(scope="module")
def api_schema(target: Target) -> Any:
    """The console's OpenAPI, loaded from the app, with the run's bounds."""
    loaded = schemathesis.openapi.from_asgi("/openapi.json", target.app)
    loaded.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
    loaded.config.phases.update(phases=["examples", "coverage", "fuzzing"])
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")

MOVES_OPERATIONS = {
    ("POST", "/api/me/assignments/{goal_id}/{task_id}/answer"), ("GET", "/api/me/team/releases"),
    ("POST", "/api/me/team/releases/{goal_id}/{task_id}/{employee_id}"), ("GET", "/api/me/inbox"),
    ("POST", "/api/me/inbox/read"), ("GET", "/api/admin/releases"), ("POST", "/api/goals/{goal_id}/resubmit"),
}
"""The routes of the moves after staffing (answer, release, inbox, release counts, a rejected goal revised)."""
ONBOARDING_OPERATIONS = {
    ("GET", "/api/me/onboarding"), ("POST", "/api/me/onboarding/{goal_id}/{task_id}/{employee_id}/items/{item_id}"),
    ("POST", "/api/me/onboarding/{goal_id}/{task_id}/{employee_id}/productive"),
    ("GET", "/api/goals/{goal_id}/onboarding"), ("GET", "/api/reviews/unreviewed"), ("POST", "/api/admin/learning"),
}
"""The routes of onboarding after a move (your plans, ticking an item, marking productive, a goal's plans), the
actions that went ahead unreviewed, and the learning catalogue's upload (multipart)."""


def test_every_api_route_is_fuzzed(api_schema: Any, target: Target) -> None:
    """Every ``/api`` route the app serves is an operation of the OpenAPI schemathesis drives (a route left out of the
    schema would escape the fuzz), the moves' and the onboarding's routes among them."""
    assert isinstance(target.app, OnLoop)
    app = target.app.app
    assert isinstance(app, FastAPI)
    served = {(method, route.path) for route in app.routes if isinstance(route, APIRoute)
              and route.path.startswith("/api/") for method in route.methods}
    fuzzed = {(op.method.upper(), op.path) for op in (r.ok() for r in api_schema.get_all_operations())}
    assert served - fuzzed == set(), "these API routes are not in the OpenAPI, so nothing fuzzes them"
    assert not MOVES_OPERATIONS - fuzzed, "the moves' routes are fuzzed"
    assert not ONBOARDING_OPERATIONS - fuzzed, "the onboarding, unreviewed and catalogue routes are fuzzed"


def fuzz(case: Case, role: str, target: Target) -> None:
    """Send the case as ``role`` and check the answer."""
    if role != ANONYMOUS and case.operation.path == "/api/login":
        return  # signing in does not depend on who asks; the signed-out run covers it (without the argon2 cost ×4)
    case.call_and_validate(headers=target.headers(role, case), checks=CHECKS)


@schema.parametrize()
def test_signed_out(case: Case, target: Target) -> None:
    fuzz(case, ANONYMOUS, target)


@schema.parametrize()
def test_as_admin(case: Case, target: Target) -> None:
    fuzz(case, "admin", target)


@schema.parametrize()
def test_as_reviewer(case: Case, target: Target) -> None:
    fuzz(case, "reviewer", target)


@schema.parametrize()
def test_as_manager(case: Case, target: Target) -> None:
    fuzz(case, "manager", target)


@schema.parametrize()
def test_as_employee(case: Case, target: Target) -> None:
    fuzz(case, "employee", target)
