"""Planning quality: the keyword planner of before vs the planning graph, on goals written as managers write them.

The goals and their labels are ``bench/data/planning_goals.jsonl`` (52 goals across 16 business functions,
labelled with the O*NET occupations right to staff them before the planner was tuned; see its README). Both
planners run on every goal, and their tasks are staffed from one synthetic workforce built from O*NET as in
``bench/match_eval.py`` (3 people per occupation with at least 10 task statements, ~2,400 people):

* the keyword planner is ``agents.local_planner.decompose_goal`` (retrieval over O*NET task statements), its
  tasks staffed the way the product staffed them before: the matcher on the task's title and description and
  its skills;
* the planning graph is ``agents.planning.graph.plan_goal`` (offline drafter), its tasks staffed on the
  grounded task: title, description, work activities, skills and the grounded occupations;
* plain TF-IDF ranks the workforce by the goal's text alone and staffs as many people as the graph has tasks.

Each task gets the best-ranked person not already on the goal. Reported: staffing precision (share of staffed
people whose occupation is one of the goal's fitting occupations), core hit (the goal gets at least one person
from its core occupations), tasks per goal, deadline accuracy (explicit deadlines read within a week; vague or
missing ones stated as an assumption), planning latency, and five goals with their tasks.

Usage (from the repository root)::

    .venv/bin/python bench/planning_eval.py --out bench/results/planning_eval.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from match_eval import World, machine  # noqa: E402

from agents.local_planner import PlanningError as KeywordPlanningError  # noqa: E402
from agents.local_planner import decompose_goal, parse_deadline_weeks  # noqa: E402
from agents.planning.graph import PlanningError, plan_goal  # noqa: E402
from infra.store.plans import GoalPlan, PlannedTask  # noqa: E402
from tools.goal_text.deadlines import read_deadline  # noqa: E402
from tools.matching.ranker import EmployeeIndex  # noqa: E402
from tools.people.hris_jsonl import EmployeeRecord, MatchRequest  # noqa: E402
from tools.taxonomy.task_library import TfIdfIndex  # noqa: E402

GOALS = ROOT / "bench" / "data" / "planning_goals.jsonl"
SUBMITTED = date(2026, 12, 6)
SHOWN = ("G14", "G26", "G27", "G39", "G05")
"""Goals whose tasks the report shows (chosen for their word senses and terse wording, before the run)."""


def load_goals(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def staff(index: EmployeeIndex, requests: list[MatchRequest]) -> list[int]:
    """Each request's best-ranked person not already staffed on the goal (positions in the workforce)."""
    taken: set[int] = set()
    chosen = []
    for request in requests:
        ids, _ = index.rank_ids(request, top=20)
        pick = next((int(i) for i in ids if int(i) not in taken), None)
        if pick is not None:
            taken.add(pick)
            chosen.append(pick)
    return chosen


def keyword_requests(plan: GoalPlan) -> list[MatchRequest]:
    return [MatchRequest(request_id=t.task_id, responsibilities=[f"{t.title}. {t.description}"],
                         required_skills=t.skills) for t in plan.tasks]


def graph_requests(plan: GoalPlan) -> list[MatchRequest]:
    return [MatchRequest(request_id=t.task_id, responsibilities=[_task_text(t)], required_skills=t.skills,
                         occupations=t.occupations) for t in plan.tasks]


def _task_text(task: PlannedTask) -> str:
    activities = "; ".join(task.activities)
    return f"{task.title}. {task.description}" + (f" Work activities: {activities}." if activities else "")


def score(staffed: list[int], world: World, goal: dict[str, Any]) -> tuple[float, bool]:
    codes = [world.occupation_of[i] for i in staffed]
    fitting, core = set(goal["fitting_occupations"]), set(goal["core_occupations"])
    precision = sum(c in fitting for c in codes) / len(codes) if codes else 0.0
    return precision, any(c in core for c in codes)


