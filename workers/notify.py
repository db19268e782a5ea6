"""Telling people: the console inbox and the outbox's channels (e-mail, Slack, Teams), once per business event.

The inbox row and the outbox rows share the business key (``notifications.business_key``, the outbox's
``dedupe_key`` with the channel added), so an activity retried, replayed or run again after a worker died writes
each of them once.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.db import Connection
from infra.outbox import store as outbox
from infra.settings import get_settings
from infra.store import notifications


@dataclass(frozen=True, kw_only=True)
class Message:
    """What to tell, about what."""

    subject: str
    """One line."""
    body: str
    """Plain words; the link is added for channels outside the console."""
    link: str
    """Console path it is about (``/me/work``)."""
    goal_id: str | None
    """Goal it is about."""
    key: str
    """Business key of the event (``move:<goal>:<task>:<employee>:offered``); the recipient is added to it."""


async def tell_employee(conn: Connection, employee_id: str, message: Message) -> list[str]:
    """Tell an employee through each of their logins' inboxes and the configured channels; the logins told."""
    rows = await conn.fetch(
        "SELECT e.email, u.login FROM employees e LEFT JOIN users u USING (employee_id) WHERE e.employee_id = $1"
        " ORDER BY u.login", employee_id)
    logins = [r["login"] for r in rows if r["login"] is not None]
    for login in logins:
        await notifications.insert(conn, notifications.NewNotification(
            recipient=login, subject=message.subject, body=message.body, link=message.link,
            goal_id=message.goal_id, business_key=f"{message.key}:{login}"))
    email = rows[0]["email"] if rows else None
    await _send(conn, message, email=email, who=employee_id)
    return logins


async def tell_login(conn: Connection, login: str, message: Message) -> bool:
    """Tell a login (a goal's manager, a reviewer) in their inbox and through the configured channels; False when
    they were told of this event already."""
    email = await conn.fetchval(
        "SELECT e.email FROM users u JOIN employees e USING (employee_id) WHERE u.login = $1", login)
    new = await notifications.insert(conn, notifications.NewNotification(
        recipient=login, subject=message.subject, body=message.body, link=message.link, goal_id=message.goal_id,
        business_key=f"{message.key}:{login}"))
    await _send(conn, message, email=email, who=login)
    return new


async def _send(conn: Connection, message: Message, *, email: str | None, who: str) -> None:
    settings = get_settings()
    base = (settings.console_base_url or "").rstrip("/")
    body = f"{message.body}\n\n{base}{message.link}" if base else f"{message.body}\n\nIn the console: {message.link}"
    subject = f"talentops: {message.subject}"
    targets: list[tuple[outbox.Channel, str]] = [("email", email)] if email else []
    if settings.slack_webhook_url:
        targets.append(("slack", ""))
    if settings.teams_webhook_url:
        targets.append(("teams", ""))
    for channel, recipient in targets:
        await outbox.enqueue(conn, channel=channel, recipient=recipient, subject=subject, body=body,
                             dedupe_key=f"{message.key}:{who}:{channel}")
