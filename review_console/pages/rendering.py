"""What every HTML page shares: the templates and their globals, ``render``, error pages and filter forms."""

from __future__ import annotations

from importlib import resources
from typing import Any, TypeVar

from fastapi import HTTPException, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ValidationError

from infra.settings import LOCAL_PLANNER
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
M = TypeVar("M", bound=BaseModel)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with what every page shows (user, model, attribution) and the session's CSRF token
    (``csrf_token``: every POST form carries it in a hidden field, htmx in the ``X-CSRF-Token`` header)."""
    svc: usecases.Services = request.app.state.services
    model = svc.settings.model
    context.setdefault("user", None)
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
