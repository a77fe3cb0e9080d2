#!/bin/sh
# Stand-in for the backup: "dumps" every database of the MySQL.* import
# (MySQL_size, MySQL_<i>_ip, _port, _database, _flavour: MariaDB's instance
# included) by connecting to it once with nc, logs the answers, marks itself
# started.
set -eu
trap 'exit 0' TERM INT
echo "stand-in for $ROBOCONF_INSTANCE_PATH ($ROBOCONF_COMPONENT_NAME)"
env | grep -E '^(every|MySQL_size|MySQL_[0-9]+_(ip|port|database|flavour|version))=' | sort

i=0
while [ "$i" -lt "$MySQL_size" ]; do
	eval "host=\$MySQL_${i}_ip port=\$MySQL_${i}_port db=\$MySQL_${i}_database"
	until answer=$(echo "dump $db" | nc "$host" "$port" 2>/dev/null); do sleep 1; done
	echo "dumped $db from $host:$port: $answer"
	i=$((i + 1))
done
mkdir -p /run/rbcc && touch /run/rbcc/started
while :; do
	sleep 3600 &
	wait $!
done
