"""Replay: the goal workflow's code must reproduce the commands of histories it already wrote.

A change that makes the workflow issue different commands for the same history (new activity, other order,
a timer more or less) breaks every goal in flight; these tests catch that before deploy.

The committed histories are goals that were planned, reviewed, approved and staffed:
``histories/goal_approved.json`` from before the plan-review gate (it must keep replaying through
``workflow.patched``), ``histories/goal_plan_reviewed.json`` with the plan's review (planned by the
decomposition agent), ``histories/goal_planning_graph.json`` planned by the planning graph, and
``histories/goal_agent_steps.json`` with every agent step (planning, staffing) an activity, and
``histories/goal_staffing_status.json`` where the workflow itself sets ``staffing`` when staffing starts (saving
a plan no longer does), and ``histories/goal_moves.json`` where every staffed person's move runs as a child
workflow until they accept and are released (``histories/move_released.json`` is one of those moves;
``histories/move_onboarding.json`` one that then starts its onboarding, and ``histories/onboarding_started.json``
that onboarding, drafted, reviewed and running). Record the newest ones only on purpose (a change that is meant
to be incompatible, e.g. behind ``workflow.patched``)::

    TALENTOPS_RECORD_HISTORY=1 .venv/bin/pytest tests/workflow/test_replay.py -k live -p no:cacheprovider
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic_ai.durable_exec.temporal import PydanticAIPlugin
from support import approve_plan, eventually, review_id_of
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import Replayer

from infra.store import users
from workflows import usecases
from workflows.certification import CertificationWorkflow
from workflows.goal import GoalWorkflow
from workflows.move import MoveWorkflow
from workflows.move_messages import move_workflow_id
from workflows.onboarding import OnboardingWorkflow
from workflows.onboarding_messages import onboarding_workflow_id
from workflows.usecases import Services, moves

pytestmark = pytest.mark.integration

HISTORIES = Path(__file__).parent / "histories"
HISTORY_FILE = HISTORIES / "goal_moves.json"
"""Where the live test records (the newest shape of the workflow)."""
MOVE_HISTORY_FILE = HISTORIES / "move_onboarding.json"
"""Where the live test records one move of that goal (released, its onboarding started)."""
ONBOARDING_HISTORY_FILE = HISTORIES / "onboarding_started.json"
"""Where the live test records that move's onboarding: drafted, reviewed, running on its timers."""
RECORDED_MOVES = [HISTORIES / "move_released.json", MOVE_HISTORY_FILE]
RECORDED = [HISTORIES / "goal_approved.json", HISTORIES / "goal_plan_reviewed.json",
            HISTORIES / "goal_planning_graph.json", HISTORIES / "goal_agent_steps.json",
            HISTORIES / "goal_staffing_status.json", HISTORY_FILE]
RECORD = os.environ.get("TALENTOPS_RECORD_HISTORY") == "1"
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"


def replayer() -> Replayer:
    """A replayer configured like the worker: the pydantic-ai plugin (payload converter, sandbox) and tracing."""
    return Replayer(workflows=[GoalWorkflow, MoveWorkflow, OnboardingWorkflow, CertificationWorkflow],
                    plugins=[PydanticAIPlugin()],
                    interceptors=[TracingInterceptor()])


def event_types(history: WorkflowHistory) -> list[int]:
    return [e.event_type for e in history.events]


def activity_names(history: WorkflowHistory) -> list[str]:
    return [e.activity_task_scheduled_event_attributes.activity_type.name for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]


