"""JSON API routes: auth, goals, reviews, audit, users."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, StreamingResponse

from infra import audit_query
from policies.review_routing import REJECTION_REASONS
from review_console import retry, service
from review_console.api.models import (
    AuditQueryParams,
    BulkApproveIn,
    BulkApproveOut,
    DecisionIn,
    DecisionOut,
    GoalCreate,
    GoalCreated,
    GoalRetried,
    GoalSummary,
    ListOf,
    LoginIn,
    PlanEditRefused,
    ReviewQueueQuery,
    ReviewSummary,
    UserPublic,
)
from review_console.deps import AdminUser, CurrentUser, ManagerUser, ReviewerUser, SvcDep, authenticate, can_see_goal
from tools import bias

router = APIRouter(prefix="/api")


@router.get("/health", tags=["meta"])
async def health(svc: SvcDep) -> dict[str, Any]:
    """Liveness and what this console is connected to (no secrets)."""
    await svc.pool.fetchval("SELECT 1")
    return {"ok": True, "model": svc.settings.model, "temporal": svc.client is not None}


@router.post("/login", tags=["auth"])
async def login(body: LoginIn, request: Request, svc: SvcDep) -> UserPublic:
    """Start a session (cookie)."""
    user = await authenticate(svc, body.login, body.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong login or password")
    request.session["login"] = user["login"]
    return UserPublic(**user)


@router.post("/logout", tags=["auth"])
async def logout(request: Request) -> dict[str, bool]:
    """End the session."""
    request.session.clear()
    return {"ok": True}


@router.get("/me", tags=["auth"])
async def me(user: CurrentUser) -> UserPublic:
    """The signed-in user."""
    return UserPublic(**user)


@router.get("/users", tags=["users"])
async def users(svc: SvcDep, _: AdminUser, role: str | None = None) -> ListOf[UserPublic]:
    """All users (admins only)."""
    rows = await service.list_users(svc, role)
    return ListOf(data=[UserPublic(**r) for r in rows], count=len(rows))


@router.post("/goals", status_code=status.HTTP_201_CREATED, tags=["goals"])
async def create_goal(body: GoalCreate, svc: SvcDep, user: ManagerUser) -> GoalCreated:
    """Submit a goal; a manager submits for themself, an admin names the manager."""
    manager = body.manager_login or user["login"]
    if user["role"] == "manager" and manager != user["login"]:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "managers submit goals for themselves only")
    if user["role"] == "admin" and body.manager_login is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "admins must name manager_login")
    goal_id = await service.submit_goal(svc, text=body.text, manager_login=manager, submitted_by=user["login"])
    return GoalCreated(goal_id=goal_id, status="submitted")


@router.get("/goals", tags=["goals"])
async def goals(svc: SvcDep, user: CurrentUser) -> ListOf[GoalSummary]:
    """Goals you can see: your own as a manager, all as a reviewer or admin."""
    if user["role"] not in ("manager", "reviewer", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "goals are for managers, reviewers and admins")
    rows = await service.list_goals(svc, manager_login=user["login"] if user["role"] == "manager" else None)
    return ListOf(data=[GoalSummary(**r) for r in rows], count=len(rows))


async def _visible_goal(svc: service.Services, user: dict[str, Any], goal_id: str) -> dict[str, Any]:
    goal = await service.get_goal(svc, goal_id)
    if not can_see_goal(user, goal):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no goal {goal_id!r}")
    return goal


@router.get("/goals/{goal_id}", tags=["goals"])
async def goal(goal_id: str, svc: SvcDep, user: CurrentUser) -> Any:
    """A goal with its tasks, latest review and assignments."""
    return jsonable_encoder(await _visible_goal(svc, user, goal_id))


@router.post("/goals/{goal_id}/retry", status_code=status.HTTP_202_ACCEPTED, tags=["goals"])
async def retry_goal(goal_id: str, svc: SvcDep, user: CurrentUser) -> GoalRetried:
    """Try a failed goal again (its manager, its submitter or an admin), once what failed it is fixed."""
    starts_from = await retry.retry_goal(svc, goal_id, user=user)
    return GoalRetried(goal_id=goal_id, status="submitted", starts_from=starts_from)


@router.get("/goals/{goal_id}/audit", tags=["audit"])
async def goal_audit(goal_id: str, svc: SvcDep, user: CurrentUser) -> Any:
    """The goal's audit events, in order."""
    await _visible_goal(svc, user, goal_id)
    rows = await service.audit_for_goal(svc, goal_id)
    return {"data": jsonable_encoder(rows), "count": len(rows)}


