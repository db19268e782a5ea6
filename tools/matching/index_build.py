"""Building the ranker's flat arrays from a stream of employees, a chunk at a time, without keeping the records.

:meth:`tools.matching.ranker.EmployeeIndex.build` creates an empty index and hands it to :func:`fill_index`.
Memory is what bounds the size of an organisation, so the build keeps nothing per person but numbers: the
term and skill ids with their counts (turned into posting lists at the end), float16 vectors (float32 once
stacked) and the occupation guesses; the text goes into one UTF-8 blob.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from tools.embeddings import DIM, Encoder
from tools.matching.record_text import as_record, embedding_text, lexical_tokens, occupation_statements, ordered_jobs
from tools.people.hris_jsonl import EmployeeRecord
from tools.taxonomy.skill_key import skill_key
from tools.taxonomy.sparse import F32, I32, PostingIndex, SparseRows
from tools.taxonomy.task_library import tokens

if TYPE_CHECKING:
    from tools.matching.ranker import EmployeeIndex

Progress = Callable[[str, int, int], None]
"""Called with (stage, done, total) while an index is built."""
CHUNK = 512
"""Employees validated, tokenised, guessed and embedded together."""


@dataclass
class Texts:
    """Everyone's text as one UTF-8 blob with offsets: no per-employee Python objects kept."""

    blob: bytearray = field(default_factory=bytearray)
    offsets: list[int] = field(default_factory=lambda: [0])

    def add(self, value: Any) -> None:
        """Append one person's jobs and skills (any JSON value)."""
        self.blob += json.dumps(value, separators=(",", ":")).encode()
        self.offsets.append(len(self.blob))

    def get(self, i: int) -> Any:
        """Person ``i``'s value as added."""
        return json.loads(bytes(self.blob[self.offsets[i]: self.offsets[i + 1]]))


