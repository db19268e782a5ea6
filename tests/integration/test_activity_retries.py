"""Exactly-once effects (issue 15): every activity that writes, run again after its first execution committed.

An activity whose worker was killed (or whose Temporal server stopped) after it committed runs again with the same
identity: workflow id, run id and activity id; only the attempt number changes. Each test here runs one activity
twice with the same identity, as the worker's interceptor (``workers.effect_keys``) scopes it, against the real
Postgres, and checks that the second attempt returns what the first returned and leaves every table of the
database as the first left it (the taxonomy's reference tables and ``updated_at`` columns aside): no second audit
event, notification, outbox row, trust-ramp count or draw, no state moved back. Where a real run could answer
otherwise the second time (a model, the ramp's random draw), the case makes each call answer differently.

A third run under another activity id is the control: an activity kept once only by its execution's key does write
again (so the comparison can fail); one kept once by a business key (a state it leaves, a unique notification key)
does not.

No Temporal server is needed: ``ActivityEnvironment`` gives the activities their ``activity.info()``, and the rows
the workflows would have stored before (goals, tasks, reviews, assignments, plans, certifications) are inserted
directly or by running the earlier activity outside any scope.
"""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any, TypeAlias

import asyncpg
import pytest
from temporalio.testing import ActivityEnvironment

from agents import certification_verifier as verifier
from agents import onboarding as onboarding_agent
from infra import audit, idempotency
from infra.store import certifications as cert_store
from infra.store.certifications import FlagArguments
from infra.store.plans import GoalPlan, PlannedTask, PlanStep
from infra.store.staffing import StaffingProposal
from policies import ramp_store
from tools.certifications.certificate_text import simple_pdf
from workers import activities as goal_activities
from workers import certification_activities as cert_activities
from workers import move_activities, onboarding_activities
from workflows.activity_inputs import (
    AgentFailed,
    AgentStep,
    ApplyPlan,
    ApplyStaffing,
    Escalation,
    OpenReview,
    RecordDecision,
    RouteAction,
    SavePlan,
    StatusChange,
    TaskUnstaffed,
)
from workflows.certification_messages import (
    ApplyFlag,
    ApplyRenewal,
    CadenceMark,
    CertificationInput,
    FinishPeriod,
    PeriodFacts,
    ReminderToSend,
    VerifyRenewal,
)
from workflows.messages import Assignment, Decision, ReviewRequest, StaffingArguments
from workflows.move_messages import (
    AskRelease,
    MoveAct,
    MoveInput,
    OfferFacts,
    RecordAnswer,
    RecordRelease,
    SettleRefusal,
)
from workflows.onboarding_messages import (
    DraftedPlan,
    FinishPlan,
    ItemTick,
    Nudge,
    OnboardingInput,
    RecordTick,
    StartPlan,
)

pytestmark = pytest.mark.integration
Pool: TypeAlias = "asyncpg.Pool[Any]"
MANAGER = "mgr.payments"
REVIEWER = "hr.reviewer"
GOAL_TEXT = "Publish the quarterly release notes for the payments team within 6 weeks"
PLAN = GoalPlan(summary="Write and publish the release notes", deadline_weeks=6, tasks=[
    PlannedTask(task_id="T1", title="Collect the changes", description="Collect what changed this quarter",
                skills=["Written Comprehension"], effort_hours=20, start_week=0, end_week=2),
    PlannedTask(task_id="T2", title="Write the release notes", description="Write them for customers",
                skills=["Writing"], effort_hours=30, start_week=2, end_week=4, depends_on=["T1"])])
EDITED_PLAN = PLAN.model_copy(update={"tasks": [PLAN.tasks[0], PLAN.tasks[1].model_copy(
    update={"title": "Write and publish the release notes", "effort_hours": 40})]})
STEP = AgentStep(model="local-planner", prompt_version="templates/1", tool_calls=[{"tool": "plan", "args": {}}])
IGNORED_COLUMNS = ("updated_at",)
"""Bookkeeping of when a row was last written, not what it says: left out of the snapshots."""
NOT_COMPARED = ("activity_effects",)
"""The claims themselves: compared per execution key, since the control adds its own."""
REFERENCE_DATA = ("esco_", "onet_")
"""The occupational taxonomy, written by its import only: left out of the snapshots (it is most of their time)."""


# --- running an activity as one execution, attempt after attempt ------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class Case:
    """An activity and its input, on rows stored as its workflow would have stored them before."""

    activity: Callable[..., Awaitable[Any]]
    arg: Any
    audited: int
    """Audit events its execution appends."""
    kept_by_business_key: bool
    """A run under another execution's key writes nothing either (a state guard or a unique business key)."""
    varies: Callable[[pytest.MonkeyPatch], None] | None = None
    """Makes what a real run could answer differently (a model, a random draw) differ from call to call."""
    undo: Callable[[Pool], Awaitable[None]] | None = None
    """Puts back what the setup changed for everyone (a trust-ramp pin), once the test is over."""


