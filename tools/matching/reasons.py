"""Why the ranker put someone where it did: one evidence sentence per signal, strongest first."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from tools.people.hris_jsonl import MatchRequest
from tools.taxonomy.skill_key import skill_key
from tools.taxonomy.sparse import F32
from tools.taxonomy.task_library import tokens

if TYPE_CHECKING:
    from tools.matching.ranker import EmployeeIndex


def reasons(index: EmployeeIndex, i: int, request: MatchRequest, signals: Mapping[str, F32]) -> list[str]:
    """Evidence sentences for employee ``i`` of ``index``, strongest signal first.

    Args:
        index: The index the employee is in.
        i: Their row.
        request: What they were ranked for.
        signals: :meth:`EmployeeIndex.request_signals` of the request.
    """
    w = index.weights
    jobs, listed = index.texts.get(i)
    current_title = next((t for t, cur, _ in jobs if cur), jobs[0][0])
    found: list[tuple[float, str]] = []
    wanted = index.term_weights([request.title or "", *request.responsibilities])
    best: tuple[float, str, str, bool, list[str]] = (0.0, "", "", False, [])
    for title, is_current, statements in jobs:
        for statement in statements:
            common = set(tokens(statement)) & wanted.keys()
            weight = sum(float(wanted[t]) for t in common) / math.sqrt(1 + len(tokens(statement)))
            if weight > best[0]:
                best = (weight, statement, title, is_current, sorted(common, key=lambda t: -wanted[t]))
    if best[1]:
        when = "current job" if best[3] else "earlier job"
        shared = ", ".join(best[4][:4])
        found.append((w.lexical * float(signals["lexical"][i]) + 1e-6,
                      f"did “{_clip(best[1])}” as {best[2] or 'untitled'} ({when}; shared terms: {shared})"))
    semantic = float(signals["semantic"][i])
    if index.encoder is not None and semantic > 0:
        found.append((w.semantic * semantic,
                      f"work history is close in meaning to the request (embedding cosine {semantic:.2f})"))
    found.append(_occupation_reason(index, i, signals, current_title))
    required = [s for s in request.required_skills if s]
    if required:
        have = {skill_key(s) for s in listed}
        held = [s for s in required if skill_key(s) in have]
        missing = [s for s in required if skill_key(s) not in have]
        if held:
            tail = f"; missing {', '.join(missing[:5])}" if missing else ""
            found.append((w.skills * float(signals["skills"][i]),
                          f"has {len(held)} of {len(required)} required skills: {', '.join(held[:6])}{tail}"))
        else:
            found.append((0.0, f"lists none of the required skills ({', '.join(required[:5])})"))
    found.sort(key=lambda x: -x[0])
    return [text for _, text in found]


def _occupation_reason(index: EmployeeIndex, i: int, signals: Mapping[str, F32],
                       current_title: str) -> tuple[float, str]:
    """The occupation sentence and its weight: same occupation as the request, an adjacent one, or another."""
    space = index.space
    dist = signals["_occupations"]
    req_top = int(np.argmax(dist))
    emp_top = int(index.occ_index[i, int(np.argmax(index.occ_prob[i]))])
    emp_p = float(index.occ_prob[i].max())
    emp_name = f"{space.titles[emp_top]} ({space.codes[emp_top]}, {emp_p:.0%})"
    occ_value = index.weights.occupation * float(signals["occupation"][i])
    if emp_top == req_top:
        return occ_value, (f"profile reads as {emp_name}, the occupation the request reads as"
                           f" (title “{current_title}”)")
    if index.adjacency[req_top, emp_top] >= 0.5:
        overlap = space.shared_technologies(req_top, emp_top, limit=4) or space.shared_skills(req_top, emp_top,
                                                                                                limit=4)
        extra = f"; they share {', '.join(overlap)}" if overlap else ""
        return occ_value, (f"profile reads as {emp_name}, adjacent to the request's "
                           f"{space.titles[req_top]} ({space.codes[req_top]}){extra}")
    return occ_value * 0.5, f"profile reads as {emp_name} (title “{current_title}”)"


def _clip(text: str, limit: int = 110) -> str:
    text = text.rstrip(".")
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
