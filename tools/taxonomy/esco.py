"""The ESCO skills taxonomy shipped in ``tools/data/esco_skills.json.gz`` and a simple skill finder over it.

``find_skills("sql")`` maps a free-text skill name to ESCO skills, each with its place in ESCO's hierarchy
(skill → broader skill(s) → skill group → … → top group, by preferred labels). Matching, kept simple:

1. **Exact**: the text, normalised (case-folded, punctuation dropped, accents kept, a trailing parenthesis such as
   "(computer programming)" optional), equals a preferred or alternative label: score 1.0; if only the stems
   agree ("manage budget" / "manage budgets"): 0.95.
2. **Token overlap** otherwise (and to fill up to ``top``): stemmed, function-word-free tokens of the text against
   each label's; a label scores the Jaccard overlap of the two token sets times 0.9, a skill its best label.

Ties go to preferred-label matches, then to skills whose labels come straight from ESCO's columns (not split
by rule, see ``scripts/derive_data.py``), then alphabetically. Text with no known token matches nothing.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from tools.taxonomy.task_library import stem

ESCO_URI = "http://data.europa.eu/esco/"
DATA_FILE = "data/esco_skills.json.gz"
_PUNCT = re.compile(r"[^\w+#]+")
_STOPWORDS = frozenset({"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to",
                        "with", "your", "their", "its"})
_PARENTHESIS = re.compile(r"\s*\([^)]*\)\s*$")
EXACT, EXACT_STEM, TOKEN_WEIGHT = 1.0, 0.95, 0.9


@dataclass(frozen=True, kw_only=True)
class EscoSkill:
    """An ESCO skill or knowledge concept."""

    id: str
    """ESCO id: the last segment of the concept URI (a UUID)."""
    label: str
    """Preferred label."""
    alt_labels: tuple[str, ...]
    """Alternative labels."""
    broader: tuple[str, ...]
    """Ids of the broader skills, then of the skill groups, it sits under (narrowest first)."""
    labels_inferred: bool
    """Whether the labels were split by rule out of a joined text rather than taken from ESCO's columns."""

    @property
    def uri(self) -> str:
        """The ESCO concept URI."""
        return f"{ESCO_URI}skill/{self.id}"


@dataclass(frozen=True, kw_only=True)
class EscoGroup:
    """A group of ESCO's skills hierarchy (skills, knowledge, transversal, language; ISCED-F fields)."""

    id: str
    """ESCO id: the last segment of the group URI (a UUID, or an ISCED-F code)."""
    label: str
    """Preferred label."""
    code: str
    """ESCO's code for the group, e.g. ``S1.2`` or ``0613``."""
    broader: tuple[str, ...]
    """Id of the broader group; empty for the four top groups."""


@dataclass(frozen=True, kw_only=True)
class SkillMatch:
    """An ESCO skill found for a free-text skill name."""

    id: str
    """ESCO skill id."""
    uri: str
    """ESCO concept URI."""
    label: str
    """Preferred label."""
    matched: str
    """The label (preferred or alternative) the text matched best."""
    how: str
    """``exact``, ``exact-stem`` or ``tokens``."""
    score: float
    """1.0 exact, 0.95 same stems, else 0.9 × the Jaccard overlap of tokens."""
    path: tuple[str, ...]
    """Preferred labels from the skill up to its top group (first broader link at each step; repeats dropped)."""
    also_under: tuple[str, ...] = field(default=())
    """Preferred labels of the skill's other direct broader skills and groups not on ``path`` (a polyhierarchy)."""
    alt_labels: tuple[str, ...] = field(default=())
    """The skill's alternative labels."""
    labels_inferred: bool = False
    """Whether the skill's labels were split by rule (see :class:`EscoSkill`)."""


def normalise(text: str) -> str:
    """Case-folded text with punctuation (but ``+`` and ``#``) turned into single spaces."""
    return " ".join(_PUNCT.sub(" ", text.casefold()).split())


_stem = lru_cache(maxsize=None)(stem)


def _stem_key(text: str) -> str:
    return " ".join(_stem(word) for word in normalise(text).split())


def tokens(text: str) -> frozenset[str]:
    """Stemmed words of a label or query (as :func:`normalise` splits them), without function words."""
    return frozenset(_stem(w) for w in normalise(text).split() if w not in _STOPWORDS)


