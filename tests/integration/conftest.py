"""Fixtures the integration tests share: the console app and clients signed in through the JSON API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from support import keep_csrf_token, withdrawing_at_the_end

from review_console.app import create_app
from tools.people_import.demo_org import DEMO_PASSWORD
from workflows.usecases import Services

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
def app(services: Services) -> FastAPI:
    """The console app, wired to this test's services."""
    return create_app(services)


@pytest.fixture
async def connect(app: FastAPI) -> AsyncIterator[ClientFactory]:
    """Factory of ASGI clients; ``await connect("mgr.payments")`` gives one signed in through the API (its session
    cookie works for the HTML pages too, and it sends the session's CSRF token as the pages' forms do);
    ``await connect()`` one that is not signed in."""
    opened: list[httpx.AsyncClient] = []

    async def make(login: str | None = None) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        opened.append(client)
        if login is not None:
            resp = await client.post("/api/login", json={"login": login, "password": DEMO_PASSWORD})
            assert resp.status_code == 200, resp.text
            keep_csrf_token(client, resp)
        return client

    yield make
    for client in opened:
        await client.aclose()


@pytest.fixture(scope="module", autouse=True)
async def withdraw_what_the_module_booked(pool: asyncpg.Pool[Any]) -> AsyncIterator[None]:
    """See ``support.withdrawing_at_the_end``: this module's bookings are withdrawn when it ends."""
    async for _ in withdrawing_at_the_end(pool):
        yield
