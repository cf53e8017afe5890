#!/usr/bin/env bash
# Install the course into .venv (CPU PyTorch unless a GPU build is already there) and open the
# student notebooks in JupyterLab.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  # The CPU build is a few hundred MB instead of several GB; a GPU user installs the normal
  # wheel first (pip install torch) and this step is skipped.
  .venv/bin/python -m pip install --quiet torch --index-url https://download.pytorch.org/whl/cpu \
    || echo "Could not reach the CPU wheel index; installing the default PyTorch wheel instead."
fi
.venv/bin/python -m pip install --quiet -e .
# A student's JupyterLab: nbgrader's Assignments and Validate stay, its instructor tools
# (Create Assignment, Formgrader, Course List: menu items and server extensions) are switched off
# by the students' configuration the hub uses too (deploy/jupyter/student/), without changing the
# environment: instructors who run `jupyter lab` or `nbgrader formgrader` themselves keep them.
export JUPYTER_CONFIG_PATH="$PWD/deploy/jupyter/student${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}"
extra=()
if [ "$(id -u)" = 0 ]; then extra+=(--allow-root); fi  # containers often run as root
exec .venv/bin/jupyter lab --ServerApp.root_dir="$PWD" \
  --LabApp.default_url=/lab/tree/notebooks/01_gradient_descent/01_gradient_descent.ipynb \
  "${extra[@]}" "$@"