class EscoTaxonomy:
    """All ESCO skills and groups, with label indexes for :meth:`find_skills`."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.attribution: str = raw["source"]
        """The attribution ESCO requires wherever its data is shown."""
        self.version: str = raw["version"]
        """ESCO release the extract comes from."""
        self.skills: dict[str, EscoSkill] = {
            s["id"]: EscoSkill(id=s["id"], label=s["label"], alt_labels=tuple(s["alt"]), broader=tuple(s["broader"]),
                               labels_inferred=bool(s.get("inferred", False)))
            for s in raw["skills"]}
        self.groups: dict[str, EscoGroup] = {
            g["id"]: EscoGroup(id=g["id"], label=g["label"], code=g["code"], broader=tuple(g["broader"]))
            for g in raw["groups"]}
        self.relations: list[tuple[str, str, str]] = [(a, b, kind) for a, b, kind in raw["relations"]]
        """Skill-to-skill relations ``(skill id, related skill id, essential|optional)``."""
        self._exact: dict[str, list[tuple[str, str]]] = {}
        self._stemmed: dict[str, list[tuple[str, str]]] = {}
        self._labels: list[tuple[str, str, frozenset[str]]] = []
        self._postings: dict[str, list[int]] = {}
        for skill in self.skills.values():
            for label in (skill.label, *skill.alt_labels):
                words = normalise(label).split()
                self._index_key(words, skill.id, label)
                if label.endswith(")"):
                    self._index_key(normalise(_PARENTHESIS.sub("", label)).split(), skill.id, label)
                toks = frozenset(_stem(w) for w in words if w not in _STOPWORDS)
                if toks:
                    for tok in toks:
                        self._postings.setdefault(tok, []).append(len(self._labels))
                    self._labels.append((skill.id, label, toks))

    def _index_key(self, words: list[str], skill_id: str, label: str) -> None:
        if words:
            self._exact.setdefault(" ".join(words), []).append((skill_id, label))
            self._stemmed.setdefault(" ".join(map(_stem, words)), []).append((skill_id, label))

    def label(self, concept_id: str) -> str:
        """The preferred label of a skill or group (the id itself when unknown)."""
        node: EscoSkill | EscoGroup | None = self.skills.get(concept_id) or self.groups.get(concept_id)
        return node.label if node is not None else concept_id

    def path(self, concept_id: str) -> tuple[str, ...]:
        """Preferred labels from a skill or group up to its top group (first broader link at each step)."""
        labels: list[str] = []
        seen: set[str] = set()
        current: str | None = concept_id
        while current is not None and current not in seen:
            seen.add(current)
            node: EscoSkill | EscoGroup | None = self.skills.get(current) or self.groups.get(current)
            if node is None:
                break
            if not labels or labels[-1] != node.label:  # ISCED-F repeats a label one level down
                labels.append(node.label)
            current = node.broader[0] if node.broader else None
        return tuple(labels)

    def _match(self, skill_id: str, matched: str, how: str, score: float) -> SkillMatch:
        skill = self.skills[skill_id]
        path = self.path(skill.id)
        also = tuple(label for label in map(self.label, skill.broader[1:]) if label not in path)
        return SkillMatch(id=skill.id, uri=skill.uri, label=skill.label, matched=matched, how=how,
                          score=round(score, 4), path=path, also_under=also, alt_labels=skill.alt_labels,
                          labels_inferred=skill.labels_inferred)

    def find_skills(self, text: str, *, top: int = 5) -> list[SkillMatch]:
        """The ESCO skills a free-text skill name most likely denotes, best first (see the module docstring)."""
        best: dict[str, tuple[float, str, str]] = {}

        def offer(skill_id: str, label: str, how: str, score: float) -> None:
            if skill_id not in best or score > best[skill_id][0]:
                best[skill_id] = (score, label, how)

        key = normalise(text)
        for skill_id, label in self._exact.get(key, []):
            offer(skill_id, label, "exact", EXACT)
        for skill_id, label in self._stemmed.get(_stem_key(key), []) if key else []:
            offer(skill_id, label, "exact-stem", EXACT_STEM)
        query = tokens(text)
        candidates = {i for tok in query for i in self._postings.get(tok, ())}
        for i in candidates:
            skill_id, label, toks = self._labels[i]
            overlap = len(query & toks) / len(query | toks)
            offer(skill_id, label, "tokens", TOKEN_WEIGHT * overlap)

        def rank(item: tuple[str, tuple[float, str, str]]) -> tuple[float, bool, bool, str]:
            skill_id, (score, label, _) = item
            skill = self.skills[skill_id]
            return (-score, label != skill.label, skill.labels_inferred, skill.label.casefold())

        ranked = sorted(best.items(), key=rank)[:top]
        return [self._match(skill_id, label, how, score) for skill_id, (score, label, how) in ranked]


def data_bytes() -> bytes:
    """The shipped extract, as stored (gzip-compressed JSON)."""
    return resources.files("tools").joinpath(DATA_FILE).read_bytes()


def load_raw() -> dict[str, Any]:
    """The shipped extract as plain JSON data: ``source``, ``version``, ``skills``, ``groups``, ``relations``."""
    data: dict[str, Any] = json.loads(gzip.decompress(data_bytes()))
    return data


@lru_cache(maxsize=1)
def load_esco() -> EscoTaxonomy:
    """Load and index the shipped ESCO extract (well under a second; cached per process)."""
    return EscoTaxonomy(load_raw())


def find_skills(text: str, *, top: int = 5) -> list[SkillMatch]:
    """ESCO skills matching a free-text skill name, with their hierarchy paths (see :class:`EscoTaxonomy`)."""
    return load_esco().find_skills(text, top=top)
