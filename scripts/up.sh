#!/usr/bin/env bash
# Run talentops on this machine: embedded Postgres + Temporal dev server + worker + console + demo org.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/talentops up "$@"