def assert_is_an_approved_goal(history: WorkflowHistory) -> None:
    """The history covers the whole path: agents, review, a decision by update, staffing, completion."""
    types = event_types(history)
    assert types[0] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    assert types[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED in types
    assert EventType.EVENT_TYPE_TIMER_STARTED in types, "the review SLA timer"
    names = activity_names(history)
    for name in ("set_goal_status", "save_plan", "open_review", "record_decision", "apply_staffing"):
        assert name in names
    planned = "plan_goal" in names or sum("decompose_goal__model_request" in n for n in names) >= 1
    assert planned, f"the plan comes from the planning graph or the decomposition agent: {names}"
    staffed = "propose_staffing" in names or sum("propose_staffing__model_request" in n for n in names) >= 2
    assert staffed, f"the staffing step ran (an activity, or the agent inside the workflow): {names}"
    assert names.index("record_decision") < names.index("apply_staffing")


async def run_approved_goal(svc: Services) -> str:
    """Submit a goal, approve its plan and its staffing, wait for the workflow to complete; its workflow id."""
    goal_id = await usecases.submit_goal(svc, text=GOAL, manager_login="mgr.payments", submitted_by="mgr.payments")
    assert await approve_plan(svc, goal_id) is not None
    for _ in range(600):
        goal = await usecases.get_goal(svc, goal_id)
        if goal.status == "awaiting_review":
            break
        assert goal.status != "failed", goal.status_detail
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"goal stuck in {goal.status}")
    await usecases.decide_review(svc, review_id=review_id_of(goal), decision="approve",
                                reviewer="hr.reviewer")
    await accept_and_release_everyone(svc, goal.goal_id)
    handle = svc.temporal().get_workflow_handle(goal.workflow_id)
    assert await asyncio.wait_for(handle.result(), timeout=30) == "staffed"
    return goal.workflow_id


async def accept_and_release_everyone(svc: Services, goal_id: str) -> None:
    """Every person staffed accepts, and their line manager releases them (the goal's workflow then completes)."""
    async def login_of(employee_id: str | None) -> users.User | None:
        login = await svc.pool.fetchval("SELECT min(login) FROM users WHERE employee_id = $1", employee_id)
        return await users.get(svc.pool, login) if login else None

    for _ in range(600):
        rows = await svc.pool.fetch(
            "SELECT task_id, employee_id, state, line_manager_id, release_due_at, offered_at FROM assignments"
            " WHERE goal_id = $1", goal_id)
        if rows and all(r["state"] == "released" for r in rows):
            return
        for r in rows:
            if r["state"] == "offered" and r["offered_at"] is not None:
                person = await login_of(r["employee_id"])
                assert person is not None, f"{r['employee_id']} has no demo login"
                await moves.answer_assignment(svc, person, goal_id=goal_id, task_id=r["task_id"], accept=True)
            elif r["state"] == "accepted" and r["release_due_at"] is not None:
                manager = await login_of(r["line_manager_id"])
                assert manager is not None, f"{r['line_manager_id']} has no demo login"
                await moves.decide_release(svc, manager, goal_id=goal_id, task_id=r["task_id"],
                                           employee_id=r["employee_id"], release=True)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the moves of goal {goal_id} did not all end released")


async def test_live_history_replays_without_nondeterminism(services: Services) -> None:
    workflow_id = await run_approved_goal(services)
    history = await services.temporal().get_workflow_handle(workflow_id).fetch_history()
    assert_is_an_approved_goal(history)
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    assert event_types(history).count(accepted) == 2, "the plan's decision and the staffing's"

    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None

    names = activity_names(history)
    assert "apply_staffing" in names and EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED in \
        event_types(history), "the staffed people's moves start as child workflows"

    goal_id = workflow_id.removeprefix("goal-")
    first = await services.pool.fetchrow(
        "SELECT task_id, employee_id FROM assignments WHERE goal_id = $1 ORDER BY task_id LIMIT 1", goal_id)
    move = await services.temporal().get_workflow_handle(
        move_workflow_id(goal_id, first["task_id"], first["employee_id"])).fetch_history()
    assert_is_a_released_move(move)
    assert EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED in event_types(move), "its onboarding"
    assert (await replayer().replay_workflow(move)).replay_failure is None

    onboarding = services.temporal().get_workflow_handle(
        onboarding_workflow_id(goal_id, first["task_id"], first["employee_id"]))
    review_id = await eventually(lambda: services.pool.fetchval(
        "SELECT review_id FROM review_requests WHERE workflow_id = $1 AND status = 'pending'", onboarding.id),
        "the onboarding plan's review")
    await usecases.decide_review(services, review_id=review_id, decision="approve", reviewer="hr.reviewer")
    await eventually(lambda: services.pool.fetchval(
        "SELECT status = 'active' FROM onboarding_plans WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3",
        goal_id, first["task_id"], first["employee_id"]), "the onboarding to start")
    started = await onboarding.fetch_history()
    assert_is_a_started_onboarding(started)
    assert (await replayer().replay_workflow(started)).replay_failure is None

    if RECORD:
        HISTORY_FILE.parent.mkdir(parents=True, exist_ok=True)
        HISTORY_FILE.write_text(history.to_json() + "\n")
        MOVE_HISTORY_FILE.write_text(move.to_json() + "\n")
        ONBOARDING_HISTORY_FILE.write_text(started.to_json() + "\n")


