"""The trust ramp in Postgres: routing draws are audited, sampled outcomes move the level, admins steer it."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from policies import ramp_store, trust_ramp
from review_console.app import create_app
from tools.people_import.demo_org import DEMO_PASSWORD
from workflows.usecases import Services

pytestmark = pytest.mark.integration
ACTION = "decompose_goal"  # low-stakes: it can ramp down


@pytest.fixture
async def clean_ramp(pool: asyncpg.Pool[Any]) -> AsyncIterator[None]:
    """Run on a fresh ramp and leave one behind (goal tests expect plans at 100% review); policies are
    versioned, so only state is cleared."""
    await pool.execute("DELETE FROM trust_ramp_state WHERE action_type = $1", ACTION)
    yield
    await pool.execute("DELETE FROM trust_ramp_state WHERE action_type = $1", ACTION)


async def test_clean_sampled_reviews_promote_and_a_burst_demotes(pool: asyncpg.Pool[Any], clean_ramp: None) -> None:
    async with pool.acquire() as conn:
        policy = await ramp_store.load_policy(conn, ACTION)
        first = await ramp_store.route(conn, ACTION, model="m", prompt_version="p", rng=random.Random(1))
        assert first.share == 1.0 and first.routing.review and not first.routing.forced
        needed = trust_ramp.samples_to_promote(policy.ramp, 0)
        # forced reviews never count
        await ramp_store.record_outcome(conn, ACTION, sampled=False, error=False, fingerprint=first.fingerprint)
        assert (await ramp_store.load_state(conn, ACTION)).samples == 0
        for _ in range(needed):
            await ramp_store.record_outcome(conn, ACTION, sampled=True, error=False, fingerprint=first.fingerprint)
        state = await ramp_store.load_state(conn, ACTION)
        assert policy.ramp.levels[state.level] == 0.5 and state.samples == 0
        second = await ramp_store.route(conn, ACTION, model="m", prompt_version="p", rng=random.Random(2))
        assert second.share == 0.5
        # outcomes of an older model's output are not evidence for the current one
        assert await ramp_store.record_outcome(conn, ACTION, sampled=True, error=True, fingerprint="stale") is None
        for _ in range(5):
            await ramp_store.record_outcome(conn, ACTION, sampled=True, error=True, fingerprint=second.fingerprint)
        assert (await ramp_store.load_state(conn, ACTION)).level == 0
        actions = [r["action"] for r in await conn.fetch(
            "SELECT action FROM audit_events WHERE payload->>'action_type' = $1 ORDER BY seq", ACTION)]
        assert "ramp.promoted" in actions and ("ramp.burst" in actions or "ramp.demoted" in actions)
        routed = await conn.fetchrow(
            "SELECT payload FROM audit_events WHERE action = 'review.routed' AND payload->>'action_type' = $1"
            " ORDER BY seq DESC LIMIT 1", ACTION)
        assert routed is not None and 0 <= routed["payload"]["draw"] < 1 and routed["payload"]["share"] == 0.5


async def test_a_new_prompt_version_resets_the_evidence(pool: asyncpg.Pool[Any], clean_ramp: None) -> None:
    async with pool.acquire() as conn:
        first = await ramp_store.route(conn, ACTION, model="m", prompt_version="p1")
        for _ in range(10):
            await ramp_store.record_outcome(conn, ACTION, sampled=True, error=False, fingerprint=first.fingerprint)
        assert (await ramp_store.load_state(conn, ACTION)).samples == 10
        again = await ramp_store.route(conn, ACTION, model="m", prompt_version="p2")
        assert again.fingerprint != first.fingerprint
        state = await ramp_store.load_state(conn, ACTION)
        assert state.samples == 0 and state.level == 0


async def test_people_decisions_stay_at_full_review(pool: asyncpg.Pool[Any]) -> None:
    async with pool.acquire() as conn:
        routed = await ramp_store.route(conn, "propose_staffing", model="m", prompt_version="p",
                                        rng=random.Random(3))
        assert routed.routing.review and routed.routing.forced and routed.share == 1.0
        with pytest.raises(ramp_store.PolicyError, match="floor must stay at 100%"):
            await ramp_store.save_policy(conn, "propose_staffing", {"floor": 0.5}, by="admin")
        with pytest.raises(ramp_store.PolicyError, match="never approved by default"):
            await ramp_store.save_policy(conn, "propose_staffing", {"timeout_default": "approve"}, by="admin")
        assert (await ramp_store.load_policy(conn, "propose_staffing")).timeout_default == "park"


async def test_low_stakes_defaults_are_editable_and_checked(pool: asyncpg.Pool[Any]) -> None:
    async with pool.acquire() as conn:
        assert (await ramp_store.load_policy(conn, ACTION)).timeout_default == "approve"
        with pytest.raises(ramp_store.PolicyError, match="timeout_default must be one of"):
            await ramp_store.save_policy(conn, ACTION, {"timeout_default": "escalate forever"}, by="admin")
        saved = await ramp_store.save_policy(conn, ACTION, {"timeout_default": "reject"}, by="admin")
        assert saved.timeout_default == "reject" and saved.document()["timeout_default"] == "reject"
        restored = await ramp_store.save_policy(conn, ACTION, {"timeout_default": "approve"}, by="admin")
        assert restored.version == saved.version + 1


async def test_admin_api_versions_policies_and_pins(services: Services, clean_ramp: None) -> None:
    app = create_app(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        await http.post("/api/login", json={"login": "admin", "password": DEMO_PASSWORD})
        before = (await http.get("/api/admin/trust-ramp")).json()
        row = next(r for r in before["data"] if r["action_type"] == ACTION)
        assert row["status"]["effective_share"] == 1.0 and row["affects_people"] is False
        saved = await http.put(f"/api/admin/policies/{ACTION}", json={"max_error_rate": 0.05, "sla_seconds": 7200})
        assert saved.status_code == 200 and saved.json()["version"] >= 1
        bad = await http.put(f"/api/admin/policies/{ACTION}", json={"levels": [0.5, 1.0]})
        assert bad.status_code == 422
        assert (await http.put("/api/admin/policies/nope", json={})).status_code == 422
        pinned = await http.put(f"/api/admin/trust-ramp/{ACTION}/pin", json={"share": 0.5})
        assert pinned.status_code == 200 and pinned.json()["pinned"] == 0.5
        after = (await http.get("/api/admin/trust-ramp")).json()
        row = next(r for r in after["data"] if r["action_type"] == ACTION)
        assert row["status"]["effective_share"] == 0.5 and row["policy"]["max_error_rate"] == 0.05
        page = await http.get("/admin/trust-ramp")
        assert page.status_code == 200 and "Always reviewed" in page.text and "<svg" in page.text
        await http.put(f"/api/admin/trust-ramp/{ACTION}/pin", json={"share": None})
        await http.put(f"/api/admin/policies/{ACTION}", json={"max_error_rate": 0.02, "sla_seconds": None})
    trail = [r["action"] for r in await services.pool.fetch(
        "SELECT action FROM audit_events WHERE actor = 'admin' ORDER BY seq DESC LIMIT 10")]
    assert "policy.changed" in trail and "ramp.pinned" in trail
