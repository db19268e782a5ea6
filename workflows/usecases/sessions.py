"""Sessions and sign-in: sign in (throttled), look up, sign out, and list or revoke sessions (admins, audited).

A session is a random token the browser keeps in a cookie; only its SHA-256 is stored (``infra.store.sessions``), with
an idle and an absolute timeout from the settings. Every sign-in makes a new token (the one the browser brought, if
any, ends), so a token planted before sign-in is worth nothing. The CSRF token of a session is derived from its
token (HMAC), so it needs no storage and changes with the session.

Password checks are throttled per login and per client address, with a wait that doubles per further failure (counted
in Postgres, so several consoles agree); a locked sign-in is refused before its password is even checked, and after
it too, when concurrent failures locked it meanwhile. At most ``password_check_concurrency`` argon2 checks run at
once, so a flood of guesses queues instead of starving the rest of the console.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import math
import os
import secrets
import weakref
from dataclasses import dataclass
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from infra import audit
from infra.store import sessions, users
from infra.store.sessions import SessionRecord
from infra.store.users import User
from infra.telemetry import current_trace_id
from workflows.usecases.context import Services
from workflows.usecases.errors import Forbidden, NotFound, ServiceError

__all__ = ["Busy", "CurrentSession", "SessionRecord", "SignedIn", "Throttled", "check_password", "csrf_token_for",
           "current_session", "list_sessions", "revoke_session", "sign_in", "sign_out"]

Via = Literal["form", "api", "basic", "cli"]
"""How credentials arrived: the console's sign-in form, ``POST /api/login``, or HTTP Basic on the API."""

PASSWORD_CHECK_WAIT_SECONDS = 10.0
"""How long a sign-in waits for a free password-check slot before it is told to come back (503)."""
_LOGIN_KEY_CHARS = 200
"""Longest login kept as a throttling key or in the audit trail (a login is at most 60 characters)."""

_hasher = PasswordHasher()
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary())


class Throttled(ServiceError):
    """Too many failed sign-ins for this login or from this address: refused, right password or not."""

    status = 429

    def __init__(self, wait_seconds: float) -> None:
        self.retry_after = max(1, math.ceil(wait_seconds))
        unit = "second" if self.retry_after == 1 else "seconds"
        super().__init__(f"Too many failed sign-ins for this login or from this address: "
                         f"try again in {self.retry_after} {unit}.")


class Busy(ServiceError):
    """Too many password checks at once: the sign-in is refused without checking, to come back shortly."""

    status = 503
    retry_after = 2

    def __init__(self) -> None:
        super().__init__("Too many sign-ins are being checked right now: try again in a few seconds.")


@dataclass(frozen=True, kw_only=True)
class SignedIn:
    """A new session: the token goes into the cookie and nowhere else."""

    user: User
    """Who signed in."""
    session_id: str
    """The session's public handle."""
    token: str
    """The session token (the cookie's value)."""
    csrf_token: str
    """The session's CSRF token (for forms and the ``X-CSRF-Token`` header)."""


@dataclass(frozen=True, kw_only=True)
class CurrentSession:
    """A live session found by its token."""

    user: User
    """Who is signed in."""
    session: SessionRecord
    """The session."""
    csrf_token: str
    """Its CSRF token."""


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def csrf_token_for(token: str) -> str:
    """The CSRF token of the session with this token (an HMAC of it: bound to the session, useless without it)."""
    digest = hmac.new(token.encode(), b"talentops csrf token", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _gate(svc: Services) -> asyncio.Semaphore:
    """The semaphore around argon2 for this event loop and size (asyncio primitives belong to one loop)."""
    size = svc.settings.password_check_concurrency or os.cpu_count() or 1
    return _gates.setdefault(asyncio.get_running_loop(), {}).setdefault(size, asyncio.Semaphore(size))


async def _verify(svc: Services, login: str, password: str) -> User | None:
    """The user when the password matches (the same argon2 work whether or not the login exists), at most
    ``password_check_concurrency`` at once.

    Raises:
        Busy: No slot freed within :data:`PASSWORD_CHECK_WAIT_SECONDS`.
    """
    found = await users.with_password_hash(svc.pool, login)
    gate = _gate(svc)
    try:
        await asyncio.wait_for(gate.acquire(), PASSWORD_CHECK_WAIT_SECONDS)
    except TimeoutError:
        raise Busy() from None
    try:
        if found is None:
            await asyncio.to_thread(_hasher.hash, password)
            return None
        user, password_hash = found
        try:
            await asyncio.to_thread(_hasher.verify, password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return user
    finally:
        gate.release()


async def _refuse_if_locked(svc: Services, login: str, address: str, via: Via) -> None:
    """Raise :class:`Throttled` when this login or address is locked (each lock audited once)."""
    found = await sessions.locks(svc.pool, login=login, address=address)
    if not found:
        return
    for lock in found:
        async with svc.pool.acquire() as conn, conn.transaction():
            if await sessions.claim_lock_audit(conn, lock.scope, lock.key):
                await audit.append(conn, audit.AuditEvent(
                    actor_type="human", actor=login, action="auth.throttled",
                    payload={"login": login, "address": address, "via": via, "locked": lock.scope,
                             "failures": lock.failures,
                             "locked_until": lock.locked_until.isoformat() if lock.locked_until else None},
                    trace_id=current_trace_id()))
    raise Throttled(max(lock.wait_seconds for lock in found))


async def _record_failure(svc: Services, login: str, address: str, via: Via) -> None:
    settings = svc.settings
    window, base, most = (settings.login_failure_window_seconds, settings.login_backoff_base_seconds,
                          settings.login_backoff_max_seconds)
    async with svc.pool.acquire() as conn, conn.transaction():
        account = await sessions.record_failure(conn, "account", login, allowed=settings.login_max_failures,
                                                window_seconds=window, base_seconds=base, max_seconds=most)
        place = await sessions.record_failure(conn, "address", address,
                                              allowed=settings.login_max_failures_per_address,
                                              window_seconds=window, base_seconds=base, max_seconds=most)
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=login, action="auth.login_failed",
            payload={"login": login, "address": address, "via": via, "failures": account.failures,
                     "address_failures": place.failures,
                     "locked_for_seconds": round(max(account.wait_seconds, place.wait_seconds), 1)},
            trace_id=current_trace_id()))


