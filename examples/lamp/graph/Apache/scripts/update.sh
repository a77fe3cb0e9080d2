#!/bin/sh
# A Tomcat server appeared or left: rewrite the balancer, reload gracefully.
set -eu
. ./balancer.sh
echo "${ROBOCONF_IMPORT_CHANGED_INSTANCE_PATH:-A Tomcat} is now ${ROBOCONF_UPDATE_STATUS:-changed}."
configure_balancer
service apache2 reload
