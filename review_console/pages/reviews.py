"""HTML pages: the review queue (filters, pages, bulk approval), a review with its decision forms (a plan's and an
onboarding plan's edits among them), and the actions that went ahead unreviewed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from infra.audit_query import UnreviewedAction
from infra.store import goals
from infra.store.onboarding import OnboardingPlan
from infra.store.plan_diff import plan_diff
from infra.store.plans import GoalPlan
from infra.store.reviews import Review
from infra.store.users import User
from policies import bias_review as bias
from policies.review_routing import (
    ACTION_TYPES,
    DECOMPOSE_GOAL,
    DRAFT_ONBOARDING_PLAN,
    FLAG_ASSIGNMENT_CERTIFICATION,
    OVERRIDE_RELEASE_REFUSAL,
    REJECTION_REASONS,
    REPROPOSE_DECLINED_TASK,
    STAFFING_LIKE,
    RiskTier,
    bulk_approvable,
)
from review_console.api.models.reviews import ReviewQueueParams, UnreviewedParams
from review_console.deps import ReviewerUser, SvcDep
from review_console.pages.certification_reviews import FlagForm, certification_context, flag_form_from
from review_console.pages.plan_form import PlanChanges, PlanForm, plan_changes, plan_form_for
from review_console.pages.rendering import error_page, query_params, render
from tools.taxonomy.store import occupation_titles
from workflows import usecases
from workflows.usecases.audit import unreviewed_actions

router = APIRouter(include_in_schema=False)


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
                  departments=departments, action_types=list(ACTION_TYPES),
                  bulk_types={n for n, a in ACTION_TYPES.items() if bulk_approvable(a)},
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
        result = await usecases.bulk_approve(svc, reviewer=user.login, items=items, via="console")
    except usecases.ServiceError as err:
        return error_page(request, err.status, err.message)
    return render(request, "bulk_result.html", user=user, result=result)


SAMPLED_TYPES = [name for name, a in ACTION_TYPES.items() if not a.affects_people and a.risk_tier is not RiskTier.HIGH]
"""Action types the trust ramp samples (the others are always reviewed, so none of them goes ahead unreviewed)."""


def output_titles(action: UnreviewedAction) -> list[str]:
    """What an action that went ahead produced, one title a line: a plan's tasks, an onboarding draft's items
    (empty when the action has no output, as a reminder)."""
    output = action.output.payload.get("output") if action.output is not None else None
    if not isinstance(output, dict):
        return []
    for part in ("tasks", "items"):
        rows = output.get(part)
        if isinstance(rows, list):
            return [str(r.get("title", "")) for r in rows if isinstance(r, dict)]
    return []


def output_summary(action: UnreviewedAction) -> str:
    """The output's summary in words, when it has one."""
    output = action.output.payload.get("output") if action.output is not None else None
    summary = output.get("summary") if isinstance(output, dict) else None
    return summary if isinstance(summary, str) else ""


@router.get("/reviews/unreviewed")
async def unreviewed_page(request: Request, svc: SvcDep, user: ReviewerUser) -> Response:
    """The agent actions the trust ramp did not sample, so they went ahead without review, newest first: when, what
    kind of action, for which goal, the share in force and the draw, and what the agent produced; filter by action
    type, and older ones page by page."""
    params = query_params(request, UnreviewedParams)
    rows = await unreviewed_actions(svc, user, action_type=params.action_type, before_seq=params.before_seq,
                                    limit=params.limit)
    texts: dict[str, str] = {}
    for goal_id in {r.routed.goal_id for r in rows if r.routed.goal_id}:
        goal = await goals.get(svc.pool, goal_id)
        if goal is not None:
            texts[goal_id] = goal.text
    kept = {"action_type": params.action_type} if params.action_type else {}
    if params.limit != UnreviewedParams.model_fields["limit"].default:
        kept["limit"] = str(params.limit)
    older = ("/reviews/unreviewed?" + urlencode({**kept, "before_seq": rows[-1].routed.seq})
             if len(rows) == params.limit else None)
    newest = "/reviews/unreviewed" + (f"?{urlencode(kept)}" if kept else "") if params.before_seq else None
    return render(request, "unreviewed.html", user=user, rows=rows, params=params, goal_texts=texts,
                  action_types=SAMPLED_TYPES, titles=output_titles, summary=output_summary, older_url=older,
                  newest_url=newest)


