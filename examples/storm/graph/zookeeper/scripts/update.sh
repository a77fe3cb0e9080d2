#!/bin/sh
# A peer appeared (ROBOCONF_UPDATE_STATUS=DEPLOYED_STARTED) or left
# (DEPLOYED_STOPPED). Restart with the new server list if it changed.
set -eu
. ./common.sh
echo "Peer ${ROBOCONF_IMPORT_CHANGED_INSTANCE_PATH:-?} is now ${ROBOCONF_UPDATE_STATUS:-changed}."
running || exit 0
if ensemble | cmp -s - "$STATE/ensemble"; then
	echo "Same ensemble, nothing to do."
	exit 0
fi
exec ./start.sh
