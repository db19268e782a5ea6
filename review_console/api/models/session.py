"""API models: liveness and the session."""

from __future__ import annotations

from pydantic import BaseModel


class LoginIn(BaseModel):
    """Credentials."""

    login: str
    """User login."""
    password: str
    """Password."""


class LoggedOut(BaseModel):
    """The session ended."""

    ok: bool
    """Always true."""


class HealthPublic(BaseModel):
    """Liveness and what the console is connected to (no secrets)."""

    ok: bool
    """The database answered."""
    model: str
    """The model setting of this console."""
    temporal: bool
    """Whether it has a Temporal client."""
