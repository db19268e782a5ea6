"""Bias audit per NYC LL144: hand-computed pools with known rates, impact ratios, exclusions and verdicts."""

from __future__ import annotations

import dataclasses
from importlib import resources
from itertools import count

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape

from policies.bias_audit import (
    UNKNOWN,
    BiasAudit,
    BiasPolicy,
    CategoryResult,
    ConsideredCandidate,
    DimensionResult,
    audit_candidates,
    category_of,
)

HIGH, LOW = 0.9, 0.1
"""Scores of people above / not above the median (fewer than half score HIGH, so the median is LOW)."""

Group = tuple[str | None, str | None, int, int, int]
"""(sex, race/ethnicity, considered, selected, scoring HIGH)."""


def pool(groups: list[Group]) -> list[ConsideredCandidate]:
    """People with the given counts per group; within a group the selected and the HIGH scorers come first."""
    ids = count()
    people = []
    for sex, race, n, selected, high in groups:
        for i in range(n):
            people.append(ConsideredCandidate(person_id=f"P{next(ids)}", selected=i < selected,
                                              score=HIGH if i < high else LOW, sex=sex, race_ethnicity=race))
    return people


def dim(audit: BiasAudit, dimension: str) -> DimensionResult:
    return next(d for d in audit.dimensions if d.dimension == dimension)


def cat(audit: BiasAudit, dimension: str, category: str) -> CategoryResult:
    return next(c for c in dim(audit, dimension).categories if c.category == category)


# A pool of 100. Hand-computed:
#   sex      male   60 considered, 30 selected (0.500), 25 above median (0.41667)
#            female 40 considered, 12 selected (0.300), 15 above median (0.375)
#   race     White  65: 30 selected (0.461538), 25 above (0.384615)
#            Asian  34: 12 selected (0.352941), 15 above (0.441176)
#            Black or African American 1: 1% of the pool → reported, excluded
#   median score 0.1 (40 of 100 score 0.9), so "above the median" = the 0.9 scorers
POOL_100: list[Group] = [
    ("male", "White", 40, 20, 15),
    ("male", "Asian", 20, 10, 10),
    ("female", "White", 25, 10, 10),
    ("female", "Asian", 14, 2, 5),
    ("female", "Black or African American", 1, 0, 0),
]

# (dimension, category, considered, selected, selection rate, scoring rate, selection IR, scoring IR, excluded)
EXPECTED_100 = [
    ("sex", "male", 60, 30, 0.5, 25 / 60, 1.0, 1.0, False),
    ("sex", "female", 40, 12, 0.3, 0.375, 0.6, 0.375 / (25 / 60), False),
    ("race_ethnicity", "White", 65, 30, 30 / 65, 25 / 65, 1.0, (25 / 65) / (15 / 34), False),
    ("race_ethnicity", "Asian", 34, 12, 12 / 34, 15 / 34, (12 / 34) / (30 / 65), 1.0, False),
    ("race_ethnicity", "Black or African American", 1, 0, 0.0, 0.0, None, None, True),
    # intersections: male × Asian and male × White tie at 0.5; the first by name is the reference
    ("intersection", "male × White", 40, 20, 0.5, 0.375, 1.0, 0.75, False),
    ("intersection", "male × Asian", 20, 10, 0.5, 0.5, 1.0, 1.0, False),
    ("intersection", "female × White", 25, 10, 0.4, 0.4, 0.8, 0.8, False),
    ("intersection", "female × Asian", 14, 2, 2 / 14, 5 / 14, (2 / 14) / 0.5, (5 / 14) / 0.5, False),
    ("intersection", "female × Black or African American", 1, 0, 0.0, 0.0, None, None, True),
]


@pytest.mark.parametrize(("dimension", "category", "considered", "selected", "sel_rate", "score_rate", "sel_ir",
                          "score_ir", "excluded"), EXPECTED_100)
