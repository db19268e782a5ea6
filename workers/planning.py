"""The planning activity: the planning graph (:mod:`agents.planning.graph`) run for a goal.

The graph runs inside one activity rather than node by node in the workflow: its nodes are pure computation over
the shipped taxonomy (and, with a real model, one or a few model calls), each node's output comes back in the
activity's result and is audited by ``save_plan``, and a retry re-runs the whole graph, which is deterministic
offline. See the closing note of issue 9 for why the ``temporalio-langgraph`` plugin was not used.

The graph's nodes compute for a few hundred milliseconds, so the graph runs in a thread with an event loop of its
own; a model's calls are sent back to the worker's loop, where the model's HTTP client lives.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic_ai.exceptions import AgentRunError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from agents.models import AgentModel, served_model
from agents.planning import model_draft
from agents.planning.draft import TaskDraft
from agents.planning.graph import Drafter, PlanningError, offline_drafter, plan_goal
from agents.planning.understand import Understanding
from workers.agent_runs import heartbeating, step_failed
from workflows.activity_inputs import PlanGoal, PlanResult

OFFLINE_PROMPT_VERSION = "templates/1"
"""Version of the offline planner's templates; recorded in the audit trail."""


@dataclass(kw_only=True)
class _ModelDrafter:
    """Drafts with a model on the worker's event loop, remembering what the server said and what was rejected."""

    model: AgentModel
    loop: asyncio.AbstractEventLoop
    context: model_draft.DraftContext = field(default_factory=model_draft.DraftContext)
    served: str | None = None

    async def __call__(self, understanding: Understanding, feedback: str | None) -> list[TaskDraft]:
        future = asyncio.run_coroutine_threadsafe(self._draft(understanding, feedback), self.loop)
        return await asyncio.wrap_future(future)

    async def _draft(self, understanding: Understanding, feedback: str | None) -> list[TaskDraft]:
        agent = model_draft.drafting_agent(self.model)
        result = await agent.run(model_draft.drafting_prompt(understanding, feedback), deps=self.context)
        self.served = served_model(result.all_messages(), self.model.name) or self.served
        return result.output.drafts()


def planning_activity(model: AgentModel, *, drafter: Drafter | None = None) -> Callable[..., Any]:
    """The ``plan_goal`` activity, drafting with ``model`` (built at worker start).

    Args:
        model: The drafting agent's model; the offline planner's templates when it is the local planner.
        drafter: Drafts instead of ``model`` (tests exercise the graph's bounds in a real workflow with it).
    """

    @activity.defn(name="plan_goal")
    async def plan_goal_activity(data: PlanGoal) -> PlanResult:
        """Plan a goal with the planning graph; a goal that cannot be planned fails with the reason, not retried."""
        by_model = None if drafter is not None or model.offline else _ModelDrafter(
            model=model, loop=asyncio.get_running_loop())
        chosen: Drafter = drafter or by_model or offline_drafter
        try:
            async with heartbeating():
                outcome = await asyncio.to_thread(asyncio.run, plan_goal(
                    data.text, date.fromisoformat(data.submitted_on), drafter=chosen))
        except PlanningError as err:
            raise ApplicationError(str(err), type="PlanningError", non_retryable=True) from err
        except (AgentRunError, OSError, TimeoutError) as err:
            if by_model is None:
                raise
            raise step_failed(err, model, by_model.context.problems) from err
        return PlanResult(plan=outcome.plan, steps=outcome.steps, model=model.name,
                          prompt_version=OFFLINE_PROMPT_VERSION if chosen is offline_drafter
                          else model_draft.PROMPT_VERSION, served_model=by_model.served if by_model else None)

    return plan_goal_activity
