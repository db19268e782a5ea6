"""The processes ``talentops up`` runs for a data folder: recorded with their start times, found again after a crash.

``up`` records itself, its Postgres and its Temporal dev server in ``<data folder>/processes.json``. A pid alone
is not enough to know a process is still ours (the OS reuses pids), so each record keeps the process's start time
as the OS reports it, and a record counts as alive only while both match.

When ``up`` is killed without a chance to stop them (``kill -9``, a crash, a closed laptop lid), Postgres and the
Temporal dev server keep running. The next ``up`` on the same folder stops them before it starts its own:
a second Temporal server on one SQLite file would corrupt it, and the old one may be listening on a port the
new ``up`` would otherwise work around. They are found from the record, and also by what they hold (Postgres's
``postmaster.pid``, a Temporal server started with this folder's ``--db-filename``), so a lost record does not
hide them.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import psutil

FILE_NAME = "processes.json"
Role = Literal["up", "postgres", "temporal"]
ROLE_WORDS: dict[str, str] = {"up": "talentops up", "postgres": "Postgres", "temporal": "the Temporal dev server"}


@dataclass(kw_only=True)
class Child:
    """One recorded process."""

    role: str
    """``up``, ``postgres`` or ``temporal``."""
    pid: int
    """Its process id."""
    started: float
    """Its start time as the OS reports it (seconds since the epoch): tells it apart from a later process that
    was given the same pid."""

    def process(self) -> psutil.Process | None:
        """The live process this record names, or None when it has ended (or its pid now belongs to another)."""
        try:
            proc = psutil.Process(self.pid)
            if abs(proc.create_time() - self.started) > 0.05 or proc.status() == psutil.STATUS_ZOMBIE:
                return None
        except psutil.Error:
            return None
        return proc

    def words(self) -> str:
        """How a person reads it: "the Temporal dev server (pid 4242)"."""
        return f"{ROLE_WORDS.get(self.role, self.role)} (pid {self.pid})"


def describe(pid: int, role: str) -> Child:
    """A record of the running process ``pid``."""
    return Child(role=role, pid=pid, started=psutil.Process(pid).create_time())


def _path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def read(data_dir: Path) -> dict[str, Child]:
    """Every record in the folder's file, alive or not (an unreadable file reads as none)."""
    try:
        raw = json.loads(_path(data_dir).read_text())
        return {role: Child(**fields) for role, fields in raw.items()}
    except (OSError, ValueError, TypeError):
        return {}


def _write(data_dir: Path, records: dict[str, Child]) -> None:
    tmp = _path(data_dir).with_suffix(".tmp")
    tmp.write_text(json.dumps({role: asdict(c) for role, c in records.items()}, indent=2))
    os.replace(tmp, _path(data_dir))  # a crash mid-write leaves the old file, never half a file


def record(data_dir: Path, child: Child) -> None:
    """Add (or replace) one record."""
    records = read(data_dir)
    records[child.role] = child
    _write(data_dir, records)


def forget(data_dir: Path, role: str) -> None:
    """Drop one record (the process was stopped)."""
    records = read(data_dir)
    if records.pop(role, None) is not None:
        _write(data_dir, records)


def alive(data_dir: Path) -> dict[str, Child]:
    """The records whose process still runs."""
    return {role: c for role, c in read(data_dir).items() if c.process() is not None}


def temporal_servers_on(db_file: Path) -> list[psutil.Process]:
    """Temporal dev servers started on ``db_file``, whoever started them."""
    wanted = str(db_file.resolve())
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if "start-dev" in cmdline and "--db-filename" in cmdline:
            at = cmdline.index("--db-filename") + 1
            if at < len(cmdline) and Path(cmdline[at]).resolve() == Path(wanted):
                found.append(proc)
    return found


def postgres_on(pgdata: Path) -> psutil.Process | None:
    """The postmaster running on ``pgdata`` (from its ``postmaster.pid``), if any."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE or "postgres" not in proc.name():
            return None
    except (OSError, ValueError, psutil.Error):
        return None
    return proc


def _ended(proc: psutil.Process, timeout: float) -> bool:
    """Wait up to ``timeout`` for ``proc`` to end (a zombie has ended: its parent has yet to read its status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def stop(proc: psutil.Process, *, timeout: float = 15.0) -> None:
    """SIGTERM, wait up to ``timeout``, then SIGKILL."""
    with contextlib.suppress(psutil.NoSuchProcess):
        proc.terminate()
    if not _ended(proc, timeout):
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
        _ended(proc, 5)


def pg_ctl(pgdata: Path, *args: str, timeout: float = 60) -> None:
    """Run ``pg_ctl -D pgdata args…`` as the user that owns the cluster (pgserver's ``pgserver`` user under root:
    Postgres refuses to run as root).

    Raises:
        subprocess.CalledProcessError: With pg_ctl's own message as ``stderr``.
    """
    from pgserver._commands import POSTGRES_BIN_PATH

    user = "pgserver" if os.geteuid() == 0 else None
    # files, not pipes: a postmaster that pg_ctl starts inherits them, and a pipe would never close
    with tempfile.TemporaryFile() as out:
        result = subprocess.run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), *args], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=timeout, user=user,
                                check=False)
        if result.returncode != 0:
            out.seek(0)
            raise subprocess.CalledProcessError(result.returncode, result.args, stderr=out.read().decode())


def stop_postgres(pgdata: Path, *, mode: Literal["fast", "immediate"] = "fast") -> None:
    """Stop the Postgres running on ``pgdata`` with ``pg_ctl`` (``fast``: roll back open transactions, checkpoint).

    Falls back to signals when ``pg_ctl`` cannot (it is gone or does not answer).
    """
    proc = postgres_on(pgdata)
    if proc is None:
        return
    try:
        pg_ctl(pgdata, "-m", mode, "-w", "-t", "30", "stop", timeout=40)
    except (OSError, subprocess.SubprocessError):
        stop(proc)


def leftovers(data_dir: Path) -> list[str]:
    """The Postgres and Temporal servers running on this folder, in words (without stopping them)."""
    found = [f"the Temporal dev server (pid {p.pid})"
             for p in temporal_servers_on(data_dir / "temporal" / "temporal.sqlite")]
    postmaster = postgres_on(data_dir / "pg")
    return found + ([f"Postgres (pid {postmaster.pid})"] if postmaster is not None else [])


def stop_leftovers(data_dir: Path) -> list[str]:
    """Stop the Postgres and Temporal servers an earlier ``up`` on this folder left running; say what was stopped.

    Only call it while holding the folder's ``up`` lock: nothing else may be using them then.
    """
    stopped: list[str] = []
    for proc in temporal_servers_on(data_dir / "temporal" / "temporal.sqlite"):
        stop(proc)
        stopped.append(f"the Temporal dev server (pid {proc.pid})")
    postmaster = postgres_on(data_dir / "pg")
    if postmaster is not None:
        stop_postgres(data_dir / "pg")
        stopped.append(f"Postgres (pid {postmaster.pid})")
    _path(data_dir).unlink(missing_ok=True)  # whatever it recorded has ended now
    return stopped
