"""The ``talentops`` command."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from infra import audit, audit_query, db
from infra.audit_query import AuditQuery
from infra.embedded import EmbeddedError, start_postgres
from infra.settings import get_settings
from policies.review_routing import REJECTION_REASONS
from tools.taxonomy.store import loaded_taxonomy_version, sync_taxonomy
from workers import runtime_file
from workers.cli_match import StderrProgress, match_app, occupations_app, skills_app
from workflows import usecases
from workflows.usecases import ServiceError, Services

app = typer.Typer(no_args_is_help=True, add_completion=False, help="talentops: internal talent mobility.")
goal_app = typer.Typer(no_args_is_help=True, help="Submit and inspect goals.")
review_app = typer.Typer(no_args_is_help=True, help="The review queue.")
audit_app = typer.Typer(no_args_is_help=True, help="The audit trail.")
users_app = typer.Typer(no_args_is_help=True, help="Users and demo logins.")
employees_app = typer.Typer(no_args_is_help=True, help="Employees and HRIS imports.")
app.add_typer(goal_app, name="goal")
app.add_typer(review_app, name="review")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")
app.add_typer(employees_app, name="employees")
app.add_typer(match_app, name="match")
app.add_typer(occupations_app, name="occupations")
app.add_typer(skills_app, name="skills")

T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def emit_json(value: Any) -> None:
    """Print JSON for machines."""
    print(json.dumps(value, indent=2, default=_default))


def fail(message: str, code: int = 1) -> None:
    """Print an error sentence and exit with ``code``."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(code)