async def check_password(svc: Services, login: str, password: str, *, address: str | None,
                         via: Via = "basic") -> User | None:
    """The user when the password matches, else None (the failure counted and audited as ``auth.login_failed``).

    Raises:
        Throttled: This login or address is locked (audited once per lock as ``auth.throttled``).
        Busy: Too many password checks waiting.
    """
    key = login[:_LOGIN_KEY_CHARS]
    place = address or "unknown"
    await _refuse_if_locked(svc, key, place, via)
    user = await _verify(svc, login, password)
    if user is None:
        await _record_failure(svc, key, place, via)
        return None
    await _refuse_if_locked(svc, key, place, via)  # concurrent guesses may have locked it while this one was checked
    await sessions.clear(svc.pool, "account", key)
    return user


async def sign_in(svc: Services, login: str, password: str, *, address: str | None, user_agent: str | None,
                  replacing: str | None = None, via: Via = "form") -> SignedIn | None:
    """Check the password and start a new session (ending the one whose token is ``replacing``); None when wrong.

    Raises:
        Throttled: This login or address is locked.
        Busy: Too many password checks waiting.
    """
    user = await check_password(svc, login, password, address=address, via=via)
    if user is None:
        return None
    token = secrets.token_urlsafe(32)
    session_id = f"s-{secrets.token_hex(8)}"
    settings = svc.settings
    async with svc.pool.acquire() as conn, conn.transaction():
        if replacing:
            await sessions.delete_by_token(conn, _token_hash(replacing))
        await sessions.purge_expired(conn, idle_seconds=settings.session_idle_timeout_seconds,
                                     absolute_seconds=settings.session_absolute_timeout_seconds)
        await sessions.purge_failures(conn, window_seconds=settings.login_failure_window_seconds)
        await sessions.insert(conn, session_id=session_id, token_hash=_token_hash(token), login=user.login,
                              client_address=address, user_agent=(user_agent or "")[:300] or None)
    return SignedIn(user=user, session_id=session_id, token=token, csrf_token=csrf_token_for(token))


async def current_session(svc: Services, token: str) -> CurrentSession | None:
    """The live session with this token and its user (marking it used); None when unknown, ended or expired."""
    settings = svc.settings
    found = await sessions.find_alive(svc.pool, _token_hash(token), idle_seconds=settings.session_idle_timeout_seconds,
                                      absolute_seconds=settings.session_absolute_timeout_seconds)
    if found is None:
        return None
    record, user = found
    # write at most about once a minute per session (sooner with short timeouts, so they stay accurate)
    await sessions.touch(svc.pool, record.session_id,
                         older_than_seconds=min(60.0, settings.session_idle_timeout_seconds / 10))
    return CurrentSession(user=user, session=record, csrf_token=csrf_token_for(token))


async def sign_out(svc: Services, token: str) -> None:
    """End the session with this token (nothing happens when there is none)."""
    await sessions.delete_by_token(svc.pool, _token_hash(token))


def _admin_only(by: User) -> None:
    if by.role != "admin":
        raise Forbidden(f"a {by.role} cannot manage sessions; it needs the role admin")


async def list_sessions(svc: Services, *, by: User) -> list[SessionRecord]:
    """Every live session, by login then most recently used first (admins).

    Raises:
        Forbidden: ``by`` is not an admin.
    """
    _admin_only(by)
    settings = svc.settings
    return await sessions.list_alive(svc.pool, idle_seconds=settings.session_idle_timeout_seconds,
                                     absolute_seconds=settings.session_absolute_timeout_seconds)


async def revoke_session(svc: Services, session_id: str, *, by: User) -> SessionRecord:
    """End someone's session now (admins), audited as ``session.revoked``.

    Raises:
        Forbidden: ``by`` is not an admin.
        NotFound: No such session (or it already ended).
    """
    _admin_only(by)
    async with svc.pool.acquire() as conn, conn.transaction():
        gone = await sessions.delete(conn, session_id)
        if gone is None:
            raise NotFound(f"no session {session_id!r} (it may have ended already)")
        await audit.append(conn, audit.AuditEvent(
            actor_type="human", actor=by.login, actor_role=by.role, action="session.revoked",
            args_hash=audit.args_hash({"session_id": session_id}),
            payload={"session_id": session_id, "login": gone.login, "signed_in_at": gone.created_at.isoformat(),
                     "client_address": gone.client_address},
            trace_id=current_trace_id()))
    return gone
