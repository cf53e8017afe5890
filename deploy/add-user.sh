#!/usr/bin/env bash
# Create a student's or an instructor's Unix account for the hub (run as root):
#
#   bash deploy/add-user.sh student alice        # asks for a password unless $PASSWORD is set
#   bash deploy/add-user.sh instructor prof
#
# Homes are private (mode 0700): a student's work, feedback and the instructor's course folder
# (solutions, gradebook) are readable by their owner only. Debian's default is 0755.
# The groups' names come from COURSE_STUDENTS_GROUP / COURSE_INSTRUCTORS_GROUP, as in
# deploy/jupyterhub_config.py; they are created when missing.
set -euo pipefail
if [ $# -ne 2 ] || { [ "$1" != student ] && [ "$1" != instructor ]; }; then
  echo "usage: $0 student|instructor USERNAME" >&2
  exit 2
fi
role=$1
name=$2
if [ "$role" = student ]; then
  group=${COURSE_STUDENTS_GROUP:-optimizers-students}
else
  group=${COURSE_INSTRUCTORS_GROUP:-optimizers-instructors}
fi
getent group "$group" >/dev/null || groupadd "$group"
if ! id "$name" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash -K HOME_MODE=0700 "$name"
fi
usermod -a -G "$group" "$name"
chmod 0700 "$(getent passwd "$name" | cut -d: -f6)"
if [ -n "${PASSWORD:-}" ]; then
  printf '%s:%s\n' "$name" "$PASSWORD" | chpasswd
else
  passwd "$name"
fi
