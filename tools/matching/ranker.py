"""Rank employees for a request from their work history: lexical, semantic and taxonomy evidence combined.

An :class:`EmployeeIndex` holds, for every employee, only flat arrays: a TF-IDF posting index over their
titles, responsibilities and skills; one MiniLM vector (float32); their five most likely O*NET occupations
with probabilities (from the current title, the responsibilities and the skills); a skill posting index;
and their text as one UTF-8 blob (read back only for the few people shown). Ranking a request is a handful
of vectorised numpy passes over those arrays, so 100,000 employees fit in a few hundred MB and rank in
milliseconds. Build it from a JSON Lines file (:func:`tools.people.hris_jsonl.iter_employees`) or from database
rows (:meth:`EmployeeIndex.build` accepts mappings with the same fields).

score = lexical · TF-IDF cosine + semantic · embedding cosine + occupation · P(same or adjacent occupation)
        + skills · share of required skills held. Weights are fitted in ``bench/match_eval.py`` on a tuning
        split of occupations and reported on the others.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tools.embeddings import DIM, Encoder, get_encoder
from tools.matching import reasons as explanations
from tools.matching.index_build import CHUNK, Progress, Texts, fill_index
from tools.matching.occupation_guess import TOP_OCCUPATIONS, OccupationGuesser, title_normalizer
from tools.matching.record_text import as_record, lexical_tokens, request_embedding_text
from tools.people.hris_jsonl import EmployeeRecord, MatchRequest
from tools.taxonomy.adjacency import OccupationSpace, get_occupation_space
from tools.taxonomy.skill_key import skill_key
from tools.taxonomy.sparse import F32, I64, PostingIndex
from tools.taxonomy.task_library import tokens

GROUNDED_SHARE = 0.8
"""Weight of a request's grounded occupations against the guess from its text (a planned task says who does
it; its text alone can mislead)."""


@dataclass(frozen=True)
class RankerWeights:
    """Weights of the signals; fitted on a tuning split in ``bench/match_eval.py``."""

    lexical: float = 0.364
    """TF-IDF cosine of request and work history."""
    semantic: float = 0.318
    """MiniLM cosine of request and work history."""
    occupation: float = 0.318
    """Probability mass the request and the person share on the same or adjacent occupations."""
    skills: float = 0.0
    """Share of the required skills the person lists (fitted to 0: skills already count through the lexical
    and occupation signals; they still appear in the reasons)."""
    adjacency: float = 0.25
    """How much an adjacent occupation counts relative to the same one."""
    temperature: float = 0.04
    """Softmax temperature of occupation scores (low: trust the best guess)."""
    title: float = 0.5
    """Weight of the title in an occupation guess."""
    text: float = 0.35
    """Weight of the responsibilities in an occupation guess."""
    skill_share: float = 0.15
    """Weight of the listed skills in an occupation guess."""
    embed_tokens: int = 32
    """Word pieces of each person's history that are embedded (current job first). Embedding dominates
    indexing time (3,000-6,000 word pieces/s on 2 shared cores), so this sets how fast employees are imported;
    64 instead of 32 gained 0.005 nDCG@10 in ``bench/match_eval.py`` at twice the embedding time."""


@dataclass(frozen=True, kw_only=True)
class RankedEmployee:
    """One person for a request."""

    employee_id: str
    """Employee id."""
    score: float
    """Combined score (higher is better, 0-1)."""
    reasons: list[str] = field(default_factory=list)
    """The evidence that put them here, strongest first."""
    signals: dict[str, float] = field(default_factory=dict)
    """Each signal's raw value."""


