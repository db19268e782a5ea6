"""Rows of an uploaded JSON Lines file by line number, for imports that name every bad line before writing any."""

from __future__ import annotations

import json
from typing import Any


def jsonl_rows(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """Each line's object with its line number (blank lines skipped), and a sentence per line that is not one."""
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(f"line {n}: not JSON ({err.msg})")
            continue
        if not isinstance(value, dict):
            problems.append(f"line {n}: a line is one JSON object")
            continue
        rows.append((n, value))
    return rows, problems
