#!/usr/bin/env bash
# The students' hub environment (optimlab and the MNIST files, never autograder or grading):
#   bash deploy/make-student-env.sh /opt/optimizers/student-env
# Everything is in make-env.sh (its header lists the settings).
exec bash "$(dirname "$0")/make-env.sh" student "$@"
