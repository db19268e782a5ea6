"""Postgres restarted or stopped under a running console: requests get a 503 with a sentence and Retry-After,
never a 500, and the console serves again once Postgres is back."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from temporalio.client import Client

from infra import children, db
from infra.embedded import start_postgres
from infra.settings import Settings
from review_console.app import create_app
from workflows.usecases import Services

pytestmark = pytest.mark.integration
ORIGIN = "http://testserver"


async def test_a_postgres_restart_and_stop_answer_503_with_a_sentence(tmp_path: Path, client: Client) -> None:
    pg, url = start_postgres(tmp_path)
    pool = await db.create_pool(url, max_size=3)
    try:
        await db.migrate(pool)
        settings = Settings(data_dir=tmp_path, session_secret="backend-away-test-secret-0123456789")
        app = create_app(Services(pool=pool, client=client, settings=settings))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=ORIGIN, headers={"Origin": ORIGIN}) as http:
            tries = iter(range(100))

            async def login() -> httpx.Response:  # another login each time: the throttle counts per login
                return await http.post("/api/login", json={"login": f"nobody{next(tries)}", "password": "not-it"})

            assert (await login()).status_code == 401  # Postgres answers: a wrong login is a wrong login

            children.pg_ctl(pg.pgdata, "-m", "fast", "-w", "restart", "-l", str(pg.pgdata / "log"))
            answers = [await login() for _ in range(6)]  # the pool's connections died with the old server
            assert {r.status_code for r in answers} <= {401, 503}, [r.text for r in answers]
            assert answers[-1].status_code == 401, "the console serves again once Postgres is back"
            for r in answers:
                if r.status_code == 503:
                    assert "not answering" in r.json()["detail"] and r.headers["Retry-After"] == "5"

            children.stop_postgres(pg.pgdata)
            away = await login()
            assert away.status_code == 503, away.text
            assert away.json()["detail"].startswith("the database is not answering right now")
            assert away.headers["Retry-After"] == "5"
            page = await http.get("/login", headers={"Accept": "text/html"})
            assert page.status_code in (200, 503)  # the login page itself needs no database
    finally:
        await pool.close()
        pg.cleanup()
