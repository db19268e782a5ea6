"""How notifications are sent: the SMTP server, the default webhooks, attempts, backoff, timeouts and leases."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["APP_SETTING_NAMES", "NotificationSettings"]


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
