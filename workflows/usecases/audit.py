"""The audit trail: one goal's events, a filtered page of the whole trail, and its export (JSON Lines, CSV)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from infra import audit_anchor, audit_query
from infra.audit_anchor import Checkpoint
from infra.audit_query import AuditQuery, AuditRecord, ExportFormat, UnreviewedAction
from infra.store import goals
from infra.store.users import User
from policies.review_routing import ACTION_TYPES
from workflows.usecases.context import Services
from workflows.usecases.errors import Forbidden, Invalid, NotFound


async def audit_for_goal(svc: Services, goal_id: str) -> list[AuditRecord]:
    """The goal's audit events in order.

    Raises:
        NotFound: No such goal.
    """
    if not await goals.exists(svc.pool, goal_id):
        raise NotFound(f"no goal {goal_id!r}")
    return await audit_query.for_goal(svc.pool, goal_id)


async def search_audit(svc: Services, query: AuditQuery) -> tuple[list[AuditRecord], int]:
    """One page of matching events in sequence order, and how many match from ``query.after_seq`` on."""
    return await audit_query.search(svc.pool, query)


def export_audit(svc: Services, query: AuditQuery, fmt: ExportFormat) -> AsyncIterator[str]:
    """Every matching event (``query.limit`` aside) as JSON Lines or CSV text chunks, streamed."""
    return audit_query.export(svc.pool, query, fmt)


async def checkpoint_audit(svc: Services) -> Checkpoint | None:
    """Checkpoint the chain's head (signed) into the anchor files outside the database, as every export does at its
    start; the checkpoint (it travels with the export), or None when the trail is empty."""
    async with svc.pool.acquire() as conn:
        return await audit_anchor.checkpoint(conn, key=audit_anchor.anchor_key(svc.settings.secret()),
                                             paths=audit_anchor.anchor_paths(svc.settings))


async def unreviewed_actions(svc: Services, user: User, *, action_type: str | None = None,
                             before_seq: int | None = None, limit: int = 50) -> list[UnreviewedAction]:
    """Agent actions that went ahead without review because the trust ramp did not sample them (a plan at 10%,
    an onboarding draft, a reminder), with each one's output: a reviewer can read every one of them.

    Raises:
        Forbidden: ``user`` is neither a reviewer nor an admin.
        Invalid: An unknown action type.
    """
    if user.role not in ("reviewer", "admin"):
        raise Forbidden("only reviewers and admins read the actions that went ahead unreviewed")
    if action_type is not None and action_type not in ACTION_TYPES:
        raise Invalid(f"unknown action type {action_type!r}; use one of {', '.join(sorted(ACTION_TYPES))}")
    return await audit_query.unreviewed(svc.pool, action_type=action_type, before_seq=before_seq,
                                        limit=min(max(limit, 1), 200))
