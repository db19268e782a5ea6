"""The move workflow: one staffed person on one task, from the offer to their release (then their onboarding runs,
as a workflow of its own: ``workflows.onboarding``).

Started by the goal workflow for every approved assignment. The person accepts or declines (a decline, with its
reason, goes back to the goal, which proposes someone else through a review); once they accept, their line manager
is asked to release them by a deadline of working days. Silence past the deadline counts as release (the request
said so, and it is audited); a refusal needs a reason and goes to HR through the goal's review gate. The goal
workflow is told of every outcome by signal.

Deterministic: every write is an activity; the answers arrive by update, signed by the application layer.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from infra.store.assignments import MoveState
    from policies.release import release_deadline
    from workflows.move_acts import verify as verify_act
    from workflows.move_messages import (
        ANSWER_UPDATE,
        HR_DECIDED_SIGNAL,
        MOVE_EVENT_SIGNAL,
        MOVE_WORKFLOW,
        RELEASE_UPDATE,
        AskRelease,
        HrDecided,
        MoveAct,
        MoveEvent,
        MoveEventKind,
        MoveInput,
        MoveView,
        OfferFacts,
        RecordAnswer,
        RecordRelease,
        ReleaseNames,
        SettleRefusal,
    )
    from workflows.onboarding_messages import ONBOARDING_WORKFLOW, OnboardingInput, onboarding_workflow_id

_ACTIVITY_TIMEOUT = timedelta(seconds=30)


@workflow.defn(name=MOVE_WORKFLOW)
class MoveWorkflow:
    """One person's move onto one task: their answer, their line manager's release, HR's word on a refusal."""

    @workflow.init
    def __init__(self, move: MoveInput) -> None:
        # the input is kept here, not in run: an answer may arrive before run starts, and its validator needs it
        self._move = move
        self._state: MoveState = "offered"
        self._facts: OfferFacts | None = None
        self._due_at: str | None = None
        self._answer: MoveAct | None = None
        self._release: MoveAct | None = None
        self._hr: HrDecided | None = None

    @workflow.run
    async def run(self, move: MoveInput) -> MoveState:
        """Run the move until the person is released, declined or withdrawn."""
        facts = self._facts = await workflow.execute_activity(
            "offer_move", move, result_type=OfferFacts, start_to_close_timeout=_ACTIVITY_TIMEOUT)
        # the person's silence is never taken as a yes: the offer waits (the console shows it, reminders later)
        await workflow.wait_condition(lambda: self._answer is not None)
        assert self._answer is not None
        await self._activity("record_answer", RecordAnswer(move=move, act=self._answer))
        if self._answer.kind == "decline":
            self._state = "declined"
            await self._tell_goal("declined", self._answer.reason, self._answer.actor)
            return self._state
        self._state = "accepted"
        if facts.line_manager_login is None:  # nobody can be asked: the policy releases, and says why
            await self._activity("record_release", RecordRelease(
                move=move, released=True, by="policy", line_manager_id=facts.line_manager_id,
                reason="nobody above them in the org chart can sign in to release them"))
        elif await self._release_answered(move, facts):
            assert self._release is not None
            released = self._release.kind == "release"
            recorded = await workflow.execute_activity(
                "record_release", RecordRelease(
                    move=move, released=released, by=self._release.actor, reason=self._release.reason,
                    line_manager_id=facts.line_manager_id, via=self._release.via),
                start_to_close_timeout=_ACTIVITY_TIMEOUT)
            if not released:
                self._state = "refused"
                # names for HR's review (histories from before they were returned have none)
                names = ReleaseNames.model_validate(recorded) if recorded else None
                await self._tell_goal("refused", self._release.reason, self._release.actor, names)
                await workflow.wait_condition(lambda: self._hr is not None)
                assert self._hr is not None
                overruled: bool = await workflow.execute_activity(
                    "settle_refusal", SettleRefusal(move=move, review_id=self._hr.review_id), result_type=bool,
                    start_to_close_timeout=_ACTIVITY_TIMEOUT)
                if not overruled:
                    self._state = "withdrawn"
                    await self._tell_goal("withdrawn", self._release.reason, self._release.actor)
                    return self._state
        else:
            await self._activity("record_release", RecordRelease(
                move=move, released=True, by="policy", by_silence=True, line_manager_id=facts.line_manager_id,
                reason="the line manager did not answer by the deadline; the policy counts silence as release"))
        self._state = "released"
        await self._tell_goal("released", None, None)
        if workflow.patched("onboarding-after-release"):  # an AI worker now runs the person's move onto the task
            await workflow.start_child_workflow(
                ONBOARDING_WORKFLOW, OnboardingInput(goal_id=move.goal_id, task_id=move.task_id,
                                                     employee_id=move.employee_id, manager_login=move.manager_login),
                id=onboarding_workflow_id(move.goal_id, move.task_id, move.employee_id),
                parent_close_policy=ParentClosePolicy.ABANDON)
        return self._state

    async def _release_answered(self, move: MoveInput, facts: OfferFacts) -> bool:
        """Ask for the release and wait until the deadline; whether the line manager answered in time."""
        due = release_deadline(workflow.now(), move.release_working_days)
        self._due_at = due.isoformat()
        await self._activity("ask_release", AskRelease(move=move, facts=facts, due_at=self._due_at))
        try:
            await workflow.wait_condition(lambda: self._release is not None, timeout=due - workflow.now())
        except TimeoutError:
            return self._release is not None
        return True

    async def _tell_goal(self, kind: MoveEventKind, reason: str | None, actor: str | None,
                         names: ReleaseNames | None = None) -> None:
        goal = workflow.get_external_workflow_handle(self._move.goal_workflow_id)
        await goal.signal(MOVE_EVENT_SIGNAL, MoveEvent(
            task_id=self._move.task_id, employee_id=self._move.employee_id, kind=kind, reason=reason, actor=actor,
            names=names))

    @staticmethod
    async def _activity(name: str, arg: object) -> None:
        await workflow.execute_activity(name, arg, start_to_close_timeout=_ACTIVITY_TIMEOUT)

    @workflow.query
    def state(self) -> MoveView:
        """Where the move is."""
        return MoveView(state=self._state, line_manager_id=self._facts.line_manager_id if self._facts else None,
                        release_due_at=self._due_at)

    @workflow.update(name=ANSWER_UPDATE)
    async def answer(self, act: MoveAct) -> MoveState:
        """The person accepts or declines; their answer is taken at once (stored by the run)."""
        self._answer = act
        await workflow.wait_condition(lambda: self._state != "offered")
        return self._state

    @answer.validator
    def _validate_answer(self, act: MoveAct) -> None:
        if act.kind not in ("accept", "decline"):
            raise ValueError("the person answers with accept or decline")
        if self._answer is not None or self._state != "offered":
            raise ValueError("this assignment was already answered")
        if act.kind == "decline" and not (act.reason or "").strip():
            raise ValueError("a decline needs a reason")
        facts = verify_act(workflow.info().workflow_id, act, now=workflow.now())
        if facts.actor_employee_id != self._move.employee_id:
            raise ValueError("only the person staffed can accept or decline this assignment")

    @workflow.update(name=RELEASE_UPDATE)
    async def release(self, act: MoveAct) -> MoveState:
        """The line manager releases or refuses; their answer is taken at once."""
        self._release = act
        await workflow.wait_condition(lambda: self._state != "accepted")
        return self._state

    @release.validator
    def _validate_release(self, act: MoveAct) -> None:
        if act.kind not in ("release", "refuse"):
            raise ValueError("the line manager answers with release or refuse")
        if self._state != "accepted" or self._due_at is None:
            raise ValueError("no release is waiting for an answer on this assignment")
        if self._release is not None:
            raise ValueError("this release was already answered")
        if act.kind == "refuse" and not (act.reason or "").strip():
            raise ValueError("a refusal needs a reason")
        facts = verify_act(workflow.info().workflow_id, act, now=workflow.now())
        if self._facts is None or facts.actor_employee_id != self._facts.line_manager_id:
            raise ValueError("only the person's line manager can release or refuse them")

    @workflow.signal(name=HR_DECIDED_SIGNAL)
    def hr_decided(self, decided: HrDecided) -> None:
        """HR decided the review of the refusal (the decision itself is read from Postgres)."""
        if self._state == "refused":
            self._hr = decided
