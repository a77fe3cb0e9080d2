#!/bin/sh
# Supervisors came or went (or Nimbus changed): spread the topology over one
# worker process per supervisor, or submit it again to a new Nimbus.
set -eu
. ./common.sh
echo "${ROBOCONF_IMPORT_CHANGED_INSTANCE_PATH:-an import} is now ${ROBOCONF_UPDATE_STATUS:-changed}."
if submitted; then
	storm_cli rebalance "$topology" -w 10 -n "${storm_worker_size:-1}"
	echo "Topology $topology rebalanced over ${storm_worker_size:-1} worker(s)."
else
	exec ./start.sh
fi
