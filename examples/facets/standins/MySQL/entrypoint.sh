#!/bin/sh
# Stand-in for a SQL database: logs which component it stands for (MySQL or
# MariaDB: the same image), the variables it exports and the database the
# real image would create, then serves $port with nc; reply.sh logs and
# answers each connection.
set -eu
trap 'exit 0' TERM INT
echo "stand-in for $ROBOCONF_INSTANCE_PATH ($ROBOCONF_COMPONENT_NAME $version, flavour $flavour)"
echo "would create database $MYSQL_DATABASE for user $MYSQL_USER"
env | grep -E '^(ip|port|logLevel)=' | sort

nc -ll -p "$port" -e /standin/reply.sh &

hex=$(printf '%04X' "$port")
until grep -qs ":$hex [0-9A-F]*:0000 0A " /proc/net/tcp /proc/net/tcp6; do sleep 0.2; done
mkdir -p /run/rbcc && touch /run/rbcc/started
echo "listening on $port"
wait
