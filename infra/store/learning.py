"""The learning catalogue (table ``learning_items``): what an onboarding plan may ask someone to learn."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from infra.db import Connection, Queryable

LearningFormat = Literal["course", "reading", "video", "workshop", "practice"]
FORMATS: tuple[LearningFormat, ...] = ("course", "reading", "video", "workshop", "practice")


class LearningItem(BaseModel):
    """One item of the catalogue."""

    item_id: str = Field(min_length=1, max_length=100)
    """The LMS's id (stable across re-imports)."""
    title: str = Field(min_length=1, max_length=300)
    """What it is called."""
    provider: str = Field(min_length=1, max_length=200)
    """Who offers it."""
    url: str | None = Field(default=None, max_length=2000)
    """Where to take it, if online."""
    skills: list[str] = Field(min_length=1, max_length=20)
    """Skills it teaches (names)."""
    hours: float = Field(gt=0, le=1000)
    """Expected effort."""
    format: LearningFormat = "course"
    """Course, reading, video, workshop or practice."""


async def upsert(conn: Connection, items: Sequence[LearningItem], keys: Sequence[list[str]], *,
                 source: str) -> tuple[int, int]:
    """Insert or update items by id (``keys``: each item's normalised skill keys); ``(added, updated)``."""
    added = updated = 0
    for item, item_keys in zip(items, keys, strict=True):
        inserted: bool = await conn.fetchval(
            "INSERT INTO learning_items (item_id, title, provider, url, skills, skill_keys, hours, format, source)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (item_id) DO UPDATE SET title = $2,"
            " provider = $3, url = $4, skills = $5, skill_keys = $6, hours = $7, format = $8, source = $9,"
            " imported_at = now() RETURNING xmax = 0",
            item.item_id, item.title, item.provider, item.url, item.skills, item_keys, item.hours, item.format,
            source)
        added, updated = (added + 1, updated) if inserted else (added, updated + 1)
    return added, updated


class CatalogueMatch(BaseModel):
    """A catalogue item that teaches some of the skills asked for."""

    item: LearningItem
    """The item."""
    covers: list[str]
    """Which of the asked skill keys it teaches."""


async def for_skill_keys(conn: Queryable, keys: Sequence[str], *, limit: int = 20) -> list[CatalogueMatch]:
    """Items teaching any of ``keys``: the ones covering most first, then the shortest."""
    rows = await conn.fetch(
        "SELECT item_id, title, provider, url, skills, hours, format,"
        " ARRAY(SELECT unnest(skill_keys) INTERSECT SELECT unnest($1::text[])) AS covers"
        " FROM learning_items WHERE skill_keys && $1::text[]"
        " ORDER BY cardinality(ARRAY(SELECT unnest(skill_keys) INTERSECT SELECT unnest($1::text[]))) DESC, hours,"
        " item_id LIMIT $2", list(keys), limit)
    return [CatalogueMatch(item=LearningItem.model_validate({k: r[k] for k in LearningItem.model_fields}),
                           covers=sorted(r["covers"])) for r in rows]


async def existing_ids(conn: Queryable, ids: Sequence[str]) -> set[str]:
    """Which of these ids are in the catalogue."""
    rows = await conn.fetch("SELECT item_id FROM learning_items WHERE item_id = ANY($1::text[])", list(ids))
    return {r["item_id"] for r in rows}


async def count(conn: Queryable) -> int:
    """Items in the catalogue."""
    n: int = await conn.fetchval("SELECT count(*) FROM learning_items")
    return n
