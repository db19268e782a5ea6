"""Keys derived from the installation's secret (``Settings.secret()``), one per purpose: no two uses share a key,
and knowing one derived key (e.g. a decision attestation's) tells nothing about another (e.g. the console's
session signing, which uses the secret itself)."""

from __future__ import annotations

import hashlib
import hmac


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` (``decision-attestation/v1``, ``audit-anchor/v1``): HMAC-SHA256 of the
    purpose under the secret."""
    if not secret:
        raise ValueError("no secret to derive a key from")
    return hmac.new(secret.encode(), f"talentops/{purpose}".encode(), hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    """A short public name of a key (which key signed something), never the key itself."""
    return hashlib.sha256(b"talentops/key-id/" + key).hexdigest()[:16]
