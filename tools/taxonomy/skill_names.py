"""Skill names the product knows: ESCO v1.2 labels and O*NET technology, skill and knowledge names.

``known_skill(name)`` is the check a reviewer's plan edit must pass for every skill it names (see
:func:`policies.plan_checks.check_plan`): its key (:func:`tools.taxonomy.skill_key.skill_key`: case-folded,
whitespace collapsed, ® and ™ dropped) equals the key of an ESCO skill's preferred or alternative label, or of the
name of a technology, skill or knowledge area O*NET lists for an occupation. ``suggest_skills(text)`` offers such
names for what someone typed (the console's skill look-up). Both read the shipped data once per process.
"""

from __future__ import annotations

from functools import lru_cache

from tools.taxonomy.esco import load_esco
from tools.taxonomy.skill_key import skill_key
from tools.taxonomy.task_library import load_task_library

__all__ = ["canonical", "known_skill", "known_skill_names", "suggest_skills"]


@lru_cache(maxsize=1)
def known_skill_names() -> dict[str, str]:
    """Every known skill name by its :func:`~tools.taxonomy.skill_key.skill_key` → its spelling in the taxonomy
    (ESCO's wins over O*NET's)."""
    names: dict[str, str] = {}
    for occupation in load_task_library().occupations.values():
        for name in (*occupation.technologies, *occupation.skills):
            names.setdefault(skill_key(name), name)
    for skill in load_esco().skills.values():
        for label in (skill.label, *skill.alt_labels):
            names[skill_key(label)] = label
    names.pop("", None)
    return names


def known_skill(name: str) -> bool:
    """Whether ``name`` is a skill of the taxonomy (exact match of a label or name, case and spacing aside)."""
    return skill_key(name) in known_skill_names()


def canonical(name: str) -> str:
    """The taxonomy's spelling of a known skill name (``sql`` → ``SQL``); any other name trimmed, as given."""
    return known_skill_names().get(skill_key(name), name.strip())


def suggest_skills(text: str, *, top: int = 8) -> list[str]:
    """Known skill names for what someone typed, best first; each passes :func:`known_skill`.

    The name itself when it is known, ESCO's exact and same-stem matches, names that start with the text (shortest
    first), ESCO's matches on shared words (its skill finder, :func:`tools.taxonomy.esco.find_skills`), then names that
    contain the text.
    """
    wanted = skill_key(text)
    if not wanted or top < 1:
        return []
    names = known_skill_names()
    esco = load_esco().find_skills(text, top=top)
    starts: list[tuple[int, str]] = []
    contains: list[tuple[int, str]] = []
    for name_key in names:
        if name_key.startswith(wanted):
            starts.append((len(name_key), name_key))
        elif wanted in name_key:
            contains.append((len(name_key), name_key))
    ranked = [wanted] if wanted in names else []
    ranked += [skill_key(m.label) for m in esco if m.how != "tokens"]
    ranked += [k for _, k in sorted(starts)]
    ranked += [skill_key(m.label) for m in esco if m.how == "tokens"]
    ranked += [k for _, k in sorted(contains)]
    return [names[k] for k in dict.fromkeys(ranked) if k in names][:top]
