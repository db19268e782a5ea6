"""Sign-in throttling: per login and per client address, with a wait that doubles; a locked sign-in is refused with
429 and Retry-After even with the right password, then works after the wait; other logins are not held up; failures
and locks are audited; argon2 checks run a bounded number at a time.

Each test uses logins and client addresses of its own (and short waits), so nothing here locks the demo users.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from infra.settings import Settings
from review_console.app import create_app
from workflows import usecases
from workflows.usecases import Services
from workflows.usecases import sessions as session_usecases

pytestmark = pytest.mark.integration

PASSWORD = "a long enough password"
FAST = {"login_max_failures": 3, "login_backoff_base_seconds": 1.0, "login_backoff_max_seconds": 4.0,
        "login_max_failures_per_address": 100, "login_failure_window_seconds": 60.0}
"""Three free failures per login, then 1 s, 2 s, 4 s, 4 s … ; addresses barely limited."""

Client = httpx.AsyncClient
Console = Callable[..., Awaitable[Callable[[str], Client]]]


@pytest.fixture
async def console(pool: asyncpg.Pool[Any], tmp_path: Path) -> AsyncIterator[Console]:
    """``clients = await console(**settings)``; ``clients(address)`` is a client of that app from ``address``."""
    opened: list[Client] = []

    async def make(**settings: Any) -> Callable[[str], Client]:
        app = create_app(Services(pool=pool, client=None, settings=Settings(data_dir=tmp_path, **settings)))

        def client(address: str) -> Client:
            http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                                     base_url="http://test")
            opened.append(http)
            return http

        return client

    yield make
    for http in opened:
        await http.aclose()


async def new_user(services: Services, role: str = "reviewer") -> str:
    login = f"qa-{uuid.uuid4().hex[:8]}"
    await usecases.create_user(services, login=login, display_name="QA", role=role, password=PASSWORD, by="admin")
    return login


def address() -> str:
    """A client address of this test's own."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"


async def sign_in(http: Client, login: str, password: str) -> httpx.Response:
    return await http.post("/api/login", json={"login": login, "password": password})


async def audit_actions(pool: asyncpg.Pool[Any], login: str) -> list[str]:
    rows = await pool.fetch("SELECT action FROM audit_events WHERE actor = $1 AND action LIKE 'auth.%' ORDER BY seq",
                            login)
    return [r["action"] for r in rows]


async def test_the_attempt_after_the_free_failures_is_refused_even_with_the_right_password(
        console: Console, services: Services, pool: asyncpg.Pool[Any]) -> None:
    clients = await console(**FAST)
    login, other = await new_user(services), await new_user(services)
    http = clients(address())
    for _ in range(3):
        resp = await sign_in(http, login, "wrong password")
        assert resp.status_code == 401 and resp.json() == {"detail": "wrong login or password"}
    started = time.monotonic()
    refused = await sign_in(http, login, PASSWORD)
    assert refused.status_code == 429, refused.text
    assert refused.json()["detail"].startswith("Too many failed sign-ins for this login or from this address")
    assert refused.headers["retry-after"] == "1"
    assert "talentops_session" not in http.cookies

    # another user, from the same address, signs in meanwhile
    assert (await sign_in(http, other, PASSWORD)).status_code == 200
    assert (await sign_in(clients(address()), login, PASSWORD)).status_code == 429, "the login is locked anywhere"

    await asyncio.sleep(max(0.0, 1.05 - (time.monotonic() - started)))
    resp = await sign_in(clients(address()), login, PASSWORD)
    assert resp.status_code == 200, resp.text
    assert await audit_actions(pool, login) == ["auth.login_failed"] * 3 + ["auth.throttled"], \
        "each failure audited, and the lock once however many refusals"
    failed = await pool.fetchval("SELECT payload FROM audit_events WHERE actor = $1 AND action = 'auth.login_failed'"
                                 " ORDER BY seq DESC LIMIT 1", login)
    assert failed["via"] == "api" and failed["failures"] == 3 and failed["locked_for_seconds"] == 1.0


