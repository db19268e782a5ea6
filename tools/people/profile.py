"""An employee's skills profile: skills with the evidence behind them, their feedback, and signal sources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel

from infra import audit
from infra.db import Connection
from infra.store.timestamps import Timestamp
from tools.people.skill_levels import recompute_employee_skills
from tools.taxonomy.skill_key import skill_key

Verdict = Literal["confirm", "reject", "add"]


class EvidenceLine(BaseModel):
    """One piece of evidence behind a skill."""

    skill: str
    """The skill as the evidence names it."""
    source: str
    """Where it comes from (HRIS job history, projects, self-reported, ...)."""
    detail: str
    """What it says."""
    observed_at: Timestamp
    """When it was observed."""
    enabled: bool
    """Whether its source counts (an admin may switch a source off)."""


class ProfileSkill(BaseModel):
    """A skill of the profile with its level and the evidence behind it."""

    skill: str
    """Skill name."""
    skill_key: str
    """Its normalised key."""
    level: float
    """Level from the evidence, decayed with age."""
    confidence: float
    """How sure the level is."""
    evidence_count: int
    """Pieces of evidence."""
    last_evidence: Timestamp
    """When the newest was observed."""
    evidence: list[EvidenceLine]
    """The evidence, newest first."""


class RejectedSkill(BaseModel):
    """A skill the employee said they do not have (hidden from matching)."""

    skill: str
    """Skill name as rejected."""
    skill_key: str
    """Its normalised key."""
    verdict: Verdict
    """Always ``reject``."""
    at: Timestamp
    """When."""


class SkillsProfile(BaseModel):
    """An employee and their skills."""

    employee_id: str
    """Employee id."""
    name: str
    """Name."""
    title: str
    """Job title."""
    department: str | None
    """Department code."""
    onet_code: str | None
    """Their O*NET-SOC occupation, if placed."""
    skills: list[ProfileSkill]
    """Skills, strongest first."""
    rejected: list[RejectedSkill]
    """Skills they rejected."""


class SignalSource(BaseModel):
    """A source of skills evidence and whether it counts."""

    source: str
    """Source name."""
    enabled: bool
    """Whether its evidence counts."""
    changed_by: str | None
    """Who last switched it."""
    changed_at: Timestamp
    """When."""
    evidence: int
    """Pieces of evidence it holds."""


class ProfileError(ValueError):
    """A profile change that cannot be made; the message says why."""


async def skills_profile(conn: Connection, employee_id: str) -> SkillsProfile:
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
    by_key: dict[str, list[EvidenceLine]] = {}
    for row in evidence:
        by_key.setdefault(skill_key(row["skill"]), []).append(EvidenceLine.model_validate(dict(row)))
    rejected = [dict(r) for r in await conn.fetch(
        "SELECT DISTINCT ON (skill_key) skill, skill_key, verdict, at FROM skill_feedback WHERE employee_id = $1"
        " ORDER BY skill_key, id DESC", employee_id) if r["verdict"] == "reject"]
    return SkillsProfile(
        **dict(employee), skills=[ProfileSkill(**s, evidence=by_key.get(s["skill_key"], [])) for s in skills],
        rejected=[RejectedSkill.model_validate(r) for r in rejected])


async def give_feedback(conn: Connection, *, employee_id: str, skill: str, verdict: Verdict, by: str) -> None:
    """Confirm, reject or add a skill; confirmations and additions become evidence, rejections hide the skill."""
    name = " ".join(skill.split())
    if not name or len(name) > 120:
        raise ProfileError("a skill needs a name of 1 to 120 characters")
    key = skill_key(name)
    async with conn.transaction():
        names = await conn.fetch("SELECT DISTINCT skill FROM skill_evidence WHERE employee_id = $1", employee_id)
        has = any(skill_key(r["skill"]) == key for r in names)
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


async def signal_sources(conn: Connection) -> list[SignalSource]:
    """Every evidence source with whether it counts and how much evidence it holds."""
    rows = await conn.fetch(
        "SELECT s.source, s.enabled, s.changed_by, s.changed_at, count(e.evidence_id) AS evidence"
        " FROM signal_sources s LEFT JOIN skill_evidence e USING (source) GROUP BY s.source ORDER BY s.source")
    return [SignalSource.model_validate(dict(r)) for r in rows]


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
