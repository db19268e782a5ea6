"""Activities of the onboarding workflow: drafting (the onboarding agent), starting, ticking off, nudging and
finishing a person's plan, each with its audit event and notifications (business keys: nothing twice)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic_ai.exceptions import AgentRunError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from agents import onboarding as onboarding_agent
from agents.models import AgentModel, served_model
from infra import audit, idempotency
from infra.db import Connection
from infra.runtime import get_pool
from infra.store import onboarding
from infra.store.moves import MoveKey
from infra.store.onboarding import OnboardingPlan
from infra.telemetry import current_trace_id
from policies.onboarding_checks import check_onboarding_plan
from tools.onboarding import owners
from tools.onboarding.context import OnboardingContext, gather
from tools.people.skill_levels import recompute_employee_skills
from workers.agent_runs import heartbeating, step_failed
from workers.notify import Message, tell_login
from workflows.activity_inputs import AgentStep
from workflows.onboarding_messages import (
    DraftedPlan,
    FinishPlan,
    Nudge,
    OnboardingInput,
    RecordTick,
    StartedPlan,
    StartPlan,
)

DAY_STARTS = time(9, 0, tzinfo=UTC)
"""Day 0 of a plan begins at 09:00 UTC of its start date (reminders go out then)."""
EVIDENCE_SOURCE = "onboarding"
"""Source of the skill evidence completed items add."""


def _key(o: OnboardingInput) -> MoveKey:
    return MoveKey(goal_id=o.goal_id, task_id=o.task_id, employee_id=o.employee_id)


def _event(action: str, o: OnboardingInput, *, actor_type: audit.ActorType = "system",
           actor: str = "onboarding-workflow", payload: dict[str, Any] | None = None,
           **fields: Any) -> audit.AuditEvent:
    info = activity.info()
    return audit.AuditEvent(
        actor_type=actor_type, actor=actor, action=action, goal_id=o.goal_id, workflow_id=info.workflow_id,
        run_id=info.workflow_run_id, trace_id=current_trace_id(),
        payload={"task_id": o.task_id, "employee_id": o.employee_id, **(payload or {})}, **fields)


def _business_key(o: OnboardingInput, what: str) -> str:
    return f"onboarding:{o.goal_id}:{o.task_id}:{o.employee_id}:{what}"


async def _start_date(conn: Connection, o: OnboardingInput) -> date:
    """The assignment's first day, or today when that has passed (a move released late starts now)."""
    starts: date = await conn.fetchval(
        "SELECT starts_on FROM assignments WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3",
        o.goal_id, o.task_id, o.employee_id)
    return max(starts, datetime.now(UTC).date())


def drafting_activity(model: AgentModel | None) -> Callable[..., Any]:
    """The ``draft_onboarding_plan`` activity, drafting with ``model`` (None or offline: the offline drafter)."""

    @activity.defn(name="draft_onboarding_plan")
    async def draft_onboarding_plan(o: OnboardingInput) -> DraftedPlan:
        """Draft the person's plan from their skills gap; it passes the product's checks or fails with why.

        A retry after the first execution committed returns that execution's plan, without drafting again: a model
        (or another day's start date) could draft another plan than the one stored and audited.
        """
        async with get_pool().acquire() as conn:
            if (earlier := await idempotency.recall(conn)) is not None:
                return DraftedPlan.model_validate(earlier)
            ctx = await gather(conn, _key(o), starts_on=await _start_date(conn, o))
        async with heartbeating():
            if model is None or model.offline:
                plan, served, name = onboarding_agent.draft_offline(ctx), None, model.name if model else "local-planner"
            else:
                plan, served = await _draft_with_model(model, ctx)
                name = model.name
        problems = check_onboarding_plan(plan, person_id=o.employee_id,
                                         catalogue_ids={m.item.item_id for m in ctx.catalogue})
        if problems:
            raise ApplicationError("the onboarding plan failed the product's checks: " + "; ".join(problems),
                                   type="OnboardingCheckFailed", non_retryable=True)
        step = AgentStep(model=name, prompt_version=onboarding_agent.PROMPT_VERSION, tool_calls=[
            {"tool": "gather_onboarding_context", "args": {"gap": ctx.gap_skills, "catalogue": len(ctx.catalogue),
                                                           "buddies": [b.employee_id for b in ctx.buddies]}}],
                         served_model=served)
        drafted = DraftedPlan(plan=plan, step=step)
        async with get_pool().acquire() as conn, conn.transaction():
            if not await idempotency.claim(conn) and (earlier := await idempotency.recall(conn)) is not None:
                return DraftedPlan.model_validate(earlier)  # an attempt running alongside stored its plan first
            await idempotency.remember(conn, drafted.model_dump(mode="json"))
            await onboarding.save_draft(conn, _key(o), plan, drafted_by=name, status="drafted")
            await audit.append(conn, _event(
                "agent.draft_onboarding_plan", o, actor_type="agent", actor="draft_onboarding_plan", model=name,
                prompt_version=step.prompt_version, args_hash=audit.args_hash(plan.model_dump(mode="json")),
                payload={"output": plan.model_dump(mode="json"), "tool_calls": step.tool_calls}))
        return drafted

    return draft_onboarding_plan