def run(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine; turn known errors into a sentence and an exit code, never a traceback."""
    try:
        return asyncio.run(make())  # type: ignore[arg-type]
    except ServiceError as err:
        fail(err.message, 4 if err.status == 404 else 1)
    except EmbeddedError as err:
        fail(str(err))
    except OSError as err:
        fail(f"cannot reach a service: {err}")
    raise AssertionError("unreachable")


def finish() -> None:
    """Exit without running interpreter teardown (the Temporal SDK can abort there)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@asynccontextmanager
async def connect(*, temporal: bool):  # type: ignore[no-untyped-def]
    """Services for a CLI command: the running ``up``'s, configured ones, or the embedded Postgres."""
    settings = get_settings()
    running = runtime_file.read(settings) or {}
    pg_handle = None
    url = settings.database_url or running.get("database_url")
    if url is None:
        pg_handle, url = start_postgres(settings.ensure_data_dir())
    pool = await db.create_pool(url, max_size=2)
    client = None
    try:
        await db.migrate(pool)
        await sync_taxonomy(pool)
        if temporal:
            address = settings.temporal_address or running.get("temporal_address")
            if address is None:
                raise ServiceError("talentops is not running; start it with `talentops up` "
                                   "(or set TALENTOPS_TEMPORAL_ADDRESS)")
            from workers.main import connect_client

            try:
                client = await connect_client(address, settings.temporal_namespace)
            except RuntimeError as err:
                raise ServiceError(f"cannot reach Temporal at {address}: {err}") from err
            if running.get("task_queue"):
                settings = settings.model_copy(update={"task_queue": running["task_queue"]})
        yield Services(pool=pool, client=client, settings=settings)
    finally:
        await pool.close()
        if pg_handle is not None:
            pg_handle.cleanup()


def serve_until_stopped(main: Callable[[Any], Awaitable[None]]) -> None:
    """Run a long-lived process (``up``, ``worker``, ``console``) until Ctrl-C / SIGTERM; errors as a sentence."""
    try:
        asyncio.run(main(get_settings()))  # type: ignore[arg-type]
    except EmbeddedError as err:
        fail(str(err))
    except KeyboardInterrupt:
        pass
    finish()


@app.command()
def up() -> None:
    """Start everything on this machine: Postgres, Temporal, worker, console, demo organisation."""
    from workers.up import run_up

    serve_until_stopped(run_up)


@app.command()
def worker() -> None:
    """Run one worker (workflows, activities, agents, outbox) against an external Postgres and Temporal."""
    from workers.serve import run_worker

    serve_until_stopped(run_worker)


@app.command()
def console() -> None:
    """Serve one review console replica against an external Postgres and Temporal."""
    from workers.serve import run_console

    serve_until_stopped(run_console)


@app.command()
def status(as_json: JsonOpt = False,
           probe: Annotated[bool, typer.Option(
               "--probe", help="Also ask each agent's model now, with this shell's settings (exit 3 if one does "
                               "not answer).")] = False) -> None:
    """Where the database, Temporal and the console are, and whether each agent's model answers."""
    from typing import get_args

    from agents.models import ModelConfigError
    from infra.settings import AgentName
    from infra.store import model_health
    from workers.agent_runs import build_agent_models
    from workers.health import probe_all

    settings = get_settings()
    running = runtime_file.read(settings)
    database_url = settings.database_url or (running or {}).get("database_url")
    info: dict[str, Any] = {
        "running": running is not None,
        "data_dir": str(settings.data_dir),
        "database_url": database_url or f"embedded pgserver in {settings.data_dir / 'pg'} (not running)",
        "temporal_address": settings.temporal_address or (running or {}).get("temporal_address"),
        "temporal_ui_url": (running or {}).get("temporal_ui_url"),
        "console_url": (running or {}).get("console_url"),
        "task_queue": (running or {}).get("task_queue", settings.task_queue),
        "model": settings.model,
        # the O*NET/ESCO data loaded in Postgres (tools.taxonomy.store): null when it cannot be asked
        "taxonomy_version": asyncio.run(loaded_taxonomy_version(database_url)),
    }
    # the workers' last probe of each agent's model (workers.health): null when the database cannot be asked
    checked = asyncio.run(model_health.latest_at(database_url))
    info["models"] = None if checked is None else [r.model_dump(mode="json") for r in checked]
    probed: list[model_health.ModelHealth] = []
    if probe:
        try:
            models = build_agent_models(settings)
        except ModelConfigError as err:
            fail(str(err))
        probed = asyncio.run(probe_all(models))
        info["probe"] = [h.model_dump(mode="json") for h in probed]

    def line(health: model_health.ModelHealth, *, now: bool = False) -> str:
        ago = "" if now else model_health.age_words(health.checked_at)
        name = f" as {health.served_model}" if health.served_model else ""
        if not health.ok:
            return f"{health.description} — does not answer: {health.detail}" + (f" ({ago})" if ago else "")
        if health.latency_ms is None:  # the offline planner
            return f"{health.description} — answers" + (f" ({ago})" if ago else "")
        note = health.detail.removeprefix(model_health.answered(health.latency_ms))
        took = ", ".join([f"{health.latency_ms / 1000:.1f} s", *([ago] if ago else [])])
        return f"{health.description} — answers{name} ({took}){note}"

    if as_json:
        emit_json(info)
    else:
        for key, value in info.items():
            if key not in ("models", "probe"):
                print(f"{key:<17} {value if value is not None else '-'}")
        by_agent = {r.agent: r for r in checked or []}
        print("models" + (" (last checked by a worker)" if by_agent else
                          " (not checked by a worker yet)" if checked is not None else
                          " (the database cannot be asked; `talentops status --probe` asks the models now)"))
        for agent in get_args(AgentName):
            record = by_agent.get(agent)
            print(f"  {agent:<17} " + (line(record) if record else
                                       f"{settings.agent_model(agent).model} (this shell's setting, not checked)"))
        if probe:
            print("models asked now, with this shell's settings")
            for health in probed:
                print(f"  {health.agent:<17} {line(health, now=True)}")
    if any(not h.ok for h in probed):
        sys.stdout.flush()
        os._exit(3)
    finish()


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


@goal_app.command("show")
def goal_show(goal_id: str, as_json: JsonOpt = False) -> None:
    """A goal: status, tasks, review, assignments."""
    async def go() -> dict[str, Any]:
        async with connect(temporal=False) as svc:
            return await usecases.get_goal(svc, goal_id)

    goal = run(go)
    if as_json:
        emit_json(goal)
        finish()
    print(f"{goal['goal_id']}  [{goal['status']}]  {goal['text']}")
    if goal["status_detail"]:
        print(f"  {goal['status_detail']}")
    plan = goal.get("plan") or {}
    if plan.get("reading"):
        reading = plan["reading"]
        print(f"  read as: {reading['kind']} of “{reading['object']}” in {reading['domain']}")
        for line in plan.get("assumptions", []):
            print(f"  assumed: {line}")
        for line in plan.get("open_questions", []):
            print(f"  question: {line}")
        for issue in plan.get("open_issues", []):
            print(f"  still to fix: {issue['task_id'] + ': ' if issue['task_id'] else ''}{issue['message']}")
    for t in goal["tasks"]:
        after = f"  (after {', '.join(t['depends_on'])})" if t.get("depends_on") else ""
        window = f"wk {t['start_week']:>2}-{t['end_week']:<3}"
        print(f"  {t['task_id']:<4} {window} {t['effort_hours']:>4} h  {t['title']}{after}")
        print(f"       skills: {', '.join(t['skills'])}")
        if t.get("occupation_titles"):
            print(f"       usually done by: {', '.join(t['occupation_titles'])}")
    if goal["review"]:
        r = goal["review"]
        print(f"  review {r['review_id']}: {r['status']}" + (f" by {r['decided_by']}" if r["decided_by"] else ""))
    for a in goal["assignments"]:
        print(f"  {a['task_id']:<4} → {a['name']} ({a['employee_id']}, {round(a['fraction'] * 100)}%): {a['reason']}")
    finish()


@goal_app.command("list")
def goal_list(manager: Annotated[str | None, typer.Option(help="Only this manager's goals.")] = None,
              as_json: JsonOpt = False) -> None:
    """Goals, newest first."""
    async def go() -> list[dict[str, Any]]:
        async with connect(temporal=False) as svc:
            return await usecases.list_goals(svc, manager_login=manager)

    goals = run(go)
    if as_json:
        emit_json(goals)
    for g in [] if as_json else goals:
        print(f"{g['goal_id']}  {g['status']:<16} {g['manager_login']:<14} {g['text'][:70]}")
    finish()


@review_app.command("list")
def review_list(state: Annotated[str, typer.Option(help="pending, approved, rejected, edited or all.")] = "pending",
                as_json: JsonOpt = False) -> None:
    """Reviews waiting for a decision (oldest due first)."""
    async def go() -> list[dict[str, Any]]:
        async with connect(temporal=False) as svc:
            return await usecases.list_reviews(svc, status=None if state == "all" else state)

    reviews = run(go)
    if as_json:
        emit_json(reviews)
    for r in [] if as_json else reviews:
        print(f"{r['review_id']}  {r['goal_id']}  {r['action_type']:<17} {r['status']:<8}"
              f" due {r['due_at']:%Y-%m-%d %H:%M}  {r['goal_text'][:50]}")
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
    as_json: JsonOpt = False,
) -> None:
    """Decide a review as a reviewer; an edit of a plan is checked like the planner's own drafts."""
    edits: dict[str, str] = {}
    for item in swap or []:
        task, sep, employee = item.partition("=")
        if not sep or not task or not employee:
            fail(f"--swap takes TASK=EMPLOYEE, got {item!r}", 2)
        edits[task.strip()] = employee.strip()
    task_edits = _plan_changes(drop=drop or [], rename=rename or [], effort=effort or [], window=window or [],
                               skills=skills or [], after=after or [])

    async def go() -> Any:
        async with connect(temporal=True) as svc:
            return await usecases.decide_review(svc, review_id=review_id, decision=decision, reviewer=reviewer,
                                               reason=reason, reason_code=reason_code, edits=edits or None,
                                               task_edits=task_edits or None, assumptions=assumption,
                                               open_questions=question)

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


