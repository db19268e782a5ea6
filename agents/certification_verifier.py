"""The renewal verification agent (offline): checks a holder's renewed certificate against the registry and the
certification type before it becomes the certification's next period.

What it checks: the evidence file is there; the dates are plausible (issued no later than today, not before the
period in force, expiring after it, the validity the type has); the renewal is not after the grace period ended;
and, for an Open Badge (JSON), that the badge names this certification, this holder's e-mail and the same dates.
A PDF or image is not read: its content is the reviewer's to judge when the trust ramp samples the renewal (the
explanation says so). Signatures of Open Badges are not verified.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

PROMPT_VERSION = "renewal-checks/1"
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


@dataclass(frozen=True, kw_only=True)
class Finding:
    """What the checks found."""

    problems: list[str]
    """Each check that failed, in words (empty: verified)."""
    checked: list[str]
    """Each check that passed, in words."""
    expires_on: date | None
    """The expiry the next period gets (the certificate's, or the type's validity from the issue date)."""


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


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
    return Finding(problems=problems, checked=checked, expires_on=expires)


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
