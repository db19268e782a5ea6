"""Authority where decisions execute: the goal workflow itself refuses a decision the application layer did not
attest, or whose attested facts break a rule — sent straight to Temporal with the SDK, as the Temporal UI would.

Real Temporal and Postgres; the normal path (``usecases.decide_review``) still works and records how the reviewer
authenticated.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from support import eventually, review_id_of
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from infra.arguments import args_hash
from infra.keys import key_id
from infra.store.reviews import Review
from workflows import attestation, usecases
from workflows.goal_rules import validate_authority
from workflows.messages import (
    DECIDE_UPDATE,
    Decision,
    DecisionOutcome,
    GoalInput,
    ReviewRequest,
    StaffingArguments,
)
from workflows.usecases import GoalDetail, Services

pytestmark = pytest.mark.integration

GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"


async def refusal(handle: WorkflowHandle[object, object], decision: Decision) -> str:
    """Send ``decision`` by update straight to the workflow; the sentence it was refused with."""
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(DECIDE_UPDATE, decision, result_type=DecisionOutcome)
    cause = caught.value.cause
    return str(getattr(cause, "message", None) or cause)


async def status_is(svc: Services, goal_id: str, *wanted: str) -> GoalDetail | None:
    goal = await usecases.get_goal(svc, goal_id)
    assert goal.status != "failed", goal.status_detail
    return goal if goal.status in wanted else None


AS_REVIEWED = "as reviewed"


def signed(decision: Decision, key: bytes, *, role: str = "reviewer", employee_id: str | None = "E0322",
           verdict: str | None = "ok", executed: str | None = AS_REVIEWED, now: datetime | None = None) -> Decision:
    """``decision`` attested with ``key`` (the real key: as if the application layer had a bug; another key: a
    forgery); ``executed`` defaults to the reviewed arguments' hash (what an approval executes)."""
    return attestation.attest(decision, key=key, reviewer_role=role, reviewer_employee_id=employee_id,
                              bias_verdict=verdict, now=now,
                              executed_args_hash=decision.args_hash if executed == AS_REVIEWED else executed)


