"""The learning catalogue: import an LMS export (admins), read how many items it has."""

from __future__ import annotations

from infra.store import learning
from infra.store.users import User
from tools.learning import catalogue_import
from tools.learning.catalogue_import import CatalogueFileError, FileFormat, ImportResult
from workflows.usecases.context import Services
from workflows.usecases.errors import Forbidden, Invalid

MAX_BYTES = 20 * 1024 * 1024
"""Largest catalogue file taken at once."""


class CatalogueInvalid(Invalid):
    """A catalogue file refused whole; ``problems`` names each bad line, in line order."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


def file_format(filename: str) -> FileFormat:
    """The format a file's name says (``.jsonl``/``.ndjson`` or ``.csv``).

    Raises:
        Invalid: Any other name.
    """
    lower = filename.lower()
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lower.endswith(".csv"):
        return "csv"
    raise Invalid(f"{filename}: a catalogue is a JSON Lines (.jsonl) or CSV (.csv) file")


async def import_catalogue(svc: Services, user: User, *, filename: str, content: bytes) -> ImportResult:
    """Import a catalogue file whole (every bad line named, nothing written) or not at all; re-imports update.

    Raises:
        Forbidden: ``user`` is not an admin.
        Invalid: The file is not a catalogue (the message names each bad line).
    """
    if user.role != "admin":
        raise Forbidden("only admins import the learning catalogue")
    fmt = file_format(filename)
    if len(content) > MAX_BYTES:
        raise Invalid(f"{filename} is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise Invalid(f"{filename} is not UTF-8 text (byte {err.start})") from err
    try:
        items = catalogue_import.parse(text, fmt)
    except CatalogueFileError as err:
        raise CatalogueInvalid(str(err), err.problems) from err
    async with svc.pool.acquire() as conn:
        return await catalogue_import.store(conn, items, source=filename)


async def catalogue_size(svc: Services) -> int:
    """Items in the catalogue."""
    return await learning.count(svc.pool)
