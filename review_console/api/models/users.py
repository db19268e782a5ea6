"""API models: users."""

from __future__ import annotations

from infra.store.users import User


class UserPublic(User):
    """A user as the API shows it (never the password hash: the record has none)."""
