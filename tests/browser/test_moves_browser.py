"""After staffing, in real Chromium at 390 px wide: the staffed person finds the offer on My work, is told next to the
field that a decline needs a reason, accepts with the keyboard and sees the move wait for their line manager's
release; the line manager releases them on My team; the person's page, left open, shows the move confirmed."""

from __future__ import annotations

import os
from typing import Any

import pytest
from support import CHROMIUM, CHROMIUM_ARGS, eventually, staff_person, unbooked_person

from infra.store import users
from tools.people_import.demo_org import DEMO_PASSWORD
from workflows.usecases import Services
from workflows.usecases.moves import STATE_WORDS, unread

pytestmark = pytest.mark.browser

GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"
PHONE = {"width": 390, "height": 844}


async def no_horizontal_scroll(page: Any, what: str) -> None:
    """The page scrolls only vertically at the phone's width."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width} px wide at {PHONE['width']} px"


async def test_person_accepts_line_manager_releases_the_move_is_confirmed(console_url: str,
                                                                          services: Services) -> None:
    from playwright.async_api import async_playwright, expect

    person_id, login, line_manager = await unbooked_person(services)
    goal_id, task_id = await staff_person(services, person_id, goal_text=GOAL)
    key = f"{goal_id}-{task_id}"
    person_user, manager_user = await users.get(services.pool, login), await users.get(services.pool, line_manager)
    assert person_user is not None and manager_user is not None

    async def offered() -> bool:
        return await unread(services, person_user) == 1
    await eventually(offered, "the offer in the person's inbox")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        person = await (await browser.new_context(viewport=PHONE)).new_page()
        await person.goto(f"{console_url}/login?next=/me/work")
        await person.fill("input[name=login]", login)
        await person.fill("input[name=password]", DEMO_PASSWORD)
        await person.click("button[type=submit]")
        offer = person.locator(f"#a-{key}")
        await expect(offer.get_by_test_id("move-state")).to_have_text(STATE_WORDS["offered"])
        await expect(person.get_by_test_id("nav-inbox")).to_have_text("Inbox (1)")
        await no_horizontal_scroll(person, "My work with an offer")

        # Decline without a reason: the error under the field, the field marked invalid, nothing answered
        await offer.get_by_role("button", name="Decline").click()
        error = person.locator(f"#reason-{key} + .field-error")
        await expect(error).to_have_text("A decline needs a reason.")
        await expect(person.locator(f"#reason-{key}")).to_have_attribute("aria-invalid", "true")
        box, field = await error.bounding_box(), await person.locator(f"#reason-{key}").bounding_box()
        assert box and field and 0 <= box["y"] - (field["y"] + field["height"]) < 40, "the error sits by its field"
        await no_horizontal_scroll(person, "My work with an error")

        # Accept with the keyboard: the move waits for the line manager's release, by a date
        accept = person.locator(f"#a-{key}").get_by_role("button", name="Accept")
        await accept.focus()
        await person.keyboard.press("Enter")
        moved = person.locator(f"#a-{key}")
        await expect(moved.get_by_test_id("move-state")).to_have_text(STATE_WORDS["accepted"])
        await expect(moved.get_by_test_id("release-wait")).to_contain_text(
            f"Waiting for {manager_user.display_name}'s release by", timeout=15_000)
        await expect(moved.get_by_role("button", name="Accept")).to_have_count(0)
        await no_horizontal_scroll(person, "My work waiting for the release")
        await person.screenshot(path=os.environ.get("TALENTOPS_MOVES_SCREENSHOT", "/tmp/talentops-my-work.png"),
                                full_page=True)

        # the line manager: My team lists the request, with the deadline and what silence means; they release
        manager = await (await browser.new_context(viewport=PHONE)).new_page()
        await manager.goto(f"{console_url}/login?next=/me/team")
        await manager.fill("input[name=login]", line_manager)
        await manager.fill("input[name=password]", DEMO_PASSWORD)
        await manager.click("button[type=submit]")
        await expect(manager.get_by_test_id("nav-team")).to_be_visible()
        request = manager.locator(f"#r-{key}-{person_id}")
        await expect(request).to_contain_text(person_user.display_name)
        await expect(request.get_by_test_id("silence-rule")).to_contain_text("counts your silence as a release")
        await no_horizontal_scroll(manager, "My team")
        await manager.screenshot(path=os.environ.get("TALENTOPS_TEAM_SCREENSHOT", "/tmp/talentops-my-team.png"),
                                 full_page=True)
        await request.get_by_role("button", name=f"Release {person_user.display_name}").click()
        decided = manager.get_by_test_id("release-decided")
        await expect(decided.filter(has_text=person_user.display_name)).to_contain_text("Released by you")
        await no_horizontal_scroll(manager, "My team after the release")

        # the person's page was left open: it follows the move and shows it confirmed without a reload
        await expect(moved.get_by_test_id("move-state")).to_have_text(STATE_WORDS["released"], timeout=15_000)
        await expect(person.locator(f"#a-{key}")).not_to_have_attribute("hx-get", "/me/work")
        await browser.close()
