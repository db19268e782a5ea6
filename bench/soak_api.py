"""Soak, the HTTP API as people use it: the demo logins, a signed-in session (cookie, ``Origin``,
``X-CSRF-Token``) and the count of requests the bench sent."""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "talentops-demo"
"""Password of every demo login."""
MANAGERS = ("mgr.payments", "mgr.data")
REVIEWERS = ("hr.reviewer", "hr.reviewer2")
ADMIN = "admin"


class ApiError(Exception):
    """A response the bench did not expect."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        self.detail = detail if isinstance(detail, str) else json.dumps(detail)
        super().__init__(f"{response.request.method} {response.request.url.path} -> {self.status}: "
                         f"{self.detail[:300]}")


@dataclass
class Traffic:
    """Requests the bench sent, for the report (the polling is load on the console too)."""

    requests: Counter[str] = field(default_factory=Counter)
    """Requests sent, per route (``GET /api/goals/{g}``)."""
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Summed response time per route, in seconds."""
    statuses: Counter[str] = field(default_factory=Counter)
    """Responses per route and status code (``GET /api/goals/{g} 200``)."""
    transport_errors: Counter[str] = field(default_factory=Counter)
    """Requests that got no response, per route and exception class."""

    def record(self, route: str, status: int, elapsed: float) -> None:
        """Count one response."""
        self.requests[route] += 1
        self.seconds[route] += elapsed
        self.statuses[f"{route} {status}"] += 1


def route_of(method: str, path: str) -> str:
    """``GET /api/goals/{id}`` for ``GET /api/goals/g-1234``."""
    return method + " " + re.sub(r"/(g|r)-[0-9a-f]+", r"/{\1}", path.split("?")[0])


class Session:
    """One signed-in person: session cookie, Origin and CSRF headers; signs in again if the session ends."""

    def __init__(self, base_url: str, login: str, traffic: Traffic, timeout: float) -> None:
        self.login = login
        self.base_url = base_url
        self.traffic = traffic
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout, headers={"Origin": base_url},
                                        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20))

    async def sign_in(self) -> None:
        """``POST /api/login``; keep the CSRF token for later posts."""
        response = await self._send("POST", "/api/login", {"login": self.login, "password": PASSWORD})
        if response.status_code != 200:
            raise ApiError(response)
        self.client.headers["X-CSRF-Token"] = response.headers["X-CSRF-Token"]

    async def _send(self, method: str, path: str, body: Any | None = None) -> httpx.Response:
        route = route_of(method, path)
        started = time.monotonic()
        try:
            response = await self.client.request(method, path, json=body)
        except httpx.TransportError as err:
            self.traffic.transport_errors[f"{route}: {type(err).__name__}"] += 1
            raise
        self.traffic.record(route, response.status_code, time.monotonic() - started)
        return response

    async def request(self, method: str, path: str, body: Any | None = None) -> httpx.Response:
        """Send a request; on 401 sign in again once and resend. A GET whose connection the server closed before
        answering (a kept-alive connection it timed out just as the request went) is sent again once, as a browser
        does; it still counts in ``transport_errors``."""
        try:
            response = await self._send(method, path, body)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            if method != "GET":
                raise
            response = await self._send(method, path, body)
        if response.status_code == 401 and path != "/api/login":
            await self.sign_in()
            response = await self._send(method, path, body)
        return response

    async def get_json(self, path: str) -> Any:
        """GET that must answer 200."""
        response = await self.request("GET", path)
        if response.status_code != 200:
            raise ApiError(response)
        return response.json()

    async def close(self) -> None:
        """Close the connections."""
        await self.client.aclose()