@router.get("/audit", tags=["audit"])
async def audit_events(svc: SvcDep, _: ReviewerUser, params: AuditQueryParams) -> Any:
    """Audit events in sequence order (reviewers and admins); ``count`` matches from ``after_seq`` on."""
    rows, total = await audit_query.search(svc.pool, params.to_query())
    return {"data": jsonable_encoder(rows), "count": total}


@router.get("/audit/export", tags=["audit"])
async def audit_export(svc: SvcDep, _: ReviewerUser, params: AuditQueryParams,
                       format: Literal["jsonl", "csv"] = "jsonl") -> StreamingResponse:
    """Every matching audit event as JSON Lines or CSV, streamed (``limit`` is ignored)."""
    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    return StreamingResponse(audit_query.export(svc.pool, params.to_query(), format), media_type=media,
                             headers={"content-disposition": f'attachment; filename="talentops-audit.{format}"'})


@router.get("/reviews", tags=["reviews"])
async def reviews(svc: SvcDep, _: ReviewerUser, filters: ReviewQueueQuery) -> ListOf[ReviewSummary]:
    """The review queue, oldest due first; ``count`` is the number of matches, ``data`` one page."""
    rows, total = await service.search_reviews(svc, filters.to_filters())
    return ListOf(data=[ReviewSummary(**r) for r in rows], count=total)


@router.get("/reviews/{review_id}", tags=["reviews"])
async def review(review_id: str, svc: SvcDep, _: ReviewerUser) -> Any:
    """A review: exact arguments, evidence, explanation, and for staffing the bias audit (LL144) of who it
    considered."""
    review = await service.get_review(svc, review_id)
    async with svc.pool.acquire() as conn:
        audit = await bias.audit_review(conn, review_id)
    return jsonable_encoder({**review, "bias_audit": dataclasses.asdict(audit) if audit else None})


@router.post("/reviews/{review_id}/decision", tags=["reviews"], response_model=DecisionOut, responses={
    422: {"model": PlanEditRefused, "description": "The decision is not valid; a plan edit that fails the plan's "
          "checks lists its problems by task and field (other refusals carry only `detail`)."}})
async def decide(review_id: str, body: DecisionIn, svc: SvcDep, user: ReviewerUser) -> DecisionOut | JSONResponse:
    """Approve, reject (a reason is required) or edit a review: swap people on a staffing, or change a plan
    (add, rename, re-skill, resize, move, re-order or drop tasks; edit its assumptions). A plan edit is checked like
    the planner's own drafts (windows inside the deadline, known skills, dependencies that exist and do not loop)
    and refused with 422 naming the task and field of each problem."""
    try:
        outcome = await service.decide_review(
            svc, review_id=review_id, decision=body.decision, reviewer=user["login"], reason=body.reason,
            reason_code=body.reason_code, edits=body.edits, task_edits=body.task_edits, new_tasks=body.new_tasks,
            assumptions=body.assumptions, open_questions=body.open_questions, args_hash=body.args_hash)
    except service.PlanEditInvalid as err:
        refused = PlanEditRefused(detail=err.message, issues=err.issues, new_task_ids=err.new_task_ids)
        return JSONResponse(refused.model_dump(mode="json"), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    return DecisionOut(**outcome.model_dump())


@router.post("/reviews/bulk-approve", tags=["reviews"])
async def bulk_approve(body: BulkApproveIn, svc: SvcDep, user: ReviewerUser) -> BulkApproveOut:
    """Approve several low-risk reviews at once; each item is checked like a single decision."""
    result = await service.bulk_approve(svc, reviewer=user["login"],
                                        items={i.review_id: i.args_hash for i in body.items})
    return BulkApproveOut(approved=result.approved, refused=result.refused)


@router.get("/review-reasons", tags=["reviews"])
async def review_reasons(_: ReviewerUser) -> dict[str, str]:
    """Reasons a rejection can name (``reason_code`` → label)."""
    return REJECTION_REASONS
