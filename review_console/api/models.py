"""Request and response models of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

from infra.audit_query import AuditQuery
from infra.store.plans import PlanIssue
from workflows.usecases import NewTask, ReviewFilters, TaskEdit

T = TypeVar("T")


class ListOf(BaseModel, Generic[T]):
    """A list envelope."""

    data: list[T]
    """The items."""
    count: int
    """How many items."""


class LoginIn(BaseModel):
    """Credentials."""

    login: str
    """User login."""
    password: str
    """Password."""


class UserPublic(BaseModel):
    """A user as the API shows it."""

    login: str
    """Login."""
    display_name: str
    """Name."""
    role: str
    """manager, reviewer, admin or employee."""
    employee_id: str | None
    """Employee record, if any."""
    department: str | None
    """Department code."""


class GoalCreate(BaseModel):
    """A new goal."""

    text: str = Field(max_length=5000)
    """The goal in plain language."""
    manager_login: str | None = None
    """Manager it is for; defaults to the signed-in manager (admins must name one)."""


class GoalCreated(BaseModel):
    """The id of a new goal."""

    goal_id: str
    """Goal id."""
    status: str
    """Initial status."""


class GoalRetried(BaseModel):
    """A failed goal started again."""

    goal_id: str
    """Goal id."""
    status: str
    """Its status now (``submitted``)."""
    starts_from: str
    """``planning`` (planned again from its text) or ``staffing`` (from its plan)."""


class GoalSummary(BaseModel):
    """A goal in a list."""

    goal_id: str
    """Goal id."""
    text: str
    """The goal."""
    manager_login: str
    """Who submitted it."""
    status: str
    """Where it is."""
    status_detail: str | None
    """A sentence about the status."""


class DecisionIn(BaseModel):
    """A reviewer's decision."""

    decision: Literal["approve", "reject", "edit"]
    """What to do."""
    reason: str | None = Field(default=None, max_length=2000)
    """Why, in your words; a rejection needs this or ``reason_code``."""
    reason_code: str | None = None
    """For reject: a reason from the list (``GET /api/review-reasons``)."""
    edits: dict[str, str] | None = None
    """For edit of a staffing: task id → employee id."""
    task_edits: dict[str, TaskEdit] | None = None
    """For edit of a plan: task id → changes (drop, title, description, skills, effort_hours, start_week, end_week,
    depends_on); fields left out stay as planned."""
    new_tasks: list[NewTask] | None = Field(default=None, max_length=16)
    """For edit of a plan: tasks to add; each gets the next free id (``T<n>``) in this order."""
    assumptions: list[str] | None = Field(default=None, max_length=20)
    """For edit of a plan: the plan's assumptions as they should read (left out: unchanged; ``[]``: none)."""
    open_questions: list[str] | None = Field(default=None, max_length=20)
    """For edit of a plan: its questions for the manager as they should read (left out: unchanged; ``[]``: none)."""
    args_hash: str | None = None
    """Hash of the arguments you reviewed (recommended: refused if they changed)."""


class PlanEditRefused(BaseModel):
    """Why a plan edit was refused (HTTP 422): each problem names the task and the field."""

    detail: str
    """Every problem in one sentence, e.g. "T3 end week: ends in week 60, after the goal's deadline (week 6)"."""
    issues: list[PlanIssue]
    """The problems one by one (``task_id`` None: the plan as a whole)."""
    new_task_ids: list[str]
    """Ids the edit's new tasks would get, in the order given (issues about new tasks name these)."""


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

    review_id: str
    """Review id."""
    args_hash: str | None = None
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


class ReviewSummary(BaseModel):
    """A review in the queue."""

    review_id: str
    """Review id."""
    goal_id: str
    """Goal."""
    action_type: str
    """Kind of action."""
    risk_tier: str
    """Risk tier."""
    status: str
    """pending, parked, approved, rejected or edited."""
    due_at: Any
    """SLA."""
    goal_text: str
    """The goal."""
    department: str | None
    """Department of the goal."""
    args_hash: str
    """Hash of the exact arguments (quote it when deciding)."""


class ReviewQueueParams(BaseModel):
    """Filters and page of the review queue (query string)."""

    state: Literal["pending", "parked", "approved", "rejected", "edited", "all"] = "pending"
    """``pending`` includes parked reviews; ``all`` is every status."""
    action_type: str | None = None
    """Only this kind of action."""
    risk_tier: Literal["low", "medium", "high"] | None = None
    """Only this risk tier."""
    department: str | None = None
    """Only goals of this department."""
    goal_id: str | None = None
    """Only this goal."""
    min_age_hours: float | None = Field(default=None, ge=0)
    """Only reviews waiting at least this many hours."""
    limit: int = Field(default=50, ge=1, le=200)
    """Page size."""
    offset: int = Field(default=0, ge=0)
    """Rows to skip."""

    def to_filters(self) -> ReviewFilters:
        """The service-level filters."""
        status = None if self.state == "all" else self.state
        return ReviewFilters(**self.model_dump(exclude={"state"}), status=status)


ReviewQueueQuery = Annotated[ReviewQueueParams, Query()]


class AuditParams(BaseModel):
    """Filters and keyset page of the audit trail (query string)."""

    goal_id: str | None = None
    """Only this goal's events."""
    actor: str | None = None
    """Only this actor."""
    actor_type: Literal["human", "agent", "system"] | None = None
    """Only this kind of actor."""
    action: str | None = None
    """Only actions starting with this, e.g. ``review.``."""
    since: datetime | None = None
    """Only events at or after this time (ISO 8601)."""
    until: datetime | None = None
    """Only events before this time (ISO 8601)."""
    after_seq: int = Field(default=0, ge=0)
    """Only events after this sequence number (next page: the last seq you got)."""
    limit: int = Field(default=100, ge=1, le=1000)
    """Page size."""

    def to_query(self) -> AuditQuery:
        """The infra-level query."""
        return AuditQuery(**self.model_dump())


AuditQueryParams = Annotated[AuditParams, Query()]
