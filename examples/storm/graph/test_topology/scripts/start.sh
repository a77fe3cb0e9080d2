#!/bin/sh
# Submit the topology to Nimbus (unless it already runs there).
set -eu
. ./common.sh
if submitted; then
	echo "Topology $topology is already running."
	exit 0
fi
submit
echo "Topology $topology submitted to Nimbus at $storm_nimbus_0_ip."
