#!/usr/bin/env bash
# Build the instructor's environment for the hub: the course's packages, JupyterHub's single-user
# server, nbgrader with all its extensions, and the course itself with `autograder` (the grader's
# references and hidden-test helpers). Only the instructors' group may read it.
#
#   bash deploy/make-instructor-env.sh /opt/optimizers/instructor-env
#
# Run it from (or point it at) the course's private clone: the course is installed from the folder
# this script is in. COURSE_TORCH and PYTHON as in make-student-env.sh.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 TARGET_DIRECTORY" >&2
  exit 2
fi
target=$1
repo=$(cd "$(dirname "$0")/.." && pwd)
group=${COURSE_INSTRUCTORS_GROUP:-optimizers-instructors}
"${PYTHON:-python3}" -m venv "$target"
pip=("$target/bin/python" -m pip install --quiet)
"${pip[@]}" --upgrade pip
# shellcheck disable=SC2086  # COURSE_TORCH may hold pip options
"${pip[@]}" ${COURSE_TORCH:-torch}
"${pip[@]}" -r "$repo/requirements.txt" -r "$repo/deploy/hub-requirements.txt"

# The course package (optimlab, autograder and grading), built from a copy so the clone stays clean.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for item in pyproject.toml requirements.txt README.md LICENSE optimlab autograder grading; do
  cp -r "$repo/$item" "$stage/"
done
find "$stage" -name __pycache__ -prune -exec rm -rf {} +
"${pip[@]}" "$stage"

"$target/bin/python" -I - <<'PY'
import importlib.util

for name in ("optimlab", "autograder", "grading", "jupyterhub", "nbgrader"):
    assert importlib.util.find_spec(name) is not None, f"{name} is missing"
print("instructor's environment ready: optimlab, autograder, grading, nbgrader, jupyterhub")
PY
getent group "$group" >/dev/null || groupadd "$group"
chgrp -R "$group" "$target"
chmod -R g+rX,o-rwx "$target"
