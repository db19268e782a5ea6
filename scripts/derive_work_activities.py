"""Derive the planner's O*NET work-activity data and its sentence vectors in tools/data.

Usage (from the repository root):
    python scripts/derive_work_activities.py --shared ../shared/data --out tools/data

Writes ``work_activities.json.gz`` (O*NET 29.3 Detailed Work Activities, their Intermediate Work Activity, and
the occupations whose task statements are linked to each, from DWA Reference and Tasks to DWAs) and
``planning_vectors.npz`` (MiniLM vectors of the DWA titles, of every occupation in ``task_library.json.gz``,
of its technology names, skill and knowledge names and task statements),
so a worker does not embed ~26,000 texts at start.
The JSON output is deterministic; the vectors are the shipped int8 MiniLM's, stored as int8 with a scale per row.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from derive_data import SOURCE, read_csv, write_json_gz


def build_work_activities(onet: Path) -> dict[str, object]:
    """Every DWA with its IWA and the occupations (with their linked task count) that perform it."""
    reference = read_csv(onet / "dwa_reference.csv")
    links: dict[str, Counter[str]] = defaultdict(Counter)
    for row in read_csv(onet / "tasks_to_dwas.csv"):
        links[row["DWA ID"]][row["O*NET-SOC Code"]] += 1
    dwas = [{"id": r["DWA ID"], "title": r["DWA Title"], "iwa": r["IWA Title"], "element": r["Element Name"],
             "occupations": dict(sorted(links[r["DWA ID"]].items()))}
            for r in sorted(reference, key=lambda r: r["DWA ID"])]
    return {"source": SOURCE, "dwas": dwas}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("tools/data"))
    args = parser.parse_args()
    write_json_gz(args.out / "work_activities.json.gz", build_work_activities(args.shared / "onet"))
    from tools.taxonomy.work_activities import write_vectors  # after the JSON it embeds exists

    write_vectors(args.out / "planning_vectors.npz")
    print(f"wrote {args.out}/work_activities.json.gz and planning_vectors.npz")


if __name__ == "__main__":
    main()
