"""The renewal verification agent: checks a holder's renewed certificate against the registry and the certification
type before it becomes the certification's next period.

What it checks: the evidence file is there; the dates are plausible (issued no later than today, not before the
period in force, expiring after it, the validity the type has); the renewal is not after the grace period ended;
for an Open Badge (JSON), that the badge names this certification, this holder's e-mail and the same dates; for a
certificate with words (a PDF's text layer, a text file), that it names the holder and the certification and shows
the dates given. The words are read offline (names and dates found in the text) or, by configuration, by a model
(:func:`reading_agent`), whose reading is itself checked against the text before it counts. An image or a scanned
PDF is not read: a reviewer judges it when the trust ramp samples the renewal (the explanation says so).
Signatures of Open Badges are not verified.
"""

from __future__ import annotations

import calendar
import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel
from pydantic_ai import Agent

from agents.checked_agent import checked_agent
from agents.models import AgentModel
from tools.certifications.catalogue import add_months

PROMPT_VERSION = "renewal-checks/2"
"""Version of the checks, for the trust ramp's fingerprint."""
VALIDITY_SLACK_DAYS = 31
"""How far a certificate's expiry may differ from the type's validity (issuers round to month ends)."""


@dataclass(frozen=True, kw_only=True)
class RenewalFacts:
    """What the verification looks at."""

    type_name: str
    """The certification type's name."""
    validity_months: int | None
    """The type's validity (None: never expires)."""
    holder_email: str | None
    """The holder's e-mail (an Open Badge names its subject by it)."""
    current_issued_on: date
    """The period in force: issued."""
    current_expires_on: date | None
    """The period in force: expires."""
    grace_days: int
    """The period's grace days."""
    issued_on: date
    """The renewal: issued."""
    expires_on: date | None
    """The renewal: expires."""
    file_name: str
    """The evidence file's name."""
    content_type: str
    """Its content type."""
    content: bytes
    """Its content."""
    today: date
    """The day of the check (the workflow's)."""
    holder_name: str = ""
    """The holder's name (a certificate names its holder)."""
    reading: CertificateReading | None = None
    """What the certificate's words say (None: it has no words we can read)."""


class CertificateReading(BaseModel):
    """What a certificate's words say, as read offline or by a model."""

    names_holder: bool
    """It names the holder."""
    names_certification: bool
    """It names the certification."""
    issued_on: date | None = None
    """The issue date it states (None: not stated, or not told apart from other dates)."""
    expires_on: date | None = None
    """The expiry date it states (None: not stated, or not told apart from other dates)."""
    dates: list[date] = []
    """Every date it shows."""


@dataclass(frozen=True, kw_only=True)
class Finding:
    """What the checks found."""

    problems: list[str]
    """Each check that failed, in words (empty: verified)."""
    checked: list[str]
    """Each check that passed, in words."""
    expires_on: date | None
    """The expiry the next period gets (the certificate's, or the type's validity from the issue date)."""


def verify(f: RenewalFacts) -> Finding:
    """Check a renewal; every failed check is named."""
    problems: list[str] = []
    checked: list[str] = []
    if not f.content:
        problems.append("the evidence file is empty")
    if f.issued_on > f.today:
        problems.append(f"the issue date {f.issued_on:%d %B %Y} is in the future")
    if f.issued_on < f.current_issued_on:
        problems.append(f"it was issued before the certificate in force ({f.current_issued_on:%d %B %Y})")
    if f.expires_on is None and f.reading is not None and f.reading.expires_on is not None:
        checked.append(f"no expiry given: the certificate's, {f.reading.expires_on:%d %B %Y}, is taken")
        f = replace(f, expires_on=f.reading.expires_on)
    expected = add_months(f.issued_on, f.validity_months) if f.validity_months else None
    expires = f.expires_on or expected
    if f.expires_on is None and expected is not None:
        checked.append(f"no expiry given: the type's {f.validity_months} months make it {expected:%d %B %Y}")
    elif f.expires_on is not None and expected is not None:
        off = abs((f.expires_on - expected).days)
        if off > VALIDITY_SLACK_DAYS:
            problems.append(f"it expires on {f.expires_on:%d %B %Y}, but a {f.type_name} issued on "
                            f"{f.issued_on:%d %B %Y} is valid for {f.validity_months} months (until "
                            f"{expected:%d %B %Y})")
        else:
            checked.append(f"its validity matches the type's {f.validity_months} months")
    if expires is not None and f.current_expires_on is not None and expires <= f.current_expires_on:
        problems.append(f"it does not expire after the certificate in force ({f.current_expires_on:%d %B %Y})")
    if f.current_expires_on is not None:
        grace_end = f.current_expires_on + timedelta(days=f.grace_days)
        if f.today > grace_end:
            problems.append(f"the grace period ended on {grace_end:%d %B %Y}: this is a new certification, "
                            "not a renewal")
        else:
            checked.append("submitted before the grace period ended")
    if f.content_type == "application/json" or f.file_name.lower().endswith(".json"):
        _check_badge(f, problems, checked)
    elif f.reading is not None:
        _check_reading(f, f.reading, problems, checked)
    return Finding(problems=problems, checked=checked, expires_on=expires)


