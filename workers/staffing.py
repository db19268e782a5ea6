"""The staffing activity: the matcher finds people for every task, then the offline planner or a model chooses
among them, and the product checks the choice before any reviewer sees it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic_ai.exceptions import AgentRunError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from agents import staffing, staffing_choice
from agents.local_planner import propose_staffing
from agents.models import AgentModel, served_model
from infra.runtime import get_pool
from infra.store.plans import GoalPlan
from infra.store.staffing import Candidate, StaffingProposal
from policies.staffing_checks import check_proposal
from tools.matching import candidates as matching
from workers.agent_runs import heartbeating, step_failed
from workflows.activity_inputs import AgentStep, ProposeStaffing, StaffingResult

OFFLINE_PROMPT_VERSION = staffing.PROMPT_VERSION
"""The offline planner's staffing rules keep the version they had as an in-workflow agent."""


async def find_people(plan: GoalPlan, starts_on: date) -> tuple[dict[str, list[Candidate]], list[dict[str, Any]]]:
    """The matcher's people for every task of ``plan``, and the calls made (audited as tool calls)."""
    found: dict[str, list[Candidate]] = {}
    calls: list[dict[str, Any]] = []
    for task in plan.tasks:
        args: dict[str, Any] = {
            "description": staffing.task_text(task), "skills": task.skills, "start_week": task.start_week,
            "end_week": task.end_week, "fraction": staffing.task_fraction(task),
            "occupations": task.occupations or None}
        found[task.task_id] = await matching.find_candidates(get_pool(), goal_starts_on=starts_on, **args)
        calls.append({"tool": "find_candidates", "args": {"task_id": task.task_id, **args,
                                                          "goal_starts_on": starts_on.isoformat()}})
    return found, calls


def staffing_activity(model: AgentModel) -> Callable[..., Any]:
    """The ``propose_staffing`` activity, choosing with ``model`` (built at worker start)."""

    @activity.defn(name="propose_staffing")
    async def propose_staffing_activity(data: ProposeStaffing) -> StaffingResult:
        """Propose who should do each task; a failure ends with a reason a manager can read."""
        async with heartbeating():
            found, calls = await find_people(data.plan, date.fromisoformat(data.starts_on))
            if data.excluded:  # they declined the task or were not released for it
                found = {task: [c for c in people if c.employee_id not in data.excluded]
                         for task, people in found.items()}
            served: str | None = None
            if model.offline:
                proposal = propose_staffing(data.plan, found)
                prompt_version = OFFLINE_PROMPT_VERSION
            else:
                proposal, served = await _choose_with_model(model, data.plan, found)
                prompt_version = staffing_choice.PROMPT_VERSION
        problems = check_proposal(proposal, data.plan, found)
        if problems:  # the offline planner's proposals pass by construction; this guards against regressions
            raise ApplicationError("the staffing proposal failed the product's checks: " + "; ".join(problems),
                                   {"model": model.name, "agent": "propose_staffing"},
                                   type="StaffingCheckFailed", non_retryable=True)
        return StaffingResult(proposal=proposal, step=AgentStep(
            model=model.name, prompt_version=prompt_version, tool_calls=calls, served_model=served))

    return propose_staffing_activity


async def _choose_with_model(model: AgentModel, plan: GoalPlan,
                             found: dict[str, list[Candidate]]) -> tuple[StaffingProposal, str | None]:
    context = staffing_choice.ChoiceContext(plan=plan, found=found)
    agent = staffing_choice.choosing_agent(model)
    try:
        result = await agent.run(staffing_choice.choice_prompt(plan, found), deps=context)
    except (AgentRunError, OSError, TimeoutError) as err:
        raise step_failed(err, model, context.problems) from err
    proposal = staffing_choice.proposal_from_choice(result.output, found)
    return proposal, served_model(result.all_messages(), model.name)
