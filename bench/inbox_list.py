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
* times the database alone for each case, interleaved with the requests: ``service.search_reviews`` as the
  page calls it, and its two statements (the page and the ``count(*)``) captured verbatim from the product and
  re-run on the pool; ``EXPLAIN (ANALYZE, BUFFERS)`` of both, as custom and as generic plans; the Jinja render
  of the page alone; and the plan cache counts (``pg_prepared_statements``);
* with ``--with-index``, then measures the database part with a bench copy of a proposed ``search_reviews``
  (SQL built from the filters actually given, open statuses as a literal, ``count(*)`` joining goals only when
  filtering by department) and no new index; with the candidate index (created in the throwaway database)
  and the product code, on fresh connections and on connections whose first queries were deep pages; and
  everything, HTTP included, with both the index and the proposed code patched into the app and the uvicorn
  child. Product files are not changed.

Run from the repository root::

    .venv/bin/python bench/inbox_list.py --out bench/results/inbox_list.md
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
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
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
from infra.telemetry import setup_tracing  # noqa: E402
from review_console import pages, service  # noqa: E402
from review_console.api.models import ReviewQueueParams  # noqa: E402
from review_console.app import create_app  # noqa: E402
from review_console.service import ReviewFilters, Services  # noqa: E402
from tools.demo_org import DEMO_PASSWORD, load_demo_org, seed_demo_org  # noqa: E402
from tools.taxonomy import load_task_library  # noqa: E402

TARGET_MS = 100.0
REVIEWER = "hr.reviewer"
SESSION_SECRET = "bench-inbox-list-session-secret-not-used-anywhere-else"
SEED = 20261104

# Candidate index tried with --with-index (now also migration 0007, so this is a no-op there): the open queue in its
# display order; the INCLUDE columns let the count(*) of the usual filters be an index-only scan.
CANDIDATE_INDEX = (
    "CREATE INDEX IF NOT EXISTS review_requests_open_queue ON review_requests (due_at, created_at, review_id)"
    " INCLUDE (goal_id, risk_tier, action_type) WHERE status IN ('pending', 'parked')"
)


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


