#!/usr/bin/env bash
# Run one command - one student's `nbgrader autograde` - in a throwaway Linux sandbox:
#   no network      a new network namespace with only loopback (nbgrader talks to its kernel there)
#   own processes   a new PID namespace: everything started inside is killed when the command ends
#   read-only files the whole file system is read-only except the paths given with -w
#   limits          address space (memory), CPU seconds, file size, open files, wall-clock time
#
# Usage:  sandbox.sh [-w WRITABLE_PATH]... [--] COMMAND [ARG...]
# Limits (environment, with defaults): SANDBOX_MEMORY_MB=4096 SANDBOX_CPU_SECONDS=1800
#   SANDBOX_WALL_SECONDS=1800 SANDBOX_FILE_MB=512 SANDBOX_OPEN_FILES=1024
# Needs Linux, util-linux (unshare, prlimit, timeout from coreutils) and either root or
# unprivileged user namespaces (the default on most distributions). `sandbox.sh --check` prints
# whether this machine can run it. `python -m grading.batch ASSIGNMENT --sandbox sandbox.sh`
# wraps every student's autograde in it.
set -euo pipefail

if [ "${1:-}" = "--check" ]; then
  for tool in unshare prlimit timeout mount; do
    command -v "$tool" >/dev/null || { echo "missing: $tool"; exit 1; }
  done
  exec "$0" -- python3 -c "import os, socket; print('sandbox works: pid', os.getpid(), 'in its own namespace; network interfaces:', [n for _, n in socket.if_nameindex()])"
fi

writable=()
while [ $# -gt 0 ]; do
  case "$1" in
    -w) writable+=("$(realpath "$2")"); shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: $0 [-w PATH]... [--] COMMAND [ARG...]" >&2; exit 2; }

memory_mb=${SANDBOX_MEMORY_MB:-4096}
cpu_s=${SANDBOX_CPU_SECONDS:-1800}
wall_s=${SANDBOX_WALL_SECONDS:-1800}
file_mb=${SANDBOX_FILE_MB:-512}
open_files=${SANDBOX_OPEN_FILES:-1024}

userns=()
[ "$(id -u)" -eq 0 ] || userns=(--map-root-user)

# Runs inside the new namespaces, as their PID 1's child: set up, then become the command.
# shellcheck disable=SC2016
inner='
set -e
count=$1; shift
writable=("${@:1:$count}"); shift "$count"
# Loopback up, so that nbgrader and its kernel can talk; there is no other interface.
ip link set lo up 2>/dev/null || python3 -c "
import fcntl, socket, struct
s = socket.socket(); req = struct.pack(\"16sH\", b\"lo\", 0x1 | 0x8)
fcntl.ioctl(s, 0x8914, req + bytes(40 - len(req)))"
# Writable paths first (a bind mount keeps the flags it was made with), then all else read-only.
for path in "${writable[@]}"; do mount --bind "$path" "$path"; done
mount -o remount,bind,ro /
mount -o remount,bind,ro /sys 2>/dev/null || true
mount -t tmpfs -o size=64m,nosuid,nodev tmpfs /dev/shm 2>/dev/null || true
exec prlimit --as='"$((memory_mb * 1024 * 1024))"' --cpu='"$cpu_s"' \
  --fsize='"$((file_mb * 1024 * 1024))"' --nofile='"$open_files"' \
  -- timeout --kill-after=10 '"$wall_s"' "$@"
'
exec unshare "${userns[@]}" --net --pid --mount --ipc --uts --fork --kill-child --mount-proc \
  --propagation private -- bash -c "$inner" sandbox "${#writable[@]}" "${writable[@]}" "$@"
