"""Server-side console sessions: signing out and revoking end them, idle and absolute timeouts expire them, every
sign-in makes a new token, only a hash of the token is stored, the cookie's flags, and no Basic on HTML pages."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from support import CSRF_HEADER

from infra.settings import Settings
from review_console.app import create_app
from review_console.security import SESSION_COOKIE
from tools.people_import.demo_org import DEMO_PASSWORD
from workflows import usecases
from workflows.usecases import Services

pytestmark = pytest.mark.integration

Console = Callable[..., Awaitable["Browser"]]


class Browser:
    """One ASGI client of a console app, signed in or not."""

    def __init__(self, app: Any, address: str = "127.0.0.1") -> None:
        self.app, self.address = app, address
        self.http = self.other()
        self.csrf = ""

    def other(self, cookie: str | None = None) -> httpx.AsyncClient:
        """Another client of the same app and address, carrying ``cookie`` as its session cookie, if given."""
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app, client=(self.address, 50000)),
                                 base_url="http://test", cookies={SESSION_COOKIE: cookie} if cookie else None)

    async def sign_in(self, login: str, password: str = DEMO_PASSWORD) -> httpx.Response:
        resp = await self.http.post("/api/login", json={"login": login, "password": password})
        assert resp.status_code == 200, resp.text
        self.csrf = resp.headers[CSRF_HEADER]
        return resp

    @property
    def cookie(self) -> str:
        return self.http.cookies[SESSION_COOKIE]

    async def me(self, cookie: str | None = None) -> int:
        """Status of GET /api/me with this browser's cookie (or ``cookie``)."""
        if cookie is None:
            return (await self.http.get("/api/me")).status_code
        async with self.other(cookie) as other:
            return (await other.get("/api/me")).status_code


@pytest.fixture
async def console(pool: asyncpg.Pool[Any], tmp_path: Path) -> AsyncIterator[Console]:
    """``await console(**settings)``: a browser on a console app with these settings (no Temporal needed)."""
    opened: list[Browser] = []

    async def make(address: str = "127.0.0.1", **settings: Any) -> Browser:
        svc = Services(pool=pool, client=None, settings=Settings(data_dir=tmp_path, **settings))
        browser = Browser(create_app(svc), address)
        opened.append(browser)
        return browser

    yield make
    for browser in opened:
        await browser.http.aclose()


async def test_signing_out_ends_the_session_everywhere(console: Console) -> None:
    browser = await console()
    await browser.sign_in("mgr.payments")
    old = browser.cookie
    assert await browser.me() == 200
    assert (await browser.http.post("/api/logout")).json() == {"ok": True}
    assert await browser.me(old) == 401, "the cookie taken before sign-out must be refused afterwards"

    # the same through the page's sign-out form
    await browser.sign_in("mgr.payments")
    old = browser.cookie
    resp = await browser.http.post("/logout", data={"csrf_token": browser.csrf})
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    assert await browser.me(old) == 401
    async with browser.other(old) as replay:
        page = await replay.get("/goals")
        assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


async def test_every_sign_in_makes_a_new_token_and_ends_the_previous_one(console: Console) -> None:
    browser = await console()
    await browser.sign_in("hr.reviewer")
    planted = browser.cookie
    first_csrf = browser.csrf
    await browser.sign_in("hr.reviewer")
    assert browser.cookie != planted and browser.csrf != first_csrf
    assert await browser.me(planted) == 401, "the token the browser had before signing in must be dead"
    assert await browser.me() == 200


async def test_only_a_hash_of_the_token_is_stored(console: Console, pool: asyncpg.Pool[Any]) -> None:
    browser = await console()
    await browser.sign_in("mgr.data")
    token = browser.cookie
    row = await pool.fetchrow("SELECT * FROM sessions WHERE token_hash = $1", hashlib.sha256(token.encode()).digest())
    assert row is not None and row["login"] == "mgr.data"
    assert token not in {str(v) for v in row.values()}
    assert browser.csrf not in {str(v) for v in row.values()}


async def test_an_admin_revokes_a_session_and_it_is_refused(console: Console, pool: asyncpg.Pool[Any]) -> None:
    victim, admin = await console(), await console()
    await victim.sign_in("mgr.data")
    await admin.sign_in("admin")
    listed = (await admin.http.get("/api/admin/sessions")).json()
    mine = [s for s in listed["data"] if s["login"] == "mgr.data"]
    assert mine and listed["count"] == len(listed["data"])
    assert {"session_id", "created_at", "last_seen_at", "client_address", "user_agent", "role"} <= set(mine[0])
    assert all(victim.cookie not in str(s) for s in listed["data"]), "a token must never be listed"
    victim_id = (await pool.fetchval("SELECT session_id FROM sessions WHERE token_hash = $1",
                                     hashlib.sha256(victim.cookie.encode()).digest()))
    resp = await admin.http.delete(f"/api/admin/sessions/{victim_id}")
    assert resp.status_code == 200 and resp.json()["login"] == "mgr.data"
    assert await victim.me() == 401
    assert (await admin.http.delete(f"/api/admin/sessions/{victim_id}")).status_code == 404
    event = await pool.fetchrow("SELECT actor, payload FROM audit_events WHERE action = 'session.revoked'"
                                " AND payload->>'session_id' = $1", victim_id)
    assert event is not None and event["actor"] == "admin" and event["payload"]["login"] == "mgr.data"

    # the admin page lists sessions per user, each with a revoke button carrying the CSRF token
    await victim.sign_in("mgr.data")
    page = await admin.http.get("/admin/sessions")
    assert page.status_code == 200 and 'data-login="mgr.data"' in page.text
    victim_id = (await pool.fetchval("SELECT session_id FROM sessions WHERE token_hash = $1",
                                     hashlib.sha256(victim.cookie.encode()).digest()))
    form = re.search(rf'<form method="post" action="/admin/sessions/{victim_id}/revoke">'
                     r'<input type="hidden" name="csrf_token" value="([^"]+)">', page.text)
    assert form, "no revoke button for the victim's session"
    resp = await admin.http.post(f"/admin/sessions/{victim_id}/revoke", data={"csrf_token": form.group(1)})
    assert resp.status_code == 303 and resp.headers["location"] == "/admin/sessions"
    assert await victim.me() == 401


