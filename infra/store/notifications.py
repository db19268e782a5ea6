"""The console inbox (table ``notifications``): what each login was told, once per business event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from infra.db import Connection, Queryable


@dataclass(frozen=True, kw_only=True)
class NewNotification:
    """A message for one login."""

    recipient: str
    """Login it is for."""
    subject: str
    """One line."""
    body: str
    """The message in plain words."""
    link: str | None
    """Console path it is about (``/me/work``)."""
    goal_id: str | None
    """Goal it is about, if any."""
    business_key: str
    """What it is about, once: the same key is stored once however often the activity runs."""


async def insert(conn: Connection, note: NewNotification) -> bool:
    """Store a notification; False when its business key was stored already."""
    done = await conn.execute(
        "INSERT INTO notifications (recipient, subject, body, link, goal_id, business_key)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (business_key) DO NOTHING",
        note.recipient, note.subject, note.body, note.link, note.goal_id, note.business_key)
    return bool(done == "INSERT 0 1")


class Notification(BaseModel):
    """A notification as its recipient reads it."""

    id: int
    """Row id (to mark it read)."""
    subject: str
    """One line."""
    body: str
    """The message."""
    link: str | None
    """Console path it is about."""
    created_at: datetime
    """When it was sent."""
    read_at: datetime | None
    """When its recipient marked it read."""


async def for_recipient(conn: Queryable, login: str, *, limit: int = 50) -> list[Notification]:
    """A login's latest notifications, newest first."""
    rows = await conn.fetch(
        "SELECT id, subject, body, link, created_at, read_at FROM notifications WHERE recipient = $1"
        " ORDER BY created_at DESC, id DESC LIMIT $2", login, limit)
    return [Notification.model_validate(dict(r)) for r in rows]


async def unread_count(conn: Queryable, login: str) -> int:
    """How many of a login's notifications are unread."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM notifications WHERE recipient = $1 AND read_at IS NULL", login)
    return count


async def mark_read(conn: Connection, login: str, notification_id: int | None = None) -> int:
    """Mark one of a login's notifications read (or all of them); how many changed."""
    done = await conn.execute(
        "UPDATE notifications SET read_at = now() WHERE recipient = $1 AND read_at IS NULL"
        " AND ($2::bigint IS NULL OR id = $2)", login, notification_id)
    return int(done.split()[-1])
