#!/usr/bin/env bash
# The instructor's hub environment (the course with autograder and grading, and nbgrader), only
# for the instructors' group:
#   bash deploy/make-instructor-env.sh /opt/optimizers/instructor-env
# Run it from the course's private clone. Everything is in make-env.sh (its header lists the
# settings).
exec bash "$(dirname "$0")/make-env.sh" instructor "$@"
