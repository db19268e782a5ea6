"""Bridges: the roles an employee could move to, what transfers and the gap to close (tool, API, page, CLI)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from review_console.app import create_app
from tools.people.bridges import SOLID_LEVEL, EmployeeBridges, UnknownEmployee, employee_bridges, foundational_skills
from tools.taxonomy.skill_key import skill_key
from workflows.usecases import Services

pytestmark = pytest.mark.integration
TALENTOPS = str(Path(sys.executable).parent / "talentops")
PASSWORD = "talentops-demo"
SANNE, YUSUF, WITH_ASPIRATIONS = "E0103", "E0190", "E0008"
"""Sanne and Yusuf are the demo employees with logins; E0008 is seeded with two aspirations."""


async def held_levels(conn: Any, employee_id: str) -> dict[str, float]:
    """The employee's current skills as ``skill_key → level``."""
    rows = await conn.fetch("SELECT skill, level FROM employee_skills WHERE employee_id = $1", employee_id)
    return {skill_key(r["skill"]): float(r["level"]) for r in rows}


@pytest.fixture
async def conn(pool: asyncpg.Pool[Any]) -> AsyncIterator[Any]:
    """A connection inside a transaction that is rolled back, so changes made here stay here."""
    async with pool.acquire() as c:
        tr = c.transaction()
        await tr.start()
        try:
            yield c
        finally:
            await tr.rollback()


def check_consistent(result: EmployeeBridges, held: dict[str, float], current: str | None, top: int) -> None:
    """What every employee's bridges must satisfy."""
    nearest = [b for b in result.bridges if b.nearest]
    assert len(nearest) == top
    assert result.current_code == current
    assert all(b.code != current for b in result.bridges), "the current occupation is not a move"
    assert len({b.code for b in result.bridges}) == len(result.bridges)
    assert [b.score for b in nearest] == sorted((b.score for b in nearest), reverse=True)
    foundational = set(foundational_skills())
    for b in result.bridges:
        assert 0 <= b.adjacency <= 1 and 0 <= b.fit <= 1
        assert b.score == pytest.approx(0.5 * b.adjacency + 0.5 * b.fit, abs=2e-4)
        for h in b.transfers:
            assert skill_key(h.name) in held, f"{h.name} transfers but {result.employee_id} does not hold it"
            assert held[skill_key(h.name)] >= SOLID_LEVEL and h.level == pytest.approx(held[skill_key(h.name)], 0.01)
        assert [h.level for h in b.transfers] == sorted((h.level for h in b.transfers), reverse=True)
        for g in [*b.gap_skills, *b.gap_technologies]:
            level = held.get(skill_key(g.name))
            assert level is None or level < SOLID_LEVEL, f"{g.name} is held at {level}, not a gap"
            assert g.level == (None if level is None else pytest.approx(level, abs=0.01))
            assert g.name not in foundational
        assert all(g.kind == "skill" for g in b.gap_skills) and all(g.kind == "technology" for g in b.gap_technologies)


@pytest.mark.parametrize("employee_id", [SANNE, YUSUF])
async def test_nearest_occupations_transfers_and_gaps(conn: Any, employee_id: str) -> None:
    current = await conn.fetchval("SELECT onet_code FROM employees WHERE employee_id = $1", employee_id)
    held = await held_levels(conn, employee_id)
    result = await employee_bridges(conn, employee_id, top=5)
    check_consistent(result, held, current, 5)
    assert any(b.transfers for b in result.bridges), "someone with a skills profile brings something"
    assert any(b.gap_skills or b.gap_technologies for b in result.bridges)
    assert "O*NET" in result.attribution
    wider = await employee_bridges(conn, employee_id, top=12)
    assert [b.code for b in wider.bridges[:5]] == [b.code for b in result.bridges]


async def test_the_gap_of_a_known_move(conn: Any) -> None:
    """Sanne (Business Intelligence Analysts) → Data Warehousing Specialists: programming is the skill to learn."""
    result = await employee_bridges(conn, SANNE, top=10)
    warehouse = next(b for b in result.bridges if b.code == "15-1243.01")
    assert "Programming" in [g.name for g in warehouse.gap_skills]
    assert {"Mathematics", "Computers and Electronics"} <= {h.name for h in warehouse.transfers}


