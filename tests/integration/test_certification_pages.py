"""The certification pages of the console, on real Postgres and Temporal: My certifications (statuses in words,
periods, renewals, the Renew form: each error next to its field with what was typed kept; sent for verification),
a line manager's team certifications, HR's compliance report, and the admin's type catalogue and registry import;
each page for the roles it is for, a redirect to sign in or a refusal for the others."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from markupsafe import escape

from infra.store import certifications as store
from infra.store.certifications import CertificationTypeBase, PeriodIn, Renewal
from review_console.pages.rendering import day_words
from workflows import usecases
from workflows.usecases import Services
from workflows.usecases.certifications import today

pytestmark = pytest.mark.integration
ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]

HOLDER, HOLDER_ID = "sanne.devries", "E0103"
LINE_MANAGER = "aoife.taylor"
OTHER_EMPLOYEE = "yusuf.romano"
PDF = b"%PDF-1.4\n% a renewed certificate\n"


async def certified(svc: Services, employee_id: str = HOLDER_ID, *, expires_in: int | None, grace_days: int = 30,
                    name: str | None = None) -> tuple[str, str, str]:
    """A type of its own and a certification of it held by ``employee_id``, expiring ``expires_in`` days from today
    (None: never). Returns ``(type_id, certification_id, the type's name)``."""
    type_id = f"page-{uuid.uuid4().hex[:10]}"
    name = name or f"Page test certificate {type_id[5:]}"
    expires = today() + timedelta(days=expires_in) if expires_in is not None else None
    issued = expires - timedelta(days=730) if expires is not None else today() - timedelta(days=400)
    async with svc.pool.acquire() as conn, conn.transaction():
        await store.save_type(conn, type_id, CertificationTypeBase(
            name=name, issuer="Page Test Institute", validity_months=24 if expires is not None else None,
            grace_days=grace_days), edited_by="tests")
        cert_id, _ = await store.record(conn, employee_id=employee_id, type_id=type_id, credential_id="CRED-0001",
                                        period=PeriodIn(issued_on=issued, expires_on=expires, evidence_kind="import",
                                                        evidence_ref="registry-2025.csv"),
                                        source="registry-2025.csv")
    return type_id, cert_id, name


async def waiting_renewal(svc: Services, cert_id: str, *, status: str = "submitted",
                          reason: str | None = None) -> Renewal:
    """A stored renewal (waiting, or decided with ``reason``), as ``submit_renewal`` and the workflow store them."""
    cert = await store.get(svc.pool, cert_id)
    assert cert is not None
    file_id = uuid.uuid4().hex
    renewal = Renewal(renewal_id=f"ren-{uuid.uuid4().hex[:12]}", certification_id=cert_id,
                      period=cert.current.period, issued_on=today() - timedelta(days=3),
                      expires_on=today() + timedelta(days=700), credential_id="CRED-0002", evidence_ref=file_id,
                      evidence_name="renewed.pdf", submitted_by=HOLDER, submitted_at=datetime.now(UTC),
                      status="submitted", review_id=None, decided_reason=None)
    async with svc.pool.acquire() as conn, conn.transaction():
        await store.save_file(conn, file_id=file_id, name="renewed.pdf", content_type="application/pdf",
                              content=PDF, uploaded_by=HOLDER)
        await store.add_renewal(conn, renewal)
        if status != "submitted":
            await store.decide_renewal(conn, renewal.renewal_id, status=status,  # type: ignore[arg-type]
                                       reason=reason, review_id=None)
    return renewal


def section(html: str, cert_id: str) -> str:
    """One certification's card on My certifications."""
    found = re.search(rf'<section class="card cert[^"]*" id="c-{re.escape(cert_id)}".*?</section>', html, re.S)
    assert found, f"no certification {cert_id} on the page"
    return found.group(0)


def field_error(html: str, field_id: str) -> str:
    """The error right under the field ``field_id`` (the field marked invalid and pointing at it)."""
    fid = re.escape(field_id)
    found = re.search(rf'<input[^>]*\bid="{fid}"([^>]*)>\s*<span class="field-error" id="([^"]+)" role="alert">'
                      rf'(.*?)</span>', html, re.S)
    assert found, f"no error under #{field_id}"
    assert 'aria-invalid="true"' in found.group(1) and f'aria-describedby="{found.group(2)}"' in found.group(1)
    return found.group(3)


def field_value(html: str, field_id: str) -> str:
    found = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*\bvalue="([^"]*)"', html, re.S)
    assert found, f"no #{field_id} with a value"
    return found.group(1)