@audit_app.command("show")
def audit_show(goal_id: str, as_json: JsonOpt = False) -> None:
    """A goal's audit events in order."""
    async def go() -> list[dict[str, Any]]:
        async with connect(temporal=False) as svc:
            return await usecases.audit_for_goal(svc, goal_id)

    events = run(go)
    if as_json:
        emit_json(events)
    for e in [] if as_json else events:
        extra = f" model={e['model']}" if e["model"] else ""
        print(f"{e['seq']:>6} {e['at']:%Y-%m-%d %H:%M:%S} {e['actor_type']:<6} {e['actor']:<18} {e['action']}{extra}")
    finish()


@audit_app.command("export")
def audit_export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    out: Annotated[Path | None, typer.Option(help="File to write (default: standard output).")] = None,
    goal: Annotated[str | None, typer.Option(help="Only this goal.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor.")] = None,
    action: Annotated[str | None, typer.Option(help="Only actions starting with this.")] = None,
    since: Annotated[datetime | None, typer.Option(help="Only events at or after (ISO 8601, UTC if no zone).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Only events before (ISO 8601).")] = None,
) -> None:
    """Export audit events as JSON Lines or CSV, in sequence order."""
    if fmt not in ("jsonl", "csv"):
        fail(f"--format must be jsonl or csv, not {fmt!r}", 2)
    query = AuditQuery(goal_id=goal, actor=actor, action=action, since=_utc(since), until=_utc(until))

    async def go() -> int:
        written = 0
        target = open(out.with_suffix(out.suffix + ".part"), "w") if out else sys.stdout  # noqa: SIM115
        async with connect(temporal=False) as svc:
            async for chunk in audit_query.export(svc.pool, query, fmt):  # type: ignore[arg-type]
                target.write(chunk)
                written += chunk.count("\n")
        if out:
            target.close()
            out.with_suffix(out.suffix + ".part").replace(out)  # never leave a half-written export
        return written

    lines = run(go)
    if out:
        print(f"wrote {out} ({lines} lines)", file=sys.stderr)
    finish()


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False) -> None:
    """Check the whole hash chain; exit 3 and name the first broken row if it does not hold."""
    async def go() -> audit.ChainReport:
        async with connect(temporal=False) as svc, svc.pool.acquire() as conn:
            return await audit.verify_chain(conn)

    report = run(go)
    if as_json:
        emit_json(report.__dict__)
    elif report.ok:
        print(f"audit chain intact: {report.rows} rows verified")
    else:
        print(f"audit chain BROKEN at row {report.first_broken_seq}: {report.problem} "
              f"({report.rows} rows verified before it)")
    sys.stdout.flush()
    os._exit(0 if report.ok else 3)


