"""The offline deterministic planner: retrieval over the O*NET task library, no network, no key.

It is exposed to pydantic-ai as ``FunctionModel``s (see ``agents.models``), so the agents, their tool
calls and their durability are the same whether this or a real model answers.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import date

from infra.store.plans import GoalPlan, PlannedTask
from infra.store.staffing import Candidate, StaffingProposal, TaskStaffing
from policies.staffing_checks import free_fraction, peak_load
from tools.goal_text.errors import PlanningError
from tools.taxonomy.task_library import TaskLibrary, TaskStatement, load_task_library, tokens

# Goal-speak to O*NET vocabulary. Small and general on purpose: retrieval does the rest.
_EXPANSIONS: dict[str, str] = {
    "dashboard": "dashboard reports visualization business intelligence",
    "analytics": "analyze data statistical analysis",
    "payments": "payment transactions financial",
    "payment": "payment transactions financial",
    "cards": "card transactions",
    "instant": "real-time electronic",
    "fraud": "fraud investigation suspicious transactions",
    "launch": "implement introduce",
    "app": "application software",
    "platform": "software systems",
    "cloud": "cloud computing systems",
    "migrate": "migration convert systems",
    "migration": "migration convert systems",
    "logistics": "logistics supply chain distribution transportation",
    "warehouse": "warehouse inventory storage",
    "shipping": "shipping transportation freight",
    "onboarding": "orientation training new employees",
    "hiring": "recruit hire staffing",
    "compliance": "compliance regulations audit",
    "regulatory": "regulations compliance",
    "security": "security protect systems",
    "ml": "machine learning models data",
    "ai": "machine learning models",
    "marketing": "marketing campaigns promotion",
    "customer": "customer service clients",
    "budget": "budget financial cost",
    "report": "reports",
}
_GENERIC_SKILLS = frozenset(
    {"Reading Comprehension", "Active Listening", "Speaking", "Writing", "English Language",
     "Critical Thinking", "Monitoring", "Active Learning", "Social Perceptiveness", "Coordination"}
)
_PHASES: tuple[tuple[str, frozenset[str], float, float], ...] = (
    # name, leading verbs, window start and end as shares of the deadline
    ("discover", frozenset({"analyz", "assess", "research", "review", "identify", "evaluat", "gather",
                            "investigat", "determin", "study", "collect", "examin", "interview"}), 0.0, 0.35),
    ("design", frozenset({"design", "plan", "develop", "defin", "prepar", "recommend", "specify",
                          "formulat", "propos", "model"}), 0.15, 0.6),
    ("build", frozenset({"creat", "writ", "build", "program", "code", "implement", "install", "configur",
                         "modify", "maintain", "integrat", "produc", "construct", "establish"}), 0.3, 0.85),
    ("verify", frozenset({"test", "verify", "validat", "audit", "monitor", "inspect", "check"}), 0.6, 1.0),
    ("roll out", frozenset({"train", "present", "communicat", "deploy", "coordinat", "direct", "confer",
                            "report", "advis", "document", "provid"}), 0.7, 1.0),
)
_WORDS_TO_WEEKS = {"day": 1 / 7, "week": 1.0, "month": 52 / 12, "quarter": 13.0, "year": 52.0}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "twelve": 12, "a": 1, "an": 1}
DEFAULT_DEADLINE_WEEKS = 12
MAX_DEADLINE_WEEKS = 156


def parse_deadline_weeks(text: str, today: date) -> int:
    """Weeks until the goal's deadline, read from phrases like 'within 6 weeks' or 'by Q3'."""
    lowered = text.lower()
    spans = re.finditer(r"\b(?:within|in|over|next|for)\s+(\d+|[a-z]+)\s+(day|week|month|quarter|year)s?\b", lowered)
    for span in spans:
        amount_word, unit = span.groups()
        amount = int(amount_word) if amount_word.isdigit() else _NUMBER_WORDS.get(amount_word)
        if amount is not None:
            return _bounded_weeks(amount * _WORDS_TO_WEEKS[unit])
    quarter = re.search(r"\bby\s+(?:the\s+end\s+of\s+)?q([1-4])(?:\s+(\d{4}))?\b", lowered)
    if quarter:
        q, year_text = int(quarter.group(1)), quarter.group(2)
        year = int(year_text) if year_text else today.year
        end = date(year, q * 3, 30 if q in (2, 3) else 31)
        if end < today and year_text:
            raise PlanningError(f"the deadline Q{q} {year} is in the past")
        if end < today:
            end = date(year + 1, q * 3, end.day)
        return _bounded_weeks((end - today).days / 7)
    if re.search(r"\b(?:by\s+)?(?:the\s+)?end\s+of\s+(?:the\s+)?year\b", lowered):
        return _bounded_weeks((date(today.year, 12, 31) - today).days / 7)
    return DEFAULT_DEADLINE_WEEKS


def _bounded_weeks(weeks: float) -> int:
    if weeks > MAX_DEADLINE_WEEKS:
        raise PlanningError(f"the deadline is more than {MAX_DEADLINE_WEEKS} weeks away; split the goal")
    return max(1, math.ceil(weeks))


def expand_query(text: str) -> str:
    """The goal text with O*NET vocabulary added for common goal words."""
    extra = [_EXPANSIONS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _EXPANSIONS]
    return " ".join([text, *extra])


def _phase_of(task: TaskStatement) -> int:
    first_tokens = tokens(task.text)[:2]
    for position, (_, verbs, _, _) in enumerate(_PHASES):
        if any(tok.startswith(verb) or verb.startswith(tok) for tok in first_tokens for verb in verbs):
            return position
    return 2