async def test_aspirations_are_marked_and_always_included(conn: Any) -> None:
    far, near, vague = "Registered Nurses", "Senior Data Scientist", "Chief Happiness Wizard"
    current_title = "Business Intelligence Analysts"  # Sanne's own occupation: not a move
    before = await employee_bridges(conn, SANNE, top=5)
    assert "29-1141.00" not in {b.code for b in before.bridges}
    await conn.execute("UPDATE employees SET profile = profile || $2::jsonb WHERE employee_id = $1", SANNE,
                       {"aspirations": [far, near, vague, current_title]})
    result = await employee_bridges(conn, SANNE, top=5)
    assert result.aspirations == [far, near, vague, current_title]
    assert result.unmatched_aspirations == [vague, current_title]
    by_code = {b.code: b for b in result.bridges}
    nurse, scientist = by_code["29-1141.00"], by_code["15-2051.00"]
    assert nurse.aspired and nurse.aspiration == far and not nurse.nearest
    assert nurse.gap_skills and nurse.gap_technologies, "an aspired role far away shows what to learn"
    assert scientist.aspired and scientist.aspiration == near
    assert [b.code for b in result.bridges if b.nearest] == [b.code for b in before.bridges]
    assert sum(b.aspired for b in result.bridges) == 2
    check_consistent(result, await held_levels(conn, SANNE), "15-2051.01", 5)


async def test_seeded_aspirations_resolve(conn: Any) -> None:
    profile = await conn.fetchval("SELECT profile FROM employees WHERE employee_id = $1", WITH_ASPIRATIONS)
    stated = profile["aspirations"]
    assert len(stated) == 2
    result = await employee_bridges(conn, WITH_ASPIRATIONS, top=3)
    assert result.unmatched_aspirations == []
    assert sorted(b.aspiration or "" for b in result.bridges if b.aspired) == sorted(stated)
    assert {b.title for b in result.bridges if b.aspired} == set(stated)


async def test_rejected_skills_and_switched_off_sources_do_not_count(conn: Any) -> None:
    result = await employee_bridges(conn, SANNE, top=10)
    transferred = {h.name for b in result.bridges for h in b.transfers}
    assert "Mathematics" in transferred
    only_tools = {r["skill"] for r in await conn.fetch(
        "SELECT skill FROM skill_evidence WHERE employee_id = $1 GROUP BY skill"
        " HAVING bool_and(source = 'tools_used')", SANNE)}
    assert only_tools
    # straight into the tables, without recomputing employee_skills: bridges must still leave these out
    await conn.execute("INSERT INTO skill_feedback (employee_id, skill_key, skill, verdict, by_login)"
                       " VALUES ($1, 'mathematics', 'Mathematics', 'reject', 'sanne.devries')", SANNE)
    await conn.execute("UPDATE signal_sources SET enabled = false WHERE source = 'tools_used'")
    after = await employee_bridges(conn, SANNE, top=10)
    gone = {skill_key(s) for s in only_tools} | {"mathematics"}
    for b in after.bridges:
        assert not gone & {skill_key(h.name) for h in b.transfers}, b.code
        assert all(g.level is None for g in [*b.gap_skills, *b.gap_technologies] if skill_key(g.name) in gone)
    assert any(g.name == "Mathematics" for b in after.bridges for g in b.gap_skills)


async def test_unknown_employee(conn: Any) -> None:
    with pytest.raises(LookupError, match="no employee 'E9999'"):
        await employee_bridges(conn, "E9999")
    with pytest.raises(UnknownEmployee):
        await employee_bridges(conn, "")


# --- API and page -----------------------------------------------------------------------------------------------