async def test_only_admins_list_or_revoke_sessions(console: Console, services: Services) -> None:
    reviewer = await console()
    await reviewer.sign_in("hr.reviewer")
    assert (await reviewer.http.get("/api/admin/sessions")).status_code == 403
    user = await usecases.get_user(services, "hr.reviewer")
    with pytest.raises(usecases.Forbidden):
        await usecases.list_sessions(services, by=user)
    with pytest.raises(usecases.Forbidden):
        await usecases.revoke_session(services, "s-0000000000000000", by=user)


async def test_an_idle_session_expires_and_a_used_one_does_not(console: Console) -> None:
    idle = await console(session_idle_timeout_seconds=1.0)
    await idle.sign_in("mgr.payments")
    assert await idle.me() == 200
    await asyncio.sleep(1.3)
    assert await idle.me() == 401, "a session unused longer than the idle timeout must be refused"

    busy = await console(session_idle_timeout_seconds=1.0)
    await busy.sign_in("mgr.payments")
    for _ in range(5):  # used every 0.4 s for 2 s: twice the idle timeout in all
        await asyncio.sleep(0.4)
        assert await busy.me() == 200, "a session in use must stay alive"


async def test_a_session_expires_at_the_absolute_timeout_however_busy(console: Console) -> None:
    browser = await console(session_idle_timeout_seconds=60.0, session_absolute_timeout_seconds=1.5)
    await browser.sign_in("hr.reviewer")
    cookie = browser.cookie
    for _ in range(3):
        assert await browser.me(cookie) == 200
        await asyncio.sleep(0.3)
    await asyncio.sleep(0.8)
    assert await browser.me(cookie) == 401, "a session older than the absolute timeout must be refused"


def _cookie_flags(resp: httpx.Response) -> set[str]:
    header = next(v for v in resp.headers.get_list("set-cookie") if v.startswith(f"{SESSION_COOKIE}="))
    return {part.strip().lower() for part in header.split(";")[1:]}


@pytest.mark.parametrize("settings, secure", [
    ({}, False),
    ({"console_base_url": "https://talent.example.com"}, True),
    ({"console_base_url": "http://talent.example.com"}, False),
    ({"console_base_url": "https://talent.example.com", "cookie_secure": False}, False),
    ({"cookie_secure": True}, True),
])
async def test_the_cookie_is_httponly_lax_and_secure_over_https(console: Console, settings: dict[str, Any],
                                                                secure: bool) -> None:
    browser = await console(**settings)
    origin = settings.get("console_base_url")
    resp = await browser.http.post("/api/login", json={"login": "mgr.data", "password": DEMO_PASSWORD},
                                   headers={"origin": origin} if origin else None)
    assert resp.status_code == 200, resp.text
    flags = _cookie_flags(resp)
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert ("secure" in flags) == secure, flags


async def test_a_request_over_https_gets_a_secure_cookie(pool: asyncpg.Pool[Any], tmp_path: Path) -> None:
    app = create_app(Services(pool=pool, client=None, settings=Settings(data_dir=tmp_path)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as http:
        resp = await http.post("/api/login", json={"login": "mgr.data", "password": DEMO_PASSWORD})
        assert resp.status_code == 200 and "secure" in _cookie_flags(resp)


def _basic(login: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


async def test_basic_is_for_the_api_without_a_cookie_and_never_challenged(console: Console) -> None:
    browser = await console()
    page = await browser.http.get("/goals", headers=_basic("mgr.payments"))
    assert page.status_code == 303 and page.headers["location"].startswith("/login?"), "no Basic on HTML pages"
    resp = await browser.http.get("/api/me", headers=_basic("mgr.payments"))
    assert resp.status_code == 200 and resp.json()["login"] == "mgr.payments"
    assert SESSION_COOKIE not in browser.http.cookies, "Basic must not start a session"

    # a request that carries a session cookie (here: an ended one) is judged by the cookie alone
    async with browser.other("ended-" + uuid.uuid4().hex) as stale:
        resp = await stale.get("/api/me", headers=_basic("mgr.payments"))
        assert resp.status_code == 401 and "www-authenticate" not in resp.headers
    for resp in [await browser.http.get("/api/me"), await browser.http.get("/api/me", headers=_basic("x", "y"))]:
        assert resp.status_code == 401 and "www-authenticate" not in resp.headers
