"""The reviewer's queue: filters, oldest-due-first order and pages, over rows made for this test."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from workflows import usecases
from workflows.usecases import ReviewFilters, Services

pytestmark = pytest.mark.integration


async def make_queue(pool: asyncpg.Pool[Any], n: int) -> tuple[str, list[str]]:
    """A department of its own with ``n`` pending reviews due far in the future (so other tests' queues
    are unaffected); returns the department code and the review ids in due order."""
    dept = f"qa-{uuid.uuid4().hex[:6]}"
    far = datetime.now(UTC) + timedelta(days=3650)
    ids: list[str] = []
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO departments (code, name) VALUES ($1, $2)", dept, f"QA {dept}")
        for i in range(n):
            goal_id, review_id = f"g-{dept}-{i}", f"r-{dept}-{i:03d}"
            await conn.execute(
                "INSERT INTO goals (goal_id, text, manager_login, department, status, workflow_id, model, starts_on,"
                " submitted_by, created_at) VALUES ($1, 'queue test goal', 'mgr.payments', $2, 'awaiting_review',"
                " $3, 'local-planner', current_date, 'mgr.payments', now() - make_interval(hours => $4))",
                goal_id, dept, f"goal-{goal_id}", i)
            await conn.execute(
                "INSERT INTO review_requests (review_id, goal_id, workflow_id, action_type, arguments, args_hash,"
                " evidence, explanation, risk_tier, policy_version, routed_because, requested_by, due_at, created_at)"
                " VALUES ($1, $2, $3, $4, '{}'::jsonb, 'h', '{}'::jsonb, '', $5, 'test', 'forced', 'mgr.payments',"
                " $6, now() - make_interval(hours => $7))",
                review_id, goal_id, f"goal-{goal_id}", "propose_staffing" if i % 3 else "decompose_goal",
                "high" if i % 3 else "low", far + timedelta(minutes=n - i), i)
            ids.append(review_id)
    return dept, list(reversed(ids))  # the last one made is due first


async def test_queue_filters_order_and_pages(services: Services) -> None:
    dept, due_order = await make_queue(services.pool, 12)
    rows, total = await usecases.search_reviews(services, ReviewFilters(department=dept, limit=5))
    assert total == 12 and [r.review_id for r in rows] == due_order[:5]
    rows, _ = await usecases.search_reviews(services, ReviewFilters(department=dept, limit=5, offset=10))
    assert [r.review_id for r in rows] == due_order[10:]
    low, low_total = await usecases.search_reviews(services, ReviewFilters(department=dept, risk_tier="low"))
    assert low_total == 4 and {r.action_type for r in low} == {"decompose_goal"}
    staffing, _ = await usecases.search_reviews(
        services, ReviewFilters(department=dept, action_type="propose_staffing"))
    assert len(staffing) == 8 and {r.risk_tier for r in staffing} == {"high"}
    old, old_total = await usecases.search_reviews(services, ReviewFilters(department=dept, min_age_hours=9.5))
    assert old_total == 2 and {r.review_id for r in old} == {f"r-{dept}-010", f"r-{dept}-011"}
    one, one_total = await usecases.search_reviews(services, ReviewFilters(goal_id=f"g-{dept}-3"))
    assert one_total == 1 and one[0].review_id == f"r-{dept}-003"
    _, approved_total = await usecases.search_reviews(services, ReviewFilters(department=dept, status="approved"))
    assert approved_total == 0
