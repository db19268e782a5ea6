"""API models: liveness and the session."""

from __future__ import annotations

from pydantic import BaseModel, Field

from review_console.api.models.common import Name


class LoginIn(BaseModel):
    """Credentials."""

    login: Name
    """User login."""
    password: str = Field(max_length=1024)
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
