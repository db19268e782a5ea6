"""What a killed ``talentops up`` leaves running: ``status`` says so, ``stop`` stops it (and never a process that
is not the folder's), and ``processes.json`` tells a live recorded process from a later one given its pid."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from infra import children
from infra.embedded import free_port, start_postgres, temporal_cli

pytestmark = pytest.mark.integration
TALENTOPS = str(Path(sys.executable).parent / "talentops")


def talentops(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TALENTOPS, *args], env={**os.environ, "TALENTOPS_DATA_DIR": str(data_dir)},
                          capture_output=True, text=True, timeout=120)


def test_status_names_what_a_killed_up_left_running_and_stop_stops_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "installation"
    pg, _ = start_postgres(data_dir)  # as a killed up leaves it: running, owned by nobody
    (data_dir / "temporal").mkdir()
    port = free_port()
    temporal = subprocess.Popen(
        [temporal_cli(), "server", "start-dev", "--db-filename", str(data_dir / "temporal" / "temporal.sqlite"),
         "--ip", "127.0.0.1", "--port", str(port), "--ui-port", str(free_port(avoid=frozenset({port}))),
         "--log-level", "error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    elsewhere = tmp_path / "elsewhere"  # another folder's Postgres: not ours to stop
    other, _ = start_postgres(elsewhere)
    try:
        status = json.loads(talentops(data_dir, "status", "--json").stdout)
        assert status["running"] is False
        assert sorted(status["left_running"]) == sorted(
            [f"Postgres (pid {pg.pid})", f"the Temporal dev server (pid {temporal.pid})"])
        said = talentops(data_dir, "status").stdout
        assert "talentops up is not running, but" in said and "`talentops stop`" in said

        stopped = talentops(data_dir, "stop")
        assert stopped.returncode == 0, stopped.stderr
        assert f"Postgres (pid {pg.pid})" in stopped.stderr
        assert temporal.wait(30) is not None
        assert not psutil.pid_exists(pg.pid) or psutil.Process(pg.pid).status() == psutil.STATUS_ZOMBIE
        assert json.loads(talentops(data_dir, "status", "--json").stdout)["left_running"] == []
        assert children.postgres_on(elsewhere / "pg") is not None, "another folder's Postgres keeps running"
        assert "nothing runs on" in talentops(data_dir, "stop").stderr
    finally:
        if temporal.poll() is None:
            temporal.kill()
        children.stop_postgres(data_dir / "pg")
        other.cleanup()


def test_a_record_is_alive_only_while_its_pid_and_start_time_both_match(tmp_path: Path) -> None:
    me = children.describe(os.getpid(), "up")
    children.record(tmp_path, me)
    assert set(children.alive(tmp_path)) == {"up"}
    children.record(tmp_path, children.Child(role="temporal", pid=os.getpid(), started=me.started - 3600))
    assert set(children.alive(tmp_path)) == {"up"}, "a pid reused by a later process is not the recorded one"
    children.forget(tmp_path, "up")
    assert set(children.read(tmp_path)) == {"temporal"}


def test_stop_refuses_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    done = talentops(tmp_path / "nowhere", "stop")
    assert done.returncode != 0 and "does not exist" in done.stderr and "Traceback" not in done.stderr
