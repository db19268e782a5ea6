"""Reading certification records (CSV, JSON Lines, Open Badges), the demo catalogue of types and the demo's
certifications: every bad line named, dates as the schemes have them, the feature live on the demo's first day."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from datetime import date, timedelta

import pytest

from policies.certification_cadence import status_on
from tools.certifications.badges import parse_badges
from tools.certifications.catalogue import DEMO_ORG_NAMES, DEMO_TYPES, add_months, valid_until
from tools.certifications.demo import FORCED_DAYS_LEFT, demo_certifications, held_types
from tools.certifications.import_file import CertificationFileError, parse
from tools.people_import.demo_org import load_demo_org
from tools.taxonomy.skill_names import known_skill

TODAY = date(2025, 6, 15)
GOOD = {"employee_id": "E0103", "type_id": "cissp", "credential_id": "ISC2-771", "issued_on": "2024-03-01"}


def _jsonl(*rows: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n"


def _problems(text: str, fmt: str = "jsonl") -> list[str]:
    with pytest.raises(CertificationFileError) as err:
        parse(text, fmt, today=TODAY)  # type: ignore[arg-type]
    return err.value.problems


# --- CSV and JSON Lines ---------------------------------------------------------------------------------------------


def test_json_lines_and_csv_give_the_same_rows_but_for_where_they_are() -> None:
    jsonl = _jsonl(GOOD, "", {"email": "aoife.taylor@northwind.example", "type_id": "ITIL 4 Foundation",
                              "issued_on": "2023-01-10", "expires_on": "2026-01-10", "evidence_ref": "lms-42"})
    csv = ("employee_id,email,type_id,credential_id,issued_on,expires_on,evidence_ref\n"
           "E0103,,cissp,ISC2-771,2024-03-01,,\n"
           ",aoife.taylor@northwind.example,ITIL 4 Foundation,,2023-01-10,2026-01-10,lms-42\n")
    from_jsonl, from_csv = parse(jsonl, "jsonl", today=TODAY), parse(csv, "csv", today=TODAY)
    assert [r.where for r in from_jsonl] == ["line 1", "line 3"] and [r.where for r in from_csv] == ["line 2", "line 3"]
    strip = [{k: v for k, v in vars(r).items() if k != "where"} for r in from_jsonl]
    assert strip == [{k: v for k, v in vars(r).items() if k != "where"} for r in from_csv]
    first, second = from_csv
    assert (first.employee_id, first.type_ref, first.credential_id, first.issued_on, first.expires_on) == (
        "E0103", "cissp", "ISC2-771", date(2024, 3, 1), None)
    assert (second.employee_id, second.email, second.expires_on, second.evidence_ref) == (
        None, "aoife.taylor@northwind.example", date(2026, 1, 10), "lms-42")
    assert first.evidence_kind == "import" and first.identity_salt is None


def test_every_bad_line_is_named_with_what_is_wrong_and_nothing_is_taken() -> None:
    problems = _problems(_jsonl(
        GOOD,                                                              # 1 fine
        {**GOOD, "type_id": "cka", "issued_on": "2025-13-01"},             # 2 no such month
        "{not json",                                                       # 3
        {**GOOD, "type_id": "pmp", "issued_on": "2024-05-01", "expires_on": "2024-04-30"},  # 4 expires first
        {"type_id": "pmp", "issued_on": "2024-05-01"},                     # 5 nobody
        {"employee_id": "E0001", "issued_on": "2024-05-01"},               # 6 no type
        {**GOOD, "credential_id": "other"},                                # 7 same as line 1
        {**GOOD, "type_id": "frm", "issued_on": "2025-07-01"},             # 8 in the future
        [1, 2],                                                            # 9
        {**GOOD, "type_id": "cams", "issued_on": "1 March 2024"},          # 10 not ISO
    ))
    assert [p.split(":")[0] for p in problems] == [f"line {n}" for n in range(2, 11)]
    assert problems[0] == "line 2: issued_on: not a date (2025-13-01); write it as YYYY-MM-DD"
    assert problems[1].startswith("line 3: not JSON")
    assert problems[2] == "line 4: expires_on: 2024-04-30 is not after issued_on 2024-05-01"
    assert problems[3] == "line 5: employee_id or email: missing"
    assert problems[4] == "line 6: type_id: missing"
    assert problems[5] == "line 7: duplicate of line 1 (same person, type and issue date)"
    assert problems[6] == "line 8: issued_on: 2025-07-01 is in the future"
    assert problems[7] == "line 9: a line is one JSON object"
    assert "not a date (1 March 2024)" in problems[8]


def test_the_same_certification_with_another_issue_date_is_history_not_a_duplicate() -> None:
    rows = parse(_jsonl(GOOD, {**GOOD, "issued_on": "2021-03-01", "credential_id": "ISC2-100"}), "jsonl", today=TODAY)
    assert [r.issued_on for r in rows] == [date(2024, 3, 1), date(2021, 3, 1)]
    # the same person, type and issue date, however the type's name is cased, is a duplicate
    problems = _problems(_jsonl(GOOD, {**GOOD, "type_id": "CISSP"}))
    assert problems == ["line 2: duplicate of line 1 (same person, type and issue date)"]


def test_a_csv_without_the_needed_columns_is_refused_at_its_header() -> None:
    assert _problems("name,certificate,date\nSanne,CISSP,2024-01-01\n", "csv") == [
        "line 1: the header lacks employee_id or email, type_id or type_name, issued_on"]
    assert _problems("email,type_name\nx@y.z,CISSP\n", "csv") == ["line 1: the header lacks issued_on"]


def test_csv_rows_are_named_by_their_line_and_extra_values_are_refused() -> None:
    csv = ("email,type_name,issued_on,expires_on\n"
           "sanne.devries@northwind.example,CISSP,2024-01-01,\n"
           "sanne.devries@northwind.example,PMP,2024-01-01,2023-12-31\n"
           "sanne.devries@northwind.example,CKA,2024-01-01,2026-01-01,surplus\n"
           "sanne.devries@northwind.example,\"ITIL\u0000 4\",2024-01-01,\n")
    problems = _problems(csv, "csv")
    assert [p.split(":")[0] for p in problems] == ["line 3", "line 4", "line 5"]
    assert "expires_on: 2023-12-31 is not after issued_on 2024-01-01" in problems[0]
    assert "more values than the header" in problems[1]
    assert "type_name: control characters" in problems[2]


def test_timestamps_give_their_day_and_empty_files_are_refused() -> None:
    row, = parse(_jsonl({**GOOD, "issued_on": "2024-03-01T09:30:00Z", "expires_on": "2027-03-01T00:00:00+01:00"}),
                 "jsonl", today=TODAY)
    assert (row.issued_on, row.expires_on) == (date(2024, 3, 1), date(2027, 3, 1))
    assert _problems("\n\n") == ["the file has no certifications"]
    assert _problems("employee_id,type_id,issued_on\n", "csv") == ["the file has no certifications"]


# --- Open Badges ----------------------------------------------------------------------------------------------------

OB3 = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "id": "urn:uuid:a63a60be-f4af-491e-87d6-2f3f3b1e1e5e",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "name": "Certified Kubernetes Administrator (CKA)",
    "issuer": {"id": "https://www.credly.com/org/the-linux-foundation", "type": ["Profile"],
               "name": "The Linux Foundation"},
    "validFrom": "2024-11-04T00:00:00Z",
    "validUntil": "2026-11-04T00:00:00Z",
    "credentialSubject": {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityHash": "sanne.devries@northwind.example",
                        "identityType": "emailAddress", "hashed": False}],
        "achievement": {"id": "https://www.credly.com/org/the-linux-foundation/badge/cka",
                        "type": ["Achievement"], "name": "Certified Kubernetes Administrator (CKA)",
                        "description": "Earners of this designation demonstrated the skills of a Kubernetes admin.",
                        "criteria": {"narrative": "Pass the performance-based CKA exam."}},
    },
    "proof": [{"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": "2024-11-04T00:00:00Z",
               "verificationMethod": "https://www.credly.com/org/the-linux-foundation#key-1",
               "proofPurpose": "assertionMethod", "proofValue": "z58DAdFfa9SkqZMVPxAQpic7ndSayn1PzZs6ZjWp1CktyGe"}],
}


def test_an_open_badges_3_credential_is_read_without_its_proof_being_checked() -> None:
    row, = parse_badges(json.dumps(OB3), today=TODAY)
    assert (row.where, row.email, row.type_ref, row.issued_on, row.expires_on) == (
        "credential 1", "sanne.devries@northwind.example", "Certified Kubernetes Administrator (CKA)",
        date(2024, 11, 4), date(2026, 11, 4))
    assert row.evidence_kind == "badge" and row.evidence_ref == row.credential_id == OB3["id"]
    tampered = {**OB3, "proof": [{"type": "DataIntegrityProof", "proofValue": "zNOT-A-SIGNATURE"}]}
    assert parse_badges(json.dumps(tampered), today=TODAY) == [row]  # signatures are not verified (documented)


def test_a_list_a_presentation_a_jwt_and_a_mapping_all_give_rows() -> None:
    other = {**OB3, "id": "urn:uuid:2", "validUntil": None,
             "credentialSubject": {**OB3["credentialSubject"],  # type: ignore[dict-item]
                                   "achievement": {"id": "https://badges.example/pci", "name": "PCI Awareness 2024"}}}
    rows = parse_badges(json.dumps([OB3, other]), mapping={"PCI Awareness 2024": "pci-dss-awareness"}, today=TODAY)
    assert [(r.where, r.type_ref, r.expires_on) for r in rows] == [
        ("credential 1", "Certified Kubernetes Administrator (CKA)", date(2026, 11, 4)),
        ("credential 2", "pci-dss-awareness", None)]
    presentation = {"type": ["VerifiablePresentation"], "verifiableCredential": [OB3]}
    assert parse_badges(json.dumps(presentation), today=TODAY) == rows[:1]
    payload = base64.urlsafe_b64encode(json.dumps({"vc": OB3, "iss": "x"}).encode()).decode().rstrip("=")
    assert parse_badges(f"eyJhbGciOiJFZERTQSJ9.{payload}.c2ln\n", today=TODAY) == rows[:1]


def test_open_badges_2_assertions_and_hashed_recipients() -> None:
    salt = "deadsea"
    hashed = "sha256$" + hashlib.sha256(("yusuf.romano@northwind.example" + salt).encode()).hexdigest()
    ob2 = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "https://badges.example/a/1",
           "recipient": {"type": "email", "hashed": True, "salt": salt, "identity": hashed},
           "badge": {"type": "BadgeClass", "id": "https://badges.example/b/faw", "name": "First Aid at Work"},
           "issuedOn": "2024-02-01T10:00:00+00:00", "expires": "2027-02-01T10:00:00+00:00",
           "verification": {"type": "hosted"}}
    row, = parse_badges(json.dumps(ob2), today=TODAY)
    assert (row.email, row.identity_salt, row.type_ref, row.issued_on, row.expires_on) == (
        hashed, salt, "First Aid at Work", date(2024, 2, 1), date(2027, 2, 1))


def test_badges_that_cannot_be_read_are_named() -> None:
    no_holder = {**OB3, "credentialSubject": {"achievement": OB3["credentialSubject"]["achievement"]}}  # type: ignore[index]
    linked = {"type": "Assertion", "id": "x", "recipient": {"type": "email", "identity": "a@b.c"},
              "badge": "https://badges.example/b/1", "issuedOn": "2024-01-01"}
    with pytest.raises(CertificationFileError) as err:
        parse_badges(json.dumps([OB3, no_holder, {"type": ["VerifiableCredential"]}, linked,
                                 {**OB3, "validFrom": None}]), today=TODAY)
    assert err.value.problems == [
        "credential 2: no e-mail identifies the holder (credentialSubject.identifier of type emailAddress)",
        "credential 3: not an Open Badge (its type is neither OpenBadgeCredential nor an OB 2.0 Assertion)",
        "credential 4: the achievement has no name (https://badges.example/b/1); map it to a type",
        "credential 5: validFrom: missing (the day the badge was issued)"]
    with pytest.raises(CertificationFileError, match="not JSON"):
        parse_badges("{", today=TODAY)
    with pytest.raises(CertificationFileError, match="credential 2: neither JSON nor a JWT"):
        parse_badges("eyJhbGciOiJFZERTQSJ9.e30.c2ln\nnot-a-token\n", today=TODAY)


# --- the demo catalogue and the demo's certifications ---------------------------------------------------------------


def test_the_catalogue_covers_the_demo_organisation_with_the_schemes_validity() -> None:
    org_names = {n for e in load_demo_org()["employees"] for n in e.get("certifications", [])}
    assert org_names == set(DEMO_ORG_NAMES) and len(org_names) == 32
    assert set(DEMO_ORG_NAMES.values()) <= set(DEMO_TYPES)
    months = {t: DEMO_TYPES[t].validity_months for t in ("cfa-level-1", "acca", "cissp", "aws-solutions-architect",
                                                          "cka", "pl-300-power-bi", "google-analytics",
                                                          "first-aid-at-work")}
    assert months == {"cfa-level-1": None, "acca": None, "cissp": 36, "aws-solutions-architect": 36, "cka": 24,
                      "pl-300-power-bi": 12, "google-analytics": 12, "first-aid-at-work": 36}
    for type_id, t in DEMO_TYPES.items():
        assert t.skills and all(known_skill(s) for s in t.skills), type_id
        assert all(k == k.lower().strip() for k in t.keywords), type_id
    must = {type_id for type_id, t in DEMO_TYPES.items() if t.keywords}
    assert must == {"pci-dss-awareness", "pcip", "infosec-awareness", "first-aid-at-work", "forklift-licence",
                    "fire-warden", "nebosh-general"}, "only work that may not go ahead without one calls for it"
    assert len({t.name for t in DEMO_TYPES.values()}) == len(DEMO_TYPES)  # names identify types in imports


def test_months_are_added_as_calendars_have_them() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2025, 3, 15), -15) == date(2023, 12, 15)
    assert valid_until(date(2024, 3, 1), 36) == date(2027, 3, 1) and valid_until(date(2024, 3, 1), None) is None


@pytest.mark.parametrize("today", [TODAY, date(2025, 1, 31), date(2025, 3, 1), date(2024, 2, 29), date(2026, 12, 31)])
def test_the_demo_is_live_on_its_first_day(today: date) -> None:
    employees = load_demo_org()["employees"]
    rows = demo_certifications(employees, today)
    assert rows == demo_certifications(employees, today)  # deterministic
    current = {(r.employee_id, r.type_id): r for r in rows}  # the latest period of each
    assert len(rows) > len(current)  # some carry the period they renewed
    status: Counter[str] = Counter()
    within: Counter[int] = Counter()
    for (_, type_id), r in current.items():
        ctype = DEMO_TYPES[type_id]
        assert r.issued_on < today and r.expires_on == valid_until(r.issued_on, ctype.validity_months)
        status[status_on(today, expires_on=r.expires_on, grace_days=ctype.grace_days)] += 1
        days = (r.expires_on - today).days if r.expires_on else None
        for limit in (7, 30, 60, 90):
            within[limit] += days is not None and 0 < days <= limit
    assert status["valid"] > 0.85 * len(current)
    assert 3 <= within[7] < within[30] < within[60] < within[90] <= 60
    assert 2 <= status["in_grace"] <= 10 and 3 <= status["expired"] <= 25
    days_left = {k: (current[k].expires_on - today).days for k in FORCED_DAYS_LEFT}  # type: ignore[operator]
    assert 0 < days_left[("E0103", "gcp-data-engineer")] <= 30 and days_left[("E0103", "infosec-awareness")] > 90
    assert 0 < days_left[("E0190", "first-aid-at-work")] <= 30
    assert -30 < days_left[("E0067", "infosec-awareness")] < 0  # in grace in Aoife Taylor's team


def test_regulated_types_go_to_plausible_roles() -> None:
    employees = load_demo_org()["employees"]
    rows = demo_certifications(employees, TODAY)
    by_type: dict[str, set[str]] = {}
    for r in rows:
        by_type.setdefault(r.type_id, set()).add(r.employee_id)
    dept = {e["employee_id"]: e for e in employees}
    assert {dept[e]["department"] for e in by_type["pci-dss-awareness"]} == {"payments"}
    assert {dept[e]["department"] for e in by_type["forklift-licence"]} == {"logistics"}
    assert {dept[e]["department"] for e in by_type["first-aid-at-work"]} >= {"logistics", "payments", "risk"}
    logistics = [e for e in employees if e["department"] == "logistics"]
    assert sum(e["employee_id"] in by_type["first-aid-at-work"] for e in logistics) > 0.1 * len(logistics)
    assert all(dept[e]["location"] != "Remote" for e in by_type["fire-warden"] | by_type["first-aid-at-work"])
    sanne = next(e for e in employees if e["employee_id"] == "E0103")
    assert held_types(sanne) == ["gcp-data-engineer", "infosec-awareness"]
    for r in rows:  # nobody holds a credential of the bank's own trainings; everyone else's has one
        assert (r.credential_id is None) == (r.type_id in ("pci-dss-awareness", "infosec-awareness"))


def test_the_demo_seeds_each_period_once_in_order() -> None:
    rows = demo_certifications(load_demo_org()["employees"], TODAY)
    seen: dict[tuple[str, str], date] = {}
    for r in rows:
        key = (r.employee_id, r.type_id)
        assert key not in seen or seen[key] < r.issued_on - timedelta(days=300)  # a renewal, a cycle later
        seen[key] = r.issued_on
