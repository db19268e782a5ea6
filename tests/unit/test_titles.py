"""Title normalisation against the shipped O*NET library."""

from __future__ import annotations

import pytest

from tools.embeddings import get_encoder
from tools.taxonomy.adjacency import OccupationSpace, get_occupation_space
from tools.taxonomy.titles import TitleNormalizer, title_words


@pytest.fixture(scope="module")
def space() -> OccupationSpace:
    return get_occupation_space()


@pytest.fixture(scope="module")
def lexical(space: OccupationSpace) -> TitleNormalizer:
    return TitleNormalizer(space, None)


def test_title_words_expand_abbreviations_and_drop_seniority() -> None:
    assert title_words("Sr. Software Eng II") == title_words("software engineer")
    assert title_words("HR Mgr") == title_words("Human Resources Manager")
    assert title_words("  ") == []


@pytest.mark.parametrize(("title", "code"), [
    ("Software Developers", "15-1252.00"),  # the O*NET title itself
    ("Sr. Software Engineer II", "15-1252.00"),
    ("Registered Nurse", "29-1141.00"),
    ("data scientist", "15-2051.00"),
    ("Accountant", "13-2011.00"),
])
def test_common_titles(lexical: TitleNormalizer, title: str, code: str) -> None:
    matches = lexical.normalize(title, top=3)
    assert matches[0].code == code, matches
    assert 0 < matches[0].confidence <= 1
    assert matches[0].confidence >= matches[1].confidence


def test_typo_and_word_order_still_match(lexical: TitleNormalizer) -> None:
    assert "15-1252.00" in [m.code for m in lexical.normalize("Enginer, Softwre", top=5)]


def test_empty_title_gives_nothing_and_nonsense_gives_low_confidence(lexical: TitleNormalizer) -> None:
    assert lexical.normalize("---") == []
    assert lexical.normalize("zzqx blorft")[0].confidence < 0.3


def test_embeddings_help_with_synonyms(space: OccupationSpace) -> None:
    normalizer = TitleNormalizer(space, get_encoder())
    matches = normalizer.normalize("Machine Learning Engineer", top=5)
    assert matches[0].matched
    assert {"15-2051.00", "15-1221.00", "15-1252.00"} & {m.code for m in matches}
