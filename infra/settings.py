"""One place for every setting, read from the environment (prefix ``TALENTOPS_``)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_PLANNER = "local-planner"
"""Model name of the offline deterministic planner (no network, no key)."""

OutputMode = Literal["tool", "native", "prompted"]
"""How a model is asked for structured output: a forced tool call, the server's JSON-schema response format, or
the schema in the prompt with the answer parsed from plain text (for servers that do neither)."""

AgentName = Literal["draft_tasks", "propose_staffing", "draft_onboarding_plan", "verify_certification_renewal"]
"""The agents a deployment can give a model of their own."""


class AgentModelSettings(BaseModel):
    """One agent's model settings; whatever is left unset comes from the ``TALENTOPS_MODEL*`` defaults."""

    model: str | None = None
    """pydantic-ai model string (``openai-chat:llama3.1``, ``anthropic:claude-sonnet-4-5``) or ``local-planner``."""
    output_mode: OutputMode | None = None
    """Structured-output mode."""
    output_retries: int | None = Field(default=None, ge=0, le=10)
    """Answers sent back to the model with the reason they failed the checks, before the step fails."""
    max_tokens: int | None = Field(default=None, ge=16, le=200_000)
    """Most tokens one answer may have."""
    temperature: float | None = Field(default=None, ge=0, le=2)
    """Sampling temperature (None: the server's default)."""
    request_timeout_seconds: float | None = Field(default=None, gt=0, le=3600)
    """How long one model request may take."""


