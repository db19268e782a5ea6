"""Seeded simulation of the trust ramp against naive promote/demote rules.

Simulated agents with known true error rates act ``--actions`` times per trial; each action is
reviewed when a uniform draw falls under the rule's current review share (as ``route_review``
does for a non-forced action), and only reviewed actions reveal whether they were errors. Every
rule sees the same error and draw sequences in a trial (common random numbers), so differences
come from the rules alone.

Rules compared (all on the ladder 100% → 50% → 10%, max error rate 2%, min samples 100, counts
restarting at every level change, demotion straight back to 100%):

* ``ramp (Clopper-Pearson)``: ``policies.trust_ramp`` with its defaults (exact one-sided 95% bound,
  repeated Wald SPRT between 1% and 4% for bursts).
* ``ramp (Wilson)``: the same with the Wilson score bound.
* ``ramp (Clopper-Pearson, 99%)``: the same with a 99% bound (fewer wrong promotions, slower).
* ``naive: accumulated``: after ``min_samples`` sampled reviews at a level, promote when the raw
  error rate of all of them is under 2%, demote when it is above.
* ``naive: last 100``: the same over the last 100 sampled reviews at the level.

Run from the repository root::

    .venv/bin/python bench/trust_ramp_sim.py --out bench/results/trust_ramp_sim.md
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policies.trust_ramp import (
    RampEventKind,
    RampPolicy,
    RampState,
    effective_share,
    record_review,
)

MAX_ERROR_RATE = 0.02
MIN_SAMPLES = 100
LEVELS = (1.0, 0.5, 0.1)


@dataclass(frozen=True)
class Scenario:
    """A simulated agent: its true error rate before and after ``drift_at`` (a share of the run)."""

    key: str
    label: str
    rate_before: float
    rate_after: float
    drift_at: float | None = None


SCENARIOS = (
    Scenario("good", "true error rate 0.5% (well under the 2% threshold)", 0.005, 0.005),
    Scenario("edge", "true error rate 2% (at the threshold: should mostly stay at 100%)", 0.02, 0.02),
    Scenario("bad", "true error rate 8% (4× the threshold: must never ramp down)", 0.08, 0.08),
    Scenario("drift", "drift: 0.5% for the first half, then 8%", 0.005, 0.08, 0.5),
)


class Rule:
    """A promote/demote rule: exposes the current review share and takes sampled outcomes."""

    name = ""
    index = 0

    def share(self) -> float:
        """Current share of actions to review."""
        raise NotImplementedError

    def record(self, error: bool) -> None:
        """Take one sampled review outcome."""
        raise NotImplementedError


class Ramp(Rule):
    """``policies.trust_ramp``, exactly as the product calls it."""

    def __init__(self, name: str, policy: RampPolicy) -> None:
        self.name, self.policy, self.state = name, policy, RampState()
        self._share = effective_share(policy, self.state, False)

    def share(self) -> float:
        return self._share

    def record(self, error: bool) -> None:
        self.state, event = record_review(self.policy, self.state, error=error, sampled=True)
        if event.kind in (RampEventKind.PROMOTED, RampEventKind.DEMOTED):
            self._share = effective_share(self.policy, self.state, False)
        self.index = self.state.level


class Naive(Rule):
    """Raw observed error rate against the threshold, after ``MIN_SAMPLES``; no confidence bound."""

    def __init__(self, name: str, window: int | None) -> None:
        self.name, self.window = name, window
        self.outcomes: deque[bool] = deque(maxlen=window)
        self.n = self.k = 0

    def share(self) -> float:
        return LEVELS[self.index]

    def record(self, error: bool) -> None:
        if self.window is None:
            self.n += 1
            self.k += error
        else:
            if len(self.outcomes) == self.window:
                self.k -= self.outcomes[0]
            self.outcomes.append(error)
            self.k += error
            self.n = len(self.outcomes)
        if self.n < MIN_SAMPLES:
            return
        rate = self.k / self.n
        if rate < MAX_ERROR_RATE and self.index < len(LEVELS) - 1:
            self.index += 1
        elif rate > MAX_ERROR_RATE and self.index > 0:
            self.index = 0
        else:
            return
        self.outcomes.clear()
        self.n = self.k = 0


RULES: tuple[tuple[str, Callable[[], Rule]], ...] = (
    ("ramp (Clopper-Pearson)", lambda: Ramp("ramp (Clopper-Pearson)", RampPolicy(action_type="sim"))),
    ("ramp (Wilson)", lambda: Ramp("ramp (Wilson)", RampPolicy(action_type="sim", method="wilson"))),
    ("ramp (Clopper-Pearson, 99%)",
     lambda: Ramp("ramp (Clopper-Pearson, 99%)", RampPolicy(action_type="sim", confidence=0.99))),
    ("naive: accumulated", lambda: Naive("naive: accumulated", None)),
    ("naive: last 100", lambda: Naive("naive: last 100", 100)),
)


@dataclass
class Trial:
    """What one rule did in one trial."""

    first_promotion: int | None = None
    first_floor: int | None = None
    level_at_drift: int | None = None
    demote_after_drift: int | None = None
    demotions: int = 0
    reviewed: int = 0
    errors: int = 0
    unreviewed_errors: int = 0
    errors_after_drift: int = 0
    unreviewed_after_drift: int = 0
    final_level: int = 0


def run_trial(make_rule: Callable[[], Rule], errors: Sequence[bool],
              draws: Sequence[float], drift_index: int | None) -> Trial:
    """Run one rule over one trial's error and draw sequences."""
    rule, out = make_rule(), Trial()
    share = rule.share()
    floor_index = len(LEVELS) - 1
    for t, (error, draw) in enumerate(zip(errors, draws, strict=True)):
        if t == drift_index:
            out.level_at_drift = rule.index
        after_drift = drift_index is not None and t >= drift_index
        if error:
            out.errors += 1
            out.errors_after_drift += after_drift
        if draw >= share:
            if error:
                out.unreviewed_errors += 1
                out.unreviewed_after_drift += after_drift
            continue
        out.reviewed += 1
        before = rule.index
        rule.record(error)
        if rule.index == before:
            continue
        share = rule.share()
        if rule.index > before:
            if out.first_promotion is None:
                out.first_promotion = t + 1
            if rule.index == floor_index and out.first_floor is None:
                out.first_floor = t + 1
        elif rule.index == 0:
            out.demotions += 1
            if after_drift and out.demote_after_drift is None and drift_index is not None:
                out.demote_after_drift = t + 1 - drift_index
    out.final_level = rule.index
    return out


