"""One skill key: case, spacing and trademark signs aside, and the same function wherever skills are compared."""

from __future__ import annotations

import gzip
import importlib
import json
import re
from pathlib import Path

import pytest

from tools.taxonomy.esco import load_esco
from tools.taxonomy.skill_key import skill_key
from tools.taxonomy.task_library import load_task_library

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("name", "key"), [
    ("SQL", "sql"),
    ("  Microsoft \t Excel\n", "microsoft excel"),       # any whitespace, collapsed and trimmed
    ("Microsoft\u00a0Excel", "microsoft excel"),          # no-break space
    ("Data\u3000Analysis", "data analysis"),              # ideographic space
    ("Tableau®", "tableau"),
    ("Microsoft Excel ®", "microsoft excel"),             # the sign goes, and the space before it
    ("Java™ SE", "java se"),
    ("® ™", ""),
    ("", ""),
    ("   ", ""),
    ("Ångström", "ångström"),
    ("ÅNGSTRÖM", "ångström"),
    ("Straße", "strasse"),                                # case-folded, not only lower-cased
    ("STRASSE", "strasse"),
    ("ΟΔΟΣ", "οδοσ"),                                     # final sigma folds like any sigma
    ("ﬁnance", "finance"),                                # ligature
    ("C++", "c++"),
])
def test_the_key(name: str, key: str) -> None:
    assert skill_key(name) == key


@pytest.mark.parametrize(("a", "b"), [
    ("Python", "python"), ("Microsoft Excel®", "microsoft   EXCEL"), ("Straße", "STRASSE"),
    ("Ångström analysis", "ÅNGSTRÖM  ANALYSIS"), ("Tableau™", " tableau "),
])
def test_spellings_of_one_skill_share_a_key(a: str, b: str) -> None:
    assert skill_key(a) == skill_key(b)


@pytest.mark.parametrize("name", ["Ångström  ANALYSIS®", " Straße\tplanning ", "ΣΊΣΥΦΟΣ", "İstanbul", "ﬃ"])
def test_a_key_is_its_own_key(name: str) -> None:
    assert skill_key(skill_key(name)) == skill_key(name)


def test_the_shipped_names_keep_the_keys_they_had() -> None:
    """On real data the one key changes nothing: the taxonomy's names key as they did (case-folded, spaces
    collapsed) and the demo organisation's skills as the people side keyed them (lower-cased, spaces collapsed)."""
    library, esco = load_task_library(), load_esco()
    taxonomy = [n for o in library.occupations.values() for n in (*o.technologies, *o.skills)]
    taxonomy += [label for s in esco.skills.values() for label in (s.label, *s.alt_labels)]
    assert all(skill_key(n) == " ".join(n.casefold().split()) for n in taxonomy)
    demo = json.loads(gzip.decompress((ROOT / "tools" / "data" / "demo_org.json.gz").read_bytes()))
    people = [n for e in demo["employees"] for n in (*e.get("skills", []), *e.get("certifications", []))]
    assert people and all(skill_key(n) == " ".join(n.lower().split()) for n in people)


@pytest.mark.parametrize("module", [
    "tools.taxonomy.adjacency", "tools.taxonomy.skill_names", "tools.matching.candidates",
    "tools.matching.employee_records", "tools.matching.index_build", "tools.matching.occupation_guess",
    "tools.matching.ranker", "tools.matching.reasons", "tools.people.bridges", "tools.people.profile",
    "tools.people.skill_levels",
])
def test_every_module_that_compares_skills_uses_the_one_key(module: str) -> None:
    assert importlib.import_module(module).skill_key is skill_key


def test_skill_key_is_defined_once_and_no_query_computes_one() -> None:
    sources = {p: p.read_text() for p in (ROOT / "tools").rglob("*.py")}
    assert [p.name for p, text in sources.items() if "def skill_key(" in text] == ["skill_key.py"]
    # keys are computed in Python and passed in: no SQL of the tools lower-cases a skill name itself
    assert not [p.name for p, text in sources.items() if re.search(r"lower\(\s*regexp_replace", text)]
