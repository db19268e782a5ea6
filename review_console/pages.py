"""HTML console: Jinja2 pages, htmx for live status. Same role checks as the API."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import escape
from pydantic import BaseModel, ValidationError

from infra import audit_query
from infra.settings import LOCAL_PLANNER
from infra.store.plan_diff import plan_diff
from infra.store.plans import GoalPlan, PlanIssue
from policies import bias_review as bias
from policies.review_routing import ACTION_TYPES, DECOMPOSE_GOAL, REJECTION_REASONS, bulk_approvable
from review_console.api.models import AuditParams, ReviewQueueParams
from review_console.deps import CurrentUser, ManagerUser, ReviewerUser, SvcDep, authenticate, can_see_goal
from tools.taxonomy.skill_names import suggest_skills
from tools.taxonomy.task_library import load_task_library
from workflows import usecases

templates = Jinja2Templates(directory=str(resources.files("review_console") / "templates"))
STATUS_WORDS = {
    # goals
    "submitted": "Submitted", "planning": "Planning", "awaiting_plan_review": "Plan waiting for review",
    "staffing": "Finding people", "awaiting_review": "Staffing waiting for review",
    "parked": "Parked: review overdue", "staffed": "Staffed", "rejected": "Rejected", "failed": "Could not go ahead",
    # reviews
    "pending": "Waiting for a decision", "approved": "Approved", "edited": "Approved with changes",
}
"""Statuses in plain words for pages (the raw status stays in ``data-status`` for scripts and tests)."""
templates.env.globals["status_words"] = STATUS_WORDS


def model_words(model: str | None) -> str:
    """A model as people read it: the offline planner by that name, others by their model string."""
    return "the offline planner" if model in (None, LOCAL_PLANNER) else str(model)


templates.env.globals["model_words"] = model_words
router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)
FINAL_STATUSES = frozenset({"staffed", "rejected", "failed"})


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with what every page shows (user, model, attribution)."""
    svc: usecases.Services = request.app.state.services
    model = svc.settings.model
    context.setdefault("user", None)
    context["model_label"] = "offline deterministic planner (local-planner)" if model == LOCAL_PLANNER else model
    context["attribution"] = load_task_library().attribution
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def query_params(request: Request, model: type[M]) -> M:
    """A page's filter form from the query string (empty fields ignored); a 422 page names a bad field."""
    try:
        return model.model_validate({k: v for k, v in request.query_params.items() if v != ""})
    except ValidationError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "bad filter: " + "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in err.errors())) from err


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    """An error shown as a page."""
    return render(request, "error.html", status_code=status_code, message=message, status_code_value=status_code)


@router.get("/")
async def home(user: CurrentUser) -> Response:
    """Managers land on their goals, reviewers on the queue."""
    landing = {"reviewer": "/reviews", "employee": "/me/skills"}.get(user["role"], "/goals")
    return RedirectResponse(landing, status_code=303)


@router.get("/login")
async def login_page(request: Request, next: str = "/") -> Response:
    """Sign-in form."""
    return render(request, "login.html", next=next, error=None)


@router.post("/login")
async def login_submit(request: Request, svc: SvcDep, login: Annotated[str, Form()],
                       password: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    """Check credentials and start a session."""
    user = await authenticate(svc, login.strip(), password)
    if user is None:
        return render(request, "login.html", status_code=401, next=next, error="Wrong login or password.")
    request.session["login"] = user["login"]
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/goals")
async def goals_page(request: Request, svc: SvcDep, user: CurrentUser) -> Response:
    """Goals you can see, and the form to write a new one (managers)."""
    if user["role"] not in ("manager", "reviewer", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "goals are for managers, reviewers and admins")
    rows = await usecases.list_goals(svc, manager_login=user["login"] if user["role"] == "manager" else None)
    return render(request, "goals.html", user=user, goals=rows, error=None, text="")


@router.post("/goals")
async def goals_submit(request: Request, svc: SvcDep, user: ManagerUser, text: Annotated[str, Form()] = "") -> Response:
    """Submit a goal from the form."""
    if user["role"] != "manager":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "submit goals as the manager they are for (or use the API)")
    try:
        goal_id = await usecases.submit_goal(svc, text=text, manager_login=user["login"], submitted_by=user["login"])
    except usecases.Invalid as err:
        rows = await usecases.list_goals(svc, manager_login=user["login"])
        return render(request, "goals.html", status_code=422, user=user, goals=rows, error=err.message, text=text)
    return RedirectResponse(f"/goals/{goal_id}", status_code=303)


