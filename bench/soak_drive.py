"""Soak, driving goals: scripted managers submit and follow them, scripted reviewers decide what opens, all
through the HTTP API, and every step is timed on this process's monotonic clock."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from soak_api import ADMIN, MANAGERS, REVIEWERS, ApiError, Session, Traffic
from soak_goals import goal_text
from soak_install import say

REVIEW_STATES = frozenset({"awaiting_plan_review", "awaiting_review"})
FINAL_STATES = frozenset({"staffed", "rejected", "failed"})
PRODUCT_OWES = frozenset({"submitted", "planning", "staffing"})
"""Statuses in which the product, not a person, owes the next step."""


class GoalStuck(Exception):
    """The goal's status did not move for too long while the product owed the next step."""


class GoalLost(Exception):
    """The goal reached neither a final state nor a review in time, or disappeared."""


@dataclass
class Decision:
    """A reviewer's decision and what the workflow did next."""

    kind: str
    """``plan`` or ``staffing``."""
    review_id: str
    """The review decided."""
    decision: str
    """``approve``; ``edit`` or ``reject`` after a refused approval."""
    sent_at: float
    """Just before the decision request (the last one, after a refused approval)."""
    returned_at: float | None = None
    """When the decision request answered (it returns once the workflow's update handler has taken it)."""
    resumed_at: float | None = None
    """When the polling first saw the goal move on."""
    resumed_to: str | None = None
    """The status it moved on to."""
    refused_because: str | None = None
    """Why the product refused the approval (then the reviewer swapped people, or rejected)."""


@dataclass
class GoalRun:
    """One goal as the bench saw it (monotonic clock of this process)."""

    index: int
    """Position in the phase (picks the template and the first reviewer)."""
    manager: str
    """The login that submits and follows it."""
    text: str
    """The goal as submitted."""
    goal_id: str | None = None
    """Given by ``POST /api/goals``; None when refused at submit."""
    submitted_at: float = 0.0
    """Just before ``POST /api/goals``."""
    first_review_at: float | None = None
    """When the polling first saw a review open."""
    first_review_kind: str | None = None
    """The status then: ``awaiting_plan_review`` or ``awaiting_review``."""
    staffing_review_at: float | None = None
    """When the polling saw the staffing review open after the plan decision."""
    decisions: list[Decision] = field(default_factory=list)
    """Every decision sent, in order."""
    final_status: str | None = None
    """``staffed``, ``rejected`` or ``failed`` once final."""
    final_at: float | None = None
    """When the polling saw the final status."""
    detail: str | None = None
    """The final status's detail, or why the goal was refused at submit."""
    outcome: str = "running"
    """``final`` (reached staffed/rejected/failed), ``refused`` at submit, ``stuck``, ``lost`` or ``error``."""
    problem: str | None = None
    """What went wrong when the outcome is ``stuck``, ``lost`` or ``error``."""
    status_at_end: str | None = None
    """Where such a goal stood once every goal had settled."""
    handoffs: list[str] = field(default_factory=list)
    """Reviewers who could not decide (separation of duties) and why."""
    timeline: list[tuple[float, str]] = field(default_factory=list)
    """(when, "status review_id") at every change the polling saw."""

    def first(self, kind: str) -> Decision | None:
        """The first decision of a kind."""
        return next((d for d in self.decisions if d.kind == kind), None)


@dataclass(frozen=True)
class DriveSettings:
    """How goals are driven."""

    goals: int
    """Goals per worker count."""
    concurrency: int
    """Goals in flight at once."""
    poll: float
    """Seconds between two polls of a goal (or of a bare workflow's query)."""
    stuck_seconds: float
    """No change this long while the product owes the next step: stuck."""
    lost_seconds: float
    """Not settled this long after submission: lost."""
    http_timeout: float
    """Timeout of one HTTP request, in seconds."""


def concerns_reviewer(response: httpx.Response) -> bool:
    """Whether the product refused a decision because it concerns the reviewer (separation of duties)."""
    return response.status_code == 403 and "separation of duties" in response.text


def swap_for(review: dict[str, Any], refused: str) -> dict[str, str]:
    """Task -> the next candidate the matcher offered, for each task a capacity refusal names ("… this goal puts
    them on T3 at 40%"): not the refused person, not already on the goal. Empty when there is none to offer."""
    people = set(re.findall(r"\((E\d+)\)", refused))
    on_goal = {a["employee_id"] for a in review["arguments"].get("assignments", [])}
    tasks = {t["task_id"]: t for t in (review.get("evidence") or {}).get("proposal", {}).get("tasks", [])}
    swaps: dict[str, str] = {}
    for task_id in dict.fromkeys(re.findall(r"\b(T\d+) at \d", refused)):
        candidates = [c["employee_id"] for c in tasks.get(task_id, {}).get("candidates", [])]
        pick = next((c for c in candidates if c not in people | on_goal | set(swaps.values())), None)
        if pick is None:
            return {}
        swaps[task_id] = pick
    return swaps


