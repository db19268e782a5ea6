"""Beyond one machine: ``talentops worker`` and two ``talentops console`` replicas as separate processes against
one Postgres and one Temporal (the test run's own), as a deployment would run them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from model_fixtures import valid_choice
from scripted_model import Dynamic, ScriptedModelServer, Status
from support import approve_plan, eventually
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from infra.embedded import free_port
from infra.settings import Settings
from tools.people_import.demo_org import DEMO_PASSWORD
from workflows import usecases
from workflows.usecases import GoalDetail, Services

pytestmark = pytest.mark.integration
TALENTOPS = str(Path(sys.executable).parent / "talentops")
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"


@pytest.fixture
def deployment_env(pg_url: str, temporal_env: WorkflowEnvironment, pool: asyncpg.Pool[Any],
                   tmp_path: Path) -> dict[str, str]:
    """Settings every process of the deployment shares (``pool`` makes sure the database is migrated)."""
    del pool
    tmp_path.chmod(0o755)
    return {**os.environ, "TALENTOPS_DATABASE_URL": pg_url,
            "TALENTOPS_TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
            "TALENTOPS_TASK_QUEUE": f"deploy-{uuid.uuid4().hex[:8]}", "TALENTOPS_DATA_DIR": str(tmp_path),
            "TALENTOPS_SESSION_SECRET": uuid.uuid4().hex}


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Started processes; each must stop cleanly on SIGTERM."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def start(processes: list[subprocess.Popen[str]], env: dict[str, str], role: str,
          **extra: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([TALENTOPS, role], env={**env, **extra}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    processes.append(proc)
    return proc


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return err


async def healthy(url: str) -> bool:
    try:
        async with httpx.AsyncClient(base_url=url, timeout=2) as http:
            return (await http.get("/api/health")).status_code == 200
    except httpx.TransportError:
        return False


async def test_a_worker_and_two_console_replicas_serve_one_goal(deployment_env: dict[str, str],
                                                                processes: list[subprocess.Popen[str]]) -> None:
    env = deployment_env
    added = subprocess.run([TALENTOPS, "users", "add", "qa.manager", "--role", "manager", "--department",
                            "payments", "--name", "QA Manager", "--password-stdin"],
                           input="a long enough password\n", env=env, capture_output=True, text=True, timeout=120)
    assert added.returncode == 0 and "added qa.manager (manager)" in added.stdout, added.stderr
    again = subprocess.run([TALENTOPS, "users", "add", "qa.manager", "--role", "manager", "--password-stdin"],
                           input="a long enough password\n", env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "taken" in again.stderr and "Traceback" not in again.stderr

    worker = start(processes, env, "worker")
    ports = [free_port(), free_port()]
    consoles = [start(processes, env, "console", TALENTOPS_CONSOLE_PORT=str(p)) for p in ports]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    for url in urls:
        async def up(url: str = url) -> bool:
            return await healthy(url)
        await eventually(up, f"the console at {url}", timeout=90)

    # generous timeouts: a fresh console loads the task library on its first goal while warming its caches
    async with httpx.AsyncClient(base_url=urls[0], timeout=60) as first, \
            httpx.AsyncClient(base_url=urls[1], timeout=60) as second:
        login = await first.post("/api/login", json={"login": "qa.manager", "password": "a long enough password"})
        assert login.status_code == 200, login.text
        # sessions live in the shared Postgres: the second replica knows the session too
        second.cookies.update(first.cookies)
        me = await second.get("/api/me")
        assert me.status_code == 200 and me.json()["login"] == "qa.manager"
        created = await first.post("/api/goals", json={"text": GOAL})
        assert created.status_code == 201, created.text
        goal_id = created.json()["goal_id"]

        async def planned() -> dict[str, Any] | None:
            goal: dict[str, Any] = (await second.get(f"/api/goals/{goal_id}")).json()
            assert goal["status"] != "failed", goal["status_detail"]
            return goal if goal["status"] == "awaiting_plan_review" else None

        goal = await eventually(planned, "the worker process to plan the goal", timeout=90)
        assert goal["tasks"] and goal["review"]["review_id"]

        reviewer = httpx.AsyncClient(base_url=urls[1], timeout=60)
        async with reviewer:
            await reviewer.post("/api/login", json={"login": "hr.reviewer", "password": DEMO_PASSWORD})
            decided = await reviewer.post(f"/api/reviews/{goal['review']['review_id']}/decision",
                                          json={"decision": "approve"})
            assert decided.status_code == 200, decided.text

        async def staffing() -> bool:
            return bool((await first.get(f"/api/goals/{goal_id}")).json()["status"] == "awaiting_review")

        await eventually(staffing, "the staffing proposal", timeout=90)
        # and signing out on one replica ends the session on both
        assert (await second.post("/api/logout")).status_code == 200
        assert (await first.get("/api/me")).status_code == 401

    for proc in consoles:
        assert "stopped." in stop(proc)
    err = stop(worker)
    assert "worker polling task queue" in err and "stopped." in err
    await asyncio.sleep(0)


def test_single_role_processes_need_an_external_postgres_and_temporal(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALENTOPS_")}
    env["TALENTOPS_DATA_DIR"] = str(tmp_path)
    for role in ("worker", "console"):
        done = subprocess.run([TALENTOPS, role], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, done.stderr
        assert "TALENTOPS_DATABASE_URL and TALENTOPS_TEMPORAL_ADDRESS" in done.stderr
        assert "talentops up" in done.stderr and "Traceback" not in done.stderr


async def test_a_worker_process_on_a_real_model_server_fails_a_goal_cleanly_then_serves_its_retry(
        deployment_env: dict[str, str], processes: list[subprocess.Popen[str]], pool: asyncpg.Pool[Any],
        client: Client, tmp_path: Path) -> None:
    """The worker process builds the model at start (outside the workflow sandbox); a model server failing with
    500s fails the goal with the reason, and the same process serves the goal's retry once the server answers."""
    with ScriptedModelServer(default=Status(500, "upstream exploded")) as server:
        env = {**deployment_env, "OPENAI_BASE_URL": server.base_url,
               "TALENTOPS_PROPOSE_STAFFING__MODEL": "openai-chat:scripted"}
        worker = start(processes, env, "worker")
        # the installation's secret, as the worker process has it: its decisions' attestations must verify there
        settings = Settings(task_queue=env["TALENTOPS_TASK_QUEUE"], data_dir=tmp_path, review_sla_seconds=3600,
                            session_secret=env["TALENTOPS_SESSION_SECRET"])
        svc = Services(pool=pool, client=client, settings=settings)
        goal_id = await usecases.submit_goal(svc, text=GOAL, manager_login="mgr.payments", submitted_by="mgr.payments")
        await approve_plan(svc, goal_id, timeout=120)

        async def ended(*wanted: str) -> GoalDetail | None:
            goal = await usecases.get_goal(svc, goal_id)
            return goal if goal.status in wanted else None

        failed = await eventually(lambda: ended("failed"), "the goal to fail on the model server", timeout=120)
        reason = failed.status_detail or ""
        assert reason.startswith("could not propose who should do the tasks: the model server at")
        assert "after 3 tries (HTTP 500: upstream exploded)" in reason

        server.default = Dynamic(valid_choice)
        assert await usecases.retry_goal(svc, goal_id, user=await usecases.get_user(svc, "mgr.payments")) == "staffing"
        await eventually(lambda: ended("awaiting_review"), "the retried goal to reach its review", timeout=120)
        agent_calls = [r for r in server.requests if "tools" in r.body]  # the rest: the worker's health probes
        assert len(agent_calls) == 3 + 1, "three tries, then the retry's one answer"
        probed = await pool.fetchval("SELECT bool_or(NOT ok) FROM model_health WHERE agent = 'propose_staffing'"
                                     " AND model = 'openai-chat:scripted'")
        assert probed, "the worker's start-up probe saw the server failing"
        assert "drafting: the offline planner" in stop(worker)
