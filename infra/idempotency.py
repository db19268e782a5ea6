"""Idempotency keys for the effects of a retried or replayed activity.

A Temporal activity that committed its writes and then could not report completion (its worker was killed, the
server was stopped) runs again. Its attempt number changes; its identity in the workflow's history does not:
workflow id, run id and activity id. The worker sets that identity as the *scope* of each activity execution
(``workers.effect_keys``), and:

- :func:`infra.audit.append` derives each event's idempotency key from it, so an event appended again by a
  retry is found, not stored twice (a unique index in Postgres holds it);
- an activity whose writes are not idempotent by themselves calls :func:`claim` in the same transaction as those
  writes, and skips them (or returns the first execution's result, :func:`recall`) when the scope was claimed.

Outside an activity (console requests, the CLI, tests calling a function directly) there is no scope: events get
no key and :func:`claim` always answers ``True``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from infra.db import Connection


@dataclass(kw_only=True)
class Scope:
    """One activity execution's identity, and how many events of each action it appended so far."""

    key: str
    """``<workflow id>/<run id>/<activity id>``: the same on every attempt."""
    activity: str
    """The activity type."""
    appended: dict[str, int] = field(default_factory=dict)
    """Events appended per action in this attempt (an activity may append one action several times)."""

    def event_key(self, action: str) -> str:
        """The next event's key: the scope, the action and its ordinal in this attempt."""
        n = self.appended.get(action, 0) + 1
        self.appended[action] = n
        return f"{self.key}/{action}#{n}"


_scope: ContextVar[Scope | None] = ContextVar("talentops_effect_scope", default=None)


@contextlib.contextmanager
def activity_scope(key: str, activity: str) -> Iterator[Scope]:
    """Run the body as the activity execution ``key``."""
    scope = Scope(key=key, activity=activity)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def current() -> Scope | None:
    """The running activity's scope, or None outside an activity."""
    return _scope.get()


async def claim(conn: Connection) -> bool:
    """Claim this activity execution's effects in the caller's transaction; False when an attempt already did.

    A concurrent attempt holding the claim uncommitted makes this wait, then answer False if it committed.
    """
    scope = current()
    if scope is None:
        return True
    claimed = await conn.fetchval(
        "INSERT INTO activity_effects (key, activity) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING true",
        scope.key, scope.activity)
    return bool(claimed)


async def remember(conn: Connection, result: dict[str, Any]) -> None:
    """Store what this execution returns, for :func:`recall` by a later attempt (after :func:`claim`)."""
    scope = current()
    if scope is not None:
        await conn.execute("UPDATE activity_effects SET result = $2 WHERE key = $1", scope.key, result)


async def recall(conn: Connection) -> dict[str, Any] | None:
    """What the attempt that claimed this execution returned, if it stored it."""
    scope = current()
    if scope is None:
        return None
    stored: dict[str, Any] | None = await conn.fetchval("SELECT result FROM activity_effects WHERE key = $1",
                                                         scope.key)
    return stored
