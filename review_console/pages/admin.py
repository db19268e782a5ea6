"""HTML pages for admins: the trust ramp per action type (levels, pins, policies), whether each model answers, how
line managers answer release requests, the learning catalogue (its size, importing a file), and the console
sessions in force (revocable)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, get_args

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from infra.settings import LOCAL_PLANNER, AgentName
from infra.store import model_health
from infra.store.sessions import SessionRecord
from infra.store.users import User
from policies import ramp_store
from policies.ramp_store import LevelChange
from review_console.deps import AdminUser, SvcDep
from review_console.pages.rendering import render
from workflows import usecases
from workflows.usecases import learning, moves
from workflows.usecases.learning import MAX_BYTES

router = APIRouter(prefix="/admin", include_in_schema=False)

OUTPUT_MODE_WORDS = {"tool": "a forced tool call", "native": "the server's JSON-schema output",
                     "prompted": "the schema in the prompt, answer read from text"}
"""How each structured-output mode asks the model, in words."""


@dataclass(frozen=True, kw_only=True)
class ModelRow:
    """One agent's model on the admin page, in words."""

    agent: str
    """The agent's internal name (kept in ``data-agent`` for scripts and tests, not shown as text)."""
    what: str
    """What the agent does (``Drafting plans``)."""
    model: str
    """The model and where it is served, or the offline planner."""
    output: str | None
    """How it is asked for structured output; None for the offline planner."""
    ok: bool | None
    """Whether it answered the last probe; None when never probed."""
    answer: str
    """The last probe's result in a sentence."""
    checked: str | None
    """When that was (``2 min ago``)."""
    checked_at: datetime | None
    """When that was, exactly."""
    worker: str | None
    """The worker that probed."""


def model_rows(records: list[model_health.ModelHealthRecord], now: datetime | None = None) -> list[ModelRow]:
    """Every agent, with its workers' latest probe (or a row saying it was not probed yet)."""
    now = now or datetime.now(UTC)
    by_agent = {r.agent: r for r in records}
    rows = []
    for agent in [*get_args(AgentName), *sorted(set(by_agent) - set(get_args(AgentName)))]:
        what = model_health.AGENT_WORDS.get(agent, agent.replace("_", " ").capitalize())
        r = by_agent.get(agent)
        if r is None:
            rows.append(ModelRow(agent=agent, what=what, model="not known yet", output=None, ok=None,
                                 answer="Not checked yet: a worker checks when it starts, then every 5 minutes.",
                                 checked=None, checked_at=None, worker=None))
            continue
        offline = r.model == LOCAL_PLANNER
        served = f" (the server calls it {r.served_model})" if r.served_model else ""
        rows.append(ModelRow(
            agent=agent, what=what,
            model="offline planner (deterministic, no network)" if offline else r.description + served,
            output=None if offline else OUTPUT_MODE_WORDS.get(r.output_mode, r.output_mode), ok=r.ok,
            answer=r.detail[:1].upper() + r.detail[1:], checked=model_health.age_words(r.checked_at, now),
            checked_at=r.checked_at, worker=r.worker))
    return rows


def level_chart(history: list[LevelChange], width: int = 320, height: int = 60) -> str:
    """An inline SVG step line of the review level over the history points."""
    if not history:
        return ""
    n = len(history)
    points = []
    for i, h in enumerate(history):
        x = round(i * (width - 10) / max(1, n - 1)) + 5
        y = round((1 - h.level) * (height - 10)) + 5
        points.append(f"{x},{y}")
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="review level over time">'
            f'<rect width="{width}" height="{height}" fill="#f6f7f9"/>'
            f'<polyline fill="none" stroke="#2b6cb0" stroke-width="2" points="{" ".join(points)}"/></svg>')


@dataclass(frozen=True, kw_only=True)
class CatalogueUpload:
    """What the learning catalogue's upload form shows after a file was sent: what it did, or what is wrong."""

    filename: str
    """The file sent."""
    imported: str | None = None
    """What the import did, in a sentence (None: it was refused)."""
    problems: list[str] | None = None
    """Why it was refused: one entry per bad line (or one for the file)."""


def catalogue_problems(err: usecases.Invalid) -> list[str]:
    """A refused catalogue's problems, one per bad line (the first 20, then how many more), or its message."""
    if not isinstance(err, learning.CatalogueInvalid):
        return [err.message]
    more = len(err.problems) - 20
    return err.problems[:20] + ([f"… and {more} more (fix these and try again to see the rest)"] if more > 0 else [])


async def _ramp_page(request: Request, svc: usecases.Services, user: User, *, status_code: int = 200,
                     error: str | None = None, upload: CatalogueUpload | None = None) -> Response:
    async with svc.pool.acquire() as conn:
        views = await ramp_store.admin_view(conn)
        models = model_rows(await model_health.latest(conn))
    releases = await moves.release_counts(svc, user)
    return render(request, "admin_ramp.html", status_code=status_code, user=user, views=views, chart=level_chart,
                  error=error, models=models, releases=releases, catalogue_size=await learning.catalogue_size(svc),
                  upload=upload, upload_limit=min(MAX_BYTES, svc.settings.max_request_body_bytes))