async def attempt(case: Case, workflow_id: str, activity_id: str, number: int) -> Any:
    """One attempt of the execution ``workflow_id``/run/``activity_id``, scoped as ``workers.effect_keys`` does."""
    name = case.activity.__name__
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id=workflow_id, workflow_run_id=f"{workflow_id}-run",
                                   activity_id=activity_id, activity_type=name, attempt=number)
    # a fresh scope per attempt, like the interceptor: the per-action event counters start again at 1
    with idempotency.activity_scope(execution_key(workflow_id, activity_id), name):
        return await env.run(case.activity, case.arg)


def execution_key(workflow_id: str, activity_id: str) -> str:
    """``<workflow id>/<run id>/<activity id>``, as ``workers.effect_keys`` makes it."""
    return f"{workflow_id}/{workflow_id}-run/{activity_id}"


async def outside_any_scope(activity: Callable[..., Awaitable[Any]], arg: Any) -> Any:
    """Run an earlier step of the workflow (the setup), as code without an execution key does."""
    return await ActivityEnvironment().run(activity, arg)


async def snapshot(pool: Pool) -> dict[str, str]:
    """Every table of the database (but the claims and the taxonomy): its row count and a hash of its rows."""
    async with pool.acquire() as conn:
        tables = [r["tablename"] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        ignored = "".join(f" - '{c}'" for c in IGNORED_COLUMNS)
        found = {}
        for table in tables:
            if table in NOT_COMPARED or table.startswith(REFERENCE_DATA):
                continue
            found[table] = await conn.fetchval(
                f"SELECT count(*) || ':' || coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '')"
                f" FROM (SELECT (to_jsonb(x){ignored})::text AS r FROM {table} x) s")
        return found


async def keyed_events(pool: Pool, key: str) -> list[tuple[int, str, str]]:
    """The audit events appended under one execution's key."""
    rows = await pool.fetch(
        "SELECT seq, action, idempotency_key FROM audit_events WHERE left(idempotency_key, $2) = $1 ORDER BY seq",
        key + "/", len(key) + 1)
    return [(r["seq"], r["action"], r["idempotency_key"]) for r in rows]


async def claim_of(pool: Pool, key: str) -> Any:
    return await pool.fetchrow("SELECT key, activity, result, recorded_at FROM activity_effects WHERE key = $1", key)


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in after if before.get(t) != after[t])


# --- rows the workflows store before these activities run ----------------------------------------------------


async def free_person(pool: Pool) -> asyncpg.Record:
    """Someone booked nowhere, with an e-mail and a login of their own, whose line manager can sign in."""
    row: asyncpg.Record | None = await pool.fetchrow(
        "SELECT e.employee_id, e.manager_id, (SELECT min(u.login) FROM users u WHERE u.employee_id = e.employee_id)"
        " AS login, (SELECT min(u.login) FROM users u WHERE u.employee_id = e.manager_id) AS manager_login"
        " FROM employees e WHERE e.left_on IS NULL AND e.capacity_pct = 100 AND e.email IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.employee_id AND u.role = 'employee')"
        " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.employee_id AND u.role <> 'employee')"
        " AND EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.manager_id)"
        " AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.employee_id = e.employee_id)"
        " ORDER BY e.employee_id LIMIT 1")
    assert row is not None, "the demo organisation has nobody left unbooked"
    return row


async def new_goal(pool: Pool, *, status: str = "staffed") -> str:
    """A goal of mgr.payments with one task T1 and an approved staffing review ``r-<goal>``."""
    goal_id = f"g-retry-{uuid.uuid4().hex[:8]}"
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO goals (goal_id, text, manager_login, status, workflow_id, model, starts_on, submitted_by)"
            " VALUES ($1, $2, $3, $4, $5, 'local-planner', current_date, $3)",
            goal_id, GOAL_TEXT, MANAGER, status, f"goal-{goal_id}")
        await conn.execute(
            "INSERT INTO tasks (goal_id, task_id, position, title, description, skills, effort_hours, start_week,"
            " end_week) VALUES ($1, 'T1', 0, 'Collect the changes', 'Collect them',"
            " '[\"Customer and Personal Service\", \"Economics and Accounting\"]'::jsonb, 80, 0, 6)", goal_id)
        await review(conn, goal_id, f"r-{goal_id}", "propose_staffing", status="approved")
    return goal_id


