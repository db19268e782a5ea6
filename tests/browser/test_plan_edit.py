"""A reviewer edits a plan on its review page in real Chromium: a refused end week is shown next to the field with
what was typed kept; then a new task and a renamed one are approved and show on the goal page. At 390 px wide."""

from __future__ import annotations

import os

import pytest
from support import CHROMIUM, CHROMIUM_ARGS, eventually, review_id_of

from infra.store.reviews import Review
from tools.people_import.demo_org import DEMO_PASSWORD
from workflows import usecases
from workflows.usecases import GoalDetail, Services

pytestmark = pytest.mark.browser


GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
NEW_TITLE = "Train the card-fraud analysts on reading the new alerts"
RENAMED = "Sign off the dashboard's data sources with the card risk team"




async def plan_review(services: Services) -> Review:
    goal_id = await usecases.submit_goal(services, text=GOAL, manager_login="mgr.payments", submitted_by="mgr.payments")

    async def planned() -> GoalDetail | None:
        goal = await usecases.get_goal(services, goal_id)
        assert goal.status != "failed", goal.status_detail
        return goal if goal.status == "awaiting_plan_review" else None

    goal = await eventually(planned, f"goal {goal_id} to wait for its plan review")
    return await usecases.get_review(services, review_id_of(goal))


async def test_reviewer_adds_and_renames_tasks_and_sees_errors_next_to_fields(console_url: str,
                                                                              services: Services) -> None:
    from playwright.async_api import async_playwright, expect

    review = await plan_review(services)
    tasks, deadline = review.arguments["tasks"], review.arguments["deadline_weeks"]
    first, last = tasks[0]["task_id"], tasks[-1]["task_id"]
    new_id = f"T{max(int(t['task_id'][1:]) for t in tasks) + 1}"

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
        )
        page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
        await page.goto(f"{console_url}/login?next=/reviews/{review.review_id}")
        await page.fill("input[name=login]", "hr.reviewer")
        await page.fill("input[name=password]", DEMO_PASSWORD)
        await page.click("button[type=submit]")
        await expect(page.get_by_role("heading", name="What will execute: the plan")).to_be_visible()
        await expect(page.get_by_role("heading", name="Open issues")).to_be_visible()
        await expect(page.get_by_test_id(f"dates-{last}")).to_contain_text("–")
        width = await page.evaluate("document.querySelector('main').scrollWidth")
        assert width <= 390, f"the plan form is {width} px wide at 390 px"

        # an end week past the deadline: refused, the error next to the field, what was typed kept
        end = page.locator(f"#end_{last}")
        await end.fill("60")
        await page.locator(f"#title_{first}").fill(RENAMED)
        await page.get_by_role("button", name="Approve with changes").click()
        error = page.locator(f"#end_{last} + .field-error")
        await expect(error).to_have_text(f"ends in week 60, after the goal's deadline (week {deadline})")
        await expect(page.locator(f"#end_{last}")).to_have_value("60")
        await expect(page.locator(f"#end_{last}")).to_have_attribute("aria-invalid", "true")
        await expect(page.locator(f"#title_{first}")).to_have_value(RENAMED)
        await expect(page.get_by_role("alert").first).to_contain_text(f"{last} end week: ends in week 60")
        box, field = await error.bounding_box(), await page.locator(f"#end_{last}").bounding_box()
        assert box and field and 0 <= box["y"] - (field["y"] + field["height"]) < 40, "the error sits by its field"
        await page.screenshot(path=os.environ.get("TALENTOPS_PLAN_REVIEW_SCREENSHOT", "/tmp/talentops-plan-review.png"),
                              full_page=True)

        # fix it, and add a task: its skills come from the look-up (htmx fills the datalist as one types)
        await page.locator(f"#end_{last}").fill(str(tasks[-1]["end_week"]))
        await page.locator("#title_new1").fill(NEW_TITLE)
        skill = page.locator("input[name=skills_new1]").first
        await skill.press_sequentially("microsoft exc", delay=30)
        await expect(page.locator('#skill-options option[value="Microsoft Excel"]')).to_have_count(1)
        await skill.fill("Microsoft Excel")
        await page.locator("#effort_new1").fill("16")
        await page.locator("#start_new1").fill(str(deadline - 1))
        await page.locator("#end_new1").fill(str(deadline))
        await page.locator("#after_new1").fill(first)
        await page.get_by_role("button", name="Approve with changes").click()
        await expect(page.get_by_test_id("review-status")).to_have_attribute("data-status", "edited")
        changes = page.get_by_test_id("executed-changes")
        await expect(changes).to_contain_text(f"{first} renamed from")
        await expect(changes).to_contain_text(f"{new_id} added: “{NEW_TITLE}”")

        # the goal page shows the plan that executes
        await page.goto(f"{console_url}/goals/{review.goal_id}")
        await expect(page.get_by_test_id("goal-status")).to_have_attribute("data-status", "awaiting_review",
                                                                         timeout=30_000)
        plan = page.get_by_role("cell")  # the plan's table (the reviewer's requirement form lists tasks too)
        await expect(plan.filter(has_text=RENAMED).first).to_be_visible()
        await expect(plan.filter(has_text=NEW_TITLE).first).to_be_visible()
        await page.screenshot(path=os.environ.get("TALENTOPS_PLAN_SCREENSHOT", "/tmp/talentops-plan-edit.png"),
                              full_page=True)
        await browser.close()
