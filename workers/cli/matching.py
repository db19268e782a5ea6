"""``talentops match``, ``occupations`` and ``skills``: file-based matching and the taxonomies, with nothing running."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from workers.cli.common import JsonOpt, StderrProgress, emit_json, fail, finish

match_app = typer.Typer(no_args_is_help=True, help="Rank employees for staffing requests (JSON Lines files).")
occupations_app = typer.Typer(no_args_is_help=True, help="O*NET occupations: title normalisation and adjacency.")
skills_app = typer.Typer(no_args_is_help=True, help="ESCO skills: find a skill and its place in ESCO's hierarchy.")
BAD_INPUT = 2
NOT_FOUND = 4


@match_app.command("rank")
def match_rank(
    employees: Annotated[Path, typer.Option("--employees", help="Employees, one JSON object a line.")],
    requests: Annotated[Path, typer.Option("--requests", help="Requests, one JSON object a line.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write one ranking a line (JSON Lines).")],
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="People per request.")] = 10,
    embeddings: Annotated[bool, typer.Option("--embeddings/--no-embeddings",
                                             help="Use the MiniLM semantic signal.")] = True,
) -> None:
    """Rank employees for every request; each person comes with the reasons for their place."""
    from tools.embeddings import EmbeddingModelMissing
    from tools.matching.ranker import EmployeeIndex
    from tools.people.hris_jsonl import JsonlError, iter_employees, read_requests

    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        wanted = read_requests(requests)
        progress = StderrProgress()
        progress.start("indexed employees")
        index = EmployeeIndex.build(iter_employees(employees), use_embeddings=embeddings,
                                    progress=lambda what, done, total: progress(f"indexed {what}", done, total))
        progress("indexed employees", len(index), -1, force=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        progress.start("ranked requests")
        with tmp.open("w", encoding="utf-8") as fh:
            for n, request in enumerate(wanted, start=1):
                ranking = index.rank(request, top=top)
                fh.write(json.dumps({"request_id": request.request_id,
                                     "ranking": [{"employee_id": r.employee_id, "score": r.score,
                                                  "reasons": r.reasons} for r in ranking]},
                                    ensure_ascii=False) + "\n")
                progress("ranked requests", n, len(wanted), force=n == len(wanted))
        os.replace(tmp, out)
    except JsonlError as err:
        _discard(tmp)
        fail(str(err), BAD_INPUT)
    except EmbeddingModelMissing as err:
        _discard(tmp)
        fail(f"{err} (or pass --no-embeddings)")
    except ValueError as err:
        _discard(tmp)
        fail(str(err), BAD_INPUT)
    except OSError as err:
        _discard(tmp)
        fail(f"cannot write {out}: {err.strerror or err}")
    except KeyboardInterrupt:
        _discard(tmp)
        fail("interrupted", 130)
    print(f"wrote {len(wanted):,} rankings of {len(index):,} employees to {out}", file=sys.stderr)
    finish()


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


@occupations_app.command("related")
def occupations_related(
    code: Annotated[str, typer.Argument(help="O*NET-SOC code, e.g. 15-2051.00.")],
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="How many.")] = 10,
    inferred_only: Annotated[bool, typer.Option("--inferred-only",
                                                help="Ignore O*NET's Related Occupations list.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Occupations most adjacent to CODE, with scores, what they share and the gap (what they need that CODE lacks)."""
    from tools.taxonomy.adjacency import get_occupation_space, normalise_code

    space = get_occupation_space()
    try:
        related = space.related(code, top=top, use_onet=not inferred_only)
    except KeyError:
        fail(f"unknown O*NET-SOC code {code!r}; codes look like 15-2051.00 "
                 "(`talentops occupations title TEXT` finds one from a job title)", NOT_FOUND)
    full = normalise_code(code)
    occupation = space.library.occupations[full]
    result: dict[str, Any] = {
        "code": full, "title": occupation.title, "onet_related_listed": bool(occupation.related) and not inferred_only,
        "related": [{"code": r.code, "title": r.title, "score": r.score, "shared_skills": r.shared_skills,
                     "shared_technologies": r.shared_technologies, "onet_related": r.onet_related,
                     "gap_skills": r.gap_skills, "gap_technologies": r.gap_technologies}
                    for r in related],
        "attribution": space.library.attribution,
    }
    if as_json:
        emit_json(result)
    else:
        source = "O*NET related list + inferred" if result["onet_related_listed"] else "inferred"
        print(f"{full}  {occupation.title}  (adjacency: {source})")
        for r in related:
            mark = "*" if r.onet_related else " "
            shared = ", ".join([*r.shared_technologies[:3], *r.shared_skills[:2]])
            print(f"  {r.score:.3f} {mark} {r.code}  {r.title[:55]:<55}  {shared}")
            gap = [*r.gap_skills[:3], *r.gap_technologies[:3]]
            if gap:
                print(f"        to learn: {', '.join(gap)}")
        print("  (* = listed by O*NET Related Occupations; to learn = its skills and technologies this one lacks)")
        print(space.library.attribution)
    finish()


@occupations_app.command("title")
def occupations_title(
    title: Annotated[str, typer.Argument(help="A job title as people write it.")],
    top: Annotated[int, typer.Option("--top", min=1, max=50, help="How many.")] = 3,
    embeddings: Annotated[bool, typer.Option("--embeddings/--no-embeddings", help="Use MiniLM too.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """The O*NET occupations a free-text job title most likely denotes, with confidences."""
    from tools.embeddings import EmbeddingModelMissing, get_encoder
    from tools.taxonomy.titles import TitleNormalizer

    try:
        normalizer = TitleNormalizer(encoder=get_encoder() if embeddings else None)
    except EmbeddingModelMissing as err:
        fail(f"{err} (or pass --no-embeddings)")
    matches = normalizer.normalize(title, top=top)
    if not matches:
        fail(f"{title!r} has no words to match", BAD_INPUT)
    if as_json:
        emit_json({"title": title, "matches": [m.__dict__ for m in matches]})
    else:
        for m in matches:
            print(f"{m.confidence:5.0%}  {m.code}  {m.title}  (matched “{m.matched}”)")
    finish()


@skills_app.command("find")
def skills_find(
    text: Annotated[str, typer.Argument(help="A skill as people write it, e.g. 'sql' or 'manage budgets'.")],
    top: Annotated[int, typer.Option("--top", min=1, max=50, help="How many.")] = 5,
    as_json: JsonOpt = False,
) -> None:
    """ESCO skills matching TEXT (exact label first, then shared words), each with its hierarchy path."""
    from tools.taxonomy.esco import load_esco, normalise

    if not normalise(text):
        fail(f"{text!r} has no words to match", BAD_INPUT)
    taxonomy = load_esco()
    matches = taxonomy.find_skills(text, top=top)
    if as_json:
        emit_json({"text": text, "matches": [m.__dict__ for m in matches], "esco_version": taxonomy.version,
                       "attribution": taxonomy.attribution})
    else:
        for m in matches:
            how = f"{m.how}: “{m.matched}”" if m.matched != m.label or m.how != "exact" else m.how
            print(f"{m.score:.2f}  {m.label}  ({how})")
            print(f"      {' > '.join(m.path)}")
            if m.also_under:
                print(f"      also under: {'; '.join(m.also_under)}")
            print(f"      {m.uri}")
        if matches:
            print(taxonomy.attribution)
    if not matches:
        fail(f"no ESCO skill matches {text!r}", NOT_FOUND)
    finish()