async def review(conn: Any, goal_id: str, review_id: str, action_type: str, *, status: str = "pending",
                 arguments: dict[str, Any] | None = None, sampled: bool = False) -> str:
    await conn.execute(
        "INSERT INTO review_requests (review_id, goal_id, workflow_id, action_type, arguments, args_hash, evidence,"
        " explanation, risk_tier, policy_version, routed_because, requested_by, status, due_at, sampled, decided_by,"
        " reason) VALUES ($1, $2, $3, $4, $5, 'h', '{}', 'x', 'high', 'p', 'forced', $6, $7, now() + interval '1 day',"
        " $8, $9, $10)", review_id, goal_id, f"goal-{goal_id}", action_type, arguments or {}, MANAGER, status,
        sampled, REVIEWER if status != "pending" else None, "checked" if status != "pending" else None)
    return review_id


async def assignment(pool: Pool, goal_id: str, employee_id: str, state: str, *, line_manager_id: str | None = None,
                     release_due_at: datetime | None = None, ends_in_days: int = 42) -> None:
    await pool.execute(
        "INSERT INTO assignments (goal_id, task_id, employee_id, fraction, start_week, end_week, score, reason,"
        " review_id, starts_on, ends_on, state, line_manager_id, release_due_at, offered_at) VALUES ($1, 'T1', $2,"
        " 0.5, 0, 6, 0.8, 'did it before', $3, current_date, current_date + $4::int, $5, $6, $7,"
        " CASE WHEN $5 = 'offered' THEN NULL ELSE now() END)",
        goal_id, employee_id, f"r-{goal_id}", ends_in_days, state, line_manager_id, release_due_at)


async def staffed_move(pool: Pool, state: str, **columns: Any) -> tuple[MoveInput, asyncpg.Record]:
    person = await free_person(pool)
    goal_id = await new_goal(pool)
    await assignment(pool, goal_id, person["employee_id"], state, **columns)
    return MoveInput(goal_id=goal_id, goal_workflow_id=f"goal-{goal_id}", task_id="T1",
                     employee_id=person["employee_id"], manager_login=MANAGER), person


async def released_onboarding(pool: Pool) -> OnboardingInput:
    move, _ = await staffed_move(pool, "released")
    return OnboardingInput(goal_id=move.goal_id, task_id="T1", employee_id=move.employee_id, manager_login=MANAGER)


async def drafted_onboarding(pool: Pool) -> tuple[OnboardingInput, DraftedPlan]:
    o = await released_onboarding(pool)
    drafted: DraftedPlan = await outside_any_scope(onboarding_activities.drafting_activity(None), o)
    return o, drafted


async def started_onboarding(pool: Pool) -> tuple[OnboardingInput, DraftedPlan]:
    o, drafted = await drafted_onboarding(pool)
    await outside_any_scope(onboarding_activities.start_onboarding,
                            StartPlan(onboarding=o, plan=drafted.plan, review_id=None))
    return o, drafted


async def certified(pool: Pool, *, expires_in_days: int = 20) -> CertificationInput:
    """A person holding a certification of a type of its own that expires soon, staffed (released) on a task that
    needs it well past the expiry."""
    person = await free_person(pool)
    type_id = f"retry-{uuid.uuid4().hex[:8]}"
    expires = date.today() + timedelta(days=expires_in_days)
    goal_id = await new_goal(pool)
    async with pool.acquire() as conn, conn.transaction():
        await cert_store.save_type(conn, type_id, cert_store.CertificationTypeBase(
            name=f"Retry Certificate {type_id[-4:]}", issuer="Retry Council", validity_months=12, grace_days=30,
            renewal_lead_days=30, skills=["Law and Government"], keywords=[f"kw{type_id[-8:]}"]), edited_by="test")
        cert_id, _ = await cert_store.record(
            conn, employee_id=person["employee_id"], type_id=type_id, credential_id="RC-1", source="test",
            period=cert_store.PeriodIn(issued_on=expires - timedelta(days=365), expires_on=expires,
                                       evidence_kind="import"))
        await cert_store.require(conn, goal_id, "T1", type_id, set_by="grounding", reason="the task needs it")
    await assignment(pool, goal_id, person["employee_id"], "released", ends_in_days=280)
    name = await pool.fetchval("SELECT name FROM certification_types WHERE type_id = $1", type_id)
    return CertificationInput(certification_id=cert_id, period=1, employee_id=person["employee_id"], name=name,
                              facts=PeriodFacts(expires_on=expires, grace_days=30, offsets=[90, 60, 30, 7]))


