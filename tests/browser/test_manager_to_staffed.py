"""A manager submits a goal, a reviewer approves it, the goal page shows 'staffed' — in real Chromium."""

from __future__ import annotations

import os

import pytest
from support import CHROMIUM, CHROMIUM_ARGS

from tools.people_import.demo_org import DEMO_PASSWORD

pytestmark = pytest.mark.browser





async def test_manager_submits_reviewer_approves_goal_is_staffed(console_url: str) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
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
        await expect(status).to_have_attribute("data-status", "awaiting_plan_review", timeout=30_000)
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
        await expect(status).to_have_attribute("data-status", "awaiting_review", timeout=30_000)

        # the staffing (always reviewed): decided on its own page
        await reviewer.goto(f"{console_url}/goals/{goal_id}")
        await reviewer.click("text=open review")
        await expect(reviewer.get_by_role("heading", name="What will execute")).to_be_visible()
        await reviewer.click("button[value=approve]")
        await expect(reviewer.get_by_test_id("review-status")).to_have_attribute("data-status", "approved")

        # the manager's page was left open: htmx polling turns it to 'staffed' without a reload
        await expect(status).to_have_attribute("data-status", "staffed", timeout=15_000)
        await expect(manager.get_by_role("heading", name="Staffed")).to_be_visible()
        await manager.screenshot(path=os.environ.get("TALENTOPS_SCREENSHOT", "/tmp/talentops-staffed.png"),
                                 full_page=True)
        await browser.close()