def no_error_under(html: str, field_id: str) -> bool:
    return re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>\s*<span class="field-error"', html) is None


def renew_form(**values: Any) -> dict[str, str]:
    form = {"issued_on": str(today() - timedelta(days=3)), "expires_on": str(today() + timedelta(days=730)),
            "credential_id": "NEW-CRED-7"}
    form.update({k: str(v) for k, v in values.items()})
    return form


# --- My certifications ------------------------------------------------------------------------------------------------


async def test_my_certifications_show_status_words_periods_renewals_and_the_renew_form(
        services: Services, connect: ClientFactory) -> None:
    _, expiring, name = await certified(services, expires_in=30)
    _, in_grace, _ = await certified(services, expires_in=-5, grace_days=30)
    _, expired, _ = await certified(services, expires_in=-90, grace_days=30)
    _, revoked, _ = await certified(services, expires_in=200)
    _, valid, _ = await certified(services, expires_in=400)
    _, waiting, _ = await certified(services, expires_in=60)
    _, rejected, _ = await certified(services, expires_in=50)
    async with services.pool.acquire() as conn:
        await store.revoke(conn, revoked, on=today() - timedelta(days=1), reason="the issuer withdrew it")
    pending = await waiting_renewal(services, waiting)
    await waiting_renewal(services, rejected, status="rejected", reason="the certificate names someone else")

    holder = await connect(HOLDER)
    resp = await holder.get("/me/certifications")
    assert resp.status_code == 200, resp.text
    html = resp.text
    assert 'data-testid="nav-certifications"' in html and 'href="/me/certifications"' in html

    card = section(html, expiring)
    assert 'data-status="expiring"' in card and "cert-expiring" in card
    assert "Expiring within 90 days" in card, "the status is in words, not colour alone"
    assert str(escape(name)) in card and "Page Test Institute" in card and "CRED-0001" in card
    assert f"Expires {day_words(today() + timedelta(days=30))} (30 days left)" in card
    assert "Imported from registry-2025.csv" in card and "(current)" in card
    assert 'data-testid="renew-form"' in card and " open>" in card, "an expiring one has its Renew form open"
    assert f'action="/me/certifications/{expiring}/renew"' in card and 'enctype="multipart/form-data"' in card
    for label in ("Issue date of the new certificate", "Expiry date", "Credential id", "Certificate file"):
        assert label in card

    grace_end = today() + timedelta(days=24)  # the grace period's last day
    assert f"Lapsed, in grace until {day_words(grace_end)}" in section(html, in_grace)
    assert "25 days left to renew" in section(html, in_grace)
    assert ">Expired<" in section(html, expired) and "90 days ago" in section(html, expired)
    card = section(html, revoked)
    assert ">Revoked<" in card and "the issuer withdrew it" in card and 'data-testid="renew-form"' not in card
    assert "cannot be renewed here" in card
    card = section(html, valid)
    assert ">Valid<" in card and "<details class=\"renew\" data-testid=\"renew\">" in card, "closed while valid"
    card = section(html, waiting)
    assert "Waiting for verification" in card and f'href="/api/renewals/{pending.renewal_id}/evidence"' in card
    assert 'data-testid="renew-form"' not in card and "A renewal waits for verification" in card
    card = section(html, rejected)
    assert ">Rejected<" in card and "Why: The certificate names someone else." in card
    assert 'data-testid="renew-form"' in card, "a rejected renewal can be sent again"
    assert "ren-" not in re.sub(r'(href|id|data-[a-z-]+)="[^"]*"', "", html), "no internal ids as text"