async def submitted_renewal(pool: Pool) -> tuple[CertificationInput, str]:
    c = await certified(pool)
    login = await pool.fetchval("SELECT min(login) FROM users WHERE employee_id = $1", c.employee_id)
    holder = await pool.fetchval("SELECT name FROM employees WHERE employee_id = $1", c.employee_id)
    issued = date.today() - timedelta(days=2)
    expires = date(issued.year + 1, issued.month, min(issued.day, 28))
    renewal_id = f"ren-{uuid.uuid4().hex[:12]}"
    content = simple_pdf(["Retry Council", "This certifies that", holder, f"holds {c.name}",
                          f"Issued on {issued:%d %B %Y}", f"Valid until {expires:%d %B %Y}"])
    async with pool.acquire() as conn:
        await cert_store.save_file(conn, file_id=renewal_id, name="certificate.pdf", content_type="application/pdf",
                                   content=content, uploaded_by=login)
        await cert_store.add_renewal(conn, cert_store.Renewal(
            renewal_id=renewal_id, certification_id=c.certification_id, period=1, issued_on=issued,
            expires_on=expires, credential_id="RC-2", evidence_ref=renewal_id, evidence_name="certificate.pdf",
            submitted_by=login, submitted_at=datetime.now(UTC), status="submitted", review_id=None,
            decided_reason=None))
    return c, renewal_id


async def flagged(pool: Pool, outcome: str) -> ApplyFlag:
    c = await certified(pool)
    [found] = await outside_any_scope(cert_activities.find_lapsed_assignments, c)
    async with pool.acquire() as conn:
        review_id = await review(conn, found.goal_id, f"r-flag-{uuid.uuid4().hex[:8]}",
                                 "flag_assignment_certification", status="approved")
    return ApplyFlag(certification=c, review_id=review_id, decided_by=REVIEWER, reason="HR looked at it",
                     arguments=FlagArguments(goal_id=found.goal_id, task_id=found.task_id,
                                             employee_id=found.employee_id, certification_id=c.certification_id,
                                             period=1, outcome=outcome,
                                             renew_by=date.today() + timedelta(days=30) if outcome == "keep"
                                             else None))


# --- the cases: every activity that writes -------------------------------------------------------------------

Setup = Callable[[Pool], Awaitable[Case]]
SETUPS: dict[str, Setup] = {}


def case(name: str) -> Callable[[Setup], Setup]:
    def register(setup: Setup) -> Setup:
        SETUPS[name] = setup
        return setup
    return register


# the goal workflow (workers/activities.py)


@case("route_action")
async def _route_action(pool: Pool) -> Case:
    goal_id = await new_goal(pool, status="planning")
    # a model of its own: the first draw also resets the ramp's evidence (state and history written once)
    return Case(activity=goal_activities.route_action, audited=1, kept_by_business_key=False,
                arg=RouteAction(goal_id=goal_id, action_type="decompose_goal", prompt_version="templates/1",
                                model=f"model-{uuid.uuid4().hex[:6]}"))


class Draws:
    """The trust ramp's random draws: low, then high, then low ..."""

    def __init__(self) -> None:
        self.values = itertools.cycle([0.25, 0.75])

    def random(self) -> float:
        return next(self.values)


def draws_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = Draws()
    monkeypatch.setattr(ramp_store, "random", SimpleNamespace(SystemRandom=lambda: draws))


@case("route_action (the draw decides)")
async def _route_action_drawn(pool: Pool) -> Case:
    """At a 50% share the draw decides: drawing again on the retry would route the action the other way."""
    goal_id = await new_goal(pool, status="planning")
    arg = RouteAction(goal_id=goal_id, action_type="send_reminder", prompt_version="nudges/1", model="retry-model")
    await outside_any_scope(goal_activities.route_action, arg)  # the ramp's evidence is for this model now
    async with pool.acquire() as conn:
        await ramp_store.set_pin(conn, "send_reminder", 0.5, by="admin")

    async def unpin(pool: Pool) -> None:  # later modules' reminders are reviewed as the ramp says
        async with pool.acquire() as conn:
            await ramp_store.set_pin(conn, "send_reminder", None, by="admin")
    return Case(activity=goal_activities.route_action, arg=arg, audited=1, kept_by_business_key=False,
                varies=draws_differ, undo=unpin)


@case("set_goal_status")
async def _set_goal_status(pool: Pool) -> Case:
    goal_id = await new_goal(pool, status="planning")
    return Case(activity=goal_activities.set_goal_status, audited=1, kept_by_business_key=False,
                arg=StatusChange(goal_id=goal_id, status="staffing", detail="the plan was approved"))


@case("record_agent_failure")
async def _record_agent_failure(pool: Pool) -> Case:
    goal_id = await new_goal(pool, status="staffing")
    return Case(activity=goal_activities.record_agent_failure, audited=2, kept_by_business_key=False,
                arg=AgentFailed(goal_id=goal_id, step="propose_staffing", reason="the model did not answer",
                                error_type="ModelUnavailable", details={"agent": "propose_staffing", "model": "m"}))


