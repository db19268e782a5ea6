#!/usr/bin/env bash
# The whole test suite: lint, types, unit, workflow, integration (real Postgres + Temporal) and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh dev
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian chromium for the browser tests …" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "could not install chromium; browser tests will say why they are skipped" >&2
fi
echo "== ruff" && .venv/bin/ruff check .
echo "== mypy" && .venv/bin/mypy
echo "== import contracts" && .venv/bin/lint-imports --no-cache
echo "== pytest" && exec .venv/bin/pytest -q -p no:cacheprovider "$@"
