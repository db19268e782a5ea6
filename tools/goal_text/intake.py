"""Checks a goal's text before any workflow starts, so bad input gets a sentence, not a failed run.

The checks here are the cheap part of understanding a goal (``agents.planning.understand``): length, stray
control characters, recognisable work (abbreviations spelled out first, so "DC move to a 3PL by Q2" passes),
a deadline that can be planned for, and one goal per submission. The planning graph reads the rest.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from functools import lru_cache

from tools.goal_text import vocabulary
from tools.goal_text.deadlines import read_deadline
from tools.goal_text.errors import GoalNotUnderstood, PlanningError
from tools.goal_text.phrases import looks_like_verb
from tools.taxonomy.task_library import load_task_library, tokens

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


_DATE_WORDS = frozenset(tokens(" ".join([*calendar.month_name[1:], *calendar.month_abbr[1:], *calendar.day_name,
                                         "asap today tomorrow yesterday eoy eom eow fy mid sprint season peak"])))
"""Tokens a deadline is written in: they say when, not what."""


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """Tokens of O*NET's task statements and ESCO's skill labels: the words the planner can relate to work."""
    from tools.taxonomy.skill_names import known_skill_names

    esco = {t for name in known_skill_names() for t in tokens(name)}
    return frozenset(load_task_library().task_index.idf) | esco


def require_work(cleaned: str, expanded: str) -> None:
    """Refuse a goal with no recognisable work in it (raises :class:`GoalNotUnderstood`)."""
    words = re.findall(r"[A-Za-z][A-Za-z&/-]+", cleaned)
    if len(words) < 3:
        raise GoalNotUnderstood("the goal needs a few more words: say what has to be built, changed or delivered, "
                                "and by when")
    content = [t for t in tokens(expanded) if t not in _DATE_WORDS]
    known = [t for t in content if t in _known_words()]
    if len(known) < 2 or len(known) < 0.34 * len(content):
        raise GoalNotUnderstood("most words of this goal are not ones the planner knows; describe the work in "
                                "plain words (what is built or changed, for whom, by when)")
    vague = {"stuff", "thing", "things", "something", "anything", "everything", "work", "do", "make", "get", "sort",
             "improve", "better", "more", "help", "fix", "handle", "deal", "all", "it", "that", "this", "out", "now",
             "please", "asap", "soon", "some", "etc", "just", "really", "quickly", "and", "the", "our", "we", "us",
             "need", "needs", "want", "done", "good", "great", "nice", "new", "ok", "okay", "lots", "whatever"}
    if all(w.lower() in vague or len(w) < 3 for w in words):
        raise GoalNotUnderstood("the goal does not say what the work is about; name what has to be built or "
                                "changed (for example “move the payroll to the new HRIS by March”)")
