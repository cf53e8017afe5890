#!/usr/bin/env bash
# Install the course and its development tools into .venv, then lint and run the whole test suite.
# This is the README's test command, and exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
export PATH="$PWD/.venv/bin:$PATH"
ruff check .
ruff format --check optimlab autograder tests benchmarks scripts nbgrader_config.py
python -m pytest -n 2 "$@"
