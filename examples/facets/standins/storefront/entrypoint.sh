#!/bin/sh
# Stand-in for the storefront: logs the catalogs it imported through the
# facet prefix (api_size, api_<i>_ip, api_<i>_httpPort, api_<i>_apiVersion)
# and the nginx configuration rendered for it, then serves $httpPort with
# busybox httpd; "/" runs cgi-bin/index.cgi.
set -eu
trap 'exit 0' TERM INT
echo "stand-in for $ROBOCONF_INSTANCE_PATH ($ROBOCONF_COMPONENT_NAME)"
echo "nginx configuration it was given: ${NGINX_CONF:-none}"
env | grep -E '^(ip|httpPort|logLevel|api_[0-9a-z_]*)=' | sort

httpd -f -v -p "$httpPort" -h /www &

hex=$(printf '%04X' "$httpPort")
until grep -qs ":$hex [0-9A-F]*:0000 0A " /proc/net/tcp /proc/net/tcp6; do sleep 0.2; done
mkdir -p /run/rbcc && touch /run/rbcc/started
echo "listening on $httpPort"
wait
