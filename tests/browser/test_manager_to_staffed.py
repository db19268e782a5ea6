"""A manager submits a goal, a reviewer approves it, the goal page shows 'staffed' — in real Chromium."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator

import pytest
import uvicorn

from infra.embedded import free_port
from review_console.app import create_app
from review_console.service import Services
from tools.demo_org import DEMO_PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI=true but Debian chromium is missing: scripts/test.sh installs it with apt-get")
    pytest.skip("Debian chromium is not installed (apt-get install chromium); browser test skipped",
                allow_module_level=True)


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


async def test_manager_submits_reviewer_approves_goal_is_staffed(console_url: str) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        manager = await (await browser.new_context()).new_page()
        await manager.goto(f"{console_url}/goals")
        await manager.fill("input[name=login]", "mgr.payments")
        await manager.fill("input[name=password]", DEMO_PASSWORD)
        await manager.click("button[type=submit]")
        await manager.fill("textarea[name=text]",
                           "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks")
        await manager.click("text=Plan and staff it")
        status = manager.get_by_test_id("goal-status")
        await expect(status).to_have_text("awaiting_plan_review", timeout=30_000)
        await expect(manager.get_by_role("heading", name="Tasks")).to_be_visible()
        goal_url = manager.url

        reviewer = await (await browser.new_context()).new_page()
        await reviewer.goto(f"{console_url}/login?next=/reviews")
        await reviewer.fill("input[name=login]", "hr.reviewer")
        await reviewer.fill("input[name=password]", DEMO_PASSWORD)
        await reviewer.click("button[type=submit]")
        goal_id = goal_url.rsplit("/", 1)[1]

        # the plan (sampled by the trust ramp): approved in bulk from the queue
        await reviewer.goto(f"{console_url}/reviews?goal_id={goal_id}")
        await reviewer.locator("input[name=approve]").check()
        await reviewer.click("text=Approve selected low-risk reviews")
        await expect(reviewer.get_by_test_id("bulk-approved")).to_contain_text("Approved 1 review(s)")
        await expect(status).to_have_text("awaiting_review", timeout=30_000)

        # the staffing (always reviewed): decided on its own page
        await reviewer.goto(f"{console_url}/goals/{goal_id}")
        await reviewer.click("text=open review")
        await expect(reviewer.get_by_role("heading", name="What will execute")).to_be_visible()
        await reviewer.click("button[value=approve]")
        await expect(reviewer.get_by_test_id("review-status")).to_have_text("approved")

        # the manager's page was left open: htmx polling turns it to 'staffed' without a reload
        await expect(status).to_have_text("staffed", timeout=15_000)
        await expect(manager.get_by_role("heading", name="Staffed")).to_be_visible()
        await manager.screenshot(path=os.environ.get("TALENTOPS_SCREENSHOT", "/tmp/talentops-staffed.png"),
                                 full_page=True)
        await browser.close()