@case("save_plan")
async def _save_plan(pool: Pool) -> Case:
    goal_id = await new_goal(pool, status="planning")
    return Case(activity=goal_activities.save_plan, audited=2, kept_by_business_key=False,
                arg=SavePlan(goal_id=goal_id, plan=PLAN, step=STEP, graph_steps=[
                    PlanStep(node="understand", summary="a release-notes goal", output={"kind": "writing"})]))


@case("save_plan (certifications grounded)")
async def _save_plan_grounded(pool: Pool) -> Case:
    goal_id = await new_goal(pool, status="planning")
    plan = PLAN.model_copy(update={"tasks": [PLAN.tasks[0].model_copy(
        update={"description": "Collect what changed in the cardholder data flows for the PCI DSS audit"}),
        PLAN.tasks[1]]})
    return Case(activity=goal_activities.save_plan, audited=2, kept_by_business_key=False,
                arg=SavePlan(goal_id=goal_id, plan=plan, step=STEP))


@case("apply_plan")
async def _apply_plan(pool: Pool) -> Case:
    goal_id = await new_goal(pool, status="awaiting_plan_review")
    async with pool.acquire() as conn:
        review_id = await review(conn, goal_id, f"r-plan-{goal_id}", "decompose_goal", status="edited",
                                 arguments=PLAN.model_dump(mode="json"))
    return Case(activity=goal_activities.apply_plan, audited=1, kept_by_business_key=False,
                arg=ApplyPlan(goal_id=goal_id, review_id=review_id, plan=EDITED_PLAN))


@case("open_review")
async def _open_review(pool: Pool) -> Case:
    goal_id = await new_goal(pool, status="planning")
    arguments = PLAN.model_dump(mode="json")
    request = ReviewRequest(
        review_id=f"r-{uuid.uuid4().hex[:12]}", goal_id=goal_id, action_type="decompose_goal", arguments=arguments,
        args_hash=audit.args_hash(arguments), risk_tier="low", policy_version="decompose_goal@v0/1",
        routed_because="sampled", requested_by=MANAGER, due_at=(datetime.now(UTC) + timedelta(days=2)).isoformat())
    return Case(activity=goal_activities.open_review, audited=2, kept_by_business_key=False,
                arg=OpenReview(request=request, plan=PLAN, step=STEP, goal_status="awaiting_plan_review",
                               sampled=True, fingerprint=None))


@case("record_decision")
async def _record_decision(pool: Pool) -> Case:
    goal_id = await new_goal(pool, status="awaiting_plan_review")
    async with pool.acquire() as conn:
        review_id = await review(conn, goal_id, f"r-dec-{goal_id}", "send_reminder", sampled=True)
    return Case(activity=goal_activities.record_decision, audited=1, kept_by_business_key=False,
                arg=RecordDecision(goal_id=goal_id, executed_arguments={}, executed_args_hash="h",
                                   decision=Decision(review_id=review_id, args_hash="h", decision="reject",
                                                     reviewer=REVIEWER, reason="not now", via="api")))


async def _escalation(pool: Pool, *, parked: bool, default: str | None) -> Case:
    goal_id = await new_goal(pool, status="awaiting_review")
    async with pool.acquire() as conn:
        review_id = await review(conn, goal_id, f"r-esc-{goal_id}", "propose_staffing")
    return Case(activity=goal_activities.escalate_review, audited=1, kept_by_business_key=False,
                arg=Escalation(goal_id=goal_id, review_id=review_id, escalations=2 if parked else 1, parked=parked,
                               due_at=(datetime.now(UTC) + timedelta(days=1)).isoformat(),
                               default_applied=default))


@case("escalate_review (escalated)")
async def _escalate_review(pool: Pool) -> Case:
    return await _escalation(pool, parked=False, default=None)


@case("escalate_review (parked)")
async def _escalate_review_parked(pool: Pool) -> Case:
    return await _escalation(pool, parked=True, default="park")


@case("escalate_review (defaulted)")
async def _escalate_review_defaulted(pool: Pool) -> Case:
    return await _escalation(pool, parked=False, default="reject")


@case("apply_staffing")
async def _apply_staffing(pool: Pool) -> Case:
    goal_id = await new_goal(pool, status="awaiting_review")
    person = await free_person(pool)
    return Case(activity=goal_activities.apply_staffing, audited=1, kept_by_business_key=False,
                arg=ApplyStaffing(goal_id=goal_id, review_id=f"r-{goal_id}", moves=True,
                                  proposal=StaffingProposal(tasks=[], explanation="retry test"),
                                  arguments=StaffingArguments(assignments=[Assignment(
                                      task_id="T1", employee_id=person["employee_id"], fraction=0.5, start_week=0,
                                      end_week=4)])))


