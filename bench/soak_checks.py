"""Soak, the checks afterwards: duplicates, double bookings, open reviews and capacity in the database, the
audit trail's own timings, ``talentops audit verify``, and the errors the children wrote to stderr."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from soak_install import ROOT, Child, base_env, read_text, talentops_command

NAIVE_DUPLICATES_SQL = """
SELECT action, goal_id, count(*) AS n FROM audit_events
WHERE goal_id = ANY($1::text[]) GROUP BY action, goal_id HAVING count(*) > 1
"""
SUBJECT_DUPLICATES_SQL = """
SELECT action, goal_id, coalesce(payload->>'review_id', '') AS review_id, coalesce(payload->>'task_id', '') AS task_id,
       coalesce(payload->>'employee_id', '') AS employee_id, count(*) AS n
FROM audit_events
WHERE goal_id = ANY($1::text[]) AND action IN ('goal.submitted', 'goal.planning', 'agent.decompose_goal',
      'agent.plan.plan', 'review.requested', 'review.decided', 'goal.staffed', 'goal.rejected', 'goal.failed',
      'move.offered')
GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1
"""
"""Events that happen once per goal (submitted, planned, staffed, ended), once per review (requested, decided) or
once per move (offered): the same subject twice is a duplicate."""
DUPLICATE_ASSIGNMENTS_SQL = """
SELECT goal_id, task_id, count(*) AS n, string_agg(employee_id, ', ') AS people FROM assignments
WHERE goal_id = ANY($1::text[]) AND state NOT IN ('declined', 'withdrawn')
GROUP BY goal_id, task_id HAVING count(*) > 1
"""
STAFFED_VS_STORED_SQL = """
SELECT e.goal_id, jsonb_array_length(e.payload->'assignments') AS approved,
       (SELECT count(*) FROM assignments a WHERE a.goal_id = e.goal_id) AS stored
FROM audit_events e WHERE e.action = 'goal.staffed' AND e.goal_id = ANY($1::text[])
  AND jsonb_array_length(e.payload->'assignments') <> (SELECT count(*) FROM assignments a WHERE a.goal_id = e.goal_id)
"""
OPEN_REVIEWS_SQL = """
SELECT goal_id, count(*) AS n FROM review_requests
WHERE goal_id = ANY($1::text[]) AND status IN ('pending', 'parked') GROUP BY goal_id HAVING count(*) > 1
"""
OVERBOOKED_SQL = """
WITH daily AS (
  SELECT a.employee_id, d::date AS day, sum(round(a.fraction * 10000)) AS bp
  FROM assignments a, generate_series(a.starts_on, a.ends_on - 1, interval '1 day') AS d
  WHERE a.state NOT IN ('declined', 'withdrawn')
  GROUP BY a.employee_id, d::date)
SELECT count(*) AS person_days, count(DISTINCT daily.employee_id) AS people, coalesce(max(bp) / 100.0, 0) AS worst_pct
FROM daily JOIN employees e USING (employee_id) WHERE daily.bp > e.capacity_pct * 100
"""
"""Anyone booked past their capacity on any day (ends_on is exclusive; shares in basis points, as the product
counts them)."""
TIMELINE_SQL = """
SELECT goal_id, action, at, payload->>'review_id' AS review_id FROM audit_events
WHERE goal_id = ANY($1::text[]) AND action IN ('goal.submitted', 'review.requested', 'review.decided', 'goal.staffing',
      'goal.staffed', 'goal.rejected', 'goal.failed')
ORDER BY seq
"""


@dataclass
class DatabaseFindings:
    """What the database says after a phase."""

    naive: list[tuple[str, int, int]] = field(default_factory=list)
    """Per action: goals with the action more than once, most times in one goal."""
    subject_duplicates: list[dict[str, Any]] = field(default_factory=list)
    """Rows of ``SUBJECT_DUPLICATES_SQL``: one goal, review or move recorded twice."""
    duplicate_assignments: list[dict[str, Any]] = field(default_factory=list)
    """Rows of ``DUPLICATE_ASSIGNMENTS_SQL``: a task with more than one live assignment."""
    staffed_vs_stored: list[dict[str, Any]] = field(default_factory=list)
    """Rows of ``STAFFED_VS_STORED_SQL``: goals storing another number of assignments than approved."""
    open_reviews: list[dict[str, Any]] = field(default_factory=list)
    """Rows of ``OPEN_REVIEWS_SQL``: goals with more than one pending or parked review."""
    overbooked: dict[str, Any] = field(default_factory=dict)
    """The row of ``OVERBOOKED_SQL``: person-days past capacity, people, the worst booking in percent."""
    server_side: dict[str, list[float]] = field(default_factory=dict)
    """Interval name -> seconds per goal, from the audit trail's timestamps."""
    audit_events: int = 0
    """Audit events of the phase's goals."""
    assignments: int = 0
    """Assignments of the phase's goals."""


