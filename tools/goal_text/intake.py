"""Checks a goal's text before any workflow starts, so bad input gets a sentence, not a failed run.

The checks here are the cheap part of understanding a goal (:mod:`agents.planning.understand`): length, stray
control characters, recognisable work (abbreviations spelled out first, so "DC move to a 3PL by Q2" passes),
a deadline that can be planned for, and one goal per submission. The planning graph reads the rest.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from agents.planning.understand import require_work
from tools.goal_text import vocabulary
from tools.goal_text.deadlines import read_deadline
from tools.goal_text.errors import PlanningError
from tools.goal_text.phrases import looks_like_verb

MIN_CHARS = 15
MAX_CHARS = 2000
MAX_ACTIONS = 4
"""Separate pieces of work (clauses that each start with a different kind of action) one goal may hold."""


def check_goal_text(text: str, today: date) -> str:
    """Return the cleaned goal text or raise ``PlanningError`` with a reason a manager can act on."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise PlanningError("the goal is empty; describe what has to be achieved")
    if len(cleaned) < MIN_CHARS:
        raise PlanningError(f"the goal is too short (at least {MIN_CHARS} characters); say what has to be done")
    if len(cleaned) > MAX_CHARS:
        raise PlanningError(f"the goal is too long ({len(cleaned)} characters, at most {MAX_CHARS})")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in cleaned):
        raise PlanningError("the goal contains control characters (or invisible formatting characters)")
    read_deadline(cleaned, today)  # raises on a deadline in the past or too far away
    require_work(cleaned, vocabulary.expand(cleaned))
    actions = separate_actions(cleaned)
    if len(actions) > MAX_ACTIONS:
        raise PlanningError(
            f"this reads as {len(actions)} goals in one ({'; '.join(actions)}); submit them one at a time so "
            "each gets its own plan and people")
    return cleaned


def separate_actions(text: str) -> list[str]:
    """Clauses that each start with a different action ("migrate …", "hire …", "renovate …")."""
    clauses = [c.strip() for c in re.split(r"[,;]|\.\s|\band then\b|\band\b|\bthen\b|\bplus\b", text) if c.strip()]
    found: dict[str, str] = {}
    for clause in clauses:
        first = clause.split()[0]
        if looks_like_verb(first):
            found.setdefault(first.lower(), " ".join(clause.split()[:4]))
    return list(found.values())
