#!/usr/bin/env bash
# Build the students' environment for the hub: the course's packages, JupyterHub's single-user
# server and `optimlab` with the MNIST files, but never `autograder` (its reference implementations
# are the answers).
#
#   bash deploy/make-student-env.sh /opt/optimizers/student-env
#
# PyTorch: the first `pip install` uses $COURSE_TORCH (default: `torch`, the CUDA build on Linux).
# On a CPU-only server set COURSE_TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
# for the small CPU build. PYTHON picks the interpreter (default python3, 3.11 or newer).
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 TARGET_DIRECTORY" >&2
  exit 2
fi
target=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
"${PYTHON:-python3}" -m venv "$target"
pip=("$target/bin/python" -m pip install --quiet)
"${pip[@]}" --upgrade pip
# shellcheck disable=SC2086  # COURSE_TORCH may hold pip options
"${pip[@]}" ${COURSE_TORCH:-torch}
"${pip[@]}" -r "$repo/requirements.txt" -r "$repo/deploy/hub-requirements.txt"

# optimlab alone, as a package of its own: the course's pyproject.toml would bring autograder and grading too.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp -r "$repo/optimlab" "$stage/optimlab"
find "$stage" -name __pycache__ -prune -exec rm -rf {} +
cat >"$stage/pyproject.toml" <<'TOML'
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "optimlab"
version = "0.1.0"
description = "Student-side helpers of the neural-network optimizers course (no answers)."
requires-python = ">=3.11"

[tool.setuptools]
packages = ["optimlab"]
TOML
"${pip[@]}" "$stage"

# The MNIST files, where the hub's OPTIMLAB_DATA_DIR points (deploy/jupyterhub_config.py).
mkdir -p "$target/share/optimizers"
rm -rf "$target/share/optimizers/data"
cp -r "$repo/data" "$target/share/optimizers/data"

"$target/bin/python" -I - <<'PY'  # -I: not the current folder (a clone has autograder/)
import importlib.util

assert importlib.util.find_spec("optimlab") is not None, "optimlab is missing"
for name in ("autograder", "grading"):  # the answers, and the grader that needs them
    assert importlib.util.find_spec(name) is None, f"{name} must not be installed here"
assert importlib.util.find_spec("jupyterhub") is not None, "jupyterhub-singleuser is missing"
print("students' environment ready: optimlab yes, autograder and grading no")
PY
chmod -R a+rX "$target"
