"""Model health in Postgres (save, latest per agent across workers) and on the admin page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from agents.health import probe
from agents.models import build_agent_model
from infra.settings import Settings
from infra.store import model_health
from infra.store.model_health import ModelHealth
from workers.agent_runs import build_agent_models
from workers.health import keep_probing

pytestmark = pytest.mark.integration

ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]
def now() -> datetime:
    """This moment (the test module may be imported minutes before a test runs)."""
    return datetime.now(UTC).replace(microsecond=0)


def health(agent: str = "draft_tasks", *, ok: bool = True, minutes_ago: float = 0, **fields: Any) -> ModelHealth:
    values: dict[str, Any] = {
        "agent": agent, "model": "openai-chat:smollm2", "description": "openai-chat:smollm2 at http://gpu:8080/v1/",
        "output_mode": "tool", "ok": ok, "detail": "answered in 0.8 s" if ok else "the model server did not answer",
        "latency_ms": 800 if ok else None, "checked_at": now() - timedelta(minutes=minutes_ago)}
    return ModelHealth.model_validate({**values, **fields})


@pytest.fixture
async def empty(pool: asyncpg.Pool[Any]) -> AsyncIterator[asyncpg.Pool[Any]]:
    """The pool, with no model health stored before or after the test."""
    await pool.execute("DELETE FROM model_health")
    yield pool
    await pool.execute("DELETE FROM model_health")


async def test_latest_is_the_newest_probe_per_agent_across_workers(empty: asyncpg.Pool[Any]) -> None:
    async with empty.acquire() as conn:
        await model_health.save(conn, "old-host:1", health(ok=True, minutes_ago=30))
        newest = health(ok=False, minutes_ago=2)
        await model_health.save(conn, "new-host:2", newest)
        await model_health.save(conn, "old-host:1", health("propose_staffing", minutes_ago=10, served_model="qwen"))
        records = await model_health.latest(conn)

    assert [(r.agent, r.worker, r.ok) for r in records] == [("draft_tasks", "new-host:2", False),
                                                            ("propose_staffing", "old-host:1", True)]
    assert records[0].detail == "the model server did not answer" and records[0].latency_ms is None
    assert records[0].checked_at == newest.checked_at
    assert records[1].served_model == "qwen" and records[1].latency_ms == 800


async def test_saving_again_replaces_the_workers_last_probe(empty: asyncpg.Pool[Any]) -> None:
    async with empty.acquire() as conn:
        await model_health.save(conn, "host:1", health(ok=False, minutes_ago=5))
        await model_health.save(conn, "host:1", health(ok=True, detail="answered in 1.2 s", latency_ms=1200,
                                                      output_mode="prompted"))
        count = await conn.fetchval("SELECT count(*) FROM model_health")
        [record] = await model_health.latest(conn)

    assert count == 1
    assert (record.ok, record.detail, record.latency_ms, record.output_mode) == (True, "answered in 1.2 s", 1200,
                                                                                 "prompted")


async def test_latest_at_a_url(empty: asyncpg.Pool[Any], pg_url: str) -> None:
    async with empty.acquire() as conn:
        await model_health.save(conn, "host:1", health())

    records = await model_health.latest_at(pg_url)

    assert records is not None and [r.agent for r in records] == ["draft_tasks"]
    assert await model_health.latest_at(None) is None
    assert await model_health.latest_at("postgresql://nobody@127.0.0.1:1/none", timeout=1) is None


async def test_keep_probing_saves_every_agent_and_stops_when_cancelled(empty: asyncpg.Pool[Any]) -> None:
    task = asyncio.create_task(keep_probing(build_agent_models(Settings()), empty, "probe-host:7", every=0.05))
    try:
        for _ in range(200):
            rows = await empty.fetch("SELECT agent, worker, ok, detail FROM model_health ORDER BY agent")
            if len(rows) == 4:
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [(r["agent"], r["worker"], r["ok"]) for r in rows] == [("draft_onboarding_plan", "probe-host:7", True),
                                                                  ("draft_tasks", "probe-host:7", True),
                                                                  ("propose_staffing", "probe-host:7", True),
                                                                  ("verify_certification_renewal", "probe-host:7",
                                                                   True)]


async def test_the_admin_page_lists_each_agents_model(empty: asyncpg.Pool[Any], connect: ClientFactory) -> None:
    offline = await probe(build_agent_model(Settings().agent_model("draft_tasks")))
    down = health("propose_staffing", ok=False, minutes_ago=3, output_mode="prompted",
                  detail="the model server at http://gpu:8080/v1/ did not answer after 1 try (Connection error.)")
    async with empty.acquire() as conn:
        await model_health.save(conn, "host-a:11", offline)
        await model_health.save(conn, "host-b:12", down)
    admin = await connect("admin")

    page = await admin.get("/admin/trust-ramp")

    assert page.status_code == 200, page.text
    section = re.search(r'<div class="card" id="models".*?</table>', page.text, re.S)
    assert section, "no Models section on the admin page"
    html = section.group(0)
    assert "<h2>Models</h2>" in html
    drafting = re.search(r'data-agent="draft_tasks" data-ok="true">(.*?)</tr>', html, re.S)
    choosing = re.search(r'data-agent="propose_staffing" data-ok="false">(.*?)</tr>', html, re.S)
    assert drafting and choosing, html
    assert "<strong>Drafting plans</strong>" in drafting.group(1)
    assert "offline planner (deterministic, no network)" in drafting.group(1)
    assert ">Yes</span>" in drafting.group(1) and "just now" in drafting.group(1)
    assert "<strong>Choosing people</strong>" in choosing.group(1)
    assert "openai-chat:smollm2 at http://gpu:8080/v1/" in choosing.group(1)
    assert "the schema in the prompt" in choosing.group(1)
    assert ">No</span>" in choosing.group(1)
    assert "The model server at http://gpu:8080/v1/ did not answer after 1 try" in choosing.group(1)
    assert "3 min ago" in choosing.group(1)


async def test_the_admin_page_says_when_no_worker_has_checked(empty: asyncpg.Pool[Any],
                                                              connect: ClientFactory) -> None:
    admin = await connect("admin")

    page = await admin.get("/admin/trust-ramp")

    assert page.status_code == 200
    assert page.text.count('data-ok="unknown"') == 4, \
        "one per agent: plans, people, onboarding plans, renewed certificates"
    assert "Not checked yet" in page.text


async def test_only_admins_see_the_models(empty: asyncpg.Pool[Any], connect: ClientFactory) -> None:
    async with empty.acquire() as conn:
        await model_health.save(conn, "host:1", health())
    for login in ("hr.reviewer", "mgr.payments"):
        client = await connect(login)
        page = await client.get("/admin/trust-ramp")
        assert page.status_code == 403
        assert "smollm2" not in page.text
    anonymous = await connect()
    page = await anonymous.get("/admin/trust-ramp")
    assert page.status_code == 303 and "smollm2" not in page.text
