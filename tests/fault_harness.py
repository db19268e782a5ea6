"""Fault trials on a real ``talentops up``: goals in flight, a fault, a restart, then an exactly-once check.

Used by ``tests/integration/test_fault_trials.py`` (one trial per fault, in the test command) and by
``bench/fault_trials.py`` (20 trials each). A trial:

1. starts ``talentops up`` in a fresh data folder (its own session, like a terminal: Ctrl-C is SIGINT to the
   process group), with free ports;
2. submits goals through the API as a manager and drives them, as a reviewer through the API, to the phase under
   test: ``planning`` (just submitted), ``waiting`` (plan reviews open) or ``staffing`` (plan reviews approved,
   the staffing agent running);
3. injects the fault: Ctrl-C of ``up`` (once: an orderly stop; twice: forced), ``kill -9`` of ``up``,
   ``kill -9`` of a separate ``talentops worker``, a restart of Postgres (``pg_ctl restart``), or the Temporal
   dev server killed (``up`` starts it again);
4. restarts ``up`` when the fault stopped it, approves every review until each goal is final;
5. checks in Postgres: every goal once, in its right final state; no audit event twice for one action; one
   person per task; each notification and outbox delivery once; the audit chain verifies; and, after a last
   Ctrl-C, that no process of the data folder is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import psutil

from infra import audit, children, db
from infra.embedded import free_port

Fault = Literal["ctrl_c", "ctrl_c_twice", "kill9_up", "kill9_worker", "restart_postgres", "restart_temporal"]
Phase = Literal["planning", "waiting", "staffing"]
FAULTS: tuple[Fault, ...] = ("ctrl_c", "ctrl_c_twice", "kill9_up", "kill9_worker", "restart_postgres",
                             "restart_temporal")
PHASES: tuple[Phase, ...] = ("planning", "waiting", "staffing")
PASSWORD = "talentops-demo"
FINAL = {"staffed", "rejected", "failed"}
GOALS = (
    "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks",
    "Move our warehouse pick-and-pack process to the new WMS before peak season in 10 weeks",
    "Migrate the customer data platform to the cloud by the end of next quarter",
    "Launch a churn dashboard for the retail savings team in 8 weeks",
)
TALENTOPS = str(Path(sys.executable).with_name("talentops"))


def _three_ports() -> tuple[int, int, int]:
    console = free_port()
    temporal = free_port(avoid=frozenset({console}))
    return console, temporal, free_port(avoid=frozenset({console, temporal}))


@dataclass(kw_only=True)
class Stack:
    """One ``talentops up`` on a data folder, started and stopped the way a person at a terminal would."""

    data_dir: Path
    """Its data folder."""
    ports: tuple[int, int, int] = field(default_factory=lambda: _three_ports())
    """Console, Temporal frontend and Temporal UI ports."""
    proc: subprocess.Popen[bytes] | None = None
    """The running ``up``."""
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    """Separate ``talentops worker`` processes."""

    def env(self) -> dict[str, str]:
        """The environment ``up`` runs with."""
        return {**os.environ, "TALENTOPS_DATA_DIR": str(self.data_dir),
                "TALENTOPS_CONSOLE_PORT": str(self.ports[0]), "TALENTOPS_TEMPORAL_PORT": str(self.ports[1]),
                "TALENTOPS_TEMPORAL_UI_PORT": str(self.ports[2]), "TALENTOPS_SHUTDOWN_DRAIN_SECONDS": "20"}

    def start(self, timeout: float = 300) -> None:
        """Start ``up`` and wait for its banner."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        out = self.data_dir / "up.stdout"
        out.write_text("")
        with open(out, "ab") as stdout, open(self.data_dir / "up.stderr", "ab") as stderr:
            self.proc = subprocess.Popen([TALENTOPS, "up"], stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
                                         env=self.env(), start_new_session=True)
        deadline = time.monotonic() + timeout
        while "talentops is running" not in out.read_text():
            if self.proc.poll() is not None:
                raise AssertionError(f"talentops up exited ({self.proc.returncode}): {self.stderr_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"talentops up did not start in {timeout:.0f} s: {self.stderr_tail()}")
            time.sleep(0.2)

    def stderr_tail(self, lines: int = 15) -> str:
        """The end of ``up``'s progress output."""
        try:
            return "\n".join((self.data_dir / "up.stderr").read_text().splitlines()[-lines:])
        except OSError:
            return ""

    def runtime(self) -> dict[str, Any]:
        """What the running ``up`` recorded."""
        info: dict[str, Any] = json.loads((self.data_dir / "runtime.json").read_text())
        return info

    def ctrl_c(self, timeout: float = 120, *, twice: bool = False) -> float:
        """Ctrl-C at the terminal (SIGINT to the whole process group; ``twice``: again half a second later, to
        force); wait for ``up`` to exit; seconds taken."""
        assert self.proc is not None
        began = time.monotonic()
        os.killpg(self.proc.pid, signal.SIGINT)
        if twice:
            time.sleep(0.5)
            os.killpg(self.proc.pid, signal.SIGINT)
        self.proc.wait(timeout)
        return time.monotonic() - began

    def kill9(self) -> None:
        """``kill -9`` of ``up`` alone: its Postgres (and until Linux reaps it, Temporal) keep running."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(30)

    def start_worker(self) -> subprocess.Popen[bytes]:
        """A separate ``talentops worker`` on ``up``'s services."""
        info = self.runtime()
        env = {**self.env(), "TALENTOPS_DATABASE_URL": info["database_url"],
               "TALENTOPS_TEMPORAL_ADDRESS": info["temporal_address"], "TALENTOPS_TASK_QUEUE": info["task_queue"],
               "TALENTOPS_CERTIFICATION_RECONCILE": "false"}
        with open(self.data_dir / "worker.stderr", "ab") as stderr:
            worker = subprocess.Popen([TALENTOPS, "worker"], stdout=subprocess.DEVNULL, stderr=stderr,
                                      stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self.workers.append(worker)
        return worker

    def restart_postgres(self) -> None:
        """What an operator's ``pg_ctl restart`` does under the running platform."""
        children.pg_ctl(self.data_dir / "pg", "-m", "fast", "-w", "restart", "-l", str(self.data_dir / "pg" / "log"))

    def kill_temporal(self) -> None:
        """The Temporal dev server dies (``up`` is to start it again)."""
        found = children.temporal_servers_on(self.data_dir / "temporal" / "temporal.sqlite")
        assert found, "no Temporal dev server runs on the folder"
        for proc in found:
            proc.kill()

    def stop_all(self) -> None:
        """Stop whatever still runs (the end of a trial, also after a failure)."""
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.wait(60)
                if worker.poll() is None:
                    worker.kill()
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.ctrl_c()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        children.stop_leftovers(self.data_dir)

    def leftovers(self) -> list[str]:
        """Processes of this data folder still running."""
        found = children.leftovers(self.data_dir)
        for proc in psutil.process_iter(["cmdline", "environ"]):
            with contextlib.suppress(psutil.Error):
                env = proc.info.get("environ") or {}
                if env.get("TALENTOPS_DATA_DIR") == str(self.data_dir) and proc.pid != os.getpid():
                    found.append(f"{proc.info.get('cmdline')} (pid {proc.pid})")
        return found


class Refused(Exception):
    """The product refused an act (403 or 409) and said why."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = str(detail)


class Api:
    """The console's JSON API as one signed-in person."""

    def __init__(self, base: str, login: str) -> None:
        self.http = httpx.Client(base_url=base, headers={"Origin": base}, timeout=60)
        self.login = login
        self.sign_in()

    def sign_in(self) -> None:
        """Sign in (again, after a restart: sessions live in Postgres, so they usually survive one)."""
        r = self.http.post("/api/login", json={"login": self.login, "password": PASSWORD})
        r.raise_for_status()
        self.http.headers["X-CSRF-Token"] = r.headers["X-CSRF-Token"]

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request; a console that is restarting is waited for, an expired session signed in again."""
        deadline = time.monotonic() + 180
        while True:
            try:
                r = self.http.request(method, path, **kwargs)
                if r.status_code == 401:
                    self.sign_in()
                    continue
                if r.status_code in (403, 409):  # the product refused the act, with why: the caller decides
                    raise Refused(r.status_code, r.json().get("detail", r.text))
                if r.status_code < 500:
                    r.raise_for_status()
                    return r.json()
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {path} kept failing")
            time.sleep(0.5)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()


def goal_states(api: Api, goal_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each goal as the API shows it."""
    return {g: api.call("GET", f"/api/goals/{g}") for g in goal_ids}


@dataclass(kw_only=True)
class Reviewers:
    """Two HR reviewers deciding as a person would: approve; hand a decision that concerns the first (separation
    of duties) to the second; reject a staffing the product refuses to approve (someone it would book is no longer
    free: another goal took them meanwhile), and remember that goal's right end is then ``rejected``."""

    first: Api
    """``hr.reviewer``."""
    second: Api
    """``hr.reviewer2``."""
    rejected: set[str] = field(default_factory=set)
    """Goals whose staffing a reviewer rejected."""

    def decide_waiting(self, goals: dict[str, dict[str, Any]], only: str | None = None) -> None:
        """Decide each goal's waiting review (``only``: of this action type)."""
        for goal_id, goal in goals.items():
            review = goal.get("review")
            if goal["status"] not in ("awaiting_plan_review", "awaiting_review") or not review \
                    or review["status"] != "pending" or (only is not None and review["action_type"] != only):
                continue
            path = f"/api/reviews/{review['review_id']}/decision"
            try:
                self._decide(path, {"decision": "approve"})
            except Refused as refusal:
                if "already decided" in refusal.detail or "not accepting decisions" in refusal.detail:
                    continue  # seen before the goal moved on, or Temporal is coming back: look again next round
                if review["action_type"] != "propose_staffing":
                    raise
                self._decide(path, {"decision": "reject", "reason": f"cannot be approved: {refusal.detail}"[:1900]})
                self.rejected.add(goal_id)

    def _decide(self, path: str, body: dict[str, Any]) -> None:
        try:
            self.first.call("POST", path, json=body)
        except Refused as refusal:
            if "separation of duties" not in refusal.detail:
                raise
            self.second.call("POST", path, json=body)

    def close(self) -> None:
        """Close both connection pools."""
        self.first.close()
        self.second.close()


def reviewers(base: str) -> Reviewers:
    """``hr.reviewer`` and ``hr.reviewer2``, signed in."""
    return Reviewers(first=Api(base, "hr.reviewer"), second=Api(base, "hr.reviewer2"))


def wait_for(api: Api, goal_ids: list[str], done: Any, what: str, timeout: float = 300) -> dict[str, dict[str, Any]]:
    """Poll the goals until ``done(goals)``."""
    deadline = time.monotonic() + timeout
    while True:
        goals = goal_states(api, goal_ids)
        if done(goals):
            return goals
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s: "
                                 f"{ {g: v['status'] for g, v in goals.items()} }")
        time.sleep(0.5)


@dataclass(kw_only=True)
class TrialResult:
    """What one trial found."""

    fault: str
    """The fault injected."""
    phase: str
    """When."""
    goals: int
    """Goals submitted."""
    final: dict[str, int]
    """Goals per final status (``rejected`` only where the reviewer rejected a staffing it could not approve)."""
    problems: list[str]
    """Every broken promise, in words (empty: the trial passed)."""
    seconds: float
    """Wall time of the trial."""
    stop_seconds: float | None = None
    """How long the faulted ``up`` took to stop on Ctrl-C."""


def inject(stack: Stack, fault: Fault, phase: Phase, *, goals: int = 2) -> TrialResult:
    """Goals to ``phase``, then ``fault``, then every goal to its end and the checks; ``stack`` runs before and
    after (restarted when the fault stopped it)."""
    began = time.monotonic()
    stop_seconds = None
    base = stack.runtime()["console_url"]
    if fault == "kill9_worker":
        stack.start_worker()
        time.sleep(5)  # it polls before the goals arrive, so it takes a share of their tasks
    manager, hr = Api(base, "mgr.payments"), reviewers(base)
    rejected: set[str] = set()
    try:
        ids = [manager.call("POST", "/api/goals", json={"text": GOALS[i % len(GOALS)]})["goal_id"]
               for i in range(goals)]
        if phase in ("waiting", "staffing"):
            wait_for(hr.first, ids, lambda gs: all(g["status"] in FINAL | {"awaiting_plan_review"}
                                                   for g in gs.values()), "plan reviews open")
        if phase == "staffing":
            hr.decide_waiting(goal_states(hr.first, ids), only="decompose_goal")
    finally:
        manager.close()
        hr.close()
    if fault in ("ctrl_c", "ctrl_c_twice"):
        stop_seconds = stack.ctrl_c(twice=fault == "ctrl_c_twice")
        stack.start()
    elif fault == "kill9_up":
        stack.kill9()
        stack.start()
    elif fault == "kill9_worker":
        stack.workers[-1].kill()
    elif fault == "restart_postgres":
        stack.restart_postgres()
    else:
        stack.kill_temporal()
    hr = reviewers(stack.runtime()["console_url"])
    try:
        deadline = time.monotonic() + 600
        while True:
            states = goal_states(hr.first, ids)
            if all(g["status"] in FINAL for g in states.values()):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"goals not final in 600 s: { {g: v['status'] for g, v in states.items()} }")
            hr.decide_waiting(states)
            time.sleep(0.5)
        rejected = hr.rejected
    finally:
        hr.close()
    problems = asyncio.run(exactly_once_problems(stack.runtime()["database_url"], ids))
    right = {g: "rejected" if g in rejected else "staffed" for g in ids}
    problems += [f"goal {g} ended {v['status']} (right: {right[g]}): {v.get('status_detail')}"
                 for g, v in states.items() if v["status"] != right[g]]
    final: dict[str, int] = {}
    for g in states.values():
        final[g["status"]] = final.get(g["status"], 0) + 1
    return TrialResult(fault=fault, phase=phase, goals=len(ids), final=final, problems=problems,
                       seconds=time.monotonic() - began, stop_seconds=stop_seconds)


