"""Employees see and correct their inferred skills; admins switch signal sources off; matching follows."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from review_console.app import create_app
from tools.matching import candidates as matching
from tools.people import profile
from tools.people_import.demo_org import DEMO_PASSWORD
from workflows.usecases import Services

pytestmark = pytest.mark.integration
EMPLOYEE, LOGIN = "E0103", "sanne.devries"


async def skill(svc: Services, name: str) -> profile.ProfileSkill | None:
    async with svc.pool.acquire() as conn:
        data = await profile.skills_profile(conn, EMPLOYEE)
    return next((s for s in data.skills if s.skill.lower() == name.lower()), None)


async def test_employee_confirms_rejects_and_adds_skills(services: Services) -> None:
    app = create_app(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        assert (await http.post("/api/login", json={"login": LOGIN, "password": DEMO_PASSWORD})).status_code == 200
        mine = (await http.get("/api/me/skills")).json()
        assert mine["employee_id"] == EMPLOYEE and mine["skills"]
        target = min(mine["skills"], key=lambda s: s["confidence"])
        assert target["evidence"], "every inferred skill shows the evidence behind it"

        confirmed = await http.post("/api/me/skills/feedback", json={"skill": target["skill"], "verdict": "confirm"})
        assert confirmed.status_code == 200
        after = await skill(services, target["skill"])
        assert after is not None and after.confidence > target["confidence"]

        rejected = await http.post("/api/me/skills/feedback", json={"skill": target["skill"], "verdict": "reject"})
        assert rejected.status_code == 200 and await skill(services, target["skill"]) is None
        assert target["skill"] in {r["skill"] for r in rejected.json()["rejected"]}

        added = await http.post("/api/me/skills/feedback", json={"skill": "Apache Kafka", "verdict": "add"})
        assert added.status_code == 200 and await skill(services, "Apache Kafka") is not None
        bad = await http.post("/api/me/skills/feedback", json={"skill": "Underwater basket weaving",
                                                                "verdict": "confirm"})
        assert bad.status_code == 422 and "not in this profile" in bad.json()["detail"]
        assert (await http.get("/api/admin/sources")).status_code == 403
        page = await http.get("/me/skills")
        assert page.status_code == 200 and "Apache Kafka" in page.text

        # undo the rejection so later tests see the demo profile as seeded
        await http.post("/api/me/skills/feedback", json={"skill": target["skill"], "verdict": "confirm"})
    trail = [r["action"] for r in await services.pool.fetch(
        "SELECT action FROM audit_events WHERE actor = $1 ORDER BY seq", LOGIN)]
    assert {"skills.confirm", "skills.reject", "skills.add"} <= set(trail)


async def test_switching_a_source_off_stops_its_evidence_counting(services: Services) -> None:
    app = create_app(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        await http.post("/api/login", json={"login": "admin", "password": DEMO_PASSWORD})
        sources = {s["source"]: s for s in (await http.get("/api/admin/sources")).json()["data"]}
        assert sources["certification"]["enabled"] and sources["certification"]["evidence"] > 0
        certified = await services.pool.fetchrow(
            "SELECT employee_id, skill FROM skill_evidence WHERE source = 'certification' LIMIT 1")
        assert certified is not None
        key = certified["skill"].lower()

        async def has_cert_skill() -> bool:
            return bool(await services.pool.fetchval(
                "SELECT 1 FROM employee_skills WHERE employee_id = $1 AND skill_key = $2",
                certified["employee_id"], key))

        assert await has_cert_skill()
        try:
            off = await http.put("/api/admin/sources/certification", json={"enabled": False})
            assert off.status_code == 200 and off.json()["profiles_recomputed"] > 0
            assert not await has_cert_skill()
            found = await matching.find_candidates(
                services.pool, description=f"Certified: {certified['skill']}", skills=[certified["skill"]],
                start_week=0, end_week=4, fraction=0.2, goal_starts_on=date.today())
            assert all("certification" not in " ".join(c.evidence) for c in found)
            assert (await http.put("/api/admin/sources/nope", json={"enabled": False})).status_code == 404
        finally:
            await http.put("/api/admin/sources/certification", json={"enabled": True})
        assert await has_cert_skill()
