"""The matcher on a small synthetic workforce (real MiniLM model, shipped O*NET library)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tools.matching.ranker import EmployeeIndex
from tools.matching.record_text import embedding_text
from tools.people.hris_jsonl import EmployeeRecord, MatchRequest
from tools.taxonomy.adjacency import get_occupation_space


def person(eid: str, title: str, statements: list[str], skills: list[str],
           past: tuple[str, list[str]] | None = None) -> dict[str, Any]:
    history = [{"title": title, "is_current": True, "years": 3, "responsibilities": statements}]
    if past:
        history.append({"title": past[0], "is_current": False, "years": 2, "responsibilities": past[1]})
    return {"employee_id": eid, "work_history": history, "skills": skills, "location": "Berlin"}


PEOPLE = [
    person("ds1", "Data Wrangler", ["Apply statistical learning methods to build predictive models of customer "
                                    "churn.", "Clean and analyse large data sets."], ["Python", "SQL", "R"]),
    person("ds2", "Quant Insights Lead", ["Develop machine learning models and validate them on held-out data."],
           ["Python", "TensorFlow"]),
    person("stat", "Statistician", ["Design surveys and analyse the results with statistical methods."],
           ["SAS", "R"]),
    person("rn1", "Staff Nurse", ["Administer medications to patients and monitor their vital signs.",
                                  "Record patient histories and symptoms."], ["Epic Systems"]),
    person("rn2", "Charge Nurse", ["Supervise nursing staff on the ward and monitor patient care."], []),
    person("dev", "Software Eng II", ["Write and test code for web applications.", "Review pull requests."],
           ["Python", "JavaScript", "Git"], past=("Data Analyst", ["Build dashboards of sales data."])),
    person("chef", "Sous Chef", ["Prepare sauces and supervise line cooks."], ["Food safety"]),
    person("truck", "Driver", ["Drive a heavy truck to deliver goods to customers."], []),
]


@pytest.fixture(scope="module")
def index() -> EmployeeIndex:
    records = [EmployeeRecord.model_validate(p) for p in PEOPLE[:4]] + PEOPLE[4:]  # records and plain rows
    return EmployeeIndex.build(records)


def test_layout_is_flat_arrays(index: EmployeeIndex) -> None:
    assert len(index) == len(PEOPLE)
    assert index.vectors.dtype == np.float32 and index.vectors.shape == (len(PEOPLE), 384)
    assert np.allclose(np.linalg.norm(index.vectors, axis=1), 1.0, atol=1e-3)
    assert index.occ_index.dtype == np.int16 and index.occ_prob.shape == (len(PEOPLE), 5)
    assert index.nbytes > 0


def test_full_request_ranks_the_right_people_first_with_reasons(index: EmployeeIndex) -> None:
    request = MatchRequest(request_id="r", title="Data Scientist",
                           responsibilities=["Build predictive models with machine learning."],
                           required_skills=["Python", "SQL", "Tableau"])
    ranking = index.rank(request, top=3)
    assert [r.employee_id for r in ranking][:2] == ["ds1", "ds2"] or ranking[0].employee_id == "ds1"
    assert {r.employee_id for r in ranking[:3]} <= {"ds1", "ds2", "stat", "dev"}
    assert [r.score for r in ranking] == sorted((r.score for r in ranking), reverse=True)
    assert all(r.reasons for r in ranking)
    top = ranking[0]
    assert any("has 2 of 3 required skills: Python, SQL; missing Tableau" in x for x in top.reasons)
    assert any(x.startswith("did “") for x in top.reasons)
    assert set(top.signals) == {"lexical", "semantic", "occupation", "skills"}


def test_terse_request_without_title_or_skills(index: EmployeeIndex) -> None:
    request = MatchRequest(request_id="t", responsibilities=["Give patients their medicine.",
                                                             "Check blood pressure and temperature."])
    ranking = index.rank(request, top=2)
    assert {r.employee_id for r in ranking} == {"rn1", "rn2"}
    assert all(len(r.reasons) >= 2 for r in ranking)


def test_top_larger_than_workforce_and_deterministic_ties(index: EmployeeIndex) -> None:
    request = MatchRequest(request_id="x", title="Chef")
    first = index.rank(request, top=50)
    assert len(first) == len(PEOPLE) and first[0].employee_id == "chef"
    assert [r.employee_id for r in index.rank(request, top=50)] == [r.employee_id for r in first]
    ids, scores = index.rank_ids(request, top=3)
    assert [index.ids[i] for i in ids] == [r.employee_id for r in first[:3]]
    assert np.all(np.diff(scores) <= 0)


def test_without_embeddings_and_with_duplicates() -> None:
    lexical = EmployeeIndex.build(PEOPLE, use_embeddings=False, space=get_occupation_space())
    ranking = lexical.rank(MatchRequest(request_id="d", title="Truck Driver",
                                        responsibilities=["Deliver goods by truck."]), top=1)
    assert ranking[0].employee_id == "truck"
    assert not any("embedding" in x for x in ranking[0].reasons)
    with pytest.raises(ValueError, match="duplicate employee_id 'ds1'"):
        EmployeeIndex.build([PEOPLE[0], PEOPLE[0]], use_embeddings=False)
    with pytest.raises(ValueError, match="no employees"):
        EmployeeIndex.build([], use_embeddings=False)


def test_embedding_text_puts_the_current_job_first() -> None:
    record = EmployeeRecord.model_validate({"employee_id": "e", "skills": ["Git"], "work_history": [
        {"title": "Old", "is_current": False, "responsibilities": ["a"]},
        {"title": "New", "is_current": True, "responsibilities": ["b"]}]})
    assert embedding_text(record) == "New. b Old. a Skills: Git."


def test_encoder_vectors_are_unit_deduplicated_and_meaningful() -> None:
    from tools.embeddings import get_encoder

    encoder = get_encoder()
    vectors = encoder.encode(["Build predictive models with machine learning.",
                              "Develop statistical models to forecast demand.",
                              "Drive a truck to deliver furniture.",
                              "Build predictive models with machine learning."])
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.array_equal(vectors[0], vectors[3])
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2
    assert encoder.encode([]).shape == (0, 384)
    long_text = "model " * 400
    assert np.allclose(encoder.encode([long_text], max_tokens=32)[0], encoder.encode(["model " * 30])[0], atol=1e-3)
    assert encoder.token_counts(["hello world", long_text]) == [4, 128]


def test_missing_model_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from tools.embeddings import MODEL_ENV, EmbeddingModelMissing, Encoder

    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "absent.onnx"))
    with pytest.raises(EmbeddingModelMissing, match="not a file"):
        Encoder()


def test_precomputed_vectors_are_used_and_only_the_missing_ones_encoded(index: EmployeeIndex) -> None:
    from tools.embeddings import get_encoder

    class Counting:
        """The real encoder, counting the texts it is asked to encode."""

        def __init__(self) -> None:
            self.texts = 0

        def encode(self, texts: list[str], **kwargs: Any) -> Any:
            self.texts += len(texts)
            return get_encoder().encode(texts, **kwargs)

        def encode_one(self, text: str) -> Any:
            return get_encoder().encode_one(text)

    stored = {eid: index.vectors[i] for i, eid in enumerate(index.ids) if eid != "rn2"}
    counting = Counting()
    again = EmployeeIndex.build(PEOPLE, encoder=counting, precomputed=stored)  # type: ignore[arg-type]
    assert counting.texts == 1, "only rn2 is encoded"
    assert not stored, "the precomputed vectors were moved into the index, not kept twice"
    assert np.allclose(again.vectors, index.vectors, atol=2e-3)
    request = MatchRequest(request_id="t", responsibilities=["Give patients their medicine."])
    assert [r.employee_id for r in again.rank(request, top=3)] == [r.employee_id for r in index.rank(request, top=3)]
    with pytest.raises(ValueError, match="precomputed vector of 'ds1' has shape"):
        EmployeeIndex.build(PEOPLE, precomputed={"ds1": np.zeros(3, dtype=np.float32)})