async def test_the_renew_form_shows_each_error_next_to_its_field_and_keeps_the_input(
        services: Services, connect: ClientFactory) -> None:
    _, cert_id, _ = await certified(services, expires_in=30)
    holder = await connect(HOLDER)
    url = f"/me/certifications/{cert_id}/renew"
    pdf = {"file": ("renewed.pdf", PDF, "application/pdf")}

    # an issue date in the future: the error under the issue date, what was typed kept
    future = today() + timedelta(days=5)
    resp = await holder.post(url, data=renew_form(issued_on=future, credential_id="MY-CRED-9"), files=pdf)
    assert resp.status_code == 422, resp.text
    card = section(resp.text, cert_id)
    assert "future" in field_error(card, f"issued_on-{cert_id}")
    assert field_value(card, f"issued_on-{cert_id}") == str(future)
    assert field_value(card, f"credential_id-{cert_id}") == "MY-CRED-9"
    assert field_value(card, f"expires_on-{cert_id}") == str(today() + timedelta(days=730))
    assert no_error_under(card, f"expires_on-{cert_id}") and no_error_under(card, f"file-{cert_id}")
    assert " open>" in card and "Choose the file again" in card

    # an expiry before the current one's: the error under the expiry date
    resp = await holder.post(url, data=renew_form(expires_on=today() + timedelta(days=10)), files=pdf)
    assert resp.status_code == 422
    assert "expire after the current one" in field_error(section(resp.text, cert_id), f"expires_on-{cert_id}")

    # no file, no issue date, a date that is not one: each under its own field
    resp = await holder.post(url, data=renew_form(issued_on="", expires_on="next year"))
    assert resp.status_code == 422
    card = section(resp.text, cert_id)
    assert "issue date" in field_error(card, f"issued_on-{cert_id}")
    assert "is not a date" in field_error(card, f"expires_on-{cert_id}")
    assert field_value(card, f"expires_on-{cert_id}") == "next year"
    assert "choose the renewed certificate" in field_error(card, f"file-{cert_id}").lower()

    # a file of the wrong kind: under the file field
    resp = await holder.post(url, data=renew_form(), files={"file": ("c.html", b"<html>", "text/html")})
    assert resp.status_code == 422
    assert "PDF, PNG, JPEG" in field_error(section(resp.text, cert_id), f"file-{cert_id}")
    assert await store.renewals_of(services.pool, cert_id) == [], "nothing was stored"

    # one that waits already: a conflict said on the card
    await waiting_renewal(services, cert_id)
    resp = await holder.post(url, data=renew_form(), files=pdf)
    assert resp.status_code == 409
    card = section(resp.text, cert_id)
    assert 'role="alert">A renewal already waits for verification.' in card

    # someone else's certification: not found
    resp = await (await connect(LINE_MANAGER)).post(url, data=renew_form(), files=pdf)
    assert resp.status_code == 404 and "<h2>404</h2>" in resp.text


async def test_a_renewal_from_the_page_is_sent_for_verification(services: Services, connect: ClientFactory) -> None:
    """Waits on the certification cadence workflow (``CertificationWorkflow``) being registered in the worker."""
    _, cert_id, _ = await certified(services, expires_in=30)
    holder = await connect(HOLDER)
    resp = await holder.post(f"/me/certifications/{cert_id}/renew", data=renew_form(),
                             files={"file": ("renewed.pdf", PDF, "application/pdf")})
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == f"/me/certifications?sent={cert_id}#c-{cert_id}"
    card = section((await holder.get(resp.headers["location"])).text, cert_id)
    assert "sent for verification" in card and "Waiting for verification" in card
    assert 'data-testid="renew-form"' not in card


async def test_my_certifications_for_people_without_any_and_signed_out(
        services: Services, connect: ClientFactory) -> None:
    login = f"nocerts-{uuid.uuid4().hex[:6]}"
    await usecases.create_user(services, login=login, display_name="No Employee", role="reviewer",
                               password="a-long-password-for-tests", by="admin")
    c = await connect()
    signed = await c.post("/api/login", json={"login": login, "password": "a-long-password-for-tests"})
    assert signed.status_code == 200
    c.headers["X-CSRF-Token"] = signed.headers["X-CSRF-Token"]
    resp = await c.get("/me/certifications")
    assert resp.status_code == 200 and "You have no certification on record" in resp.text
    assert 'data-testid="nav-certifications"' not in resp.text, "no employee record, no link"
    anonymous = await (await connect()).get("/me/certifications")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=%2Fme%2Fcertifications"


# --- the line manager ------------------------------------------------------------------------------------------------


