"""Load the shipped taxonomy (O*NET task library, ESCO skills) into Postgres, once per data version.

The tables come from ``infra/migrations/0009_taxonomy.sql``. :func:`sync_taxonomy` runs wherever the
migrations run (``talentops up``, ``worker``, ``console``, the CLI, the tests): it compares
``taxonomy_meta.version`` with the hash of the files shipped in ``tools/data`` and, when they differ, replaces
the tables' contents with COPY in one transaction, under an advisory lock so that processes starting together
load it once. When the version matches it only hashes the files (a few milliseconds) and reads one row.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import asyncpg

from infra.db import Connection, Queryable
from tools.taxonomy import esco

TAXONOMY_LOCK = 7_204_2027
"""Advisory lock id held while the taxonomy is compared and loaded."""
LOADER_VERSION = "1"
"""Part of the version hash: bump it when the loader fills the tables differently."""
DATA_FILES = ("data/task_library.json.gz", esco.DATA_FILE)
TABLES: dict[str, tuple[str, ...]] = {  # in load order (referenced tables first)
    "onet_occupations": ("code", "title", "description", "job_zone"),
    "onet_alternate_titles": ("code", "title"),
    "onet_tasks": ("task_id", "code", "statement", "core"),
    "onet_occupation_skills": ("code", "rank", "name", "importance", "level"),
    "onet_technologies": ("code", "rank", "name", "category", "hot"),
    "onet_related_occupations": ("code", "rank", "related_code"),
    "esco_skill_groups": ("id", "label", "code"),
    "esco_skills": ("id", "label", "alt_labels", "labels_inferred"),
    "esco_broader": ("concept_id", "broader_id", "rank"),
    "esco_skill_relations": ("skill_id", "related_id", "relation"),
}


@dataclass(frozen=True, kw_only=True)
class TaxonomyRows:
    """The rows to load, per table, and the attribution to store with them."""

    rows: dict[str, list[tuple[Any, ...]]]
    """Table name → records in :data:`TABLES` column order."""
    attribution: str
    """O*NET and ESCO attribution texts, one paragraph each."""


def _shipped_bytes(name: str) -> bytes:
    return resources.files("tools").joinpath(name).read_bytes()


@lru_cache(maxsize=1)
def shipped_version() -> str:
    """sha256 of the shipped data files and :data:`LOADER_VERSION`."""
    digest = hashlib.sha256(f"loader {LOADER_VERSION}\n".encode())
    for name in DATA_FILES:
        data = _shipped_bytes(name)
        digest.update(f"{name} {len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()


def taxonomy_rows() -> TaxonomyRows:
    """Turn the shipped files into table rows (about a quarter of a million of them)."""
    library: dict[str, Any] = json.loads(gzip.decompress(_shipped_bytes(DATA_FILES[0])))
    raw_esco = esco.load_raw()
    rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in TABLES}
    for occ in library["occupations"]:
        code = occ["code"]
        rows["onet_occupations"].append((code, occ["title"], occ["description"], occ["job_zone"]))
        rows["onet_alternate_titles"] += [(code, title) for title in occ["alternate_titles"]]
        rows["onet_tasks"] += [(t["id"], code, t["text"], t["type"] == "Core") for t in occ["tasks"]]
        rows["onet_occupation_skills"] += [(code, rank, s["name"], s["importance"], s["level"])
                                           for rank, s in enumerate(occ["skills"], start=1)]
        rows["onet_technologies"] += [(code, rank, t["name"], t["category"], t["hot"])
                                      for rank, t in enumerate(occ["technologies"], start=1)]
        rows["onet_related_occupations"] += [(code, rank, related)
                                             for rank, related in enumerate(occ["related"], start=1)]
    for group in raw_esco["groups"]:
        rows["esco_skill_groups"].append((group["id"], group["label"], group["code"]))
        rows["esco_broader"] += [(group["id"], b, rank) for rank, b in enumerate(group["broader"], start=1)]
    for skill in raw_esco["skills"]:
        rows["esco_skills"].append((skill["id"], skill["label"], skill["alt"], bool(skill.get("inferred", False))))
        rows["esco_broader"] += [(skill["id"], b, rank) for rank, b in enumerate(skill["broader"], start=1)]
    rows["esco_skill_relations"] = [tuple(r) for r in raw_esco["relations"]]
    return TaxonomyRows(rows=rows, attribution=f"{library['source']}\n{raw_esco['source']}")


async def taxonomy_version(conn: Connection | asyncpg.Pool[Any]) -> str | None:
    """The version of the taxonomy loaded in the database, or None before the first load."""
    version: str | None = await conn.fetchval("SELECT version FROM taxonomy_meta")
    return version


async def loaded_taxonomy_version(url: str | None, *, timeout: float = 3.0) -> str | None:
    """The taxonomy version in the database at ``url``; None when there is no URL, no answer or no load yet."""
    if url is None:
        return None
    try:
        conn = await asyncpg.connect(url, timeout=timeout)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None
    try:
        return await taxonomy_version(conn)
    except asyncpg.PostgresError:  # not migrated yet
        return None
    finally:
        await conn.close()


async def sync_taxonomy(pool: asyncpg.Pool[Any]) -> bool:
    """Load the shipped taxonomy unless the database already holds this version; return whether it loaded.

    Needs migration 0009 applied (run it after ``infra.db.migrate``). Safe to call from several processes at
    once: the advisory lock makes the others wait, then find the version loaded.
    """
    version = shipped_version()
    if await taxonomy_version(pool) == version:
        return False
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", TAXONOMY_LOCK)
        if await taxonomy_version(conn) == version:
            return False
        data = await asyncio.to_thread(taxonomy_rows)
        await conn.execute(f"TRUNCATE {', '.join(TABLES)}")
        for table, columns in TABLES.items():
            await conn.copy_records_to_table(table, records=data.rows[table], columns=columns)
        await conn.execute(
            "INSERT INTO taxonomy_meta (id, version, loaded_at, attribution, counts)"
            " VALUES (true, $1, now(), $2, $3)"
            " ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, loaded_at = EXCLUDED.loaded_at,"
            " attribution = EXCLUDED.attribution, counts = EXCLUDED.counts",
            version, data.attribution, {table: len(records) for table, records in data.rows.items()})
    return True


async def occupation_titles(conn: Queryable, codes: list[str]) -> dict[str, str]:
    """O*NET-SOC code → occupation title, for the codes the taxonomy knows."""
    rows = await conn.fetch("SELECT code, title FROM onet_occupations WHERE code = ANY($1::text[])", codes)
    return {r["code"]: r["title"] for r in rows}