async def _goal_for(svc: usecases.Services, user: dict[str, Any], goal_id: str) -> dict[str, Any]:
    goal = await usecases.get_goal(svc, goal_id)
    if not can_see_goal(user, goal):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no goal {goal_id!r}")
    return goal


@router.get("/goals/{goal_id}")
async def goal_page(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser) -> Response:
    """A goal: status (live), tasks, assignments."""
    goal = await _goal_for(svc, user, goal_id)
    return render(request, "goal.html", user=user, goal=goal, final=goal["status"] in FINAL_STATUSES,
                  may_retry=usecases.may_retry(user, goal), retry_error=None)


@router.post("/goals/{goal_id}/retry")
async def goal_retry(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser) -> Response:
    """Try a failed goal again (once its model is fixed); errors show next to the button."""
    try:
        await usecases.retry_goal(svc, goal_id, user=user)
    except usecases.ServiceError as err:
        goal = await _goal_for(svc, user, goal_id)
        return render(request, "goal.html", status_code=err.status, user=user, goal=goal,
                      final=goal["status"] in FINAL_STATUSES, may_retry=usecases.may_retry(user, goal),
                      retry_error=err.message)
    return RedirectResponse(f"/goals/{goal_id}", status_code=303)


@router.get("/goals/{goal_id}/live")
async def goal_live(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser) -> Response:
    """The live part of the goal page (polled by htmx until the goal is final)."""
    goal = await _goal_for(svc, user, goal_id)
    return render(request, "goal_live.html", user=user, goal=goal, final=goal["status"] in FINAL_STATUSES,
                  may_retry=usecases.may_retry(user, goal), retry_error=None)


@router.get("/goals/{goal_id}/audit")
async def audit_page(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser) -> Response:
    """The goal's audit trail."""
    goal = await _goal_for(svc, user, goal_id)
    events = await usecases.audit_for_goal(svc, goal_id)
    return render(request, "audit.html", user=user, goal=goal, events=events)


@router.get("/audit")
async def audit_trail_page(request: Request, svc: SvcDep, user: ReviewerUser) -> Response:
    """The whole audit trail with filters, pages and export links (reviewers and admins)."""
    params = query_params(request, AuditParams)
    events, total = await audit_query.search(svc.pool, params.to_query())
    query = params.model_dump(exclude_none=True, exclude={"after_seq", "limit"}, mode="json")
    next_url = ("/audit?" + urlencode({**query, "after_seq": events[-1]["seq"], "limit": params.limit})
                if len(events) < total else None)
    return render(request, "audit_trail.html", user=user, events=events, total=total, params=params,
                  next_url=next_url, export_query=urlencode(query),
                  retention_days=svc.settings.audit_retention_days)


@router.get("/reviews")
async def reviews_page(request: Request, svc: SvcDep, user: ReviewerUser) -> Response:
    """The review queue with filters and pages."""
    params = query_params(request, ReviewQueueParams)
    rows, total = await usecases.search_reviews(svc, params.to_filters())
    departments = await svc.pool.fetch("SELECT code, name FROM departments ORDER BY name")
    query = params.model_dump(exclude_none=True)

    def page_link(offset: int) -> str:
        return "/reviews?" + urlencode({**query, "offset": offset})

    return render(request, "reviews.html", user=user, reviews=rows, total=total, params=params, state=params.state,
                  departments=departments, bulk_types={n for n, a in ACTION_TYPES.items() if bulk_approvable(a)},
                  prev_url=page_link(max(0, params.offset - params.limit)) if params.offset else None,
                  next_url=page_link(params.offset + params.limit) if params.offset + len(rows) < total else None)


