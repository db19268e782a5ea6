"""Sending one outbox row: e-mail over SMTP, Slack and Teams over their incoming webhooks."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.utils import parseaddr
from typing import Any

import httpx

from infra.outbox.messages import email_message, slack_message, teams_message
from infra.outbox.retry import http_status_retryable, retry_after_seconds, smtp_error_retryable
from infra.outbox.settings import NotificationSettings
from infra.outbox.store import OutboxRow

__all__ = ["DeliveryError", "send"]


class DeliveryError(Exception):
    """A send failed; ``retryable`` tells whether to try again."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


def _send_email_blocking(row: OutboxRow, settings: NotificationSettings) -> None:
    assert settings.smtp_host is not None
    try:
        msg = email_message(row, settings)
    except ValueError as exc:  # a header the e-mail package refuses: this message will never go
        raise DeliveryError(f"cannot build the e-mail: {exc}", retryable=False) from exc
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.request_timeout_seconds) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_user, password)
            smtp.send_message(msg, from_addr=parseaddr(settings.smtp_from)[1], to_addrs=[row.recipient])
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {type(exc).__name__}: {exc}", retryable=smtp_error_retryable(exc)) from exc


async def _post_webhook(client: httpx.AsyncClient, url: str, body: dict[str, Any], channel: str) -> None:
    try:
        resp = await client.post(url, json=body)
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise DeliveryError(f"{channel}: invalid webhook URL ({type(exc).__name__})", retryable=False) from exc
    except httpx.TransportError as exc:  # connection refused/reset, timeouts, protocol errors
        # the message of a transport error can name the host; the URL itself (the secret) is not in it
        raise DeliveryError(f"{channel}: {type(exc).__name__}: {exc}", retryable=True) from exc
    text = resp.text[:300]
    if resp.is_success:
        # legacy Teams connectors answer 200 with the error in the body when they throttle
        if channel == "teams" and "HTTP error 429" in text:
            raise DeliveryError(f"teams: throttled: {text}", retryable=True)
        return
    retry_after = retry_after_seconds(resp.headers.get("retry-after")) if resp.status_code in (429, 503) else None
    raise DeliveryError(f"{channel}: HTTP {resp.status_code}: {text}",
                        retryable=http_status_retryable(resp.status_code), retry_after=retry_after)


def _webhook_url(row: OutboxRow, settings: NotificationSettings) -> str:
    if row.recipient:
        return row.recipient
    configured = settings.slack_webhook_url if row.channel == "slack" else settings.teams_webhook_url
    if configured is None:  # not claimed in that case; the settings changed under us
        raise DeliveryError(f"{row.channel}: no webhook configured", retryable=True)
    return configured.get_secret_value()


async def send(row: OutboxRow, settings: NotificationSettings, client: httpx.AsyncClient) -> None:
    """Send one row; raise :class:`DeliveryError` on failure."""
    if row.channel == "email":
        if settings.smtp_host is None:
            raise DeliveryError("email: no SMTP server configured", retryable=True)
        await asyncio.to_thread(_send_email_blocking, row, settings)
    elif row.channel == "slack":
        await _post_webhook(client, _webhook_url(row, settings), slack_message(row), "slack")
    elif row.channel == "teams":
        await _post_webhook(client, _webhook_url(row, settings), teams_message(row, settings.teams_card), "teams")
    else:
        raise DeliveryError(f"unknown channel {row.channel!r}", retryable=False)
