"""The certification cadence: one durable workflow per certification period, an AI worker that owns its reminders,
its renewal and what its lapse means for the work the holder is staffed on.

Reminders go out on durable timers at the configured days before expiry (holder; the line manager too from 30 days),
at the lapse (holder, line manager, HR) and when the grace period ends. A renewal the holder submits is checked by
the verification agent (``verify_certification_renewal``, low risk: a reviewer sees it as the trust ramp samples,
and always when a check failed); once verified, the next period starts its own workflow and this one ends. At the
lapse, each assignment whose task needs this certification and runs past the lapse is flagged to HR
(``flag_assignment_certification``, affects people: always reviewed, never decided by default): keep with a renewal
date, replace, or pause.

Deterministic: every read and write is an activity; what falls due when comes from
``policies.certification_cadence``. The registry re-plans a running period by signal (an import, an edit, the daily
reconciliation); business keys make every reminder idempotent across retries and restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from agents.failures import NOT_RETRYABLE
    from infra.arguments import args_hash
    from infra.store.certifications import FlagArguments
    from policies import review_routing
    from policies.certification_cadence import Reminder, reminders
    from workflows.activity_inputs import Escalation, OpenReview, RecordDecision, RouteAction, RouteDecision
    from workflows.certification_messages import (
        CERTIFICATION_WORKFLOW,
        RENEWAL_UPDATE,
        REPLAN_SIGNAL,
        ApplyFlag,
        ApplyRenewal,
        CadenceMark,
        CertificationInput,
        CertificationView,
        FinishPeriod,
        FlagCandidate,
        NextPeriod,
        PeriodFacts,
        PeriodResult,
        ReminderToSend,
        RenewalSubmitted,
        Verification,
        VerifyRenewal,
        workflow_id,
    )
    from workflows.goal_rules import AGENT_STEP_TRIES, executed_arguments, failure_reason, validate_attested
    from workflows.messages import DECIDE_UPDATE, Decision, DecisionOutcome, ReviewRequest
    from workflows.move_acts import verify as verify_act

_ACTIVITY_TIMEOUT = timedelta(seconds=30)
_VERIFY_TIMEOUT = timedelta(minutes=10)
SEND_AT = time(9, 0)
"""Reminders due on a day go out at this time (UTC)."""


def at(day: date) -> datetime:
    """The moment a reminder due on ``day`` goes out."""
    return datetime.combine(day, SEND_AT, tzinfo=UTC)


@workflow.defn(name=CERTIFICATION_WORKFLOW)
class CertificationWorkflow:
    """One period of one person's certification: reminders, renewal, lapse and its flags, to the period's end."""

    @workflow.init
    def __init__(self, cert: CertificationInput) -> None:
        self._in = cert
        self._facts = cert.facts
        self._planned_on = workflow.now().date()
        self._status = "running"
        self._sent: set[str] = set()
        self._renewals: list[RenewalSubmitted] = []
        self._verifying: asyncio.Task[NextPeriod | None] | None = None
        self._next: NextPeriod | None = None
        self._flagging: list[asyncio.Task[None]] = []
        self._flagged = False
        self._pending: dict[str, ReviewRequest] = {}
        self._decided: dict[str, Decision] = {}
        self._excluded: dict[str, set[str | None]] = {}

    @workflow.run
    async def run(self, cert: CertificationInput) -> PeriodResult:
        """Run the period to its end: renewed, expired, revoked or superseded."""
        marked: PeriodFacts | None = None
        while True:
            if self._verifying is not None and self._verifying.done():
                self._next = self._verifying.result()
                self._verifying = None
                if self._next is None:
                    self._renewals.pop(0)
                    self._status = "running"
            if self._facts != marked:  # the registry's reconciliation reads what each period plans on
                marked = self._facts
                await self._activity("mark_certification_cadence", CadenceMark(certification=self._in_now()))
            if self._facts.superseded:
                return await self._finish("superseded")
            if self._facts.revoked and not self._flagged:  # work that needs it is flagged, as at a lapse
                self._flagged = True
                await self._flag_assignments()
            if self._facts.revoked:  # no reminder any more; ends once HR decided the flags
                if not self._busy_flags():
                    return await self._finish("revoked")
                await workflow.wait_condition(self._woken(self._facts, expired=True))
                continue
            if self._next is not None:
                return await self._renewed(self._next)
            if self._renewals and self._verifying is None:
                self._verifying = asyncio.create_task(self._verify(self._renewals[0]))
            now = workflow.now()
            planned = reminders(expires_on=self._facts.expires_on, grace_days=self._facts.grace_days,
                                offsets=self._facts.offsets, planned_on=self._planned_on)
            for due in (r for r in planned if r.key not in self._sent and at(r.on) <= now):
                await self._remind(due)
            if not self._flagged and now >= at(self._facts.expires_on):
                self._flagged = True
                await self._flag_assignments()
            grace_end = at(self._facts.expires_on + timedelta(days=self._facts.grace_days))
            if now >= grace_end and self._verifying is None and not self._busy_flags():
                return await self._finish("expired")
            upcoming = [at(r.on) for r in planned if r.key not in self._sent and at(r.on) > now]
            wake = min([*upcoming, grace_end]) if now < grace_end else None
            with contextlib.suppress(TimeoutError):  # woken by a renewal, a re-plan, a verdict, or the next timer
                await workflow.wait_condition(
                    self._woken(self._facts, expired=now >= grace_end),
                    timeout=max(wake - now, timedelta(seconds=1)) if wake is not None else None)

    def _woken(self, facts: PeriodFacts, *, expired: bool) -> Callable[[], bool]:
        """What ends a wait: new facts, a verdict, a renewal to verify, or (once expired) the last flag settled."""
        def woken() -> bool:
            return (self._facts != facts or self._next is not None
                    or (bool(self._renewals) and self._verifying is None)
                    or (self._verifying is not None and self._verifying.done())
                    or (expired and not self._busy_flags() and self._verifying is None))
        return woken

    def _busy_flags(self) -> bool:
        return any(not t.done() for t in self._flagging)

    async def _remind(self, due: Reminder) -> None:
        self._sent.add(due.key)
        await self._activity("send_certification_reminder", ReminderToSend(
            certification=self._in_now(), key=due.key, kind=due.kind, days_before=due.days_before,
            audience=list(due.audience), sent_on=workflow.now().date()))

    def _in_now(self) -> CertificationInput:
        return self._in.model_copy(update={"facts": self._facts})

    async def _verify(self, submitted: RenewalSubmitted) -> NextPeriod | None:
        """Have the renewal checked; a reviewer sees it when the ramp samples it or a check failed. The next
        period once verified, None when refused."""
        cert = self._in_now()
        try:
            found: Verification = await workflow.execute_activity(
                "verify_certification_renewal", VerifyRenewal(certification=cert, renewal_id=submitted.renewal_id,
                                                              today=workflow.now().date()),
                result_type=Verification, start_to_close_timeout=_VERIFY_TIMEOUT,
                retry_policy=RetryPolicy(maximum_attempts=AGENT_STEP_TRIES, non_retryable_error_types=NOT_RETRYABLE))
        except ActivityError as err:
            found = Verification(renewal_id=submitted.renewal_id, verified=False,
                                 problems=[f"the verification agent failed: {failure_reason(err)}"],
                                 explanation="Nothing was checked automatically.", arguments={},
                                 model=None, prompt_version="none")
        action = review_routing.VERIFY_CERTIFICATION_RENEWAL
        route = await self._route(action, found.prompt_version, found.model, goal_id=None)
        review_id: str | None = None
        decided_by = "verification-agent"
        if route.review or not found.verified:
            if not found.verified:  # a failed check always reaches a person, and is never waved through by a timeout
                forced = {} if route.review else {"review": True, "forced": True,
                                                  "because": "a check failed: " + "; ".join(found.problems)}
                route = route.model_copy(update={"timeout_default": "park", **forced})
            review_id, decision, executed = await self._gate(
                route, action, dict(found.arguments), goal_id=None, requested_by=submitted.actor,
                explanation=found.explanation, excluded={submitted.actor},
                subject=f"Renewal of {self._in.name}", concerns=self._in.employee_id,
                evidence={"renewal_id": submitted.renewal_id, "certification_id": self._in.certification_id,
                          "period": self._in.period, "employee_id": self._in.employee_id,
                          "checks": found.model_dump(mode="json")})
            if executed is None:
                reason = (decision.reason if decision is not None else None) or "; ".join(found.problems) or \
                    "no reviewer accepted it in time"
                await self._activity("refuse_renewal", ApplyRenewal(
                    certification=cert, renewal_id=submitted.renewal_id, review_id=review_id,
                    decided_by=decision.reviewer if decision else "policy-default", reason=reason))
                return None
            decided_by = decision.reviewer if decision else "policy-default"
            found = found.model_copy(update={"arguments": executed})
        self._status = "renewing"
        expires = found.arguments.get("expires_on")
        nxt: NextPeriod = await workflow.execute_activity(
            "apply_renewal", ApplyRenewal(certification=cert, renewal_id=submitted.renewal_id, review_id=review_id,
                                          decided_by=decided_by,
                                          expires_on=date.fromisoformat(expires) if isinstance(expires, str) else None),
            result_type=NextPeriod, start_to_close_timeout=_ACTIVITY_TIMEOUT)
        return nxt

    async def _renewed(self, nxt: NextPeriod) -> PeriodResult:
        """The next period runs its own workflow (unless it never expires); this one ends."""
        for task in self._flagging:  # flags still waiting are moot: the certification is valid again
            if not task.done():
                task.cancel()
        await self._settle_moot_reviews()
        if nxt.facts is not None:
            await workflow.start_child_workflow(
                CERTIFICATION_WORKFLOW, CertificationInput(
                    certification_id=self._in.certification_id, period=nxt.period, employee_id=self._in.employee_id,
                    name=self._in.name, facts=nxt.facts),
                id=workflow_id(self._in.certification_id, nxt.period),
                parent_close_policy=ParentClosePolicy.ABANDON)
        return await self._finish("renewed")

    async def _flag_assignments(self) -> None:
        """Flag each assignment whose task needs this certification past its lapse: one HR review each."""
        found: list[FlagCandidate] = await workflow.execute_activity(
            "find_lapsed_assignments", self._in_now(), result_type=list[FlagCandidate],
            start_to_close_timeout=_ACTIVITY_TIMEOUT)
        for candidate in found:
            self._flagging.append(asyncio.create_task(self._flag(candidate)))

    async def _flag(self, c: FlagCandidate) -> None:
        proposed = FlagArguments(
            goal_id=c.goal_id, task_id=c.task_id, employee_id=c.employee_id,
            certification_id=self._in.certification_id, period=self._in.period,
            outcome="keep" if c.renewal_pending else "pause",
            renew_by=workflow.now().date() + timedelta(days=14) if c.renewal_pending else None)
        action = review_routing.FLAG_ASSIGNMENT_CERTIFICATION
        route = await self._route(action, "certification-flags/1", None, goal_id=c.goal_id)
        what = "was revoked" if self._facts.revoked else f"lapsed on {self._facts.expires_on:%d %B %Y}"
        words = (f"{self._in.name} {what} and “{c.task_title}” needs it until "
                 f"{c.ends_on:%d %B %Y}. " + ("A renewal waits for verification: keep the person until it is in."
                                              if c.renewal_pending else
                                              "No renewal was submitted: pause the work until it is renewed."))
        review_id, decision, executed = await self._gate(
            route, action, proposed.model_dump(mode="json"), goal_id=c.goal_id, requested_by=c.manager_login,
            explanation=words, excluded={c.manager_login}, subject=None, concerns=c.employee_id,
            evidence={"flag": c.model_dump(mode="json"), "certification": self._in.name,
                      "lapsed_on": self._facts.expires_on.isoformat(), "employee_id": c.employee_id,
                      "task_id": c.task_id})
        if executed is None:  # rejected: HR dismisses the flag; nothing about the person changes
            await self._activity("dismiss_certification_flag", ApplyFlag(
                certification=self._in_now(), review_id=review_id, arguments=proposed,
                decided_by=decision.reviewer if decision else "policy-default",
                reason=decision.reason if decision else None))
            return
        await self._activity("apply_certification_flag", ApplyFlag(
            certification=self._in_now(), review_id=review_id, arguments=FlagArguments.model_validate(executed),
            decided_by=decision.reviewer if decision else "policy-default",
            reason=decision.reason if decision else None))

    async def _finish(self, result: PeriodResult) -> PeriodResult:
        self._status = result
        if self._verifying is not None and not self._verifying.done():
            self._verifying.cancel()
        await self._settle_moot_reviews()
        await self._activity("finish_certification_period", FinishPeriod(certification=self._in_now(),
                                                                          result=result))
        return result

    async def _settle_moot_reviews(self) -> None:
        for review_id, review in list(self._pending.items()):
            if review_id not in self._decided:
                await self._activity("escalate_review", Escalation(
                    goal_id=review.goal_id, review_id=review_id, escalations=review.escalations,
                    parked=False, due_at=review.due_at, default_applied="reject", sets_goal_status=False))
                self._pending.pop(review_id)

    async def _route(self, action: review_routing.ActionType, prompt_version: str, model: str | None, *,
                     goal_id: str | None) -> RouteDecision:
        route: RouteDecision = await workflow.execute_activity(
            "route_action", RouteAction(goal_id=goal_id, action_type=action.name, prompt_version=prompt_version,
                                        model=model),
            result_type=RouteDecision, start_to_close_timeout=_ACTIVITY_TIMEOUT)
        return route

    async def _gate(self, route: RouteDecision, action: review_routing.ActionType, arguments: dict[str, Any], *,
                    goal_id: str | None, requested_by: str, explanation: str, excluded: set[str | None],
                    subject: str | None, concerns: str,
                    evidence: dict[str, Any]) -> tuple[str, Decision | None, dict[str, Any] | None]:
        """Open a review and wait for its decision, or its policy's default after the SLA ("park" waits for a
        person however long it takes). The review id, the decision (None: the default) and what executes."""
        sla = timedelta(seconds=route.sla_seconds or 2 * 24 * 3600)
        review = ReviewRequest(
            review_id=f"r-{workflow.uuid4().hex[:12]}", goal_id=goal_id, action_type=action.name,
            arguments=arguments, args_hash=args_hash(arguments), risk_tier=route.risk_tier,
            policy_version=route.policy_version, routed_because=route.because, requested_by=requested_by,
            due_at=(workflow.now() + sla).isoformat(), subject=subject, concerns=concerns)
        rid = review.review_id
        self._pending[rid] = review
        self._excluded[rid] = excluded
        await self._activity("open_review", OpenReview(
            request=review, evidence=evidence, explanation=explanation, goal_status=None,
            sampled=route.review and not route.forced, fingerprint=route.fingerprint or None))
        default = route.timeout_default
        try:
            await workflow.wait_condition(lambda: rid in self._decided, timeout=None if default == "park" else sla)
        except TimeoutError:
            if rid not in self._decided:
                await self._activity("escalate_review", Escalation(
                    goal_id=goal_id, review_id=rid, escalations=1, parked=False, due_at=review.due_at,
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
    def state(self) -> CertificationView:
        """Where the period's cadence is."""
        return CertificationView(status="verifying" if self._verifying is not None else self._status,
                                 facts=self._facts, sent=sorted(self._sent),
                                 pending_reviews=sorted(r for r in self._pending if r not in self._decided))

    @workflow.signal(name=REPLAN_SIGNAL)
    def replan(self, facts: PeriodFacts) -> None:
        """The registry changed (an import, an edit, the daily reconciliation): plan on these facts from now."""
        if facts != self._facts:
            self._facts = facts
            self._planned_on = workflow.now().date()

    @workflow.update(name=RENEWAL_UPDATE)
    async def submit_renewal(self, submitted: RenewalSubmitted) -> str:
        """A renewal the holder submitted (stored by the application layer); verification starts at once."""
        self._renewals.append(submitted)
        return self._status

    @submit_renewal.validator
    def _validate_renewal(self, submitted: RenewalSubmitted) -> None:
        a = verify_act(workflow.info().workflow_id, submitted, now=workflow.now())
        if a.actor_employee_id != self._in.employee_id:
            raise ValueError("only the holder renews their certification")
        if self._status not in ("running",) or self._renewals or self._verifying is not None:
            raise ValueError("a renewal is already being verified, or this period has ended")

    @workflow.update(name=DECIDE_UPDATE)
    async def decide(self, decision: Decision) -> DecisionOutcome:
        """A reviewer's decision on one of this period's reviews; recorded before the update returns."""
        review = self._pending[decision.review_id]
        executed = executed_arguments(review, decision)
        executed_hash = args_hash(executed) if executed is not None else None
        await workflow.execute_activity("record_decision", RecordDecision(
            goal_id=review.goal_id, decision=decision, executed_arguments=executed,
            executed_args_hash=executed_hash), start_to_close_timeout=_ACTIVITY_TIMEOUT)
        self._decided[decision.review_id] = decision
        return DecisionOutcome(review_id=decision.review_id, decision=decision.decision,
                               executed_args_hash=executed_hash)

    @decide.validator
    def _validate_decide(self, decision: Decision) -> None:
        review = self._pending.get(decision.review_id)
        if review is None or decision.review_id in self._decided:
            raise ValueError("this review is not waiting for a decision (decided already, or not this period's)")
        if decision.args_hash != review.args_hash:
            raise ValueError("the arguments changed since this review was loaded; reload it")
        if decision.decision == "reject" and not (decision.reason or "").strip():
            raise ValueError("a rejection needs a reason")
        if decision.decision == "edit":
            edited = decision.edited_arguments
            if review.action_type != review_routing.FLAG_ASSIGNMENT_CERTIFICATION.name or not isinstance(
                    edited, FlagArguments):
                raise ValueError("only a flag's outcome can be changed; approve or reject this")
            original = FlagArguments.model_validate(review.arguments)
            if edited.model_copy(update={"outcome": original.outcome, "renew_by": original.renew_by}) != original:
                raise ValueError("an edit changes the outcome and its renewal date, nothing else")
            if edited.outcome == "keep" and (edited.renew_by is None or edited.renew_by <= workflow.now().date()):
                raise ValueError("keeping the person needs a renewal date in the future")
        validate_attested(review, decision, now=workflow.now(), excluded=self._excluded.get(decision.review_id, set()),
                          concerned={self._in.employee_id})
