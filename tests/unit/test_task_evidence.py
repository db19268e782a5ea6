"""The evidence quoted for a candidate and their recency: picked in Python from the pool's evidence rows."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from tools.matching import candidates as matching
from tools.taxonomy.task_library import load_task_library, tokens

JAN = datetime(2025, 1, 1, tzinfo=UTC)
JUN = datetime(2025, 6, 1, tzinfo=UTC)
NOV = datetime(2025, 11, 1, tzinfo=UTC)


def row(eid: str, detail: str, skills: list[str], seen: list[datetime], source: str = "task_history") -> dict[str, Any]:
    return {"employee_id": eid, "detail": detail, "source": source, "skills": skills, "seen": seen}


def test_the_substring_shortcut_scores_exactly_like_counting_tokens() -> None:
    library = load_task_library()
    rng = random.Random(7)
    statements = [t.text for t in rng.sample(library.tasks, 2000)]
    vocabulary = sorted({w for s in statements for w in tokens(s)})
    for text in statements:
        terms = {t: rng.uniform(1, 5) for t in rng.sample(vocabulary, 12) + tokens(text)[:2]}
        naive = sum(terms.get(word, 0.0) for word in tokens(text))
        assert abs(matching._weight(text, terms) - naive) < 1e-9, text


def test_the_statement_sharing_most_weight_is_quoted_and_dates_the_recency() -> None:
    terms = {"fraud": 3.0, "payment": 2.0, "card": 1.5}
    found = matching._task_evidence([
        row("a", "Detect card payment fraud (as Fraud Analyst)", ["SQL"], [JAN]),
        row("a", "Prepare monthly reports (as Fraud Analyst)", ["Excel"], [NOV]),
        row("a", "Uses SQL as Fraud Analyst", ["SQL"], [JUN], source="tools_used"),
        row("b", "Stack shelves in the warehouse", ["Forklift"], [NOV]),
    ], set(), terms, set())
    assert found["a"]["detail"] == "Detect card payment fraud (as Fraud Analyst)"
    assert (found["a"]["observed_at"], found["a"]["source"]) == (JAN, "task_history")
    assert found["a"]["last_seen"] == NOV, "the latest evidence about the task: the report also says Fraud"
    assert "b" not in found, "nothing about the task: no quote, no recency"


def test_equal_weight_prefers_the_latest_then_the_alphabetically_first() -> None:
    terms = {"fraud": 1.0}
    found = matching._task_evidence([
        row("a", "Fraud review B", ["X"], [JAN]),
        row("a", "Fraud review A", ["X"], [NOV]),
        row("a", "Fraud review C", ["X"], [NOV]),
    ], set(), terms, set())
    assert found["a"]["detail"] == "Fraud review A"


def test_rejected_skills_stop_counting_and_required_skills_date_the_recency() -> None:
    terms = {"fraud": 1.0}
    rows = [row("a", "Investigate fraud cases", ["Python", "SQL"], [JUN, NOV]),
            row("a", "Uses Tableau as Analyst", ["Tableau"], [NOV], source="tools_used")]
    found = matching._task_evidence(rows, {("a", "sql")}, terms, {"tableau"})
    assert (found["a"]["detail"], found["a"]["observed_at"]) == ("Investigate fraud cases", JUN), \
        "the row backing a rejected skill no longer dates the statement"
    assert found["a"]["last_seen"] == NOV, "evidence of a required skill counts as recent evidence about the task"

    gone = matching._task_evidence(rows, {("a", "python"), ("a", "sql"), ("a", "tableau")}, terms, {"tableau"})
    assert "a" not in gone, "every row backs a rejected skill: nothing may be quoted or counted"
