"""``talentops goal ...``: submit a goal, try a failed one again, revise a rejected one, show one, list them."""

from __future__ import annotations

from typing import Annotated

import typer

from infra.store.goals import Goal
from workers.cli.common import (
    AsOpt,
    JsonOpt,
    PasswordStdinOpt,
    authenticate,
    connect,
    emit_json,
    finish,
    read_password,
    run,
)
from workflows import usecases

goal_app = typer.Typer(no_args_is_help=True, help="Submit and inspect goals.")


@goal_app.command("submit")
def goal_submit(text: str, manager: Annotated[str, typer.Option("--manager", help="Manager login.")],
                as_json: JsonOpt = False) -> None:
    """Submit a goal for a manager; prints the goal id."""
    async def go() -> str:
        async with connect(temporal=True) as svc:
            return await usecases.submit_goal(svc, text=text, manager_login=manager, submitted_by=manager)

    goal_id = run(go)
    emit_json({"goal_id": goal_id}) if as_json else print(goal_id)
    finish()


@goal_app.command("retry")
def goal_retry(goal_id: str,
               by: Annotated[str, typer.Option("--by", help="Login of the goal's manager, a reviewer or an admin.")],
               as_json: JsonOpt = False) -> None:
    """Try a failed goal again, once what failed it (a model server, a model name) is fixed."""
    async def go() -> str:
        async with connect(temporal=True) as svc:
            return await usecases.retry_goal(svc, goal_id, user=await usecases.get_user(svc, by))

    starts_from = run(go)
    if as_json:
        emit_json({"goal_id": goal_id, "status": "submitted", "starts_from": starts_from})
    else:
        print(f"{goal_id} tried again from {starts_from}")
    finish()


@goal_app.command("resubmit", epilog="Exit codes: 1 refused (wrong login or password, not the goal's manager, the goal "
                                       "not rejected or revised already, a text that cannot be planned); 4 no such "
                                       "goal; 2 a usage error.")
def goal_resubmit(goal_id: str, text: Annotated[str, typer.Argument(help="The revised goal.")], login: AsOpt,
                  password_stdin: PasswordStdinOpt = False, as_json: JsonOpt = False) -> None:
    """Submit a revised text of a rejected goal as a new goal that points at it, as its manager (or an admin) who
    signs in with their password; prints the new goal's id."""
    password = read_password(login, from_stdin=password_stdin)

    async def go() -> str:
        async with connect(temporal=True) as svc:
            user = await authenticate(svc, login, password, unchanged="nothing was submitted")
            return await usecases.resubmit_goal(svc, goal_id=goal_id, text=text, by=user)

    new_id = run(go)
    emit_json({"goal_id": new_id, "revision_of": goal_id}) if as_json else print(new_id)
    finish()


@goal_app.command("show")
def goal_show(goal_id: str, as_json: JsonOpt = False) -> None:
    """A goal: status, tasks, review, assignments."""
    async def go() -> usecases.GoalDetail:
        async with connect(temporal=False) as svc:
            return await usecases.get_goal(svc, goal_id)

    goal = run(go)
    if as_json:
        emit_json(goal)
        finish()
    print(f"{goal.goal_id}  [{goal.status}]  {goal.text}")
    if goal.status_detail:
        print(f"  {goal.status_detail}")
    plan = goal.plan or {}
    if plan.get("reading"):
        reading = plan["reading"]
        print(f"  read as: {reading['kind']} of “{reading['object']}” in {reading['domain']}")
        for line in plan.get("assumptions", []):
            print(f"  assumed: {line}")
        for line in plan.get("open_questions", []):
            print(f"  question: {line}")
        for issue in plan.get("open_issues", []):
            print(f"  still to fix: {issue['task_id'] + ': ' if issue['task_id'] else ''}{issue['message']}")
    for t in goal.tasks:
        after = f"  (after {', '.join(t.depends_on)})" if t.depends_on else ""
        window = f"wk {t.start_week:>2}-{t.end_week:<3}"
        print(f"  {t.task_id:<4} {window} {t.effort_hours:>4} h  {t.title}{after}")
        print(f"       skills: {', '.join(t.skills)}")
        if t.occupation_titles:
            print(f"       usually done by: {', '.join(t.occupation_titles)}")
    if goal.review:
        r = goal.review
        print(f"  review {r.review_id}: {r.status}" + (f" by {r.decided_by}" if r.decided_by else ""))
    for a in goal.assignments:
        print(f"  {a.task_id:<4} → {a.name} ({a.employee_id}, {round(a.fraction * 100)}%): {a.reason}")
    finish()


@goal_app.command("list")
def goal_list(manager: Annotated[str | None, typer.Option(help="Only this manager's goals.")] = None,
              as_json: JsonOpt = False) -> None:
    """Goals, newest first."""
    async def go() -> list[Goal]:
        async with connect(temporal=False) as svc:
            return await usecases.list_goals(svc, manager_login=manager)

    goals = run(go)
    if as_json:
        emit_json(goals)
    for g in [] if as_json else goals:
        print(f"{g.goal_id}  {g.status:<16} {g.manager_login:<14} {g.text[:70]}")
    finish()
