"""The ranker's occupation signal: which O*NET occupations a person or a request is in, as probabilities.

A title, a bag of responsibility words and a list of skills are each scored against every occupation (title
normaliser, TF-IDF over the occupation's record, IDF-weighted overlap with its technology skills), each scaled
so its best occupation is 1, weighted (:class:`~tools.matching.ranker.RankerWeights`) and turned into a softmax.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from tools.taxonomy.adjacency import OccupationSpace
from tools.taxonomy.skill_key import skill_key
from tools.taxonomy.sparse import F32, I32
from tools.taxonomy.titles import TitleNormalizer

if TYPE_CHECKING:
    from tools.matching.ranker import RankerWeights

TOP_OCCUPATIONS = 5
"""Occupations kept per person (with their probabilities)."""
_TITLE_CACHE = 4096
"""Distinct job titles whose occupation scores are kept (HRIS titles repeat a lot)."""
_TITLES: weakref.WeakKeyDictionary[OccupationSpace, TitleNormalizer] = weakref.WeakKeyDictionary()
"""Lexical title normalisers per occupation space (building one takes about a second)."""


def title_normalizer(space: OccupationSpace) -> TitleNormalizer:
    """The process's lexical title normaliser over ``space`` (built on first use)."""
    titles = _TITLES.get(space)
    if titles is None:
        titles = _TITLES[space] = TitleNormalizer(space, None)
    return titles


class SkillTable:
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


class OccupationGuesser:
    """Scores titles, responsibilities and skills against every occupation of a space.

    The weights are passed to each call rather than kept, so changing an index's weights (as
    ``bench/match_eval.py`` does while fitting them) changes its guesses at once. Safe for concurrent calls.
    """

    def __init__(self, space: OccupationSpace, titles: TitleNormalizer) -> None:
        self.space = space
        self.titles = titles
        self.skill_table = SkillTable(space)
        self._title_cache: dict[str, F32] = {}

    def scores(self, weights: RankerWeights, titles: Sequence[str | None], docs: Sequence[Sequence[str]],
               skills: Sequence[Sequence[str]]) -> F32:
        """Title, responsibilities and skills each scored against every occupation, each scaled so its best
        occupation is 1, then weighted: ``(len(titles), occupations)``."""
        w = weights
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
            computed = dict(zip(fresh, scaled(self.titles.scores(fresh)), strict=True))
            local.update(computed)
            if len(cache) + len(fresh) > _TITLE_CACHE:
                cache.clear()
            cache.update(computed)
        for row, maybe in enumerate(titles):
            if maybe:
                out[row] += w.title * local[maybe]
        text = self.space.text_scores_tokens(docs)
        out += w.text * scaled(text)
        for row, listed in enumerate(skills):
            if listed:
                out[row] += w.skill_share * scaled(self.skill_table.scores(listed))
        return out

    def guess(self, weights: RankerWeights, titles: Sequence[str | None], docs: Sequence[Sequence[str]],
              skills: Sequence[Sequence[str]]) -> tuple[F32, NDArray[np.int16]]:
        """Each person's five likeliest occupations and their probabilities (softmax over scaled scores)."""
        scores = self.scores(weights, titles, docs, skills)
        z = (scores - scores.max(axis=1, keepdims=True)) / weights.temperature
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        top = np.argpartition(-p, TOP_OCCUPATIONS, axis=1)[:, :TOP_OCCUPATIONS]
        probs = np.take_along_axis(p, top, axis=1).astype(np.float32)
        return probs, top.astype(np.int16)


def scaled(scores: F32) -> F32:
    """Scores divided by their row's maximum (rows of zeros stay zero)."""
    top = scores.max(axis=-1, keepdims=True)
    result: F32 = (scores / np.where(top > 0, top, 1.0)).astype(np.float32)
    return result
