#!/bin/sh
# Another MySQL replaced ours (ROBOCONF_UPDATE_STATUS tells how): point the
# data source at it and restart.
set -eu
echo "${ROBOCONF_IMPORT_CHANGED_INSTANCE_PATH:-MySQL} is now ${ROBOCONF_UPDATE_STATUS:-changed}."
if [ "${ROBOCONF_UPDATE_STATUS:-}" = DEPLOYED_STARTED ]; then
	exec ./start.sh
fi