async def _review_context(svc: usecases.Services, review: Review,
                          plan_form: PlanForm | None = None) -> dict[str, Any]:
    """What review.html needs besides the review: the plan, the proposal by task, people's names; for a plan review
    the plan's form (the planned values, or ``plan_form``: what the reviewer typed, with what is wrong in it)."""
    plan = review.evidence.get("plan") or {"tasks": []}  # reviews of a goal's plan or staffing carry its plan
    proposal_doc = review.evidence.get("proposal") or {"tasks": []}
    proposal = {t["task_id"]: t for t in proposal_doc["tasks"]}
    ids: list[str] = []
    for args in (review.arguments, review.decided_arguments or {}):
        ids += [a["employee_id"] for a in args.get("assignments", [])]
    ids += [c["employee_id"] for t in proposal.values() for c in t["candidates"]]
    codes = sorted({c for t in review.arguments.get("tasks", []) for c in t.get("occupations") or []})
    async with svc.pool.acquire() as conn:
        bias_audit = await bias.audit_review(conn, review.review_id)
        occupations = await occupation_titles(conn, codes)
    is_plan = review.action_type == DECOMPOSE_GOAL.name
    is_override = review.action_type == OVERRIDE_RELEASE_REFUSAL.name
    is_onboarding = review.action_type == DRAFT_ONBOARDING_PLAN.name
    is_other = not is_plan and review.action_type not in STAFFING_LIKE  # onboarding plans, reminders: approve or reject
    moving: dict[str, str] = {}
    if is_onboarding:  # who moves onto which task, and their buddy, by name
        ids += [a["buddy_id"] for a in (review.arguments, review.decided_arguments or {}) if a.get("buddy_id")]
        ids += [str(review.evidence.get("employee_id") or "")]
        task_id = str(review.evidence.get("task_id") or "")
        tasks = (await usecases.get_goal(svc, review.goal_id)).tasks if review.goal_id else []
        moving = {"employee_id": ids[-1], "task": next((t.title for t in tasks if t.task_id == task_id), task_id)}
    return {"plan": plan, "proposal": proposal, "names": await usecases.employee_names(svc, ids),
            "occupations": occupations, "is_onboarding": is_onboarding, "moving": moving,
            "reasons": REJECTION_REASONS, "is_plan": is_plan, "is_override": is_override, "is_other": is_other,
            "bias_audit": bias_audit, **(_plan_context(review, plan_form) if is_plan else {}),
            **(await _move_context(svc, review) if is_override or review.action_type == REPROPOSE_DECLINED_TASK.name
               else {})}


async def _move_context(svc: usecases.Services, review: Review) -> dict[str, Any]:
    """For a review that follows a move (a refused release, a task proposed again): the goal's assignments of the
    review's tasks as they stand, so the page says who refused or declined, and why."""
    tasks = {a["task_id"] for a in review.arguments.get("assignments", [])}
    goal = await usecases.get_goal(svc, review.goal_id) if review.goal_id else None
    rows = [a for a in goal.assignments if a.task_id in tasks] if goal else []
    people = {a["employee_id"] for a in review.arguments.get("assignments", [])}
    return {"refused": [a for a in rows if a.employee_id in people and a.refusal_reason],
            "passed_over": [a for a in rows if a.state in ("declined", "withdrawn")]}


@router.get("/reviews/{review_id}")
async def review_page(request: Request, review_id: str, svc: SvcDep, user: ReviewerUser) -> Response:
    """A review: what will execute, the evidence behind it, and the decision forms."""
    return await _render_review(request, svc, user, review_id)


async def _render_review(request: Request, svc: usecases.Services, user: User, review_id: str,
                         error: str | None = None, status_code: int = 200,
                         swaps: dict[str, str] | None = None, plan_form: PlanForm | None = None,
                         onboarding_form: OnboardingForm | None = None, flag_form: FlagForm | None = None
                         ) -> Response:
    review = await usecases.get_review(svc, review_id)
    if onboarding_form is None and review.action_type == DRAFT_ONBOARDING_PLAN.name and \
            review.status in ("pending", "parked"):
        onboarding_form = onboarding_form_for(OnboardingPlan.model_validate(review.arguments))
    return render(request, "review.html", status_code=status_code, user=user, review=review, error=error,
                  swaps=swaps or {}, onboarding_form=onboarding_form,
                  own=user.login in (review.requested_by, review.manager_login, review.submitted_by),
                  **await _review_context(svc, review, plan_form),
                  **await certification_context(svc, review, flag_form))


@dataclass(kw_only=True)
class OnboardingItemForm:
    """One item of an onboarding plan's review form: the due day as typed, whether to drop it, what is wrong."""

    due: str
    """The due day as typed (the drafted one at first)."""
    drop: bool = False
    """Whether “drop” is ticked."""
    error: str | None = None
    """What is wrong with the due day typed."""


@dataclass(kw_only=True)
class OnboardingForm:
    """The onboarding plan's review form as the reviewer filled it in."""

    items: dict[str, OnboardingItemForm]
    """Item id → its fields."""
    error: str | None = None
    """Why the edited plan was refused (the plan's checks), shown next to the form."""

    def edits(self, plan: OnboardingPlan) -> dict[str, int | None]:
        """What changed: item id → new due day, or None to drop it (valid fields only)."""
        changes: dict[str, int | None] = {}
        for item in plan.items:
            field = self.items.get(item.item_id)
            if field is None or field.error:
                continue
            if field.drop:
                changes[item.item_id] = None
            elif int(field.due) != item.due_day:
                changes[item.item_id] = int(field.due)
        return changes

    @property
    def invalid(self) -> bool:
        """Whether a field is not valid."""
        return any(f.error for f in self.items.values())


