"""The occupation space: which O*NET occupations a text is about, and which occupations are adjacent.

Adjacency is inferred from what occupations share: task statements (TF-IDF cosine), technology skills
(IDF-weighted cosine), O*NET skills and knowledge (importance-weighted cosine), the SOC code hierarchy and
job zone. O*NET's own Related Occupations list is withheld for some occupations, so it is only blended in
(``use_onet=True``) where present, never required. TF-IDF and the sparse helpers are in
:mod:`tools.taxonomy.sparse`; skill names are compared by :func:`tools.taxonomy.skill_key.skill_key`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from tools.taxonomy.skill_key import skill_key
from tools.taxonomy.sparse import F32, TermWeights
from tools.taxonomy.task_library import TaskLibrary, load_task_library, tokens


def _unit_rows(matrix: F32) -> F32:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: F32 = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


@dataclass(frozen=True)
class AdjacencyWeights:
    """How much each standardised signal counts towards adjacency.

    Fitted in ``bench/match_eval.py`` against O*NET's Related Occupations (top 10) on half of the occupations:
    recall@10 0.49 on the other half, against 0.43 for shared tasks alone.
    """

    tasks: float = 0.30
    """Cosine of the occupations' task statements (TF-IDF)."""
    technologies: float = 0.06
    """Cosine of their technology skills (IDF-weighted)."""
    skills: float = 0.21
    """Cosine of their important O*NET skills and knowledge areas."""
    same_broad_group: float = 0.18
    """Same SOC broad group (``15-125``)."""
    same_minor_group: float = 0.04
    """Same SOC minor group (``15-12``)."""
    job_zone_step: float = 0.21
    """Minus the job-zone difference."""


@dataclass(frozen=True, kw_only=True)
class RelatedOccupation:
    """An occupation adjacent to another, with the evidence."""

    code: str
    """O*NET-SOC code."""
    title: str
    """Occupation title."""
    score: float
    """Adjacency from 0 to 1."""
    shared_skills: list[str] = field(default_factory=list)
    """O*NET skills/knowledge both list as important."""
    shared_technologies: list[str] = field(default_factory=list)
    """Technology skills both list (rarest first)."""
    onet_related: bool = False
    """Whether O*NET's Related Occupations lists it."""
    gap_skills: list[str] = field(default_factory=list)
    """Its O*NET skills/knowledge the source occupation does not list (most important first)."""
    gap_technologies: list[str] = field(default_factory=list)
    """Its technology skills the source occupation does not list (in the library's order: hot ones first)."""


