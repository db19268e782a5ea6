"""The ``talentops`` command end to end: ``up`` in a subprocess, then the CLI as a user types it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.embedded import free_port
from tools.people_import.demo_org import DEMO_PASSWORD

pytestmark = pytest.mark.integration
TALENTOPS = str(Path(sys.executable).parent / "talentops")
GOAL = "Consolidate our European warehouses and cut shipping costs within 4 months"


def cli(env: dict[str, str], *args: str, check: bool = True, stdin: str | None = None,
        ) -> subprocess.CompletedProcess[str]:
    """Run one CLI command (``stdin``: what is typed into it)."""
    done = subprocess.run([TALENTOPS, *args], env=env, capture_output=True, text=True, timeout=120, input=stdin)
    if check and done.returncode != 0:
        raise AssertionError(f"talentops {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done


def cli_json(env: dict[str, str], *args: str) -> Any:
    return json.loads(cli(env, *args, "--json").stdout)


def decide(env: dict[str, str], *args: str, check: bool = True,
           password: str = DEMO_PASSWORD) -> subprocess.CompletedProcess[str]:
    """``review decide`` as a reviewer who types their password into standard input."""
    return cli(env, "review", "decide", *args, "--password-stdin", check=check, stdin=password + "\n")


@pytest.fixture(scope="module")
def taken_port() -> Iterator[int]:
    """A port something else already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, taken_port: int) -> dict[str, str]:
    data_dir = tmp_path_factory.mktemp("talentops-data")
    data_dir.chmod(0o755)
    return {**os.environ, "TALENTOPS_DATA_DIR": str(data_dir), "TALENTOPS_CONSOLE_PORT": str(taken_port),
            "TALENTOPS_TEMPORAL_PORT": str(free_port()), "TALENTOPS_TEMPORAL_UI_PORT": str(free_port())}