@asynccontextmanager
async def client_for(app: Any, login: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as ``login``."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        resp = await http.post("/api/login", json={"login": login, "password": PASSWORD})
        assert resp.status_code == 200, resp.text
        yield http


async def test_api_and_page_per_role(services: Services) -> None:
    app = create_app(services)
    async with client_for(app, "sanne.devries") as sanne:
        mine = await sanne.get("/api/me/bridges", params={"top": 3})
        assert mine.status_code == 200, mine.text
        body = mine.json()
        assert body["employee_id"] == SANNE and len([b for b in body["bridges"] if b["nearest"]]) == 3
        first = body["bridges"][0]
        assert {"code", "title", "score", "transfers", "gap_skills", "gap_technologies", "aspired"} <= set(first)
        other = await sanne.get(f"/api/employees/{YUSUF}/bridges")
        assert other.status_code == 403 and isinstance(other.json()["detail"], str)
        own_by_id = await sanne.get(f"/api/employees/{SANNE}/bridges")
        assert own_by_id.status_code == 403, "employees use /api/me/bridges"
        assert (await sanne.get("/api/me/bridges", params={"top": 0})).status_code == 422
        page = await sanne.get("/me/skills")
        assert page.status_code == 200 and "Roles you could move to" in page.text
        assert page.text.count('data-testid="bridge-row"') == 5
        assert first["title"] in page.text or first["title"].replace("'", "&#39;") in page.text
    async with client_for(app, "hr.reviewer") as reviewer:
        theirs = await reviewer.get(f"/api/employees/{YUSUF}/bridges")
        assert theirs.status_code == 200 and theirs.json()["employee_id"] == YUSUF
        assert theirs.json()["current_code"] == "13-2099.04"
        missing = await reviewer.get("/api/employees/E9999/bridges")
        assert missing.status_code == 404 and missing.json()["detail"] == "no employee 'E9999'"
    async with client_for(app, "admin") as admin:
        assert (await admin.get(f"/api/employees/{SANNE}/bridges")).status_code == 200
    async with client_for(app, "mgr.payments") as manager:
        denied = await manager.get(f"/api/employees/{SANNE}/bridges")
        assert denied.status_code == 403 and "reviewer" in denied.json()["detail"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as anonymous:
        assert (await anonymous.get("/api/me/bridges")).status_code == 401


async def test_a_login_without_employee_record_gets_404(services: Services) -> None:
    pool = services.pool
    await pool.execute("INSERT INTO users (login, display_name, role, password_hash, employee_id, department)"
                       " SELECT 'bridges.noemp', 'No Employee', 'reviewer', password_hash, NULL, NULL"
                       " FROM users WHERE login = 'hr.reviewer'")
    try:
        async with client_for(create_app(services), "bridges.noemp") as http:
            resp = await http.get("/api/me/bridges")
            assert resp.status_code == 404 and "no employee record" in resp.json()["detail"]
            assert (await http.get(f"/api/employees/{SANNE}/bridges")).status_code == 200
    finally:
        await pool.execute("DELETE FROM users WHERE login = 'bridges.noemp'")


# --- CLI --------------------------------------------------------------------------------------------------------


async def test_cli_employees_bridges(pg_url: str, pool: asyncpg.Pool[Any], tmp_path: Path) -> None:
    env = {**os.environ, "TALENTOPS_DATABASE_URL": pg_url, "TALENTOPS_DATA_DIR": str(tmp_path)}

    async def cli(*args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(TALENTOPS, *args, env=env, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL)
        out, err = await asyncio.wait_for(proc.communicate(), timeout=180)
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    (code, out, err), (tcode, text, terr), (ucode, uout, uerr) = await asyncio.gather(
        cli("employees", "bridges", SANNE, "--top", "4", "--json"),
        cli("employees", "bridges", YUSUF),
        cli("employees", "bridges", "E9999"))
    assert code == 0, err
    body = json.loads(out)
    assert body["employee_id"] == SANNE and body["current_code"] == "15-2051.01"
    assert len(body["bridges"]) == 4 and all(b["code"] != "15-2051.01" for b in body["bridges"])
    async with pool.acquire() as c:
        expected = await employee_bridges(c, SANNE, top=4)
    assert [b["code"] for b in body["bridges"]] == [b.code for b in expected.bridges]
    assert tcode == 0, terr
    assert text.startswith(f"{YUSUF}  Yusuf Romano") and "to learn:" in text and "brings:" in text
    assert ucode == 4 and uerr.startswith("error: no employee 'E9999'") and "Traceback" not in uerr
    assert uout == ""
