"""The trust ramp in Postgres: versioned policies, per-type state, routing draws and recorded outcomes.

The statistics are pure (``policies.trust_ramp``); this module stores them, serialises updates per action
type (``SELECT … FOR UPDATE``) so several workers can record outcomes, and audits every change.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from infra import audit
from infra.db import Connection
from infra.store.timestamps import Timestamp
from policies import review_routing, trust_ramp
from policies.bias_audit import DEFAULT_POLICY as DEFAULT_BIAS_POLICY
from policies.bias_audit import BiasPolicy
from policies.review_routing import ActionType

ACTION_TYPES = review_routing.ACTION_TYPES
"""Every kind of agent action the platform executes today."""
_POLICY_FIELDS = ("levels", "max_error_rate", "floor", "min_samples", "confidence", "method")
_OTHER_FIELDS = ("sla_seconds", "max_escalations", "timeout_default", "bias_threshold", "bias_action")


class PolicyError(ValueError):
    """A policy document an admin cannot save; the message says why."""


@dataclass(frozen=True, kw_only=True)
class StoredPolicy:
    """The policy in force for an action type."""

    ramp: trust_ramp.RampPolicy
    """Ramp settings."""
    version: int
    """Version number (0: the built-in default, never saved)."""
    sla_seconds: int | None
    """Review SLA; None means the deployment's default."""
    max_escalations: int
    """Escalations before the policy's timeout default applies."""
    timeout_default: review_routing.TimeoutDefault
    """What happens to a review still undecided after ``max_escalations``: park, approve or reject."""
    bias: BiasPolicy
    """How the bias audit of a staffing proposal judges it: impact-ratio threshold, flag or block."""
    changed_by: str | None
    """Who saved this version."""
    changed_at: datetime | None
    """When."""

    @property
    def label(self) -> str:
        """Version label recorded on reviews and audit events."""
        return f"{self.ramp.action_type}@v{self.version}/{self.ramp.version}"

    def document(self) -> dict[str, Any]:
        """The editable document."""
        doc: dict[str, Any] = {f: getattr(self.ramp, f) for f in _POLICY_FIELDS}
        doc["levels"] = list(self.ramp.levels)
        return {**doc, "sla_seconds": self.sla_seconds, "max_escalations": self.max_escalations,
                "timeout_default": self.timeout_default, "bias_threshold": self.bias.threshold,
                "bias_action": self.bias.action}


def _action(action_type: str) -> ActionType:
    try:
        return ACTION_TYPES[action_type]
    except KeyError:
        raise PolicyError(f"unknown action type {action_type!r}; known: {', '.join(sorted(ACTION_TYPES))}") from None


def default_policy(action_type: str) -> StoredPolicy:
    """Built-in policy: people decisions never ramp down (floor 100%) and park on timeout; others ramp
    100% → 50% → 10% and go ahead (approve) when nobody reviewed them in time."""
    action = _action(action_type)
    floor = 1.0 if action.affects_people else 0.1
    return StoredPolicy(ramp=trust_ramp.RampPolicy(action_type=action_type, floor=floor), version=0,
                        sla_seconds=None, max_escalations=1, timeout_default=review_routing.default_on_timeout(action),
                        bias=DEFAULT_BIAS_POLICY, changed_by=None, changed_at=None)


def _from_document(action_type: str, doc: dict[str, Any], version: int, by: str | None,
                   at: datetime | None) -> StoredPolicy:
    ramp_fields = {f: doc[f] for f in _POLICY_FIELDS if f in doc}
    if "levels" in ramp_fields:
        ramp_fields["levels"] = tuple(float(x) for x in ramp_fields["levels"])
    try:
        ramp = trust_ramp.RampPolicy(action_type=action_type, **ramp_fields)
    except (TypeError, ValueError) as err:
        raise PolicyError(str(err)) from err
    if _action(action_type).affects_people and ramp.floor < 1.0:
        raise PolicyError(f"{action_type} significantly affects people: its floor must stay at 100% review")
    sla = doc.get("sla_seconds")
    if sla is not None and (not isinstance(sla, int) or sla < 60):
        raise PolicyError("sla_seconds must be a whole number of seconds, at least 60")
    escalations = doc.get("max_escalations", 1)
    if not isinstance(escalations, int) or not 0 <= escalations <= 10:
        raise PolicyError("max_escalations must be between 0 and 10")
    timeout_default = doc.get("timeout_default", review_routing.default_on_timeout(_action(action_type)))
    if timeout_default not in review_routing.TIMEOUT_DEFAULTS:
        raise PolicyError(f"timeout_default must be one of {', '.join(review_routing.TIMEOUT_DEFAULTS)}")
    if _action(action_type).affects_people and timeout_default == "approve":
        raise PolicyError(f"{action_type} significantly affects people: it is never approved by default")
    try:
        bias = BiasPolicy(threshold=float(doc.get("bias_threshold", DEFAULT_BIAS_POLICY.threshold)),
                          action=doc.get("bias_action", DEFAULT_BIAS_POLICY.action))
    except (TypeError, ValueError) as err:
        raise PolicyError(f"bias audit: {err}") from err
    return StoredPolicy(ramp=ramp, version=version, sla_seconds=sla, max_escalations=escalations,
                        timeout_default=timeout_default, bias=bias, changed_by=by, changed_at=at)


