#!/bin/sh
# Stop ZooKeeper. The container goes away, the data volume stays.
set -eu
. ./common.sh
docker stop "$NAME" >/dev/null 2>&1 || true
docker rm "$NAME" >/dev/null 2>&1 || true
