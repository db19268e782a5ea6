"""Onboarding after a move: each person sees the plans they have items in, ticks off what is theirs, and the goal's
manager marks the person productive. Ticks travel to the onboarding workflow by update, signed by this layer once
it checked the actor owns the item (``workflows.move_acts``)."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from infra.store import onboarding
from infra.store.moves import MoveKey
from infra.store.onboarding import CheckinOutcome, ItemState, PlanRecord
from infra.store.users import User
from tools.onboarding import owners
from workflows import attestation, move_acts
from workflows.messages import Via
from workflows.onboarding_messages import PRODUCTIVE_UPDATE, TICK_UPDATE, ItemTick, onboarding_workflow_id
from workflows.onboarding_rules import blocking
from workflows.usecases.context import Services
from workflows.usecases.errors import Conflict, Forbidden, Invalid, NotFound

ROLE_WORDS = {"person": "the person moving", "goal_manager": "the goal's manager", "line_manager": "the line manager",
              "buddy": "the buddy", "hr": "HR"}
"""Each owner role in words."""
NOTE_MAX = 1000
"""Longest note kept with a ticked item."""


class ItemView(ItemState):
    """An item as one user sees it."""

    due_on: date | None
    """Its due date (None before the plan starts)."""
    yours: bool
    """Whether the user owns it today."""
    waiting_for: list[str]
    """Items to tick off first."""


class PlanView(BaseModel):
    """A plan as one user sees it."""

    plan: PlanRecord
    """The plan."""
    items: list[ItemView]
    """Its items."""
    is_goal_manager: bool
    """Whether the user manages the goal (may mark the person productive)."""


async def _plan_view(svc: Services, user: User, plan: PlanRecord, goal_manager: str) -> PlanView:
    key = MoveKey(goal_id=plan.goal_id, task_id=plan.task_id, employee_id=plan.employee_id)
    async with svc.pool.acquire() as conn:
        states = await onboarding.items(conn, key)
        mine: dict[str, bool] = {}
        for role in {s.item.owner_role for s in states}:
            found = await owners.owners(conn, role, person_id=plan.employee_id, buddy_id=plan.buddy_id,
                                        goal_manager=goal_manager)
            mine[role] = any(o.login == user.login for o in found)
    done = {s.item.item_id for s in states if s.done_at is not None}
    items = [ItemView(**s.model_dump(), yours=mine[s.item.owner_role], waiting_for=blocking(s.item, done),
                      due_on=plan.starts_on + timedelta(days=s.item.due_day)
                      if plan.starts_on else None) for s in states]
    return PlanView(plan=plan, items=items, is_goal_manager=user.login == goal_manager)


async def my_onboarding(svc: Services, user: User) -> list[PlanView]:
    """The running and finished plans ``user`` has a part in (as the person, buddy, line manager or goal manager)."""
    plans = await onboarding.involving(svc.pool, user.employee_id or "", user.login)
    views = []
    for plan in plans:
        manager = await _goal_manager(svc, plan.goal_id)
        views.append(await _plan_view(svc, user, plan, manager))
    return views


async def _goal_manager(svc: Services, goal_id: str) -> str:
    manager: str = await svc.pool.fetchval("SELECT manager_login FROM goals WHERE goal_id = $1", goal_id)
    return manager


async def onboarding_of_goal(svc: Services, goal_id: str) -> list[PlanRecord]:
    """The plans of a goal's people (for the goal's page)."""
    return await onboarding.for_goal(svc.pool, goal_id)


async def tick_item(svc: Services, user: User, *, goal_id: str, task_id: str, employee_id: str, item_id: str,
                    outcome: CheckinOutcome | None = None, note: str | None = None, via: Via = "console") -> list[str]:
    """``user`` ticks off an item they own; the plan's items done afterwards.

    Raises:
        NotFound: No such plan or item.
        Forbidden: The item is not ``user``'s (another person's, or another role's).
        Invalid: An outcome on an item that is not a check-in, or a note that is too long.
        Conflict: The plan is not running, the item was ticked off already, or it waits for another item.
    """
    key = MoveKey(goal_id=goal_id, task_id=task_id, employee_id=employee_id)
    plan = await onboarding.get(svc.pool, key)
    if plan is None:
        raise NotFound("there is no onboarding plan for this assignment")
    view = await _plan_view(svc, user, plan, await _goal_manager(svc, goal_id))
    item = next((i for i in view.items if i.item.item_id == item_id), None)
    if item is None:
        raise NotFound(f"the plan has no item {item_id}")
    if not item.yours and user.role != "admin":
        raise Forbidden(f"“{item.item.title}” is for {ROLE_WORDS[item.item.owner_role]}, not for you")
    if plan.status != "active":
        raise Conflict("this onboarding plan is not running" + (" yet" if plan.status in ("drafted", "in_review")
                                                                 else ""))
    if item.done_at is not None:
        raise Conflict("this item was ticked off already")
    if item.waiting_for:
        raise Conflict(f"tick off {', '.join(item.waiting_for)} first: this item depends on it")
    if outcome is not None and item.item.kind != "checkin":
        raise Invalid("only a check-in has an outcome")
    text = " ".join((note or "").split()) or None
    if text is not None and len(text) > NOTE_MAX:
        raise Invalid(f"the note is too long ({len(text)} characters; at most {NOTE_MAX})")
    tick = ItemTick(item_id=item_id, actor=user.login, outcome=outcome, note=text, via=via)
    done: list[str] = await _send(svc, key, TICK_UPDATE, tick, user)
    return done


async def mark_productive(svc: Services, user: User, *, goal_id: str, task_id: str, employee_id: str,
                          via: Via = "console") -> None:
    """The goal's manager marks the person productive on the task (their time to productivity ends today).

    Raises:
        NotFound: No such plan.
        Forbidden: ``user`` is not the goal's manager.
        Conflict: The plan is not running, or the person was marked productive already.
    """
    key = MoveKey(goal_id=goal_id, task_id=task_id, employee_id=employee_id)
    plan = await onboarding.get(svc.pool, key)
    if plan is None:
        raise NotFound("there is no onboarding plan for this assignment")
    if user.login != await _goal_manager(svc, goal_id):
        raise Forbidden("only the goal's manager marks the person productive")
    if plan.productive_on is not None:
        raise Conflict(f"{plan.person_name} was marked productive on {plan.productive_on:%d %b %Y} already")
    if plan.status != "active":
        raise Conflict("this onboarding plan is not running")
    await _send(svc, key, PRODUCTIVE_UPDATE, ItemTick(item_id="-", actor=user.login, outcome="productive", via=via),
                user)


async def _send(svc: Services, key: MoveKey, update: str, tick: ItemTick, user: User) -> list[str]:
    workflow_id = onboarding_workflow_id(key.goal_id, key.task_id, key.employee_id)
    signed = move_acts.attest(workflow_id, tick, key=attestation.decision_key(svc.settings.secret()),
                              actor_employee_id=user.employee_id)
    try:
        result = await svc.temporal().get_workflow_handle(workflow_id).execute_update(update, signed)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        raise Conflict(getattr(cause, "message", None) or str(cause or err)) from err
    except RPCError as err:
        raise Conflict(f"this onboarding is not taking updates: {err.message}") from err
    return list(result) if isinstance(result, list) else []