@users_app.command("list")
def users_list(role: Annotated[str | None, typer.Option(help="manager, reviewer, admin or employee.")] = None,
               as_json: JsonOpt = False) -> None:
    """Users (the demo logins)."""
    async def go() -> list[dict[str, Any]]:
        async with connect(temporal=False) as svc:
            return await usecases.list_users(svc, role)

    users = run(go)
    if as_json:
        emit_json(users)
    for u in [] if as_json else users:
        print(f"{u['login']:<14} {u['role']:<9} {u['display_name']:<24} {u['department'] or ''}")
    finish()


@users_app.command("add")
def users_add(
    login: str,
    role: Annotated[str, typer.Option(help="manager, reviewer, admin or employee.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    employee: Annotated[str | None, typer.Option(help="Their employee id (for SoD and their skills page).")] = None,
    department: Annotated[str | None, typer.Option(help="Department code (managers).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                 help="Read the password from standard input.")] = False,
) -> None:
    """Add a console user; the password is read from stdin or prompted for (never an argument)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    by = os.environ.get("USER") or "cli"

    async def go() -> dict[str, Any]:
        async with connect(temporal=False) as svc:
            return await usecases.create_user(svc, login=login, display_name=name, role=role, password=password,
                                             by=f"cli:{by}", employee_id=employee, department=department)

    user = run(go)
    print(f"added {user['login']} ({user['role']})")
    finish()


@employees_app.command("import")
def employees_import(file: Path, as_json: JsonOpt = False) -> None:
    """Import an HRIS export (JSON Lines, one employee a line); re-importing updates, never duplicates."""
    from tools.people.hris_jsonl import JsonlError
    from tools.people_import.hris_import import import_employees

    progress = StderrProgress()

    async def go() -> Any:
        async with connect(temporal=False) as svc, svc.pool.acquire() as conn:
            return await import_employees(conn, file, by=os.environ.get("USER", "cli"),
                                          progress=lambda done, total: progress("embedded profiles", done, total,
                                                                                 force=done == total))

    try:
        report = run(go)
    except JsonlError as err:
        fail(f"{err}; nothing was imported")
    if as_json:
        emit_json(report.__dict__)
    else:
        print(f"imported {file.name}: {report.inserted} new, {report.updated} updated, "
              f"{report.evidence_rows} evidence rows, {report.embedded} profiles embedded")
    finish()


@employees_app.command("bridges")
def employees_bridges(
    employee_id: Annotated[str, typer.Argument(help="Employee id, e.g. E0103.")],
    top: Annotated[int, typer.Option("--top", min=1, max=50, help="How many nearest occupations.")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """Occupations an employee could move to: score, what transfers, the gap to close; aspirations marked."""
    from tools.people.bridges import EmployeeBridges, UnknownEmployee, employee_bridges

    async def go() -> EmployeeBridges:
        async with connect(temporal=False) as svc, svc.pool.acquire() as conn:
            return await employee_bridges(conn, employee_id, top=top)

    try:
        result = run(go)
    except UnknownEmployee as err:
        fail(f"{err}; `talentops employees import` adds employees", 4)
    if as_json:
        emit_json(result.to_dict())
        finish()
    current = f"{result.current_code}  {result.current_title}" if result.current_code else "no O*NET occupation"
    print(f"{result.employee_id}  {result.name}, {result.title}  (now: {current})")
    if result.aspirations:
        print(f"  aspires to: {'; '.join(result.aspirations)}")
    if result.unmatched_aspirations:
        print(f"  (no other O*NET occupation matches: {'; '.join(result.unmatched_aspirations)})")
    for b in result.bridges:
        mark = "*" if b.aspired else " "
        outside = "" if b.nearest else "; aspired, not among the nearest"
        print(f"  {b.score:.3f} {mark} {b.code}  {b.title}  (adjacency {b.adjacency:.2f}, fit {b.fit:.2f}{outside})")
        brings = ", ".join(f"{h.name} {h.level:.1f}" for h in b.transfers[:6])
        gap = [g.name + (f" ({g.level:.1f})" if g.level is not None else "") for g in b.gap_skills[:4]]
        gap += [g.name + (f" ({g.level:.1f})" if g.level is not None else "") for g in b.gap_technologies[:4]]
        print(f"        brings: {brings or '-'}")
        print(f"        to learn: {', '.join(gap) or '-'}")
    print(f"  (* = named in their aspirations; {result.formula}; levels 1-5)")
    print(result.attribution)
    finish()


def main() -> None:
    """Console-script entry point."""
    app()
