"""The ranker's :class:`~tools.matching.ranker.EmployeeIndex` over the employees in Postgres, with stored embeddings.

Each employee's stored profile becomes a record (:mod:`tools.matching.employee_records`: without what a
switched-off signal source or a rejected skill would add). Their MiniLM vector is read from
``employee_embeddings`` when the hash of the text it embeds still matches (:mod:`tools.matching.stored_vectors`);
only missing or stale vectors are computed, and they are written back after the build.

The built index is cached per process, keyed by a version that triggers bump on every change to employees,
skill feedback or signal sources (migration 0010: one single-row read per call), so a worker builds it once
and again only after an import or a profile change. Building runs in a thread, once, however many tool calls
ask at the same time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from tools.embeddings import MODEL_ID
from tools.matching.employee_records import (
    DISABLED_SQL,
    FEEDBACK_SQL,
    Feedback,
    employee_record,
    feedback_by_employee,
)
from tools.matching.index_build import trim_heap
from tools.matching.ranker import EmployeeIndex, RankerWeights
from tools.matching.record_text import embedding_text
from tools.matching.stored_vectors import Database, decode, encoder_or_none, store_vectors, text_hash
from tools.people.hris_jsonl import EmployeeRecord

log = logging.getLogger(__name__)

_FINGERPRINT_SQL = """
SELECT current_database() || '|' || version FROM matcher_version
"""
"""Triggers (migration 0010) bump the version on any change to employees, skill feedback or signal sources."""
_EMPLOYEES_SQL = """
SELECT e.employee_id, e.title, e.profile::text AS profile, v.text_hash, v.model,
       CASE WHEN v.employee_id IS NOT NULL THEN vector_send(v.embedding) END AS vector
FROM employees e LEFT JOIN employee_embeddings v USING (employee_id)
ORDER BY e.employee_id
"""


@dataclass(frozen=True, kw_only=True)
class BuiltIndex:
    """An index over every employee, and what building it took."""

    index: EmployeeIndex
    """The ranker's index."""
    fingerprint: str
    """The database state it was built from (see :func:`fingerprint`)."""
    positions: dict[str, int]
    """Employee id -> row in the index."""
    embedded: int
    """Vectors computed (and stored) by this build."""
    reused: int
    """Stored vectors reused."""
    skipped: tuple[str, ...] = ()
    """Employees left out because their profile could not be read as a record."""
    seconds: float = 0.0
    """Wall time of the build."""


@dataclass(frozen=True, kw_only=True)
class _Prepared:
    """What the thread hands back: the index and the vectors to store."""

    index: EmployeeIndex
    """The built index."""
    new_ids: list[str]
    """Employees whose vector was computed now."""
    new_hashes: list[str]
    """Their text hashes."""
    new_rows: list[int]
    """Their rows in ``index.vectors`` (read a batch at a time when stored: no second copy of the vectors)."""
    reused: int
    """Stored vectors used as they were."""
    skipped: tuple[str, ...]
    """Employees whose profile is not a valid record."""


@dataclass(kw_only=True)
class _Cache:
    """The process's index, and per event loop the lock and the builds in flight."""

    built: BuiltIndex | None = None
    """The latest index built."""
    locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = field(
        default_factory=weakref.WeakKeyDictionary)
    """One lock per event loop (an asyncio lock belongs to one loop)."""
    pending: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Task[BuiltIndex | None]]] = field(
        default_factory=weakref.WeakKeyDictionary)
    """Builds in flight by fingerprint, so a caller cancelled mid-build leaves its result to the next one."""


_CACHE = _Cache()


async def fingerprint(db: Database) -> str:
    """A cheap summary of the database state the index depends on; it changes whenever the index would."""
    value: str = await db.fetchval(_FINGERPRINT_SQL)
    return value


async def employee_index(db: Database) -> BuiltIndex | None:
    """The index over the employees in ``db`` (``None`` when there are none), built at most once per state.

    Concurrent callers share one build; a caller cancelled mid-build (an activity timeout) does not cancel it,
    so the next call picks up its result. ``db`` is used by the build as given: pass a pool when callers may be
    cancelled, so a released connection is never used after its caller has gone.
    """
    current = await fingerprint(db)
    cached = _CACHE.built
    if cached is not None and cached.fingerprint == current:
        return cached
    # no reference to a stale index may outlive this point: the build drops it to keep one index in memory
    del cached
    loop = asyncio.get_running_loop()
    lock = _CACHE.locks.get(loop) or _CACHE.locks.setdefault(loop, asyncio.Lock())
    pending = _CACHE.pending.setdefault(loop, {})
    async with lock:  # one build at a time: a second state waits for the first rather than competing for CPU
        cached = _CACHE.built
        if cached is not None and cached.fingerprint == current:
            return cached
        del cached
        task = pending.get(current)
        if task is None:
            task = pending[current] = loop.create_task(_build(db, current))

            def forget(done: asyncio.Task[BuiltIndex | None]) -> None:
                pending.pop(current, None)
                if not done.cancelled() and done.exception() is not None:  # retrieved: awaited or not, say it once
                    log.warning("building the employee index failed: %r", done.exception())

            task.add_done_callback(forget)
        return await asyncio.shield(task)


