"""The staffing activity: the matcher finds people for every task, then the offline planner or a model chooses
among them, and the product checks the choice before any reviewer sees it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from pydantic_ai.exceptions import AgentRunError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from agents import staffing, staffing_choice
from agents.local_planner import propose_staffing
from agents.models import AgentModel, served_model
from infra.runtime import get_pool
from infra.store import certifications
from infra.store.plans import GoalPlan, PlannedTask
from infra.store.staffing import Candidate, RequiredCertification, StaffingProposal, certified_people
from policies.staffing_certifications import task_days, with_certifications
from policies.staffing_checks import check_proposal, flag_certifications
from tools.matching import candidates as matching
from workers.agent_runs import heartbeating, step_failed
from workflows.activity_inputs import AgentStep, ProposeStaffing, StaffingResult

OFFLINE_PROMPT_VERSION = staffing.PROMPT_VERSION
"""The offline planner's staffing rules keep the version they had as an in-workflow agent."""


MATCH_LIMIT = 8
"""People the matcher returns per task."""
HOLDERS_PER_TYPE = 20
"""Holders of each certification a task needs that the matcher considers besides its own pool (those whose
certification runs longest)."""


async def required_certifications(goal_id: str, plan: GoalPlan) -> dict[str, list[RequiredCertification]]:
    """The certification types each task of ``plan`` needs (as stored for the goal: the plan's grounding and
    reviewers), by task id."""
    tasks = {t.task_id for t in plan.tasks}
    found: dict[str, list[RequiredCertification]] = defaultdict(list)
    for r in await certifications.task_requirements(get_pool(), goal_id):
        if r.task_id in tasks:
            found[r.task_id].append(RequiredCertification(type_id=r.type_id, name=r.name, set_by=r.set_by,
                                                          reason=r.reason))
    return dict(found)


async def find_people(plan: GoalPlan, starts_on: date,
                      required: Mapping[str, Sequence[RequiredCertification]] | None = None,
                      ) -> tuple[dict[str, list[Candidate]], list[dict[str, Any]]]:
    """The matcher's people for every task of ``plan``, and the calls made (audited as tool calls).

    For a task that needs certifications (``required``), the holders join the matcher's pool, and each candidate
    carries how their certifications cover the task's weeks, with the small bonus of
    :func:`policies.staffing_certifications.with_certifications`.
    """
    found: dict[str, list[Candidate]] = {}
    calls: list[dict[str, Any]] = []
    for task in plan.tasks:
        needs = list((required or {}).get(task.task_id, ()))
        args: dict[str, Any] = {
            "description": staffing.task_text(task), "skills": task.skills, "start_week": task.start_week,
            "end_week": task.end_week, "fraction": staffing.task_fraction(task),
            "occupations": task.occupations or None}
        if needs:
            found[task.task_id], holders = await _find_certified(task, args, needs, starts_on)
            args["include"] = holders
        else:
            found[task.task_id] = await matching.find_candidates(get_pool(), goal_starts_on=starts_on, **args)
        calls.append({"tool": "find_candidates", "args": {
            "task_id": task.task_id, **args, "goal_starts_on": starts_on.isoformat(),
            **({"certifications": [n.type_id for n in needs]} if needs else {})}})
    return found, calls


async def _find_certified(task: PlannedTask, args: dict[str, Any], needs: list[RequiredCertification],
                          starts_on: date) -> tuple[list[Candidate], list[str]]:
    """A task's candidates when it needs certifications: the holders considered too, every candidate's standing
    attached, ranked with the bonus; and the holders added."""
    pool = get_pool()
    type_ids = [n.type_id for n in needs]
    start, end = task_days(starts_on, task.start_week, task.end_week)
    holders: list[str] = []
    for type_id in type_ids:
        holders += [h for h in await certified_people(pool, [type_id], not_expired_on=_today(),
                                                      limit=HOLDERS_PER_TYPE) if h not in holders]
    # twice the usual number, so that a holder just below the cut can move up with the bonus; the holders come back
    # below them too, and with_certifications keeps the best one when nobody above holds the type
    people = await matching.find_candidates(pool, goal_starts_on=starts_on, include=holders,
                                            limit=2 * MATCH_LIMIT, **args)
    held = {(c.employee_id, c.type_id): c for c in await certifications.of_employees_and_types(
        pool, [c.employee_id for c in people], type_ids)}
    ranked = with_certifications(people, needs, held, today=_today(), start=start, end=end, limit=MATCH_LIMIT)
    return ranked, holders


def _today() -> date:
    return datetime.now(UTC).date()


def staffing_activity(model: AgentModel) -> Callable[..., Any]:
    """The ``propose_staffing`` activity, choosing with ``model`` (built at worker start)."""

    @activity.defn(name="propose_staffing")
    async def propose_staffing_activity(data: ProposeStaffing) -> StaffingResult:
        """Propose who should do each task; a failure ends with a reason a manager can read."""
        async with heartbeating():
            required = await required_certifications(data.goal_id, data.plan)
            found, calls = await find_people(data.plan, date.fromisoformat(data.starts_on), required)
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
        # certifications never fail a proposal: what is missing is flagged to the reviewer, in words
        proposal = flag_certifications(proposal, data.plan, required, found)
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
