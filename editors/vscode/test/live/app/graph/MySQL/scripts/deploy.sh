#!/bin/sh
echo "deploying $ROBOCONF_INSTANCE_NAME"
