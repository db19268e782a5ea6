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

import contextlib
import ctypes
import itertools
import json
import math
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tools.embeddings import DIM, Encoder, get_encoder
from tools.people.hris_jsonl import EmployeeRecord, MatchRequest
from tools.taxonomy.adjacency import (
    F32,
    I32,
    I64,
    OccupationSpace,
    PostingIndex,
    SparseRows,
    get_occupation_space,
    skill_key,
)
from tools.taxonomy.task_library import tokens
from tools.taxonomy.titles import TitleNormalizer

Progress = Callable[[str, int, int], None]
"""Called with (stage, done, total) while an index is built."""
_CHUNK = 512
_TITLES: weakref.WeakKeyDictionary[OccupationSpace, TitleNormalizer] = weakref.WeakKeyDictionary()
"""Lexical title normalisers per occupation space (building one takes about a second)."""
_TOP_OCCUPATIONS = 5
_TITLE_CACHE = 4096
"""Distinct job titles whose occupation scores are kept (HRIS titles repeat a lot)."""
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


@dataclass
class _Texts:
    """Everyone's text as one UTF-8 blob with offsets: no per-employee Python objects kept."""

    blob: bytearray = field(default_factory=bytearray)
    offsets: list[int] = field(default_factory=lambda: [0])

    def add(self, value: Any) -> None:
        self.blob += json.dumps(value, separators=(",", ":")).encode()
        self.offsets.append(len(self.blob))

    def get(self, i: int) -> Any:
        return json.loads(bytes(self.blob[self.offsets[i]: self.offsets[i + 1]]))


def _as_record(row: EmployeeRecord | Mapping[str, Any]) -> EmployeeRecord:
    return row if isinstance(row, EmployeeRecord) else EmployeeRecord.model_validate(row)


def _ordered_jobs(record: EmployeeRecord) -> list[tuple[bool, Any]]:
    current = record.current_job()
    return [(True, current)] + [(False, j) for j in record.work_history if j is not current]


def embedding_text(record: EmployeeRecord) -> str:
    """What is embedded for a person: current title and responsibilities first, then earlier jobs, then skills."""
    parts: list[str] = []
    for _, job in _ordered_jobs(record):
        if job.title:
            parts.append(f"{job.title}.")
        parts.extend(job.responsibilities)
    if record.skills:
        parts.append("Skills: " + ", ".join(record.skills) + ".")
    return " ".join(parts)


def request_embedding_text(request: MatchRequest) -> str:
    """What is embedded for a request."""
    parts = [f"{request.title}."] if request.title else []
    parts.extend(request.responsibilities)
    if request.required_skills:
        parts.append("Skills: " + ", ".join(request.required_skills) + ".")
    return " ".join(parts)


def _lexical_tokens(title: str | None, statements: Iterable[str], past: Iterable[str], skills: Iterable[str],
                    tok: Callable[[str], list[str]] = tokens) -> list[str]:
    words = tok(title or "") * 2
    for text in statements:
        words += tok(text)
    for text in past:
        words += tok(text)
    for skill in skills:
        words += tok(skill)
    return words


def occupation_statements(record: EmployeeRecord) -> list[str]:
    """Statements that say which occupation someone is in: the current job's count twice."""
    jobs = _ordered_jobs(record)
    current = list(jobs[0][1].responsibilities)
    return current + current + [t for _, j in jobs[1:] for t in j.responsibilities]


class _SkillTable:
    """Technology key -> occupations listing it (for occupation guesses from the skills people list)."""

    def __init__(self, space: OccupationSpace) -> None:
        owners: dict[str, list[int]] = {}
        for j, keys in enumerate(space.technology_keys):
            for k in keys:
                owners.setdefault(k, []).append(j)
        self.idf = space.technology_idf
        self.occupations: dict[str, I32] = {k: np.array(js, dtype=np.int32) for k, js in owners.items()}
        self.norms: F32 = np.array([math.sqrt(sum(self.idf[k] ** 2 for k in keys)) or 1.0
                                    for keys in space.technology_keys], dtype=np.float32)
        self.n = len(space.codes)

    def scores(self, skills: Sequence[str]) -> F32:
        """IDF-weighted cosine of the listed skills with each occupation's technology skills."""
        out = np.zeros(self.n, dtype=np.float32)
        keys = {skill_key(s) for s in skills} & self.occupations.keys()
        if not keys:
            return out
        for k in keys:
            out[self.occupations[k]] += self.idf[k] ** 2
        person = math.sqrt(sum(self.idf[k] ** 2 for k in keys))
        cosine: F32 = (out / (self.norms * person)).astype(np.float32)
        return cosine


