"""Importing certifications into a real Postgres: a file is taken whole or not at all, a re-import changes nothing, a
later issue date is a renewal that keeps the period before; Open Badges; who may import; and the demo seeding that
makes the feature live on the first start."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from infra.settings import Settings
from infra.store import certifications as store
from policies.certification_cadence import status_on
from tools.certifications.badges import NOT_VERIFIED
from tools.certifications.catalogue import DEMO_TYPES, valid_until
from tools.certifications.demo import demo_certifications, seed_demo_certifications
from tools.people_import.demo_org import load_demo_org
from workflows.certification_messages import workflow_id
from workflows.usecases import Forbidden, Services
from workflows.usecases.certification_import import CertificationImportInvalid, import_certifications
from workflows.usecases.certifications import my_certifications, team_certifications, today

pytestmark = pytest.mark.integration


@pytest.fixture
async def offline(pool: asyncpg.Pool[Any], tmp_path: Path) -> AsyncIterator[Services]:
    """Services without Temporal: imports are stored, cadences are left to the reconciliation."""
    yield Services(pool=pool, client=None, settings=Settings(data_dir=tmp_path))


def jsonl(*rows: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


async def periods(pool: asyncpg.Pool[Any], employee_id: str, type_id: str) -> list[Any]:
    return list(await pool.fetch(
        "SELECT period, issued_on, expires_on, evidence_kind, evidence_ref FROM certification_periods"
        " WHERE certification_id = $1 ORDER BY period", store.certification_id(employee_id, type_id)))


async def imports_audited(pool: asyncpg.Pool[Any], source: str) -> list[Any]:
    return list(await pool.fetch("SELECT actor, actor_role, payload FROM audit_events"
                                 " WHERE action = 'certifications.imported' AND payload->>'source' = $1 ORDER BY seq",
                                 source))


async def test_a_file_with_one_bad_line_writes_nothing_and_names_every_bad_line(offline: Services) -> None:
    text = ("employee_id,email,type_id,issued_on,expires_on\n"
            "E0370,,cka,2025-01-10,\n"                                   # good
            ",yuki.murphy@northwind.example,Project Management Professional (PMP),2024-05-01,\n"  # good, by names
            "E9999,,cka,2025-01-10,\n"                                   # nobody
            "E0370,,underwater-welding,2025-01-10,\n"                    # no such type
            "E0371,eva.bernard@northwind.example,cissp,2025-01-10,\n"    # id and e-mail of two people
            "E0370,,Certified Kubernetes Administrator (CKA),2025-01-10,\n")  # line 2 again, by name
    with pytest.raises(CertificationImportInvalid) as err:
        await import_certifications(offline, "hr.reviewer", text=text, file_format="csv", source="half.csv")
    assert err.value.problems == [
        "line 4: unknown employee 'E9999'",
        "line 5: unknown certification type 'underwater-welding' (see `talentops certifications types` for ids and"
        " names)",
        "line 6: employee 'E0371' does not have the e-mail 'eva.bernard@northwind.example'",
        "line 7: duplicate of line 2 (same person, type and issue date)"]
    assert err.value.status == 422
    assert await periods(offline.pool, "E0370", "cka") == [] and await periods(offline.pool, "E0371", "pmp") == []
    assert await offline.pool.fetchval("SELECT count(*) FROM certifications WHERE source = 'half.csv'") == 0
    assert await imports_audited(offline.pool, "half.csv") == []
    with pytest.raises(CertificationImportInvalid) as err:  # a parse error is refused the same way
        await import_certifications(offline, "hr.reviewer", text="E0370;cka\n", file_format="csv", source="x.csv")
    assert err.value.problems == ["line 1: the header lacks employee_id or email, type_id or type_name, issued_on"]


async def test_a_re_import_changes_nothing_and_expiry_follows_the_type(offline: Services) -> None:
    text = jsonl({"employee_id": "E0372", "type_id": "cka", "credential_id": "LF-CKA-1", "issued_on": "2025-02-03"},
                 {"email": "Ines.Pereira@northwind.example", "type_id": "CFA Level I", "issued_on": "2019-06-20"})
    first = await import_certifications(offline, "admin", text=text, file_format="jsonl", source="registry.jsonl")
    assert (first.rows, first.added, first.updated, first.renewed, first.unchanged) == (2, 2, 0, 0, 0)
    assert first.certification_ids == ["cert-E0372-cka", "cert-E0373-cfa-level-1"]
    assert first.replanned == 0 and "daily reconciliation" in first.notes[0]
    cka, = await periods(offline.pool, "E0372", "cka")
    assert (cka["issued_on"], cka["expires_on"]) == (date(2025, 2, 3), date(2027, 2, 3))  # CKA: 24 months
    assert (cka["evidence_kind"], cka["evidence_ref"]) == ("import", "registry.jsonl")
    cfa, = await periods(offline.pool, "E0373", "cfa-level-1")
    assert cfa["expires_on"] is None  # CFA Level I never expires
    again = await import_certifications(offline, "admin", text=text, file_format="jsonl", source="registry.jsonl")
    assert (again.added, again.updated, again.renewed, again.unchanged, again.certification_ids) == (0, 0, 0, 2, [])
    assert len(await periods(offline.pool, "E0372", "cka")) == 1
    events = await imports_audited(offline.pool, "registry.jsonl")
    assert [(e["actor"], e["actor_role"]) for e in events] == [("admin", "admin")] * 2
    payload = json.loads(events[0]["payload"]) if isinstance(events[0]["payload"], str) else events[0]["payload"]
    assert payload["added"] == 2 and payload["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    corrected = text.replace("LF-CKA-1", "LF-CKA-2")  # only the credential id differs: a correction
    fixed = await import_certifications(offline, "admin", text=corrected, file_format="jsonl",
                                       source="registry.jsonl")
    assert (fixed.updated, fixed.unchanged, fixed.certification_ids) == (1, 1, ["cert-E0372-cka"])
    cert = await store.get(offline.pool, "cert-E0372-cka")
    assert cert is not None and cert.credential_id == "LF-CKA-2"


async def test_a_later_issue_date_is_a_renewal_that_keeps_the_period_before(offline: Services) -> None:
    old = "employee_id,type_id,credential_id,issued_on\nE0374,cissp,ISC2-1,2022-03-01\n"
    await import_certifications(offline, "hr.reviewer", text=old, file_format="csv", source="isc2-2022.csv")
    new = "employee_id,type_id,credential_id,issued_on,expires_on\nE0374,cissp,ISC2-1,2025-02-15,2028-02-28\n"
    renewed = await import_certifications(offline, "hr.reviewer", text=new, file_format="csv", source="isc2-2025.csv")
    assert (renewed.renewed, renewed.added, renewed.certification_ids) == (1, 0, ["cert-E0374-cissp"])
    assert [(p["period"], p["issued_on"], p["expires_on"], p["evidence_ref"])
            for p in await periods(offline.pool, "E0374", "cissp")] == [
        (1, date(2022, 3, 1), date(2025, 3, 1), "isc2-2022.csv"),
        (2, date(2025, 2, 15), date(2028, 2, 28), "isc2-2025.csv")]
    stale = await import_certifications(offline, "hr.reviewer", text=old, file_format="csv", source="isc2-2022.csv")
    assert stale.unchanged == 1 and len(await periods(offline.pool, "E0374", "cissp")) == 2  # history stays history
    cert = await store.get(offline.pool, "cert-E0374-cissp")
    assert cert is not None and cert.current.period == 2 and cert.credential_id == "ISC2-1"


async def test_open_badges_are_imported_by_the_holders_e_mail_and_say_they_were_not_verified(
        offline: Services) -> None:
    ob3 = {"@context": ["https://www.w3.org/ns/credentials/v2",
                        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
           "id": "urn:uuid:0f6c5b5e-7d1b-4a57-9d0a-6f6d2b3c4e11",
           "type": ["VerifiableCredential", "OpenBadgeCredential"],
           "issuer": {"id": "https://www.credly.com/org/the-linux-foundation", "type": ["Profile"],
                      "name": "The Linux Foundation"},
           "validFrom": "2025-03-10T00:00:00Z", "validUntil": "2027-03-10T00:00:00Z",
           "credentialSubject": {"type": ["AchievementSubject"], "identifier": [
               {"type": "IdentityObject", "identityType": "emailAddress", "hashed": False,
                "identityHash": "kwame.mensah@northwind.example"}],
               "achievement": {"id": "https://www.credly.com/badges/cka", "type": ["Achievement"],
                               "name": "Certified Kubernetes Administrator (CKA)"}},
           "proof": [{"type": "DataIntegrityProof", "proofValue": "z3FXQ"}]}
    salt = "n4cl"
    ob2 = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "https://badges.example/a/77",
           "recipient": {"type": "email", "hashed": True, "salt": salt, "identity": "sha256$" + hashlib.sha256(
               ("piotr.sato@northwind.example" + salt).encode()).hexdigest()},
           "badge": {"type": "BadgeClass", "id": "https://badges.example/b/faw", "name": "Emergency first aid"},
           "issuedOn": "2024-09-01T00:00:00Z"}
    text = json.dumps([ob3, ob2])
    with pytest.raises(CertificationImportInvalid) as err:  # "Emergency first aid" is no type's name
        await import_certifications(offline, "hr.reviewer", text=text, file_format="badge", source="badges.json")
    assert err.value.problems == ["credential 2: unknown certification type 'Emergency first aid' (see `talentops"
                                  " certifications types` for ids and names)"]
    ob2["badge"]["name"] = "First Aid at Work"  # type: ignore[index]
    result = await import_certifications(offline, "hr.reviewer", text=json.dumps([ob3, ob2]), file_format="badge",
                                         source="badges.json")
    assert (result.added, result.certification_ids) == (2, ["cert-E0369-first-aid-at-work", "cert-E0376-cka"])
    assert NOT_VERIFIED in result.notes
    cka, = await periods(offline.pool, "E0376", "cka")
    assert (cka["evidence_kind"], cka["evidence_ref"], cka["expires_on"]) == ("badge", ob3["id"], date(2027, 3, 10))
    faw, = await periods(offline.pool, "E0369", "first-aid-at-work")
    assert faw["expires_on"] == date(2027, 9, 1)  # no expiry on the badge: three years, as the type says


async def test_only_hr_and_admins_import(offline: Services) -> None:
    text = "employee_id,type_id,issued_on\nE0370,pmp,2024-01-01\n"
    for login in ("sanne.devries", "mgr.payments"):
        with pytest.raises(Forbidden):
            await import_certifications(offline, login, text=text, file_format="csv", source="mine.csv")
    assert await periods(offline.pool, "E0370", "pmp") == []


# --- the demo -------------------------------------------------------------------------------------------------------


async def test_the_demo_seeding_makes_the_feature_live(offline: Services) -> None:
    pool = offline.pool
    types = await store.current_types(pool)
    assert {t.type_id for t in types} >= set(DEMO_TYPES)
    assert all(t.edited_by == "demo" for t in types if t.type_id in DEMO_TYPES)
    seeded_on = await pool.fetchval("SELECT min(recorded_at)::date FROM certification_periods"
                                    " WHERE evidence_kind = 'demo'")
    expected = {(r.employee_id, r.type_id): r for r in demo_certifications(load_demo_org()["employees"], seeded_on)}
    assert await pool.fetchval("SELECT count(*) FROM certifications WHERE source = 'demo'") == len(expected) > 500
    rows = await pool.fetch(
        "SELECT c.employee_id, c.type_id, p.expires_on, p.grace_days FROM certifications c JOIN certification_periods p"
        " USING (certification_id) WHERE c.source = 'demo' AND p.period = (SELECT max(period) FROM"
        " certification_periods q WHERE q.certification_id = c.certification_id)")
    day = today()
    statuses = [status_on(day, expires_on=r["expires_on"], grace_days=r["grace_days"]) for r in rows]
    soon = [(r["expires_on"] - day).days for r in rows if r["expires_on"] and r["expires_on"] >= day]
    assert sum(d <= 30 for d in soon) >= 5 and sum(d <= 90 for d in soon) >= 20
    assert statuses.count("in_grace") >= 2 and statuses.count("expired") >= 3
    assert statuses.count("valid") > 0.85 * len(rows)
    assert await pool.fetchval("SELECT count(*) FROM certification_periods WHERE period = 2"
                               " AND evidence_kind = 'demo'") > 20  # renewals kept with the period before

    sanne = {s.certification.type_id: s for s in await my_certifications(offline, "sanne.devries")}
    assert sanne["gcp-data-engineer"].status == "expiring" and 0 < (sanne["gcp-data-engineer"].days_left or 0) <= 30
    assert sanne["infosec-awareness"].status == "valid"
    yusuf = {s.certification.type_id: s for s in await my_certifications(offline, "yusuf.romano")}
    assert yusuf["first-aid-at-work"].status == "expiring" and yusuf["frm"].expires_on is None
    team = {(s.certification.employee_id, s.certification.type_id): s.status
            for s in await team_certifications(offline, "aoife.taylor")}
    assert team[("E0103", "gcp-data-engineer")] == "expiring" and team[("E0067", "infosec-awareness")] == "in_grace"
    payments = {s.status for s in await team_certifications(offline, "mgr.payments")}
    assert {"in_grace", "expiring"} <= payments

    async with pool.acquire() as conn:  # seeding again (a restart, another day) changes nothing
        assert await seed_demo_certifications(conn, load_demo_org()["employees"], today=seeded_on) == (0, 0)
    assert valid_until(date(2024, 2, 29), 12) == date(2025, 2, 28)


# --- with Temporal: the cadences of what changed are planned ----------------------------------------------------------


async def test_an_import_plans_the_cadence_of_what_it_changed(services: Services) -> None:
    issued = today() - timedelta(days=400)
    text = f"employee_id,type_id,issued_on\nE0366,cissp,{issued}\nE0366,acca,{issued}\n"
    result = await import_certifications(services, "admin", text=text, file_format="csv", source="with-temporal.csv")
    assert result.added == 2 and result.notes == []
    assert result.replanned == 1  # ACCA never expires: nothing to remind of
    assert services.client is not None
    handle = services.client.get_workflow_handle(workflow_id("cert-E0366-cissp", 1))
    assert (await handle.describe()).id == workflow_id("cert-E0366-cissp", 1)
