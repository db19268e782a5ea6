"""Hostile input never gives a 500: NUL and other control characters, bodies over the limit, numbers past bigint,
times out of range, ids too long, and an export asked for with bad parameters, through the real app (with the input
guard of ``review_console.input_guard``) on real Postgres and Temporal."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from review_console import input_guard
from review_console.app import create_app
from tools.people_import.demo_org import DEMO_PASSWORD
from workflows import usecases
from workflows.usecases import Services

pytestmark = pytest.mark.integration

Client = httpx.AsyncClient
ClientFactory = Callable[..., Awaitable[Client]]
LIMIT = 1024 * 1024
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"


def guarded_app(services: Services) -> FastAPI:
    """The console app with the input guard in front (once, whether or not ``create_app`` installs it already)."""
    app = create_app(services)
    if not any(m.cls is input_guard.InputGuard for m in app.user_middleware):
        input_guard.install(app, services.settings)
    return app


@pytest.fixture
async def connect(services: Services) -> AsyncIterator[ClientFactory]:
    """Clients of the guarded app; ``await connect("hr.reviewer")`` is signed in through the API."""
    app = guarded_app(services)
    opened: list[Client] = []

    async def make(login: str | None = None) -> Client:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        opened.append(client)
        if login is not None:
            resp = await client.post("/api/login", json={"login": login, "password": DEMO_PASSWORD})
            assert resp.status_code == 200, resp.text
        return client

    yield make
    for client in opened:
        await client.aclose()


def refused(resp: httpx.Response, status: int, *words: str) -> str:
    """The refusal's ``detail`` sentence, after checking its status, that it is JSON and names ``words``."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["content-type"].startswith("application/json"), resp.headers
    detail = resp.json()["detail"]
    assert isinstance(detail, str), detail
    for word in words:
        assert word in detail, (word, detail)
    return detail


def invalid_field(resp: httpx.Response, field: str) -> None:
    """A FastAPI validation refusal (422) naming ``field``."""
    assert resp.status_code == 422, (resp.status_code, resp.text)
    detail = resp.json()["detail"]
    assert any(field in e["loc"] for e in detail), detail


async def goal_count(services: Services) -> int:
    return int(await services.pool.fetchval("SELECT count(*) FROM goals"))


