"""Backup and restore of an embedded installation: its Postgres database, its Temporal database and its secret.

A backup is one ``.tar.gz`` file (mode 0600: it holds the installation's secret) with these members:

- ``temporal.sqlite``: the Temporal dev server's database (``data_dir/temporal/temporal.sqlite``), copied with
  SQLite's online backup API, which gives a consistent copy even while the server writes to it;
- ``files/session_secret`` and ``files/audit_checkpoints.jsonl``, when the data folder has them: the installation's
  secret (the decision attestations' and the audit anchor's keys derive from it: without it, decisions waiting in a
  workflow and the signed checkpoints would no longer verify) and the signed checkpoints of the audit chain's head;
- ``postgres.dump``: ``pg_dump -Fc`` of the database, taken in one exported snapshot (consistent even while the
  platform writes); the manifest's counts are read in that same snapshot, so they describe exactly the dump;
- ``manifest.json``: format and version, when, which talentops, the Postgres server version, the migrations applied,
  the counts of goals, reviews and audit events, the audit chain's head, and the size and sha256 of every member.

**Order: Temporal first, then the files, then Postgres.** Activities are idempotent with business keys: a Temporal
state older than the database only makes the restored workflows re-run activities whose effects are already in the
database (each finds its row by its key and changes nothing), which is harmless; a database older than Temporal
would lose effects Temporal believes done (a review a workflow waits on that the database never recorded, a move
it counts as offered that nobody was told about). Likewise the checkpoint file is copied before the database, so
that every checkpoint it holds names an audit row the dump has.

What is not consistent: an action completed in the moment between the Temporal and the Postgres snapshot (a review
decided then, say) is in the restored database while its workflow in the restored Temporal still waits for it. A
backup of a stopped installation has no such window.

A restore verifies the archive first (every member's checksum against the manifest, the format version), then
creates a new Postgres cluster in the data folder, ``pg_restore``s the dump into it in one transaction, checks the
migrations, counts and audit chain head against the manifest, and puts the Temporal database and the files in
place. It refuses a data folder that talentops runs on or that already holds an installation, unless asked to
replace it: then the old cluster, Temporal database and files are moved aside, never deleted. When a restore fails
half-way, what it created is removed and what it moved aside is moved back.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import asyncpg

from infra import audit, audit_anchor, db
from infra.db import Connection
from infra.embedded import EmbeddedError, start_postgres

FORMAT = "talentops-backup"
"""The manifest's ``format``: what tells a talentops backup from any other tar file."""
FORMAT_VERSION = 1
"""Version of the layout this code writes."""
READABLE_VERSIONS = (1,)
"""Versions of the layout this code restores."""
MANIFEST = "manifest.json"
POSTGRES_MEMBER = "postgres.dump"
TEMPORAL_MEMBER = "temporal.sqlite"
FILES_FOLDER = "files"
SECRET_FILE = "session_secret"
"""The installation's secret in the data folder (``Settings.secret()`` creates it when no secret is configured)."""
DATA_FILES = (SECRET_FILE, audit_anchor.CHECKPOINT_FILE)
"""Files of the data folder a restore cannot do without."""
MEMBERS = frozenset({POSTGRES_MEMBER, TEMPORAL_MEMBER, *(f"{FILES_FOLDER}/{name}" for name in DATA_FILES)})
"""Every member a backup may hold besides its manifest."""
LOCK_FILE = "up.lock"
"""The lock ``talentops up`` holds on its data folder for its whole run (``workers.up``)."""
PG_FOLDER = "pg"
TEMPORAL_FOLDER = "temporal"
TEMPORAL_DB = "temporal.sqlite"
COUNTED = {"goals": "goals", "reviews": "review_requests", "audit_events": "audit_events"}
"""The manifest's counts → the table each counts."""


class BackupError(RuntimeError):
    """A backup or restore that cannot go ahead or failed; the message is one sentence saying why."""


@dataclass(kw_only=True)
class BackupDone:
    """A backup written."""

    path: Path
    """The archive."""
    bytes: int
    """Its size."""
    manifest: dict[str, Any]
    """Its manifest."""


@dataclass(kw_only=True)
class RestoreDone:
    """A backup restored into a data folder."""

    data_dir: Path
    """Where."""
    manifest: dict[str, Any]
    """The backup's manifest."""
    counts: dict[str, int]
    """Goals, reviews and audit events found in the restored database (equal to the manifest's)."""
    chain: audit.ChainReport
    """The restored audit chain, verified."""
    anchor: audit_anchor.AnchorReport | None
    """The restored checkpoints checked against the restored chain (None: no checkpoint file, or no secret)."""
    files: list[str]
    """Data-folder files restored (the secret, the checkpoints)."""
    moved_aside: list[Path] = field(default_factory=list)
    """What was in the data folder before, now under ``NAME.before-restore-<time>``."""
    warnings: list[str] = field(default_factory=list)
    """Sentences for the operator (a secret the backup does not hold, for instance)."""


