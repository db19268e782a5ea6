"""The cadence rules (status on a day, who is reminded when, a task window's standing) and the renewal checks."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from agents.certification_verifier import RenewalFacts, verify
from policies.certification_cadence import Reminder, reminders, status_on, window_standing
from tools.certifications.catalogue import add_months

EXPIRES = date(2027, 6, 30)


def test_status_moves_from_valid_to_expiring_to_grace_to_expired() -> None:
    def on(day: date) -> str:
        return status_on(day, expires_on=EXPIRES, grace_days=30)
    assert on(EXPIRES - timedelta(days=91)) == "valid"
    assert on(EXPIRES - timedelta(days=90)) == "expiring"
    assert on(EXPIRES - timedelta(days=1)) == "expiring"
    assert on(EXPIRES) == "in_grace"
    assert on(EXPIRES + timedelta(days=29)) == "in_grace"
    assert on(EXPIRES + timedelta(days=30)) == "expired"
    assert status_on(EXPIRES, expires_on=EXPIRES, grace_days=0) == "expired"
    assert status_on(date(2030, 1, 1), expires_on=None, grace_days=0) == "valid", "never expires"
    assert status_on(EXPIRES - timedelta(days=300), expires_on=EXPIRES, grace_days=30,
                     revoked_on=EXPIRES - timedelta(days=301)) == "revoked"


def test_reminders_at_each_offset_then_the_lapse_and_the_end_of_grace() -> None:
    planned = reminders(expires_on=EXPIRES, grace_days=30, offsets=[7, 90, 30, 60], planned_on=date(2027, 1, 1))
    assert [(r.key, r.on, r.audience) for r in planned] == [
        ("before:90", EXPIRES - timedelta(days=90), ("holder",)),
        ("before:60", EXPIRES - timedelta(days=60), ("holder",)),
        ("before:30", EXPIRES - timedelta(days=30), ("holder", "line_manager")),
        ("before:7", EXPIRES - timedelta(days=7), ("holder", "line_manager")),
        ("lapsed:0", EXPIRES, ("holder", "line_manager", "hr")),
        ("expired:-30", EXPIRES + timedelta(days=30), ("holder", "line_manager", "hr")),
    ]
    assert [r.key for r in reminders(expires_on=EXPIRES, grace_days=0, offsets=[30], planned_on=date(2027, 1, 1))] \
        == ["before:30", "lapsed:0"], "no grace: no separate expiry notice"


def test_a_certification_first_seen_late_gets_only_the_latest_missed_reminder() -> None:
    planned = reminders(expires_on=EXPIRES, grace_days=30, offsets=[90, 60, 30, 7],
                        planned_on=EXPIRES - timedelta(days=10))
    assert [r.key for r in planned] == ["before:30", "before:7", "lapsed:0", "expired:-30"]
    lapsed = reminders(expires_on=EXPIRES, grace_days=30, offsets=[90, 60, 30, 7],
                       planned_on=EXPIRES + timedelta(days=3))
    assert [r.key for r in lapsed] == ["lapsed:0", "expired:-30"], "the lapse notice alone, not the reminders before"
    expired = reminders(expires_on=EXPIRES, grace_days=30, offsets=[7], planned_on=EXPIRES + timedelta(days=40))
    assert [r.key for r in expired] == ["expired:-30"]


def test_window_standing_for_a_task() -> None:
    today, start, end = date(2027, 1, 1), date(2027, 2, 1), date(2027, 8, 1)

    def standing(expires: date | None, lead: int = 60, held: bool = True) -> str:
        return window_standing(today=today, start=start, end=end, expires_on=expires, grace_days=0,
                               renewal_lead_days=lead, held=held)
    assert standing(date(2028, 1, 1)) == "valid_through"
    assert standing(None) == "valid_through"
    assert standing(date(2027, 5, 1)) == "renew_in_time", "120 days to renew, 60 needed"
    assert standing(date(2027, 5, 1), lead=150) == "lapses_during"
    assert standing(date(2026, 12, 1)) == "expired"
    assert standing(date(2028, 1, 1), held=False) == "missing"


def facts(**changes: object) -> RenewalFacts:
    base: dict[str, object] = dict(
        type_name="CISSP", validity_months=36, holder_email="ana@example.com", current_issued_on=date(2024, 7, 1),
        current_expires_on=date(2027, 7, 1), grace_days=90, issued_on=date(2027, 6, 1), expires_on=date(2030, 6, 1),
        file_name="cissp.pdf", content_type="application/pdf", content=b"%PDF", today=date(2027, 6, 10))
    return RenewalFacts(**{**base, **changes})  # type: ignore[arg-type]


def test_a_plausible_renewal_passes_every_check() -> None:
    found = verify(facts())
    assert found.problems == [] and found.expires_on == date(2030, 6, 1)
    assert any("validity matches" in c for c in found.checked)


def test_each_implausible_renewal_is_named() -> None:
    problems = verify(facts(issued_on=date(2027, 7, 1), expires_on=date(2030, 7, 1))).problems
    assert any("in the future" in p for p in problems)
    problems = verify(facts(expires_on=date(2032, 6, 1))).problems
    assert any("valid for 36 months (until 01 June 2030)" in p for p in problems)
    problems = verify(facts(issued_on=date(2024, 1, 1), expires_on=date(2027, 1, 1))).problems
    assert any("before the certificate in force" in p for p in problems)
    assert any("does not expire after" in p for p in problems)
    problems = verify(facts(today=date(2027, 10, 15), issued_on=date(2027, 10, 1),
                            expires_on=date(2030, 10, 1))).problems
    assert any("grace period ended" in p for p in problems)
    assert verify(facts(content=b"")).problems == ["the evidence file is empty"]


def test_a_badge_must_name_the_certification_the_holder_and_the_dates() -> None:
    badge = {"type": ["VerifiableCredential", "OpenBadgeCredential"], "validFrom": "2027-06-01T00:00:00Z",
             "validUntil": "2030-06-01T00:00:00Z",
             "credentialSubject": {"identifier": [{"identityType": "emailAddress",
                                                   "identityHash": "ana@example.com"}],
                                   "achievement": {"name": "CISSP"}}}
    good = verify(facts(file_name="badge.json", content_type="application/json", content=json.dumps(badge).encode()))
    assert good.problems == [] and "the badge's signature was not verified" in good.checked
    other = {**badge, "credentialSubject": {**badge["credentialSubject"], "achievement": {"name": "CISM"}},
             "validUntil": "2031-06-01"}
    bad = verify(facts(file_name="badge.json", content_type="application/json", content=json.dumps(other).encode()))
    assert any("not CISSP" in p for p in bad.problems) and any("badge expires on" in p for p in bad.problems)


def test_months_are_calendar_months() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)


def test_a_certificates_words_are_read_and_compared_with_what_was_entered() -> None:
    from agents.certification_verifier import read_offline
    text = ("ISC2 certifies that Ana Silva has met the requirements of CISSP. Date of issue: 2027-06-01. "
            "Valid until: June 1, 2030")
    reading = read_offline(text, holder_name="Ana Silva", type_name="CISSP")
    assert reading.names_holder and reading.names_certification
    assert (reading.issued_on, reading.expires_on) == (date(2027, 6, 1), date(2030, 6, 1))
    assert verify(facts(holder_name="Ana Silva", reading=reading)).problems == []
    someone_else = read_offline(text.replace("Ana Silva", "Ana Souza"), holder_name="Ana Silva", type_name="CISSP")
    later = verify(facts(holder_name="Ana Silva", reading=someone_else, expires_on=date(2030, 7, 1))).problems
    assert "the certificate does not name Ana Silva" in later
    assert any("expiry date is 01 June 2030, not 01 July 2030" in p for p in later)


def test_a_models_reading_stands_only_with_dates_the_certificate_shows() -> None:
    import asyncio

    from pydantic_ai.messages import ModelMessage, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    from agents.certification_verifier import ReadingDeps, reading_agent, reading_prompt
    from agents.models import AgentModel
    from infra.settings import Settings

    answers = iter([{"names_holder": True, "names_certification": True, "expires_on": "2031-06-01"},
                    {"names_holder": True, "names_certification": True, "expires_on": "2030-06-01",
                     "dates": ["2030-06-01"]}])

    def model(_: list[ModelMessage], info: AgentInfo) -> Any:
        from pydantic_ai.messages import ModelResponse
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, next(answers))])

    config = Settings(model="function").agent_model("verify_certification_renewal")
    agent = reading_agent(AgentModel(config=config, model=FunctionModel(model, model_name="test")))
    text = "Ana Silva holds CISSP, valid until 2030-06-01"
    deps = ReadingDeps(text=text)
    result = asyncio.run(agent.run(reading_prompt(text, holder_name="Ana Silva", type_name="CISSP"), deps=deps))
    assert result.output.expires_on == date(2030, 6, 1)
    assert deps.problems == ["the certificate does not show 2031-06-01"], "the invented date was sent back"


def test_a_reminder_says_the_days_really_left() -> None:
    from policies.certification_cadence import describe
    late = next(r for r in reminders(expires_on=EXPIRES, grace_days=30, offsets=[30], planned_on=date(2027, 1, 1))
                if r.key == "before:30")
    words = describe(late, name="CISSP", expires_on=EXPIRES, grace_days=30, sent_on=EXPIRES - timedelta(days=21))
    assert words.startswith("CISSP expires on 30 June 2027 (in 21 days).")
    lapsed = Reminder(on=EXPIRES, kind="lapsed", days_before=0, audience=("holder",))
    assert "grace period until 29 July 2027" in describe(lapsed, name="CISSP", expires_on=EXPIRES, grace_days=30)
