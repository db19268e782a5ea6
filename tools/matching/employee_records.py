"""What the ranker indexes of an employee stored in Postgres: their profile as a record, minus what they or an admin
switched off.

Each employee's ``profile`` (work history, skills, and for the demo organisation projects and certifications)
becomes a :class:`~tools.people.hris_jsonl.EmployeeRecord`, without what comes from a switched-off signal source
(``signal_sources``) and without skills the employee rejected (``skill_feedback``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tools.people.hris_jsonl import EmployeeRecord
from tools.taxonomy.skill_key import skill_key

_MAX_JOBS = 200
"""Jobs a record may hold (:class:`EmployeeRecord`'s limit); projects beyond it are left out."""

FEEDBACK_SQL = """
SELECT DISTINCT ON (employee_id, skill_key) employee_id, skill_key, skill, verdict
FROM skill_feedback WHERE $1::text[] IS NULL OR employee_id = ANY($1::text[])
ORDER BY employee_id, skill_key, id DESC
"""
"""Each employee's latest verdict per skill: everyone's (``$1`` null) or these employees'."""
DISABLED_SQL = "SELECT source FROM signal_sources WHERE NOT enabled"
"""The signal sources switched off."""


@dataclass(frozen=True, kw_only=True)
class Feedback:
    """One employee's latest verdicts on their skills."""

    rejected: frozenset[str] = frozenset()
    """Keys (:func:`tools.taxonomy.skill_key.skill_key`) of skills they rejected."""
    added: tuple[str, ...] = ()
    """Skills they added themselves."""


def feedback_by_employee(rows: Iterable[Mapping[str, Any]], disabled: frozenset[str]) -> dict[str, Feedback]:
    """Each employee's :class:`Feedback` from :data:`FEEDBACK_SQL` rows (additions only while ``self_reported``
    is switched on)."""
    rejected: dict[str, set[str]] = {}
    added: dict[str, list[str]] = {}
    for r in rows:
        if r["verdict"] == "reject":
            rejected.setdefault(r["employee_id"], set()).add(r["skill_key"])
        elif r["verdict"] == "add" and "self_reported" not in disabled:
            added.setdefault(r["employee_id"], []).append(r["skill"])
    return {eid: Feedback(rejected=frozenset(rejected.get(eid, ())), added=tuple(added.get(eid, ())))
            for eid in rejected.keys() | added.keys()}


def employee_record(employee_id: str, title: str, profile: Mapping[str, Any], *, disabled: frozenset[str],
                    feedback: Feedback | None = None) -> EmployeeRecord:
    """The record the ranker indexes for an employee, from their stored profile.

    What a switched-off signal source would contribute is left out: responsibilities (``task_history``), listed
    skills (``tools_used``), projects (``project``), certifications (``certification``) and skills the
    employee added (``self_reported``). Rejected skills are dropped. Job titles stay: they are HR master data,
    shown with every candidate anyway.

    Args:
        employee_id: Employee id.
        title: Current title from ``employees.title`` (used when the history has no title or statement).
        profile: The ``profile`` jsonb (``work_history``, ``skills``, optionally ``projects``, ``certifications``).
        disabled: Signal sources switched off.
        feedback: Their latest skill verdicts.

    Raises:
        pydantic.ValidationError: The profile does not fit :class:`EmployeeRecord` (e.g. an over-long statement).
    """
    feedback = feedback or Feedback()
    statements = "task_history" not in disabled
    jobs: list[dict[str, Any]] = [
        {"title": job.get("title") or "", "is_current": bool(job.get("is_current")), "years": job.get("years") or 0,
         "responsibilities": list(job.get("responsibilities") or []) if statements else []}
        for job in profile.get("work_history") or [] if isinstance(job, Mapping)]
    if not any(j["title"] or j["responsibilities"] for j in jobs):
        jobs = [{"title": title, "is_current": True, "responsibilities": []}]
    if "project" not in disabled:
        # projects are earlier "jobs" titled by the project: their statements count like work done
        jobs += [{"title": f"project {p.get('name') or ''}".strip(), "responsibilities": [p["task"]]}
                 for p in profile.get("projects") or [] if isinstance(p, Mapping) and p.get("task")]
    listed: list[str] = []
    if "tools_used" not in disabled:
        listed += profile.get("skills") or []
    if "certification" not in disabled:
        listed += profile.get("certifications") or []
    if "self_reported" not in disabled:
        listed += feedback.added
    skills: dict[str, str] = {}
    for name in listed:
        key = skill_key(str(name))
        if key and key not in feedback.rejected:
            skills.setdefault(key, str(name))
    return EmployeeRecord.model_validate({"employee_id": employee_id, "work_history": jobs[:_MAX_JOBS],
                                          "skills": list(skills.values())})
