"""When to try a notification again: exponential backoff with jitter, and which failures are worth retrying."""

from __future__ import annotations

import hashlib
import smtplib
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["backoff_seconds", "http_status_retryable", "retry_after_seconds", "smtp_error_retryable"]


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
