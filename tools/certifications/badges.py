"""Read Open Badges as certification records: an Open Badges 3.0 ``OpenBadgeCredential`` (a W3C verifiable
credential), a list of them, a verifiable presentation holding them, or the same as a compact JWT; Open Badges 2.0
assertions are read too.

* the holder: the credential subject's ``identifier`` of type ``emailAddress`` (plain or hashed with its salt),
  ``credentialSubject.email``, or a ``mailto:`` subject id; OB 2.0's ``recipient`` (plain or hashed);
* the type: the achievement's (OB 2.0: the badge class's) name, or its id or name looked up in ``mapping``
  (achievement name or id → type id), then matched to a type's id or exact name when the file is stored;
* the dates: ``validFrom``/``validUntil`` (VC 1.1: ``issuanceDate``/``expirationDate``; OB 2.0:
  ``issuedOn``/``expires``); a missing expiry is the issue date plus the type's validity;
* the credential's ``id`` becomes the certification's credential id and the period's evidence reference
  (evidence kind ``badge``).

Signatures (``proof``, JWS) and revocation status (``credentialStatus``) are NOT verified: a badge is taken as the
file states it, like a line of an export. Whoever imports it vouches for it, and the import's result says so.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from tools.certifications.import_file import CertificationFileError, CertificationRow, line_number, row_from, today_utc

NOT_VERIFIED = ("Open Badge signatures and revocation status were not verified: the badges were taken as the file "
                "states them.")
"""What an import of badges says about their proofs."""
MAX_CREDENTIALS = 5_000
"""Credentials one file may hold."""
_OB3_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})


def _types(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    return {t for t in value if isinstance(t, str)} if isinstance(value, list) else set()


def _jwt_payload(token: str, number: int) -> Any:
    """The payload of a compact JWS (VC-JWT), not verified; its ``vc`` claim when it has one."""
    try:
        body = token.split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (IndexError, ValueError, binascii.Error):
        raise CertificationFileError([f"credential {number}: neither JSON nor a JWT"]) from None
    return payload.get("vc", payload) if isinstance(payload, dict) else payload


def _credentials(text: str) -> list[Any]:
    """The credentials of a file: one object, a list, a presentation, or a JWT per line."""
    stripped = text.strip()
    if not stripped:
        raise CertificationFileError(["the file has no credentials"])
    if stripped[0] not in "[{":
        tokens = [line.strip() for line in stripped.splitlines() if line.strip()]
        return [_jwt_payload(token, n) for n, token in enumerate(tokens, start=1)]
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as err:
        raise CertificationFileError([f"line {err.lineno}: not JSON ({err.msg})"]) from None
    if isinstance(value, dict) and "VerifiablePresentation" in _types(value.get("type")):
        inner = value.get("verifiableCredential") or []
        value = inner if isinstance(inner, list) else [inner]
    return value if isinstance(value, list) else [value]


def _email(credential: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The holder's e-mail (or its hash) and the hash's salt."""
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    if isinstance(subject, Mapping):
        identifiers = subject.get("identifier") or []
        for ident in identifiers if isinstance(identifiers, list) else [identifiers]:
            if isinstance(ident, Mapping) and ident.get("identityType") == "emailAddress" \
                    and isinstance(ident.get("identityHash"), str):
                return ident["identityHash"], (ident.get("salt") or "") if ident.get("hashed") else None
        if isinstance(subject.get("email"), str):
            return subject["email"], None
        if isinstance(subject.get("id"), str) and subject["id"].startswith("mailto:"):
            return subject["id"].removeprefix("mailto:"), None
    recipient = credential.get("recipient")  # Open Badges 2.0
    if isinstance(recipient, Mapping) and recipient.get("type") == "email" and isinstance(recipient.get("identity"),
                                                                                          str):
        return recipient["identity"], (recipient.get("salt") or "") if recipient.get("hashed") else None
    return None, None


def _achievement(credential: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The achievement's (badge class's) name and id."""
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    found = subject.get("achievement") if isinstance(subject, Mapping) else credential.get("badge")
    if isinstance(found, str):  # OB 2.0: the badge class by its URL only
        return None, found
    if not isinstance(found, Mapping):
        return None, None
    name, ident = found.get("name"), found.get("id")
    return (name if isinstance(name, str) else None), (ident if isinstance(ident, str) else None)


def _row(credential: Any, where: str, *, mapping: Mapping[str, str], today: date) -> CertificationRow:
    """One credential as a row.

    Raises:
        ValueError: Why it cannot be one.
    """
    if not isinstance(credential, Mapping):
        raise ValueError("not a JSON object")
    kinds = _types(credential.get("type"))
    ob2 = "Assertion" in kinds
    if not (kinds & _OB3_TYPES or ob2):
        raise ValueError("not an Open Badge (its type is neither OpenBadgeCredential nor an OB 2.0 Assertion)")
    email, salt = _email(credential)
    if email is None:
        raise ValueError("no e-mail identifies the holder (credentialSubject.identifier of type emailAddress)")
    name, achievement_id = _achievement(credential)
    type_ref = mapping.get(name or "") or mapping.get(achievement_id or "") or name
    if not type_ref:
        raise ValueError(f"the achievement has no name{f' ({achievement_id})' if achievement_id else ''};"
                         " map it to a type")
    issued_key, expires_key = ("issuedOn", "expires") if ob2 else ("validFrom", "validUntil")
    issued = credential.get(issued_key) or credential.get("issuanceDate")
    expires = credential.get(expires_key) or credential.get("expirationDate")
    if not issued:
        raise ValueError(f"{issued_key}: missing (the day the badge was issued)")
    ident = credential.get("id") if isinstance(credential.get("id"), str) else None
    row = row_from({"email": email, "type_id": type_ref, "credential_id": ident, "issued_on": issued,
                    "expires_on": expires, "evidence_ref": ident}, where, today=today)
    return dataclasses.replace(row, evidence_kind="badge", identity_salt=salt)


def parse_badges(text: str, *, mapping: Mapping[str, str] | None = None,
                 today: date | None = None) -> list[CertificationRow]:
    """The certifications a file of Open Badges states (signatures not verified).

    Args:
        text: One credential (JSON), a JSON list, a verifiable presentation, or compact JWTs one per line.
        mapping: Achievement name or id → certification type id, for badges whose name is not a type's.
        today: Today, for refusing issue dates in the future.

    Raises:
        CertificationFileError: Naming every credential that cannot be read (``credential N``, from 1).
    """
    today = today or today_utc()
    credentials = _credentials(text)
    if len(credentials) > MAX_CREDENTIALS:
        raise CertificationFileError([f"the file has {len(credentials)} credentials; at most {MAX_CREDENTIALS}"])
    rows: list[CertificationRow] = []
    problems: list[str] = []
    for n, credential in enumerate(credentials, start=1):
        try:
            rows.append(_row(credential, f"credential {n}", mapping=mapping or {}, today=today))
        except ValueError as err:
            problems.append(f"credential {n}: {err}")
    if not credentials:
        problems.append("the file has no credentials")
    if problems:
        raise CertificationFileError(sorted(problems, key=line_number))
    return rows