def short_title(statement: str, limit: int = 80) -> str:
    """A task title from a task statement: its first clause, cut at a word boundary."""
    head = re.split(r"[,;:]| such as | to ensure | in order to ", statement, maxsplit=1)[0].strip().rstrip(".")
    if len(head.split()) < 5:
        head = statement.strip().rstrip(".")
    if len(head) <= limit:
        return head
    return head[:limit].rsplit(" ", 1)[0] + "…"


def _task_skills(library: TaskLibrary, task: TaskStatement, goal_tokens: set[str]) -> list[str]:
    occupation = library.occupations[task.onet_code]
    wanted = goal_tokens | set(tokens(task.text))
    ranked_tech = sorted(
        enumerate(occupation.technologies),
        key=lambda it: (-len(set(tokens(it[1])) & wanted), it[0]),
    )
    tech = [name for _, name in ranked_tech[:3]]
    skills = [s for s in occupation.skills if s not in _GENERIC_SKILLS][:2]
    return list(dict.fromkeys(tech + skills)) or [occupation.title]


def decompose_goal(goal_text: str, today: date, *, max_tasks: int = 6) -> GoalPlan:
    """Break a goal into tasks drawn from the O*NET task statements that fit it best."""
    library = load_task_library()
    deadline = parse_deadline_weeks(goal_text, today)
    hits = library.task_index.search(expand_query(goal_text), top=400)
    if not hits or hits[0][1] < 0.12:
        raise PlanningError("could not relate this goal to any known kind of work; say what has to be done")

    by_occupation: dict[str, list[float]] = defaultdict(list)
    for i, score in hits:
        by_occupation[library.tasks[i].onet_code].append(score)
    occupation_score = {code: sum(sorted(s, reverse=True)[:5]) for code, s in by_occupation.items()}
    top_occupations = set(sorted(occupation_score, key=lambda c: (-occupation_score[c], c))[:4])

    pool = [(i, s * (1.1 if library.tasks[i].core else 1.0)) for i, s in hits
            if library.tasks[i].onet_code in top_occupations]
    chosen: list[tuple[int, float]] = []
    per_occupation: dict[str, int] = defaultdict(int)
    while pool and len(chosen) < max_tasks:
        def mmr(item: tuple[int, float]) -> float:
            redundancy = max((library.task_index.similarity(item[0], c) for c, _ in chosen), default=0.0)
            return 0.7 * item[1] - 0.3 * redundancy

        best = max(pool, key=lambda it: (mmr(it), -it[0]))
        pool.remove(best)
        code = library.tasks[best[0]].onet_code
        if per_occupation[code] >= 2:
            continue
        per_occupation[code] += 1
        chosen.append(best)

    goal_tokens = set(tokens(expand_query(goal_text)))
    ordered = sorted(chosen, key=lambda it: (_phase_of(library.tasks[it[0]]), -it[1], it[0]))
    tasks: list[PlannedTask] = []
    for n, (i, score) in enumerate(ordered, start=1):
        statement = library.tasks[i]
        _, _, start_share, end_share = _PHASES[_phase_of(statement)]
        start = min(deadline - 1, math.floor(deadline * start_share))
        end = max(start + 1, math.ceil(deadline * end_share))
        load = min(0.8, max(0.25, round((0.2 + score) * 20) / 20))
        tasks.append(PlannedTask(
            task_id=f"T{n}", title=short_title(statement.text), description=statement.text,
            skills=_task_skills(library, statement, goal_tokens),
            effort_hours=max(4, round((end - start) * 40 * load / 4) * 4),
            start_week=start, end_week=end, onet_code=statement.onet_code,
        ))
    ranked_codes = sorted(top_occupations, key=lambda c: -occupation_score[c])
    titles = ", ".join(library.occupations[c].title for c in ranked_codes)
    summary = f"{len(tasks)} tasks over {deadline} weeks, drawn from O*NET task statements of: {titles}."
    return GoalPlan(summary=summary, deadline_weeks=deadline, tasks=tasks)


def propose_staffing(plan: GoalPlan, candidates: dict[str, list[Candidate]]) -> StaffingProposal:
    """Rank candidates per task and propose the best one that still has time, task by task.

    A person proposed for one task has that share of their time taken for overlapping windows, so the
    plan never books anyone past their capacity.
    """
    booked: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    staffed: list[TaskStaffing] = []
    for task in plan.tasks:
        ranked = sorted(candidates.get(task.task_id, []), key=lambda c: (-c.score, c.employee_id))
        proposed: Candidate | None = None
        for candidate in ranked:
            free = free_fraction(candidate) - peak_load(booked[candidate.employee_id], task.start_week, task.end_week)
            if free + 1e-9 >= candidate.fraction:
                proposed = candidate
                break
        if proposed is not None:
            booked[proposed.employee_id].append((task.start_week, task.end_week, proposed.fraction))
            ranked = [proposed] + [c for c in ranked if c is not proposed]
        staffed.append(TaskStaffing(task_id=task.task_id, candidates=ranked[:5] if proposed else []))
    missing = [t.task_id for t in staffed if not t.candidates]
    explanation = (
        "Candidates ranked by skills fit, evidence recency and free capacity in each task's window; "
        "the best one with enough free time is proposed, so nobody is booked past their capacity."
    )
    if missing:
        explanation += f" Nobody with enough free time was found for {', '.join(missing)}."
    return StaffingProposal(tasks=staffed, explanation=explanation)
