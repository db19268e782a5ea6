"""Reading an LMS export: every bad line named, nothing taken from a file with one."""

from __future__ import annotations

import json

import pytest

from tools.learning.catalogue_import import CatalogueFileError, parse
from tools.learning.demo_catalogue import PROVIDER, demo_catalogue

GOOD = {"item_id": "C-1", "title": "SQL basics", "provider": "Acme LMS", "skills": ["SQL"], "hours": 4}


def test_json_lines_and_csv_give_the_same_items() -> None:
    jsonl = json.dumps(GOOD) + "\n\n" + json.dumps({**GOOD, "item_id": "C-2", "format": "video"}) + "\n"
    csv = ("item_id,title,provider,url,skills,hours,format\n"
           "C-1,SQL basics,Acme LMS,,SQL,4,course\nC-2,SQL basics,Acme LMS,,SQL,4,video\n")
    assert parse(jsonl, "jsonl") == parse(csv, "csv")
    assert [i.format for i in parse(csv, "csv")] == ["course", "video"]


def test_every_bad_line_is_named_and_nothing_is_taken() -> None:
    text = "\n".join([json.dumps(GOOD), "{not json", json.dumps({**GOOD, "item_id": "C-3", "hours": 0}),
                      json.dumps(GOOD), json.dumps([1, 2]), json.dumps({**GOOD, "item_id": "C-4", "skills": []})])
    with pytest.raises(CatalogueFileError) as err:
        parse(text, "jsonl")
    problems = err.value.problems
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 5", "line 6"]
    assert "also on line 1" in problems[2] and "hours" in problems[1] and "skills" in problems[4]


def test_a_csv_without_the_needed_columns_is_refused_at_its_header() -> None:
    with pytest.raises(CatalogueFileError, match="line 1: the header lacks hours, skills"):
        parse("item_id,title,provider\nC-1,SQL,Acme\n", "csv")


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(CatalogueFileError, match="no items"):
        parse("\n\n", "jsonl")


def test_the_demo_catalogue_teaches_the_names_tasks_are_grounded_in_and_says_where_it_comes_from() -> None:
    items = demo_catalogue()
    by_skill = {i.skills[0]: i for i in items}
    assert by_skill["Customer and Personal Service"].title == "Customer service: foundations"
    assert by_skill["Personnel and Human Resources"].title == "Manage human resources: foundations"
    assert all(i.provider == PROVIDER and (i.url or "").startswith("http://data.europa.eu/esco/skill/")
               for i in items)
    assert len({i.item_id for i in items}) == len(items) > 100


def test_control_characters_are_refused_by_line_not_sent_to_postgres() -> None:
    nul = json.dumps({**GOOD, "title": "SQL\u0000basics"})
    csv = "item_id,title,provider,skills,hours\nC-1,SQL,Acme,SQL;Python\x07,4\n"
    with pytest.raises(CatalogueFileError, match=r"line 1: control characters .* in title"):
        parse(nul, "jsonl")
    with pytest.raises(CatalogueFileError, match=r"line 2: control characters .* in skills"):
        parse(csv, "csv")