async def test_the_team_page_shows_what_lapses_next_quarter_first(services: Services, connect: ClientFactory) -> None:
    _, _, soon_name = await certified(services, expires_in=20)
    _, _, later_name = await certified(services, expires_in=300)
    lm = await connect(LINE_MANAGER)
    team = (await lm.get("/me/team")).text
    assert 'href="/team/certifications"' in team
    resp = await lm.get("/team/certifications")
    assert resp.status_code == 200, resp.text
    html = resp.text
    lapsing = html[html.index('data-testid="lapsing"'):html.index('data-testid="team-certifications"')]
    assert str(escape(soon_name)) in lapsing and str(escape(later_name)) not in lapsing
    assert "Sanne" in lapsing and "Expiring within 90 days" in lapsing and "20 days left" in lapsing
    everyone = html[html.index('data-testid="team-certifications"'):]
    assert str(escape(soon_name)) in everyone and str(escape(later_name)) in everyone

    other = await (await connect(OTHER_EMPLOYEE)).get("/team/certifications")
    assert other.status_code == 200 and str(escape(soon_name)) not in other.text
    assert "Nobody who reports to you has a certification on record" in other.text
    anonymous = await (await connect()).get("/team/certifications")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")


# --- HR's compliance report -----------------------------------------------------------------------------------------


async def test_the_compliance_page_for_hr_and_admins(services: Services, connect: ClientFactory) -> None:
    type_id, _, name = await certified(services, expires_in=45)
    hr = await connect("hr.reviewer")
    resp = await hr.get("/certifications/compliance")
    assert resp.status_code == 200, resp.text
    html = resp.text
    assert 'data-testid="nav-compliance"' in html
    row = re.search(rf'<tr data-testid="type-row" data-type="{type_id}">.*?</tr>', html, re.S)
    assert row and str(escape(name)) in row.group(0) and "100.0% valid" in row.group(0)
    lapse = re.search(rf'<tr data-testid="lapse-row" data-type="{type_id}">.*?</tr>', html, re.S)
    assert lapse and ">1</strong>" in lapse.group(0)
    assert 'href="/api/certifications/compliance.csv"' in html
    assert "Data &amp; Analytics" in html

    only = await hr.get("/certifications/compliance", params={"department": "risk"})
    assert only.status_code == 200
    assert '<option value="risk" selected>' in only.text and f'data-type="{type_id}"' not in only.text
    assert 'href="/api/certifications/compliance.csv?department=risk"' in only.text
    bad = await hr.get("/certifications/compliance", params={"department": "nowhere"})
    assert bad.status_code == 422
    assert re.search(r'<select id="department" name="department" aria-invalid="true"', bad.text)
    assert 'id="err-department" role="alert">There is no department' in bad.text

    assert (await (await connect("admin")).get("/certifications/compliance")).status_code == 200
    for login in (HOLDER, "mgr.payments"):
        refused = await (await connect(login)).get("/certifications/compliance")
        assert refused.status_code == 403 and "<h2>403</h2>" in refused.text
        assert 'data-testid="nav-compliance"' not in (await (await connect(login)).get("/me/certifications")).text
    assert (await (await connect()).get("/certifications/compliance")).status_code == 303


# --- the admin's type catalogue and import --------------------------------------------------------------------------


