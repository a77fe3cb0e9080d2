#!/bin/sh
# An import changed (ROBOCONF_UPDATE_STATUS: DEPLOYED_STARTED = appeared,
# DEPLOYED_STOPPED = gone). Rewrite storm.yaml and recreate the container
# only if the configuration really changed.
set -eu
. ./common.sh
echo "${ROBOCONF_IMPORT_CHANGED_INSTANCE_PATH:-an import} is now ${ROBOCONF_UPDATE_STATUS:-changed}."
running || exit 0
if storm_yaml | cmp -s - "$STATE/storm.yaml"; then
	echo "Same configuration, nothing to do."
	exit 0
fi
run_daemon