def test_known_pool_of_100(dimension: str, category: str, considered: int, selected: int, sel_rate: float,
                           score_rate: float, sel_ir: float | None, score_ir: float | None, excluded: bool) -> None:
    c = cat(audit_candidates(pool(POOL_100)), dimension, category)
    assert (c.considered, c.selected, c.excluded) == (considered, selected, excluded)
    assert c.selection_rate == pytest.approx(sel_rate)
    assert c.scoring_rate == pytest.approx(score_rate)
    assert c.selection_impact_ratio == (None if sel_ir is None else pytest.approx(sel_ir))
    assert c.scoring_impact_ratio == (None if score_ir is None else pytest.approx(score_ir))


def test_known_pool_of_100_summary_findings_and_verdict() -> None:
    audit = audit_candidates(pool(POOL_100))
    assert (audit.pool_size, audit.selected, audit.median_score) == (100, 42, LOW)
    assert not audit.small_sample
    assert [(d.most_selected, d.highest_scoring) for d in audit.dimensions] == [
        ("male", "male"), ("White", "Asian"), ("male × Asian", "male × Asian")]
    assert all(d.unknown == 0 for d in audit.dimensions)
    # female × White sits exactly at 0.8 on both measures: not below the threshold
    found = {(f.dimension, f.category, f.measure): (round(f.impact_ratio, 4), f.fragile) for f in audit.findings}
    assert found == {
        ("intersection", "female × Asian", "selection"): (0.2857, False),  # 3/14 ÷ 0.5 = 0.43: still below
        ("sex", "female", "selection"): (0.6, False),  # 13/40 ÷ 0.5 = 0.65
        ("intersection", "female × Asian", "scoring"): (0.7143, True),  # 6/14 ÷ 0.5 = 0.857
        ("intersection", "male × White", "scoring"): (0.75, True),  # 16/40 ÷ 0.5 = 0.8
        ("race_ethnicity", "Asian", "selection"): (0.7647, True),  # 13/34 ÷ 30/65 = 0.828
    }
    assert [f.impact_ratio for f in audit.findings] == sorted(f.impact_ratio for f in audit.findings)
    assert audit.verdict == "flag"
    assert audit_candidates(pool(POOL_100), policy=BiasPolicy(action="block")).verdict == "block"
    assert any("excluded" in c for c in audit.caveats)


def test_a_category_under_two_percent_never_becomes_the_reference() -> None:
    # The one Asian person was selected (rate 1.0): were they included, every White ratio would be 0.5.
    audit = audit_candidates(pool([("female", "White", 99, 50, 0), ("female", "Asian", 1, 1, 0)]))
    asian = cat(audit, "race_ethnicity", "Asian")
    assert (asian.considered, asian.selected, asian.selection_rate, asian.excluded) == (1, 1, 1.0, True)
    assert asian.selection_impact_ratio is None
    assert dim(audit, "race_ethnicity").most_selected == "White"
    assert cat(audit, "race_ethnicity", "White").selection_impact_ratio == 1.0
    assert audit.findings == () and audit.verdict == "ok"


def test_exactly_two_percent_is_included() -> None:
    audit = audit_candidates(pool([("male", "White", 98, 49, 0), ("male", "Asian", 2, 0, 0)]))
    asian = cat(audit, "race_ethnicity", "Asian")
    assert not asian.excluded and asian.selection_impact_ratio == 0.0
    # 1 of 2 selected would match White's 49 of 98: the finding rests on one person
    assert [(f.category, f.fragile) for f in audit.findings] == [("Asian", True), ("male × Asian", True)]
    assert cat(audit_candidates(pool([("male", "White", 97, 49, 0), ("male", "Asian", 3, 0, 0)]), policy=BiasPolicy(
        exclusion_share=0.03)), "race_ethnicity", "Asian").excluded is False  # 0.03 × 100 is 3.0000000000000004


