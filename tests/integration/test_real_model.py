"""A real small model end to end: SmolLM2-135M behind llama-cpp-python's OpenAI-compatible server drafts the plan
and chooses the people of a goal running on the real Temporal server and the real Postgres.

The tiny model's content is poor. What must hold is that the product copes: every step ends either in a checked
output a reviewer sees (a plan grounded in O*NET, people the matcher found with the matcher's numbers) or in a
failed goal with a reason a manager can read and an audited failure, never stuck. Skipped, with the reason, when
no llama-cpp-python wheel is at hand (``tests/local_llm.py``); the wider measurement is ``bench/model_eval.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from local_llm import LlamaServer, ensure_llama_env, serve, skip_reason
from support import eventually, review_id_of
from temporalio.client import Client

from infra.settings import Settings
from infra.store.plans import GoalPlan
from infra.store.staffing import StaffingProposal
from policies.staffing_checks import check_proposal
from workers.agent_runs import build_agent_models
from workers.main import build_worker
from workflows import usecases
from workflows.usecases import GoalDetail, Services

pytestmark = pytest.mark.integration
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
WAITING = ("awaiting_plan_review", "awaiting_review", "parked")
FINAL = ("failed", "rejected", "staffed")


@pytest.fixture(scope="module")
def llama() -> Iterator[LlamaServer]:
    reason = skip_reason()
    if reason is not None:
        pytest.skip(reason)
    env = ensure_llama_env()
    assert env is not None, "a wheel is at hand, yet the environment could not be set up"
    with serve(env) as server:
        yield server


async def settled(svc: Services, goal_id: str, statuses: tuple[str, ...]) -> GoalDetail:
    async def probe() -> GoalDetail | None:
        goal = await usecases.get_goal(svc, goal_id)
        return goal if goal.status in statuses else None

    return await eventually(probe, f"goal {goal_id} to reach {statuses}", timeout=600, interval=0.5)


async def assert_failed_cleanly(svc: Services, goal: GoalDetail) -> None:
    """A failed goal says why in words, and the audit trail has the failure with its class and model."""
    detail = goal.status_detail or ""
    print(f"the goal failed, as it may with a tiny model: {detail}")
    assert detail and "Traceback" not in detail, detail
    failures = [e for e in await usecases.audit_for_goal(svc, goal.goal_id) if e.action == "agent.failed"]
    assert failures and failures[-1].model == "openai-chat:smollm2", failures
    assert failures[-1].payload["error_class"], failures


async def test_a_tiny_real_model_plans_and_staffs_a_goal_or_fails_it_with_a_reason(
        llama: LlamaServer, pool: asyncpg.Pool[Any], client: Client, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", llama.base_url)
    settings = Settings(task_queue=f"llm-{uuid.uuid4().hex[:8]}", data_dir=tmp_path, review_sla_seconds=3600,
                        model=f"openai-chat:{llama.model}", model_max_tokens=500, model_output_retries=2,
                        model_temperature=0.2, model_request_timeout_seconds=180)
    svc = Services(pool=pool, client=client, settings=settings)
    async with build_worker(client, settings.task_queue, pool=pool, models=build_agent_models(settings),
                            settings=settings):
        goal_id = await usecases.submit_goal(svc, text=GOAL, manager_login="mgr.payments",
                                            submitted_by="mgr.payments")
        goal = await settled(svc, goal_id, WAITING + FINAL)
        if goal.status == "failed":
            await assert_failed_cleanly(svc, goal)
            return
        # the model's draft went through grounding and the checks: every task is grounded in O*NET
        assert goal.agent_models["draft_tasks"]["model"] == "openai-chat:smollm2"
        assert goal.tasks and all(t.occupations and t.skills for t in goal.tasks)
        if goal.status == "awaiting_plan_review":
            await usecases.decide_review(svc, review_id=review_id_of(goal), decision="approve",
                                        reviewer="hr.reviewer2")
            goal = await settled(svc, goal_id, ("awaiting_review", "parked", *FINAL))
        if goal.status == "failed":
            await assert_failed_cleanly(svc, goal)
            return
        assert goal.status in ("awaiting_review", "parked"), goal.status
        review = await usecases.get_review(svc, review_id_of(goal))
        proposal = StaffingProposal.model_validate(review.evidence["proposal"])
        plan = GoalPlan.model_validate(review.evidence["plan"])
        # whatever the model chose, a reviewer sees only the matcher's people with the matcher's numbers, and
        # nobody booked past their free time
        people = [c for t in proposal.tasks for c in t.candidates]
        known = {r["employee_id"]: r["name"] for r in await pool.fetch(
            "SELECT employee_id, name FROM employees WHERE employee_id = ANY($1::text[])",
            [c.employee_id for c in people])}
        assert all(known.get(c.employee_id) == c.name and c.free_fraction is not None for c in people), people
        assert check_proposal(proposal, plan, {t.task_id: t.candidates for t in proposal.tasks}) == []
        assert goal.agent_models["propose_staffing"]["prompt_version"] == "choose-staffing/1"
