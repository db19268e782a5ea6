"""The demo's learning catalogue, derived in code from the ESCO skills and O*NET names the product ships.

For each skill, knowledge area and common technology of the O*NET task library, the ESCO skill whose label shares
the most of its words becomes a short course of "Northwind Academy", a fictional provider: its title is the ESCO
skill's label, its link the ESCO concept, and it teaches the O*NET name (the name tasks are grounded in). Names
with no ESCO skill in common get no item: an onboarding plan then asks for practice with the buddy instead.
Attribution: tools/data/ATTRIBUTION.md (ESCO v1.2.0, European Commission, CC BY 4.0; O*NET 29.3, CC BY 4.0).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from infra.store.learning import FORMATS, LearningItem
from tools.taxonomy.skill_key import skill_key

PROVIDER = "Northwind Academy (demo catalogue derived from ESCO skills)"
"""The fictional provider of the demo items."""
SOURCE = "demo (derived from ESCO v1.2.0 and O*NET 29.3)"
"""What the items' ``source`` says."""
_STOP = frozenset({"and", "of", "the", "for", "in", "to", "with", "on", "a", "an", "software"})
_GENERIC = frozenset({"manage", "conduct", "ensure", "draw", "up", "perform", "apply", "knowledge", "use", "provide",
                      "carry", "out", "principles", "techniques", "tools", "methods", "develop", "practise"})
"""Words an ESCO label may have beyond the O*NET name's ("manage human resources" for "Human Resources")."""
MIN_TECH_USES = 8
"""A technology becomes an item when at least this many occupations of the task library use it."""


def _words(text: str) -> set[str]:
    text = re.sub(r"\([^)]*\)", " ", text.lower())  # "Python (computer programming)" is about Python
    return {w for w in re.findall(r"[a-z][a-z0-9+#]*", text) if w not in _STOP}


def _load(name: str) -> Any:
    with resources.files("tools").joinpath(f"data/{name}").open("rb") as fh:
        return json.loads(gzip.decompress(fh.read()))


def _names() -> list[str]:
    """Every skill and knowledge name of the task library, and its common technologies."""
    occupations = _load("task_library.json.gz")["occupations"]
    skills: set[str] = set()
    tech: dict[str, int] = {}
    for occ in occupations if isinstance(occupations, list) else occupations.values():
        skills |= {s["name"] for s in occ["skills"]}
        for t in occ["technologies"]:
            tech[t["name"]] = tech.get(t["name"], 0) + 1
    return sorted(skills | {name for name, uses in tech.items() if uses >= MIN_TECH_USES})


def _best_esco(name: str, index: dict[str, list[dict[str, Any]]]) -> dict[str, Any] | None:
    """The ESCO skill that says what ``name`` says: every word of its label (but a few verbs) is one of the name's;
    the most words in common, then the shortest label. None when no label qualifies."""
    wanted = _words(name)
    found: dict[str, Any] | None = None
    best: tuple[float, int, str] | None = None
    for skill in {s["id"]: s for w in wanted for s in index.get(w, [])}.values():
        label = _words(skill["label"])
        if not label - _GENERIC or not (label - _GENERIC) <= wanted:
            continue
        rank = (-len(wanted & label) / len(wanted | label), len(skill["label"]), skill["id"])
        if best is None or rank < best:
            best, found = rank, skill
    return found


def _stable(text: str, low: int, high: int) -> int:
    return low + int(hashlib.sha256(text.encode()).hexdigest(), 16) % (high - low + 1)


@lru_cache(maxsize=1)
def demo_catalogue() -> tuple[LearningItem, ...]:
    """The demo items, one per O*NET name with an ESCO skill in common, by id."""
    index: dict[str, list[dict[str, Any]]] = {}
    for skill in _load("esco_skills.json.gz")["skills"]:
        for word in _words(skill["label"]):
            index.setdefault(word, []).append(skill)
    items: dict[str, LearningItem] = {}
    for name in _names():
        skill = _best_esco(name, index)
        if skill is None:
            continue
        item_id = "demo-" + re.sub(r"[^a-z0-9]+", "-", skill_key(name)).strip("-")[:60]
        label = skill["label"]
        items[item_id] = LearningItem(
            item_id=item_id, title=f"{label[:1].upper()}{label[1:]}: foundations", provider=PROVIDER,
            url=f"http://data.europa.eu/esco/skill/{skill['id']}", skills=[name], hours=_stable(name, 4, 16),
            format=FORMATS[_stable(name, 0, 2)])
    return tuple(items[k] for k in sorted(items))
