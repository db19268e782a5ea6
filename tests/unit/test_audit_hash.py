"""Pure hashing: canonical JSON and args_hash (what a reviewer sees is what executes) and audit row hashes."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from infra.arguments import args_hash, canonical_json
from infra.audit import GENESIS_HASH, row_hash

ARGS: dict[str, Any] = {
    "assignments": [
        {"task_id": "T1", "employee_id": "E0001", "fraction": 0.5, "start_week": 0, "end_week": 4},
        {"task_id": "T2", "employee_id": "E0042", "fraction": 0.25, "start_week": 2, "end_week": 6},
    ],
    "note": "Zoë’s team",
}


def reordered(value: Any) -> Any:
    """The same value with every dict's keys in reverse insertion order."""
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


def test_canonical_json_is_sorted_and_compact() -> None:
    assert canonical_json({"b": 1, "a": {"y": [1, 2], "x": None}}) == '{"a":{"x":null,"y":[1,2]},"b":1}'
    assert canonical_json({"name": "Zoë"}) == '{"name":"Zoë"}', "non-ASCII is kept, not escaped"
    assert json.loads(canonical_json(ARGS)) == ARGS


def test_canonical_json_falls_back_to_str() -> None:
    moment = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    assert canonical_json({"at": moment}) == '{"at":"2025-03-10 12:00:00+00:00"}'


def test_key_order_does_not_matter() -> None:
    other = reordered(ARGS)
    assert list(other) != list(ARGS)
    assert canonical_json(other) == canonical_json(ARGS)
    assert args_hash(other) == args_hash(ARGS)


def test_args_hash_is_sha256_of_the_canonical_json() -> None:
    digest = args_hash(ARGS)
    assert digest == hashlib.sha256(canonical_json(ARGS).encode()).hexdigest()
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert args_hash(json.loads(json.dumps(ARGS))) == digest, "stable across a JSON round trip (jsonb)"


def _changed(path: tuple[Any, ...], new: Any) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(ARGS))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copy


CHANGES = {
    "employee": _changed(("assignments", 0, "employee_id"), "E0002"),
    "fraction": _changed(("assignments", 0, "fraction"), 0.55),
    "week": _changed(("assignments", 1, "end_week"), 7),
    "int-to-str": _changed(("assignments", 1, "end_week"), "6"),
    "int-to-float": _changed(("assignments", 0, "start_week"), 0.0),  # equal in Python, not in JSON
    "int-to-bool": _changed(("assignments", 0, "start_week"), False),  # equal in Python, not in JSON
    "one-character": _changed(("note",), "Zoe’s team"),
    "to-null": _changed(("note",), None),
    "added-null-key": _changed(("extra",), None),
    "removed-key": {k: v for k, v in ARGS.items() if k != "note"},
    "list-order": {**ARGS, "assignments": list(reversed(ARGS["assignments"]))},
    "list-shorter": {**ARGS, "assignments": ARGS["assignments"][:1]},
    "key-case": {"Assignments": ARGS["assignments"], "note": ARGS["note"]},
}


@pytest.mark.parametrize("changed", CHANGES.values(), ids=CHANGES.keys())
def test_any_change_changes_the_hash(changed: dict[str, Any]) -> None:
    assert canonical_json(changed) != canonical_json(ARGS)
    assert args_hash(changed) != args_hash(ARGS)


def test_all_changes_hash_differently_from_each_other() -> None:
    hashes = {args_hash(c) for c in CHANGES.values()} | {args_hash(ARGS)}
    assert len(hashes) == len(CHANGES) + 1


# --- infra.audit.row_hash ---------------------------------------------------------------------------------------

HASHED = ("at", "actor_type", "actor", "action", "goal_id", "workflow_id", "run_id", "args_hash",
          "payload", "model", "prompt_version", "policy_version", "trace_id", "prev_hash")


def row(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "seq": 7,
        "at": datetime(2025, 3, 10, 9, 30, 15, 123456, tzinfo=UTC),
        "actor_type": "agent", "actor": "propose_staffing", "action": "agent.propose_staffing",
        "goal_id": "g-1", "workflow_id": "goal-g-1", "run_id": "run-1", "args_hash": args_hash(ARGS),
        "payload": {"output": ARGS, "tool_calls": [{"tool": "find_candidates", "args": {"task_id": "T1"}}]},
        "model": "local-planner", "prompt_version": "propose-staffing/1", "policy_version": "review-routing/1",
        "trace_id": "ab" * 16, "prev_hash": GENESIS_HASH, "hash": "not part of the material",
    }
    return {**base, **overrides}


def test_row_hash_is_deterministic_and_hex() -> None:
    digest = row_hash(row())
    assert digest == row_hash(row()) and len(digest) == 64
    assert digest != row()["prev_hash"]


def test_row_hash_ignores_seq_and_stored_hash_and_key_order() -> None:
    assert row_hash(row(seq=999, hash="x")) == row_hash(row())
    assert row_hash(row(payload=reordered(row()["payload"]))) == row_hash(row())


def test_row_hash_is_independent_of_the_timezone_of_at() -> None:
    at = row()["at"]
    cet = timezone(timedelta(hours=1))
    assert row_hash(row(at=at.astimezone(cet))) == row_hash(row())
    assert row_hash(row(at=at + timedelta(microseconds=1))) != row_hash(row())


def _altered(name: str) -> Any:
    current = row()[name]
    if name == "at":
        return current + timedelta(seconds=1)
    if name == "payload":
        return {**current, "output": {**ARGS, "note": "changed"}}
    if name == "prev_hash":
        return "f" * 64
    assert current is not None
    return None  # every other field is set in row(); clearing it is a change


@pytest.mark.parametrize("name", HASHED)
def test_every_hashed_field_changes_the_row_hash(name: str) -> None:
    assert row_hash(row(**{name: _altered(name)})) != row_hash(row())


@pytest.mark.parametrize("name", HASHED)
def test_every_hashed_field_is_required(name: str) -> None:
    incomplete = row()
    del incomplete[name]
    with pytest.raises(KeyError):
        row_hash(incomplete)
