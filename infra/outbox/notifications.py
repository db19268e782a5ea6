"""Notifications through a transactional outbox: e-mail (SMTP), Slack and Microsoft Teams incoming webhooks.

Write side: :func:`enqueue` inserts a row into ``notification_outbox`` inside the caller's transaction, so a
notification exists if and only if the change it announces was committed. A ``dedupe_key`` makes the insert
idempotent (an activity retried by Temporal enqueues the same event once).

Read side: :func:`deliver_due`, run in a loop by ``workers/outbox.py`` in any number of processes:

1. **claim** up to ``limit`` due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` and, in the same statement,
   mark them ``sending``, count the attempt and give them a lease (``next_attempt_at = now() + lease``);
   the claim commits before anything is sent, so no lock is held while talking to the network;
2. **send** each row (concurrently, each bounded by ``request_timeout_seconds``);
3. **record** the outcome: ``sent``; ``pending`` again after an exponential backoff with jitter (retryable
   error); or ``dead`` with ``last_error`` (permanent error, or ``max_attempts`` reached). The update only
   applies while the row is still ``sending`` with the same attempt number (a fencing token), so a worker
   whose lease ran out never overwrites the outcome of the one that took the row over.

A worker that dies between claim and outcome leaves its rows ``sending``; once the lease has expired they are
due again. Delivery is therefore *at least once*: a crash after a successful send but before the outcome is
written sends that message again. E-mails carry a stable ``Message-ID`` so mail clients can fold such a
duplicate; webhooks have no idempotency key.

Webhook URLs are credentials: they are never logged nor written to ``last_error``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr, parsedate_to_datetime
from typing import Any, Literal, get_args

import asyncpg
import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from infra.db import Connection

__all__ = [
    "Channel",
    "DeliveryError",
    "DeliveryReport",
    "NotificationSettings",
    "OutboxRow",
    "backoff_seconds",
    "claim_due",
    "deliver_due",
    "email_message",
    "enqueue",
    "http_status_retryable",
    "record_outcome",
    "send",
    "slack_message",
    "smtp_error_retryable",
    "teams_message",
]

log = logging.getLogger(__name__)

Channel = Literal["email", "slack", "teams"]
CHANNELS: tuple[str, ...] = get_args(Channel)
SEND_CONCURRENCY = 8
"""Rows of one batch sent at the same time."""
MAX_ERROR_CHARS = 2000
"""``last_error`` is cut to this length."""


class NotificationSettings(BaseModel):
    """How notifications are sent. Built from the app settings with :meth:`from_settings`."""

    model_config = ConfigDict(frozen=True)

    smtp_host: str | None = None
    """SMTP server; unset means e-mail is not configured and e-mail rows wait (they are not claimed)."""
    smtp_port: int = Field(587, ge=1, le=65535)
    """SMTP port (587 = submission with STARTTLS; 25 for a local relay)."""
    smtp_from: str = "talentops@localhost"
    """``From`` of every e-mail, e.g. ``talentops <noreply@example.com>``."""
    smtp_user: str | None = None
    """SMTP login; unset means no authentication."""
    smtp_password: SecretStr | None = None
    """SMTP password."""
    smtp_starttls: bool = True
    """Upgrade the connection with STARTTLS (certificate verified) before logging in and sending."""
    slack_webhook_url: SecretStr | None = None
    """Slack incoming webhook for rows enqueued with an empty recipient."""
    teams_webhook_url: SecretStr | None = None
    """Teams incoming webhook (Workflows or legacy connector) for rows enqueued with an empty recipient."""
    teams_card: Literal["adaptive", "messagecard"] = "adaptive"
    """Teams body: an Adaptive Card (Workflows webhooks and connectors) or a legacy connector MessageCard."""
    max_attempts: int = Field(8, ge=1)
    """Attempts before a row is declared dead."""
    base_delay_seconds: float = Field(5.0, gt=0)
    """Backoff after the first failed attempt; doubles with each further failure."""
    max_delay_seconds: float = Field(3600.0, gt=0)
    """Cap of the backoff."""
    request_timeout_seconds: float = Field(10.0, gt=0)
    """Timeout of each network operation (connect, read, write; per SMTP command)."""
    lease_seconds: float = Field(300.0, gt=0)
    """How long a claimed row may stay ``sending`` before another worker takes it over."""

    @classmethod
    def from_settings(cls, settings: object) -> NotificationSettings:
        """Pick the notification fields of ``infra.settings.Settings`` (missing ones keep their defaults)."""
        values = {name: getattr(settings, attr) for name, attr in APP_SETTING_NAMES.items() if hasattr(settings, attr)}
        return cls.model_validate(values)


APP_SETTING_NAMES: dict[str, str] = {
    "smtp_host": "smtp_host",
    "smtp_port": "smtp_port",
    "smtp_from": "smtp_from",
    "smtp_user": "smtp_user",
    "smtp_password": "smtp_password",
    "smtp_starttls": "smtp_starttls",
    "slack_webhook_url": "slack_webhook_url",
    "teams_webhook_url": "teams_webhook_url",
    "teams_card": "teams_card",
    "max_attempts": "notify_max_attempts",
    "base_delay_seconds": "notify_base_delay_seconds",
    "max_delay_seconds": "notify_max_delay_seconds",
    "request_timeout_seconds": "notify_request_timeout_seconds",
    "lease_seconds": "notify_lease_seconds",
}
"""Field here → attribute of ``infra.settings.Settings`` (environment ``TALENTOPS_<ATTRIBUTE>``)."""


# ---------------------------------------------------------------------------------------------------- enqueue


def _validate(channel: str, recipient: str, body: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    if any(c in recipient for c in "\r\n"):
        raise ValueError("recipient must be a single line")
    if channel == "email":
        _, address = parseaddr(recipient)
        if not address or "@" not in address or address != recipient.strip():
            raise ValueError(f"not an e-mail address: {recipient!r}")
    elif recipient and not recipient.startswith(("https://", "http://")):
        raise ValueError(f"a {channel} recipient is a webhook URL (http/https) or '' for the configured one")
    if not body.strip():
        raise ValueError("body must not be empty")


async def enqueue(conn: Connection, *, channel: Channel, recipient: str, subject: str, body: str,
                  payload: Mapping[str, Any] | None = None, dedupe_key: str | None = None) -> int | None:
    """Add a notification inside the caller's transaction; return its id, or ``None`` when ``dedupe_key`` exists.

    ``recipient`` is an e-mail address for ``email`` and an incoming-webhook URL for ``slack``/``teams``
    (``''`` means the webhook configured in the settings). ``payload`` (JSON) adds to what is sent: for
    e-mail an ``"html"`` alternative body; for Slack extra message fields (``blocks``, ``username`` …); for
    Teams extra card fields (``actions`` of an Adaptive Card, ``potentialAction``/``themeColor`` of a
    MessageCard). Line breaks in ``subject`` are folded into spaces.
    """
    _validate(channel, recipient, body)
    subject = " ".join(subject.split())
    row_id: int | None = await conn.fetchval(
        "INSERT INTO notification_outbox (channel, recipient, subject, body, payload, dedupe_key)"
        " VALUES ($1, $2, $3, $4, $5::text::jsonb, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        channel, recipient, subject, body, json.dumps(dict(payload or {})), dedupe_key,
    )
    return row_id


# ---------------------------------------------------------------------------------------------------- policy


def backoff_seconds(attempt: int, *, base: float, cap: float, key: object = 0) -> float:
    """Delay after failed attempt number ``attempt`` (1-based).

    Exponential ``d = min(cap, base * 2**(attempt-1))`` with deterministic "equal jitter": the result lies in
    ``[d/2, d]``, chosen by a hash of ``(key, attempt)`` so that rows failing together (``key`` = row id) spread
    out, and the same row and attempt always get the same delay.
    """
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 60))
    digest = hashlib.blake2b(f"{key}:{attempt}".encode(), digest_size=8).digest()
    fraction = int.from_bytes(digest, "big") / 2**64
    return ceiling * (0.5 + 0.5 * fraction)


def http_status_retryable(status: int) -> bool:
    """Whether a failed webhook call with this HTTP status may succeed later (408, 429, 5xx)."""
    return status in (408, 429) or 500 <= status <= 599


_SMTP_AUTH_CODES = frozenset({454, 530, 534, 535, 538})


def smtp_error_retryable(exc: BaseException) -> bool:
    """Whether an SMTP failure may succeed later.

    4xx replies and network failures are transient. 5xx replies about this message or recipient are
    permanent. Authentication and TLS set-up failures are configuration problems that an operator fixes:
    they are retried so that the messages survive until then.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return not codes or any(code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPAuthenticationError | smtplib.SMTPNotSupportedError):
        return True
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500 or exc.smtp_code in _SMTP_AUTH_CODES
    return isinstance(exc, smtplib.SMTPException | OSError | TimeoutError)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or HTTP date), or ``None``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# ---------------------------------------------------------------------------------------------------- messages


