"""HTML pages for admins: the catalogue of certification types (each with its validity, grace, renewal lead time and
version; adding a type; editing one adds a version, with the version history), and importing a certification
registry (CSV, JSON Lines or an Open Badge), every bad line named on refusal, the counts on success."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from infra.store.certifications import TYPE_ID, CertificationType
from infra.store.users import User
from review_console.api.certification_types import FORMAT_WORDS, registry_text
from review_console.api.models.certifications import CertificationTypeUpdate
from review_console.deps import AdminUser, SvcDep
from review_console.pages.rendering import render
from workflows import usecases
from workflows.usecases import certification_reports, certifications
from workflows.usecases.certification_import import CertificationImportResult, ImportFormat, import_certifications

router = APIRouter(prefix="/admin/certifications", include_in_schema=False)

TYPE_FIELDS = ("type_id", "name", "issuer", "validity_months", "grace_days", "renewal_lead_days", "skills",
               "keywords", "retired")
"""A type form's fields."""
FIELD_HELP = {
    "name": "give the certification's name", "issuer": "give who issues it",
    "validity_months": "a whole number of months between 1 and 240, or empty when it never expires",
    "grace_days": "a whole number of days between 0 and 365", "renewal_lead_days":
        "a whole number of days between 0 and 730", "skills": "at most 20 skills", "keywords": "at most 20 words"}
"""What each field takes, said when it is refused."""
FORMATS: dict[str, ImportFormat | None] = {"": None, "csv": "csv", "jsonl": "jsonl", "badge": "badge"}
"""The import form's format choice (empty: from the file's name)."""


def validity_words(months: int | None) -> str:
    """``3 years`` / ``18 months`` / ``Never expires``."""
    if months is None:
        return "Never expires"
    if months % 12 == 0:
        years = months // 12
        return f"{years} year" + ("" if years == 1 else "s")
    return f"{months} month" + ("" if months == 1 else "s")


def listed(text: str) -> list[str]:
    """A comma- or semicolon-separated field as a list (blanks dropped)."""
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


@dataclass(kw_only=True)
class TypeForm:
    """A type form as sent (kept to fill the form again) and what is wrong with it, field by field."""

    values: dict[str, str] = field(default_factory=dict)
    """What was typed, by field."""
    errors: dict[str, str] = field(default_factory=dict)
    """What is wrong, by field (``form``: nothing in particular)."""

    @classmethod
    def of(cls, t: CertificationType) -> TypeForm:
        """The form filled with a type's version in force."""
        return cls(values={
            "type_id": t.type_id, "name": t.name, "issuer": t.issuer,
            "validity_months": "" if t.validity_months is None else str(t.validity_months),
            "grace_days": str(t.grace_days), "renewal_lead_days": str(t.renewal_lead_days),
            "skills": ", ".join(t.skills), "keywords": ", ".join(t.keywords), "retired": "on" if t.retired else ""})

    def parsed(self) -> CertificationTypeUpdate | None:
        """The type the form says, or None with ``errors`` filled."""
        v = self.values
        numbers: dict[str, int | None] = {}
        for name, blank in (("validity_months", None), ("grace_days", 0), ("renewal_lead_days", 60)):
            text = v.get(name, "").strip()
            try:
                numbers[name] = int(text) if text else blank
            except ValueError:
                self.errors[name] = FIELD_HELP[name]
        if self.errors:
            return None
        try:
            return CertificationTypeUpdate.model_validate({
                "name": v.get("name", ""), "issuer": v.get("issuer", ""), **numbers,
                "skills": listed(v.get("skills", "")), "keywords": listed(v.get("keywords", "")),
                "retired": v.get("retired") == "on"})
        except ValidationError as err:
            for problem in err.errors():
                where = str(problem["loc"][0]) if problem["loc"] else "form"
                self.errors.setdefault(where, FIELD_HELP.get(where, problem["msg"]))
            return None


@dataclass(frozen=True, kw_only=True)
class ImportOutcome:
    """What the import form shows after a file was sent."""

    filename: str
    """The file sent."""
    result: CertificationImportResult | None = None
    """What the import did (None: refused)."""
    problems: list[str] | None = None
    """Why it was refused: every bad line (or one sentence for the file)."""


def counts_words(r: CertificationImportResult) -> str:
    """What an import did, in a sentence: ``12 records: 3 new certifications, 1 corrected, 0 renewed, 8 already
    there``."""
    return (f"{r.rows} record{'s' if r.rows != 1 else ''}: {r.added} new certification{'s' if r.added != 1 else ''}"
            f", {r.updated} corrected, {r.renewed} renewed (earlier periods kept), {r.unchanged} already there")


async def _list_page(request: Request, svc: usecases.Services, user: User, *, status_code: int = 200,
                     new: TypeForm | None = None, outcome: ImportOutcome | None = None) -> Response:
    types = await certifications.certification_types(svc, include_retired=True)
    return render(request, "admin_certifications.html", status_code=status_code, user=user, types=types,
                  new=new or TypeForm(values={"grace_days": "0", "renewal_lead_days": "60"}), outcome=outcome,
                  validity_words=validity_words, formats=FORMAT_WORDS, counts_words=counts_words,
                  upload_limit=svc.settings.max_request_body_bytes)