def run_chunk(args: tuple[int, int, int, int, int]) -> list[tuple[int, int, int, Trial]]:
    """Run trials ``[start, stop)`` of one scenario for every rule (one process's share of work)."""
    scenario_no, start, stop, actions, seed = args
    scenario = SCENARIOS[scenario_no]
    drift_index = None if scenario.drift_at is None else int(actions * scenario.drift_at)
    results = []
    for trial in range(start, stop):
        rng = random.Random(f"{seed}:{scenario.key}:{trial}")
        rates = [scenario.rate_before if drift_index is None or t < drift_index else scenario.rate_after
                 for t in range(actions)]
        errors = [rng.random() < rate for rate in rates]
        draws = [rng.random() for _ in range(actions)]
        for rule_no, (_, make_rule) in enumerate(RULES):
            results.append((scenario_no, rule_no, trial, run_trial(make_rule, errors, draws, drift_index)))
    return results


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile; ``inf`` stands for "never within the run"."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def fmt_time(value: float) -> str:
    """Actions, or ``never`` past the end of the run."""
    return "never" if math.isinf(value) else f"{value:,.0f}"


def pct(part: float, whole: float) -> str:
    """Percentage with one decimal, or ``–`` when undefined."""
    return "–" if whole == 0 else f"{100 * part / whole:.1f}%"


@dataclass
class Summary:
    """Aggregates of one rule in one scenario."""

    trials: list[Trial] = field(default_factory=list)

    def times(self, attr: str) -> list[float]:
        """Per-trial times with ``inf`` for never."""
        return [math.inf if getattr(t, attr) is None else float(getattr(t, attr)) for t in self.trials]

    def share_of(self, predicate: Callable[[Trial], bool]) -> float:
        """Share of trials satisfying ``predicate``."""
        return sum(predicate(t) for t in self.trials) / len(self.trials)

    def unreviewed_share(self, after_drift: bool = False) -> float:
        """Pooled share of errors that went out without review."""
        if after_drift:
            return sum(t.unreviewed_after_drift for t in self.trials) / max(1, sum(t.errors_after_drift
                                                                                    for t in self.trials))
        return sum(t.unreviewed_errors for t in self.trials) / max(1, sum(t.errors for t in self.trials))


