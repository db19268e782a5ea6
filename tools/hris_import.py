"""Load an HRIS export (JSON Lines) into Postgres: employees, their work-history and skills evidence.

The whole file is validated before anything is written, and the write is one transaction: a bad line
names itself and nothing is half-imported. Re-importing an employee updates them (their HRIS evidence
is replaced), never duplicates them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import Field

from infra import audit
from infra.db import Connection
from tools.hris_jsonl import EmployeeRecord, Text, iter_jsonl
from tools.skills import recompute_employee_skills
from tools.taxonomy import load_task_library

HRIS_SOURCES = ("task_history", "tools_used")
"""Evidence sources an import owns (replaced on re-import); projects, certificates and feedback stay."""
_GENERIC = frozenset({"Reading Comprehension", "Active Listening", "Speaking", "Writing", "English Language",
                      "Critical Thinking", "Monitoring", "Active Learning", "Social Perceptiveness", "Coordination"})


class ImportedEmployee(EmployeeRecord):
    """An employee line with the optional HRIS fields the product keeps."""

    name: Text | None = None
    """Display name (defaults to the id)."""
    email: Text | None = None
    """E-mail address."""
    department: Text | None = Field(default=None, max_length=60)
    """Department code (created if new)."""
    manager_id: Text | None = None
    """Their manager's employee id."""
    location: Text | None = None
    """Where they work."""
    capacity_pct: int = Field(default=100, ge=0, le=100)
    """Share of their time available for staffing."""


@dataclass(kw_only=True)
class ImportReport:
    """What an import did."""

    inserted: int
    """New employees."""
    updated: int
    """Employees that existed and were updated."""
    evidence_rows: int
    """Evidence rows written."""


@lru_cache(maxsize=1)
def _title_index() -> dict[str, str]:
    library = load_task_library()
    index: dict[str, str] = {}
    for occ in library.occupations.values():
        for title in (occ.title, *occ.alternate_titles):
            index.setdefault(" ".join(title.lower().split()), occ.code)
    return index


def occupation_for(title: str, responsibilities: list[str]) -> str | None:
    """O*NET code of a job: its title if O*NET knows it, else the occupation of the closest task statements."""
    code = _title_index().get(" ".join(title.lower().split()))
    if code:
        return code
    library = load_task_library()
    hits = library.task_index.search(" ".join([title, *responsibilities]), top=5)
    return library.tasks[hits[0][0]].onet_code if hits and hits[0][1] > 0.15 else None


def _evidence(e: ImportedEmployee, now: datetime) -> tuple[str | None, list[tuple[str, str, str, str, datetime]]]:
    library = load_task_library()
    rows: list[tuple[str, str, str, str, datetime]] = []
    current_code: str | None = None
    years_back = 0.0
    for job in e.work_history:
        code = occupation_for(job.title, job.responsibilities)
        if job is e.current_job():
            current_code = code
        when = now if job is e.current_job() else now - timedelta(days=365 * years_back)
        years_back += job.years
        occupation = library.occupations.get(code or "")
        linked = [s for s in (occupation.skills if occupation else ()) if s not in _GENERIC][:3] or [job.title]
        for statement in job.responsibilities:
            for skill in linked:
                if skill:
                    rows.append((e.employee_id, skill, "task_history", f"{statement} (as {job.title})", when))
    title = e.current_job().title or "their job"
    rows += [(e.employee_id, s, "tools_used", f"Uses {s} as {title}", now) for s in e.skills if s]
    return current_code, rows


async def import_employees(conn: Connection, path: Path, *, by: str) -> ImportReport:
    """Validate the whole file, then upsert employees and replace their HRIS evidence in one transaction."""
    records = [r for _, r in iter_jsonl(path, ImportedEmployee, id_field="employee_id")]
    now = datetime.now(UTC)
    prepared = [(r, *_evidence(r, now)) for r in records]
    ids = [r.employee_id for r in records]
    async with conn.transaction():
        existing = {row["employee_id"] for row in await conn.fetch(
            "SELECT employee_id FROM employees WHERE employee_id = ANY($1::text[])", ids)}
        departments = sorted({r.department for r in records if r.department})
        await conn.executemany("INSERT INTO departments (code, name) VALUES ($1, $1) ON CONFLICT DO NOTHING",
                               [(d,) for d in departments])
        await conn.executemany(
            "INSERT INTO employees (employee_id, name, email, title, onet_code, department, manager_id, location,"
            " capacity_pct, profile) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            " ON CONFLICT (employee_id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email,"
            " title = EXCLUDED.title, onet_code = EXCLUDED.onet_code,"
            " department = coalesce(EXCLUDED.department, employees.department),"
            " manager_id = EXCLUDED.manager_id, location = EXCLUDED.location,"
            " capacity_pct = EXCLUDED.capacity_pct, profile = EXCLUDED.profile, updated_at = now()",
            [(r.employee_id, r.name or r.employee_id, r.email, r.current_job().title or "(no title)", code,
              r.department, r.manager_id, r.location, r.capacity_pct,
              {"work_history": [j.model_dump() for j in r.work_history], "skills": r.skills})
             for r, code, _ in prepared])
        await conn.execute("DELETE FROM skill_evidence WHERE employee_id = ANY($1::text[]) AND source = ANY($2)",
                           ids, list(HRIS_SOURCES))
        evidence = [row for _, _, rows in prepared for row in rows]
        await conn.copy_records_to_table(
            "skill_evidence", columns=["employee_id", "skill", "source", "detail", "observed_at"], records=evidence)
        await recompute_employee_skills(conn, ids)
        report = ImportReport(inserted=len(ids) - len(existing), updated=len(existing), evidence_rows=len(evidence))
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=by, action="employees.imported",
            args_hash=hashlib.sha256(path.read_bytes()).hexdigest(),
            payload={"file": path.name, "inserted": report.inserted, "updated": report.updated,
                     "evidence_rows": report.evidence_rows}))
        return report
