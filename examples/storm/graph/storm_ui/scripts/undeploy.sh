#!/bin/sh
# Undeploy the Storm UI: nothing of this instance may remain on the machine.
# The image stays, other instances of the machine may use it.
set -eu
. ./common.sh
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker volume rm "$NAME-data" >/dev/null 2>&1 || true
rm -rf "$STATE"