class OccupationSpace:
    """Occupation vectors built from a task library; classify texts; adjacency between occupations.

    Args:
        library: The task library (defaults to the shipped one).
        weights: Adjacency weights.
    """

    def __init__(self, library: TaskLibrary | None = None, weights: AdjacencyWeights | None = None) -> None:
        self.library = library or load_task_library()
        self.weights = weights or AdjacencyWeights()
        occupations = sorted(self.library.occupations.values(), key=lambda o: o.code)
        self.codes: list[str] = [o.code for o in occupations]
        self.titles: list[str] = [o.title for o in occupations]
        self.position: dict[str, int] = {c: i for i, c in enumerate(self.codes)}
        tasks_by_code: dict[str, list[str]] = {c: [] for c in self.codes}
        for task in self.library.tasks:
            if task.onet_code in tasks_by_code:
                tasks_by_code[task.onet_code].append(task.text)
        # classification documents: everything a person's record might echo
        docs = [tokens(" ".join([o.title, o.title, *o.alternate_titles, o.description, *tasks_by_code[o.code],
                                 *o.technologies])) for o in occupations]
        self.text_terms = TermWeights(docs)
        self._class_matrix: F32 = np.ascontiguousarray(self.text_terms.transform(docs).to_dense().T)
        """(terms, occupations): column j is occupation j's unit TF-IDF vector."""
        self.technology_keys: list[frozenset[str]] = [frozenset(skill_key(t) for t in o.technologies)
                                                      for o in occupations]
        self.skill_names: list[tuple[str, ...]] = [o.skills for o in occupations]
        tech_df: Counter[str] = Counter(k for keys in self.technology_keys for k in keys)
        n = len(occupations)
        self.technology_idf: dict[str, float] = {k: math.log((1 + n) / (1 + c)) + 1.0 for k, c in tech_df.items()}
        self._task_docs = [tokens(" ".join([o.description, *tasks_by_code[o.code]])) for o in occupations]
        self._adjacency: F32 | None = None

    # -- classification ------------------------------------------------------------------------------------

    def text_scores(self, texts: Sequence[str]) -> F32:
        """Cosine of each text's TF-IDF vector with each occupation: ``(len(texts), occupations)``."""
        return self.text_terms.transform_texts(texts).dot_dense(self._class_matrix)

    def text_scores_tokens(self, docs: Sequence[Sequence[str]]) -> F32:
        """As :meth:`text_scores` for already tokenised texts."""
        return self.text_terms.transform(docs).dot_dense(self._class_matrix)

    def skill_scores(self, skills: Sequence[str]) -> F32:
        """IDF-weighted share of the listed skills that each occupation's technologies include."""
        keys = {skill_key(s) for s in skills}
        out = np.zeros(len(self.codes), dtype=np.float32)
        total = sum(self.technology_idf.get(k, 0.0) for k in keys)
        if total <= 0:
            return out
        for j, techs in enumerate(self.technology_keys):
            hit = keys & techs
            if hit:
                out[j] = sum(self.technology_idf[k] for k in hit) / total
        return out

    # -- adjacency -----------------------------------------------------------------------------------------

    def signals(self) -> dict[str, F32]:
        """Each adjacency signal as an ``(occupations, occupations)`` matrix (for fitting weights)."""
        n = len(self.codes)
        task_terms = TermWeights(self._task_docs, min_df=2)
        task_vecs = task_terms.transform(self._task_docs).to_dense()
        tech_vocab = {k: i for i, k in enumerate(sorted(self.technology_idf))}
        tech = np.zeros((n, len(tech_vocab)), dtype=np.float32)
        for j, keys in enumerate(self.technology_keys):
            for k in keys:
                tech[j, tech_vocab[k]] = self.technology_idf[k] ** 2
        skill_vocab = {s: i for i, s in enumerate(sorted({s for names in self.skill_names for s in names}))}
        skills = np.zeros((n, max(1, len(skill_vocab))), dtype=np.float32)
        for j, occ_code in enumerate(self.codes):
            ranked = self.library.occupations[occ_code].skills
            for rank, name in enumerate(ranked):
                skills[j, skill_vocab[name]] = 1.0 - rank / 24.0
        tech_u, skill_u = _unit_rows(tech), _unit_rows(skills)
        broad = np.array([c[:6] for c in self.codes])
        minor = np.array([c[:4] for c in self.codes])
        zone = np.array([self.library.occupations[c].job_zone or 3 for c in self.codes], dtype=np.float32)
        return {
            "tasks": task_vecs @ task_vecs.T,
            "technologies": tech_u @ tech_u.T,
            "skills": skill_u @ skill_u.T,
            "same_broad_group": (broad[:, None] == broad[None, :]).astype(np.float32),
            "same_minor_group": (minor[:, None] == minor[None, :]).astype(np.float32),
            "job_zone_step": -np.abs(zone[:, None] - zone[None, :]),
        }

    @property
    def adjacency(self) -> F32:
        """Inferred adjacency ``(occupations, occupations)`` in [0, 1], zero on the diagonal.

        Each signal is standardised (z-score over all pairs), weighted, summed, and the sum rescaled so the
        median pair is 0 and the 99.9th percentile pair (about one neighbour per occupation) is 1.
        """
        if self._adjacency is None:
            w = self.weights
            total = np.zeros((len(self.codes), len(self.codes)), dtype=np.float32)
            for name, matrix in self.signals().items():
                spread = float(matrix.std()) or 1.0
                total += getattr(w, name) * (matrix - float(matrix.mean())) / spread
            np.fill_diagonal(total, -np.inf)
            off = total[np.isfinite(total)]
            low, high = float(np.median(off)), float(np.percentile(off, 99.9))
            scaled = np.clip((total - low) / max(high - low, 1e-6), 0.0, 1.0)
            np.fill_diagonal(scaled, 0.0)
            self._adjacency = scaled.astype(np.float32)
        return self._adjacency

    def index_of(self, code: str) -> int:
        """Row of an occupation code (``15-2051`` means ``15-2051.00``).

        Raises:
            KeyError: Unknown code.
        """
        i = self.position.get(normalise_code(code))
        if i is None:
            raise KeyError(code)
        return i

    def related_scores(self, i: int, *, use_onet: bool = True) -> F32:
        """Adjacency of occupation ``i`` to every occupation in [0, 1] (``-1`` for ``i`` itself).

        With ``use_onet`` and an O*NET Related Occupations list for ``i``, the inferred adjacency (scaled so its
        best is 1) and O*NET's list (1 for its first entry down to 0.5 for its last) count half each.
        """
        scores: F32 = self.adjacency[i].copy()
        listed = self.library.occupations[self.codes[i]].related
        if use_onet and listed:
            onet = np.zeros_like(scores)
            for rank, other in enumerate(listed):
                j = self.position.get(other)
                if j is not None:
                    onet[j] = 1.0 - 0.5 * rank / max(1, len(listed))
            scores = 0.5 * scores / max(float(scores.max()), 1e-6) + 0.5 * onet
        scores[i] = -1.0
        return scores

    def related(self, code: str, *, top: int = 10, use_onet: bool = True,
                gap_limit: int = 12) -> list[RelatedOccupation]:
        """The ``top`` occupations most adjacent to ``code``, best first, with what they share and the gap.

        Args:
            code: O*NET-SOC code (``15-2051.00``; ``15-2051`` means ``15-2051.00``).
            top: How many.
            use_onet: Blend in O*NET's Related Occupations where the library has them.
            gap_limit: At most this many gap skills and this many gap technologies per occupation.

        Raises:
            KeyError: Unknown code.
        """
        i = self.index_of(code)
        scores = self.related_scores(i, use_onet=use_onet)
        best = np.argsort(-scores, kind="stable")[:top]
        listed_set = set(self.library.occupations[self.codes[i]].related)
        return [RelatedOccupation(code=self.codes[j], title=self.titles[j], score=round(float(scores[j]), 4),
                                  shared_skills=self.shared_skills(i, int(j)),
                                  shared_technologies=self.shared_technologies(i, int(j)),
                                  onet_related=self.codes[j] in listed_set,
                                  gap_skills=self.gap_skills(i, int(j), limit=gap_limit),
                                  gap_technologies=self.gap_technologies(i, int(j), limit=gap_limit)) for j in best]

    def shared_skills(self, i: int, j: int, *, limit: int = 8) -> list[str]:
        """O*NET skills and knowledge areas both occupations rate important, in ``i``'s order."""
        other = set(self.skill_names[j])
        return [s for s in self.skill_names[i] if s in other][:limit]

    def shared_technologies(self, i: int, j: int, *, limit: int = 8) -> list[str]:
        """Technology skills both occupations list, most distinctive first."""
        names = {skill_key(t): t for t in self.library.occupations[self.codes[i]].technologies}
        common = self.technology_keys[i] & self.technology_keys[j]
        ranked = sorted(common, key=lambda k: (-self.technology_idf[k], k))
        return [names[k] for k in ranked[:limit]]

    def gap_skills(self, i: int, j: int, *, limit: int | None = None) -> list[str]:
        """O*NET skills and knowledge areas ``j`` rates important and ``i`` does not, most important first."""
        have = set(self.skill_names[i])
        return [s for s in dict.fromkeys(self.skill_names[j]) if s not in have][:limit]

    def gap_technologies(self, i: int, j: int, *, limit: int | None = None) -> list[str]:
        """Technology skills ``j`` lists and ``i`` does not, in the library's order (hot technologies first)."""
        seen = set(self.technology_keys[i])
        out: list[str] = []
        for name in self.library.occupations[self.codes[j]].technologies:
            key = skill_key(name)
            if key not in seen:
                seen.add(key)
                out.append(name)
        return out[:limit]


def normalise_code(code: str) -> str:
    """``15-2051`` → ``15-2051.00``; other codes unchanged (stripped)."""
    code = code.strip()
    return f"{code}.00" if len(code) == 7 and code[2] == "-" else code


@lru_cache(maxsize=1)
def get_occupation_space() -> OccupationSpace:
    """The process-wide occupation space over the shipped library (built on first use, about 2 s)."""
    return OccupationSpace()
