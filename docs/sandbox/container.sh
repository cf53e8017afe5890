#!/usr/bin/env bash
# The same interface as sandbox.sh, with a container engine (podman or docker) instead of
# Linux namespaces: for hubs and grading servers where containers are the norm.
#
# Usage:  container.sh [-w WRITABLE_PATH]... [--] COMMAND [ARG...]
#   python -m grading.batch ASSIGNMENT --sandbox docs/sandbox/container.sh
# The image (SANDBOX_IMAGE, default optimizer-course-grader) must hold the course's Python
# environment at the same path as on the host (build it with docs/sandbox/Containerfile).
# The current folder (the course) is mounted read-only at the same path, each -w path read-write;
# no network, limited memory, processes, CPUs and time. SANDBOX_DRY_RUN=1 prints the command.
set -euo pipefail
writable=()
while [ $# -gt 0 ]; do
  case "$1" in
    -w) writable+=("$(realpath "$2")"); shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [-w PATH]... [--] COMMAND [ARG...]" >&2; exit 2; }

engine=${SANDBOX_ENGINE:-$(command -v podman || command -v docker || echo docker)}
course=$(pwd)
args=(run --rm --network=none --read-only --tmpfs /tmp:rw,size=256m
  --memory="${SANDBOX_MEMORY_MB:-4096}m" --memory-swap="${SANDBOX_MEMORY_MB:-4096}m"
  --pids-limit="${SANDBOX_PIDS:-512}" --cpus="${SANDBOX_CPUS:-1}"
  --ulimit "cpu=${SANDBOX_CPU_SECONDS:-1800}" --security-opt no-new-privileges
  --user "$(id -u):$(id -g)" --workdir "$course"
  --volume "$course:$course:ro")
for path in "${writable[@]}"; do args+=(--volume "$path:$path:rw"); done
# Pass the grading settings through (timeouts, PYTHONPATH, HOME and friends set by the runner).
for name in PYTHONPATH HOME TMPDIR JUPYTER_RUNTIME_DIR IPYTHONDIR MPLCONFIGDIR OPTIMLAB_FAST \
  OPTIMLAB_STATIC AUTOGRADE_TEST_CELL_TIMEOUT AUTOGRADE_CELL_TIMEOUT; do
  [ -n "${!name:-}" ] && args+=(--env "$name=${!name}")
done
args+=("${SANDBOX_IMAGE:-optimizer-course-grader}")
command=(timeout --kill-after=10 "${SANDBOX_WALL_SECONDS:-1800}" "$engine" "${args[@]}" "$@")
if [ -n "${SANDBOX_DRY_RUN:-}" ]; then
  printf '%q ' "${command[@]}"
  echo
  exit 0
fi
exec "${command[@]}"