@pytest.mark.parametrize("undisclosed", [None, "", "  ", "Unknown", "prefer not to say", "Declined"])
def test_all_unknown_is_reported_as_a_count_only(undisclosed: str | None) -> None:
    audit = audit_candidates(pool([(undisclosed, undisclosed, 10, 3, 2)]))
    assert [(d.dimension, d.categories, d.unknown) for d in audit.dimensions] == [
        ("sex", (), 10), ("race_ethnicity", (), 10), ("intersection", (), 10)]
    assert audit.findings == () and audit.verdict == "ok" and audit.small_sample
    assert any("known sex" in c for c in audit.caveats)


def test_an_unknown_attribute_makes_the_intersection_unknown() -> None:
    audit = audit_candidates(pool([("female", None, 3, 1, 1), (None, "Asian", 2, 1, 1), ("male", "Asian", 5, 2, 1)]))
    assert [d.unknown for d in audit.dimensions] == [2, 3, 5]
    assert [c.category for c in dim(audit, "intersection").categories] == ["male × Asian"]
    assert category_of("  female ") == "female" and category_of("N/A") == UNKNOWN


def test_nobody_selected_leaves_selection_ratios_undefined() -> None:
    audit = audit_candidates(pool([("male", "White", 10, 0, 4), ("female", "White", 10, 0, 2)]))
    sex = dim(audit, "sex")
    assert sex.most_selected is None and all(c.selection_impact_ratio is None for c in sex.categories)
    assert all(c.selection_rate == 0.0 for c in sex.categories)
    # scoring ratios still stand: 0.2 / 0.4
    assert cat(audit, "sex", "female").scoring_impact_ratio == pytest.approx(0.5)
    assert audit.selected == 0 and any("Nobody was selected" in c for c in audit.caveats)
    assert [(f.category, f.measure) for f in audit.findings] == [("female", "scoring"), ("female × White", "scoring")]


def test_ties_at_the_median_do_not_count_as_above() -> None:
    scores = [0.2, 0.5, 0.5, 0.5, 0.5, 0.9]  # median 0.5: only 0.9 is above it
    people = [ConsideredCandidate(person_id=str(i), selected=False, score=s, sex="female" if i < 3 else "male",
                                  race_ethnicity="Asian") for i, s in enumerate(scores)]
    audit = audit_candidates(people)
    assert audit.median_score == 0.5
    assert [(c.category, c.scored_above_median) for c in dim(audit, "sex").categories] == [("female", 0), ("male", 1)]
    even = audit_candidates([dataclasses.replace(p, score=s) for p, s in zip(people, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
                                                                          strict=True)])
    assert even.median_score == pytest.approx(0.35)
    assert [c.scored_above_median for c in dim(even, "sex").categories] == [0, 3]


def test_all_scores_tied_leaves_scoring_ratios_undefined() -> None:
    people = pool([("female", "White", 5, 2, 0), ("male", "White", 5, 2, 0)])
    audit = audit_candidates(people)
    assert all(c.scoring_rate == 0.0 and c.scoring_impact_ratio is None for d in audit.dimensions
               for c in d.categories)
    assert any("Nobody scored above the median" in c for c in audit.caveats)


@pytest.mark.parametrize(("female_selected", "threshold", "verdict"), [
    (20, 0.8, "ok"),  # 0.4 / 0.5 = 0.80: at the threshold is not below it
    (19, 0.8, "flag"),  # 0.38 / 0.5 = 0.76
    (19, 0.76, "ok"),
    (18, 0.76, "flag"),  # 0.72
    (25, 1.0, "ok"),
    (24, 1.0, "flag"),
])
def test_verdict_flips_at_the_threshold(female_selected: int, threshold: float, verdict: str) -> None:
    people = pool([("male", "White", 50, 25, 0), ("female", "White", 50, female_selected, 0)])
    audit = audit_candidates(people, policy=BiasPolicy(threshold=threshold))
    assert audit.verdict == verdict
    assert cat(audit, "sex", "female").selection_impact_ratio == pytest.approx(female_selected / 25)


