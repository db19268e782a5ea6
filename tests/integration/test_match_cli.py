"""`match rank` and `occupations ...` as a user runs them: a subprocess, small files, a fresh data folder.

Runs the ``talentops`` entry point (``workers.cli:main``, whose ``match``, ``occupations`` and ``skills``
sub-apps live in ``workers.cli.matching``). Bad-input runs are started together to keep the test short.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def employee(eid: str, title: str, statements: list[str], skills: list[str]) -> dict[str, Any]:
    return {"employee_id": eid, "work_history": [{"title": title, "is_current": True, "years": 2,
                                                  "responsibilities": statements}], "skills": skills,
            "department": "x"}


EMPLOYEES = [
    employee("e-ds", "Data Wrangler", ["Build predictive models of customer churn with machine learning."],
             ["Python", "SQL"]),
    employee("e-rn", "Staff Nurse", ["Administer medications and monitor patients' vital signs."], ["Epic"]),
    employee("e-dev", "Software Eng II", ["Write and test code for web applications."], ["JavaScript", "Git"]),
    employee("e-cook", "Line Cook", ["Prepare and cook meals to order."], []),
]
REQUESTS = [
    {"request_id": "r-ds", "title": "Data Scientist", "responsibilities": ["Develop machine learning models."],
     "required_skills": ["Python"]},
    {"request_id": "r-terse", "title": None, "responsibilities": ["Give patients medicine.",
                                                                  "Check blood pressure."], "required_skills": []},
]


def lines(*items: Any) -> str:
    return "".join((item if isinstance(item, str) else json.dumps(item)) + "\n" for item in items)


def start(tmp: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TALENTOPS_DATA_DIR": str(tmp / "data"), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", "from workers.cli import main; main()", *args], cwd=tmp, env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=240)
    return proc.returncode, out, err


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "employees.jsonl").write_text(lines(*EMPLOYEES))
    (tmp_path / "requests.jsonl").write_text(lines(*REQUESTS))
    return tmp_path


def test_rank_writes_one_ranking_per_request_with_reasons(folder: Path) -> None:
    code, _, err = finish(start(folder, "match", "rank", "--employees", "employees.jsonl", "--requests",
                                "requests.jsonl", "--top", "3", "--out", "out/ranked.jsonl"))
    assert code == 0, err
    assert "indexed employees: 4" in err and "ranked requests: 2/2" in err
    rows = [json.loads(x) for x in (folder / "out" / "ranked.jsonl").read_text().splitlines()]
    assert [r["request_id"] for r in rows] == ["r-ds", "r-terse"]
    for row in rows:
        assert len(row["ranking"]) == 3
        scores = [p["score"] for p in row["ranking"]]
        assert scores == sorted(scores, reverse=True)
        assert all(p["reasons"] and isinstance(p["reasons"][0], str) for p in row["ranking"])
    assert rows[0]["ranking"][0]["employee_id"] == "e-ds"
    assert rows[1]["ranking"][0]["employee_id"] == "e-rn"
    assert [p.name for p in (folder / "out").iterdir()] == ["ranked.jsonl"]


BAD_EMPLOYEES: dict[str, tuple[str, str]] = {
    "malformed": (lines(EMPLOYEES[0], '{"employee_id": "e2", "work_history": [', EMPLOYEES[1]),
                  "employees.jsonl line 2: not valid JSON"),
    "missing-id": (lines(EMPLOYEES[0], {k: v for k, v in EMPLOYEES[1].items() if k != "employee_id"}),
                   "employees.jsonl line 2: missing 'employee_id'"),
    "duplicate-id": (lines(EMPLOYEES[0], EMPLOYEES[1], EMPLOYEES[0]),
                     "employees.jsonl line 3: duplicate employee_id 'e-ds' (first on line 1)"),
    "empty-history": (lines({**EMPLOYEES[0], "work_history": []}), "employees.jsonl line 1: work_history"),
    "huge-line": (lines(EMPLOYEES[0], {**EMPLOYEES[1], "skills": ["x" * 1000] * 1100}),
                  "employees.jsonl line 2: line is longer than the 1,000,000-byte limit"),
    "empty-file": ("\n", "employees.jsonl: no records: the file is empty"),
}
BAD_REQUESTS: dict[str, tuple[str, str]] = {
    "request-malformed": (lines(REQUESTS[0], "nope"), "requests.jsonl line 2: not valid JSON"),
    "request-duplicate": (lines(REQUESTS[0], REQUESTS[0]), "requests.jsonl line 2: duplicate request_id 'r-ds'"),
    "request-missing-id": (lines({"title": "x"}), "requests.jsonl line 1: missing 'request_id'"),
    "request-empty": (lines({"request_id": "q", "title": None, "responsibilities": []}),
                      "requests.jsonl line 1: a request needs a title"),
}


def test_bad_input_names_the_line_and_leaves_no_output(folder: Path) -> None:
    runs: dict[str, tuple[subprocess.Popen[str], Path, str]] = {}
    for name, (content, expected) in {**BAD_EMPLOYEES, **BAD_REQUESTS}.items():
        case = folder / name
        case.mkdir()
        is_request = name.startswith("request")
        (case / "employees.jsonl").write_text(lines(*EMPLOYEES) if is_request else content)
        (case / "requests.jsonl").write_text(content if is_request else lines(*REQUESTS))
        (case / "old.jsonl").write_text("previous result\n")
        runs[name] = (start(case, "match", "rank", "--employees", "employees.jsonl", "--requests", "requests.jsonl",
                            "--out", "new.jsonl" if name != "duplicate-id" else "old.jsonl"), case, expected)
    missing = start(folder, "match", "rank", "--employees", "nope.jsonl", "--requests", "requests.jsonl",
                    "--out", "x.jsonl")
    for name, (proc, case, expected) in runs.items():
        code, _, err = finish(proc)
        assert code == 2, (name, err)
        assert err.strip() == f"error: {expected}" or err.strip().startswith(f"error: {expected}"), (name, err)
        assert "Traceback" not in err
        assert sorted(p.name for p in case.iterdir()) == ["employees.jsonl", "old.jsonl", "requests.jsonl"], name
        assert (case / "old.jsonl").read_text() == "previous result\n"
    code, _, err = finish(missing)
    assert code == 2 and "nope.jsonl: cannot read the file" in err and "Traceback" not in err


def test_occupations_related_and_title(folder: Path) -> None:
    related = start(folder, "occupations", "related", "15-2051.00", "--top", "5", "--json")
    unknown = start(folder, "occupations", "related", "99-0000.00")
    title = start(folder, "occupations", "title", "Sr. Software Eng", "--json", "--no-embeddings")
    code, out, err = finish(related)
    assert code == 0, err
    body = json.loads(out)
    assert body["code"] == "15-2051.00" and len(body["related"]) == 5
    first = body["related"][0]
    assert set(first) == {"code", "title", "score", "shared_skills", "shared_technologies", "onet_related",
                          "gap_skills", "gap_technologies"}
    assert [r["score"] for r in body["related"]] == sorted((r["score"] for r in body["related"]), reverse=True)
    assert "O*NET" in body["attribution"]
    code, _, err = finish(unknown)
    assert code == 4 and "unknown O*NET-SOC code '99-0000.00'" in err and "Traceback" not in err
    code, out, err = finish(title)
    assert code == 0, err
    assert json.loads(out)["matches"][0]["code"] == "15-1252.00"


def test_skills_find_shows_esco_matches_with_their_path(folder: Path) -> None:
    as_json = start(folder, "skills", "find", "sql", "--top", "3", "--json")
    text = start(folder, "skills", "find", "Manage budgets", "--top", "2")
    unknown = start(folder, "skills", "find", "zzqx blorf")
    empty = start(folder, "skills", "find", " ?! ")
    code, out, err = finish(as_json)
    assert code == 0, err
    body = json.loads(out)
    assert body["text"] == "sql" and body["esco_version"] == "ESCO v1.2.0"
    assert len(body["matches"]) == 3
    best = body["matches"][0]
    assert best["label"] == "SQL" and best["how"] == "exact" and best["score"] == 1.0
    assert best["uri"] == "http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742"
    assert best["path"][0] == "SQL" and best["path"][-1] == "knowledge" and "query languages" in best["path"]
    assert "ESCO classification of the European Commission" in body["attribution"]
    code, out, err = finish(text)
    assert code == 0, err
    first, path = out.splitlines()[:2]
    assert first.startswith("1.00  manage budgets  (exact")
    assert path.strip().startswith("manage budgets > ") and path.strip().endswith("transversal skills and competences")
    assert out.rstrip().endswith("This service uses the ESCO classification of the European Commission. "
                                 "(Modified: subset of files.)")
    code, out, err = finish(unknown)
    assert code == 4 and out == "" and "no ESCO skill matches 'zzqx blorf'" in err and "Traceback" not in err
    code, _, err = finish(empty)
    assert code == 2 and "has no words to match" in err


def test_talentops_registers_the_skills_commands(folder: Path) -> None:
    env = {**os.environ, "TALENTOPS_DATA_DIR": str(folder / "data"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", "from workers.cli import main; main()", "skills", "find", "python",
                           "--top", "1"], cwd=folder, env=env, text=True, capture_output=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("1.00  Python (computer programming)  (exact")
