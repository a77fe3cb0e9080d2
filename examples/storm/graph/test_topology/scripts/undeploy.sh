#!/bin/sh
# Undeploy the topology: only our state remains to be removed.
set -eu
. ./common.sh
rm -rf "$STATE"
