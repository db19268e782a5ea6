"""CSRF: every state-changing route refuses a request from another origin, and every state-changing HTML route also
refuses one without the session's token; the same request from the console's own page goes through.

The routes are enumerated from the app (as the authorization matrix does), so a new form route cannot be forgotten.
JSON API routes accept only JSON bodies and refuse a foreign Origin, whether the caller signed in with the cookie or
with HTTP Basic; they need no token.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable
from importlib import resources

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from markupsafe import escape
from support import CSRF_HEADER, eventually, review_id_of

from review_console.deps import FOREIGN_ORIGIN, STALE_FORM
from tools.people_import.demo_org import DEMO_PASSWORD
from workflows import usecases
from workflows.usecases import GoalDetail, Services

pytestmark = pytest.mark.integration

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
SAME = "http://test"
"""The console's own origin in these tests (the clients' base URL)."""
FOREIGN_WAYS = [{"origin": "https://evil.example"}, {"origin": "null"}, {"origin": "http://test.evil.example"},
                {"referer": "https://evil.example/page"}, {"sec-fetch-site": "cross-site"},
                {"sec-fetch-site": "same-site"}]
"""How a browser marks a request from another site (with or without an Origin header)."""
SKIPPED = ("/static", "/openapi.json", "/docs")
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
KNOWN_FORMS = {("POST", "/login"), ("POST", "/logout"), ("POST", "/goals"), ("POST", "/goals/{goal_id}/retry"),
               ("POST", "/reviews/{review_id}/decision"), ("POST", "/reviews/bulk-approve"), ("POST", "/me/skills"),
               ("POST", "/admin/sources/{source}"), ("POST", "/admin/trust-ramp/{action_type}/pin"),
               ("POST", "/admin/trust-ramp/{action_type}/policy"), ("POST", "/admin/sessions/{session_id}/revoke")}


def state_changing(app: FastAPI, *, api: bool) -> list[tuple[str, str]]:
    """(method, path) of every route of the app that may change something (anything but GET/HEAD/OPTIONS)."""
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path.startswith(SKIPPED) or path.startswith("/api/") != api:
            continue
        found |= {(m, path) for m in route.methods or () if m not in ("GET", "HEAD", "OPTIONS")}
    return sorted(found)


def url_of(path: str) -> str:
    """The path with every parameter filled by an id that matches nothing (so a request that passes changes nothing)."""
    return re.sub(r"\{[^}]+\}", "x-000000000000", path)


def refused_as_foreign(resp: httpx.Response) -> bool:
    if resp.status_code != 403:
        return False
    if resp.headers["content-type"].startswith("application/json"):
        return bool(resp.json()["detail"] == FOREIGN_ORIGIN)
    return str(escape(FOREIGN_ORIGIN)) in resp.text


def refused_as_stale(resp: httpx.Response) -> bool:
    return resp.status_code == 403 and str(escape(STALE_FORM)) in resp.text


async def test_the_enumeration_finds_every_form_route(app: FastAPI) -> None:
    assert set(state_changing(app, api=False)) >= KNOWN_FORMS
    assert len(state_changing(app, api=True)) >= 10


async def test_a_cross_origin_form_post_with_a_valid_session_is_refused_on_every_html_route(
        app: FastAPI, connect: ClientFactory) -> None:
    admin = await connect("admin")  # carries its session cookie and, like the pages, its CSRF token
    token = admin.headers[CSRF_HEADER]
    for method, path in state_changing(app, api=False):
        for foreign in FOREIGN_WAYS:
            resp = await admin.request(method, url_of(path), data={"csrf_token": token}, headers=foreign)
            assert refused_as_foreign(resp), f"{method} {path} from {foreign}: {resp.status_code} {resp.text[:200]}"
            assert resp.headers["content-type"].startswith("text/html"), path
    assert (await admin.get("/api/me")).status_code == 200, "nothing ran: not even the sign-out"


async def test_a_same_origin_post_without_the_sessions_token_is_refused(app: FastAPI, connect: ClientFactory) -> None:
    admin = await connect("admin")
    del admin.headers[CSRF_HEADER]
    other = await connect("hr.reviewer")  # a valid token, but of another session
    for method, path in state_changing(app, api=False):
        if path == "/login":  # signing in makes a new session: its origin is checked, there is no token yet
            continue
        for data, headers in [({}, {"origin": SAME}), ({"csrf_token": "forged"}, {"origin": SAME}),
                              ({"csrf_token": other.headers[CSRF_HEADER]}, {}),
                              ({}, {CSRF_HEADER: other.headers[CSRF_HEADER]})]:
            resp = await admin.request(method, url_of(path), data=data, headers=headers)
            assert refused_as_stale(resp), f"{method} {path} with {data} {headers}: {resp.status_code}"
    assert (await admin.get("/api/me")).status_code == 200


async def test_the_same_post_from_the_consoles_own_page_goes_through(app: FastAPI, connect: ClientFactory) -> None:
    for method, path in state_changing(app, api=False):
        admin = await connect("admin")  # a session per route: one of them signs out
        page = await admin.get("/admin/sessions")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "the page's forms carry the CSRF token"
        del admin.headers[CSRF_HEADER]
        for headers in ({"origin": SAME}, {"referer": f"{SAME}/admin/sessions"}, {"sec-fetch-site": "same-origin"},
                        {}):
            resp = await admin.request(method, url_of(path), data={"csrf_token": token.group(1)}, headers=headers)
            assert not refused_as_foreign(resp) and not refused_as_stale(resp), f"{method} {path} {headers}"


async def test_the_probe_a_foreign_site_cannot_approve_a_review_but_the_review_page_can(
        services: Services, connect: ClientFactory) -> None:
    goal_id = await usecases.submit_goal(services, text=GOAL, manager_login="mgr.payments",
                                         submitted_by="mgr.payments")

    async def planned() -> GoalDetail | None:
        goal = await usecases.get_goal(services, goal_id)
        return goal if goal.status == "awaiting_plan_review" else None

    review_id = review_id_of(await eventually(planned, "the plan review"))
    reviewer = await connect("hr.reviewer")
    page = await reviewer.get(f"/reviews/{review_id}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    args_hash = re.search(r'name="args_hash" value="([^"]+)"', page.text)
    assert token and args_hash
    form = {"csrf_token": token.group(1), "args_hash": args_hash.group(1), "decision": "approve", "reason": ""}
    attack = await reviewer.post(f"/reviews/{review_id}/decision", data=form,
                                 headers={"origin": "https://evil.example"})
    assert refused_as_foreign(attack)
    assert (await usecases.get_review(services, review_id)).status == "pending"

    resp = await reviewer.post(f"/reviews/{review_id}/decision", data=form, headers={"origin": SAME})
    assert resp.status_code == 303, resp.text
    review = await usecases.get_review(services, review_id)
    assert (review.status, review.decided_by) == ("approved", "hr.reviewer")


async def test_a_cross_origin_sign_in_is_refused(connect: ClientFactory) -> None:
    client = await connect()
    form = {"login": "mgr.payments", "password": DEMO_PASSWORD, "next": "/goals"}
    resp = await client.post("/login", data=form, headers={"origin": "https://evil.example"})
    assert refused_as_foreign(resp) and "talentops_session" not in client.cookies
    resp = await client.post("/api/login", json=form, headers={"origin": "https://evil.example"})
    assert refused_as_foreign(resp) and "talentops_session" not in client.cookies
    resp = await client.post("/login", data=form, headers={"origin": SAME})
    assert resp.status_code == 303 and "talentops_session" in client.cookies


async def test_api_calls_from_another_origin_are_refused_with_the_cookie_or_with_basic(
        app: FastAPI, connect: ClientFactory) -> None:
    admin = await connect("admin")
    basic = await connect()
    basic.headers["Authorization"] = "Basic " + base64.b64encode(f"admin:{DEMO_PASSWORD}".encode()).decode()
    for method, path in state_changing(app, api=True):
        for client in (admin, basic):
            for foreign in FOREIGN_WAYS:
                resp = await client.request(method, url_of(path), json={}, headers=foreign)
                assert refused_as_foreign(resp), f"{method} {path} {foreign}: {resp.status_code} {resp.text[:200]}"
    # a script (no Origin, no Referer) and the console's own pages go through
    resp = await admin.post("/api/goals/g-000000000000/retry")
    assert resp.status_code == 404
    resp = await basic.post("/api/goals/g-000000000000/retry", headers={"origin": SAME})
    assert resp.status_code == 404
    assert (await admin.get("/api/me", headers={"origin": "https://evil.example"})).status_code == 200, \
        "reads are not refused (the browser keeps their answers from the other site)"


def test_every_post_form_of_the_templates_carries_the_csrf_token() -> None:
    folder = resources.files("review_console") / "templates"
    forms = 0
    for template in folder.iterdir():
        if not template.name.endswith(".html"):
            continue
        for form in re.finditer(r"<form\b[^>]*>", template.read_text()):
            if 'method="post"' not in form.group(0).lower():
                continue
            forms += 1
            after = template.read_text()[form.end():form.end() + 200]
            assert after.startswith('<input type="hidden" name="csrf_token" value="{{ csrf_token }}">'), \
                f"{template.name}: {form.group(0)} has no csrf_token field"
    assert forms >= 11
