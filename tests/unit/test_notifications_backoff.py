"""Notification outbox policy, without any server: backoff schedule, retryable classification, message shapes."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from infra.outbox.messages import email_message, slack_message, teams_message
from infra.outbox.retry import backoff_seconds, http_status_retryable, retry_after_seconds, smtp_error_retryable
from infra.outbox.settings import NotificationSettings
from infra.outbox.store import OutboxRow


def test_backoff_doubles_within_equal_jitter_bounds() -> None:
    for key in range(50):
        for attempt in range(1, 12):
            ceiling = min(3600.0, 5.0 * 2 ** (attempt - 1))
            delay = backoff_seconds(attempt, base=5, cap=3600, key=key)
            assert ceiling / 2 <= delay <= ceiling, (key, attempt, delay)


def test_backoff_is_capped_even_for_huge_attempt_numbers() -> None:
    for attempt in (20, 100, 10_000):
        assert 1800 <= backoff_seconds(attempt, base=5, cap=3600, key=7) <= 3600


def test_backoff_is_deterministic_per_key_and_spread_across_keys() -> None:
    assert backoff_seconds(3, base=5, cap=3600, key=42) == backoff_seconds(3, base=5, cap=3600, key=42)
    delays = {backoff_seconds(3, base=5, cap=3600, key=k) for k in range(100)}
    assert len(delays) > 90  # rows that failed together do not retry in lockstep
    assert min(delays) < 12 and max(delays) > 18  # jitter uses the whole [10, 20] band


def test_backoff_grows_on_average() -> None:
    means = [sum(backoff_seconds(a, base=5, cap=3600, key=k) for k in range(200)) / 200 for a in range(1, 9)]
    assert means == sorted(means)
    assert means[-1] > 50 * means[0]


def test_backoff_rejects_attempt_zero() -> None:
    with pytest.raises(ValueError):
        backoff_seconds(0, base=5, cap=3600)


@pytest.mark.parametrize(("status", "retryable"), [
    (500, True), (502, True), (503, True), (504, True), (599, True), (429, True), (408, True),
    (400, False), (401, False), (403, False), (404, False), (410, False), (413, False), (422, False),
    (301, False), (302, False),
])
def test_http_status_classification(status: int, retryable: bool) -> None:
    assert http_status_retryable(status) is retryable


@pytest.mark.parametrize(("exc", "retryable"), [
    (smtplib.SMTPRecipientsRefused({"a@example.test": (550, b"no such user")}), False),
    (smtplib.SMTPRecipientsRefused({"a@example.test": (450, b"mailbox busy")}), True),
    (smtplib.SMTPRecipientsRefused({"a@example.test": (451, b"greylisted")}), True),
    (smtplib.SMTPDataError(554, b"rejected as spam"), False),
    (smtplib.SMTPDataError(452, b"insufficient storage"), True),
    (smtplib.SMTPSenderRefused(421, b"try later", "from@example.test"), True),
    (smtplib.SMTPSenderRefused(553, b"not allowed", "from@example.test"), False),
    (smtplib.SMTPAuthenticationError(535, b"bad credentials"), True),
    (smtplib.SMTPResponseException(530, b"authentication required"), True),
    (smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."), True),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
    (smtplib.SMTPConnectError(421, b"too many connections"), True),
    (ConnectionRefusedError(111, "Connection refused"), True),
    (TimeoutError("timed out"), True),
    (ValueError("something else"), False),
])
def test_smtp_classification(exc: BaseException, retryable: bool) -> None:
    assert smtp_error_retryable(exc) is retryable


def test_retry_after_header() -> None:
    now = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=90), usegmt=True), now=now) == 0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None


def row(**overrides: object) -> OutboxRow:
    fields: dict[str, object] = {
        "id": 7, "channel": "slack", "recipient": "", "subject": "Review needed", "body": "Goal <G-1> & plan",
        "payload": {}, "attempts": 1, "created_at": datetime(2026, 11, 2, tzinfo=UTC),
    }
    fields.update(overrides)
    return OutboxRow(**fields)  # type: ignore[arg-type]


def test_slack_message_escapes_and_merges_payload() -> None:
    assert slack_message(row()) == {"text": "*Review needed*\nGoal &lt;G-1&gt; &amp; plan"}
    assert slack_message(row(subject="")) == {"text": "Goal &lt;G-1&gt; &amp; plan"}
    assert slack_message(row(payload={"username": "talentops"}))["username"] == "talentops"


def test_teams_adaptive_card_and_messagecard() -> None:
    msg = teams_message(row(payload={"actions": [{"type": "Action.OpenUrl", "title": "Open", "url": "https://x"}]}))
    assert msg["type"] == "message"
    (attachment,) = msg["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert [b["text"] for b in card["body"]] == ["Review needed", "Goal <G-1> & plan"]
    assert card["actions"][0]["title"] == "Open"
    legacy = teams_message(row(), "messagecard")
    assert legacy["@type"] == "MessageCard" and legacy["title"] == "Review needed"
    assert legacy["summary"] == "Review needed" and legacy["text"] == "Goal <G-1> & plan"


def test_email_message_headers_are_stable_across_retries() -> None:
    settings = NotificationSettings(smtp_host="localhost", smtp_from="talentops <noreply@bank.example>")
    first = email_message(row(channel="email", recipient="ana@bank.example"), settings)
    again = email_message(row(channel="email", recipient="ana@bank.example", attempts=3), settings)
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].endswith("@bank.example>")
    assert first["Auto-Submitted"] == "auto-generated"
    html = email_message(row(channel="email", recipient="ana@bank.example", payload={"html": "<p>hi</p>"}),
                         settings)
    assert html.is_multipart()


def test_settings_from_app_settings_maps_prefixed_names() -> None:
    class App:
        smtp_host = "mail.example"
        notify_max_attempts = 3
        notify_lease_seconds = 60.0

    s = NotificationSettings.from_settings(App())
    assert (s.smtp_host, s.max_attempts, s.lease_seconds, s.smtp_port) == ("mail.example", 3, 60.0, 587)
