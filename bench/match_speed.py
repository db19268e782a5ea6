"""Matching speed and memory from 1,000 to 100,000 employees (2-core machine).

For each size, a fresh Python process reads a JSON Lines file of synthetic employees (built from the
shipped O*NET task library: 1-2 jobs, 3-6 real task statements each, 3-10 technology skills), validates
and indexes it exactly as ``talentops match rank`` does, embeds every employee with the int8 MiniLM model
(unless told otherwise, see below), then ranks 60 requests (30 full, 30 terse) and reports latency, and
the process's resident memory.

Embedding 100,000 employees takes about 20 minutes on 2 cores. Unless ``--embed-all`` is given, the
100,000-employee process embeds the first 10,000 for real and repeats those vectors for the rest: memory
and ranking latency are then exact (same arrays), and the embedding time is the 10,000 figure × 10.

Usage (from the repository root)::

    .venv/bin/python bench/match_speed.py --out bench/results/match_speed.md
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = [1_000, 10_000, 100_000]


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def library() -> dict[str, Any]:
    with (ROOT / "tools" / "data" / "task_library.json.gz").open("rb") as fh:
        data: dict[str, Any] = json.loads(gzip.decompress(fh.read()))
        return data


def write_employees(path: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    occupations = [o for o in library()["occupations"] if o["technologies"]]
    with path.open("w") as fh:
        for i in range(n):
            jobs = []
            for k in range(1 if rng.random() < 0.4 else 2):
                occ = rng.choice(occupations)
                title = rng.choice(occ["alternate_titles"] or [occ["title"]])
                tasks = [t["text"] for t in occ["tasks"]]
                jobs.append({"title": title, "is_current": k == 0, "years": rng.randint(1, 9),
                             "responsibilities": rng.sample(tasks, min(len(tasks), rng.randint(3, 6)))})
            techs = [t["name"] for t in occupations[rng.randrange(len(occupations))]["technologies"]]
            fh.write(json.dumps({"employee_id": f"emp-{i:06d}", "work_history": jobs,
                                 "skills": rng.sample(techs, min(len(techs), rng.randint(3, 10)))}) + "\n")


def requests(seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed + 1)
    occupations = library()["occupations"]
    out = []
    for i in range(30):
        occ = rng.choice(occupations)
        tasks = [t["text"] for t in occ["tasks"]]
        out.append({"request_id": f"full-{i}", "title": occ["title"], "responsibilities": rng.sample(tasks, 3),
                    "required_skills": [t["name"] for t in occ["technologies"][:2]]})
        out.append({"request_id": f"terse-{i}", "title": None, "responsibilities": rng.sample(tasks, 2),
                    "required_skills": []})
    return out


def worker(path: Path, n: int, embed_limit: int | None, seed: int) -> dict[str, Any]:
    """Runs in a fresh process: import, index, embed, rank; returns the figures."""
    from tools.embeddings import get_encoder
    from tools.matching.ranker import EmployeeIndex
    from tools.matching.record_text import embedding_text
    from tools.people.hris_jsonl import MatchRequest, iter_employees

    base = rss_mb()
    cpu0 = cpu_s()
    encoder = get_encoder()
    limit = n if embed_limit is None else min(n, embed_limit)
    t0 = time.perf_counter()
    if limit == n:  # the product path: one streaming pass that parses, indexes and embeds
        index = EmployeeIndex.build(iter_employees(path), encoder=encoder)
        index_s = embed_s = float("nan")
        total_s = time.perf_counter() - t0
    else:  # index everyone, embed the first `limit` and repeat their vectors
        index = EmployeeIndex.build(iter_employees(path), use_embeddings=False)
        index_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        texts = []
        for k, record in enumerate(iter_employees(path)):
            if k >= limit:
                break
            texts.append(embedding_text(record))
        vectors = encoder.encode(texts, max_tokens=index.weights.embed_tokens)
        embed_s = time.perf_counter() - t1
        index.vectors = np.ascontiguousarray(np.resize(vectors, (n, vectors.shape[1])))
        index.encoder = encoder
        total_s = index_s + embed_s * n / limit
    built_rss = rss_mb()
    import_cpu_s = cpu_s() - cpu0
    wanted = [MatchRequest.model_validate(r) for r in requests(seed)]
    index.rank(wanted[0], top=10)  # warm-up (adjacency matrix, first onnx call)
    with_reasons, ids_only = [], []
    for req in wanted:
        t = time.perf_counter()
        index.rank(req, top=10)
        with_reasons.append(time.perf_counter() - t)
        t = time.perf_counter()
        index.rank_ids(req, top=10)
        ids_only.append(time.perf_counter() - t)
    return {"n": n, "embedded": limit, "index_s": index_s, "embed_s": embed_s, "import_embed_s": total_s,
            "import_cpu_s": import_cpu_s, "load": os.getloadavg()[0],
            "rank_ms_p50": 1000 * float(np.median(with_reasons)), "rank_ms_p95": 1000 * float(
                np.percentile(with_reasons, 95)), "rank_ids_ms_p50": 1000 * float(np.median(ids_only)),
            "rss_base_mb": base, "rss_mb": built_rss, "peak_rss_mb": peak_mb(), "index_mb": index.nbytes / 2**20,
            "vocabulary": len(index.vocabulary)}


def machine() -> str:
    with open("/proc/meminfo") as fh:
        mem = int(fh.readline().split()[1]) / 2**20
    return f"{platform.platform()}, Python {platform.python_version()}, nproc {os.cpu_count()}, RAM {mem:.1f} GiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--embed-all", action="store_true", help="Embed all 100,000 for real (about 20 min).")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--embed-limit", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.embed_limit, args.seed)))
        return
    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"employees-{n}.jsonl"
            write_employees(path, n, args.seed)
            limit = None if args.embed_all or n <= 10_000 else 10_000
            cmd = [sys.executable, __file__, "--worker", str(path), "--n", str(n), "--seed", str(args.seed)]
            if limit:
                cmd += ["--embed-limit", str(limit)]
            print(f"{n:,} employees ({path.stat().st_size / 2**20:.0f} MB file)...", file=sys.stderr, flush=True)
            done = subprocess.run(cmd, check=True, capture_output=True, text=True)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            row["file_mb"] = path.stat().st_size / 2**20
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    report(args, rows, load_before, load_after)


def report(args: argparse.Namespace, rows: list[dict[str, Any]], before: tuple[float, ...],
           after: tuple[float, ...]) -> None:
    lines = ["# Matching speed and memory (bench/match_speed.py)", "",
             f"Command: `.venv/bin/python bench/match_speed.py --sizes {' '.join(map(str, args.sizes))} --seed "
             f"{args.seed}{' --embed-all' if args.embed_all else ''}"
             f"{' --out ' + str(args.out) if args.out else ''}`", "",
             f"Machine: {machine()}. Load average before {before[0]:.2f}, after {after[0]:.2f} (other sessions "
             "shared the 2 cores, so times are pessimistic).", "",
             "| employees | file | import + embed, wall (parse, validate, index, embed) | CPU time of the import | "
             "load avg | rank top-10 with reasons p50 / p95 | rank ids only p50 | RSS after indexing | peak RSS | "
             "index arrays |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        how = (f"{r['import_embed_s']:.1f} s" if r["embedded"] == r["n"] else
               f"{r['import_embed_s']:.1f} s = {r['index_s']:.1f} s parse+index + {r['embed_s']:.1f} s to embed "
               f"{r['embedded']:,} × {r['n'] / r['embedded']:.0f} (extrapolated)")
        cpu = f"{r['import_cpu_s']:.0f} s" if "import_cpu_s" in r else "-"
        lines.append(f"| {r['n']:,} | {r['file_mb']:.0f} MB | {how} | {cpu} | {r.get('load', float('nan')):.1f} | "
                     f"{r['rank_ms_p50']:.1f} / {r['rank_ms_p95']:.1f} ms | "
                     f"{r['rank_ids_ms_p50']:.1f} ms | {r['rss_mb']:.0f} MB | {r['peak_rss_mb']:.0f} MB | "
                     f"{r['index_mb']:.0f} MB |")
    lines += ["", "CPU time counts both cores (onnxruntime uses 2 threads), so on an otherwise idle machine the wall "
              "time is roughly CPU time / 2 to CPU time; other sessions' test runs shared these cores.", "",
              "Ranking = encode the request (MiniLM), TF-IDF postings, one (N × 384) float32 product, the "
              "occupation gather, skills postings, top-k, then reasons for the ten shown. RSS includes the "
              "O*NET library, occupation space, title index and onnxruntime (about "
              f"{rows[0]['rss_mb'] - rows[0]['index_mb']:.0f} MB before any employee).", ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
