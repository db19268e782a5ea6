"""The layering the import contracts state holds at run time too: what each process actually loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ("onnxruntime", "tokenizers", "pydantic_ai", "langgraph", "agents", "tools.matching", "tools.embeddings",
         "tools.people_import", "workflows.goal")
"""Modules the console and the CLI's everyday commands must not load: the agents, the matcher, the embedding
runtime and the workflow's code (they belong to the worker)."""


def loaded_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; the heavy modules it left loaded."""
    probe = (f"{code}\nimport sys\n"
             f"print('\\n'.join(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m.startswith({HEAVY!r})))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return [m for m in out.stdout.split() if m == "agents" or m.startswith(HEAVY)]


def test_the_console_app_loads_no_agent_matcher_or_embedding_runtime() -> None:
    loaded = loaded_after(
        "from infra.settings import Settings\n"
        "from review_console.app import create_app\n"
        "from workflows.usecases import Services\n"
        "app = create_app(Services(pool=None, client=None, settings=Settings()))\n"  # type: ignore[arg-type]
        "assert '/api/goals' in app.openapi()['paths']")
    assert loaded == []


def test_the_cli_loads_no_agent_or_matcher_until_a_command_needs_one() -> None:
    assert loaded_after("import workers.cli") == []


def test_the_probe_sees_a_heavy_import() -> None:
    """The check above can fail: importing the matcher is reported."""
    assert "tools.matching.candidates" in loaded_after("import tools.matching.candidates")


def test_the_readme_layout_table_lists_the_contract_layers_in_order() -> None:
    import re
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers" and "containers" not in c)
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Layout"):readme.index("### Where does my change go?")]
    folders = [f for f in re.findall(r"^\| `(\w+)/` \|", table, re.M) if f not in ("tests", "bench")]
    assert folders == layers


def test_only_the_goal_store_writes_a_goals_status() -> None:
    import re

    packages = ["workers", "review_console", "workflows", "agents", "policies", "tools", "infra"]
    writers = sorted(str(p.relative_to(ROOT)) for pkg in packages for p in (ROOT / pkg).rglob("*.py")
                     if re.search(r"UPDATE goals SET\b[^;]*?\bstatus\s*=|INSERT INTO goals\b", p.read_text()))
    assert writers == ["infra/store/goals.py"]
