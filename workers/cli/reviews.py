"""``talentops review ...``: the review queue and a reviewer's decision, with the plan-edit options parsed."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import ValidationError

from infra.store.reviews import QueuedReview
from policies.review_routing import REJECTION_REASONS
from workers.cli.common import (
    JsonOpt,
    PasswordStdinOpt,
    authenticate,
    connect,
    emit_json,
    fail,
    finish,
    read_password,
    run,
)
from workflows import usecases

review_app = typer.Typer(no_args_is_help=True, help="The review queue.")


@review_app.command("list")
def review_list(state: Annotated[str, typer.Option(help="pending, approved, rejected, edited or all.")] = "pending",
                as_json: JsonOpt = False) -> None:
    """Reviews waiting for a decision (oldest due first)."""
    async def go() -> list[QueuedReview]:
        async with connect(temporal=False) as svc:
            return await usecases.list_reviews(svc, status=None if state == "all" else state)

    reviews = run(go)
    if as_json:
        emit_json(reviews)
    for r in [] if as_json else reviews:
        print(f"{r.review_id}  {r.goal_id or '-':<12}  {r.action_type:<17} {r.status:<8}"
              f" due {r.due_at:%Y-%m-%d %H:%M}  {r.goal_text[:50]}")
    finish()


@review_app.command("decide")
def review_decide(
    review_id: str,
    decision: Annotated[str, typer.Argument(help="approve, reject or edit.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Reviewer login.")],
    reason: Annotated[str | None, typer.Option(help="Why (a rejection needs this or --reason-code).")] = None,
    reason_code: Annotated[str | None, typer.Option(
        help="For reject: " + ", ".join(REJECTION_REASONS))] = None,
    swap: Annotated[list[str] | None, typer.Option(help="For edit of a staffing: TASK=EMPLOYEE, repeatable.")] = None,
    drop: Annotated[list[str] | None, typer.Option(help="For edit of a plan: a TASK to drop, repeatable.")] = None,
    rename: Annotated[list[str] | None, typer.Option(
        help='For edit of a plan: TASK="New title", repeatable.')] = None,
    effort: Annotated[list[str] | None, typer.Option(help="For edit of a plan: TASK=HOURS, repeatable.")] = None,
    window: Annotated[list[str] | None, typer.Option(
        help="For edit of a plan: TASK=START-END in weeks from the goal's start (end exclusive), repeatable.")] = None,
    skills: Annotated[list[str] | None, typer.Option(
        help='For edit of a plan: TASK="skill; skill" (known ESCO/O*NET names, see `skills find`), repeatable.')
    ] = None,
    after: Annotated[list[str] | None, typer.Option(
        help="For edit of a plan: TASK=T1,T2 (the tasks it waits for; TASK= for none), repeatable.")] = None,
    assumption: Annotated[list[str] | None, typer.Option(
        help="For edit of a plan: the plan's assumptions become these, repeatable.")] = None,
    question: Annotated[list[str] | None, typer.Option(
        help="For edit of a plan: its questions for the manager become these, repeatable.")] = None,
    password_stdin: PasswordStdinOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Decide a review as a reviewer, who signs in with their console password (prompted for, or read from
    standard input); an edit of a plan is checked like the planner's own drafts."""
    edits: dict[str, str] = {}
    for item in swap or []:
        task, sep, employee = item.partition("=")
        if not sep or not task or not employee:
            fail(f"--swap takes TASK=EMPLOYEE, got {item!r}", 2)
        edits[task.strip()] = employee.strip()
    task_edits = _plan_changes(drop=drop or [], rename=rename or [], effort=effort or [], window=window or [],
                               skills=skills or [], after=after or [])

    password = read_password(reviewer, from_stdin=password_stdin)

    async def go() -> Any:
        async with connect(temporal=True) as svc:
            await authenticate(svc, reviewer, password, unchanged="nothing was decided")
            return await usecases.decide_review(svc, review_id=review_id, decision=decision, reviewer=reviewer,
                                               reason=reason, reason_code=reason_code, edits=edits or None,
                                               task_edits=task_edits or None, assumptions=assumption,
                                               open_questions=question, via="cli")

    outcome = run(go)
    emit_json(outcome.model_dump()) if as_json else print(f"{review_id}: {outcome.decision} recorded")
    finish()


def _plan_changes(*, drop: list[str], rename: list[str], effort: list[str], window: list[str], skills: list[str],
                  after: list[str]) -> dict[str, usecases.TaskEdit]:
    """``review decide`` plan options as task edits; a malformed option exits with code 2 naming it."""
    changes: dict[str, dict[str, Any]] = {}

    def pairs(option: str, items: list[str], shape: str) -> list[tuple[str, str]]:
        found = []
        for item in items:
            task, sep, value = item.partition("=")
            if not sep or not task.strip():
                fail(f"--{option} takes {shape}, got {item!r}", 2)
            found.append((task.strip().upper(), value.strip()))
        return found

    for task in drop:
        changes.setdefault(task.strip().upper(), {})["drop"] = True
    for task, value in pairs("rename", rename, 'TASK="New title"'):
        changes.setdefault(task, {})["title"] = value
    for task, value in pairs("effort", effort, "TASK=HOURS"):
        changes.setdefault(task, {})["effort_hours"] = value
    for task, value in pairs("window", window, "TASK=START-END"):
        start, sep, end = value.partition("-")
        if not sep:
            fail(f"--window takes TASK=START-END, got {task}={value!r}", 2)
        changes.setdefault(task, {}).update(start_week=start.strip(), end_week=end.strip())
    for task, value in pairs("skills", skills, 'TASK="skill; skill"'):
        changes.setdefault(task, {})["skills"] = [s.strip() for s in value.split(";") if s.strip()]
    for task, value in pairs("after", after, "TASK=T1,T2"):
        changes.setdefault(task, {})["depends_on"] = [d.strip() for d in value.split(",") if d.strip()]
    edits: dict[str, usecases.TaskEdit] = {}
    for task, change in changes.items():
        try:
            edits[task] = usecases.TaskEdit.model_validate(change)
        except ValidationError as err:
            fail("; ".join(usecases.issue_text(i) for i in usecases.validation_issues(err, task)), 2)
    return edits
