"""``talentops onboarding ...``: the onboarding plans you have a part in (as the person moving, their buddy, line
manager or the goal's manager), ticking off your items, and marking the person productive. Every command acts as a
user who signs in with their password (``--as``; prompted for, or ``--password-stdin``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from workers.cli.common import (
    AsOpt,
    JsonOpt,
    PasswordStdinOpt,
    authenticate,
    connect,
    day,
    emit_json,
    finish,
    read_password,
    run,
)
from workflows.usecases import onboarding

onboarding_app = typer.Typer(no_args_is_help=True, help="Onboarding plans after a move.")

EXIT_CODES = ("Exit codes: 1 refused (wrong login or password, not yours, the plan not running, ticked off already, "
              "waiting for another item); 4 no such plan or item; 2 a usage error.")
STATUS_WORDS = {"drafted": "drafted, waiting for HR's review", "in_review": "waiting for HR's review",
                "active": "running", "completed": "completed", "rejected": "rejected by HR"}
"""Each plan status in words."""


class Outcome(StrEnum):
    """A check-in's outcome."""

    productive = "productive"
    not_yet = "not_yet"


@onboarding_app.command("list")
def onboarding_list(login: AsOpt, password_stdin: PasswordStdinOpt = False, as_json: JsonOpt = False) -> None:
    """Your onboarding plans and their items, yours marked with *: what is done, what waits for another item, when
    each is due."""
    password = read_password(login, from_stdin=password_stdin)

    async def go() -> list[onboarding.PlanView]:
        async with connect(temporal=False) as svc:
            return await onboarding.my_onboarding(svc, await authenticate(svc, login, password))

    views = run(go)
    if as_json:
        emit_json(views)
        finish()
    if not views:
        print("You have no part in an onboarding plan.")
    for v in views:
        p = v.plan
        print(f"{p.goal_id}  {p.task_id:<4} {p.employee_id}  {p.person_name} onto “{p.task_title}”"
              f"  [{STATUS_WORDS.get(p.status, p.status)}]")
        facts = [f"from {day(p.starts_on)}" if p.starts_on else "not started",
                 f"buddy: {p.buddy_name or 'nobody'}"]
        if p.productive_on:
            facts.append(f"productive on {day(p.productive_on)} ({p.days_to_productive} days)")
        if p.finish_reason:
            facts.append(p.finish_reason)
        print(f"     {'; '.join(facts)}")
        print(f"     {p.summary}")
        for i in v.items:
            due = f"day {i.item.due_day}" + (f" ({day(i.due_on)})" if i.due_on else "")
            if i.done_at is not None:
                state = f"done {day(i.done_at)} by {i.done_by}" + (f" ({i.outcome})" if i.outcome else "")
            elif i.waiting_for:
                state = f"waits for {', '.join(i.waiting_for)}"
            else:
                state = "to do"
            print(f"   {'*' if i.yours else ' '} {i.item.item_id:<4} {i.item.kind:<8} {due:<20} "
                  f"{onboarding.ROLE_WORDS.get(i.item.owner_role, i.item.owner_role):<20} {state}")
            print(f"            {i.item.title}")
        if v.is_goal_manager and p.status == "active" and p.productive_on is None:
            print(f"     mark productive: talentops onboarding productive {p.goal_id} {p.task_id} {p.employee_id}"
                  f" --as {login}")
    if any(i.yours for v in views for i in v.items):
        print("(* yours: talentops onboarding tick GOAL_ID TASK_ID EMPLOYEE_ID ITEM_ID --as LOGIN)")
    finish()


@onboarding_app.command("tick", epilog=EXIT_CODES)
def onboarding_tick(
    goal_id: str, task_id: str, employee_id: str, item_id: str, login: AsOpt,
    outcome: Annotated[Outcome | None, typer.Option(help="A check-in's outcome: productive or not_yet.")] = None,
    note: Annotated[str | None, typer.Option(help="A note kept with the item (at most 1000 characters).")] = None,
    password_stdin: PasswordStdinOpt = False, as_json: JsonOpt = False,
) -> None:
    """Tick off an item of an onboarding plan that is yours (see `onboarding list`)."""
    password = read_password(login, from_stdin=password_stdin)

    async def go() -> list[str]:
        async with connect(temporal=True) as svc:
            user = await authenticate(svc, login, password)
            return await onboarding.tick_item(svc, user, goal_id=goal_id, task_id=task_id, employee_id=employee_id,
                                              item_id=item_id, outcome=outcome.value if outcome else None, note=note,
                                              via="cli")

    done = run(go)
    if as_json:
        emit_json({"goal_id": goal_id, "task_id": task_id, "employee_id": employee_id, "item_id": item_id,
                   "done": done})
    else:
        print(f"{item_id} ticked off; done: {', '.join(done)}")
    finish()


@onboarding_app.command("productive", epilog=EXIT_CODES.replace(", ticked off already, waiting for another item",
                                                                ", marked productive already"))
def onboarding_productive(goal_id: str, task_id: str, employee_id: str, login: AsOpt,
                          password_stdin: PasswordStdinOpt = False) -> None:
    """As the goal's manager, mark the person productive on the task: their time to productivity ends today."""
    password = read_password(login, from_stdin=password_stdin)

    async def go() -> None:
        async with connect(temporal=True) as svc:
            user = await authenticate(svc, login, password)
            await onboarding.mark_productive(svc, user, goal_id=goal_id, task_id=task_id, employee_id=employee_id,
                                             via="cli")

    run(go)
    print(f"{employee_id} marked productive on {goal_id} {task_id}")
    finish()