@dataclass(frozen=True, kw_only=True)
class OutboxRow:
    """A claimed row, as the sender sees it."""

    id: int
    channel: str
    recipient: str
    subject: str
    body: str
    payload: dict[str, Any]
    attempts: int
    """Attempt number of this claim (1 for the first); the fencing token of :func:`record_outcome`."""
    created_at: datetime


class DeliveryError(Exception):
    """A send failed; ``retryable`` tells whether to try again."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


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


# ---------------------------------------------------------------------------------------------------- senders


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


# ---------------------------------------------------------------------------------------------------- delivery


_CLAIM = """
WITH due AS (
    SELECT id FROM notification_outbox
    WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()
      AND (channel <> 'email' OR $4::bool)
      AND (recipient <> '' OR channel = ANY($5::text[]))
    ORDER BY next_attempt_at, id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
UPDATE notification_outbox o
SET status = CASE WHEN o.attempts >= $2 THEN 'dead' ELSE 'sending' END,
    attempts = CASE WHEN o.attempts >= $2 THEN o.attempts ELSE o.attempts + 1 END,
    next_attempt_at = CASE WHEN o.attempts >= $2 THEN o.next_attempt_at
                           ELSE now() + make_interval(secs => $3::float8) END,
    last_error = CASE WHEN o.attempts < $2 THEN o.last_error
                      WHEN o.status = 'sending'
                          THEN concat_ws('; ', o.last_error,
                                         'gave up: the last attempt was interrupted (lease expired)')
                      ELSE concat_ws('; ', o.last_error, 'gave up: max attempts reached') END
FROM due
WHERE o.id = due.id
RETURNING o.id, o.channel, o.recipient, o.subject, o.body, o.payload::text AS payload, o.attempts,
          o.created_at, o.status
"""


async def claim_due(pool: asyncpg.Pool[Any], settings: NotificationSettings, *,
                    limit: int = 50) -> tuple[list[OutboxRow], int]:
    """Claim up to ``limit`` due rows (``sending`` with a lease); return them and how many were declared dead.

    Rows of a channel that is not configured (no SMTP server; an empty recipient without a default webhook)
    are left waiting. A row whose lease expired after its last allowed attempt is declared dead here.
    """
    defaults = [name for name, url in (("slack", settings.slack_webhook_url), ("teams", settings.teams_webhook_url))
                if url is not None]
    records = await pool.fetch(_CLAIM, limit, settings.max_attempts, settings.lease_seconds,
                               settings.smtp_host is not None, defaults)
    rows = [OutboxRow(id=r["id"], channel=r["channel"], recipient=r["recipient"], subject=r["subject"],
                      body=r["body"], payload=json.loads(r["payload"]), attempts=r["attempts"],
                      created_at=r["created_at"])
            for r in sorted(records, key=lambda r: r["id"]) if r["status"] == "sending"]
    dead = sum(1 for r in records if r["status"] == "dead")
    if dead:
        log.warning("notification outbox: %d row(s) dead after their lease expired on the last attempt", dead)
    return rows, dead


Outcome = Literal["sent", "retry", "dead"]


async def record_outcome(pool: asyncpg.Pool[Any], row: OutboxRow, outcome: Outcome, *, error: str | None = None,
                         delay_seconds: float = 0.0) -> bool:
    """Write the outcome of the attempt ``row.attempts``; ``False`` when the lease was lost meanwhile."""
    error = error[:MAX_ERROR_CHARS] if error is not None else None
    if outcome == "sent":
        result = await pool.execute(
            "UPDATE notification_outbox SET status = 'sent', sent_at = now()"
            " WHERE id = $1 AND status = 'sending' AND attempts = $2", row.id, row.attempts)
    elif outcome == "retry":
        result = await pool.execute(
            "UPDATE notification_outbox SET status = 'pending', last_error = $3,"
            " next_attempt_at = now() + make_interval(secs => $4::float8)"
            " WHERE id = $1 AND status = 'sending' AND attempts = $2", row.id, row.attempts, error, delay_seconds)
    else:
        result = await pool.execute(
            "UPDATE notification_outbox SET status = 'dead', last_error = $3"
            " WHERE id = $1 AND status = 'sending' AND attempts = $2", row.id, row.attempts, error)
    return bool(result == "UPDATE 1")


@dataclass(kw_only=True)
class DeliveryReport:
    """What one :func:`deliver_due` call did."""

    claimed: int = 0
    """Rows claimed for sending."""
    sent: int = 0
    """Delivered."""
    retrying: int = 0
    """Failed, scheduled again."""
    dead: int = 0
    """Given up (permanent error, or out of attempts)."""
    lease_lost: int = 0
    """Sent or failed after another worker took the row over: outcome not written."""
    unrecorded: int = 0
    """Outcome could not be written (database error): the row is sent again once its lease expires."""
    errors: list[str] = field(default_factory=list)
    """One line per failure: ``#id channel: error`` (never the webhook URL)."""


async def _deliver_one(pool: asyncpg.Pool[Any], settings: NotificationSettings, client: httpx.AsyncClient,
                       row: OutboxRow, report: DeliveryReport) -> None:
    outcome: Outcome = "sent"
    error: str | None = None
    delay = 0.0
    try:
        await send(row, settings, client)
    except DeliveryError as exc:
        error = str(exc)
        outcome = "retry" if exc.retryable and row.attempts < settings.max_attempts else "dead"
        delay = backoff_seconds(row.attempts, base=settings.base_delay_seconds, cap=settings.max_delay_seconds,
                                key=row.id)
        if exc.retry_after is not None:
            delay = min(settings.max_delay_seconds, max(delay, exc.retry_after))
    except Exception as exc:  # a bug or an unexpected library error: bounded retries, never a crash
        log.exception("notification #%d (%s): unexpected error while sending", row.id, row.channel)
        error = f"unexpected {type(exc).__name__}: {exc}"
        outcome = "retry" if row.attempts < settings.max_attempts else "dead"
        delay = backoff_seconds(row.attempts, base=settings.base_delay_seconds, cap=settings.max_delay_seconds,
                                key=row.id)
    if error is not None:
        if outcome == "dead":
            error = f"attempt {row.attempts}/{settings.max_attempts}: {error}"
        report.errors.append(f"#{row.id} {row.channel}: {error}")
    try:
        recorded = await record_outcome(pool, row, outcome, error=error, delay_seconds=delay)
    except Exception as exc:  # database down, pool closed …
        log.warning("notification #%d: could not record %s (%s); it is retried after its lease", row.id, outcome,
                    exc)
        report.unrecorded += 1
        return
    if not recorded:
        log.warning("notification #%d: lease lost before recording %s (another worker took it over)", row.id,
                    outcome)
        report.lease_lost += 1
    elif outcome == "sent":
        report.sent += 1
    elif outcome == "retry":
        report.retrying += 1
        log.info("notification #%d (%s) attempt %d failed, retry in %.0fs: %s", row.id, row.channel, row.attempts,
                 delay, error)
    else:
        report.dead += 1
        log.warning("notification #%d (%s) is dead: %s", row.id, row.channel, error)


async def deliver_due(pool: asyncpg.Pool[Any], settings: NotificationSettings, *, limit: int = 50,
                      client: httpx.AsyncClient | None = None) -> DeliveryReport:
    """Claim and send up to ``limit`` due notifications; safe to run in several processes at once."""
    rows, dead = await claim_due(pool, settings, limit=limit)
    report = DeliveryReport(claimed=len(rows), dead=dead)
    if not rows:
        return report
    async with contextlib.AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(
                httpx.AsyncClient(timeout=settings.request_timeout_seconds, follow_redirects=False))
        gate = asyncio.Semaphore(SEND_CONCURRENCY)

        async def one(row: OutboxRow) -> None:
            async with gate:
                await _deliver_one(pool, settings, client, row, report)

        await asyncio.gather(*(one(row) for row in rows))
    return report
