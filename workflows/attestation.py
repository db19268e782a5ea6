"""A decision's attestation: the application layer signs what it checked; the goal workflow verifies it.

Anyone who can send a Temporal update (the Temporal UI, the plain SDK) can send the goal workflow a ``decide``
update. The application layer (``workflows.usecases.reviews.decide_review``) checks the reviewer's role,
separation of duties, capacity and the bias policy, then attaches a :class:`DecisionAttestation`: those facts
and a digest of the whole decision, signed with HMAC-SHA256 under a key derived from the installation's secret
(``Settings.secret()``, purpose ``decision-attestation/v1``). The workflow's update validator verifies the
signature with the keys the worker trusts (:func:`trust`, called by ``workers.main.build_worker``) and checks the
rules again on the signed facts (``workflows.goal_rules.validate_authority``).

Pure apart from the process's set of trusted keys: the workflow imports this module passed through the sandbox,
so the validator reads the worker's keys. Validators are never replayed, so reading them there is safe.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from infra.arguments import args_hash, canonical_json
from infra.keys import derive_key, key_id
from workflows.messages import Decision, DecisionAttestation

PURPOSE = "decision-attestation/v1"
"""The purpose the attestation key is derived for (a key of its own, not the console's session key)."""
TTL = timedelta(minutes=5)
"""How long an attestation is good for: a decision is signed just before it is sent."""
CLOCK_SKEW = timedelta(minutes=1)
"""Tolerance between the signer's clock and the Temporal server's (an attestation from further in the future
than ``TTL`` plus this is refused)."""

_trusted: dict[str, bytes] = {}
"""Key id → key: the keys this process's workers verify attestations with."""


def decision_key(secret: str) -> bytes:
    """The attestation key of an installation whose secret is ``secret``."""
    return derive_key(secret, PURPOSE)


def trust(key: bytes) -> str:
    """Verify attestations signed with ``key`` in this process (a worker installs its installation's key at
    start); returns the key's id."""
    kid = key_id(key)
    _trusted[kid] = key
    return kid


def trusted_keys() -> Mapping[str, bytes]:
    """The keys attestations verify with in this process (empty: every decision by update is refused)."""
    return dict(_trusted)


def decision_digest(decision: Decision) -> str:
    """Hash of everything a decision says apart from its attestation (reason, edit, channel included)."""
    return args_hash(decision.model_dump(mode="json", exclude={"attestation"}))


def _statement(decision: Decision, a: DecisionAttestation) -> bytes:
    return canonical_json({
        "v": 1, "review_id": decision.review_id, "args_hash": decision.args_hash, "decision": decision.decision,
        "reviewer": decision.reviewer, "reviewer_role": a.reviewer_role,
        "reviewer_employee_id": a.reviewer_employee_id, "bias_verdict": a.bias_verdict,
        "executed_args_hash": a.executed_args_hash, "expires_at": a.expires_at, "key_id": a.key_id,
        "decision_digest": decision_digest(decision),
    }).encode()


def _sign(key: bytes, statement: bytes) -> str:
    return hmac.new(key, statement, hashlib.sha256).hexdigest()


def attest(decision: Decision, *, key: bytes, reviewer_role: str, reviewer_employee_id: str | None,
           bias_verdict: str | None, executed_args_hash: str | None, now: datetime | None = None) -> Decision:
    """``decision`` with a signed attestation of the facts the application layer checked."""
    expires = (now or datetime.now(UTC)).astimezone(UTC) + TTL
    unsigned = DecisionAttestation(
        reviewer_role=reviewer_role, reviewer_employee_id=reviewer_employee_id, bias_verdict=bias_verdict,
        executed_args_hash=executed_args_hash, expires_at=expires.isoformat(), key_id=key_id(key), signature="")
    signed = unsigned.model_copy(update={"signature": _sign(key, _statement(decision, unsigned))})
    return decision.model_copy(update={"attestation": signed})


def verify(decision: Decision, *, now: datetime, keys: Mapping[str, bytes] | None = None) -> DecisionAttestation:
    """The decision's attestation when it is signed by a trusted key, untouched and not expired.

    Raises:
        ValueError: With a sentence saying why the decision is not attested.
    """
    a = decision.attestation
    if a is None:
        raise ValueError("this decision was not sent through talentops (no attestation of the reviewer's checks): "
                         "decide it in the review console, its API or `talentops review decide`")
    key = (_trusted if keys is None else keys).get(a.key_id)
    if key is None:
        raise ValueError("this decision's attestation is signed with a key this worker does not trust")
    if not hmac.compare_digest(_sign(key, _statement(decision, a)), a.signature):
        raise ValueError("this decision's attestation does not verify (the decision or its facts were changed)")
    try:
        expires = datetime.fromisoformat(a.expires_at)
    except ValueError:
        raise ValueError("this decision's attestation has no valid expiry") from None
    if expires.tzinfo is None:
        raise ValueError("this decision's attestation has no valid expiry")
    if expires <= now:
        raise ValueError("this decision's attestation expired; decide again")
    if expires > now + TTL + CLOCK_SKEW:
        raise ValueError("this decision's attestation is dated in the future; check the clocks")
    return a
