"""JSON Lines parsing of employees and requests: every bad input names its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.people.hris_jsonl import JsonlError, iter_employees, read_requests

GOOD = {"employee_id": "E1", "work_history": [{"title": "Data Wrangler", "is_current": True, "years": 3,
                                               "responsibilities": ["Clean data."]}], "skills": ["Python"]}


def write(tmp_path: Path, *lines: str | bytes, name: str = "people.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines))
    return path


def error_of(path: Path) -> JsonlError:
    with pytest.raises(JsonlError) as info:
        list(iter_employees(path))
    return info.value


def test_reads_employees_with_extra_fields_and_blank_lines(tmp_path: Path) -> None:
    other = {**GOOD, "employee_id": 42, "department": "data", "skills": None, "work_history": [
        {"title": "Analyst", "years": 2, "responsibilities": None, "employer": "x"},
        {"title": None, "responsibilities": ["Filed reports."]}]}
    path = write(tmp_path, json.dumps(GOOD), "", "   ", json.dumps(other))
    people = list(iter_employees(path))
    assert [p.employee_id for p in people] == ["E1", "42"]
    assert people[1].current_job().title == "Analyst"  # no job marked current: the first one
    assert people[0].skills == ["Python"]
    assert people[1].skills == [] and people[1].work_history[1].title == ""


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\r\n")
    assert [p.employee_id for p in iter_employees(path)] == ["E1"]


@pytest.mark.parametrize(("lines", "line", "words"), [
    (["{not json"], 1, "not valid JSON"),
    ([json.dumps(GOOD), "[1, 2]"], 2, "expected a JSON object"),
    ([json.dumps({k: v for k, v in GOOD.items() if k != "employee_id"})], 1, "missing 'employee_id'"),
    ([json.dumps({**GOOD, "employee_id": ""})], 1, "missing 'employee_id'"),
    ([json.dumps(GOOD), json.dumps(GOOD)], 2, "duplicate employee_id 'E1' (first on line 1)"),
    ([json.dumps({**GOOD, "work_history": []})], 1, "work_history"),
    ([json.dumps({**GOOD, "work_history": [{"title": "", "responsibilities": []}]})], 1, "every job is empty"),
    ([json.dumps({**GOOD, "work_history": [{"title": "A", "years": "many"}]})], 1, "years"),
    ([json.dumps({**GOOD, "skills": "Python"})], 1, "skills"),
])
def test_bad_lines_name_the_line(tmp_path: Path, lines: list[str], line: int, words: str) -> None:
    err = error_of(write(tmp_path, *lines))
    assert err.line == line
    assert words in str(err)
    assert str(err).startswith(f"people.jsonl line {line}: ")


def test_huge_line_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    huge = json.dumps({**GOOD, "skills": ["x" * 100] * 20})
    path = write(tmp_path, json.dumps({**GOOD, "employee_id": "E0"}), huge)
    with pytest.raises(JsonlError) as info:
        list(iter_employees(path, max_line_bytes=1000))
    assert info.value.line == 2 and "longer than the 1,000-byte limit" in str(info.value)


def test_bad_utf8_and_empty_and_missing_files(tmp_path: Path) -> None:
    assert "not valid UTF-8" in str(error_of(write(tmp_path, b'{"employee_id": "\xff"}')))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    assert "empty" in str(error_of(empty))
    missing = error_of(tmp_path / "nope.jsonl")
    assert missing.line is None and "cannot read" in str(missing)


def test_requests(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps({"request_id": "R1", "title": None, "responsibilities": ["Build models."],
                                       "required_skills": []}),
                 json.dumps({"request_id": "R2", "title": "Analyst"}), name="req.jsonl")
    requests = read_requests(path)
    assert [r.request_id for r in requests] == ["R1", "R2"]
    assert requests[0].text() == "Build models."
    bad = write(tmp_path, json.dumps({"request_id": "R1", "title": None, "responsibilities": []}), name="bad.jsonl")
    with pytest.raises(JsonlError, match=r"bad\.jsonl line 1: a request needs a title"):
        read_requests(bad)
    dup = write(tmp_path, json.dumps({"request_id": "R1", "title": "A"}), json.dumps({"request_id": "R1",
                                                                                      "title": "B"}), name="d.jsonl")
    with pytest.raises(JsonlError, match="line 2: duplicate request_id 'R1'"):
        read_requests(dup)