def test_float_rounding_at_the_threshold_is_not_a_finding() -> None:
    # 1/3 ÷ 5/12 is exactly 0.8, but in floating point it comes out as 0.7999…
    audit = audit_candidates(pool([("female", "White", 3, 1, 0), ("male", "White", 12, 5, 0)]))
    assert cat(audit, "sex", "female").selection_impact_ratio == pytest.approx(0.8)
    assert audit.findings == () and audit.verdict == "ok"


@pytest.mark.parametrize(("female_selected", "verdict", "fragile"), [
    (1, "flag", True),  # 0.2 / 0.4 = 0.5, but 2 of 5 would be 1.0: rests on one person
    (0, "block", False),  # 0 / 1.0, and 1 of 5 would still be 0.2
])
def test_block_needs_a_finding_that_does_not_rest_on_one_person(female_selected: int, verdict: str,
                                                                 fragile: bool) -> None:
    male_selected = 2 if female_selected else 5
    people = pool([("male", "White", 5, male_selected, 0), ("female", "White", 5, female_selected, 0)])
    audit = audit_candidates(people, policy=BiasPolicy(action="block", measures=("selection",)))
    assert audit.small_sample and any("Only 10 people" in c for c in audit.caveats)
    assert {f.fragile for f in audit.findings} == {fragile}
    assert audit.verdict == verdict
    assert audit_candidates(people, policy=BiasPolicy(measures=("selection",))).verdict == "flag"


def test_measures_limit_what_is_judged() -> None:
    people = pool([("male", "White", 50, 25, 20), ("female", "White", 50, 25, 5)])  # equal selection, unequal scores
    assert audit_candidates(people).verdict == "flag"
    assert audit_candidates(people, policy=BiasPolicy(measures=("selection",))).verdict == "ok"


def test_empty_pool() -> None:
    audit = audit_candidates([])
    assert (audit.pool_size, audit.median_score, audit.findings, audit.verdict) == (0, None, (), "ok")
    assert audit.small_sample and all(not d.categories and d.unknown == 0 for d in audit.dimensions)


def test_invalid_input_is_refused() -> None:
    one = pool([("female", "White", 1, 1, 1)])
    with pytest.raises(ValueError, match="once"):
        audit_candidates(one + one)
    with pytest.raises(ValueError, match="finite"):
        audit_candidates([dataclasses.replace(one[0], score=float("nan"))])
    for bad in ({"threshold": 0.0}, {"threshold": 1.5}, {"exclusion_share": 1.0}, {"min_pool": -1},
                {"measures": ()}, {"action": "ignore"}):
        with pytest.raises(ValueError):
            BiasPolicy(**bad)


def test_the_result_holds_no_person_ids() -> None:
    audit = audit_candidates(pool(POOL_100))
    text = repr(dataclasses.asdict(audit))
    assert "P0" not in text and "P99" not in text


def render(audit: BiasAudit | None) -> str:
    """The console's partial, rendered the way the console's Jinja2 environment does (autoescaped)."""
    folder = resources.files("review_console") / "templates"
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape())
    return env.get_template("_bias_audit.html").render(bias_audit=audit)


def test_partial_renders_tables_markers_verdict_and_caveats() -> None:
    html = render(audit_candidates(pool(POOL_100)))
    for d in ("sex", "race_ethnicity", "intersection"):
        assert f'data-testid="bias-{d}"' in html
    assert 'data-testid="bias-verdict">flag</span>' in html
    assert html.count("excluded (&lt;2%)") == 2  # Black or African American, and its intersection
    assert "<td>female × Asian</td>" in html and "<strong>0.29</strong>" in html
    assert "selection below 0.8" in html and "(rests on one person)" in html
    assert "bias-small-sample" not in html and "NYC Local Law 144" in html
    small = render(audit_candidates(pool([("<b>x</b>", None, 5, 1, 1), ("male", "Asian", 5, 4, 1)])))
    assert "bias-small-sample" in small and "&lt;b&gt;x&lt;/b&gt;" in small and "<b>x</b>" not in small
    assert "<td><em>unknown</em></td><td>5</td>" in small
    assert render(None).strip() == ""
