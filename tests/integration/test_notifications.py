"""The notification outbox on the real Postgres, delivering to a real local SMTP server and HTTP receiver.

Both receivers listen on 127.0.0.1 only and are started here. The database is shared by the whole test run, so
every row a test creates carries the test's tag (in its recipient or dedupe key), assertions look only at those
rows, and the rows are deleted afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from infra.embedded import free_port
from infra.outbox.delivery import deliver_due
from infra.outbox.settings import NotificationSettings
from infra.outbox.store import claim_due, enqueue, record_outcome
from workers.outbox import run_outbox

pytestmark = pytest.mark.integration

HOST = "127.0.0.1"


# ---------------------------------------------------------------------------------------------------- receivers


@dataclass
class Hit:
    path: str
    json: Any
    content_type: str


@dataclass
class WebhookReceiver:
    """A local HTTP endpoint: records every POST; answers statuses scripted per path (default 200)."""

    port: int
    hits: list[Hit] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)
    always: dict[str, int] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    delay: float = 0.0

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def on(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    async def handle(self, request: Request) -> PlainTextResponse:
        path = request.url.path
        self.hits.append(Hit(path, await request.json(), request.headers.get("content-type", "")))
        if self.delay:
            await asyncio.sleep(self.delay)
        planned = self.script.get(path)
        status = planned.pop(0) if planned else self.always.get(path, 200)
        return PlainTextResponse("ok" if status < 300 else f"failure {status}", status_code=status,
                                 headers=self.headers.get(path))


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@pytest.fixture(scope="module")
async def webhooks() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(port=free_port(HOST))
    app = Starlette(routes=[Route("/{path:path}", receiver.handle, methods=["POST"])])
    server = _QuietServer(uvicorn.Config(app, host=HOST, port=receiver.port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started or task.done():
            break
        await asyncio.sleep(0.02)
    assert server.started, "the local webhook receiver did not start"
    yield receiver
    server.should_exit = True
    await asyncio.wait_for(task, 10)


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


@dataclass
class Mailbox:
    """aiosmtpd handler: keeps every message; RCPT replies can be scripted per address."""

    messages: list[Mail] = field(default_factory=list)
    rcpt_script: dict[str, list[str]] = field(default_factory=dict)

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.messages if address in m.rcpt_tos]

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        planned = self.rcpt_script.get(address)
        if planned:
            return planned.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        self.messages.append(Mail(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
async def mailbox() -> AsyncIterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port(HOST)
    controller = Controller(box, hostname=HOST, port=port)
    await asyncio.to_thread(controller.start)
    yield box, port
    await asyncio.to_thread(controller.stop)


# ---------------------------------------------------------------------------------------------------- helpers


@pytest.fixture
async def tag(pool: asyncpg.Pool[Any]) -> AsyncIterator[str]:
    """A marker unique to this test; its rows are deleted afterwards."""
    value = f"t{uuid.uuid4().hex[:10]}"
    yield value
    await pool.execute("DELETE FROM notification_outbox WHERE recipient LIKE $1 OR dedupe_key LIKE $2",
                       f"%{value}%", f"{value}%")


def settings_for(mailbox: tuple[Mailbox, int] | None = None, **overrides: Any) -> NotificationSettings:
    values: dict[str, Any] = {"smtp_starttls": False, "smtp_from": "talentops <noreply@talentops.test>",
                              "request_timeout_seconds": 5, "base_delay_seconds": 5}
    if mailbox is not None:
        values.update(smtp_host=HOST, smtp_port=mailbox[1])
    values.update(overrides)
    return NotificationSettings(**values)


async def add(pool: asyncpg.Pool[Any], **kwargs: Any) -> int:
    kwargs.setdefault("subject", "Review needed")
    kwargs.setdefault("body", "A staffing plan waits for your review.")
    async with pool.acquire() as conn, conn.transaction():
        row_id = await enqueue(conn, **kwargs)
        assert row_id is not None
        # due before whatever earlier tests of the shared database left pending (people's moves notify them), so
        # that the next delivery round takes this row first
        await conn.execute("UPDATE notification_outbox SET next_attempt_at = now() - interval '1 year'"
                           " WHERE id = $1", row_id)
    return row_id


async def rows(pool: asyncpg.Pool[Any], *ids: int) -> list[dict[str, Any]]:
    records = await pool.fetch("SELECT *, next_attempt_at > now() AS in_future FROM notification_outbox"
                               " WHERE id = ANY($1::bigint[]) ORDER BY id", list(ids))
    return [dict(r) for r in records]


async def one(pool: asyncpg.Pool[Any], row_id: int) -> dict[str, Any]:
    (row,) = await rows(pool, row_id)
    return row


async def make_due(pool: asyncpg.Pool[Any], *ids: int) -> None:
    """Move time forward for these rows instead of sleeping through their backoff or lease (due a year ago, like
    :func:`add`'s rows: ahead of whatever other tests of the shared database left pending)."""
    await pool.execute("UPDATE notification_outbox SET next_attempt_at = now() - interval '1 year'"
                       " WHERE id = ANY($1::bigint[]) AND status IN ('pending', 'sending')", list(ids))


# ---------------------------------------------------------------------------------------------------- e-mail


async def test_email_is_delivered_with_subject_body_and_recipient(
        pool: asyncpg.Pool[Any], mailbox: tuple[Mailbox, int], tag: str) -> None:
    box, _ = mailbox
    to = f"ana.{tag}@bank.test"
    row_id = await add(pool, channel="email", recipient=to, subject="Review needed:\n staffing for G-1",
                       body="Zoë, the plan for “EU instant payments” waits for you.\n— talentops",
                       payload={"html": "<p>Zoë, the plan waits for you.</p>"})

    report = await deliver_due(pool, settings_for(mailbox))

    assert report.sent >= 1
    (mail,) = box.to(to)
    assert mail.rcpt_tos == [to] and mail.mail_from == "noreply@talentops.test"
    msg = mail.message
    assert msg["To"] == to and msg["From"] == "talentops <noreply@talentops.test>"
    assert msg["Subject"] == "Review needed: staffing for G-1"  # the line break was folded at enqueue
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"].startswith(f"<talentops.outbox.{row_id}.")
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None
    text = plain.get_content().replace("\r\n", "\n")
    assert text == "Zoë, the plan for “EU instant payments” waits for you.\n— talentops\n"
    assert "<p>Zoë, the plan waits for you.</p>" in html.get_content()
    row = await one(pool, row_id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 1, None)
    assert row["sent_at"] is not None


async def test_email_waits_while_smtp_is_not_configured(
        pool: asyncpg.Pool[Any], mailbox: tuple[Mailbox, int], tag: str) -> None:
    box, _ = mailbox
    to = f"ben.{tag}@bank.test"
    row_id = await add(pool, channel="email", recipient=to)

    await deliver_due(pool, settings_for(None))
    row = await one(pool, row_id)
    assert (row["status"], row["attempts"]) == ("pending", 0)  # not claimed, not burning attempts

    await deliver_due(pool, settings_for(mailbox))
    assert (await one(pool, row_id))["status"] == "sent"
    assert len(box.to(to)) == 1


async def test_smtp_permanent_refusal_is_dead_and_temporary_one_is_retried(
        pool: asyncpg.Pool[Any], mailbox: tuple[Mailbox, int], tag: str) -> None:
    box, _ = mailbox
    unknown, greylisted = f"nobody.{tag}@bank.test", f"grey.{tag}@bank.test"
    box.rcpt_script[unknown] = ["550 5.1.1 no such user"]
    box.rcpt_script[greylisted] = ["451 4.7.1 greylisted, try again later"]
    dead_id = await add(pool, channel="email", recipient=unknown)
    grey_id = await add(pool, channel="email", recipient=greylisted)
    settings = settings_for(mailbox)

    await deliver_due(pool, settings)
    dead, grey = await rows(pool, dead_id, grey_id)
    assert (dead["status"], dead["attempts"]) == ("dead", 1)
    assert "550" in dead["last_error"] and "no such user" in dead["last_error"]
    assert (grey["status"], grey["attempts"], grey["in_future"]) == ("pending", 1, True)
    assert "451" in grey["last_error"]

    await make_due(pool, grey_id)
    await deliver_due(pool, settings)
    grey = await one(pool, grey_id)
    assert (grey["status"], grey["attempts"]) == ("sent", 2)
    assert len(box.to(greylisted)) == 1 and box.to(unknown) == []


# ---------------------------------------------------------------------------------------------------- webhooks


async def test_slack_payload_shape(pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    path = f"/{tag}/slack"
    row_id = await add(pool, channel="slack", recipient=webhooks.url(path), subject="Plan <G-1> approved",
                       body="Ana & Ben start Monday", payload={"username": "talentops"})

    await deliver_due(pool, settings_for())

    (hit,) = webhooks.on(path)
    assert hit.content_type == "application/json"
    assert hit.json == {"text": "*Plan &lt;G-1&gt; approved*\nAna &amp; Ben start Monday", "username": "talentops"}
    assert (await one(pool, row_id))["status"] == "sent"


async def test_teams_payload_shapes(pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    path = f"/{tag}/teams"
    adaptive_id = await add(pool, channel="teams", recipient=webhooks.url(path), subject="Plan approved",
                            body="Ana starts Monday")
    await deliver_due(pool, settings_for())
    legacy_id = await add(pool, channel="teams", recipient=webhooks.url(path), subject="Plan approved",
                          body="Ben starts Tuesday")
    await deliver_due(pool, settings_for(teams_card="messagecard"))

    adaptive, legacy = (h.json for h in webhooks.on(path))
    assert adaptive["type"] == "message"
    (attachment,) = adaptive["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert [block["text"] for block in card["body"]] == ["Plan approved", "Ana starts Monday"]
    assert legacy == {"@type": "MessageCard", "@context": "https://schema.org/extensions",
                      "summary": "Plan approved", "title": "Plan approved", "text": "Ben starts Tuesday"}
    assert [r["status"] for r in await rows(pool, adaptive_id, legacy_id)] == ["sent", "sent"]


async def test_empty_recipient_uses_the_configured_webhook(
        pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    path = f"/{tag}/default-slack"
    async with pool.acquire() as conn, conn.transaction():
        row_id = await enqueue(conn, channel="slack", recipient="", subject="", body="to the default channel",
                               dedupe_key=f"{tag}:default")
    assert row_id is not None

    await deliver_due(pool, settings_for())  # no default webhook: the row waits
    assert (await one(pool, row_id))["status"] == "pending"

    await deliver_due(pool, settings_for(slack_webhook_url=webhooks.url(path)))
    assert [h.json for h in webhooks.on(path)] == [{"text": "to the default channel"}]
    assert (await one(pool, row_id))["status"] == "sent"


async def test_retry_after_500s_then_success(pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    path = f"/{tag}/flaky"
    webhooks.script[path] = [500, 503]
    row_id = await add(pool, channel="slack", recipient=webhooks.url(path))
    settings = settings_for(base_delay_seconds=30)

    report = await deliver_due(pool, settings)
    assert any(e.startswith(f"#{row_id} slack: slack: HTTP 500") for e in report.errors)
    row = await one(pool, row_id)
    assert (row["status"], row["attempts"], row["in_future"]) == ("pending", 1, True)
    assert "HTTP 500" in row["last_error"] and webhooks.url(path) not in row["last_error"]
    first_wait = (row["next_attempt_at"] - datetime.now(row["next_attempt_at"].tzinfo)).total_seconds()
    assert 10 < first_wait <= 30  # base 30 s, equal jitter

    await deliver_due(pool, settings)  # not due yet: nothing is sent
    assert len(webhooks.on(path)) == 1

    await make_due(pool, row_id)
    await deliver_due(pool, settings)
    row = await one(pool, row_id)
    assert (row["status"], row["attempts"], row["in_future"]) == ("pending", 2, True)
    assert "HTTP 503" in row["last_error"]

    await make_due(pool, row_id)
    await deliver_due(pool, settings)
    row = await one(pool, row_id)
    assert (row["status"], row["attempts"]) == ("sent", 3)
    assert row["sent_at"] is not None
    assert len(webhooks.on(path)) == 3


async def test_429_retry_after_is_honoured(pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    path = f"/{tag}/throttled"
    webhooks.script[path] = [429]
    webhooks.headers[path] = {"Retry-After": "600"}
    row_id = await add(pool, channel="slack", recipient=webhooks.url(path))

    await deliver_due(pool, settings_for(base_delay_seconds=1))

    row = await one(pool, row_id)
    wait = (row["next_attempt_at"] - datetime.now(row["next_attempt_at"].tzinfo)).total_seconds()
    assert row["status"] == "pending" and 590 < wait <= 600


async def test_400_is_dead_at_once(pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    path = f"/{tag}/bad"
    webhooks.always[path] = 400
    row_id = await add(pool, channel="teams", recipient=webhooks.url(path))

    report = await deliver_due(pool, settings_for())
    await make_due(pool, row_id)
    await deliver_due(pool, settings_for())

    assert report.dead >= 1
    row = await one(pool, row_id)
    assert (row["status"], row["attempts"], row["sent_at"]) == ("dead", 1, None)
    assert "HTTP 400" in row["last_error"] and "failure 400" in row["last_error"]
    assert len(webhooks.on(path)) == 1


async def test_max_attempts_then_dead_with_last_error(
        pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    path = f"/{tag}/down"
    webhooks.always[path] = 502
    failing = await add(pool, channel="slack", recipient=webhooks.url(path))
    # nothing listens on this port: connection refused, which is retryable too
    refused = await add(pool, channel="teams", recipient=f"http://{HOST}:{free_port(HOST)}/{tag}/nobody-home")
    settings = settings_for(max_attempts=3)

    for attempt in range(1, 4):
        await deliver_due(pool, settings)
        states = await rows(pool, failing, refused)
        assert [r["attempts"] for r in states] == [attempt, attempt]
        expected = "dead" if attempt == 3 else "pending"
        assert [r["status"] for r in states] == [expected, expected]
        await make_due(pool, failing, refused)

    await deliver_due(pool, settings)  # dead rows are never picked up again
    failing_row, refused_row = await rows(pool, failing, refused)
    assert failing_row["attempts"] == 3 and failing_row["last_error"].startswith("attempt 3/3: slack: HTTP 502")
    assert refused_row["attempts"] == 3 and "ConnectError" in refused_row["last_error"]
    assert len(webhooks.on(path)) == 3


# ---------------------------------------------------------------------------------------------------- outbox guarantees


async def test_dedupe_key_stores_once_and_rollback_stores_nothing(pool: asyncpg.Pool[Any], tag: str) -> None:
    key = f"{tag}:goal-1:review.requested"
    recipient = f"ana.{tag}@bank.test"
    async with pool.acquire() as conn, conn.transaction():
        first = await enqueue(conn, channel="email", recipient=recipient, subject="s", body="b", dedupe_key=key)
        again = await enqueue(conn, channel="email", recipient=recipient, subject="s", body="b", dedupe_key=key)
    async with pool.acquire() as conn, conn.transaction():  # an activity retried later: same event
        later = await enqueue(conn, channel="email", recipient=recipient, subject="s", body="b", dedupe_key=key)
    assert first is not None and again is None and later is None

    with pytest.raises(RuntimeError):
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, channel="email", recipient=recipient, subject="s", body="b",
                          dedupe_key=f"{tag}:rolled-back")
            raise RuntimeError("the change being announced failed")

    stored = await pool.fetch("SELECT dedupe_key FROM notification_outbox WHERE recipient = $1", recipient)
    assert [r["dedupe_key"] for r in stored] == [key]


async def test_enqueue_validates_its_arguments(pool: asyncpg.Pool[Any]) -> None:
    async with pool.acquire() as conn:
        cases: list[dict[str, Any]] = [
            {"channel": "sms", "recipient": "+441234"},
            {"channel": "email", "recipient": "not-an-address"},
            {"channel": "email", "recipient": "a@b.test\r\nBcc: x@y.test"},
            {"channel": "slack", "recipient": "hooks.slack.com/services/x"},
            {"channel": "slack", "recipient": "", "body": "  "},
        ]
        for kwargs in cases:
            with pytest.raises(ValueError):
                await enqueue(conn, **{"subject": "s", "body": "b", **kwargs})


async def test_concurrent_deliverers_never_send_a_row_twice(
        pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    path = f"/{tag}/many"
    webhooks.delay = 0.02  # keep claims of the workers overlapping with each other's sends
    ids = [await add(pool, channel="slack", recipient=webhooks.url(path), subject="", body=f"message {i}")
           for i in range(24)]
    settings = settings_for()

    async def worker() -> int:
        claimed = 0
        for _ in range(30):  # bounded
            report = await deliver_due(pool, settings, limit=3)
            claimed += report.claimed
            if report.claimed == 0:
                break
        return claimed

    try:
        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(4))), 30)
    finally:
        webhooks.delay = 0.0

    texts = sorted(h.json["text"] for h in webhooks.on(path))
    assert texts == sorted(f"message {i}" for i in range(24))  # each exactly once
    assert {(r["status"], r["attempts"]) for r in await rows(pool, *ids)} == {("sent", 1)}


async def test_a_row_locked_by_another_deliverer_is_skipped_not_waited_for(
        pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    path = f"/{tag}/locked"
    locked = await add(pool, channel="slack", recipient=webhooks.url(path), subject="", body="locked")
    free = await add(pool, channel="slack", recipient=webhooks.url(path), subject="", body="free")

    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT 1 FROM notification_outbox WHERE id = $1 FOR UPDATE", locked)
        await asyncio.wait_for(deliver_due(pool, settings_for()), 10)  # would block without SKIP LOCKED
    assert [h.json["text"] for h in webhooks.on(path)] == ["free"]
    assert [r["status"] for r in await rows(pool, locked, free)] == ["pending", "sent"]

    await deliver_due(pool, settings_for())
    assert [h.json["text"] for h in webhooks.on(path)] == ["free", "locked"]


async def test_a_claim_that_was_never_finished_is_sent_after_its_lease(
        pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    path = f"/{tag}/crash"
    row_id = await add(pool, channel="slack", recipient=webhooks.url(path))
    settings = settings_for(lease_seconds=120)

    claimed, _ = await claim_due(pool, settings)  # a worker claims … and dies before sending
    assert row_id in {r.id for r in claimed}
    row = await one(pool, row_id)
    assert (row["status"], row["attempts"], row["in_future"]) == ("sending", 1, True)
    lease = (row["next_attempt_at"] - datetime.now(row["next_attempt_at"].tzinfo)).total_seconds()
    assert 100 < lease <= 120

    await deliver_due(pool, settings)  # the lease still holds: nobody else sends it
    assert webhooks.on(path) == []

    await make_due(pool, row_id)  # lease expired
    await deliver_due(pool, settings)
    row = await one(pool, row_id)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert len(webhooks.on(path)) == 1


async def test_a_worker_whose_lease_expired_cannot_overwrite_the_outcome(
        pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    path = f"/{tag}/slow"
    row_id = await add(pool, channel="slack", recipient=webhooks.url(path))
    settings = settings_for()

    slow_claims, _ = await claim_due(pool, settings)  # worker A, too slow
    (slow,) = [r for r in slow_claims if r.id == row_id]
    await make_due(pool, row_id)
    await deliver_due(pool, settings)  # worker B takes over and delivers
    assert (await one(pool, row_id))["status"] == "sent"

    assert await record_outcome(pool, slow, "retry", error="A timed out", delay_seconds=5) is False
    row = await one(pool, row_id)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 2, None)


async def test_an_interrupted_last_attempt_is_dead_not_retried_forever(
        pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    row_id = await add(pool, channel="slack", recipient=webhooks.url(f"/{tag}/poison"))
    settings = settings_for(max_attempts=1)

    await claim_due(pool, settings)  # the only attempt, and the worker dies
    await make_due(pool, row_id)
    report = await deliver_due(pool, settings)

    row = await one(pool, row_id)
    assert report.dead >= 1
    assert (row["status"], row["attempts"]) == ("dead", 1)
    assert "lease expired" in row["last_error"]
    assert webhooks.on(f"/{tag}/poison") == []


# ---------------------------------------------------------------------------------------------------- the loop


async def test_outbox_loop_delivers_survives_a_bad_row_and_stops(
        pool: asyncpg.Pool[Any], webhooks: WebhookReceiver, tag: str) -> None:
    path = f"/{tag}/loop"
    # rows enqueue() would have refused, written behind its back: the loop must not choke on them
    bad_url = await pool.fetchval("INSERT INTO notification_outbox (channel, recipient, body)"
                                  " VALUES ('teams', $1, 'bad') RETURNING id", f"ftp://{tag}.invalid/hook")
    bad_payload = await pool.fetchval("INSERT INTO notification_outbox (channel, recipient, body, payload)"
                                      " VALUES ('slack', $1, 'bad', '[1, 2]') RETURNING id", webhooks.url(path))
    good = await add(pool, channel="slack", recipient=webhooks.url(path), subject="", body="from the loop")
    wanted = {bad_url: "dead", bad_payload: "pending", good: "sent"}
    stop = asyncio.Event()
    task = asyncio.create_task(run_outbox(pool, settings_for(), stop, poll_seconds=0.05))
    try:
        for _ in range(200):  # bounded: 10 s
            states = {r["id"]: r["status"] for r in await rows(pool, *wanted)}
            if states == wanted:
                break
            assert not task.done(), "the outbox loop ended on its own"
            await asyncio.sleep(0.05)
        assert states == wanted
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert [h.json for h in webhooks.on(path)] == [{"text": "from the loop"}]
    url_row, payload_row, _ = await rows(pool, *wanted)
    assert "invalid webhook URL" in url_row["last_error"]
    assert payload_row["attempts"] == 1 and "unexpected TypeError" in payload_row["last_error"]


def test_the_modules_export_what_the_workers_use() -> None:
    from infra.outbox import delivery, settings, store

    assert "deliver_due" in delivery.__all__ and "enqueue" in store.__all__
    assert "NotificationSettings" in settings.__all__
