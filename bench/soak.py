"""Soak: goals driven end to end through the HTTP API by scripted managers and reviewers, with 1, 2 and 4 workers,
against a bare Temporal workflow of the same shape on the same server (issue 15).

Per worker count W, in a throwaway data folder of its own (so every W starts from the same state: nobody booked
on any goal, the trust ramp fresh, an empty Temporal history):

* starts ``talentops up`` as a child process on free ports (``TALENTOPS_DATA_DIR``, ``TALENTOPS_CONSOLE_PORT``,
  ``TALENTOPS_TEMPORAL_PORT``, ``TALENTOPS_TEMPORAL_UI_PORT``), waits for its banner, its ``runtime.json`` and its
  matcher warm-up, then starts W-1 extra ``talentops worker`` processes on the same Postgres, Temporal and task
  queue (``TALENTOPS_CERTIFICATION_RECONCILE=false``) and waits until each polls and has warmed its matcher, and
  until the first run of the daily certification reconcile (started by ``up``; it starts a workflow per
  certification period) has ended (``--settle-seconds``), noting how it went;
* signs in through ``POST /api/login`` as the two demo managers, the two demo reviewers and the admin (session
  cookie, ``Origin``, ``X-CSRF-Token``); the admin pins the plan review (``decompose_goal``) at 100% so that every
  goal has both review gates (``--free-ramp`` leaves the trust ramp alone: after ~150 clean plan reviews it
  starts skipping some);
* drives ``--goals`` goals, ``--concurrency`` at a time, each as a manager and a reviewer would: the manager
  submits a goal written from ~20 templates (departments, scales, relative and dated deadlines) and follows it
  (``GET /api/goals/{id}`` every ``--poll`` seconds, the resolution of every figure below); when a review opens,
  a reviewer finds it in the queue (``GET /api/reviews?goal_id=``), opens it (``GET /api/reviews/{id}``) and
  approves it quoting its ``args_hash``; a reviewer the decision concerns (separation of duties) hands it to the
  other reviewer, then to the admin; a staffing approval the product refuses (someone would be overbooked, the
  bias policy) is edited once to the matcher's next candidates for the refused tasks, and rejected with the
  matching reason code if that is refused too;
* times per goal: submit -> first review open; the plan decision -> the workflow resumed (status left
  ``awaiting_plan_review``) and -> the staffing review open; the staffing decision -> ``staffed``; and the same
  intervals from the audit trail's own timestamps (server side, no polling); the requests it sends, and the CPU
  of every process of the installation (Temporal and Postgres included) while the goals run;
* counts final states with their reasons; a goal is *stuck* when its status does not move for
  ``--stuck-seconds`` while the product (not a reviewer) owes the next step, *lost* when it reaches neither a
  final state nor a review within ``--lost-seconds`` of its submission (or disappears);
* checks the database afterwards: audit events repeated per goal and action (the plain ``GROUP BY … HAVING
  count(*) > 1``, then per subject: one review, one move), duplicate assignments, more than one open review per
  goal, anyone booked past their capacity on any day, and ``talentops audit verify``;
* runs the bare shape on the same Temporal server: a workflow that runs one activity, waits for an update, runs
  one activity and completes, on its own task queue served by W worker processes of this script (SDK defaults,
  sandbox on), started ``--goals`` times ``--concurrency`` at a time and followed by polling a query at the same
  interval: start -> first activity done, update -> completion;
* stops everything (SIGTERM to the workers, SIGINT to ``up``, waiting for each; whatever is left of a process
  group is killed), also on errors, Ctrl-C and SIGTERM, scans every child's stderr for errors and for the
  activity failures the workers logged, and removes the folder (``--keep`` keeps it, with the logs in
  ``soak-logs/``).

This module runs the phases and holds the command line; the parts are modules beside it: ``soak_install``
(child processes, the installation), ``soak_api`` (signed-in sessions), ``soak_goals`` (the goal texts),
``soak_drive`` (the scripted managers and reviewers), ``soak_bare`` (the bare workflow and its worker),
``soak_checks`` (the database and the logs afterwards), ``soak_results`` (a phase's results and percentiles) and
``soak_report`` (the markdown).

Run from the repository root::

    .venv/bin/python bench/soak.py --goals 1000 --workers 1,2,4 --concurrency 10 --out bench/results/soak.md
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Coroutine, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from soak_api import Traffic
from soak_bare import run_bare_phase, serve_bare_worker
from soak_checks import activity_failures, inspect_database, stderr_findings, verify_audit_chain
from soak_drive import DriveSettings, GoalDriver
from soak_install import (
    Children,
    installation_cpu,
    own_cpu,
    processes_mentioning,
    read_text,
    say,
    settle_reconcile,
    start_up,
    start_workers,
)
from soak_report import render
from soak_results import Intervals, Phase, seconds, state_counts


async def run_phase(workers: int, settings: DriveSettings, *, pin_plan_reviews: bool, keep: bool,
                    settle_seconds: float, variant: str, product_settings: Mapping[str, str]) -> Phase:
    """A fresh installation with ``workers`` workers: drive the goals, inspect, run the bare shape, stop all."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"talentops-soak-w{workers}-"))
    log_dir = data_dir / "soak-logs"
    log_dir.mkdir()
    children = Children(log_dir)
    say(f"[W={workers}] installation in {data_dir}")
    try:
        began = time.monotonic()
        up, runtime = await start_up(children, data_dir, product_settings)
        extra = await start_workers(children, data_dir, runtime, workers - 1, product_settings)
        reconcile = await settle_reconcile(runtime.temporal_address, settle_seconds)
        startup = time.monotonic() - began
        say(f"[W={workers}] ready in {startup:.0f} s: console {runtime.console_url}, Temporal "
            f"{runtime.temporal_address}, {workers} worker(s)")
        traffic = Traffic()
        driver = GoalDriver(runtime.console_url, settings, traffic)
        groups = [c.process.pid for c in (up, *extra)]
        try:
            await driver.sign_in()
            if pin_plan_reviews:
                await driver.pin_plan_reviews()
            load_before = os.getloadavg()[0]
            cpu_before, bench_before = installation_cpu(groups, data_dir), own_cpu()
            wall = await driver.run(f"W={workers}")
            cpu = {name: secs - cpu_before.get(name, 0.0) for name, secs in installation_cpu(groups, data_dir).items()}
            bench_cpu = own_cpu() - bench_before
            load = (load_before, os.getloadavg()[0])
        finally:
            await driver.close()
        goal_ids = [r.goal_id for r in driver.runs if r.goal_id]
        database = await inspect_database(runtime.database_url, goal_ids)
        audit_verify = verify_audit_chain(data_dir)
        say(f"[W={workers}] goals done in {wall:.0f} s; bare workflows on the same server …")
        bare, bare_wall = await run_bare_phase(children, data_dir, runtime, workers, settings)
        say(f"[W={workers}] bare workflows done in {bare_wall:.0f} s; stopping")
        children.stop_all()
        leftovers = processes_mentioning(str(data_dir))
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return Phase(workers=workers, goals=driver.runs, wall=wall, bare=bare, bare_wall=bare_wall, traffic=traffic,
                     database=database, audit_verify=audit_verify, stderr=stderr_findings(children.started),
                     activity_failures={c.name: activity_failures(read_text(c.stderr)) for c in children.started},
                     reconcile=reconcile,
                     exit_codes={c.name: c.process.returncode for c in children.started}, cpu=cpu,
                     bench_cpu=bench_cpu, load=load, startup=startup, leftovers=len(leftovers), variant=variant)
    finally:
        children.stop_all()
        if keep:
            say(f"[W={workers}] kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def variants_of(parser: argparse.ArgumentParser, texts: Sequence[str]) -> list[tuple[str, dict[str, str]]]:
    """``[("4 slots", {"TALENTOPS_WORKER_ACTIVITY_SLOTS": "4"})]`` from ``["4 slots:TALENTOPS_…=4"]``; one
    unlabelled variant with the defaults when there is none; a sentence and exit code 2 for anything malformed."""
    variants: list[tuple[str, dict[str, str]]] = []
    for text in texts:
        label, colon, pairs = text.partition(":")
        split = [pair.strip().partition("=") for pair in pairs.split(",")]
        if not colon or not label.strip() or any(not name.startswith("TALENTOPS_") or not eq for name, eq, _ in split):
            parser.error(f"--variant takes LABEL:NAME=VALUE[,NAME=VALUE…] with TALENTOPS_ names, not {text!r}")
        variants.append((label.strip(), {name: value for name, _, value in split}))
    return variants or [("", {})]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--goals", type=int, default=1000, help="goals per worker count (default 1000)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated (default 1,2,4)")
    parser.add_argument("--concurrency", type=int, default=10, help="goals in flight at once (default 10)")
    parser.add_argument("--poll", type=float, default=0.2, help="seconds between status polls (default 0.2)")
    parser.add_argument("--stuck-seconds", type=float, default=120.0, help="no progress this long = stuck")
    parser.add_argument("--lost-seconds", type=float, default=900.0, help="not settled this long = lost")
    parser.add_argument("--http-timeout", type=float, default=120.0, help="timeout of one HTTP request")
    parser.add_argument("--settle-seconds", type=float, default=600.0,
                        help="wait this long at most for the first certification reconcile to end before the goals")
    parser.add_argument("--free-ramp", action="store_true", help="do not pin the plan review at 100%%")
    parser.add_argument("--keep", action="store_true", help="keep each phase's data folder (logs in soak-logs/)")
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL:NAME=VALUE[,NAME=VALUE…]",
                        help="run every worker count once per variant, with these settings on top (repeatable), "
                             "e.g. '4 slots:TALENTOPS_WORKER_ACTIVITY_SLOTS=4'")
    parser.add_argument("--note", default="", help="a line for the top of the report")
    parser.add_argument("--out", type=Path, default=None, help="write the markdown report here")
    parser.add_argument("--bare-worker", nargs=2, metavar=("ADDRESS", "TASK_QUEUE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_worker is None:
        counts = [int(w) for w in args.workers.split(",") if w.strip()]
        if not counts or min(counts) < 1 or args.goals < 1 or args.concurrency < 1 or args.poll <= 0:
            parser.error("--workers, --goals, --concurrency and --poll must be positive")
        args.worker_counts = counts
        args.variants = variants_of(parser, args.variant)
    return args


async def soak(args: argparse.Namespace) -> str:
    """Every phase, then the report."""
    settings = DriveSettings(goals=args.goals, concurrency=args.concurrency, poll=args.poll,
                             stuck_seconds=args.stuck_seconds, lost_seconds=args.lost_seconds,
                             http_timeout=args.http_timeout)
    started, began = datetime.now(UTC), time.monotonic()
    stop_on_signals()
    phases: list[Phase] = []
    for (label, variant), workers in itertools.product(args.variants, args.worker_counts):
        phases.append(await run_phase(workers, settings, pin_plan_reviews=not args.free_ramp, keep=args.keep,
                                      settle_seconds=args.settle_seconds, variant=label,
                                      product_settings=variant))
        iv = Intervals.of(phases[-1])
        say(f"[W={phases[-1].name}] submit→review p50 {seconds(iv.submit_to_review.p50)} p95 "
            f"{seconds(iv.submit_to_review.p95)}; staffing decision→staffed p50 {seconds(iv.staffing_to_staffed.p50)}"
            f"; {dict(state_counts(phases[-1]))}")
    return render(phases, settings, args, started, time.monotonic() - began)


def stop_on_signals() -> None:
    """SIGINT and SIGTERM cancel the soak, so that every phase stops its processes on the way out (also when
    SIGINT was ignored, as in a background job of a non-interactive shell)."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the soak (or, internally, a bare worker) and write the report."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.bare_worker is not None:
        run_then_exit(serve_bare_worker(*args.bare_worker))
    try:
        report = asyncio.run(soak(args))
    except asyncio.CancelledError:
        say("interrupted: every process this run started has been stopped")
        sys.stderr.flush()
        os._exit(130)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report)
        say(f"wrote {args.out}")
    else:
        print(report)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the Temporal SDK can abort at interpreter exit; everything is flushed and stopped


def run_then_exit(work: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine, then leave without the interpreter's teardown (same SDK caveat)."""
    asyncio.run(work)
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
