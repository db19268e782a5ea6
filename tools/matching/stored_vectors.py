"""Employees' MiniLM vectors stored in Postgres (``employee_embeddings``): a build embeds only what changed.

A stored vector is valid while the hash of the text it embeds (:func:`text_hash`) and the model still match;
importers compute the missing or stale ones up front (:func:`stale_vectors`, :func:`encode_stale`) and the
index build writes back what it had to compute, in one statement per 5,000 employees.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from infra.db import Connection
from tools.embeddings import DIM, MODEL_ID, EmbeddingModelMissing, Encoder, Progress, get_encoder
from tools.matching.employee_records import DISABLED_SQL, FEEDBACK_SQL, employee_record, feedback_by_employee
from tools.matching.ranker import RankerWeights
from tools.matching.record_text import embedding_text

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    Database: TypeAlias = Connection | asyncpg.Pool[Any]
    """A connection or a pool: both answer ``fetch``/``fetchval``/``execute``."""
else:  # asyncpg's classes are generic only in its stubs
    Database = Connection | asyncpg.Pool
_WRITE_BATCH = 5000
"""Vectors written per statement (one statement for any organisation under this size)."""

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


def text_hash(text: str, *, max_tokens: int) -> str:
    """Hash of what is embedded for a person: the text and how many word pieces of it count."""
    return hashlib.sha256(f"{max_tokens}\n{text}".encode()).hexdigest()


def encoder_or_none() -> Encoder | None:
    """The packaged MiniLM encoder, or ``None`` (logged) when it is not installed."""
    try:
        return get_encoder()
    except EmbeddingModelMissing as err:  # rank on lexical and taxonomy signals rather than not at all
        log.warning("matching without embeddings: %s", err)
        return None


def decode(raw: bytes | None) -> NDArray[np.float32] | None:
    """A vector from pgvector's binary form (int16 dimensions, int16 unused, big-endian float32s)."""
    if raw is None or len(raw) != 4 + 4 * DIM or int.from_bytes(raw[:2], "big") != DIM:
        return None
    vector: NDArray[np.float32] = np.frombuffer(raw, dtype=">f4", offset=4).astype(np.float32)
    return vector


def _literal(vector: NDArray[np.float32]) -> str:
    """pgvector's text form; 7 significant digits keep float32 exact enough (cosines move < 1e-6)."""
    return "[" + ",".join(f"{x:.7g}" for x in vector.tolist()) + "]"


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
    """What is embedded for each one (:func:`tools.matching.record_text.embedding_text` of their record)."""


async def stale_vectors(db: Database, people: Sequence[tuple[str, str, Mapping[str, Any]]]) -> StaleVectors:
    """Which of ``people`` (employee id, title, profile as it will be stored) need a vector computed.

    The text is the one the index build will embed for them (same sources switched off, same skill feedback),
    so an importer that stores these vectors leaves the next build nothing to embed.
    """
    ids = [eid for eid, _, _ in people]
    disabled = frozenset(r["source"] for r in await db.fetch(DISABLED_SQL))
    feedback = feedback_by_employee(await db.fetch(FEEDBACK_SQL, ids), disabled)
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
    encoder = encoder_or_none()
    if encoder is None:
        return None
    return encoder.encode(stale.texts, max_tokens=RankerWeights().embed_tokens, progress=progress)
