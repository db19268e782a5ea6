"""Reviews: the queue, one review, a decision sent to the goal's workflow, and bulk approval of low-risk ones."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from infra.arguments import args_hash as hash_of
from infra.store import employees, reviews
from infra.store import learning as learning_store
from infra.store.certifications import FlagArguments, FlagOutcome
from infra.store.onboarding import OnboardingPlan
from infra.store.plans import GoalPlan
from infra.store.reviews import QueuedReview, Review, ReviewFilters
from policies import bias_review as bias
from policies import capacity
from policies.onboarding_checks import check_onboarding_plan
from policies.review_routing import (
    ACTION_TYPES,
    ACTION_WORDS,
    DECOMPOSE_GOAL,
    DRAFT_ONBOARDING_PLAN,
    FLAG_ASSIGNMENT_CERTIFICATION,
    REJECTION_REASONS,
    STAFFING_LIKE,
    bulk_approvable,
)
from workflows import attestation
from workflows.messages import DECIDE_UPDATE, Decision, DecisionOutcome, StaffingArguments, Via
from workflows.usecases.context import Services
from workflows.usecases.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from workflows.usecases.plan_edits import NewTask, TaskEdit, edited_plan
from workflows.usecases.users import get_user


async def list_reviews(svc: Services, *, status: str | None = "pending",
                       filters: ReviewFilters | None = None) -> list[QueuedReview]:
    """Reviews, oldest due first; pending and parked ones when ``status`` is ``pending``."""
    rows, _ = await search_reviews(svc, filters or ReviewFilters(status=status, limit=10_000))
    return rows


async def search_reviews(svc: Services, f: ReviewFilters) -> tuple[list[QueuedReview], int]:
    """One page of the review queue (oldest due first) and how many reviews match in all."""
    return await reviews.search(svc.pool, f)


async def get_review(svc: Services, review_id: str) -> Review:
    """A review with its exact arguments, evidence and explanation.

    Raises:
        NotFound: No such review.
    """
    review = await reviews.get(svc.pool, review_id)
    if review is None:
        raise NotFound(f"no review {review_id!r}")
    return review


async def decide_review(
    svc: Services,
    *,
    review_id: str,
    decision: str,
    reviewer: str,
    reason: str | None = None,
    reason_code: str | None = None,
    edits: dict[str, str] | None = None,
    task_edits: dict[str, TaskEdit] | None = None,
    new_tasks: list[NewTask] | None = None,
    assumptions: list[str] | None = None,
    open_questions: list[str] | None = None,
    args_hash: str | None = None,
    via: Via | None = None,
    onboarding_edits: dict[str, int | None] | None = None,
    flag_outcome: FlagOutcome | None = None,
    renew_by: date | None = None,
) -> DecisionOutcome:
    """Send a reviewer's decision to the goal's workflow.

    Args:
        svc: Handles.
        review_id: The review decided.
        decision: ``approve``, ``reject`` or ``edit``.
        reviewer: Login of the reviewer.
        reason: Why, in the reviewer's words (a rejection needs this or ``reason_code``).
        reason_code: For a rejection: one of ``REJECTION_REASONS``.
        edits: For ``edit`` of a staffing: task id → employee id to put on it instead.
        task_edits: For ``edit`` of a plan: task id → what to change on it (or drop it).
        new_tasks: For ``edit`` of a plan: tasks to add (each gets the next free id).
        assumptions: For ``edit`` of a plan: the plan's assumptions as they should read (None: unchanged).
        open_questions: For ``edit`` of a plan: its questions for the manager as they should read (None: unchanged).
        args_hash: Hash of the arguments the reviewer saw; defaults to the stored one.
        via: How the reviewer authenticated (``console``, ``api``, ``cli``), recorded in the decision's audit event.
        onboarding_edits: For ``edit`` of an onboarding plan: item id → its new due day, or None to drop it.
        flag_outcome: For ``edit`` of a lapsed certification's flag: keep, replace or pause the assignment.
        renew_by: With ``flag_outcome`` ``keep``: the day the renewal must be in by.

    The decision goes to the workflow with a signed attestation of what was checked here (role, employee id,
    bias verdict, what executes): the workflow refuses decisions that lack one (``workflows.attestation``).
    """
    if via is not None and via not in ("console", "api", "cli"):
        raise Invalid(f"unknown channel {via!r}")
    if decision not in ("approve", "reject", "edit"):
        raise Invalid(f"unknown decision {decision!r}; use approve, reject or edit")
    plan_text_changed = assumptions is not None or open_questions is not None
    if (edits or task_edits or new_tasks or plan_text_changed or onboarding_edits or flag_outcome) \
            and decision != "edit":
        raise Invalid(f"changes were given with {decision!r}; use 'edit' (approve with changes) to apply them")
    if reason_code is not None and reason_code not in REJECTION_REASONS:
        raise Invalid(f"unknown reason {reason_code!r}; use one of {', '.join(REJECTION_REASONS)}")
    review = await get_review(svc, review_id)
    user = await get_user(svc, reviewer)
    if user.role not in ("reviewer", "admin"):
        raise Forbidden(f"{reviewer!r} is a {user.role}; only reviewers decide reviews")
    if review.status not in ("pending", "parked"):
        raise Conflict(f"review {review_id} was already decided ({review.status} by {review.decided_by})")
    if reviewer in (review.requested_by, review.manager_login, review.submitted_by):
        raise Forbidden("separation of duties: whoever submitted the goal, or manages it, cannot decide its reviews")
    if review.concerns is not None and user.employee_id == review.concerns:
        raise Forbidden("separation of duties: this decision concerns you")
    text = (reason or "").strip()
    if reason_code is not None:
        text = f"{REJECTION_REASONS[reason_code]}: {text}" if text else REJECTION_REASONS[reason_code]
    if decision == "reject" and not text:
        raise Invalid("a rejection needs a reason")
    is_plan = review.action_type == DECOMPOSE_GOAL.name
    is_staffing = review.action_type in STAFFING_LIKE
    edited: StaffingArguments | GoalPlan | OnboardingPlan | FlagArguments | None = None
    if decision == "edit":
        if is_plan:
            edited = await asyncio.to_thread(edited_plan, review, task_edits or {}, new_tasks or [], assumptions,
                                             open_questions)
        elif is_staffing:
            edited = await _edited_arguments(svc, review, edits or {})
        elif review.action_type == DRAFT_ONBOARDING_PLAN.name and onboarding_edits:
            edited = await _edited_onboarding(svc, review, onboarding_edits)
        elif review.action_type == FLAG_ASSIGNMENT_CERTIFICATION.name and flag_outcome:
            edited = _edited_flag(review, flag_outcome, renew_by)
        else:
            raise Invalid(f"a {ACTION_WORDS.get(review.action_type, review.action_type).lower()} review is approved "
                          "or rejected" + (" (an edit lists items to drop or move)" if review.action_type ==
                                           DRAFT_ONBOARDING_PLAN.name else ""))
    verdict: str | None = None
    if is_staffing:
        concerned = {a.employee_id for a in StaffingArguments.model_validate(review.arguments).assignments}
        if isinstance(edited, StaffingArguments):
            concerned |= {a.employee_id for a in edited.assignments}
        if user.employee_id and user.employee_id in concerned:
            raise Forbidden("separation of duties: this decision concerns you (you are among the people staffed)")
        if decision != "reject":
            await _check_capacity(svc, review, edited)
            verdict = await _check_bias_policy(svc, review_id, edited)
    executed_hash = (hash_of(edited.model_dump(mode="json")) if edited is not None
                     else review.args_hash if decision == "approve" else None)
    sent = attestation.attest(
        Decision(review_id=review_id, args_hash=args_hash or review.args_hash, decision=decision,
                 reviewer=reviewer, reason=text or None, reason_code=reason_code, edited_arguments=edited, via=via),
        key=attestation.decision_key(svc.settings.secret()), reviewer_role=user.role,
        reviewer_employee_id=user.employee_id, bias_verdict=verdict, executed_args_hash=executed_hash)
    try:
        outcome: DecisionOutcome = await svc.temporal().get_workflow_handle(review.workflow_id).execute_update(
            DECIDE_UPDATE, sent, result_type=DecisionOutcome)
        return outcome
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        message = getattr(cause, "message", None) or str(cause or err)
        raise Conflict(message) from err
    except RPCError as err:
        raise Conflict(f"the goal's workflow is not accepting decisions: {err.message}") from err


def _edited_flag(review: Review, outcome: FlagOutcome, renew_by: date | None) -> FlagArguments:
    """HR's choice for a flagged assignment: keep it (until a renewal date), replace the person, or pause it."""
    if outcome == "keep":
        if renew_by is None:
            raise Invalid("keeping the person needs the day their renewal must be in by")
        if renew_by <= datetime.now(UTC).date():
            raise Invalid("the renewal date must be in the future")
        if renew_by > datetime.now(UTC).date() + timedelta(days=366):
            raise Invalid("the renewal date must be within a year")
    elif renew_by is not None:
        raise Invalid("a renewal date goes with keeping the person, not with replacing or pausing")
    return FlagArguments.model_validate({**review.arguments, "outcome": outcome, "renew_by": renew_by})


