"""The ESCO extract shipped in tools/data and the skill finder over it."""

from __future__ import annotations

from importlib import resources

import pytest

from tools.taxonomy.esco import EscoTaxonomy, find_skills, load_esco, normalise

SQL = "598de5b0-5b58-4ea7-8058-a4bc4d18c742"
PYTHON = "ccd0a1d9-afda-43d9-b901-96344886e14d"
MANAGE_BUDGETS = "21c5790c-0930-4d74-b3b0-84caf5af12ea"


@pytest.fixture(scope="module")
def esco() -> EscoTaxonomy:
    return load_esco()


def test_the_extract_holds_every_skill_the_hierarchy_and_the_attribution(esco: EscoTaxonomy) -> None:
    assert len(esco.skills) == 13_939
    assert len(esco.groups) == 640
    assert len(esco.relations) == 5_818
    assert all(skill.broader for skill in esco.skills.values())
    tops = {g.label for g in esco.groups.values() if not g.broader}
    assert tops == {"skills", "knowledge", "transversal skills and competences", "language skills and knowledge"}
    assert esco.attribution == ("This service uses the ESCO classification of the European Commission. "
                                "(Modified: subset of files.)")
    # labels taken from ESCO's own columns are not marked as split by rule
    assert not esco.skills[SQL].labels_inferred and esco.skills[MANAGE_BUDGETS].labels_inferred


@pytest.mark.parametrize(("text", "skill_id", "groups"), [
    ("SQL", SQL, ("query languages", "software and applications development and analysis",
                  "information and communication technologies (icts)", "knowledge")),
    ("sql", SQL, ("query languages", "knowledge")),
    ("Python", PYTHON, ("computer programming", "skills")),  # "Python (computer programming)": parenthesis optional
    ("manage budgets", MANAGE_BUDGETS, ("core skills and competences", "transversal skills and competences")),
    ("Manage budget", MANAGE_BUDGETS, ("transversal skills and competences",)),  # same stems
])
def test_known_skills_map_to_their_esco_skill_and_group_path(text: str, skill_id: str, groups: tuple[str, ...]) -> None:
    best = find_skills(text, top=3)[0]
    assert best.id == skill_id
    assert best.uri == f"http://data.europa.eu/esco/skill/{skill_id}"
    assert best.how in ("exact", "exact-stem") and best.score >= 0.95
    assert best.path[0] == best.label and best.path[-1] == groups[-1]
    assert [label for label in best.path if label in groups] == list(groups)  # in this order, narrowest first


def test_a_skill_names_its_other_broader_concepts() -> None:
    best = find_skills("python")[0]
    assert best.label == "Python (computer programming)"
    assert best.path[:2] == ("Python (computer programming)", "computer programming")
    assert "software and applications development and analysis" in best.also_under


def test_alternative_labels_match(esco: EscoTaxonomy) -> None:
    # collection skill: "Haskell techniques" is an alternative label of Haskell
    best = find_skills("Haskell techniques")[0]
    assert best.label == "Haskell" and best.matched == "Haskell techniques" and best.how == "exact"
    # rule-split skill: "handle operational budgets" is an alternative label of "manage budgets"
    best = find_skills("handle operational budgets")[0]
    assert best.id == MANAGE_BUDGETS and best.matched == "handle operational budgets"


def test_token_overlap_finds_close_labels_and_ranks_them() -> None:
    found = find_skills("budget management for schools", top=5)
    assert found and all(m.how == "tokens" for m in found)
    assert any("budget" in m.label for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    assert len(find_skills("data", top=7)) == 7


@pytest.mark.parametrize("text", ["zzqx blorf", "", "   ", "the of and", "?!"])
def test_unknown_text_matches_nothing(text: str) -> None:
    assert find_skills(text) == []


def test_normalise_keeps_plus_and_hash() -> None:
    assert normalise("  C++ / C#, (Java) ") == "c++ c# java"
    assert find_skills("C++")[0].label == "C++"


def test_the_console_footer_carries_the_esco_attribution(esco: EscoTaxonomy) -> None:
    base = resources.files("review_console").joinpath("templates/base.html").read_text(encoding="utf-8")
    footer = base.split("<footer>", 1)[1]
    assert esco.attribution in footer