def machine_facts() -> list[tuple[str, str]]:
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
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [("CPUs (nproc)", f"{usable} ({cpu})"), ("RAM", ram), ("OS", platform.platform()),
            ("Load average 1/5/15 min at the end (other processes share the machine)", load),
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
# the proposed search_reviews: adopted by the product (review_console.service.search_reviews), so the
# --with-index phases now compare the product with itself; kept so the bench's phases stay runnable.

proposed_search_reviews = service.search_reviews


@contextlib.contextmanager
def search_implementation(proposed: bool) -> Iterator[None]:
    """Route the console's (and this bench's) ``service.search_reviews`` calls to the proposed copy."""
    original = service.search_reviews
    if proposed:
        service.search_reviews = proposed_search_reviews
    try:
        yield
    finally:
        service.search_reviews = original


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
DB_ONLY_CASES = ("first page, default filters", "department", "deep page")


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
        rows, total = await service.search_reviews(svc, case.filters())
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
            got_rows = text.count('<tr><td><a href="/reviews/r-')
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


async def explain(conn: asyncpg.Connection[Any], sql: str, args: tuple[Any, ...], *,
                  generic: bool = False) -> list[str]:
    """EXPLAIN ANALYZE with the values (a custom plan), or of the generic plan a cached prepared statement runs.

    On a connection of its own, so that the pool's statement cache (whose plans we report) holds only what the
    console and the timings run.
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
    for line in plan:
        text = line.strip().removeprefix("->").strip()
        kind = text.split("  (")[0]
        if any(kind.startswith(k) for k in ("Index Only Scan", "Index Scan", "Bitmap Index Scan", "Seq Scan",
                                             "Nested Loop", "Hash Join", "Merge Join")):
            est = text.split(" rows=")[1].split(" ")[0] if " rows=" in text else "?"
            actual = text.split("actual ")[1].split(" rows=")[1].split(" ")[0] if "actual " in text else "?"
            nodes.append(f"{kind.replace(' on review_requests r', '').replace(' on goals g', ' (goals)')}"
                         f" [est {est}, got {actual}]")
    return f"**{exec_ms}**: " + "; ".join(nodes)


def render_alone(case: Case, rows: list[dict[str, Any]], total: int, user: dict[str, Any],
                 departments: list[Any]) -> None:
    """The Jinja render of reviews.html with the context reviews_page builds (no request, no DB)."""
    params = ReviewQueueParams.model_validate(case.query)
    pages.templates.get_template("reviews.html").render(
        user=user, reviews=rows, total=total, params=params, state=params.state, departments=departments,
        prev_url=None, next_url="/reviews?offset=50",
        model_label="offline deterministic planner (local-planner)", attribution=load_task_library().attribution)


@dataclass
class Knobs:
    repeats: int
    warmup: int
    db_repeats: int


async def measure(svc: Services, cases: list[Case], knobs: Knobs, client: httpx.AsyncClient | None,
                  real_client: httpx.AsyncClient | None, explainer: asyncpg.Connection[Any],
                  prime: Case | None = None) -> list[CaseResult]:
    """Time every case: over HTTP when a client is given, and its database part (always), interleaved.

    The pool's connections are replaced first (empty plan caches, like a freshly started console); with
    ``prime``, that case's search runs 5 times before anything else (what a connection's first queue queries
    were decides whether Postgres keeps custom plans or settles on a generic one).
    """
    user = await service.get_user(svc, REVIEWER)
    departments = await svc.pool.fetch("SELECT code, name FROM departments ORDER BY name")
    await svc.pool.expire_connections()
    if prime is not None:
        for _ in range(5):
            await service.search_reviews(svc, prime.filters())
    results = []
    for case in cases:
        f = case.filters()
        recorder = RecordingPool(svc.pool)
        rows, total = await service.search_reviews(
            Services(pool=recorder, client=None, settings=svc.settings), f)  # type: ignore[arg-type]
        (page_sql, page_args), (count_sql, count_args) = recorder.calls
        probes: dict[str, Callable[[], Awaitable[Any]]] = {}
        if client is not None:
            await check_response(client, case, svc)
            probes["http"] = partial(client.get, case.url)
        if real_client is not None and case.label in REAL_HTTP_CASES:
            await check_response(real_client, case, svc)
            probes["real"] = partial(real_client.get, case.url)
        if client is not None and not case.api:
            probes["render"] = partial(_sync, render_alone, case, rows, total, user, departments)
        probes["search"] = partial(service.search_reviews, svc, f)  # the implementation in force now
        probes["page"] = partial(svc.pool.fetch, page_sql, *page_args)
        probes["count"] = partial(svc.pool.fetchval, count_sql, *count_args)
        if client is not None:
            step = max(1, knobs.repeats // knobs.db_repeats)
            stats = interleaved(probes, {"render": step, "search": step, "page": step, "count": step},
                                knobs.repeats, knobs.warmup)
        else:  # database-only phases: fewer rounds (they only show that the plans changed, or did not)
            stats = interleaved(probes, {}, max(10, knobs.db_repeats // 2), min(knobs.warmup, 3))
        got = await stats
        result = CaseResult(case=case, total=total, rows=len(rows), search=got["search"], page_sql=got["page"],
                            count_sql=got["count"], http=got.get("http"), render=got.get("render"),
                            real_http=got.get("real"),
                            page_plan=await explain(explainer, page_sql, page_args),
                            count_plan=await explain(explainer, count_sql, count_args),
                            page_generic_plan=await explain(explainer, page_sql, page_args, generic=True),
                            count_generic_plan=await explain(explainer, count_sql, count_args, generic=True))
        results.append(result)
        print(f"  {case.url:<28} {total:>6,} matching; "
              + (f"in-process HTTP {result.http.triple()} ms; " if result.http else "")
              + (f"real HTTP {result.real_http.triple()} ms; " if result.real_http else "")
              + f"search_reviews median {result.search.median:.1f} ms", file=sys.stderr, flush=True)
    return results


async def _sync(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


async def plan_cache_stats(pool: asyncpg.Pool[Any]) -> list[tuple[int, int, str]]:
    """Generic/custom plan counts of the queue statements prepared on the pool's (single, idle) connection."""
    rows = await pool.fetch(
        "SELECT generic_plans, custom_plans, statement FROM pg_prepared_statements"
        " WHERE statement LIKE '%FROM review_requests r%' AND statement NOT LIKE '%pg_prepared_statements%'"
        " AND statement NOT LIKE 'EXPLAIN%'"
        " ORDER BY statement")
    return [(r["generic_plans"], r["custom_plans"], r["statement"]) for r in rows]