def _check_reading(f: RenewalFacts, r: CertificateReading, problems: list[str], checked: list[str]) -> None:
    """The certificate's words against what the holder entered."""
    if r.names_holder:
        checked.append(f"the certificate names {f.holder_name}")
    else:
        problems.append(f"the certificate does not name {f.holder_name or 'the holder'}")
    if r.names_certification:
        checked.append(f"the certificate names {f.type_name}")
    else:
        problems.append(f"the certificate does not name {f.type_name}")
    for what, given, stated in (("issue", f.issued_on, r.issued_on), ("expiry", f.expires_on, r.expires_on)):
        if given is None:
            continue
        if stated is not None and stated != given:
            problems.append(f"the certificate's {what} date is {stated:%d %B %Y}, not {given:%d %B %Y}")
        elif given in r.dates or stated == given:
            checked.append(f"the certificate shows the {what} date {given:%d %B %Y}")
        else:
            problems.append(f"the certificate does not show the {what} date given ({given:%d %B %Y})")


_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_DATE_PATTERNS = (
    re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),                                  # 2030-06-01
    re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b"),                         # 01/06/2030 (day first)
    re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})\b"),                   # 1 June 2030
    re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b"),                 # June 1, 2030
)
_EXPIRY_WORDS = re.compile(r"(valid\s+(until|through|thru)|expir\w*|valid\s+to)\W*$", re.I)
_ISSUE_WORDS = re.compile(r"(issued(\s+on)?|date\s+of\s+issue|awarded(\s+on)?|certified\s+on|valid\s+from)\W*$",
                          re.I)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def _dates_in(text: str) -> list[tuple[int, date]]:
    """Each date in ``text`` with where it starts."""
    found: list[tuple[int, date]] = []
    for n, pattern in enumerate(_DATE_PATTERNS):
        for m in pattern.finditer(text):
            a, b, c = m.groups()
            try:
                if n == 0:
                    day = date(int(a), int(b), int(c))
                elif n == 1:
                    day = date(int(c), int(b), int(a))
                elif n == 2:
                    day = date(int(c), _MONTHS[b.lower()], int(a))
                else:
                    day = date(int(c), _MONTHS[a.lower()], int(b))
            except (KeyError, ValueError):
                continue
            found.append((m.start(), day))
    return sorted(found)


def read_offline(text: str, *, holder_name: str, type_name: str) -> CertificateReading:
    """What a certificate's words say, found without a model: the names as words, every date, and which date
    follows "valid until" / "expires" or "issued" / "date of issue"."""
    folded = _fold(" ".join(text.split()))
    names_holder = bool(holder_name) and all(
        re.search(rf"\b{re.escape(part)}\b", folded) for part in _fold(holder_name).split() if len(part) > 1)
    names_cert = _fold(type_name) in folded or all(
        re.search(rf"\b{re.escape(w)}\b", folded) for w in _fold(type_name).split() if len(w) > 2)
    flat = " ".join(text.split())
    dated = _dates_in(flat)
    issued = next((d for at, d in dated if _ISSUE_WORDS.search(flat[max(0, at - 40):at])), None)
    expires = next((d for at, d in dated if _EXPIRY_WORDS.search(flat[max(0, at - 40):at])), None)
    return CertificateReading(names_holder=names_holder, names_certification=names_cert, issued_on=issued,
                              expires_on=expires, dates=sorted({d for _, d in dated}))


