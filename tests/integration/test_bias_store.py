"""Bias audit of a stored staffing review: the numbers match counts taken straight from employees.demographics."""

from __future__ import annotations

import dataclasses
import statistics
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from infra.store.plans import GoalPlan, PlannedTask
from infra.store.staffing import Candidate, StaffingProposal, TaskStaffing
from policies import ramp_store
from policies.bias_audit import INTERSECTION_SEPARATOR, BiasPolicy
from policies.bias_review import audit_review
from workflows import usecases
from workflows.messages import Assignment, StaffingArguments
from workflows.usecases import Services

pytestmark = pytest.mark.integration
TASKS, PER_TASK, STEP = 4, 10, 8
"""Four tasks of ten candidates; consecutive tasks share two candidates (so people are considered twice)."""


async def insert_reviews(pool: asyncpg.Pool[Any], employee_ids: list[str]) -> tuple[str, str, dict[str, Any]]:
    """A goal in a department of its own with a staffing review over ``employee_ids`` and a plan review; returns
    the two review ids and what the staffing review stores (``tasks``: candidate ids and scores per task)."""
    tag = uuid.uuid4().hex[:6]
    dept, goal_id = f"bias-{tag}", f"g-bias-{tag}"
    tasks = []
    for t in range(TASKS):
        ids = employee_ids[t * STEP: t * STEP + PER_TASK]
        # the first candidate is proposed; scores fall with rank, and differ per task so "best score" matters
        tasks.append([(eid, round(0.95 - 0.07 * rank - 0.01 * t, 4)) for rank, eid in enumerate(ids)])
    plan = GoalPlan(summary="bias audit test", deadline_weeks=8, tasks=[
        PlannedTask(task_id=f"T{t + 1}", title=f"Task {t + 1}", description="work", skills=["Python"],
                    effort_hours=40, start_week=0, end_week=4) for t in range(TASKS)])
    proposal = StaffingProposal(explanation="test", tasks=[
        TaskStaffing(task_id=f"T{t + 1}", candidates=[
            Candidate(employee_id=eid, name=eid, title="Analyst", department=dept, score=score, fraction=0.5,
                      reason="test") for eid, score in cands]) for t, cands in enumerate(tasks)])
    arguments = StaffingArguments(assignments=[
        Assignment(task_id=f"T{t + 1}", employee_id=cands[0][0], fraction=0.5, start_week=0, end_week=4)
        for t, cands in enumerate(tasks)])
    staffing_id, plan_id = f"r-bias-{tag}", f"r-bias-plan-{tag}"
    far = datetime.now(UTC) + timedelta(days=3650)  # due last: other tests' queues are unaffected
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO departments (code, name) VALUES ($1, $2)", dept, f"Bias {dept}")
        await conn.execute(
            "INSERT INTO goals (goal_id, text, manager_login, department, status, workflow_id, model, starts_on,"
            " submitted_by) VALUES ($1, 'bias audit test goal', 'mgr.payments', $2, 'awaiting_review', $3,"
            " 'local-planner', current_date, 'mgr.payments')", goal_id, dept, f"goal-{goal_id}")
        insert = ("INSERT INTO review_requests (review_id, goal_id, workflow_id, action_type, arguments, args_hash,"
                  " evidence, explanation, risk_tier, policy_version, routed_because, requested_by, due_at)"
                  " VALUES ($1, $2, $3, $4, $5, 'h', $6, 'test', $7, 'test', 'forced', 'mgr.payments', $8)")
        await conn.execute(insert, staffing_id, goal_id, f"goal-{goal_id}", "propose_staffing",
                           arguments.model_dump(mode="json"),
                           {"plan": plan.model_dump(mode="json"), "proposal": proposal.model_dump(mode="json")},
                           "high", far)
        await conn.execute(insert, plan_id, goal_id, f"goal-{goal_id}", "decompose_goal",
                           plan.model_dump(mode="json"), {"plan": plan.model_dump(mode="json"), "proposal": None},
                           "low", far)
    return staffing_id, plan_id, {"tasks": tasks, "selected": {a.employee_id for a in arguments.assignments}}


