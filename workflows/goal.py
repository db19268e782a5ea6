"""The goal workflow: plan, propose staffing, wait for a human decision, then staff or stop.

Deterministic: all I/O happens in activities and in the agents' model/tool activities.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic_ai.durable_exec.temporal import PydanticAIWorkflow
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from pydantic_ai.messages import ModelMessage

    from agents import decompose, staffing
    from agents.failures import NOT_RETRYABLE
    from agents.models import run_summary
    from infra.arguments import args_hash
    from infra.store.plans import GoalPlan
    from infra.store.staffing import StaffingProposal
    from policies import review_routing
    from policies.review_routing import TimeoutDefault
    from workflows.activity_inputs import (
        AgentFailed,
        AgentStep,
        ApplyPlan,
        ApplyStaffing,
        Escalation,
        OpenReview,
        PlanGoal,
        PlanResult,
        ProposeStaffing,
        RecordDecision,
        RouteAction,
        RouteDecision,
        SavePlan,
        StaffingResult,
        StatusChange,
        TaskUnstaffed,
    )
    from workflows.goal_rules import (
        AGENT_STEP_TRIES,
        application_error,
        error_type,
        failure_reason,
        proposed_arguments,
        validate_authority,
        validate_plan_edit,
        validate_staffing_edit,
    )
    from workflows.messages import (
        DECIDE_UPDATE,
        GOAL_WORKFLOW,
        Assignment,
        Decision,
        DecisionOutcome,
        GoalInput,
        GoalState,
        GoalStatus,
        ReviewRequest,
        StaffingArguments,
    )
    from workflows.move_messages import (
        HR_DECIDED_SIGNAL,
        MOVE_EVENT_SIGNAL,
        MOVE_WORKFLOW,
        HrDecided,
        MoveEvent,
        MoveInput,
        move_workflow_id,
    )

_ACTIVITY_TIMEOUT = timedelta(seconds=30)
_PLANNING_TIMEOUT = timedelta(minutes=3)
"""The planning graph offline takes under a second (the bound of plans from before agent steps were bounded by
the model's own timeouts)."""
AGENT_STEP_TIMEOUT = timedelta(minutes=30)
"""Longest an agent step (planning, staffing) may run: a real model may answer slowly and be asked again a few
times; each of its requests has its own timeout (``TALENTOPS_MODEL_REQUEST_TIMEOUT_SECONDS``)."""
AGENT_STEP_HEARTBEAT = timedelta(seconds=60)
"""A worker that stops heartbeating a running agent step for this long is taken for dead; the step is retried."""
MAX_STAFFING_ROUNDS = 3
"""Staffing proposals a goal may go through when an approved one no longer fits people's capacity."""


@workflow.defn(name=GOAL_WORKFLOW)
class GoalWorkflow(PydanticAIWorkflow):
    """One manager goal from plain text to stored assignments.

    Two review gates: the plan (a low-risk action the trust ramp samples) and the staffing (always reviewed:
    it decides about people). Each gate opens a review request, waits for the ``decide`` update with an SLA
    timer, escalates on a breach and applies the policy's default when the escalations run out.
    """

    __pydantic_ai_agents__ = (decompose.decompose_agent, staffing.staffing_agent)

    def __init__(self) -> None:
        self._status: GoalStatus = "submitted"
        self._goal: GoalInput | None = None
        self._plan: GoalPlan | None = None
        self._review: ReviewRequest | None = None
        self._decision: Decision | None = None
        self._executed: dict[str, Any] | None = None
        self._decision_recorded = False
        self._sla_seconds = 0
        self._max_escalations = 1
        self._timeout_default: TimeoutDefault = "park"
        self._agent_steps = False
        self._plan_step: AgentStep | None = None
        self._move_events: list[MoveEvent] = []
        self._open_moves: dict[tuple[str, str], Assignment] = {}
        self._passed_over: dict[str, list[str]] = {}

    @workflow.run
    async def run(self, goal: GoalInput) -> GoalStatus:
        """Run the goal to a final status."""
        self._goal = goal
        self._sla_seconds = goal.review_sla_seconds
        self._max_escalations = goal.max_escalations
        # agent steps run as activities and their failures end the goal with a reason (histories from before:
        # the agents ran inside the workflow and a failure could leave the goal without one)
        self._agent_steps = workflow.patched("agent-steps-as-activities")
        if not self._agent_steps:
            return await self._run(goal)
        try:
            return await self._run(goal)
        except Exception as err:  # a bug must not leave the goal looking alive: fail it with what went wrong
            workflow.logger.exception("goal workflow failed unexpectedly")
            await self._set_status("failed", f"the goal stopped on an unexpected error ({type(err).__name__}); "
                                             "an administrator can see the details in the worker's log")
            return self._status

    async def _run(self, goal: GoalInput) -> GoalStatus:
        if self._agent_steps and goal.approved_plan is not None:
            plan = self._plan = goal.approved_plan  # tried again after its staffing failed
        else:
            planned = await self._planned(goal)
            if planned is None:
                return self._status
            plan = self._plan = planned
        if workflow.patched("staffing-status-set-by-workflow"):  # saving a plan no longer sets it
            await self._set_status("staffing")
        for round_number in range(1, MAX_STAFFING_ROUNDS + 1):
            try:
                self._status = "staffing"
                proposal, step = await self._propose_staffing(goal, plan)
            except ActivityError as err:
                if self._agent_steps:
                    await self._agent_failed(goal, "staffing", "could not propose who should do the tasks", err)
                else:
                    await self._set_status("failed", f"the agents could not plan this goal: {err.cause or err}")
                return self._status
            arguments = proposed_arguments(plan, proposal).model_dump(mode="json")
            route = await self._route(goal, review_routing.PROPOSE_STAFFING, step.prompt_version,
                                      model=step.model if self._agent_steps else None)
            decision = await self._gate(
                goal, route, review_routing.PROPOSE_STAFFING, arguments, plan=plan, proposal=proposal,
                step=step, waiting="awaiting_review")
            if decision.decision == "reject":
                await self._set_status("rejected", decision.reason)
                return self._status
            assert self._executed is not None and self._review is not None
            staffed = StaffingArguments.model_validate(self._executed)
            moves = workflow.patched("assignment-moves")
            try:
                await self._activity("apply_staffing", ApplyStaffing(
                    goal_id=goal.goal_id, review_id=self._review.review_id, arguments=staffed, proposal=proposal,
                    moves=moves))
            except ActivityError as err:
                if not workflow.patched("staffing-over-capacity"):
                    raise
                if error_type(err) != "OverCapacity" or round_number == MAX_STAFFING_ROUNDS:
                    await self._set_status("failed",
                                           f"the approved staffing could not be stored: {failure_reason(err)}")
                    return self._status
                # someone was booked by another goal meanwhile: propose again from the bookings as they are now
                await self._set_status("staffing", f"proposing again: {failure_reason(err)}")
                continue
            self._status = "staffed"
            if moves:
                await self._run_moves(goal, plan, staffed)
            return self._status
        raise AssertionError("unreachable: every staffing round returns")

    async def _run_moves(self, goal: GoalInput, plan: GoalPlan, staffed: StaffingArguments) -> None:
        """Start a move per assignment, then act on what the moves report (a decline or a withdrawal: propose
        someone else; a refusal: HR reviews it) until every open move has its person released."""
        for a in staffed.assignments:
            await self._start_move(goal, a)
        while self._open_moves:
            await workflow.wait_condition(lambda: bool(self._move_events))
            event = self._move_events.pop(0)
            key = (event.task_id, event.employee_id)
            if key not in self._open_moves:
                continue  # not a move of this goal's (a stray signal)
            if event.kind == "refused":
                await self._review_refusal(goal, plan, event)
                continue
            self._open_moves.pop(key)
            if event.kind in ("declined", "withdrawn"):
                await self._restaff(goal, plan, event)

    async def _start_move(self, goal: GoalInput, assignment: Assignment) -> None:
        await workflow.start_child_workflow(
            MOVE_WORKFLOW, MoveInput(goal_id=goal.goal_id, goal_workflow_id=workflow.info().workflow_id,
                                     task_id=assignment.task_id, employee_id=assignment.employee_id,
                                     manager_login=goal.manager_login),
            id=move_workflow_id(goal.goal_id, assignment.task_id, assignment.employee_id),
            parent_close_policy=ParentClosePolicy.ABANDON)  # a move outlives its goal's workflow
        self._open_moves[(assignment.task_id, assignment.employee_id)] = assignment

    async def _restaff(self, goal: GoalInput, plan: GoalPlan, event: MoveEvent) -> None:
        """Propose someone else for a task whose person declined (or was not released), through a review."""
        passed = self._passed_over.setdefault(event.task_id, [])
        passed.append(event.employee_id)
        task_plan = plan.model_copy(update={"tasks": [t for t in plan.tasks if t.task_id == event.task_id]})
        try:
            proposal, step = await self._propose_staffing(goal, task_plan, excluded=passed)
        except ActivityError as err:
            await self._unstaffed(goal, event, f"no new proposal could be made: {failure_reason(err)}")
            return
        arguments = proposed_arguments(task_plan, proposal)
        if not arguments.assignments:
            await self._unstaffed(goal, event, "nobody else with the skills and the free time was found")
            return
        action = review_routing.REPROPOSE_DECLINED_TASK
        route = await self._route(goal, action, step.prompt_version, model=step.model)
        decision = await self._gate(goal, route, action, arguments.model_dump(mode="json"), plan=plan,
                                    proposal=proposal, step=step, waiting="awaiting_review")
        if decision.decision == "reject":
            await self._unstaffed(goal, event, f"the reviewer rejected the new proposal: {decision.reason}")
            return
        assert self._executed is not None and self._review is not None
        executed = StaffingArguments.model_validate(self._executed)
        try:
            await self._activity("offer_again", ApplyStaffing(
                goal_id=goal.goal_id, review_id=self._review.review_id, arguments=executed, proposal=proposal,
                moves=True))
        except ActivityError as err:
            await self._unstaffed(goal, event, f"the new person could not be booked: {failure_reason(err)}")
            return
        for a in executed.assignments:
            await self._start_move(goal, a)
        await self._set_status("staffed")

    async def _unstaffed(self, goal: GoalInput, event: MoveEvent, why: str) -> None:
        """The task has nobody now: the goal stays staffed, its manager is told why."""
        await self._activity("record_task_unstaffed", TaskUnstaffed(
            goal_id=goal.goal_id, task_id=event.task_id, employee_id=event.employee_id, reason=why))
        self._status = "staffed"

    async def _review_refusal(self, goal: GoalInput, plan: GoalPlan, event: MoveEvent) -> None:
        """HR reviews a line manager's refusal: approve overrules it (the person moves), reject upholds it."""
        assignment = self._open_moves[(event.task_id, event.employee_id)]
        action = review_routing.OVERRIDE_RELEASE_REFUSAL
        route = await self._route(goal, action, "release/1")
        arguments = StaffingArguments(assignments=[assignment]).model_dump(mode="json")
        names = event.names
        who = (f"{names.line_manager}, the line manager of {names.person}, refused to release them for “{names.task}”"
               if names else f"Their line manager ({event.actor}) refused to release {event.employee_id} for task "
                             f"{event.task_id}")
        explanation = (f"{who}: {event.reason}. Approve to release them anyway (the move goes ahead); "
                       "reject to uphold the refusal (the task is proposed to someone else).")
        await self._gate(goal, route, action, arguments, plan=plan, waiting="awaiting_review",
                         requested_by=event.actor, explanation=explanation)
        assert self._review is not None
        move = workflow.get_external_workflow_handle(move_workflow_id(goal.goal_id, event.task_id, event.employee_id))
        await move.signal(HR_DECIDED_SIGNAL, HrDecided(review_id=self._review.review_id))
        await self._set_status("staffed")

    async def _planned(self, goal: GoalInput) -> GoalPlan | None:
        """Plan the goal and take the plan through its review gate; None when the goal ended on the way."""
        try:
            await self._set_status("planning")
            if workflow.patched("planning-graph"):
                plan = self._plan = await self._plan_with_graph(goal)
            else:  # histories from before the planning graph: the decomposition agent
                plan_run = await decompose.decompose_agent.run(decompose.goal_prompt(goal.text, goal.submitted_on))
                plan = self._plan = plan_run.output
                await self._activity("save_plan", SavePlan(
                    goal_id=goal.goal_id, plan=plan,
                    step=self._step(plan_run.all_messages(), decompose.PROMPT_VERSION)))
        except ActivityError as err:
            if self._agent_steps:
                await self._agent_failed(goal, "planning", "could not plan this goal", err)
            else:
                await self._set_status("failed", f"could not plan this goal: {failure_reason(err)}")
            return None
        if workflow.patched("plan-review-gate"):
            return await self._plan_gate(goal, plan)
        return plan

    async def _plan_with_graph(self, goal: GoalInput) -> GoalPlan:
        """Plan with the planning graph (an activity) and store the plan with each node's output audited."""
        timeout, heartbeat = (AGENT_STEP_TIMEOUT, AGENT_STEP_HEARTBEAT) if self._agent_steps else (
            _PLANNING_TIMEOUT, None)
        result: PlanResult = await workflow.execute_activity(
            "plan_goal", PlanGoal(goal_id=goal.goal_id, text=goal.text, submitted_on=goal.submitted_on),
            result_type=PlanResult, start_to_close_timeout=timeout, heartbeat_timeout=heartbeat,
            retry_policy=RetryPolicy(maximum_attempts=AGENT_STEP_TRIES,
                                     non_retryable_error_types=["PlanningError", *NOT_RETRYABLE]))
        self._plan_step = AgentStep(model=result.model, prompt_version=result.prompt_version, tool_calls=[],
                                    served_model=result.served_model)
        await self._activity("save_plan", SavePlan(
            goal_id=goal.goal_id, plan=result.plan, graph_steps=result.steps, step=self._plan_step))
        return result.plan

    async def _propose_staffing(self, goal: GoalInput, plan: GoalPlan,
                                excluded: Sequence[str] = ()) -> tuple[StaffingProposal, AgentStep]:
        """The staffing proposal for ``plan`` (an activity; in older histories, the agent run in the workflow)."""
        if not self._agent_steps:
            staffing_run = await staffing.staffing_agent.run(staffing.staffing_prompt(plan, goal.submitted_on))
            return staffing_run.output, self._step(staffing_run.all_messages(), staffing.PROMPT_VERSION)
        result: StaffingResult = await workflow.execute_activity(
            "propose_staffing", ProposeStaffing(goal_id=goal.goal_id, plan=plan, starts_on=goal.submitted_on,
                                                excluded=list(excluded)),
            result_type=StaffingResult, start_to_close_timeout=AGENT_STEP_TIMEOUT,
            heartbeat_timeout=AGENT_STEP_HEARTBEAT,
            retry_policy=RetryPolicy(maximum_attempts=AGENT_STEP_TRIES, non_retryable_error_types=NOT_RETRYABLE))
        return result.proposal, result.step

    async def _agent_failed(self, goal: GoalInput, step: str, what: str, err: ActivityError) -> None:
        """End the goal as failed with the reason, audited with the error's class and the model."""
        cause = application_error(err)
        details = cause.details[0] if cause is not None and cause.details and isinstance(
            cause.details[0], dict) else {}
        self._status = "failed"
        await self._activity("record_agent_failure", AgentFailed(
            goal_id=goal.goal_id, step=step, reason=f"{what}: {failure_reason(err)}", error_type=error_type(err),
            details=details))

    async def _plan_gate(self, goal: GoalInput, plan: GoalPlan) -> GoalPlan | None:
        """Send the plan to review when the trust ramp samples it; the plan to staff, or None if rejected."""
        step = self._plan_step if self._agent_steps else None
        route = await self._route(goal, review_routing.DECOMPOSE_GOAL,
                                  step.prompt_version if step else decompose.PROMPT_VERSION,
                                  model=step.model if step else None)
        if not route.review:
            return plan
        decision = await self._gate(goal, route, review_routing.DECOMPOSE_GOAL, plan.model_dump(mode="json"),
                                    plan=plan, waiting="awaiting_plan_review")
        if decision.decision == "reject":
            await self._set_status("rejected", f"plan rejected: {decision.reason}")
            return None
        assert self._executed is not None and self._review is not None
        reviewed = GoalPlan.model_validate(self._executed)
        if decision.decision == "edit":
            await self._activity("apply_plan", ApplyPlan(
                goal_id=goal.goal_id, review_id=self._review.review_id, plan=reviewed))
        return reviewed

    async def _gate(self, goal: GoalInput, route: RouteDecision, action: review_routing.ActionType,
                    arguments: dict[str, Any], *, plan: GoalPlan, waiting: GoalStatus,
                    proposal: StaffingProposal | None = None, step: AgentStep | None = None,
                    requested_by: str | None = None, explanation: str | None = None) -> Decision:
        """Open a review of ``arguments`` and wait for its decision (or the policy's default).

        ``requested_by`` is who caused the action (by default whoever submitted the goal): they cannot decide it.
        """
        self._decision, self._executed, self._decision_recorded = None, None, False
        self._review = ReviewRequest(
            review_id=f"r-{workflow.uuid4().hex[:12]}", goal_id=goal.goal_id, action_type=action.name,
            arguments=arguments, args_hash=args_hash(arguments), risk_tier=route.risk_tier,
            policy_version=route.policy_version, routed_because=route.because,
            requested_by=requested_by or goal.submitted_by or goal.manager_login, due_at=self._due_at(),
        )
        await self._activity("open_review", OpenReview(
            request=self._review, plan=plan, proposal=proposal, step=step, goal_status=waiting,
            sampled=route.review and not route.forced, fingerprint=route.fingerprint or None,
            explanation=explanation))
        self._status = waiting
        await self._wait_for_decision(goal)
        assert self._decision is not None
        return self._decision

    async def _route(self, goal: GoalInput, action: review_routing.ActionType, prompt_version: str, *,
                     model: str | None = None) -> RouteDecision:
        """Ask the trust ramp (an activity: its random draw is recorded and audited) whether to review."""
        if not workflow.patched("route-through-trust-ramp"):  # histories from before the trust ramp
            routing = review_routing.route_review(action, draw=workflow.random().random())
            return RouteDecision(review=routing.review, because=routing.because, forced=routing.forced,
                                 risk_tier=routing.risk_tier.value, policy_version=routing.policy_version,
                                 fingerprint="", sla_seconds=None, max_escalations=goal.max_escalations)
        route: RouteDecision = await workflow.execute_activity(
            "route_action", RouteAction(goal_id=goal.goal_id, action_type=action.name, prompt_version=prompt_version,
                                        model=model),
            result_type=RouteDecision, start_to_close_timeout=_ACTIVITY_TIMEOUT)
        self._sla_seconds = route.sla_seconds or goal.review_sla_seconds
        self._max_escalations = route.max_escalations
        self._timeout_default = route.timeout_default
        return route

    async def _wait_for_decision(self, goal: GoalInput) -> None:
        """Wait for the decision; escalate on each SLA breach, then apply the policy's default.

        The default of people decisions is to park (never auto-approve): the review stays open, without a
        timer, until somebody decides. Low-stakes actions may default to approve or reject.
        """
        assert self._review is not None
        while not self._decision_recorded:
            parked = self._review.escalations > self._max_escalations
            timeout = None if parked else timedelta(seconds=self._sla_seconds)
            try:
                await workflow.wait_condition(lambda: self._decision_recorded, timeout=timeout)
            except TimeoutError:
                if self._decision is not None:  # decided while the timer fired; the record is on its way
                    continue
                escalations = self._review.escalations + 1
                self._review = self._review.model_copy(update={"escalations": escalations, "due_at": self._due_at()})
                exhausted = escalations > self._max_escalations
                default = self._timeout_default if exhausted else None
                await self._activity("escalate_review", Escalation(
                    goal_id=goal.goal_id, review_id=self._review.review_id, escalations=escalations,
                    parked=default == "park", due_at=self._review.due_at, default_applied=default))
                if default == "park":
                    self._status = "parked"
                elif default is not None:
                    self._decision = Decision(
                        review_id=self._review.review_id, args_hash=self._review.args_hash, decision=default,
                        reviewer="policy-default", reason=f"no decision after {escalations - 1} escalation(s)")
                    self._executed = self._review.arguments if default == "approve" else None
                    self._decision_recorded = True

    @workflow.signal(name=MOVE_EVENT_SIGNAL)
    def move_event(self, event: MoveEvent) -> None:
        """A move of this goal was released, declined, refused or withdrawn."""
        self._move_events.append(event)

    @workflow.query
    def state(self) -> GoalState:
        """Where the goal is and the review waiting for a decision, if any."""
        pending = self._review if self._review is not None and self._decision is None else None
        return GoalState(status=self._status, pending_review=pending)

    @workflow.update(name=DECIDE_UPDATE)
    async def decide(self, decision: Decision) -> DecisionOutcome:
        """Take a reviewer's decision; it is recorded before the update returns."""
        if self._decision is not None:  # a second update raced past the validator
            raise ApplicationError("this review was already decided", type="AlreadyDecided")
        assert self._goal is not None
        self._decision = decision
        if decision.decision == "edit" and decision.edited_arguments is not None:
            self._executed = decision.edited_arguments.model_dump(mode="json")
        elif decision.decision == "approve":
            self._executed = self._review.arguments if self._review else {}
        executed_hash = args_hash(self._executed) if self._executed is not None else None
        await self._activity("record_decision", RecordDecision(
            goal_id=self._goal.goal_id, decision=decision, executed_arguments=self._executed,
            executed_args_hash=executed_hash))
        self._decision_recorded = True
        return DecisionOutcome(review_id=decision.review_id, decision=decision.decision,
                               executed_args_hash=executed_hash)

    @decide.validator
    def _validate_decide(self, decision: Decision) -> None:
        review = self._review
        if review is None:
            raise ValueError("no review is pending for this goal")
        if self._decision is not None:
            raise ValueError("this review was already decided")
        if decision.review_id != review.review_id:
            raise ValueError(f"stale review id {decision.review_id}; the pending review is {review.review_id}")
        if decision.args_hash != review.args_hash:
            raise ValueError("the arguments changed since this review was loaded; reload it")
        if not decision.reviewer.strip():
            raise ValueError("a decision needs a reviewer")
        assert self._goal is not None
        if decision.reviewer in (review.requested_by, self._goal.manager_login):
            raise ValueError("separation of duties: whoever submitted the goal cannot decide its reviews")
        if decision.decision == "reject" and not (decision.reason or "").strip():
            raise ValueError("a rejection needs a reason")
        if decision.reason_code is not None and decision.reason_code not in review_routing.REJECTION_REASONS:
            raise ValueError(f"unknown reason code {decision.reason_code!r}")
        if decision.decision == "edit":
            if review.action_type == review_routing.DECOMPOSE_GOAL.name:
                validate_plan_edit(review, decision.edited_arguments)
            elif review.action_type == review_routing.OVERRIDE_RELEASE_REFUSAL.name:
                raise ValueError("a refused release is approved (released anyway) or rejected (refusal upheld), "
                                 "not edited; to propose someone else, reject it")
            else:
                validate_staffing_edit(review, decision.edited_arguments, passed_over=self._passed_over)
        # who decides: the application layer's signed facts, checked again here (role, separation of duties,
        # the people concerned, the bias policy); a decision sent to Temporal by another route is refused.
        # Validators are not replayed: the keys the worker trusts (workflows.attestation) may be read here.
        validate_authority(self._goal, review, decision, now=workflow.now())

    async def _set_status(self, status: GoalStatus, detail: str | None = None) -> None:
        assert self._goal is not None
        self._status = status
        await self._activity("set_goal_status", StatusChange(goal_id=self._goal.goal_id, status=status, detail=detail))

    @staticmethod
    async def _activity(name: str, arg: object) -> None:
        await workflow.execute_activity(name, arg, start_to_close_timeout=_ACTIVITY_TIMEOUT)

    @staticmethod
    def _step(messages: Sequence[ModelMessage], prompt_version: str) -> AgentStep:
        summary = run_summary(messages)
        return AgentStep(model=summary["model"], prompt_version=prompt_version, tool_calls=summary["tool_calls"])

    def _due_at(self) -> str:
        assert self._goal is not None
        return (workflow.now() + timedelta(seconds=self._sla_seconds)).isoformat()
