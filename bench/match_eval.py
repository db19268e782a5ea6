"""Matching quality: plain TF-IDF vs embeddings alone vs the talentops matcher, on one synthetic workforce.

Everything is built from ../shared/data/onet at bench time (never at product run time):

* Per occupation with at least 10 task statements, its statements are shuffled and split three ways:
  3 for requests, up to 6 for employees, the rest stay in the task library the matcher may use. The
  matcher's taxonomy is rebuilt without the request and employee statements, so no evaluated text
  appears verbatim in what it knows.
* Employees (4 per occupation): current job titled with an alternate title the shipped library does not
  carry (most of the time), a shipped alternate title, the O*NET title or a vague one, with seniority
  noise; 2-5 real task statements, sometimes a generic line and a statement of another occupation; often
  an earlier job in a related or random occupation; a partial, noisy sample of the occupation's
  technology skills (sometimes none).
* Requests per occupation: "full" (title, 3 statements, 2-3 technology skills) and "terse" (two task
  statements, no title, no skills), made from statements no employee has.
* Relevance: same occupation as the person's current job = 2, an O*NET related occupation = 1.
  nDCG@10 uses gains 2^rel - 1. P@5, R@10 and MRR count only same-occupation people as relevant.
* Occupations are split by a seeded hash into tuning (30%) and test (70%). Weights are fitted on tuning
  requests only; the table reports test requests.

Usage (from the repository root)::

    .venv/bin/python bench/match_eval.py --out bench/results/match_eval.md
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import os
import platform
import random
import re
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.embeddings import get_encoder  # noqa: E402
from tools.matching.ranker import EmployeeIndex, RankerWeights  # noqa: E402
from tools.people.hris_jsonl import EmployeeRecord, MatchRequest  # noqa: E402
from tools.taxonomy.adjacency import AdjacencyWeights, OccupationSpace  # noqa: E402
from tools.taxonomy.sparse import PostingIndex, TermWeights  # noqa: E402
from tools.taxonomy.task_library import TaskLibrary, TfIdfIndex, load_task_library  # noqa: E402
from tools.taxonomy.titles import TitleNormalizer  # noqa: E402

ONET = ROOT.parent / "shared" / "data" / "onet"
CODE = "O*NET-SOC Code"
GENERIC = ["Attend weekly team meetings.", "Prepare status reports for management.", "Train new staff members.",
           "Respond to emails and phone calls from colleagues.", "Maintain files and records.",
           "Participate in continuous improvement initiatives.", "Support other team members as needed."]
VAGUE_TITLES = ["Specialist", "Associate", "Analyst II", "Consultant", "Team Member", "Coordinator", "Officer",
                "Senior Associate", "Advisor", "Technician"]
SENIORITY = ["Senior ", "Sr. ", "Lead ", "Junior ", "Principal "]
LEVELS = [" II", " III", " I", " 2"]


def read_csv(name: str) -> list[dict[str, str]]:
    with (ONET / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def split_of(code: str, seed: int) -> str:
    digest = hashlib.sha256(f"{seed}:{code}".encode()).digest()
    return "tune" if digest[0] < 0.3 * 256 else "test"


# ---------------------------------------------------------------------------------------------------------------
# data


class World:
    """The synthetic workforce, requests, grades and the reduced library."""

    def __init__(self, seed: int, per_occupation: int) -> None:
        rng = random.Random(seed)
        self.library_full = load_task_library()
        lib = self.library_full
        techs: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        for r in read_csv("technology_skills.csv"):
            techs[r[CODE]].append((r["Example"], r["Hot Technology"] == "Y"))
        alternates: dict[str, list[str]] = defaultdict(list)
        for r in read_csv("alternate_titles.csv"):
            alternates[r[CODE]].append(r["Alternate Title"])
        self.related: dict[str, set[str]] = defaultdict(set)
        self.primary: dict[str, set[str]] = defaultdict(set)
        for r in read_csv("related_occupations.csv"):
            self.related[r[CODE]].add(r["Related O*NET-SOC Code"])
            if int(r["Index"]) <= 10:
                self.primary[r[CODE]].add(r["Related O*NET-SOC Code"])
        tasks_by: dict[str, list[str]] = defaultdict(list)
        for t in lib.tasks:
            tasks_by[t.onet_code].append(t.text)
        self.eval_codes = sorted(c for c, ts in tasks_by.items() if len(ts) >= 10)
        self.split = {c: split_of(c, seed) for c in self.eval_codes}
        request_pool: dict[str, list[str]] = {}
        employee_pool: dict[str, list[str]] = {}
        visible: dict[str, list[str]] = {}
        for code in sorted(tasks_by):
            statements = sorted(tasks_by[code])
            if code not in self.split:
                visible[code] = statements
                continue
            rng.shuffle(statements)
            n_emp = max(3, min(6, len(statements) - 3 - 4))
            request_pool[code] = statements[:3]
            employee_pool[code] = statements[3:3 + n_emp]
            visible[code] = statements[3 + n_emp:]
        hidden = {s for pool in (request_pool, employee_pool) for ss in pool.values() for s in ss}
        self.hidden_statements = len(hidden)
        kept = [t for t in lib.tasks if t.text not in hidden or t.onet_code not in self.split]
        documents = [f"{t.text} {lib.occupations[t.onet_code].title}" for t in kept]
        self.library = TaskLibrary(occupations=lib.occupations, tasks=kept, task_index=TfIdfIndex(documents),
                                   attribution=lib.attribution)
        shipped = {c: {t.casefold() for t in (o.title, *o.alternate_titles)} for c, o in lib.occupations.items()}
        self.unseen_titles = {c: sorted({a for a in alternates[c] if a.casefold() not in shipped.get(c, set())})
                              for c in lib.occupations}
        all_codes = sorted(lib.occupations)

        def title_for(code: str) -> str:
            occ = lib.occupations[code]
            roll = rng.random()
            if roll < 0.6 and self.unseen_titles[code]:
                title = rng.choice(self.unseen_titles[code])
            elif roll < 0.8 and occ.alternate_titles:
                title = rng.choice(occ.alternate_titles)
            elif roll < 0.9:
                title = occ.title.split(",")[0].rstrip("s")
            else:
                return rng.choice(VAGUE_TITLES)
            if rng.random() < 0.25:
                title = rng.choice(SENIORITY) + title
            if rng.random() < 0.15:
                title += rng.choice(LEVELS)
            return title

        def skills_for(code: str, k_max: int) -> list[str]:
            pool = techs.get(code, [])
            if not pool:
                return []
            k = rng.randint(0, min(k_max, len(pool)))
            hot = [n for n, h in pool if h]
            names = rng.sample(hot, min(len(hot), k // 2)) if hot else []
            names += rng.sample([n for n, _ in pool], k - len(names))
            return list(dict.fromkeys(names))

        self.employees: list[dict[str, Any]] = []
        self.occupation_of: list[str] = []
        for code in self.eval_codes:
            for _n in range(per_occupation):
                own = employee_pool[code]
                resp = rng.sample(own, rng.randint(min(2, len(own)), min(5, len(own))))
                if rng.random() < 0.5:
                    resp.insert(rng.randrange(len(resp) + 1), rng.choice(GENERIC))
                if rng.random() < 0.3:
                    other = rng.choice(all_codes)
                    resp.append(rng.choice(visible[other] or tasks_by[other]))
                current = {"title": title_for(code), "is_current": True, "years": rng.randint(1, 8),
                           "responsibilities": resp}
                history = [current]
                skills = skills_for(code, 8)
                if rng.random() < 0.6:
                    related = sorted(self.related.get(code, set()) & set(all_codes))
                    prev = rng.choice(related) if related and rng.random() < 0.7 else rng.choice(all_codes)
                    prev_tasks = visible[prev] or tasks_by[prev]
                    history.append({"title": title_for(prev), "is_current": False, "years": rng.randint(1, 6),
                                    "responsibilities": rng.sample(prev_tasks, min(len(prev_tasks),
                                                                                   rng.randint(1, 3)))})
                    skills += skills_for(prev, 2)
                    if rng.random() < 0.2:
                        history.reverse()
                if rng.random() < 0.3:
                    skills.append(rng.choice(techs[rng.choice(all_codes)] or [("Microsoft Excel", True)])[0])
                self.employees.append({"employee_id": f"E{len(self.employees):05d}", "work_history": history,
                                       "skills": list(dict.fromkeys(skills)), "department": "synthetic"})
                self.occupation_of.append(code)

        self.requests: list[dict[str, Any]] = []
        for code in self.eval_codes:
            pool = request_pool[code]
            hot = [n for n, h in techs.get(code, []) if h] or [n for n, _ in techs.get(code, [])]
            title = (rng.choice(self.unseen_titles[code]) if self.unseen_titles[code] and rng.random() < 0.5
                     else lib.occupations[code].title)
            self.requests.append({"request_id": f"{code}/full", "kind": "full", "code": code, "title": title,
                                  "responsibilities": list(pool),
                                  "required_skills": rng.sample(hot, min(len(hot), rng.randint(2, 3)))})
            self.requests.append({"request_id": f"{code}/terse", "kind": "terse", "code": code, "title": None,
                                  "responsibilities": rng.sample(pool, 2), "required_skills": []})

    def grades(self, code: str) -> np.ndarray:
        related = self.related.get(code, set())
        return np.array([2 if c == code else (1 if c in related else 0) for c in self.occupation_of], dtype=np.int8)


# ---------------------------------------------------------------------------------------------------------------
# metrics


def metrics(order: np.ndarray, grades: np.ndarray) -> dict[str, float]:
    top = grades[order[:10]].astype(float)
    discounts = 1.0 / np.log2(np.arange(2, 12))
    dcg = float(((2 ** top - 1) * discounts[: len(top)]).sum())
    ideal = np.sort(grades)[::-1][:10].astype(float)
    idcg = float(((2 ** ideal - 1) * discounts[: len(ideal)]).sum())
    same = grades[order] == 2
    n_same = int((grades == 2).sum())
    first = np.flatnonzero(same)
    return {"nDCG@10": dcg / idcg if idcg else 0.0, "P@5": float(same[:5].mean()),
            "R@10": float(same[:10].sum()) / n_same if n_same else 0.0,
            "MRR": 1.0 / (first[0] + 1) if len(first) else 0.0}


def average(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]} if rows else {}


_PLAIN = re.compile(r"[a-z0-9+#]+")
_PLAIN_STOP = frozenset("a an and are as at be by for from in into is it of on or the to with".split())  # noqa: SIM905


def plain_tokens(text: str) -> list[str]:
    """Plain baseline tokens: lower-cased words minus a few stop words (no stemming, no taxonomy)."""
    return [w for w in _PLAIN.findall(text.lower()) if w not in _PLAIN_STOP]


def employee_text(e: dict[str, Any]) -> str:
    return " ".join([*(t for j in e["work_history"] for t in (j["title"], *j["responsibilities"])), *e["skills"]])


def request_text(r: dict[str, Any]) -> str:
    return " ".join([r["title"] or "", *r["responsibilities"], *r["required_skills"]])


# ---------------------------------------------------------------------------------------------------------------
# evaluation


def fit_weights(index: EmployeeIndex, cached: list[tuple[dict[str, np.ndarray], np.ndarray]],
                grid: dict[str, list[float]]) -> tuple[RankerWeights, float]:
    """Grid-search the outer weights on tuning requests (signals computed once)."""
    best = (-1.0, index.weights)
    names = list(grid)
    for values in itertools.product(*(grid[n] for n in names)):
        w = replace(index.weights, **dict(zip(names, values, strict=True)))
        index.weights = w
        score = float(np.mean([metrics(np.argsort(-index.combine(s), kind="stable"), g)["nDCG@10"]
                               for s, g in cached]))
        if score > best[0]:
            best = (score, w)
    index.weights = best[1]
    return best[1], best[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-occupation", type=int, default=4)
    parser.add_argument("--embed-tokens", type=int, default=RankerWeights().embed_tokens)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    t0 = time.time()
    log = lambda msg: print(f"[{time.time() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    world = World(args.seed, args.per_occupation)
    log(f"{len(world.employees)} employees, {len(world.requests)} requests, {len(world.eval_codes)} occupations, "
        f"{world.hidden_statements} statements hidden from the taxonomy")

    # adjacency weights: fit on tuning occupations' O*NET related lists, report on test ones
    space = OccupationSpace(world.library)
    signals = space.signals()
    zscored = {k: (m - m.mean()) / m.std() for k, m in signals.items()}
    adj_rows = adjacency_eval(space, world, zscored)
    log("adjacency fitted")

    # titles: held-out alternate titles (not in the shipped library)
    title_rows = title_eval(space, world, args.seed)
    log("titles evaluated")

    records = [EmployeeRecord.model_validate(e) for e in world.employees]
    encoder = get_encoder()
    memo: dict[str, np.ndarray] = {}
    plain_encode_one = encoder.encode_one
    encoder.encode_one = lambda text: memo[text] if text in memo else memo.setdefault(  # type: ignore[method-assign]
        text, plain_encode_one(text))
    t = time.time()
    index = EmployeeIndex.build(records, space=space, encoder=encoder,
                                weights=RankerWeights(embed_tokens=args.embed_tokens))
    build_s = time.time() - t
    log(f"matcher index built in {build_s:.1f}s")
    plain = TermWeights(plain_tokens(employee_text(e)) for e in world.employees)
    plain.analyzer = plain_tokens
    plain_index = PostingIndex(plain.transform_texts(employee_text(e) for e in world.employees))

    requests = [(r, MatchRequest.model_validate(r), world.grades(r["code"])) for r in world.requests]
    tune = [x for x in requests if world.split[x[0]["code"]] == "tune"]
    # inner parameters change employees' occupation guesses: try a few, fit outer weights for each
    best_overall: tuple[float, RankerWeights] = (-1.0, index.weights)
    for temperature, adjacency, title in itertools.product([0.02, 0.04, 0.08], [0.0, 0.25, 0.5], [0.2, 0.35, 0.5]):
        index.weights = replace(index.weights, temperature=temperature, adjacency=adjacency, title=title,
                                text=0.85 - title)
        index = rebuild_occupations(index, records)
        cached = [(index.request_signals(m), g) for _, m, g in tune]
        w, score = fit_weights(index, cached, {"lexical": [0.1, 0.25, 0.4], "semantic": [0.2, 0.35, 0.5],
                                               "occupation": [0.2, 0.35, 0.5], "skills": [0.0, 0.05, 0.1]})
        log(f"tune temperature={temperature} adjacency={adjacency} title={title}: nDCG@10 {score:.4f}")
        if score > best_overall[0]:
            best_overall = (score, w)
    fitted = best_overall[1]
    total = fitted.lexical + fitted.semantic + fitted.occupation + fitted.skills
    index.weights = replace(fitted, lexical=round(fitted.lexical / total, 3),
                            semantic=round(fitted.semantic / total, 3),
                            occupation=round(fitted.occupation / total, 3), skills=round(fitted.skills / total, 3))
    index = rebuild_occupations(index, records)
    log(f"fitted {index.weights}")

    results: dict[tuple[str, str, str], list[dict[str, float]]] = defaultdict(list)
    query_times: list[float] = []
    for raw, req, grades in requests:
        split = world.split[raw["code"]]
        ids, weights = plain.vector(plain_tokens(request_text(raw)))
        scores = {"plain TF-IDF": plain_index.score(ids, weights)}
        t = time.perf_counter()
        sig = index.request_signals(req)
        combined = index.combine(sig)
        query_times.append(time.perf_counter() - t)
        scores["embeddings alone"] = sig["semantic"]
        scores["talentops matcher"] = combined
        for method, s in scores.items():
            m = metrics(np.argsort(-s, kind="stable"), grades)
            for kind in ("all", raw["kind"]):
                results[(split, kind, method)].append(m)
    log("evaluated")
    report(args, world, results, index.weights, adj_rows, title_rows, build_s, query_times, time.time() - t0)


def rebuild_occupations(index: EmployeeIndex, records: list[EmployeeRecord]) -> EmployeeIndex:
    """Recompute employees' occupation guesses with the index's current weights."""
    from tools.matching.record_text import occupation_statements
    from tools.taxonomy.task_library import tokens

    probs, occs = [], []
    for start in range(0, len(records), 512):
        chunk = records[start:start + 512]
        p, o = index._occupation_guess([r.current_job().title for r in chunk],
                                       [[t for s in occupation_statements(r) for t in tokens(s)] for r in chunk],
                                       [r.skills for r in chunk])
        probs.append(p)
        occs.append(o)
    index.occ_prob = np.concatenate(probs)
    index.occ_index = np.concatenate(occs)
    return index


def adjacency_eval(space: OccupationSpace, world: World, zscored: dict[str, np.ndarray]) -> list[str]:
    codes = [c for c in space.codes if world.primary.get(c)]
    tune = [c for c in codes if split_of(c, 11) == "tune"]
    test = [c for c in codes if split_of(c, 11) == "test"]

    def recall(matrix: np.ndarray, subset: list[str]) -> float:
        values = []
        for c in subset:
            i = space.position[c]
            truth = {r for r in world.primary[c] if r in space.position}
            row = matrix[i].copy()
            row[i] = -np.inf
            got = {space.codes[j] for j in np.argsort(-row)[:10]}
            values.append(len(got & truth) / len(truth))
        return float(np.mean(values))

    rng = np.random.default_rng(3)
    names = list(zscored)
    best = (-1.0, np.zeros(len(names)))
    for _ in range(200):
        w = rng.dirichlet(np.ones(len(names)))
        score = recall(sum(w[k] * zscored[n] for k, n in enumerate(names)), tune)
        if score > best[0]:
            best = (score, w)
    fitted = sum(best[1][k] * zscored[n] for k, n in enumerate(names))
    defaults = AdjacencyWeights()
    shipped = sum(getattr(defaults, n) * zscored[n] for n in names)
    rows = [f"| fitted weights ({', '.join(f'{n} {w:.2f}' for n, w in zip(names, best[1], strict=True))}) | "
            f"{best[0]:.3f} | {recall(fitted, test):.3f} |",
            f"| shipped defaults (AdjacencyWeights) | {recall(shipped, tune):.3f} | {recall(shipped, test):.3f} |"]
    rows += [f"| {n} alone | {recall(zscored[n], tune):.3f} | {recall(zscored[n], test):.3f} |" for n in names]
    return rows


def title_eval(space: OccupationSpace, world: World, seed: int) -> list[str]:
    rng = random.Random(seed)
    pairs = [(t, c) for c in space.codes for t in world.unseen_titles.get(c, [])]
    sample = rng.sample(pairs, min(800, len(pairs)))
    gold = [c for _, c in sample]
    rows = []
    for label, encoder in (("lexical + occupation text", None), ("+ MiniLM embeddings", get_encoder())):
        normalizer = TitleNormalizer(space, encoder)
        t = time.perf_counter()
        found = normalizer.normalize_many([t for t, _ in sample], top=5)
        ms = (time.perf_counter() - t) / len(sample) * 1000
        top1 = np.mean([bool(f) and f[0].code == g for f, g in zip(found, gold, strict=True)])
        top5 = np.mean([g in [m.code for m in f] for f, g in zip(found, gold, strict=True)])
        conf = np.array([f[0].confidence if f else 0.0 for f in found])
        ok = np.array([bool(f) and f[0].code == g for f, g in zip(found, gold, strict=True)])
        buckets = []
        for lo, hi in ((0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1.01)):
            m = (conf >= lo) & (conf < hi)
            if m.sum():
                buckets.append(f"{lo:.2f}-{min(hi, 1):.2f}: {ok[m].mean():.2f} (n={int(m.sum())})")
        rows.append(f"| {label} | {top1:.3f} | {top5:.3f} | {ms:.1f} | {'; '.join(buckets)} |")
    return rows


def machine() -> str:
    mem = "?"
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    load = os.getloadavg()
    return (f"{platform.platform()}, Python {platform.python_version()}, nproc {os.cpu_count()}, RAM {mem}, "
            f"load average at the end {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f} (other sessions were running)")


def report(args: argparse.Namespace, world: World, results: dict[tuple[str, str, str], list[dict[str, float]]],
           weights: RankerWeights, adj_rows: list[str], title_rows: list[str], build_s: float,
           query_times: list[float], total_s: float) -> None:
    methods = ["plain TF-IDF", "embeddings alone", "talentops matcher"]
    lines = ["# Matching quality (bench/match_eval.py)", "",
             f"Command: `.venv/bin/python bench/match_eval.py --seed {args.seed} --per-occupation "
             f"{args.per_occupation} --embed-tokens {args.embed_tokens}"
             f"{' --out ' + str(args.out) if args.out else ''}`", "",
             f"Machine: {machine()}. Wall time {total_s:.0f} s.", "",
             f"Data: O*NET 29.3 from ../shared/data (task statements, technology skills, alternate titles, related "
             f"occupations). {len(world.eval_codes)} occupations with at least 10 task statements; "
             f"{len(world.employees)} synthetic employees ({args.per_occupation} per occupation); "
             f"{len(world.requests)} requests (one full, one terse per occupation); "
             f"{world.hidden_statements} statements used by employees or requests were removed from the "
             f"taxonomy the matcher sees. Tuning split: "
             f"{sum(1 for s in world.split.values() if s == 'tune')} occupations; test split: "
             f"{sum(1 for s in world.split.values() if s == 'test')} occupations.", "",
             "Relevance: same occupation = 2, O*NET related occupation = 1. nDCG@10 is graded (gain 2^rel-1); P@5, "
             "R@10 and MRR count same-occupation people only (4 per request, so P@5 is at most 0.8).", ""]
    for split in ("test", "tune"):
        lines += [f"## {'Test split (reported)' if split == 'test' else 'Tuning split (weights were fitted here)'}",
                  "", "| requests | method | n | nDCG@10 | P@5 | R@10 | MRR |", "|---|---|---|---|---|---|---|"]
        for kind in ("all", "full", "terse"):
            for method in methods:
                rows = results.get((split, kind, method), [])
                if rows:
                    a = average(rows)
                    lines.append(f"| {kind} | {method} | {len(rows)} | {a['nDCG@10']:.3f} | {a['P@5']:.3f} | "
                                 f"{a['R@10']:.3f} | {a['MRR']:.3f} |")
        lines.append("")
    q = np.array(query_times) * 1000
    lines += ["Fitted matcher weights (from the tuning split, scaled to sum to 1; `RankerWeights` ships them rounded): "
              f"lexical {weights.lexical}, semantic {weights.semantic}, occupation {weights.occupation}, "
              f"skills {weights.skills}, adjacency {weights.adjacency}, temperature {weights.temperature}.", "",
              f"Index build (embedding included) for {len(world.employees)} employees: {build_s:.1f} s; "
              f"scoring one request over them: median {np.median(q):.1f} ms.", "",
              "## Occupation adjacency vs O*NET Related Occupations (recall@10 of the 10 primary related)", "",
              "Inferred only from tasks, technologies, skills, SOC code groups and job zone (the related list is "
              "not an input here). Weights fitted on a seeded half of occupations, reported on the other half.", "",
              "| adjacency | recall@10 tune | recall@10 test |", "|---|---|---|", *adj_rows, "",
              "## Title normalisation on held-out alternate titles", "",
              "Alternate titles from alternate_titles.csv that the shipped library does not carry (800 sampled). "
              "Top-1 / top-5 accuracy over 923 occupations; calibration = top-1 accuracy per confidence bucket.", "",
              "| normaliser | top-1 | top-5 | ms/title | accuracy by confidence |", "|---|---|---|---|---|",
              *title_rows, ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