def default_name(now: datetime | None = None) -> str:
    """``talentops-backup-<UTC time>.tar.gz``."""
    return f"talentops-backup-{_stamp(now)}.tar.gz"


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def talentops_version() -> str:
    """The installed talentops version."""
    try:
        return metadata.version("talentops")
    except metadata.PackageNotFoundError:
        return "unknown"


def _pg_bin(name: str) -> str:
    from pgserver._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


@contextlib.contextmanager
def holding(data_dir: Path, *, busy: str) -> Iterator[None]:
    """Hold the data folder's ``up.lock`` (so that ``talentops up`` cannot start on it meanwhile); ``busy`` is the
    sentence raised when someone else holds it."""
    with open(data_dir / LOCK_FILE, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(busy) from None
        yield


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


async def _run(args: list[str], what: str) -> None:
    """Run a Postgres client program; its last error line as a BackupError when it fails."""
    proc = await asyncio.create_subprocess_exec(*args, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise BackupError(f"{what} failed: {_last_line(err.decode(errors='replace'))}")


def _start_postgres(data_dir: Path) -> tuple[Any, str]:
    try:
        return start_postgres(data_dir)
    except EmbeddedError as err:
        raise BackupError(str(err)) from err


# --- backup -------------------------------------------------------------------------------------------------------


def snapshot_sqlite(source: Path, target: Path) -> dict[str, Any]:
    """Copy the SQLite database ``source`` to ``target`` with the online backup API (consistent while a server
    writes to it: the copy is of one moment); what the copy holds."""
    try:
        src = sqlite3.connect(str(source), timeout=60)
        try:
            dst = sqlite3.connect(str(target))
            try:
                src.backup(dst)  # in one step: a multi-step copy restarts whenever the server writes
                check = dst.execute("PRAGMA quick_check").fetchone()
                if check is None or check[0] != "ok":
                    raise BackupError(f"the Temporal database {source} is damaged: {check}")
                has_table = dst.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                        "AND name = 'current_executions'").fetchone()
                executions = dst.execute("SELECT count(*) FROM current_executions").fetchone()[0] if has_table else None
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as err:
        raise BackupError(f"could not copy the Temporal database {source}: {err}") from err
    return {"executions": executions}


async def database_facts(conn: Connection) -> dict[str, Any]:
    """What the manifest says about a database: server version, database, migrations, counts, audit chain head."""
    if await conn.fetchval("SELECT to_regclass('public.schema_migrations')") is None:
        raise BackupError("the database holds no talentops schema (no schema_migrations table)")
    counts = {key: int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # fixed table names
              for key, table in COUNTED.items()}
    head = await audit_anchor.chain_head(conn)
    return {
        "server_version": str(await conn.fetchval("SHOW server_version")),
        "database": str(await conn.fetchval("SELECT current_database()")),
        "migrations": [str(r["name"]) for r in await conn.fetch("SELECT name FROM schema_migrations ORDER BY name")],
        "counts": counts,
        "audit_head": None if head is None else {"seq": head[0], "hash": head[1]},
    }


async def dump_postgres(url: str, target: Path) -> dict[str, Any]:
    """``pg_dump -Fc`` of the database at ``url`` into ``target``, in a snapshot the facts returned are read in."""
    try:
        conn = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as err:
        raise BackupError(f"cannot reach the database: {err}") from err
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            facts = await database_facts(conn)
            # the transaction stays open while pg_dump reads: the exported snapshot lives as long as it does
            await _run([_pg_bin("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--no-password",
                        "--file", str(target), "--dbname", url], "pg_dump")
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as err:
        raise BackupError(f"could not read the database: {err}") from err
    finally:
        await conn.close()
    return facts


def _anonymous(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


def _write_archive(out: Path, staging: Path, manifest: dict[str, Any], names: list[str]) -> int:
    """Write the archive next to ``out`` and move it into place (never a half-written backup under its name)."""
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    part = out.with_name(out.name + ".part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            for name in [MANIFEST, *names]:
                tar.add(staging / name, arcname=name, recursive=False, filter=_anonymous)
        part.replace(out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return out.stat().st_size


async def create_backup(data_dir: Path, out: Path, *, database_url: str | None,
                        secret_configured: bool = False) -> BackupDone:
    """Back up the embedded installation in ``data_dir`` into the file ``out``.

    Args:
        data_dir: The data folder.
        out: The archive to write (it must not exist).
        database_url: The running installation's database (from ``runtime.json``); None when nothing runs: the
            embedded Postgres is started for the dump and stopped after, and the data folder's lock is held meanwhile.
        secret_configured: The secret comes from the settings (``TALENTOPS_SESSION_SECRET``), not from the folder.
    """
    pg_dir, temporal_db = data_dir / PG_FOLDER, data_dir / TEMPORAL_FOLDER / TEMPORAL_DB
    if not (pg_dir / "PG_VERSION").is_file():
        raise BackupError(f"there is no talentops installation in {data_dir} (no Postgres cluster in {pg_dir}); "
                          "set TALENTOPS_DATA_DIR to the data folder to back up")
    if not temporal_db.is_file():
        raise BackupError(f"{data_dir} has no Temporal database ({temporal_db}); start the installation once with "
                          "`talentops up`")
    if out.exists():
        raise BackupError(f"{out} already exists; choose another file with --out")
    if not out.parent.is_dir():
        raise BackupError(f"the folder {out.parent} does not exist")
    running = database_url is not None
    with contextlib.ExitStack() as stack:
        if database_url is None:
            stack.enter_context(holding(data_dir, busy=f"talentops is starting or stopping on {data_dir}; "
                                                         "try again in a moment"))
        try:
            staging = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=".talentops-backup-",
                                                                           dir=out.parent)))
        except OSError as err:
            raise BackupError(f"cannot write in {out.parent}: {err}") from err
        created_at = datetime.now(UTC)
        # 1. Temporal first: see the module's docstring
        temporal = await asyncio.to_thread(snapshot_sqlite, temporal_db, staging / TEMPORAL_MEMBER)
        # 2. the secret and the checkpoints, before the database too (every checkpoint names a row of the dump)
        (staging / FILES_FOLDER).mkdir()
        files = [name for name in DATA_FILES if (data_dir / name).is_file()]
        for name in files:
            shutil.copyfile(data_dir / name, staging / FILES_FOLDER / name)
        # 3. Postgres
        if database_url is None:
            handle, database_url = _start_postgres(data_dir)
            stack.callback(handle.cleanup)
        postgres = await dump_postgres(database_url, staging / POSTGRES_MEMBER)
        names = [TEMPORAL_MEMBER, *(f"{FILES_FOLDER}/{name}" for name in files), POSTGRES_MEMBER]
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": created_at.isoformat(),
            "talentops_version": talentops_version(),
            "source": {"data_dir": str(data_dir), "running": running},
            "postgres": postgres,
            "temporal": temporal,
            "files": files,
            # where the installation's secret is: "included", "configured" (TALENTOPS_SESSION_SECRET: not in the
            # backup, keep it with it) or "none" (no secret yet)
            "secret": "configured" if secret_configured else "included" if SECRET_FILE in files else "none",
            "members": [{"name": name, "bytes": (staging / name).stat().st_size, "sha256": _sha256(staging / name)}
                        for name in names],
        }
        size = await asyncio.to_thread(_write_archive, out, staging, manifest, names)
    return BackupDone(path=out, bytes=size, manifest=manifest)


# --- restore ------------------------------------------------------------------------------------------------------


def _not_a_backup(archive: Path, why: str) -> BackupError:
    return BackupError(f"{archive} is not a talentops backup ({why}); nothing was restored")


def _check_manifest(archive: Path, data: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError:
        raise _not_a_backup(archive, "its manifest.json is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_backup(archive, "its manifest.json is not a talentops manifest")
    version = manifest.get("format_version")
    if version not in READABLE_VERSIONS:
        raise BackupError(f"{archive} has backup format version {version!r}, which this talentops "
                          f"({talentops_version()}) cannot restore (it reads version "
                          f"{', '.join(map(str, READABLE_VERSIONS))}); restore it with the talentops that wrote it "
                          f"({manifest.get('talentops_version', 'unknown')}) or a newer one")
    members = manifest.get("members")
    if not isinstance(members, list) or not all(
            isinstance(m, dict) and m.get("name") in MEMBERS and isinstance(m.get("sha256"), str) for m in members):
        raise _not_a_backup(archive, "its manifest.json lists no valid members")
    listed = {m["name"] for m in members}
    for needed in (POSTGRES_MEMBER, TEMPORAL_MEMBER):
        if needed not in listed:
            raise _not_a_backup(archive, f"its manifest lists no {needed}")
    postgres = manifest.get("postgres")
    if not isinstance(postgres, dict) or not isinstance(postgres.get("counts"), dict) \
            or not isinstance(postgres.get("migrations"), list):
        raise _not_a_backup(archive, "its manifest.json describes no database")
    return manifest


def _copy_hashing(source: IO[bytes], target: Path) -> str:
    digest = hashlib.sha256()
    with target.open("wb") as out:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def read_backup(archive: Path, staging: Path) -> dict[str, Any]:
    """Unpack ``archive`` into ``staging`` and verify it: a talentops manifest of a known version, every member it
    lists present with its checksum, nothing else. Returns the manifest."""
    manifest: dict[str, Any] | None = None
    digests: dict[str, str] = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                if member.name == MANIFEST and member.isfile() and member.size < 10_000_000:
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    manifest = _check_manifest(archive, extracted.read())
                elif member.name in MEMBERS and member.isfile() and member.name not in digests:
                    extracted = tar.extractfile(member)
                    assert extracted is not None
                    target = staging / member.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    digests[member.name] = _copy_hashing(extracted, target)
                else:
                    raise _not_a_backup(archive, f"it holds {member.name!r}")
    except BackupError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise BackupError(f"{archive} cannot be read as a talentops backup: it is not a tar archive, or it is "
                          f"truncated or damaged ({err}); nothing was restored") from err
    if manifest is None:
        raise _not_a_backup(archive, "it has no manifest.json")
    listed = {m["name"]: m["sha256"] for m in manifest["members"]}
    for name, sha in listed.items():
        if name not in digests:
            raise BackupError(f"{archive} is incomplete: {name} is missing; nothing was restored")
        if digests[name] != sha:
            raise BackupError(f"the checksum of {name} in {archive} does not match its manifest (the file was "
                              "altered or damaged); nothing was restored")
    for name in digests:
        if name not in listed:
            raise _not_a_backup(archive, f"{name} is not in its manifest")
    return manifest


def occupied(data_dir: Path) -> list[str]:
    """What of an installation ``data_dir`` already holds: ``pg`` (a Postgres cluster), ``temporal`` (a Temporal
    database)."""
    found = []
    pg = data_dir / PG_FOLDER
    if pg.is_dir() and any(pg.iterdir()):
        found.append(PG_FOLDER)
    if (data_dir / TEMPORAL_FOLDER / TEMPORAL_DB).exists():
        found.append(TEMPORAL_FOLDER)
    return found


def _refuse_running_postgres(pg: Path) -> None:
    try:
        pid = int((pg / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return
    except PermissionError:
        pass
    raise BackupError(f"a Postgres server (pid {pid}) still runs on {pg}; stop what uses it first "
                      "(`talentops up`, or another talentops command)")


Checked = tuple[dict[str, int], audit.ChainReport, audit_anchor.AnchorReport | None]


async def _check_restored(url: str, manifest: dict[str, Any], anchor_file: Path | None, secret: str | None) -> Checked:
    pool = await db.create_pool(url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("ANALYZE")  # a restore brings no planner statistics
            facts = await database_facts(conn)
            expected = manifest["postgres"]
            if facts["migrations"] != expected["migrations"]:
                raise BackupError("the restored database's migrations differ from the backup's manifest")
            for key, count in expected["counts"].items():
                if facts["counts"].get(key) != count:
                    raise BackupError(f"the restored database has {facts['counts'].get(key)} {key.replace('_', ' ')}, "
                                      f"the backup's manifest {count}")
            if facts["audit_head"] != expected.get("audit_head"):
                raise BackupError("the restored audit chain's head differs from the backup's manifest")
            chain = await audit.verify_chain(conn)
            anchor = None
            if anchor_file is not None and secret:
                anchor = await audit_anchor.verify_anchor(conn, key=audit_anchor.anchor_key(secret),
                                                          paths=[anchor_file])
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as err:
        raise BackupError(f"could not check the restored database: {err}") from err
    finally:
        await pool.close()
    return facts["counts"], chain, anchor


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


async def restore_backup(archive: Path, data_dir: Path, *, replace: bool = False,
                         secret: str | None = None) -> RestoreDone:
    """Restore the backup ``archive`` into ``data_dir``.

    Args:
        archive: A file written by :func:`create_backup`.
        data_dir: The data folder to restore into (created if missing). Nothing may run on it.
        replace: Move an installation already in ``data_dir`` aside (``NAME.before-restore-<time>``) instead of
            refusing.
        secret: The secret configured in the settings (``TALENTOPS_SESSION_SECRET``), if any: it is used instead of
            the data folder's file, so the restored checkpoints are checked with it.
    """
    if not archive.exists():
        raise BackupError(f"{archive} does not exist")
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file")
    data_dir.mkdir(parents=True, exist_ok=True)
    with holding(data_dir, busy=f"talentops is running on {data_dir}; stop it first (a restore replaces what it "
                                f"runs on)"):
        there = occupied(data_dir)
        if there and not replace:
            what = " and ".join({"pg": f"a Postgres cluster ({data_dir / PG_FOLDER})",
                                 "temporal": "a Temporal database "
                                             f"({data_dir / TEMPORAL_FOLDER / TEMPORAL_DB})"}[n] for n in there)
            raise BackupError(f"{data_dir} already holds an installation ({what}); restore into an empty data folder "
                              "(set TALENTOPS_DATA_DIR) or pass --replace to move the current one aside")
        _refuse_running_postgres(data_dir / PG_FOLDER)
        with tempfile.TemporaryDirectory(prefix=".restore-", dir=data_dir) as tmp:
            staging = Path(tmp)
            manifest = await asyncio.to_thread(read_backup, archive, staging)
            return await _restore_verified(manifest, staging, data_dir, there, secret)


async def _restore_verified(manifest: dict[str, Any], staging: Path, data_dir: Path, there: list[str],
                            secret: str | None) -> RestoreDone:
    stamp = _stamp()
    files = [name for name in DATA_FILES if (staging / FILES_FOLDER / name).is_file()]
    # the restored installation has the backup's files and no others: another installation's secret or checkpoints
    # would not verify its decisions and trail
    aside = [name for name in [*there, *DATA_FILES] if (data_dir / name).exists()]
    moved: list[tuple[Path, Path]] = []
    created: list[Path] = []
    try:
        for name in aside:
            target = data_dir / f"{name}.before-restore-{stamp}"
            (data_dir / name).rename(target)
            moved.append((data_dir / name, target))
        pg = data_dir / PG_FOLDER
        if not pg.exists():
            created.append(pg)
        handle, url = _start_postgres(data_dir)
        try:
            await _run([_pg_bin("pg_restore"), "--exit-on-error", "--single-transaction", "--no-password",
                        "--dbname", url, str(staging / POSTGRES_MEMBER)], "pg_restore")
            used_secret = secret or ((staging / FILES_FOLDER / SECRET_FILE).read_text().strip()
                                     if SECRET_FILE in files else None)
            anchor_file = staging / FILES_FOLDER / audit_anchor.CHECKPOINT_FILE
            counts, chain, anchor = await _check_restored(
                url, manifest, anchor_file if audit_anchor.CHECKPOINT_FILE in files else None, used_secret)
        finally:
            handle.cleanup()
        temporal_dir = data_dir / TEMPORAL_FOLDER
        if not temporal_dir.exists():
            temporal_dir.mkdir()
            created.append(temporal_dir)
        created.append(temporal_dir / TEMPORAL_DB)
        (staging / TEMPORAL_MEMBER).rename(temporal_dir / TEMPORAL_DB)
        for name in files:
            created.append(data_dir / name)
            (staging / FILES_FOLDER / name).rename(data_dir / name)
            (data_dir / name).chmod(0o600)
    except BaseException:
        for path in reversed(created):
            _remove(path)
        for original, target in reversed(moved):
            if target.exists() and not original.exists():
                target.rename(original)
        raise
    warnings = []
    unknown = sorted(set(manifest["postgres"]["migrations"]) - {name for name, _ in db.migration_files()})
    if unknown:
        warnings.append(f"the backup comes from a newer talentops ({manifest.get('talentops_version', 'unknown')}): "
                        f"its database has migrations this one does not know ({', '.join(unknown)}); run it with "
                        "that version")
    if SECRET_FILE not in files and not secret:
        warnings.append("the backup holds no secret and none is configured: set TALENTOPS_SESSION_SECRET to the "
                        "original installation's secret, or decisions waiting in workflows and the audit "
                        "checkpoints will not verify")
    elif SECRET_FILE in files and secret:
        warnings.append("TALENTOPS_SESSION_SECRET is set, so the installation uses it rather than the restored "
                        f"{SECRET_FILE} file; it must be the secret of the installation that was backed up")
    return RestoreDone(data_dir=data_dir, manifest=manifest, counts=counts, chain=chain, anchor=anchor, files=files,
                       moved_aside=[target for _, target in moved], warnings=warnings)
