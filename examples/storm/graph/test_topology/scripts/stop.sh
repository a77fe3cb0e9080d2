#!/bin/sh
# Kill the topology (its workers get 10 seconds to finish their tuples).
set -eu
. ./common.sh
if submitted; then
	storm_cli kill "$topology" -w 10
fi