def clear_cache() -> None:
    """Forget the process's index (the next call rebuilds it, reusing stored vectors)."""
    _CACHE.built = None


async def _build(db: Database, current: str) -> BuiltIndex | None:
    started = time.perf_counter()
    # every caller with the new state waits for this build, so the stale index serves nobody any more:
    # dropping it first keeps a worker's peak memory at one index, not two
    _CACHE.built = None
    trim_heap()
    rows = await db.fetch(_EMPLOYEES_SQL)
    if not rows:
        return None
    disabled = frozenset(r["source"] for r in await db.fetch(DISABLED_SQL))
    feedback = feedback_by_employee(await db.fetch(FEEDBACK_SQL, None), disabled)
    prepared = await asyncio.to_thread(_prepare, rows, disabled, feedback)
    if prepared is None:
        return None
    await _store(db, prepared)
    index = prepared.index
    built = BuiltIndex(index=index, fingerprint=current, positions={eid: i for i, eid in enumerate(index.ids)},
                       embedded=len(prepared.new_ids), reused=prepared.reused, skipped=prepared.skipped,
                       seconds=round(time.perf_counter() - started, 3))
    _CACHE.built = built
    log.info("employee index: %d employees, %d vectors computed, %d reused, %.1f s", len(index), built.embedded,
             built.reused, built.seconds)
    return built


def _prepare(rows: list[Mapping[str, Any] | None], disabled: frozenset[str],
             feedback: Mapping[str, Feedback]) -> _Prepared | None:
    """Records, stored vectors still valid, the missing ones encoded, and the index (runs in a thread).

    Streamed so a large organisation never sits in memory twice: each row is turned into a record as the index
    consumes it (and dropped from ``rows``), and missing vectors are encoded chunk by chunk by the index build;
    the new ones are read back from the index to be stored.
    """
    weights = RankerWeights()
    skipped: list[str] = []
    stored: dict[str, NDArray[np.float32]] = {}
    """Stored vectors still valid, until the index copies them (it empties the dict as it goes)."""
    reused = 0
    missing: dict[str, str] = {}
    """Employee id -> text hash of those whose vector is computed by this build."""

    def records() -> Iterator[EmployeeRecord]:
        nonlocal reused
        for i, row in enumerate(rows):
            rows[i] = None  # the record replaces the row: free it as we go
            assert row is not None
            profile = row["profile"]
            if isinstance(profile, str):  # fetched as text: decoded one at a time
                profile = json.loads(profile)
            try:
                record = employee_record(row["employee_id"], row["title"], profile or {}, disabled=disabled,
                                         feedback=feedback.get(row["employee_id"]))
            except ValidationError as err:
                log.warning("employee %s left out of matching: %s", row["employee_id"], err.errors()[0]["msg"])
                skipped.append(row["employee_id"])
                continue
            digest = text_hash(embedding_text(record), max_tokens=weights.embed_tokens)
            vector = decode(row["vector"]) if row["text_hash"] == digest and row["model"] == MODEL_ID else None
            if vector is None:
                missing[record.employee_id] = digest
            else:
                stored[record.employee_id] = vector
                reused += 1
            yield record

    encoder = encoder_or_none()
    try:
        index = EmployeeIndex.build(records(), weights=weights, encoder=encoder, use_embeddings=encoder is not None,
                                    precomputed=stored)
    except ValueError as err:
        if str(err).startswith("no employees"):
            return None
        raise
    index.adjacency  # noqa: B018 - computed on first use (about 0.5 s): here in the thread, not in a tool call
    new_ids = list(missing) if encoder is not None else []
    positions = {eid: i for i, eid in enumerate(index.ids)}
    stored.clear()
    trim_heap()
    return _Prepared(index=index, new_ids=new_ids, new_hashes=[missing[e] for e in new_ids],
                     new_rows=[positions[e] for e in new_ids], reused=reused, skipped=tuple(skipped))


async def _store(db: Database, prepared: _Prepared) -> None:
    try:
        await store_vectors(db, prepared.new_ids, prepared.new_hashes, prepared.index.vectors, rows=prepared.new_rows)
    except asyncpg.ForeignKeyViolationError:  # someone was deleted meanwhile: the next build stores the rest
        log.info("employee deleted while their vector was stored; skipped")
