"""Auditors read the whole trail: filters, keyset pages and exports that match the stored rows."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest

from infra import audit
from review_console.app import create_app
from tools.people_import.demo_org import DEMO_PASSWORD
from workflows.usecases import Services

pytestmark = pytest.mark.integration


async def seed_events(svc: Services, tag: str) -> None:
    async with svc.pool.acquire() as conn:
        for i in range(7):
            await audit.append(conn, audit.AuditEvent(
                actor_type="human" if i % 2 else "system", actor=f"{tag}-actor", action=f"{tag}.step{i}",
                payload={"i": i, "note": 'comma, "quote" and ünïcode'}))


async def test_audit_api_filters_pages_and_exports(services: Services) -> None:
    tag = "exporttest"
    await seed_events(services, tag)
    app = create_app(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        assert (await http.get("/api/audit")).status_code == 401
        await http.post("/api/login", json={"login": "mgr.payments", "password": DEMO_PASSWORD})
        assert (await http.get("/api/audit")).status_code == 403
        await http.post("/api/login", json={"login": "hr.reviewer", "password": DEMO_PASSWORD})

        first = (await http.get("/api/audit", params={"actor": f"{tag}-actor", "limit": 3})).json()
        assert first["count"] == 7 and [e["action"] for e in first["data"]] == [f"{tag}.step{i}" for i in range(3)]
        after = first["data"][-1]["seq"]
        rest = (await http.get("/api/audit", params={"actor": f"{tag}-actor", "after_seq": after})).json()
        assert [e["action"] for e in rest["data"]] == [f"{tag}.step{i}" for i in range(3, 7)]
        humans = (await http.get("/api/audit", params={"actor": f"{tag}-actor", "actor_type": "human"})).json()
        assert humans["count"] == 3
        assert (await http.get("/api/audit", params={"since": "not a date"})).status_code == 422

        jsonl = await http.get("/api/audit/export", params={"format": "jsonl", "action": f"{tag}."})
        assert jsonl.status_code == 200 and jsonl.headers["content-type"].startswith("application/x-ndjson")
        lines: list[dict[str, Any]] = [json.loads(line) for line in jsonl.text.splitlines()]
        assert [e["payload"]["i"] for e in lines] == list(range(7))
        for e in lines:  # the exported rows carry what is needed to re-check the chain offline
            assert len(e["hash"]) == 64 and len(e["prev_hash"]) == 64
        # the chain's head when the export started travels with it, signed (what `audit verify` holds the database to)
        checkpoint = json.loads(jsonl.headers["x-audit-checkpoint"])
        head = await services.pool.fetchrow("SELECT seq, hash FROM audit_events WHERE seq = $1", checkpoint["seq"])
        assert head is not None and head["hash"] == checkpoint["hash"] and len(checkpoint["signature"]) == 64
        assert checkpoint["seq"] >= max(e["seq"] for e in lines)

        exported = await http.get("/api/audit/export", params={"format": "csv", "action": f"{tag}."})
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert len(rows) == 7 and json.loads(rows[3]["payload"])["note"] == 'comma, "quote" and ünïcode'
        assert [r["hash"] for r in rows] == [e["hash"] for e in lines]

        page = await http.get("/audit", params={"actor": f"{tag}-actor"})
        assert page.status_code == 200 and f"{tag}.step6" in page.text and "JSON Lines" in page.text
