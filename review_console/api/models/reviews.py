"""API models: the review queue, a review, and decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field, RootModel

from infra.audit_query import UnreviewedAction
from infra.store.plans import PlanIssue
from infra.store.reviews import Review
from policies.bias_audit import BiasAudit
from review_console.api.models.common import BIGINT_MAX, Id, Name, Unprocessable
from workflows.usecases import NewTask, ReviewFilters, TaskEdit

MAX_AGE_HOURS = 100 * 366 * 24
"""Oldest age a queue filter may ask for: 100 years, in hours."""
MAX_OFFSET = 1_000_000
"""Deepest page of the review queue (a queue that long is paged by filters, not by offset)."""
PlanNote = Annotated[str, Field(max_length=500)]
"""An assumption of a plan, or a question for the manager."""
Hash = Annotated[str, Field(max_length=128)]
"""A hash of arguments (64 hex digits when real)."""
ItemId = Annotated[str, Field(max_length=8)]
"""An item id of an onboarding plan (``L1``, ``C30``)."""
DueDay = Annotated[int, Field(ge=-1000, le=1000)]
"""A day of an onboarding plan (0: its first day); the plan's checks say which days it may use."""


class DecisionIn(BaseModel):
    """A reviewer's decision."""

    decision: Literal["approve", "reject", "edit"]
    """What to do."""
    reason: str | None = Field(default=None, max_length=2000)
    """Why, in your words; a rejection needs this or ``reason_code``."""
    reason_code: Id | None = None
    """For reject: a reason from the list (``GET /api/review-reasons``)."""
    edits: dict[Id, Id] | None = Field(default=None, max_length=100)
    """For edit of a staffing: task id → employee id."""
    task_edits: dict[Id, TaskEdit] | None = Field(default=None, max_length=100)
    """For edit of a plan: task id → changes (drop, title, description, skills, effort_hours, start_week, end_week,
    depends_on); fields left out stay as planned."""
    new_tasks: list[NewTask] | None = Field(default=None, max_length=16)
    """For edit of a plan: tasks to add; each gets the next free id (``T<n>``) in this order."""
    assumptions: list[PlanNote] | None = Field(default=None, max_length=20)
    """For edit of a plan: the plan's assumptions as they should read (left out: unchanged; ``[]``: none)."""
    open_questions: list[PlanNote] | None = Field(default=None, max_length=20)
    """For edit of a plan: its questions for the manager as they should read (left out: unchanged; ``[]``: none)."""
    args_hash: Hash | None = None
    """Hash of the arguments you reviewed (recommended: refused if they changed)."""
    onboarding_edits: dict[ItemId, DueDay | None] | None = Field(default=None, max_length=40)
    """For edit of an onboarding plan: item id → its new due day, or null to drop the item; the edited plan is
    checked like a draft (check-ins on days 30, 60, 90, nothing before the start or after day 120, dependencies in
    order)."""
    flag_outcome: Literal["keep", "replace", "pause"] | None = None
    """For edit of a lapsed certification's flag: keep the person (with ``renew_by``), replace them, or pause the
    work until the certification is renewed."""
    renew_by: date | None = None
    """With ``flag_outcome`` ``keep``: the day the renewal must be in by (within a year)."""


class PlanEditRefused(BaseModel):
    """Why a plan edit was refused (HTTP 422): each problem names the task and the field."""

    detail: str
    """Every problem in one sentence, e.g. "T3 end week: ends in week 60, after the goal's deadline (week 6)"."""
    issues: list[PlanIssue]
    """The problems one by one (``task_id`` None: the plan as a whole)."""
    new_task_ids: list[str]
    """Ids the edit's new tasks would get, in the order given (issues about new tasks name these)."""


class DecisionRefused(RootModel[PlanEditRefused | Unprocessable]):
    """Why a decision was refused (HTTP 422): a plan edit that fails the plan's checks lists its problems by task and
    field; other refusals carry only ``detail``."""


class DecisionOut(BaseModel):
    """What the workflow did with the decision."""

    review_id: str
    """Review."""
    decision: str
    """Decision taken."""
    executed_args_hash: str | None
    """Hash of what executes."""


class BulkApproveItem(BaseModel):
    """One review to approve in bulk."""

    review_id: Id
    """Review id."""
    args_hash: Hash | None = None
    """Hash of the arguments you reviewed (refused if they changed)."""


class BulkApproveIn(BaseModel):
    """Low-risk reviews to approve at once."""

    items: list[BulkApproveItem] = Field(min_length=1, max_length=200)
    """The reviews."""


class BulkApproveOut(BaseModel):
    """What a bulk approval did, item by item."""

    approved: list[str]
    """Reviews approved."""
    refused: dict[str, str]
    """Reviews not approved → why."""


class RejectionReasons(RootModel[dict[str, str]]):
    """Reasons a rejection can name: ``reason_code`` → label."""


class ReviewSummary(BaseModel):
    """A review in the queue."""

    review_id: str
    """Review id."""
    goal_id: str | None
    """Goal (null: an action outside any goal, such as a certification renewal)."""
    action_type: str
    """Kind of action."""
    risk_tier: str
    """Risk tier."""
    status: str
    """pending, parked, approved, rejected or edited."""
    due_at: datetime
    """SLA."""
    goal_text: str
    """The goal (or, outside any goal, what the action is about)."""
    department: str | None
    """Department of the goal."""
    args_hash: str
    """Hash of the exact arguments (quote it when deciding)."""


class ReviewPublic(Review):
    """A review: exact arguments, evidence, explanation, and for staffing the bias audit of who it considered."""

    bias_audit: BiasAudit | None
    """For staffing: the bias audit (NYC LL144) of who it considered; None otherwise."""


class ReviewQueueParams(BaseModel):
    """Filters and page of the review queue (query string)."""

    state: Literal["pending", "parked", "approved", "rejected", "edited", "all"] = "pending"
    """``pending`` includes parked reviews; ``all`` is every status."""
    action_type: Id | None = None
    """Only this kind of action."""
    risk_tier: Literal["low", "medium", "high"] | None = None
    """Only this risk tier."""
    department: Name | None = None
    """Only goals of this department."""
    goal_id: Id | None = None
    """Only this goal."""
    min_age_hours: float | None = Field(default=None, ge=0, le=MAX_AGE_HOURS, allow_inf_nan=False)
    """Only reviews waiting at least this many hours (at most 100 years)."""
    limit: int = Field(default=50, ge=1, le=200)
    """Page size."""
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)
    """Rows to skip."""

    def to_filters(self) -> ReviewFilters:
        """The service-level filters."""
        status = None if self.state == "all" else self.state
        return ReviewFilters(**self.model_dump(exclude={"state"}), status=status)


ReviewQueueQuery = Annotated[ReviewQueueParams, Query()]


class UnreviewedParams(BaseModel):
    """Filter and keyset page of the actions that went ahead unreviewed (query string)."""

    action_type: Id | None = None
    """Only this kind of action (``decompose_goal``, ``draft_onboarding_plan``, ``send_reminder`` …)."""
    before_seq: int | None = Field(default=None, ge=1, le=BIGINT_MAX)
    """Only actions routed before this audit sequence number (next page: the last ``routed.seq`` you got)."""
    limit: int = Field(default=50, ge=1, le=200)
    """Page size."""


UnreviewedQuery = Annotated[UnreviewedParams, Query()]


class UnreviewedActionPublic(UnreviewedAction):
    """An agent action the trust ramp did not sample, so it went ahead without review: its routing event (the
    share in force, the draw, the policy) and the agent's output event (its plan, its onboarding draft; null when
    the action has none, as a reminder)."""
