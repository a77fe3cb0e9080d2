#!/bin/sh
# Start the supervisor with a storm.yaml built from the imported variables.
set -eu
. ./common.sh
run_daemon