class GoalDriver:
    """Managers submit and follow goals; reviewers decide what opens, ``concurrency`` goals at a time."""

    def __init__(self, console_url: str, settings: DriveSettings, traffic: Traffic) -> None:
        self.settings = settings
        self.sessions = {login: Session(console_url, login, traffic, settings.http_timeout)
                         for login in (*MANAGERS, *REVIEWERS, ADMIN)}
        self.runs: list[GoalRun] = []
        self.today = datetime.now(UTC).date()

    async def sign_in(self) -> None:
        """Everyone signs in."""
        for session in self.sessions.values():
            await session.sign_in()

    async def close(self) -> None:
        """Close every session's connections."""
        for session in self.sessions.values():
            await session.close()

    async def pin_plan_reviews(self) -> None:
        """The admin pins the plan review (``decompose_goal``) at 100%, so every goal has both review gates."""
        response = await self.sessions[ADMIN].request("PUT", "/api/admin/trust-ramp/decompose_goal/pin",
                                                      {"share": 1.0})
        if response.status_code != 200:
            raise ApiError(response)

    async def run(self, label: str) -> float:
        """Drive every goal; return the wall time from the first submission to the last goal settled."""
        started = time.monotonic()
        pending = iter(range(self.settings.goals))
        reporter = asyncio.create_task(self._report_progress(label, started))
        try:
            await asyncio.gather(*(self._lane(pending) for _ in range(self.settings.concurrency)))
        finally:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter
        wall = time.monotonic() - started
        await self._recheck_unsettled()
        return wall

    async def _lane(self, pending: Iterator[int]) -> None:
        """One slot of the bounded concurrency: drive goals one after the other."""
        for index in pending:
            template, text = goal_text(index, self.today)
            run = GoalRun(index=index, manager=template.manager, text=text)
            self.runs.append(run)
            try:
                await self._drive(run)
            except GoalStuck as err:
                run.outcome, run.problem = "stuck", str(err)
            except GoalLost as err:
                run.outcome, run.problem = "lost", str(err)
            except Exception as err:  # counted and reported: one goal's surprise must not end the soak
                run.outcome, run.problem = "error", f"{type(err).__name__}: {err}"[:400]

    async def _report_progress(self, label: str, started: float) -> None:
        """A progress line every 15 s."""
        while True:
            await asyncio.sleep(15)
            outcomes = Counter(r.final_status or r.outcome for r in self.runs)
            settled = sum(1 for r in self.runs if r.outcome != "running")
            elapsed = time.monotonic() - started
            say(f"[{label}] {settled}/{self.settings.goals} settled, {len(self.runs) - settled} in flight, "
                f"{dict(sorted(outcomes.items()))}, {settled / elapsed * 60:.0f} goals/min, {elapsed:.0f} s")

    async def _drive(self, run: GoalRun) -> None:
        """Submit, follow, review, until the goal settles."""
        manager = self.sessions[run.manager]
        run.submitted_at = time.monotonic()
        response = await manager.request("POST", "/api/goals", {"text": run.text})
        if response.status_code == 422:
            run.outcome, run.detail = "refused", ApiError(response).detail
            return
        if response.status_code != 201:
            raise ApiError(response)
        run.goal_id = response.json()["goal_id"]
        goal = await self._watch(run, lambda g: g["status"] in REVIEW_STATES)
        if goal["status"] in REVIEW_STATES:
            run.first_review_at, run.first_review_kind = run.timeline[-1][0], goal["status"]
        while goal["status"] in REVIEW_STATES:
            goal = await self._review(run, goal)
        run.outcome, run.final_status, run.detail = "final", goal["status"], goal.get("status_detail")
        run.final_at = run.timeline[-1][0]

    async def _review(self, run: GoalRun, goal: dict[str, Any]) -> dict[str, Any]:
        """A reviewer decides the open review; return the goal once the workflow has moved on (and, after a
        plan decision, once the staffing review is open or the goal has ended)."""
        kind = "plan" if goal["status"] == "awaiting_plan_review" else "staffing"
        waiting = (goal["status"], (goal.get("review") or {}).get("review_id"))
        decision = await self._decide(run, kind)
        goal = await self._watch(run, lambda g: (g["status"], (g.get("review") or {}).get("review_id")) != waiting,
                                 owed_by_product=True)
        decision.resumed_at, decision.resumed_to = run.timeline[-1][0], goal["status"]
        if goal["status"] not in REVIEW_STATES and goal["status"] not in FINAL_STATES:
            goal = await self._watch(run, lambda g: g["status"] in REVIEW_STATES)
        if kind == "plan" and goal["status"] == "awaiting_review":
            run.staffing_review_at = run.timeline[-1][0]
        return goal

    async def _decide(self, run: GoalRun, kind: str) -> Decision:
        """A reviewer finds the review in the queue, opens it and approves it quoting its hash. A reviewer the
        decision concerns (separation of duties: they are among the people staffed) hands it to the other reviewer,
        then to the admin. An approval the product refuses (someone would be overbooked, the bias policy blocks
        it) is edited once, swapping in the next candidate the matcher offered for each refused task, and rejected
        with the matching reason code if that is refused too."""
        assert run.goal_id is not None
        first = (run.index + (kind == "staffing")) % len(REVIEWERS)
        for login in (*REVIEWERS[first:], *REVIEWERS[:first], ADMIN):
            reviewer = self.sessions[login]
            queue = await reviewer.get_json(f"/api/reviews?goal_id={run.goal_id}")
            if not queue["data"]:
                raise GoalLost(f"the goal shows a {kind} review but the queue has none for it")
            review = await reviewer.get_json(f"/api/reviews/{queue['data'][0]['review_id']}")
            decision = Decision(kind=kind, review_id=review["review_id"], decision="approve",
                                sent_at=time.monotonic())
            response = await self._send_decision(reviewer, decision, {"args_hash": review["args_hash"]})
            if concerns_reviewer(response):
                run.handoffs.append(f"{login}: {ApiError(response).detail}")
                continue
            run.decisions.append(decision)
            if response.status_code == 409 and kind == "staffing":
                response = await self._swap_or_reject(reviewer, review, decision, ApiError(response).detail)
                if concerns_reviewer(response):
                    # the swap named the reviewer (the matcher offers HR people too): the next one decides
                    run.handoffs.append(f"{login} (after swapping in themselves): {ApiError(response).detail}")
                    continue
            if response.status_code != 200:
                raise ApiError(response)
            return decision
        raise ApiError(response)

    @staticmethod
    async def _send_decision(reviewer: Session, decision: Decision, extra: dict[str, Any]) -> httpx.Response:
        """POST the decision, timed from just before the request."""
        decision.sent_at = time.monotonic()
        response = await reviewer.request("POST", f"/api/reviews/{decision.review_id}/decision",
                                          {"decision": decision.decision, **extra})
        decision.returned_at = time.monotonic()
        return response

    async def _swap_or_reject(self, reviewer: Session, review: dict[str, Any], decision: Decision,
                              refused: str) -> httpx.Response:
        """After a refused approval: swap the refused tasks to the matcher's next candidates, else reject."""
        decision.refused_because = refused
        swaps = swap_for(review, refused)
        if swaps:
            decision.decision = "edit"
            response = await self._send_decision(reviewer, decision, {"edits": swaps})
            if response.status_code != 409:
                return response
            refused = ApiError(response).detail
        decision.decision = "reject"
        code = "fairness" if "bias" in refused else "availability"
        return await self._send_decision(reviewer, decision, {"reason_code": code,
                                                              "reason": "approval refused: " + refused[:300]})

    async def _watch(self, run: GoalRun, done: Callable[[dict[str, Any]], bool], *,
                     owed_by_product: bool = False) -> dict[str, Any]:
        """Poll the goal as its manager until ``done`` holds or it ends; record every change of status or review.

        Raises:
            GoalStuck: No change for ``stuck_seconds`` in a status the product owes (or after a decision).
            GoalLost: Not settled within ``lost_seconds`` of submission, or the goal is not found.
        """
        manager = self.sessions[run.manager]
        last_change = time.monotonic()
        while True:
            response = await manager.request("GET", f"/api/goals/{run.goal_id}")
            now = time.monotonic()
            if response.status_code == 404:
                raise GoalLost("the goal is not found after it was accepted")
            if response.status_code != 200:
                raise ApiError(response)
            goal: dict[str, Any] = response.json()
            status = goal["status"]
            if not run.timeline or run.timeline[-1][1] != self._key(goal):
                run.timeline.append((now, self._key(goal)))
                last_change = now
            if done(goal) or status in FINAL_STATES:
                return goal
            if (owed_by_product or status in PRODUCT_OWES) and now - last_change > self.settings.stuck_seconds:
                raise GoalStuck(f"no progress for {now - last_change:.0f} s in {status!r}")
            if now - run.submitted_at > self.settings.lost_seconds:
                raise GoalLost(f"not settled {now - run.submitted_at:.0f} s after submission (in {status!r})")
            await asyncio.sleep(self.settings.poll)

    @staticmethod
    def _key(goal: dict[str, Any]) -> str:
        review = goal.get("review") or {}
        return f"{goal['status']} {review.get('review_id') or ''}".strip()

    async def _recheck_unsettled(self) -> None:
        """Where the goals that did not settle stand now (did a stuck one move on later?)."""
        for run in self.runs:
            if run.outcome in ("stuck", "lost", "error") and run.goal_id:
                with contextlib.suppress(ApiError, httpx.HTTPError):
                    goal = await self.sessions[run.manager].get_json(f"/api/goals/{run.goal_id}")
                    run.status_at_end = f"{goal['status']}: {goal.get('status_detail') or ''}".strip(": ")
