"""A person's own work from the command line, end to end: ``up`` in a subprocess, a goal staffed with ``review
decide``, then ``work``, ``onboarding`` and ``goal resubmit`` as each person types them, signing in with their
password (``--as LOGIN --password-stdin``)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from test_cli import cli, cli_json, decide, start_up, stop_up, wait_status

from infra.embedded import free_port
from tools.people_import.demo_org import DEMO_PASSWORD

pytestmark = pytest.mark.integration
T = TypeVar("T")
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
OTHER_GOAL = "Move our warehouse pick-and-pack process to the new WMS before peak season"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    data_dir = tmp_path_factory.mktemp("talentops-data")
    data_dir.chmod(0o755)
    return {**os.environ, "TALENTOPS_DATA_DIR": str(data_dir), "TALENTOPS_CONSOLE_PORT": str(free_port()),
            "TALENTOPS_TEMPORAL_PORT": str(free_port()), "TALENTOPS_TEMPORAL_UI_PORT": str(free_port())}


def as_user(env: dict[str, str], login: str, *args: str, password: str = DEMO_PASSWORD,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    """A command as ``login``, who types their password into standard input."""
    return cli(env, *args, "--as", login, "--password-stdin", check=check, stdin=password + "\n")


def as_user_json(env: dict[str, str], login: str, *args: str) -> Any:
    return json.loads(as_user(env, login, *args, "--json").stdout)


def refused(done: subprocess.CompletedProcess[str], words: str, code: int = 1) -> None:
    """The command exited ``code`` with a sentence containing ``words``, and no traceback."""
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def until(probe: Callable[[], T | None], what: str, timeout: float = 60) -> T:
    """Call ``probe`` until it returns something truthy; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.5)


