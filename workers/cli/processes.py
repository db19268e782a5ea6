"""The process commands: ``up``, ``worker`` and ``console`` run the platform, ``status`` says where it runs, ``stop``
stops it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Annotated, Any

import typer

from infra import children
from infra.settings import get_settings
from tools.taxonomy.store import loaded_taxonomy_version
from workers import runtime_file
from workers.cli.common import JsonOpt, emit_json, fail, finish, serve_until_stopped


def up() -> None:
    """Start everything on this machine: Postgres, Temporal, worker, console, demo organisation."""
    from workers.up import run_up

    serve_until_stopped(run_up)


def worker() -> None:
    """Run one worker (workflows, activities, agents, outbox) against an external Postgres and Temporal."""
    from workers.serve import run_worker

    serve_until_stopped(run_worker)


def console() -> None:
    """Serve one review console replica against an external Postgres and Temporal."""
    from workers.serve import run_console

    serve_until_stopped(run_console)


def stop() -> None:
    """Stop the `talentops up` running on this data folder (in order, like Ctrl-C), or the servers a killed one
    left running."""
    import fcntl
    import time

    settings = get_settings()
    data_dir = settings.data_dir
    up = children.alive(data_dir).get("up")
    if up is not None:
        print(f"asking talentops up (pid {up.pid}) to stop …", file=sys.stderr, flush=True)
        os.kill(up.pid, signal.SIGTERM)
        deadline = time.monotonic() + settings.shutdown_drain_seconds + 90
        while up.process() is not None:
            if time.monotonic() > deadline:
                fail(f"talentops up (pid {up.pid}) did not stop within {deadline:.0f} s; "
                     "press Ctrl-C in its terminal twice, or kill it")
            time.sleep(0.2)
        print("stopped.", file=sys.stderr)
        finish()
    if not data_dir.exists():
        fail(f"nothing runs on {data_dir}: it does not exist")
    with open(data_dir / "up.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fail(f"a talentops up on {data_dir} is starting or stopping right now; try again in a moment")
        stopped = children.stop_leftovers(data_dir)
    print(f"stopped {' and '.join(stopped)}" if stopped else f"nothing runs on {data_dir}", file=sys.stderr)
    finish()


def status(as_json: JsonOpt = False,
           probe: Annotated[bool, typer.Option(
               "--probe", help="Also ask each agent's model now, with this shell's settings (exit 3 if one does "
                               "not answer).")] = False) -> None:
    """Where the database, Temporal and the console are, and whether each agent's model answers."""
    from typing import get_args

    from agents.models import ModelConfigError
    from infra.settings import AgentName
    from infra.store import model_health
    from workers.agent_runs import build_agent_models
    from workers.health import probe_all

    settings = get_settings()
    running = runtime_file.read(settings)
    database_url = settings.database_url or (running or {}).get("database_url")
    info: dict[str, Any] = {
        "running": running is not None,
        # servers on this data folder that no running `up` owns (it was killed): `talentops stop` stops them
        "left_running": [] if running is not None else children.leftovers(settings.data_dir),
        "data_dir": str(settings.data_dir),
        "database_url": database_url or f"embedded pgserver in {settings.data_dir / 'pg'} (not running)",
        "temporal_address": settings.temporal_address or (running or {}).get("temporal_address"),
        "temporal_ui_url": (running or {}).get("temporal_ui_url"),
        "console_url": (running or {}).get("console_url"),
        "task_queue": (running or {}).get("task_queue", settings.task_queue),
        "model": settings.model,
        # the O*NET/ESCO data loaded in Postgres (tools.taxonomy.store): null when it cannot be asked
        "taxonomy_version": asyncio.run(loaded_taxonomy_version(database_url)),
    }
    # the workers' last probe of each agent's model (workers.health): null when the database cannot be asked
    checked = asyncio.run(model_health.latest_at(database_url))
    info["models"] = None if checked is None else [r.model_dump(mode="json") for r in checked]
    probed: list[model_health.ModelHealth] = []
    if probe:
        try:
            models = build_agent_models(settings)
        except ModelConfigError as err:
            fail(str(err))
        probed = asyncio.run(probe_all(models))
        info["probe"] = [h.model_dump(mode="json") for h in probed]

    def line(health: model_health.ModelHealth, *, now: bool = False) -> str:
        ago = "" if now else model_health.age_words(health.checked_at)
        name = f" as {health.served_model}" if health.served_model else ""
        if not health.ok:
            return f"{health.description} — does not answer: {health.detail}" + (f" ({ago})" if ago else "")
        if health.latency_ms is None:  # the offline planner
            return f"{health.description} — answers" + (f" ({ago})" if ago else "")
        note = health.detail.removeprefix(model_health.answered(health.latency_ms))
        took = ", ".join([f"{health.latency_ms / 1000:.1f} s", *([ago] if ago else [])])
        return f"{health.description} — answers{name} ({took}){note}"

    if as_json:
        emit_json(info)
    else:
        if info["left_running"]:
            verb = "runs" if len(info["left_running"]) == 1 else "run"
            print(f"talentops up is not running, but {' and '.join(info['left_running'])} still {verb} on "
                  f"{settings.data_dir}: `talentops stop` (or the next `talentops up`) stops them")
        for key, value in info.items():
            if key not in ("models", "probe", "left_running"):
                print(f"{key:<17} {value if value is not None else '-'}")
        by_agent = {r.agent: r for r in checked or []}
        print("models" + (" (last checked by a worker)" if by_agent else
                          " (not checked by a worker yet)" if checked is not None else
                          " (the database cannot be asked; `talentops status --probe` asks the models now)"))
        for agent in get_args(AgentName):
            record = by_agent.get(agent)
            print(f"  {agent:<17} " + (line(record) if record else
                                       f"{settings.agent_model(agent).model} (this shell's setting, not checked)"))
        if probe:
            print("models asked now, with this shell's settings")
            for health in probed:
                print(f"  {health.agent:<17} {line(health, now=True)}")
    if any(not h.ok for h in probed):
        sys.stdout.flush()
        os._exit(3)
    finish()