# ---------------------------------------------------------------------------------------------------------------
# real HTTP: uvicorn in a child process


async def serve(database_url: str, port: int, data_dir: Path, proposed: bool) -> None:
    """Child process: the console over uvicorn, as ``talentops up`` serves it (Temporal not needed to list)."""
    setup_tracing("talentops-bench")
    import uvicorn

    pool = await db.create_pool(database_url)
    try:
        settings = Settings(data_dir=data_dir, session_secret=SESSION_SECRET)
        app = create_app(Services(pool=pool, client=None, settings=settings))
        with search_implementation(proposed):
            await uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                lifespan="on")).serve()
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def uvicorn_child(database_url: str, data_dir: Path, proposed: bool) -> AsyncIterator[httpx.AsyncClient]:
    """The console under uvicorn in a child process on a free loopback port, and a signed-in client."""
    port = free_port()
    log_path = data_dir / f"uvicorn-{port}.log"
    command = [sys.executable, str(Path(__file__).resolve()), "--serve", database_url, "--serve-port", str(port),
               "--serve-dir", str(data_dir)] + (["--serve-proposed"] if proposed else [])
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


def plans_table(phase: Phase) -> list[str]:
    lines = ["| case | page: custom plan (EXPLAIN ANALYZE with the values) | page: generic plan (cached statement) "
             "| count(*): custom plan | count(*): generic plan |", "|---|---|---|---|---|"]
    for r in phase.results:
        if r.case.api:
            continue
        lines.append(f"| {r.case.label} | {plan_summary(r.page_plan)} | {plan_summary(r.page_generic_plan)} | "
                     f"{plan_summary(r.count_plan)} | {plan_summary(r.count_generic_plan)} |")
    return lines