async def test_decisions_sent_straight_to_temporal_are_refused_by_the_workflow(services: Services) -> None:
    key = attestation.decision_key(services.settings.secret())
    goal_id = await usecases.submit_goal(services, text=GOAL, manager_login="mgr.payments",
                                        submitted_by="mgr.payments")
    planned = await eventually(lambda: status_is(services, goal_id, "awaiting_plan_review"), "the plan review")
    handle = services.temporal().get_workflow_handle(planned.workflow_id)
    plan = await usecases.get_review(services, review_id_of(planned))

    # the plan's gate: a plain SDK approval (what the Temporal UI sends) carries no attestation
    plain = Decision(review_id=plan.review_id, args_hash=plan.args_hash, decision="approve", reviewer="hr.reviewer")
    assert "not sent through talentops" in await refusal(handle, plain)
    assert "only reviewers and admins" in await refusal(handle, signed(
        plain.model_copy(update={"reviewer": "mgr.data"}), key, role="manager", employee_id="E0057", verdict=None))
    await usecases.decide_review(services, review_id=plan.review_id, decision="approve", reviewer="hr.reviewer2",
                                 via="api")

    goal = await eventually(lambda: status_is(services, goal_id, "awaiting_review"), "the staffing review")
    review = await usecases.get_review(services, review_id_of(goal))
    staffed_ids = [a["employee_id"] for a in review.arguments["assignments"]]
    approve = Decision(review_id=review.review_id, args_hash=review.args_hash, decision="approve",
                       reviewer="hr.reviewer")

    # no attestation at all: anyone, even a real reviewer, a non-reviewer, the goal's manager
    for who in ("hr.reviewer", "sanne.devries", "mgr.data", "nobody"):
        assert "not sent through talentops" in await refusal(handle, approve.model_copy(update={"reviewer": who}))
    assert "separation of duties" in await refusal(handle, approve.model_copy(update={"reviewer": "mgr.payments"}))
    # a forgery: facts signed with a key of the sender's own
    forged = signed(approve, secrets.token_bytes(32), role="admin")
    assert "does not trust" in await refusal(handle, forged)
    # a genuine attestation for hr.reviewer, reused for somebody else, or with its facts changed
    genuine = signed(approve, key)
    assert genuine.attestation is not None
    for who in ("mgr.data", "sanne.devries", "hr.reviewer2"):
        assert "does not verify" in await refusal(handle, genuine.model_copy(update={"reviewer": who}))
    assert "does not verify" in await refusal(handle, genuine.model_copy(update={
        "attestation": genuine.attestation.model_copy(update={"reviewer_role": "admin", "bias_verdict": None})}))
    assert "does not verify" in await refusal(handle, genuine.model_copy(update={"decision": "reject",
                                                                                  "reason": "no"}))

    # correctly signed facts that break a rule (as if the application layer had a bug): refused all the same
    as_manager = approve.model_copy(update={"reviewer": "mgr.data"})
    assert "only reviewers and admins" in await refusal(handle, signed(as_manager, key, role="manager",
                                                                       employee_id="E0057"))
    as_employee = approve.model_copy(update={"reviewer": "sanne.devries"})
    assert "only reviewers and admins" in await refusal(handle, signed(as_employee, key, role="employee",
                                                                       employee_id="E0103"))
    the_manager = approve.model_copy(update={"reviewer": "mgr.payments"})
    assert "separation of duties" in await refusal(handle, signed(the_manager, key, role="admin",
                                                                  employee_id="E0001"))
    about_oneself = signed(approve, key, employee_id=staffed_ids[0])
    assert "concerns its reviewer" in await refusal(handle, about_oneself)
    first = StaffingArguments.model_validate(review.arguments).assignments[0]
    edit_onto_oneself = Decision(
        review_id=review.review_id, args_hash=review.args_hash, decision="edit", reviewer="hr.reviewer",
        edited_arguments=StaffingArguments(assignments=[first.model_copy(update={"employee_id": "E0322"})]))
    executed = args_hash(edit_onto_oneself.edited_arguments.model_dump(mode="json"))  # type: ignore[union-attr]
    assert "concerns its reviewer" in await refusal(handle, signed(edit_onto_oneself, key, executed=executed))
    assert "bias audit blocks" in await refusal(handle, signed(approve, key, verdict="block"))
    assert "attested arguments" in await refusal(handle, signed(approve, key, executed="0" * 64))
    assert "expired" in await refusal(handle, signed(approve, key, now=datetime.now(UTC) - timedelta(minutes=6)))
    assert "in the future" in await refusal(handle, signed(approve, key, now=datetime.now(UTC) + timedelta(hours=1)))

    # nothing was decided by any of them
    assert (await usecases.get_goal(services, goal_id)).status == "awaiting_review"
    still = await usecases.get_review(services, review.review_id)
    assert still.status == "pending" and still.decided_by is None
    actions = [e.action for e in await usecases.audit_for_goal(services, goal_id)]
    assert actions.count("review.decided") == 1, "only the plan's decision, through the use case"

    # the normal path works, and the audit event says how the reviewer authenticated
    outcome = await usecases.decide_review(services, review_id=review.review_id, decision="approve",
                                           reviewer="hr.reviewer", via="cli")
    assert outcome.decision == "approve" and outcome.executed_args_hash == review.args_hash
    await eventually(lambda: status_is(services, goal_id, "staffed"), "the goal to be staffed")
    decided = [e for e in await usecases.audit_for_goal(services, goal_id) if e.action == "review.decided"]
    assert [(e.payload["review_id"], e.payload["via"]) for e in decided] == [(plan.review_id, "api"),
                                                                            (review.review_id, "cli")]