async def _draft_with_model(model: AgentModel, ctx: OnboardingContext) -> tuple[OnboardingPlan, str | None]:
    deps = onboarding_agent.DraftDeps(context=ctx)
    try:
        result = await onboarding_agent.drafting_agent(model).run(onboarding_agent.draft_prompt(ctx), deps=deps)
    except (AgentRunError, OSError, TimeoutError) as err:
        raise step_failed(err, model, deps.problems) from err
    return result.output, served_model(result.all_messages(), model.name)


@activity.defn
async def start_onboarding(data: StartPlan) -> StartedPlan:
    """Make the reviewed plan run from its start date and tell each owner what is theirs."""
    o, plan = data.onboarding, data.plan
    async with get_pool().acquire() as conn, conn.transaction():
        starts_on = await _start_date(conn, o)
        started = await onboarding.start(conn, _key(o), plan, starts_on=starts_on, review_id=data.review_id)
        stored = await onboarding.get(conn, _key(o))
        assert stored is not None and stored.starts_on is not None
        if started:
            for role in sorted({i.owner_role for i in plan.items}):
                mine = [i for i in plan.items if i.owner_role == role]
                for owner in await owners.owners(conn, role, person_id=o.employee_id, buddy_id=plan.buddy_id,
                                                 goal_manager=o.manager_login):
                    await tell_login(conn, owner.login, Message(
                        subject=f"Onboarding of {stored.person_name} onto “{stored.task_title}”: your items",
                        body=(f"{stored.person_name}'s 30-60-90 plan for “{stored.task_title}” starts on "
                              f"{stored.starts_on:%d %b %Y}. Yours: " +
                              "; ".join(f"{i.title} (day {i.due_day})" for i in mine) + "."),
                        link="/me/onboarding", goal_id=o.goal_id, key=_business_key(o, f"started:{role}")))
            await audit.append(conn, _event("onboarding.started", o, payload={
                "starts_on": stored.starts_on.isoformat(), "review_id": data.review_id,
                "items": len(plan.items), "buddy_id": plan.buddy_id}))
    return StartedPlan(starts_at=datetime.combine(stored.starts_on, DAY_STARTS).isoformat())


@activity.defn
async def record_onboarding_tick(data: RecordTick) -> None:
    """Store a ticked item (learning and practice become dated skill evidence) or the person marked productive."""
    o, tick = data.onboarding, data.tick
    key = _key(o)
    async with get_pool().acquire() as conn, conn.transaction():
        plan = await onboarding.get(conn, key)
        # the workflow's day, not this machine's: a replayed or late activity records the day it happened
        today = plan.starts_on + timedelta(days=data.day) if plan and plan.starts_on else datetime.now(UTC).date()
        productive = tick.outcome == "productive"
        if tick.item_id == "-":
            if await onboarding.mark_productive(conn, key, on=today, by=tick.actor):
                await audit.append(conn, _event("onboarding.productive", o, actor_type="human", actor=tick.actor,
                                                payload={"day": data.day, "via": tick.via}))
            return
        if not await onboarding.complete_item(conn, key, tick.item_id, by=tick.actor, outcome=tick.outcome,
                                              note=tick.note):
            return  # stored already (a retry)
        item = next(s.item for s in await onboarding.items(conn, key) if s.item.item_id == tick.item_id)
        evidenced = item.skills if item.kind in ("learning", "practice") else []
        if evidenced:
            task_title = await conn.fetchval("SELECT title FROM tasks WHERE goal_id = $1 AND task_id = $2",
                                             o.goal_id, o.task_id)
            await conn.executemany(
                "INSERT INTO skill_evidence (employee_id, skill, source, detail, observed_at)"
                " VALUES ($1, $2, $3, $4, now())",
                [(o.employee_id, skill, EVIDENCE_SOURCE, f"{item.title} (onboarding onto “{task_title}”)")
                 for skill in evidenced])
            await recompute_employee_skills(conn, [o.employee_id])
        if productive:
            await onboarding.mark_productive(conn, key, on=today, by=tick.actor)
        await audit.append(conn, _event("onboarding.item_done", o, actor_type="human", actor=tick.actor, payload={
            "item_id": tick.item_id, "day": data.day, "outcome": tick.outcome, "note": tick.note,
            "evidence": evidenced, "via": tick.via}))


