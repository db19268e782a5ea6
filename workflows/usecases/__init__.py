"""The application layer: the use cases the console and the CLI both call (and nothing else does their work).

Submit a goal, read goals and reviews, decide a review, approve several at once, edit a plan, try a failed goal
again, manage users. Each use case checks its input and its caller's authority, writes with its audit event, and
talks to the goal's workflow by name (:data:`~workflows.messages.GOAL_WORKFLOW`), so neither the console nor the
CLI loads the workflow's code, the agents or the matcher.
"""

from infra.store.reviews import ReviewFilters
from infra.store.users import ROLES
from workflows.usecases.audit import audit_for_goal, checkpoint_audit, export_audit, search_audit
from workflows.usecases.context import Services
from workflows.usecases.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from workflows.usecases.goals import (
    GoalDetail,
    ScheduledTask,
    employee_names,
    get_goal,
    list_goals,
    resubmit_goal,
    submit_goal,
)
from workflows.usecases.plan_edits import (
    NewTask,
    PlanEditInvalid,
    TaskEdit,
    edited_plan,
    issue_text,
    next_task_ids,
    validation_issues,
)
from workflows.usecases.retry import may_retry, retry_goal
from workflows.usecases.reviews import (
    BulkResult,
    bulk_approve,
    decide_review,
    get_review,
    list_reviews,
    search_reviews,
)
from workflows.usecases.sessions import (
    Busy,
    CurrentSession,
    SignedIn,
    Throttled,
    check_password,
    csrf_token_for,
    current_session,
    list_sessions,
    revoke_session,
    sign_in,
    sign_out,
)
from workflows.usecases.users import create_user, get_user, list_users
from workflows.usecases.work import my_assignments

__all__ = [
    "ROLES",
    "BulkResult",
    "Busy",
    "Conflict",
    "CurrentSession",
    "Forbidden",
    "GoalDetail",
    "Invalid",
    "NewTask",
    "NotFound",
    "PlanEditInvalid",
    "ReviewFilters",
    "ScheduledTask",
    "ServiceError",
    "Services",
    "SignedIn",
    "TaskEdit",
    "Throttled",
    "audit_for_goal",
    "bulk_approve",
    "check_password",
    "checkpoint_audit",
    "create_user",
    "csrf_token_for",
    "current_session",
    "decide_review",
    "edited_plan",
    "employee_names",
    "export_audit",
    "get_goal",
    "get_review",
    "get_user",
    "issue_text",
    "list_goals",
    "list_reviews",
    "list_sessions",
    "list_users",
    "may_retry",
    "my_assignments",
    "next_task_ids",
    "resubmit_goal",
    "retry_goal",
    "revoke_session",
    "search_audit",
    "search_reviews",
    "sign_in",
    "sign_out",
    "submit_goal",
    "validation_issues",
]
