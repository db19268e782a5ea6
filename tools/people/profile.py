"""An employee's skills profile: skills with the evidence behind them, their feedback, and signal sources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from infra import audit
from infra.db import Connection
from tools.people.skill_levels import recompute_employee_skills, skill_key

Verdict = Literal["confirm", "reject", "add"]


class ProfileError(ValueError):
    """A profile change that cannot be made; the message says why."""


async def skills_profile(conn: Connection, employee_id: str) -> dict[str, Any]:
    """The employee, their current skills (level, confidence, last evidence) and each skill's evidence."""
    employee = await conn.fetchrow(
        "SELECT employee_id, name, title, department, onet_code FROM employees WHERE employee_id = $1", employee_id)
    if employee is None:
        raise ProfileError(f"no employee {employee_id!r}")
    skills = [dict(r) for r in await conn.fetch(
        "SELECT skill, skill_key, level, confidence, evidence_count, last_evidence FROM employee_skills"
        " WHERE employee_id = $1 ORDER BY level * confidence DESC, skill", employee_id)]
    evidence = await conn.fetch(
        "SELECT e.skill, e.source, e.detail, e.observed_at, s.enabled FROM skill_evidence e"
        " JOIN signal_sources s USING (source) WHERE e.employee_id = $1 ORDER BY e.observed_at DESC", employee_id)
    by_key: dict[str, list[dict[str, Any]]] = {}
    for row in evidence:
        by_key.setdefault(skill_key(row["skill"]), []).append(dict(row))
    for s in skills:
        s["evidence"] = by_key.get(s["skill_key"], [])
    rejected = [dict(r) for r in await conn.fetch(
        "SELECT DISTINCT ON (skill_key) skill, skill_key, verdict, at FROM skill_feedback WHERE employee_id = $1"
        " ORDER BY skill_key, id DESC", employee_id) if r["verdict"] == "reject"]
    return {**dict(employee), "skills": skills, "rejected": rejected}


async def give_feedback(conn: Connection, *, employee_id: str, skill: str, verdict: Verdict, by: str) -> None:
    """Confirm, reject or add a skill; confirmations and additions become evidence, rejections hide the skill."""
    name = " ".join(skill.split())
    if not name or len(name) > 120:
        raise ProfileError("a skill needs a name of 1 to 120 characters")
    key = skill_key(name)
    async with conn.transaction():
        has = await conn.fetchval("SELECT 1 FROM skill_evidence WHERE employee_id = $1"
                                  " AND lower(regexp_replace(skill, '\\s+', ' ', 'g')) = $2 LIMIT 1", employee_id, key)
        if verdict != "add" and not has:
            raise ProfileError(f"{name!r} is not in this profile; add it instead")
        await conn.execute("INSERT INTO skill_feedback (employee_id, skill_key, skill, verdict, by_login)"
                           " VALUES ($1, $2, $3, $4, $5)", employee_id, key, name, verdict, by)
        if verdict in ("confirm", "add"):
            source = "self_confirmed" if verdict == "confirm" else "self_reported"
            detail = "Confirmed by the employee" if verdict == "confirm" else "Added by the employee"
            await conn.execute("INSERT INTO skill_evidence (employee_id, skill, source, detail, observed_at)"
                               " VALUES ($1, $2, $3, $4, $5)", employee_id, name, source, detail, datetime.now(UTC))
        await recompute_employee_skills(conn, [employee_id])
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=by, actor_role="employee", action=f"skills.{verdict}",
            payload={"employee_id": employee_id, "skill": name}))


async def signal_sources(conn: Connection) -> list[dict[str, Any]]:
    """Every evidence source with whether it counts and how much evidence it holds."""
    rows = await conn.fetch(
        "SELECT s.source, s.enabled, s.changed_by, s.changed_at, count(e.evidence_id) AS evidence"
        " FROM signal_sources s LEFT JOIN skill_evidence e USING (source) GROUP BY s.source ORDER BY s.source")
    return [dict(r) for r in rows]


async def set_source_enabled(conn: Connection, source: str, enabled: bool, *, by: str) -> int:
    """Switch a source on or off and recompute every profile it touches; return how many were recomputed."""
    async with conn.transaction():
        changed = await conn.fetchval(
            "UPDATE signal_sources SET enabled = $2, changed_by = $3, changed_at = now() WHERE source = $1"
            " RETURNING source", source, enabled, by)
        if changed is None:
            raise ProfileError(f"unknown signal source {source!r}")
        touched = [r["employee_id"] for r in await conn.fetch(
            "SELECT DISTINCT employee_id FROM skill_evidence WHERE source = $1", source)]
        await recompute_employee_skills(conn, touched)
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=by, actor_role="admin", action="sources.switched",
            payload={"source": source, "enabled": enabled, "profiles_recomputed": len(touched)}))
        return len(touched)
