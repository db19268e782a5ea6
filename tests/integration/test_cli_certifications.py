"""``talentops certifications ...`` as a user types it: a subprocess on the test run's Postgres (no ``up``, so no
Temporal: an import is stored and its reminders are left to the daily reconciliation), signing in with
``--as LOGIN --password-stdin``. Errors are a sentence and an exit code, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tools.people_import.demo_org import DEMO_PASSWORD

pytestmark = pytest.mark.integration
TALENTOPS = str(Path(sys.executable).parent / "talentops")


@pytest.fixture
def env(pool: asyncpg.Pool[Any], pg_url: str, tmp_path: Path) -> dict[str, str]:
    """The CLI's environment: the seeded database of this test run, a data folder of its own."""
    (tmp_path / "data").mkdir()
    clean = {k: v for k, v in os.environ.items() if k != "TALENTOPS_TEMPORAL_ADDRESS"}
    return {**clean, "TALENTOPS_DATA_DIR": str(tmp_path / "data"), "TALENTOPS_DATABASE_URL": pg_url}


def cli(env: dict[str, str], *args: str, login: str | None = None,
        password: str = DEMO_PASSWORD) -> subprocess.CompletedProcess[str]:
    signed_in = ("--as", login, "--password-stdin") if login else ()
    return subprocess.run([TALENTOPS, "certifications", *args, *signed_in], env=env, capture_output=True, text=True,
                          timeout=120, input=password + "\n" if login else None)


def refused(done: subprocess.CompletedProcess[str], words: str, code: int = 1) -> None:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_types_import_and_list_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    types = json.loads(cli(env, "types", "--json").stdout)
    by_id = {t["type_id"]: t for t in types}
    assert by_id["cissp"]["validity_months"] == 36 and by_id["cfa-level-1"]["validity_months"] is None
    listed = cli(env, "types").stdout
    assert "first-aid-at-work" in listed and "First Aid at Work (St John Ambulance): valid 36 months" in listed

    good = tmp_path / "registry.csv"
    good.write_text("email,type_name,credential_id,issued_on\n"
                    "julia.mwangi@northwind.example,Project Management Professional (PMP),PMI-3321,2024-10-01\n")
    done = cli(env, "import", str(good), login="hr.reviewer")
    assert done.returncode == 0, done.stderr
    assert "imported registry.csv: 1 new, 0 renewed, 0 corrected, 0 unchanged" in done.stdout
    assert "daily reconciliation" in done.stdout  # no Temporal here: said, not failed
    again = json.loads(cli(env, "import", str(good), "--json", login="admin").stdout)
    assert (again["added"], again["unchanged"], again["certification_ids"]) == (0, 1, [])

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"employee_id": "E0367", "type_id": "cka", "issued_on": "2024-10-01"}) + "\n"
                   + json.dumps({"employee_id": "E0367", "type_id": "cka", "issued_on": "2024-13-01"}) + "\n"
                   + json.dumps({"employee_id": "E9999", "type_id": "cka", "issued_on": "2024-10-01"}) + "\n")
    done = cli(env, "import", str(bad), login="hr.reviewer")
    refused(done, "bad.jsonl was not imported; 1 problem(s)")
    assert "line 2: issued_on: not a date (2024-13-01)" in done.stderr
    done = cli(env, "import", str(bad.with_name("fixed.jsonl")), login="hr.reviewer")
    refused(done, "no such file", 2)
    fixed = bad.with_name("fixed.jsonl")
    fixed.write_text(bad.read_text().replace("2024-13-01", "2024-11-01"))
    done = cli(env, "import", str(fixed), login="hr.reviewer")
    refused(done, "line 3: unknown employee 'E9999'")  # found before anything is written
    refused(cli(env, "import", str(good), login="sanne.devries"), "only HR reviewers and admins import")
    refused(cli(env, "import", str(good), login="hr.reviewer2", password="not-the-password"),
            "wrong login or password for 'hr.reviewer2'; nothing was imported")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    refused(cli(env, "import", str(notes), login="hr.reviewer"), "--format csv, jsonl or badge", 2)

    mine = cli(env, "list", login="sanne.devries")
    assert mine.returncode == 0, mine.stderr
    lines = mine.stdout.splitlines()  # soonest first (other tests give Sanne certifications of their own too)
    gcp = next(line for line in lines if line.startswith("cert-E0103-gcp-data-engineer"))
    assert "Expiring soon" in gcp
    assert "Information Security Awareness" in mine.stdout
    julia = json.loads(cli(env, "list", "--json", login="julia.mwangi").stdout)
    pmp = next(s for s in julia if s["certification"]["type_id"] == "pmp")
    assert pmp["expires_on"] == "2027-10-01"  # the 36 months of a PMP, from the issue date
    assert pmp["certification"]["credential_id"] == "PMI-3321"