class Counted:
    """A request body that streams ``total`` bytes in chunks and counts how many were pulled."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total, self.chunk, self.pulled = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.total:
            size = min(self.chunk, self.total - self.pulled)
            self.pulled += size
            yield b" " * size


# --- control characters -----------------------------------------------------------------------------------------


async def test_nul_in_login_is_422_before_authentication(connect: ClientFactory) -> None:
    client = await connect()
    for body in ({"login": "admin\x00", "password": DEMO_PASSWORD}, {"login": "admin", "password": "x\x00y"}):
        field = "login" if "\x00" in body["login"] else "password"
        refused(await client.post("/api/login", json=body), 422, f"'{field}'", "U+0000")
    assert (await client.get("/api/me")).status_code == 401, "no session from a refused sign-in"
    refused(await client.get("/api/me", headers={"Authorization": "Basic " + base64.b64encode(
        b"admin\x00:" + DEMO_PASSWORD.encode()).decode()}), 422, "Basic", "U+0000")


async def test_nul_in_a_goal_text_is_422_naming_the_field(connect: ClientFactory, services: Services) -> None:
    manager = await connect("mgr.payments")
    before = await goal_count(services)
    for text in (GOAL + "\x00", "\x00" + GOAL, GOAL.replace(" ", "\x1b", 1)):
        detail = refused(await manager.post("/api/goals", json={"text": text}), 422, "'text'")
        assert "control character" in detail
    escaped = json.dumps({"text": GOAL + "\ud800"})  # a lone surrogate, as JSON can carry it (\\ud800)
    refused(await manager.post("/api/goals", content=escaped, headers={"content-type": "application/json"}), 422,
            "'text'", "surrogate")
    assert await goal_count(services) == before


async def test_nul_in_query_parameters_and_paths_is_422(connect: ClientFactory) -> None:
    reviewer = await connect("hr.reviewer")
    refused(await reviewer.get("/api/audit", params={"actor": "hr.\x00reviewer"}), 422, "query parameter 'actor'")
    refused(await reviewer.get("/api/audit/export", params={"action": "\x00"}), 422, "'action'")
    refused(await reviewer.get("/api/reviews", params={"goal_id": "g-\x01"}), 422, "'goal_id'", "U+0001")
    refused(await reviewer.get("/api/reviews?department%00=x"), 422, "name of a query parameter")
    refused(await reviewer.get("/api/goals/g-%00"), 422, "the path")
    refused(await reviewer.get("/api/reviews/r-%1F/"), 422, "the path", "U+001F")
    # tab, CR and LF are text: they reach the route, which finds nothing
    resp = await reviewer.get("/api/audit", params={"actor": "a\tb\r\nc"})
    assert resp.status_code == 200 and resp.json()["count"] == 0


async def test_control_characters_in_json_keys_nested_values_and_forms_are_422(connect: ClientFactory) -> None:
    reviewer = await connect("hr.reviewer")
    decide = "/api/reviews/r-doesnotexist/decision"
    refused(await reviewer.post(decide, json={"decision": "edit", "edits": {"T1\x00": "E0100"}}), 422,
            "a field name in 'edits'")
    refused(await reviewer.post(decide, json={"decision": "edit", "assumptions": ["ok", "bad\x07"]}), 422,
            "'assumptions[1]'", "U+0007")
    refused(await reviewer.post("/api/reviews/bulk-approve", json={"items": [{"review_id": "r-\x00"}]}), 422,
            "'items[0].review_id'")
    # an HTML form: the sign-in page refuses it with a page, not JSON
    page = await (await connect()).post("/login", data={"login": "admin\x00", "password": DEMO_PASSWORD})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "form field &#x27;login&#x27;" in page.text or "form field 'login'" in page.text
    # what the guard cannot parse is the route's to refuse, as before
    invalid_field(await reviewer.post(decide, content=b'{"decision": "appr', headers={
        "content-type": "application/json"}), "body")


# --- body size --------------------------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_413_unauthenticated_without_being_read(connect: ClientFactory) -> None:
    client = await connect()
    declared = Counted(100 * 1024 * 1024)
    resp = await client.post("/api/login", content=declared, headers={
        "content-type": "application/json", "content-length": str(declared.total)})
    refused(resp, 413, "larger than")
    assert declared.pulled <= declared.chunk, f"read {declared.pulled} bytes of a body refused by its length"

    chunked = Counted(100 * 1024 * 1024)  # no Content-Length: refused once what streamed in passes the limit
    resp = await client.post("/api/login", content=chunked, headers={"content-type": "application/json"})
    refused(resp, 413, f"{LIMIT:,} bytes")
    assert chunked.pulled <= LIMIT + chunked.chunk, f"read {chunked.pulled} bytes before refusing"

    page = await client.post("/login", content=Counted(2 * LIMIT), headers={
        "content-type": "application/x-www-form-urlencoded"})
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")


async def test_a_body_under_the_limit_reaches_the_route(connect: ClientFactory) -> None:
    client = await connect()
    body = {"login": "mgr.payments", "password": "p" * 1000, "padding": "x" * (LIMIT - 2000)}
    resp = await client.post("/api/login", json=body)
    assert resp.status_code == 401, resp.text
    invalid_field(await client.post("/api/login", json={"login": "mgr.payments", "password": "p" * 2000}),
                  "password")
    refused(await client.post("/api/login", content=b"{}", headers={"content-length": "many"}), 400,
            "Content-Length")


# --- numbers, times and ids -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, params, field", [
    ("/api/audit", {"after_seq": 2**63}, "after_seq"),
    ("/api/audit", {"after_seq": 10**40}, "after_seq"),
    ("/api/audit", {"after_seq": -1}, "after_seq"),
    ("/api/audit", {"limit": 10**20}, "limit"),
    ("/api/audit/export", {"after_seq": 2**64}, "after_seq"),
    ("/api/reviews", {"offset": 2**63}, "offset"),
    ("/api/reviews", {"offset": 10**7}, "offset"),
    ("/api/reviews", {"limit": 2**70}, "limit"),
    ("/api/reviews", {"min_age_hours": "1e12"}, "min_age_hours"),
    ("/api/reviews", {"min_age_hours": "inf"}, "min_age_hours"),
    ("/api/reviews", {"min_age_hours": "nan"}, "min_age_hours"),
    ("/api/reviews", {"min_age_hours": "-1"}, "min_age_hours"),
    ("/api/employees/E0103/bridges", {"top": 10**30}, "top"),
])
async def test_numbers_out_of_range_are_422(connect: ClientFactory, path: str, params: dict[str, Any],
                                            field: str) -> None:
    invalid_field(await (await connect("admin")).get(path, params=params), field)


@pytest.mark.parametrize("value", [
    "0001-01-01T00:00:00+14:00",  # no UTC datetime: before year 1
    "9999-12-31T23:59:59-14:00",  # no UTC datetime: after year 9999
    "1969-12-31T23:59:59Z",
    "0001-01-01",
    "99999-01-01T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-01-01T00:00:00+25:00",
    "1e20",
    "not a date",
])
async def test_times_out_of_range_are_422(connect: ClientFactory, value: str) -> None:
    reviewer = await connect("hr.reviewer")
    for path in ("/api/audit", "/api/audit/export"):
        for field in ("since", "until"):
            invalid_field(await reviewer.get(path, params={field: value}), field)


async def test_times_in_range_with_or_without_a_zone_are_served(connect: ClientFactory) -> None:
    reviewer = await connect("hr.reviewer")
    for since, until in (("1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"), ("2024-01-01T00:00:00", "9999-12-31"),
                         ("1970-01-01T14:00:00+14:00", "9999-12-31T12:00:00-11:59")):
        resp = await reviewer.get("/api/audit", params={"since": since, "until": until, "limit": 1})
        assert resp.status_code == 200, (since, until, resp.text)


async def test_ids_and_names_past_their_length_are_422(connect: ClientFactory) -> None:
    admin = await connect("admin")
    invalid_field(await admin.get(f"/api/goals/g-{'0' * 80}"), "goal_id")
    invalid_field(await admin.get(f"/api/reviews/r-{'0' * 80}"), "review_id")
    invalid_field(await admin.get(f"/api/employees/E{'0' * 80}/bridges"), "employee_id")
    invalid_field(await admin.get("/api/users", params={"role": "r" * 100}), "role")
    invalid_field(await admin.get("/api/audit", params={"actor": "a" * 500}), "actor")
    invalid_field(await admin.post("/api/goals", json={"text": GOAL, "manager_login": "m" * 500}), "manager_login")
    invalid_field(await admin.post("/api/reviews/r-x/decision", json={"decision": "approve", "args_hash": "0" * 500}),
                  "args_hash")
    invalid_field(await admin.put(f"/api/admin/trust-ramp/{'a' * 80}/pin", json={"share": 1}), "action_type")


# --- the export -------------------------------------------------------------------------------------------------


async def test_export_with_bad_parameters_is_a_refusal_with_a_body(connect: ClientFactory) -> None:
    reviewer = await connect("hr.reviewer")
    for params in ({"format": "xml"}, {"after_seq": 2**63}, {"since": "0001-01-01T00:00:00+14:00"},
                   {"until": "yesterday"}, {"limit": 0}):
        resp = await reviewer.get("/api/audit/export", params=params)
        assert resp.status_code == 422, (params, resp.status_code, resp.text)
        assert resp.headers["content-type"].startswith("application/json") and resp.json()["detail"]
    resp = await reviewer.get("/api/audit/export", params={"format": "csv", "action": "no-such-action."})
    assert resp.status_code == 200 and resp.text.startswith("seq,at,") and resp.text.count("\n") == 1


async def test_export_that_cannot_run_its_query_fails_before_the_answer_starts(
        connect: ClientFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    async def refused_by_the_database(*_: Any) -> AsyncIterator[str]:
        raise usecases.Invalid("the audit trail cannot be read with these filters")
        yield ""  # an async generator, like the real export

    monkeypatch.setattr(usecases, "export_audit", refused_by_the_database)
    resp = await (await connect("hr.reviewer")).get("/api/audit/export", params={"format": "csv"})
    refused(resp, 422, "cannot be read")
