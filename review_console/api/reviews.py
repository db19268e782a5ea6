"""JSON API: the review queue, decisions, and the actions that went ahead unreviewed."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from policies import bias_review as bias
from policies.review_routing import REJECTION_REASONS
from review_console.api.models.common import ListOf, ReviewIdPath
from review_console.api.models.reviews import (
    BulkApproveIn,
    BulkApproveOut,
    DecisionIn,
    DecisionOut,
    DecisionRefused,
    PlanEditRefused,
    RejectionReasons,
    ReviewPublic,
    ReviewQueueQuery,
    ReviewSummary,
    UnreviewedActionPublic,
    UnreviewedQuery,
)
from review_console.deps import ReviewerUser, SvcDep
from workflows import usecases
from workflows.usecases.audit import unreviewed_actions

router = APIRouter()


@router.get("/reviews", tags=["reviews"])
async def reviews(svc: SvcDep, _: ReviewerUser, filters: ReviewQueueQuery) -> ListOf[ReviewSummary]:
    """The review queue, oldest due first; ``count`` is the number of matches, ``data`` one page."""
    rows, total = await usecases.search_reviews(svc, filters.to_filters())
    return ListOf(data=[ReviewSummary.model_validate(r, from_attributes=True) for r in rows], count=total)


@router.get("/reviews/unreviewed", tags=["reviews"])
async def unreviewed(svc: SvcDep, user: ReviewerUser, params: UnreviewedQuery) -> ListOf[UnreviewedActionPublic]:
    """Agent actions the trust ramp did not sample, so they went ahead without review (a plan, an onboarding draft,
    a reminder), newest first, each with its routing (share in force, draw) and the agent's output; page with
    ``before_seq``. 422 for an unknown action type."""
    rows = await unreviewed_actions(svc, user, action_type=params.action_type, before_seq=params.before_seq,
                                    limit=params.limit)
    return ListOf(data=[UnreviewedActionPublic.model_validate(r, from_attributes=True) for r in rows],
                  count=len(rows))


@router.get("/reviews/{review_id}", tags=["reviews"])
async def review(review_id: ReviewIdPath, svc: SvcDep, _: ReviewerUser) -> ReviewPublic:
    """A review: exact arguments, evidence, explanation, and for staffing the bias audit (LL144) of who it
    considered."""
    review = await usecases.get_review(svc, review_id)
    async with svc.pool.acquire() as conn:
        audit = await bias.audit_review(conn, review_id)
    return ReviewPublic(**review.model_dump(), bias_audit=audit)


@router.post("/reviews/{review_id}/decision", tags=["reviews"], response_model=DecisionOut, responses={
    422: {"model": DecisionRefused, "description": "The decision is not valid; a plan edit that fails the plan's "
          "checks lists its problems by task and field (other refusals carry only `detail`)."}})
async def decide(review_id: ReviewIdPath, body: DecisionIn, svc: SvcDep,
                 user: ReviewerUser) -> DecisionOut | JSONResponse:
    """Approve, reject (a reason is required) or edit a review: swap people on a staffing, change a plan (add,
    rename, re-skill, resize, move, re-order or drop tasks; edit its assumptions), or move or drop items of an
    onboarding plan. A plan edit is checked like the planner's own drafts (windows inside the deadline, known
    skills, dependencies that exist and do not loop) and refused with 422 naming the task and field of each
    problem; an onboarding edit is checked like a draft and refused with 422 naming each item's problem. A reminder
    or an escalation is approved or rejected."""
    try:
        outcome = await usecases.decide_review(
            svc, review_id=review_id, decision=body.decision, reviewer=user.login, reason=body.reason,
            reason_code=body.reason_code, edits=body.edits, task_edits=body.task_edits, new_tasks=body.new_tasks,
            assumptions=body.assumptions, open_questions=body.open_questions, args_hash=body.args_hash,
            via="api", onboarding_edits=body.onboarding_edits,
            flag_outcome=body.flag_outcome, renew_by=body.renew_by)
    except usecases.PlanEditInvalid as err:
        refused = PlanEditRefused(detail=err.message, issues=err.issues, new_task_ids=err.new_task_ids)
        return JSONResponse(refused.model_dump(mode="json"), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    return DecisionOut(**outcome.model_dump())


@router.post("/reviews/bulk-approve", tags=["reviews"])
async def bulk_approve(body: BulkApproveIn, svc: SvcDep, user: ReviewerUser) -> BulkApproveOut:
    """Approve several low-risk reviews at once; each item is checked like a single decision."""
    result = await usecases.bulk_approve(svc, reviewer=user.login,
                                        items={i.review_id: i.args_hash for i in body.items}, via="api")
    return BulkApproveOut(approved=result.approved, refused=result.refused)


@router.get("/review-reasons", tags=["reviews"])
async def review_reasons(_: ReviewerUser) -> RejectionReasons:
    """Reasons a rejection can name (``reason_code`` → label)."""
    return RejectionReasons(REJECTION_REASONS)
