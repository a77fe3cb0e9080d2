#!/bin/sh
# Stand-in for a web application instance: logs its Roboconf variables, then
# serves $port with busybox httpd. "/" runs cgi-bin/index.cgi (no index.html),
# which greets and counts the visit in the cache it imports (cache_0_ip).
set -eu
trap 'exit 0' TERM INT
echo "stand-in for $ROBOCONF_INSTANCE_PATH ($ROBOCONF_COMPONENT_NAME), real command: $*"
env | grep -E '^(ip|port|greeting|cache_[0-9a-z_]*)=' | sort

httpd -f -v -p "$port" -h /www &

hex=$(printf '%04X' "$port")
until grep -qs ":$hex [0-9A-F]*:0000 0A " /proc/net/tcp /proc/net/tcp6; do sleep 0.2; done
mkdir -p /run/rbcc && touch /run/rbcc/started
echo "listening on $port"
wait
