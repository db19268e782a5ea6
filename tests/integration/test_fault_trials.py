"""Faults with goals in flight, on one real ``talentops up`` (Postgres, Temporal dev server, worker, console):
each goal ends once, staffed, with no audit event, assignment or notification twice, and nothing is left running.

One trial per fault here, on one installation, to stay within the test command's time; ``bench/fault_trials.py``
runs 20 of each on fresh installations (``tests/fault_harness.py`` is shared).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fault_harness import Fault, Phase, Stack, exactly_once_problems, inject, stop_and_check

from infra import audit

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]

# each fault at the phase where it hurt before: Ctrl-C and kill -9 of `up` while the agents run (activities whose
# completion could not reach Temporal ran twice), the others while goals wait and are staffed
TRIALS: list[tuple[Fault, Phase]] = [
    ("ctrl_c", "staffing"),
    ("ctrl_c_twice", "staffing"),
    ("kill9_up", "planning"),
    ("kill9_worker", "staffing"),
    ("restart_postgres", "waiting"),
    ("restart_temporal", "staffing"),
]


def test_faults_with_goals_in_flight_lose_nothing_and_duplicate_nothing(tmp_path: Path) -> None:
    stack = Stack(data_dir=tmp_path / "installation")
    problems: list[str] = []
    try:
        stack.start()
        for fault, phase in TRIALS:
            result = inject(stack, fault, phase, goals=1)
            assert sum(result.final.values()) == 1, (fault, result.problems)
            problems += [f"{fault} while {phase}: {p}" for p in result.problems]
            if fault == "ctrl_c_twice":
                assert result.stop_seconds is not None and result.stop_seconds < 20, "a second Ctrl-C forces"
        problems += stop_and_check(stack)
    finally:
        stack.stop_all()
    assert problems == [], "\n".join(problems)
    assert "was killed" in (tmp_path / "installation" / "up.stderr").read_text(), \
        "after kill -9 the next up says it stopped what the killed one left running"


async def test_the_checks_find_an_audit_event_stored_twice(pg_url: str, pool: Any) -> None:
    goal_id = f"g-dup-{uuid.uuid4().hex[:8]}"
    event = audit.AuditEvent(actor_type="system", actor="goal-workflow", action="agent.decompose_goal",
                             goal_id=goal_id, payload={"output": "the same plan"})
    async with pool.acquire() as conn:
        assert "0 goals stored for 1 submitted" in await exactly_once_problems(pg_url, [goal_id])
        assert not [p for p in await exactly_once_problems(pg_url, [goal_id]) if goal_id in p]
        await audit.append(conn, event)
        await audit.append(conn, event)  # what a retried activity did before its events had keys
    problems = await exactly_once_problems(pg_url, [goal_id])
    assert any(p.startswith("audit event stored twice for one action") and goal_id in p for p in problems), problems
