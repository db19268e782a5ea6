"""Bias audit of one staffing proposal, per NYC Local Law 144 definitions. Pure: no I/O.

Input: every candidate a staffing plan considered, whether they were selected (proposed), their
best score, and their sex and race/ethnicity. Protected attributes enter here only to be
aggregated; they are never matching inputs, and the result holds no person ids or per-person
attributes, only category counts and rates.

Definitions (6 RCNY §5-300, the rules implementing LL144), computed per category of sex, of
race/ethnicity, and of their intersection:

* **selection rate**: selected ÷ considered in the category;
* **scoring rate**: share of the category scoring *strictly above* the median score of the whole
  pool (everyone considered, unknown demographics included); ties at the median do not count;
* **impact ratio**: a category's selection rate ÷ the selection rate of the most selected
  category (and its scoring rate ÷ the highest scoring rate);
* categories with **under 2%** of the pool are reported (counts and rates) but left out of the
  impact ratios, including the choice of the reference category;
* people whose category is **unknown** are reported separately, as a count only.

A policy (:class:`BiasPolicy`) compares each impact ratio with a threshold (0.8 by default, the
EEOC four-fifths rule) and flags or blocks the plan. Staffing pools are small (a few dozen people
at most), so the result says when it cannot carry a conclusion:

* ``small_sample``: fewer than ``min_pool`` people were considered;
* a finding is ``fragile`` when one more person of the category being selected (or scoring above
  the median) would lift its ratio to the threshold: the EEOC "flip-flop" test. A ``block``
  policy blocks only on a finding that is not fragile; fragile findings are flagged instead.

Where fairlearn fits, and where it does not:
    ``fairlearn.metrics.MetricFrame`` with ``selection_rate`` computes the per-category rates
    (selection, and scoring as the selection rate of "scored above the median"). Its ratio helpers
    (``MetricFrame.ratio``, ``demographic_parity_ratio``) give one min/max number over all groups,
    while LL144 needs a ratio *per category* against the most selected category, with categories
    under 2% dropped from the comparison and unknowns kept apart; so counts, the 2% rule, the
    unknown handling, the ratios, the median and the small-sample checks are computed plainly here.
    fairlearn (with pandas and scikit-learn) takes over a second to import, so it is imported
    inside :func:`audit_candidates`: importing this module stays light, as ``policies`` must.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

BIAS_AUDIT_VERSION = "bias-audit/1"
"""Version of these rules, shown with every audit."""

Dimension = Literal["sex", "race_ethnicity", "intersection"]
"""What a category is a value of: sex, race/ethnicity, or their intersection."""
Measure = Literal["selection", "scoring"]
"""Which rate an impact ratio compares."""
Verdict = Literal["ok", "flag", "block"]
"""What the audit says about the plan."""

UNKNOWN = "unknown"
"""Category name of people whose attribute is missing or undisclosed."""
INTERSECTION_SEPARATOR = " × "
"""Joins the sex and race/ethnicity of an intersectional category, e.g. ``female × Asian``."""

DIMENSION_LABELS: dict[Dimension, str] = {
    "sex": "Sex",
    "race_ethnicity": "Race/ethnicity",
    "intersection": "Sex × race/ethnicity",
}
"""Human names of the dimensions."""

# Values that mean "not disclosed": they are reported as unknown, never as a category of their own.
_UNDISCLOSED = frozenset({"", "unknown", "not disclosed", "undisclosed", "prefer not to say", "declined",
                          "decline to state", "declined to state", "not specified", "n/a", "none"})


@dataclass(frozen=True, kw_only=True)
class ConsideredCandidate:
    """One person a staffing plan considered, as the audit sees them."""

    person_id: str
    """Who (only used to check that nobody is counted twice; never in the result)."""
    selected: bool
    """Whether the plan proposed them (for any task)."""
    score: float
    """Their best score across the tasks they were considered for."""
    sex: str | None
    """Sex as recorded; None or an undisclosed value means unknown."""
    race_ethnicity: str | None
    """Race/ethnicity as recorded; None or an undisclosed value means unknown."""


@dataclass(frozen=True, kw_only=True)
class BiasPolicy:
    """How an audit judges a plan (admin-editable)."""

    threshold: float = 0.8
    """Impact ratios below this are findings (0.8: the four-fifths rule)."""
    action: Literal["flag", "block"] = "flag"
    """What a robust finding does to the plan: flag it for the reviewer, or block it."""
    exclusion_share: float = 0.02
    """Categories with a smaller share of the pool are reported but left out of impact ratios (LL144: 2%)."""
    min_pool: int = 30
    """Fewer people considered than this and the result says the sample is too small to conclude."""
    measures: tuple[Measure, ...] = ("selection", "scoring")
    """Which impact ratios are compared with the threshold."""

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        if self.action not in ("flag", "block"):
            raise ValueError("action must be flag or block")
        if not 0.0 <= self.exclusion_share < 1.0:
            raise ValueError("exclusion_share must be in [0, 1)")
        if self.min_pool < 0:
            raise ValueError("min_pool must not be negative")
        if not self.measures or not set(self.measures) <= {"selection", "scoring"}:
            raise ValueError("measures must be a non-empty subset of selection, scoring")


DEFAULT_POLICY = BiasPolicy()
"""Flag (never block) plans with an impact ratio under 0.8."""


@dataclass(frozen=True, kw_only=True)
class CategoryResult:
    """Counts, rates and impact ratios of one category."""

    category: str
    """Category name, e.g. ``female``, ``Asian`` or ``female × Asian``."""
    considered: int
    """People of the category considered."""
    selected: int
    """Of them, people selected."""
    selection_rate: float
    """selected ÷ considered."""
    scored_above_median: int
    """Of them, people scoring strictly above the pool's median score."""
    scoring_rate: float
    """scored_above_median ÷ considered."""
    excluded: bool
    """Under the exclusion share of the pool: reported, but not in the impact ratios."""
    selection_impact_ratio: float | None
    """selection_rate ÷ the most selected category's; None when excluded or nobody was selected."""
    scoring_impact_ratio: float | None
    """scoring_rate ÷ the highest scoring category's; None when excluded or nobody scored above the median."""


