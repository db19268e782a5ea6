"""The audit chain's anchor outside the database: signed checkpoints of its head, and their check.

The hash chain (``infra.audit``) shows a row altered or removed in the middle of the trail, but not its newest
rows deleted: what is left still links up. So the head of the chain (the last row's ``seq`` and ``hash``) is
checkpointed outside Postgres, signed with HMAC-SHA256 under a key derived from the installation's secret
(``Settings.secret()``, purpose ``audit-anchor/v1``): one JSON line per checkpoint, appended to
``data_dir/audit_checkpoints.jsonl`` and, when ``audit_anchor_dir`` is set, to the same file there (another disk,
a share, write-once storage). A worker checkpoints every ``audit_checkpoint_seconds`` when the head moved
(:func:`keep_checkpointing`), and so does every ``talentops audit export``.

:func:`verify_anchor` checks every checkpoint: its signature, and that the row it names still exists with that
hash. Deleting the newest rows (or rewriting them) is then detected, by whoever can read the files, even though
the chain itself still verifies.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from infra.arguments import canonical_json
from infra.db import Connection
from infra.keys import derive_key, key_id
from infra.settings import Settings

CHECKPOINT_FILE = "audit_checkpoints.jsonl"
"""Name of the append-only checkpoint file, in the data folder and in ``audit_anchor_dir``."""
PURPOSE = "audit-anchor/v1"
"""The purpose the checkpoint key is derived for."""

log = logging.getLogger("talentops.audit_anchor")


@dataclass(kw_only=True, frozen=True)
class Checkpoint:
    """The chain's head at a moment, signed."""

    seq: int
    """Sequence number of the newest row."""
    hash: str
    """Its hash (which covers every row before it)."""
    at: str
    """When the checkpoint was taken (ISO 8601, UTC)."""
    key_id: str
    """Which key signed it."""
    signature: str
    """Hex HMAC-SHA256 of the canonical ``seq``, ``hash``, ``at`` and ``key_id``."""

    def line(self) -> str:
        """The checkpoint as one JSON line."""
        return json.dumps(asdict(self), sort_keys=True) + "\n"


@dataclass(kw_only=True)
class AnchorReport:
    """The result of checking the trail against its checkpoints."""

    ok: bool
    """Whether every checkpoint verifies and names a row that is still there with that hash."""
    checkpoints: int
    """Checkpoints read (from every file)."""
    latest: dict[str, Any] | None = None
    """The checkpoint with the highest ``seq`` (None: no checkpoint yet)."""
    problem: str | None = None
    """What is wrong, in a sentence."""
    files: list[str] = field(default_factory=list)
    """The checkpoint files that were read."""


def anchor_key(secret: str) -> bytes:
    """The checkpoint key of an installation whose secret is ``secret``."""
    return derive_key(secret, PURPOSE)


def anchor_paths(settings: Settings) -> list[Path]:
    """The checkpoint files of an installation: the data folder's and, if set, the external location's."""
    paths = [settings.data_dir / CHECKPOINT_FILE]
    if settings.audit_anchor_dir is not None:
        paths.append(settings.audit_anchor_dir / CHECKPOINT_FILE)
    return paths


def _signature(key: bytes, seq: int, row_hash: str, at: str, kid: str) -> str:
    statement = canonical_json({"v": 1, "seq": seq, "hash": row_hash, "at": at, "key_id": kid}).encode()
    return hmac.new(key, statement, hashlib.sha256).hexdigest()


def sign(key: bytes, seq: int, row_hash: str, *, now: datetime | None = None) -> Checkpoint:
    """A signed checkpoint of row ``seq`` with hash ``row_hash``."""
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
    kid = key_id(key)
    return Checkpoint(seq=seq, hash=row_hash, at=at, key_id=kid, signature=_signature(key, seq, row_hash, at, kid))


def signature_ok(key: bytes, cp: Checkpoint) -> bool:
    """Whether ``cp`` was signed with ``key`` and is unchanged."""
    return hmac.compare_digest(_signature(key, cp.seq, cp.hash, cp.at, cp.key_id), cp.signature)


