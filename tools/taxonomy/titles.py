"""Normalise free-text job titles ("Sr. Data Wrangler II") to O*NET occupations with a confidence.

Three signals: a lexical match against every O*NET title and alternate title the library ships (stemmed
words plus character trigrams, so typos and word order matter little; abbreviations such as "sr", "mgr", "eng"
are expanded and seniority words dropped); the TF-IDF match of the title against each occupation's whole
record (titles, tasks, technologies); and, when an encoder is given, the cosine between the title's MiniLM
embedding and each O*NET title's. Confidence is a logistic function of an occupation's score and its lead
over the best other one, calibrated on held-out alternate titles.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tools.taxonomy.adjacency import OccupationSpace, get_occupation_space
from tools.taxonomy.sparse import F32, PostingIndex, TermWeights
from tools.taxonomy.task_library import stem

if TYPE_CHECKING:  # the encoder is handed in; reading titles without it loads no embedding runtime
    from tools.embeddings import Encoder

_ABBREVIATIONS = {
    "sr": "senior", "snr": "senior", "jr": "junior", "mgr": "manager", "mngr": "manager", "eng": "engineer",
    "engr": "engineer", "dev": "developer", "devs": "developers", "admin": "administrator", "asst": "assistant",
    "assoc": "associate", "dir": "director", "vp": "vice president", "svp": "senior vice president",
    "evp": "executive vice president", "exec": "executive", "rep": "representative", "coord": "coordinator",
    "spec": "specialist", "tech": "technician", "acct": "accountant", "hr": "human resources",
    "it": "information technology", "qa": "quality assurance", "swe": "software engineer",
    "sde": "software development engineer", "ceo": "chief executive officer", "cfo": "chief financial officer",
    "cto": "chief technology officer", "cio": "chief information officer", "coo": "chief operating officer",
    "ux": "user experience", "ui": "user interface", "ml": "machine learning", "ai": "artificial intelligence",
    "bi": "business intelligence", "pm": "project manager", "ops": "operations", "mktg": "marketing",
    "acctg": "accounting", "supv": "supervisor", "sup": "supervisor", "mgmt": "management", "rn": "registered nurse",
    "lpn": "licensed practical nurse", "cna": "certified nursing assistant", "sw": "software",
    "hvac": "heating ventilation air conditioning", "dba": "database administrator", "sre": "site reliability engineer",
    "cpa": "certified public accountant", "ar": "accounts receivable", "ap": "accounts payable",
}
_NOISE = frozenset([
    "senior", "junior", "lead", "principal", "staff", "intern", "trainee", "i", "ii", "iii", "iv", "v", "vi",
    "1", "2", "3", "4", "5", "level", "grade", "band", "entry", "mid", "the", "of", "and", "for", "to", "in", "at",
    "a", "an",
])
_WORD = re.compile(r"[a-z0-9+#]+")
_CALIBRATION_LEXICAL = (-2.112, 0.586, 4.477)
_CALIBRATION_EMBEDDINGS = (-2.353, 1.887, 4.24)


def title_words(title: str) -> list[str]:
    """Lower-cased, abbreviation-expanded, stemmed words of a title, without seniority/level noise."""
    words: list[str] = []
    for raw in _WORD.findall(title.casefold().replace("&", " and ").replace("/", " ")):
        for word in _ABBREVIATIONS.get(raw, raw).split():
            if word not in _NOISE:
                words.append(stem(word))
    return words


def title_features(title: str) -> list[str]:
    """Words plus their character trigrams (prefixed ``~``), the lexical features of a title."""
    words = title_words(title)
    grams = [f"~{w[i:i + 3]}" for w in words for i in range(max(1, len(w) - 2))] if words else []
    return words + words + grams


@dataclass(frozen=True, kw_only=True)
class TitleMatch:
    """One O*NET occupation a title may denote."""

    code: str
    """O*NET-SOC code."""
    title: str
    """O*NET occupation title."""
    confidence: float
    """Probability-like confidence from 0 to 1."""
    matched: str
    """The O*NET title or alternate title it matched best."""
    score: float
    """Raw combined similarity (for ranking, not a probability)."""


class TitleNormalizer:
    """Maps titles to occupations.

    Args:
        space: The occupation space (defaults to the shipped library's).
        encoder: MiniLM encoder for the embedding signal; ``None`` for lexical only.
        weights: Weights of the lexical title match, the embedding and the occupation-document match; without
            an encoder the embedding weight is shared out to the other two.
    """

    def __init__(self, space: OccupationSpace | None = None, encoder: Encoder | None = None, *,
                 weights: tuple[float, float, float] = (0.4, 0.3, 0.3)) -> None:
        self.space = space or get_occupation_space()
        self.encoder = encoder
        lexical, embedding, document = weights
        if encoder is None:
            lexical, document = lexical / (lexical + document), document / (lexical + document)
            embedding = 0.0
        self.weights = (lexical, embedding, document)
        strings: list[str] = []
        owners: list[int] = []
        keys: list[str] = []
        seen: set[tuple[str, int]] = set()
        for j, code in enumerate(self.space.codes):
            occ = self.space.library.occupations[code]
            for name in (occ.title, *occ.alternate_titles):
                key = " ".join(title_words(name))
                if key and (key, j) not in seen:
                    seen.add((key, j))
                    strings.append(name)
                    owners.append(j)
                    keys.append(key)
        self.strings = strings
        self.owner = np.array(owners, dtype=np.int32)  # ascending: each occupation's strings are contiguous
        self._group_starts = np.searchsorted(self.owner, np.arange(len(self.space.codes))).astype(np.int64)
        self._group_ends = np.searchsorted(self.owner, np.arange(len(self.space.codes)), side="right")
        self.exact: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            self.exact.setdefault(key, []).append(i)
        features = [title_features(s) for s in strings]
        self.terms = TermWeights(features, analyzer=title_features)
        self.index = PostingIndex(self.terms.transform(features))
        self._title_vectors: F32 | None = None

    def _occupation_title_vectors(self) -> F32:
        if self._title_vectors is None:
            assert self.encoder is not None
            self._title_vectors = self.encoder.encode(self.space.titles)
        return self._title_vectors

    def _string_scores(self, title: str) -> F32:
        ids, weights = self.terms.vector(title_features(title))
        per_string = self.index.score(ids, weights)
        for i in self.exact.get(" ".join(title_words(title)), ()):
            per_string[i] = max(per_string[i], 1.0)
        return per_string

    def lexical_scores(self, title: str) -> F32:
        """Best lexical score per occupation (cosine over title features; 1.0 for an exact normalised match)."""
        best: F32 = np.maximum.reduceat(self._string_scores(title), self._group_starts)
        return best

    def best_string(self, title: str, occupation: int) -> str:
        """The O*NET title or alternate title of ``occupation`` that ``title`` matches best."""
        lo, hi = int(self._group_starts[occupation]), int(self._group_ends[occupation])
        return self.strings[lo + int(np.argmax(self._string_scores(title)[lo:hi]))]

    def scores(self, titles: Sequence[str]) -> F32:
        """Combined scores, ``(len(titles), occupations)``."""
        lexical, embedding, document = self.weights
        out = np.zeros((len(titles), len(self.space.codes)), dtype=np.float32)
        for row, title in enumerate(titles):
            out[row] = self.lexical_scores(title)
        out *= lexical
        if len(titles) and document > 0:
            out += document * self.space.text_scores(titles)
        if self.encoder is not None and len(titles) and embedding > 0:
            out += embedding * (self.encoder.encode(list(titles)) @ self._occupation_title_vectors().T)
        return out

    def confidences(self, scores: F32) -> F32:
        """Probability that each occupation is the right one, from its score and its lead over the best other.

        A logistic model fitted on held-out O*NET alternate titles (titles the library does not carry):
        ``sigmoid(a + b·score + c·(score − best other score))``; see ``bench/results/match_eval.md`` for
        its calibration.
        """
        a, b, c = _CALIBRATION_EMBEDDINGS if self.encoder is not None else _CALIBRATION_LEXICAL
        if scores.shape[1] < 2:
            return np.ones_like(scores)
        best = np.argmax(scores, axis=1)
        top2 = -np.partition(-scores, 1, axis=1)[:, :2]
        other = np.repeat(top2[:, :1], scores.shape[1], axis=1)
        other[np.arange(len(scores)), best] = top2[:, 1]
        z = a + b * scores + c * (scores - other)
        conf: F32 = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
        return conf

    def normalize_many(self, titles: Sequence[str], *, top: int = 3) -> list[list[TitleMatch]]:
        """The ``top`` occupations for each title, most likely first (empty for a title with no words)."""
        scores = self.scores(titles)
        conf = self.confidences(scores)
        results: list[list[TitleMatch]] = []
        for row, title in enumerate(titles):
            if not title_words(title):
                results.append([])
                continue
            best = np.argsort(-scores[row], kind="stable")[:top]
            results.append([TitleMatch(code=self.space.codes[j], title=self.space.titles[j],
                                       confidence=round(float(conf[row, j]), 4),
                                       matched=self.best_string(title, int(j)), score=round(float(scores[row, j]), 4))
                            for j in best])
        return results

    def normalize(self, title: str, *, top: int = 3) -> list[TitleMatch]:
        """The ``top`` occupations for one title, most likely first."""
        return self.normalize_many([title], top=top)[0]
