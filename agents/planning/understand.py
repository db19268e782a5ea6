"""Understanding a goal: what is built or changed, the kind of work, the domain, constraints, scale, deadline.

Word senses come from the whole goal: the goal (with its abbreviations spelled out, :mod:`.vocabulary`) is
embedded with the offline MiniLM and compared with short descriptions of each kind of work and each business
domain, so "warehouse … pick-and-pack … WMS" reads as a distribution centre and "data warehouse" does not.
Strong cue words (an RFP is a contract negotiation; "migrate … to" is a migration) add to the similarity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from infra.store.plans import GoalReading
from tools.embeddings import get_encoder
from tools.goal_text import vocabulary
from tools.goal_text.deadlines import Deadline, read_deadline
from tools.goal_text.intake import require_work
from tools.goal_text.kinds import (
    DOMAIN_CUE_WEIGHT,
    DOMAIN_CUES,
    DOMAINS,
    KIND_CUE_WEIGHT,
    KINDS,
    Domain,
    KindOfWork,
    soc_domain,
)
from tools.goal_text.phrases import GOAL_VERBS, constraints, looks_like_verb, object_and_target, scale
from tools.taxonomy.task_library import load_task_library
from tools.taxonomy.work_activities import F32, load_activity_space


@lru_cache(maxsize=1)
def _reference_vectors() -> tuple[F32, list[int], F32]:
    """Vectors of every kind prototype (with the kind each belongs to) and of every domain description (centred)."""
    encoder = get_encoder()
    texts = [p for k in KINDS for p in k.prototypes]
    owner = [i for i, k in enumerate(KINDS) for _ in k.prototypes]
    domains = encoder.encode([d.description for d in DOMAINS])
    # centred: what is common to every domain description ("teams", "operations") favours none of them
    centred: F32 = (domains - domains.mean(axis=0)).astype(np.float32)
    return encoder.encode(texts), owner, centred


@dataclass(frozen=True, kw_only=True)
class Understanding:
    """Everything the planner read from a goal."""

    text: str
    """The goal as written (whitespace normalised)."""
    expanded: str
    """The goal with its abbreviations spelled out (what the embeddings read)."""
    reading: GoalReading
    """Object, kind, domain, constraints, scale and expansions."""
    kind: KindOfWork
    """The kind of work."""
    kind_scores: dict[str, float]
    """Similarity of each kind (cue words included)."""
    domain: Domain
    """The business domain."""
    domain_scores: dict[str, float]
    """Similarity of each domain."""
    target: str | None
    """Where a migration moves to ("the new WMS"), when the goal says."""
    technologies: dict[str, list[str]]
    """Technologies the goal names → occupations that list them."""
    deadline: Deadline
    """When it is due and how that was read."""
    vector: F32
    """Unit vector of the expanded goal."""


def warm_up() -> None:
    """Load the encoder, the activity space and the reference vectors (about 2 s) before the first goal."""
    _reference_vectors()
    _statement_words()
    _technology_words()


def understand(text: str, today: date) -> Understanding:
    """Read a goal.

    Raises:
        GoalNotUnderstood: No recognisable work in it; the message says what to add.
        tools.goal_text.deadlines.DeadlineError: The deadline is in the past or too far away.
    """
    cleaned = " ".join(text.split())
    abbreviations = vocabulary.find_abbreviations(cleaned)
    expanded = vocabulary.expand(cleaned)
    require_work(cleaned, expanded)
    deadline = read_deadline(cleaned, today)
    prototypes, owner, domain_vectors = _reference_vectors()
    vector = get_encoder().encode_one(expanded)
    technologies = find_technologies(cleaned)
    # the main clause says what the work is; what follows often adds a condition ("…, agents trained by April")
    main_clause = re.split(r"[,;:]|\.\s|\s[-–—]\s", expanded, maxsplit=1)[0]
    head_vector = get_encoder().encode_one(main_clause) if main_clause != expanded else vector
    object_text, target = object_and_target(cleaned)
    kind_scores = _kind_scores(cleaned, (0.5 * vector + 0.5 * head_vector) @ prototypes.T, owner)
    if target:  # something moves somewhere: "… into the new Seaport floors", "… to the new WMS"
        kind_scores["migration"] = round(kind_scores["migration"] + 2 * KIND_CUE_WEIGHT, 4)
    kind = max(KINDS, key=lambda k: (kind_scores[k.name], -KINDS.index(k)))
    domain_sims = domain_vectors @ vector
    for abbreviation in abbreviations:  # an abbreviation may name its domain outright ("WMS", "EHR")
        if abbreviation.domain:
            domain_sims[[d.name for d in DOMAINS].index(abbreviation.domain)] += 0.08
    if technologies:  # so does a named technology, through the occupations that use it
        space = load_activity_space()
        rows = [space.occupation_codes.index(c) for codes in technologies.values() for c in codes]
        users = space.occupation_vectors[rows].mean(axis=0)
        domain_sims += 0.5 * (domain_vectors @ (users / max(float(np.linalg.norm(users)), 1e-12)))
    domain_sims += 0.5 * _occupation_votes(vector)  # the domains of the occupations whose work reads like it
    lowered = cleaned.lower()
    for i, domain in enumerate(DOMAINS):
        cues = len(re.findall(rf"\b(?:{DOMAIN_CUES[domain.name]})\b", lowered))
        domain_sims[i] += DOMAIN_CUE_WEIGHT * min(cues, 2)
    domain_scores = {d.name: round(float(s), 4) for d, s in zip(DOMAINS, domain_sims, strict=True)}
    domain = DOMAINS[int(np.argmax(domain_sims))]
    reading = GoalReading(
        object=object_text, kind=kind.label, domain=domain.label, constraints=constraints(cleaned),
        scale=scale(cleaned), expansions={a.short: a.expansion for a in abbreviations},
        technologies=sorted(technologies))
    return Understanding(text=cleaned, expanded=expanded, reading=reading, kind=kind, kind_scores=kind_scores,
                         domain=domain, domain_scores=domain_scores, target=target, technologies=technologies,
                         deadline=deadline, vector=vector)


_NOT_BRANDS = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "q1", "q2", "q3",
    "q4", "eu", "us", "uk", "the", "our", "we", "new"})


def find_technologies(text: str) -> dict[str, list[str]]:
    """Technologies a goal names by brand ("managed Postgres" → PostgreSQL), with the occupations listing them.

    A capitalised word that does not start a sentence, is not a word O*NET's task statements use, and starts a
    word of an O*NET technology name (covering at least 60% of it) names that technology; names listed by more
    than 8 technologies are too common to say.
    """
    space = load_activity_space()
    found: dict[str, list[str]] = {}
    words = _statement_words()
    for match in re.finditer(r"(?<![.!?:]\s)(?<=\s)([A-Z][A-Za-z0-9+#]{2,})", text):
        word = match.group(1)
        lowered = word.lower()
        if lowered in _NOT_BRANDS or lowered in words or (word.isupper() and len(word) <= 4):
            continue
        names = _technology_words().get(lowered[:4], [])
        hits = sorted({name for name, tech_word in names if tech_word.startswith(lowered)
                       and len(lowered) >= 0.6 * len(tech_word) and len(name.split()) <= 4}, key=len)
        if 0 < len(hits) <= 8:
            owners = sorted({o.code for o in space.library.occupations.values()
                             for name in hits if name in o.technologies})
            if owners:
                found[hits[0]] = owners
    return found


@lru_cache(maxsize=1)
def _statement_words() -> frozenset[str]:
    """Words O*NET's task statements use: ordinary English, not brand names."""
    return frozenset(w for t in load_task_library().tasks for w in re.findall(r"[a-z]+", t.text.lower()))