async def chain_head(conn: Connection) -> tuple[int, str] | None:
    """``seq`` and ``hash`` of the newest audit row (None: the trail is empty)."""
    row = await conn.fetchrow("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
    return None if row is None else (int(row["seq"]), str(row["hash"]))


def _parse(text: str) -> Checkpoint:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return Checkpoint(seq=int(data["seq"]), hash=str(data["hash"]), at=str(data["at"]), key_id=str(data["key_id"]),
                      signature=str(data["signature"]))


def _last_line(path: Path, tail: int = 4096) -> str | None:
    """The last complete line of ``path`` (None: no file, or no line)."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - tail))
            chunk = f.read().decode(errors="replace")
    except FileNotFoundError:
        return None
    lines = [line for line in chunk.split("\n")[:-1] if line.strip()]  # a partial last line does not count
    return lines[-1] if lines else None


def _append(path: Path, line: str) -> None:
    """Append one line in one write (O_APPEND), flushed to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(paths: Sequence[Path], cp: Checkpoint) -> None:
    for path in paths:
        last = _last_line(path)
        try:
            previous = _parse(last) if last is not None else None
        except (ValueError, KeyError, TypeError):
            previous = None
        if previous is not None and (previous.seq, previous.hash) == (cp.seq, cp.hash):
            continue  # the head has not moved since this file's last checkpoint
        _append(path, cp.line())


async def checkpoint(conn: Connection, *, key: bytes, paths: Sequence[Path], now: datetime | None = None,
                     ) -> Checkpoint | None:
    """Checkpoint the chain's head into every file of ``paths`` (skipping a file whose last checkpoint is of the
    same head); the checkpoint, or None when the trail is empty."""
    head = await chain_head(conn)
    if head is None:
        return None
    cp = sign(key, *head, now=now)
    await asyncio.to_thread(_write, paths, cp)
    return cp


def _read(paths: Sequence[Path]) -> tuple[list[tuple[str, Checkpoint]], list[str], str | None]:
    """Every checkpoint in ``paths`` with where it was read, the files read, and a problem with a line if any."""
    found: list[tuple[str, Checkpoint]] = []
    files: list[str] = []
    for path in paths:
        try:
            text = path.read_text()
        except FileNotFoundError:
            continue
        files.append(str(path))
        lines = text.split("\n")
        complete, partial = lines[:-1], lines[-1]  # a last line without its newline: a write cut short
        for number, line in enumerate(complete, start=1):
            if not line.strip():
                continue
            try:
                found.append((f"{path}:{number}", _parse(line)))
            except (ValueError, KeyError, TypeError):
                return found, files, f"line {number} of {path} is not a checkpoint (the file was altered)"
        if partial.strip():
            log.warning("ignoring an unfinished last line in %s", path)
    return found, files, None


async def verify_anchor(conn: Connection, *, key: bytes, paths: Sequence[Path]) -> AnchorReport:
    """Check the trail against every checkpoint in ``paths``: each must be signed with ``key`` and name a row that
    is still there with that hash. No checkpoint file yet is not a problem (nothing was anchored)."""
    found, files, problem = await asyncio.to_thread(_read, paths)
    latest = max((cp for _, cp in found), key=lambda cp: (cp.seq, cp.at), default=None)
    report = AnchorReport(ok=False, checkpoints=len(found), latest=asdict(latest) if latest else None, files=files)
    if problem is not None:
        report.problem = problem
        return report
    for where, cp in found:
        if not signature_ok(key, cp):
            report.problem = (f"the checkpoint at {where} does not verify (the file was altered, or it was signed "
                              "with another installation's secret)")
            return report
    rows = await conn.fetch("SELECT seq, hash FROM audit_events WHERE seq = ANY($1::bigint[])",
                            sorted({cp.seq for _, cp in found}))
    stored = {int(r["seq"]): str(r["hash"]) for r in rows}
    last_seq = await conn.fetchval("SELECT max(seq) FROM audit_events")
    for where, cp in sorted(found, key=lambda item: -item[1].seq):
        if cp.seq not in stored:
            ends = f"the trail ends at row {last_seq}" if last_seq is not None else "the trail is empty"
            gone = "the newest rows were deleted" if last_seq is None or cp.seq > last_seq else "rows were deleted"
            report.problem = (f"row {cp.seq}, checkpointed at {cp.at} ({where}), is missing: {gone} "
                              f"({ends})")
            return report
        if stored[cp.seq] != cp.hash:
            report.problem = (f"row {cp.seq} no longer has the hash checkpointed at {cp.at} ({where}): the trail "
                              "was rewritten from there on")
            return report
    report.ok = True
    return report


async def keep_checkpointing(pool: asyncpg.Pool[Any], settings: Settings) -> None:
    """Checkpoint the chain's head now and every ``audit_checkpoint_seconds`` until cancelled (a worker's task);
    a database or disk that fails is logged and tried again next time."""
    key, paths = anchor_key(settings.secret()), anchor_paths(settings)
    while True:
        try:
            async with pool.acquire() as conn:
                await checkpoint(conn, key=key, paths=paths)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            log.warning("could not checkpoint the audit chain: %s", err)
        await asyncio.sleep(settings.audit_checkpoint_seconds)
