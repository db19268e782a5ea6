"""Fault trials: goals in flight on a real ``talentops up``, a fault, and the exactly-once checks, N times each.

Scenarios (fault while the goals are in a phase):

- Ctrl-C of ``up`` while goals are planning, waiting for review, and being staffed; twice (forced) while staffing;
- ``kill -9`` of ``up`` (its Postgres and Temporal left behind; the next ``up`` must stop them);
- ``kill -9`` of a separate ``talentops worker`` sharing the task queue;
- a restart of Postgres (``pg_ctl restart``) under the running platform;
- the Temporal dev server killed (``up`` starts it again).

Each scenario runs on one fresh installation: its trials follow each other there (each with new goals), and the
installation is stopped with Ctrl-C at the end and checked for leftover processes. A trial passes when every goal
ended ``staffed``, once, with no audit event twice for one action, no task with two people, no notification or
outbox delivery twice, and an intact audit chain (``tests/fault_harness.py`` has the SQL).

Usage::

    .venv/bin/python bench/fault_trials.py --trials 20 --out bench/results/fault_trials.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fault_harness import Fault, Phase, Stack, TrialResult, inject, stop_and_check  # noqa: E402

SCENARIOS: dict[str, tuple[Fault, Phase]] = {
    "Ctrl-C of up while planning": ("ctrl_c", "planning"),
    "Ctrl-C of up while waiting for review": ("ctrl_c", "waiting"),
    "Ctrl-C of up while staffing": ("ctrl_c", "staffing"),
    "Ctrl-C twice (forced) while staffing": ("ctrl_c_twice", "staffing"),
    "kill -9 of up while staffing": ("kill9_up", "staffing"),
    "kill -9 of a separate worker while staffing": ("kill9_worker", "staffing"),
    "Postgres restarted while planning": ("restart_postgres", "planning"),
    "Temporal dev server killed while staffing": ("restart_temporal", "staffing"),
}


def run_scenario(name: str, trials: int, goals: int, root: Path) -> tuple[list[TrialResult], list[str]]:
    """``trials`` injections of one scenario on one fresh installation; the results and what was left running."""
    fault, phase = SCENARIOS[name]
    stack = Stack(data_dir=root / fault / phase)
    results: list[TrialResult] = []
    try:
        stack.start()
        for n in range(1, trials + 1):
            try:
                result = inject(stack, fault, phase, goals=goals)
            except Exception as err:  # a goal that never ended, a console that never came back: a failed trial
                result = TrialResult(fault=fault, phase=phase, goals=goals, final={},
                                     problems=[f"{type(err).__name__}: {err}"], seconds=0.0)
            results.append(result)
            verdict = "ok" if not result.problems else f"{len(result.problems)} problem(s): {result.problems[:2]}"
            print(f"{name}: trial {n}/{trials} in {result.seconds:.0f} s, {verdict}", file=sys.stderr, flush=True)
        left = stop_and_check(stack)
    finally:
        stack.stop_all()
    return results, left


def report(rows: dict[str, tuple[list[TrialResult], list[str]]], args: argparse.Namespace, wall: float) -> str:
    """The results as markdown."""
    lines = [
        "# Fault trials",
        "",
        f"`.venv/bin/python bench/fault_trials.py --trials {args.trials} --goals {args.goals}` on "
        f"{datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores, {platform.machine()}, offline planner; "
        f"wall time {wall / 60:.0f} min.",
        "",
        "| scenario | trials | passed | goals staffed | problems | trial p50 (s) | Ctrl-C to stopped p50/max (s) | "
        "left running |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, (results, left) in rows.items():
        passed = sum(1 for r in results if not r.problems)
        staffed = sum(r.final.get("staffed", 0) for r in results)
        problems = sum(len(r.problems) for r in results)
        stops = [r.stop_seconds for r in results if r.stop_seconds is not None]
        stop = f"{statistics.median(stops):.1f} / {max(stops):.1f}" if stops else "-"
        secs = statistics.median([r.seconds for r in results]) if results else 0.0
        lines.append(f"| {name} | {len(results)} | {passed} | {staffed}/{sum(r.goals for r in results)} | "
                     f"{problems} | {secs:.0f} | {stop} | {len(left)} |")
    found = [(name, p) for name, (results, left) in rows.items() for r in results for p in r.problems + left]
    lines += ["", "## Problems found", ""]
    lines += [f"- {name}: {p}" for name, p in found] or ["None."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="trials per scenario")
    parser.add_argument("--goals", type=int, default=2, help="goals in flight per trial")
    parser.add_argument("--only", action="append", choices=list(SCENARIOS), help="run only these scenarios")
    parser.add_argument("--out", type=Path, help="write the markdown here (default: print it)")
    args = parser.parse_args()
    began = time.monotonic()
    rows = {}
    with tempfile.TemporaryDirectory(prefix="talentops-faults-") as tmp:
        for name in args.only or SCENARIOS:
            rows[name] = run_scenario(name, args.trials, args.goals, Path(tmp))
            if args.out:  # after each scenario, so a long run stopped early keeps what it measured
                args.out.write_text(report(rows, args, time.monotonic() - began))
    text = report(rows, args, time.monotonic() - began)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