def render(summaries: dict[tuple[int, int], Summary], args: argparse.Namespace, seconds: float) -> str:
    """The results page."""
    actions = args.actions
    lines = [
        "# Trust ramp simulation",
        "",
        "Generated by `bench/trust_ramp_sim.py` (seeded, deterministic apart from the run time). Command, "
        "from the repository root:",
        "",
        "```",
        f".venv/bin/python bench/trust_ramp_sim.py {' '.join(sys.argv[1:])}",
        "```",
        "",
        f"* {args.trials} trials per scenario × {actions:,} actions each, seed {args.seed}; every rule sees the "
        "same error and sampling draws within a trial (common random numbers).",
        f"* Ladder {' → '.join(f'{level:.0%}' for level in LEVELS)}, max error rate {MAX_ERROR_RATE:.0%}, "
        f"min samples {MIN_SAMPLES}, counts restart at every level change, demotion goes straight to 100%.",
        "* Ramp: `policies.trust_ramp` defaults — promote when the one-sided 95% upper bound of the error "
        "rate over the sampled reviews at the level is under 2%; demote at once when a repeated Wald SPRT "
        "(p0 = 1%, p1 = 4%, α = 0.05, β = 0.10) crosses its upper boundary.",
        "* Naive: promote when the raw error rate (all sampled reviews at the level, or the last 100) is under "
        "2% after 100 samples; demote when it is above.",
        f"* Wall time {seconds:.1f} s with {args.workers} worker processes; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs.",
        "",
        "Times are in actions (not reviews), median / 90th percentile over trials; `never` means the event "
        "had not happened by the end of the run in at least that share of trials. \"Errors out unreviewed\" "
        "pools every trial: errors that were never reviewed ÷ all errors the agent made.",
        "",
    ]
    for scenario_no, scenario in enumerate(SCENARIOS):
        lines += [f"## {scenario.label}", ""]
        if scenario.drift_at is None:
            lines += [
                "| rule | ever promoted | first promotion (median / p90) | reached 10% | first 10% (median / p90) "
                "| demotions per trial | actions reviewed | errors out unreviewed | final level 100% / 50% / 10% |",
                "|---|---|---|---|---|---|---|---|---|",
            ]
        else:
            lines += [
                "| rule | below 100% at drift | demoted after drift | time to demote after drift (median / p90) "
                "| errors out unreviewed after drift | errors out unreviewed (whole run) | actions reviewed "
                "| final level 100% / 50% / 10% |",
                "|---|---|---|---|---|---|---|---|",
            ]
        for rule_no, (rule_name, _) in enumerate(RULES):
            s = summaries[(scenario_no, rule_no)]
            reviewed = sum(t.reviewed for t in s.trials) / (len(s.trials) * actions)
            final = " / ".join(pct(sum(t.final_level == i for t in s.trials), len(s.trials))
                               for i in range(len(LEVELS)))
            if scenario.drift_at is None:
                first, floor = s.times("first_promotion"), s.times("first_floor")
                lines.append(
                    f"| {rule_name} | {pct(s.share_of(lambda t: t.first_promotion is not None), 1)} "
                    f"| {fmt_time(quantile(first, 0.5))} / {fmt_time(quantile(first, 0.9))} "
                    f"| {pct(s.share_of(lambda t: t.first_floor is not None), 1)} "
                    f"| {fmt_time(quantile(floor, 0.5))} / {fmt_time(quantile(floor, 0.9))} "
                    f"| {sum(t.demotions for t in s.trials) / len(s.trials):.2f} | {reviewed:.1%} "
                    f"| {s.unreviewed_share():.1%} | {final} |")
            else:
                exposed = Summary([t for t in s.trials if t.level_at_drift])
                demote = exposed.times("demote_after_drift") if exposed.trials else [math.inf]
                lines.append(
                    f"| {rule_name} | {pct(len(exposed.trials), len(s.trials))} "
                    f"| {pct(sum(t.demote_after_drift is not None for t in exposed.trials), len(exposed.trials))} "
                    f"| {fmt_time(quantile(demote, 0.5))} / {fmt_time(quantile(demote, 0.9))} "
                    f"| {s.unreviewed_share(after_drift=True):.1%} | {s.unreviewed_share():.1%} "
                    f"| {reviewed:.1%} | {final} |")
        lines.append("")
    lines += interpretation(summaries)
    return "\n".join(lines)


