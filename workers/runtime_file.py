"""The runtime file ``talentops up`` writes so that other commands find the running services."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from infra import children
from infra.settings import Settings

FILE_NAME = "runtime.json"


def write(settings: Settings, info: dict[str, Any]) -> Path:
    """Record where the running services listen (and our pid)."""
    path = settings.ensure_data_dir() / FILE_NAME
    path.write_text(json.dumps({**info, "pid": os.getpid()}, indent=2))
    return path


def read(settings: Settings) -> dict[str, Any] | None:
    """What a running ``talentops up`` recorded, or None when none is running."""
    path = settings.data_dir / FILE_NAME
    try:
        info: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    up = children.read(settings.data_dir).get("up")
    if up is None or up.pid != info.get("pid") or up.process() is None:
        return None  # stale file from a process that died (its pid may even belong to another process now)
    return info


def remove(settings: Settings) -> None:
    """Forget the runtime file (on shutdown)."""
    (settings.data_dir / FILE_NAME).unlink(missing_ok=True)