@router.post("/reviews/bulk-approve")
async def reviews_bulk_approve(request: Request, svc: SvcDep, user: ReviewerUser) -> Response:
    """Approve the low-risk reviews ticked on the queue page (``approve`` = review id:args hash)."""
    form = await request.form()
    items: dict[str, str | None] = {}
    for value in form.getlist("approve"):
        review_id, _, seen_hash = str(value).partition(":")
        items[review_id] = seen_hash or None
    try:
        result = await usecases.bulk_approve(svc, reviewer=user["login"], items=items)
    except usecases.ServiceError as err:
        return error_page(request, err.status, err.message)
    return render(request, "bulk_result.html", user=user, result=result)


async def _review_context(svc: usecases.Services, review: dict[str, Any],
                          plan_form: PlanForm | None = None) -> dict[str, Any]:
    """What review.html needs besides the review: the plan, the proposal by task, people's names; for a plan review
    the plan's form (the planned values, or ``plan_form``: what the reviewer typed, with what is wrong in it)."""
    plan = review["evidence"]["plan"]
    proposal_doc = review["evidence"].get("proposal") or {"tasks": []}
    proposal = {t["task_id"]: t for t in proposal_doc["tasks"]}
    ids: list[str] = []
    for args in (review["arguments"], review.get("decided_arguments") or {}):
        ids += [a["employee_id"] for a in args.get("assignments", [])]
    ids += [c["employee_id"] for t in proposal.values() for c in t["candidates"]]
    codes = sorted({c for t in review["arguments"].get("tasks", []) for c in t.get("occupations") or []})
    async with svc.pool.acquire() as conn:
        bias_audit = await bias.audit_review(conn, review["review_id"])
        occupations = {r["code"]: r["title"] for r in await conn.fetch(
            "SELECT code, title FROM onet_occupations WHERE code = ANY($1::text[])", codes)}
    is_plan = review["action_type"] == DECOMPOSE_GOAL.name
    return {"plan": plan, "proposal": proposal, "names": await usecases.employee_names(svc, ids),
            "occupations": occupations,
            "reasons": REJECTION_REASONS, "is_plan": is_plan,
            "bias_audit": bias_audit, **(_plan_context(review, plan_form) if is_plan else {})}


@router.get("/reviews/{review_id}")
async def review_page(request: Request, review_id: str, svc: SvcDep, user: ReviewerUser) -> Response:
    """A review: what will execute, the evidence behind it, and the decision forms."""
    return await _render_review(request, svc, user, review_id)


async def _render_review(request: Request, svc: usecases.Services, user: dict[str, Any], review_id: str,
                         error: str | None = None, status_code: int = 200,
                         swaps: dict[str, str] | None = None, plan_form: PlanForm | None = None) -> Response:
    review = await usecases.get_review(svc, review_id)
    return render(request, "review.html", status_code=status_code, user=user, review=review, error=error,
                  swaps=swaps or {},
                  own=user["login"] in (review["requested_by"], review["manager_login"], review["submitted_by"]),
                  **await _review_context(svc, review, plan_form))


