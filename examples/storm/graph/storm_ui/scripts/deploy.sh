#!/bin/sh
# Deploy the Storm UI: fetch the Storm image (shared by the daemons of a machine).
set -eu
. ./common.sh
fetch_image