async def inspect_database(database_url: str, goal_ids: list[str]) -> DatabaseFindings:
    """Run the consistency queries and read the audit trail's timestamps for the phase's goals."""
    conn = await asyncpg.connect(database_url)
    try:
        found = DatabaseFindings()
        naive = await conn.fetch(NAIVE_DUPLICATES_SQL, goal_ids)
        per_action: dict[str, list[int]] = {}
        for row in naive:
            per_action.setdefault(row["action"], []).append(row["n"])
        found.naive = sorted((action, len(ns), max(ns)) for action, ns in per_action.items())
        found.subject_duplicates = [dict(r) for r in await conn.fetch(SUBJECT_DUPLICATES_SQL, goal_ids)]
        found.duplicate_assignments = [dict(r) for r in await conn.fetch(DUPLICATE_ASSIGNMENTS_SQL, goal_ids)]
        found.staffed_vs_stored = [dict(r) for r in await conn.fetch(STAFFED_VS_STORED_SQL, goal_ids)]
        found.open_reviews = [dict(r) for r in await conn.fetch(OPEN_REVIEWS_SQL, goal_ids)]
        found.overbooked = dict(await conn.fetchrow(OVERBOOKED_SQL) or {})
        found.audit_events = await conn.fetchval("SELECT count(*) FROM audit_events WHERE goal_id = ANY($1::text[])",
                                                 goal_ids)
        found.assignments = await conn.fetchval("SELECT count(*) FROM assignments WHERE goal_id = ANY($1::text[])",
                                                goal_ids)
        found.server_side = server_side_intervals(await conn.fetch(TIMELINE_SQL, goal_ids))
        return found
    finally:
        await conn.close()


def server_side_intervals(rows: Sequence[Any]) -> dict[str, list[float]]:
    """The same intervals from the audit trail's timestamps: submitted -> first review requested; the plan's
    decision -> the workflow's next status; the staffing decision -> staffed."""
    events: dict[str, list[tuple[str, datetime]]] = {}
    for row in rows:
        events.setdefault(row["goal_id"], []).append((row["action"], row["at"]))
    out: dict[str, list[float]] = {"submit_to_review": [], "plan_decision_to_resumed": [],
                                   "staffing_decision_to_staffed": []}
    for trail in events.values():
        submitted = next((at for action, at in trail if action == "goal.submitted"), None)
        requested = [at for action, at in trail if action == "review.requested"]
        if submitted and requested:
            out["submit_to_review"].append((requested[0] - submitted).total_seconds())
        for position, (action, at) in enumerate(trail):
            if action != "review.decided":
                continue
            after = next(((a, t) for a, t in trail[position + 1:] if a != "review.decided"), None)
            if after is None:
                continue
            if after[0] == "goal.staffing":
                out["plan_decision_to_resumed"].append((after[1] - at).total_seconds())
            elif after[0] == "goal.staffed":
                out["staffing_decision_to_staffed"].append((after[1] - at).total_seconds())
    return out


def verify_audit_chain(data_dir: Path) -> str:
    """``talentops audit verify`` against the running installation: its exit code and last line."""
    try:
        done = subprocess.run([talentops_command(), "audit", "verify"], env=base_env(data_dir), cwd=ROOT,
                              capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        return "timed out after 600 s"
    lines = (done.stdout + done.stderr).strip().splitlines()
    return f"exit {done.returncode}: {lines[-1] if lines else '(no output)'}"


EXCEPTION_LINE = re.compile(r"^[\w.]*(Error|Exception|CancelledError)\b")
"""The last line of a traceback: ``temporalio.exceptions.ApplicationError: OverCapacity: …``."""


def activity_failures(log: str) -> Counter[str]:
    """``activity type → exception`` for every "Completing activity as failed" the SDK logged, with the last
    exception line of the traceback that follows it (class and the message up to its first colon)."""
    found: Counter[str] = Counter()
    current: str | None = None
    last: str | None = None

    def flush() -> None:
        if current is not None:
            found[f"{current} → {last or '(no traceback)'}"] += 1

    for line in log.splitlines():
        started = re.search(r"Completing activity as failed \(\{.*?'activity_type': '([^']+)'", line)
        if started:
            flush()
            current, last = started.group(1), None
        elif current is not None and EXCEPTION_LINE.match(line):
            name, _, message = line.partition(": ")
            last = f"{name.rsplit('.', 1)[-1]}: {message.split(':')[0][:60]}".rstrip(": ")
        elif current is not None and line and not line[0].isspace() and not line.startswith(
                ("Traceback", "During handling", "The above exception")):
            flush()
            current = None
    flush()
    return found


def stderr_findings(children: Sequence[Child]) -> dict[str, Counter[str]]:
    """Per child: lines of stderr that look like errors or warnings, normalised (ids and numbers masked)."""
    pattern = re.compile(r"traceback|error|exception|warning|critical|failed|timed out", re.IGNORECASE)
    found: dict[str, Counter[str]] = {}
    for child in children:
        lines = Counter(
            re.sub(r"\b(g|r)-[0-9a-f]{12}\b|\b[0-9a-f]{8}-[0-9a-f-]{27}\b|\d+(\.\d+)?", "#", line.strip())[:220]
            for line in read_text(child.stderr).splitlines() if pattern.search(line))
        found[child.name] = lines
    return found
