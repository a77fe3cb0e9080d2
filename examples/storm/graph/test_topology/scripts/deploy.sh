#!/bin/sh
# Deploy the topology: fetch the Storm image that holds the client and the jar.
set -eu
. ./common.sh
fetch_image
