"""Console sessions (table ``sessions``) and failed sign-ins (table ``login_failures``).

A session is found by the SHA-256 of its cookie token (the token itself is never stored) and is alive while it was
used within the idle timeout and began within the absolute timeout; both are checked against the database's clock,
so every console replica agrees. Failed sign-ins are counted per login and per client address; once a count reaches
its limit, sign-ins are locked for a wait that doubles with every further failure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from infra.db import Connection, Queryable
from infra.store.users import Role, User

Scope = Literal["account", "address"]
"""What failed sign-ins are counted by: the login tried, or the client address it came from."""

_SESSION = ("s.session_id, s.login, u.display_name, u.role, s.created_at, s.last_seen_at, s.client_address,"
            " s.user_agent")


def _alive(idle: int, absolute: int) -> str:
    """SQL: session ``s`` is alive, with the idle and absolute timeouts as parameters ``$idle`` and ``$absolute``."""
    return (f"s.last_seen_at > now() - make_interval(secs => ${idle}::float8)"
            f" AND s.created_at > now() - make_interval(secs => ${absolute}::float8)")


class SessionRecord(BaseModel):
    """A signed-in browser or script (without its token)."""

    session_id: str
    """Public handle, for listing and revoking."""
    login: str
    """Who signed in."""
    display_name: str
    """Their name."""
    role: Role
    """Their role."""
    created_at: datetime
    """When they signed in."""
    last_seen_at: datetime
    """When the session was last used (to within a minute)."""
    client_address: str | None
    """Address the sign-in came from."""
    user_agent: str | None
    """Browser or client that signed in."""


async def insert(conn: Connection, *, session_id: str, token_hash: bytes, login: str, client_address: str | None,
                 user_agent: str | None) -> None:
    """Start a session."""
    await conn.execute(
        "INSERT INTO sessions (session_id, token_hash, login, client_address, user_agent)"
        " VALUES ($1, $2, $3, $4, $5)", session_id, token_hash, login, client_address, user_agent)


async def find_alive(conn: Queryable, token_hash: bytes, *, idle_seconds: float,
                     absolute_seconds: float) -> tuple[SessionRecord, User] | None:
    """The live session with this token hash and its user; None when there is none or it has expired."""
    row = await conn.fetchrow(
        f"SELECT {_SESSION}, u.employee_id, u.department FROM sessions s JOIN users u USING (login)"
        f" WHERE s.token_hash = $1 AND {_alive(2, 3)}", token_hash, idle_seconds, absolute_seconds)
    if row is None:
        return None
    values = dict(row)
    user = User(login=values["login"], display_name=values["display_name"], role=values["role"],
                employee_id=values.pop("employee_id"), department=values.pop("department"))
    return SessionRecord.model_validate(values), user


async def touch(conn: Queryable, session_id: str, *, older_than_seconds: float) -> None:
    """Mark the session used now, when its last use is older than ``older_than_seconds`` (fewer writes)."""
    await conn.execute(
        "UPDATE sessions SET last_seen_at = now()"
        " WHERE session_id = $1 AND last_seen_at < now() - make_interval(secs => $2::float8)",
        session_id, older_than_seconds)


async def delete_by_token(conn: Queryable, token_hash: bytes) -> str | None:
    """End the session with this token hash; its id, or None when there was none."""
    gone: str | None = await conn.fetchval(
        "DELETE FROM sessions WHERE token_hash = $1 RETURNING session_id", token_hash)
    return gone


async def delete(conn: Queryable, session_id: str) -> SessionRecord | None:
    """End a session by its id; what it was, or None when there is no such session."""
    row = await conn.fetchrow(
        "WITH s AS (DELETE FROM sessions WHERE session_id = $1 RETURNING *)"
        f" SELECT {_SESSION} FROM s JOIN users u USING (login)", session_id)
    return SessionRecord.model_validate(dict(row)) if row is not None else None


async def list_alive(conn: Queryable, *, idle_seconds: float, absolute_seconds: float) -> list[SessionRecord]:
    """Every live session, by login then most recently used first."""
    rows = await conn.fetch(
        f"SELECT {_SESSION} FROM sessions s JOIN users u USING (login)"
        f" WHERE {_alive(1, 2)} ORDER BY s.login, s.last_seen_at DESC", idle_seconds, absolute_seconds)
    return [SessionRecord.model_validate(dict(r)) for r in rows]


async def purge_expired(conn: Queryable, *, idle_seconds: float, absolute_seconds: float) -> int:
    """Delete expired sessions; how many."""
    result = await conn.execute(
        "DELETE FROM sessions WHERE last_seen_at <= now() - make_interval(secs => $1::float8)"
        " OR created_at <= now() - make_interval(secs => $2::float8)", idle_seconds, absolute_seconds)
    return int(result.split()[-1])


# --- failed sign-ins ---------------------------------------------------------------------------------------------


class LoginFailures(BaseModel):
    """Failed sign-ins counted for one login or one client address."""

    scope: Scope
    """Counted by login (``account``) or by client address (``address``)."""
    key: str
    """The login tried, or the address."""
    failures: int
    """Failures within the window."""
    locked_until: datetime | None
    """Sign-ins are refused until then (None: not locked)."""
    wait_seconds: float
    """Seconds until the lock ends (0 when not locked)."""


_FAILURES = ("scope, key, failures, locked_until,"
             " greatest(0, extract(epoch FROM coalesce(locked_until, now()) - now()))::float8 AS wait_seconds")


async def locks(conn: Queryable, *, login: str, address: str) -> list[LoginFailures]:
    """The locks in force on this login or this address (none, one or both)."""
    rows = await conn.fetch(
        f"SELECT {_FAILURES} FROM login_failures"
        " WHERE ((scope = 'account' AND key = $1) OR (scope = 'address' AND key = $2)) AND locked_until > now()",
        login, address)
    return [LoginFailures.model_validate(dict(r)) for r in rows]


async def claim_lock_audit(conn: Queryable, scope: Scope, key: str) -> bool:
    """True the first time it is called for the lock in force (so each lock is audited once, not per refusal)."""
    claimed = await conn.fetchval(
        "UPDATE login_failures SET audited_until = locked_until"
        " WHERE scope = $1 AND key = $2 AND locked_until > now() AND audited_until IS DISTINCT FROM locked_until"
        " RETURNING 1", scope, key)
    return claimed is not None


async def record_failure(conn: Connection, scope: Scope, key: str, *, allowed: int, window_seconds: float,
                         base_seconds: float, max_seconds: float) -> LoginFailures:
    """Count one failure; from the ``allowed``-th on, lock for ``base_seconds`` doubled per further failure.

    Failures are forgotten ``window_seconds`` after the later of the last failure and the end of its lock.
    """
    async with conn.transaction():
        failures: int = await conn.fetchval(
            "INSERT INTO login_failures AS f (scope, key, failures, last_failure_at) VALUES ($1, $2, 1, now())"
            " ON CONFLICT (scope, key) DO UPDATE SET last_failure_at = now(), failures = CASE"
            "   WHEN greatest(f.last_failure_at, coalesce(f.locked_until, f.last_failure_at))"
            "        < now() - make_interval(secs => $3::float8) THEN 1 ELSE f.failures + 1 END"
            " RETURNING failures", scope, key, window_seconds)
        wait = min(max_seconds, base_seconds * 2 ** min(failures - allowed, 64)) if failures >= allowed else None
        row = await conn.fetchrow(
            "UPDATE login_failures SET locked_until = CASE WHEN $3::float8 IS NULL THEN NULL"
            "   ELSE now() + make_interval(secs => $3::float8) END"
            f" WHERE scope = $1 AND key = $2 RETURNING {_FAILURES}", scope, key, wait)
    assert row is not None
    return LoginFailures.model_validate(dict(row))


async def clear(conn: Queryable, scope: Scope, key: str) -> None:
    """Forget the failures of a login (it signed in) or an address."""
    await conn.execute("DELETE FROM login_failures WHERE scope = $1 AND key = $2", scope, key)


async def purge_failures(conn: Queryable, *, window_seconds: float) -> int:
    """Delete failure counts already forgotten (older than the window, lock over); how many."""
    result = await conn.execute(
        "DELETE FROM login_failures WHERE greatest(last_failure_at, coalesce(locked_until, last_failure_at))"
        " < now() - make_interval(secs => $1::float8)", window_seconds)
    return int(result.split()[-1])