async def test_the_admin_adds_and_edits_types_and_sees_every_version(
        services: Services, connect: ClientFactory) -> None:
    admin = await connect("admin")
    resp = await admin.get("/admin/certifications")
    assert resp.status_code == 200, resp.text
    assert 'data-testid="nav-certification-types"' in resp.text and 'data-testid="add-type-form"' in resp.text

    # refused: each error under its field, what was typed kept
    type_id = f"adm-{uuid.uuid4().hex[:8]}"
    form = {"type_id": "Not a slug", "name": "Forklift licence", "issuer": "Warehouse Safety Board",
            "validity_months": "0", "grace_days": "ten", "renewal_lead_days": "30", "skills": "Forklift, Safety",
            "keywords": "forklift, warehouse"}
    resp = await admin.post("/admin/certifications", data=form)
    assert resp.status_code == 422, resp.text
    html = resp.text
    assert "lower-case letters" in field_error(html, "new-type_id")
    assert "whole number of days" in field_error(html, "new-grace_days")
    assert field_value(html, "new-type_id") == "Not a slug" and field_value(html, "new-grace_days") == "ten"
    assert field_value(html, "new-skills") == "Forklift, Safety"
    resp = await admin.post("/admin/certifications", data={**form, "type_id": type_id, "grace_days": "14"})
    assert resp.status_code == 422
    assert "between 1 and 240" in field_error(resp.text, "new-validity_months")
    assert field_value(resp.text, "new-name") == "Forklift licence"

    # added, then edited: a second version, both listed
    resp = await admin.post("/admin/certifications", data={**form, "type_id": type_id, "grace_days": "14",
                                                           "validity_months": "36"})
    assert resp.status_code == 303 and resp.headers["location"] == f"/admin/certifications/types/{type_id}?saved=added"
    listed = (await admin.get("/admin/certifications")).text
    row = re.search(rf'<tr data-testid="type-row" data-type="{type_id}">.*?</tr>', listed, re.S)
    assert row and "Forklift licence" in row.group(0) and "3 years" in row.group(0) and "14 days" in row.group(0)
    assert (await admin.post("/admin/certifications", data={**form, "type_id": type_id, "grace_days": "14",
                                                            "validity_months": "36"})).status_code == 422

    edit = {k: v for k, v in form.items() if k != "type_id"} | {"validity_months": "24", "grace_days": "14"}
    resp = await admin.post(f"/admin/certifications/types/{type_id}", data=edit)
    assert resp.status_code == 303 and resp.headers["location"].endswith("?saved=saved")
    page = (await admin.get(resp.headers["location"])).text
    assert "Saved as version 2." in page
    versions = re.findall(r'<tr data-testid="version-row" data-version="(\d+)">', page)
    assert versions == ["2", "1"]
    assert "2 years" in page and "3 years" in page and "by admin" in page
    assert field_value(page, "edit-validity_months") == "24"
    resp = await admin.post(f"/admin/certifications/types/{type_id}", data=edit)
    assert resp.headers["location"].endswith("?saved=unchanged")
    resp = await admin.post(f"/admin/certifications/types/{type_id}", data={**edit, "name": "  ",
                                                                            "renewal_lead_days": "999"})
    assert resp.status_code == 422
    assert "name" in field_error(resp.text, "edit-name") and "730" in field_error(resp.text, "edit-renewal_lead_days")
    assert field_value(resp.text, "edit-renewal_lead_days") == "999"
    assert len(await store.type_history(services.pool, type_id)) == 2

    assert (await admin.get("/admin/certifications/types/no-such-type")).status_code == 404
    for login in ("hr.reviewer", HOLDER):
        c = await connect(login)
        assert (await c.get("/admin/certifications")).status_code == 403
        assert (await c.get(f"/admin/certifications/types/{type_id}")).status_code == 403
        assert (await c.post(f"/admin/certifications/types/{type_id}", data=edit)).status_code == 403
    assert len(await store.type_history(services.pool, type_id)) == 2


async def test_the_admin_imports_a_registry_every_bad_line_named(services: Services, connect: ClientFactory) -> None:
    type_id, _, _ = await certified(services, "E0190", expires_in=None)
    issued = today() - timedelta(days=20)
    admin = await connect("admin")
    bad = (f"employee_id,type_id,credential_id,issued_on,expires_on\n{HOLDER_ID},{type_id},A-1,{issued},\n"
           f"{HOLDER_ID},{type_id},A-2,yesterday,\n{HOLDER_ID},{type_id},A-3,{issued},someday\n")
    resp = await admin.post("/admin/certifications/import", files={"file": ("bad.csv", bad.encode(), "text/csv")})
    assert resp.status_code == 422, resp.text
    problems = re.search(r'<div class="field-error" id="err-import-file" role="alert" '
                         r'data-testid="import-problems">(.*?)</div>', resp.text, re.S)
    assert problems and "bad.csv was not imported; nothing changed" in problems.group(1)
    items = re.findall(r"<li>(.*?)</li>", problems.group(1), re.S)
    assert [i.split(":")[0] for i in items] == ["Line 3", "Line 4"]
    assert 'aria-describedby="err-import-file"' in resp.text

    good = f"employee_id,type_id,credential_id,issued_on,expires_on\n{HOLDER_ID},{type_id},A-1,{issued},\n"
    resp = await admin.post("/admin/certifications/import", files={"file": ("good.csv", good.encode(), "text/csv")})
    assert resp.status_code == 200, resp.text
    counts = re.search(r'data-testid="import-counts">(.*?)</div>', resp.text, re.S)
    assert counts and "Imported good.csv (CSV): 1 record: 1 new certification, 0 corrected" in counts.group(1)
    resp = await admin.post("/admin/certifications/import", files={"file": ("x.xlsx", b"PK", "application/zip")})
    assert resp.status_code == 422 and "x.xlsx was not imported" in resp.text
    resp = await admin.post("/admin/certifications/import")
    assert resp.status_code == 422 and "choose a registry file" in resp.text.lower()
    refused = await (await connect("hr.reviewer")).post("/admin/certifications/import",
                                                        files={"file": ("good.csv", good.encode(), "text/csv")})
    assert refused.status_code == 403