def deadline_right(goal: dict[str, Any], weeks: int | None, assumed: bool) -> bool:
    if goal["deadline_kind"] == "explicit":
        return weeks is not None and abs(weeks - goal["deadline_weeks"]) <= 1
    return assumed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-occupation", type=int, default=3)
    parser.add_argument("--goals", type=Path, default=GOALS, help="labelled goals (JSON Lines)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    goals = load_goals(args.goals)
    world = World(args.seed, args.per_occupation)
    records = [EmployeeRecord.model_validate(e) for e in world.employees]
    index = EmployeeIndex.build(records)
    tfidf = TfIdfIndex([" ".join([*(j["title"] for j in e["work_history"]),
                                  *(r for j in e["work_history"] for r in j["responsibilities"]), *e["skills"]])
                        for e in world.employees])
    await plan_goal(goals[0]["text"], SUBMITTED)  # warm-up: loads the vectors once
    rows: list[dict[str, Any]] = []
    for goal in goals:
        row: dict[str, Any] = {"goal": goal}
        try:
            old = decompose_goal(goal["text"], SUBMITTED)
            row["old_plan"] = old
            row["old"] = score(staff(index, keyword_requests(old)), world, goal)
        except KeywordPlanningError as err:
            row["old_plan"], row["old"], row["old_error"] = None, (0.0, False), str(err)
        try:
            old_weeks: int | None = parse_deadline_weeks(goal["text"], SUBMITTED)
        except KeywordPlanningError:
            old_weeks = None
        row["old_deadline"] = deadline_right(goal, old_weeks, assumed=False)
        t0 = time.perf_counter()
        try:
            outcome = await plan_goal(goal["text"], SUBMITTED)
            row["latency"] = time.perf_counter() - t0
            new = outcome.plan
            row["new_plan"] = new
            row["new"] = score(staff(index, graph_requests(new)), world, goal)
            n_people = len(new.tasks)
        except PlanningError as err:
            row["latency"] = time.perf_counter() - t0
            row["new_plan"], row["new"], row["new_error"] = None, (0.0, False), str(err)
            n_people = 6
        try:
            reading = read_deadline(goal["text"], SUBMITTED)
            row["new_deadline"] = deadline_right(goal, reading.weeks, assumed=reading.assumption is not None)
        except ValueError:
            row["new_deadline"] = False
        hits = tfidf.search(goal["text"], top=n_people)
        row["tfidf"] = score([i for i, _ in hits], world, goal)
        rows.append(row)
    report(args, goals, rows, time.perf_counter() - started, len(world.employees))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def report(args: argparse.Namespace, goals: list[dict[str, Any]], rows: list[dict[str, Any]], total: float,
           people: int) -> None:
    latencies = sorted(r["latency"] for r in rows)
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    functions = Counter(g["function"] for g in goals)
    source = args.goals.resolve().relative_to(ROOT)
    lines = [
        "# Planning quality: keyword planner vs planning graph (bench/planning_eval.py)", "",
        f"Command: `.venv/bin/python bench/planning_eval.py --seed {args.seed} --per-occupation "
        f"{args.per_occupation}{' --goals ' + str(source) if args.goals.resolve() != GOALS else ''}"
        f"{' --out ' + str(args.out) if args.out else ''}`", "",
        f"Machine: {machine()}. Wall time {total:.0f} s.", "",
        f"Goals: {len(goals)} from `{source}`, "
        + ", ".join(f"{f} {n}" for f, n in sorted(functions.items())) + f". Workforce: {people:,} synthetic people "
        "(3 per O*NET occupation with at least 10 task statements, as in bench/match_eval.py).", "",
        "| | staffing precision | core hit | tasks per goal | deadline read right | goals refused |",
        "|---|---|---|---|---|---|",
    ]
    for label, key, plan_key, deadline_key in (("keyword planner (before)", "old", "old_plan", "old_deadline"),
                                               ("planning graph", "new", "new_plan", "new_deadline")):
        planned = [r for r in rows if r[plan_key] is not None]
        lines.append(
            f"| {label} | {_mean([r[key][0] for r in rows]):.0%} | {sum(r[key][1] for r in rows)}/{len(rows)} | "
            f"{_mean([len(r[plan_key].tasks) for r in planned]):.1f} | "
            f"{sum(r[deadline_key] for r in rows)}/{len(rows)} | {len(rows) - len(planned)} |")
    lines.append(f"| plain TF-IDF on the goal text | {_mean([r['tfidf'][0] for r in rows]):.0%} | "
                 f"{sum(r['tfidf'][1] for r in rows)}/{len(rows)} | – | – | – |")
    lines += ["", "Staffing precision counts refused goals as 0. Deadline: explicit deadlines read within one week "
              "of the label; vague or missing ones count when the plan states its assumption (the keyword planner "
              "never did).", "",
              f"Planning latency of the graph, offline, per goal: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
              "(after one warm-up goal that loads the vectors).", "",
              "## Per goal", "", "| goal | function | kind | keyword precision | graph precision | graph tasks |",
              "|---|---|---|---|---|---|"]
    for r in rows:
        g = r["goal"]
        tasks = len(r["new_plan"].tasks) if r["new_plan"] else f"refused: {r.get('new_error', '')}"
        lines.append(f"| {g['id']} | {g['function']} | {g['kind']} | {r['old'][0]:.0%} | {r['new'][0]:.0%} | {tasks} |")
    lines += ["", "## Five goals and their tasks", ""]
    for r in rows:
        g = r["goal"]
        if g["id"] not in SHOWN:
            continue
        lines += [f"### {g['id']}: {g['text']}", ""]
        if r["new_plan"] is None:
            lines += [f"Refused: {r.get('new_error')}", ""]
            continue
        plan: GoalPlan = r["new_plan"]
        lines += [f"Planning graph: {plan.summary}", ""]
        lines += [f"- {t.task_id} ({t.phase}, weeks {t.start_week}-{t.end_week}, {t.effort_hours} h): {t.title} — "
                  f"{', '.join(t.occupations)}" for t in plan.tasks]
        if r["old_plan"] is not None:
            lines += ["", "Keyword planner: " + "; ".join(t.title for t in r["old_plan"].tasks)]
        lines.append("")
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    np.seterr(all="ignore")
    asyncio.run(main())
