"""Bias audit of a staffing review: who the proposal considered and selected, audited per NYC LL144.

The numbers come from :mod:`policies.bias_audit`; this module only loads what a review considered
(the candidate lists stored in ``review_requests.evidence``) and the candidates' sex and
race/ethnicity from ``employees.demographics``. Demographics are read here and nowhere in
matching; they leave this module only as category counts and rates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from infra.db import Connection
from policies import ramp_store, review_routing
from policies.bias_audit import BiasAudit, BiasPolicy, ConsideredCandidate, audit_candidates

STAFFING_ACTION_TYPES = frozenset({review_routing.PROPOSE_STAFFING.name, review_routing.REPROPOSE_DECLINED_TASK.name})
"""Action types whose reviews carry a staffing proposal to audit."""


def considered_from_review(evidence: Mapping[str, Any], arguments: Mapping[str, Any]) -> dict[str, tuple[bool, float]]:
    """Everyone a staffing proposal considered, each once: ``{employee_id: (selected, best score)}``.

    Args:
        evidence: The review's evidence (``{"plan": ..., "proposal": {"tasks": [{"candidates": [...]}]}}``).
        arguments: The review's arguments (``{"assignments": [{"employee_id": ...}, ...]}``).
    """
    best: dict[str, float] = {}
    proposal = evidence.get("proposal") or {}
    for task in proposal.get("tasks") or []:
        for candidate in task.get("candidates") or []:
            eid, score = candidate["employee_id"], float(candidate.get("score", 0.0))
            best[eid] = max(score, best.get(eid, score))
    selected = {a["employee_id"] for a in arguments.get("assignments") or []}
    # Someone assigned but missing from the candidate lists was still considered; with no score of their own
    # they score 0 (below any median), which can only understate their category's scoring rate.
    for eid in selected - best.keys():
        best[eid] = 0.0
    return {eid: (eid in selected, score) for eid, score in best.items()}


def _attribute(demographics: Any, key: str) -> str | None:
    if isinstance(demographics, str):
        demographics = json.loads(demographics)
    value = demographics.get(key) if isinstance(demographics, dict) else None
    return value if isinstance(value, str) else None


async def _demographics(conn: Connection, employee_ids: Iterable[str]) -> dict[str, Any]:
    rows = await conn.fetch("SELECT employee_id, demographics FROM employees WHERE employee_id = ANY($1::text[])",
                            list(employee_ids))
    return {r["employee_id"]: r["demographics"] for r in rows}


async def audit_review(conn: Connection, review_id: str, *, policy: BiasPolicy | None = None,
                       selected: Mapping[str, Any] | None = None) -> BiasAudit | None:
    """The bias audit of the candidates a staffing review considered.

    Selected means proposed in the review's arguments (what the reviewer is asked to approve, not an
    edit made later); considered means every distinct candidate of every task, selected if selected
    for any task, scored by their best score. People missing from ``employees`` count as unknown.

    Args:
        conn: A database connection.
        review_id: The review request.
        policy: Threshold and action (flag or block) to judge the plan by; the action type's stored policy
            (``policies.ramp_store``) when None.
        selected: Arguments to audit instead of the stored ones (a reviewer's edit: who would be staffed).

    Returns:
        The audit; None when the review does not exist, is not a staffing action, or carries no proposal.
    """
    row = await conn.fetchrow("SELECT action_type, arguments, evidence FROM review_requests WHERE review_id = $1",
                              review_id)
    if row is None or row["action_type"] not in STAFFING_ACTION_TYPES:
        return None
    # A connection without the pool's jsonb codec returns text.
    evidence, arguments = (json.loads(v) if isinstance(v, str) else v for v in (row["evidence"], row["arguments"]))
    if not (evidence.get("proposal") or {}).get("tasks"):
        return None
    considered = considered_from_review(evidence, selected if selected is not None else arguments)
    demographics = await _demographics(conn, considered)
    candidates = [
        ConsideredCandidate(person_id=eid, selected=selected, score=score,
                            sex=_attribute(demographics.get(eid), "sex"),
                            race_ethnicity=_attribute(demographics.get(eid), "race_ethnicity"))
        for eid, (selected, score) in sorted(considered.items())
    ]
    if policy is None:
        policy = (await ramp_store.load_policy(conn, row["action_type"])).bias
    return audit_candidates(candidates, policy=policy)