async def test_a_reviewer_staffed_on_the_goal_is_refused_by_the_use_case_and_the_workflow(
        services: Services) -> None:
    goal_id = await usecases.submit_goal(services, text=GOAL, manager_login="mgr.payments",
                                        submitted_by="mgr.payments")
    planned = await eventually(lambda: status_is(services, goal_id, "awaiting_plan_review"), "the plan review")
    await usecases.decide_review(services, review_id=review_id_of(planned), decision="approve",
                                 reviewer="hr.reviewer2")
    goal = await eventually(lambda: status_is(services, goal_id, "awaiting_review"), "the staffing review")
    review: Review = await usecases.get_review(services, review_id_of(goal))
    staffed = review.arguments["assignments"][0]["employee_id"]
    login = f"rev.{secrets.token_hex(3)}"
    await usecases.create_user(services, login=login, display_name="Self Interested", role="reviewer",
                               password=secrets.token_urlsafe(16), by="test", employee_id=staffed)
    with pytest.raises(usecases.Forbidden, match="concerns you"):
        await usecases.decide_review(services, review_id=review.review_id, decision="approve", reviewer=login)
    # the same facts, attested as the application layer would have if it had not checked
    key = attestation.decision_key(services.settings.secret())
    decision = signed(Decision(review_id=review.review_id, args_hash=review.args_hash, decision="approve",
                               reviewer=login), key, employee_id=staffed)
    handle = services.temporal().get_workflow_handle(goal.workflow_id)
    assert "concerns its reviewer" in await refusal(handle, decision)
    # a rejection about oneself is refused too: the decision concerns them either way
    reject = signed(Decision(review_id=review.review_id, args_hash=review.args_hash, decision="reject",
                             reviewer=login, reason="not me"), key, employee_id=staffed, verdict=None,
                    executed=None)
    assert "concerns its reviewer" in await refusal(handle, reject)
    assert (await usecases.get_review(services, review.review_id)).status == "pending"


# --- the validator's rules, without Temporal ----------------------------------------------------------------


def test_validate_authority_is_pure_and_fails_closed() -> None:
    key = attestation.decision_key("a-secret-of-this-installation")
    keys = {key_id(key): key}
    arguments = {"assignments": [{"task_id": "T1", "employee_id": "E0042", "fraction": 0.5, "start_week": 0,
                                  "end_week": 2}]}
    review = ReviewRequest(review_id="r-1", goal_id="g-1", action_type="propose_staffing", arguments=arguments,
                           args_hash=args_hash(arguments), risk_tier="high", policy_version="p",
                           routed_because="forced", requested_by="mgr.payments", due_at="2030-01-01T00:00:00+00:00")
    goal = GoalInput(goal_id="g-1", text="t", manager_login="mgr.payments", submitted_by="admin",
                     submitted_on="2030-01-01", review_sla_seconds=60)
    now = datetime.now(UTC)
    approve = Decision(review_id="r-1", args_hash=review.args_hash, decision="approve", reviewer="hr.reviewer")
    validate_authority(goal, review, signed(approve, key), now=now, keys=keys)  # the good case passes
    with pytest.raises(ValueError, match="not sent through talentops"):
        validate_authority(goal, review, approve, now=now, keys=keys)
    with pytest.raises(ValueError, match="does not trust"):
        validate_authority(goal, review, signed(approve, key), now=now, keys={})  # a worker without keys
    with pytest.raises(ValueError, match="separation of duties"):  # the submitter (an admin, for the manager)
        validate_authority(goal, review, signed(approve.model_copy(update={"reviewer": "admin"}), key, role="admin"),
                           now=now, keys=keys)
    with pytest.raises(ValueError, match="concerns its reviewer"):
        validate_authority(goal, review, signed(approve, key, employee_id="E0042"), now=now, keys=keys)
    with pytest.raises(ValueError, match="expired"):
        validate_authority(goal, review, signed(approve, key), now=now + attestation.TTL + timedelta(seconds=1),
                           keys=keys)
    # a plan does not concern people: no employee or bias rule, but still role and attestation
    plan_review = review.model_copy(update={"action_type": "decompose_goal"})
    validate_authority(goal, plan_review, signed(approve, key, employee_id="E0042", verdict=None), now=now,
                       keys=keys)
    with pytest.raises(ValueError, match="only reviewers"):
        validate_authority(goal, plan_review, signed(approve, key, role="manager"), now=now, keys=keys)