async def test_audit_matches_counts_from_employee_demographics(pool: asyncpg.Pool[Any]) -> None:
    employee_ids = [r["employee_id"] for r in await pool.fetch(
        "SELECT employee_id FROM employees WHERE demographics IS NOT NULL ORDER BY employee_id LIMIT $1 OFFSET 50",
        STEP * (TASKS - 1) + PER_TASK)]
    staffing_id, plan_id, stored = await insert_reviews(pool, employee_ids)
    best: dict[str, float] = {}
    for cands in stored["tasks"]:
        for eid, score in cands:
            best[eid] = max(score, best.get(eid, score))
    considered, selected = sorted(best), sorted(stored["selected"])
    assert len(considered) == len(employee_ids) and len(selected) == TASKS

    async with pool.acquire() as conn:
        audit = await audit_review(conn, staffing_id)
        assert audit is not None
        assert await audit_review(conn, plan_id) is None, "only staffing actions are audited"
        assert await audit_review(conn, "no-such-review") is None
        # the expected numbers, counted by Postgres straight from employees.demographics
        expected: dict[str, Counter[str]] = {}
        for dimension, expr in (("sex", "demographics->>'sex'"), ("race_ethnicity", "demographics->>'race_ethnicity'"),
                                ("intersection", f"(demographics->>'sex') || '{INTERSECTION_SEPARATOR}'"
                                                 " || (demographics->>'race_ethnicity')")):
            for what, ids in (("considered", considered), ("selected", selected)):
                rows = await conn.fetch(f"SELECT {expr} AS category, count(*) AS n FROM employees"
                                        " WHERE employee_id = ANY($1::text[]) GROUP BY 1", ids)
                expected[f"{dimension}:{what}"] = Counter({r["category"]: r["n"] for r in rows})
        sex_of = dict(await conn.fetch("SELECT employee_id, demographics->>'sex' FROM employees"
                                       " WHERE employee_id = ANY($1::text[])", considered))

    assert (audit.pool_size, audit.selected) == (len(considered), len(selected))
    median = statistics.median(best.values())
    assert audit.median_score == pytest.approx(median)
    above_by_sex = Counter(sex_of[eid] for eid, score in best.items() if score > median)
    for d in audit.dimensions:
        assert d.unknown == 0
        assert {c.category: c.considered for c in d.categories} == expected[f"{d.dimension}:considered"]
        assert {c.category: c.selected for c in d.categories if c.selected} == expected[f"{d.dimension}:selected"]
        for c in d.categories:
            assert c.selection_rate == pytest.approx(c.selected / c.considered)
            assert c.excluded == (c.considered / len(considered) < 0.02)
    sex = next(d for d in audit.dimensions if d.dimension == "sex")
    assert {c.category: c.scored_above_median for c in sex.categories if c.scored_above_median} == above_by_sex
    rates = {c.category: c.selection_rate for c in sex.categories}
    if max(rates.values()) > 0:
        top = max(rates.values())
        assert {c.category: c.selection_impact_ratio for c in sex.categories} == pytest.approx(
            {k: v / top for k, v in rates.items()})
    assert audit.small_sample == (len(considered) < 30)

    # demographics leave policies.bias_review only as aggregates: no employee id anywhere in the result
    text = repr(dataclasses.asdict(audit))
    assert not any(eid in text for eid in considered)

    async with pool.acquire() as conn:
        strict = await audit_review(conn, staffing_id, policy=BiasPolicy(threshold=1.0, action="block"))
    assert strict is not None and strict.threshold == 1.0 and strict.policy_action == "block"
    assert (strict.verdict == "ok") == (not strict.findings)
    assert all(f.impact_ratio < 1.0 for f in strict.findings)


async def test_a_block_policy_stops_a_skewed_staffing_until_it_is_edited(services: Services) -> None:
    pool = services.pool
    users = {r["employee_id"] for r in await pool.fetch(
        "SELECT employee_id FROM users WHERE employee_id IS NOT NULL AND role <> 'employee'")}  # never a reviewer
    people = [(r["employee_id"], r["sex"]) for r in await pool.fetch(
        "SELECT employee_id, demographics->>'sex' AS sex FROM employees e WHERE demographics IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.employee_id = e.employee_id"
        "   AND a.state NOT IN ('declined', 'withdrawn'))"  # earlier tests' bookings would refuse it for capacity
        " ORDER BY employee_id") if r["employee_id"] not in users]
    men = [e for e, sex in people if sex == "male"]
    women = [e for e, sex in people if sex == "female"]
    # the first candidate of each task (the one proposed) is a man; everyone else considered is a woman
    ids = [men[i // STEP] if i % STEP == 0 else women[i] for i in range(STEP * (TASKS - 1) + PER_TASK)]
    staffing_id, _, stored = await insert_reviews(pool, ids)
    async with pool.acquire() as conn:
        await ramp_store.save_policy(conn, "propose_staffing", {"bias_action": "block"}, by="admin")
    try:
        async with pool.acquire() as conn:
            audit = await audit_review(conn, staffing_id)
        assert audit is not None and audit.verdict == "block", audit
        with pytest.raises(usecases.Conflict, match="bias audit blocks"):
            await usecases.decide_review(services, review_id=staffing_id, decision="approve", reviewer="hr.reviewer")
        # an edit is audited as edited (who it would staff), not as the agent proposed it
        swaps = {f"T{t + 1}": cands[1][0] for t, cands in enumerate(stored["tasks"])}
        edited = StaffingArguments(assignments=[
            Assignment(task_id=task, employee_id=eid, fraction=0.5, start_week=0, end_week=4)
            for task, eid in swaps.items()])
        async with pool.acquire() as conn:
            after = await audit_review(conn, staffing_id, selected=edited.model_dump(mode="json"))
        assert after is not None
        sex = {c.category: c.selected for d in after.dimensions if d.dimension == "sex" for c in d.categories}
        assert sex.get("female") == TASKS and not sex.get("male")
    finally:
        async with pool.acquire() as conn:
            await ramp_store.save_policy(conn, "propose_staffing", {"bias_action": "flag"}, by="admin")