def stop_and_check(stack: Stack) -> list[str]:
    """Ctrl-C the stack; what is left running of its folder, in words."""
    stack.ctrl_c()
    for worker in stack.workers:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(60)
    return [f"left running after the last Ctrl-C: {p}" for p in stack.leftovers()]


def run_trial(data_dir: Path, fault: Fault, phase: Phase, *, goals: int = 2) -> TrialResult:
    """One trial on a fresh installation in ``data_dir``, ending with a Ctrl-C and the check for leftovers."""
    stack = Stack(data_dir=data_dir)
    try:
        stack.start()
        result = inject(stack, fault, phase, goals=goals)
        result.problems += stop_and_check(stack)
        return result
    finally:
        stack.stop_all()


# every query names what it finds; each must return no rows
_CHECKS = {
    "audit event stored twice for one action": (
        "SELECT goal_id, action, count(*) AS n FROM audit_events WHERE goal_id = ANY($1)"
        " GROUP BY goal_id, action, payload, args_hash HAVING count(*) > 1"),
    # one routing per agent output: a retried route_action that drew again would add a routing, while a staffing
    # proposed again (someone got booked by another goal meanwhile) adds both an output and its routing
    "agent output routed twice": (
        "SELECT r.goal_id, r.action_type, r.n AS routed, coalesce(o.n, 0) AS outputs FROM"
        " (SELECT goal_id, payload->>'action_type' AS action_type, count(*) AS n FROM audit_events"
        "  WHERE goal_id = ANY($1) AND action = 'review.routed' GROUP BY 1, 2) r"
        " LEFT JOIN (SELECT goal_id, substr(action, 7) AS action_type, count(*) AS n FROM audit_events"
        "  WHERE goal_id = ANY($1) AND action LIKE 'agent.%' GROUP BY 1, 2) o USING (goal_id, action_type)"
        " WHERE r.n > coalesce(o.n, 0)"),
    "review requested or decided twice": (
        "SELECT payload->>'review_id' AS review, action, count(*) AS n FROM audit_events"
        " WHERE goal_id = ANY($1) AND action IN ('review.requested', 'review.decided') GROUP BY 1, 2"
        " HAVING count(*) > 1"),
    "goal staffed twice": (
        "SELECT goal_id, count(*) AS n FROM audit_events WHERE goal_id = ANY($1) AND action = 'goal.staffed'"
        " GROUP BY 1 HAVING count(*) > 1"),
    "task with two people": (
        "SELECT goal_id, task_id, count(*) AS n FROM assignments WHERE goal_id = ANY($1)"
        " GROUP BY 1, 2 HAVING count(*) > 1"),
    # the business keys are unique by constraint; the same message about one goal under two keys would be the
    # duplicate (outbox keys name their goal second: ``move:<goal>:…``)
    "notification stored twice": (
        "SELECT goal_id, recipient, subject, count(*) AS n FROM notifications WHERE goal_id = ANY($1)"
        " GROUP BY goal_id, recipient, subject, body HAVING count(*) > 1"),
    "outbox delivery queued twice": (
        "SELECT split_part(dedupe_key, ':', 2) AS goal_id, channel, recipient, subject, count(*) AS n"
        " FROM notification_outbox WHERE split_part(dedupe_key, ':', 2) = ANY($1)"
        " GROUP BY 1, channel, recipient, subject, body HAVING count(*) > 1"),
}


async def exactly_once_problems(database_url: str, goal_ids: list[str]) -> list[str]:
    """Every duplicate the checks find, and whether each goal exists once and the audit chain verifies."""
    pool = await db.create_pool(database_url, max_size=1)  # decodes jsonb as the product stores it
    try:
        async with pool.acquire() as conn:
            problems = []
            for what, sql in _CHECKS.items():
                rows = await conn.fetch(sql, *([goal_ids] if "$1" in sql else []))
                problems += [f"{what}: {dict(r)}" for r in rows]
            stored = await conn.fetchval("SELECT count(*) FROM goals WHERE goal_id = ANY($1)", goal_ids)
            if stored != len(goal_ids):
                problems.append(f"{stored} goals stored for {len(goal_ids)} submitted")
            report = await audit.verify_chain(conn)
            if not report.ok:
                problems.append(f"audit chain broken at {report.first_broken_seq}: {report.problem}")
            return problems
    finally:
        await pool.close()