class AgentModelConfig(BaseModel):
    """One agent's model settings, every field resolved."""

    agent: AgentName
    """Which agent."""
    model: str
    """pydantic-ai model string or ``local-planner``."""
    output_mode: OutputMode
    """Structured-output mode."""
    output_retries: int
    """Answers sent back to the model with the reason they failed the checks."""
    max_tokens: int
    """Most tokens one answer may have."""
    temperature: float | None
    """Sampling temperature (None: the server's default)."""
    request_timeout_seconds: float
    """How long one model request may take."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "talentops"


class Settings(BaseSettings):
    """Runtime configuration. When a URL or address is set, nothing embedded is started for it."""

    model_config = SettingsConfigDict(env_prefix="TALENTOPS_", env_file=None, extra="ignore",
                                      env_nested_delimiter="__")

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Folder holding all embedded state (Postgres data, Temporal SQLite file, secrets)."""
    database_url: str | None = None
    """Postgres URL; unset means the embedded pgserver in ``data_dir/pg``."""
    temporal_address: str | None = None
    """Temporal frontend host:port; unset means the embedded dev server."""
    temporal_namespace: str = "default"
    """Temporal namespace the workflows run in."""
    task_queue: str = "talentops"
    """Task queue the worker polls."""
    console_host: str = "127.0.0.1"
    """Interface the review console binds to."""
    console_port: int = 8000
    """Port of the review console."""
    temporal_port: int = 7233
    """Port of the embedded Temporal frontend."""
    temporal_ui_port: int = 8233
    """Port of the embedded Temporal web UI."""
    model: str = LOCAL_PLANNER
    """Default model of every agent: ``local-planner`` or any pydantic-ai model string (``openai-chat:…`` with
    ``OPENAI_BASE_URL`` for a chat-completions server, ``openai:gpt-4o``, ``anthropic:…``)."""
    model_output_mode: OutputMode = "tool"
    """Default structured-output mode."""
    model_output_retries: int = Field(default=3, ge=0, le=10)
    """Default number of answers sent back to the model with the reason they failed the checks."""
    model_max_tokens: int = Field(default=2048, ge=16, le=200_000)
    """Default cap on the tokens of one answer (a rambling model stops there)."""
    model_temperature: float | None = Field(default=None, ge=0, le=2)
    """Default sampling temperature (None: the server's default)."""
    model_request_timeout_seconds: float = Field(default=120.0, gt=0, le=3600)
    """Default time one model request may take."""
    draft_tasks: AgentModelSettings = AgentModelSettings()
    """Overrides for the planner's drafting agent (``TALENTOPS_DRAFT_TASKS__MODEL=…``)."""
    propose_staffing: AgentModelSettings = AgentModelSettings()
    """Overrides for the staffing agent (``TALENTOPS_PROPOSE_STAFFING__OUTPUT_MODE=prompted``)."""
    draft_onboarding_plan: AgentModelSettings = AgentModelSettings()
    """Overrides for the onboarding agent (``TALENTOPS_DRAFT_ONBOARDING_PLAN__MODEL=…``)."""
    verify_certification_renewal: AgentModelSettings = AgentModelSettings()
    """Overrides for the agent that reads renewed certificates (``TALENTOPS_VERIFY_CERTIFICATION_RENEWAL__MODEL=…``)."""
    certification_reminder_days: list[Annotated[int, Field(ge=1, le=365)]] = Field(
        default=[90, 60, 30, 7], min_length=1, max_length=10)
    """Days before a certification expires that its holder is reminded (``TALENTOPS_CERTIFICATION_REMINDER_DAYS=
    [90,30]``); the line manager is told too from 30 days, HR at the lapse."""
    certification_reconcile: bool = True
    """Run the daily reconciliation of the certification registry with its cadence workflows (a Temporal Schedule,
    created by the first worker; ``false`` for workers that must not start it, such as test workers)."""
    shutdown_drain_seconds: float = Field(default=30.0, ge=0, le=3600)
    """How long a stopping worker lets its running activities finish before it cancels them (a cancelled one runs
    again at the next start; its effects are idempotent). A second Ctrl-C stops at once."""
    worker_activity_slots: int | None = Field(default=None, ge=1, le=1000)
    """Most activities one worker runs at once (unset: Temporal's default, 100). Past it, work waits in Temporal's
    task queue, where no activity timeout runs, instead of inside a worker that has no CPU left for it."""
    worker_target_cpu: float | None = Field(default=None, gt=0, lt=1)
    """When set (e.g. 0.8), a worker takes another activity only while the machine's CPU use is under this share
    (Temporal's resource-based slot supplier, never more than ``worker_activity_slots``); unset: fixed slots."""
    review_sla_seconds: int = 2 * 24 * 3600
    """How long a review may wait before it is escalated."""
    session_secret: str | None = None
    """Secret for signing console sessions; generated into ``data_dir`` when unset."""
    smtp_host: str | None = None
    """SMTP server for e-mail notifications; unset means e-mails wait in the outbox."""
    smtp_port: int = 587
    """SMTP port (587 with STARTTLS; 25 for a local relay)."""
    smtp_from: str = "talentops@localhost"
    """From of notification e-mails, e.g. ``talentops <noreply@example.com>``."""
    smtp_user: str | None = None
    """SMTP login; unset means no authentication."""
    smtp_password: SecretStr | None = None
    """SMTP password."""
    smtp_starttls: bool = True
    """Upgrade SMTP connections with STARTTLS (certificate verified)."""
    slack_webhook_url: SecretStr | None = None
    """Default Slack incoming webhook (for notifications enqueued without a recipient)."""
    teams_webhook_url: SecretStr | None = None
    """Default Microsoft Teams incoming webhook (Workflows or connector)."""
    teams_card: Literal["adaptive", "messagecard"] = "adaptive"
    """Teams message format: Adaptive Card, or a legacy connector MessageCard."""
    notify_max_attempts: int = 8
    """Delivery attempts before a notification is declared dead."""
    notify_base_delay_seconds: float = 5.0
    """Retry delay after the first failure; doubles each time."""
    notify_max_delay_seconds: float = 3600.0
    """Cap of the retry delay."""
    notify_request_timeout_seconds: float = 10.0
    """Timeout of each SMTP/HTTP operation."""
    notify_lease_seconds: float = 300.0
    """How long a claimed notification may stay 'sending' before another worker takes it over."""
    audit_retention_days: int = Field(default=3 * 365, ge=365)
    """Audit events are kept at least this long (the table has no delete path at all today)."""
    otel_console_export: bool = False
    """Print OpenTelemetry spans to stderr (debugging)."""
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    """Largest request body the console reads; a bigger one is refused with 413 before it is read whole."""
    console_base_url: str | None = None
    """The console's public URL (``https://talent.example.com``): forms and API writes are accepted only from its
    origin, and ``https`` turns on Secure cookies and HSTS. Unset: the origin each request was addressed to."""
    cookie_secure: bool | None = None
    """Mark the session cookie Secure; unset: on when ``console_base_url`` is https or the request came over https."""
    session_idle_timeout_seconds: float = Field(default=1800.0, gt=0)
    """A console session unused this long ends (the user signs in again)."""
    session_absolute_timeout_seconds: float = Field(default=12 * 3600.0, gt=0)
    """A console session ends this long after sign-in, however busy."""
    login_max_failures: int = Field(default=5, ge=1)
    """Wrong passwords for one login within ``login_failure_window_seconds`` before sign-ins to it back off."""
    login_max_failures_per_address: int = Field(default=50, ge=1)
    """Wrong passwords from one client address within the window before sign-ins from it back off."""
    login_failure_window_seconds: float = Field(default=900.0, gt=0)
    """Failures older than this (counted from the latest one) are forgotten."""
    login_backoff_base_seconds: float = Field(default=5.0, gt=0)
    """First wait once the failures are used up; it doubles with every further failure."""
    login_backoff_max_seconds: float = Field(default=900.0, gt=0)
    """Longest wait."""
    password_check_concurrency: int | None = Field(default=None, ge=1)
    """Password checks (argon2) run at once per console; unset: the number of CPUs."""
    audit_anchor_dir: Path | None = None
    """A folder outside the database (another disk, a mounted share, write-once storage) that also receives the
    audit chain's signed checkpoints; unset: only ``data_dir/audit_checkpoints.jsonl`` does."""
    audit_checkpoint_seconds: float = Field(default=300.0, ge=5)
    """How often a worker checkpoints the audit chain's head (when it moved)."""

    def agent_model(self, agent: AgentName) -> AgentModelConfig:
        """The model settings ``agent`` runs with: its own overrides over the defaults."""
        own: AgentModelSettings = getattr(self, agent)
        return AgentModelConfig(
            agent=agent, model=own.model or self.model,
            output_mode=own.output_mode or self.model_output_mode,
            output_retries=self.model_output_retries if own.output_retries is None else own.output_retries,
            max_tokens=own.max_tokens or self.model_max_tokens,
            temperature=self.model_temperature if own.temperature is None else own.temperature,
            request_timeout_seconds=own.request_timeout_seconds or self.model_request_timeout_seconds)

    @property
    def embedded_postgres(self) -> bool:
        """Whether Postgres is the embedded pgserver."""
        return self.database_url is None

    @property
    def embedded_temporal(self) -> bool:
        """Whether Temporal is the embedded dev server."""
        return self.temporal_address is None

    def ensure_data_dir(self) -> Path:
        """Create the data folder if needed and return it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def secret(self) -> str:
        """Return the session secret, creating a persistent one in the data folder if needed."""
        if self.session_secret:
            return self.session_secret
        path = self.ensure_data_dir() / "session_secret"
        if not path.exists():
            import secrets

            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """Settings of this process (cached)."""
    return Settings()