class EmployeeIndex:
    """Everything needed to rank employees, as flat arrays.

    Build with :meth:`build` (:mod:`tools.matching.index_build` fills the arrays). Thread-safe for concurrent
    :meth:`rank` calls once built.
    """

    def __init__(self, *, weights: RankerWeights, space: OccupationSpace, encoder: Encoder | None,
                 occupations: OccupationGuesser) -> None:
        self.weights = weights
        self.space = space
        self.encoder = encoder
        self.occupations = occupations
        self.ids: list[str] = []
        self.vectors: F32 = np.zeros((0, DIM), dtype=np.float32)
        self.occ_index: NDArray[np.int16] = np.zeros((0, TOP_OCCUPATIONS), dtype=np.int16)
        self.occ_prob: F32 = np.zeros((0, TOP_OCCUPATIONS), dtype=np.float32)
        self.vocabulary: dict[str, int] = {}
        self.idf: F32 = np.zeros(0, dtype=np.float32)
        self.postings: PostingIndex | None = None
        self.skill_vocabulary: dict[str, int] = {}
        self.skill_postings: PostingIndex | None = None
        self.texts = Texts()
        self._adjacency: F32 | None = None

    # -- building ------------------------------------------------------------------------------------------

    @classmethod
    def build(cls, employees: Iterable[EmployeeRecord | Mapping[str, Any]], *, weights: RankerWeights | None = None,
              space: OccupationSpace | None = None, encoder: Encoder | None = None, use_embeddings: bool = True,
              progress: Progress | None = None,
              precomputed: Mapping[str, NDArray[np.float32]] | None = None) -> EmployeeIndex:
        """Index employees (streamed: records are consumed in chunks and not kept).

        Args:
            employees: Validated records or mappings with the same fields (database rows).
            weights: Signal weights (defaults to the fitted ones).
            space: Occupation space (defaults to the shipped library's).
            encoder: MiniLM encoder (defaults to the packaged model when ``use_embeddings``).
            use_embeddings: ``False`` skips the semantic signal (lexical and taxonomy only).
            progress: Called as ``progress("employees", done, -1)`` after each chunk.
            precomputed: Unit vectors of :func:`~tools.matching.record_text.embedding_text` by employee id,
                ``(DIM,)`` each (e.g. stored in Postgres); only employees missing from it are encoded. A ``dict``
                is emptied as its vectors are copied into the index. Unused without embeddings.

        Raises:
            ValueError: Two records share an employee id, there are none, or a precomputed vector has the
                wrong shape.
        """
        rows = iter(employees)
        first = [as_record(row) for row in itertools.islice(rows, CHUNK)]  # bad input fails before heavy loads
        if not first:
            raise ValueError("no employees to index")
        space = space or get_occupation_space()
        enc = (encoder or get_encoder()) if use_embeddings else None
        index = cls(weights=weights or RankerWeights(), space=space, encoder=enc,
                    occupations=OccupationGuesser(space, title_normalizer(space)))
        fill_index(index, itertools.chain(first, rows), progress=progress, precomputed=precomputed)
        return index

    def _occupation_scores(self, titles: Sequence[str | None], docs: Sequence[Sequence[str]],
                           skills: Sequence[Sequence[str]]) -> F32:
        """:meth:`OccupationGuesser.scores` with this index's weights."""
        return self.occupations.scores(self.weights, titles, docs, skills)

    def _occupation_guess(self, titles: Sequence[str | None], docs: Sequence[Sequence[str]],
                          skills: Sequence[Sequence[str]]) -> tuple[F32, NDArray[np.int16]]:
        """:meth:`OccupationGuesser.guess` with this index's weights (``bench/match_eval.py`` re-guesses with it)."""
        return self.occupations.guess(self.weights, titles, docs, skills)

    @property
    def adjacency(self) -> F32:
        """Row-normalised occupation adjacency (each row's strongest neighbour is 1)."""
        if self._adjacency is None:
            adj = self.space.adjacency
            self._adjacency = (adj / np.maximum(adj.max(axis=1, keepdims=True), 1e-6)).astype(np.float32)
        return self._adjacency

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        """Bytes held by the per-employee arrays."""
        total = self.vectors.nbytes + self.occ_index.nbytes + self.occ_prob.nbytes + len(self.texts.blob)
        for p in (self.postings, self.skill_postings):
            if p is not None:
                total += p.doc.nbytes + p.weight.nbytes + p.starts.nbytes
        return total

    # -- ranking -------------------------------------------------------------------------------------------

    def request_signals(self, request: MatchRequest) -> dict[str, F32]:
        """Each signal's value for every employee, plus the request's occupation distribution (``_occupations``)."""
        w = self.weights
        n = len(self.ids)
        words = lexical_tokens(request.title, request.responsibilities, (), request.required_skills)
        counts = Counter(self.vocabulary[t] for t in words if t in self.vocabulary)
        assert self.postings is not None and self.skill_postings is not None
        if counts:
            ids = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
            qw = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))) * self.idf[ids]
            unit: F32 = (qw / max(float(np.linalg.norm(qw)), 1e-12)).astype(np.float32)
            lexical = self.postings.score(ids, unit)
        else:
            lexical = np.zeros(n, dtype=np.float32)
        if self.encoder is not None:
            semantic = self.vectors @ self.encoder.encode_one(request_embedding_text(request))
        else:
            semantic = np.zeros(n, dtype=np.float32)
        skill_keys = {skill_key(s) for s in request.required_skills if s}
        sids = np.array([self.skill_vocabulary[k] for k in skill_keys if k in self.skill_vocabulary], dtype=np.int32)
        skills = (self.skill_postings.score(sids, np.ones(len(sids), np.float32)) / len(skill_keys)
                  if skill_keys else np.zeros(n, dtype=np.float32))
        doc = [t for text in request.responsibilities for t in tokens(text)]
        scores = self._occupation_scores([request.title], [doc], [request.required_skills])[0]
        z = (scores - scores.max()) / w.temperature
        dist = np.exp(z)
        dist /= dist.sum()
        dist = self._grounded(dist, request.occupations)
        reach = dist + w.adjacency * (dist @ self.adjacency)
        occupation = (reach[self.occ_index] * self.occ_prob).sum(axis=1).astype(np.float32)
        return {"lexical": lexical, "semantic": semantic.astype(np.float32), "occupation": occupation,
                "skills": skills.astype(np.float32), "_occupations": dist.astype(np.float32)}

    def _grounded(self, guess: F32, codes: Sequence[str]) -> F32:
        """The request's occupation distribution: the grounded occupations when it has them (weights halving down
        the list) mixed with :data:`GROUNDED_SHARE` of the guess from its text; the guess alone otherwise."""
        known = [self.space.position[c] for c in codes if c in self.space.position]
        if not known:
            return guess
        grounded = np.zeros_like(guess)
        for rank, pos in enumerate(known):
            grounded[pos] += 0.5 ** rank
        grounded /= grounded.sum()
        mixed: F32 = (GROUNDED_SHARE * grounded + (1 - GROUNDED_SHARE) * guess).astype(np.float32)
        return mixed

    def combine(self, signals: Mapping[str, F32]) -> F32:
        """The weighted score of every employee."""
        w = self.weights
        total: F32 = (w.lexical * signals["lexical"] + w.semantic * signals["semantic"]
                      + w.occupation * signals["occupation"] + w.skills * signals["skills"]).astype(np.float32)
        return total

    def rank(self, request: MatchRequest, *, top: int = 10, explain: bool = True) -> list[RankedEmployee]:
        """The ``top`` employees for a request, best first, each with the reasons behind the place."""
        signals = self.request_signals(request)
        total = self.combine(signals)
        k = min(top, len(total))
        best = np.argpartition(-total, k - 1)[:k] if k < len(total) else np.arange(len(total))
        best = best[np.lexsort((best, -total[best]))]
        out: list[RankedEmployee] = []
        for i in best:
            values = {name: round(float(v[i]), 4) for name, v in signals.items() if not name.startswith("_")}
            out.append(RankedEmployee(employee_id=self.ids[i], score=round(float(total[i]), 4),
                                      reasons=self.reasons(int(i), request, signals) if explain else [],
                                      signals=values))
        return out

    def rank_ids(self, request: MatchRequest, *, top: int = 10) -> tuple[I64, F32]:
        """Positions and scores of the ``top`` employees (no reasons), best first."""
        total = self.combine(self.request_signals(request))
        k = min(top, len(total))
        best = np.argpartition(-total, k - 1)[:k] if k < len(total) else np.arange(len(total))
        best = best[np.lexsort((best, -total[best]))].astype(np.int64)
        return best, total[best]

    # -- explanations --------------------------------------------------------------------------------------

    def term_weights(self, texts: Iterable[str]) -> dict[str, float]:
        """The terms of ``texts`` that anyone's history has, each with its IDF (how rare, so how telling)."""
        return {t: float(self.idf[self.vocabulary[t]]) for text in texts for t in tokens(text) if t in self.vocabulary}

    def reasons(self, i: int, request: MatchRequest, signals: Mapping[str, F32]) -> list[str]:
        """Evidence sentences for employee ``i``, strongest signal first (:func:`tools.matching.reasons.reasons`)."""
        return explanations.reasons(self, i, request, signals)