def test_work_onboarding_and_resubmit_as_each_person(env: dict[str, str]) -> None:
    proc, _ = start_up(env)
    try:
        goal_id = cli(env, "goal", "submit", GOAL, "--manager", "mgr.payments").stdout.strip()
        other_id = cli(env, "goal", "submit", OTHER_GOAL, "--manager", "mgr.payments").stdout.strip()
        planned = wait_status(env, goal_id, "awaiting_plan_review")
        decide(env, planned["review"]["review_id"], "approve", "--reviewer", "hr.reviewer")
        proposed = wait_status(env, goal_id, "awaiting_review")
        decide(env, proposed["review"]["review_id"], "approve", "--reviewer", "hr.reviewer")
        staffed = wait_status(env, goal_id, "staffed")["assignments"]
        assert staffed

        # who is who: every demo employee signs in with a login; each move's offer names the line manager asked
        login_of: dict[str, str] = {}
        for u in sorted(cli_json(env, "users", "list"), key=lambda u: u["login"]):
            if u["employee_id"]:
                login_of.setdefault(u["employee_id"], u["login"])

        def offers() -> dict[str, str | None] | None:
            found = {e["payload"]["employee_id"]: e["payload"]["line_manager_id"]
                     for e in cli_json(env, "audit", "show", goal_id) if e["action"] == "move.offered"}
            return found if len(found) == len({a["employee_id"] for a in staffed}) else None
        line_manager_of = until(offers, "every staffed person's offer")
        # the first staffed person whose line manager can sign in (without one, the policy releases them)
        first = next(a for a in staffed if line_manager_of[a["employee_id"]] in login_of)
        task_id, person_id = first["task_id"], first["employee_id"]
        manager_id = line_manager_of[person_id]
        assert manager_id is not None
        person, line_manager = login_of[person_id], login_of[manager_id]
        someone_else = next(login for eid, login in sorted(login_of.items()) if eid not in (person_id, manager_id))

        def my_move() -> dict[str, Any]:
            return next(a for a in as_user_json(env, person, "work", "list")
                        if a["goal_id"] == goal_id and a["task_id"] == task_id)

        move = my_move()
        assert (move["state"], move["state_words"]) == ("offered", "Waiting for your answer")
        listed = as_user(env, person, "work", "list").stdout
        assert "Waiting for your answer" in listed and f"work answer {goal_id} {task_id} accept|decline" in listed

        # bad input: an unknown answer is a usage error; a wrong password and a decline without a reason change nothing
        maybe = as_user(env, person, "work", "answer", goal_id, task_id, "maybe", check=False)
        assert maybe.returncode == 2 and "Traceback" not in maybe.stderr, maybe.stderr
        refused(as_user(env, person, "work", "answer", goal_id, task_id, "accept", password="not-the-password",
                        check=False), f"wrong login or password for {person!r}; nothing was answered")
        refused(as_user(env, person, "work", "answer", goal_id, task_id, "decline", check=False),
                "a decline needs a reason")
        assert my_move()["state"] == "offered", "nothing changed"

        accepted = as_user(env, person, "work", "answer", goal_id, task_id, "accept").stdout
        assert "Accepted; waiting for the line manager's release" in accepted
        again = as_user(env, person, "work", "answer", goal_id, task_id, "accept", check=False)
        refused(again, "you answered this assignment already")

        # the line manager is asked; somebody else cannot release the person; the line manager does
        def asked() -> dict[str, Any] | None:
            rows = as_user_json(env, line_manager, "work", "releases")["releases"]
            return next((r for r in rows if (r["goal_id"], r["task_id"], r["employee_id"]) == (goal_id, task_id,
                                                                                             person_id)
                         and r["state"] == "accepted"), None)
        request = until(asked, "the release request")
        assert request["state_words"].startswith("Waiting for your answer")
        team = as_user(env, line_manager, "work", "releases").stdout
        assert "Waiting for your answer (" in team and f"work release {goal_id} {task_id} {person_id}" in team
        refused(as_user(env, someone_else, "work", "release", goal_id, task_id, person_id, "release", check=False),
                "is not in your team: only their line manager releases them")
        released = as_user(env, line_manager, "work", "release", goal_id, task_id, person_id, "release").stdout
        assert "released" in released
        decided = as_user_json(env, line_manager, "work", "releases")
        mine = next(r for r in decided["releases"] if (r["goal_id"], r["employee_id"]) == (goal_id, person_id))
        assert (mine["state"], mine["state_words"]) == ("released", "Released by you")
        assert decided["counts"]["released"] >= 1

        # the person is told, and reads it in their inbox
        def confirmation() -> dict[str, Any] | None:
            inbox = as_user_json(env, person, "work", "inbox")
            return inbox if any(n["subject"].startswith("You are released for") and "confirmed" in n["body"]
                                for n in inbox["notifications"]) else None
        inbox = until(confirmation, "the confirmation in the person's inbox")
        assert inbox["unread"] >= 1 and inbox["marked_read"] is None
        shown = as_user(env, person, "work", "inbox", "--mark-read").stdout
        assert "You are released for" in shown and f"marked {inbox['unread']} read" in shown
        assert as_user_json(env, person, "work", "inbox")["unread"] == 0
        assert my_move()["state_words"] == "Confirmed"
        answered = next(e for e in cli_json(env, "audit", "show", goal_id)
                        if e["action"] == "move.accepted" and e["payload"]["employee_id"] == person_id)
        assert (answered["actor"], answered["payload"]["via"]) == (person, "cli")

        # onboarding: HR approves the drafted plan, then it runs; the person's items wait for the kick-off
        def onboarding_review() -> str | None:
            return next((r["review_id"] for r in cli_json(env, "review", "list")
                         if r["goal_id"] == goal_id and r["action_type"] == "draft_onboarding_plan"), None)
        decide(env, until(onboarding_review, "the onboarding plan's review"), "approve", "--reviewer", "hr.reviewer")

        def running() -> dict[str, Any] | None:
            return next((v for v in as_user_json(env, person, "onboarding", "list")
                         if v["plan"]["goal_id"] == goal_id and v["plan"]["status"] == "active"), None)
        plan = until(running, "the onboarding plan to start")
        yours = [i for i in plan["items"] if i["yours"]]
        assert yours and all(i["item"]["owner_role"] == "person" for i in yours)
        waiting = next(i for i in yours if i["waiting_for"] == ["K0"])
        text = as_user(env, person, "onboarding", "list").stdout
        assert f"{goal_id}  {task_id:<4} {person_id}" in text and "[running]" in text
        assert f"* {waiting['item']['item_id']:<4}" in text and "waits for K0" in text
        refused(as_user(env, person, "onboarding", "tick", goal_id, task_id, person_id, waiting["item"]["item_id"],
                        check=False), "tick off K0 first")
        refused(as_user(env, person, "onboarding", "tick", goal_id, task_id, person_id, "K0", check=False),
                "is for the goal's manager, not for you")
        assert as_user(env, person, "onboarding", "tick", goal_id, task_id, person_id, "K0", "--outcome", "soon",
                       check=False).returncode == 2

        # only a rejected goal is revised, by its manager, once
        refused(as_user(env, "mgr.payments", "goal", "resubmit", goal_id, "Stand up the dashboard within 8 weeks",
                        check=False), "only a rejected goal can be revised")
        decide(env, wait_status(env, other_id, "awaiting_plan_review")["review"]["review_id"], "reject",
               "--reviewer", "hr.reviewer", "--reason-code", "scope")
        wait_status(env, other_id, "rejected")
        revised = "Move our warehouse pick-and-pack process to the new WMS within 10 weeks"
        refused(as_user(env, "mgr.data", "goal", "resubmit", other_id, revised, check=False),
                "only the goal's manager (or an admin) revises it")
        refused(as_user(env, "mgr.payments", "goal", "resubmit", "g-nosuchgoal", revised, check=False),
                "no goal 'g-nosuchgoal'", code=4)
        new_id = as_user(env, "mgr.payments", "goal", "resubmit", other_id, revised).stdout.strip()
        assert new_id.startswith("g-") and new_id != other_id
        assert cli_json(env, "goal", "show", new_id)["revision_of"] == other_id
        refused(as_user(env, "mgr.payments", "goal", "resubmit", other_id, revised, check=False),
                f"this goal was revised already, as goal {new_id}")
    finally:
        stop_up(proc)
