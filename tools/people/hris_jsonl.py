"""Read employees and staffing requests from JSON Lines files, with errors that name the line.

Employees, one a line::

    {"employee_id": "E1", "work_history": [{"title": "Data Wrangler", "is_current": true, "years": 3,
      "responsibilities": ["Clean and analyse data ..."]}], "skills": ["Python", "SQL"]}

Requests, one a line::

    {"request_id": "R1", "title": null, "responsibilities": ["..."], "required_skills": ["SQL"]}

Extra fields are allowed and ignored. Files are read as a stream (one line in memory at a time) and
every line is capped at :data:`MAX_LINE_BYTES`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

MAX_LINE_BYTES = 1_000_000
"""Longest accepted line (bytes, newline excluded)."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]

def _number_to_str(value: object) -> object:
    """HRIS exports often carry numeric ids: accept them as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _none_to_empty_str(value: object) -> object:
    return "" if value is None else value


def _none_to_empty_list(value: object) -> object:
    return [] if value is None else value


OptionalText = Annotated[str, BeforeValidator(_none_to_empty_str), StringConstraints(strip_whitespace=True,
                                                                                     max_length=5000)]
Ident = Annotated[str, BeforeValidator(_number_to_str), StringConstraints(strip_whitespace=True, min_length=1,
                                                                          max_length=200)]


class JsonlError(ValueError):
    """A problem with one line of an input file; ``str()`` is a sentence naming file and line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{Path(self.path).name} line {line}" if line is not None else Path(self.path).name
        super().__init__(f"{where}: {message}")


class Job(BaseModel):
    """One entry of a work history."""

    model_config = ConfigDict(extra="ignore")

    title: OptionalText = ""
    """Job title as the HRIS has it (messy is fine; null means none)."""
    is_current: bool = False
    """Whether this is the job the person holds now."""
    years: float = Field(default=0, ge=0, le=80)
    """Years in the job."""
    responsibilities: Annotated[list[Text], BeforeValidator(_none_to_empty_list)] = Field(
        default_factory=list, max_length=500)
    """What they did, one statement each."""


class EmployeeRecord(BaseModel):
    """One employee as the matcher sees them."""

    model_config = ConfigDict(extra="ignore")

    employee_id: Ident
    """Unique id."""
    work_history: list[Job] = Field(min_length=1, max_length=200)
    """Jobs, most recent first (the one with ``is_current`` is the current job; else the first)."""
    skills: Annotated[list[Text], BeforeValidator(_none_to_empty_list)] = Field(default_factory=list,
                                                                                max_length=2000)
    """Skills and tools they list (null means none)."""

    @field_validator("work_history")
    @classmethod
    def _has_content(cls, jobs: list[Job]) -> list[Job]:
        if not any(j.title or j.responsibilities for j in jobs):
            raise ValueError("every job is empty: at least one job needs a title or a responsibility")
        return jobs

    def current_job(self) -> Job:
        """The job marked current, else the first listed."""
        return next((j for j in self.work_history if j.is_current), self.work_history[0])


class MatchRequest(BaseModel):
    """Who is wanted: a title and/or responsibilities and/or required skills."""

    model_config = ConfigDict(extra="ignore")

    request_id: Ident
    """Unique id."""
    title: Text | None = None
    """Job or role title, if any."""
    responsibilities: Annotated[list[Text], BeforeValidator(_none_to_empty_list)] = Field(
        default_factory=list, max_length=500)
    """What the person will do."""
    required_skills: Annotated[list[Text], BeforeValidator(_none_to_empty_list)] = Field(
        default_factory=list, max_length=500)
    """Skills the person must have."""
    occupations: Annotated[list[Text], BeforeValidator(_none_to_empty_list)] = Field(
        default_factory=list, max_length=20)
    """O*NET-SOC codes the work is grounded in, best first (a planned task's); they outweigh the guess from
    the text."""

    @model_validator(mode="after")
    def _not_empty(self) -> MatchRequest:
        if not (self.title or any(self.responsibilities) or any(self.required_skills)):
            raise ValueError("a request needs a title, a responsibility or a required skill")
        return self

    def text(self) -> str:
        """Title and responsibilities as one text."""
        return " ".join([self.title or "", *self.responsibilities]).strip()


M = TypeVar("M", bound=BaseModel)


def _describe(err: ValidationError) -> str:
    first = err.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in first["loc"])
    msg = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "missing":
        return f"missing field {loc!r}"
    extra = f" (and {err.error_count() - 1} more problems)" if err.error_count() > 1 else ""
    return f"{loc}: {msg}{extra}" if loc else f"{msg}{extra}"


def iter_jsonl(path: Path | str, model: type[M], *, id_field: str,
               max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[tuple[int, M]]:
    """Validated records of a JSON Lines file with their 1-based line numbers.

    Blank lines are skipped. Raises :class:`JsonlError` on the first bad line: unreadable file, a line
    over ``max_line_bytes``, bad UTF-8 or JSON, not an object, a missing/invalid field, or an id
    already seen on an earlier line.

    Args:
        path: The file.
        model: Pydantic model of one line.
        id_field: Field that must be unique across the file.
        max_line_bytes: Longest accepted line.
    """
    seen: dict[str, int] = {}
    try:
        fh = Path(path).open("rb")  # noqa: SIM115 - closed in finally; a generator must keep it open
    except OSError as err:
        raise JsonlError(path, None, f"cannot read the file ({err.strerror or err})") from err
    try:
        number = 0
        while True:
            raw = fh.readline(max_line_bytes + 2)
            if not raw:
                break
            number += 1
            if len(raw.rstrip(b"\r\n")) > max_line_bytes:
                raise JsonlError(path, number, f"line is longer than the {max_line_bytes:,}-byte limit")
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise JsonlError(path, number, f"not valid UTF-8 (byte {err.start})") from err
            try:
                value = json.loads(text)
            except json.JSONDecodeError as err:
                raise JsonlError(path, number, f"not valid JSON ({err.msg} at column {err.colno})") from err
            except RecursionError as err:
                raise JsonlError(path, number, "JSON nested too deeply") from err
            if not isinstance(value, dict):
                raise JsonlError(path, number, f"expected a JSON object, got {type(value).__name__}")
            if value.get(id_field) in (None, ""):
                raise JsonlError(path, number, f"missing {id_field!r}")
            try:
                record = model.model_validate(value)
            except ValidationError as err:
                raise JsonlError(path, number, _describe(err)) from err
            ident = str(getattr(record, id_field))
            if ident in seen:
                raise JsonlError(path, number, f"duplicate {id_field} {ident!r} (first on line {seen[ident]})")
            seen[ident] = number
            yield number, record
    except OSError as err:
        raise JsonlError(path, None, f"cannot read the file ({err.strerror or err})") from err
    finally:
        fh.close()
    if not seen:
        raise JsonlError(path, None, "no records: the file is empty")


def iter_employees(path: Path | str, *, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[EmployeeRecord]:
    """Employees of a JSON Lines file, validated, in file order (see :func:`iter_jsonl`)."""
    for _, record in iter_jsonl(path, EmployeeRecord, id_field="employee_id", max_line_bytes=max_line_bytes):
        yield record


def read_requests(path: Path | str, *, max_line_bytes: int = MAX_LINE_BYTES) -> list[MatchRequest]:
    """All requests of a JSON Lines file, validated (see :func:`iter_jsonl`)."""
    return [r for _, r in iter_jsonl(path, MatchRequest, id_field="request_id", max_line_bytes=max_line_bytes)]
