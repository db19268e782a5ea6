"""Seed the demo organisation (fictional Northwind Bank, built from real O*NET data) into Postgres."""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from argon2 import PasswordHasher

from infra.db import Connection
from tools.certifications.demo import seed_demo_certifications
from tools.learning import catalogue_import
from tools.learning.demo_catalogue import SOURCE as DEMO_CATALOGUE_SOURCE
from tools.learning.demo_catalogue import demo_catalogue
from tools.people.skill_levels import recompute_employee_skills
from tools.taxonomy.task_library import load_task_library

DEMO_PASSWORD = "talentops-demo"
"""Password of every demo login (printed by ``talentops up``)."""
DEMO_EMPLOYEES = ("E0103", "E0190")
"""Two employees the README and the tests sign in as (every employee of the demo organisation has a login)."""
_GENERIC = frozenset({"Reading Comprehension", "Active Listening", "Speaking", "Writing", "English Language",
                      "Critical Thinking", "Monitoring", "Active Learning", "Social Perceptiveness", "Coordination"})


@lru_cache(maxsize=1)
def load_demo_org() -> dict[str, Any]:
    """The shipped demo organisation."""
    with resources.files("tools").joinpath("data/demo_org.json.gz").open("rb") as fh:
        data: dict[str, Any] = json.loads(gzip.decompress(fh.read()))
        return data


def _stable_days(*parts: str, low: int, high: int) -> int:
    """A deterministic pseudo-random day count, so re-seeding gives the same evidence."""
    return low + zlib.crc32("|".join(parts).encode()) % (high - low + 1)


def evidence_rows(employee: dict[str, Any], now: datetime) -> list[tuple[str, str, str, str, datetime]]:
    """Evidence rows ``(employee_id, skill, source, detail, observed_at)`` from an employee's record."""
    library = load_task_library()
    eid = employee["employee_id"]
    occupation = library.occupations.get(employee.get("onet_code") or "")
    occupation_skills = [s for s in (occupation.skills if occupation else ()) if s not in _GENERIC][:3]
    rows: list[tuple[str, str, str, str, datetime]] = []
    years_back = 0
    for job in employee.get("work_history", []):
        if job.get("is_current"):
            when = now - timedelta(days=_stable_days(eid, job["title"], low=14, high=120))
        else:
            when = now - timedelta(days=365 * years_back + _stable_days(eid, job["title"], low=0, high=180))
        years_back += int(job.get("years", 1))
        for statement in job.get("responsibilities", []):
            for skill in occupation_skills or [job["title"]]:
                rows.append((eid, skill, "task_history", f"{statement} (as {job['title']})", when))
    for skill in employee.get("skills", []):
        when = now - timedelta(days=_stable_days(eid, skill, low=7, high=400))
        rows.append((eid, skill, "tools_used", f"Uses {skill} as {employee['title']}", when))
    for project in employee.get("projects", []):
        when = now - timedelta(days=int(project["days_ago"]))
        for skill in project.get("skills") or occupation_skills[:1]:
            rows.append((eid, skill, "project", f"{project['task']} (project {project['name']})", when))
    for cert in employee.get("certifications", []):
        when = now - timedelta(days=_stable_days(eid, cert, low=60, high=900))
        rows.append((eid, cert, "certification", f"Certified: {cert}", when))
    return rows


def people_logins(org: dict[str, Any]) -> list[tuple[str, str, str, str, str | None]]:
    """A login for every employee without one among the named demo logins: the e-mail's local part, role
    ``manager`` for line managers (someone reports to them) and ``employee`` for everyone else.

    Returns:
        ``(login, name, role, employee_id, department)`` per employee, in employee order.
    """
    named = {u["employee_id"] for u in org["logins"] if u["employee_id"]}
    line_managers = {e["manager_id"] for e in org["employees"] if e["manager_id"]}
    return [(e["email"].split("@")[0], e["name"], "manager" if e["employee_id"] in line_managers else "employee",
             e["employee_id"], e["department"])
            for e in org["employees"] if e["employee_id"] not in named]


async def _certifications_for_an_earlier_demo(conn: Connection) -> None:
    """A demo organisation loaded before certifications existed gets the demo's certifications once (only when the
    registry is empty and the demo's people are there)."""
    if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM certification_types)"):
        return
    employees = load_demo_org()["employees"]
    known = {r["employee_id"] for r in await conn.fetch("SELECT employee_id FROM employees")}
    if {e["employee_id"] for e in employees} <= known:
        await seed_demo_certifications(conn, employees, today=datetime.now(UTC).date())


async def seed_demo_org(conn: Connection) -> bool:
    """Load the demo organisation once; return False when it was already there."""
    async with conn.transaction():
        if await conn.fetchval("SELECT count(*) FROM departments") > 0:
            await _certifications_for_an_earlier_demo(conn)
            return False
        org = load_demo_org()
        await conn.executemany("INSERT INTO departments (code, name) VALUES ($1, $2)",
                               [(d["code"], d["name"]) for d in org["departments"]])
        employees = org["employees"]
        await conn.executemany(
            "INSERT INTO employees (employee_id, name, email, title, onet_code, department, manager_id, location,"
            " capacity_pct, profile, demographics) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            [(e["employee_id"], e["name"], e["email"], e["title"], e["onet_code"], e["department"], e["manager_id"],
              e["location"], e["capacity_pct"],
              {k: e[k] for k in ("work_history", "skills", "projects", "certifications", "aspirations",
                                 "seniority_years") if k in e},
              e.get("demographics")) for e in employees],
        )
        now = datetime.now(UTC)
        await conn.copy_records_to_table(
            "skill_evidence", columns=["employee_id", "skill", "source", "detail", "observed_at"],
            records=[row for e in employees for row in evidence_rows(e, now)],
        )
        await recompute_employee_skills(conn, [e["employee_id"] for e in employees])
        names = {e["employee_id"]: e["name"] for e in employees}
        hasher = PasswordHasher()
        demo_hash = hasher.hash(DEMO_PASSWORD)
        await conn.executemany(
            "INSERT INTO users (login, display_name, role, password_hash, employee_id, department)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(u["login"], names.get(u["employee_id"], u["login"]), u["role"], demo_hash, u["employee_id"],
              u["department"]) for u in org["logins"]],
        )
        await conn.executemany(
            "INSERT INTO users (login, display_name, role, password_hash, employee_id, department)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(login, name, role, demo_hash, eid, department)
             for login, name, role, eid, department in people_logins(org)],
        )
        await catalogue_import.store(conn, list(demo_catalogue()), source=DEMO_CATALOGUE_SOURCE)
        await seed_demo_certifications(conn, employees, today=now.date())
        return True
