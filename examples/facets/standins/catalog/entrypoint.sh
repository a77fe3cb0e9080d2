#!/bin/sh
# Stand-in for a catalog: writes the same /api/<version>/index.json as the
# real one, from the script plug-in's variables of the facet-prefix import
# (sql_database_size, sql_database_<i>_ip, sql_database_<i>_port), and serves
# it with busybox httpd on $httpPort, and the metrics on $metricsPort (the
# random port).
set -eu
trap 'exit 0' TERM INT
echo "stand-in for $ROBOCONF_INSTANCE_PATH ($ROBOCONF_COMPONENT_NAME), real command: $*"
env | grep -E '^(ip|httpPort|metricsPort|region|apiVersion|logLevel|sql_database_[0-9a-z_]*)=' | sort

dbs=
i=0
while [ "$i" -lt "${sql_database_size:-0}" ]; do
	eval "dbs=\"\$dbs\${dbs:+, }\\\"\$sql_database_${i}_ip:\$sql_database_${i}_port\\\"\""
	i=$((i + 1))
done
mkdir -p "/srv/api/$apiVersion" /srv/metrics
echo "{\"catalog\": \"$ROBOCONF_INSTANCE_NAME\", \"region\": \"$region\", \"databases\": [$dbs]}" >"/srv/api/$apiVersion/index.json"
echo 'up 1' >/srv/metrics/index.html
cat "/srv/api/$apiVersion/index.json"

httpd -f -v -p "$httpPort" -h /srv &
httpd -f -v -p "$metricsPort" -h /srv/metrics &

for p in "$httpPort" "$metricsPort"; do
	hex=$(printf '%04X' "$p")
	until grep -qs ":$hex [0-9A-F]*:0000 0A " /proc/net/tcp /proc/net/tcp6; do sleep 0.2; done
done
mkdir -p /run/rbcc && touch /run/rbcc/started
echo "listening on $httpPort and $metricsPort"
wait
