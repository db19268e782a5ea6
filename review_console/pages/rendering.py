"""What every HTML page shares: the templates and their globals, ``render``, error pages and filter forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any, TypeVar

from fastapi import HTTPException, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError

from infra.settings import LOCAL_PLANNER
from infra.store import onboarding
from policies.release import RELEASE_WORKING_DAYS
from policies.review_routing import ACTION_WORDS
from review_console.deps import SessionDep, SvcDep
from tools.taxonomy.task_library import load_task_library
from workflows import usecases
from workflows.usecases import moves
from workflows.usecases.onboarding import ROLE_WORDS

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
templates.env.globals["action_words"] = ACTION_WORDS
templates.env.globals["release_working_days"] = RELEASE_WORKING_DAYS
MOVE_WORDS = {**moves.STATE_WORDS, "offered": "Offered; waiting for their answer"}
"""Each move state in words as others read it (the goal's page): ``STATE_WORDS`` speaks to the person staffed."""
templates.env.globals["state_words"] = moves.STATE_WORDS
templates.env.globals["move_words"] = MOVE_WORDS
ONBOARDING_WORDS = {"drafted": "Drafted; waiting for HR's review", "in_review": "Waiting for HR's review",
                    "active": "Running", "completed": "Finished", "rejected": "Not going ahead"}
"""Each onboarding plan status in words."""
OUTCOME_WORDS = {"productive": "held: productive", "not_yet": "held: not productive yet"}
"""A check-in's outcome in words."""
templates.env.globals["onboarding_words"] = ONBOARDING_WORDS
templates.env.globals["outcome_words"] = OUTCOME_WORDS
templates.env.globals["role_words"] = ROLE_WORDS
templates.env.globals["kind_words"] = {"learning": "learning", "practice": "practice", "checkin": "check-in",
                                       "meeting": "meeting", "admin": "paperwork"}


def model_words(model: str | None) -> str:
    """A model as people read it: the offline planner by that name, others by their model string."""
    return "the offline planner" if model in (None, LOCAL_PLANNER) else str(model)


templates.env.globals["model_words"] = model_words


def sentence(text: str | None) -> str:
    """A use case's message as a sentence on a page: capital first letter, full stop at the end."""
    text = (text or "").strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "”")) else text + "."


def day_words(value: date | datetime | None, *, time: bool = False) -> str:
    """``Wed 9 Dec 2026`` (with ``time``: ``Wed 9 Dec 2026, 16:34 UTC``); empty when unknown."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        words = f"{value:%a} {value.day} {value:%b %Y}"
        return f"{words}, {value:%H:%M} UTC" if time else words
    return f"{value:%a} {value.day} {value:%b %Y}"


templates.env.filters["sentence"] = sentence
templates.env.filters["day"] = day_words
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, kw_only=True)
class Nav:
    """What the header shows besides the user: the inbox's unread count and whether to link My team."""

    unread: int
    """The signed-in user's unread notifications."""
    team: bool
    """Whether they have a team page: a line manager (role ``manager`` with an employee record) or someone asked
    for a release."""
    onboarding: bool = False
    """Whether they have a part in a running or finished onboarding plan (as the person moving, their buddy, their
    line manager or the goal's manager)."""


async def nav_facts(request: Request, svc: SvcDep, session: SessionDep) -> None:
    """Dependency of every page: the header's facts for the signed-in user in ``request.state.nav`` (one COUNT of
    their unread notifications; for a non-manager employee, their release counts too; whether they have an
    onboarding plan to see). Skipped for htmx requests (partials have no header) and when nobody is signed in."""
    if session is None or request.headers.get("hx-request") == "true":
        return
    user = session.user
    team = bool(user.employee_id) and (
        user.role == "manager" or await moves.my_release_counts(svc, user) is not None)
    plans = await onboarding.involving(svc.pool, user.employee_id or "", user.login)
    request.state.nav = Nav(unread=await moves.unread(svc, user), team=team, onboarding=bool(plans))


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with what every page shows (user, model, attribution, the header's ``nav``) and the
    session's CSRF token (``csrf_token``: every POST form carries it in a hidden field, htmx in the
    ``X-CSRF-Token`` header)."""
    svc: usecases.Services = request.app.state.services
    model = svc.settings.model
    context.setdefault("user", None)
    context["nav"] = getattr(request.state, "nav", None)
    session = getattr(request.state, "session", None)
    context["csrf_token"] = session.csrf_token if session is not None else ""
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
