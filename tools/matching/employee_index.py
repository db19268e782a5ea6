"""The ranker's :class:`~tools.matching.ranker.EmployeeIndex` over the employees in Postgres, with stored embeddings.

Each employee's ``profile`` (work history, skills, and for the demo organisation projects and certifications)
becomes a :class:`~tools.people.hris_jsonl.EmployeeRecord`, without what comes from a switched-off signal source
(``signal_sources``) and without skills the employee rejected. Their MiniLM vector is read from
``employee_embeddings`` when the hash of the text it embeds still matches; only missing or stale vectors are
computed, and they are written back in one statement per 5,000 employees.

The built index is cached per process, keyed by a version that triggers bump on every change to employees,
skill feedback or signal sources (migration 0010: one single-row read per call), so a worker builds it once
and again only after an import or a profile change. Building runs in a thread, once, however many tool calls
ask at the same time.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from infra.db import Connection
from tools.embeddings import DIM, MODEL_ID, EmbeddingModelMissing, Encoder, Progress, get_encoder
from tools.matching.ranker import EmployeeIndex, RankerWeights, _trim_heap, embedding_text
from tools.people.hris_jsonl import EmployeeRecord
from tools.people.skill_levels import skill_key

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    Database: TypeAlias = Connection | asyncpg.Pool[Any]
    """A connection or a pool: both answer ``fetch``/``fetchval``/``execute``."""
else:  # asyncpg's classes are generic only in its stubs
    Database = Connection | asyncpg.Pool
_WRITE_BATCH = 5000
"""Vectors written per statement (one statement for any organisation under this size)."""
_MAX_JOBS = 200
"""Jobs a record may hold (:class:`EmployeeRecord`'s limit); projects beyond it are left out."""

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
FEEDBACK_SQL = """
SELECT DISTINCT ON (employee_id, skill_key) employee_id, skill_key, skill, verdict
FROM skill_feedback WHERE $1::text[] IS NULL OR employee_id = ANY($1::text[])
ORDER BY employee_id, skill_key, id DESC
"""
"""Each employee's latest verdict per skill: everyone's (``$1`` null) or these employees'."""
_DISABLED_SQL = "SELECT source FROM signal_sources WHERE NOT enabled"
_STORED_HASHES_SQL = """
SELECT employee_id, text_hash, model FROM employee_embeddings WHERE employee_id = ANY($1::text[])
"""
_WRITE_SQL = """
INSERT INTO employee_embeddings (employee_id, text_hash, model, embedding, updated_at)
SELECT v.employee_id, v.text_hash, $4, v.embedding::vector, now()
FROM unnest($1::text[], $2::text[], $3::text[]) AS v (employee_id, text_hash, embedding)
WHERE EXISTS (SELECT 1 FROM employees e WHERE e.employee_id = v.employee_id)
ON CONFLICT (employee_id) DO UPDATE SET text_hash = EXCLUDED.text_hash, model = EXCLUDED.model,
    embedding = EXCLUDED.embedding, updated_at = EXCLUDED.updated_at
"""


@dataclass(frozen=True, kw_only=True)
class Feedback:
    """One employee's latest verdicts on their skills."""

    rejected: frozenset[str] = frozenset()
    """Keys (:func:`tools.people.skill_levels.skill_key`) of skills they rejected."""
    added: tuple[str, ...] = ()
    """Skills they added themselves."""


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


def text_hash(text: str, *, max_tokens: int) -> str:
    """Hash of what is embedded for a person: the text and how many word pieces of it count."""
    return hashlib.sha256(f"{max_tokens}\n{text}".encode()).hexdigest()


def employee_record(employee_id: str, title: str, profile: Mapping[str, Any], *, disabled: frozenset[str],
                    feedback: Feedback | None = None) -> EmployeeRecord:
    """The record the ranker indexes for an employee, from their stored profile.

    What a switched-off signal source would contribute is left out: responsibilities (``task_history``), listed
    skills (``tools_used``), projects (``project``), certifications (``certification``) and skills the
    employee added (``self_reported``). Rejected skills are dropped. Job titles stay: they are HR master data,
    shown with every candidate anyway.

    Args:
        employee_id: Employee id.
        title: Current title from ``employees.title`` (used when the history has no title or statement).
        profile: The ``profile`` jsonb (``work_history``, ``skills``, optionally ``projects``, ``certifications``).
        disabled: Signal sources switched off.
        feedback: Their latest skill verdicts.

    Raises:
        pydantic.ValidationError: The profile does not fit :class:`EmployeeRecord` (e.g. an over-long statement).
    """
    feedback = feedback or Feedback()
    statements = "task_history" not in disabled
    jobs: list[dict[str, Any]] = [
        {"title": job.get("title") or "", "is_current": bool(job.get("is_current")), "years": job.get("years") or 0,
         "responsibilities": list(job.get("responsibilities") or []) if statements else []}
        for job in profile.get("work_history") or [] if isinstance(job, Mapping)]
    if not any(j["title"] or j["responsibilities"] for j in jobs):
        jobs = [{"title": title, "is_current": True, "responsibilities": []}]
    if "project" not in disabled:
        # projects are earlier "jobs" titled by the project: their statements count like work done
        jobs += [{"title": f"project {p.get('name') or ''}".strip(), "responsibilities": [p["task"]]}
                 for p in profile.get("projects") or [] if isinstance(p, Mapping) and p.get("task")]
    listed: list[str] = []
    if "tools_used" not in disabled:
        listed += profile.get("skills") or []
    if "certification" not in disabled:
        listed += profile.get("certifications") or []
    if "self_reported" not in disabled:
        listed += feedback.added
    skills: dict[str, str] = {}
    for name in listed:
        key = skill_key(str(name))
        if key and key not in feedback.rejected:
            skills.setdefault(key, str(name))
    return EmployeeRecord.model_validate({"employee_id": employee_id, "work_history": jobs[:_MAX_JOBS],
                                          "skills": list(skills.values())})


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
    _trim_heap()
    rows = await db.fetch(_EMPLOYEES_SQL)
    if not rows:
        return None
    disabled = frozenset(r["source"] for r in await db.fetch(_DISABLED_SQL))
    feedback = _feedback(await db.fetch(FEEDBACK_SQL, None), disabled)
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


def _feedback(rows: Iterable[Mapping[str, Any]], disabled: frozenset[str]) -> dict[str, Feedback]:
    rejected: dict[str, set[str]] = {}
    added: dict[str, list[str]] = {}
    for r in rows:
        if r["verdict"] == "reject":
            rejected.setdefault(r["employee_id"], set()).add(r["skill_key"])
        elif r["verdict"] == "add" and "self_reported" not in disabled:
            added.setdefault(r["employee_id"], []).append(r["skill"])
    return {eid: Feedback(rejected=frozenset(rejected.get(eid, ())), added=tuple(added.get(eid, ())))
            for eid in rejected.keys() | added.keys()}


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
            vector = _decode(row["vector"]) if row["text_hash"] == digest and row["model"] == MODEL_ID else None
            if vector is None:
                missing[record.employee_id] = digest
            else:
                stored[record.employee_id] = vector
                reused += 1
            yield record

    encoder = _encoder()
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
    _trim_heap()
    return _Prepared(index=index, new_ids=new_ids, new_hashes=[missing[e] for e in new_ids],
                     new_rows=[positions[e] for e in new_ids], reused=reused, skipped=tuple(skipped))


def _encoder() -> Encoder | None:
    try:
        return get_encoder()
    except EmbeddingModelMissing as err:  # rank on lexical and taxonomy signals rather than not at all
        log.warning("matching without embeddings: %s", err)
        return None


def _decode(raw: bytes | None) -> NDArray[np.float32] | None:
    """A vector from pgvector's binary form (int16 dimensions, int16 unused, big-endian float32s)."""
    if raw is None or len(raw) != 4 + 4 * DIM or int.from_bytes(raw[:2], "big") != DIM:
        return None
    vector: NDArray[np.float32] = np.frombuffer(raw, dtype=">f4", offset=4).astype(np.float32)
    return vector


def _literal(vector: NDArray[np.float32]) -> str:
    """pgvector's text form; 7 significant digits keep float32 exact enough (cosines move < 1e-6)."""
    return "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"


async def _store(db: Database, prepared: _Prepared) -> None:
    try:
        await store_vectors(db, prepared.new_ids, prepared.new_hashes, prepared.index.vectors, rows=prepared.new_rows)
    except asyncpg.ForeignKeyViolationError:  # someone was deleted meanwhile: the next build stores the rest
        log.info("employee deleted while their vector was stored; skipped")


async def store_vectors(db: Database, ids: Sequence[str], hashes: Sequence[str], vectors: NDArray[np.float32],
                        *, rows: Sequence[int] | None = None) -> None:
    """Write (or replace) the stored vectors of ``ids``; employees that no longer exist are skipped.

    Args:
        db: Where to write.
        ids: Employee ids.
        hashes: The text hash of each one's vector.
        vectors: Their vectors in order, or (with ``rows``) a matrix holding them.
        rows: Row of each one's vector in ``vectors``.
    """
    for start in range(0, len(ids), _WRITE_BATCH):
        stop = start + _WRITE_BATCH
        batch = vectors[list(rows[start:stop])] if rows is not None else vectors[start:stop]
        await db.execute(_WRITE_SQL, list(ids[start:stop]), list(hashes[start:stop]),
                         [_literal(v) for v in batch], MODEL_ID)


@dataclass(frozen=True, kw_only=True)
class StaleVectors:
    """Employees whose stored vector is missing or out of date for the profile they are about to have."""

    ids: list[str]
    """Their employee ids."""
    hashes: list[str]
    """Hash of each one's text (:func:`text_hash`)."""
    texts: list[str]
    """What is embedded for each one (:func:`tools.matching.ranker.embedding_text` of their record)."""


async def stale_vectors(db: Database, people: Sequence[tuple[str, str, Mapping[str, Any]]]) -> StaleVectors:
    """Which of ``people`` (employee id, title, profile as it will be stored) need a vector computed.

    The text is the one the index build will embed for them (same sources switched off, same skill feedback),
    so an importer that stores these vectors leaves the next build nothing to embed.
    """
    ids = [eid for eid, _, _ in people]
    disabled = frozenset(r["source"] for r in await db.fetch(_DISABLED_SQL))
    feedback = _feedback(await db.fetch(FEEDBACK_SQL, ids), disabled)
    stored = {r["employee_id"]: (r["text_hash"], r["model"]) for r in await db.fetch(_STORED_HASHES_SQL, ids)}
    embed_tokens = RankerWeights().embed_tokens
    stale = StaleVectors(ids=[], hashes=[], texts=[])
    for eid, title, profile in people:
        try:
            record = employee_record(eid, title, profile, disabled=disabled, feedback=feedback.get(eid))
        except ValidationError:  # the build leaves them out of matching too
            continue
        text = embedding_text(record)
        digest = text_hash(text, max_tokens=embed_tokens)
        if stored.get(eid) != (digest, MODEL_ID):
            stale.ids.append(eid)
            stale.hashes.append(digest)
            stale.texts.append(text)
    return stale


def encode_stale(stale: StaleVectors, progress: Progress | None = None) -> NDArray[np.float32] | None:
    """Vectors for ``stale`` (``None`` when the embedding model is not installed: the build will skip them)."""
    encoder = _encoder()
    if encoder is None:
        return None
    return encoder.encode(stale.texts, max_tokens=RankerWeights().embed_tokens, progress=progress)