def interpretation(summaries: dict[tuple[int, int], Summary]) -> list[str]:
    """Short reading of the figures, computed from them so it stays true on a rerun."""
    ramp, wilson, strict, acc, last = range(len(RULES))
    good, edge, bad, drift = range(len(SCENARIOS))

    def median(scenario: int, rule: int, attr: str) -> str:
        return fmt_time(quantile(summaries[(scenario, rule)].times(attr), 0.5))

    def ever(scenario: int, rule: int) -> str:
        return pct(summaries[(scenario, rule)].share_of(lambda t: t.first_promotion is not None), 1)

    def floor(scenario: int, rule: int) -> str:
        return pct(summaries[(scenario, rule)].share_of(lambda t: t.final_level == len(LEVELS) - 1), 1)

    def unreviewed(scenario: int, rule: int) -> str:
        return f"{summaries[(scenario, rule)].unreviewed_share():.1%}"

    def demote_after(rule: int) -> str:
        exposed = [t for t in summaries[(drift, rule)].trials if t.level_at_drift]
        times = [math.inf if t.demote_after_drift is None else float(t.demote_after_drift) for t in exposed]
        return fmt_time(quantile(times, 0.5)) if times else "–"

    return [
        "## Reading",
        "",
        f"* **Cost of the bound.** The good agent (0.5%) reaches its first promotion after a median of "
        f"{median(good, ramp, 'first_promotion')} actions with the ramp (≥ 149 clean sampled reviews are needed "
        f"for a 95% Clopper–Pearson bound under 2%; Wilson: {median(good, wilson, 'first_promotion')}) against "
        f"{median(good, acc, 'first_promotion')} for the naive rules, and 10% review after "
        f"{median(good, ramp, 'first_floor')} vs {median(good, acc, 'first_floor')}. Over the run the good agent "
        f"ends at 10% in {floor(good, ramp)} of trials with the ramp.",
        f"* **What the bound buys.** The agent exactly at the threshold (2%) is promoted at least once in "
        f"{ever(edge, ramp)} of trials with the ramp (bound re-checked after every review, so more than 5%; the "
        f"SPRT sends it back) against {ever(edge, acc)} (accumulated) and {ever(edge, last)} (last 100) for "
        f"the naive rules, and {unreviewed(edge, ramp)} of its errors go out unreviewed vs {unreviewed(edge, acc)} "
        f"/ {unreviewed(edge, last)}. The 8% agent: promoted in {ever(bad, ramp)} of trials with the ramp, "
        f"{ever(bad, acc)} / {ever(bad, last)} naive.",
        f"* **Repeated looks.** Re-checking a 95% bound after every review is a sequential test, so the 2% "
        f"agent gets through more often than 5%. A 99% bound cuts that to {ever(edge, strict)} at the price "
        f"of a later first promotion for the good agent ({median(good, strict, 'first_promotion')} actions, "
        f"10% after {median(good, strict, 'first_floor')}).",
        f"* **Drift.** After the agent degrades from 0.5% to 8%, the ramp's SPRT returns it to 100% review after "
        f"a median of {demote_after(ramp)} actions, against {demote_after(acc)} (accumulated rate, diluted by the "
        f"clean history at the level) and {demote_after(last)} (last 100) for the naive rules; the last-100 "
        f"rule is quicker here only because it reacts to any 100-review window, the same trait that let "
        f"{ever(bad, last)} of the 8% agents ramp down.",
        "* Unreviewed errors are the price of sampling at all: at 10% review, 90% of a good agent's errors "
        "go out unreviewed by construction (`unreviewed_error_share(0.1, 0.005)` = 0.45% of actions). The "
        "ramp is for low-stakes actions; people decisions stay at 100%.",
        "",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulation and write the results page."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, default=300, help="trials per scenario")
    parser.add_argument("--actions", type=int, default=5000, help="actions per trial")
    parser.add_argument("--seed", type=int, default=20261103)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--out", type=Path, default=None, help="markdown file to write (default: stdout)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    chunk = max(1, args.trials // (4 * args.workers))
    jobs = [(scenario_no, start, min(start + chunk, args.trials), args.actions, args.seed)
            for scenario_no in range(len(SCENARIOS)) for start in range(0, args.trials, chunk)]
    summaries = {(s, r): Summary() for s in range(len(SCENARIOS)) for r in range(len(RULES))}
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for results in pool.map(run_chunk, jobs):
            for scenario_no, rule_no, _, trial in results:  # map keeps job order: deterministic
                summaries[(scenario_no, rule_no)].trials.append(trial)
    page = render(summaries, args, time.perf_counter() - started)
    if args.out is None:
        print(page)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(page + "\n", encoding="utf-8")
        print(f"wrote {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
