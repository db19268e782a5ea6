"""What the ranker reads of a person or a request: the embedded text, the lexical words, the occupation statements."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tools.people.hris_jsonl import EmployeeRecord, MatchRequest
from tools.taxonomy.task_library import tokens


def as_record(row: EmployeeRecord | Mapping[str, Any]) -> EmployeeRecord:
    """A validated record from a record or a mapping with the same fields (a database row)."""
    return row if isinstance(row, EmployeeRecord) else EmployeeRecord.model_validate(row)


def ordered_jobs(record: EmployeeRecord) -> list[tuple[bool, Any]]:
    """``(is_current, job)`` for each job, the current one first."""
    current = record.current_job()
    return [(True, current)] + [(False, j) for j in record.work_history if j is not current]


def embedding_text(record: EmployeeRecord) -> str:
    """What is embedded for a person: current title and responsibilities first, then earlier jobs, then skills."""
    parts: list[str] = []
    for _, job in ordered_jobs(record):
        if job.title:
            parts.append(f"{job.title}.")
        parts.extend(job.responsibilities)
    if record.skills:
        parts.append("Skills: " + ", ".join(record.skills) + ".")
    return " ".join(parts)


def request_embedding_text(request: MatchRequest) -> str:
    """What is embedded for a request."""
    parts = [f"{request.title}."] if request.title else []
    parts.extend(request.responsibilities)
    if request.required_skills:
        parts.append("Skills: " + ", ".join(request.required_skills) + ".")
    return " ".join(parts)


def lexical_tokens(title: str | None, statements: Iterable[str], past: Iterable[str], skills: Iterable[str],
                   tok: Callable[[str], list[str]] = tokens) -> list[str]:
    """The words the TF-IDF signal counts: the title twice, then the statements, earlier jobs and skills."""
    words = tok(title or "") * 2
    for text in statements:
        words += tok(text)
    for text in past:
        words += tok(text)
    for skill in skills:
        words += tok(skill)
    return words


def occupation_statements(record: EmployeeRecord) -> list[str]:
    """Statements that say which occupation someone is in: the current job's count twice."""
    jobs = ordered_jobs(record)
    current = list(jobs[0][1].responsibilities)
    return current + current + [t for _, j in jobs[1:] for t in j.responsibilities]
