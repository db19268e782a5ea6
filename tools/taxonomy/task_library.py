"""The O*NET task library shipped in ``tools/data`` and a small TF-IDF retriever over it."""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

_WORD = re.compile(r"[a-z][a-z0-9+#]*")
_STOPWORDS = frozenset(
    """a an and are as at be by for from has have in into is it its of on or our that the their this to was
    were will with within we us you your all any can new make made need needs should would via per week
    weeks month months quarter day days year years q1 q2 q3 q4 end by""".split()  # noqa: SIM905
)
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ed", "es", "s", "al")


@lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:  # words repeat a lot: each is stemmed once
    """A light suffix-stripping stemmer: good enough to join 'analytics' and 'analyze'."""
    if word.endswith("ytics"):
        return word[:-4]
    if word.endswith("yze") or word.endswith("yse"):
        return word[:-1]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def tokens(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed tokens."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and len(w) > 1]


@dataclass(frozen=True, kw_only=True)
class TaskStatement:
    """An O*NET task statement and the occupation it belongs to."""

    task_id: int
    """O*NET Task ID."""
    text: str
    """The statement."""
    core: bool
    """Whether O*NET rates it a core task of the occupation."""
    onet_code: str
    """Occupation code."""


@dataclass(frozen=True, kw_only=True)
class Occupation:
    """An O*NET occupation with what the planner needs of it."""

    code: str
    """O*NET-SOC code."""
    title: str
    """Occupation title."""
    description: str
    """Occupation description."""
    job_zone: int | None
    """Preparation level 1-5."""
    technologies: tuple[str, ...]
    """Technology skills, hot ones first."""
    skills: tuple[str, ...]
    """O*NET skills and knowledge areas, most important first."""
    alternate_titles: tuple[str, ...]
    """Other titles people use for it."""
    related: tuple[str, ...]
    """Related occupation codes, closest first."""


class TfIdfIndex:
    """Cosine similarity over TF-IDF vectors of short documents."""

    def __init__(self, documents: list[str]) -> None:
        self._vectors: list[dict[str, float]] = []
        doc_tokens = [Counter(tokens(d)) for d in documents]
        df: Counter[str] = Counter()
        for counts in doc_tokens:
            df.update(counts.keys())
        n = len(documents)
        self.idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
        postings: dict[str, list[tuple[int, float]]] = {}
        for i, counts in enumerate(doc_tokens):
            vec = self._weigh(counts)
            self._vectors.append(vec)
            for term, weight in vec.items():
                postings.setdefault(term, []).append((i, weight))
        self._size = n
        # numpy postings: a search adds whole posting lists at once (float64, term by term, like a Python loop)
        self._post_ids = {t: np.fromiter((i for i, _ in p), dtype=np.int64, count=len(p)) for t, p in postings.items()}
        self._post_weights = {t: np.fromiter((w for _, w in p), dtype=np.float64, count=len(p))
                              for t, p in postings.items()}

    def _weigh(self, counts: Counter[str]) -> dict[str, float]:
        vec = {t: (1 + math.log(c)) * self.idf.get(t, 0.0) for t, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {t: w / norm for t, w in vec.items() if w > 0}

    def vector(self, text: str) -> dict[str, float]:
        """The normalised TF-IDF vector of a query."""
        return self._weigh(Counter(tokens(text)))

    def search(self, text: str, *, top: int) -> list[tuple[int, float]]:
        """Indices of the ``top`` most similar documents with their cosine, best first."""
        scores = np.zeros(self._size, dtype=np.float64)
        for term, qw in self.vector(text).items():
            ids = self._post_ids.get(term)
            if ids is not None:
                scores[ids] += qw * self._post_weights[term]
        hits = np.flatnonzero(scores)  # every weight is positive: a shared term gives a positive score
        if len(hits) > top > 0:
            # only the top few are sorted; ties at the cut all stay in, so the order below is the full sort's
            cut = np.partition(scores[hits], len(hits) - top)[len(hits) - top]
            hits = hits[scores[hits] >= cut]
        best = hits[np.lexsort((hits, -scores[hits]))][:top]
        return [(int(i), float(scores[i])) for i in best]

    def similarity(self, i: int, j: int) -> float:
        """Cosine between two indexed documents."""
        a, b = self._vectors[i], self._vectors[j]
        if len(a) > len(b):
            a, b = b, a
        return sum(w * b.get(t, 0.0) for t, w in a.items())


@dataclass(frozen=True)
class TaskLibrary:
    """All occupations and task statements, with a retriever over the statements."""

    occupations: dict[str, Occupation]
    tasks: list[TaskStatement]
    task_index: TfIdfIndex
    attribution: str

    def known_token_share(self, text: str) -> float:
        """Share of a text's tokens that occur anywhere in the library (a gibberish detector)."""
        toks = tokens(text)
        if not toks:
            return 0.0
        return sum(1 for t in toks if t in self.task_index.idf) / len(toks)


def _load_raw() -> dict[str, Any]:
    with resources.files("tools").joinpath("data/task_library.json.gz").open("rb") as fh:
        data: dict[str, Any] = json.loads(gzip.decompress(fh.read()))
        return data


@lru_cache(maxsize=1)
def load_task_library() -> TaskLibrary:
    """Load the shipped library and index it (about a second; cached per process)."""
    raw = _load_raw()
    occupations: dict[str, Occupation] = {}
    tasks: list[TaskStatement] = []
    for occ in raw["occupations"]:
        occupations[occ["code"]] = Occupation(
            code=occ["code"], title=occ["title"], description=occ["description"], job_zone=occ.get("job_zone"),
            technologies=tuple(t["name"] for t in occ["technologies"]),
            skills=tuple(s["name"] for s in occ["skills"]),
            alternate_titles=tuple(occ["alternate_titles"]), related=tuple(occ["related"]),
        )
        for task in occ["tasks"]:
            tasks.append(TaskStatement(task_id=task["id"], text=task["text"], core=task["type"] == "Core",
                                       onet_code=occ["code"]))
    # each statement is indexed with its occupation title so 'fraud' finds fraud examiners' tasks
    documents = [f"{t.text} {occupations[t.onet_code].title}" for t in tasks]
    return TaskLibrary(occupations=occupations, tasks=tasks, task_index=TfIdfIndex(documents),
                       attribution=raw["source"])
