#!/bin/sh
# Stand-in for the client: logs what it imported, then sends the keyspace
# creation to every node in turn, from the script plug-in's variables
# (dbnode_size, dbnode_<i>_ip, dbnode_<i>_cqlPort), logs each answer and
# marks itself started. The real command it replaces is logged too.
set -eu
trap 'exit 0' TERM INT
echo "stand-in for $ROBOCONF_INSTANCE_PATH ($ROBOCONF_COMPONENT_NAME)"
echo "real command: $*"
env | grep -E '^(keyspace|dbnode_size|dbnode_[0-9]+_(ip|cqlPort))=' | sort

i=0
while [ "$i" -lt "$dbnode_size" ]; do
	eval "host=\$dbnode_${i}_ip port=\$dbnode_${i}_cqlPort"
	until answer=$(echo "CREATE KEYSPACE $keyspace, replication factor $dbnode_size" | nc "$host" "$port" 2>/dev/null); do
		sleep 1
	done
	echo "$host:$port answered: $answer"
	i=$((i + 1))
done
mkdir -p /run/rbcc && touch /run/rbcc/started
while :; do
	sleep 3600 &
	wait $!
done
