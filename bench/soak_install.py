"""Soak, installation side: child processes in process groups of their own, a ``talentops up`` on free ports with
its extra workers, and the wait for the first certification reconcile to end before any goal is submitted."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus

from infra.embedded import free_port

ROOT = Path(__file__).parents[1]
"""The repository root (absolute: the script's folder is on ``sys.path`` as an absolute path)."""


def say(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------------------
# Child processes
# --------------------------------------------------------------------------------------------------------------

@dataclass
class Child:
    """A process this bench started, in a session (process group) of its own, output in files."""

    name: str
    """Its name in the report and the log files (``up``, ``worker2``, ``bare1``)."""
    process: subprocess.Popen[bytes]
    """The process, leader of its own process group."""
    stdout: Path
    """The file its stdout goes to."""
    stderr: Path
    """The file its stderr goes to."""
    stop_signal: signal.Signals
    """What asks it to stop: SIGINT for ``up``, SIGTERM for workers."""

    def running(self) -> bool:
        """Whether the process has not exited yet."""
        return self.process.poll() is None


def read_text(path: Path) -> str:
    """A file's text, or '' when it does not exist yet."""
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


class Children:
    """The processes of one phase, stopped in reverse order of start."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[Child] = []

    def start(self, name: str, command: list[str], env: dict[str, str],
              stop_signal: signal.Signals = signal.SIGTERM) -> Child:
        """Start ``command`` with ``env`` in a new session; its stdout and stderr go to files."""
        stdout, stderr = self.log_dir / f"{name}.out", self.log_dir / f"{name}.err"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                       cwd=ROOT, start_new_session=True)
        child = Child(name, process, stdout, stderr, stop_signal)
        self.started.append(child)
        return child

    def stop(self, child: Child, timeout: float = 60.0) -> None:
        """Send the child its stop signal and wait; kill its whole group if it does not stop in ``timeout``."""
        if child.running():
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(child.stop_signal)
            try:
                child.process.wait(timeout)
            except subprocess.TimeoutExpired:
                say(f"{child.name} did not stop within {timeout:.0f} s: killing its process group")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait(10)
        kill_group_leftovers(child)

    def stop_all(self) -> None:
        """Stop every child still running, newest first (workers before the ``up`` they depend on)."""
        for child in reversed(self.started):
            self.stop(child)


@dataclass(frozen=True)
class Proc:
    """One line of the process table."""

    pid: int
    """Process id."""
    ppid: int
    """Parent's process id."""
    pgid: int
    """Process group id."""
    command: str
    """Short command name (``comm``)."""
    cpu: float
    """User + system CPU seconds so far."""
    cmdline: str
    """The whole command line, arguments joined by spaces."""


def process_table() -> list[Proc]:
    """Every process this bench can see (``/proc``), skipping those that vanish while being read."""
    ticks = os.sysconf("SC_CLK_TCK")
    table: list[Proc] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, tail = (entry / "stat").read_text().rsplit(")", 1)
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue
        fields = tail.split()
        table.append(Proc(pid=int(entry.name), ppid=int(fields[1]), pgid=int(fields[2]),
                          command=head.split("(", 1)[1], cpu=(int(fields[11]) + int(fields[12])) / ticks,
                          cmdline=cmdline))
    return table


def kill_group_leftovers(child: Child) -> None:
    """Kill what is left of the child's own process group once the child has exited (a server it started)."""
    if any(p.pgid == child.process.pid and p.pid != child.process.pid for p in process_table()):
        say(f"{child.name}: processes of its group still running after it exited: killing them")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, signal.SIGKILL)


def processes_mentioning(text: str) -> list[int]:
    """Processes whose command line mentions ``text`` (this bench's own temp folder), other than this one."""
    return [p.pid for p in process_table() if text in p.cmdline and p.pid != os.getpid()]


def installation_cpu(pgids: Sequence[int], data_dir: Path) -> dict[str, float]:
    """CPU seconds so far of an installation's live processes, by command: the children's process groups, the
    servers whose command line names the data folder (Temporal, Postgres) and all their descendants (Postgres
    backends)."""
    table = process_table()
    members = {p.pid for p in table if p.pgid in set(pgids) or (str(data_dir) in p.cmdline and p.pid != os.getpid())}
    grew = True
    while grew:
        more = {p.pid for p in table if p.ppid in members} - members
        members |= more
        grew = bool(more)
    usage: dict[str, float] = defaultdict(float)
    for proc in table:
        if proc.pid in members:
            usage[proc.command] += proc.cpu
    return usage


async def wait_for(what: str, check: Callable[[], bool], children: Sequence[Child], timeout: float) -> None:
    """Wait until ``check()`` holds; fail early when one of ``children`` exits, or after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        for child in children:
            if not child.running():
                tail = "\n".join(read_text(child.stderr).splitlines()[-15:])
                raise RuntimeError(f"{child.name} exited ({child.process.returncode}) while waiting for {what}:\n"
                                   f"{tail}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.2)


# --------------------------------------------------------------------------------------------------------------
# One installation
# --------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Runtime:
    """Where a running ``talentops up`` listens (its ``runtime.json``)."""

    database_url: str
    """Postgres connection URL."""
    temporal_address: str
    """``host:port`` of the Temporal dev server."""
    console_url: str
    """Base URL of the console (the HTTP API)."""
    task_queue: str
    """The talentops workers' task queue."""


def talentops_command() -> str:
    """The ``talentops`` script of this interpreter's environment."""
    beside = Path(sys.executable).parent / "talentops"
    found = str(beside) if beside.exists() else shutil.which("talentops")
    if found is None:
        raise RuntimeError("no `talentops` command next to this Python or on PATH; run with .venv/bin/python")
    return found


def base_env(data_dir: Path) -> dict[str, str]:
    """The environment of every child: this one without any TALENTOPS_ setting, plus the data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALENTOPS_")}
    env["TALENTOPS_DATA_DIR"] = str(data_dir)
    return env


def printed(child: Child, line: str) -> bool:
    """Whether the child has written ``line`` to stderr."""
    return line in read_text(child.stderr)


def matcher_warm(child: Child) -> bool:
    """Whether the child's matcher warm-up has finished (or given up until the first staffing)."""
    return printed(child, "matcher ready") or printed(child, "matcher index not built")


def worker_ready(child: Child) -> bool:
    """Whether an extra worker polls the task queue and has warmed its matcher."""
    return printed(child, "worker polling task queue") and matcher_warm(child)


async def start_up(children: Children, data_dir: Path, settings: Mapping[str, str]) -> tuple[Child, Runtime]:
    """Start ``talentops up`` on free ports with ``settings`` (``TALENTOPS_…`` variables) added, wait for the
    banner, ``runtime.json`` and the matcher's warm-up."""
    env = base_env(data_dir) | dict(settings) | {"TALENTOPS_CONSOLE_PORT": str(free_port()),
                                "TALENTOPS_TEMPORAL_PORT": str(free_port()),
                                "TALENTOPS_TEMPORAL_UI_PORT": str(free_port())}
    up = children.start("up", [talentops_command(), "up"], env, stop_signal=signal.SIGINT)
    runtime_file = data_dir / "runtime.json"
    await wait_for("the banner of `talentops up`", lambda: "talentops is running" in read_text(up.stdout)
                   and runtime_file.exists(), [up], timeout=300)
    info = json.loads(runtime_file.read_text())
    runtime = Runtime(database_url=info["database_url"], temporal_address=info["temporal_address"],
                      console_url=info["console_url"], task_queue=info["task_queue"])
    await wait_for("the matcher warm-up of `talentops up`", partial(matcher_warm, up), [up], timeout=300)
    return up, runtime


async def start_workers(children: Children, data_dir: Path, runtime: Runtime, count: int,
                        settings: Mapping[str, str]) -> list[Child]:
    """Start ``count`` extra ``talentops worker`` processes with ``settings`` added (sharing the data folder, hence
    the session secret)."""
    env = base_env(data_dir) | dict(settings) | {"TALENTOPS_DATABASE_URL": runtime.database_url,
                                "TALENTOPS_TEMPORAL_ADDRESS": runtime.temporal_address,
                                "TALENTOPS_TASK_QUEUE": runtime.task_queue,
                                "TALENTOPS_CERTIFICATION_RECONCILE": "false"}
    workers = [children.start(f"worker{i + 2}", [talentops_command(), "worker"], env) for i in range(count)]
    for worker in workers:
        await wait_for(f"{worker.name} to poll and warm its matcher", partial(worker_ready, worker), workers,
                       timeout=300)
    return workers


RECONCILE_QUERY = "WorkflowType = 'CertificationReconcileWorkflow'"
"""The daily certification reconcile (a Temporal Schedule whose first run starts with ``up``)."""


async def settle_reconcile(address: str, bound: float) -> str:
    """Wait until the first certification reconcile has ended (it starts a cadence workflow per certification
    period at once, which would compete with the first goals), at most ``bound`` seconds; say how it went."""
    client = await Client.connect(address)
    began = time.monotonic()
    attempts, failure = 0, ""
    while True:
        runs = [w async for w in client.list_workflows(RECONCILE_QUERY)]
        running = [w for w in runs if w.status == WorkflowExecutionStatus.RUNNING]
        for run in running:
            described = await client.get_workflow_handle(run.id, run_id=run.run_id).describe()
            for pending in described.raw_description.pending_activities:
                attempts = max(attempts, pending.attempt)
                if pending.last_failure.message:
                    failure = pending.last_failure.message
        waited = time.monotonic() - began
        tried = f"{attempts} attempt(s)" + (f", last failure “{failure}”" if failure else "")
        if runs and not running:
            states = ", ".join(sorted({w.status.name.lower() for w in runs if w.status is not None}))
            return f"{states} after {waited:.0f} s ({tried})"
        if waited > bound:
            return f"still running after {waited:.0f} s ({tried}); the goals started anyway"
        await asyncio.sleep(2)


def own_cpu() -> float:
    """CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