def fill_index(index: EmployeeIndex, rows: Iterable[EmployeeRecord | Mapping[str, Any]], *,
               progress: Progress | None, precomputed: Mapping[str, NDArray[np.float32]] | None) -> None:
    """Index every employee of ``rows`` into the empty ``index`` (see :meth:`EmployeeIndex.build`).

    Raises:
        ValueError: Two records share an employee id, or a precomputed vector has the wrong shape.
    """
    term_ids: list[I32] = []
    term_tfs: list[F32] = []
    doc_lengths: list[int] = []
    skill_ids: list[I32] = []
    skill_lengths: list[int] = []
    vectors: list[NDArray[np.float16]] = []
    occ_index: list[NDArray[np.int16]] = []
    occ_prob: list[F32] = []
    seen: set[str] = set()
    chunk: list[EmployeeRecord] = []

    def flush() -> None:
        if not chunk:
            return
        occupation_docs: list[list[str]] = []
        for record in chunk:
            memo: dict[str, list[str]] = {}  # per person: each statement is tokenised once

            def tok(text: str, memo: dict[str, list[str]] = memo) -> list[str]:
                found = memo.get(text)
                if found is None:
                    found = memo[text] = tokens(text)
                return found

            jobs = ordered_jobs(record)
            current = jobs[0][1]
            past = [j for _, j in jobs[1:]]
            words = lexical_tokens(current.title, current.responsibilities,
                                   [t for j in past for t in (j.title, *j.responsibilities)], record.skills, tok)
            occupation_docs.append([t for text in occupation_statements(record) for t in tok(text)])
            counts = Counter(index.vocabulary.setdefault(w, len(index.vocabulary)) for w in words)
            term_ids.append(np.fromiter(counts.keys(), dtype=np.int32, count=len(counts)))
            term_tfs.append(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
            doc_lengths.append(len(counts))
            keys = sorted({index.skill_vocabulary.setdefault(skill_key(s), len(index.skill_vocabulary))
                           for s in record.skills if s})
            skill_ids.append(np.array(keys, dtype=np.int32))
            skill_lengths.append(len(keys))
            index.texts.add([[[j.title, is_cur, j.responsibilities] for is_cur, j in jobs], record.skills])
        probs, occs = index.occupations.guess(
            index.weights,
            [r.current_job().title for r in chunk],
            occupation_docs,
            [r.skills for r in chunk])
        occ_index.append(occs)
        occ_prob.append(probs)
        if index.encoder is not None:
            vectors.append(_chunk_vectors(chunk, index.encoder, index.weights.embed_tokens, precomputed or {}))
        if progress is not None:
            progress("employees", len(seen), -1)
        chunk.clear()

    for row in rows:
        record = as_record(row)
        if record.employee_id in seen:
            raise ValueError(f"duplicate employee_id {record.employee_id!r}")
        seen.add(record.employee_id)
        index.ids.append(record.employee_id)
        chunk.append(record)
        if len(chunk) >= CHUNK:
            flush()
    flush()
    index.idf, index.postings = _lexical_postings(term_ids, term_tfs, doc_lengths, len(index.vocabulary))
    index.skill_postings = _skill_postings(skill_ids, skill_lengths, len(index.skill_vocabulary))
    index.occ_index = np.concatenate(occ_index)
    index.occ_prob = np.concatenate(occ_prob)
    index.vectors = _stack_unit(vectors, len(index.ids))
    trim_heap()


def _lexical_postings(term_ids: list[I32], term_tfs: list[F32], lengths: list[int],
                      vocabulary: int) -> tuple[F32, PostingIndex]:
    """IDF and TF-IDF postings from each person's term ids and counts (the lists are emptied: at 100k people they
    hold ~150 MB that the postings would otherwise sit on top of)."""
    n = len(lengths)
    ids = np.concatenate(term_ids) if term_ids else np.zeros(0, np.int32)
    term_ids.clear()
    weights = np.concatenate(term_tfs) if term_tfs else np.zeros(0, np.float32)
    term_tfs.clear()
    df = np.bincount(ids, minlength=vocabulary).astype(np.float32)
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    np.log(weights, out=weights)  # term frequency -> 1 + log(tf), in place: float32 throughout
    weights += 1.0
    weights *= idf[ids]
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    row_of = np.repeat(np.arange(n, dtype=np.int32), lengths)
    norms = np.sqrt(np.bincount(row_of, weights=weights * weights, minlength=n)).astype(np.float32)
    weights /= np.maximum(norms, 1e-12)[row_of]
    del row_of
    return idf, PostingIndex(SparseRows(indptr, ids, weights, vocabulary))


def _skill_postings(skill_ids: list[I32], lengths: list[int], vocabulary: int) -> PostingIndex:
    """Who lists which skill key (weight 1 each); the list is emptied."""
    ids = np.concatenate(skill_ids) if skill_ids else np.zeros(0, np.int32)
    skill_ids.clear()
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return PostingIndex(SparseRows(indptr, ids, np.ones(len(ids), np.float32), max(1, vocabulary)))


def _chunk_vectors(chunk: Sequence[EmployeeRecord], enc: Encoder, max_tokens: int,
                   precomputed: Mapping[str, NDArray[np.float32]]) -> NDArray[np.float16]:
    """Vectors of a chunk: precomputed ones as given, the others encoded (float16 halves the build peak;
    cosines move < 1e-3). A precomputed ``dict`` is emptied as it is used (150 MB at 100k people)."""
    out = np.zeros((len(chunk), DIM), dtype=np.float16)
    missing: list[int] = []
    take = precomputed.pop if isinstance(precomputed, dict) else precomputed.get
    for row, record in enumerate(chunk):
        given = take(record.employee_id, None)
        if given is None:
            missing.append(row)
        elif given.shape != (DIM,):
            raise ValueError(f"precomputed vector of {record.employee_id!r} has shape {given.shape}, not ({DIM},)")
        else:
            out[row] = given
    if missing:
        out[missing] = enc.encode([embedding_text(chunk[row]) for row in missing], max_tokens=max_tokens)
    return out


def trim_heap() -> None:
    """Hand memory freed while indexing back to the OS (glibc keeps it: about 300 MB at 100k employees)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to do
        return
    with contextlib.suppress(AttributeError):
        libc.malloc_trim(0)


def _stack_unit(parts: list[NDArray[np.float16]], n: int) -> F32:
    """The chunks as one float32 matrix with unit rows, releasing each chunk as it is copied."""
    out = np.zeros((n, DIM), dtype=np.float32)
    row = 0
    parts.reverse()
    while parts:
        part = parts.pop()
        out[row: row + len(part)] = part
        row += len(part)
    if row:
        out /= np.maximum(np.sqrt(np.einsum("ij,ij->i", out, out)), 1e-12)[:, None]  # no (n, DIM) temporary
    return out
