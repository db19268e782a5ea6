"""Onboarding in real Chromium at 390 px wide: the staffed person accepts on My work (the task stays off their
calendar), their line manager releases them (the page left open moves the task onto the calendar), HR reads the
drafted onboarding plan and approves it, the goal's manager holds the kick-off, and the person finds Onboarding in the
header and ticks off an item of theirs with a note, using the keyboard."""

from __future__ import annotations

import os
from typing import Any

import pytest
from support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    eventually,
    onboarding_review_id,
    staff_person,
    unbooked_person,
    user_of,
)

from tools.people_import.demo_org import DEMO_PASSWORD
from workflows import usecases
from workflows.usecases import Services
from workflows.usecases import moves as move_cases
from workflows.usecases import onboarding as onboarding_cases
from workflows.usecases.moves import STATE_WORDS

pytestmark = pytest.mark.browser

GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
PHONE = {"width": 390, "height": 844}


async def no_horizontal_scroll(page: Any, what: str) -> None:
    """The page scrolls only vertically at the phone's width."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width} px wide at {PHONE['width']} px"


async def follows(page: Any, first: str, second: str) -> bool:
    """Whether the element ``second`` comes after ``first`` in the page."""
    found: bool = await page.evaluate(
        "([a, b]) => !!(document.querySelector(a).compareDocumentPosition(document.querySelector(b))"
        " & Node.DOCUMENT_POSITION_FOLLOWING)", [first, second])
    return found


async def test_accept_release_and_tick_off_an_onboarding_item(console_url: str, services: Services) -> None:
    from playwright.async_api import async_playwright, expect

    person_id, login, line_manager = await unbooked_person(services)
    goal_id, task_id = await staff_person(services, person_id, goal_text=GOAL)
    key = f"{goal_id}-{task_id}"
    person_user, lm_user = await user_of(services, login), await user_of(services, line_manager)

    async def offered() -> bool:
        return await move_cases.unread(services, person_user) >= 1
    await eventually(offered, "the offer in the person's inbox")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        person = await (await browser.new_context(viewport=PHONE)).new_page()
        await person.goto(f"{console_url}/login?next=/me/work")
        await person.fill("input[name=login]", login)
        await person.fill("input[name=password]", DEMO_PASSWORD)
        await person.click("button[type=submit]")

        # offered: not on the calendar yet; the time share is what it would take
        offer = person.locator(f"#a-{key}")
        await expect(offer.get_by_test_id("move-state")).to_have_text(STATE_WORDS["offered"])
        await expect(person.get_by_test_id("on-calendar")).to_contain_text("Nothing yet")
        assert await follows(person, "#tentative", f"#a-{key}"), "an offer is not on the calendar"
        await expect(offer.get_by_test_id("time-share")).to_contain_text("Would take")
        await no_horizontal_scroll(person, "My work with an offer")

        # accept: still not on the calendar while the line manager is asked
        await offer.get_by_role("button", name="Accept").click()
        await expect(person.locator(f"#a-{key}").get_by_test_id("move-state")).to_have_text(STATE_WORDS["accepted"])
        assert await follows(person, "#tentative", f"#a-{key}")
        await expect(person.get_by_test_id("on-calendar")).to_contain_text("Nothing yet")
        await no_horizontal_scroll(person, "My work waiting for the release")

        # the line manager releases them; the page left open moves the task onto the calendar
        async def asked() -> bool:
            return any(r.employee_id == person_id and r.state == "accepted"
                       for r in await move_cases.team_releases(services, lm_user))
        await eventually(asked, "the release request")
        await move_cases.decide_release(services, lm_user, goal_id=goal_id, task_id=task_id, employee_id=person_id,
                                        release=True)
        moved = person.locator(f"#a-{key}")
        await expect(moved.get_by_test_id("move-state")).to_have_text(STATE_WORDS["released"], timeout=15_000)
        await expect(person.get_by_test_id("on-calendar")).to_contain_text("On your calendar (1)")
        assert await follows(person, "#on-calendar", f"#a-{key}") and await follows(person, f"#a-{key}", "#tentative")
        await expect(moved.get_by_test_id("time-share")).not_to_contain_text("Would take")
        await no_horizontal_scroll(person, "My work with the task on the calendar")

        # HR reads the drafted plan (its items with a due day and "drop" each), and approves it
        review_id = await onboarding_review_id(services, goal_id)
        hr = await (await browser.new_context(viewport=PHONE)).new_page()
        await hr.goto(f"{console_url}/login?next=/reviews/{review_id}")
        await hr.fill("input[name=login]", "hr.reviewer")
        await hr.fill("input[name=password]", DEMO_PASSWORD)
        await hr.click("button[type=submit]")
        await expect(hr.get_by_test_id("onboarding-items")).to_be_visible()
        await expect(hr.get_by_label("Due day of K0", exact=False)).to_have_value("2")
        await expect(hr.get_by_role("button", name="Approve with changes")).to_be_visible()
        await no_horizontal_scroll(hr, "the onboarding plan's review")
        await hr.screenshot(path=os.environ.get("TALENTOPS_ONBOARDING_REVIEW_SCREENSHOT",
                                                "/tmp/talentops-onboarding-review.png"), full_page=True)
        await usecases.decide_review(services, review_id=review_id, decision="approve", reviewer="hr.reviewer")
        await hr.goto(f"{console_url}/reviews/unreviewed")
        await expect(hr.get_by_role("heading", name="Went ahead unreviewed")).to_be_visible()
        await no_horizontal_scroll(hr, "went ahead unreviewed")

        # the goal's manager holds the kick-off

        async def running() -> onboarding_cases.PlanView | None:
            return next((v for v in await onboarding_cases.my_onboarding(services, person_user)
                         if v.plan.goal_id == goal_id and v.plan.status == "active"), None)
        view = await eventually(running, "the onboarding plan to run")
        manager = await user_of(services, "mgr.payments")
        await onboarding_cases.tick_item(services, manager, goal_id=goal_id, task_id=task_id, employee_id=person_id,
                                         item_id="K0", note="agreed the day-30 target")
        own = next(i for i in view.items if i.yours and i.waiting_for == ["K0"])
        waiting = next((i for i in view.items if i.yours and i.item.item_id != own.item.item_id
                        and any(w != "K0" for w in i.waiting_for)), None)

        # the header links Onboarding once there is a plan; the person ticks their item off with the keyboard
        await person.reload()
        await person.get_by_test_id("nav-onboarding").click()
        await expect(person).to_have_url(f"{console_url}/me/onboarding")
        plan = person.locator(f"#p-{key}-{person_id}")
        await expect(plan.get_by_test_id("plan-status")).to_have_text("Running")
        ikey = f"{key}-{person_id}"
        await expect(person.locator(f"#i-{ikey}-K0").get_by_test_id("item-done")).to_contain_text("by mgr.payments")
        if waiting is not None:
            await expect(person.locator(f"#i-{ikey}-{waiting.item.item_id}").get_by_test_id("waiting-for")) \
                .to_contain_text("Waits for")
        item = person.locator(f"#i-{ikey}-{own.item.item_id}")
        await expect(item.get_by_test_id("owner")).to_have_text("you")
        await no_horizontal_scroll(person, "My onboarding")
        await item.get_by_label("Note").fill("Took it in two evenings")
        await item.get_by_role("button", name="Done").focus()
        await person.keyboard.press("Enter")
        done = person.locator(f"#i-{ikey}-{own.item.item_id}")
        await expect(done).to_have_attribute("data-done", "yes")
        await expect(done.get_by_test_id("item-done")).to_contain_text("by you")
        await expect(done.get_by_role("button", name="Done")).to_have_count(0)
        await no_horizontal_scroll(person, "My onboarding after ticking an item off")
        await person.screenshot(path=os.environ.get("TALENTOPS_ONBOARDING_SCREENSHOT",
                                                    "/tmp/talentops-my-onboarding.png"), full_page=True)
        await browser.close()
    stored = await services.pool.fetchrow(
        "SELECT done_by, note FROM onboarding_items WHERE goal_id = $1 AND task_id = $2 AND employee_id = $3"
        " AND item_id = $4", goal_id, task_id, person_id, own.item.item_id)
    assert (stored["done_by"], stored["note"]) == (login, "Took it in two evenings")
