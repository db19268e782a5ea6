"""The planning activity: the planning graph (:mod:`agents.planning.graph`) run for a goal.

The graph runs inside one activity rather than node by node in the workflow: its nodes are pure computation over
the shipped taxonomy (and, with a real model, one or a few model calls), each node's output comes back in the
activity's result and is audited by ``save_plan``, and a retry re-runs the whole graph, which is deterministic
offline. See the closing note of issue 9 for why the ``temporalio-langgraph`` plugin was not used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from agents.planning import model_draft
from agents.planning.draft import TaskDraft
from agents.planning.graph import Drafter, PlanningError, offline_drafter, plan_goal
from agents.planning.understand import Understanding
from infra.settings import LOCAL_PLANNER, get_settings
from workflows.activity_inputs import PlanGoal, PlanResult


def drafter_for(model: str) -> Drafter:
    """The offline drafter for the local planner; a pydantic-ai agent on ``model`` otherwise."""
    if model == LOCAL_PLANNER:
        return offline_drafter
    agent = model_draft.drafting_agent(model)

    async def draft_with_model(understanding: Understanding, feedback: str | None) -> list[TaskDraft]:
        result = await agent.run(model_draft.drafting_prompt(understanding, feedback))
        return result.output.tasks

    return draft_with_model


def planning_activity(drafter: Drafter | None = None, *, model: str | None = None) -> Callable[..., Any]:
    """The ``plan_goal`` activity, drafting with ``drafter`` (default: the one ``TALENTOPS_MODEL`` selects).

    Args:
        drafter: Drafts the tasks; tests pass their own to exercise the graph's bounds in a real workflow.
        model: Name recorded as the model that drafted (default: ``TALENTOPS_MODEL``).
    """

    @activity.defn(name="plan_goal")
    async def plan_goal_activity(data: PlanGoal) -> PlanResult:
        """Plan a goal with the planning graph; a goal that cannot be planned fails with the reason, not retried."""
        name = model or get_settings().model
        chosen = drafter or drafter_for(name)
        try:
            # the graph's nodes compute for a few hundred milliseconds: in a thread of its own, off the worker's loop
            outcome = await asyncio.to_thread(asyncio.run, plan_goal(
                data.text, date.fromisoformat(data.submitted_on), drafter=chosen))
        except PlanningError as err:
            raise ApplicationError(str(err), type="PlanningError", non_retryable=True) from err
        prompt = "templates/1" if chosen is offline_drafter else model_draft.PROMPT_VERSION
        return PlanResult(plan=outcome.plan, steps=outcome.steps, model=name, prompt_version=prompt)

    return plan_goal_activity
