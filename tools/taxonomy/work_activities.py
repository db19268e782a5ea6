"""O*NET work activities, occupations, technologies and skills as one searchable space of sentence vectors.

The planner grounds a task here: its words find the Detailed Work Activities (DWAs) that describe it, the DWAs
lead to the occupations whose task statements perform them, and the occupations bring the technologies and
skills that fit. Vectors are the shipped int8 MiniLM's (:mod:`tools.embeddings`), precomputed into
``tools/data/planning_vectors.npz`` by ``scripts/derive_work_activities.py``; if they do not match the texts or
the encoder in use, they are recomputed at load (about 40 s).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tools.embeddings import MODEL_ENV, MODEL_ID, get_encoder
from tools.taxonomy.task_library import TaskLibrary, load_task_library

F32 = NDArray[np.float32]
log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class WorkActivity:
    """An O*NET Detailed Work Activity."""

    dwa_id: str
    """O*NET DWA ID."""
    title: str
    """What is done ("Test software performance.")."""
    iwa: str
    """Its Intermediate Work Activity."""
    occupations: dict[str, int]
    """Occupation code → how many of its task statements are linked to this activity."""


@dataclass(frozen=True, kw_only=True)
class ActivitySpace:
    """Activities, occupations, technologies and skills with a unit vector each."""

    library: TaskLibrary
    """The O*NET task library (occupations with their technologies and skills)."""
    activities: list[WorkActivity]
    """Every DWA."""
    activity_vectors: F32
    """One row per activity."""
    occupation_codes: list[str]
    """Occupations of the library, in vector order."""
    occupation_vectors: F32
    """One row per occupation (title and the first sentence of its description)."""
    links: F32
    """``(activities, occupations)``: 1 + log(linked task statements), 0 where none."""
    statement_vectors: F32
    """One row per O*NET task statement of the library."""
    statement_owner: NDArray[np.int32]
    """Occupation (index into :attr:`occupation_codes`) of each task statement."""
    tech_names: list[str]
    """Every technology name the library lists."""
    tech_vectors: F32
    """One row per technology name."""
    skill_names: list[str]
    """O*NET skill and knowledge names."""
    skill_vectors: F32
    """One row per skill name."""
    attribution: str
    """Source line to show with results."""

    def encode(self, texts: list[str]) -> F32:
        """Unit vectors for texts, with the encoder the space was built with."""
        vectors: F32 = get_encoder().encode(texts, max_tokens=64)
        return vectors


def _load_json() -> dict[str, Any]:
    with resources.files("tools").joinpath("data/work_activities.json.gz").open("rb") as fh:
        data: dict[str, Any] = json.loads(gzip.decompress(fh.read()))
        return data


def _occupation_text(title: str, description: str) -> str:
    first = re.split(r"(?<=\.)\s", description, maxsplit=1)[0]
    return f"{title}. {first}"


def _texts(library: TaskLibrary, activities: list[WorkActivity]) -> dict[str, list[str]]:
    """The texts each vector table embeds, in order."""
    codes = sorted(library.occupations)
    techs = sorted({t for o in library.occupations.values() for t in o.technologies})
    skills = sorted({s for o in library.occupations.values() for s in o.skills})
    return {
        "activities": [a.title for a in activities],
        "occupations": [_occupation_text(library.occupations[c].title, library.occupations[c].description)
                        for c in codes],
        "techs": techs,
        "skills": skills,
        "statements": [t.text for t in library.tasks],
    }


def _fingerprint(texts: dict[str, list[str]]) -> str:
    digest = hashlib.sha256(MODEL_ID.encode())
    for name in sorted(texts):
        digest.update(name.encode())
        for text in texts[name]:
            digest.update(text.encode() + b"\0")
    return digest.hexdigest()


def _quantise(vectors: F32) -> tuple[NDArray[np.int8], F32]:
    scale = np.maximum(np.abs(vectors).max(axis=1, keepdims=True), 1e-12) / 127.0
    return np.round(vectors / scale).astype(np.int8), scale.astype(np.float32)


def _dequantise(values: NDArray[np.int8], scale: F32) -> F32:
    vectors = values.astype(np.float32) * scale
    unit: F32 = (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).astype(np.float32)
    return unit


def _encode_all(texts: dict[str, list[str]]) -> dict[str, F32]:
    encoder = get_encoder()
    return {name: encoder.encode(items, max_tokens=64) for name, items in texts.items()}


def write_vectors(path: Path) -> None:
    """Embed every text of the space and store the vectors (int8 with a scale per row) at ``path``."""
    library = load_task_library()
    texts = _texts(library, _activities(_load_json()))
    arrays: dict[str, Any] = {"fingerprint": np.array(_fingerprint(texts))}
    for name, vectors in _encode_all(texts).items():
        arrays[f"{name}_q"], arrays[f"{name}_scale"] = _quantise(vectors)
    with path.open("wb") as fh:
        np.savez_compressed(fh, **arrays)


def _activities(raw: dict[str, Any]) -> list[WorkActivity]:
    return [WorkActivity(dwa_id=d["id"], title=d["title"], iwa=d["iwa"], occupations=d["occupations"])
            for d in raw["dwas"]]


def _vectors(texts: dict[str, list[str]]) -> dict[str, F32]:
    """The shipped vectors when they were made from these texts with this encoder; else computed now."""
    shipped = resources.files("tools").joinpath("data/planning_vectors.npz")
    if not os.environ.get(MODEL_ENV) and shipped.is_file():
        with shipped.open("rb") as fh, np.load(fh) as data:
            if str(data["fingerprint"]) == _fingerprint(texts):
                return {name: _dequantise(data[f"{name}_q"], data[f"{name}_scale"]) for name in texts}
    log.warning("planning vectors do not match the texts or the encoder in use: embedding them now (~40 s)")
    return _encode_all(texts)


@lru_cache(maxsize=1)
def load_activity_space() -> ActivitySpace:
    """The process-wide activity space (about a second from the shipped vectors)."""
    raw = _load_json()
    library = load_task_library()
    activities = _activities(raw)
    texts = _texts(library, activities)
    vectors = _vectors(texts)
    codes = sorted(library.occupations)
    column = {c: j for j, c in enumerate(codes)}
    links = np.zeros((len(activities), len(codes)), dtype=np.float32)
    for i, activity in enumerate(activities):
        for code, count in activity.occupations.items():
            j = column.get(code)
            if j is not None:
                links[i, j] = 1.0 + float(np.log(count))
    owner = np.fromiter((column[t.onet_code] for t in library.tasks), dtype=np.int32, count=len(library.tasks))
    return ActivitySpace(
        library=library, activities=activities, activity_vectors=vectors["activities"], occupation_codes=codes,
        occupation_vectors=vectors["occupations"], links=links, statement_vectors=vectors["statements"],
        statement_owner=owner, tech_names=texts["techs"],
        tech_vectors=vectors["techs"], skill_names=texts["skills"], skill_vectors=vectors["skills"],
        attribution=raw["source"])
