"""``talentops backup`` and ``talentops restore`` end to end: a real installation (``talentops up`` in a subprocess)
with a goal waiting on its staffing review is backed up while it runs, stopped, restored into a new data folder and
started there: every goal and review is back, the goal's workflow still waits on the restored Temporal server and
resumes when the review is decided; the audit chain and its signed checkpoints verify. Then the refusals: a folder in
use or holding an installation, and archives that are not sound backups."""

from __future__ import annotations

import fcntl
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from test_cli import start_up

from infra import audit, db
from infra.backup import MANIFEST, BackupError, restore_backup
from infra.embedded import free_port, start_postgres
from tools.people_import.demo_org import DEMO_PASSWORD

pytestmark = pytest.mark.integration
TALENTOPS = str(Path(sys.executable).parent / "talentops")
GOAL = "Stand up a fraud-analytics dashboard for the EU cards business within 6 weeks"


def make_env(data_dir: Path) -> dict[str, str]:
    """An installation of its own: its data folder, free ports, checkpoints of the audit chain every 5 s, and a
    short drain when it stops (what the worker still runs then is cancelled, and runs again at the next start)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALENTOPS_")}
    return {**env, "TALENTOPS_DATA_DIR": str(data_dir), "TALENTOPS_CONSOLE_PORT": str(free_port()),
            "TALENTOPS_TEMPORAL_PORT": str(free_port()), "TALENTOPS_TEMPORAL_UI_PORT": str(free_port()),
            "TALENTOPS_AUDIT_CHECKPOINT_SECONDS": "5", "TALENTOPS_SHUTDOWN_DRAIN_SECONDS": "2"}


def cli(env: dict[str, str], *args: str, check: bool = True, stdin: str | None = None,
        ) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([TALENTOPS, *args], env=env, capture_output=True, text=True, timeout=180, input=stdin)
    if check and done.returncode != 0:
        raise AssertionError(f"talentops {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done


def refused(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The one sentence a refused command printed (exit 1, no traceback, every one of ``words`` in it)."""
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def stop_up(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err


def runtime(env: dict[str, str]) -> dict[str, Any]:
    info: dict[str, Any] = json.loads((Path(env["TALENTOPS_DATA_DIR"]) / "runtime.json").read_text())
    return info


def wait_status(env: dict[str, str], goal_id: str, wanted: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        goal: dict[str, Any] = json.loads(cli(env, "goal", "show", goal_id, "--json").stdout)
        if goal["status"] == wanted:
            return goal
        assert goal["status"] != "failed", goal["status_detail"]
        assert time.monotonic() < deadline, f"goal {goal_id} is {goal['status']}, not {wanted}"
        time.sleep(0.5)


def decide(env: dict[str, str], review_id: str) -> None:
    cli(env, "review", "decide", review_id, "approve", "--reviewer", "hr.reviewer", "--password-stdin",
        stdin=DEMO_PASSWORD + "\n")


async def snapshot(url: str) -> dict[str, Any]:
    """Every goal and review (id → status), and the audit chain checked."""
    pool = await db.create_pool(url, max_size=1)
    try:
        goals = {r["goal_id"]: (r["status"], r["workflow_id"]) for r in await pool.fetch(
            "SELECT goal_id, status, workflow_id FROM goals")}
        reviews = {r["review_id"]: r["status"] for r in await pool.fetch(
            "SELECT review_id, status FROM review_requests")}
        async with pool.acquire() as conn:
            chain = await audit.verify_chain(conn)
        return {"goals": goals, "reviews": reviews, "chain": chain}
    finally:
        await pool.close()


@dataclass(kw_only=True)
class Installation:
    """An installation that ran, with a goal waiting on its staffing review, and its backup taken while it ran."""

    env: dict[str, str]
    data_dir: Path
    backup: Path
    manifest: dict[str, Any]
    state: dict[str, Any]
    """Goals, reviews and chain as the running installation had them right after the backup."""
    goal_id: str
    staffing_review: str
    root: Path


@pytest.fixture(scope="module")
async def installation(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Installation]:
    root = tmp_path_factory.mktemp("backups")
    root.chmod(0o755)
    env = make_env(root / "original")
    proc, _ = start_up(env)
    try:
        goal_id = cli(env, "goal", "submit", GOAL, "--manager", "mgr.payments").stdout.strip()
        plan = wait_status(env, goal_id, "awaiting_plan_review")
        decide(env, plan["review"]["review_id"])
        staffing = wait_status(env, goal_id, "awaiting_review")
        checkpoints = Path(env["TALENTOPS_DATA_DIR"]) / "audit_checkpoints.jsonl"
        deadline = time.monotonic() + 30
        while not checkpoints.exists():  # the worker checkpoints the chain's head every 5 s
            assert time.monotonic() < deadline, "no audit checkpoint after 30 s"
            time.sleep(0.5)
        in_use = cli(env, "restore", str(root / "nothing.tar.gz"), check=False)
        refused(in_use, "talentops is running on", "stop it first")

        target = root / "running.tar.gz"
        done = json.loads(cli(env, "backup", "--out", str(target), "--json").stdout)
        state = await snapshot(runtime(env)["database_url"])
    finally:
        stop_up(proc)
    assert done["path"] == str(target) and target.stat().st_mode & 0o777 == 0o600, "it holds the secret"
    yield Installation(env=env, data_dir=Path(env["TALENTOPS_DATA_DIR"]), backup=target, manifest=done["manifest"],
                       state=state, goal_id=goal_id, staffing_review=staffing["review"]["review_id"], root=root)


async def test_a_backup_taken_while_up_runs_restores_into_a_new_folder_and_the_goal_resumes(
        installation: Installation) -> None:
    m = installation.manifest
    assert m["format"] == "talentops-backup" and m["format_version"] == 1 and m["source"]["running"] is True
    assert m["files"] == ["session_secret", "audit_checkpoints.jsonl"] and m["secret"] == "included"
    assert {x["name"] for x in m["members"]} == {"postgres.dump", "temporal.sqlite", "files/session_secret",
                                                 "files/audit_checkpoints.jsonl"}
    assert m["postgres"]["migrations"] and m["postgres"]["server_version"].startswith("16")
    # goals and reviews do not move once the staffing review is open (the audit trail may: the worker goes on)
    assert m["postgres"]["counts"]["goals"] == len(installation.state["goals"]) == 1
    assert m["postgres"]["counts"]["reviews"] == len(installation.state["reviews"]) == 2
    audited = m["postgres"]["counts"]["audit_events"]
    assert 0 < audited <= installation.state["chain"].rows

    env = make_env(installation.root / "restored")
    out = cli(env, "restore", str(installation.backup)).stdout
    assert "1 goal, 2 reviews and" in out and "the audit chain verifies" in out, out
    assert "signed checkpoints match" in out and "Start it with `talentops up`" in out, out
    data = Path(env["TALENTOPS_DATA_DIR"])
    assert (data / "temporal" / "temporal.sqlite").is_file() and (data / "pg" / "PG_VERSION").is_file()
    assert (data / "session_secret").read_text() == (installation.data_dir / "session_secret").read_text()
    assert not [p.name for p in data.iterdir() if p.name.startswith(".restore-")], "the staging folder is gone"

    proc, _ = start_up(env)
    try:
        restored = await snapshot(runtime(env)["database_url"])
        assert restored["goals"] == installation.state["goals"], "every goal, same ids, same statuses"
        assert restored["reviews"] == installation.state["reviews"], "every review, same ids, same statuses"
        assert restored["chain"].ok and restored["chain"].rows >= audited, "the backup's trail, and what came after"
        assert installation.state["goals"][installation.goal_id][0] == "awaiting_review"

        # the goal's workflow is on the restored Temporal server, still waiting for its staffing decision
        client = await Client.connect(runtime(env)["temporal_address"])
        workflow_id = installation.state["goals"][installation.goal_id][1]
        described = await client.get_workflow_handle(workflow_id).describe()
        assert described.status == WorkflowExecutionStatus.RUNNING

        # and it resumes: the decision's attestation verifies with the restored secret, the goal gets staffed
        decide(env, installation.staffing_review)
        staffed = wait_status(env, installation.goal_id, "staffed")
        assert staffed["assignments"]
        verified = cli(env, "audit", "verify").stdout
        assert "audit chain intact" in verified and "matches" in verified, verified
    finally:
        stop_up(proc)


async def test_a_stopped_installation_backs_up_and_restores(installation: Installation) -> None:
    env = installation.env
    target = installation.root / "stopped.tar.gz"
    out = cli(env, "backup", "--out", str(target)).stdout
    assert out.startswith("Backed up the stopped installation in") and str(target) in out, out
    again = cli(env, "backup", "--out", str(target), check=False)
    refused(again, "already exists")
    assert not (installation.data_dir / "runtime.json").exists()

    fresh = make_env(installation.root / "from-stopped")
    done = json.loads(cli(fresh, "restore", str(target), "--json").stdout)
    assert done["manifest"]["source"]["running"] is False
    assert done["chain"]["ok"] and done["anchor"]["ok"] and done["moved_aside"] == []
    assert done["counts"] == done["manifest"]["postgres"]["counts"]
    handle, url = start_postgres(Path(fresh["TALENTOPS_DATA_DIR"]))
    try:
        restored = await snapshot(url)
    finally:
        handle.cleanup()
    assert restored["goals"] == installation.state["goals"] and restored["reviews"] == installation.state["reviews"]


def test_restore_refuses_a_folder_holding_an_installation_unless_told_to_move_it_aside(
        installation: Installation) -> None:
    env = make_env(installation.root / "twice")
    cli(env, "restore", str(installation.backup))
    data = Path(env["TALENTOPS_DATA_DIR"])
    refused(cli(env, "restore", str(installation.backup), check=False),
            "already holds an installation", "--replace")
    secret_before = (data / "session_secret").read_text()

    out = cli(env, "restore", str(installation.backup), "--replace").stdout
    assert "What was there before is kept" in out, out
    aside = sorted(p.name.split(".before-restore-")[0] for p in data.iterdir() if ".before-restore-" in p.name)
    assert aside == ["audit_checkpoints.jsonl", "pg", "session_secret", "temporal"], aside
    kept = next(p for p in data.iterdir() if p.name.startswith("pg.before-restore-"))
    assert (kept / "PG_VERSION").is_file(), "the old cluster is moved aside whole, never deleted"
    assert (data / "session_secret").read_text() == secret_before


def test_a_folder_in_use_is_refused(installation: Installation) -> None:
    """`up` holds the data folder's lock while it runs (the fixture saw a running `up` refused too)."""
    env = make_env(installation.root / "busy")
    data = Path(env["TALENTOPS_DATA_DIR"])
    with open(data / "up.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        refused(cli(env, "restore", str(installation.backup), check=False), "talentops is running on")
    refused(cli(env, "backup", "--out", str(installation.root), check=False), "no talentops installation in")
    assert not (data / "pg").exists(), "nothing was created"


def _rewrite(source: Path, target: Path, change: Any) -> None:
    """Copy the backup ``source`` to ``target`` with ``change(name, data) -> data | None`` applied to each member
    (None drops it)."""
    with tarfile.open(source, "r:gz") as tar, tarfile.open(target, "w:gz") as out:
        for member in tar:
            extracted = tar.extractfile(member)
            assert extracted is not None
            data = change(member.name, extracted.read())
            if data is None:
                continue
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))


def _manifest_with(**fields: Any) -> Any:
    def change(name: str, data: bytes) -> bytes:
        return json.dumps({**json.loads(data), **fields}).encode() if name == MANIFEST else data
    return change


def _corrupt_dump(name: str, data: bytes) -> bytes:
    return data[:-10] + b"0123456789" if name == "postgres.dump" else data


def test_archives_that_are_not_sound_backups_are_refused_with_a_sentence(installation: Installation) -> None:
    env = make_env(installation.root / "bad")
    data = Path(env["TALENTOPS_DATA_DIR"])
    root, good = installation.root, installation.backup
    refused(cli(env, "restore", str(root / "missing.tar.gz"), check=False), "does not exist")
    _rewrite(good, root / "altered.tar.gz", _corrupt_dump)
    refused(cli(env, "restore", str(root / "altered.tar.gz"), check=False),
            "checksum of postgres.dump", "does not match", "nothing was restored")
    assert not (data / "pg").exists() and not (data / "temporal").exists(), "nothing was restored"
    assert not [p for p in data.iterdir() if p.name.startswith(".restore-")], "no staging left behind"


async def test_every_kind_of_unsound_archive_is_told_apart_before_anything_is_touched(
        installation: Installation) -> None:
    data = installation.root / "bad-too"
    root, good = installation.root, installation.backup
    (root / "notes.txt").write_text("not a backup\n")
    raw = good.read_bytes()
    (root / "truncated.tar.gz").write_bytes(raw[: len(raw) // 2])
    with gzip.open(root / "other.tar.gz", "wb") as f, tarfile.open(fileobj=f, mode="w") as tar:
        info = tarfile.TarInfo("readme.md")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))
    _rewrite(good, root / "future.tar.gz", _manifest_with(format_version=99))
    _rewrite(good, root / "foreign.tar.gz", _manifest_with(format="something-else"))
    _rewrite(good, root / "no-temporal.tar.gz", lambda name, data: None if name == "temporal.sqlite" else data)
    _rewrite(good, root / "no-manifest.tar.gz", lambda name, data: None if name == MANIFEST else data)
    cases = {
        root: "is not a file",
        root / "notes.txt": "not a tar archive, or it is truncated or damaged",
        root / "truncated.tar.gz": "not a tar archive, or it is truncated or damaged",
        root / "other.tar.gz": "is not a talentops backup (it holds 'readme.md')",
        root / "future.tar.gz": "has backup format version 99, which this talentops",
        root / "foreign.tar.gz": "is not a talentops backup (its manifest.json is not a talentops manifest)",
        root / "no-temporal.tar.gz": "is incomplete: temporal.sqlite is missing",
        root / "no-manifest.tar.gz": "is not a talentops backup (it has no manifest.json)",
    }
    for archive, words in cases.items():
        with pytest.raises(BackupError) as caught:
            await restore_backup(archive, data)
        assert words in str(caught.value), (archive, str(caught.value))
    assert sorted(p.name for p in data.iterdir()) == ["up.lock"], "nothing was restored, no staging left behind"
