#!/bin/sh
# Stand-in for the balancer: logs its Roboconf variables (webapp_size and the
# webapp_<i>_* of every imported web application) and the nginx configuration
# rendered for it, then serves $httpPort with busybox httpd; "/" runs
# cgi-bin/index.cgi, which forwards to the next web application.
set -eu
trap 'exit 0' TERM INT
echo "stand-in for $ROBOCONF_INSTANCE_PATH ($ROBOCONF_COMPONENT_NAME)"
echo "nginx configuration it was given: ${NGINX_CONF:-none}"
env | grep -E '^(ip|httpPort|webapp_[0-9a-z_]*)=' | sort

httpd -f -v -p "$httpPort" -h /www &

hex=$(printf '%04X' "$httpPort")
until grep -qs ":$hex [0-9A-F]*:0000 0A " /proc/net/tcp /proc/net/tcp6; do sleep 0.2; done
mkdir -p /run/rbcc && touch /run/rbcc/started
echo "listening on $httpPort"
wait
