"""What the ``talentops`` commands share: JSON output, error exits, running a coroutine, connecting to services."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel

from infra import db
from infra.embedded import EmbeddedError, start_postgres
from infra.settings import get_settings
from infra.store.users import User
from tools.taxonomy.store import sync_taxonomy
from workers import runtime_file
from workflows.usecases import ServiceError, Services, check_password

T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
AsOpt = Annotated[str, typer.Option("--as", help="Your login; you are asked for its password.")]
PasswordStdinOpt = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from standard input (default: prompt for it, hidden).")]


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):  # a typed record prints as its fields
        return value.model_dump()
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def emit_json(value: Any) -> None:
    """Print JSON for machines."""
    print(json.dumps(value, indent=2, default=_default))


def day(value: date | datetime) -> str:
    """A date as people read it: ``3 Mar 2025`` (a moment with its time of day)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone()  # the reader's own clock
    text = f"{value.day} {value:%b %Y}"
    return f"{text} {value:%H:%M}" if isinstance(value, datetime) else text


def fail(message: str, code: int = 1) -> None:
    """Print an error sentence and exit with ``code``."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(code)


def run(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine; turn known errors into a sentence and an exit code, never a traceback."""
    try:
        return asyncio.run(make())  # type: ignore[arg-type]
    except ServiceError as err:
        fail(err.message, 4 if err.status == 404 else 1)
    except EmbeddedError as err:
        fail(str(err))
    except OSError as err:
        fail(f"cannot reach a service: {err}")
    raise AssertionError("unreachable")


def read_password(login: str, *, from_stdin: bool) -> str:
    """The password of ``login``: one line of standard input, or typed at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt(f"password for {login}", hide_input=True)
    return password


async def authenticate(svc: Services, login: str, password: str, *, unchanged: str = "nothing was changed") -> User:
    """The user whose password this is, checked with the console's sign-in throttle (so guessing a password here is
    no easier), audited with ``via="cli"``.

    Raises:
        ServiceError: A wrong login or password (the sentence ends with ``unchanged``).
        Throttled: The login or this address is locked after too many failures.
        Busy: Too many password checks at once.
    """
    user = await check_password(svc, login, password, address="cli", via="cli")
    if user is None:
        raise ServiceError(f"wrong login or password for {login!r}; {unchanged}")
    return user


def finish() -> None:
    """Exit without running interpreter teardown (the Temporal SDK can abort there)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@asynccontextmanager
async def connect(*, temporal: bool) -> AsyncIterator[Services]:
    """Services for a CLI command: the running ``up``'s, configured ones, or the embedded Postgres."""
    settings = get_settings()
    running = runtime_file.read(settings) or {}
    pg_handle = None
    url = settings.database_url or running.get("database_url")
    if url is None:
        pg_handle, url = start_postgres(settings.ensure_data_dir())
    pool = await db.create_pool(url, max_size=2)
    client = None
    try:
        await db.migrate(pool)
        await sync_taxonomy(pool)
        if temporal:
            address = settings.temporal_address or running.get("temporal_address")
            if address is None:
                raise ServiceError("talentops is not running; start it with `talentops up` "
                                   "(or set TALENTOPS_TEMPORAL_ADDRESS)")
            from workers.main import connect_client

            try:
                client = await connect_client(address, settings.temporal_namespace)
            except RuntimeError as err:
                raise ServiceError(f"cannot reach Temporal at {address}: {err}") from err
            if running.get("task_queue"):
                settings = settings.model_copy(update={"task_queue": running["task_queue"]})
        yield Services(pool=pool, client=client, settings=settings)
    finally:
        await pool.close()
        if pg_handle is not None:
            pg_handle.cleanup()


def serve_until_stopped(main: Callable[[Any], Awaitable[None]]) -> None:
    """Run a long-lived process (``up``, ``worker``, ``console``) until Ctrl-C / SIGTERM; errors as a sentence."""
    try:
        asyncio.run(main(get_settings()))  # type: ignore[arg-type]
    except EmbeddedError as err:
        fail(str(err))
    except KeyboardInterrupt:
        pass
    finish()


class StderrProgress:
    """Progress lines on stderr: at most one every ``every`` seconds per stage, plus the final one."""

    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self.started: dict[str, float] = {}
        self.last = 0.0
        self.shown: tuple[str, int] | None = None

    def start(self, what: str) -> None:
        """Start the clock of a stage."""
        self.started[what] = time.monotonic()

    def __call__(self, what: str, done: int, total: int, *, force: bool = False) -> None:
        now = time.monotonic()
        start = self.started.setdefault(what, now)
        if (not force and now - self.last < self.every) or self.shown == (what, done):
            return
        self.last = now
        self.shown = (what, done)
        elapsed = now - start
        rate = f", {done / elapsed:,.1f}/s" if elapsed > 0.05 and done else ""
        of = f"/{total:,}" if total >= 0 else ""
        print(f"{what}: {done:,}{of} ({elapsed:.1f} s{rate})", file=sys.stderr, flush=True)
