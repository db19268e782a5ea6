"""The onboarding workflow: an AI worker runs a released person's move onto their task (crossboarding, 30-60-90).

The onboarding agent drafts the plan from the person's skills gap (an activity); the trust ramp decides whether a
reviewer sees it (``draft_onboarding_plan``: low risk, sampled 100% → 50% → 10%); the plan then runs on durable
timers: reminders before items are due and escalations of missed check-ins (each an agent action the ramp may send
to review first), items ticked off by their owners (by update), the goal's manager marking the person productive,
and an early finish when everything is done.

Deterministic: every write is an activity; what falls due when is computed by ``workflows.onboarding_rules``.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from agents.failures import NOT_RETRYABLE
    from infra.arguments import args_hash
    from infra.store.onboarding import OnboardingPlan
    from policies import review_routing
    from policies.onboarding_checks import LAST_DAY, check_onboarding_plan
    from workflows.activity_inputs import Escalation, OpenReview, RecordDecision, RouteAction, RouteDecision
    from workflows.goal_rules import AGENT_STEP_TRIES, executed_arguments, failure_reason, validate_attested
    from workflows.messages import DECIDE_UPDATE, Decision, DecisionOutcome, ReviewRequest
    from workflows.move_acts import verify as verify_act
    from workflows.onboarding_messages import (
        ONBOARDING_WORKFLOW,
        PRODUCTIVE_UPDATE,
        TICK_UPDATE,
        DraftedPlan,
        FinishPlan,
        ItemTick,
        Nudge,
        OnboardingInput,
        OnboardingResult,
        OnboardingView,
        RecordTick,
        StartedPlan,
        StartPlan,
    )
    from workflows.onboarding_rules import ESCALATION_LEVELS, GRACE_DAYS, blocking, day_at, finished, nudges, plan_day
    from workflows.onboarding_rules import Nudge as DueNudge

_ACTIVITY_TIMEOUT = timedelta(seconds=30)
_DRAFT_TIMEOUT = timedelta(minutes=30)
_DRAFT_HEARTBEAT = timedelta(seconds=60)
NUDGE_PROMPT_VERSION = "onboarding-nudges/1"
"""Version of the reminder and escalation rules (``workflows.onboarding_rules``), for the trust ramp."""


@workflow.defn(name=ONBOARDING_WORKFLOW)
class OnboardingWorkflow:
    """One person's 30-60-90 plan for one task: drafted, reviewed (when sampled), run to its end."""

    @workflow.init
    def __init__(self, onboarding: OnboardingInput) -> None:
        self._in = onboarding
        self._status = "drafting"
        self._plan: OnboardingPlan | None = None
        self._starts_at: datetime | None = None
        self._done: dict[str, str] = {}
        self._ticks: list[ItemTick] = []
        self._sent: set[str] = set()
        self._pending: dict[str, ReviewRequest] = {}
        self._decided: dict[str, Decision] = {}
        self._nudging: list[asyncio.Task[None]] = []

    @workflow.run
    async def run(self, onboarding: OnboardingInput) -> OnboardingResult:
        """Draft, review, run the plan; ``completed`` or ``rejected`` (with the reason stored)."""
        try:
            drafted: DraftedPlan = await workflow.execute_activity(
                "draft_onboarding_plan", onboarding, result_type=DraftedPlan, start_to_close_timeout=_DRAFT_TIMEOUT,
                heartbeat_timeout=_DRAFT_HEARTBEAT,
                retry_policy=RetryPolicy(maximum_attempts=AGENT_STEP_TRIES, non_retryable_error_types=NOT_RETRYABLE))
        except ActivityError as err:
            return await self._finish("rejected", f"the onboarding agent could not draft a plan: {failure_reason(err)}")
        action = review_routing.DRAFT_ONBOARDING_PLAN
        route = await self._route(action, drafted.step.prompt_version, drafted.step.model)
        plan, review_id = drafted.plan, None
        if route.review:
            self._status = "in_review"
            review_id, decision, executed = await self._gate(
                route, action, plan.model_dump(mode="json"), explanation=plan.summary,
                evidence={"onboarding_plan": plan.model_dump(mode="json"), "step": drafted.step.model_dump(),
                          "employee_id": onboarding.employee_id, "task_id": onboarding.task_id})
            if executed is None:  # rejected by its reviewer, or by the policy's default
                reason = decision.reason if decision is not None else "the policy's default"
                return await self._finish("rejected", f"the drafted plan was rejected: {reason}")
            plan = OnboardingPlan.model_validate(executed)
        started: StartedPlan = await workflow.execute_activity(
            "start_onboarding", StartPlan(onboarding=onboarding, plan=plan, review_id=review_id),
            result_type=StartedPlan, start_to_close_timeout=_ACTIVITY_TIMEOUT)
        self._plan, self._starts_at, self._status = plan, datetime.fromisoformat(started.starts_at), "active"
        why = await self._run_plan(plan, self._starts_at)
        return await self._finish("completed", why)

    async def _run_plan(self, plan: OnboardingPlan, starts_at: datetime) -> str:
        """Tick items off as they come, nudge on time, until the plan is finished; why it finished."""
        last = day_at(starts_at, LAST_DAY + GRACE_DAYS * ESCALATION_LEVELS + 1)
        while True:
            while self._ticks:  # taken off the queue once stored: the tick's update returns then
                await self._activity("record_onboarding_tick", RecordTick(
                    onboarding=self._in, tick=self._ticks[0], day=plan_day(starts_at, workflow.now())))
                self._ticks.pop(0)
            now = workflow.now()
            why = finished(plan.items, self._done, now, starts_at)
            if why is not None:
                return why
            upcoming = nudges(plan.items, self._done, self._sent, starts_at)
            for nudge in (n for n in upcoming if n.at <= now):
                self._sent.add(nudge.key)
                self._nudging.append(asyncio.create_task(self._nudge(nudge)))
            wake = min([n.at for n in upcoming if n.at > now] + [last])
            with contextlib.suppress(TimeoutError):  # woken by a tick, or it is time for the next nudge
                await workflow.wait_condition(lambda: bool(self._ticks),
                                              timeout=max(wake - now, timedelta(seconds=1)))

    async def _nudge(self, due: DueNudge) -> None:
        """Send one reminder or escalation, through a review first when the trust ramp samples it."""
        action = review_routing.SEND_REMINDER if due.kind == "reminder" else review_routing.ESCALATE_MISSED_CHECKIN
        route = await self._route(action, NUDGE_PROMPT_VERSION, None)
        if route.review:
            arguments = {"item_id": due.item_id, "kind": due.kind, "step": due.step}
            item = next(i for i in self._plan.items if i.item_id == due.item_id) if self._plan else None
            title = item.title if item else due.item_id
            words = (f"Remind the owner of “{title}” {due.step} day(s) before it is due" if due.kind == "reminder"
                     else f"Tell the level-{due.step} escalation contact that “{title}” was missed")
            _, _, executed = await self._gate(route, action, arguments, explanation=words,
                                                     evidence={"nudge": arguments, "item": title,
                                                               "employee_id": self._in.employee_id,
                                                               "task_id": self._in.task_id})
            if executed is None or due.item_id in self._done:  # rejected, or done while it waited
                return
        if due.item_id not in self._done:
            await self._activity("send_onboarding_nudge", Nudge(
                onboarding=self._in, item_id=due.item_id, kind=due.kind, step=due.step, key=due.key))

    async def _finish(self, status: OnboardingResult, reason: str) -> OnboardingResult:
        self._status = "finishing"  # no tick is taken any more
        for task in self._nudging:  # a reminder still waiting for its review is moot once the plan is over
            if not task.done():
                task.cancel()
        await self._settle_moot_reviews()
        self._status = status
        await self._activity("finish_onboarding", FinishPlan(onboarding=self._in, status=status, reason=reason))
        return status

    async def _settle_moot_reviews(self) -> None:
        for review_id, review in list(self._pending.items()):
            if review_id not in self._decided:
                await self._activity("escalate_review", Escalation(
                    goal_id=self._in.goal_id, review_id=review_id, escalations=review.escalations,
                    parked=False, due_at=review.due_at, default_applied="reject", sets_goal_status=False))

    async def _route(self, action: review_routing.ActionType, prompt_version: str,
                     model: str | None) -> RouteDecision:
        route: RouteDecision = await workflow.execute_activity(
            "route_action", RouteAction(goal_id=self._in.goal_id, action_type=action.name,
                                        prompt_version=prompt_version, model=model),
            result_type=RouteDecision, start_to_close_timeout=_ACTIVITY_TIMEOUT)
        return route

    async def _gate(self, route: RouteDecision, action: review_routing.ActionType, arguments: dict[str, Any], *,
                    explanation: str, evidence: dict[str, Any]) -> tuple[str, Decision | None, dict[str, Any] | None]:
        """Open a review and wait for its decision, or for the policy's default after its SLA (one breach: these
        actions decide about nobody). Returns the review id, the decision (None: the default) and what executes."""
        sla = timedelta(seconds=route.sla_seconds or 2 * 24 * 3600)
        review = ReviewRequest(
            review_id=f"r-{workflow.uuid4().hex[:12]}", goal_id=self._in.goal_id, action_type=action.name,
            arguments=arguments, args_hash=args_hash(arguments), risk_tier=route.risk_tier,
            policy_version=route.policy_version, routed_because=route.because, requested_by=self._in.manager_login,
            due_at=(workflow.now() + sla).isoformat())
        self._pending[review.review_id] = review
        await self._activity("open_review", OpenReview(
            request=review, evidence=evidence, explanation=explanation, goal_status=None,
            sampled=route.review and not route.forced, fingerprint=route.fingerprint or None))
        rid = review.review_id
        default = route.timeout_default
        try:
            await workflow.wait_condition(lambda: rid in self._decided,
                                          timeout=None if default == "park" else sla)
        except TimeoutError:
            if rid not in self._decided:
                await self._activity("escalate_review", Escalation(
                    goal_id=self._in.goal_id, review_id=rid, escalations=1, parked=False, due_at=review.due_at,
                    default_applied=default, sets_goal_status=False))
                self._pending.pop(rid)
                return rid, None, arguments if default == "approve" else None
        self._pending.pop(rid, None)
        decision = self._decided[rid]
        return rid, decision, executed_arguments(review, decision)

    @staticmethod
    async def _activity(name: str, arg: object) -> None:
        await workflow.execute_activity(name, arg, start_to_close_timeout=_ACTIVITY_TIMEOUT)

    @workflow.query
    def state(self) -> OnboardingView:
        """Where the onboarding is."""
        return OnboardingView(status=self._status, done=sorted(self._done),
                              pending_reviews=sorted(r for r in self._pending if r not in self._decided))

    @workflow.update(name=DECIDE_UPDATE)
    async def decide(self, decision: Decision) -> DecisionOutcome:
        """A reviewer's decision on one of this onboarding's reviews; recorded before the update returns."""
        review = self._pending[decision.review_id]
        executed = executed_arguments(review, decision)
        executed_hash = args_hash(executed) if executed is not None else None
        await workflow.execute_activity("record_decision", RecordDecision(
            goal_id=self._in.goal_id, decision=decision, executed_arguments=executed,
            executed_args_hash=executed_hash), start_to_close_timeout=_ACTIVITY_TIMEOUT)
        self._decided[decision.review_id] = decision
        return DecisionOutcome(review_id=decision.review_id, decision=decision.decision,
                               executed_args_hash=executed_hash)

    @decide.validator
    def _validate_decide(self, decision: Decision) -> None:
        review = self._pending.get(decision.review_id)
        if review is None or decision.review_id in self._decided:
            raise ValueError("this review is not waiting for a decision (decided already, or not this onboarding's)")
        if decision.args_hash != review.args_hash:
            raise ValueError("the arguments changed since this review was loaded; reload it")
        if decision.decision == "reject" and not (decision.reason or "").strip():
            raise ValueError("a rejection needs a reason")
        if decision.decision == "edit":
            edited = decision.edited_arguments
            if review.action_type != review_routing.DRAFT_ONBOARDING_PLAN.name or not isinstance(
                    edited, OnboardingPlan):
                raise ValueError("only an onboarding plan can be edited; approve or reject this")
            learning = {i.learning_item_id for i in edited.items if i.learning_item_id}  # the console checked them
            problems = check_onboarding_plan(edited, person_id=self._in.employee_id, catalogue_ids=learning)
            if problems:
                raise ValueError("; ".join(problems))
        validate_attested(review, decision, now=workflow.now(), excluded={self._in.manager_login},
                          concerned={self._in.employee_id})

    @workflow.update(name=TICK_UPDATE)
    async def tick(self, tick: ItemTick) -> list[str]:
        """An item ticked off by its owner; returns the items done once it is stored."""
        self._done[tick.item_id] = tick.actor
        self._ticks.append(tick)
        await workflow.wait_condition(lambda: tick not in self._ticks)
        return sorted(self._done)

    @tick.validator
    def _validate_tick(self, tick: ItemTick) -> None:
        if self._plan is None or self._status != "active":
            raise ValueError("this onboarding plan is not running" + (
                " yet: it waits for its review" if self._status in ("drafting", "in_review") else ""))
        item = next((i for i in self._plan.items if i.item_id == tick.item_id), None)
        if item is None:
            raise ValueError(f"the plan has no item {tick.item_id}")
        if tick.item_id in self._done:
            raise ValueError("this item was ticked off already")
        waiting = blocking(item, self._done)
        if waiting:
            raise ValueError(f"tick off {', '.join(waiting)} first: this item depends on it")
        if tick.outcome is not None and item.kind != "checkin":
            raise ValueError("only a check-in has an outcome")
        verify_act(workflow.info().workflow_id, tick, now=workflow.now())

    @workflow.update(name=PRODUCTIVE_UPDATE)
    async def mark_productive(self, tick: ItemTick) -> str:
        """The goal's manager marks the person productive before the day-90 check-in (``item_id`` is ``-``)."""
        await self._activity("record_onboarding_tick", RecordTick(
            onboarding=self._in, tick=tick, day=plan_day(self._starts_at or workflow.now(), workflow.now())))
        return "productive"

    @mark_productive.validator
    def _validate_productive(self, tick: ItemTick) -> None:
        if self._status != "active":
            raise ValueError("this onboarding plan is not running")
        if tick.item_id != "-" or tick.outcome != "productive":
            raise ValueError("marking someone productive takes item '-' and the outcome 'productive'")
        verify_act(workflow.info().workflow_id, tick, now=workflow.now())
        if tick.actor != self._in.manager_login:
            raise ValueError("only the goal's manager marks the person productive")
