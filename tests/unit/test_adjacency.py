"""Occupation adjacency inferred from tasks, skills and technologies."""

from __future__ import annotations

import numpy as np
import pytest

from tools.taxonomy import task_library as taxonomy
from tools.taxonomy.adjacency import OccupationSpace, get_occupation_space, normalise_code
from tools.taxonomy.sparse import PostingIndex, TermWeights


@pytest.fixture(scope="module")
def space() -> OccupationSpace:
    return get_occupation_space()


def test_sparse_helpers_agree_with_dense() -> None:
    docs = [["a", "b", "b"], ["b", "c"], [], ["c", "c", "d"]]
    terms = TermWeights(docs)
    rows = terms.transform(docs)
    dense = rows.to_dense()
    assert np.allclose(np.linalg.norm(dense[[0, 1, 3]], axis=1), 1.0)
    other = np.random.default_rng(0).random((terms.size, 3)).astype(np.float32)
    assert np.allclose(rows.dot_dense(other, budget=3), dense @ other, atol=1e-5)
    ids, w = terms.vector(["b", "c", "zzz"])
    assert np.allclose(PostingIndex(rows).score(ids, w), dense[:, ids] @ w, atol=1e-6)


def test_adjacency_is_symmetric_bounded_and_zero_on_diagonal(space: OccupationSpace) -> None:
    adj = space.adjacency
    assert adj.shape == (len(space.codes), len(space.codes))
    assert np.allclose(adj, adj.T, atol=1e-5)
    assert float(adj.min()) >= 0.0 and float(adj.max()) <= 1.0
    assert not np.diag(adj).any()


def test_inferred_neighbours_of_data_scientists_make_sense(space: OccupationSpace) -> None:
    related = space.related("15-2051.00", top=10, use_onet=False)
    codes = [r.code for r in related]
    assert "15-2051.00" not in codes
    assert {"15-2041.00", "15-2051.01", "15-2031.00"} & set(codes[:5])
    assert [r.score for r in related] == sorted((r.score for r in related), reverse=True)
    assert any(r.shared_technologies for r in related)
    assert any(r.onet_related for r in related)  # inferred neighbours overlap O*NET's own list


def test_occupation_without_onet_related_list_still_gets_neighbours(space: OccupationSpace) -> None:
    withheld = next(c for c in space.codes if not space.library.occupations[c].related)
    related = space.related(withheld, top=5)
    assert len(related) == 5 and not any(r.onet_related for r in related)
    assert related[0].score > 0


def test_codes_and_errors(space: OccupationSpace) -> None:
    assert normalise_code(" 15-2051 ") == "15-2051.00"
    assert space.related("15-2051", top=1)[0].code != "15-2051.00"
    with pytest.raises(KeyError):
        space.related("99-9999.99")


def test_text_classification(space: OccupationSpace) -> None:
    scores = space.text_scores(["Administer medications to patients and monitor vital signs.",
                                "Write and test computer code for software applications."])
    top = [space.codes[int(np.argmax(row))] for row in scores]
    assert top[0].startswith("29-") or top[0].startswith("31-")
    assert top[1].startswith("15-")


def test_gap_is_what_the_target_has_and_the_source_lacks(space: OccupationSpace) -> None:
    """Business Intelligence Analysts → Data Warehousing Specialists, checked against the library itself."""
    library = taxonomy.load_task_library()
    source, target = library.occupations["15-2051.01"], library.occupations["15-1243.01"]
    related = {r.code: r for r in space.related(source.code, top=50, use_onet=False, gap_limit=100)}
    assert target.code in related
    found = related[target.code]
    expected_skills = [s for s in dict.fromkeys(target.skills) if s not in source.skills]
    source_techs = {t.casefold() for t in source.technologies}
    expected_techs = [t for t in dict.fromkeys(target.technologies) if t.casefold() not in source_techs]
    assert found.gap_skills == expected_skills and "Programming" in found.gap_skills
    assert found.gap_technologies == expected_techs and expected_techs
    # nothing in the gap is shared, and the gap keeps the library's order (most important / hot first)
    assert not set(found.gap_skills) & set(found.shared_skills)
    assert not set(found.gap_technologies) & set(found.shared_technologies)
    assert found.gap_skills == sorted(found.gap_skills, key=target.skills.index)
    assert found.gap_technologies == sorted(found.gap_technologies, key=target.technologies.index)
    # the default limit trims the same lists; and the gap is direction-specific
    default = next(r for r in space.related(source.code, top=50, use_onet=False) if r.code == target.code)
    assert default.gap_technologies == expected_techs[:12] and default.gap_skills == expected_skills[:12]
    i, j = space.index_of(source.code), space.index_of(target.code)
    back = space.gap_technologies(j, i)
    target_techs = {t.casefold() for t in target.technologies}
    assert back == [t for t in dict.fromkeys(source.technologies) if t.casefold() not in target_techs]


def test_gap_of_an_occupation_without_skills_is_only_technologies(space: OccupationSpace) -> None:
    """Data Scientists have no O*NET skills in the library (withheld rows): no skills gap, never an error."""
    assert not space.library.occupations["15-2051.00"].skills
    i, j = space.index_of("15-2051.01"), space.index_of("15-2051.00")
    assert space.gap_skills(i, j) == []
    assert space.gap_technologies(i, j)
    assert space.gap_skills(j, i) == list(dict.fromkeys(space.library.occupations["15-2051.01"].skills))
