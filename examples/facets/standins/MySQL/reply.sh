#!/bin/sh
# One connection to the stand-in database: log the line received, answer
# with what we are, hang up.
read -r line || line=
echo "$ROBOCONF_COMPONENT_NAME received: $line" >&2
echo "$flavour $version at $ip: ok"