class EmployeeIndex:
    """Everything needed to rank employees, as flat arrays.

    Build with :meth:`build`. Thread-safe for concurrent :meth:`rank` calls once built.
    """

    def __init__(self, *, weights: RankerWeights, space: OccupationSpace, encoder: Encoder | None,
                 titles: TitleNormalizer) -> None:
        self.weights = weights
        self.space = space
        self.encoder = encoder
        self.titles = titles
        self.skill_table = _SkillTable(space)
        self.ids: list[str] = []
        self.vectors: F32 = np.zeros((0, DIM), dtype=np.float32)
        self.occ_index: NDArray[np.int16] = np.zeros((0, _TOP_OCCUPATIONS), dtype=np.int16)
        self.occ_prob: F32 = np.zeros((0, _TOP_OCCUPATIONS), dtype=np.float32)
        self.vocabulary: dict[str, int] = {}
        self.idf: F32 = np.zeros(0, dtype=np.float32)
        self.postings: PostingIndex | None = None
        self.skill_vocabulary: dict[str, int] = {}
        self.skill_postings: PostingIndex | None = None
        self.texts = _Texts()
        self._adjacency: F32 | None = None
        self._title_cache: dict[str, F32] = {}

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
            precomputed: Unit vectors of :func:`embedding_text` by employee id, ``(DIM,)`` each (e.g. stored in
                Postgres); only employees missing from it are encoded. A ``dict`` is emptied as its vectors are
                copied into the index. Unused without embeddings.

        Raises:
            ValueError: Two records share an employee id, there are none, or a precomputed vector has the
                wrong shape.
        """
        rows = iter(employees)
        first = [_as_record(row) for row in itertools.islice(rows, _CHUNK)]  # bad input fails before heavy loads
        if not first:
            raise ValueError("no employees to index")
        space = space or get_occupation_space()
        enc = (encoder or get_encoder()) if use_embeddings else None
        titles = _TITLES.get(space)
        if titles is None:
            titles = _TITLES[space] = TitleNormalizer(space, None)
        index = cls(weights=weights or RankerWeights(), space=space, encoder=enc, titles=titles)
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

                jobs = _ordered_jobs(record)
                current = jobs[0][1]
                past = [j for _, j in jobs[1:]]
                words = _lexical_tokens(current.title, current.responsibilities,
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
                index.texts.add([[[j.title, is_cur, j.responsibilities] for is_cur, j in jobs],
                                 record.skills])
            probs, occs = index._occupation_guess(
                [r.current_job().title for r in chunk],
                occupation_docs,
                [r.skills for r in chunk])
            occ_index.append(occs)
            occ_prob.append(probs)
            if enc is not None:
                vectors.append(_chunk_vectors(chunk, enc, index.weights.embed_tokens, precomputed or {}))
            if progress is not None:
                progress("employees", len(seen), -1)
            chunk.clear()

        for row in itertools.chain(first, rows):
            record = _as_record(row)
            if record.employee_id in seen:
                raise ValueError(f"duplicate employee_id {record.employee_id!r}")
            seen.add(record.employee_id)
            index.ids.append(record.employee_id)
            chunk.append(record)
            if len(chunk) >= _CHUNK:
                flush()
        flush()
        index._finish_lexical(term_ids, term_tfs, doc_lengths)
        index._finish_skills(skill_ids, skill_lengths)
        index.occ_index = np.concatenate(occ_index)
        index.occ_prob = np.concatenate(occ_prob)
        index.vectors = _stack_unit(vectors, len(index.ids))
        _trim_heap()
        return index

    def _finish_lexical(self, term_ids: list[I32], term_tfs: list[F32], lengths: list[int]) -> None:
        """TF-IDF postings from each person's term ids and counts (the lists are emptied: at 100k people they
        hold ~150 MB that the postings would otherwise sit on top of)."""
        n = len(lengths)
        ids = np.concatenate(term_ids) if term_ids else np.zeros(0, np.int32)
        term_ids.clear()
        weights = np.concatenate(term_tfs) if term_tfs else np.zeros(0, np.float32)
        term_tfs.clear()
        df = np.bincount(ids, minlength=len(self.vocabulary)).astype(np.float32)
        self.idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        np.log(weights, out=weights)  # term frequency -> 1 + log(tf), in place: float32 throughout
        weights += 1.0
        weights *= self.idf[ids]
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        row_of = np.repeat(np.arange(n, dtype=np.int32), lengths)
        norms = np.sqrt(np.bincount(row_of, weights=weights * weights, minlength=n)).astype(np.float32)
        weights /= np.maximum(norms, 1e-12)[row_of]
        del row_of
        self.postings = PostingIndex(SparseRows(indptr, ids, weights, len(self.vocabulary)))

    def _finish_skills(self, skill_ids: list[I32], lengths: list[int]) -> None:
        ids = np.concatenate(skill_ids) if skill_ids else np.zeros(0, np.int32)
        skill_ids.clear()
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self.skill_postings = PostingIndex(SparseRows(indptr, ids, np.ones(len(ids), np.float32),
                                                      max(1, len(self.skill_vocabulary))))

    def _occupation_scores(self, titles: Sequence[str | None], docs: Sequence[Sequence[str]],
                           skills: Sequence[Sequence[str]]) -> F32:
        """Title, responsibilities and skills each scored against every occupation, each scaled so its best
        occupation is 1, then weighted: ``(len(titles), occupations)``."""
        w = self.weights
        n = len(self.space.codes)
        out = np.zeros((len(titles), n), dtype=np.float32)
        cache = self._title_cache  # shared by concurrent rank() calls: only get/update/clear, never index
        local: dict[str, F32] = {}
        distinct = [t for t in dict.fromkeys(titles) if t]
        for name in distinct:
            hit = cache.get(name)
            if hit is not None:
                local[name] = hit
        fresh = [t for t in distinct if t not in local]
        if fresh:
            computed = dict(zip(fresh, _scaled(self.titles.scores(fresh)), strict=True))
            local.update(computed)
            if len(cache) + len(fresh) > _TITLE_CACHE:
                cache.clear()
            cache.update(computed)
        for row, maybe in enumerate(titles):
            if maybe:
                out[row] += w.title * local[maybe]
        text = self.space.text_scores_tokens(docs)
        out += w.text * _scaled(text)
        for row, listed in enumerate(skills):
            if listed:
                out[row] += w.skill_share * _scaled(self.skill_table.scores(listed))
        return out

    def _occupation_guess(self, titles: Sequence[str | None], docs: Sequence[Sequence[str]],
                          skills: Sequence[Sequence[str]]) -> tuple[F32, NDArray[np.int16]]:
        """Each person's five likeliest occupations and their probabilities (softmax over scaled scores)."""
        scores = self._occupation_scores(titles, docs, skills)
        z = (scores - scores.max(axis=1, keepdims=True)) / self.weights.temperature
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        top = np.argpartition(-p, _TOP_OCCUPATIONS, axis=1)[:, :_TOP_OCCUPATIONS]
        probs = np.take_along_axis(p, top, axis=1).astype(np.float32)
        return probs, top.astype(np.int16)

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
        words = _lexical_tokens(request.title, request.responsibilities, (), request.required_skills)
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
        """Evidence sentences for employee ``i``, strongest signal first."""
        w = self.weights
        jobs, listed = self.texts.get(i)
        current_title = next((t for t, cur, _ in jobs if cur), jobs[0][0])
        found: list[tuple[float, str]] = []
        wanted = self.term_weights([request.title or "", *request.responsibilities])
        best: tuple[float, str, str, bool, list[str]] = (0.0, "", "", False, [])
        for title, is_current, statements in jobs:
            for statement in statements:
                common = set(tokens(statement)) & wanted.keys()
                weight = sum(float(wanted[t]) for t in common) / math.sqrt(1 + len(tokens(statement)))
                if weight > best[0]:
                    best = (weight, statement, title, is_current, sorted(common, key=lambda t: -wanted[t]))
        if best[1]:
            when = "current job" if best[3] else "earlier job"
            shared = ", ".join(best[4][:4])
            found.append((w.lexical * float(signals["lexical"][i]) + 1e-6,
                          f"did “{_clip(best[1])}” as {best[2] or 'untitled'} ({when}; shared terms: {shared})"))
        semantic = float(signals["semantic"][i])
        if self.encoder is not None and semantic > 0:
            found.append((w.semantic * semantic,
                          f"work history is close in meaning to the request (embedding cosine {semantic:.2f})"))
        dist = signals["_occupations"]
        req_top = int(np.argmax(dist))
        emp_top = int(self.occ_index[i, int(np.argmax(self.occ_prob[i]))])
        emp_p = float(self.occ_prob[i].max())
        emp_name = f"{self.space.titles[emp_top]} ({self.space.codes[emp_top]}, {emp_p:.0%})"
        occ_value = w.occupation * float(signals["occupation"][i])
        if emp_top == req_top:
            found.append((occ_value, f"profile reads as {emp_name}, the occupation the request reads as"
                                     f" (title “{current_title}”)"))
        elif self.adjacency[req_top, emp_top] >= 0.5:
            overlap = self.space.shared_technologies(req_top, emp_top, limit=4) or self.space.shared_skills(
                req_top, emp_top, limit=4)
            extra = f"; they share {', '.join(overlap)}" if overlap else ""
            found.append((occ_value, f"profile reads as {emp_name}, adjacent to the request's "
                                     f"{self.space.titles[req_top]} ({self.space.codes[req_top]}){extra}"))
        else:
            found.append((occ_value * 0.5, f"profile reads as {emp_name} (title “{current_title}”)"))
        required = [s for s in request.required_skills if s]
        if required:
            have = {skill_key(s) for s in listed}
            held = [s for s in required if skill_key(s) in have]
            missing = [s for s in required if skill_key(s) not in have]
            if held:
                tail = f"; missing {', '.join(missing[:5])}" if missing else ""
                found.append((w.skills * float(signals["skills"][i]),
                              f"has {len(held)} of {len(required)} required skills: {', '.join(held[:6])}{tail}"))
            else:
                found.append((0.0, f"lists none of the required skills ({', '.join(required[:5])})"))
        found.sort(key=lambda x: -x[0])
        return [text for _, text in found]


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


def _trim_heap() -> None:
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


def _scaled(scores: F32) -> F32:
    """Scores divided by their row's maximum (rows of zeros stay zero)."""
    top = scores.max(axis=-1, keepdims=True)
    scaled: F32 = (scores / np.where(top > 0, top, 1.0)).astype(np.float32)
    return scaled


def _clip(text: str, limit: int = 110) -> str:
    text = text.rstrip(".")
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
