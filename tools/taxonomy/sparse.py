"""Small numpy sparse-vector helpers the taxonomy and the matcher share: CSR rows, TF-IDF, posting lists.

numpy only (no scipy): the rows are three flat arrays, so 100,000 documents stay a few flat buffers.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tools.taxonomy.task_library import tokens

F32 = NDArray[np.float32]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]


@dataclass
class SparseRows:
    """Rows of a sparse matrix in CSR form (``indptr``, ``indices``, ``data``)."""

    indptr: I64
    """Row ``i`` holds entries ``indptr[i]:indptr[i+1]``."""
    indices: I32
    """Column of each entry."""
    data: F32
    """Value of each entry."""
    n_cols: int
    """Number of columns."""

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.indptr) - 1

    def row(self, i: int) -> tuple[I32, F32]:
        """Columns and values of row ``i``."""
        lo, hi = int(self.indptr[i]), int(self.indptr[i + 1])
        return self.indices[lo:hi], self.data[lo:hi]

    def dot_dense(self, dense: F32, *, budget: int = 4_000_000) -> F32:
        """``self @ dense`` for a dense ``(n_cols, k)`` matrix, as a dense ``(n_rows, k)`` float32 array.

        Works through rows in chunks whose gathered values stay under ``budget`` floats (16 MB by default).
        """
        out = np.zeros((self.n_rows, dense.shape[1]), dtype=np.float32)
        chunk_entries = max(1, budget // max(1, dense.shape[1]))
        row = 0
        while row < self.n_rows:
            stop = int(np.searchsorted(self.indptr, self.indptr[row] + chunk_entries, side="right")) - 1
            stop = max(stop, row + 1)
            lo, hi = int(self.indptr[row]), int(self.indptr[stop])
            if hi > lo:
                gathered = dense[self.indices[lo:hi]] * self.data[lo:hi, None]
                starts = (self.indptr[row:stop] - lo).astype(np.int64)
                nonempty = self.indptr[row + 1: stop + 1] > self.indptr[row:stop]
                sums = np.add.reduceat(gathered, starts[nonempty], axis=0)
                out[row:stop][nonempty] = sums
            row = stop
        return out

    def to_dense(self) -> F32:
        """The matrix as a dense float32 array."""
        out = np.zeros((self.n_rows, self.n_cols), dtype=np.float32)
        rows = np.repeat(np.arange(self.n_rows), np.diff(self.indptr))
        np.add.at(out, (rows, self.indices), self.data)
        return out


class TermWeights:
    """TF-IDF weighting (sublinear tf, smoothed idf, unit length) fitted on tokenised documents.

    Args:
        documents: Each document's tokens.
        min_df: Terms in fewer documents are dropped.
        analyzer: Text to tokens for :meth:`transform_texts` (defaults to the taxonomy's stemmer).
    """

    def __init__(self, documents: Iterable[Sequence[str]], *, min_df: int = 1,
                 analyzer: Callable[[str], list[str]] = tokens) -> None:
        df: Counter[str] = Counter()
        n = 0
        for doc in documents:
            df.update(set(doc))
            n += 1
        kept = sorted(t for t, c in df.items() if c >= min_df)
        self.vocabulary: dict[str, int] = {t: i for i, t in enumerate(kept)}
        self.idf: F32 = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in kept], dtype=np.float32)
        self.analyzer = analyzer

    @property
    def size(self) -> int:
        """Number of terms."""
        return len(self.vocabulary)

    def vector(self, doc: Sequence[str]) -> tuple[I32, F32]:
        """Unit TF-IDF vector of one tokenised document as (term ids, weights)."""
        counts: Counter[int] = Counter()
        for term in doc:
            tid = self.vocabulary.get(term)
            if tid is not None:
                counts[tid] += 1
        if not counts:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        ids = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        weights = (1.0 + np.log(tf)) * self.idf[ids]
        norm = float(np.linalg.norm(weights))
        unit: F32 = (weights / max(norm, 1e-12)).astype(np.float32)
        return ids, unit

    def transform(self, documents: Iterable[Sequence[str]]) -> SparseRows:
        """Unit TF-IDF rows of tokenised documents."""
        indptr = [0]
        all_ids: list[I32] = []
        all_w: list[F32] = []
        for doc in documents:
            ids, w = self.vector(doc)
            all_ids.append(ids)
            all_w.append(w)
            indptr.append(indptr[-1] + len(ids))
        return SparseRows(np.array(indptr, dtype=np.int64),
                          np.concatenate(all_ids) if all_ids else np.zeros(0, np.int32),
                          np.concatenate(all_w) if all_w else np.zeros(0, np.float32), self.size)

    def transform_texts(self, texts: Iterable[str]) -> SparseRows:
        """Unit TF-IDF rows of raw texts (tokenised with the analyzer)."""
        return self.transform(self.analyzer(t) for t in texts)


class PostingIndex:
    """Column-major view of :class:`SparseRows`: score one sparse query against every row fast."""

    def __init__(self, rows: SparseRows) -> None:
        order = np.argsort(rows.indices, kind="stable")
        row_of = np.repeat(np.arange(rows.n_rows, dtype=np.int32), np.diff(rows.indptr))
        self.n_rows = rows.n_rows
        self.doc: I32 = row_of[order]
        self.weight: F32 = rows.data[order]
        self.starts: I64 = np.searchsorted(rows.indices[order], np.arange(rows.n_cols + 1)).astype(np.int64)

    def score(self, ids: I32, weights: F32) -> F32:
        """Dot product of the query (term ids, weights) with every row."""
        if len(ids) == 0:
            return np.zeros(self.n_rows, dtype=np.float32)
        spans = [(int(self.starts[t]), int(self.starts[t + 1])) for t in ids]
        docs = np.concatenate([self.doc[a:b] for a, b in spans])
        vals = np.concatenate([self.weight[a:b] * w for (a, b), w in zip(spans, weights, strict=True)])
        return np.bincount(docs, weights=vals, minlength=self.n_rows).astype(np.float32)