@case("offer_again")
async def _offer_again(pool: Pool) -> Case:
    move, _ = await staffed_move(pool, "declined")
    person = await free_person(pool)
    return Case(activity=goal_activities.offer_again, audited=1, kept_by_business_key=True,
                arg=ApplyStaffing(goal_id=move.goal_id, review_id=f"r-{move.goal_id}", moves=True,
                                  proposal=StaffingProposal(tasks=[], explanation="retry test"),
                                  arguments=StaffingArguments(assignments=[Assignment(
                                      task_id="T1", employee_id=person["employee_id"], fraction=0.5, start_week=0,
                                      end_week=4)])))


@case("record_task_unstaffed")
async def _record_task_unstaffed(pool: Pool) -> Case:
    move, _ = await staffed_move(pool, "declined")
    return Case(activity=goal_activities.record_task_unstaffed, audited=1, kept_by_business_key=True,
                arg=TaskUnstaffed(goal_id=move.goal_id, task_id="T1", employee_id=move.employee_id,
                                  reason="they declined and nobody else fits"))


# the move workflow (workers/move_activities.py)


@case("offer_move")
async def _offer_move(pool: Pool) -> Case:
    move, _ = await staffed_move(pool, "offered")
    return Case(activity=move_activities.offer_move, arg=move, audited=1, kept_by_business_key=True)


@case("record_answer (accept)")
async def _record_answer_accept(pool: Pool) -> Case:
    move, person = await staffed_move(pool, "offered")
    return Case(activity=move_activities.record_answer, audited=1, kept_by_business_key=True,
                arg=RecordAnswer(move=move, act=MoveAct(kind="accept", actor=person["login"], via="api")))


@case("record_answer (decline)")
async def _record_answer_decline(pool: Pool) -> Case:
    move, person = await staffed_move(pool, "offered")
    return Case(activity=move_activities.record_answer, audited=1, kept_by_business_key=True,
                arg=RecordAnswer(move=move, act=MoveAct(kind="decline", actor=person["login"],
                                                        reason="I am on another project")))


@case("ask_release")
async def _ask_release(pool: Pool) -> Case:
    move, person = await staffed_move(pool, "accepted")
    return Case(activity=move_activities.ask_release, audited=1, kept_by_business_key=True,
                arg=AskRelease(move=move, due_at=(datetime.now(UTC) + timedelta(days=3)).isoformat(),
                               facts=OfferFacts(line_manager_id=person["manager_id"],
                                                line_manager_login=person["manager_login"])))


async def _release(pool: Pool, *, released: bool, by_silence: bool) -> Case:
    move, person = await staffed_move(pool, "accepted", line_manager_id=None,
                                      release_due_at=datetime.now(UTC) + timedelta(days=3))
    by = "policy" if by_silence else person["manager_login"]
    return Case(activity=move_activities.record_release, audited=1, kept_by_business_key=True,
                arg=RecordRelease(move=move, released=released, by=by, by_silence=by_silence,
                                  reason=None if released else "we need them for the year-end close",
                                  line_manager_id=person["manager_id"], via=None if by_silence else "console"))


@case("record_release (released)")
async def _record_release(pool: Pool) -> Case:
    return await _release(pool, released=True, by_silence=False)


@case("record_release (by silence)")
async def _record_release_silence(pool: Pool) -> Case:
    return await _release(pool, released=True, by_silence=True)


@case("record_release (refused)")
async def _record_release_refused(pool: Pool) -> Case:
    return await _release(pool, released=False, by_silence=False)


async def _settle(pool: Pool, status: str) -> Case:
    move, _ = await staffed_move(pool, "refused")
    async with pool.acquire() as conn:
        review_id = await review(conn, move.goal_id, f"r-hr-{move.goal_id}", "override_release_refusal",
                                 status=status)
    return Case(activity=move_activities.settle_refusal, audited=1, kept_by_business_key=True,
                arg=SettleRefusal(move=move, review_id=review_id))


@case("settle_refusal (overruled)")
async def _settle_overruled(pool: Pool) -> Case:
    return await _settle(pool, "approved")


@case("settle_refusal (upheld)")
async def _settle_upheld(pool: Pool) -> Case:
    return await _settle(pool, "rejected")


# the onboarding workflow (workers/onboarding_activities.py)


def drafts_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each draft says which one it is, as a model's drafts differ."""
    calls = itertools.count(1)
    offline = onboarding_agent.draft_offline

    def draft(ctx: Any) -> Any:
        plan = offline(ctx)
        return plan.model_copy(update={"summary": f"{plan.summary} (draft {next(calls)})"})
    monkeypatch.setattr(onboarding_agent, "draft_offline", draft)


@case("draft_onboarding_plan")
async def _draft_onboarding_plan(pool: Pool) -> Case:
    return Case(activity=onboarding_activities.drafting_activity(None), arg=await released_onboarding(pool),
                audited=1, kept_by_business_key=False, varies=drafts_differ)