@lru_cache(maxsize=1)
def _technology_words() -> dict[str, list[tuple[str, str]]]:
    """Technology names by the first four letters of each of their words."""
    index: dict[str, list[tuple[str, str]]] = {}
    for name in load_activity_space().tech_names:
        for word in re.findall(r"[A-Za-z][A-Za-z0-9+#]*", name):
            if len(word) >= 3:
                index.setdefault(word.lower()[:4], []).append((name, word.lower()))
    return index


def _occupation_votes(vector: F32, top: int = 8) -> np.ndarray:
    """Share of the occupations whose task statements come closest to the goal that fall in each domain."""
    space = load_activity_space()
    similarities = space.statement_vectors @ vector
    owners: list[int] = []
    for i in np.argsort(-similarities)[:300]:
        owner = int(space.statement_owner[i])
        if owner not in owners:
            owners.append(owner)
        if len(owners) == top:
            break
    names = [d.name for d in DOMAINS]
    votes = np.zeros(len(DOMAINS), dtype=np.float32)
    for owner in owners:
        domain = soc_domain(space.occupation_codes[owner])
        if domain is not None:
            votes[names.index(domain)] += 1.0 / top
    return votes


def _kind_scores(text: str, similarities: F32, owner: list[int]) -> dict[str, float]:
    best = [-1.0] * len(KINDS)
    for sim, k in zip(similarities, owner, strict=True):
        best[k] = max(best[k], float(sim))
    lowered = text.lower()
    lead = GOAL_VERBS.match(lowered)
    leading = lead.group(0) if lead and looks_like_verb(lead.group(1)) else ""
    scores: dict[str, float] = {}
    for i, kind in enumerate(KINDS):
        cues = len(re.findall(kind.cues, lowered))
        first = KIND_CUE_WEIGHT if leading and re.search(kind.cues, leading + " ") else 0.0  # the goal's own verb
        scores[kind.name] = round(best[i] + KIND_CUE_WEIGHT * min(cues, 2) + first, 4)
    return scores
