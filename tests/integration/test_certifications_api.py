"""Certifications through the JSON API, on real Postgres and Temporal: the holder's list, one certification (its
holder, their line manager, HR and admins; 404 for anyone else), the line manager's team and what lapses soon,
renewals (every refusal before anything is sent, and the whole way through verification), the evidence file, HR's
compliance report and its CSV, the type catalogue (versions) and the registry import."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from support import CSRF_HEADER, eventually

from infra.store import certifications as store
from infra.store.certifications import CertificationTypeBase, PeriodIn, Renewal
from workflows import usecases
from workflows.certification_messages import workflow_id
from workflows.usecases import Services, certifications
from workflows.usecases.certifications import today

pytestmark = pytest.mark.integration
ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]

HOLDER, HOLDER_ID = "sanne.devries", "E0103"
LINE_MANAGER = "aoife.taylor"           # Sanne's line manager
OTHER_EMPLOYEE = "yusuf.romano"         # someone in another team
OTHER_MANAGERS = ("mgr.payments", "mgr.data")   # managers, but not Sanne's line manager
PDF = b"%PDF-1.4\n% a renewed certificate\n"


async def certified(svc: Services, employee_id: str = HOLDER_ID, *, expires_in: int | None, grace_days: int = 30,
                    validity_months: int | None = 24, name: str | None = None) -> tuple[str, str]:
    """A type of its own and a certification of it held by ``employee_id`` that expires ``expires_in`` days from
    today (None: a type that never expires). Returns ``(type_id, certification_id)``."""
    type_id = f"test-{uuid.uuid4().hex[:10]}"
    expires = today() + timedelta(days=expires_in) if expires_in is not None else None
    issued = expires - timedelta(days=730) if expires is not None else today() - timedelta(days=400)
    async with svc.pool.acquire() as conn, conn.transaction():
        await store.save_type(conn, type_id, CertificationTypeBase(
            name=name or f"Test certificate {type_id[5:]}", issuer="Test Institute",
            validity_months=validity_months if expires is not None else None, grace_days=grace_days),
            edited_by="tests")
        cert_id, _ = await store.record(conn, employee_id=employee_id, type_id=type_id, credential_id="CRED-0001",
                                        period=PeriodIn(issued_on=issued, expires_on=expires, evidence_kind="import",
                                                        evidence_ref="registry-2025.csv"),
                                        source="registry-2025.csv")
    return type_id, cert_id


async def waiting_renewal(svc: Services, cert_id: str, *, content: bytes = PDF,
                          content_type: str = "application/pdf", name: str = "renewed.pdf") -> Renewal:
    """A renewal stored as waiting for verification (as ``submit_renewal`` stores it, without the workflow)."""
    cert = await store.get(svc.pool, cert_id)
    assert cert is not None
    file_id = uuid.uuid4().hex + uuid.uuid4().hex
    renewal = Renewal(renewal_id=f"ren-{uuid.uuid4().hex[:12]}", certification_id=cert_id,
                      period=cert.current.period, issued_on=today() - timedelta(days=3),
                      expires_on=today() + timedelta(days=700), credential_id="CRED-0002", evidence_ref=file_id,
                      evidence_name=name, submitted_by=HOLDER, submitted_at=datetime.now(UTC), status="submitted",
                      review_id=None, decided_reason=None)
    async with svc.pool.acquire() as conn, conn.transaction():
        await store.save_file(conn, file_id=file_id, name=name, content_type=content_type, content=content,
                              uploaded_by=HOLDER)
        await store.add_renewal(conn, renewal)
    return renewal


def renewal_form(*, issued_on: date | str | None = None, expires_on: date | str | None = None,
                 credential_id: str = "CRED-0002") -> dict[str, str]:
    issued = issued_on if issued_on is not None else today() - timedelta(days=3)
    expires = expires_on if expires_on is not None else today() + timedelta(days=730)
    return {"issued_on": str(issued), "expires_on": str(expires), "credential_id": credential_id}


def pdf(content: bytes = PDF, name: str = "renewed.pdf", kind: str = "application/pdf") -> dict[str, Any]:
    return {"file": (name, content, kind)}


def one(body: dict[str, Any], cert_id: str) -> dict[str, Any] | None:
    return next((c for c in body["data"] if c["certification"]["certification_id"] == cert_id), None)


# --- the holder's list and one certification -----------------------------------------------------------------------


async def test_my_certifications_say_where_each_stands(services: Services, connect: ClientFactory) -> None:
    _, expiring = await certified(services, expires_in=30)
    _, valid = await certified(services, expires_in=400)
    _, in_grace = await certified(services, expires_in=-5, grace_days=30)
    _, expired = await certified(services, expires_in=-60, grace_days=30)
    _, revoked = await certified(services, expires_in=300)
    _, forever = await certified(services, expires_in=None)
    async with services.pool.acquire() as conn:
        await store.revoke(conn, revoked, on=today() - timedelta(days=1), reason="issuer withdrew it")

    holder = await connect(HOLDER)
    resp = await holder.get("/api/me/certifications")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["count"] == len(body["data"]) >= 6
    seen = {cid: one(body, cid) for cid in (expiring, valid, in_grace, expired, revoked, forever)}
    assert {cid: (c or {}).get("status") for cid, c in seen.items()} == {
        expiring: "expiring", valid: "valid", in_grace: "in_grace", expired: "expired", revoked: "revoked",
        forever: "valid"}
    e = seen[expiring]
    assert e is not None
    assert e["status_words"] == "Expiring soon" and e["days_left"] == 30 and e["renewable"] is True
    assert e["expires_on"] == str(today() + timedelta(days=30))
    cert = e["certification"]
    assert (cert["issuer"], cert["credential_id"], cert["employee_id"]) == ("Test Institute", "CRED-0001", HOLDER_ID)
    assert [(p["period"], p["evidence_kind"], p["evidence_ref"]) for p in cert["periods"]] == [
        (1, "import", "registry-2025.csv")]
    grace = seen[in_grace]
    assert grace is not None and grace["grace_ends_on"] == str(today() + timedelta(days=24)), "its last day"
    assert (seen[forever] or {}).get("renewable") is False and (seen[revoked] or {}).get("renewable") is False

    other = await connect(OTHER_EMPLOYEE)
    assert one((await other.get("/api/me/certifications")).json(), expiring) is None
    assert (await (await connect()).get("/api/me/certifications")).status_code == 401


async def test_a_certification_is_seen_by_its_holder_line_manager_hr_and_admins_only(
        services: Services, connect: ClientFactory) -> None:
    _, cert_id = await certified(services, expires_in=45)
    await waiting_renewal(services, cert_id)
    for login in (HOLDER, LINE_MANAGER, "hr.reviewer", "admin"):
        resp = await (await connect(login)).get(f"/api/certifications/{cert_id}")
        assert resp.status_code == 200, (login, resp.text)
        body = resp.json()
        assert body["certification"]["certification"]["certification_id"] == cert_id
        assert body["certification"]["certification"]["renewal_pending"] is True
        (renewal,) = body["renewals"]
        assert renewal["status"] == "submitted"
        assert renewal["evidence_url"] == f"/api/renewals/{renewal['renewal_id']}/evidence"
    for login in (OTHER_EMPLOYEE, *OTHER_MANAGERS):
        c = await connect(login)
        hidden = await c.get(f"/api/certifications/{cert_id}")
        missing = await c.get("/api/certifications/cert-E0000-nothing")
        assert hidden.status_code == missing.status_code == 404, (login, hidden.text)
        assert isinstance(hidden.json()["detail"], str)
    assert (await (await connect()).get(f"/api/certifications/{cert_id}")).status_code == 401


async def test_the_line_manager_sees_the_team_and_what_lapses_next_quarter(
        services: Services, connect: ClientFactory) -> None:
    _, soon = await certified(services, expires_in=20)
    _, later = await certified(services, expires_in=80)
    _, lapsed = await certified(services, expires_in=-3, grace_days=30)
    _, valid = await certified(services, expires_in=300)
    lm = await connect(LINE_MANAGER)
    resp = await lm.get("/api/team/certifications")
    assert resp.status_code == 200, resp.text
    everyone = resp.json()
    assert all(one(everyone, c) for c in (soon, later, lapsed, valid))
    assert {c["certification"]["employee_id"] for c in everyone["data"]} >= {HOLDER_ID}

    quarter = (await lm.get("/api/team/certifications", params={"lapsing_within": 92})).json()
    ids = [c["certification"]["certification_id"] for c in quarter["data"]]
    assert quarter["count"] == len(ids)
    assert set(ids) >= {soon, later, lapsed} and valid not in ids
    assert ids.index(lapsed) < ids.index(soon) < ids.index(later), "soonest first"
    days = [c["days_left"] for c in quarter["data"]]
    assert days == sorted(days)

    assert one((await (await connect(OTHER_EMPLOYEE)).get("/api/team/certifications")).json(), soon) is None
    assert one((await (await connect(HOLDER)).get("/api/team/certifications")).json(), soon) is None
    for bad in ("-1", "731", "soon"):
        assert (await lm.get("/api/team/certifications", params={"lapsing_within": bad})).status_code == 422
    assert (await (await connect()).get("/api/team/certifications")).status_code == 401


# --- renewals --------------------------------------------------------------------------------------------------------


async def test_a_renewal_is_refused_with_a_sentence_before_anything_is_sent(
        services: Services, connect: ClientFactory) -> None:
    _, cert_id = await certified(services, expires_in=30)
    url = f"/api/me/certifications/{cert_id}/renewals"
    holder = await connect(HOLDER)

    async def refused(status: int, data: dict[str, str], files: dict[str, Any] | None, words: str,
                      client: httpx.AsyncClient = holder) -> None:
        resp = await client.post(url, data=data, files=files)
        assert resp.status_code == status, resp.text
        detail = resp.json()["detail"]
        assert words in (detail if isinstance(detail, str) else str(detail)), detail

    await refused(422, renewal_form(issued_on=today() + timedelta(days=2)), pdf(), "in the future")
    await refused(422, renewal_form(issued_on=today() - timedelta(days=2000)), pdf(), "before the current")
    await refused(422, renewal_form(expires_on=today() - timedelta(days=5)), pdf(), "expiry date must come after")
    await refused(422, renewal_form(expires_on=today() + timedelta(days=10)), pdf(), "expire after the current")
    await refused(422, renewal_form(), pdf(b""), "empty")
    await refused(422, renewal_form(), pdf(b"<html></html>", "cert.html", "text/html"), "PDF, PNG, JPEG")
    await refused(422, renewal_form(), None, "file")
    await refused(422, renewal_form(issued_on="31/12/2026"), pdf(), "date")
    await refused(422, {**renewal_form(), "credential_id": "x" * 201}, pdf(), "200")
    # someone else's: not found, even for the holder's line manager
    await refused(404, renewal_form(), pdf(), "no certification", await connect(LINE_MANAGER))
    await refused(404, renewal_form(), pdf(), "no certification", await connect("hr.reviewer"))
    # an upload with the session cookie but without the CSRF header is refused
    bare = await connect(HOLDER)
    bare.headers.pop(CSRF_HEADER)
    await refused(403, renewal_form(), pdf(), "X-CSRF-Token", bare)
    assert (await (await connect()).post(url, data=renewal_form(), files=pdf())).status_code == 401
    assert await store.renewals_of(services.pool, cert_id) == [], "nothing was stored"

    # one waiting already, revoked, or never expiring: a conflict
    await waiting_renewal(services, cert_id)
    await refused(409, renewal_form(), pdf(), "already waits")
    _, revoked = await certified(services, expires_in=30)
    async with services.pool.acquire() as conn:
        await store.revoke(conn, revoked, on=today(), reason="withdrawn")
    resp = await holder.post(f"/api/me/certifications/{revoked}/renewals", data=renewal_form(), files=pdf())
    assert resp.status_code == 409 and "cannot be renewed" in resp.json()["detail"]
    _, forever = await certified(services, expires_in=None)
    resp = await holder.post(f"/api/me/certifications/{forever}/renewals", data=renewal_form(), files=pdf())
    assert resp.status_code == 409, resp.text


async def test_the_evidence_file_goes_to_the_holder_line_manager_hr_and_admins_only(
        services: Services, connect: ClientFactory) -> None:
    _, cert_id = await certified(services, expires_in=30)
    content = b"%PDF-1.4\n" + uuid.uuid4().bytes
    renewal = await waiting_renewal(services, cert_id, content=content, name="Zertifikat März.pdf")
    url = f"/api/renewals/{renewal.renewal_id}/evidence"
    for login in (HOLDER, LINE_MANAGER, "hr.reviewer", "admin"):
        resp = await (await connect(login)).get(url)
        assert resp.status_code == 200, (login, resp.text)
        assert resp.content == content and resp.headers["content-type"] == "application/pdf"
        disposition = resp.headers["content-disposition"]
        assert disposition.startswith("attachment;") and "filename*=UTF-8''Zertifikat%20M%C3%A4rz.pdf" in disposition
    for login in (OTHER_EMPLOYEE, *OTHER_MANAGERS):
        c = await connect(login)
        assert (await c.get(url)).status_code == 404, login
        assert (await c.get("/api/renewals/ren-000000000000/evidence")).status_code == 404
    assert (await (await connect()).get(url)).status_code == 401


async def review_of(svc: Services, renewal_id: str) -> str | None:
    found: str | None = await svc.pool.fetchval(
        "SELECT review_id FROM review_requests WHERE action_type = 'verify_certification_renewal'"
        " AND evidence->>'renewal_id' = $1 AND status = 'pending'", renewal_id)
    return found


async def test_a_renewal_is_sent_for_verification_and_once_verified_the_certification_is_valid(
        services: Services, connect: ClientFactory) -> None:
    """Waits on the certification cadence workflow (``CertificationWorkflow``) being registered in the worker."""
    _, cert_id = await certified(services, expires_in=30, validity_months=24)
    holder = await connect(HOLDER)
    issued = today() - timedelta(days=2)
    expires = issued.replace(year=issued.year + 2, day=min(issued.day, 28))   # 24 months, as the type says
    resp = await holder.post(f"/api/me/certifications/{cert_id}/renewals",
                             data=renewal_form(issued_on=issued, expires_on=expires), files=pdf())
    assert resp.status_code == 201, resp.text
    renewal = resp.json()
    assert renewal["status"] == "submitted" and renewal["certification_id"] == cert_id
    assert renewal["evidence_name"] == "renewed.pdf" and renewal["credential_id"] == "CRED-0002"

    detail = (await holder.get(f"/api/certifications/{cert_id}")).json()
    assert detail["certification"]["certification"]["renewal_pending"] is True
    assert detail["certification"]["renewable"] is False
    assert [r["renewal_id"] for r in detail["renewals"]] == [renewal["renewal_id"]]
    again = await holder.post(f"/api/me/certifications/{cert_id}/renewals", data=renewal_form(), files=pdf())
    assert again.status_code == 409, again.text

    # the verification: a reviewer approves when the trust ramp sampled it (new action types: always)
    async def decided_or_reviewed() -> str | None:
        found = await store.get_renewal(services.pool, renewal["renewal_id"])
        if found is not None and found.status != "submitted":
            return found.status
        return await review_of(services, renewal["renewal_id"])
    found = await eventually(decided_or_reviewed, "the renewal's verification", timeout=60)
    if found not in ("verified", "rejected"):
        hr = await connect("hr.reviewer")  # a review outside any goal: in the queue, on its page, in words
        queue = await hr.get("/api/reviews", params={"action_type": "verify_certification_renewal"})
        assert queue.status_code == 200, queue.text
        row = next(r for r in queue.json()["data"] if r["review_id"] == found)
        assert row["goal_id"] is None and row["goal_text"].startswith("Renewal of")
        page = await hr.get(f"/reviews/{found}")
        assert page.status_code == 200 and "The renewal" in page.text and "no goal: a certification" in page.text
        assert (await hr.get("/reviews")).status_code == 200
        await usecases.decide_review(services, review_id=found, decision="approve", reviewer="hr.reviewer")

    async def verified() -> dict[str, Any] | None:
        body: dict[str, Any] = (await holder.get(f"/api/certifications/{cert_id}")).json()
        return body if body["renewals"][0]["status"] == "verified" and body["certification"]["status"] == "valid" \
            else None
    body = await eventually(verified, "the renewal to be verified", timeout=60)
    periods = body["certification"]["certification"]["periods"]
    assert [p["period"] for p in periods] == [2, 1], "the earlier period is kept"
    assert (periods[0]["issued_on"], periods[0]["expires_on"]) == (str(issued), str(expires))
    assert (periods[0]["evidence_kind"], periods[0]["confirmed_by"]) in (("reviewer", "hr.reviewer"),
                                                                         ("file", "verification-agent"))
    assert body["certification"]["certification"]["renewal_pending"] is False


# --- HR's compliance report ------------------------------------------------------------------------------------------


async def test_compliance_by_department_and_type_with_the_lapses_ahead(
        services: Services, connect: ClientFactory) -> None:
    name = f"Compliance test {uuid.uuid4().hex[:6]}"
    type_id, _ = await certified(services, HOLDER_ID, expires_in=40, name=name)           # data: expiring
    async with services.pool.acquire() as conn, conn.transaction():
        await store.record(conn, employee_id="E0190", type_id=type_id, credential_id=None, source="tests",
                           period=PeriodIn(issued_on=today() - timedelta(days=900),
                                           expires_on=today() - timedelta(days=100), evidence_kind="import"))
    hr = await connect("hr.reviewer")
    resp = await hr.get("/api/certifications/compliance")
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["as_of"] == str(today()) and report["department"] is None and len(report["months"]) == 12
    (by_type,) = [t for t in report["by_type"] if t["type_id"] == type_id]
    assert (by_type["tally"]["held"], by_type["tally"]["valid"], by_type["tally"]["expired"]) == (2, 1, 1)
    assert by_type["share_valid"] == 0.5 and by_type["name"] == name
    cells = {c["department"]: c for c in report["cells"] if c["type_id"] == type_id}
    assert set(cells) == {"data", "risk"}
    assert cells["data"]["share_valid"] == 1.0 and cells["risk"]["share_valid"] == 0.0
    assert cells["data"]["department_name"] == "Data & Analytics"
    (lapse,) = [lt for lt in report["lapses"] if lt["type_id"] == type_id]
    month = report["months"].index(str((today() + timedelta(days=40)).replace(day=1)))
    assert lapse["by_month"][month] == 1 and lapse["total"] == 1

    only_data = (await hr.get("/api/certifications/compliance", params={"department": "data"})).json()
    assert only_data["department"] == "data" and {c["department"] for c in only_data["cells"]} == {"data"}
    bad = await hr.get("/api/certifications/compliance", params={"department": "no-such-department"})
    assert bad.status_code == 422 and "no department" in bad.json()["detail"]
    assert (await (await connect("admin")).get("/api/certifications/compliance")).status_code == 200
    for login in (HOLDER, "mgr.payments"):
        refused = await (await connect(login)).get("/api/certifications/compliance")
        assert refused.status_code == 403 and isinstance(refused.json()["detail"], str)
    assert (await (await connect()).get("/api/certifications/compliance")).status_code == 401


async def test_the_compliance_csv_is_a_file_with_a_header(services: Services, connect: ClientFactory) -> None:
    name = f"CSV test {uuid.uuid4().hex[:6]}"
    type_id, _ = await certified(services, HOLDER_ID, expires_in=200, name=name)
    hr = await connect("hr.reviewer")
    resp = await hr.get("/api/certifications/compliance.csv")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    assert resp.headers["content-disposition"] == (
        f'attachment; filename="certification-compliance-{today():%Y-%m-%d}.csv"')
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    (mine,) = [r for r in rows if r["Type id"] == type_id]
    assert (mine["Department"], mine["Certification"], mine["Held"], mine["Share valid (%)"]) == (
        "Data & Analytics", name, "1", "100.0")
    assert f"Lapsing {today():%Y-%m}" in mine

    only = await hr.get("/api/certifications/compliance.csv", params={"department": "risk"})
    assert only.status_code == 200 and "-risk.csv" in only.headers["content-disposition"]
    assert {r["Department code"] for r in csv.DictReader(io.StringIO(only.text))} <= {"risk"}
    assert (await hr.get("/api/certifications/compliance.csv", params={"department": "nope"})).status_code == 422
    assert (await (await connect(HOLDER)).get("/api/certifications/compliance.csv")).status_code == 403
    assert (await (await connect()).get("/api/certifications/compliance.csv")).status_code == 401


# --- the type catalogue and the import ------------------------------------------------------------------------------


async def test_types_are_listed_and_an_admin_edit_adds_a_version(services: Services, connect: ClientFactory) -> None:
    type_id = f"api-{uuid.uuid4().hex[:8]}"
    body = {"name": "Working at height", "issuer": "Safety Board", "validity_months": 36, "grace_days": 14,
            "renewal_lead_days": 30, "skills": ["Fall protection"], "keywords": ["Scaffold"]}
    admin = await connect("admin")
    resp = await admin.put(f"/api/certification-types/{type_id}", json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"type_id": type_id, "version": 1, "changed": True}
    assert (await admin.put(f"/api/certification-types/{type_id}", json=body)).json() == {
        "type_id": type_id, "version": 1, "changed": False}
    resp = await admin.put(f"/api/certification-types/{type_id}", json={**body, "grace_days": 30})
    assert resp.json() == {"type_id": type_id, "version": 2, "changed": True}

    listed = (await (await connect(HOLDER)).get("/api/certification-types")).json()
    (mine,) = [t for t in listed["data"] if t["type_id"] == type_id]
    assert (mine["version"], mine["grace_days"], mine["keywords"], mine["edited_by"]) == (2, 30, ["scaffold"], "admin")
    versions = (await (await connect("hr.reviewer")).get(f"/api/certification-types/{type_id}/versions")).json()
    assert [(v["version"], v["grace_days"]) for v in versions["data"]] == [(2, 30), (1, 14)]

    retired = await admin.put(f"/api/certification-types/{type_id}", json={**body, "grace_days": 30, "retired": True})
    assert retired.json()["version"] == 3
    assert not [t for t in (await admin.get("/api/certification-types")).json()["data"] if t["type_id"] == type_id]
    everything = (await admin.get("/api/certification-types", params={"include_retired": "true"})).json()
    assert [t["retired"] for t in everything["data"] if t["type_id"] == type_id] == [True]

    assert (await admin.put("/api/certification-types/Not A Slug", json=body)).status_code == 422
    for bad in ({**body, "validity_months": 0}, {**body, "name": "   "}, {**body, "grace_days": 400},
                {"issuer": "x"}):
        assert (await admin.put(f"/api/certification-types/{type_id}", json=bad)).status_code == 422, bad
    for login in ("hr.reviewer", "mgr.payments", HOLDER):
        resp = await (await connect(login)).put(f"/api/certification-types/{type_id}", json=body)
        assert resp.status_code == 403, login
    assert (await (await connect(HOLDER)).get(f"/api/certification-types/{type_id}/versions")).status_code == 403
    assert (await admin.get("/api/certification-types/no-such-type/versions")).status_code == 404
    assert (await (await connect()).get("/api/certification-types")).status_code == 401
    assert len(await store.type_history(services.pool, type_id)) == 3


async def test_the_registry_import_counts_and_refuses_a_bad_file_whole(
        services: Services, connect: ClientFactory) -> None:
    type_id, _ = await certified(services, "E0190", expires_in=None)   # a type that never expires: no cadence
    issued = today() - timedelta(days=50)
    good = f"employee_id,type_id,credential_id,issued_on,expires_on\n{HOLDER_ID},{type_id},IMP-1,{issued},\n"
    hr = await connect("hr.reviewer")
    resp = await hr.post("/api/certifications/import", files={"file": ("registry.csv", good.encode(), "text/csv")})
    assert resp.status_code == 200, resp.text
    done = resp.json()
    assert (done["source"], done["file_format"], done["rows"], done["added"]) == ("registry.csv", "csv", 1, 1)
    again = (await hr.post("/api/certifications/import", files={"file": ("registry.csv", good.encode(),
                                                                           "text/csv")})).json()
    assert (again["added"], again["unchanged"]) == (0, 1)
    cert = await store.get(services.pool, store.certification_id(HOLDER_ID, type_id))
    assert cert is not None and cert.credential_id == "IMP-1" and len(cert.periods) == 1

    bad = (f"employee_id,type_id,credential_id,issued_on,expires_on\n{HOLDER_ID},{type_id},IMP-2,{issued},\n"
           f"{HOLDER_ID},{type_id},IMP-3,not-a-date,\n{HOLDER_ID},{type_id},IMP-4,{issued},31/12/2030\n")
    resp = await (await connect("admin")).post("/api/certifications/import",
                                               files={"file": ("bad.csv", bad.encode(), "text/csv")})
    assert resp.status_code == 422, resp.text
    assert "line 3" in resp.json()["detail"] and "line 4" in resp.json()["detail"]
    resp = await hr.post("/api/certifications/import", files={"file": ("registry.xlsx", b"PK", "application/zip")})
    assert resp.status_code == 422 and ".csv" in resp.json()["detail"]
    resp = await hr.post("/api/certifications/import", files={"file": ("r.txt", good.encode(), "text/plain")},
                         data={"file_format": "csv"})
    assert resp.status_code == 200, resp.text
    for login in (HOLDER, "mgr.payments"):
        resp = await (await connect(login)).post("/api/certifications/import",
                                                 files={"file": ("registry.csv", good.encode(), "text/csv")})
        assert resp.status_code == 403, login
    bare = await connect("hr.reviewer")
    bare.headers.pop(CSRF_HEADER)
    resp = await bare.post("/api/certifications/import", files={"file": ("registry.csv", good.encode(), "text/csv")})
    assert resp.status_code == 403


async def test_hr_revokes_a_certification_and_its_cadence_stops(services: Services, connect: ClientFactory) -> None:
    _, cert_id = await certified(services, expires_in=200)
    await certifications.replan(services, [cert_id])  # its cadence runs
    holder, hr = await connect(HOLDER), await connect("hr.reviewer")
    assert (await holder.post(f"/api/certifications/{cert_id}/revoke", json={"reason": "mine"})).status_code == 403
    assert (await hr.post(f"/api/certifications/{cert_id}/revoke", json={"reason": " "})).status_code == 422
    assert (await hr.post("/api/certifications/cert-nobody-none/revoke", json={"reason": "x"})).status_code == 404
    resp = await hr.post(f"/api/certifications/{cert_id}/revoke", json={"reason": "the issuer withdrew it"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "revoked" and resp.json()["status_words"] == "Revoked"
    again = await hr.post(f"/api/certifications/{cert_id}/revoke", json={"reason": "twice"})
    assert again.status_code == 409 and "revoked on" in again.json()["detail"]
    handle = services.temporal().get_workflow_handle(workflow_id(cert_id, 1))
    assert await handle.result() == "revoked", "its reminders stop"
    trail = await services.pool.fetch("SELECT action, actor FROM audit_events WHERE payload->>'certification_id' = $1"
                                      " ORDER BY seq", cert_id)
    assert ("certification.revoked", "hr.reviewer") in [(r["action"], r["actor"]) for r in trail]
    assert trail[-1]["action"] == "certification.period_revoked"
