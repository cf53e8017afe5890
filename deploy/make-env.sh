#!/usr/bin/env bash
# Build a hub environment: the course's packages and JupyterHub's single-user server, then
#   student     `optimlab` alone (with the MNIST files), never `autograder` or `grading` (the
#               references are the answers; the grader needs them);
#   instructor  the course itself (optimlab, autograder, grading) and nbgrader with all its
#               extensions, readable only by the instructors' group.
#
#   bash deploy/make-env.sh student /opt/optimizers/student-env        (= make-student-env.sh)
#   bash deploy/make-env.sh instructor /opt/optimizers/instructor-env  (= make-instructor-env.sh)
#
# The course is installed from the clone this script is in (for instructors: the course's private
# clone). PyTorch: the first `pip install` uses $COURSE_TORCH (default: `torch`, the CUDA build on
# Linux); on a CPU-only server set COURSE_TORCH="torch --index-url
# https://download.pytorch.org/whl/cpu" for the small CPU build. PYTHON picks the interpreter
# (default python3, 3.11 or newer); COURSE_INSTRUCTORS_GROUP the instructors' group.
set -euo pipefail
if [ $# -ne 2 ] || { [ "$1" != student ] && [ "$1" != instructor ]; }; then
  echo "usage: $0 student|instructor TARGET_DIRECTORY" >&2
  exit 2
fi
role=$1
target=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
"${PYTHON:-python3}" -m venv "$target"
pip=("$target/bin/python" -m pip install --quiet)
"${pip[@]}" --upgrade pip
# shellcheck disable=SC2086  # COURSE_TORCH may hold pip options
"${pip[@]}" ${COURSE_TORCH:-torch}
"${pip[@]}" -r "$repo/requirements.txt" -r "$repo/deploy/hub-requirements.txt"

# The packages are built from a copy, so the clone stays clean.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
if [ "$role" = student ]; then
  # optimlab alone, as a package of its own: the course's pyproject.toml would bring the rest.
  cp -r "$repo/optimlab" "$stage/optimlab"
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
else
  for item in pyproject.toml requirements.txt README.md LICENSE optimlab autograder grading; do
    cp -r "$repo/$item" "$stage/"
  done
fi
find "$stage" -name __pycache__ -prune -exec rm -rf {} +
"${pip[@]}" "$stage"

if [ "$role" = student ]; then
  # The MNIST files, where the hub's OPTIMLAB_DATA_DIR points (deploy/jupyterhub_config.py).
  mkdir -p "$target/share/optimizers"
  rm -rf "$target/share/optimizers/data"
  cp -r "$repo/data" "$target/share/optimizers/data"
fi

# -I: not the current folder (a clone has autograder/ and grading/)
"$target/bin/python" -I - "$role" <<'PY'
import importlib.util
import sys

role = sys.argv[1]
present = ["optimlab", "jupyterhub"]
absent = []
if role == "instructor":
    present += ["autograder", "grading", "nbgrader"]
else:
    absent += ["autograder", "grading"]  # the answers, and the grader that needs them
for name in present:
    assert importlib.util.find_spec(name) is not None, f"{name} is missing"
for name in absent:
    assert importlib.util.find_spec(name) is None, f"{name} must not be installed here"
print(f"{role}s' environment ready: {', '.join(present)}" + (f"; not {', '.join(absent)}" if absent else ""))
PY

if [ "$role" = instructor ]; then
  group=${COURSE_INSTRUCTORS_GROUP:-optimizers-instructors}
  getent group "$group" >/dev/null || groupadd "$group"
  chgrp -R "$group" "$target"
  chmod -R g+rX,o-rwx "$target"
else
  chmod -R a+rX "$target"
fi
