#!/bin/sh
# Deploy ZooKeeper: fetch its image.
set -eu
. ./common.sh
fetch_image
