"""Renewing a certification in real Chromium at 390 px wide: the holder finds Certifications in the header, reads
where theirs stands (in words, not colour alone), fills the Renew form with the keyboard (an expiry before the
current one's comes back next to its field with what was typed kept), uploads the renewed certificate and sends it
for verification; an HR reviewer approves the verification; the holder's page then says Valid, with the earlier
period kept in the history. Waits on the certification cadence workflow (``CertificationWorkflow``) being
registered in the worker."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from typing import Any

import pytest
from support import CHROMIUM, CHROMIUM_ARGS, eventually

from infra.store import certifications as store
from infra.store.certifications import CertificationTypeBase, PeriodIn
from tools.people_import.demo_org import DEMO_PASSWORD
from workflows.usecases import Services
from workflows.usecases.certifications import today

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
HOLDER, HOLDER_ID = "sanne.devries", "E0103"


async def no_horizontal_scroll(page: Any, what: str) -> None:
    """The page scrolls only vertically at the phone's width."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width} px wide at {PHONE['width']} px"


async def sign_in(browser: Any, console_url: str, login: str, target: str) -> Any:
    page = await (await browser.new_context(viewport=PHONE)).new_page()
    await page.goto(f"{console_url}/login?next={target}")
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    return page


async def test_a_holder_renews_a_reviewer_verifies_and_it_is_valid_again(console_url: str,
                                                                        services: Services) -> None:
    from playwright.async_api import async_playwright, expect

    type_id = f"browser-{uuid.uuid4().hex[:8]}"
    name = f"Cloud security professional {type_id[-4:]}"
    expires = today() + timedelta(days=30)
    async with services.pool.acquire() as conn, conn.transaction():
        await store.save_type(conn, type_id, CertificationTypeBase(name=name, issuer="Cloud Security Alliance",
                                                                   validity_months=24, grace_days=30),
                              edited_by="tests")
        cert_id, _ = await store.record(conn, employee_id=HOLDER_ID, type_id=type_id, credential_id="CSA-1001",
                                        period=PeriodIn(issued_on=expires - timedelta(days=730), expires_on=expires,
                                                        evidence_kind="import", evidence_ref="registry-2025.csv"),
                                        source="registry-2025.csv")
    issued = today() - timedelta(days=2)
    new_expiry = issued.replace(year=issued.year + 2, day=min(issued.day, 28))

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        holder = await sign_in(browser, console_url, HOLDER, "/me/work")
        await holder.get_by_test_id("nav-certifications").click()
        await expect(holder).to_have_url(f"{console_url}/me/certifications")
        card = holder.locator(f"#c-{cert_id}")
        await expect(card.get_by_test_id("cert-status")).to_have_text("Expiring within 90 days")
        await expect(card.get_by_test_id("cert-expiry")).to_contain_text("30 days left")
        await no_horizontal_scroll(holder, "My certifications")

        # an expiry before the current one's comes back next to its field, what was typed kept
        form = card.get_by_test_id("renew-form")
        await form.get_by_label("Issue date of the new certificate").fill(str(issued))
        await form.get_by_label("Expiry date").fill(str(today() + timedelta(days=10)))
        await form.get_by_label("Credential id").fill("CSA-2002")
        await form.get_by_label("Certificate file").set_input_files(
            {"name": "renewed.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% renewed\n"})
        await form.get_by_role("button", name="Send for verification").focus()
        await holder.keyboard.press("Enter")
        card = holder.locator(f"#c-{cert_id}")
        expiry = card.get_by_label("Expiry date")
        await expect(expiry).to_have_attribute("aria-invalid", "true")
        await expect(card.locator(f"#err-expires_on-{cert_id}")).to_contain_text("expire after the current one")
        await expect(card.get_by_label("Credential id")).to_have_value("CSA-2002")
        await expect(card.get_by_label("Issue date of the new certificate")).to_have_value(str(issued))
        await no_horizontal_scroll(holder, "My certifications with an error")

        # the right date, the file again, with the keyboard
        await expiry.fill(str(new_expiry))
        await card.get_by_label("Certificate file").set_input_files(
            {"name": "renewed.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% renewed\n"})
        await card.get_by_role("button", name="Send for verification").focus()
        await holder.keyboard.press("Enter")
        card = holder.locator(f"#c-{cert_id}")
        await expect(card.get_by_test_id("renewal-sent")).to_contain_text("sent for verification")
        await expect(card.get_by_test_id("renewal")).to_contain_text("Waiting for verification")
        await expect(card.get_by_test_id("renew-form")).to_have_count(0)
        await no_horizontal_scroll(holder, "My certifications after sending a renewal")

        # HR approves the verification (new action types are always reviewed)
        async def review_id() -> str | None:
            found: str | None = await services.pool.fetchval(
                "SELECT r.review_id FROM review_requests r JOIN certification_renewals n"
                " ON n.renewal_id = r.evidence->>'renewal_id' WHERE n.certification_id = $1"
                " AND r.action_type = 'verify_certification_renewal' AND r.status = 'pending'", cert_id)
            return found
        rid = await eventually(review_id, "the renewal's verification review")
        hr = await sign_in(browser, console_url, "hr.reviewer", f"/reviews/{rid}")
        await expect(hr.get_by_role("button", name="Approve", exact=True)).to_be_visible()
        await no_horizontal_scroll(hr, "the renewal's review")
        await hr.get_by_role("button", name="Approve", exact=True).click()

        # the holder's certification is valid again; the earlier period is kept
        async def renewed() -> bool:
            cert = await store.get(services.pool, cert_id)
            return cert is not None and len(cert.periods) == 2
        await eventually(renewed, "the new period")
        await holder.reload()
        card = holder.locator(f"#c-{cert_id}")
        await expect(card.get_by_test_id("cert-status")).to_have_text("Valid")
        await expect(card.get_by_test_id("period")).to_have_count(2)
        await expect(card.get_by_test_id("renewal")).to_contain_text("Verified")
        await no_horizontal_scroll(holder, "My certifications once renewed")
        await holder.screenshot(path=os.environ.get("TALENTOPS_CERTIFICATIONS_SCREENSHOT",
                                                    "/tmp/talentops-my-certifications.png"), full_page=True)
        await browser.close()