@activity.defn
async def send_onboarding_nudge(data: Nudge) -> list[str]:
    """Remind an item's owner (or escalate a missed check-in one level up); once per business key. The logins told
    (empty: the item was done meanwhile, or it was sent already). A retry after the first execution committed
    returns that execution's logins."""
    o = data.onboarding
    key = _key(o)
    async with get_pool().acquire() as conn, conn.transaction():
        if not await idempotency.claim(conn):
            earlier = await idempotency.recall(conn)
            return list(earlier["sent"]) if earlier is not None else []  # None: the first one told nobody
        states = {s.item.item_id: s for s in await onboarding.items(conn, key)}
        plan = await onboarding.get(conn, key)
        state = states.get(data.item_id)
        if state is None or plan is None or state.done_at is not None or plan.status != "active":
            return []
        item = state.item
        if data.kind == "reminder":
            told = await owners.owners(conn, item.owner_role, person_id=o.employee_id, buddy_id=plan.buddy_id,
                                       goal_manager=o.manager_login)
            when = "today" if data.step == 0 else f"in {data.step} day(s)"
            subject = f"Due {when}: {item.title}"
            body = (f"“{item.title}” in {plan.person_name}'s onboarding onto “{plan.task_title}” is due {when}. "
                    "Tick it off in the console once it is done.")
        else:
            told = await _escalation_contacts(conn, o, data.step)
            subject = f"Missed check-in: {item.title} for {plan.person_name}"
            body = (f"The {item.title.lower()} of {plan.person_name}'s onboarding onto “{plan.task_title}” was due on "
                    f"day {item.due_day} and is still open. You are told as escalation level {data.step}.")
        sent: list[str] = []
        for owner in told:
            instead = f" (standing in for {owner.instead_of}, who is no longer available)" if owner.instead_of else ""
            if await tell_login(conn, owner.login, Message(subject=subject, body=body + instead,
                                                           link="/me/onboarding", goal_id=o.goal_id,
                                                           key=_business_key(o, data.key))):
                sent.append(owner.login)
        if sent:
            await audit.append(conn, _event(
                "onboarding.reminder_sent" if data.kind == "reminder" else "onboarding.escalated", o,
                actor_type="agent", actor=f"onboarding-{data.kind}", payload={
                    "item_id": data.item_id, "step": data.step, "key": data.key, "told": sent,
                    "instead_of": [t.instead_of for t in told if t.instead_of]}))
            await idempotency.remember(conn, {"sent": sent})
        return sent


async def _escalation_contacts(conn: Connection, o: OnboardingInput, level: int) -> list[owners.Owner]:
    """Level 1: the goal manager's own manager (up the chain); level 2 (or nobody above): HR."""
    if level == 1:
        manager = await conn.fetchval(
            "SELECT e.manager_id FROM users u JOIN employees e USING (employee_id) WHERE u.login = $1",
            o.manager_login)
        found = await owners.available(conn, manager) if manager else None
        if found is not None:
            return [found]
    return await owners.hr(conn)


@activity.defn
async def finish_onboarding(data: FinishPlan) -> None:
    """End the plan (completed, or rejected by its reviewer) and tell the person and the goal's manager."""
    o = data.onboarding
    async with get_pool().acquire() as conn, conn.transaction():
        if not await onboarding.set_status(conn, _key(o), data.status, reason=data.reason):
            return
        plan = await onboarding.get(conn, _key(o))
        name = plan.person_name if plan else o.employee_id
        title = plan.task_title if plan else o.task_id
        days = f" Time to productivity: {plan.days_to_productive} days." if plan and plan.days_to_productive is not \
            None else ""
        words = "finished" if data.status == "completed" else "was not started"
        for login in {o.manager_login, *await _logins(conn, o.employee_id)}:
            await tell_login(conn, login, Message(
                subject=f"The onboarding of {name} onto “{title}” {words}",
                body=f"{data.reason[:1].upper()}{data.reason[1:]}.{days}", link="/me/onboarding", goal_id=o.goal_id,
                key=_business_key(o, f"finished:{data.status}")))
        await audit.append(conn, _event(f"onboarding.{data.status}", o, payload={
            "reason": data.reason, "days_to_productive": plan.days_to_productive if plan else None}))


async def _logins(conn: Connection, employee_id: str) -> list[str]:
    return [r["login"] for r in await conn.fetch("SELECT login FROM users WHERE employee_id = $1", employee_id)]


ONBOARDING_ACTIVITIES: list[Callable[..., Any]] = [
    start_onboarding, record_onboarding_tick, send_onboarding_nudge, finish_onboarding]
"""Registered by the worker (with :func:`drafting_activity`)."""