def onboarding_form_for(plan: OnboardingPlan, form: FormData | None = None) -> OnboardingForm:
    """The review form of ``plan``: as drafted, or as the reviewer sent it (``form``: ``due_<item>`` and
    ``drop_<item>`` fields), each due day checked to be a whole number."""
    items: dict[str, OnboardingItemForm] = {}
    for item in plan.items:
        if form is None:
            items[item.item_id] = OnboardingItemForm(due=str(item.due_day))
            continue
        sent = form.get(f"due_{item.item_id}")
        due = str(item.due_day) if sent is None else str(sent).strip()
        field = OnboardingItemForm(due=due, drop=form.get(f"drop_{item.item_id}") is not None)
        if not field.drop:
            digits = due[1:] if due.startswith("-") else due
            if not due:
                field.error = "give the day it is due (0 is the plan's first day), or tick “drop”"
            elif not digits.isdigit() or len(digits) > 4:
                field.error = f"“{due}” is not a day: give a whole number of days after the start (0 is the first)"
        items[item.item_id] = field
    return OnboardingForm(items=items)


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
    onboarding_form: OnboardingForm | None = None
    onboarding_edits: dict[str, int | None] = {}
    changes = PlanChanges()
    if review.action_type == DRAFT_ONBOARDING_PLAN.name and review.status in ("pending", "parked"):
        drafted = OnboardingPlan.model_validate(review.arguments)
        onboarding_form = onboarding_form_for(drafted, form)
        if decision != "reject":  # a rejected plan executes nothing: what was typed into it does not matter
            if onboarding_form.invalid:
                return await _render_review(request, svc, user, review_id, status_code=422,
                                            onboarding_form=onboarding_form,
                                            error="Some changes are not valid: see the marked fields below.")
            onboarding_edits = onboarding_form.edits(drafted)
            if decision == "approve" and onboarding_edits:
                return await _render_review(
                    request, svc, user, review_id, status_code=422, onboarding_form=onboarding_form,
                    error="You changed the plan: press “Approve with changes” to apply your changes, "
                          "or undo them to approve the plan as drafted.")
    flag_form: FlagForm | None = None
    if review.action_type == FLAG_ASSIGNMENT_CERTIFICATION.name and decision == "edit":
        flag_form = flag_form_from(form, review.arguments)
        if flag_form.error:
            return await _render_review(request, svc, user, review_id, status_code=422, flag_form=flag_form,
                                        error="The choice was not applied: see the marked field below.")
    if review.action_type == DECOMPOSE_GOAL.name and review.status in ("pending", "parked"):
        plan = GoalPlan.model_validate(review.arguments)
        plan_form = plan_form_for(plan, form, add_slot=decision == "add_task")
        if decision == "add_task":
            return await _render_review(request, svc, user, review_id, plan_form=plan_form)
        if decision != "reject":  # a rejected plan executes nothing: what was typed into it does not matter
            changes = plan_changes(plan_form, plan)
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
            svc, review_id=review_id, decision=decision, reviewer=user.login,
            reason=str(form.get("reason", "")) or None, reason_code=str(form.get("reason_code", "")) or None,
            edits=edits or None, task_edits=changes.task_edits or None, new_tasks=changes.new_tasks or None,
            assumptions=changes.assumptions, open_questions=changes.open_questions,
            args_hash=str(form.get("args_hash", "")) or None, via="console",
            onboarding_edits=onboarding_edits or None,
            flag_outcome=flag_form.outcome if flag_form else None,  # type: ignore[arg-type]
            renew_by=flag_form.parsed() if flag_form else None)
    except usecases.PlanEditInvalid as err:
        if plan_form is not None:
            plan_form.attach(err.issues, dict(zip(err.new_task_ids, changes.new_forms, strict=False)))
        return await _render_review(request, svc, user, review_id, error=err.message, status_code=err.status,
                                    swaps=edits, plan_form=plan_form)
    except usecases.ServiceError as err:
        if onboarding_form is not None and decision == "edit" and isinstance(err, usecases.Invalid):
            onboarding_form.error = err.message  # the edited plan's problems, next to the form
            return await _render_review(request, svc, user, review_id, status_code=err.status,
                                        onboarding_form=onboarding_form,
                                        error="The changes were not applied: see what is wrong above the items.")
        if flag_form is not None and isinstance(err, usecases.Invalid):
            flag_form.error = err.message  # the renewal date's problem, next to it
        return await _render_review(request, svc, user, review_id, error=err.message, status_code=err.status,
                                    swaps=edits, plan_form=plan_form, onboarding_form=onboarding_form,
                                    flag_form=flag_form)
    return RedirectResponse(f"/reviews/{review_id}", status_code=303)


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


def _plan_context(review: Review, plan_form: PlanForm | None) -> dict[str, Any]:
    """The plan review's part of review.html: the plan, its form, dates of weeks, what an edit changed."""
    plan = GoalPlan.model_validate(review.arguments)
    starts_on: date | None = review.starts_on
    executed: list[str] = []
    if review.status == "edited" and review.decided_arguments:
        executed = plan_diff(plan, GoalPlan.model_validate(review.decided_arguments))
    pending = review.status in ("pending", "parked")
    return {"plan_doc": plan, "plan_form": plan_form or (plan_form_for(plan) if pending else None),
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