def report(args: argparse.Namespace, facts: list[tuple[str, str]], pg: dict[str, str], phases: list[Phase],
           parked_share: float, wall: float, skipped: list[str]) -> str:
    cmd = ".venv/bin/python bench/inbox_list.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    by_key = {p.key: p for p in phases}
    base = by_key[f"base-{max(args.sizes)}"]
    default = base.result("first page, default filters")
    assert default.http is not None
    http_results = [r for r in base.results if r.http is not None]
    worst = max(http_results, key=lambda r: r.http.median if r.http else 0.0)
    assert worst.http is not None
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
        f"* Database alone ({len(range(0, args.repeats, max(1, args.repeats // args.db_repeats)))} timed runs per "
        f"case, taken every {max(1, args.repeats // args.db_repeats)}th request round, interleaved with the HTTP "
        "requests so that "
        "every column sees the same machine load): **search_reviews** = "
        "`service.search_reviews` as the page calls it (both statements, pool round trips included; "
        f"database-only phases: {max(10, args.db_repeats // 2)} rounds); **page SQL** /"
        " **count(*) SQL** = each of its two statements, captured verbatim from the product and re-run on the "
        "pool (same cached prepared statements). **Jinja render** = `reviews.html` rendered with the same rows, "
        "no DB. **rest** = in-process median − search_reviews median − render median (framework, middleware, "
        "user and departments queries).",
        "* The pool's connections are replaced at the start of every phase, so each phase starts with empty "
        "statement and plan caches, like a freshly started console.",
        "* Milliseconds: median / 95th percentile (nearest rank) / max.",
        *([f"* Skipped to stay within the time budget (`--budget {args.budget:.0f}`): " + "; ".join(skipped) + "."]
          if skipped else []),
        "",
    ]
    for phase in phases:
        out += [f"## {phase.title}", "", phase.note, "", *phase_table(phase), ""]
    out += ["## Query plans", "",
            "asyncpg prepares every statement and caches it per connection; after 5 executions Postgres may switch "
            "a prepared statement to a *generic* plan (parameters unknown) when its estimated cost is lower than the "
            "average custom plan. Both are shown (`EXPLAIN (ANALYZE, BUFFERS)` once after the timed runs; the "
            "generic one via `PREPARE` + `SET plan_cache_mode = force_generic_plan` + `EXECUTE`). Time in bold, "
            "then the join/scan nodes with estimated and actual rows.", ""]
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
        f"≈{max(0.0, default.http.median - default.search.median - render_ms):.1f} ms. Both statements read every "
        "open review (all of them are sorted for a page of 50; all of them are joined to goals to be counted), so "
        "the database part grows linearly with the queue.",
    ]
    page_cache = [(g, c) for g, c, sql in base.plan_cache if not sql.lstrip().startswith("SELECT count(*)")]
    generic_ms = next((line.split(":", 1)[1].strip() for line in default.page_generic_plan
                       if line.startswith("Execution Time")), "?")
    custom_ms = next((line.split(":", 1)[1].strip() for line in default.page_plan
                      if line.startswith("Execution Time")), "?")
    generic_est = next((line.split(" rows=")[1].split(" ")[0] for line in default.page_generic_plan
                        if "Seq Scan on review_requests" in line and " rows=" in line), "a few")
    try:
        slower = float(generic_ms.split()[0]) > 1.2 * float(custom_ms.split()[0])
    except ValueError:
        slower = False
    lead = "It is slower than it need be" if slower else "Plan choice"
    if page_cache:
        g, c = page_cache[0]
        out.append(
            f"* {lead}: asyncpg caches the prepared statements, and after 5 executions "
            f"Postgres runs the page statement with a *generic* plan ({g:,} generic vs {c:,} custom executions "
            "on the pool's connection). The `($n IS NULL OR col = $n)` catch-alls make that plan estimate "
            f"{generic_est} row(s) where {default.total:,} match, so it picks a nested loop with one goals index "
            f"lookup per open review (EXPLAIN ANALYZE: generic {generic_ms} vs custom {custom_ms}; same for the "
            "count). Nothing in the product statements can use an index for the order either.")
    small = by_key.get(f"base-{min(args.sizes)}")
    if small is not None and small is not base:
        s_default = small.result("first page, default filters")
        assert s_default.http is not None
        out.append(
            f"* Growth {small.size:,} → {base.size:,} (×{base.size / small.size:.0f}): first page "
            f"{s_default.http.median:.1f} → {default.http.median:.1f} ms, database part "
            f"{s_default.search.median:.1f} → {default.search.median:.1f} ms. Extrapolating linearly, the first "
            f"page would reach {TARGET_MS:.0f} ms median around "
            f"{_crossing(small.size, s_default.http.median, base.size, default.http.median):,} open reviews on "
            "this machine (sooner over real HTTP and for the slower filters).")
    idx = by_key.get("index")
    fix = by_key.get("fix")
    if idx is not None:
        i_default = idx.result("first page, default filters")
        ratio = default.search.median / i_default.search.median
        effect = "no real change" if ratio < 1.5 else f"×{ratio:.1f} faster"
        out.append(
            f"* The candidate index alone, product code unchanged, on fresh connections whose first queue queries "
            f"are first pages: database part of the first page {default.search.median:.1f} → "
            f"{i_default.search.median:.1f} ms ({effect}). Cheap custom plans (index scan, stop after 50) keep "
            "Postgres from switching to the generic plan, which could not use the partial index anyway "
            "(`r.status = ANY($1)` with an unknown `$1` does not imply the index predicate).")
    primed = by_key.get("index-primed")
    if idx is not None and primed is not None:
        p_default = primed.result("first page, default filters")
        out.append(
            f"* …but that depends on luck: on a connection whose first 5 queue queries were deep pages, the same "
            f"index and code give {p_default.search.median:.1f} ms for the first page. Postgres compared the "
            "generic plan with those expensive custom plans, chose the generic one, and keeps it for the life of "
            "the connection (see the plan cache counts). Only deep pages were measured here; other costly first "
            "queries on a connection (`list_reviews` with its limit of 10,000, the `all` state) would presumably "
            "do the same.")
    code = by_key.get("code")
    if code is not None:
        c_default = code.result("first page, default filters")
        out.append(
            f"* The proposed `search_reviews` alone, no new index: database part of the first page "
            f"{default.search.median:.1f} → {c_default.search.median:.1f} ms (true estimates, hash joins, no "
            "per-row catch-alls; the count of the unfiltered queue is an index-only scan of the existing "
            "`review_requests_pending`), but the page still sorts every open review.")
    if fix is not None:
        f_default = fix.result("first page, default filters")
        f_http = [r for r in fix.results if r.http is not None]
        f_worst = max(f_http, key=lambda r: r.http.median if r.http else 0.0)
        assert f_default.http is not None and f_worst.http is not None
        out.append(
            f"* Index + proposed `search_reviews`: first page {default.http.median:.1f} → "
            f"**{f_default.http.median:.1f} ms** median in process"
            + (f", {real.median:.1f} → **{f_default.real_http.median:.1f} ms** over real HTTP"
               if real and f_default.real_http else "")
            + f" (database {default.search.median:.1f} → {f_default.search.median:.1f} ms); slowest case now "
            f"{f_worst.case.label} at {f_worst.http.median:.1f} ms (OFFSET still walks the skipped rows; keyset "
            "pagination would make it flat). Per case: " + "; ".join(
                f"{b.case.label} {b.http.median:.1f} → {a.http.median:.1f} ms"
                for b, a in zip(base.results, fix.results, strict=True) if a.http and b.http) + ".")
    out.append("")
    return "\n".join(out)


