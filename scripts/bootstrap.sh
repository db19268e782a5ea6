#!/usr/bin/env bash
# Create .venv and install the project (with test tools when given "dev"); re-installs only when
# pyproject.toml changed. Needs python3 >= 3.11 with venv; everything else comes from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=${1:-}
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $($python --version)" >&2
  "$python" -m venv .venv
fi
stamp=".venv/.installed-${extra:-base}"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing talentops${extra:+ with $extra tools} into .venv …" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  if [ -n "$extra" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[$extra]"
  else
    .venv/bin/python -m pip install -q --disable-pip-version-check -e .
  fi
  echo "$want" > "$stamp"
fi