@dataclass(frozen=True, kw_only=True)
class DimensionResult:
    """The audit along one dimension (sex, race/ethnicity, or their intersection)."""

    dimension: Dimension
    """Which dimension."""
    label: str
    """Its human name."""
    categories: tuple[CategoryResult, ...]
    """Known categories, largest first."""
    unknown: int
    """People considered whose category is unknown (count only, per LL144)."""
    most_selected: str | None
    """Reference category of the selection impact ratios; None when there is none."""
    highest_scoring: str | None
    """Reference category of the scoring impact ratios; None when there is none."""


@dataclass(frozen=True, kw_only=True)
class Finding:
    """A category whose impact ratio falls below the policy's threshold."""

    dimension: Dimension
    """Dimension of the category."""
    category: str
    """The category."""
    measure: Measure
    """Which impact ratio."""
    impact_ratio: float
    """Its value."""
    fragile: bool
    """One more person of the category selected (or above the median) would lift it to the threshold."""


@dataclass(frozen=True, kw_only=True)
class BiasAudit:
    """The bias audit of one staffing plan: aggregated numbers only, no person ids."""

    version: str
    """Version of the audit rules."""
    pool_size: int
    """Distinct people considered."""
    selected: int
    """Of them, people selected."""
    median_score: float | None
    """Median best score of the pool; None for an empty pool."""
    threshold: float
    """Impact-ratio threshold applied."""
    exclusion_share: float
    """Share of the pool under which a category is left out of the impact ratios."""
    policy_action: Literal["flag", "block"]
    """What the policy does with a robust finding."""
    dimensions: tuple[DimensionResult, ...]
    """Sex, race/ethnicity and their intersection, in that order."""
    findings: tuple[Finding, ...]
    """Categories below the threshold, worst ratio first."""
    small_sample: bool
    """Too few people were considered to draw a conclusion from the ratios."""
    caveats: tuple[str, ...]
    """Why the numbers may not carry a conclusion (small pool, fragile findings, undefined ratios)."""
    verdict: Verdict
    """ok, flag or block."""
    verdict_reason: str
    """One sentence on why."""


def category_of(value: str | None) -> str:
    """The audit category of a recorded attribute value: the value itself, or :data:`UNKNOWN`."""
    if value is None or value.strip().lower() in _UNDISCLOSED:
        return UNKNOWN
    return value.strip()


def _categories(candidate: ConsideredCandidate) -> dict[Dimension, str]:
    sex, race = category_of(candidate.sex), category_of(candidate.race_ethnicity)
    both = UNKNOWN if UNKNOWN in (sex, race) else f"{sex}{INTERSECTION_SEPARATOR}{race}"
    return {"sex": sex, "race_ethnicity": race, "intersection": both}


