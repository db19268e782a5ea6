"""HTML console: Jinja2 pages, htmx for live status. Same role checks as the API."""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError

from infra import audit_query
from infra.settings import LOCAL_PLANNER
from policies.review_routing import ACTION_TYPES, DECOMPOSE_GOAL, REJECTION_REASONS, bulk_approvable
from review_console import service
from review_console.api.models import AuditParams, ReviewQueueParams
from review_console.deps import CurrentUser, ManagerUser, ReviewerUser, SvcDep, authenticate, can_see_goal
from tools import bias
from tools.taxonomy import load_task_library

templates = Jinja2Templates(directory=str(resources.files("review_console") / "templates"))
router = APIRouter(include_in_schema=False)
M = TypeVar("M", bound=BaseModel)
FINAL_STATUSES = frozenset({"staffed", "rejected", "failed"})


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with what every page shows (user, model, attribution)."""
    svc: service.Services = request.app.state.services
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
    rows = await service.list_goals(svc, manager_login=user["login"] if user["role"] == "manager" else None)
    return render(request, "goals.html", user=user, goals=rows, error=None, text="")


@router.post("/goals")
async def goals_submit(request: Request, svc: SvcDep, user: ManagerUser, text: Annotated[str, Form()] = "") -> Response:
    """Submit a goal from the form."""
    if user["role"] != "manager":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "submit goals as the manager they are for (or use the API)")
    try:
        goal_id = await service.submit_goal(svc, text=text, manager_login=user["login"], submitted_by=user["login"])
    except service.Invalid as err:
        rows = await service.list_goals(svc, manager_login=user["login"])
        return render(request, "goals.html", status_code=422, user=user, goals=rows, error=err.message, text=text)
    return RedirectResponse(f"/goals/{goal_id}", status_code=303)


async def _goal_for(svc: service.Services, user: dict[str, Any], goal_id: str) -> dict[str, Any]:
    goal = await service.get_goal(svc, goal_id)
    if not can_see_goal(user, goal):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no goal {goal_id!r}")
    return goal


@router.get("/goals/{goal_id}")
async def goal_page(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser) -> Response:
    """A goal: status (live), tasks, assignments."""
    goal = await _goal_for(svc, user, goal_id)
    return render(request, "goal.html", user=user, goal=goal, final=goal["status"] in FINAL_STATUSES)


@router.get("/goals/{goal_id}/live")
async def goal_live(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser) -> Response:
    """The live part of the goal page (polled by htmx until the goal is final)."""
    goal = await _goal_for(svc, user, goal_id)
    return render(request, "goal_live.html", user=user, goal=goal, final=goal["status"] in FINAL_STATUSES)


@router.get("/goals/{goal_id}/audit")
async def audit_page(request: Request, goal_id: str, svc: SvcDep, user: CurrentUser) -> Response:
    """The goal's audit trail."""
    goal = await _goal_for(svc, user, goal_id)
    events = await service.audit_for_goal(svc, goal_id)
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
    rows, total = await service.search_reviews(svc, params.to_filters())
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
        result = await service.bulk_approve(svc, reviewer=user["login"], items=items)
    except service.ServiceError as err:
        return error_page(request, err.status, err.message)
    return render(request, "bulk_result.html", user=user, result=result)


async def _review_context(svc: service.Services, review: dict[str, Any]) -> dict[str, Any]:
    """What review.html needs besides the review: the plan, the proposal by task, people's names."""
    plan = review["evidence"]["plan"]
    proposal_doc = review["evidence"].get("proposal") or {"tasks": []}
    proposal = {t["task_id"]: t for t in proposal_doc["tasks"]}
    ids: list[str] = []
    for args in (review["arguments"], review.get("decided_arguments") or {}):
        ids += [a["employee_id"] for a in args.get("assignments", [])]
    ids += [c["employee_id"] for t in proposal.values() for c in t["candidates"]]
    async with svc.pool.acquire() as conn:
        bias_audit = await bias.audit_review(conn, review["review_id"])
    return {"plan": plan, "proposal": proposal, "names": await service.employee_names(svc, ids),
            "reasons": REJECTION_REASONS, "is_plan": review["action_type"] == DECOMPOSE_GOAL.name,
            "bias_audit": bias_audit}


@router.get("/reviews/{review_id}")
async def review_page(request: Request, review_id: str, svc: SvcDep, user: ReviewerUser) -> Response:
    """A review: what will execute, the evidence behind it, and the decision forms."""
    return await _render_review(request, svc, user, review_id)


async def _render_review(request: Request, svc: service.Services, user: dict[str, Any], review_id: str,
                         error: str | None = None, status_code: int = 200) -> Response:
    review = await service.get_review(svc, review_id)
    return render(request, "review.html", status_code=status_code, user=user, review=review, error=error,
                  own=user["login"] in (review["requested_by"], review["manager_login"], review["submitted_by"]),
                  **await _review_context(svc, review))


@router.post("/reviews/{review_id}/decision")
async def review_decide(request: Request, review_id: str, svc: SvcDep, user: ReviewerUser) -> Response:
    """Decide from the review page's forms (swaps ``edit_T1``, plan changes ``drop_T1`` / ``effort_T1`` ...)."""
    form = await request.form()
    decision = str(form.get("decision", ""))
    edits = {k[5:]: str(v).strip() for k, v in form.items() if k.startswith("edit_") and str(v).strip()}
    try:
        task_edits = _task_edits(form)
        await service.decide_review(
            svc, review_id=review_id, decision=decision, reviewer=user["login"],
            reason=str(form.get("reason", "")) or None, reason_code=str(form.get("reason_code", "")) or None,
            edits=edits or None, task_edits=task_edits or None, args_hash=str(form.get("args_hash", "")) or None)
    except service.ServiceError as err:
        return await _render_review(request, svc, user, review_id, error=err.message, status_code=err.status)
    return RedirectResponse(f"/reviews/{review_id}", status_code=303)


def _task_edits(form: Any) -> dict[str, service.TaskEdit]:
    """Plan changes from the form: only fields that differ from the shown value count as changes."""
    changes: dict[str, dict[str, Any]] = {}
    for key, value in form.items():
        field, _, task_id = str(key).partition("_")
        if field == "drop" and task_id:
            changes.setdefault(task_id, {})["drop"] = True
        elif field in ("effort", "start", "end") and task_id and str(value).strip():
            shown = str(form.get(f"was{field}_{task_id}", ""))
            if str(value).strip() != shown:
                name = {"effort": "effort_hours", "start": "start_week", "end": "end_week"}[field]
                try:
                    changes.setdefault(task_id, {})[name] = int(str(value).strip())
                except ValueError:
                    raise service.Invalid(f"task {task_id}: {name.replace('_', ' ')} must be a whole number") from None
    try:
        return {task_id: service.TaskEdit.model_validate(c) for task_id, c in changes.items()}
    except ValidationError as err:
        first = err.errors()[0]
        raise service.Invalid(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from err
