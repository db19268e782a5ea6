"""Browser tests drive Debian's Chromium through Playwright against the console served by a real uvicorn."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest
import uvicorn
from support import CHROMIUM

from infra.embedded import free_port
from review_console.app import create_app
from workflows.usecases import Services


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without Chromium the browser tests are skipped with the reason (and CI, which installs it, fails)."""
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI=true but Debian chromium is missing: scripts/test.sh installs it with apt-get")
    skip = pytest.mark.skip(reason="Debian chromium is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
async def console_url(services: Services) -> AsyncIterator[str]:
    """The console served by a real uvicorn on a free port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