async def test_the_wait_doubles_with_every_further_failure(console: Console, services: Services) -> None:
    clients = await console(**FAST)
    login = await new_user(services)
    http = clients(address())
    for _ in range(3):
        await sign_in(http, login, "wrong password")
    waits = []
    for _ in range(3):
        refused = await sign_in(http, login, PASSWORD)
        assert refused.status_code == 429
        waits.append(int(refused.headers["retry-after"]))
        await asyncio.sleep(waits[-1] + 0.05)
        assert (await sign_in(http, login, "still wrong")).status_code == 401
    assert waits == [1, 2, 4]
    assert (await sign_in(http, login, PASSWORD)).headers["retry-after"] == "4", "capped at the maximum"


async def test_a_success_forgets_the_logins_failures(console: Console, services: Services) -> None:
    clients = await console(**FAST)
    login = await new_user(services)
    http = clients(address())
    for _ in range(2):
        assert (await sign_in(http, login, "wrong password")).status_code == 401
    assert (await sign_in(http, login, PASSWORD)).status_code == 200
    for _ in range(2):
        assert (await sign_in(http, login, "wrong password")).status_code == 401
    assert (await sign_in(http, login, PASSWORD)).status_code == 200


async def test_one_address_guessing_many_logins_is_locked_but_others_are_not(console: Console,
                                                                              services: Services) -> None:
    clients = await console(**{**FAST, "login_max_failures_per_address": 4})
    guesser, bystander = clients(address()), clients(address())
    logins = [f"nobody-{uuid.uuid4().hex[:6]}" for _ in range(4)]
    for login in logins:
        assert (await sign_in(guesser, login, "guess")).status_code == 401
    real = await new_user(services)
    refused = await sign_in(guesser, real, PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert (await sign_in(bystander, real, PASSWORD)).status_code == 200


async def test_the_sign_in_form_and_basic_are_throttled_too(console: Console, services: Services) -> None:
    clients = await console(**FAST)
    login = await new_user(services)
    http = clients(address())
    for _ in range(3):
        resp = await http.post("/login", data={"login": login, "password": "wrong password", "next": "/"})
        assert resp.status_code == 401
    page = await http.post("/login", data={"login": login, "password": PASSWORD, "next": "/"})
    assert page.status_code == 429 and page.headers["retry-after"] == "1"
    assert "Too many failed sign-ins" in page.text and "talentops_session" not in http.cookies

    basic_login = await new_user(services)
    basic = clients(address())

    def creds(password: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{basic_login}:{password}".encode()).decode()}

    for _ in range(3):
        assert (await basic.get("/api/me", headers=creds("wrong password"))).status_code == 401
    refused = await basic.get("/api/me", headers=creds(PASSWORD))
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "www-authenticate" not in refused.headers
    await asyncio.sleep(1.05)
    assert (await basic.get("/api/me", headers=creds(PASSWORD))).status_code == 200


class CountingHasher:
    """Stands in for argon2: slow, and counting how many checks run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0

    def _work(self) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        time.sleep(0.05)
        self.running -= 1

    def hash(self, password: str) -> str:
        self._work()
        return "counted"

    def verify(self, password_hash: str, password: str) -> bool:
        self._work()
        from argon2.exceptions import VerifyMismatchError

        raise VerifyMismatchError()


async def test_a_flood_of_guesses_runs_a_bounded_number_of_password_checks(
        console: Console, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    counting = CountingHasher()
    monkeypatch.setattr(session_usecases, "_hasher", counting)
    clients = await console(**{**FAST, "login_max_failures": 1000, "password_check_concurrency": 2})
    login = await new_user(services)
    flood = [clients(address()) for _ in range(12)]
    creds = {"Authorization": "Basic " + base64.b64encode(f"{login}:guess".encode()).decode()}
    guesses = asyncio.gather(*(http.get("/api/me", headers=creds) for http in flood))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    assert (await clients(address()).get("/api/health")).status_code == 200
    assert time.monotonic() - started < 2, "other requests are served while the guesses queue"
    answers = await guesses
    assert [r.status_code for r in answers] == [401] * 12
    assert counting.most == 2, f"{counting.most} password checks ran at once"