async def load_policy(conn: Connection, action_type: str) -> StoredPolicy:
    """The latest saved version, or the built-in default."""
    row = await conn.fetchrow(
        "SELECT document, version, changed_by, changed_at FROM review_policies WHERE action_type = $1"
        " ORDER BY version DESC LIMIT 1", action_type)
    if row is None:
        return default_policy(action_type)
    return _from_document(action_type, row["document"], row["version"], row["changed_by"], row["changed_at"])


async def save_policy(conn: Connection, action_type: str, changes: dict[str, Any], *, by: str) -> StoredPolicy:
    """Save a new version (current document updated with ``changes``) and audit who changed what."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"policy:{action_type}")
        current = await load_policy(conn, action_type)
        unknown = set(changes) - {*_POLICY_FIELDS, *_OTHER_FIELDS}
        if unknown:
            raise PolicyError(f"unknown policy field(s): {', '.join(sorted(unknown))}")
        document = {**current.document(), **changes}
        saved = _from_document(action_type, document, current.version + 1, by, None)
        await conn.execute(
            "INSERT INTO review_policies (action_type, version, document, changed_by) VALUES ($1, $2, $3, $4)",
            action_type, saved.version, saved.document(), by)
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=by, actor_role="admin", action="policy.changed", policy_version=saved.label,
            args_hash=audit.args_hash(saved.document()),
            payload={"action_type": action_type, "from_version": current.version, "to_version": saved.version,
                     "before": current.document(), "after": saved.document()}))
        return saved


async def load_state(conn: Connection, action_type: str, *, for_update: bool = False) -> trust_ramp.RampState:
    """The ramp's state (a fresh 100% state when none is stored)."""
    lock = " FOR UPDATE" if for_update else ""
    if for_update:  # make sure there is a row to lock
        await conn.execute("INSERT INTO trust_ramp_state (action_type, state) VALUES ($1, $2)"
                           " ON CONFLICT DO NOTHING", action_type, dataclasses.asdict(trust_ramp.RampState()))
    stored = await conn.fetchval(f"SELECT state FROM trust_ramp_state WHERE action_type = $1{lock}", action_type)
    return trust_ramp.RampState(**stored) if stored else trust_ramp.RampState()


async def _save_state(conn: Connection, action_type: str, state: trust_ramp.RampState) -> None:
    await conn.execute(
        "INSERT INTO trust_ramp_state (action_type, state) VALUES ($1, $2) ON CONFLICT (action_type)"
        " DO UPDATE SET state = EXCLUDED.state, updated_at = now()", action_type, dataclasses.asdict(state))


@dataclass(frozen=True, kw_only=True)
class RouteResult:
    """Routing of one action, as the workflow needs it."""

    routing: review_routing.Routing
    """Whether to review and why."""
    share: float
    """Review share in force."""
    draw: float
    """The random draw (audited)."""
    fingerprint: str
    """Model/prompt/policy fingerprint the outcome will count toward."""
    policy: StoredPolicy
    """Policy in force."""


async def route(conn: Connection, action_type: str, *, model: str, prompt_version: str,
                rng: random.Random | None = None, audit_fields: dict[str, Any] | None = None) -> RouteResult:
    """Decide review for one action: reset evidence on a version change, draw, audit the draw."""
    action = _action(action_type)
    async with conn.transaction():
        policy = await load_policy(conn, action_type)
        fingerprint = trust_ramp.make_fingerprint(model=model, prompt_version=prompt_version,
                                                  policy_version=policy.label)
        state = await load_state(conn, action_type, for_update=True)
        reset = trust_ramp.reset_if_changed(state, fingerprint)
        if reset != state:
            await _save_state(conn, action_type, reset)
            await _history(conn, action_type, "reset", policy.ramp, reset, None)
        share = trust_ramp.effective_share(policy.ramp, reset, action.affects_people)
        draw = (rng or random.SystemRandom()).random()
        routing = review_routing.route_review(action, sample_share=share, draw=draw)
        await audit.append(conn, audit.AuditEvent(
            actor_type="system", actor="review-routing", action="review.routed", policy_version=policy.label,
            payload={"action_type": action_type, "review": routing.review, "because": routing.because,
                     "forced": routing.forced, "share": share, "draw": draw, "fingerprint": fingerprint,
                     "evidence_reset": reset != state},
            **(audit_fields or {})))
        return RouteResult(routing=routing, share=share, draw=draw, fingerprint=fingerprint, policy=policy)


