#!/bin/sh
# Stop the supervisor. The container goes away (start.sh recreates it), its data
# volume stays until undeploy.
set -eu
. ./common.sh
docker stop "$NAME" >/dev/null 2>&1 || true
docker rm "$NAME" >/dev/null 2>&1 || true