@dataclass(kw_only=True)
class ReadingDeps:
    """What a model's reading is checked against, and the problems it was sent back with."""

    text: str
    """The certificate's words."""
    problems: list[str] = field(default_factory=list)
    """Problems found in earlier answers."""


READING_INSTRUCTIONS = """You read the words of a professional certificate and say what it states: whether it names
the given holder and the given certification, its issue date and its expiry date (null when it does not state one),
and every date it shows. Report only what the text says; never guess a date."""


def reading_problems(deps: ReadingDeps, reading: CertificateReading) -> list[str]:
    """A model's reading must only state dates the certificate shows."""
    shown = {d for _, d in _dates_in(" ".join(deps.text.split()))}
    stated = [d for d in (reading.issued_on, reading.expires_on, *reading.dates) if d is not None]
    return [f"the certificate does not show {d.isoformat()}" for d in dict.fromkeys(stated) if d not in shown]


def reading_prompt(text: str, *, holder_name: str, type_name: str) -> str:
    """The model's prompt: who and what to look for, and the certificate's words."""
    return f"Holder: {holder_name}\nCertification: {type_name}\nCertificate text:\n---\n{text}\n---"


def reading_agent(model: AgentModel) -> Agent[ReadingDeps, CertificateReading]:
    """An agent that reads a certificate with ``model``; its readings are checked against the text."""
    return checked_agent(model, name="verify_certification_renewal", instructions=READING_INSTRUCTIONS,
                         deps_type=ReadingDeps, output_type=CertificateReading, check=reading_problems)


def _check_badge(f: RenewalFacts, problems: list[str], checked: list[str]) -> None:
    """An Open Badge (3.0, or 2.0's field names): it must name this certification, holder and dates."""
    try:
        badge = json.loads(f.content)
    except (ValueError, UnicodeDecodeError):
        problems.append("the file says it is JSON but does not parse")
        return
    if not isinstance(badge, dict):
        problems.append("the JSON file is not an Open Badge credential")
        return
    subject = badge.get("credentialSubject") or badge.get("recipient") or {}
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    name = str((achievement or {}).get("name") or badge.get("name") or "")
    if f.type_name.lower() not in name.lower() and name.lower() not in f.type_name.lower():
        problems.append(f"the badge is for “{name or 'an unnamed achievement'}”, not {f.type_name}")
    else:
        checked.append(f"the badge names {f.type_name}")
    emails = _emails(subject)
    if f.holder_email and emails and f.holder_email.lower() not in emails:
        problems.append("the badge was issued to someone else (its subject's e-mail differs)")
    elif emails:
        checked.append("the badge names the holder's e-mail")
    valid_from = _day(badge.get("validFrom") or badge.get("issuanceDate") or badge.get("issuedOn"))
    valid_until = _day(badge.get("validUntil") or badge.get("expirationDate") or badge.get("expires"))
    if valid_from is not None and valid_from != f.issued_on:
        problems.append(f"the badge was issued on {valid_from:%d %B %Y}, not {f.issued_on:%d %B %Y}")
    if valid_until is not None and f.expires_on is not None and valid_until != f.expires_on:
        problems.append(f"the badge expires on {valid_until:%d %B %Y}, not {f.expires_on:%d %B %Y}")
    checked.append("the badge's signature was not verified")


def _emails(subject: Any) -> set[str]:
    if not isinstance(subject, dict):
        return set()
    found = {str(subject.get("email") or "").lower()} | {
        str(i.get("identityHash") or "").removeprefix("mailto:").lower()
        for i in subject.get("identifier") or [] if isinstance(i, dict) and i.get("identityType") == "emailAddress"}
    return {e for e in found if "@" in e}


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
