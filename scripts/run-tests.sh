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

# PyTorch, unless one is already importable (a GPU user who installed the CUDA build keeps it).
# With an NVIDIA GPU: the default wheel, which is the CUDA build on Linux. Without one: the CPU
# build (a few hundred MB instead of several GB of CUDA libraries), i.e. the newest "+cpu" version
# that PyTorch's CPU index (or a local mirror of it) offers. macOS and Windows have no "+cpu"
# versions there: their default wheel has no CUDA in it anyway.
CPU_INDEX=https://download.pytorch.org/whl/cpu
TORCH_RANGE="torch>=2.2,<3" # the range in requirements.txt
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    echo "An NVIDIA GPU is present: installing PyTorch's default (CUDA) wheel."
    .venv/bin/python -m pip install --quiet "$TORCH_RANGE"
  else
    cpu_version=$(.venv/bin/python -m pip index versions torch --retries 1 --index-url "$CPU_INDEX" \
      2>/dev/null | sed -n 's/^Available versions: //p' | tr ',' '\n' | tr -d ' ' |
      grep -E '^2\.[0-9.]+\+cpu$' | head -n 1 || true)
    if [ -n "$cpu_version" ]; then
      echo "No NVIDIA GPU found: installing the CPU build of PyTorch ($cpu_version)."
      .venv/bin/python -m pip install --quiet --retries 1 "torch==$cpu_version" --index-url "$CPU_INDEX"
    else
      echo "No NVIDIA GPU found, and no CPU-only PyTorch build was offered (macOS and Windows" \
        "need none; on Linux the CPU index could not be reached): installing the default wheel."
      .venv/bin/python -m pip install --quiet "$TORCH_RANGE"
    fi
  fi
fi
.venv/bin/python -m pip install --quiet -e ".[dev]"
export PATH="$PWD/.venv/bin:$PATH"
ruff check .
ruff format --check optimlab autograder grading tests benchmarks scripts nbgrader_config.py
python -m pytest -n 2 --full "$@"
