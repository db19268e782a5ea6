"""API models: users."""

from __future__ import annotations

from pydantic import BaseModel


class UserPublic(BaseModel):
    """A user as the API shows it."""

    login: str
    """Login."""
    display_name: str
    """Name."""
    role: str
    """manager, reviewer, admin or employee."""
    employee_id: str | None
    """Employee record, if any."""
    department: str | None
    """Department code."""