async def _check_capacity(svc: Services, review: Review,
                          edited: StaffingArguments | GoalPlan | OnboardingPlan | FlagArguments | None) -> None:
    """Refuse a staffing (as proposed, or as edited) that would book anyone past their capacity in any week.

    A pre-check for the reviewer: ``apply_staffing`` checks again under a lock per employee when it executes.
    """
    arguments = (edited if isinstance(edited, StaffingArguments)
                 else StaffingArguments.model_validate(review.arguments))
    if review.goal_id is None:
        raise Conflict("this staffing belongs to no goal")
    async with svc.pool.acquire() as conn:
        found = await capacity.check_goal(conn, review.goal_id, arguments.assignments)
    if found:
        raise Conflict(capacity.refusal(found))


async def _check_bias_policy(svc: Services, review_id: str,
                             edited: StaffingArguments | GoalPlan | OnboardingPlan | FlagArguments | None
                             ) -> str | None:
    """Refuse to execute a staffing the bias audit blocks (an admin's policy); an edit is audited as edited.

    Returns the audit's verdict (None: nothing to audit), which the decision's attestation carries."""
    selected = edited.model_dump(mode="json") if isinstance(edited, StaffingArguments) else None
    async with svc.pool.acquire() as conn:
        found = await bias.audit_review(conn, review_id, selected=selected)
    if found is not None and found.verdict == "block":
        raise Conflict(f"the bias audit blocks this staffing ({found.verdict_reason}); "
                       "swap people to widen who is selected, or reject it")
    return found.verdict if found is not None else None


