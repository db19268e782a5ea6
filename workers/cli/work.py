"""``talentops work ...``: a person's own work after staffing, as the console's My work, My team and Inbox pages:
the tasks they are staffed on and their answer, the releases asked of them as a line manager and their answer, their
inbox. Every command acts as a user who signs in with their password (``--as``; prompted for, or
``--password-stdin``), checked with the console's sign-in throttle."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from infra.store.assignments import PersonAssignment
from infra.store.moves import ReleaseCounts, ReleaseRequest
from infra.store.notifications import Notification
from policies.release import deadline_words
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
from workflows import usecases
from workflows.usecases import moves

work_app = typer.Typer(no_args_is_help=True, help="Your work after staffing: assignments, releases, inbox.")

EXIT_CODES = ("Exit codes: 1 refused (wrong login or password, not yours to decide, a reason missing, answered "
              "already); 4 no such assignment (or your login is not an employee); 2 a usage error.")


class Answer(StrEnum):
    """A staffed person's answer."""

    accept = "accept"
    decline = "decline"


class Release(StrEnum):
    """A line manager's answer."""

    release = "release"
    refuse = "refuse"


ReasonOpt = Annotated[str | None, typer.Option(help="Why (needed to decline or refuse; at most 1000 characters).")]


def assignment_json(a: PersonAssignment) -> dict[str, Any]:
    """An assignment with its state in words."""
    return {**a.model_dump(), "state_words": moves.STATE_WORDS.get(a.state, a.state)}


@work_app.command("list")
def work_list(login: AsOpt, password_stdin: PasswordStdinOpt = False, as_json: JsonOpt = False) -> None:
    """The tasks you are staffed on, earliest first: where each move stands (in words), your share of time, the dates
    and why you. Exit 4 when your login is not an employee."""
    password = read_password(login, from_stdin=password_stdin)

    async def go() -> list[PersonAssignment]:
        async with connect(temporal=False) as svc:
            return await usecases.my_assignments(svc, await authenticate(svc, login, password))

    rows = run(go)
    if as_json:
        emit_json([assignment_json(a) for a in rows])
        finish()
    if not rows:
        print("Nobody has staffed you on a task yet.")
    for a in rows:
        print(f"{a.goal_id}  {a.task_id:<4} {moves.STATE_WORDS.get(a.state, a.state)}")
        print(f"     “{a.title}”: {round(a.fraction * 100)}% of your time from {day(a.starts_on)} to {day(a.last_day)}")
        if a.state == "accepted":
            who = f"{a.line_manager}'s" if a.line_manager else "your line manager's"
            by = f" by {day(a.release_due_at)}; if they do not answer by then, you are released" \
                if a.release_due_at else ""
            print(f"     waiting for {who} release{by}")
        print(f"     why you: {a.reason}")
        print(f"     for the goal “{a.goal_text}” of {a.manager_login}")
        if a.state == "offered":
            print(f"     answer: talentops work answer {a.goal_id} {a.task_id} accept|decline --as {login}"
                  " [--reason R]")
    finish()


@work_app.command("answer", epilog=EXIT_CODES)
def work_answer(goal_id: str, task_id: str,
                answer: Annotated[Answer, typer.Argument(help="accept or decline.", show_default=False)],
                login: AsOpt, reason: ReasonOpt = None, password_stdin: PasswordStdinOpt = False,
                as_json: JsonOpt = False) -> None:
    """Accept or decline a task you are offered (a decline needs --reason; the goal's manager reads it). Accepting
    asks your line manager to release you."""
    password = read_password(login, from_stdin=password_stdin)

    async def go() -> str:
        async with connect(temporal=True) as svc:
            user = await authenticate(svc, login, password, unchanged="nothing was answered")
            return await moves.answer_assignment(svc, user, goal_id=goal_id, task_id=task_id,
                                                 accept=answer is Answer.accept, reason=reason, via="cli")

    state = run(go)
    words = moves.STATE_WORDS.get(state, state)
    if as_json:
        emit_json({"goal_id": goal_id, "task_id": task_id, "state": state, "state_words": words})
    else:
        print(f"{goal_id} {task_id}: {words}")
    finish()


def release_words(r: ReleaseRequest) -> str:
    """Where a release asked of a line manager stands, as they read it."""
    if r.state == "accepted":
        return "Waiting for your answer" + (f" by {day(r.release_due_at)}" if r.release_due_at else "")
    if r.state == "released" and r.released_by_silence:
        return "Released because you did not answer in time"
    if r.state == "released" and r.refusal_reason:
        return f"Released: HR overruled your refusal (“{r.refusal_reason}”)"
    if r.state == "released":
        return "Released by you"
    if r.state == "refused":
        return f"Refused (“{r.refusal_reason}”); HR is reviewing it"
    if r.state == "withdrawn":
        return f"Refused (“{r.refusal_reason}”); HR agreed: they stay in your team"
    return moves.STATE_WORDS.get(r.state, r.state)