@router.post("/reviews/{review_id}/decision")
async def review_decide(request: Request, review_id: str, svc: SvcDep, user: ReviewerUser) -> Response:
    """Decide from the review page's forms: swaps (``edit_T1``) or plan changes (``title_T1``, ``skills_T1`` ...,
    ``drop_T1``, new tasks ``title_new1`` ..., ``assumptions``).

    A plan edit that is not valid comes back as the page (422) with each problem next to its field and every value
    as the reviewer typed it; ``decision=add_task`` only adds a blank new task to the form.
    """
    form = await request.form()
    decision = str(form.get("decision", ""))
    edits = {k[5:]: str(v).strip() for k, v in form.items() if k.startswith("edit_") and str(v).strip()}
    review = await usecases.get_review(svc, review_id)
    plan_form: PlanForm | None = None
    changes = PlanChanges()
    if review["action_type"] == DECOMPOSE_GOAL.name and review["status"] in ("pending", "parked"):
        plan = GoalPlan.model_validate(review["arguments"])
        plan_form = _plan_form(plan, form, add_slot=decision == "add_task")
        if decision == "add_task":
            return await _render_review(request, svc, user, review_id, plan_form=plan_form)
        if decision != "reject":  # a rejected plan executes nothing: what was typed into it does not matter
            changes = _task_edits(plan_form, plan)
        if changes.invalid:
            return await _render_review(request, svc, user, review_id, status_code=422, plan_form=plan_form,
                                        error="Some changes are not valid: see the marked fields below.")
        if decision == "approve" and (changes.task_edits or changes.new_tasks or changes.assumptions is not None
                                      or changes.open_questions is not None):
            return await _render_review(
                request, svc, user, review_id, status_code=422, plan_form=plan_form,
                error="You changed the plan: press “Approve with changes” to apply your changes, "
                      "or undo them to approve the plan as proposed.")
    try:
        await usecases.decide_review(
            svc, review_id=review_id, decision=decision, reviewer=user["login"],
            reason=str(form.get("reason", "")) or None, reason_code=str(form.get("reason_code", "")) or None,
            edits=edits or None, task_edits=changes.task_edits or None, new_tasks=changes.new_tasks or None,
            assumptions=changes.assumptions, open_questions=changes.open_questions,
            args_hash=str(form.get("args_hash", "")) or None)
    except usecases.PlanEditInvalid as err:
        if plan_form is not None:
            plan_form.attach(err.issues, dict(zip(err.new_task_ids, changes.new_forms, strict=False)))
        return await _render_review(request, svc, user, review_id, error=err.message, status_code=err.status,
                                    swaps=edits, plan_form=plan_form)
    except usecases.ServiceError as err:
        return await _render_review(request, svc, user, review_id, error=err.message, status_code=err.status,
                                    swaps=edits, plan_form=plan_form)
    return RedirectResponse(f"/reviews/{review_id}", status_code=303)


@router.get("/skills/suggest")
async def skills_suggest(request: Request, user: ReviewerUser, q: str = "") -> Response:
    """Known skill names for what was typed: ``<option>`` elements for a ``<datalist>`` (htmx), else a look-up page.

    htmx sends the typing field's own value (``skills_T3=…``): without ``q``, the first non-empty value is taken.
    """
    text = q or next((str(v) for v in request.query_params.values() if str(v).strip()), "")
    text = text.strip()[:200]
    found = await asyncio.to_thread(suggest_skills, text, top=10) if text else []
    if request.headers.get("HX-Request") == "true":
        return HTMLResponse("".join(f'<option value="{escape(name)}"></option>' for name in found))
    return render(request, "skills_lookup.html", user=user, q=text, found=found)


_FORM_FIELD = {"title": "title", "task_id": "title", "description": "description", "skills": "skills",
               "effort_hours": "effort", "start_week": "start", "end_week": "end", "window": "end",
               "depends_on": "after"}
"""Plan issue field → the form field it is shown next to (anything else: the top of the task)."""
_NEW_FIELD = re.compile(r"^(title|description|skills|effort|start|end|after)_new(\d{1,2})$")


@dataclass(kw_only=True)
class TaskForm:
    """One task of the plan form: the planned values, or what the reviewer typed."""

    key: str
    """Suffix of its form fields: the task id, or ``new1``, ``new2`` ... for a task being added."""
    task_id: str
    """The task's id (a new task: the id it will get)."""
    new: bool = False
    """Whether the reviewer is adding it."""
    title: str = ""
    description: str = ""
    skills: list[str] = field(default_factory=list)
    effort: str = ""
    start: str = ""
    end: str = ""
    after: str = ""
    """Ids of the tasks it waits for, as typed (``T1, T2``)."""
    drop: bool = False
    phase: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    """Form field (title, description, skills, effort, start, end, after; ``task``: the whole task) → problems."""

    def is_blank(self) -> bool:
        """A new task's slot left empty (ignored)."""
        return not any((self.title.strip(), self.description.strip(), self.skills, self.effort.strip(),
                        self.start.strip(), self.end.strip(), self.after.strip()))

    def fail(self, form_field: str, message: str) -> None:
        """Record a problem next to a field."""
        self.errors.setdefault(form_field, []).append(message)


