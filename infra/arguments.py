"""Canonical form and hash of an action's arguments: what a reviewer sees is what executes."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the form that gets hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def args_hash(arguments: Any) -> str:
    """SHA-256 of the canonical JSON of an action's arguments."""
    return hashlib.sha256(canonical_json(arguments).encode()).hexdigest()
