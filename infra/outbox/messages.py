"""What each channel is sent for an outbox row: the e-mail, the Slack message, the Teams card."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Literal

from infra.outbox.settings import NotificationSettings
from infra.outbox.store import OutboxRow

__all__ = ["email_message", "slack_message", "teams_message"]


def _sender_domain(smtp_from: str) -> str:
    address = parseaddr(smtp_from)[1]
    return address.rpartition("@")[2] or "localhost"


def email_message(row: OutboxRow, settings: NotificationSettings) -> EmailMessage:
    """The e-mail for a row: plain text (plus an HTML alternative from ``payload["html"]``)."""
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = row.recipient
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    # stable across retries, unique across installations, so a duplicate after a crash can be folded
    stamp = int(row.created_at.timestamp() * 1_000_000)
    msg["Message-ID"] = f"<talentops.outbox.{row.id}.{stamp}@{_sender_domain(settings.smtp_from)}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    msg.set_content(row.body)
    html = row.payload.get("html")
    if isinstance(html, str) and html:
        msg.add_alternative(html, subtype="html")
    return msg


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(row: OutboxRow) -> dict[str, Any]:
    """Slack incoming-webhook body: ``{"text": …}`` (subject in bold), plus the row's payload fields."""
    body = _slack_escape(row.body)
    text = f"*{_slack_escape(row.subject)}*\n{body}" if row.subject else body
    return {"text": text, **row.payload}


def teams_message(row: OutboxRow, card: Literal["adaptive", "messagecard"] = "adaptive") -> dict[str, Any]:
    """Teams incoming-webhook body: an Adaptive Card attachment, or a legacy MessageCard."""
    if card == "messagecard":
        summary = row.subject or row.body[:80]
        message: dict[str, Any] = {"@type": "MessageCard", "@context": "https://schema.org/extensions",
                                   "summary": summary, "text": row.body}
        if row.subject:
            message["title"] = row.subject
        return {**message, **row.payload}
    blocks: list[dict[str, Any]] = []
    if row.subject:
        blocks.append({"type": "TextBlock", "text": row.subject, "weight": "Bolder", "size": "Medium",
                       "wrap": True})
    blocks.append({"type": "TextBlock", "text": row.body, "wrap": True})
    content: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                               "type": "AdaptiveCard", "version": "1.4", "body": blocks, **row.payload}
    return {"type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
                             "content": content}]}
