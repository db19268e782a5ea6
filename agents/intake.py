"""Checks a goal's text before any workflow starts, so bad input gets a sentence, not a failed run."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from agents.local_planner import PlanningError, expand_query, parse_deadline_weeks
from tools.taxonomy import load_task_library

MIN_CHARS = 15
MAX_CHARS = 2000


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
    words = re.findall(r"[A-Za-z]{3,}", cleaned)
    if len(words) < 3:
        raise PlanningError("the goal needs at least three words describing the work")
    library = load_task_library()
    if library.known_token_share(cleaned) < 0.4:
        raise PlanningError("most words of this goal are unknown; describe the work in plain language")
    hits = library.task_index.search(expand_query(cleaned), top=1)
    if not hits or hits[0][1] < 0.12:
        raise PlanningError("could not relate this goal to any known kind of work; say what has to be done")
    parse_deadline_weeks(cleaned, today)  # raises on an absurd deadline
    return cleaned