def _rates_by_category(categories: list[str], outcomes: list[int]) -> dict[str, float]:
    """Per-category share of positive outcomes, via fairlearn's MetricFrame."""
    # Imported here: fairlearn pulls in pandas and scikit-learn (> 1 s), too heavy for importing policies.
    from fairlearn.metrics import MetricFrame, selection_rate

    frame = MetricFrame(metrics=selection_rate, y_true=outcomes, y_pred=outcomes,
                        sensitive_features={"category": categories})
    return {str(k): float(v) for k, v in frame.by_group.to_dict().items()}


def _below(ratio: float, threshold: float) -> bool:
    # Rates are floats (1/3 ÷ 5/12 comes out as 0.7999…): a value at the threshold is not below it.
    return ratio < threshold and not math.isclose(ratio, threshold, rel_tol=1e-9, abs_tol=1e-12)


def _ratios(rates: dict[str, float], included: set[str]) -> tuple[str | None, dict[str, float]]:
    """Reference category and impact ratios of the included categories; none when every rate is 0."""
    if not included:
        return None, {}
    reference = max(sorted(included), key=lambda c: rates[c])  # sorted: a tie picks the same name every time
    top = rates[reference]
    if top <= 0.0:
        return None, {}
    return reference, {c: rates[c] / top for c in included}


def _audit_dimension(dimension: Dimension, people: list[tuple[str, bool, bool]],
                     pool_size: int, policy: BiasPolicy) -> DimensionResult:
    """``people``: (category, selected, scored above the median) of everyone considered."""
    known = [p for p in people if p[0] != UNKNOWN]
    counts: dict[str, list[int]] = {}
    for category, selected, above in known:
        c = counts.setdefault(category, [0, 0, 0])
        c[0] += 1
        c[1] += selected
        c[2] += above
    names = [p[0] for p in known]
    selection = _rates_by_category(names, [int(p[1]) for p in known]) if known else {}
    scoring = _rates_by_category(names, [int(p[2]) for p in known]) if known else {}
    # The 2% rule is against the whole pool (the data the audit uses), unknowns included.
    excluded = {c for c, (n, _, _) in counts.items() if _below(n / pool_size, policy.exclusion_share)}
    included = set(counts) - excluded
    most_selected, selection_ratios = _ratios(selection, included)
    highest_scoring, scoring_ratios = _ratios(scoring, included)
    results = tuple(
        CategoryResult(category=c, considered=n, selected=s, selection_rate=selection[c], scored_above_median=a,
                       scoring_rate=scoring[c], excluded=c in excluded,
                       selection_impact_ratio=selection_ratios.get(c), scoring_impact_ratio=scoring_ratios.get(c))
        for c, (n, s, a) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))
    )
    return DimensionResult(dimension=dimension, label=DIMENSION_LABELS[dimension], categories=results,
                           unknown=len(people) - len(known), most_selected=most_selected,
                           highest_scoring=highest_scoring)


def _hits(category: CategoryResult, measure: Measure) -> int:
    return category.selected if measure == "selection" else category.scored_above_median


def _rate(category: CategoryResult, measure: Measure) -> float:
    return category.selection_rate if measure == "selection" else category.scoring_rate


def _ratio(category: CategoryResult, measure: Measure) -> float | None:
    return category.selection_impact_ratio if measure == "selection" else category.scoring_impact_ratio


def _one_more_clears(category: CategoryResult, measure: Measure, reference_rate: float, threshold: float) -> bool:
    """EEOC flip-flop test: would one more selected (or above-median) person lift the ratio to the threshold?"""
    hits = _hits(category, measure)
    if hits >= category.considered:
        return False
    rate = (hits + 1) / category.considered
    return not _below(rate / max(reference_rate, rate), threshold)


def _findings(dimensions: Sequence[DimensionResult], policy: BiasPolicy) -> list[Finding]:
    found: list[Finding] = []
    for d in dimensions:
        by_name = {c.category: c for c in d.categories}
        for measure in policy.measures:
            reference = d.most_selected if measure == "selection" else d.highest_scoring
            if reference is None:
                continue
            for c in d.categories:
                ratio = _ratio(c, measure)
                if ratio is not None and _below(ratio, policy.threshold):
                    fragile = _one_more_clears(c, measure, _rate(by_name[reference], measure), policy.threshold)
                    found.append(Finding(dimension=d.dimension, category=c.category, measure=measure,
                                         impact_ratio=ratio, fragile=fragile))
    order = list(DIMENSION_LABELS)
    return sorted(found, key=lambda f: (f.impact_ratio, order.index(f.dimension), f.category, f.measure))