def _crossing(n1: int, t1: float, n2: int, t2: float) -> int:
    slope = (t2 - t1) / (n2 - n1)
    if slope <= 0:
        return 0
    return int(round((n2 + (TARGET_MS - t2) / slope) / 1000) * 1000)


# ---------------------------------------------------------------------------------------------------------------
# main


PHASE_RESERVE_S = {"code": 10.0, "index": 10.0, "fix": 45.0, "index-primed": 10.0}
"""Seconds each --with-index phase is allowed to need; skipped when the budget has less left."""


async def with_index_phases(args: argparse.Namespace, svc: Services, client: httpx.AsyncClient, database_url: str,
                            data_dir: Path, have: int, knobs: Knobs, explainer: asyncpg.Connection[Any],
                            phases: list[Phase], skipped: list[str]) -> None:
    """The proposed code without index, the index with the product code, both, and the primed connection;
    each only while the time budget allows (the most useful first after the cheap code-only one)."""
    pool = svc.pool
    cases = cases_for(have, args.deep_offset)
    db_cases = [c for c in cases if c.label in DB_ONLY_CASES]
    deep = next(c for c in cases if c.label == "deep page")

    def allowed(key: str, title: str) -> bool:
        left = args.budget - (time.perf_counter() - args.started)
        if left < PHASE_RESERVE_S[key]:
            skipped.append(f"{title} ({left:.0f} s of the {args.budget:.0f} s budget left)")
            print(f"skipped, time budget: {title}", file=sys.stderr, flush=True)
            return False
        print(title, file=sys.stderr, flush=True)
        return True

    for case in cases:  # the proposed copy must answer exactly like the product
        expected = await service.search_reviews(svc, case.filters())
        if await proposed_search_reviews(svc, case.filters()) != expected:
            raise SystemExit(f"the proposed search_reviews differs from the product on {case.url}")
    title = f"{have:,} open reviews, proposed search_reviews, no new index (database only)"
    if allowed("code", title):
        with search_implementation(proposed=True):
            results = await measure(svc, db_cases, knobs, None, None, explainer)
        phases.append(Phase("code", title, "The bench's `proposed_search_reviews` (see the phase with both) without "
                            "the candidate index.", have, results, await plan_cache_stats(pool)))
    start = time.perf_counter()
    await pool.execute(CANDIDATE_INDEX)
    await pool.execute("VACUUM ANALYZE review_requests")
    built = time.perf_counter() - start
    title = f"{have:,} open reviews + candidate index, product code (database only)"
    if allowed("index", title):
        results = await measure(svc, db_cases, knobs, None, None, explainer)
        phases.append(Phase(
            "index", title, f"`{CANDIDATE_INDEX}` created in the throwaway database ({built:.1f} s with VACUUM "
            "ANALYZE). Fresh connections whose first queue queries are first pages.", have, results,
            await plan_cache_stats(pool)))
    title = f"{have:,} open reviews + candidate index + proposed search_reviews"
    if allowed("fix", title):
        with search_implementation(proposed=True):
            if args.real_http:
                async with uvicorn_child(database_url, data_dir, proposed=True) as real_client:
                    results = await measure(svc, cases, knobs, client, real_client, explainer)
            else:
                results = await measure(svc, cases, knobs, client, None, explainer)
        phases.append(Phase(
            "fix", title, "The bench's `proposed_search_reviews` (SQL with only the filters given, open statuses "
            "as a literal, `count(*)` joining goals only for a department filter) patched over "
            "`service.search_reviews` in this process and in the uvicorn child (checked first to return the same "
            "rows and totals as the product for every case), with the candidate index.", have, results,
            await plan_cache_stats(pool)))
    title = (f"{have:,} open reviews + candidate index, product code, connection's first queue queries were deep "
             "pages (database only)")
    if allowed("index-primed", title):
        results = await measure(svc, db_cases, knobs, None, None, explainer, prime=deep)
        phases.append(Phase(
            "index-primed", title, f"Same index; the fresh connection first ran 5 searches of `{deep.url}` (an "
            "expensive custom plan), then the cases as above.", have, results, await plan_cache_stats(pool)))


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
        skipped: list[str] = []
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
                    async with uvicorn_child(database_url, data_dir, proposed=False) as real_client:
                        results = await measure(svc, cases, knobs, client, real_client, explainer)
                else:
                    results = await measure(svc, cases, knobs, client, None, explainer)
                phases.append(Phase(f"base-{size}", f"{size:,} open reviews, product as is",
                                    f"Inserted and analysed in {seconds:.1f} s.", size, results,
                                    await plan_cache_stats(pool)))
            if args.with_index:
                await with_index_phases(args, svc, client, database_url, data_dir, have, knobs, explainer,
                                        phases, skipped)
        parked = await pool.fetchval("SELECT avg((status = 'parked')::int)::float8 FROM review_requests")
        return report(args, machine_facts(), pg, phases, parked, time.perf_counter() - args.started, skipped)
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
    parser.add_argument("--with-index", action="store_true",
                        help="also measure with the candidate index in the throwaway database, with the product "
                             "code and with the proposed search_reviews")
    parser.add_argument("--budget", type=float, default=170.0,
                        help="seconds the whole run may take; --with-index phases that would not fit are skipped "
                             "(default 170)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, help="write the Markdown report here (default: print it)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--serve-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serve-proposed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.started = time.perf_counter()
    if args.serve:
        asyncio.run(serve(args.serve, args.serve_port, args.serve_dir, args.serve_proposed))
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