@work_app.command("releases")
def work_releases(login: AsOpt, password_stdin: PasswordStdinOpt = False, as_json: JsonOpt = False) -> None:
    """The releases asked of you as a line manager (waiting ones first, then the decided ones) and how you answered
    them; empty when nobody in your team was asked for (or your login is not an employee)."""
    password = read_password(login, from_stdin=password_stdin)

    async def go() -> tuple[list[ReleaseRequest], ReleaseCounts | None]:
        async with connect(temporal=False) as svc:
            user = await authenticate(svc, login, password)
            try:
                return await moves.team_releases(svc, user), await moves.my_release_counts(svc, user)
            except usecases.NotFound:  # a login that is not an employee has no team (as on the console's page)
                return [], None

    rows, counts = run(go)
    if as_json:
        emit_json({"releases": [{**r.model_dump(), "state_words": release_words(r)} for r in rows],
                   "counts": counts})
        finish()
    waiting = [r for r in rows if r.state == "accepted"]
    print(f"Waiting for your answer ({len(waiting)})" if waiting else "Nothing is waiting for you.")
    for r in waiting:
        print(f"  {r.goal_id}  {r.task_id:<4} {r.employee_id}  {r.person_name} for “{r.task_title}”")
        print(f"     {round(r.fraction * 100)}% of their time from {day(r.starts_on)} to {day(r.last_day)}, "
              f"for the goal “{r.goal_text}” of {r.goal_manager}")
        if r.release_due_at:
            print(f"     answer by {day(r.release_due_at)}")
        print(f"     talentops work release {r.goal_id} {r.task_id} {r.employee_id} release|refuse --as {login}"
              " [--reason R]")
    if waiting:
        print(f"  {deadline_words()}")
    decided = [r for r in rows if r.state != "accepted"]
    if decided:
        print("Decided")
    for r in decided:
        print(f"  {r.goal_id}  {r.task_id:<4} {r.employee_id}  {r.person_name} for “{r.task_title}”: "
              f"{release_words(r)}")
    if counts:
        print(f"Your answers: {counts.released} released by you, {counts.released_by_silence} released because you"
              f" did not answer in time, {counts.refused} refused")
    finish()


@work_app.command("release", epilog=EXIT_CODES)
def work_release(goal_id: str, task_id: str, employee_id: str,
                 decision: Annotated[Release, typer.Argument(help="release or refuse.", show_default=False)],
                 login: AsOpt, reason: ReasonOpt = None, password_stdin: PasswordStdinOpt = False,
                 as_json: JsonOpt = False) -> None:
    """As their line manager, release someone of your team for a task they accepted, or refuse (--reason needed; HR
    reviews every refusal)."""
    password = read_password(login, from_stdin=password_stdin)

    async def go() -> str:
        async with connect(temporal=True) as svc:
            user = await authenticate(svc, login, password, unchanged="nothing was decided")
            return await moves.decide_release(svc, user, goal_id=goal_id, task_id=task_id, employee_id=employee_id,
                                              release=decision is Release.release, reason=reason, via="cli")

    state = run(go)
    words = {"released": "released: they work on the task during its dates",
             "refused": "refused: HR reviews your refusal"}.get(state, moves.STATE_WORDS.get(state, state))
    if as_json:
        emit_json({"goal_id": goal_id, "task_id": task_id, "employee_id": employee_id, "state": state,
                   "state_words": words})
    else:
        print(f"{employee_id} on {goal_id} {task_id}: {words}")
    finish()


@work_app.command("inbox")
def work_inbox(login: AsOpt,
               mark_read: Annotated[bool, typer.Option("--mark-read", help="Then mark them all read.")] = False,
               password_stdin: PasswordStdinOpt = False, as_json: JsonOpt = False) -> None:
    """Your latest notifications, newest first (offers, release requests, confirmations), with how many are unread;
    --mark-read marks them all read once shown."""
    password = read_password(login, from_stdin=password_stdin)

    async def go() -> tuple[list[Notification], int, int | None]:
        async with connect(temporal=False) as svc:
            user = await authenticate(svc, login, password)
            rows, unread = await moves.inbox(svc, user)
            marked = await moves.mark_read(svc, user) if mark_read else None
            return rows, unread, marked

    rows, unread, marked = run(go)
    if as_json:
        emit_json({"notifications": rows, "unread": unread, "marked_read": marked})
        finish()
    print(f"{unread} unread" if unread else "Nothing unread.")
    if not rows:
        print("Nothing yet. When something needs you, or something you wait for happens, it shows here.")
    for n in rows:
        print(f"{'*' if n.read_at is None else ' '} {day(n.created_at)}  {n.subject}")
        print(f"    {n.body}")
    if marked is not None:
        print(f"marked {marked} read")
    finish()