def assert_is_a_started_onboarding(history: WorkflowHistory) -> None:
    """An onboarding drafted, reviewed by update and started, waiting on its timers."""
    names = activity_names(history)
    for name in ("draft_onboarding_plan", "route_action", "open_review", "record_decision", "start_onboarding"):
        assert name in names
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED in event_types(history)
    assert EventType.EVENT_TYPE_TIMER_STARTED in event_types(history)


@pytest.mark.skipif(not ONBOARDING_HISTORY_FILE.exists(), reason="no recorded onboarding; see the module docstring")
async def test_recorded_onboarding_still_replays() -> None:
    history = WorkflowHistory.from_json("onboarding-recorded", ONBOARDING_HISTORY_FILE.read_text())
    assert_is_a_started_onboarding(history)
    assert (await replayer().replay_workflow(history)).replay_failure is None


def assert_is_a_released_move(history: WorkflowHistory) -> None:
    """A move from the offer through the person's accept and the line manager's release."""
    types = event_types(history)
    assert types[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    names = activity_names(history)
    for name in ("offer_move", "record_answer", "record_release"):
        assert name in names


@pytest.mark.parametrize("recorded", RECORDED_MOVES, ids=[p.stem for p in RECORDED_MOVES])
async def test_recorded_move_still_replays(recorded: Path) -> None:
    if not recorded.exists():
        pytest.skip(f"{recorded.name} is not recorded; see the module docstring")
    history = WorkflowHistory.from_json("move-recorded", recorded.read_text())
    assert_is_a_released_move(history)
    assert (await replayer().replay_workflow(history)).replay_failure is None


@pytest.mark.parametrize("recorded", RECORDED, ids=[p.stem for p in RECORDED])
async def test_recorded_history_still_replays(recorded: Path) -> None:
    if not recorded.exists():
        pytest.skip(f"{recorded.name} is not recorded; see the module docstring")
    history = WorkflowHistory.from_json("goal-recorded", recorded.read_text())
    assert_is_an_approved_goal(history)
    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None


# --- the check has teeth: a changed workflow under the same name fails replay ------------------------------


@workflow.defn(name="GoalWorkflow", sandboxed=False)
class ReorderedGoalWorkflow:
    """Stands in for an incompatible change: it sleeps before doing anything else."""

    @workflow.run
    async def run(self, goal: object) -> str:
        await workflow.sleep(timedelta(seconds=1))
        return "staffed"


@pytest.mark.skipif(not HISTORY_FILE.exists(), reason="no recorded history; see the module docstring")
async def test_incompatible_change_fails_replay() -> None:
    history = WorkflowHistory.from_json("goal-recorded", HISTORY_FILE.read_text())
    changed = Replayer(workflows=[ReorderedGoalWorkflow], plugins=[PydanticAIPlugin()])
    result = await changed.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is not None
    assert "nondetermin" in str(result.replay_failure).lower()


CERTIFICATION_HISTORY_FILE = HISTORIES / "certification_renewed.json"
"""A certification period's cadence: reminders, the lapse, a flag decided by HR, a renewal verified through its
review (recorded by ``test_certification_cadence.py`` with ``TALENTOPS_RECORD_HISTORY=1``)."""


@pytest.mark.skipif(not CERTIFICATION_HISTORY_FILE.exists(), reason="no recorded certification cadence")
async def test_recorded_certification_cadence_still_replays() -> None:
    history = WorkflowHistory.from_json("certification-recorded", CERTIFICATION_HISTORY_FILE.read_text())
    names = activity_names(history)
    for name in ("send_certification_reminder", "find_lapsed_assignments", "verify_certification_renewal",
                 "apply_certification_flag", "apply_renewal", "finish_certification_period"):
        assert name in names
    assert (await replayer().replay_workflow(history)).replay_failure is None