async def record_outcome(conn: Connection, action_type: str, *, sampled: bool, error: bool,
                         fingerprint: str | None) -> trust_ramp.RampEvent | None:
    """Count a decided review toward the ramp (only sampled ones count; stale fingerprints are ignored)."""
    async with conn.transaction():
        policy = await load_policy(conn, action_type)
        state = await load_state(conn, action_type, for_update=True)
        if fingerprint is not None and state.fingerprint and fingerprint != state.fingerprint:
            return None  # reviewed output of an older model/prompt/policy: not evidence for the current one
        new_state, event = trust_ramp.record_review(policy.ramp, state, error=error, sampled=sampled)
        if new_state == state:
            return event
        await _save_state(conn, action_type, new_state)
        if event.kind is not trust_ramp.RampEventKind.IGNORED:
            await _history(conn, action_type, event.kind.value, policy.ramp, new_state, event.upper_bound)
        if event.from_level != event.to_level:
            await audit.append(conn, audit.AuditEvent(
                actor_type="system", actor="trust-ramp", action=f"ramp.{event.kind.value}",
                policy_version=policy.label, payload={"action_type": action_type, **dataclasses.asdict(event)}))
        return event


async def set_pin(conn: Connection, action_type: str, share: float | None, *, by: str) -> trust_ramp.RampState:
    """Pin (or unpin with None) the review share of an action type; audited."""
    async with conn.transaction():
        policy = await load_policy(conn, action_type)
        state = await load_state(conn, action_type, for_update=True)
        try:
            pinned = trust_ramp.pin(policy.ramp, state, share)
        except ValueError as err:
            raise PolicyError(str(err)) from err
        await _save_state(conn, action_type, pinned)
        await _history(conn, action_type, "pinned" if share is not None else "unpinned", policy.ramp, pinned, None)
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=by, actor_role="admin", action="ramp.pinned", policy_version=policy.label,
            payload={"action_type": action_type, "pinned": share, "previous": state.pinned}))
        return pinned


async def _history(conn: Connection, action_type: str, kind: str, ramp: trust_ramp.RampPolicy,
                   state: trust_ramp.RampState, upper: float | None) -> None:
    level = state.pinned if state.pinned is not None else ramp.levels[min(state.level, len(ramp.levels) - 1)]
    await conn.execute(
        "INSERT INTO trust_ramp_history (action_type, kind, level, samples, errors, upper_bound)"
        " VALUES ($1, $2, $3, $4, $5, $6)", action_type, kind, level, state.samples, state.errors, upper)


class LevelChange(BaseModel):
    """A point of an action type's review-level history."""

    at: Timestamp
    """When."""
    kind: str
    """What happened (promotion, demotion, pin, reset ...)."""
    level: float
    """Review level after it."""
    samples: int
    """Sampled reviews counted at the level."""
    errors: int
    """Errors among them."""
    upper_bound: float | None
    """Upper bound of the error rate then."""


@dataclass(frozen=True, kw_only=True)
class AdminView:
    """One row of the admin page."""

    action: ActionType
    """The action type."""
    policy: StoredPolicy
    """Policy in force."""
    status: trust_ramp.RampStatus
    """Ramp figures."""
    history: list[LevelChange]
    """Level over time (oldest first)."""


async def admin_view(conn: Connection) -> list[AdminView]:
    """Everything the admin page shows, per action type."""
    views = []
    for name, action in sorted(ACTION_TYPES.items()):
        policy = await load_policy(conn, name)
        state = await load_state(conn, name)
        history = [LevelChange.model_validate(dict(r)) for r in await conn.fetch(
            "SELECT at, kind, level, samples, errors, upper_bound FROM (SELECT * FROM trust_ramp_history"
            " WHERE action_type = $1 ORDER BY id DESC LIMIT 200) h ORDER BY at", name)]
        views.append(AdminView(action=action, policy=policy, history=history,
                               status=trust_ramp.ramp_status(policy.ramp, state, affects_people=action.affects_people)))
    return views