def start_up(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """Start ``talentops up`` and wait until it prints its banner."""
    proc = subprocess.Popen([TALENTOPS, "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    banner = ""
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while "Press Ctrl-C" not in banner:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise AssertionError(f"talentops up exited {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}")
        banner += line
        assert time.monotonic() < deadline, "talentops up did not start within 120 s"
    return proc, banner


def stop_up(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return err


def wait_status(env: dict[str, str], goal_id: str, wanted: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        goal = cli_json(env, "goal", "show", goal_id)
        if goal["status"] == wanted:
            return goal
        assert goal["status"] != "failed" and time.monotonic() < deadline, goal["status"]
        time.sleep(0.3)


def test_up_cli_flow_and_restart_keeps_data(env: dict[str, str], taken_port: int) -> None:
    proc, banner = start_up(env)
    try:
        assert "talentops-demo" in banner and "mgr.payments" in banner and "hr.reviewer" in banner
        status = cli_json(env, "status")
        assert status["running"] is True
        assert status["temporal_address"].endswith(env["TALENTOPS_TEMPORAL_PORT"])
        assert status["console_url"] and not status["console_url"].endswith(f":{taken_port}")
        assert "postgresql://" in status["database_url"]

        managers = cli_json(env, "users", "list", "--role", "manager")
        assert {u["login"] for u in managers} >= {"mgr.payments", "mgr.data"}

        bad = cli(env, "goal", "submit", "", "--manager", "mgr.payments", check=False)
        assert bad.returncode == 1 and "empty" in bad.stderr and "Traceback" not in bad.stderr
        unknown = cli(env, "goal", "submit", GOAL, "--manager", "nobody", check=False)
        assert unknown.returncode == 1 and "unknown manager" in unknown.stderr

        goal_id = cli(env, "goal", "submit", GOAL, "--manager", "mgr.payments").stdout.strip()
        planned = wait_status(env, goal_id, "awaiting_plan_review")
        shown = cli(env, "goal", "show", goal_id).stdout
        assert "read as: " in shown and "European warehouses" in shown, shown
        assert "usually done by: " in shown and "question: " in shown
        plan_id = planned["review"]["review_id"]
        bad_code = decide(env, plan_id, "reject", "--reviewer", "hr.reviewer", "--reason-code", "meh", check=False)
        assert bad_code.returncode == 1 and "unknown reason 'meh'" in bad_code.stderr
        dropped = planned["tasks"][-1]["task_id"]
        wrong = decide(env, plan_id, "edit", "--drop", dropped, "--reviewer", "hr.reviewer", check=False,
                       password="not-the-password")
        assert wrong.returncode == 1 and "wrong login or password for 'hr.reviewer'" in wrong.stderr, wrong.stderr
        assert "Traceback" not in wrong.stderr
        unknown_login = decide(env, plan_id, "approve", "--reviewer", "nobody", check=False)
        assert unknown_login.returncode == 1 and "wrong login or password" in unknown_login.stderr
        assert cli_json(env, "goal", "show", goal_id)["status"] == "awaiting_plan_review", "nothing was decided"
        decide(env, plan_id, "edit", "--drop", dropped, "--reviewer", "hr.reviewer")
        goal = wait_status(env, goal_id, "awaiting_review")
        assert goal["tasks"] and all(t["skills"] for t in goal["tasks"])
        assert dropped not in {t["task_id"] for t in goal["tasks"]}
        reviews = cli_json(env, "review", "list")
        review_id = next(r["review_id"] for r in reviews if r["goal_id"] == goal_id)

        no_reason = decide(env, review_id, "reject", "--reviewer", "hr.reviewer", check=False)
        assert no_reason.returncode == 1 and "reason" in no_reason.stderr
        decide(env, review_id, "approve", "--reviewer", "hr.reviewer")
        again = decide(env, review_id, "approve", "--reviewer", "hr.reviewer", check=False)
        assert again.returncode == 1 and "already decided" in again.stderr
        staffed = wait_status(env, goal_id, "staffed")
        assert staffed["assignments"]

        events = cli_json(env, "audit", "show", goal_id)
        assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
        actions = [e["action"] for e in events]
        assert actions[0] == "goal.submitted" and "goal.staffed" in actions
        after = actions[actions.index("goal.staffed") + 1:]  # then each person staffed is offered their task
        assert after and set(after) <= {"move.offered"} and len(after) == len(staffed["assignments"])
        decided = [e for e in events if e["action"] == "review.decided"]
        assert [e["payload"]["via"] for e in decided] == ["cli", "cli"], "how the reviewer authenticated"
        assert "audit chain intact" in cli(env, "audit", "verify").stdout
        export = Path(env["TALENTOPS_DATA_DIR"]) / "audit.csv"
        cli(env, "audit", "export", "--format", "csv", "--goal", goal_id, "--out", str(export))
        assert len(export.read_text().splitlines()) == len(events) + 1  # header + one row per event
        checkpoint = json.loads(export.with_name("audit.csv.checkpoint.json").read_text())["checkpoint"]
        assert checkpoint["seq"] >= events[-1]["seq"]
        assert f"latest checkpoint (row {checkpoint['seq']}," in cli(env, "audit", "verify").stdout
        assert cli(env, "audit", "export", "--format", "xml", check=False).returncode == 2

        catalogue = Path(env["TALENTOPS_DATA_DIR"]) / "lms.csv"
        catalogue.write_text("item_id,title,provider,skills,hours,format\n"
                             "LMS-1,PCI DSS essentials,Acme LMS,Payment card industry;Compliance,6,course\n"
                             "LMS-2,Broken line,Acme LMS,,-3,course\n")
        refused = cli(env, "learning", "import", str(catalogue), check=False)
        assert refused.returncode == 1 and "line 3" in refused.stderr and "nothing was imported" in refused.stderr
        catalogue.write_text("item_id,title,provider,skills,hours,format\n"
                             "LMS-1,PCI DSS essentials,Acme LMS,Payment card industry;Compliance,6,course\n")
        assert cli_json(env, "learning", "import", str(catalogue)) == {"added": 1, "updated": 0, "items": 1}
        assert cli_json(env, "learning", "import", str(catalogue)) == {"added": 0, "updated": 1, "items": 1}

        listed = subprocess.run([str(Path(sys.executable).parent / "temporal"), "workflow", "list", "--address",
                                 status["temporal_address"]], capture_output=True, text=True, timeout=60)
        assert f"goal-{goal_id}" in listed.stdout
    finally:
        err = stop_up(proc)
    assert "stopped." in err
    assert cli_json(env, "status")["running"] is False

    # the data folder keeps everything: read it back with nothing running, then start again
    assert cli_json(env, "goal", "show", goal_id)["status"] == "staffed"
    proc, _ = start_up(env)
    try:
        assert cli_json(env, "goal", "show", goal_id)["status"] == "staffed"
        assert "already running" in cli(env, "up", check=False).stderr
    finally:
        stop_up(proc)


@pytest.mark.parametrize(("model", "words"), [
    ("nocolon", "not a pydantic-ai model string"),
    ("openai-chat:llama3.1", "set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL"),
])
def test_a_worker_with_a_model_that_cannot_work_stops_with_a_sentence(tmp_path: Path, model: str,
                                                                     words: str) -> None:
    """Models are built when the worker starts, before it connects to anything: no goal ever meets them."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env.update(TALENTOPS_MODEL=model, TALENTOPS_DATA_DIR=str(tmp_path),
               TALENTOPS_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none", TALENTOPS_TEMPORAL_ADDRESS="127.0.0.1:1")
    done = cli(env, "worker", check=False)
    assert done.returncode != 0 and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
