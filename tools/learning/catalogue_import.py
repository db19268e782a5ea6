"""Import a learning catalogue from an LMS export: JSON Lines or CSV, validated whole before anything is written.

Each line (or CSV row) is one item: ``item_id``, ``title``, ``provider``, ``url`` (optional), ``skills`` (a list in
JSON; ``;``-separated in CSV), ``hours``, ``format`` (course, reading, video, workshop, practice; default course).
A file with any bad line is refused with every problem named by line; a good one is written in one transaction,
and importing it again updates the items (by ``item_id``) rather than adding them twice.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from infra.db import Connection
from infra.store import learning
from infra.store.learning import LearningItem
from tools.file_rows import jsonl_rows
from tools.taxonomy.skill_key import skill_key

MAX_ITEMS = 20_000
"""Items one file may hold."""
FileFormat = Literal["jsonl", "csv"]


class CatalogueFileError(ValueError):
    """The file is not a catalogue we can take; ``problems`` name each bad line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing was imported: " + "; ".join(problems[:20]))
        self.problems = problems


@dataclass(kw_only=True)
class ImportResult:
    """What an import did."""

    added: int = 0
    """New items."""
    updated: int = 0
    """Items already there, updated."""
    items: list[LearningItem] = field(default_factory=list)
    """The items of the file."""


def _problem(line: int, err: ValidationError | ValueError) -> str:
    if isinstance(err, ValidationError):
        parts = [f"{'.'.join(str(x) for x in e['loc']) or 'line'}: {e['msg']}" for e in err.errors()]
        return f"line {line}: " + "; ".join(parts)
    return f"line {line}: {err}"


def parse(text: str, file_format: FileFormat) -> list[LearningItem]:
    """The items of a catalogue file, or :class:`CatalogueFileError` naming every bad line."""
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[str] = []
    if file_format == "jsonl":
        rows, problems = jsonl_rows(text)
    else:
        reader = csv.DictReader(io.StringIO(text))
        missing = {"item_id", "title", "provider", "skills", "hours"} - set(reader.fieldnames or [])
        if missing:
            raise CatalogueFileError([f"line 1: the header lacks {', '.join(sorted(missing))}"])
        for n, row in enumerate(reader, start=2):
            skills = [s.strip() for s in (row.get("skills") or "").split(";") if s.strip()]
            rows.append((n, {**{k: v for k, v in row.items() if k and v not in (None, "")}, "skills": skills}))
    if len(rows) > MAX_ITEMS:
        raise CatalogueFileError([f"the file has {len(rows)} items; at most {MAX_ITEMS} at once"])
    items: list[LearningItem] = []
    seen: dict[str, int] = {}
    for n, row in rows:
        bad = sorted(k for k, v in row.items() if _has_control_characters(v))
        if bad:
            problems.append(f"line {n}: control characters (such as NUL) in {', '.join(bad)}")
            continue
        try:
            item = LearningItem.model_validate(row)
        except ValidationError as err:
            problems.append(_problem(n, err))
            continue
        if item.item_id in seen:
            problems.append(f"line {n}: item_id {item.item_id!r} is also on line {seen[item.item_id]}")
            continue
        seen[item.item_id] = n
        items.append(item)
    if not rows and not problems:
        problems.append("the file has no items")
    if problems:
        raise CatalogueFileError(sorted(problems, key=_line_number))
    return items


def _has_control_characters(value: Any) -> bool:
    """Whether a value (a string, or a list of them) holds a control character other than tab, which Postgres
    refuses (NUL) or no person typed."""
    if isinstance(value, str):
        return any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value)
    if isinstance(value, list):
        return any(_has_control_characters(v) for v in value)
    return False


def _line_number(problem: str) -> int:
    found = re.match(r"line (\d+)", problem)
    return int(found.group(1)) if found else 0


async def store(conn: Connection, items: list[LearningItem], *, source: str) -> ImportResult:
    """Write the items in one transaction (updating those already there)."""
    async with conn.transaction():
        added, updated = await learning.upsert(conn, items, [[skill_key(s) for s in i.skills] for i in items],
                                               source=source)
    return ImportResult(added=added, updated=updated, items=items)