def _caveats(pool_size: int, selected: int, dimensions: Sequence[DimensionResult], findings: Sequence[Finding],
             policy: BiasPolicy) -> list[str]:
    notes: list[str] = []
    if pool_size == 0:
        return ["Nobody was considered: there is nothing to audit."]
    if pool_size < policy.min_pool:
        notes.append(f"Only {pool_size} people were considered (fewer than {policy.min_pool}): impact ratios on a "
                     "pool this small move a lot with one person, so they cannot show or rule out adverse impact.")
    if selected == 0:
        notes.append("Nobody was selected: selection impact ratios are undefined.")
    if any(d.categories for d in dimensions) and all(d.highest_scoring is None for d in dimensions):
        notes.append("Nobody scored above the median (ties at the median do not count): scoring impact ratios "
                     "are undefined.")
    for d in dimensions:
        if not d.categories:
            notes.append(f"Nobody considered has a known {d.label.lower()}: no impact ratio for it.")
        if any(c.excluded for c in d.categories):
            notes.append(f"{d.label}: categories under {policy.exclusion_share:.0%} of the pool are reported but "
                         "excluded from the impact ratios.")
    fragile = [f for f in findings if f.fragile]
    if fragile:
        names = "; ".join(f"{f.category} ({f.measure})" for f in fragile)
        notes.append(f"{len(fragile)} of {len(findings)} finding(s) rest on a single person: one more of the category "
                     f"selected (or scoring above the median) would lift the ratio to {policy.threshold:g} or more: "
                     f"{names}.")
    return notes


def _verdict(pool_size: int, findings: Sequence[Finding], policy: BiasPolicy) -> tuple[Verdict, str]:
    if pool_size == 0:
        return "ok", "Nobody was considered, so there is nothing to compare."
    if not findings:
        return "ok", f"No category in the impact ratios is below {policy.threshold:g}."
    worst = findings[0]
    below = (f"{len(findings)} impact ratio(s) below {policy.threshold:g}, lowest {worst.impact_ratio:.2f} "
             f"({worst.category}, {worst.measure})")
    if policy.action == "flag":
        return "flag", f"{below}: flagged for the reviewer."
    if all(f.fragile for f in findings):
        return "flag", (f"{below}; the policy blocks below {policy.threshold:g}, but every finding rests on a "
                        "single person, so the plan is flagged for the reviewer instead.")
    return "block", f"{below}: the policy blocks plans below {policy.threshold:g}."


def audit_candidates(candidates: Sequence[ConsideredCandidate], *, policy: BiasPolicy = DEFAULT_POLICY) -> BiasAudit:
    """Audit the candidates one staffing plan considered.

    Args:
        candidates: Everyone considered, each person once.
        policy: Threshold, action and small-sample settings.

    Returns:
        Counts, rates and impact ratios per category of sex, race/ethnicity and their intersection,
        the findings below the threshold, the caveats, and the verdict.

    Raises:
        ValueError: A person appears twice, or a score is not a finite number.
    """
    ids = [c.person_id for c in candidates]
    if len(set(ids)) != len(ids):
        raise ValueError("each person must be considered once (merge their tasks first)")
    if not all(math.isfinite(c.score) for c in candidates):
        raise ValueError("scores must be finite numbers")
    median = statistics.median(c.score for c in candidates) if candidates else None
    rows = [(_categories(c), c.selected, median is not None and c.score > median) for c in candidates]
    dims: tuple[Dimension, ...] = ("sex", "race_ethnicity", "intersection")
    dimensions = tuple(_audit_dimension(d, [(cats[d], sel, above) for cats, sel, above in rows], len(candidates),
                                        policy) for d in dims)
    selected = sum(c.selected for c in candidates)
    findings = _findings(dimensions, policy)
    verdict, reason = _verdict(len(candidates), findings, policy)
    return BiasAudit(
        version=BIAS_AUDIT_VERSION, pool_size=len(candidates), selected=selected,
        median_score=float(median) if median is not None else None, threshold=policy.threshold,
        exclusion_share=policy.exclusion_share, policy_action=policy.action, dimensions=dimensions,
        findings=tuple(findings), small_sample=len(candidates) < policy.min_pool,
        caveats=tuple(_caveats(len(candidates), selected, dimensions, findings, policy)),
        verdict=verdict, verdict_reason=reason,
    )