@router.get("/trust-ramp")
async def ramp_page(request: Request, svc: SvcDep, user: AdminUser, error: str | None = None) -> Response:
    """The admin page: the trust ramp, the models, the releases per line manager and the learning catalogue."""
    return await _ramp_page(request, svc, user, error=error)


@router.post("/learning")
async def learning_upload(request: Request, svc: SvcDep, user: AdminUser,
                          file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Import a learning catalogue file from the admin page: the page again with what it did, or (422) with each
    bad line of the file listed next to the form."""
    if file is None or not file.filename:
        upload = CatalogueUpload(filename="", problems=["choose a catalogue file (.jsonl or .csv) first"])
        return await _ramp_page(request, svc, user, status_code=422, upload=upload)
    content = await file.read()
    try:
        result = await learning.import_catalogue(svc, user, filename=file.filename, content=content)
    except usecases.Invalid as err:
        upload = CatalogueUpload(filename=file.filename, problems=catalogue_problems(err))
        return await _ramp_page(request, svc, user, status_code=err.status, upload=upload)
    words = (f"{result.added} new item{'s' if result.added != 1 else ''} added, "
             f"{result.updated} updated")
    return await _ramp_page(request, svc, user, upload=CatalogueUpload(filename=file.filename, imported=words))


@router.post("/trust-ramp/{action_type}/pin")
async def ramp_pin_form(action_type: str, svc: SvcDep, user: AdminUser, request: Request,
                        share: Annotated[str, Form()] = "") -> Response:
    """Pin or unpin from the page form (empty share unpins)."""
    try:
        value = float(share) / 100 if share.strip() else None
    except ValueError:
        return await _ramp_page(request, svc, user, error=f"{share!r} is not a percentage")
    async with svc.pool.acquire() as conn:
        try:
            await ramp_store.set_pin(conn, action_type, value, by=user.login)
        except ramp_store.PolicyError as err:
            return await _ramp_page(request, svc, user, error=str(err))
    return RedirectResponse("/admin/trust-ramp", status_code=303)


@router.post("/trust-ramp/{action_type}/policy")
async def ramp_policy_form(action_type: str, svc: SvcDep, user: AdminUser, request: Request,
                           levels: Annotated[str, Form()], max_error_rate: Annotated[str, Form()],
                           floor: Annotated[str, Form()], sla_hours: Annotated[str, Form()] = "",
                           max_escalations: Annotated[str, Form()] = "1",
                           timeout_default: Annotated[str, Form()] = "",
                           bias_threshold: Annotated[str, Form()] = "",
                           bias_action: Annotated[str, Form()] = "") -> Response:
    """Save a policy version from the page form (percentages and hours)."""
    try:
        changes: dict[str, Any] = {
            "levels": [float(x) / 100 for x in levels.replace("%", "").split(",") if x.strip()],
            "max_error_rate": float(max_error_rate) / 100, "floor": float(floor) / 100,
            "sla_seconds": round(float(sla_hours) * 3600) if sla_hours.strip() else None,
            "max_escalations": int(max_escalations),
        }
        if timeout_default:
            changes["timeout_default"] = timeout_default
        if bias_threshold.strip():
            changes["bias_threshold"] = float(bias_threshold)
        if bias_action:
            changes["bias_action"] = bias_action
    except ValueError:
        return await _ramp_page(request, svc, user, error="levels, error rate and floor are percentages; SLA in hours; "
                                                              "the bias threshold is a ratio such as 0.8")
    async with svc.pool.acquire() as conn:
        try:
            await ramp_store.save_policy(conn, action_type, changes, by=user.login)
        except ramp_store.PolicyError as err:
            return await _ramp_page(request, svc, user, error=str(err))
    return RedirectResponse("/admin/trust-ramp", status_code=303)


@router.get("/sessions")
async def sessions_page(request: Request, svc: SvcDep, user: AdminUser) -> Response:
    """Who is signed in: the live sessions per user, each with a button to revoke it."""
    rows = await usecases.list_sessions(svc, by=user)
    by_login: dict[str, list[SessionRecord]] = {}
    for row in rows:
        by_login.setdefault(row.login, []).append(row)
    current = getattr(request.state, "session", None)
    return render(request, "admin_sessions.html", user=user, by_login=by_login, count=len(rows),
                  current_id=current.session.session_id if current is not None else None)


@router.post("/sessions/{session_id}/revoke")
async def revoke_session_form(session_id: str, svc: SvcDep, user: AdminUser) -> Response:
    """End a session from the page (audited); back to the list."""
    await usecases.revoke_session(svc, session_id, by=user)
    return RedirectResponse("/admin/sessions", status_code=303)
