#!/usr/bin/env bash
# Regenerate every student notebook in notebooks/ from its instructor version in solutions/.
# notebooks/ is never edited by hand; the tests check that it is exactly what this produces.
set -euo pipefail
cd "$(dirname "$0")/.."
for dir in solutions/*/; do
  assignment=$(basename "$dir")
  nbgrader generate_assignment "$assignment" --force --no-db --log-level=WARN
done
echo "Regenerated notebooks/ from solutions/."
