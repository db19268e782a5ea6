"""A move act's attestation: the application layer signs who acts; the move workflow's validators verify it.

Same key as decision attestations (``workflows.attestation``), a statement of its own (``move-act/v1``): an update
sent to a move by any other route than talentops (the Temporal UI, the plain SDK) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

from infra.arguments import canonical_json
from infra.keys import key_id
from workflows import attestation
from workflows.move_messages import ActAttestation, MoveAct


def _statement(workflow_id: str, act: MoveAct, a: ActAttestation) -> bytes:
    return canonical_json({
        "v": "move-act/v1", "workflow_id": workflow_id, "kind": act.kind, "actor": act.actor, "reason": act.reason,
        "via": act.via, "actor_employee_id": a.actor_employee_id, "expires_at": a.expires_at, "key_id": a.key_id,
    }).encode()


def _sign(key: bytes, statement: bytes) -> str:
    return hmac.new(key, statement, hashlib.sha256).hexdigest()


def attest(workflow_id: str, act: MoveAct, *, key: bytes, actor_employee_id: str | None,
           now: datetime | None = None) -> MoveAct:
    """``act`` signed for the move ``workflow_id``, stating the actor's employee id."""
    expires = (now or datetime.now(UTC)).astimezone(UTC) + attestation.TTL
    unsigned = ActAttestation(actor_employee_id=actor_employee_id, expires_at=expires.isoformat(),
                              key_id=key_id(key), signature="")
    signed = unsigned.model_copy(update={"signature": _sign(key, _statement(workflow_id, act, unsigned))})
    return act.model_copy(update={"attestation": signed})


def verify(workflow_id: str, act: MoveAct, *, now: datetime,
           keys: Mapping[str, bytes] | None = None) -> ActAttestation:
    """The act's attestation when signed by a trusted key for this move, untouched and not expired.

    Raises:
        ValueError: With a sentence saying why the act is refused.
    """
    a = act.attestation
    if a is None:
        raise ValueError("this answer was not sent through talentops: answer in the console or its API")
    key = (attestation.trusted_keys() if keys is None else keys).get(a.key_id)
    if key is None:
        raise ValueError("this answer is signed with a key this worker does not trust")
    if not hmac.compare_digest(_sign(key, _statement(workflow_id, act, a)), a.signature):
        raise ValueError("this answer's attestation does not verify (the answer was changed)")
    try:
        expires = datetime.fromisoformat(a.expires_at)
    except ValueError:
        raise ValueError("this answer's attestation has no valid expiry") from None
    if expires.tzinfo is None or expires <= now:
        raise ValueError("this answer's attestation expired; answer again")
    if expires > now + attestation.TTL + attestation.CLOCK_SKEW:
        raise ValueError("this answer's attestation is dated in the future; check the clocks")
    return a
