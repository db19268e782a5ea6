"""Activities of the move workflow: every write of a person's move, each with its audit event and notifications.

Each transition is guarded by the state it leaves (``infra.store.moves``): a retried activity finds the row moved
and writes nothing again, and its audit event and notifications are written only with the transition itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from infra import audit
from infra.runtime import get_pool
from infra.store import moves, reviews
from infra.store.moves import Move, MoveKey
from infra.telemetry import current_trace_id
from policies.release import POLICY_VERSION, deadline_words
from workers.notify import Message, tell_employee, tell_login
from workflows.move_messages import (
    AskRelease,
    MoveInput,
    OfferFacts,
    RecordAnswer,
    RecordRelease,
    ReleaseNames,
    SettleRefusal,
)


def _key(move: MoveInput) -> MoveKey:
    return MoveKey(goal_id=move.goal_id, task_id=move.task_id, employee_id=move.employee_id)


def _event(action: str, move: MoveInput, *, actor_type: audit.ActorType = "system", actor: str = "move-workflow",
           **fields: Any) -> audit.AuditEvent:
    info = activity.info()
    payload = {"task_id": move.task_id, "employee_id": move.employee_id, **fields.pop("payload", {})}
    return audit.AuditEvent(
        actor_type=actor_type, actor=actor, action=action, goal_id=move.goal_id, workflow_id=info.workflow_id,
        run_id=info.workflow_run_id, trace_id=current_trace_id(), payload=payload, **fields)


def _event_key(move: MoveInput, what: str) -> str:
    return f"move:{move.goal_id}:{move.task_id}:{move.employee_id}:{what}"


def _share(m: Move) -> str:
    return (f"{round(m.fraction * 100)}% of your time from {m.starts_on:%d %b %Y} to {m.last_day:%d %b %Y}")


async def _load(conn: Any, move: MoveInput) -> Move:
    found = await moves.get(conn, _key(move))
    if found is None:  # the goal's staffing was replaced under the move: nothing to do, and say so
        raise ApplicationError(f"assignment {move.task_id} of {move.employee_id} on goal {move.goal_id} is gone",
                               type="AssignmentGone", non_retryable=True)
    return found


@activity.defn
async def offer_move(move: MoveInput) -> OfferFacts:
    """Tell the person what they are offered and why them; find whom their release must be asked of."""
    async with get_pool().acquire() as conn, conn.transaction():
        m = await _load(conn, move)
        manager = await moves.line_manager_of(conn, move.employee_id)
        if not await moves.mark_offered(conn, _key(move)):  # told already (a retry)
            return _facts(manager)
        told = await tell_employee(conn, move.employee_id, Message(
            subject=f"You are proposed for “{m.task_title}”",
            body=(f"You were proposed for the task “{m.task_title}” of the goal “{m.goal_text}”: {_share(m)}. "
                  f"Why you: {m.reason}. Accept or decline (with a reason) on your My work page."),
            link="/me/work", goal_id=move.goal_id, key=_event_key(move, "offered")))
        await audit.append(conn, _event("move.offered", move, payload={
            "told": told, "line_manager_id": manager.employee_id if manager else None}))
    return _facts(manager)


def _facts(manager: moves.LineManager | None) -> OfferFacts:
    return OfferFacts(line_manager_id=manager.employee_id if manager else None,
                      line_manager_login=manager.login if manager else None)


@activity.defn
async def record_answer(data: RecordAnswer) -> None:
    """Store the person's accept or decline; a decline is told to the goal's manager."""
    move, act = data.move, data.act
    accepted = act.kind == "accept"
    async with get_pool().acquire() as conn, conn.transaction():
        m = await _load(conn, move)
        if not await moves.answer(conn, _key(move), accepted=accepted, reason=act.reason):
            return  # already stored (a retry)
        await audit.append(conn, _event(f"move.{'accepted' if accepted else 'declined'}", move, actor_type="human",
                                        actor=act.actor, payload={"reason": act.reason, "via": act.via}))
        if not accepted:
            await tell_login(conn, move.manager_login, Message(
                subject=f"{m.person_name} declined “{m.task_title}”",
                body=(f"{m.person_name} declined the task “{m.task_title}” of your goal “{m.goal_text}”. "
                      f"Their reason: {act.reason}. talentops proposes someone else; a reviewer approves the choice."),
                link=f"/goals/{move.goal_id}", goal_id=move.goal_id, key=_event_key(move, "declined")))


@activity.defn
async def ask_release(data: AskRelease) -> None:
    """Ask the line manager to release the person by the deadline, and say what silence means."""
    move = data.move
    due = datetime.fromisoformat(data.due_at)
    async with get_pool().acquire() as conn, conn.transaction():
        m = await _load(conn, move)
        if not await moves.ask_release(conn, _key(move), line_manager_id=data.facts.line_manager_id, due_at=due):
            return  # asked already (a retry)
        if data.facts.line_manager_id is not None:
            await tell_employee(conn, data.facts.line_manager_id, Message(
                subject=f"Please release {m.person_name} for “{m.task_title}”",
                body=(f"{m.person_name} accepted the task “{m.task_title}” of the goal “{m.goal_text}”: "
                      f"{round(m.fraction * 100)}% of their time from {m.starts_on:%d %b %Y} to "
                      f"{m.last_day:%d %b %Y}. {deadline_words()} Deadline: {due:%a %d %b %Y %H:%M} UTC. "
                      "A refusal needs a reason and goes to HR."),
                link="/me/team", goal_id=move.goal_id, key=_event_key(move, "release-asked")))
        await audit.append(conn, _event("move.release_requested", move, policy_version=POLICY_VERSION, payload={
            "line_manager_id": data.facts.line_manager_id, "due_at": data.due_at}))


@activity.defn
async def record_release(data: RecordRelease) -> ReleaseNames:
    """Store the release (by the line manager, by silence, by the policy) or the refusal, and tell who must know;
    the people and the task by name."""
    move = data.move
    async with get_pool().acquire() as conn, conn.transaction():
        m = await _load(conn, move)
        manager = await moves.line_manager_of(conn, move.employee_id)
        names = ReleaseNames(person=m.person_name, line_manager=manager.name if manager else data.by,
                             task=m.task_title)
        if not await moves.decide_release(conn, _key(move), released=data.released, by=data.by,
                                          reason=None if data.released else data.reason, by_silence=data.by_silence):
            return names  # already stored (a retry)
        human = data.by != "policy"
        action = "move.released" if data.released else "move.release_refused"
        await audit.append(conn, _event(
            action, move, actor_type="human" if human else "system", actor=data.by, policy_version=POLICY_VERSION,
            payload={"reason": data.reason, "by_silence": data.by_silence, "line_manager_id": data.line_manager_id,
                     "via": data.via}))
        if not data.released:
            await tell_login(conn, move.manager_login, Message(
                subject=f"{m.person_name}'s line manager refused to release them",
                body=(f"The line manager of {m.person_name} refused to release them for “{m.task_title}”. Their "
                      f"reason: {data.reason}. HR reviews the refusal."),
                link=f"/goals/{move.goal_id}", goal_id=move.goal_id, key=_event_key(move, "refused")))
            return names
        if data.by_silence and data.line_manager_id is not None:
            await tell_employee(conn, data.line_manager_id, Message(
                subject=f"{m.person_name} is released for “{m.task_title}” (no answer in time)",
                body=(f"You did not answer the release request for {m.person_name} by its deadline, so the policy "
                      "counts it as a release. This is recorded in the audit trail."),
                link="/me/team", goal_id=move.goal_id, key=_event_key(move, "released-by-silence")))
        await _tell_released(conn, move, m)
    return names


async def _tell_released(conn: Any, move: MoveInput, m: Move) -> None:
    await tell_employee(conn, move.employee_id, Message(
        subject=f"You are released for “{m.task_title}”",
        body=(f"Your move onto “{m.task_title}” is confirmed: {_share(m)}. It is now on your calendar."),
        link="/me/work", goal_id=move.goal_id, key=_event_key(move, "released")))
    await tell_login(conn, move.manager_login, Message(
        subject=f"{m.person_name} is confirmed for “{m.task_title}”",
        body=f"{m.person_name} accepted and is released for “{m.task_title}” of your goal “{m.goal_text}”.",
        link=f"/goals/{move.goal_id}", goal_id=move.goal_id, key=_event_key(move, "confirmed")))


@activity.defn
async def settle_refusal(data: SettleRefusal) -> bool:
    """Apply HR's decision on a refusal as stored with its review (approve or edit: overruled; reject: upheld).

    Raises:
        ApplicationError: The review is not decided (retryable: the signal came early or was forged).
    """
    move = data.move
    async with get_pool().acquire() as conn, conn.transaction():
        review = await reviews.get(conn, data.review_id)
        if review is None or review.goal_id != move.goal_id or review.status in ("pending", "parked"):
            raise ApplicationError(f"review {data.review_id} of this refusal is not decided", type="NotDecided")
        overruled = review.status in ("approved", "edited")
        m = await _load(conn, move)
        if not await moves.settle_refusal(conn, _key(move), overruled=overruled, review_id=data.review_id):
            return overruled  # already applied (a retry)
        await audit.append(conn, _event(
            "move.refusal_overruled" if overruled else "move.refusal_upheld", move, payload={
                "review_id": data.review_id, "decided_by": review.decided_by, "reason": review.reason}))
        if overruled:
            await _tell_released(conn, move, m)
        else:
            await tell_employee(conn, move.employee_id, Message(
                subject=f"You stay in your team: “{m.task_title}” goes to someone else",
                body=(f"Your line manager could not release you for “{m.task_title}” and HR agreed. Thank you for "
                      "accepting; the task is proposed to someone else."),
                link="/me/work", goal_id=move.goal_id, key=_event_key(move, "withdrawn")))
    return overruled


MOVE_ACTIVITIES: list[Callable[..., Any]] = [offer_move, record_answer, ask_release, record_release, settle_refusal]
"""Registered by the worker."""