@dataclass(kw_only=True)
class PlanForm:
    """The plan part of the review form."""

    tasks: list[TaskForm]
    """Planned tasks, then the new ones."""
    assumptions: str
    """The assumptions, one per line."""
    open_questions: str = ""
    """The questions for the manager, one per line."""
    errors: dict[str, list[str]] = field(default_factory=dict)
    """Problems of the plan as a whole (``plan``), of its assumptions (``assumptions``) or its questions
    (``open_questions``)."""

    def attach(self, issues: list[PlanIssue], new_forms: dict[str, TaskForm]) -> None:
        """Put each issue next to its field (new tasks' issues name the ids the service gave them)."""
        by_id = {t.task_id: t for t in self.tasks if not t.new} | new_forms
        for issue in issues:
            task = by_id.get(issue.task_id or "")
            if task is None:
                where = issue.field if issue.field in ("assumptions", "open_questions") else "plan"
                self.errors.setdefault(where, []).append(usecases.issue_text(issue))
            else:
                task.fail(_FORM_FIELD.get(issue.field, "task"), issue.message)


@dataclass(kw_only=True)
class PlanChanges:
    """What the reviewer changed on the plan form, as the service takes it."""

    task_edits: dict[str, usecases.TaskEdit] = field(default_factory=dict)
    new_tasks: list[usecases.NewTask] = field(default_factory=list)
    new_forms: list[TaskForm] = field(default_factory=list)
    """The form of each new task, in ``new_tasks``' order."""
    assumptions: list[str] | None = None
    """The assumptions when they changed."""
    open_questions: list[str] | None = None
    """The questions for the manager when they changed."""
    invalid: bool = False
    """Some field could not be read (its problem is on the form)."""


def _task_refs(text: str) -> list[str]:
    """``T1, t2 3`` → ``["T1", "T2", "T3"]`` (anything else is kept for the check to name)."""
    refs = [r for r in re.split(r"[\s,;]+", text.strip()) if r]
    return [f"T{r}" if r.isdigit() else r.upper() for r in refs]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _plan_form(plan: GoalPlan, form: Any | None = None, *, add_slot: bool = False) -> PlanForm:
    """The plan's form: planned values, overridden by what was submitted (a field not sent keeps its planned value)."""

    def value(name: str, planned: str) -> str:
        return str(form.get(name, planned)) if form is not None else planned

    def skills(name: str, planned: list[str]) -> list[str]:
        if form is None or name not in form:
            return list(planned)
        return [str(v).strip() for v in form.getlist(name) if str(v).strip()]

    tasks = [TaskForm(key=t.task_id, task_id=t.task_id, title=value(f"title_{t.task_id}", t.title),
                      description=value(f"description_{t.task_id}", t.description),
                      skills=skills(f"skills_{t.task_id}", t.skills),
                      effort=value(f"effort_{t.task_id}", str(t.effort_hours)),
                      start=value(f"start_{t.task_id}", str(t.start_week)),
                      end=value(f"end_{t.task_id}", str(t.end_week)),
                      after=value(f"after_{t.task_id}", ", ".join(t.depends_on)),
                      drop=form is not None and bool(form.get(f"drop_{t.task_id}")), phase=t.phase)
             for t in plan.tasks]
    found = [int(m.group(2)) for k in (form.keys() if form is not None else []) if (m := _NEW_FIELD.match(str(k)))]
    slots = max([1, *found]) + (1 if add_slot else 0)
    ids = usecases.next_task_ids(plan, slots)
    for n in range(1, slots + 1):
        key = f"new{n}"
        tasks.append(TaskForm(key=key, task_id=ids[n - 1], new=True, title=value(f"title_{key}", ""),
                              description=value(f"description_{key}", ""), skills=skills(f"skills_{key}", []),
                              effort=value(f"effort_{key}", ""), start=value(f"start_{key}", ""),
                              end=value(f"end_{key}", ""), after=value(f"after_{key}", "")))
    return PlanForm(tasks=tasks, assumptions=value("assumptions", "\n".join(plan.assumptions)),
                    open_questions=value("open_questions", "\n".join(plan.open_questions)))


