"""Known skill names (ESCO labels, O*NET technology/skill/knowledge names) and the look-up's suggestions."""

from __future__ import annotations

import pytest

from tools.taxonomy.esco import load_esco
from tools.taxonomy.skill_key import skill_key
from tools.taxonomy.skill_names import canonical, known_skill, known_skill_names, suggest_skills
from tools.taxonomy.task_library import load_task_library


@pytest.mark.parametrize("name", [
    "SQL",                              # ESCO preferred label
    "sql",                              # any case
    "  manage   budgets ",              # whitespace collapsed (ESCO preferred label "manage budgets")
    "Python (computer programming)",    # ESCO label with its parenthesis
    "Microsoft Excel",                  # O*NET technology
    "Critical Thinking",                # O*NET skill
    "Administration and Management",    # O*NET knowledge area
])
def test_taxonomy_names_are_known(name: str) -> None:
    assert known_skill(name)


@pytest.mark.parametrize("name", ["", "   ", "xyzzy plugh", "SQL wizardry", "manage budget"])
def test_other_names_are_not(name: str) -> None:
    """Exact names only: no stems ("manage budget"), no extra words, nothing from an empty text."""
    assert not known_skill(name)


def test_every_esco_label_and_onet_name_is_known() -> None:
    esco, library = load_esco(), load_task_library()
    labels = [label for s in esco.skills.values() for label in (s.label, *s.alt_labels)]
    onet = [n for o in library.occupations.values() for n in (*o.technologies, *o.skills)]
    assert all(known_skill(n) for n in labels + onet)
    assert len(known_skill_names()) == len({skill_key(n) for n in labels + onet} - {""})
    assert known_skill_names() is known_skill_names(), "loaded once per process"


def test_alternative_labels_are_known_by_their_own_spelling() -> None:
    skill = next(s for s in load_esco().skills.values() if s.alt_labels)
    assert known_skill(skill.alt_labels[0].upper())


def test_suggestions_are_known_names_best_first() -> None:
    found = suggest_skills("sql")
    assert found[0] == "SQL" and 1 < len(found) <= 8
    assert all(known_skill(n) for n in found)
    assert len({skill_key(n) for n in found}) == len(found), "no repeats"
    assert "Tableau" in suggest_skills("tabl"), "a name being typed is completed"
    assert suggest_skills("data vis", top=2)[0].casefold().startswith("data vis")
    assert len(suggest_skills("data", top=3)) == 3


@pytest.mark.parametrize("text", ["", "  ", "xyzzyplugh"])
def test_nothing_to_suggest(text: str) -> None:
    assert suggest_skills(text) == []


@pytest.mark.parametrize(("name", "spelled"), [
    ("sql", "SQL"), ("  microsoft   EXCEL ", "Microsoft Excel"), ("Critical thinking", "Critical Thinking"),
    (" Something unknown ", "Something unknown"),
])
def test_canonical_spelling(name: str, spelled: str) -> None:
    assert canonical(name) == spelled
