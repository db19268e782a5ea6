"""An act's attestation: the application layer signs who acts (after checking they may); the validators of the
move and onboarding workflows verify it.

Same key as decision attestations (``workflows.attestation``), a statement of its own (``act/v1``, bound to one
workflow id and the whole act): an update sent by any other route than talentops (the Temporal UI, the plain SDK)
is refused, and an act signed for one workflow is refused by every other.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from infra.arguments import canonical_json
from infra.keys import key_id
from workflows import attestation
from workflows.move_messages import ActAttestation


class Act(Protocol):
    """An update's message that carries an attestation (``MoveAct``, ``ItemTick``)."""

    attestation: ActAttestation | None

    def model_dump(self, *, mode: str = ..., exclude: set[str] | None = ...) -> dict[str, object]: ...

    def model_copy(self: ActT, *, update: dict[str, object] | None = ..., deep: bool = ...) -> ActT: ...


ActT = TypeVar("ActT", bound=Act)


def _statement(workflow_id: str, act: Act, a: ActAttestation) -> bytes:
    return canonical_json({
        "v": "act/v1", "workflow_id": workflow_id, "act": act.model_dump(mode="json", exclude={"attestation"}),
        "actor_employee_id": a.actor_employee_id, "expires_at": a.expires_at, "key_id": a.key_id,
    }).encode()


def _sign(key: bytes, statement: bytes) -> str:
    return hmac.new(key, statement, hashlib.sha256).hexdigest()


def attest(workflow_id: str, act: ActT, *, key: bytes, actor_employee_id: str | None,
           now: datetime | None = None) -> ActT:
    """``act`` signed for the workflow ``workflow_id``, stating the actor's employee id."""
    expires = (now or datetime.now(UTC)).astimezone(UTC) + attestation.TTL
    unsigned = ActAttestation(actor_employee_id=actor_employee_id, expires_at=expires.isoformat(),
                              key_id=key_id(key), signature="")
    signed = unsigned.model_copy(update={"signature": _sign(key, _statement(workflow_id, act, unsigned))})
    return act.model_copy(update={"attestation": signed})


def verify(workflow_id: str, act: Act, *, now: datetime,
           keys: Mapping[str, bytes] | None = None) -> ActAttestation:
    """The act's attestation when signed by a trusted key for this workflow, untouched and not expired.

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