async def _type_page(request: Request, svc: usecases.Services, user: User, type_id: str, *,
                     status_code: int = 200, form: TypeForm | None = None, saved: str | None = None) -> Response:
    versions = await certification_reports.type_versions(svc, user.login, type_id)
    return render(request, "admin_certification_type.html", status_code=status_code, user=user,
                  current=versions[0], versions=versions, form=form or TypeForm.of(versions[0]), saved=saved,
                  validity_words=validity_words)


@router.get("")
async def certification_types_page(request: Request, svc: SvcDep, user: AdminUser) -> Response:
    """The catalogue of certification types (retired ones too), a form to add one, and the registry import."""
    return await _list_page(request, svc, user)


@router.post("")
async def add_certification_type(request: Request, svc: SvcDep, user: AdminUser,
                                 type_id: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
                                 issuer: Annotated[str, Form()] = "", validity_months: Annotated[str, Form()] = "",
                                 grace_days: Annotated[str, Form()] = "",
                                 renewal_lead_days: Annotated[str, Form()] = "",
                                 skills: Annotated[str, Form()] = "", keywords: Annotated[str, Form()] = "",
                                 retired: Annotated[str, Form()] = "") -> Response:
    """Add a type from the page: to its page when saved, or the list again (422) with each error next to its field
    and what was typed kept."""
    form = TypeForm(values={"type_id": type_id.strip(), "name": name, "issuer": issuer,
                            "validity_months": validity_months, "grace_days": grace_days,
                            "renewal_lead_days": renewal_lead_days, "skills": skills, "keywords": keywords,
                            "retired": retired})
    slug = type_id.strip()
    if not TYPE_ID.match(slug):
        form.errors["type_id"] = ("an id is lower-case letters, digits and dashes, starting with a letter or digit "
                                  "(for example first-aid-at-work)")
    elif any(t.type_id == slug for t in await certifications.certification_types(svc, include_retired=True)):
        form.errors["type_id"] = "there is a type with this id already; edit it in the list instead"
    edit = form.parsed()
    if edit is None or form.errors:
        return await _list_page(request, svc, user, status_code=422, new=form)
    try:
        await certifications.save_certification_type(svc, user.login, slug, edit.edit())
    except usecases.Invalid as err:
        form.errors["type_id"] = err.message
        return await _list_page(request, svc, user, status_code=err.status, new=form)
    return RedirectResponse(f"/admin/certifications/types/{slug}?saved=added", status_code=303)


@router.post("/import")
async def import_registry_page(request: Request, svc: SvcDep, user: AdminUser,
                               file: Annotated[UploadFile | None, File()] = None,
                               file_format: Annotated[str, Form()] = "") -> Response:
    """Import a certification registry from the page: the list again with the counts, or (422) with every bad line
    of the file listed next to the form."""
    if file is None or not file.filename:
        outcome = ImportOutcome(filename="", problems=["choose a registry file (.csv, .jsonl or .json) first"])
        return await _list_page(request, svc, user, status_code=422, outcome=outcome)
    name = file.filename
    if file_format not in FORMATS:
        outcome = ImportOutcome(filename=name, problems=["choose CSV, JSON Lines or Open Badge as the format"])
        return await _list_page(request, svc, user, status_code=422, outcome=outcome)
    try:
        text, fmt = registry_text(name, await file.read(), FORMATS[file_format])
        result = await import_certifications(svc, user.login, text=text, file_format=fmt, source=name)
    except usecases.Invalid as err:
        problems: list[str] = list(getattr(err, "problems", None) or [err.message])
        outcome = ImportOutcome(filename=name, problems=problems)
        return await _list_page(request, svc, user, status_code=err.status, outcome=outcome)
    outcome = ImportOutcome(filename=name, result=result)
    return await _list_page(request, svc, user, outcome=outcome)


@router.get("/types/{type_id}")
async def certification_type_page(request: Request, type_id: str, svc: SvcDep, user: AdminUser,
                                  saved: Literal["added", "saved", "unchanged"] | None = None) -> Response:
    """One type: the edit form (saving adds a version) and every version, latest first."""
    return await _type_page(request, svc, user, type_id, saved=saved)


@router.post("/types/{type_id}")
async def edit_certification_type(request: Request, type_id: str, svc: SvcDep, user: AdminUser,
                                  name: Annotated[str, Form()] = "", issuer: Annotated[str, Form()] = "",
                                  validity_months: Annotated[str, Form()] = "",
                                  grace_days: Annotated[str, Form()] = "",
                                  renewal_lead_days: Annotated[str, Form()] = "",
                                  skills: Annotated[str, Form()] = "", keywords: Annotated[str, Form()] = "",
                                  retired: Annotated[str, Form()] = "") -> Response:
    """Save a type from its page (a new version when anything changed): its page again saying so, or (422) with
    each error next to its field and what was typed kept."""
    await certification_reports.type_versions(svc, user.login, type_id)  # 404 for a type that does not exist
    form = TypeForm(values={"type_id": type_id, "name": name, "issuer": issuer, "validity_months": validity_months,
                            "grace_days": grace_days, "renewal_lead_days": renewal_lead_days, "skills": skills,
                            "keywords": keywords, "retired": retired})
    edit = form.parsed()
    if edit is None:
        return await _type_page(request, svc, user, type_id, status_code=422, form=form)
    version = await certifications.save_certification_type(svc, user.login, type_id, edit.edit())
    return RedirectResponse(f"/admin/certifications/types/{type_id}?saved={'saved' if version else 'unchanged'}",
                            status_code=303)