@case("start_onboarding")
async def _start_onboarding(pool: Pool) -> Case:
    o, drafted = await drafted_onboarding(pool)
    return Case(activity=onboarding_activities.start_onboarding, audited=1, kept_by_business_key=True,
                arg=StartPlan(onboarding=o, plan=drafted.plan, review_id=None))


@case("record_onboarding_tick (item)")
async def _record_tick(pool: Pool) -> Case:
    o, drafted = await started_onboarding(pool)
    item = next(i for i in drafted.plan.items if i.kind in ("learning", "practice") and i.skills)
    login = await pool.fetchval("SELECT min(login) FROM users WHERE employee_id = $1", o.employee_id)
    return Case(activity=onboarding_activities.record_onboarding_tick, audited=1, kept_by_business_key=True,
                arg=RecordTick(onboarding=o, tick=ItemTick(item_id=item.item_id, actor=login), day=5))


@case("record_onboarding_tick (productive)")
async def _record_productive(pool: Pool) -> Case:
    o, _ = await started_onboarding(pool)
    return Case(activity=onboarding_activities.record_onboarding_tick, audited=1, kept_by_business_key=True,
                arg=RecordTick(onboarding=o, tick=ItemTick(item_id="-", actor=MANAGER), day=40))


async def _nudge(pool: Pool, kind: str) -> Case:
    o, drafted = await started_onboarding(pool)
    item = next(i for i in drafted.plan.items if (i.kind == "checkin") == (kind == "escalation"))
    return Case(activity=onboarding_activities.send_onboarding_nudge, audited=1, kept_by_business_key=True,
                arg=Nudge(onboarding=o, item_id=item.item_id, kind=kind, step=1,
                          key=f"{kind}:{item.item_id}:1"))


@case("send_onboarding_nudge (reminder)")
async def _send_reminder(pool: Pool) -> Case:
    return await _nudge(pool, "reminder")


@case("send_onboarding_nudge (escalation)")
async def _send_escalation(pool: Pool) -> Case:
    return await _nudge(pool, "escalation")


@case("finish_onboarding")
async def _finish_onboarding(pool: Pool) -> Case:
    o, _ = await started_onboarding(pool)
    return Case(activity=onboarding_activities.finish_onboarding, audited=1, kept_by_business_key=True,
                arg=FinishPlan(onboarding=o, status="completed", reason="every item is done"))


# the certification cadence (workers/certification_activities.py)


@case("mark_certification_cadence")
async def _mark_cadence(pool: Pool) -> Case:
    return Case(activity=cert_activities.mark_certification_cadence, audited=0, kept_by_business_key=True,
                arg=CadenceMark(certification=await certified(pool)))


@case("send_certification_reminder")
async def _send_certification_reminder(pool: Pool) -> Case:
    return Case(activity=cert_activities.send_certification_reminder, audited=3, kept_by_business_key=True,
                arg=ReminderToSend(certification=await certified(pool), key="before:30", kind="before",
                                   days_before=30, audience=["holder", "line_manager", "hr"]))


def readings_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each verification says which one it is, as a model's readings of one certificate can differ."""
    calls = itertools.count(1)
    checks = verifier.verify

    def verify(facts: Any) -> Any:
        finding = checks(facts)
        return dataclasses.replace(finding, checked=[*finding.checked, f"reading {next(calls)}"])
    monkeypatch.setattr(verifier, "verify", verify)


@case("verify_certification_renewal")
async def _verify_renewal(pool: Pool) -> Case:
    c, renewal_id = await submitted_renewal(pool)
    # audited once per renewal of the workflow, whichever execution: another activity id appends nothing either
    return Case(activity=cert_activities.verification_activity(None), audited=1, kept_by_business_key=True,
                arg=VerifyRenewal(certification=c, renewal_id=renewal_id, today=date.today()),
                varies=readings_differ)


@case("apply_renewal")
async def _apply_renewal(pool: Pool) -> Case:
    c, renewal_id = await submitted_renewal(pool)
    return Case(activity=cert_activities.apply_renewal, audited=1, kept_by_business_key=True,
                arg=ApplyRenewal(certification=c, renewal_id=renewal_id, review_id=None,
                                 decided_by="verification-agent"))


@case("refuse_renewal")
async def _refuse_renewal(pool: Pool) -> Case:
    c, renewal_id = await submitted_renewal(pool)
    return Case(activity=cert_activities.refuse_renewal, audited=1, kept_by_business_key=True,
                arg=ApplyRenewal(certification=c, renewal_id=renewal_id, review_id=None, decided_by=REVIEWER,
                                 reason="the certificate names someone else"))


