#!/bin/sh
# Undeploy ZooKeeper: remove the container, its data and our state.
set -eu
. ./common.sh
docker rm -f "$NAME" >/dev/null 2>&1 || true
docker volume rm "$NAME-data" >/dev/null 2>&1 || true
rm -rf "$STATE"
