"""JSON API: the catalogue of certification types (read by everyone signed in; edited by admins, each edit a new
version) and the import of a certification registry (HR and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile

from review_console.api.models.certifications import (
    CertificationImportedPublic,
    CertificationTypePublic,
    CertificationTypeSaved,
    CertificationTypeUpdate,
    TypeIdPath,
)
from review_console.api.models.common import ListOf
from review_console.deps import AdminUser, CurrentUser, ReviewerUser, SvcDep, api_form_guard
from workflows import usecases
from workflows.usecases import certification_reports, certifications
from workflows.usecases.certification_import import ImportFormat, import_certifications

router = APIRouter(tags=["certifications"])

FORMAT_BY_SUFFIX: dict[str, ImportFormat] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
                                             ".json": "badge"}
"""The format a registry file's name says."""
FORMAT_WORDS: dict[ImportFormat, str] = {"csv": "CSV", "jsonl": "JSON Lines", "badge": "Open Badge (JSON)"}
"""Each format in words."""


def registry_text(filename: str, content: bytes, file_format: ImportFormat | None) -> tuple[str, ImportFormat]:
    """A registry file's text and format (given, or from its name: ``.csv``, ``.jsonl``/``.ndjson``, ``.json`` for
    an Open Badge).

    Raises:
        usecases.Invalid: No format given and a name that says none, an empty file, or text that is not UTF-8.
    """
    if file_format is None:
        lower = filename.lower()
        file_format = next((f for suffix, f in FORMAT_BY_SUFFIX.items() if lower.endswith(suffix)), None)
        if file_format is None:
            raise usecases.Invalid(f"{filename}: a certification registry is a CSV (.csv), JSON Lines (.jsonl) or "
                                   "Open Badge (.json) file")
    if not content.strip():
        raise usecases.Invalid(f"{filename} is empty")
    try:
        return content.decode("utf-8-sig"), file_format
    except UnicodeDecodeError as err:
        raise usecases.Invalid(f"{filename} is not UTF-8 text (byte {err.start})") from err


@router.get("/certification-types")
async def certification_types(svc: SvcDep, _: CurrentUser,
                              include_retired: bool = False) -> ListOf[CertificationTypePublic]:
    """The catalogue of certification types, by name (the version in force of each; retired ones only with
    ``include_retired``)."""
    found = await certifications.certification_types(svc, include_retired=include_retired)
    return ListOf(data=[CertificationTypePublic.model_validate(t.model_dump()) for t in found], count=len(found))


@router.get("/certification-types/{type_id}/versions")
async def certification_type_versions(type_id: TypeIdPath, svc: SvcDep,
                                      user: ReviewerUser) -> ListOf[CertificationTypePublic]:
    """Every version of a certification type, latest first, with who saved each when (HR reviewers and admins).
    404 when there is no such type."""
    found = await certification_reports.type_versions(svc, user.login, type_id)
    return ListOf(data=[CertificationTypePublic.model_validate(t.model_dump()) for t in found], count=len(found))


@router.put("/certification-types/{type_id}")
async def save_certification_type(type_id: TypeIdPath, body: CertificationTypeUpdate, svc: SvcDep,
                                  user: AdminUser) -> CertificationTypeSaved:
    """Add a certification type, or a version of one (admins): the type as it should be from now on. Nothing is
    overwritten: periods keep the version they were issued under; sending the type as it is adds no version
    (``changed`` false). 422 for an id that is not a slug (lower-case letters, digits, dashes) or a bad field."""
    version = await certifications.save_certification_type(svc, user.login, type_id, body.edit())
    if version is None:
        current = await certification_reports.type_versions(svc, user.login, type_id)
        return CertificationTypeSaved(type_id=type_id, version=current[0].version, changed=False)
    return CertificationTypeSaved(type_id=type_id, version=version, changed=True)


@router.post("/certifications/import", dependencies=[Depends(api_form_guard)])
async def import_registry(
        file: Annotated[UploadFile, File(description="A certification registry: CSV (.csv), JSON Lines (.jsonl), "
                                                     "one certification a line, or an Open Badge (.json).")],
        svc: SvcDep, user: ReviewerUser,
        file_format: Annotated[ImportFormat | None, Form(description="How to read the file; by default its name "
                                                                     "says (.csv, .jsonl, .json).")] = None,
) -> CertificationImportedPublic:
    """Import certifications (HR reviewers and admins): each line one person's certification of a type in the
    catalogue. Importing again updates, never duplicates: a later issue day is a renewal (a new period), the same
    one a correction. A file with any bad line is refused whole with 422 naming every bad line, and nothing is
    imported. With a session cookie the request needs the session's CSRF token in the ``X-CSRF-Token`` header."""
    name = file.filename or "the file"
    text, fmt = registry_text(name, await file.read(), file_format)
    result = await import_certifications(svc, user.login, text=text, file_format=fmt, source=name)
    return CertificationImportedPublic.model_validate(result.model_dump())
