"""Under the console's Content-Security-Policy, in real Chromium: /docs renders Swagger UI from the console's own
files (no other host is asked for anything), pages raise no CSP violation, and an admin revokes a session."""

from __future__ import annotations

from typing import Any

import pytest
from support import CHROMIUM, CHROMIUM_ARGS

from tools.people_import.demo_org import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def watch(page: Any, console_url: str) -> tuple[list[str], list[str]]:
    """Requests to other hosts, and console messages about the Content-Security-Policy, as the page runs."""
    foreign: list[str] = []
    violations: list[str] = []
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith((console_url, "data:")) else None)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return foreign, violations


async def test_docs_render_offline_under_the_csp(console_url: str) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await (await browser.new_context()).new_page()
        foreign, violations = watch(page, console_url)
        await page.goto(f"{console_url}/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text("talentops review console",
                                                                               timeout=15_000)
        await expect(page.locator(".opblock-tag-section").first).to_be_visible()
        assert not foreign, f"/docs asked other hosts: {foreign}"
        assert not violations, violations
        await browser.close()


async def test_pages_raise_no_csp_violation_and_an_admin_revokes_a_session(console_url: str) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        victim = await (await browser.new_context()).new_page()
        await victim.goto(f"{console_url}/login?next=/goals")
        await victim.fill("input[name=login]", "mgr.data")
        await victim.fill("input[name=password]", DEMO_PASSWORD)
        await victim.click("button[type=submit]")
        await expect(victim.get_by_role("button", name="Sign out")).to_be_visible()

        admin = await (await browser.new_context()).new_page()
        foreign, violations = watch(admin, console_url)
        await admin.goto(f"{console_url}/login?next=/admin/sessions")
        await admin.fill("input[name=login]", "admin")
        await admin.fill("input[name=password]", DEMO_PASSWORD)
        await admin.click("button[type=submit]")
        for path in ("/admin/trust-ramp", "/admin/sources", "/reviews", "/audit", "/goals"):
            await admin.goto(f"{console_url}{path}")
            await expect(admin.locator("main")).to_be_visible()
        # the stylesheet applies (it is a file now): the header is dark
        header = await admin.locator("header").evaluate("e => getComputedStyle(e).backgroundColor")
        assert header == "rgb(29, 39, 51)", header

        await admin.goto(f"{console_url}/admin/sessions")
        rows = admin.locator("[data-testid=sessions-of][data-login='mgr.data'] + table tr[data-session]")
        await expect(rows.first).to_be_visible()
        count = await rows.count()
        await rows.first.get_by_role("button", name="Revoke").click()
        await expect(rows).to_have_count(count - 1)
        assert not foreign and not violations, (foreign, violations)

        await victim.goto(f"{console_url}/goals")
        assert "/login?next=" in victim.url, "the revoked session is refused"
        await browser.close()
