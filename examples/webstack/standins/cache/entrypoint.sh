#!/bin/sh
# Stand-in for Redis: logs the Roboconf variables it was given and the command
# the real image would have run (its arguments), then serves $port with nc,
# one connection at a time (reply.sh answers INCR and PING, and logs them).
set -eu
trap 'exit 0' TERM INT
echo "stand-in for $ROBOCONF_INSTANCE_PATH ($ROBOCONF_COMPONENT_NAME), real command: $*"
env | grep -E '^(ip|port)=' | sort

nc -ll -p "$port" -e /standin/reply.sh &

# Started = listening: the healthcheck tests /run/rbcc/started.
hex=$(printf '%04X' "$port")
until grep -qs ":$hex [0-9A-F]*:0000 0A " /proc/net/tcp /proc/net/tcp6; do sleep 0.2; done
mkdir -p /run/rbcc && touch /run/rbcc/started
echo "listening on $port"
wait
