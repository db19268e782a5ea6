"""What the review page shows for the certification cadence's reviews: a renewal to verify (the holder, the
certificate in force and the renewed one, the agent's checks, the file) and a staffed person's lapsed certification
(the task, the lapse, and HR's choice: keep with a renewal date, replace, or pause)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.datastructures import FormData

from infra.store import certifications as store
from infra.store.reviews import Review
from policies.review_routing import FLAG_ASSIGNMENT_CERTIFICATION, VERIFY_CERTIFICATION_RENEWAL
from workflows import usecases

FLAG_WORDS = {"keep": "Keep them on the task, if the renewal is in by a date",
              "pause": "Pause the work until the certification is renewed",
              "replace": "Replace them: take them off the task"}
"""HR's choices for a flagged assignment, in words."""


@dataclass(kw_only=True)
class FlagForm:
    """HR's choice for a flagged assignment as typed."""

    outcome: str
    """keep, pause or replace."""
    renew_by: str = ""
    """The renewal date as typed (for keep)."""
    error: str | None = None
    """What is wrong with it."""

    def parsed(self) -> date | None:
        """The renewal date (None when empty or invalid)."""
        try:
            return date.fromisoformat(self.renew_by) if self.renew_by else None
        except ValueError:
            return None


def flag_form_from(form: FormData, proposed: dict[str, Any]) -> FlagForm:
    """The flag form as submitted; a missing or unreadable renewal date for "keep" is named next to the field."""
    outcome = str(form.get("flag_outcome") or proposed.get("outcome") or "pause")
    typed = FlagForm(outcome=outcome if outcome in FLAG_WORDS else "pause",
                     renew_by=str(form.get("renew_by") or "").strip())
    if typed.outcome == "keep" and typed.parsed() is None:
        typed.error = ("give the day the renewal must be in by" if not typed.renew_by else
                       f"“{typed.renew_by}” is not a date (use the date picker, or YYYY-MM-DD)")
    return typed


async def certification_context(svc: usecases.Services, review: Review,
                                flag_form: FlagForm | None = None) -> dict[str, Any]:
    """What review.html shows for a renewal or a flag (empty for other reviews)."""
    if review.action_type == VERIFY_CERTIFICATION_RENEWAL.name:
        async with svc.pool.acquire() as conn:
            renewal = await store.get_renewal(conn, str(review.evidence.get("renewal_id") or ""))
            cert = await store.get(conn, str(review.evidence.get("certification_id") or ""))
        current = next((p for p in cert.periods if renewal and p.period == renewal.period), None) if cert else None
        return {"renewal": renewal, "cert": cert, "current_period": current,
                "checks": review.evidence.get("checks") or {}}
    if review.action_type == FLAG_ASSIGNMENT_CERTIFICATION.name:
        flag = review.evidence.get("flag") or {}
        args = review.decided_arguments or review.arguments
        proposed = FlagForm(outcome=str(review.arguments.get("outcome")), renew_by=str(
            review.arguments.get("renew_by") or ""))
        async with svc.pool.acquire() as conn:
            name = await conn.fetchval("SELECT name FROM employees WHERE employee_id = $1", flag.get("employee_id"))
        return {"flag": flag, "flag_person": name or "The person", "flag_form": flag_form or proposed,
                "flag_words": FLAG_WORDS, "flag_args": args,
                "lapsed_on": review.evidence.get("lapsed_on"), "cert_name": review.evidence.get("certification")}
    return {}
