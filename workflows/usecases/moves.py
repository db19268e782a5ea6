"""After staffing: the staffed person answers, their line manager releases, everybody reads their inbox.

The answer and the release travel to the move's workflow by update, signed by this layer
(``workflows.move_acts``): the workflow checks again that the actor is the person (or their line manager).
"""

from __future__ import annotations

from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from infra.store import moves, notifications
from infra.store.assignments import MoveState
from infra.store.moves import MoveKey, ReleaseCounts, ReleaseRequest
from infra.store.notifications import Notification
from infra.store.users import User
from workflows import attestation, move_acts
from workflows.messages import Via
from workflows.move_messages import ANSWER_UPDATE, RELEASE_UPDATE, MoveAct, move_workflow_id
from workflows.usecases.context import Services
from workflows.usecases.errors import Conflict, Forbidden, Invalid, NotFound

STATE_WORDS: dict[str, str] = {
    "offered": "Waiting for your answer",
    "accepted": "Accepted; waiting for the line manager's release",
    "declined": "Declined",
    "released": "Confirmed",
    "refused": "Release refused; HR is reviewing it",
    "withdrawn": "Withdrawn (the line manager's refusal was upheld)",
}
"""Each move state in words."""
REASON_MAX = 1000
"""Longest reason kept for a decline or a refusal."""


def _employee_of(user: User) -> str:
    if not user.employee_id:
        raise NotFound("your login has no employee record, so nobody can staff you or report to you")
    return user.employee_id


def _reason(reason: str | None, needed: bool, what: str) -> str | None:
    text = " ".join((reason or "").split())
    if needed and not text:
        raise Invalid(f"{what} needs a reason")
    if len(text) > REASON_MAX:
        raise Invalid(f"the reason is too long ({len(text)} characters; at most {REASON_MAX})")
    return text or None


async def answer_assignment(svc: Services, user: User, *, goal_id: str, task_id: str, accept: bool,
                            reason: str | None = None, via: Via = "console") -> MoveState:
    """``user`` accepts or declines the task they are staffed on; the state the move is in afterwards.

    Raises:
        NotFound: ``user`` is not staffed on that task (including somebody else's assignment).
        Invalid: A decline without a reason.
        Conflict: The assignment was answered already, or its move is not running.
    """
    employee_id = _employee_of(user)
    text = _reason(reason, not accept, "a decline")
    move = await moves.get(svc.pool, MoveKey(goal_id=goal_id, task_id=task_id, employee_id=employee_id))
    if move is None:
        raise NotFound(f"you are not staffed on task {task_id} of goal {goal_id}")
    if move.state != "offered":
        raise Conflict(f"you answered this assignment already ({STATE_WORDS[move.state].lower()})")
    act = MoveAct(kind="accept" if accept else "decline", actor=user.login, reason=text, via=via)
    return await _send(svc, move_workflow_id(goal_id, task_id, employee_id), ANSWER_UPDATE, act, employee_id)


async def decide_release(svc: Services, user: User, *, goal_id: str, task_id: str, employee_id: str, release: bool,
                         reason: str | None = None, via: Via = "console") -> MoveState:
    """``user``, the person's line manager, releases them for the task or refuses (with a reason, for HR).

    Raises:
        NotFound: No such assignment.
        Forbidden: The person is not in ``user``'s team (they are not the one asked).
        Invalid: A refusal without a reason.
        Conflict: No release is waiting (not asked yet, or answered already).
    """
    own_id = _employee_of(user)
    text = _reason(reason, not release, "a refusal")
    move = await moves.get(svc.pool, MoveKey(goal_id=goal_id, task_id=task_id, employee_id=employee_id))
    if move is None:
        raise NotFound(f"{employee_id} is not staffed on task {task_id} of goal {goal_id}")
    if move.line_manager_id != own_id:
        if move.line_manager_id is None and move.state == "offered":
            raise Conflict("the person has not accepted yet, so no release is asked")
        raise Forbidden(f"{move.person_name} is not in your team: only their line manager releases them")
    if move.state != "accepted":
        raise Conflict(f"no release is waiting for {move.person_name} ({STATE_WORDS[move.state].lower()})")
    act = MoveAct(kind="release" if release else "refuse", actor=user.login, reason=text, via=via)
    return await _send(svc, move_workflow_id(goal_id, task_id, employee_id), RELEASE_UPDATE, act, own_id)


async def _send(svc: Services, workflow_id: str, update: str, act: MoveAct, actor_employee_id: str) -> MoveState:
    signed = move_acts.attest(workflow_id, act, key=attestation.decision_key(svc.settings.secret()),
                              actor_employee_id=actor_employee_id)
    try:
        state: MoveState = await svc.temporal().get_workflow_handle(workflow_id).execute_update(
            update, signed, result_type=str)
        return state
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        raise Conflict(getattr(cause, "message", None) or str(cause or err)) from err
    except RPCError as err:
        raise Conflict(f"this assignment's move is not taking answers: {err.message}") from err


async def team_releases(svc: Services, user: User) -> list[ReleaseRequest]:
    """The releases asked of ``user`` as a line manager (waiting first); empty when nobody reports to them."""
    return await moves.for_line_manager(svc.pool, _employee_of(user))


async def my_release_counts(svc: Services, user: User) -> ReleaseCounts | None:
    """How ``user`` answered release requests (None: none was asked of them)."""
    found = await moves.release_counts(svc.pool, _employee_of(user))
    return found[0] if found else None


async def release_counts(svc: Services, user: User) -> list[ReleaseCounts]:
    """Release and refusal counts of every line manager (admins and reviewers).

    Raises:
        Forbidden: ``user`` is neither an admin nor a reviewer.
    """
    if user.role not in ("admin", "reviewer"):
        raise Forbidden("only admins and reviewers see every manager's releases")
    return await moves.release_counts(svc.pool)


async def inbox(svc: Services, user: User) -> tuple[list[Notification], int]:
    """``user``'s latest notifications (newest first) and how many are unread."""
    async with svc.pool.acquire() as conn:
        return await notifications.for_recipient(conn, user.login), await notifications.unread_count(conn, user.login)


async def unread(svc: Services, user: User) -> int:
    """How many of ``user``'s notifications are unread."""
    return await notifications.unread_count(svc.pool, user.login)


async def mark_read(svc: Services, user: User, notification_id: int | None = None) -> int:
    """Mark one of ``user``'s notifications read (or all); how many changed.

    Raises:
        NotFound: ``notification_id`` is not one of ``user``'s unread notifications.
    """
    async with svc.pool.acquire() as conn:
        changed = await notifications.mark_read(conn, user.login, notification_id)
    if notification_id is not None and not changed:
        raise NotFound("no such unread notification of yours")
    return changed
