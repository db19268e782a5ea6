"""Reviewer inbox latency: the review queue list with 10,000 pending reviews (target: median under 100 ms).

What it does, all in a throwaway folder that is removed at the end:

* starts an embedded Postgres (``infra.embedded.start_postgres``), applies the migrations and seeds the demo
  organisation (Northwind Bank, 8 departments);
* inserts open reviews in stages (default 1,000 then up to 10,000): one goal per review, goals spread over
  all departments, both action types, the three risk tiers, ``created_at`` over the last six weeks, ``due_at``
  1-21 days after creation (overdue and upcoming, over weeks), escalations on overdue ones and some parked,
  goal texts and jsonb arguments + evidence of realistic size (2-7 kB); goals by COPY, reviews by a pipelined
  executemany;
* builds the console with ``review_console.app.create_app(Services(pool, client=None, ...))``, signs in as
  ``hr.reviewer`` through ``POST /login`` and times ``--repeats`` sequential GETs per case, in process over
  ``httpx.ASGITransport`` (the full ASGI stack: sessions, OpenTelemetry, auth lookup, Jinja rendering) and,
  at the largest size, the first page over real HTTP against uvicorn in a child process on a free loopback
  port;
* times the database alone for each case, interleaved with the requests: ``usecases.search_reviews`` as the
  page calls it, and its two statements (the page and the ``count(*)``) captured verbatim from the product and
  re-run on the pool; ``EXPLAIN (ANALYZE, BUFFERS)`` of both, as custom and as generic plans; the Jinja render
  of the page alone; and the plan cache counts (``pg_prepared_statements``);
* with ``--compare-index``, at the largest size, a before/after of the open-queue partial index
  ``review_requests_open_queue`` (migration 0007), database only: the product's ``search_reviews`` and its two
  statements for the same filter combinations, in the same database, with the index present and with it dropped
  inside a transaction that is always rolled back (on a fresh connection per block, blocks alternating between
  the two states), with medians / p95, the ratio, the plan cache counts and ``EXPLAIN (ANALYZE, BUFFERS)`` of
  one filter combination in both states. The index is never dropped for good, and only in this bench's own
  throwaway Postgres (checked: its data directory must be inside the bench's temp folder). Product files are
  not changed.

Run from the repository root::

    .venv/bin/python bench/inbox_list.py --compare-index --out bench/results/inbox_list.md
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from infra import db  # noqa: E402
from infra.embedded import free_port, start_postgres  # noqa: E402
from infra.settings import LOCAL_PLANNER, Settings  # noqa: E402
from infra.store.reviews import QueuedReview  # noqa: E402
from infra.store.users import User  # noqa: E402
from infra.telemetry import setup_tracing  # noqa: E402
from policies.review_routing import ACTION_TYPES, bulk_approvable  # noqa: E402
from review_console.api.models.reviews import ReviewQueueParams  # noqa: E402
from review_console.app import create_app  # noqa: E402
from review_console.pages.rendering import templates  # noqa: E402
from tools.people_import.demo_org import DEMO_PASSWORD, load_demo_org, seed_demo_org  # noqa: E402
from tools.taxonomy.task_library import load_task_library  # noqa: E402
from workflows import usecases  # noqa: E402
from workflows.usecases import ReviewFilters, Services  # noqa: E402

TARGET_MS = 100.0
REVIEWER = "hr.reviewer"
SESSION_SECRET = "bench-inbox-list-session-secret-not-used-anywhere-else"
SEED = 20261104

OPEN_QUEUE_INDEX = "review_requests_open_queue"
"""The partial index of migration 0007 that ``--compare-index`` drops inside a transaction that is rolled back."""
EXPLAIN_CASE = "first page, default filters"
"""The filter combination whose plans ``--compare-index`` shows in full."""


# ---------------------------------------------------------------------------------------------------------------
# statistics and machine facts


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Stat:
    """Milliseconds of repeated runs."""

    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p95(self) -> float:
        return percentile(self.values, 0.95)

    @property
    def max(self) -> float:
        return max(self.values)

    def triple(self) -> str:
        return f"{self.median:.1f} / {self.p95:.1f} / {self.max:.1f}"


async def interleaved(probes: dict[str, Callable[[], Awaitable[Any]]], every: dict[str, int], rounds: int,
                      warmup: int) -> dict[str, Stat]:
    """Time several probes in rounds, one after the other inside a round, so that all of them see the same
    machine load; probe ``k`` is timed in every ``every[k]``-th round only. ``warmup`` untimed rounds first."""
    for _ in range(warmup):
        for fn in probes.values():
            await fn()
    stats = {k: Stat() for k in probes}
    for i in range(rounds):
        for k, fn in probes.items():
            if i % every.get(k, 1):
                continue
            start = time.perf_counter()
            await fn()
            stats[k].values.append((time.perf_counter() - start) * 1000)
    return stats


def fmt_load(load: tuple[float, float, float]) -> str:
    return ", ".join(f"{x:.2f}" for x in load)


def machine_facts(load_start: tuple[float, float, float]) -> list[tuple[str, str]]:
    """What this machine is."""
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in
                         ("fastapi", "starlette", "jinja2", "asyncpg", "uvicorn", "httpx", "pgserver"))
    return [("CPUs (nproc)", f"{usable} ({cpu})"), ("RAM", ram), ("OS", platform.platform()),
            ("Load average 1/5/15 min (other processes share the machine)",
             f"{fmt_load(load_start)} at the start; {fmt_load(os.getloadavg())} at the end"),
            ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
            ("Packages", versions)]


# ---------------------------------------------------------------------------------------------------------------
# synthetic queue

VERBS = ["Launch", "Migrate", "Stand up", "Automate", "Consolidate", "Pilot", "Roll out", "Replace", "Audit",
         "Redesign", "Harden", "Expand"]
OBJECTS = ["the card-dispute workflow", "quarterly liquidity reporting", "the vendor onboarding portal",
           "customer churn dashboards", "the payments reconciliation job", "KYC document checks",
           "the branch scheduling tool", "fraud-rule tuning", "the data warehouse to the new cluster",
           "SLA alerting for the contact centre", "expense approvals", "the mobile onboarding funnel",
           "regulatory stress-test models", "office move logistics", "the learning catalogue",
           "marketing attribution", "ledger close automation", "access reviews for privileged accounts"]
WHEN = ["by the end of the quarter", "in six weeks", "before the audit in March", "for the Q3 release",
        "within two sprints", "ahead of peak season", "by year end", ""]
ACTIONS = [("propose_staffing", 0.7), ("decompose_goal", 0.3)]
RISKS = [("high", 0.2), ("medium", 0.45), ("low", 0.35)]
MANAGERS = ["mgr.payments", "mgr.data"]


class QueueMaker:
    """Deterministic synthetic goals and pending reviews."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        org = load_demo_org()
        self.departments = [d["code"] for d in org["departments"]]
        self.dept_weights = [self.rng.uniform(0.5, 2.0) for _ in self.departments]
        self.employees = [(e["employee_id"], e["title"], e.get("onet_code") or "") for e in org["employees"]]
        statements = [s for e in org["employees"] for job in e.get("work_history", [])
                      for s in job.get("responsibilities", [])]
        self.statements = statements or [t.title for t in load_task_library().occupations.values()]
        self.now = datetime.now(UTC)

    def _pick(self, weighted: list[tuple[str, float]]) -> str:
        return self.rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]

    def _evidence(self, text: str) -> tuple[dict[str, Any], dict[str, Any], str]:
        rng = self.rng
        tasks = []
        assignments = []
        proposal = []
        for t in range(rng.randint(2, 5)):
            task_id = f"t{t + 1}"
            start = rng.randint(0, 4)
            people = rng.sample(self.employees, 3)
            tasks.append({"task_id": task_id, "title": rng.choice(self.statements)[:80],
                          "description": " ".join(rng.sample(self.statements, 2)),
                          "skills": rng.sample(["Python", "SQL", "Risk analysis", "Stakeholder management",
                                                "Excel", "Tableau", "Negotiation", "Java", "Auditing"], 3),
                          "effort_hours": rng.randint(8, 120), "start_week": start,
                          "end_week": start + rng.randint(1, 6),
                          "onet_code": people[0][2]})
            assignments.append({"task_id": task_id, "employee_id": people[0][0], "fraction": 0.5,
                                "start_week": start, "end_week": start + 2})
            proposal.append({"task_id": task_id, "candidates": [
                {"employee_id": p[0], "score": round(rng.random(), 3),
                 "reason": f"{p[1]}; evidence: {rng.choice(self.statements)}"} for p in people]})
        explanation = f"Staffing for '{text[:60]}': best evidence-backed candidates with free capacity."
        evidence = {"plan": {"goal": text, "tasks": tasks}, "proposal": {"tasks": proposal, "explanation": explanation}}
        return {"assignments": assignments}, evidence, explanation

    def rows(self, start: int, end: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Goal rows and review rows for reviews ``start`` .. ``end - 1``."""
        rng = self.rng
        goals: list[tuple[Any, ...]] = []
        reviews: list[tuple[Any, ...]] = []
        for _ in range(start, end):
            dept = rng.choices(self.departments, self.dept_weights)[0]
            manager = rng.choice(MANAGERS)
            created = self.now - timedelta(hours=0.25 + 42 * 24 * rng.random() ** 1.3)
            due = created + timedelta(days=rng.uniform(1, 21))
            overdue_days = (self.now - due).total_seconds() / 86400
            escalations = min(4, int(overdue_days // 2)) if overdue_days > 0 else 0
            status = "parked" if escalations >= 4 and rng.random() < 0.3 else "pending"
            text = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(WHEN)}".strip()
            if rng.random() < 0.5:
                text += ". " + rng.choice(self.statements)
            goal_id = f"g-{rng.getrandbits(48):012x}"
            review_id = f"r-{rng.getrandbits(48):012x}"
            workflow_id = f"goal-{goal_id}"
            action = self._pick(ACTIONS)
            arguments, evidence, explanation = self._evidence(text)
            goals.append((goal_id, text, manager, dept, "awaiting_review", workflow_id, LOCAL_PLANNER,
                          created.date(), manager, created, created))
            reviews.append((review_id, goal_id, workflow_id, action, arguments, f"{rng.getrandbits(128):032x}",
                            evidence, explanation, self._pick(RISKS), "bench-1", "policy: always review",
                            manager, status, escalations, due, created, False, None))
        return goals, reviews


GOAL_COLUMNS = ["goal_id", "text", "manager_login", "department", "status", "workflow_id", "model", "starts_on",
                "submitted_by", "created_at", "updated_at"]
REVIEW_COLUMNS = ["review_id", "goal_id", "workflow_id", "action_type", "arguments", "args_hash", "evidence",
                  "explanation", "risk_tier", "policy_version", "routed_because", "requested_by", "status",
                  "escalations", "due_at", "created_at", "sampled", "fingerprint"]


async def grow_queue(pool: asyncpg.Pool[Any], maker: QueueMaker, have: int, want: int) -> float:
    """Add pending reviews until there are ``want``; return the seconds it took."""
    start = time.perf_counter()
    goals, reviews = maker.rows(have, want)
    async with pool.acquire() as conn, conn.transaction():
        await conn.copy_records_to_table("goals", columns=GOAL_COLUMNS, records=goals)
        # jsonb has only a text codec here (infra.db), which binary COPY cannot use: a pipelined executemany
        await conn.executemany(
            f"INSERT INTO review_requests ({', '.join(REVIEW_COLUMNS)})"
            f" VALUES ({', '.join(f'${i + 1}' for i in range(len(REVIEW_COLUMNS)))})", reviews)
    await pool.execute("VACUUM ANALYZE goals")
    await pool.execute("VACUUM ANALYZE review_requests")
    return time.perf_counter() - start


# ---------------------------------------------------------------------------------------------------------------
# cases and measurements


@dataclass(frozen=True)
class Case:
    """One request of the inbox."""

    label: str
    path: str
    query: dict[str, str]

    @property
    def url(self) -> str:
        return self.path + ("?" + urlencode(self.query) if self.query else "")

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    def filters(self) -> ReviewFilters:
        return ReviewQueueParams.model_validate(self.query).to_filters()


def cases_for(size: int, deep_offset: int) -> list[Case]:
    deep = str(min(deep_offset, max(0, size - 50)))
    return [
        Case("first page, default filters", "/reviews", {}),
        Case("department", "/reviews", {"department": "payments"}),
        Case("risk tier", "/reviews", {"risk_tier": "low"}),
        Case("waiting ≥ 1 week", "/reviews", {"min_age_hours": "168"}),
        Case("deep page", "/reviews", {"offset": deep}),
        Case("JSON API, first page", "/api/reviews", {}),
    ]


REAL_HTTP_CASES = ("first page, default filters",)


class RecordingPool:
    """Stands in for the pool to capture the exact statements a service call runs."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self.pool = pool
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    async def fetch(self, sql: str, *args: Any) -> Any:
        self.calls.append((sql, args))
        return await self.pool.fetch(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.calls.append((sql, args))
        return await self.pool.fetchval(sql, *args)


@dataclass
class CaseResult:
    case: Case
    total: int
    rows: int
    search: Stat
    page_sql: Stat
    count_sql: Stat
    page_plan: list[str]
    count_plan: list[str]
    http: Stat | None = None
    render: Stat | None = None
    real_http: Stat | None = None
    page_generic_plan: list[str] = field(default_factory=list)
    count_generic_plan: list[str] = field(default_factory=list)


async def login(client: httpx.AsyncClient) -> None:
    response = await client.post("/login", data={"login": REVIEWER, "password": DEMO_PASSWORD, "next": "/reviews"})
    if response.status_code != 303:
        raise SystemExit(f"login as {REVIEWER} failed: HTTP {response.status_code}")


async def check_response(client: httpx.AsyncClient, case: Case, svc: Services) -> None:
    """The request returns what the service says it should (so we time the real page, not an error).

    Tried twice: ``min_age_hours`` is relative to ``now()``, so a review may cross the boundary in between.
    """
    problem = ""
    for _ in range(2):
        rows, total = await usecases.search_reviews(svc, case.filters())
        response = await client.get(case.url)
        if response.status_code != 200:
            raise SystemExit(f"GET {case.url}: HTTP {response.status_code}: {response.text[:300]}")
        if case.api:
            body = response.json()
            got_total, got_rows = body["count"], len(body["data"])
        else:
            text = response.text
            marker = text.find(" matching, oldest due first")
            got_total = int(text[text.rfind("(", 0, marker) + 1:marker]) if marker > 0 else -1
            got_rows = text.count('<td><a href="/reviews/r-')  # one link cell per row (after the bulk checkbox)
        if (got_total, got_rows) == (total, len(rows)):
            return
        problem = (f"GET {case.url}: {got_total} matching and {got_rows} rows; the service says {total} and "
                   f"{len(rows)}")
    raise SystemExit(problem)


def sql_literal(value: Any) -> str:
    """A bench-controlled value as an SQL literal (for EXECUTE of a prepared statement)."""
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return "ARRAY[" + ", ".join(sql_literal(v) for v in value) + "]::text[]"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


async def explain(conn: db.Connection, sql: str, args: tuple[Any, ...], *,
                  generic: bool = False) -> list[str]:
    """EXPLAIN ANALYZE with the values (a custom plan), or of the generic plan a cached prepared statement runs.

    For the phases: on a connection of its own, so that the pool's statement cache (whose plans we report) holds
    only what the console and the timings run. For ``--compare-index``: inside the block's transaction, after the
    timings and the plan cache counts.
    """
    if not generic:
        return [r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *args)]
    await conn.execute(f"PREPARE bench_generic AS {sql}")
    try:
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        values = f"({', '.join(sql_literal(a) for a in args)})" if args else ""
        return [r[0] for r in await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_generic{values}")]
    finally:
        await conn.execute("RESET plan_cache_mode")
        await conn.execute("DEALLOCATE bench_generic")


def plan_summary(plan: list[str]) -> str:
    """Execution time, estimated vs actual rows of the top join/scan, and the access paths of a plan."""
    exec_ms = next((line.split(":", 1)[1].strip() for line in plan if line.startswith("Execution Time")), "?")
    nodes = []
    for i, line in enumerate(plan):
        text = line.strip().removeprefix("->").strip()
        kind = text.split("  (")[0]
        if kind in ("Sort", "Incremental Sort") or any(kind.startswith(k) for k in (
                "Index Only Scan", "Index Scan", "Bitmap Index Scan", "Bitmap Heap Scan", "Seq Scan", "Nested Loop",
                "Hash Join", "Merge Join")):
            est = text.split(" rows=")[1].split(" ")[0] if " rows=" in text else "?"
            actual = text.split("actual ")[1].split(" rows=")[1].split(" ")[0] if "actual " in text else "?"
            method = next((m.split(":", 1)[1].split("  ")[0].strip() for m in plan[i + 1:i + 4]
                           if m.strip().startswith("Sort Method:")), "") if "Sort" in kind else ""
            nodes.append(f"{kind.replace(' on review_requests r', '').replace(' on goals g', ' (goals)')}"
                         + (f" ({method})" if method else "") + f" [est {est}, got {actual}]")
    return f"**{exec_ms}**: " + "; ".join(nodes)


def plan_ms(plan: list[str]) -> str:
    """A plan's execution time as EXPLAIN ANALYZE printed it."""
    return next((line.split(":", 1)[1].strip() for line in plan if line.startswith("Execution Time")), "?")


def access_paths(plan: list[str]) -> list[str]:
    """The indexes a plan reads, and ``seq scan`` / ``sort`` when it has such nodes (in plan order, once each)."""
    found: list[str] = []
    for line in plan:
        text = line.strip().removeprefix("->").strip()
        kind = text.split("  (")[0]
        name = ""
        if " using " in kind and "Scan" in kind:
            name = kind.split(" using ")[1].split(" ")[0]
        elif kind.startswith("Seq Scan"):
            name = "seq scan of " + kind.split(" on ")[1].split(" ")[0]
        elif kind in ("Sort", "Incremental Sort"):
            name = "sort"
        if name and name not in found:
            found.append(name)
    return found


def render_alone(case: Case, rows: list[QueuedReview], total: int, user: User, departments: list[Any]) -> None:
    """The Jinja render of reviews.html with the context reviews_page builds (no request, no DB)."""
    params = ReviewQueueParams.model_validate(case.query)
    templates.get_template("reviews.html").render(
        user=user, reviews=rows, total=total, params=params, state=params.state, departments=departments,
        bulk_types={n for n, a in ACTION_TYPES.items() if bulk_approvable(a)}, prev_url=None,
        next_url="/reviews?offset=50",
        model_label="offline deterministic planner (local-planner)", attribution=load_task_library().attribution)


@dataclass
class Knobs:
    repeats: int
    warmup: int
    db_repeats: int


async def measure(svc: Services, cases: list[Case], knobs: Knobs, client: httpx.AsyncClient,
                  real_client: httpx.AsyncClient | None, explainer: asyncpg.Connection[Any]) -> list[CaseResult]:
    """Time every case over HTTP (and the first page over real HTTP when ``real_client`` is given), and its
    database part, interleaved.

    The pool's connections are replaced first (empty plan caches, like a freshly started console).
    """
    user = await usecases.get_user(svc, REVIEWER)
    departments = await svc.pool.fetch("SELECT code, name FROM departments ORDER BY name")
    await svc.pool.expire_connections()
    results = []
    for case in cases:
        f = case.filters()
        recorder = RecordingPool(svc.pool)
        rows, total = await usecases.search_reviews(
            Services(pool=recorder, client=None, settings=svc.settings), f)  # type: ignore[arg-type]
        (page_sql, page_args), (count_sql, count_args) = recorder.calls
        probes: dict[str, Callable[[], Awaitable[Any]]] = {}
        await check_response(client, case, svc)
        probes["http"] = partial(client.get, case.url)
        if real_client is not None and case.label in REAL_HTTP_CASES:
            await check_response(real_client, case, svc)
            probes["real"] = partial(real_client.get, case.url)
        if not case.api:
            probes["render"] = partial(_sync, render_alone, case, rows, total, user, departments)
        probes["search"] = partial(usecases.search_reviews, svc, f)
        probes["page"] = partial(svc.pool.fetch, page_sql, *page_args)
        probes["count"] = partial(svc.pool.fetchval, count_sql, *count_args)
        step = max(1, knobs.repeats // knobs.db_repeats)
        got = await interleaved(probes, {"render": step, "search": step, "page": step, "count": step},
                                knobs.repeats, knobs.warmup)
        result = CaseResult(case=case, total=total, rows=len(rows), search=got["search"], page_sql=got["page"],
                            count_sql=got["count"], http=got.get("http"), render=got.get("render"),
                            real_http=got.get("real"),
                            page_plan=await explain(explainer, page_sql, page_args),
                            count_plan=await explain(explainer, count_sql, count_args),
                            page_generic_plan=await explain(explainer, page_sql, page_args, generic=True),
                            count_generic_plan=await explain(explainer, count_sql, count_args, generic=True))
        results.append(result)
        print(f"  {case.url:<28} {total:>6,} matching; in-process HTTP {got['http'].triple()} ms; "
              + (f"real HTTP {result.real_http.triple()} ms; " if result.real_http else "")
              + f"search_reviews median {result.search.median:.1f} ms", file=sys.stderr, flush=True)
    return results


async def _sync(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


async def plan_cache_stats(pool: asyncpg.Pool[Any] | db.Connection) -> list[tuple[int, int, str]]:
    """Generic/custom plan counts of the queue statements prepared on the pool's (single, idle) connection, or on
    the given connection."""
    rows = await pool.fetch(
        "SELECT generic_plans, custom_plans, statement FROM pg_prepared_statements"
        " WHERE statement LIKE '%FROM review_requests r%' AND statement NOT LIKE '%pg_prepared_statements%'"
        " AND statement NOT LIKE 'EXPLAIN%'"
        " ORDER BY statement")
    return [(r["generic_plans"], r["custom_plans"], r["statement"]) for r in rows]


# ---------------------------------------------------------------------------------------------------------------
# real HTTP: uvicorn in a child process


async def serve(database_url: str, port: int, data_dir: Path) -> None:
    """Child process: the console over uvicorn, as ``talentops up`` serves it (Temporal not needed to list)."""
    setup_tracing("talentops-bench")
    import uvicorn

    pool = await db.create_pool(database_url)
    try:
        settings = Settings(data_dir=data_dir, session_secret=SESSION_SECRET)
        app = create_app(Services(pool=pool, client=None, settings=settings))
        await uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                            lifespan="on")).serve()
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def uvicorn_child(database_url: str, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The console under uvicorn in a child process on a free loopback port, and a signed-in client."""
    port = free_port()
    log_path = data_dir / f"uvicorn-{port}.log"
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", database_url, "--serve-port", str(port),
               "--serve-dir", str(data_dir)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(300):
                if process.poll() is not None:
                    raise SystemExit(f"uvicorn exited: {log_path.read_text()[-2000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/api/health")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            else:
                raise SystemExit("uvicorn did not answer within 30 s")
            await login(client)
            yield client
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# ---------------------------------------------------------------------------------------------------------------
# report


@dataclass
class Phase:
    key: str
    title: str
    note: str
    size: int
    results: list[CaseResult]
    plan_cache: list[tuple[int, int, str]] = field(default_factory=list)

    def result(self, label: str) -> CaseResult:
        return next(r for r in self.results if r.case.label == label)


def fmt(stat: Stat | None, how: str = "triple") -> str:
    if stat is None:
        return "–"
    return stat.triple() if how == "triple" else f"{stat.median:.1f}"


def phase_table(phase: Phase) -> list[str]:
    has_http = any(r.http for r in phase.results)
    has_real = any(r.real_http for r in phase.results)
    columns = ["case", "matches"]
    if has_http:
        columns.append("**in-process HTTP** median / p95 / max")
    if has_real:
        columns.append("real HTTP (uvicorn) median / p95 / max")
    columns += ["search_reviews median / p95 / max", "page SQL median", "count(*) SQL median"]
    if has_http:
        columns += ["Jinja render median", "rest median"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in phase.results:
        cells = [f"{r.case.label}<br>`GET {r.case.url}`", f"{r.total:,}"]
        if has_http:
            cells.append(fmt(r.http))
        if has_real:
            cells.append(fmt(r.real_http))
        cells += [fmt(r.search), fmt(r.page_sql, "median"), fmt(r.count_sql, "median")]
        if has_http:
            assert r.http is not None
            rest = r.http.median - r.search.median - (r.render.median if r.render else 0.0)
            cells += [fmt(r.render, "median") if r.render else "– (JSON)", f"{rest:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def statement_label(sql: str) -> str:
    """Which queue statement this is, by its kind and WHERE clause."""
    flat = " ".join(sql.split())
    kind = "count(*)" if flat.startswith("SELECT count(*)") else "page"
    where = flat.split(" WHERE ", 1)[1].split(" ORDER BY ")[0] if " WHERE " in flat else ""
    return f"{kind}: `… WHERE {where[:150]}{'…' if len(where) > 150 else ''}`"


def statement_short(sql: str) -> str:
    """A queue statement by its kind and filters, e.g. ``count(*) (risk tier)``."""
    flat = " ".join(sql.split())
    kind = "count(*)" if flat.startswith("SELECT count(*)") else "page"
    names = [name for fragment, name in (("g.department", "department"), ("r.risk_tier", "risk tier"),
                                         ("r.created_at <=", "waiting"), ("r.action_type", "action"),
                                         ("r.goal_id =", "goal")) if fragment in flat]
    return f"{kind} ({', '.join(names) or 'default filters'})"


def plans_table(phase: Phase) -> list[str]:
    lines = ["| case | page: custom plan (EXPLAIN ANALYZE with the values) | page: generic plan (cached statement) "
             "| count(*): custom plan | count(*): generic plan |", "|---|---|---|---|---|"]
    for r in phase.results:
        if r.case.api:
            continue
        lines.append(f"| {r.case.label} | {plan_summary(r.page_plan)} | {plan_summary(r.page_generic_plan)} | "
                     f"{plan_summary(r.count_plan)} | {plan_summary(r.count_generic_plan)} |")
    return lines


def compare_section(c: Comparison) -> list[str]:
    """The ``--compare-index`` tables: timings side by side, plan cache counts, plans of ``EXPLAIN_CASE``."""
    w, d = c.states["with"], c.states["dropped"]
    lines = [
        f"## Open-queue index: present vs dropped ({c.size:,} open reviews, database only)",
        "",
        f"`--compare-index`: the same run, the same throwaway database and the same product code, with the "
        f"migration 0007 index `{OPEN_QUEUE_INDEX}` present and with it dropped: `{c.definition}`.",
        "",
        f"* {c.blocks} blocks per state, alternating (with, dropped, dropped, with, …) so that both states see the "
        "same machine load. Each block opens a fresh connection (empty statement and plan caches, the product's "
        "pool settings), runs `BEGIN`, for the dropped state `SAVEPOINT` + "
        f"`DROP INDEX {OPEN_QUEUE_INDEX}`, then {c.warmup} untimed and {c.rounds} timed rounds; a round runs, "
        "case after case, `usecases.search_reviews` (both statements, as the page calls it) and each of its two "
        "statements (captured verbatim from the product) on that connection. Then `ROLLBACK`: the index is "
        "never dropped for good (checked after the last block: same definition).",
        f"* {c.blocks * c.rounds} timed runs per case and state. Milliseconds: median / 95th percentile "
        "(nearest rank). Ratio = dropped median ÷ present median (above 1: the index helps).",
        "* Absolute figures are lower than the search_reviews column of the phases above (one connection, no pool "
        "acquire per statement, one open transaction, no HTTP requests in between): compare the two states with each "
        "other, not with those columns.",
        "* Without the index every case returned the same rows and total as with it, checked in the same "
        "transaction (same `now()`) after `ROLLBACK TO SAVEPOINT`.",
        f"* Only in the bench's own embedded Postgres: its data directory (`{c.data_directory}`) is checked to be "
        f"inside the bench's temp folder. Load average 1/5/15 min: {fmt_load(c.load_before)} before, "
        f"{fmt_load(c.load_after)} after ({c.seconds:.0f} s).",
        "",
        "| case | matches | search_reviews, index **present** | search_reviews, index **dropped** | ratio | "
        "page SQL median, present → dropped | ratio | count(*) SQL median, present → dropped | ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for cap in c.captured:
        label = cap.case.label
        ws, ds = w.search[label], d.search[label]
        wp, dp = w.page[label], d.page[label]
        wc, dc = w.count[label], d.count[label]
        lines.append(
            f"| {label}<br>`{cap.case.url}` | {cap.total:,} | {ws.median:.1f} / {ws.p95:.1f} | "
            f"{ds.median:.1f} / {ds.p95:.1f} | **×{ds.median / ws.median:.1f}** | {wp.median:.2f} → {dp.median:.2f} | "
            f"×{dp.median / wp.median:.1f} | {wc.median:.2f} → {dc.median:.2f} | ×{dc.median / wc.median:.1f} |")
    statements = sorted({sql for _, _, sql in w.plan_cache} | {sql for _, _, sql in d.plan_cache})
    counts = {key: {sql: (g, cu) for g, cu, sql in c.states[key].plan_cache} for key in c.states}
    lines += ["", "Plan cache of the last block's connection of each state (`pg_prepared_statements`; the first page "
              "and the deep page share their statements):", "",
              "| statement | present: generic / custom plans | dropped: generic / custom plans |", "|---|---|---|"]
    for sql in statements:
        cells = [" / ".join(str(x) for x in counts[key][sql]) if sql in counts[key] else "–" for key in ("with",
                                                                                                          "dropped")]
        lines.append(f"| {statement_label(sql)} | {cells[0]} | {cells[1]} |")
    lines += ["", f"Plans of *{EXPLAIN_CASE}* (`EXPLAIN (ANALYZE, BUFFERS)` once, in the last block of each state, "
              "after the timings; generic = `PREPARE` + `plan_cache_mode = force_generic_plan`):", "",
              "| statement | index present | index dropped |", "|---|---|---|"]
    for key, name in (("page", "page: custom plan"), ("page generic", "page: generic plan"),
                      ("count", "count(*): custom plan"), ("count generic", "count(*): generic plan")):
        lines.append(f"| {name} | {plan_summary(w.plans[key])} | {plan_summary(d.plans[key])} |")
    lines += ["", f"<details><summary>Custom plans of {EXPLAIN_CASE}, present and dropped</summary>", ""]
    for key, title in (("with", "Index present"), ("dropped", "Index dropped")):
        lines += [f"{title}:", "", "```", *c.states[key].plans["page"], "", *c.states[key].plans["count"], "```", ""]
    lines += ["</details>", ""]
    return lines


def compare_interpretation(c: Comparison, default: CaseResult, deep: CaseResult) -> list[str]:
    """Bullets that read the ``--compare-index`` figures (``default`` and ``deep``: the same cases in the phase at
    the same size, index present)."""
    w, d = c.states["with"], c.states["dropped"]
    ratios = {cap.case.label: d.search[cap.case.label].median / w.search[cap.case.label].median
              for cap in c.captured}
    helped = [label for label, r in ratios.items() if r >= 1.2]
    flat = [label for label, r in ratios.items() if 1 / 1.2 < r < 1.2]
    hurt = [label for label, r in ratios.items() if r <= 1 / 1.2]
    per_case = "; ".join(f"{cap.case.label} {w.search[cap.case.label].median:.1f} → "
                         f"{d.search[cap.case.label].median:.1f} ms (×{ratios[cap.case.label]:.1f})"
                         for cap in c.captured)
    verdict = (f"faster with the index for {len(helped)} of {len(ratios)} filter combinations"
               + (f"; within ±20% for {', '.join(flat)}" if flat else "")
               + (f"; **slower** with it for {', '.join(hurt)}" if hurt else ""))
    out = [f"* **Index present vs dropped** (`--compare-index`, database part = `search_reviews` medians, same run and "
           f"database): {verdict}. Per case, present → dropped: " + per_case + "."]
    page_r = [d.page[label].median / w.page[label].median for label in ratios]
    count_r = [d.count[label].median / w.count[label].median for label in ratios]
    wp, dp = access_paths(w.plans["page"]), access_paths(d.plans["page"])
    wc, dc = access_paths(w.plans["count"]), access_paths(d.plans["count"])
    same_count = d.count[EXPLAIN_CASE].median / w.count[EXPLAIN_CASE].median
    count_note = (f" The count(*) of the {EXPLAIN_CASE} reads `{', '.join(wc)}` in both states (same plan, same "
                  f"buffers), yet shows ×{same_count:.1f}: that is not the index's doing (presumably the heavier "
                  "statements around it in the dropped state), so ratios of that size are no evidence either way."
                  if wc == dc else f" The count(*) of the {EXPLAIN_CASE} reads `{', '.join(wc)}` with the index and "
                  f"`{', '.join(dc)}` without.")
    out.append(
        f"* Which statement: the page statement's ratio (dropped ÷ present) is ×{min(page_r):.1f} to "
        f"×{max(page_r):.1f} over the cases, the count(*)'s ×{min(count_r):.1f} to ×{max(count_r):.1f}. The "
        f"{EXPLAIN_CASE} page reads `{', '.join(wp)}` with the index ({plan_ms(w.plans['page'])}) and "
        f"`{', '.join(dp)}` without ({plan_ms(d.plans['page'])}), one EXPLAIN ANALYZE each." + count_note)
    deep_paths = access_paths(deep.page_plan)
    if deep.case.label in ratios and OPEN_QUEUE_INDEX not in deep_paths:
        generic_paths = access_paths(deep.page_generic_plan)
        out.append(
            f"* The deep page (`{deep.case.url}`, ×{ratios[deep.case.label]:.1f}) does not gain: even with the index "
            f"present its custom plan, the kind its cached statement runs (plan cache tables), is "
            f"`{', '.join(deep_paths)}` (plans table of the {c.size:,} phase) and does not read the index. "
            + (f"The generic plan does walk it (`{', '.join(generic_paths)}`): {plan_ms(deep.page_generic_plan)} vs "
               f"{plan_ms(deep.page_plan)} for the custom plan, one EXPLAIN ANALYZE each, so the planner's choice "
               "is not obviously the faster one here. " if OPEN_QUEUE_INDEX in generic_paths else "")
            + "Either way an OFFSET reads every row before the page; keyset pagination, not this index, would make "
            "deep pages cheap.")
    first = EXPLAIN_CASE
    if default.http is not None and first in ratios:
        delta = d.search[first].median - w.search[first].median
        estimate = default.http.median + delta
        out.append(
            f"* End to end this is an estimate, not a measurement (HTTP was timed with the index only): the in-process "
            f"first page took {default.http.median:.1f} ms median; adding the database difference "
            f"({delta:+.1f} ms) gives ≈{estimate:.1f} ms without the index, "
            + ("still under" if estimate < TARGET_MS else "over") + f" the {TARGET_MS:.0f} ms target at "
            f"{c.size:,} open reviews.")
    return out


HISTORY = [
    "## Earlier figures (not re-measured by this run)",
    "",
    "As recorded in this file at commit e025941 (that run's own report is not in the repository): before migration "
    "`0007_open_review_queue_index.sql` and the filter-only SQL in `usecases.search_reviews` (the `$n IS NULL OR …` "
    "catch-all statement, no open-queue index), 10,000 open reviews, first page `GET /reviews`: 76.0 ms median in "
    "process (p95 140.6), 94.8 ms over real HTTP, of which 67.1 ms in the two queue statements; the bench's former "
    "`--with-index` phases (index + filter-only SQL) showed 9.5 ms in that run. Those figures mix both changes and "
    "come from another run under another load; the catch-all statement is no longer in the product or in this "
    "bench. The section *Open-queue index: present vs dropped* above isolates the index alone, with today's SQL.",
    "",
]


def report(args: argparse.Namespace, facts: list[tuple[str, str]], pg: dict[str, str], phases: list[Phase],
           parked_share: float, wall: float, comparison: Comparison | None) -> str:
    cmd = ".venv/bin/python bench/inbox_list.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    by_key = {p.key: p for p in phases}
    base = by_key[f"base-{max(args.sizes)}"]
    default = base.result(EXPLAIN_CASE)
    assert default.http is not None
    http_results = [r for r in base.results if r.http is not None]
    worst = max(http_results, key=lambda r: r.http.median if r.http else 0.0)
    assert worst.http is not None
    deep = base.result("deep page")
    step = max(1, args.repeats // args.db_repeats)
    out = [
        "# Reviewer inbox: list latency",
        "",
        f"Generated by `bench/inbox_list.py` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC (wall time {wall:.0f} s, "
        "throwaway Postgres removed at the end). Command, from the repository root:",
        "",
        "```",
        cmd.strip(),
        "```",
        "",
        f"Target (issue): with 10,000 pending reviews the reviewer's list page answers in under {TARGET_MS:.0f} ms "
        "median on this machine.",
        "",
        "## Machine",
        "",
        *[f"* {k}: {v}" for k, v in facts],
        f"* PostgreSQL: {pg['version']} (embedded pgserver, unix socket; shared_buffers {pg['shared_buffers']}, "
        f"work_mem {pg['work_mem']}, jit {pg['jit']}, plan_cache_mode {pg['plan_cache_mode']})",
        "",
        "## Set-up",
        "",
        "* Throwaway embedded Postgres in a temp folder, all migrations, demo organisation seeded.",
        f"* Open reviews ({1 - parked_share:.0%} `pending`, {parked_share:.0%} `parked`; the queue shows both), "
        "one goal each, inserted per stage then `VACUUM ANALYZE`: goals over the 8 departments (uneven weights), "
        "70% `propose_staffing` / 30% `decompose_goal`, risk tiers 20% high / 45% medium / 35% low, `created_at` "
        "over the last 6 weeks, `due_at` 1-21 days after creation (overdue and upcoming), escalations on overdue "
        f"ones, jsonb arguments + evidence of 2-7 kB per review. `random.Random({args.seed})`.",
        "* App: `review_console.app.create_app(Services(pool, client=None, settings))` with a tracer provider "
        "installed as `talentops up` does. Signed in as `hr.reviewer` through `POST /login`. Each case is checked "
        f"once (HTTP 200, the expected total and row count), then {args.warmup} untimed rounds and "
        f"{args.repeats} timed sequential requests.",
        "* **in-process HTTP**: `httpx.AsyncClient(transport=httpx.ASGITransport(app))`: the whole ASGI stack "
        "(session middleware, OpenTelemetry, user lookup, the two queue statements, the departments query, Jinja "
        "or the pydantic response model), no socket. **real HTTP**: the same app under uvicorn (default settings, "
        "as `talentops up`) in a child process, over loopback TCP from this process; first page only, interleaved "
        "with the in-process requests.",
        f"* Database alone ({len(range(0, args.repeats, step))} timed runs per case, taken every {step}th request "
        "round, interleaved with the HTTP requests so that every column sees the same machine load): "
        "**search_reviews** = `usecases.search_reviews` as the page calls it (both statements, pool round trips "
        "included); **page SQL** / **count(*) SQL** = each of its two statements, captured verbatim from the "
        "product and re-run on the pool (same cached prepared statements). **Jinja render** = `reviews.html` "
        "rendered with the same rows, no DB. **rest** = in-process median − search_reviews median − render median "
        "(framework, middleware, user and departments queries).",
        "* The pool's connections are replaced at the start of every phase, so each phase starts with empty "
        "statement and plan caches, like a freshly started console.",
        "* Milliseconds: median / 95th percentile (nearest rank) / max.",
        "",
    ]
    for phase in phases:
        out += [f"## {phase.title}", "", phase.note, "", *phase_table(phase), ""]
    if comparison is not None:
        out += compare_section(comparison)
    out += ["## Query plans", "",
            "asyncpg prepares every statement and caches it per connection; after 5 executions Postgres may switch "
            "a prepared statement to a *generic* plan (parameters unknown) when its estimated cost is lower than the "
            "average custom plan. Both are shown (`EXPLAIN (ANALYZE, BUFFERS)` once after the timed runs; the "
            "generic one via `PREPARE` + `SET plan_cache_mode = force_generic_plan` + `EXECUTE`). Time in bold, "
            "then the sort, join and scan nodes with estimated and actual rows.", ""]
    for phase in phases:
        out += [f"**{phase.title}**", "", *plans_table(phase), ""]
        if phase.plan_cache:
            out += ["Plan cache of the pool's connection(s) after the timed runs (`pg_prepared_statements`):", "",
                    "| generic plans | custom plans | statement |", "|---|---|---|"]
            out += [f"| {g} | {c} | {statement_label(s)} |" for g, c, s in phase.plan_cache]
            out.append("")
    out += ["<details><summary>Full plans: first page, default filters, product as is, "
            f"{base.size:,} reviews</summary>", "", "Custom:", "", "```", *default.page_plan, "",
            *default.count_plan, "```", "", "Generic:", "", "```", *default.page_generic_plan, "",
            *default.count_generic_plan, "```", "", "</details>", ""]

    render_ms = default.render.median if default.render else 0.0
    real = default.real_http
    slowest = max([worst.http.median] + ([real.median] if real else []))
    met = slowest < TARGET_MS
    page_paths = access_paths(default.page_plan)
    count_paths = access_paths(default.count_plan)
    out += [
        "## Interpretation",
        "",
        f"* **Target {'met' if met else 'missed'}** with the product as is: at {base.size:,} open reviews the first "
        f"page takes **{default.http.median:.1f} ms median** (p95 {default.http.p95:.1f} ms) in process"
        + (f" and **{real.median:.1f} ms median** (p95 {real.p95:.1f} ms) over real HTTP" if real else "")
        + f"; the slowest case in process is {worst.case.label} (`{worst.case.url}`) at {worst.http.median:.1f} ms "
        "median" + (f"; headroom ×{TARGET_MS / slowest:.1f} against the slowest of these figures." if met else "."),
        f"* Where the time goes (first page, {base.size:,}): database {default.search.median:.1f} ms "
        f"(≈{min(1.0, default.search.median / default.http.median):.0%}; page statement "
        f"{default.page_sql.median:.1f} ms + count(*) {default.count_sql.median:.1f} ms, one after the other), "
        f"Jinja {render_ms:.1f} ms, everything else "
        f"≈{max(0.0, default.http.median - default.search.median - render_ms):.1f} ms. The page statement's custom "
        f"plan reads `{', '.join(page_paths)}`"
        + (" in display order and stops after the page"
           if page_paths[:1] == [OPEN_QUEUE_INDEX] and "sort" not in page_paths else "")
        + f"; the count(*) reads `{', '.join(count_paths)}`, every matching open review. The deep page "
        f"(`{deep.case.url}`), the slowest case, is planned as `{', '.join(access_paths(deep.page_plan))}` "
        "(custom plan): an OFFSET reads and discards all the rows before the page whatever the plan.",
    ]
    if base.plan_cache:
        generic = [statement_short(sql) for g, cu, sql in base.plan_cache if g > cu]
        out.append(
            f"* Plan cache (pool, {base.size:,}): {len(generic)} of {len(base.plan_cache)} queue statements ran "
            "mostly generic plans" + (f" ({', '.join(generic)})" if generic else "")
            + ", the others custom plans; the plans tables above show both kinds for every case.")
    small = by_key.get(f"base-{min(args.sizes)}")
    if small is not None and small is not base:
        s_default = small.result(EXPLAIN_CASE)
        assert s_default.http is not None
        out.append(
            f"* Growth {small.size:,} → {base.size:,} (×{base.size / small.size:.0f}): first page "
            f"{s_default.http.median:.1f} → {default.http.median:.1f} ms, database part "
            f"{s_default.search.median:.1f} → {default.search.median:.1f} ms. A straight line through these two "
            f"points would reach {TARGET_MS:.0f} ms median around "
            f"{_crossing(small.size, s_default.http.median, base.size, default.http.median):,} open reviews on "
            "this machine: a rough guide only (two sizes, a shared machine; the count(*) grows with the queue, the "
            "first page's index scan does not).")
    if comparison is not None:
        out += compare_interpretation(comparison, default, deep)
    out += ["", *HISTORY]
    return "\n".join(out)


def _crossing(n1: int, t1: float, n2: int, t2: float) -> int:
    slope = (t2 - t1) / (n2 - n1)
    if slope <= 0:
        return 0
    return int(round((n2 + (TARGET_MS - t2) / slope) / 1000) * 1000)


# ---------------------------------------------------------------------------------------------------------------
# main


@dataclass(frozen=True)
class Captured:
    """A case's filters and the two statements ``search_reviews`` runs for them, captured verbatim."""

    case: Case
    filters: ReviewFilters
    page_sql: str
    page_args: tuple[Any, ...]
    count_sql: str
    count_args: tuple[Any, ...]
    total: int


@dataclass
class IndexState:
    """``--compare-index``: the timings of one index state over all its blocks, and the plans of its last."""

    search: dict[str, Stat] = field(default_factory=dict)
    page: dict[str, Stat] = field(default_factory=dict)
    count: dict[str, Stat] = field(default_factory=dict)
    plan_cache: list[tuple[int, int, str]] = field(default_factory=list)
    plans: dict[str, list[str]] = field(default_factory=dict)
    """``page``, ``page generic``, ``count``, ``count generic`` of ``EXPLAIN_CASE``."""


@dataclass
class Comparison:
    """``--compare-index``: the open-queue index present (``with``) and dropped (``dropped``)."""

    size: int
    definition: str
    captured: list[Captured]
    states: dict[str, IndexState]
    blocks: int
    rounds: int
    warmup: int
    seconds: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    data_directory: str


class ConnectionAsPool:
    """One connection standing in for the pool: ``search_reviews`` only calls ``fetch`` and ``fetchval``, and under
    ``--compare-index`` they must run inside the transaction that dropped the index."""

    def __init__(self, conn: db.Connection) -> None:
        self.conn = conn

    async def fetch(self, sql: str, *args: Any) -> Any:
        return await self.conn.fetch(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self.conn.fetchval(sql, *args)


async def throwaway_data_directory(pool: asyncpg.Pool[Any], data_dir: Path) -> str:
    """The server's data directory, which must be inside the bench's temp folder: the index is only ever dropped
    (in a transaction that is rolled back) in the embedded Postgres this bench started."""
    data_directory = str(await pool.fetchval("SHOW data_directory"))
    if not Path(data_directory).resolve().is_relative_to(data_dir.resolve()):
        raise SystemExit(f"--compare-index: the database's data directory {data_directory} is not inside the bench's "
                         f"throwaway folder {data_dir}; refusing to drop an index there")
    return data_directory


async def compare_block(database_url: str, settings: Settings, captured: list[Captured], state: IndexState, *,
                        drop: bool, rounds: int, warmup: int, last: bool) -> None:
    """One block of ``--compare-index``: a fresh connection (empty statement and plan caches, the product's pool
    settings), ``BEGIN``, for the dropped state ``DROP INDEX``, ``warmup`` untimed and ``rounds`` timed rounds
    over all cases, then (last block of the state) the plan cache counts and the plans, and ``ROLLBACK``.

    Without the index, the rows and totals are checked against the index present in the same transaction (the
    same ``now()``) after ``ROLLBACK TO SAVEPOINT``.
    """
    pool = await db.create_pool(database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            try:
                await conn.execute("SET LOCAL lock_timeout = '5s'")
                if drop:
                    await conn.execute("SAVEPOINT before_drop")
                    await conn.execute(f"DROP INDEX {OPEN_QUEUE_INDEX}")
                    if await conn.fetchval("SELECT to_regclass($1)::text", OPEN_QUEUE_INDEX) is not None:
                        raise SystemExit(f"--compare-index: {OPEN_QUEUE_INDEX} still there after DROP INDEX")
                svc = Services(pool=ConnectionAsPool(conn), client=None, settings=settings)  # type: ignore[arg-type]
                probes: dict[str, Callable[[], Awaitable[Any]]] = {}
                for c in captured:
                    probes[f"search|{c.case.label}"] = partial(usecases.search_reviews, svc, c.filters)
                    probes[f"page|{c.case.label}"] = partial(conn.fetch, c.page_sql, *c.page_args)
                    probes[f"count|{c.case.label}"] = partial(conn.fetchval, c.count_sql, *c.count_args)
                got = await interleaved(probes, {}, rounds, warmup)
                for key, stat in got.items():
                    kind, label = key.split("|", 1)
                    target = {"search": state.search, "page": state.page, "count": state.count}[kind]
                    target.setdefault(label, Stat()).values.extend(stat.values)
                answers = {c.case.label: await usecases.search_reviews(svc, c.filters) for c in captured}
                if last:
                    state.plan_cache = await plan_cache_stats(conn)
                    shown = next(c for c in captured if c.case.label == EXPLAIN_CASE)
                    state.plans = {
                        "page": await explain(conn, shown.page_sql, shown.page_args),
                        "page generic": await explain(conn, shown.page_sql, shown.page_args, generic=True),
                        "count": await explain(conn, shown.count_sql, shown.count_args),
                        "count generic": await explain(conn, shown.count_sql, shown.count_args, generic=True)}
                if drop:
                    await conn.execute("ROLLBACK TO SAVEPOINT before_drop")
                    for c in captured:
                        if await usecases.search_reviews(svc, c.filters) != answers[c.case.label]:
                            raise SystemExit(f"--compare-index: {c.case.url} answers differently without the index")
            finally:
                await transaction.rollback()
    finally:
        await pool.close()


async def compare_index(args: argparse.Namespace, svc: Services, data_dir: Path, database_url: str,
                        size: int) -> Comparison:
    """The product's queue queries with ``OPEN_QUEUE_INDEX`` present and dropped, in alternating blocks."""
    started = time.perf_counter()
    load_before = os.getloadavg()
    data_directory = await throwaway_data_directory(svc.pool, data_dir)
    definition = await svc.pool.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = $1", OPEN_QUEUE_INDEX)
    if definition is None:
        raise SystemExit(f"--compare-index: no index {OPEN_QUEUE_INDEX} (migration 0007) in the database")
    captured = []
    for case in cases_for(size, args.deep_offset):
        if case.api:  # the same filters as the first page
            continue
        recorder = RecordingPool(svc.pool)
        _, total = await usecases.search_reviews(
            Services(pool=recorder, client=None, settings=svc.settings), case.filters())  # type: ignore[arg-type]
        (page_sql, page_args), (count_sql, count_args) = recorder.calls
        captured.append(Captured(case, case.filters(), page_sql, page_args, count_sql, count_args, total))
    states = {"with": IndexState(), "dropped": IndexState()}
    blocks = max(1, args.compare_blocks)
    rounds = max(1, math.ceil(args.compare_rounds / blocks))
    for block in range(blocks):
        order = ("with", "dropped") if block % 2 == 0 else ("dropped", "with")
        for key in order:
            print(f"  block {block + 1}/{blocks}, index {'present' if key == 'with' else 'dropped'}",
                  file=sys.stderr, flush=True)
            await compare_block(database_url, svc.settings, captured, states[key], drop=key == "dropped",
                                rounds=rounds, warmup=args.warmup, last=block == blocks - 1)
    if await svc.pool.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = $1", OPEN_QUEUE_INDEX) != definition:
        raise SystemExit(f"--compare-index: {OPEN_QUEUE_INDEX} is not back as it was after the rollbacks")
    for c in captured:
        w, d = states["with"].search[c.case.label], states["dropped"].search[c.case.label]
        print(f"  {c.case.url:<28} search_reviews median {w.median:.1f} ms with the index, {d.median:.1f} ms "
              f"without (×{d.median / w.median:.1f})", file=sys.stderr, flush=True)
    return Comparison(size=size, definition=definition, captured=captured, states=states, blocks=blocks,
                      rounds=rounds, warmup=args.warmup, seconds=time.perf_counter() - started,
                      load_before=load_before, load_after=os.getloadavg(), data_directory=data_directory)


async def run(args: argparse.Namespace, database_url: str, data_dir: Path) -> str:
    setup_tracing("talentops-bench")
    knobs = Knobs(repeats=args.repeats, warmup=args.warmup, db_repeats=args.db_repeats)
    pool = await db.create_pool(database_url)
    explainer = await asyncpg.connect(database_url, statement_cache_size=0)
    try:
        await db.migrate(pool)
        async with pool.acquire() as conn:
            await seed_demo_org(conn)
        pg = {k: await pool.fetchval(f"SHOW {k}") for k in ("shared_buffers", "work_mem", "jit", "plan_cache_mode")}
        pg["version"] = (await pool.fetchval("SELECT version()")).split(" on ")[0]
        settings = Settings(data_dir=data_dir, session_secret=SESSION_SECRET)
        svc = Services(pool=pool, client=None, settings=settings)
        app = create_app(svc)
        maker = QueueMaker(args.seed)
        sizes = sorted(set(args.sizes))
        phases: list[Phase] = []
        comparison: Comparison | None = None
        have = 0
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench.local",
                                     timeout=30) as client:
            await login(client)
            for size in sizes:
                seconds = await grow_queue(pool, maker, have, size)
                have = size
                print(f"{size:,} open reviews, product as is (seeded in {seconds:.1f} s)", file=sys.stderr, flush=True)
                cases = cases_for(size, args.deep_offset)
                if size == sizes[-1] and args.real_http:
                    async with uvicorn_child(database_url, data_dir) as real_client:
                        results = await measure(svc, cases, knobs, client, real_client, explainer)
                else:
                    results = await measure(svc, cases, knobs, client, None, explainer)
                phases.append(Phase(f"base-{size}", f"{size:,} open reviews, product as is",
                                    f"Inserted and analysed in {seconds:.1f} s.", size, results,
                                    await plan_cache_stats(pool)))
        if args.compare_index:
            print(f"{have:,} open reviews, {OPEN_QUEUE_INDEX} present vs dropped (database only)", file=sys.stderr,
                  flush=True)
            comparison = await compare_index(args, svc, data_dir, database_url, have)
        parked = await pool.fetchval("SELECT avg((status = 'parked')::int)::float8 FROM review_requests")
        return report(args, machine_facts(args.load_start), pg, phases, parked, time.perf_counter() - args.started,
                      comparison)
    finally:
        await explainer.close()
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[1_000, 10_000],
                        help="open-queue sizes measured, comma-separated, growing (default 1000,10000)")
    parser.add_argument("--repeats", type=int, default=200, help="timed HTTP requests per case (default 200)")
    parser.add_argument("--warmup", type=int, default=5,
                        help="untimed rounds per case first (default 5: enough for the plan cache to settle)")
    parser.add_argument("--db-repeats", type=int, default=20,
                        help="timed runs of the database-only and render measurements per case (default 20)")
    parser.add_argument("--deep-offset", type=int, default=5_000, help="offset of the deep-page case (default 5000)")
    parser.add_argument("--no-real-http", dest="real_http", action="store_false",
                        help="skip the uvicorn-over-loopback measurement")
    parser.add_argument("--compare-index", action="store_true",
                        help=f"also, at the largest size, time the product's queue queries (database only, the same "
                             f"filters) with the partial index {OPEN_QUEUE_INDEX} (migration 0007) present and "
                             "dropped inside a transaction that is rolled back, in alternating blocks on fresh "
                             "connections of the bench's own throwaway Postgres; reports medians / p95, the ratio "
                             f"and the plans of '{EXPLAIN_CASE}' in both states")
    parser.add_argument("--compare-rounds", type=int, default=200,
                        help="--compare-index: timed rounds per index state, over all cases (default 200)")
    parser.add_argument("--compare-blocks", type=int, default=4,
                        help="--compare-index: blocks per index state, alternating with the other state "
                             "(default 4)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, help="write the Markdown report here (default: print it)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--serve-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.started = time.perf_counter()
    args.load_start = os.getloadavg()
    if args.serve:
        asyncio.run(serve(args.serve, args.serve_port, args.serve_dir))
        return

    tmp = Path(tempfile.mkdtemp(prefix="talentops-bench-inbox-"))
    tmp.chmod(0o755)  # pgserver runs Postgres as its own user when we are root
    server = None
    try:
        server, url = start_postgres(tmp)
        text = asyncio.run(run(args, url, tmp))
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        print(text)


if __name__ == "__main__":
    main()