def _task_edits(plan_form: PlanForm, plan: GoalPlan) -> PlanChanges:
    """The changes on the plan form: a field counts when it differs from the plan. Fields that cannot be read (not a
    whole number, too short, ...) are marked on the form and make the changes ``invalid``."""
    changes = PlanChanges()
    planned = {t.task_id: t for t in plan.tasks}
    for row in plan_form.tasks:
        task = planned.get(row.task_id) if not row.new else None
        if task is not None:
            change: dict[str, Any] = {"drop": True} if row.drop else {
                name: typed for name, typed, was in (
                    ("title", row.title.strip(), task.title.strip()),
                    ("description", "\n".join(_lines(row.description)), "\n".join(_lines(task.description))),
                    ("skills", row.skills, [s.strip() for s in task.skills]),
                    ("effort_hours", row.effort.strip(), str(task.effort_hours)),
                    ("start_week", row.start.strip(), str(task.start_week)),
                    ("end_week", row.end.strip(), str(task.end_week)),
                    ("depends_on", _task_refs(row.after), task.depends_on),
                ) if typed != was}
            if change:
                try:
                    changes.task_edits[task.task_id] = usecases.TaskEdit.model_validate(change)
                except ValidationError as err:
                    changes.invalid = True
                    for issue in usecases.validation_issues(err, task.task_id):
                        row.fail(_FORM_FIELD.get(issue.field, "task"), issue.message)
        elif row.new and not row.is_blank():
            typed = {"title": row.title.strip(), "description": "\n".join(_lines(row.description)) or None,
                     "skills": row.skills or None, "effort_hours": row.effort.strip(),
                     "start_week": row.start.strip(), "end_week": row.end.strip(),
                     "depends_on": _task_refs(row.after)}
            try:
                changes.new_tasks.append(usecases.NewTask.model_validate(
                    {k: v for k, v in typed.items() if v not in ("", None)}))
                changes.new_forms.append(row)
            except ValidationError as err:
                changes.invalid = True
                for issue in usecases.validation_issues(err, row.task_id):
                    row.fail(_FORM_FIELD.get(issue.field, "task"), issue.message)
    assumptions = _lines(plan_form.assumptions)
    if assumptions != plan.assumptions:
        changes.assumptions = assumptions
    questions = _lines(plan_form.open_questions)
    if questions != plan.open_questions:
        changes.open_questions = questions
    return changes


def window_dates(starts_on: date | None, start: Any, end: Any) -> str:
    """``14 Dec – 10 Jan 2027``: the first and last day of weeks ``start`` to ``end`` (exclusive); empty if unknown."""
    try:
        first_week, end_week = int(start), int(end)
    except (TypeError, ValueError):
        return ""
    if starts_on is None or end_week <= first_week or first_week < 0 or end_week > 520:
        return ""
    first = starts_on + timedelta(weeks=first_week)
    last = starts_on + timedelta(weeks=end_week, days=-1)
    head = f"{first.day} {first:%b}" + (f" {first.year}" if first.year != last.year else "")
    return f"{head} – {last.day} {last:%b %Y}"


def _plan_context(review: dict[str, Any], plan_form: PlanForm | None) -> dict[str, Any]:
    """The plan review's part of review.html: the plan, its form, dates of weeks, what an edit changed."""
    plan = GoalPlan.model_validate(review["arguments"])
    starts_on: date | None = review.get("starts_on")
    executed: list[str] = []
    if review["status"] == "edited" and review.get("decided_arguments"):
        executed = plan_diff(plan, GoalPlan.model_validate(review["decided_arguments"]))
    pending = review["status"] in ("pending", "parked")
    return {"plan_doc": plan, "plan_form": plan_form or (_plan_form(plan) if pending else None),
            "open_issues": [usecases.issue_text(i) for i in plan.open_issues],
            "dates": lambda start, end: window_dates(starts_on, start, end),
            "first_day": _day(starts_on, 0), "deadline_day": _day(starts_on, plan.deadline_weeks),
            "executed_changes": executed}


def _day(starts_on: date | None, weeks: int, days: int = 0) -> str:
    """``14 Dec 2026``: the day ``weeks`` weeks and ``days`` days after the goal's start (empty if unknown)."""
    if starts_on is None:
        return ""
    day = starts_on + timedelta(weeks=weeks, days=days)
    return f"{day.day} {day:%b %Y}"