@case("find_lapsed_assignments")
async def _find_lapsed(pool: Pool) -> Case:
    return Case(activity=cert_activities.find_lapsed_assignments, arg=await certified(pool), audited=1,
                kept_by_business_key=True)


@case("apply_certification_flag (keep)")
async def _apply_flag_keep(pool: Pool) -> Case:
    return Case(activity=cert_activities.apply_certification_flag, arg=await flagged(pool, "keep"), audited=1,
                kept_by_business_key=True)


@case("apply_certification_flag (replace)")
async def _apply_flag_replace(pool: Pool) -> Case:
    return Case(activity=cert_activities.apply_certification_flag, arg=await flagged(pool, "replace"), audited=1,
                kept_by_business_key=True)


@case("dismiss_certification_flag")
async def _dismiss_flag(pool: Pool) -> Case:
    return Case(activity=cert_activities.dismiss_certification_flag, arg=await flagged(pool, "pause"), audited=1,
                kept_by_business_key=True)


@case("finish_certification_period")
async def _finish_period(pool: Pool) -> Case:
    return Case(activity=cert_activities.finish_certification_period, audited=1, kept_by_business_key=True,
                arg=FinishPeriod(certification=await certified(pool), result="expired"))


WRITING_ACTIVITIES = {
    *goal_activities.ALL_ACTIVITIES, *move_activities.MOVE_ACTIVITIES, *onboarding_activities.ONBOARDING_ACTIVITIES,
    *cert_activities.CERTIFICATION_ACTIVITIES}
"""Every activity registered by the worker that writes to Postgres (the planning and staffing agents and the
reconciliation, which starts workflows, write nothing there), but the two built per model."""


def test_every_writing_activity_has_a_case() -> None:
    covered = {name.split(" (")[0] for name in SETUPS}
    assert {a.__name__ for a in WRITING_ACTIVITIES} | {"draft_onboarding_plan", "verify_certification_renewal"} \
        == covered


# --- the tests -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
async def ramp_state_kept(pool: Pool) -> AsyncIterator[None]:
    """The trust ramp's state as the module found it, put back afterwards: the cases route and decide reminders
    under their own model and pin, and later modules of the shared database expect the ramp they would find."""
    before = await pool.fetch("SELECT action_type, state FROM trust_ramp_state")
    yield
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM trust_ramp_state")
        await conn.executemany("INSERT INTO trust_ramp_state (action_type, state) VALUES ($1, $2)",
                               [(r["action_type"], r["state"]) for r in before])


@pytest.mark.parametrize("name", list(SETUPS))
async def test_a_retry_after_the_commit_returns_the_same_and_writes_nothing(pool: Pool, name: str,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    case = await SETUPS[name](pool)
    if case.varies is not None:
        case.varies(monkeypatch)
    try:
        await retried(pool, case)
    finally:
        if case.undo is not None:
            await case.undo(pool)


async def retried(pool: Pool, case: Case) -> None:
    """Two attempts of one execution, then the control; see the module's docstring."""
    workflow_id = f"retry-{uuid.uuid4().hex[:10]}"
    key = execution_key(workflow_id, "7")

    first = await attempt(case, workflow_id, "7", 1)
    after_first = await snapshot(pool)
    events = await keyed_events(pool, key)
    claim = await claim_of(pool, key)
    assert len(events) == case.audited, events

    # the worker died before Temporal heard of the completion: the same execution, its next attempt
    second = await attempt(case, workflow_id, "7", 2)
    assert second == first
    after_second = await snapshot(pool)
    assert changed(after_first, after_second) == [], "the retry wrote again"
    assert await keyed_events(pool, key) == events
    assert await claim_of(pool, key) == claim

    # control: the same input as another execution (activity id) of the workflow
    await attempt(case, workflow_id, "8", 1)
    again = changed(after_second, await snapshot(pool))
    appended = await keyed_events(pool, execution_key(workflow_id, "8"))
    if case.kept_by_business_key:
        assert again == [] and appended == [], "a business key keeps this activity's effects once"
    else:
        assert "audit_events" in again and len(appended) == case.audited, (again, appended)


async def test_the_audit_chain_verifies_after_the_retries(pool: Pool) -> None:
    """Runs after the retries above (and retries once itself, when run alone): events stored under execution keys
    hash with their key, and an event found again is not appended, so the chain stays whole."""
    case = await SETUPS["record_agent_failure"](pool)
    workflow_id = f"retry-{uuid.uuid4().hex[:10]}"
    for number in (1, 2):
        await attempt(case, workflow_id, "1", number)
    async with pool.acquire() as conn:
        report = await audit.verify_chain(conn)
        keyed = await conn.fetchval("SELECT count(*) FROM audit_events WHERE idempotency_key IS NOT NULL")
    assert report.ok, report
    assert keyed >= 2