@dataclass(kw_only=True)
class BulkResult:
    """What a bulk approval did, item by item."""

    approved: list[str]
    """Reviews approved."""
    refused: dict[str, str]
    """Reviews not approved → why."""


async def bulk_approve(svc: Services, *, reviewer: str, items: dict[str, str | None],
                       via: Via | None = None) -> BulkResult:
    """Approve several low-risk reviews at once; each is checked like a single decision.

    Args:
        svc: Handles.
        reviewer: Login of the reviewer.
        items: Review id → hash of the arguments the reviewer saw (None: the stored one).
        via: How the reviewer authenticated (recorded with each decision).
    """
    if not items:
        raise Invalid("select at least one review to approve")
    if len(items) > 200:
        raise Invalid("at most 200 reviews can be approved at once")
    result = BulkResult(approved=[], refused={})
    for review_id, seen_hash in items.items():
        try:
            review = await get_review(svc, review_id)
            action = ACTION_TYPES.get(review.action_type)
            if action is None or not bulk_approvable(action):
                raise Forbidden(f"{review.action_type} is not low-risk: decide it on its own page")
            await decide_review(svc, review_id=review_id, decision="approve", reviewer=reviewer, args_hash=seen_hash,
                                via=via)
        except ServiceError as err:
            result.refused[review_id] = err.message
        else:
            result.approved.append(review_id)
    return result


async def _edited_arguments(svc: Services, review: Review, edits: dict[str, str]) -> StaffingArguments:
    if not edits:
        raise Invalid("an edit needs at least one task → employee change")
    current = StaffingArguments.model_validate(review.arguments)
    by_task = {a.task_id: a for a in current.assignments}
    unknown_tasks = sorted(set(edits) - set(by_task))
    if unknown_tasks:
        raise Invalid(f"unknown task(s) in the edit: {', '.join(unknown_tasks)}")
    wanted = sorted(set(edits.values()))
    found = await employees.existing(svc.pool, wanted)
    missing = [e for e in wanted if e not in found]
    if missing:
        raise Invalid(f"unknown employee(s): {', '.join(missing)}")
    return StaffingArguments(assignments=[
        a.model_copy(update={"employee_id": edits.get(a.task_id, a.employee_id)}) for a in current.assignments])


async def _edited_onboarding(svc: Services, review: Review, changes: dict[str, int | None]) -> OnboardingPlan:
    """The drafted onboarding plan with items dropped (None) or moved to another due day, checked like a draft."""
    plan = OnboardingPlan.model_validate(review.arguments)
    unknown = sorted(set(changes) - {i.item_id for i in plan.items})
    if unknown:
        raise Invalid(f"the plan has no item(s) {', '.join(unknown)}")
    dropped = {k for k, v in changes.items() if v is None}
    items = [i.model_copy(update={"due_day": changes[i.item_id]}) if changes.get(i.item_id) is not None else i
             for i in plan.items if i.item_id not in dropped]
    items = [i.model_copy(update={"depends_on": [d for d in i.depends_on if d not in dropped]}) for i in items]
    if not items:
        raise Invalid("an onboarding plan keeps at least one item; reject it instead")
    edited = plan.model_copy(update={"items": sorted(items, key=lambda i: (i.due_day, i.item_id))})
    learning = [i.learning_item_id for i in items if i.learning_item_id]
    async with svc.pool.acquire() as conn:
        known = await learning_store.existing_ids(conn, learning)
    person = review.evidence.get("employee_id") if isinstance(review.evidence, dict) else None
    problems = check_onboarding_plan(edited, person_id=str(person or ""), catalogue_ids=known)
    if problems:
        raise Invalid("; ".join(problems))
    return edited
